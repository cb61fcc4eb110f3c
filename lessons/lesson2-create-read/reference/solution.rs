//! Reference solution. Exercise mode compiles `exercise.rs` in place of this file.

use mysql::prelude::Queryable;

use crate::{User, UserError, is_email_taken, validate_email, validate_name};

/// Inserts a user and returns the id the server gave it.
///
/// Python:
/// ```python
/// with conn.cursor() as cursor:
///     cursor.execute("INSERT INTO users (name, email) VALUES (%s, %s)", (name, email))
///     user_id = cursor.lastrowid
/// conn.commit()
/// ```
///
/// Errors: [`UserError::Invalid`] before any SQL, [`UserError::EmailTaken`] if the email is in use,
/// [`UserError::Db`] otherwise.
pub fn create_user(conn: &mut impl Queryable, name: &str, email: &str) -> Result<u64, UserError> {
    // Reject bad input here, with a message about the input, before it costs a round trip.
    validate_name(name)?;
    validate_email(email)?;

    // `?` placeholders: the values travel separately from the SQL text (a prepared statement),
    // so no quote or backslash in them can change the statement.
    let result = conn.exec_iter(
        "INSERT INTO users (name, email) VALUES (?, ?)",
        (name, email),
    );
    match result {
        // The OK packet of this very INSERT carries the new id: no second query, and no chance of
        // reading another connection's id (LAST_INSERT_ID() is per connection anyway).
        Ok(inserted) => Ok(inserted
            .last_insert_id()
            .expect("an INSERT into a table with AUTO_INCREMENT reports the new id")),
        Err(err) if is_email_taken(&err) => Err(UserError::EmailTaken {
            email: email.to_string(),
        }),
        Err(err) => Err(UserError::Db(err)),
    }
}

/// Finds the user with this email, or `None` if there is none.
///
/// Python:
/// ```python
/// with conn.cursor(pymysql.cursors.DictCursor) as cursor:
///     cursor.execute("SELECT id, name, email, created_at FROM users WHERE email = %s", (email,))
///     return cursor.fetchone()   # a dict, or None
/// ```
pub fn get_user_by_email(
    conn: &mut impl Queryable,
    email: &str,
) -> Result<Option<User>, UserError> {
    // Name the columns instead of `SELECT *`: `User` is read by column name, and a column added to
    // the table later must not change what this function returns.
    let user = conn.exec_first(
        "SELECT id, name, email, created_at FROM users WHERE email = ?",
        (email,),
    )?;
    Ok(user)
}
