//! EXERCISE 3: a new connection for every call.
//!
//! Write `create_user` and `get_user_by_email` so that `cargo test -p lesson3 --features exercise`
//! passes. Run the demo on your version with `cargo run -p lesson3 --features exercise`.
//!
//! Each function does what the lecture's Python does: open a connection, do one thing, close it.
//! The one thing is already written: lesson 2's `lesson2::create_user(&mut conn, ...)` and
//! `lesson2::get_user_by_email(&mut conn, ...)`.
//!
//! - Open a connection with `Conn::new(opts.clone())`. It returns `mysql::Result<Conn>`; turn its
//!   error into yours with `.map_err(NaiveError::Connect)?`.
//! - Lesson 2's functions return `UserError`; `?` turns it into `NaiveError::User` (there is a
//!   `From` impl in lib.rs).
//! - Closing: a `Conn` closes itself when it is dropped, at the end of the function or on an early
//!   return by `?`. You write no `close()` and no `finally`.
#![allow(unused_variables, unused_imports)]

use lesson2::{User, validate_email, validate_name};
use mysql::{Conn, Opts};

use crate::NaiveError;

/// Opens a connection, creates the user with lesson 2's `create_user`, closes the connection.
///
/// 1. Check the input first with `validate_name(name)?` and `validate_email(email)?`: opening a
///    connection costs far more, so don't open one for input that will be rejected anyway.
/// 2. Open the connection (see above), call `lesson2::create_user(&mut conn, name, email)?`.
/// 3. Return the id.
pub fn create_user(opts: &Opts, name: &str, email: &str) -> Result<u64, NaiveError> {
    todo!(
        "Exercise 3a: validate, open a Conn from opts, call lesson2::create_user, let the Conn drop"
    )
}

/// Opens a connection, looks the user up with lesson 2's `get_user_by_email`, closes the connection.
///
/// 1. Open the connection, call `lesson2::get_user_by_email(&mut conn, email)?`.
/// 2. Return what it found.
pub fn get_user_by_email(opts: &Opts, email: &str) -> Result<Option<User>, NaiveError> {
    todo!("Exercise 3b: open a Conn from opts, call lesson2::get_user_by_email, let the Conn drop")
}
