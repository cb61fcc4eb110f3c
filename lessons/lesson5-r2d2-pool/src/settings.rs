//! The pool's settings as one value, so that the tests can vary them. You need not read this file
//! for the exercise: the fields are named after r2d2's builder methods, and the README's table says
//! what each one does.

use std::time::Duration;

use crate::PoolError;

/// Every r2d2 setting this course cares about, with values for a small teaching pool.
///
/// [`PoolSettings::default`] opens 4 connections and waits at most 2 s; r2d2's own defaults are
/// 10 connections and 30 s, so a stopped server would keep `build()` silent for half a minute. Its
/// liveness window is lesson 4's (and HikariCP's): 500 ms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolSettings {
    /// `max_size`: the most connections the pool ever holds, idle plus lent out (lesson 4's `maxsize`).
    /// r2d2's default is 10.
    pub max_size: u32,
    /// `min_idle`: how many idle connections r2d2 keeps ready, opening new ones in the background when
    /// fewer are idle. `None` means `max_size`: all of them, opened by `build()`, as lesson 4 does.
    pub min_idle: Option<u32>,
    /// `connection_timeout`: how long `build()` waits for the first `min_idle` connections, and how
    /// long `get()` waits for a free one (lesson 4's checkout deadline). r2d2's default is 30 s.
    pub connection_timeout: Duration,
    /// `test_on_check_out`: ping every connection before lending it. r2d2's default is `true`.
    pub test_on_check_out: bool,
    /// `idle_timeout`: close a connection that sat idle this long (checked every 30 s).
    /// r2d2's default is 10 minutes; `None` never closes idle connections.
    pub idle_timeout: Option<Duration>,
    /// `max_lifetime`: close a connection this old (checked every 30 s, on idle connections only).
    /// r2d2's default is 30 minutes; `None` keeps connections forever.
    pub max_lifetime: Option<Duration>,
    /// Not r2d2's but the manager's ([`crate::MysqlManager::new`]): with `test_on_check_out`, a
    /// connection that came back cleanly less than this long ago is lent without a ping.
    /// `Duration::ZERO` pings before every checkout, as `r2d2_mysql`'s own manager does.
    pub liveness_window: Duration,
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
            liveness_window: Duration::from_millis(500),
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
