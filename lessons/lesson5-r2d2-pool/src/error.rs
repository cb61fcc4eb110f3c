//! Why an r2d2 pool could not be built or could not lend a connection.

use std::fmt;
use std::time::Duration;

/// Why an r2d2 pool could not be built or could not lend a connection.
///
/// r2d2 has one error type for both, "timed out waiting for connection", with the text of the last
/// connection error appended; the variants say which situation it was. Each message says its own
/// part once: the cause is the `source()`, which the program's edge prints after it.
#[derive(Debug)]
pub enum PoolError {
    /// The settings would make r2d2's builder panic.
    InvalidSettings(&'static str),
    /// `build()` did not get its connections within `connection_timeout`; the cause says why.
    Build(BuildError),
    /// Every connection stayed in use until the deadline (lesson 4's `PoolError::Timeout`).
    Timeout {
        /// How long the checkout waited.
        waited: Duration,
        /// r2d2's error; it carries the last connection error, if opening a connection failed meanwhile.
        source: r2d2::Error,
    },
}

/// Why `build()` did not get its connections.
#[derive(Debug)]
pub enum BuildError {
    /// A direct connection fails too: said as lesson 1 says it (host:port, and what to do next).
    Unavailable(shared::Error),
    /// A direct connection works: the server answers, but r2d2 got no connection in time.
    TooSlow(r2d2::Error),
}

impl PoolError {
    /// The error for a failed `r2d2::Builder::build`. r2d2 keeps only the text of its last
    /// connection error, so this asks the server once more, directly, to say why as
    /// `shared::connect` does.
    pub fn from_build(err: r2d2::Error, config: &shared::Config) -> PoolError {
        PoolError::Build(match shared::check_server(config) {
            Err(why) => BuildError::Unavailable(why),
            Ok(()) => BuildError::TooSlow(err),
        })
    }
}

impl fmt::Display for PoolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PoolError::InvalidSettings(reason) => write!(f, "invalid pool settings: {reason}"),
            PoolError::Build(_) => write!(f, "the pool could not open its connections"),
            PoolError::Timeout { waited, .. } => write!(
                f,
                "PoolTimeout: no connection came free within {:.3} s, every pooled connection is \
                 in use (is one held too long, or is the pool too small?)",
                waited.as_secs_f64()
            ),
        }
    }
}

impl std::error::Error for PoolError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PoolError::InvalidSettings(_) => None,
            PoolError::Build(err) => Some(err),
            PoolError::Timeout { source, .. } => Some(source),
        }
    }
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            // Only a wrapper: the message is shared's, said once.
            BuildError::Unavailable(err) => err.fmt(f),
            BuildError::TooSlow(_) => write!(
                f,
                "the server answers a direct connection, but the pool got none within \
                 connection_timeout: is the server overloaded, or the timeout too short?"
            ),
        }
    }
}

impl std::error::Error for BuildError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            // The wrapper shows shared's message, so it passes on shared's cause, not shared itself.
            BuildError::Unavailable(err) => err.source(),
            BuildError::TooSlow(err) => Some(err),
        }
    }
}
