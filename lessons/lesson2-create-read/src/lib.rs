//! # Lesson 2: create and read users
//!
//! The lecture's agent keeps its users in the `users` table. This lesson writes the two functions
//! everything else builds on: [`create_user`] (an `INSERT` with bound parameters, returning the new
//! id) and [`get_user_by_email`] (a `SELECT` into a typed [`User`], the Rust counterpart of
//! pymysql's `DictCursor`).
//!
//! Both take `&mut impl Queryable`, so the same function works on a plain `mysql::Conn`, inside a
//! `mysql::Transaction`, on a pooled connection (lesson 4's guard, or `&mut *guard` from r2d2).
//!
//! What can go wrong is a [`UserError`] a caller can `match`: invalid input is rejected before any
//! SQL is sent, a duplicate email becomes [`UserError::EmailTaken`], anything else is
//! [`UserError::Db`].
//!
//! Exercise mode: `cargo test -p lesson2 --features exercise` builds `src/exercise.rs` (your version)
//! instead of `src/solution.rs`, and runs the same tests against it.

use std::fmt;

use mysql::prelude::FromRow;

#[cfg_attr(feature = "exercise", path = "exercise.rs")]
mod solution;

pub use solution::{create_user, get_user_by_email};

/// At most this many characters fit in `users.name` (`VARCHAR(100)` in docker/schema.sql).
///
/// `VARCHAR(n)` counts characters, not bytes: 100 Korean syllables (300 bytes in UTF-8) or
/// 100 emoji (400 bytes) fit, 101 ASCII letters do not.
pub const MAX_NAME_CHARS: usize = 100;

/// At most this many characters fit in `users.email` (`VARCHAR(255)` in docker/schema.sql).
pub const MAX_EMAIL_CHARS: usize = 255;

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

/// Why a user could not be created, read, updated or deleted. Each message says what to do.
#[derive(Debug)]
pub enum UserError {
    /// The input was rejected before any SQL was sent (empty, or longer than the column).
    Invalid {
        /// Which input: `"name"` or `"email"`.
        field: &'static str,
        /// What is wrong with it.
        reason: String,
    },
    /// Another user already has this email (server error 1062 on `uq_users_email`).
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

impl fmt::Display for UserError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UserError::Invalid { field, reason } => {
                write!(f, "invalid {field}: {reason}. Correct it and try again.")
            }
            UserError::EmailTaken { email } => write!(
                f,
                "the email {email:?} is already registered. Look the user up with it, or use another email."
            ),
            UserError::NotFound { id } => write!(
                f,
                "no user has id {id} (never created, or deleted since). Look the user up again by email."
            ),
            UserError::Db(err) => write!(f, "database error: {err}"),
        }
    }
}

impl std::error::Error for UserError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            UserError::Db(err) => Some(err),
            _ => None,
        }
    }
}

/// `?` on a `mysql::Result` inside a function returning `UserError` wraps the error as [`UserError::Db`].
impl From<mysql::Error> for UserError {
    fn from(err: mysql::Error) -> UserError {
        UserError::Db(err)
    }
}

/// Checks a name before it is sent: not empty (or only spaces), at most [`MAX_NAME_CHARS`] characters.
pub fn validate_name(name: &str) -> Result<(), UserError> {
    validate_text("name", name, MAX_NAME_CHARS)
}

/// Checks an email before it is sent: not empty (or only spaces), at most [`MAX_EMAIL_CHARS`] characters.
///
/// Deliberately no format check: the lecture's table stores any string, and a real check means
/// sending a mail. The database's unique key is what makes an email identify one user.
/// Spaces at either end are refused: the collation ignores trailing spaces when comparing, so
/// `"alice@example.com "` would silently find, or collide with, `alice@example.com`.
pub fn validate_email(email: &str) -> Result<(), UserError> {
    validate_text("email", email, MAX_EMAIL_CHARS)?;
    if email.trim() != email {
        return Err(UserError::Invalid {
            field: "email",
            reason: "it starts or ends with a space".to_string(),
        });
    }
    Ok(())
}

fn validate_text(field: &'static str, value: &str, max_chars: usize) -> Result<(), UserError> {
    if value.trim().is_empty() {
        return Err(UserError::Invalid {
            field,
            reason: "it is empty".to_string(),
        });
    }
    // Count characters as the server does for VARCHAR, not bytes (`len()` would reject 34 Korean syllables).
    let chars = value.chars().count();
    if chars > max_chars {
        return Err(UserError::Invalid {
            field,
            reason: format!("it has {chars} characters, at most {max_chars} fit"),
        });
    }
    Ok(())
}

/// Whether `err` is the server saying "this email is already in `users`" (error 1062 on
/// [`EMAIL_UNIQUE_KEY`]). MariaDB names the key `'uq_users_email'`, MySQL 8 `'users.uq_users_email'`.
pub fn is_email_taken(err: &mysql::Error) -> bool {
    matches!(err, mysql::Error::MySqlError(server)
        if server.code == ER_DUP_ENTRY && server.message.contains(EMAIL_UNIQUE_KEY))
}
