//! The course's database server, as the set-up tool (`cargo run -p db -- up | down | status | reset`)
//! and the autostart of the lessons, the course runner and the tests ([`crate::start_server_if_needed`])
//! use it: the same code, the same lock, the same messages.
//!
//! `up` makes a server ready at DB_HOST:DB_PORT: if a MySQL server already answers there it only
//! makes sure of the user, database and schema; else it starts MySQL 9.7 in Docker when an engine
//! answers; else a local MariaDB/MySQL with its data in `.db/` (or `DB_LOCAL_DIR`), installing Debian's
//! `mariadb-server` first when run as root on Debian/Ubuntu. Every admin action goes over TCP to
//! DB_HOST:DB_PORT, to nothing else. The configuration is [`Config`], as in every lesson.
//!
//! `up --replica` adds a read-only replica at DB_REPLICA_HOST:DB_REPLICA_PORT that follows that
//! server by GTID ([`Tool::up_with_replica`]; the SQL of both servers is in [`replica`]).

pub mod admin;
pub mod docker;
pub mod local;
mod pair;
pub mod probe;
pub mod replica;

use std::cell::Cell;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use mysql::Conn;
use mysql::prelude::Queryable;

use crate::{Config, Error, check_database_name};
use admin::{AdminLogin, connect_admin};
use docker::{Compose, Engine};
use local::{LocalServer, Ownership, ServerBinary, is_root};
use probe::{PROBE_TIMEOUT, Probe, probe};
use replica::Flavor;

/// THE schema (docker/schema.sql), the same file Docker, the set-up and the test fixture load.
pub const SCHEMA_SQL: &str = include_str!("../../docker/schema.sql");

/// Every test database's name starts with this; the set-up grants the user these names only.
pub const TEST_DB_PREFIX: &str = "llmagent_test_";

/// Runs `sql`, which may hold several statements (like [`SCHEMA_SQL`]), and returns the first error
/// of any of them. `query_drop` would not: it reports an error in the first statement only and
/// drops the later results, errors included, unseen.
pub fn run_statements(conn: &mut Conn, sql: &str) -> mysql::Result<()> {
    let mut result = conn.query_iter(sql)?;
    while let Some(set) = result.iter() {
        for row in set {
            row?;
        }
    }
    Ok(())
}

thread_local! {
    /// Whether [`say`] writes past libtest's capture on this thread (see [`say_past_capture`]).
    static PAST_CAPTURE: Cell<bool> = const { Cell::new(false) };
}

/// Prints one line of progress.
pub fn say(message: impl AsRef<str>) {
    let line = format!("db: {}", message.as_ref());
    if PAST_CAPTURE.get() {
        let _ = writeln!(std::io::stdout().lock(), "{line}");
    } else {
        println!("{line}");
    }
}

/// Runs `work` with [`say`] writing straight to stdout. Inside a test, libtest holds back what
/// `println!` prints until the test fails; the test fixture's start of the server must be seen.
pub fn say_past_capture<T>(work: impl FnOnce() -> T) -> T {
    let before = PAST_CAPTURE.replace(true);
    let result = work();
    PAST_CAPTURE.set(before);
    result
}

/// The tool, with its settings.
pub struct Tool {
    pub config: Config,
    /// The project's folder: `docker/compose.yml` is in it.
    pub root: PathBuf,
    /// The local server's folder (`.db/` in the project).
    pub local: LocalServer,
    /// The deadline of every wait (DB_WAIT_SECONDS; Docker gets twice this).
    pub wait: Duration,
    /// The Docker image's root password (DB_ROOT_PASSWORD).
    pub root_password: String,
    /// Whether to look for a Docker engine at all (the tests leave Docker alone).
    pub use_docker: bool,
}

impl Tool {
    /// The settings of this project: `.env`, then the environment, then the defaults.
    pub fn from_env() -> Result<Tool> {
        Tool::for_config(Config::from_env()?)
    }

    /// The tool for `config`, with its own settings from the environment (after [`Config::from_env`],
    /// which puts `.env`'s variables there, so they follow the same rules).
    pub fn for_config(config: Config) -> Result<Tool> {
        let wait = match std::env::var("DB_WAIT_SECONDS") {
            Err(_) => 90,
            Ok(value) => value.trim().parse().with_context(|| {
                format!("DB_WAIT_SECONDS must be a number of seconds, not {value:?}")
            })?,
        };
        let root = project_root();
        // A relative DB_LOCAL_DIR starts at the project, as the default `.db` does.
        let local = match std::env::var_os("DB_LOCAL_DIR").filter(|dir| !dir.is_empty()) {
            Some(dir) => root.join(dir),
            None => root.join(".db"),
        };
        Ok(Tool {
            config,
            local: LocalServer::new(local),
            root,
            wait: Duration::from_secs(wait),
            root_password: std::env::var("DB_ROOT_PASSWORD").unwrap_or_else(|_| "root".into()),
            use_docker: true,
        })
    }

    fn address(&self) -> String {
        self.config.address()
    }

    fn host_is_local(&self) -> bool {
        is_this_machine(&self.config.host)
    }

    fn compose(&self) -> Compose {
        Compose::new(&self.root, &self.config, &self.root_password)
    }

    fn docker_engine(&self) -> Engine {
        if self.use_docker {
            docker::engine()
        } else {
            Engine::Absent
        }
    }

    /// The last line of `up` and `reset`: who can now use which database where.
    fn say_ready(&self) {
        say(format!(
            "ready: {}@{}/{}",
            self.config.user,
            self.address(),
            self.config.database
        ));
    }

    fn probe(&self) -> Probe {
        probe(&self.config.host, self.config.port, PROBE_TIMEOUT)
    }

    /// Makes the server at DB_HOST:DB_PORT ready for the course. Safe to run again and again.
    pub fn up(&self) -> Result<()> {
        check_database_name(&self.config.database)?;
        // Held until `up` ends: a second `up` waits here, then finds the server running.
        let _lock = self.local.lock(self.wait)?;
        self.up_primary()?;
        self.say_ready();
        Ok(())
    }

    /// `up`'s work on the server at DB_HOST:DB_PORT, with the lock held.
    fn up_primary(&self) -> Result<()> {
        match self.probe() {
            Probe::MySql { version } => {
                say(format!(
                    "a MySQL server answers on {} ({version})",
                    self.address()
                ));
                self.ensure_database()?;
            }
            Probe::Refusing(message) => bail!(
                "the MySQL server at {} refuses new connections ({message}); wait and run up again, \
                 or restart that server",
                self.address()
            ),
            Probe::NotMySql(what) => bail!(
                "something that is not a working MySQL server listens on {}: {what}. If it is your \
                 database server, restart it; otherwise stop that program, or set DB_PORT to a free \
                 port in .env",
                self.address()
            ),
            Probe::Nothing(_) => self.start_server()?,
        }
        Ok(())
    }

    /// The admin of the server at DB_HOST:DB_PORT, if this project started it (locally or in Docker).
    fn admin_of_running_server(&self) -> Result<Option<Conn>> {
        if !self.host_is_local() {
            return Ok(None);
        }
        match self.local.ownership(&self.config) {
            Ownership::Ours => {
                let login = self.local.admin_login()?.expect("ours, so it has a login");
                return Ok(Some(connect_admin(&self.config, &login)?));
            }
            Ownership::NoPermission(file) => bail!(no_permission(&file)),
            Ownership::NotOurs => {}
        }
        if self.docker_engine() == Engine::Answers
            && self.compose().running_port() == Some(self.config.port)
        {
            // Docker's port forwarder answers before MySQL does: wait for the healthcheck.
            self.compose().up(self.wait)?;
            return Ok(Some(self.docker_admin()?));
        }
        Ok(None)
    }

    fn docker_admin(&self) -> Result<Conn> {
        let login = AdminLogin {
            user: "root".into(),
            password: self.root_password.clone(),
        };
        connect_admin(&self.config, &login).with_context(|| {
            format!(
                "the Docker container's root cannot log in at {}: was it created with another \
                 DB_ROOT_PASSWORD? (`docker compose -f docker/compose.yml down -v` deletes it and its data)",
                self.address()
            )
        })
    }

    fn ensure_database(&self) -> Result<()> {
        match self.admin_of_running_server()? {
            Some(mut admin) => admin::ensure_database(&self.config, &mut admin),
            None => admin::ensure_database_as_user(&self.config),
        }
    }

    /// Nothing answers at DB_HOST:DB_PORT: start Docker's MySQL or a local server there.
    fn start_server(&self) -> Result<()> {
        let address = self.address();
        if !self.host_is_local() {
            bail!(
                "nothing answers at {address}, and this tool can only start a server on this machine; \
                 start the server at {} yourself, or set DB_HOST=127.0.0.1",
                self.config.host
            );
        }
        self.refuse_if_running_on_another_port()?;
        say(format!(
            "no server answered on {address}; starting the course's own"
        ));
        match self.docker_engine() {
            Engine::Answers => {
                if let Some(port) = self.compose().running_port() {
                    bail!(
                        "this project's Docker container runs on port {port}, but DB_PORT is {}: set \
                         DB_PORT={port}, or stop it first with DB_PORT={port} `cargo run -p db -- down`",
                        self.config.port
                    );
                }
                self.compose().up(self.wait)?;
                return admin::ensure_database(&self.config, &mut self.docker_admin()?);
            }
            Engine::NoPermission => say(
                "the Docker engine refuses you (permission denied; on Linux, join the `docker` group): \
                 using a local server instead",
            ),
            Engine::Absent => {}
        }
        let server = match ServerBinary::find() {
            Some(server) => server,
            None => {
                install_mariadb()?;
                ServerBinary::find()
                    .context("mariadb-server was installed, but no mariadbd is found")?
            }
        };
        let options = replica::primary_options(flavor_of(&server));
        self.local
            .start(&server, &self.config, self.wait, &options)?;
        let login = self
            .local
            .admin_login()?
            .expect("start made the admin login");
        let mut admin = connect_admin(&self.config, &login).with_context(|| {
            format!(
                "the local server started, but its admin cannot log in{}",
                local::log_tail(&self.local.log_file())
            )
        })?;
        admin::ensure_database(&self.config, &mut admin)
    }

    /// Never two servers on one data folder: if this project's server runs on another port, say so.
    fn refuse_if_running_on_another_port(&self) -> Result<()> {
        let Some(port) = self
            .local
            .recorded_port()
            .filter(|&p| p != self.config.port)
        else {
            return Ok(());
        };
        if let Some(pid) = self.local.recorded_pid()
            && !matches!(probe("127.0.0.1", port, PROBE_TIMEOUT), Probe::Nothing(_))
        {
            bail!(
                "this project's local server (pid {pid}, data in {}) runs on 127.0.0.1:{port}, but DB_PORT \
                 is {}: set DB_PORT={port}, or stop it first with DB_PORT={port} `cargo run -p db -- down`",
                self.local.dir().display(),
                self.config.port
            );
        }
        Ok(())
    }

    /// Stops what this project started at DB_HOST:DB_PORT, and nothing else. The data stays.
    /// This project's replica at DB_REPLICA_PORT stops first.
    pub fn down(&self) -> Result<()> {
        self.replica_down()?;
        if self.host_is_local() {
            match self.local.ownership(&self.config) {
                Ownership::Ours => return self.local.stop(&self.config, self.wait),
                Ownership::NoPermission(file) => bail!(no_permission(&file)),
                Ownership::NotOurs => {}
            }
            if self.docker_engine() == Engine::Answers {
                match self.compose().running_port() {
                    Some(port) if port == self.config.port => return self.compose().down(),
                    Some(port) => say(format!(
                        "this project's Docker container runs on port {port}, not on DB_PORT {}: \
                         not stopped",
                        self.config.port
                    )),
                    None => {}
                }
            }
            if let (Some(port), Some(pid)) = (self.local.recorded_port(), self.local.recorded_pid())
            {
                if port == self.config.port && matches!(self.probe(), Probe::Nothing(_)) {
                    // A crashed or killed server leaves its pid file: nothing runs to be stopped,
                    // and that pid may be another program's by now, so no `kill` is suggested.
                    say(format!(
                        "this project's local server does not run on {} (pid {pid} ended without \
                         shutting down, or is still starting; its log: {}): nothing stopped",
                        self.address(),
                        self.local.log_file().display()
                    ));
                    return Ok(());
                }
                if port == self.config.port {
                    bail!(
                        "this project's local server (pid {pid}) does not answer its admin on {}: \
                         it is starting, frozen or stuck. Wait and try again, or end it yourself \
                         (kill {pid}; on Windows, Task Manager){}",
                        self.address(),
                        local::log_tail(&self.local.log_file())
                    );
                }
                say(format!(
                    "this project's local server was started on port {port}, not on DB_PORT {}: \
                     not stopped (DB_PORT={port} `cargo run -p db -- down` stops it)",
                    self.config.port
                ));
            }
        }
        say(format!(
            "nothing that this project started runs at {}: nothing stopped",
            self.address()
        ));
        Ok(())
    }

    /// Says what runs at DB_HOST:DB_PORT and whether this project started it.
    /// Returns whether a MySQL server answers there.
    pub fn status(&self) -> Result<bool> {
        let c = &self.config;
        say(format!(
            "configured: {}@{}/{}",
            c.user,
            self.address(),
            c.database
        ));
        let target = self.probe();
        say(format!("{}: {target}", self.address()));
        if self.host_is_local() {
            match self.local.ownership(c) {
                Ownership::Ours => say(format!(
                    "started by this project: a local server, pid {}, data in {}, log {}",
                    self.local.recorded_pid().unwrap_or_else(|| "?".into()),
                    self.local.data_dir().display(),
                    self.local.log_file().display()
                )),
                Ownership::NoPermission(file) => say(no_permission(&file)),
                Ownership::NotOurs if target.is_mysql() => {
                    say("not started by this project's local server (.db/)")
                }
                Ownership::NotOurs => {}
            }
            if let Some(port) = self.local.recorded_port().filter(|&p| p != c.port)
                && self.local.recorded_pid().is_some()
            {
                say(format!(
                    "this project's local server was started on port {port}, not on DB_PORT {}",
                    c.port
                ));
            }
            match self.docker_engine() {
                Engine::Answers => match self.compose().running_port() {
                    Some(port) if port == c.port => {
                        say("started by this project: the Docker container of docker/compose.yml")
                    }
                    Some(port) => say(format!(
                        "docker: this project's container runs on port {port}, not on DB_PORT {}",
                        c.port
                    )),
                    None => {
                        say("docker: the engine answers; this project's container is not running")
                    }
                },
                Engine::NoPermission => say(
                    "docker: the engine refuses you (permission denied), so its containers cannot be \
                     checked; on Linux, join the `docker` group or ask who started it",
                ),
                Engine::Absent if self.use_docker => say("docker: no engine answers"),
                Engine::Absent => {}
            }
        }
        self.replica_status()?;
        Ok(target.is_mysql())
    }

    /// Drops and recreates the course database with the schema, and drops the tests' leftover
    /// databases, on the server this project started at DB_HOST:DB_PORT, and on no other.
    pub fn reset(&self) -> Result<()> {
        check_database_name(&self.config.database)?;
        let target = self.probe();
        if !target.is_mysql() {
            bail!(
                "{}: {target}; run `cargo run -p db -- up` first",
                self.address()
            );
        }
        let Some(mut admin) = self.admin_of_running_server()? else {
            bail!(
                "reset drops databases, so it acts only on a server this project started, and the \
                 server at {} is not one (`cargo run -p db -- status` says what runs there). On \
                 someone else's server, ask its admin",
                self.address()
            );
        };
        admin::reset(&self.config, &mut admin)?;
        self.replica_after_reset()?;
        self.say_ready();
        Ok(())
    }
}

/// The replication flavour of a server program found on this machine.
fn flavor_of(server: &ServerBinary) -> Flavor {
    match server.kind {
        local::Kind::MariaDb => Flavor::MariaDb,
        local::Kind::MySql => Flavor::MySql,
    }
}

/// The project's folder: `docker/compose.yml` and the default `.db/` are in it.
pub fn project_root() -> PathBuf {
    // This crate's folder is `<root>/shared`.
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("shared/ is inside the project")
        .to_path_buf()
}

/// Whether `host` names this machine, where the course may start a server of its own.
pub fn is_this_machine(host: &str) -> bool {
    matches!(host, "127.0.0.1" | "localhost" | "::1")
}

/// What the autostart does about the server at DB_HOST:DB_PORT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Autostart {
    /// `DB_AUTOSTART=0`: never start a server.
    Off,
    /// DB_HOST is another machine: only its owner can start a server there.
    Elsewhere,
    /// Something answers there, a usable server or not: nothing is started, and the connection
    /// that follows says what is wrong, if anything.
    Answers(Probe),
    /// Nothing answers, on this machine: start the course's own server, as `up` does.
    Start,
}

/// Reads `DB_AUTOSTART`: on when unset, empty, `1`, `true`, `yes` or `on`; off with `0`, `false`,
/// `no` or `off` (in any case).
pub fn autostart_enabled(setting: Option<&str>) -> Result<bool, Error> {
    let Some(value) = setting else {
        return Ok(true);
    };
    match value.trim().to_ascii_lowercase().as_str() {
        "" | "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(Error::InvalidAutostart {
            value: value.to_string(),
        }),
    }
}

/// The autostart's decision, from `DB_AUTOSTART`, `DB_HOST`, and what answers at the address: asked
/// (through `probe`) only when a server could be started.
pub fn decide(
    setting: Option<&str>,
    host: &str,
    probe: impl FnOnce() -> Probe,
) -> Result<Autostart, Error> {
    if !autostart_enabled(setting)? {
        return Ok(Autostart::Off);
    }
    if !is_this_machine(host) {
        return Ok(Autostart::Elsewhere);
    }
    Ok(match probe() {
        Probe::Nothing(_) => Autostart::Start,
        answer => Autostart::Answers(answer),
    })
}

/// The autostart with `setting` as `DB_AUTOSTART` and the tool that `tool` makes for `config`:
/// [`crate::start_server_if_needed`] with the tool's settings from the environment, the tests with a
/// folder and a port of their own.
pub fn autostart(
    config: &Config,
    setting: Option<&str>,
    tool: impl FnOnce(Config) -> Result<Tool>,
) -> Result<Autostart, Error> {
    let decision = decide(setting, &config.host, || {
        probe(&config.host, config.port, PROBE_TIMEOUT)
    })?;
    if decision == Autostart::Start {
        let started = tool(config.clone()).and_then(|tool| tool.up());
        if let Err(err) = started {
            let source: Box<dyn std::error::Error + Send + Sync> = err.into();
            return Err(Error::Autostart {
                address: config.address(),
                source: source.into(),
            });
        }
        say(
            "the server keeps running when this program ends: `cargo run -p db -- down` stops it \
             (and DB_AUTOSTART=0 in .env stops programs from starting it)",
        );
    }
    Ok(decision)
}

/// The message for a `.db/` file this user may not read or write.
pub(crate) fn no_permission(file: &Path) -> String {
    format!(
        "cannot use {} (permission denied): this project's local server was set up by another user \
         (root?), so you can neither tell whether it is the server at DB_HOST:DB_PORT nor start, stop \
         or reset it; run the command as that user",
        file.display()
    )
}

/// Installs Debian's mariadb-server when that is possible here (root, apt-get) without starting its
/// system service; otherwise says how to install a server.
fn install_mariadb() -> Result<()> {
    let apt = Path::new("/usr/bin/apt-get");
    if !(cfg!(target_os = "linux") && is_root() && apt.exists()) {
        bail!(
            "no database server found (no mariadbd or mysqld), and no Docker engine answers. Either \
             start Docker Desktop, or install MariaDB:\n    \
             Debian/Ubuntu:  sudo apt-get update && sudo apt-get install -y mariadb-server\n    \
             macOS:          brew install mariadb\n    \
             Windows:        the MSI from https://mariadb.org/download (untick the Windows service)\n\
             and run `cargo run -p db -- up` again"
        );
    }
    say(
        "no mariadbd or mysqld found: installing Debian's mariadb-server (its system service is not started)",
    );
    // policy-rc.d answering 101 tells the package scripts not to start services.
    let policy = Path::new("/usr/sbin/policy-rc.d");
    let made_policy = !policy.exists();
    if made_policy {
        std::fs::write(policy, "#!/bin/sh\nexit 101\n")?;
        #[cfg(unix)]
        std::fs::set_permissions(policy, std::os::unix::fs::PermissionsExt::from_mode(0o755))?;
    }
    let apt_get = |args: &[&str]| {
        Command::new(apt)
            .args(args)
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .is_ok_and(|s| s.success())
    };
    let installed =
        apt_get(&["update", "-q"]) && apt_get(&["install", "-y", "-q", "mariadb-server"]);
    if made_policy {
        std::fs::remove_file(policy)?;
    }
    if !installed {
        bail!("apt-get could not install mariadb-server; see its output above");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::Cell;

    /// `decide` with a probe that answers `answer` and counts how often it was asked.
    fn decide_with(setting: Option<&str>, host: &str, answer: Probe) -> (Autostart, u32) {
        let asked = Cell::new(0);
        let decision = decide(setting, host, || {
            asked.set(asked.get() + 1);
            answer
        })
        .expect("a valid DB_AUTOSTART");
        (decision, asked.get())
    }

    fn nothing() -> Probe {
        Probe::Nothing("connection refused".into())
    }

    #[test]
    fn nothing_answering_on_this_machine_starts_the_server() {
        for host in ["127.0.0.1", "localhost", "::1"] {
            let (decision, asked) = decide_with(None, host, nothing());
            assert!(
                decision == Autostart::Start && asked == 1,
                "nothing answers on {host}: expected one look and a start, got {decision:?} after {asked} look(s)"
            );
        }
    }

    #[test]
    fn a_server_that_answers_usable_or_not_is_left_alone() {
        let answers = [
            Probe::MySql {
                version: "10.11.6-MariaDB".into(),
            },
            Probe::Refusing("Too many connections".into()),
            Probe::NotMySql("it closed the connection without a MySQL greeting".into()),
        ];
        for answer in answers {
            let (decision, _) = decide_with(None, "127.0.0.1", answer.clone());
            assert!(
                decision == Autostart::Answers(answer.clone()),
                "when {answer} nothing may be started (the connection says what is wrong), got {decision:?}"
            );
        }
    }

    #[test]
    fn a_server_on_another_machine_is_neither_probed_nor_started() {
        for host in ["db.example.com", "10.0.0.5", "127.0.0.2"] {
            let (decision, asked) = decide_with(None, host, nothing());
            assert!(
                decision == Autostart::Elsewhere && asked == 0,
                "DB_HOST={host} is not this machine: expected no look and no start, got {decision:?} after {asked} look(s)"
            );
        }
    }

    #[test]
    fn db_autostart_0_starts_nothing_and_1_or_unset_may() {
        for off in ["0", "false", "No", "OFF", " 0 "] {
            let (decision, asked) = decide_with(Some(off), "127.0.0.1", nothing());
            assert!(
                decision == Autostart::Off && asked == 0,
                "DB_AUTOSTART={off:?} turns the start off, got {decision:?} after {asked} look(s)"
            );
        }
        for on in [
            None,
            Some(""),
            Some("1"),
            Some("true"),
            Some("YES"),
            Some("on"),
        ] {
            let (decision, _) = decide_with(on, "127.0.0.1", nothing());
            assert!(
                decision == Autostart::Start,
                "DB_AUTOSTART={on:?} leaves the start on, got {decision:?}"
            );
        }
    }

    #[test]
    fn a_db_autostart_that_is_neither_on_nor_off_is_refused_with_its_value() {
        let err = decide(Some("sometimes"), "127.0.0.1", nothing)
            .expect_err("DB_AUTOSTART=sometimes must be refused");
        assert!(
            matches!(&err, Error::InvalidAutostart { value } if value == "sometimes")
                && err.to_string().contains("\"sometimes\""),
            "the error must name DB_AUTOSTART's value, got: {err}"
        );
    }

    #[test]
    fn a_failed_start_says_where_nothing_answered_and_keeps_the_reason() {
        let config = Config::from_lookup(|key| match key {
            "DB_HOST" => Some("localhost".into()),
            // Port 1 on this machine: nothing listens there, and the tool below fails at once.
            "DB_PORT" => Some("1".into()),
            _ => None,
        })
        .unwrap();
        let err = autostart(&config, None, |_| bail!("no database server found (test)"))
            .expect_err("a tool that cannot start a server");
        let cause = std::error::Error::source(&err).map(ToString::to_string);
        assert!(
            matches!(&err, Error::Autostart { address, .. } if address == "localhost:1")
                && cause.as_deref() == Some("no database server found (test)"),
            "expected the address and the set-up's own reason as the cause, got: {err} / {cause:?}"
        );
    }
}
