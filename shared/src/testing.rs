//! A database of its own for every test (feature `test-support`).
//!
//! ```no_run
//! let db = shared::testing::TestDb::new().unwrap();
//! let mut conn = db.conn();
//! // ... the test uses `db.config()`, `db.opts()` or `db.conn()`; the demo database is never touched.
//! // When `db` goes out of scope, even by a panic, its database is dropped.
//! ```
//!
//! Tests therefore run in parallel without seeing each other's rows, and leave nothing behind.
//! Three loopback stand-ins go between a test's connections and the server: a [`relay`] holds or
//! cuts one statement, a [`proxy`] cuts every connection (a restart), a [`CommandLog`] notes every
//! command. [`ReplicaTestDb`] is a test database on the primary and on its replica.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Once, OnceLock};
use std::time::{Duration, Instant};

use mysql::prelude::Queryable;
use mysql::{Conn, Opts};

use crate::{Config, Error, connect};

mod bilingual;
mod commands;
mod loopback;
pub mod proxy;
pub mod relay;
pub mod replica;
pub use bilingual::{KO_MARKER, bilingual, expect_ok};
pub use commands::{Command, CommandLog, statements_run_by};
pub use replica::{ReplicaHold, ReplicaTestDb};

pub use crate::setup::{SCHEMA_SQL, TEST_DB_PREFIX, run_statements};

/// How long [`TestDb::wait_for_sessions`] waits for the server's process list to settle. The server
/// lists a new connection, and drops a closed or killed one, a moment after the fact (and on
/// localhost a `mysql::Conn` connects over TCP, then moves to the Unix socket: the TCP session lingers).
pub const SERVER_SETTLES: Duration = Duration::from_secs(5);

/// Inserts a user with plain SQL and returns its id: test set-up that does not depend on the
/// lesson code under test.
pub fn insert_user(conn: &mut impl Queryable, name: &str, email: &str) -> mysql::Result<u64> {
    let inserted = conn.exec_iter(
        "INSERT INTO users (name, email) VALUES (?, ?)",
        (name, email),
    )?;
    Ok(inserted
        .last_insert_id()
        .expect("an INSERT into users reports its AUTO_INCREMENT id"))
}

/// A fresh database with the course schema, dropped when this value is dropped.
pub struct TestDb {
    config: Config,
}

impl TestDb {
    /// Creates `llmagent_test_<pid>_<n>_<random>` on the configured server and loads the schema.
    /// When nothing answers there, the first call of a test run starts the course's own server
    /// ([`crate::start_server_if_needed`]), and the others wait for it.
    pub fn new() -> Result<TestDb, Error> {
        let configured = Config::from_env()?;
        start_server_once(&configured)?;
        let server = configured.with_database("");
        let mut admin = connect(&server)?;
        static SWEEP: Once = Once::new();
        SWEEP.call_once(|| drop_databases_of_dead_test_runs(&mut admin));

        let name = unique_name();
        let mysql = |err| Error::from_mysql(err, &server);
        admin
            .query_drop(format!(
                "CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_520_ci"
            ))
            .map_err(mysql)?;
        // From here on, Drop removes the database, also if loading the schema fails.
        let db = TestDb {
            config: server.with_database(&name),
        };
        admin.query_drop(format!("USE `{name}`")).map_err(mysql)?;
        run_statements(&mut admin, SCHEMA_SQL).map_err(mysql)?;
        Ok(db)
    }

    /// The database's name.
    pub fn name(&self) -> &str {
        &self.config.database
    }

    /// The configured server and user, with this database.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Connection options for this database.
    pub fn opts(&self) -> Opts {
        self.config.opts()
    }

    /// A new connection to this database. Panics with the setup hint, and the driver's error under
    /// it, if the server is gone.
    pub fn conn(&self) -> Conn {
        connect(&self.config).unwrap_or_else(|err| match std::error::Error::source(&err) {
            Some(cause) => panic!("{err}\n\nCaused by: {cause}"),
            None => panic!("{err}"),
        })
    }

    /// A connection to the test's database that the server has closed (`KILL`), as a restart or
    /// `wait_timeout` would: any SQL sent on it fails, so a test sees the code's error path.
    pub fn killed_conn(&self) -> mysql::Result<Conn> {
        let victim = self.conn();
        // KILL takes no parameters (MySQL refuses `KILL ?`): the id is an integer, formatted.
        self.conn()
            .query_drop(format!("KILL {}", victim.connection_id()))?;
        Ok(victim)
    }

    /// The tables of this database, sorted: after an SQL-injection test, still `["conversations", "user_tokens", "users"]`.
    pub fn table_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self
            .conn()
            .exec(
                "SELECT TABLE_NAME FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?",
                (self.name(),),
            )
            .expect("the table list can be read");
        // Sorted here, byte by byte: the servers' ORDER BY puts `users` before `user_tokens`
        // (MariaDB's case-folding collation) or after it, depending on the server.
        names.sort();
        names
    }

    /// The ids of the connections the server lists in this database ([`crate::sessions`]), apart
    /// from `watcher`'s own, in ascending order: filtering by database keeps out the tests running
    /// in parallel.
    pub fn session_ids(&self, watcher: &mut Conn) -> Vec<u32> {
        let own = watcher.connection_id();
        let sessions = crate::sessions(watcher).expect("the process list can be read");
        let mut ids: Vec<u32> = sessions
            .into_iter()
            .filter(|session| session.db.as_deref() == Some(self.name()) && session.id != own)
            .map(|session| session.id)
            .collect();
        ids.sort_unstable();
        ids
    }

    /// Polls [`TestDb::session_ids`] until `done` holds or [`SERVER_SETTLES`] passes, and returns
    /// the last list seen: assert on it, so that a list that never settles fails the test.
    pub fn wait_for_sessions(&self, watcher: &mut Conn, done: impl Fn(&[u32]) -> bool) -> Vec<u32> {
        let deadline = Instant::now() + SERVER_SETTLES;
        loop {
            let ids = self.session_ids(watcher);
            if done(&ids) || Instant::now() >= deadline {
                return ids;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let dropped = connect(&self.config.with_database("")).and_then(|mut admin| {
            admin
                .query_drop(format!("DROP DATABASE IF EXISTS `{}`", self.name()))
                .map_err(Error::Mysql)
        });
        if let Err(err) = dropped {
            eprintln!(
                "warning: could not drop test database {}: {err}",
                self.name()
            );
        }
    }
}

/// The configured server (`.env`, environment, defaults), started first if nothing answers, as
/// [`TestDb::new`] does: for a test that talks to the server itself rather than to a database of its own.
pub fn configured_server() -> Result<Config, Error> {
    let configured = Config::from_env()?;
    start_server_once(&configured)?;
    Ok(configured)
}

/// [`crate::start_server_if_needed`], once per test binary: its tests run in parallel, and the
/// first one starts the server while the others wait here (test binaries that run at the same time
/// wait on the set-up's lock, as two `cargo run -p db -- up` do). A failure is reported to every test.
fn start_server_once(configured: &Config) -> Result<(), Error> {
    static OUTCOME: OnceLock<Result<(), Error>> = OnceLock::new();
    let outcome = OUTCOME.get_or_init(|| {
        // The student sees the `db: ...` lines of a start, as from `cargo run -p db -- up`.
        crate::setup::say_past_capture(|| crate::start_server_if_needed(configured).map(drop))
    });
    match outcome {
        Ok(()) => Ok(()),
        // The only two ways the autostart fails; rebuilt for each test, as an Error is not Clone.
        Err(Error::InvalidAutostart { value }) => Err(Error::InvalidAutostart {
            value: value.clone(),
        }),
        Err(Error::Autostart { address, source }) => Err(Error::Autostart {
            address: address.clone(),
            source: Arc::clone(source),
        }),
        Err(other) => unreachable!("the autostart failed in an unexpected way: {other}"),
    }
}

fn unique_name() -> String {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u32(n);
    let random = hasher.finish() as u32;
    format!("{TEST_DB_PREFIX}{}_{n}_{random:08x}", std::process::id())
}

/// A test run that was killed (Ctrl-C, a crash) never ran its Drops. Its databases carry its
/// process id, so the next run removes those whose process is gone (where /proc tells).
fn drop_databases_of_dead_test_runs(admin: &mut Conn) {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let pattern = format!("{}%", TEST_DB_PREFIX.replace('_', "\\_"));
    let Ok(names) = admin.exec::<String, _, _>(
        "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?",
        (pattern,),
    ) else {
        return;
    };
    for name in names {
        let pid = name[TEST_DB_PREFIX.len()..].split('_').next().unwrap_or("");
        if !pid.is_empty() && !Path::new("/proc").join(pid).exists() {
            let _ = admin.query_drop(format!("DROP DATABASE IF EXISTS `{name}`"));
        }
    }
}
