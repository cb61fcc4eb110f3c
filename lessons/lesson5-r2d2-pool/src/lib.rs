//! # Lesson 5: the same pool with `r2d2`
//!
//! Lesson 4 wrote a pool by hand: a queue, a guard whose `Drop` gives the connection back, a
//! liveness check, a checkout deadline, `close_all`. `r2d2` is that pool, finished and tested, and
//! `r2d2_mysql` tells it how to open and check a `mysql::Conn`. This lesson builds one with every
//! setting that matters spelled out ([`PoolSettings`]), and turns r2d2's one error type into errors a
//! caller can match ([`PoolError`]).
//!
//! `r2d2_mysql` 28 is built on `mysql` 28, the version every lesson uses, so the connection an r2d2
//! pool lends is the same `mysql::Conn` as everywhere else (pitfall 1: with two `mysql` versions in
//! the build, the types would not match).
//!
//! Careful: `r2d2::Pool`'s `Debug` output includes the manager, whose `Opts` show the password.
//! Print [`describe`] or `pool.state()` instead.
//!
//! Exercise mode: `cargo test -p lesson5 --features exercise` builds `src/exercise.rs` (your
//! [`build_pool`] and [`checkout`]) instead of `src/solution.rs`.

use std::fmt;
use std::time::Duration;

pub use r2d2_mysql::MySqlConnectionManager;

#[cfg_attr(feature = "exercise", path = "exercise.rs")]
mod solution;

pub use solution::{build_pool, checkout};

/// An r2d2 pool of MySQL connections.
pub type MysqlPool = r2d2::Pool<MySqlConnectionManager>;

/// A connection lent by a [`MysqlPool`]: derefs to `mysql::Conn`, goes back to the pool when dropped.
pub type PooledConn = r2d2::PooledConnection<MySqlConnectionManager>;

/// Every r2d2 setting this course cares about, with values for a small teaching pool.
///
/// [`PoolSettings::default`] opens 4 connections and waits at most 2 s; r2d2's own defaults are
/// 10 connections and 30 s, so a stopped server would keep `build()` silent for half a minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolSettings {
    /// `max_size`: the most connections the pool ever holds, idle plus lent out (lesson4's `maxsize`).
    /// r2d2's default is 10.
    pub max_size: u32,
    /// `min_idle`: how many idle connections r2d2 keeps ready, opening new ones in the background when
    /// fewer are idle. `None` means `max_size`: all of them, opened by `build()`, as lesson4 does.
    /// A smaller value lets the pool start small, grow for a burst and shrink back (with `idle_timeout`).
    pub min_idle: Option<u32>,
    /// `connection_timeout`: how long `build()` waits for the first `min_idle` connections, and how
    /// long `get()` waits for a free one (lesson4's checkout deadline). r2d2's default is 30 s.
    pub connection_timeout: Duration,
    /// `test_on_check_out`: ping every connection before lending it (lesson4 pings only those idle
    /// longer than its liveness window). r2d2's default is `true`.
    pub test_on_check_out: bool,
    /// `idle_timeout`: close a connection that sat idle this long (checked every 30 s), so the pool
    /// shrinks back towards `min_idle` after a burst, before the server's `wait_timeout` closes it
    /// for us. With `min_idle: None`, r2d2 opens a new connection in its place at once: the pool
    /// keeps its size and only renews idle connections. r2d2's default is 10 minutes; `None` never
    /// closes idle connections.
    pub idle_timeout: Option<Duration>,
    /// `max_lifetime`: close a connection this old, so no connection outlives a server-side or
    /// proxy limit, and memory a long session holds on the server is given back. Checked every
    /// 30 s on the idle connections only (r2d2 0.8's docs say a lent one is closed on return, but
    /// its code does not check there). r2d2's default is 30 minutes; `None` keeps connections forever.
    pub max_lifetime: Option<Duration>,
}

impl Default for PoolSettings {
    fn default() -> PoolSettings {
        PoolSettings {
            max_size: 4,
            min_idle: None,
            connection_timeout: Duration::from_secs(2),
            test_on_check_out: true,
            idle_timeout: Some(Duration::from_secs(5 * 60)),
            max_lifetime: Some(Duration::from_secs(30 * 60)),
        }
    }
}

impl PoolSettings {
    /// Checks what r2d2's builder would otherwise reject with a panic: a zero `max_size`, a
    /// `min_idle` above `max_size`, or a zero duration.
    pub fn validate(&self) -> Result<(), PoolError> {
        let invalid = |reason: &'static str| Err(PoolError::InvalidSettings(reason));
        if self.max_size == 0 {
            return invalid("max_size must be at least 1");
        }
        if self.min_idle.is_some_and(|min| min > self.max_size) {
            return invalid("min_idle must not be larger than max_size");
        }
        if self.connection_timeout.is_zero() {
            return invalid("connection_timeout must be longer than zero");
        }
        if self.idle_timeout.is_some_and(|d| d.is_zero())
            || self.max_lifetime.is_some_and(|d| d.is_zero())
        {
            return invalid("idle_timeout and max_lifetime must be None or longer than zero");
        }
        Ok(())
    }
}

/// Why an r2d2 pool could not be built or could not lend a connection.
///
/// r2d2 has one error type for both, "timed out waiting for connection", with the last error of
/// its connection attempts appended; the variants say which situation it was.
#[derive(Debug)]
pub enum PoolError {
    /// The settings would make r2d2's builder panic.
    InvalidSettings(&'static str),
    /// `build()` did not get its first `min_idle` connections within `connection_timeout`: the server
    /// is down or refuses us. The message ends with the last connection error r2d2 saw.
    Build(r2d2::Error),
    /// Every connection stayed in use until the deadline (lesson4's `PoolError::Timeout`).
    Timeout {
        /// How long the checkout waited.
        waited: Duration,
        /// r2d2's error; it carries the last connection error, if opening a connection failed meanwhile.
        source: r2d2::Error,
    },
}

impl fmt::Display for PoolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PoolError::InvalidSettings(reason) => write!(f, "invalid pool settings: {reason}"),
            PoolError::Build(err) => write!(
                f,
                "the pool could not open its connections ({err}). Start the server with `{}`, \
                 or check DB_HOST, DB_PORT, DB_USER and DB_PASSWORD.",
                shared::SETUP_COMMAND
            ),
            PoolError::Timeout { waited, source } => write!(
                f,
                "PoolTimeout: no connection came free within {:.3} s ({source})",
                waited.as_secs_f64()
            ),
        }
    }
}

impl std::error::Error for PoolError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PoolError::InvalidSettings(_) => None,
            PoolError::Build(err) | PoolError::Timeout { source: err, .. } => Some(err),
        }
    }
}

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
