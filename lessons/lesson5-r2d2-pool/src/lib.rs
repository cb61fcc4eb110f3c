//! # Lesson 5: the same pool with `r2d2`
//!
//! Lesson 4 wrote a pool by hand: a queue, a guard whose `Drop` gives the connection back (반납), a
//! liveness check, a checkout deadline, `close_all`. `r2d2` is that pool, finished and tested, and
//! a *manager* tells it how to open and check a `mysql::Conn`: `r2d2_mysql`'s, wrapped in
//! [`MysqlManager`] (in `src/manager.rs`) so that a connection whose use failed is closed instead
//! of being lent again, which `r2d2_mysql`'s ping cannot guarantee. This lesson builds one with every
//! setting that matters spelled out ([`PoolSettings`], in `src/settings.rs`), and turns r2d2's one
//! error type into errors a caller can match ([`PoolError`], in `src/error.rs`).
//!
//! `r2d2_mysql` 28 is built on `mysql` 28, the version every lesson uses, so the connection an r2d2
//! pool lends is the same `mysql::Conn` as everywhere else: with two `mysql` versions in the build,
//! the types would not match.
//!
//! Careful: `r2d2::Pool`'s `Debug` output includes the manager, whose `Opts` show the password.
//! Print [`describe`] or `pool.state()` instead.
//!
//! Exercise mode: `cargo test -p lesson5 --features exercise` builds `src/exercise.rs` (your
//! [`build_pool`] and [`checkout`]) instead of the reference,
//! `reference/solution.rs`.

mod error;
mod manager;
mod settings;
// The reference lives outside `src/`, out of the student's way.
#[cfg(not(feature = "exercise"))]
#[path = "../reference/solution.rs"]
mod solution;
#[cfg(feature = "exercise")]
#[path = "exercise.rs"]
mod solution;

pub use error::{BuildError, PoolError};
pub use manager::{ManagedConn, MysqlManager};
pub use r2d2_mysql::MySqlConnectionManager;
pub use settings::PoolSettings;
pub use solution::{build_pool, checkout};

/// An r2d2 pool of MySQL connections, checked by the course's [`MysqlManager`].
pub type MysqlPool = r2d2::Pool<MysqlManager>;

/// A connection lent by a [`MysqlPool`]: derefs to `mysql::Conn` (through [`ManagedConn`]), goes
/// back to the pool when dropped, or is closed if [`ManagedConn::mark_broken`] was called.
pub type PooledConn = r2d2::PooledConnection<MysqlManager>;

/// A one-line summary of a pool that is safe to print (`{:?}` of an r2d2 pool shows the password).
pub fn describe(pool: &MysqlPool) -> String {
    let state = pool.state();
    format!(
        "max_size {}, min_idle {:?}, connection_timeout {:?}, test_on_check_out {}: {} connections, {} idle",
        pool.max_size(),
        pool.min_idle(),
        pool.connection_timeout(),
        pool.test_on_check_out(),
        state.connections,
        state.idle_connections
    )
}
