//! Reference solution. Exercise mode compiles `exercise.rs` in place of this file.

use lesson2::{is_email_taken, validate_email, validate_name};
use mysql::prelude::Queryable;

use crate::{UserError, user_exists};

/// Renames the user `id`. Setting the name it already has succeeds too.
///
/// Python:
/// ```python
/// with conn.cursor() as cursor:
///     cursor.execute("UPDATE users SET name = %s WHERE id = %s", (name, user_id))
///     if cursor.rowcount == 0:      # careful: 0 also when the name was already `name`
///         raise UserNotFound(user_id)
/// conn.commit()
/// ```
///
/// Errors: [`UserError::Invalid`] before any SQL, [`UserError::NotFound`] if no user has this id,
/// [`UserError::Db`] otherwise.
pub fn update_user_name(conn: &mut impl Queryable, id: u64, name: &str) -> Result<(), UserError> {
    validate_name(name)?;
    let changed = conn
        .exec_iter("UPDATE users SET name = ? WHERE id = ?", (name, id))?
        .affected_rows();
    // The server counts rows *changed*: 0 means "no such id" or "it was already this name".
    if changed == 0 && !user_exists(conn, id)? {
        return Err(UserError::NotFound { id });
    }
    Ok(())
}

/// Changes the email of the user `id`. Setting the email it already has succeeds too.
///
/// Errors: [`UserError::Invalid`] before any SQL, [`UserError::EmailTaken`] if another user has this
/// email (nothing is changed then), [`UserError::NotFound`] if no user has this id,
/// [`UserError::Db`] otherwise.
pub fn update_user_email(conn: &mut impl Queryable, id: u64, email: &str) -> Result<(), UserError> {
    validate_email(email)?;
    let changed = match conn.exec_iter("UPDATE users SET email = ? WHERE id = ?", (email, id)) {
        Ok(updated) => updated.affected_rows(),
        // One statement is atomic: when the unique key refuses it, no row was changed.
        Err(err) if is_email_taken(&err) => {
            return Err(UserError::EmailTaken {
                email: email.to_string(),
            });
        }
        Err(err) => return Err(UserError::Db(err)),
    };
    if changed == 0 && !user_exists(conn, id)? {
        return Err(UserError::NotFound { id });
    }
    Ok(())
}

/// Deletes the user `id`, and with it their conversations (`ON DELETE CASCADE`).
///
/// Python:
/// ```python
/// with conn.cursor() as cursor:
///     cursor.execute("DELETE FROM users WHERE id = %s", (user_id,))
///     if cursor.rowcount == 0:
///         raise UserNotFound(user_id)
/// conn.commit()
/// ```
///
/// Errors: [`UserError::NotFound`] if no user has this id, [`UserError::Db`] otherwise.
pub fn delete_user(conn: &mut impl Queryable, id: u64) -> Result<(), UserError> {
    // Unlike an UPDATE, a DELETE that matched a row always removes it, so 0 can only mean "not there".
    // The cascaded conversation rows are not in this count: only the users row is.
    let deleted = conn
        .exec_iter("DELETE FROM users WHERE id = ?", (id,))?
        .affected_rows();
    if deleted == 0 {
        return Err(UserError::NotFound { id });
    }
    Ok(())
}
