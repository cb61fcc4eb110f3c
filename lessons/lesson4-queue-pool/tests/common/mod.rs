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
