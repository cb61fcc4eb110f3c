//! What both test files of this lesson need: a pool for the test's database, and the server's
//! view of its connections.
//!
//! Careful in tests: `{:?}` of an r2d2 pool (also inside `unwrap_err()` on a `Result<MysqlPool, _>`)
//! prints the manager's Opts, password included. Match on the result instead.

// Each test file uses its own subset of these helpers.
#![allow(dead_code)]

use std::thread;
use std::time::{Duration, Instant};

use lesson5::{MysqlPool, PoolSettings, build_pool};
use mysql::prelude::Queryable;
use shared::testing::TestDb;

/// How long a test waits for the server to notice a new, closed or killed connection.
pub const SERVER_SETTLES: Duration = Duration::from_secs(5);

/// A pool for the test's database with `settings`; panics with r2d2's reason (never the password).
pub fn pool_with(db: &TestDb, settings: PoolSettings) -> MysqlPool {
    match build_pool(db.config(), &settings) {
        Ok(pool) => pool,
        Err(err) => panic!("the pool could not be built: {err}"),
    }
}

/// A pool of `max_size` connections, the other settings [`PoolSettings::default`].
pub fn small_pool(db: &TestDb, max_size: u32) -> MysqlPool {
    let settings = PoolSettings {
        max_size,
        ..PoolSettings::default()
    };
    pool_with(db, settings)
}

/// The connection ids the server lists in the test's database, apart from the watcher's own.
pub fn server_side_ids(watcher: &mut mysql::Conn, db: &TestDb) -> Vec<u32> {
    watcher
        .exec(
            "SELECT ID FROM information_schema.PROCESSLIST WHERE DB = ? AND ID <> CONNECTION_ID() ORDER BY ID",
            (db.name(),),
        )
        .expect("the process list can be read")
}

/// Polls the process list until `done` holds or [`SERVER_SETTLES`] passes; returns the last list
/// seen. The server lists a new connection, and drops a closed or killed one, a moment after the
/// fact: r2d2 opens and closes connections on its own threads, and on localhost each new
/// `mysql::Conn` connects over TCP and then moves to the Unix socket (the TCP session lingers).
pub fn wait_for_server(
    watcher: &mut mysql::Conn,
    db: &TestDb,
    done: impl Fn(&[u32]) -> bool,
) -> Vec<u32> {
    let deadline = Instant::now() + SERVER_SETTLES;
    loop {
        let ids = server_side_ids(watcher, db);
        if done(&ids) || Instant::now() >= deadline {
            return ids;
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// How many connections the server lists in the test's database, once the count is `wanted`
/// (or [`SERVER_SETTLES`] passed).
pub fn wait_for_count(watcher: &mut mysql::Conn, db: &TestDb, wanted: usize) -> usize {
    wait_for_server(watcher, db, |ids| ids.len() == wanted).len()
}

/// The server's id of the connection `conn` (asked, not the client's cached id).
pub fn connection_id(conn: &mut mysql::Conn) -> mysql::Result<u32> {
    Ok(conn
        .query_first("SELECT CONNECTION_ID()")?
        .expect("one row"))
}
