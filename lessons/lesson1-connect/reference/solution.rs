//! Reference solution. Exercise mode compiles `exercise.rs` in place of this file.

use mysql::prelude::Queryable;
use shared::{Config, Error};

use crate::Reply;

/// Connects with `config`, runs `SELECT 1`, asks the server who we are, and closes the connection.
///
/// Python:
/// ```python
/// conn = pymysql.connect(host=..., user=..., password=..., db=..., charset="utf8mb4")
/// cursor = conn.cursor()
/// cursor.execute("SELECT 1")
/// print(cursor.fetchone())
/// conn.close()
/// ```
pub fn select_one(config: &Config) -> Result<Reply, Error> {
    // shared::connect turns "connection refused" or "access denied" into a message that says what to do.
    let mut conn = shared::connect(config)?;
    let query_error = |err| Error::from_mysql(err, config);

    // query_first returns the first row, or None when there are no rows. SELECT 1 always has one.
    let one: Option<i64> = conn.query_first("SELECT 1").map_err(query_error)?;
    let (server_version, user, database): (String, String, Option<String>) = conn
        .query_first("SELECT VERSION(), CURRENT_USER(), DATABASE()")
        .map_err(query_error)?
        .expect("a SELECT without FROM returns exactly one row");

    // `conn` is dropped here: Rust's Drop sends COM_QUIT and closes the socket, as conn.close() does.
    Ok(Reply {
        one: one.expect("SELECT 1 returns exactly one row"),
        server_version,
        user,
        database,
    })
}
