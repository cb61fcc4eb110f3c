//! What both test modules of this lesson need.

use mysql::prelude::Queryable;

/// Creates a user named `name` (email `<name>@example.com`) with plain SQL; its id.
pub fn add_user(conn: &mut impl Queryable, name: &str) -> mysql::Result<u64> {
    shared::testing::insert_user(conn, name, &format!("{name}@example.com"))
}

/// Every message stored, whoever's: counted on the connection given (use another one than the
/// saver's, to see what is committed).
pub fn total_messages(conn: &mut impl Queryable) -> mysql::Result<u64> {
    Ok(conn
        .query_first("SELECT COUNT(*) FROM conversations")?
        .unwrap_or(0))
}
