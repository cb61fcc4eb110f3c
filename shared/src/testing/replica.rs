//! A test database on the primary and on its replica ([`ReplicaTestDb`]), and the replica made to
//! lag or stopped on purpose ([`ReplicaHold`]), without breaking the tests of other crates that
//! run at the same time against the same replica.
//!
//! ```no_run
//! use shared::testing::ReplicaTestDb;
//!
//! // Without a replica, the test says SKIPPED and passes; with DB_REPLICA_PORT set it fails.
//! let Some(db) = ReplicaTestDb::or_skip() else { return };
//! let mut primary = db.primary_conn();
//! let mut replica = db.replica_conn();
//! // ... write on `primary`, then:
//! db.wait_replicated(); // the replica has it now
//!
//! {
//!     let _lag = db.pause_replica(); // the replica receives but applies nothing
//!     // ... write on `primary`: `replica` does not show it
//! } // dropped, even by a panic: the replica applies again
//! ```
//!
//! The replica is `config.replica()`: DB_REPLICA_HOST:DB_REPLICA_PORT, by default 127.0.0.1:3316,
//! where `cargo run -p db -- up --replica` starts one (MySQL 9.7 in CI: DB_PORT=3307
//! DB_REPLICA_PORT=3317). Every test of every crate that pauses or stops replication, or waits for
//! it, takes one lock on the primary (`GET_LOCK`, named after the replica): one at a time, so a
//! test never sees another's pause, and a lock whose test process died is freed by the server.

use std::cell::Cell;
use std::io::Write;
use std::time::{Duration, Instant};

use mysql::Conn;
use mysql::prelude::Queryable;

use super::TestDb;
use crate::setup::replica::{self, Flavor};
use crate::{Config, connect};

/// The start of the line [`ReplicaTestDb::or_skip`] prints when it skips (CI looks for it).
pub const SKIPPED: &str = "SKIPPED: this test needs a replica";
/// How long a test waits for the replica to catch up before it fails.
pub const REPLICA_CATCHES_UP: Duration = Duration::from_secs(30);
/// How long a test waits for another test's pause of the replica to end.
pub const REPLICA_LOCK_WAIT: Duration = Duration::from_secs(180);

thread_local! {
    /// Whether this thread holds a [`ReplicaHold`]: its own wait for the replica would wait for
    /// its own pause to end.
    static HOLDING: Cell<bool> = const { Cell::new(false) };
}

/// Why a test could not have a replica: none answers, or it does not follow the primary.
#[derive(Debug)]
pub struct NoReplica(pub String);

impl std::fmt::Display for NoReplica {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NoReplica {}

/// A fresh database on the primary (a [`TestDb`]) that has reached the replica, with connections
/// to both. Dropping it drops the database on the primary, and so, through replication, on the replica.
pub struct ReplicaTestDb {
    db: TestDb,
    replica: Config,
    flavor: Flavor,
}

impl ReplicaTestDb {
    /// Creates the test database on the primary and waits until the replica has it.
    pub fn new() -> Result<ReplicaTestDb, NoReplica> {
        let db = TestDb::new()
            .map_err(|err| NoReplica(format!("no test database on the primary: {err}")))?;
        let replica = db.config().replica();
        let (primary_address, replica_address) = (db.config().address(), replica.address());
        let hint = "start one with `cargo run -p db -- up --replica` (MySQL 9.7 in CI: \
                    `bash .ci/mysql97 up --replica` and DB_PORT=3307 DB_REPLICA_PORT=3317)";
        let mut replica_server = connect(&replica.with_database("")).map_err(|err| {
            NoReplica(format!(
                "no replica answers at {replica_address} for the primary at {primary_address} ({err}): {hint}"
            ))
        })?;
        let flavor = replica::replica_of(db.config(), &mut db.conn(), &mut replica_server)
            .map_err(|err| NoReplica(format!("{err:#}")))?;
        let test = ReplicaTestDb {
            db,
            replica,
            flavor,
        };
        test.try_wait_replicated()
            .map_err(|err| NoReplica(format!("{err}; {hint}")))?;
        let arrived: Option<String> = replica_server
            .exec_first(
                "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?",
                (test.name(),),
            )
            .map_err(|e| NoReplica(e.to_string()))?;
        if arrived.is_none() {
            return Err(NoReplica(format!(
                "database {} made on {primary_address} did not reach {replica_address}: that server \
                 does not replicate this primary (`cargo run -p db -- status` says what it follows)",
                test.name()
            )));
        }
        Ok(test)
    }

    /// [`ReplicaTestDb::new`], or `None` after printing a SKIPPED line when no replica answers, so
    /// that `cargo test` passes on a machine set up without one (as the Quick start's is).
    ///
    /// When DB_REPLICA_HOST or DB_REPLICA_PORT is set, a replica was asked for: a missing one fails
    /// the test instead. CI sets DB_REPLICA_PORT once it has started the replica, so there a
    /// replica test can never pass by skipping.
    pub fn or_skip() -> Option<ReplicaTestDb> {
        match ReplicaTestDb::new() {
            Ok(db) => Some(db),
            Err(why) => {
                let asked = Config::from_env().is_ok_and(|config| config.replica_set);
                assert!(
                    !asked,
                    "this test needs the replica that DB_REPLICA_HOST/DB_REPLICA_PORT names: {why}"
                );
                // Past libtest's capture (which holds back eprintln! of a passing test): a skip is
                // seen in the run's output, and CI looks for it.
                let _ = writeln!(std::io::stderr(), "\n!!!!! {SKIPPED}: {why} !!!!!\n");
                None
            }
        }
    }

    /// The database's name, the same on both servers.
    pub fn name(&self) -> &str {
        self.db.name()
    }

    /// The primary's side: the [`TestDb`] with its helpers.
    pub fn primary(&self) -> &TestDb {
        &self.db
    }

    /// The primary's settings, with this database.
    pub fn primary_config(&self) -> &Config {
        self.db.config()
    }

    /// The replica's settings (DB_REPLICA_HOST:DB_REPLICA_PORT), with this database.
    pub fn replica_config(&self) -> &Config {
        &self.replica
    }

    /// Which server this is: MariaDB and MySQL differ in their GTID functions.
    pub fn flavor(&self) -> Flavor {
        self.flavor
    }

    /// A new connection to this database on the primary.
    pub fn primary_conn(&self) -> Conn {
        self.db.conn()
    }

    /// A new connection to this database on the replica (where the course's user may read, and
    /// see and pause replication, but not write).
    pub fn replica_conn(&self) -> Conn {
        connect(&self.replica).unwrap_or_else(|err| panic!("cannot connect to the replica: {err}"))
    }

    /// Settings that point at a replica that is down: this database, at a loopback port where
    /// nothing listens. For "the replica is unreachable: reads go to the primary".
    pub fn replica_down_config(&self) -> Config {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free loopback port")
            .port();
        Config {
            host: "127.0.0.1".into(),
            port,
            ..self.replica.clone()
        }
    }

    /// Waits until the replica has applied everything written on the primary so far (by any test),
    /// after any other test's pause ends; returns how long the catching up took. Panics after
    /// [`REPLICA_CATCHES_UP`], with the replica's state, and at once inside this test's own pause.
    pub fn wait_replicated(&self) -> Duration {
        self.try_wait_replicated()
            .unwrap_or_else(|err| panic!("the replica did not catch up: {err}"))
    }

    fn try_wait_replicated(&self) -> Result<Duration, String> {
        if HOLDING.get() {
            return Err(
                "wait_replicated while this test pauses or stops the replica: it applies \
                        nothing until the ReplicaHold is dropped (or resume() is called)"
                    .into(),
            );
        }
        let _lock = ReplicaLock::take(self.db.config(), &self.replica)?;
        self.caught_up()
    }

    fn caught_up(&self) -> Result<Duration, String> {
        // Without the test's database: it may not have reached the replica yet.
        let mut primary =
            connect(&self.db.config().with_database("")).map_err(|e| e.to_string())?;
        let mut replica = connect(&self.replica.with_database("")).map_err(|e| e.to_string())?;
        replica::wait_caught_up(&mut primary, &mut replica, self.flavor, REPLICA_CATCHES_UP)
            .map_err(|e| format!("{e:#}"))
    }

    /// Makes the replica lag: it keeps receiving the primary's changes but applies none
    /// (`STOP REPLICA SQL_THREAD`) until the returned guard is dropped. Waits first for other
    /// tests' pauses to end (at most [`REPLICA_LOCK_WAIT`]) and for the replica to catch up, so
    /// the pause starts from a replica that has everything written before it.
    pub fn pause_replica(&self) -> ReplicaHold {
        self.hold("STOP REPLICA SQL_THREAD")
    }

    /// Stops replication altogether (`STOP REPLICA`: neither receiving nor applying), as a broken
    /// replica looks, until the returned guard is dropped. Locks as [`ReplicaTestDb::pause_replica`].
    pub fn stop_replication(&self) -> ReplicaHold {
        self.hold("STOP REPLICA")
    }

    fn hold(&self, stop: &str) -> ReplicaHold {
        assert!(
            !HOLDING.get(),
            "this test already pauses or stops the replica: one ReplicaHold at a time"
        );
        let lock = ReplicaLock::take(self.db.config(), &self.replica)
            .unwrap_or_else(|err| panic!("cannot pause the replica: {err}"));
        if let Err(err) = self.caught_up() {
            panic!("the replica did not catch up before the pause: {err}");
        }
        let mut replica = self.replica_conn();
        // The guard exists before the statement: if it fails half-way, the drop restarts anyway.
        let mut hold = ReplicaHold {
            replica_config: self.replica.clone(),
            replica: None,
            _lock: lock,
        };
        replica
            .query_drop(stop)
            .unwrap_or_else(|err| panic!("`{stop}` on the replica failed: {err}"));
        hold.replica = Some(replica);
        HOLDING.set(true);
        hold
    }
}

/// The replica paused or stopped on purpose, and the lock that keeps other tests from seeing it.
/// Dropping it (at the end of its scope, or by a panic) starts replication again, then frees the lock.
pub struct ReplicaHold {
    replica_config: Config,
    replica: Option<Conn>,
    _lock: ReplicaLock,
}

impl ReplicaHold {
    /// A connection to the paused replica (the test database), e.g. to read its replication state.
    pub fn replica_conn(&mut self) -> &mut Conn {
        self.replica.get_or_insert_with(|| {
            connect(&self.replica_config).expect("cannot connect to the paused replica")
        })
    }

    /// Ends the pause now, rather than at the end of the scope.
    pub fn resume(self) {}
}

impl Drop for ReplicaHold {
    fn drop(&mut self) {
        HOLDING.set(false);
        let started = self
            .replica
            .as_mut()
            .is_some_and(|conn| conn.query_drop("START REPLICA").is_ok());
        // A new connection if need be: the test may have broken the one it had.
        if !started {
            let again = connect(&self.replica_config)
                .map_err(|e| e.to_string())
                .and_then(|mut conn| conn.query_drop("START REPLICA").map_err(|e| e.to_string()));
            if let Err(err) = again {
                // Not a panic in a drop; the next test that takes the lock starts it again.
                eprintln!("warning: could not restart the replica's replication: {err}");
            }
        }
    }
}

/// The lock on the primary that every test which pauses the replica, or waits for it, holds
/// meanwhile. The server frees it when its connection closes: with the guard, or when the
/// test process dies; the next holder then starts replication again, in case a pause was left.
struct ReplicaLock {
    conn: Conn,
    name: String,
}

impl ReplicaLock {
    fn take(primary: &Config, replica: &Config) -> Result<ReplicaLock, String> {
        let name = replica::pause_lock_name(&replica.address());
        let mut conn = connect(&primary.with_database("")).map_err(|e| e.to_string())?;
        let deadline = Instant::now() + REPLICA_LOCK_WAIT;
        loop {
            // Short waits: the connection's read timeout (5 s) must outlast each one.
            let got: Option<Option<i64>> = conn
                .exec_first("SELECT GET_LOCK(?, 2)", (&name,))
                .map_err(|e| e.to_string())?;
            if got == Some(Some(1)) {
                break;
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "another test has held the replica's lock ({name}) for {}s",
                    REPLICA_LOCK_WAIT.as_secs()
                ));
            }
        }
        // A pause whose test died (its lock freed with its connection) is not left behind.
        if let Ok(mut replica) = connect(&replica.with_database("")) {
            let _ = replica.query_drop("START REPLICA");
        }
        Ok(ReplicaLock { conn, name })
    }
}

impl Drop for ReplicaLock {
    fn drop(&mut self) {
        let _ = self.conn.exec_drop("DO RELEASE_LOCK(?)", (&self.name,));
    }
}
