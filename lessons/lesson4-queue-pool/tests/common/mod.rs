//! What more than one test file of this lesson needs.

use lesson4::PoolState;

/// What `pool.state()` reports for a pool of `n` connections with none lent out
/// (`all_idle(0)`: a pool with no connections at all, after `close_all` for example).
pub fn all_idle(n: usize) -> PoolState {
    PoolState {
        connections: n,
        idle_connections: n,
    }
}

/// Ends the server session `id` from `watcher`'s session, as a DBA, a restart or `wait_timeout` would.
#[allow(dead_code)] // tests/queue.rs has no server
pub fn kill(watcher: &mut mysql::Conn, id: u32) -> mysql::Result<()> {
    use mysql::prelude::Queryable;
    // KILL takes no parameters (MySQL refuses `KILL ?`), so the id is formatted into the statement:
    // the one safe exception to binding values, since a u32 cannot carry SQL.
    watcher.query_drop(format!("KILL {id}"))
}
