//! # Lesson 6: update and delete users
//!
//! An `UPDATE` or `DELETE` whose `WHERE` matches no row is not an error to the server: it succeeds
//! and reports 0 affected rows. The lecture's Python checks `cursor.rowcount`; here
//! [`update_user_name`], [`update_user_email`] and [`delete_user`] turn "no such user" into
//! [`UserError::NotFound`], never a silent success.
//!
//! The trap: MySQL and MariaDB count rows *changed*, not rows *matched*. Setting a name to the value
//! it already has also reports 0 affected rows, and must not be mistaken for "not found".
//! [`user_exists`] can tell the two apart; when to ask it is exercise 6a's decision.
//!
//! Deleting a user also deletes their conversations: `conversations.user_id` is declared
//! `ON DELETE CASCADE` in docker/schema.sql.
//!
//! The errors are lesson 2's [`UserError`]; the functions take `&mut impl Queryable` like lesson 2's.
//!
//! Exercise mode: `cargo test -p lesson6 --features exercise` builds `src/exercise.rs` (your
//! version) instead of the reference, `reference/solution.rs`, and runs the same tests against
//! it.

use mysql::prelude::Queryable;

pub use lesson2::UserError;

// The reference lives outside `src/`, out of the student's way.
#[cfg(not(feature = "exercise"))]
#[path = "../reference/solution.rs"]
mod solution;
#[cfg(feature = "exercise")]
#[path = "exercise.rs"]
mod solution;

pub use solution::{delete_user, update_user_email, update_user_name};

/// Whether a user with this id exists: one look-up by primary key, so one round trip.
pub fn user_exists(conn: &mut impl Queryable, id: u64) -> Result<bool, UserError> {
    let found: Option<u64> = conn.exec_first("SELECT id FROM users WHERE id = ?", (id,))?;
    Ok(found.is_some())
}
