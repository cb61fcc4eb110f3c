//! What the server reports for an UPDATE, and the given helper `user_exists` (lib.rs).
//! These facts are why the exercise needs `user_exists` at all.

use mysql::consts::CapabilityFlags;
use mysql::prelude::Queryable;
use mysql::{Conn, OptsBuilder};
use shared::testing::{TestDb, insert_user};

fn affected_by_rename(conn: &mut Conn, id: u64, name: &str) -> mysql::Result<u64> {
    Ok(conn
        .exec_iter("UPDATE users SET name = ? WHERE id = ?", (name, id))?
        .affected_rows())
}

#[test]
fn by_default_an_update_to_the_same_value_and_an_update_of_no_row_both_report_zero()
-> anyhow::Result<()> {
    let db = TestDb::new()?;
    let mut conn = db.conn();
    let alice = insert_user(&mut conn, "Alice", "alice@example.com")?;

    let same_value = affected_by_rename(&mut conn, alice, "Alice")?;
    let no_row = affected_by_rename(&mut conn, alice + 1, "Ghost")?;
    let changed = affected_by_rename(&mut conn, alice, "Alicia")?;

    assert_eq!(
        (same_value, no_row, changed),
        (0, 0, 1),
        "affected rows for (the same value, no such row, a real change): the first two look alike"
    );
    Ok(())
}

#[test]
fn with_client_found_rows_an_update_to_the_same_value_reports_the_matched_row() -> anyhow::Result<()>
{
    let db = TestDb::new()?;
    let mut conn = Conn::new(
        OptsBuilder::from_opts(db.opts())
            .additional_capabilities(CapabilityFlags::CLIENT_FOUND_ROWS),
    )?;
    let alice = insert_user(&mut conn, "Alice", "alice@example.com")?;

    let same_value = affected_by_rename(&mut conn, alice, "Alice")?;
    let no_row = affected_by_rename(&mut conn, alice + 1, "Ghost")?;

    assert_eq!(
        (same_value, no_row),
        (1, 0),
        "with CLIENT_FOUND_ROWS, affected rows for (the same value, no such row): matched rows count"
    );
    Ok(())
}

#[test]
fn user_exists_tells_an_existing_id_from_a_missing_one() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let mut conn = db.conn();
    let alice = insert_user(&mut conn, "Alice", "alice@example.com")?;

    assert!(lesson6::user_exists(&mut conn, alice)?, "alice exists");
    assert!(
        !lesson6::user_exists(&mut conn, alice + 1)?,
        "no user has id {}",
        alice + 1
    );
    Ok(())
}
