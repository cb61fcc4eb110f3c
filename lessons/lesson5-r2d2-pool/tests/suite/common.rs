//! What both test modules of this lesson need: a pool for the test's database, and the server's
//! view of its connections.
//!
//! Careful in tests: `{:?}` of an r2d2 pool (also inside `unwrap_err()` on a `Result<MysqlPool, _>`)
//! prints the manager's Opts, password included. Match on the result instead.

// Each test module uses its own subset of these helpers.
#![allow(dead_code)]

use lesson5::{MysqlPool, PoolSettings, build_pool};
use mysql::prelude::Queryable;
use shared::testing::TestDb;

/// A pool for the test's database with `settings`; panics with r2d2's reason (never the password).
pub fn pool_with(db: &TestDb, settings: PoolSettings) -> MysqlPool {
    match build_pool(db.config(), &settings) {
        Ok(pool) => pool,
        Err(err) => panic!(
            "{}",
            shared::bilingual!(
                "the pool could not be built: {err}",
                "풀을 만들 수 없었습니다: {err}"
            )
        ),
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

/// How many connections the server lists in the test's database, once the count is `wanted`
/// (or `shared::testing::SERVER_SETTLES` passed).
pub fn wait_for_count(watcher: &mut mysql::Conn, db: &TestDb, wanted: usize) -> usize {
    db.wait_for_sessions(watcher, |ids| ids.len() == wanted)
        .len()
}

/// The server's id of the connection `conn` (asked, not the client's cached id).
pub fn connection_id(conn: &mut mysql::Conn) -> mysql::Result<u32> {
    Ok(conn
        .query_first("SELECT CONNECTION_ID()")?
        .expect("one row"))
}

/// Ends the server session `id` from `watcher`'s session, as a DBA, a restart or `wait_timeout` would.
pub fn kill(watcher: &mut mysql::Conn, id: u32) -> mysql::Result<()> {
    // KILL takes no parameters (MySQL refuses `KILL ?`), so the id is formatted into the statement:
    // the one safe exception to binding values, since a u32 cannot carry SQL.
    watcher.query_drop(format!("KILL {id}"))
}
