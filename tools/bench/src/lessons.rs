//! The lessons' code, as the benchmark calls it. Everything the benchmark takes from a lesson
//! goes through this module, so a change in a lesson's API is one edit here.

use std::time::Duration;

use mysql::Opts;
use mysql::prelude::Queryable;

use crate::BenchError;

/// lesson4's pool of `mysql::Conn`.
pub use lesson4::Pool;

/// Lesson 4 hands out a connection without a ping if it came back, cleanly, less than this long ago.
pub const LESSON4_PING_WINDOW: Duration = lesson4::DEFAULT_LIVENESS_WINDOW;

/// lesson2's point select (`get_user_by_email`); the email of the user found, if any.
pub fn get_user_email(
    conn: &mut impl Queryable,
    email: &str,
) -> Result<Option<String>, BenchError> {
    let user = lesson2::get_user_by_email(conn, email)?;
    Ok(user.map(|user| user.email))
}

/// lesson3's `get_user_by_email`: the same point select on a connection of its own, opened and
/// closed for this one call.
pub fn get_user_email_per_call(opts: &Opts, email: &str) -> Result<Option<String>, BenchError> {
    let user = lesson3::get_user_by_email(opts, email)?;
    Ok(user.map(|user| user.email))
}

/// Opens lesson4's pool: `size` connections, its default liveness window.
pub fn lesson4_pool(opts: Opts, size: usize) -> Result<Pool, BenchError> {
    Ok(Pool::new(opts, size)?)
}
