//! # Lesson 2: create and read users
//!
//! The lecture's agent keeps its users in the `users` table. This lesson writes the two functions
//! everything else builds on: [`create_user`] (an `INSERT` with bound parameters, returning the new
//! id) and [`get_user_by_email`] (a `SELECT` into a typed [`User`], the Rust counterpart of
//! pymysql's `DictCursor`).
//!
//! Both take `&mut impl Queryable`, so the same function works on a plain `mysql::Conn`, inside a
//! `mysql::Transaction`, or on a pooled connection (lesson 4's guard, or `&mut *guard` from r2d2).
//!
//! Exercise mode: `cargo test -p lesson2 --features exercise` builds `src/exercise.rs` (your
//! version) instead of the reference, `reference/solution.rs`, and runs the same tests against
//! it.

use mysql::prelude::FromRow;

mod messages;
// The reference lives outside `src/`, out of the student's way.
#[cfg(not(feature = "exercise"))]
#[path = "../reference/solution.rs"]
mod solution;
#[cfg(feature = "exercise")]
#[path = "exercise.rs"]
mod solution;
mod validation;

pub use solution::{create_user, get_user_by_email};
pub use validation::{MAX_EMAIL_CHARS, MAX_NAME_CHARS, validate_email, validate_name};

/// The server's error code for a duplicate key (`ER_DUP_ENTRY`), in MySQL and MariaDB alike.
pub const ER_DUP_ENTRY: u16 = 1062;

/// The unique key on `users.email`; a duplicate-key error naming it means "email taken".
pub const EMAIL_UNIQUE_KEY: &str = "uq_users_email";

/// One row of `users`, read by column name (like pymysql's `DictCursor`, but typed: a column
/// that does not fit its field stops the program where the row is read, as `exec_first` panics,
/// instead of surprising it later).
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct User {
    /// `users.id`, given by the server's `AUTO_INCREMENT`.
    pub id: u64,
    /// `users.name`, at most [`MAX_NAME_CHARS`] characters.
    pub name: String,
    /// `users.email`, unique, at most [`MAX_EMAIL_CHARS`] characters.
    pub email: String,
    /// `users.created_at`, set by the server (`DEFAULT CURRENT_TIMESTAMP`, session time zone).
    pub created_at: chrono::NaiveDateTime,
}

/// Why a user could not be created, read, updated or deleted. A caller can `match` it; each
/// message says what to do (src/messages.rs).
#[derive(Debug)]
pub enum UserError {
    /// The input was rejected before any SQL was sent ([`validate_name`], [`validate_email`]).
    Invalid {
        /// Which input: `"name"` or `"email"`.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// Another user already has this email, or one the collation counts as the same
    /// (server error 1062 on `uq_users_email`: see [`is_email_taken`]).
    EmailTaken {
        /// The email that was asked for.
        email: String,
    },
    /// No user has this id (lesson 6: an update or delete that matched no row).
    NotFound {
        /// The id that was asked for.
        id: u64,
    },
    /// Any other error from the driver or the server.
    Db(mysql::Error),
}

/// `?` on a `mysql::Result` inside a function returning `UserError` wraps the error as [`UserError::Db`].
impl From<mysql::Error> for UserError {
    fn from(err: mysql::Error) -> UserError {
        UserError::Db(err)
    }
}

/// Whether `err` is the server saying "this email is already in `users`" (error 1062 on
/// [`EMAIL_UNIQUE_KEY`]). MariaDB names the key `'uq_users_email'`, MySQL `'users.uq_users_email'`.
pub fn is_email_taken(err: &mysql::Error) -> bool {
    matches!(err, mysql::Error::MySqlError(server)
        if server.code == ER_DUP_ENTRY && server.message.contains(EMAIL_UNIQUE_KEY))
}
