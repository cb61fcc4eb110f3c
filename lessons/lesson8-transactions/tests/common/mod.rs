//! What both test files of this lesson need.

use mysql::prelude::Queryable;

/// Creates a user named `name` (email `<name>@example.com`) with lesson 2's `create_user`; its id.
pub fn add_user(conn: &mut impl Queryable, name: &str) -> anyhow::Result<u64> {
    Ok(lesson2::create_user(
        conn,
        name,
        &format!("{name}@example.com"),
    )?)
}
