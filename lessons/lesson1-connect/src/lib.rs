//! # Lesson 1: connect, and `SELECT 1`
//!
//! The lecture's first program opens a connection with pymysql, runs `SELECT 1`, prints the row and
//! closes the connection. Here it is in Rust: [`select_one`] does the same and also asks the server
//! who it is, so the demo can show *where* it arrived.
//!
//! Exercise mode: `cargo test -p lesson1 --features exercise` builds `src/exercise.rs` (your
//! version) instead of the reference, `reference/solution.rs`, and runs the same tests against
//! it.

// The reference lives outside `src/`, out of the student's way.
#[cfg(not(feature = "exercise"))]
#[path = "../reference/solution.rs"]
mod solution;
#[cfg(feature = "exercise")]
#[path = "exercise.rs"]
mod solution;

pub use solution::select_one;

/// What the server answered: the row of `SELECT 1`, and who and where we are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    /// The single value of `SELECT 1`'s row.
    pub one: i64,
    /// `VERSION()`: which server answered, such as `10.11.19-MariaDB` or `8.4.3`.
    pub server_version: String,
    /// `CURRENT_USER()`: the account the server matched us to, such as `tester@%`.
    pub user: String,
    /// `DATABASE()`: the default database of the connection, if any.
    pub database: Option<String>,
}
