//! A replica of the course's server: what `cargo run -p db -- up --replica` sets up, and what
//! `status`, `reset` and the tests' fixture ask of it.
//!
//! The replica copies the primary's data once (a consistent snapshot, with the primary's GTID
//! position at that instant), then follows the primary's binary log from that position on. Every
//! statement here runs over TCP on a connection the caller opened, as the server's admin.
//!
//! MariaDB and MySQL both have GTIDs, but not the same ones, and they say it differently:
//!
//! | | MariaDB 10.11 | MySQL 9.7 |
//! |---|---|---|
//! | a GTID | `0-1-42` (domain-server-sequence) | `uuid:1-42` (a set per server) |
//! | what the primary wrote | `@@gtid_binlog_pos` | `@@gtid_executed` |
//! | what the replica applied | `@@gtid_slave_pos` | `@@gtid_executed` |
//! | where a replica starts | `SET GLOBAL gtid_slave_pos` | `SET GLOBAL gtid_purged` (after `RESET BINARY LOGS AND GTIDS`) |
//! | follow by GTID | `CHANGE MASTER TO ... MASTER_USE_GTID=slave_pos` | `CHANGE REPLICATION SOURCE TO ... SOURCE_AUTO_POSITION=1` |
//! | wait for a position | `MASTER_GTID_WAIT(pos, seconds)`: 0, or -1 on time-out | `WAIT_FOR_EXECUTED_GTID_SET(set, seconds)`: 0, or 1 |
//! | no writes but replication | `read_only` | `super_read_only` (binds the admin too) |
//!
//! Both accept `START REPLICA`, `STOP REPLICA [SQL_THREAD]` and `SHOW REPLICA STATUS` (MariaDB since
//! 10.5), but MariaDB's status keeps its old column names (`Slave_SQL_Running`, `Seconds_Behind_Master`).

use std::fmt;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use mysql::prelude::Queryable;
use mysql::{Conn, Row, Value};

use super::admin::{TEST_DB_PATTERN, bootstrap_statements, sql_string};
use super::say;
use crate::Config;

/// The replication user the primary gets: it may read the binary log (REPLICATION SLAVE), nothing else.
pub const REPLICATION_USER: &str = "llmagent_repl";

/// Where Docker's replica finds its primary: the service `db`, on MySQL's own port inside
/// compose's network (whatever DB_PORT publishes it on).
pub const DOCKER_PRIMARY: (&str, u16) = ("db", 3306);

/// Which server speaks: the GTID statements differ (see the module's table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    MariaDb,
    MySql,
}

impl Flavor {
    /// From a version string (`10.11.6-MariaDB-...` or `9.7.4-2`), as the probe or `VERSION()` gives it.
    pub fn of_version(version: &str) -> Flavor {
        if version.to_ascii_lowercase().contains("mariadb") {
            Flavor::MariaDb
        } else {
            Flavor::MySql
        }
    }

    /// Asks the server on `conn`.
    pub fn of(conn: &mut impl Queryable) -> mysql::Result<Flavor> {
        let version: Option<String> = conn.query_first("SELECT VERSION()")?;
        Ok(Flavor::of_version(&version.unwrap_or_default()))
    }

    /// The variable that makes a server refuse writes except replication's: MariaDB's `read_only`
    /// lets an account with READ ONLY ADMIN (the tool's admin) write; MySQL's `super_read_only`
    /// binds everyone, so the admin turns it off while it copies the data.
    fn read_only_variable(self) -> &'static str {
        match self {
            Flavor::MariaDb => "read_only",
            Flavor::MySql => "super_read_only",
        }
    }
}

/// A server's GTID position: everything it has written (on a primary) or applied (on a replica).
pub fn gtid_position(conn: &mut impl Queryable, flavor: Flavor) -> mysql::Result<String> {
    let sql = match flavor {
        Flavor::MariaDb => "SELECT @@GLOBAL.gtid_binlog_pos",
        Flavor::MySql => "SELECT @@GLOBAL.gtid_executed",
    };
    Ok(conn.query_first::<String, _>(sql)?.unwrap_or_default())
}

/// Waits up to `seconds` (a second or two: the connection's read timeout must outlast it) for the
/// replica on `conn` to have applied `position`. True if it has.
fn wait_once(
    conn: &mut impl Queryable,
    flavor: Flavor,
    position: &str,
    seconds: f64,
) -> mysql::Result<bool> {
    let (sql, done) = match flavor {
        Flavor::MariaDb => ("SELECT MASTER_GTID_WAIT(?, ?)", 0),
        Flavor::MySql => ("SELECT WAIT_FOR_EXECUTED_GTID_SET(?, ?)", 0),
    };
    let answer: Option<i64> = conn.exec_first(sql, (position, seconds))?;
    Ok(answer == Some(done))
}

/// Waits until the replica on `replica` has applied everything the primary on `primary` has
/// written until now, up to `deadline`; returns how long that took. Fails at once when the replica
/// is no replica or its applier failed (with its error), and at the deadline with its state: a
/// replica paused meanwhile (a demo) may resume in time.
pub fn wait_caught_up(
    primary: &mut impl Queryable,
    replica: &mut impl Queryable,
    flavor: Flavor,
    deadline: Duration,
) -> Result<Duration> {
    let started = Instant::now();
    let position = gtid_position(primary, flavor)?;
    loop {
        if wait_once(replica, flavor, &position, 1.0)? {
            return Ok(started.elapsed());
        }
        let state = ReplicationState::read(replica)?;
        match &state {
            None => bail!("the replica does not replicate (SHOW REPLICA STATUS is empty)"),
            Some(state) if state.applier_failed => {
                bail!("the replica's applier stopped on an error: {state}")
            }
            Some(_) if started.elapsed() >= deadline => bail!(
                "the replica has not caught up with the primary after {}s: {}",
                deadline.as_secs(),
                state.map(|s| s.to_string()).unwrap_or_default()
            ),
            Some(_) => {}
        }
    }
}

/// The pair's flavour, once the server at `primary`'s replica address (DB_REPLICA_PORT) is known
/// to be the same server as `primary`'s and to follow it (when its state is visible): a replica
/// of another primary never receives this one's writes, and would be waited for in vain.
pub fn replica_of(
    primary: &Config,
    primary_conn: &mut impl Queryable,
    replica_conn: &mut impl Queryable,
) -> Result<Flavor> {
    let (primary_address, replica_address) = (primary.address(), primary.replica().address());
    let flavor = Flavor::of(primary_conn)?;
    let replica_flavor = Flavor::of(replica_conn)?;
    if replica_flavor != flavor {
        bail!(
            "the server at {replica_address} ({replica_flavor:?}) cannot be the replica of the \
             primary at {primary_address} ({flavor:?}): set DB_REPLICA_PORT to the replica of \
             DB_PORT's server"
        );
    }
    if let Ok(Some(state)) = ReplicationState::read(replica_conn)
        && !state.follows(primary.port)
    {
        bail!(
            "the server at {replica_address} replicates {}, not the primary at {primary_address}: \
             set DB_REPLICA_PORT to the replica of DB_PORT's server",
            state.source
        );
    }
    Ok(flavor)
}

/// The name of the lock (`GET_LOCK`, on the primary) that a program holds while it pauses or
/// stops the replica at `replica_address` on purpose: the tests' pauses (shared's test support)
/// and a demo's take turns with it, so neither sees the other's lag.
pub fn pause_lock_name(replica_address: &str) -> String {
    format!("llmagent_replica_{replica_address}")
}

/// What `SHOW REPLICA STATUS` says, in both servers' column names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicationState {
    /// Where it replicates from, `host:port`.
    pub source: String,
    /// Whether the receiver (I/O thread) runs: `Yes`, `No` or `Connecting`.
    pub io_running: String,
    /// Whether the applier (SQL thread) runs.
    pub sql_running: bool,
    /// Whether it follows the primary by GTID (MariaDB's `Using_Gtid`, MySQL's `Auto_Position`).
    pub uses_gtid: bool,
    /// `Seconds_Behind_Master` / `Seconds_Behind_Source`: none while the applier is stopped.
    pub seconds_behind: Option<u64>,
    /// The last error of the receiver or the applier, if any.
    pub last_error: Option<String>,
    /// Whether that error is the applier's: a statement that failed on the replica (its data
    /// differs from the primary's). A receiver's error (the primary was restarting) passes.
    pub applier_failed: bool,
}

impl ReplicationState {
    /// Reads the replica's status; `None` when the server is not a replica.
    pub fn read(conn: &mut impl Queryable) -> mysql::Result<Option<ReplicationState>> {
        let row: Option<Row> = conn.query_first("SHOW REPLICA STATUS")?;
        Ok(row.map(|row| {
            let text = |names: &[&str]| {
                names
                    .iter()
                    .find_map(|name| row.get_opt::<Option<String>, _>(*name)?.ok().flatten())
                    .unwrap_or_default()
            };
            // Without the failed statement that the server quotes after "Query:": it may be
            // an account statement, which MariaDB logs with its password.
            let sql_error = without_query(&text(&["Last_SQL_Error"]));
            let applier_failed = !sql_error.is_empty();
            let error = [sql_error, text(&["Last_IO_Error"])]
                .into_iter()
                .find(|e| !e.is_empty());
            ReplicationState {
                source: format!(
                    "{}:{}",
                    text(&["Master_Host", "Source_Host"]),
                    text(&["Master_Port", "Source_Port"])
                ),
                io_running: text(&["Slave_IO_Running", "Replica_IO_Running"]),
                sql_running: text(&["Slave_SQL_Running", "Replica_SQL_Running"]) == "Yes",
                uses_gtid: matches!(
                    text(&["Using_Gtid", "Auto_Position"]).as_str(),
                    "Slave_Pos" | "Current_Pos" | "1"
                ),
                seconds_behind: text(&["Seconds_Behind_Master", "Seconds_Behind_Source"])
                    .parse()
                    .ok(),
                last_error: error,
                applier_failed,
            }
        }))
    }

    /// Whether it follows the primary that listens on `port` on this machine, or Docker's primary
    /// ([`DOCKER_PRIMARY`]). A replica of another server never receives that primary's writes:
    /// waiting for them would only time out.
    pub fn follows(&self, port: u16) -> bool {
        let (docker_host, docker_port) = DOCKER_PRIMARY;
        self.source.ends_with(&format!(":{port}"))
            || self.source == format!("{docker_host}:{docker_port}")
    }

    /// Whether it replicates from `source` by GTID, both threads running and no error.
    pub fn is_healthy_from(&self, source: &str) -> bool {
        self.source == source
            && self.uses_gtid
            && self.io_running == "Yes"
            && self.sql_running
            && self.last_error.is_none()
    }
}

/// What `up --replica` does with the replica server it found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wiring {
    /// It replicates from the primary: nothing to do.
    Leave,
    /// Stopped (a demo or a test paused it and died?), or reconnecting to a primary that
    /// restarted: it goes on from where it is.
    Restart,
    /// New, following another primary, or its applier failed (its data went astray): the data
    /// is copied again and replication starts from the copy's position.
    Copy,
}

impl Wiring {
    /// The decision, from the replica's state (`None`: it replicates nothing), whether it has the
    /// course database, and the primary's address as the replica reaches it.
    pub fn decide(state: Option<&ReplicationState>, has_database: bool, source: &str) -> Wiring {
        match state {
            Some(state) if has_database && state.is_healthy_from(source) => Wiring::Leave,
            Some(state)
                if has_database
                    && state.source == source
                    && state.uses_gtid
                    && !state.applier_failed =>
            {
                Wiring::Restart
            }
            _ => Wiring::Copy,
        }
    }
}

/// An applier's error without the statement it quotes (`... Query: '...'`).
fn without_query(error: &str) -> String {
    match error.find(" Query: '") {
        Some(at) => format!("{} Query: (not shown)", &error[..at]),
        None => error.to_string(),
    }
}

impl fmt::Display for ReplicationState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "from {}, receiving: {}, applying: {}",
            self.source,
            self.io_running,
            if self.sql_running { "Yes" } else { "No" }
        )?;
        if let Some(seconds) = self.seconds_behind {
            write!(f, ", {seconds}s behind")?;
        }
        if let Some(error) = &self.last_error {
            write!(f, ", last error: {error}")?;
        }
        Ok(())
    }
}

/// The primary's binary-log settings that replication needs.
pub struct PrimaryLog {
    pub log_bin: bool,
    pub server_id: u32,
    /// MySQL's `gtid_mode` (MariaDB always writes GTIDs: `None`).
    pub gtid_mode: Option<String>,
}

impl PrimaryLog {
    pub fn read(conn: &mut impl Queryable, flavor: Flavor) -> mysql::Result<PrimaryLog> {
        let (log_bin, server_id): (bool, u32) = conn
            .query_first("SELECT @@GLOBAL.log_bin, @@GLOBAL.server_id")?
            .unwrap_or((false, 0));
        let gtid_mode = match flavor {
            Flavor::MariaDb => None,
            Flavor::MySql => conn.query_first("SELECT @@GLOBAL.gtid_mode")?,
        };
        Ok(PrimaryLog {
            log_bin,
            server_id,
            gtid_mode,
        })
    }

    /// Whether a replica can follow it by GTID.
    pub fn is_ready(&self) -> bool {
        self.log_bin
            && self.server_id != 0
            && self.gtid_mode.as_deref().is_none_or(|mode| mode == "ON")
    }
}

/// The server options a primary starts with (the course's own local server, every time).
pub fn primary_options(flavor: Flavor) -> Vec<String> {
    let mut options = vec![
        // The binary log, beside the data; kept three days (the replica reads it within seconds).
        "--log-bin=binlog".to_string(),
        "--server-id=1".into(),
        "--loose-binlog-expire-logs-seconds=259200".into(),
    ];
    if flavor == Flavor::MySql {
        // MariaDB always gives each transaction a GTID; MySQL only in this mode.
        options.extend([
            "--gtid-mode=ON".into(),
            "--enforce-gtid-consistency=ON".into(),
        ]);
    }
    options
}

/// The server options a replica starts with: another server id, and (MySQL) GTIDs as on its primary.
/// Read-only is switched on by [`connect_replica`] once the copy is in, and checked at every `up`.
pub fn replica_options(flavor: Flavor) -> Vec<String> {
    let mut options = vec!["--server-id=2".to_string(), "--relay-log=relay-bin".into()];
    match flavor {
        // MariaDB's replica needs no binary log of its own; its read_only binds the course's user,
        // not the admin or the applier, so it can be on from the start.
        Flavor::MariaDb => options.push("--read-only=ON".into()),
        // MySQL's super_read_only would refuse the admin's own set-up at the start (--init-file).
        Flavor::MySql => options.extend([
            "--gtid-mode=ON".into(),
            "--enforce-gtid-consistency=ON".into(),
        ]),
    }
    options
}

/// The grants that make the course's user able to see and pause its replica (`SHOW REPLICA STATUS`,
/// `STOP/START REPLICA SQL_THREAD`), for lesson 10's demo and the tests' lag. On the replica only:
/// on the primary the user has its databases and nothing server-wide.
pub fn replica_user_grants(flavor: Flavor, user: &str) -> String {
    let user = sql_string(user);
    match flavor {
        Flavor::MariaDb => {
            format!("GRANT REPLICATION SLAVE ADMIN, SLAVE MONITOR ON *.* TO {user}@'%'")
        }
        Flavor::MySql => {
            format!("GRANT REPLICATION_SLAVE_ADMIN, REPLICATION CLIENT ON *.* TO {user}@'%'")
        }
    }
}

/// The course's user on the replica: the same account as on the primary (accounts are each
/// server's own, and the copy holds databases only), plus the right to see and pause replication
/// there. Not CREATE DATABASE: the course database is the primary's, replicated.
pub fn replica_account_statements(flavor: Flavor, config: &Config) -> Vec<String> {
    let mut statements: Vec<String> = bootstrap_statements(config)
        .into_iter()
        .filter(|s| !s.starts_with("CREATE DATABASE"))
        .collect();
    statements.push(replica_user_grants(flavor, &config.user));
    statements
}

/// As the primary's admin: the replication user with a new `password`, kept out of the binary
/// log (each server has the accounts its set-up gives it).
pub fn ensure_replication_user(primary: &mut Conn, password: &str) -> Result<()> {
    let user = format!("{}@'%'", sql_string(REPLICATION_USER));
    let password = sql_string(password);
    primary.query_drop("SET SESSION sql_log_bin = 0")?;
    let made = (|| -> mysql::Result<()> {
        primary.query_drop(format!(
            "CREATE USER IF NOT EXISTS {user} IDENTIFIED BY {password}"
        ))?;
        primary.query_drop(format!("ALTER USER {user} IDENTIFIED BY {password}"))?;
        primary.query_drop(format!("GRANT REPLICATION SLAVE ON *.* TO {user}"))
    })();
    primary.query_drop("SET SESSION sql_log_bin = 1")?;
    made.map_err(without_statement)
        .context("creating the replication user on the primary")
}

/// A failed statement that holds a password, told by its error code only: a server's syntax error
/// quotes the statement ("near '...'"), and with it the password.
pub(crate) fn without_statement(err: mysql::Error) -> anyhow::Error {
    match err {
        mysql::Error::MySqlError(e) => anyhow::anyhow!("server error {} ({})", e.code, e.state),
        other => other.into(),
    }
}

/// What the snapshot holds of one database.
struct DatabaseCopy {
    name: String,
    charset: String,
    collation: String,
    tables: Vec<TableCopy>,
}

struct TableCopy {
    name: String,
    create: String,
    columns: Vec<String>,
}

/// Copies the course database and the tests' databases from the primary to the replica, as they
/// are at one instant, and returns the primary's GTID position at that instant.
///
/// Writes on the primary wait (FLUSH TABLES WITH READ LOCK) only while the list of tables and the
/// position are read, a few milliseconds; the rows are read afterwards from a consistent snapshot
/// taken under that lock, as `mysqldump --single-transaction --source-data` does.
pub fn copy_data(
    primary: &mut Conn,
    replica: &mut Conn,
    flavor: Flavor,
    database: &str,
) -> Result<String> {
    primary.query_drop("SET SESSION lock_wait_timeout = 30")?;
    primary
        .query_drop("FLUSH TABLES WITH READ LOCK")
        .context("locking the primary's tables for an instant")?;
    let listed = snapshot(primary, flavor, database);
    primary.query_drop("UNLOCK TABLES")?;
    let (position, databases) = listed.context("reading the primary's tables")?;
    let rows_copied = load(primary, replica, database, &databases)?;
    primary.query_drop("COMMIT")?;
    say(format!(
        "copied {} database(s), {rows_copied} row(s), as of the primary's GTID position '{position}'",
        databases.len()
    ));
    Ok(position)
}

/// Under the primary's read lock: opens the snapshot that the rows are read from, and lists what
/// it holds, with the GTID position it is at.
fn snapshot(
    primary: &mut Conn,
    flavor: Flavor,
    database: &str,
) -> mysql::Result<(String, Vec<DatabaseCopy>)> {
    primary.query_drop("START TRANSACTION WITH CONSISTENT SNAPSHOT")?;
    let position = gtid_position(primary, flavor)?;
    let schemas: Vec<(String, String, String)> = primary.exec(
        "SELECT SCHEMA_NAME, DEFAULT_CHARACTER_SET_NAME, DEFAULT_COLLATION_NAME \
         FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ? OR SCHEMA_NAME LIKE ?",
        (database, TEST_DB_PATTERN),
    )?;
    let mut databases = Vec::new();
    for (name, charset, collation) in schemas {
        let mut tables = Vec::new();
        for table in base_tables(primary, &name)? {
            let create: Option<(String, String)> =
                primary.query_first(format!("SHOW CREATE TABLE `{name}`.`{table}`"))?;
            let columns: Vec<String> = primary.exec(
                "SELECT COLUMN_NAME FROM information_schema.COLUMNS \
                 WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND EXTRA NOT LIKE '%GENERATED%' \
                 ORDER BY ORDINAL_POSITION",
                (&name, &table),
            )?;
            if let Some((_, create)) = create {
                tables.push(TableCopy {
                    name: table,
                    create,
                    columns,
                });
            }
        }
        databases.push(DatabaseCopy {
            name,
            charset,
            collation,
            tables,
        });
    }
    Ok((position, databases))
}

/// The tables (not views) of `database`, by name.
pub(crate) fn base_tables(conn: &mut Conn, database: &str) -> mysql::Result<Vec<String>> {
    conn.exec(
        "SELECT TABLE_NAME FROM information_schema.TABLES \
         WHERE TABLE_SCHEMA = ? AND TABLE_TYPE = 'BASE TABLE' ORDER BY TABLE_NAME",
        (database,),
    )
}

/// Replaces the replica's copy with the snapshot's databases, out of the replica's binary log;
/// returns how many rows it copied.
fn load(
    primary: &mut Conn,
    replica: &mut Conn,
    database: &str,
    databases: &[DatabaseCopy],
) -> Result<usize> {
    replica.query_drop("SET SESSION sql_log_bin = 0")?;
    replica.query_drop("SET SESSION foreign_key_checks = 0")?;
    // A copy made before: its databases go, whatever they were.
    let old: Vec<String> = replica.exec(
        "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ? OR SCHEMA_NAME LIKE ?",
        (database, TEST_DB_PATTERN),
    )?;
    for name in old {
        replica.query_drop(format!("DROP DATABASE IF EXISTS `{name}`"))?;
    }
    let mut rows_copied = 0;
    for db in databases {
        // Names from information_schema matching the course's name or the tests' pattern: no backtick.
        replica.query_drop(format!(
            "CREATE DATABASE `{}` CHARACTER SET {} COLLATE {}",
            db.name, db.charset, db.collation
        ))?;
        replica.query_drop(format!("USE `{}`", db.name))?;
        for table in &db.tables {
            replica.query_drop(&table.create)?;
            rows_copied += copy_rows(primary, replica, &db.name, table)
                .with_context(|| format!("copying {}.{}", db.name, table.name))?;
        }
    }
    replica.query_drop("SET SESSION foreign_key_checks = 1")?;
    Ok(rows_copied)
}

/// Copies one table's rows, 200 to a statement, with bound values. A table dropped on the primary
/// since the snapshot began cannot be read; its DROP reaches the replica through replication.
fn copy_rows(primary: &mut Conn, replica: &mut Conn, db: &str, table: &TableCopy) -> Result<usize> {
    let columns = table
        .columns
        .iter()
        .map(|c| format!("`{c}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let rows: Vec<Row> =
        match primary.query(format!("SELECT {columns} FROM `{db}`.`{}`", table.name)) {
            Ok(rows) => rows,
            // 1146: no such table (dropped after the snapshot began), 1412: its definition changed.
            Err(mysql::Error::MySqlError(e)) if e.code == 1146 || e.code == 1412 => return Ok(0),
            Err(e) => return Err(e.into()),
        };
    let one_row = format!("({})", vec!["?"; table.columns.len()].join(", "));
    for chunk in rows.chunks(200) {
        let values: Vec<Value> = chunk.iter().flat_map(|row| row.clone().unwrap()).collect();
        let sql = format!(
            "INSERT INTO `{}` ({columns}) VALUES {}",
            table.name,
            vec![one_row.as_str(); chunk.len()].join(", ")
        );
        replica.exec_drop(sql, values)?;
    }
    Ok(rows.len())
}

/// Where the replica finds its primary, as the replica sees it (in Docker: the service's name).
pub struct Source<'a> {
    pub host: &'a str,
    pub port: u16,
    pub password: &'a str,
}

/// As the replica's admin, after [`copy_data`]: starts replication from `position` by GTID.
/// [`make_read_only`] follows, once the admin's own writes are done.
pub fn connect_replica(
    replica: &mut Conn,
    flavor: Flavor,
    source: &Source,
    position: &str,
) -> Result<()> {
    let (host, user, password) = (
        sql_string(source.host),
        sql_string(REPLICATION_USER),
        sql_string(source.password),
    );
    let port = source.port;
    replica.query_drop("STOP REPLICA")?;
    replica.query_drop("RESET REPLICA ALL")?;
    match flavor {
        Flavor::MariaDb => {
            // gtid_slave_pos: the replica's own record of what it applied (not gtid_current_pos,
            // which would mix in anything the replica wrote itself).
            replica.exec_drop("SET GLOBAL gtid_slave_pos = ?", (position,))?;
            replica.query_drop(format!(
                "CHANGE MASTER TO MASTER_HOST = {host}, MASTER_PORT = {port}, MASTER_USER = {user}, \
                 MASTER_PASSWORD = {password}, MASTER_USE_GTID = slave_pos, MASTER_CONNECT_RETRY = 1"
            ))
            .map_err(without_statement)
            .context("CHANGE MASTER TO on the replica")?;
        }
        Flavor::MySql => {
            // gtid_purged can only be set on an empty gtid_executed: the replica's own set-up is
            // forgotten first (RESET MASTER before MySQL 8.4).
            if let Err(err) = replica.query_drop("RESET BINARY LOGS AND GTIDS") {
                match err {
                    mysql::Error::MySqlError(e) if e.code == 1064 => {
                        replica.query_drop("RESET MASTER")?
                    }
                    other => return Err(other.into()),
                }
            }
            replica.exec_drop("SET GLOBAL gtid_purged = ?", (position,))?;
            // GET_SOURCE_PUBLIC_KEY: caching_sha2_password over a connection without TLS.
            replica
                .query_drop(format!(
                    "CHANGE REPLICATION SOURCE TO SOURCE_HOST = {host}, SOURCE_PORT = {port}, \
                 SOURCE_USER = {user}, SOURCE_PASSWORD = {password}, SOURCE_AUTO_POSITION = 1, \
                 GET_SOURCE_PUBLIC_KEY = 1, SOURCE_CONNECT_RETRY = 1"
                ))
                .map_err(without_statement)
                .context("CHANGE REPLICATION SOURCE TO on the replica")?;
        }
    }
    replica.query_drop("START REPLICA")?;
    Ok(())
}

/// Switches the replica's read-only mode on. `persist`: MySQL keeps it across restarts (Docker's
/// replica, whose set-up at its first start is over). A local MySQL replica is not persisted: its
/// start-up (`--init-file`, the admin's account) writes, which super_read_only would refuse; every
/// `up --replica` sets it again. MariaDB's read_only is a start-up option of the local replica.
pub fn make_read_only(replica: &mut Conn, flavor: Flavor, persist: bool) -> Result<()> {
    let variable = flavor.read_only_variable();
    let is_on: Option<bool> = replica.query_first(format!("SELECT @@GLOBAL.{variable}"))?;
    if is_on != Some(true) {
        let scope = if persist && flavor == Flavor::MySql {
            "PERSIST"
        } else {
            "GLOBAL"
        };
        replica.query_drop(format!("SET {scope} {variable} = ON"))?;
    }
    Ok(())
}

/// Lets the replica's admin write while it copies the data (MySQL's super_read_only binds it too).
pub fn allow_admin_writes(replica: &mut Conn, flavor: Flavor) -> Result<()> {
    if flavor == Flavor::MySql {
        replica.query_drop("SET GLOBAL super_read_only = OFF")?;
    }
    Ok(())
}

/// What the admin of a server this project did not start would run, with placeholders for the
/// passwords: the tool changes nothing there.
pub fn admin_instructions(flavor: Flavor, primary: &Config, replica: &Config) -> String {
    let repl = format!("{}@'%'", sql_string(REPLICATION_USER));
    let hidden = Config {
        password: "<DB_PASSWORD>".into(),
        ..primary.clone()
    };
    let accounts: String = replica_account_statements(flavor, &hidden)
        .iter()
        .map(|statement| format!("    {statement};\n"))
        .collect();
    let (log_options, replica_options, change, dump) = match flavor {
        Flavor::MariaDb => (
            "log_bin=binlog, server_id=1",
            "server_id=2, read_only=ON",
            format!(
                "SET GLOBAL gtid_slave_pos = '<GTID position of the copy>';\n    \
                 CHANGE MASTER TO MASTER_HOST = '{}', MASTER_PORT = {}, MASTER_USER = '{REPLICATION_USER}', \
                 MASTER_PASSWORD = '<REPLICATION_PASSWORD>', MASTER_USE_GTID = slave_pos;",
                primary.host, primary.port
            ),
            "mariadb-dump --single-transaction --gtid --master-data=2",
        ),
        Flavor::MySql => (
            "log_bin=binlog, server_id=1, gtid_mode=ON, enforce_gtid_consistency=ON",
            "server_id=2, gtid_mode=ON, enforce_gtid_consistency=ON",
            format!(
                "CHANGE REPLICATION SOURCE TO SOURCE_HOST = '{}', SOURCE_PORT = {}, \
                 SOURCE_USER = '{REPLICATION_USER}', SOURCE_PASSWORD = '<REPLICATION_PASSWORD>', \
                 SOURCE_AUTO_POSITION = 1, GET_SOURCE_PUBLIC_KEY = 1;",
                primary.host, primary.port
            ),
            "mysqldump --single-transaction --source-data=2 --set-gtid-purged=ON",
        ),
    };
    format!(
        "  On the primary {primary} (server options: {log_options}; restart if they changed):\n    \
         CREATE USER {repl} IDENTIFIED BY '<REPLICATION_PASSWORD>';\n    \
         GRANT REPLICATION SLAVE ON *.* TO {repl};\n  \
         On the replica {replica} (server options: {replica_options}), after loading a copy of \
         database '{db}' made with `{dump}`:\n    {change}\n    START REPLICA;\n{accounts}{read_only}",
        primary = primary.address(),
        replica = replica.address(),
        db = primary.database,
        // Last: MySQL's super_read_only refuses the admin's own loading and accounts too.
        read_only = match flavor {
            Flavor::MariaDb => "",
            Flavor::MySql => "    SET PERSIST super_read_only = ON;\n",
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(
        source: &str,
        io: &str,
        sql: bool,
        gtid: bool,
        error: Option<&str>,
    ) -> ReplicationState {
        ReplicationState {
            source: source.into(),
            io_running: io.into(),
            sql_running: sql,
            uses_gtid: gtid,
            seconds_behind: Some(0),
            last_error: error.map(str::to_string),
            applier_failed: error.is_some(),
        }
    }

    #[test]
    fn a_replica_is_healthy_only_from_its_primary_by_gtid_with_both_threads_and_no_error() {
        let source = "127.0.0.1:3306";
        assert!(state(source, "Yes", true, true, None).is_healthy_from(source));
        for (unhealthy, why) in [
            (
                state("127.0.0.1:3307", "Yes", true, true, None),
                "another primary",
            ),
            (
                state(source, "Connecting", true, true, None),
                "not connected",
            ),
            (
                state(source, "Yes", false, true, None),
                "the applier stopped",
            ),
            (
                state(source, "Yes", true, false, None),
                "by file and position",
            ),
            (
                state(source, "Yes", true, true, Some("Error 1146")),
                "an error",
            ),
        ] {
            assert!(
                !unhealthy.is_healthy_from(source),
                "{why} must not count as a healthy replica: {unhealthy}"
            );
        }
    }

    #[test]
    fn a_replica_follows_the_primary_on_its_port_or_dockers_and_no_other() {
        let on = |source: &str| state(source, "Yes", true, true, None);
        assert!(
            on("127.0.0.1:3306").follows(3306),
            "the primary on its port"
        );
        assert!(
            on("db:3306").follows(3307),
            "Docker's primary, published on any port"
        );
        for (other, port) in [("127.0.0.1:3307", 3306), ("127.0.0.1:33066", 3306)] {
            assert!(
                !on(other).follows(port),
                "a replica of {other} must not count as following the primary on port {port}"
            );
        }
    }

    #[test]
    fn up_leaves_a_healthy_replica_restarts_a_stopped_one_and_copies_only_when_it_must() {
        let source = "127.0.0.1:3306";
        let receiver_failed = ReplicationState {
            applier_failed: false,
            ..state(
                source,
                "Connecting",
                true,
                true,
                Some("error connecting to master"),
            )
        };
        for (replica, has_database, expected, why) in [
            (
                Some(state(source, "Yes", true, true, None)),
                true,
                Wiring::Leave,
                "healthy",
            ),
            (
                Some(state(source, "No", false, true, None)),
                true,
                Wiring::Restart,
                "stopped",
            ),
            (
                Some(receiver_failed),
                true,
                Wiring::Restart,
                "its primary restarted",
            ),
            (
                Some(state(source, "Yes", true, true, None)),
                false,
                Wiring::Copy,
                "no course database",
            ),
            (None, false, Wiring::Copy, "a new server"),
            (
                Some(state("127.0.0.1:3307", "Yes", true, true, None)),
                true,
                Wiring::Copy,
                "another primary",
            ),
            (
                Some(state(source, "Yes", true, false, None)),
                true,
                Wiring::Copy,
                "by file and position",
            ),
            (
                Some(state(source, "Yes", false, true, Some("Error 1062"))),
                true,
                Wiring::Copy,
                "its applier failed",
            ),
        ] {
            let got = Wiring::decide(replica.as_ref(), has_database, source);
            assert!(
                got == expected,
                "a replica that is {why} must get {expected:?}, got {got:?} ({replica:?})"
            );
        }
    }

    #[test]
    fn an_appliers_error_keeps_its_reason_but_not_the_statement_which_may_hold_a_password() {
        let error = "Error 'Operation ALTER USER failed' on query. Default database: 'llmagent'. \
                     Query: 'ALTER USER 'tester'@'%' IDENTIFIED BY 'course-secret''";
        let shown = without_query(error);
        assert!(
            shown.contains("Operation ALTER USER failed") && !shown.contains("course-secret"),
            "got: {shown}"
        );
    }

    #[test]
    fn the_flavor_is_read_from_the_version() {
        assert_eq!(
            Flavor::of_version("10.11.6-MariaDB-0+deb12u1-log"),
            Flavor::MariaDb
        );
        assert_eq!(Flavor::of_version("9.7.4-2"), Flavor::MySql);
    }

    #[test]
    fn a_mysql_primary_and_replica_start_with_gtids_and_different_server_ids() {
        let primary = primary_options(Flavor::MySql).join(" ");
        let replica = replica_options(Flavor::MySql).join(" ");
        for options in [&primary, &replica] {
            assert!(
                options.contains("--gtid-mode=ON")
                    && options.contains("--enforce-gtid-consistency=ON"),
                "MySQL needs GTIDs switched on, got: {options}"
            );
        }
        assert!(
            primary.contains("--log-bin") && primary.contains("--server-id=1"),
            "{primary}"
        );
        assert!(replica.contains("--server-id=2"), "{replica}");
        assert!(
            replica_options(Flavor::MariaDb).contains(&"--read-only=ON".to_string()),
            "MariaDB's replica starts read-only"
        );
    }

    #[test]
    fn the_admins_instructions_name_each_servers_statements_and_no_password() {
        let config = Config::from_lookup(|key| match key {
            "DB_PASSWORD" => Some("course-secret".into()),
            "DB_REPLICA_PORT" => Some("3317".into()),
            _ => None,
        })
        .unwrap();
        let replica = config.replica();
        let mariadb = admin_instructions(Flavor::MariaDb, &config, &replica);
        let mysql = admin_instructions(Flavor::MySql, &config, &replica);
        assert!(
            mariadb.contains("CHANGE MASTER TO") && mariadb.contains("MASTER_USE_GTID = slave_pos"),
            "{mariadb}"
        );
        assert!(
            mysql.contains("CHANGE REPLICATION SOURCE TO")
                && mysql.contains("SOURCE_AUTO_POSITION = 1")
                && mysql.ends_with("SET PERSIST super_read_only = ON;\n"),
            "{mysql}"
        );
        for text in [&mariadb, &mysql] {
            assert!(
                text.contains("GRANT REPLICATION SLAVE ON *.*") && text.contains("127.0.0.1:3317"),
                "{text}"
            );
            assert!(
                text.contains(
                    "CREATE USER IF NOT EXISTS 'tester'@'%' IDENTIFIED BY '<DB_PASSWORD>'"
                ),
                "the replica needs the course's user, which a copy of the databases lacks: {text}"
            );
            assert!(
                !text.contains("course-secret") && text.contains("<REPLICATION_PASSWORD>"),
                "no password may be printed: {text}"
            );
        }
    }
}
