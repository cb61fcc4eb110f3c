//! A local MariaDB/MySQL server that this project starts, with everything in one folder
//! (`.db/` in the project, ignored by git): data, log, pid file, socket, and the admin's password.
//!
//! The tool administers it over TCP as its own admin user `llmagent_admin`, with a password made on the
//! first `up` and kept in that folder. So "is this our server?" is answered by logging in, and every
//! admin action goes to the address it names, on Linux, macOS and Windows alike.

use std::collections::hash_map::RandomState;
use std::fs::{self, File, OpenOptions, TryLockError};
use std::hash::{BuildHasher, Hasher};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::Config;
use anyhow::{Context, Result, bail};
use mysql::prelude::Queryable;

use super::admin::{AdminLogin, connect_admin};
use super::probe::{PROBE_TIMEOUT, Probe, probe};
use super::say;

/// The admin user the tool creates in a server it starts.
pub const ADMIN_USER: &str = "llmagent_admin";

/// The project's local server folder and the files in it.
pub struct LocalServer {
    dir: PathBuf,
}

/// What the folder says about a server started from it.
#[derive(Debug, PartialEq, Eq)]
pub enum Ownership {
    /// The server at the address accepts this folder's admin password: this project started it.
    Ours,
    /// No server started from this folder answers at the address.
    NotOurs,
    /// This folder's files cannot be read by the current user (another user started the server).
    NoPermission(PathBuf),
}

impl LocalServer {
    pub fn new(dir: impl Into<PathBuf>) -> LocalServer {
        LocalServer { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
    pub fn data_dir(&self) -> PathBuf {
        self.dir.join("data")
    }
    pub fn log_file(&self) -> PathBuf {
        self.dir.join("mysqld.log")
    }
    fn pid_file(&self) -> PathBuf {
        self.dir.join("mysqld.pid")
    }
    fn port_file(&self) -> PathBuf {
        self.dir.join("port")
    }
    fn secret_file(&self) -> PathBuf {
        self.dir.join("admin-password")
    }
    /// The server's temporary files, in its own folder: two servers set up at once (two data folders,
    /// as the tests do) otherwise share the system's, and one's start-up removed the other's files.
    fn tmp_dir(&self) -> Result<PathBuf> {
        let tmp = self.dir.join("tmp");
        fs::create_dir_all(&tmp).with_context(|| format!("cannot create {}", tmp.display()))?;
        Ok(tmp)
    }

    /// The port the server was last started on, if it was.
    pub fn recorded_port(&self) -> Option<u16> {
        fs::read_to_string(self.port_file())
            .ok()?
            .trim()
            .parse()
            .ok()
    }

    /// The pid the running (or crashed) server wrote, if any.
    pub fn recorded_pid(&self) -> Option<String> {
        let pid = fs::read_to_string(self.pid_file()).ok()?;
        Some(pid.trim().to_string())
    }

    /// The admin login for this folder's server, if the folder has one.
    pub fn admin_login(&self) -> io::Result<Option<AdminLogin>> {
        match fs::read_to_string(self.secret_file()) {
            Ok(password) => Ok(Some(AdminLogin {
                user: ADMIN_USER.into(),
                password: password.trim().to_string(),
            })),
            Err(err) if err.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(err) => Err(err),
        }
    }

    /// Whether the server at `config`'s address is the one this folder started.
    pub fn ownership(&self, config: &Config) -> Ownership {
        match self.admin_login() {
            Ok(Some(login)) if connect_admin(config, &login).is_ok() => Ownership::Ours,
            Ok(_) => Ownership::NotOurs,
            Err(err) if err.kind() == io::ErrorKind::PermissionDenied => {
                Ownership::NoPermission(self.secret_file())
            }
            Err(_) => Ownership::NotOurs,
        }
    }

    /// Takes the folder's lock, waiting up to `wait` while another `up` holds it. The operating
    /// system releases it when this process ends, however it ends.
    pub fn lock(&self, wait: Duration) -> Result<File> {
        fs::create_dir_all(&self.dir)
            .with_context(|| format!("cannot create {}", self.dir.display()))?;
        let path = self.dir.join("up.lock");
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|err| match err.kind() {
                io::ErrorKind::PermissionDenied => anyhow::anyhow!(super::no_permission(&path)),
                _ => anyhow::Error::new(err).context(format!("cannot open {}", path.display())),
            })?;
        let deadline = Instant::now() + wait;
        let mut said = false;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(file),
                Err(TryLockError::WouldBlock) => {
                    if Instant::now() >= deadline {
                        bail!(
                            "another `cargo run -p db -- up` still holds {} after {}s; wait for it to \
                             finish, or stop it (Ctrl-C) and run up again",
                            path.display(),
                            wait.as_secs()
                        );
                    }
                    if !said {
                        say(format!(
                            "another `up` is setting up the server in {}: waiting up to {}s for it ...",
                            self.dir.display(),
                            wait.as_secs()
                        ));
                        said = true;
                    }
                    thread::sleep(Duration::from_millis(300));
                }
                Err(TryLockError::Error(err)) => {
                    return Err(err).with_context(|| format!("cannot lock {}", path.display()));
                }
            }
        }
    }

    /// Creates the data folder if needed and starts the server on 127.0.0.1:`config.port`, waiting
    /// up to `wait` for it to greet. `options` are the server options of its role (a primary's
    /// binary log, a replica's server id). Call with the folder's lock held.
    pub fn start(
        &self,
        server: &ServerBinary,
        config: &Config,
        wait: Duration,
        options: &[String],
    ) -> Result<()> {
        let password = self.ensure_secret()?;
        if !self.data_dir().join("mysql").is_dir() {
            self.initialize(server)?;
        }
        // Run at every start: creates or repairs the admin user (also in a data folder made by an
        // older set-up). Deleted once the server is up: it holds the admin's password.
        let init_file = self.dir.join("init.sql");
        write_private(&init_file, &admin_init_sql(&password))?;
        let files = self.dir.join("files");
        fs::create_dir_all(&files)?;

        let mut command = Command::new(&server.path);
        command
            .arg("--no-defaults")
            .arg(arg("--datadir=", &self.data_dir()))
            .arg(arg("--log-error=", &self.log_file()))
            .arg(arg("--pid-file=", &self.pid_file()))
            .arg(arg("--init-file=", &init_file))
            // mysqld aborts when --secure-file-priv names a folder that does not exist.
            .arg(arg("--secure-file-priv=", &files))
            .arg(arg("--tmpdir=", &self.tmp_dir()?))
            .arg(format!("--port={}", config.port))
            .arg("--bind-address=127.0.0.1")
            .args([
                "--character-set-server=utf8mb4",
                "--collation-server=utf8mb4_unicode_520_ci",
            ])
            .arg("--max-connections=500")
            // MySQL's X protocol would listen on 33060 too; `loose-`: MariaDB does not know the option.
            .arg("--loose-mysqlx=OFF")
            .args(options);
        if cfg!(unix) {
            // Some socket is always opened; the default folder may not exist or not be writable.
            command.arg(arg("--socket=", &self.dir.join("mysqld.sock")));
        }
        if is_root() {
            command.arg("--user=root"); // the server refuses to run as root unless told to
        }
        say(format!(
            "starting {} on 127.0.0.1:{} (data and log in {})",
            server.version,
            config.port,
            self.dir.display()
        ));
        fs::write(self.port_file(), config.port.to_string())?;
        let mut child = spawn_detached(command, &self.log_file())?;

        say(format!(
            "waiting up to {}s for the server to accept connections on 127.0.0.1:{} ...",
            wait.as_secs(),
            config.port
        ));
        let outcome = self.wait_until_up(&mut child, config, wait);
        let _ = fs::remove_file(&init_file);
        outcome
    }

    fn wait_until_up(&self, child: &mut Child, config: &Config, wait: Duration) -> Result<()> {
        let deadline = Instant::now() + wait;
        loop {
            if let Probe::MySql { .. } = probe("127.0.0.1", config.port, PROBE_TIMEOUT) {
                return Ok(());
            }
            if let Ok(Some(status)) = child.try_wait() {
                bail!(
                    "the local server exited while starting ({status}){}",
                    log_tail(&self.log_file())
                );
            }
            if Instant::now() >= deadline {
                let _ = child.kill();
                bail!(
                    "the local server did not answer within {}s, and was stopped{}",
                    wait.as_secs(),
                    log_tail(&self.log_file())
                );
            }
            thread::sleep(Duration::from_millis(500));
        }
    }

    fn initialize(&self, server: &ServerBinary) -> Result<()> {
        let data = self.data_dir();
        say(format!("creating a new data folder in {}", data.display()));
        if data.exists() {
            fs::remove_dir_all(&data)?; // a half-made folder from an interrupted first start
        }
        let mut command = match server.kind {
            Kind::MySql => {
                let mut command = Command::new(&server.path);
                command
                    .args(["--no-defaults", "--initialize-insecure"])
                    .arg(arg("--tmpdir=", &self.tmp_dir()?))
                    .arg(arg("--datadir=", &data));
                command
            }
            Kind::MariaDb => {
                let tool = server.install_db().context(
                    "found mariadbd but not mariadb-install-db beside it, which creates its data folder",
                )?;
                let mut command = Command::new(tool);
                if cfg!(windows) {
                    // Windows' mariadb-install-db is another program, with fewer options.
                    command.arg(arg("--datadir=", &data));
                } else {
                    command
                        .args(["--no-defaults", "--skip-test-db"])
                        .arg(arg("--tmpdir=", &self.tmp_dir()?))
                        .arg(arg("--datadir=", &data));
                }
                command
            }
        };
        if is_root() {
            command.arg("--user=root");
        }
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_file())?;
        let status = command
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .status()
            .with_context(|| format!("cannot run {:?}", command.get_program()))?;
        if !status.success() {
            bail!(
                "creating the data folder failed ({status}){}",
                log_tail(&self.log_file())
            );
        }
        Ok(())
    }

    /// The password of the replication user that `up --replica` gives the primary, made once and
    /// kept in this folder (only its owner may read it): wiring a replica again must not change the
    /// password another running replica logs in with.
    pub fn replication_password(&self) -> Result<String> {
        let file = self.dir.join("replication-password");
        if let Ok(password) = fs::read_to_string(&file)
            && !password.trim().is_empty()
        {
            return Ok(password.trim().to_string());
        }
        fs::create_dir_all(&self.dir)?;
        let password = random_password();
        write_private(&file, &password)?;
        Ok(password)
    }

    /// Gives this folder's server the admin password of `other`'s (a replica's admin is the
    /// primary's: one login for the pair, and nothing secret crosses replication).
    pub fn share_secret_of(&self, other: &LocalServer) -> Result<()> {
        fs::create_dir_all(&self.dir)?;
        let password = other.ensure_secret()?;
        write_private(&self.secret_file(), &password)
    }

    fn ensure_secret(&self) -> Result<String> {
        fs::create_dir_all(&self.dir)?;
        if let Some(login) = self.admin_login()? {
            return Ok(login.password);
        }
        let password = random_password();
        write_private(&self.secret_file(), &password)?;
        Ok(password)
    }

    /// Stops the server at `config`'s address, which must be ours, and waits for it to exit.
    pub fn stop(&self, config: &Config, wait: Duration) -> Result<()> {
        let login = self
            .admin_login()?
            .context("no admin password in the folder")?;
        let mut admin = connect_admin(config, &login)?;
        say(format!("stopping the local server on {}", config.address()));
        // SHUTDOWN ends the session before it can answer: an error here is expected.
        let _ = admin.query_drop("SHUTDOWN");
        let deadline = Instant::now() + wait;
        say(format!(
            "waiting up to {}s for it to exit ...",
            wait.as_secs()
        ));
        // The pid file goes when the server has finished shutting down.
        while probe(&config.host, config.port, PROBE_TIMEOUT).is_mysql() || self.pid_file().exists()
        {
            if Instant::now() >= deadline {
                bail!(
                    "the local server (pid {}) is still running after {}s{}",
                    self.recorded_pid().unwrap_or_default(),
                    wait.as_secs(),
                    log_tail(&self.log_file())
                );
            }
            thread::sleep(Duration::from_millis(300));
        }
        Ok(())
    }
}

/// The statements the server runs at start-up (`--init-file`): the tool's admin, over TCP from this
/// machine only. The password is hex digits (see [`random_password`]): nothing to escape.
fn admin_init_sql(password: &str) -> String {
    // Out of the binary log: MariaDB writes an account statement there as it was given, password
    // and all, and a replica has its own admin (made by its own start) anyway.
    let out_of_the_log = std::iter::once("SET SESSION sql_log_bin = 0;\n".to_string());
    let accounts = ["localhost", "127.0.0.1", "::1"].iter().map(|host| {
        format!(
            "CREATE USER IF NOT EXISTS '{ADMIN_USER}'@'{host}' IDENTIFIED BY '{password}';\n\
                 ALTER USER '{ADMIN_USER}'@'{host}' IDENTIFIED BY '{password}';\n\
                 GRANT ALL PRIVILEGES ON *.* TO '{ADMIN_USER}'@'{host}' WITH GRANT OPTION;\n"
        )
    });
    out_of_the_log.chain(accounts).collect()
}

/// 128 random bits as hex. std's RandomState is seeded from the operating system's randomness.
fn random_password() -> String {
    (0..2)
        .map(|i| {
            let mut hasher = RandomState::new().build_hasher();
            hasher.write_u32(i);
            format!("{:016x}", hasher.finish())
        })
        .collect()
}

/// Writes a file only its owner may read (on Unix; on Windows the user's folders are private).
fn write_private(path: &Path, text: &str) -> Result<()> {
    let mut options = OpenOptions::new();
    options.create(true).write(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options
        .open(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    file.write_all(text.as_bytes())?;
    Ok(())
}

/// `--name=` followed by a path, as one argument (no shell: spaces in the path are fine).
fn arg(name: &str, path: &Path) -> std::ffi::OsString {
    let mut arg = std::ffi::OsString::from(name);
    arg.push(path);
    arg
}

/// Starts the server so that it outlives this tool and the terminal's Ctrl-C.
fn spawn_detached(mut command: Command, log: &Path) -> Result<Child> {
    let log = OpenOptions::new().create(true).append(true).open(log)?;
    command
        .stdin(Stdio::null())
        .stdout(log.try_clone()?)
        .stderr(log);
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    #[cfg(windows)]
    {
        const CREATE_NEW_PROCESS_GROUP: u32 = 0x0000_0200;
        const DETACHED_PROCESS: u32 = 0x0000_0008;
        std::os::windows::process::CommandExt::creation_flags(
            &mut command,
            CREATE_NEW_PROCESS_GROUP | DETACHED_PROCESS,
        );
    }
    command
        .spawn()
        .with_context(|| format!("cannot start {:?}", command.get_program()))
}

/// The last lines of the server's log, to show with a failure.
pub fn log_tail(log: &Path) -> String {
    match fs::read_to_string(log) {
        Ok(text) => {
            let lines: Vec<&str> = text.lines().collect();
            let tail = lines[lines.len().saturating_sub(25)..].join("\n");
            format!("\n--- last lines of {} ---\n{tail}\n---", log.display())
        }
        Err(_) => String::new(),
    }
}

/// Whether this process runs as root (Unix); root must say so to the server and may install it.
pub fn is_root() -> bool {
    cfg!(unix)
        && Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|out| out.stdout.trim_ascii() == b"0")
}

/// Which server program was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    MariaDb,
    MySql,
}

/// A server program on this machine.
#[derive(Debug, Clone)]
pub struct ServerBinary {
    pub path: PathBuf,
    pub kind: Kind,
    /// What `--version` says, e.g. `mariadbd  Ver 10.11.6-MariaDB-0+deb12u1 for debian-linux-gnu`.
    pub version: String,
}

impl ServerBinary {
    /// The first `mariadbd` or `mysqld` found on PATH or in the usual install folders.
    pub fn find() -> Option<ServerBinary> {
        let path = ["mariadbd", "mysqld"]
            .iter()
            .find_map(|name| find_program(name))?;
        let out = Command::new(&path).arg("--version").output().ok()?;
        let version = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let kind = if version.to_ascii_lowercase().contains("mariadb") {
            Kind::MariaDb
        } else {
            Kind::MySql
        };
        Some(ServerBinary {
            path,
            kind,
            version,
        })
    }

    /// MariaDB's data-folder maker, next to the server or on PATH.
    fn install_db(&self) -> Option<PathBuf> {
        let names = ["mariadb-install-db", "mysql_install_db"];
        let beside = self.path.parent().map(Path::to_path_buf);
        names
            .iter()
            .find_map(|name| beside.as_deref().and_then(|dir| executable_in(dir, name)))
            .or_else(|| names.iter().find_map(|name| find_program(name)))
    }
}

/// A program on PATH, or in the folders where packages put database servers.
fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(install_folders())
        .find_map(|dir| executable_in(&dir, name))
}

fn executable_in(dir: &Path, name: &str) -> Option<PathBuf> {
    let file = dir.join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    file.is_file().then_some(file)
}

/// Where installers put servers outside PATH: /usr/sbin on Linux, Homebrew and the MySQL package on
/// macOS, `C:\Program Files\MariaDB 11.4\bin` and `C:\Program Files\MySQL\MySQL Server 9.7\bin` on Windows.
fn install_folders() -> Vec<PathBuf> {
    let mut folders: Vec<PathBuf> = [
        "/usr/sbin",
        "/usr/bin",
        "/usr/local/sbin",
        "/usr/local/bin",
        "/opt/homebrew/bin",
        "/usr/local/mysql/bin",
    ]
    .iter()
    .map(PathBuf::from)
    .collect();
    for program_files in ["ProgramFiles", "ProgramW6432"]
        .iter()
        .filter_map(std::env::var_os)
    {
        let program_files = PathBuf::from(program_files);
        let mysql = program_files.join("MySQL");
        for parent in [&program_files, &mysql] {
            let Ok(entries) = fs::read_dir(parent) else {
                continue;
            };
            let mut found: Vec<PathBuf> = entries
                .filter_map(|e| e.ok())
                .filter(|e| {
                    let name = e.file_name().to_string_lossy().to_ascii_lowercase();
                    name.starts_with("mariadb") || name.starts_with("mysql server")
                })
                .map(|e| e.path().join("bin"))
                .collect();
            found.sort(); // newest version last
            folders.extend(found.into_iter().rev());
        }
    }
    folders
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_admin_password_is_new_each_time_and_needs_no_quoting() {
        let (a, b) = (random_password(), random_password());
        assert!(a != b, "two passwords must differ: {a} {b}");
        assert!(
            a.len() == 32 && a.chars().all(|c| c.is_ascii_hexdigit()),
            "the password must be 32 hex digits, got {a}"
        );
    }

    #[test]
    fn the_init_file_creates_the_admin_for_each_loopback_name() {
        let sql = admin_init_sql("abc123");
        for host in ["localhost", "127.0.0.1", "::1"] {
            assert!(
                sql.contains(&format!(
                    "CREATE USER IF NOT EXISTS '{ADMIN_USER}'@'{host}'"
                )),
                "the admin must be created for {host}:\n{sql}"
            );
        }
        assert!(
            !sql.contains("'%'"),
            "the admin must not be reachable from other machines:\n{sql}"
        );
    }

    #[test]
    fn a_folder_without_a_password_owns_no_server() {
        let dir = std::env::temp_dir().join(format!("db-tool-empty-{}", std::process::id()));
        let local = LocalServer::new(&dir);
        let config = Config::from_lookup(|_| None).unwrap();
        assert!(
            local.ownership(&config) == Ownership::NotOurs,
            "without .db/admin-password no server can be ours"
        );
    }

    #[test]
    fn a_second_lock_on_the_folder_waits_and_then_refuses() {
        let dir = std::env::temp_dir().join(format!("db-tool-lock-{}", std::process::id()));
        let local = LocalServer::new(&dir);
        let _held = local.lock(Duration::from_secs(1)).expect("the first lock");
        let second = local.lock(Duration::from_millis(400));
        let _ = fs::remove_dir_all(&dir);
        let err = second.expect_err("a second up must not get the lock while the first holds it");
        assert!(
            err.to_string().contains("still holds"),
            "the refusal must say another up holds the lock, got: {err}"
        );
    }
}
