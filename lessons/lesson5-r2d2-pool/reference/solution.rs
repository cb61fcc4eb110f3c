//! Reference solution: an r2d2 pool built with every setting spelled out, and a checkout whose
//! timeout is an error you can match. Exercise mode compiles `exercise.rs` in place of this file.

use std::time::{Duration, Instant};

use shared::Config;

use crate::{MysqlManager, MysqlPool, PoolError, PoolSettings, PooledConn};

/// Builds an r2d2 pool of connections to `config`'s database with `settings`, and waits (at most
/// `settings.connection_timeout`) until its first `min_idle` connections are open.
///
/// Lesson 4 wrote this by hand as `Pool::new(opts, maxsize)`; the lecture's Python as
/// `ConnectionPool(maxsize=...)`, which filled a Queue with connections.
pub fn build_pool(config: &Config, settings: &PoolSettings) -> Result<MysqlPool, PoolError> {
    // r2d2's builder panics on a zero size or duration; a library should say so with an error.
    settings.validate()?;
    // The manager knows how to open a mysql::Conn and when to check one. It takes an OptsBuilder:
    // shared's, with its short connect and read timeouts.
    let manager = MysqlManager::new(config.opts_builder(), settings.liveness_window);
    r2d2::Pool::builder()
        .max_size(settings.max_size)
        .min_idle(settings.min_idle)
        .connection_timeout(settings.connection_timeout)
        .test_on_check_out(settings.test_on_check_out)
        .idle_timeout(settings.idle_timeout)
        .max_lifetime(settings.max_lifetime)
        // build() opens the connections on r2d2's background threads and waits for them; on failure
        // it keeps retrying until connection_timeout, then reports the last error it saw.
        .build(manager)
        .map_err(|err| PoolError::from_build(err, config))
}

/// Lends a connection, waiting at most `timeout` for one to come free; then [`PoolError::Timeout`].
///
/// r2d2's `get_timeout` already has the deadline lesson 4 added to the lecture's `Queue.get()`;
/// this only gives its error a name a caller can match.
pub fn checkout(pool: &MysqlPool, timeout: Duration) -> Result<PooledConn, PoolError> {
    let started = Instant::now();
    // r2d2's get fails in one way only: the deadline passed (while it retried any failing connect).
    pool.get_timeout(timeout)
        .map_err(|source| PoolError::Timeout {
            waited: started.elapsed(),
            source,
        })
}
