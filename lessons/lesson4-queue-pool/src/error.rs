//! Why the pool could not lend a connection.

use std::fmt;
use std::time::Duration;

/// Why the pool could not lend a connection.
///
/// Each message says its own part once: for [`PoolError::Connect`] the driver's error is the
/// `source()`, which the program's edge prints after it (anyhow's `Caused by:`).
#[derive(Debug)]
pub enum PoolError {
    /// Opening a connection failed (at start-up, or to replace a dead one).
    Connect(mysql::Error),
    /// Every connection stayed in use until the deadline (the `PoolTimeout` of other pools).
    Timeout {
        /// How long the checkout waited.
        waited: Duration,
    },
    /// [`Pool::close_all`](crate::Pool::close_all) was called; this pool lends nothing any more.
    Closed,
    /// `max_size` was 0: such a pool could never lend a connection.
    ZeroSize,
}

impl fmt::Display for PoolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PoolError::Connect(_) => write!(f, "the pool could not open a connection"),
            PoolError::Timeout { waited } => write!(
                f,
                "PoolTimeout: no connection came free within {:.3} s, every pooled connection is in use \
                 (is a PooledConn held too long, or is the pool too small?)",
                waited.as_secs_f64()
            ),
            PoolError::Closed => write!(f, "the pool is closed (close_all was called)"),
            PoolError::ZeroSize => write!(f, "a pool needs max_size of at least 1"),
        }
    }
}

impl std::error::Error for PoolError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PoolError::Connect(err) => Some(err),
            _ => None,
        }
    }
}
