//! Reference solution. Exercise mode compiles `exercise.rs` in place of this file.

use lesson2::{User, validate_email, validate_name};
use mysql::{Conn, Opts};

use crate::NaiveError;

/// Opens a connection, creates the user with lesson 2's `create_user`, closes the connection.
///
/// Python:
/// ```python
/// def create_user(name, email):
///     conn = pymysql.connect(**DB_CONFIG)
///     try:
///         with conn.cursor() as cursor:
///             cursor.execute("INSERT INTO users (name, email) VALUES (%s, %s)", (name, email))
///         conn.commit()
///         return cursor.lastrowid
///     finally:
///         conn.close()
/// ```
pub fn create_user(opts: &Opts, name: &str, email: &str) -> Result<u64, NaiveError> {
    // A connection costs far more than these checks: don't open one for input that will be rejected.
    validate_name(name)?;
    validate_email(email)?;
    let mut conn = Conn::new(opts.clone()).map_err(NaiveError::Connect)?;
    let id = lesson2::create_user(&mut conn, name, email)?;
    // `conn` is dropped here, on success and on every `?` above: the `finally: conn.close()` is built in.
    Ok(id)
}

/// Opens a connection, looks the user up with lesson 2's `get_user_by_email`, closes the connection.
///
/// Python:
/// ```python
/// def get_user_by_email(email):
///     conn = pymysql.connect(**DB_CONFIG)
///     try:
///         with conn.cursor(pymysql.cursors.DictCursor) as cursor:
///             cursor.execute("SELECT id, name, email, created_at FROM users WHERE email = %s", (email,))
///             return cursor.fetchone()
///     finally:
///         conn.close()
/// ```
pub fn get_user_by_email(opts: &Opts, email: &str) -> Result<Option<User>, NaiveError> {
    let mut conn = Conn::new(opts.clone()).map_err(NaiveError::Connect)?;
    Ok(lesson2::get_user_by_email(&mut conn, email)?)
}
