//! EXERCISE 2: create a user, and find one by email.
//!
//! Write `create_user` and `get_user_by_email` so that `cargo test -p lesson2 --features exercise`
//! passes. Run the demo on your version with `cargo run -p lesson2 --features exercise`.
//!
//! Bring the query methods into scope with `use mysql::prelude::Queryable;` (already done below).
//! Every value goes in as a bound parameter: `?` in the SQL, the values in a tuple, such as
//! `(name, email)`, or `(email,)` for one value (the trailing comma makes it a tuple).
//! Never build the SQL with `format!`: a name like `O'Brien` would break it, and worse ones would
//! run SQL of their choosing.
#![allow(unused_variables, unused_imports)]

use mysql::prelude::Queryable;

use crate::{User, UserError, is_email_taken, validate_email, validate_name};

/// Inserts a user and returns the id the server gave it.
///
/// 1. Check the input first, before any SQL: `validate_name(name)?;` and `validate_email(email)?;`
///    (they return `UserError::Invalid`).
/// 2. Run `INSERT INTO users (name, email) VALUES (?, ?)` with `conn.exec_iter(sql, (name, email))`.
///    On success it gives a `QueryResult`, whose `.last_insert_id()` is `Some(new id)`: the id
///    arrives with the INSERT's own reply, so you need no second query. (It is `None` only for a
///    statement that generated no id, which an INSERT into `users` never is: `.expect(...)` is fine.)
/// 3. `match` the result: `Err(err) if is_email_taken(&err)` becomes
///    `UserError::EmailTaken { email: email.to_string() }`; any other `Err(err)` becomes
///    `UserError::Db(err)`.
/// 4. No commit is needed: the connection is in autocommit mode (see the README).
pub fn create_user(conn: &mut impl Queryable, name: &str, email: &str) -> Result<u64, UserError> {
    todo!(
        "Exercise 2a: validate, INSERT with bound parameters, return last_insert_id, map a duplicate email to EmailTaken"
    )
}

/// Finds the user with this email, or `None` if there is none.
///
/// 1. Run `SELECT id, name, email, created_at FROM users WHERE email = ?` with
///    `conn.exec_first(sql, (email,))`.
/// 2. `exec_first` returns `mysql::Result<Option<T>>`: the first row or `None`. Let `T` be `User`:
///    it derives `FromRow`, so each column is put into the field of the same name.
/// 3. `?` turns a `mysql::Error` into `UserError::Db` (there is a `From` impl in lib.rs).
pub fn get_user_by_email(
    conn: &mut impl Queryable,
    email: &str,
) -> Result<Option<User>, UserError> {
    todo!("Exercise 2b: SELECT ... WHERE email = ? with exec_first, read the row as a User")
}
