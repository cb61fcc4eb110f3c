//! `up --replica`, and what `status`, `down` and `reset` do about the replica: the set-up tool's
//! side of [`super::replica`], on servers this project started (a local pair in `.db/` and
//! `.db/replica/`, or Docker's `db` and `replica` services). On a server someone else runs, it
//! prints what that server's admin would run, and changes nothing.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use mysql::Conn;
use mysql::prelude::Queryable;

use super::admin::{self, AdminLogin, connect_admin};
use super::docker::Engine;
use super::local::{LocalServer, Ownership, ServerBinary};
use super::probe::{PROBE_TIMEOUT, Probe, probe};
use super::replica::{self, Flavor, PrimaryLog, ReplicationState, Source, Wiring};
use super::{Tool, flavor_of, is_this_machine, no_permission, say};

/// Which of this project's servers the primary is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Started {
    Local,
    Docker,
}

impl Tool {
    /// The replica's local server folder: `replica/` inside the primary's (`.db/replica/`).
    pub fn replica_local(&self) -> LocalServer {
        LocalServer::new(self.local.dir().join("replica"))
    }

    /// `up --replica`: the primary as `up` makes it, with its binary log on, then a read-only
    /// replica at DB_REPLICA_HOST:DB_REPLICA_PORT that follows it by GTID, caught up. Safe to run
    /// again: a replica that replicates is left as it is.
    pub fn up_with_replica(&self) -> Result<()> {
        let started = Instant::now();
        crate::check_database_name(&self.config.database)?;
        // The "replica" would be the primary itself, and copying the data onto it would first
        // drop the primary's databases. localhost, 127.0.0.1 and ::1 are one machine.
        let replica = self.config.replica();
        let same_host = replica.host == self.config.host
            || (is_this_machine(&replica.host) && self.host_is_local());
        if same_host && replica.port == self.config.port {
            bail!(
                "DB_REPLICA_PORT is DB_PORT ({}): a replica needs a port of its own",
                replica.address()
            );
        }
        let _lock = self.local.lock(self.wait)?;
        self.up_primary()?;
        self.say_ready();
        self.up_replica_locked(started)
    }

    fn replica_address(&self) -> String {
        self.config.replica().address()
    }

    /// Which of this project's servers answers at DB_PORT, if one does.
    fn started_primary(&self) -> Result<Option<Started>> {
        if !self.host_is_local() {
            return Ok(None);
        }
        match self.local.ownership(&self.config) {
            Ownership::Ours => return Ok(Some(Started::Local)),
            Ownership::NoPermission(file) => bail!(no_permission(&file)),
            Ownership::NotOurs => {}
        }
        if self.docker_engine() == Engine::Answers
            && self.compose().running_port() == Some(self.config.port)
        {
            return Ok(Some(Started::Docker));
        }
        Ok(None)
    }

    fn up_replica_locked(&self, started: Instant) -> Result<()> {
        let replica_config = self.config.replica();
        let Some(kind) = self.started_primary()? else {
            return self.replica_of_someone_elses_server();
        };
        let (mut primary, flavor) = self.primary_with_binlog(kind)?;
        if !is_this_machine(&replica_config.host) {
            bail!(
                "DB_REPLICA_HOST is {}, another machine: this tool starts a replica on this machine \
                 only. Unset DB_REPLICA_HOST, or ask that machine's admin:\n{}",
                replica_config.host,
                replica::admin_instructions(flavor, &self.config, &replica_config)
            );
        }
        let mut replica = self.replica_server(kind, flavor)?;
        let source = match kind {
            // The replica reaches the primary as any local client does.
            Started::Local => ("127.0.0.1".to_string(), self.config.port),
            Started::Docker => (
                replica::DOCKER_PRIMARY.0.to_string(),
                replica::DOCKER_PRIMARY.1,
            ),
        };
        let has_database: Option<String> = replica.exec_first(
            "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?",
            (&self.config.database,),
        )?;
        let state = ReplicationState::read(&mut replica)?;
        let source_address = format!("{}:{}", source.0, source.1);
        match (
            Wiring::decide(state.as_ref(), has_database.is_some(), &source_address),
            state,
        ) {
            (Wiring::Leave, Some(state)) => say(format!(
                "the replica on {} already replicates ({state})",
                self.replica_address()
            )),
            (Wiring::Restart, Some(state)) => {
                replica.query_drop("START REPLICA")?;
                say(format!(
                    "the replica was not replicating ({state}): started its replication again"
                ));
            }
            (_, state) => {
                if let Some(state) = state {
                    say(format!(
                        "the replica's replication cannot go on ({state}): copying the data again"
                    ));
                }
                self.wire(&mut primary, &mut replica, flavor, &source)?;
            }
        }
        // MySQL's super_read_only refuses even the admin's account statements: off for them.
        replica::allow_admin_writes(&mut replica, flavor)?;
        self.replica_accounts(&mut replica, flavor)?;
        replica::make_read_only(&mut replica, flavor, kind == Started::Docker)?;
        let caught_up = replica::wait_caught_up(&mut primary, &mut replica, flavor, self.wait)?;
        say(format!(
            "replica ready: {}@{}/{}, read-only, following {} by GTID; caught up {:.1}s after the \
             primary's last write was read (the whole `up --replica`: {:.1}s)",
            self.config.user,
            self.replica_address(),
            self.config.database,
            self.address(),
            caught_up.as_secs_f64(),
            started.elapsed().as_secs_f64()
        ));
        Ok(())
    }

    /// The admin connection to this project's primary and its flavour, restarted first with the
    /// binary log if it runs without.
    fn primary_with_binlog(&self, kind: Started) -> Result<(Conn, Flavor)> {
        let mut primary = self
            .admin_of_running_server()?
            .context("the primary was started by this project, so its admin logs in")?;
        let flavor = Flavor::of(&mut primary)?;
        if !PrimaryLog::read(&mut primary, flavor)?.is_ready() {
            primary = self.restart_primary_with_binlog(kind, flavor)?;
        }
        Ok((primary, flavor))
    }

    /// The primary runs without the binary log that a replica reads (started by an older set-up):
    /// restarted with it, data kept. Connections to it drop for the few seconds this takes.
    fn restart_primary_with_binlog(&self, kind: Started, flavor: Flavor) -> Result<Conn> {
        say(format!(
            "the primary on {} runs without the binary log (GTIDs) that replication reads: restarting \
             it with the log on; its data stays, its open connections drop for a few seconds",
            self.address()
        ));
        match kind {
            Started::Local => {
                self.local.stop(&self.config, self.wait)?;
                let server =
                    ServerBinary::find().context("no mariadbd or mysqld found any more")?;
                self.local.start(
                    &server,
                    &self.config,
                    self.wait,
                    &replica::primary_options(flavor),
                )?;
            }
            // compose.yml names the options: `up` recreates the container when they changed.
            Started::Docker => self.compose().up(self.wait)?,
        }
        let mut primary = self
            .admin_of_running_server()?
            .context("the restarted primary's admin cannot log in")?;
        if !PrimaryLog::read(&mut primary, flavor)?.is_ready() {
            bail!(
                "the primary on {} still runs without its binary log and GTIDs after a restart",
                self.address()
            );
        }
        say("the primary runs with its binary log on");
        Ok(primary)
    }

    /// The admin of the replica server this project runs at DB_REPLICA_PORT, started first if
    /// nothing answers there.
    fn replica_server(&self, kind: Started, flavor: Flavor) -> Result<Conn> {
        let replica_config = self.config.replica();
        let address = self.replica_address();
        match probe(&replica_config.host, replica_config.port, PROBE_TIMEOUT) {
            Probe::MySql { .. } => {
                if let Some(admin) = self.replica_admin(kind)? {
                    return Ok(admin);
                }
                bail!(
                    "a MySQL server that this project did not start answers on {address}, where the \
                     replica belongs: set DB_REPLICA_PORT to a free port (in .env), or stop that server"
                );
            }
            Probe::Refusing(message) => {
                bail!("the server on {address} refuses new connections ({message}); try again")
            }
            Probe::NotMySql(what) => bail!(
                "something that is not a MySQL server listens on {address} ({what}): set \
                 DB_REPLICA_PORT to a free port (in .env), or stop that program"
            ),
            Probe::Nothing(_) => {}
        }
        say(format!("no replica answers on {address}: starting one"));
        match kind {
            Started::Docker => self.compose().up_replica(self.wait)?,
            Started::Local => self.start_local_replica(flavor)?,
        }
        self.replica_admin(kind)?.with_context(|| {
            format!("the replica started on {address}, but its admin cannot log in")
        })
    }

    /// Starts this project's local replica (`.db/replica/`) at DB_REPLICA_PORT, with the
    /// primary's admin password and the same server program.
    fn start_local_replica(&self, flavor: Flavor) -> Result<()> {
        let replica_config = self.config.replica();
        let folder = self.replica_local();
        if let (Some(port), Some(pid)) = (folder.recorded_port(), folder.recorded_pid())
            && port != replica_config.port
            && probe("127.0.0.1", port, PROBE_TIMEOUT).is_mysql()
        {
            bail!(
                "this project's replica (pid {pid}, data in {}) runs on 127.0.0.1:{port}, but \
                 DB_REPLICA_PORT is {}: set DB_REPLICA_PORT={port}, or stop it first",
                folder.dir().display(),
                replica_config.port
            );
        }
        folder.share_secret_of(&self.local)?;
        let server = ServerBinary::find().context("no mariadbd or mysqld found")?;
        if flavor_of(&server) != flavor {
            bail!(
                "the primary is {flavor:?} but the server program here is {}: a replica must \
                 be the same server",
                server.version
            );
        }
        folder.start(
            &server,
            &replica_config,
            self.wait,
            &replica::replica_options(flavor),
        )?;
        Ok(())
    }

    /// The replica's admin login, if this project runs the replica: the local folder's (the
    /// primary's password), or Docker's root.
    fn replica_admin(&self, kind: Started) -> Result<Option<Conn>> {
        let replica_config = self.config.replica();
        let login = match kind {
            Started::Local => match self.replica_local().admin_login()? {
                Some(login) => login,
                None => return Ok(None),
            },
            Started::Docker => {
                if self.compose().replica_running_port() != Some(replica_config.port) {
                    return Ok(None);
                }
                AdminLogin {
                    user: "root".into(),
                    password: self.root_password.clone(),
                }
            }
        };
        Ok(connect_admin(&replica_config, &login).ok())
    }

    /// Copies the data and starts replication, with a new replication user's password.
    fn wire(
        &self,
        primary: &mut Conn,
        replica: &mut Conn,
        flavor: Flavor,
        source: &(String, u16),
    ) -> Result<()> {
        say(format!(
            "copying database '{}' and the tests' databases from {} to the replica on {}",
            self.config.database,
            self.address(),
            self.replica_address()
        ));
        let password = self.local.replication_password()?;
        replica::ensure_replication_user(primary, &password)?;
        replica.query_drop("STOP REPLICA")?;
        replica::allow_admin_writes(replica, flavor)?;
        let position = replica::copy_data(primary, replica, flavor, &self.config.database)?;
        replica::connect_replica(
            replica,
            flavor,
            &Source {
                host: &source.0,
                port: source.1,
                password: &password,
            },
            &position,
        )?;
        say(format!(
            "the replica follows {}:{} by GTID as user '{}' (REPLICATION SLAVE only)",
            source.0,
            source.1,
            replica::REPLICATION_USER
        ));
        Ok(())
    }

    /// The course's user on the replica ([`replica::replica_account_statements`]), and no
    /// anonymous user to shadow it (MariaDB's install makes one), out of the replica's binary log.
    fn replica_accounts(&self, replica: &mut Conn, flavor: Flavor) -> Result<()> {
        replica.query_drop("SET SESSION sql_log_bin = 0")?;
        let anonymous: Vec<String> =
            replica.query("SELECT Host FROM mysql.user WHERE User = ''")?;
        for host in anonymous {
            replica.query_drop(format!("DROP USER ''@{}", admin::sql_string(&host)))?;
        }
        for statement in replica::replica_account_statements(flavor, &self.config) {
            replica
                .query_drop(statement)
                .map_err(replica::without_statement)
                .context("giving the course's user its account on the replica")?;
        }
        Ok(())
    }

    /// The primary is not this project's: print what its admin would do, change nothing. A replica
    /// that already answers with the course's database, read-only, is fine.
    fn replica_of_someone_elses_server(&self) -> Result<()> {
        let replica_config = self.config.replica();
        let flavor = match probe(&self.config.host, self.config.port, PROBE_TIMEOUT) {
            Probe::MySql { version } => Flavor::of_version(&version),
            other => bail!("{}: {other}", self.address()),
        };
        // As the course's user: read-only, with the course database (the connection chooses
        // it), the same server, following this primary as far as the user can see.
        let seen = (|| -> Result<(bool, Option<ReplicationState>)> {
            let mut replica = crate::connect(&replica_config)?;
            replica::replica_of(
                &self.config,
                &mut crate::connect(&self.config)?,
                &mut replica,
            )?;
            let read_only: Option<bool> = replica.query_first("SELECT @@read_only")?;
            Ok((
                read_only == Some(true),
                ReplicationState::read(&mut replica).ok().flatten(),
            ))
        })();
        if let Ok((true, state)) = seen {
            say(format!(
                "a read-only replica with database '{}' answers on {} ({}); this project did not \
                 set it up, so nothing was changed",
                self.config.database,
                replica_config.address(),
                state.map_or(
                    "its replication state is not visible to this user".into(),
                    |s| { s.to_string() }
                )
            ));
            say(format!(
                "replica ready: {}@{}/{}",
                self.config.user,
                replica_config.address(),
                self.config.database
            ));
            return Ok(());
        }
        bail!(
            "the primary at {} was not started by this project, so this tool changes nothing there \
             and starts no replica for it. Its admin would set one up like this:\n{}",
            self.address(),
            replica::admin_instructions(flavor, &self.config, &replica_config)
        );
    }

    /// `status`'s lines about the replica: what answers at DB_REPLICA_PORT, whether this project
    /// started it, and its replication (as the course's user sees it).
    pub fn replica_status(&self) -> Result<()> {
        let replica_config = self.config.replica();
        let address = self.replica_address();
        let folder = self.replica_local();
        let target = probe(&replica_config.host, replica_config.port, PROBE_TIMEOUT);
        let ours = is_this_machine(&replica_config.host)
            && folder.ownership(&replica_config) == Ownership::Ours;
        if !target.is_mysql() && !self.config.replica_set && folder.recorded_port().is_none() {
            say(format!(
                "replica: none set up ({address}: nothing answers); `cargo run -p db -- up --replica` starts one"
            ));
            return Ok(());
        }
        say(format!("replica {address}: {target}"));
        if ours {
            say(format!(
                "replica started by this project: a local server, pid {}, data in {}, log {}",
                folder.recorded_pid().unwrap_or_else(|| "?".into()),
                folder.data_dir().display(),
                folder.log_file().display()
            ));
        } else if target.is_mysql()
            && is_this_machine(&replica_config.host)
            && self.docker_engine() == Engine::Answers
            && self.compose().replica_running_port() == Some(replica_config.port)
        {
            say("replica started by this project: the Docker container of service `replica`");
        }
        if !target.is_mysql() {
            return Ok(());
        }
        let seen = (|| -> Result<(Option<ReplicationState>, bool)> {
            let mut conn = crate::connect(&replica_config)?;
            let read_only: Option<bool> = conn.query_first("SELECT @@read_only")?;
            Ok((ReplicationState::read(&mut conn)?, read_only == Some(true)))
        })();
        match seen {
            Ok((Some(state), read_only)) => {
                say(format!(
                    "replica: {state}{}",
                    if read_only {
                        "; read-only"
                    } else {
                        "; NOT read-only"
                    }
                ));
                if state.sql_running {
                    match self.measure_lag() {
                        Ok(lag) => say(format!("replica lag now: {:.3}s", lag.as_secs_f64())),
                        Err(err) => say(format!("replica lag: not measured: {err:#}")),
                    }
                }
            }
            Ok((None, _)) => say("replica: the server there replicates from nothing"),
            Err(err) => say(format!(
                "replica: its replication state is not visible to user '{}' ({err:#})",
                self.config.user
            )),
        }
        Ok(())
    }

    /// How long the replica takes to apply what the primary has written until now, as the course's
    /// user sees it on both.
    pub fn measure_lag(&self) -> Result<Duration> {
        let mut primary = crate::connect(&self.config)?;
        let mut replica = crate::connect(&self.config.replica())?;
        let flavor = replica::replica_of(&self.config, &mut primary, &mut replica)?;
        replica::wait_caught_up(&mut primary, &mut replica, flavor, Duration::from_secs(30))
    }

    /// `status --replica`: measures the replica's lag (writes on the primary, each timed until the
    /// replica applied it) and compares the course database on both servers (rows and
    /// `CHECKSUM TABLE` per table) and the list of test databases. Returns whether they match.
    /// As the course's user; it changes nothing but a throwaway test database of its own.
    pub fn check_replica(&self) -> Result<bool> {
        let mut primary = crate::connect(&self.config.with_database(""))?;
        let mut replica =
            crate::connect(&self.config.replica().with_database("")).with_context(|| {
                format!(
                    "no replica to check at {} (`cargo run -p db -- up --replica` starts one)",
                    self.replica_address()
                )
            })?;
        let flavor = replica::replica_of(&self.config, &mut primary, &mut replica)?;

        let lags = self.sample_lag(&mut primary, &mut replica, flavor)?;
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        say(format!(
            "replica lag: {} writes on the primary, each applied on the replica after median {:.1} ms, max {:.1} ms",
            lags.len(),
            ms(lags[lags.len() / 2]),
            ms(lags[lags.len() - 1])
        ));

        replica::wait_caught_up(&mut primary, &mut replica, flavor, self.wait)?;
        let same = self.same_data(&mut primary, &mut replica)?;
        say(if same {
            "replica check: nothing lost or duplicated: the replica's data matches the primary's"
        } else {
            "replica check: the replica's data DIFFERS from the primary's"
        });
        Ok(same)
    }

    /// Compares, on a caught-up replica, each table of the course database (rows and
    /// `CHECKSUM TABLE`) and the list of test databases, saying each verdict.
    fn same_data(&self, primary: &mut Conn, replica: &mut Conn) -> Result<bool> {
        let db = &self.config.database;
        let tables = replica::base_tables(primary, db)?;
        let mut same = true;
        for table in &tables {
            // Names from information_schema, in the course's database (plain names: no backtick).
            let count = format!("SELECT COUNT(*) FROM `{db}`.`{table}`");
            let checksum = format!("CHECKSUM TABLE `{db}`.`{table}`");
            let on = |conn: &mut Conn| -> Result<(u64, Option<u64>)> {
                let rows: Option<u64> = conn.query_first(&count)?;
                let sum: Option<(String, Option<u64>)> = conn.query_first(&checksum)?;
                Ok((rows.unwrap_or(0), sum.and_then(|(_, sum)| sum)))
            };
            let (p, r) = (on(primary)?, on(replica)?);
            let verdict = if p == r { "equal" } else { "DIFFERENT" };
            same &= p == r;
            say(format!(
                "replica check: {db}.{table}: {} row(s) on the primary, {} on the replica; checksums {verdict}",
                p.0, r.0
            ));
        }
        let test_databases = |conn: &mut Conn| -> Result<Vec<String>> {
            Ok(conn.exec(
                "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ? \
                 ORDER BY SCHEMA_NAME",
                (admin::TEST_DB_PATTERN,),
            )?)
        };
        let (p, r) = (test_databases(primary)?, test_databases(replica)?);
        if p != r {
            same = false;
            say(format!(
                "replica check: the test databases DIFFER: {} on the primary, {} on the replica",
                p.len(),
                r.len()
            ));
        }
        Ok(same)
    }

    /// 20 rows written one by one into a throwaway test database; for each, the time from the
    /// primary's commit until the replica applied it. Sorted, shortest first.
    fn sample_lag(
        &self,
        primary: &mut Conn,
        replica: &mut Conn,
        flavor: Flavor,
    ) -> Result<Vec<Duration>> {
        // A name of the tests' kind (the user may create those), with this process's id, so that a
        // run killed half-way is swept like a test run's.
        let name = format!("{}{}_lag", super::TEST_DB_PREFIX, std::process::id());
        primary.query_drop(format!("CREATE DATABASE IF NOT EXISTS `{name}`"))?;
        let sampled = (|| -> Result<Vec<Duration>> {
            primary.query_drop(format!(
                "CREATE TABLE `{name}`.lag_probe (id INT AUTO_INCREMENT PRIMARY KEY, at DATETIME(6))"
            ))?;
            let mut lags = Vec::new();
            for _ in 0..20 {
                primary.query_drop(format!(
                    "INSERT INTO `{name}`.lag_probe (at) VALUES (NOW(6))"
                ))?;
                let committed = Instant::now();
                replica::wait_caught_up(primary, replica, flavor, self.wait)?;
                lags.push(committed.elapsed());
            }
            Ok(lags)
        })();
        primary.query_drop(format!("DROP DATABASE IF EXISTS `{name}`"))?;
        let mut lags = sampled?;
        lags.sort();
        Ok(lags)
    }

    /// `down`'s part: stops this project's local replica at DB_REPLICA_PORT, when this project's
    /// local server was started at DB_PORT, running or not: a replica whose primary crashed must
    /// still stop. (Docker's stops with `docker compose down`.)
    pub fn replica_down(&self) -> Result<()> {
        let replica_config = self.config.replica();
        if !is_this_machine(&replica_config.host)
            || self.local.recorded_port() != Some(self.config.port)
        {
            return Ok(());
        }
        let folder = self.replica_local();
        match folder.ownership(&replica_config) {
            Ownership::Ours => folder.stop(&replica_config, self.wait),
            Ownership::NoPermission(file) => bail!(no_permission(&file)),
            Ownership::NotOurs => Ok(()),
        }
    }

    /// `reset`'s part: the primary's DROP and CREATE reach the replica through replication; this
    /// waits for them and says so.
    pub fn replica_after_reset(&self) -> Result<()> {
        let replica_config = self.config.replica();
        if !probe(&replica_config.host, replica_config.port, PROBE_TIMEOUT).is_mysql() {
            return Ok(());
        }
        match self.measure_lag() {
            Ok(lag) => say(format!(
                "the replica on {} applied the reset in {:.1}s",
                replica_config.address(),
                lag.as_secs_f64()
            )),
            Err(err) => say(format!(
                "the replica on {} did not follow the reset ({err:#}); `cargo run -p db -- up --replica` \
                 copies the data again",
                replica_config.address()
            )),
        }
        Ok(())
    }
}
