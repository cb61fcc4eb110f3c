//! EXERCISE 1: connect and `SELECT 1`.
//!
//! Write `select_one` so that `cargo test -p lesson1 --features exercise` passes.
//! Run the demo on your version with `cargo run -p lesson1 --features exercise`.
//!
//! 1. Open a connection with `shared::connect(config)?` (it returns a `mysql::Conn`, and turns
//!    "connection refused" or "access denied" into a `shared::Error` that says what to do).
//! 2. Bring the query methods into scope: `use mysql::prelude::Queryable;`
//! 3. Run `SELECT 1` with `conn.query_first::<i64, _>("SELECT 1")`: it returns `Option<i64>`
//!    (the first row, or `None` if there were no rows).
//! 4. Ask who you are with `SELECT VERSION(), CURRENT_USER(), DATABASE()`, read as
//!    `(String, String, Option<String>)` (DATABASE() is NULL when no database is selected).
//! 5. A `mysql::Error` becomes a `shared::Error` with `.map_err(|err| Error::from_mysql(err, config))`.
//! 6. Return a `Reply`. You need not close the connection: it closes when it is dropped.
#![allow(unused_variables, unused_imports)]

use shared::{Config, Error};

use crate::Reply;

/// Connects with `config`, runs `SELECT 1`, asks the server who we are, and closes the connection.
pub fn select_one(config: &Config) -> Result<Reply, Error> {
    todo!("Exercise 1: connect with shared::connect(config), run SELECT 1, fill in a Reply")
}
