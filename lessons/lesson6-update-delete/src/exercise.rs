//! EXERCISE 6: update and delete a user, by affected rows.
//!
//! Write `update_user_name`, `update_user_email` and `delete_user` so that
//! `cargo test -p lesson6 --features exercise` passes. Run the demo on your version with
//! `cargo run -p lesson6 --features exercise`.
//!
//! The tool for all three: `conn.exec_iter(sql, params)?` returns a `QueryResult`, and its
//! `.affected_rows()` says how many rows the statement changed. Read the count in the same line,
//! `let changed = conn.exec_iter(sql, params)?.affected_rows();`: the `QueryResult` borrows `conn`
//! until it is dropped, so a `QueryResult` kept in a variable would stop you from using `conn` again
//! (for `user_exists`). An `UPDATE` or `DELETE` that
//! matches no row is *not* an error to the server: it succeeds with 0 affected rows. Turning that 0
//! into `UserError::NotFound { id }` is your job.
//!
//! The trap: for an `UPDATE`, the server counts rows *changed*, not rows *matched*. Setting a name
//! to the value it already has matches 1 row, changes 0, and reports 0. So for the updates, 0 means
//! "no such user" OR "nothing to change". `user_exists(conn, id)?` (in lib.rs) tells them apart.
#![allow(unused_variables, unused_imports)]

use lesson2::{is_email_taken, validate_email, validate_name};
use mysql::prelude::Queryable;

use crate::{UserError, user_exists};

/// Renames the user `id`. Setting the name it already has succeeds too.
///
/// 1. `validate_name(name)?` first: nothing is sent for an invalid name.
/// 2. Run `UPDATE users SET name = ? WHERE id = ?` with `exec_iter`, read `.affected_rows()`.
/// 3. If it is 0 and `!user_exists(conn, id)?`, return `Err(UserError::NotFound { id })`.
/// 4. Otherwise `Ok(())`.
pub fn update_user_name(conn: &mut impl Queryable, id: u64, name: &str) -> Result<(), UserError> {
    todo!("Exercise 6a: validate, UPDATE ... SET name, 0 affected rows + no such user = NotFound")
}

/// Changes the email of the user `id`. Setting the email it already has succeeds too.
///
/// As `update_user_name`, with `validate_email` and `UPDATE users SET email = ? WHERE id = ?`, plus:
/// the email may belong to another user. Then `exec_iter` returns an error for which
/// `is_email_taken(&err)` is true: return `UserError::EmailTaken { email: email.to_string() }`
/// (like `create_user` in lesson 2). Any other error is `UserError::Db(err)`.
pub fn update_user_email(conn: &mut impl Queryable, id: u64, email: &str) -> Result<(), UserError> {
    todo!(
        "Exercise 6b: validate, UPDATE ... SET email, map a duplicate to EmailTaken, 0 rows + no such user = NotFound"
    )
}

/// Deletes the user `id`, and with it their conversations (`ON DELETE CASCADE`).
///
/// 1. Run `DELETE FROM users WHERE id = ?` with `exec_iter`, read `.affected_rows()`.
/// 2. 0 means no user had this id: `Err(UserError::NotFound { id })`. (A DELETE that matches a row
///    always removes it, so here 0 has only one meaning.)
/// 3. You delete nothing from `conversations` yourself: the schema's `ON DELETE CASCADE` does it.
pub fn delete_user(conn: &mut impl Queryable, id: u64) -> Result<(), UserError> {
    todo!("Exercise 6c: DELETE FROM users WHERE id = ?, 0 affected rows = NotFound")
}
