//! EXERCISE 5: build the r2d2 pool, and give its timeout a name.
//!
//! Write `build_pool` and `checkout` so that `cargo test -p lesson5 --features exercise` passes.
//! Run the demo on your version with `cargo run -p lesson5 --features exercise`.
//! The README's table says which part of lesson 4 each r2d2 setting replaces.
#![allow(unused_variables, unused_imports)]

use std::time::{Duration, Instant};

use r2d2_mysql::MySqlConnectionManager;
use shared::Config;

use crate::{MysqlPool, PoolError, PoolSettings, PooledConn};

/// Builds an r2d2 pool of connections to `config`'s database with `settings`, and waits (at most
/// `settings.connection_timeout`) until its first `min_idle` connections are open.
//
// Exercise 5a.
// 1. `settings.validate()?;` first: r2d2's builder panics on a zero size or duration.
// 2. The manager opens and checks connections:
//    `let manager = MySqlConnectionManager::new(config.opts_builder());`
// 3. `r2d2::Pool::builder()`, then one call per setting, each taking the field of the same name:
//    `.max_size(..)`, `.min_idle(..)`, `.connection_timeout(..)`, `.test_on_check_out(..)`,
//    `.idle_timeout(..)`, `.max_lifetime(..)`.
// 4. `.build(manager)` opens the connections and waits for them; turn its error into a
//    `PoolError::Build` with `.map_err(PoolError::Build)`.
pub fn build_pool(config: &Config, settings: &PoolSettings) -> Result<MysqlPool, PoolError> {
    todo!("Exercise 5a: r2d2::Pool::builder() with every setting, then build(manager)")
}

/// Lends a connection, waiting at most `timeout` for one to come free; then [`PoolError::Timeout`].
//
// Exercise 5b.
// 1. Note `let started = Instant::now();`
// 2. `pool.get_timeout(timeout)` returns `Result<PooledConn, r2d2::Error>`; its only failure is
//    the deadline passing. Map it to `PoolError::Timeout { waited: started.elapsed(), source }`.
pub fn checkout(pool: &MysqlPool, timeout: Duration) -> Result<PooledConn, PoolError> {
    todo!("Exercise 5b: pool.get_timeout(timeout), its error as PoolError::Timeout")
}
