//! Checks Exercise 6 (`update_user_name`, `update_user_email`, `delete_user`) against the real server,
//! each test in its own database. Run against your version with `cargo test -p lesson6 --features exercise`.

use chrono::NaiveDateTime;
use lesson6::{UserError, delete_user, update_user_email, update_user_name};
use mysql::consts::CapabilityFlags;
use mysql::prelude::Queryable;
use mysql::{Conn, OptsBuilder, TxOpts};
use shared::testing::{TestDb, insert_user};

type Row = (u64, String, String, NaiveDateTime);

/// Every stored user, read with plain SQL so the check does not depend on the code under test.
fn all_users(conn: &mut Conn) -> mysql::Result<Vec<Row>> {
    conn.query("SELECT id, name, email, created_at FROM users ORDER BY id")
}

fn user(conn: &mut Conn, id: u64) -> mysql::Result<Option<(String, String)>> {
    conn.exec_first("SELECT name, email FROM users WHERE id = ?", (id,))
}

/// A question and its answer for `user_id`, inserted with plain SQL as lesson 7 will.
fn add_exchange(conn: &mut Conn, user_id: u64) -> mysql::Result<()> {
    conn.exec_drop(
        "INSERT INTO conversations (user_id, role, content) VALUES (?, 'user', ?)",
        (user_id, "안녕?"),
    )?;
    let question = conn.last_insert_id();
    conn.exec_drop(
        "INSERT INTO conversations (user_id, role, content, reply_to) VALUES (?, 'assistant', ?, ?)",
        (user_id, "안녕하세요!", question),
    )
}

fn conversations_of(conn: &mut Conn, user_id: u64) -> mysql::Result<Option<u64>> {
    conn.exec_first(
        "SELECT COUNT(*) FROM conversations WHERE user_id = ?",
        (user_id,),
    )
}

// ---- update_user_name ----

#[test]
fn update_user_name_renames_that_user_and_no_one_else() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let mut conn = db.conn();
    let alice = insert_user(&mut conn, "Alice", "alice@example.com")?;
    let bob = insert_user(&mut conn, "Bob", "bob@example.com")?;
    let before = all_users(&mut conn)?;

    update_user_name(&mut conn, alice, "앨리스")?;

    let after = all_users(&mut conn)?;
    let mut expected = before.clone();
    expected[0].1 = "앨리스".to_string();
    assert_eq!(
        after, expected,
        "only alice's name changes; id, email and created_at stay"
    );
    assert_eq!(
        user(&mut conn, bob)?,
        Some(("Bob".to_string(), "bob@example.com".to_string()))
    );
    Ok(())
}

#[test]
fn setting_a_name_to_the_value_it_already_has_succeeds() -> anyhow::Result<()> {
    // The server reports 0 affected rows here ("Rows matched: 1  Changed: 0").
    let db = TestDb::new()?;
    let mut conn = db.conn();
    let alice = insert_user(&mut conn, "Alice", "alice@example.com")?;
    let before = all_users(&mut conn)?;

    let result = update_user_name(&mut conn, alice, "Alice");

    assert!(result.is_ok(), "{result:?}");
    assert_eq!(all_users(&mut conn)?, before);
    Ok(())
}

#[test]
fn renaming_a_user_that_does_not_exist_is_not_found_and_changes_nothing() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let mut conn = db.conn();
    let alice = insert_user(&mut conn, "Alice", "alice@example.com")?;
    let before = all_users(&mut conn)?;

    let result = update_user_name(&mut conn, alice + 1, "Ghost");

    assert!(
        matches!(result, Err(UserError::NotFound { id }) if id == alice + 1),
        "{result:?}"
    );
    assert_eq!(all_users(&mut conn)?, before);
    Ok(())
}

#[test]
fn an_invalid_new_name_is_rejected_and_the_row_is_unchanged() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let mut conn = db.conn();
    let alice = insert_user(&mut conn, "Alice", "alice@example.com")?;
    let before = all_users(&mut conn)?;
    let too_long = "가".repeat(lesson2::MAX_NAME_CHARS + 1);

    for name in ["", "  ", too_long.as_str()] {
        let result = update_user_name(&mut conn, alice, name);

        assert!(
            matches!(result, Err(UserError::Invalid { field: "name", .. })),
            "{name:?}: {result:?}"
        );
    }
    assert_eq!(all_users(&mut conn)?, before);
    Ok(())
}

// ---- update_user_email ----

#[test]
fn update_user_email_changes_that_users_email_and_no_one_elses() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let mut conn = db.conn();
    let alice = insert_user(&mut conn, "Alice", "alice@example.com")?;
    let bob = insert_user(&mut conn, "Bob", "bob@example.com")?;

    update_user_email(&mut conn, alice, "alice@new.example.com")?;

    assert_eq!(
        user(&mut conn, alice)?,
        Some(("Alice".to_string(), "alice@new.example.com".to_string()))
    );
    assert_eq!(
        user(&mut conn, bob)?,
        Some(("Bob".to_string(), "bob@example.com".to_string()))
    );
    Ok(())
}

#[test]
fn an_email_taken_by_another_user_is_email_taken_and_both_rows_are_unchanged() -> anyhow::Result<()>
{
    let db = TestDb::new()?;
    let mut conn = db.conn();
    let alice = insert_user(&mut conn, "Alice", "alice@example.com")?;
    insert_user(&mut conn, "Bob", "bob@example.com")?;
    let before = all_users(&mut conn)?;

    let result = update_user_email(&mut conn, alice, "bob@example.com");

    assert!(
        matches!(&result, Err(UserError::EmailTaken { email }) if email == "bob@example.com"),
        "{result:?}"
    );
    assert_eq!(all_users(&mut conn)?, before);
    Ok(())
}

#[test]
fn setting_an_email_to_the_value_it_already_has_succeeds() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let mut conn = db.conn();
    let alice = insert_user(&mut conn, "Alice", "alice@example.com")?;
    let before = all_users(&mut conn)?;

    let result = update_user_email(&mut conn, alice, "alice@example.com");

    assert!(result.is_ok(), "{result:?}");
    assert_eq!(all_users(&mut conn)?, before);
    Ok(())
}

#[test]
fn a_user_may_change_the_letter_case_of_their_own_email() -> anyhow::Result<()> {
    // The unique key compares case-insensitively, but the row being changed does not collide with itself.
    let db = TestDb::new()?;
    let mut conn = db.conn();
    let alice = insert_user(&mut conn, "Alice", "alice@example.com")?;

    update_user_email(&mut conn, alice, "Alice@Example.com")?;

    assert_eq!(
        user(&mut conn, alice)?.map(|(_, email)| email),
        Some("Alice@Example.com".to_string())
    );
    Ok(())
}

#[test]
fn changing_the_email_of_a_user_that_does_not_exist_is_not_found() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let mut conn = db.conn();
    let alice = insert_user(&mut conn, "Alice", "alice@example.com")?;
    let before = all_users(&mut conn)?;

    let result = update_user_email(&mut conn, alice + 1, "ghost@example.com");

    assert!(
        matches!(result, Err(UserError::NotFound { id }) if id == alice + 1),
        "{result:?}"
    );
    assert_eq!(all_users(&mut conn)?, before);
    Ok(())
}

#[test]
fn an_invalid_new_email_is_rejected_and_the_row_is_unchanged() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let mut conn = db.conn();
    let alice = insert_user(&mut conn, "Alice", "alice@example.com")?;
    let before = all_users(&mut conn)?;
    let too_long = "a".repeat(lesson2::MAX_EMAIL_CHARS + 1);

    for email in ["", too_long.as_str()] {
        let result = update_user_email(&mut conn, alice, email);

        assert!(
            matches!(result, Err(UserError::Invalid { field: "email", .. })),
            "{email:?}: {result:?}"
        );
    }
    assert_eq!(all_users(&mut conn)?, before);
    Ok(())
}

#[test]
fn updates_tell_unchanged_from_missing_also_on_a_connection_that_counts_found_rows()
-> anyhow::Result<()> {
    // With CLIENT_FOUND_ROWS the server counts matched rows instead of changed ones. The functions
    // get whatever connection the caller has, so they must be right with and without it.
    let db = TestDb::new()?;
    let mut conn = Conn::new(
        OptsBuilder::from_opts(db.opts())
            .additional_capabilities(CapabilityFlags::CLIENT_FOUND_ROWS),
    )?;
    let alice = insert_user(&mut conn, "Alice", "alice@example.com")?;

    let same_name = update_user_name(&mut conn, alice, "Alice");
    let same_email = update_user_email(&mut conn, alice, "alice@example.com");
    let missing = update_user_name(&mut conn, alice + 1, "Ghost");

    assert!(same_name.is_ok(), "{same_name:?}");
    assert!(same_email.is_ok(), "{same_email:?}");
    assert!(
        matches!(missing, Err(UserError::NotFound { .. })),
        "{missing:?}"
    );
    Ok(())
}

#[test]
fn updates_store_injection_strings_korean_and_emoji_literally() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let mut conn = db.conn();
    let alice = insert_user(&mut conn, "Alice", "alice@example.com")?;
    let bob = insert_user(&mut conn, "Bob", "bob@example.com")?;
    let texts = [
        "'; DROP TABLE users; --",
        "' OR '1'='1",
        "back\\slash \\' \"quotes\"",
        "nul\0byte",
        "이서연 🦀👩‍💻",
    ];

    for (i, text) in texts.iter().enumerate() {
        let email = format!("{text}{i}@예시.한국");
        update_user_name(&mut conn, alice, text)?;
        update_user_email(&mut conn, alice, &email)?;

        let (name, stored_email) = user(&mut conn, alice)?.expect("alice exists");
        assert_eq!(
            (name.as_bytes(), stored_email.as_bytes()),
            (text.as_bytes(), email.as_bytes())
        );
    }
    // `' OR '1'='1` as a value renamed one row, not every row.
    assert_eq!(
        user(&mut conn, bob)?,
        Some(("Bob".to_string(), "bob@example.com".to_string()))
    );
    assert_eq!(db.table_names(), ["conversations", "users"]);
    Ok(())
}

// ---- delete_user ----

#[test]
fn delete_user_removes_that_user_and_no_one_else() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let mut conn = db.conn();
    let alice = insert_user(&mut conn, "Alice", "alice@example.com")?;
    let bob = insert_user(&mut conn, "Bob", "bob@example.com")?;

    delete_user(&mut conn, alice)?;

    let ids: Vec<u64> = all_users(&mut conn)?.into_iter().map(|row| row.0).collect();
    assert_eq!(ids, vec![bob]);
    Ok(())
}

#[test]
fn deleting_a_user_that_does_not_exist_is_not_found_and_deletes_nothing() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let mut conn = db.conn();
    let alice = insert_user(&mut conn, "Alice", "alice@example.com")?;
    let before = all_users(&mut conn)?;

    let result = delete_user(&mut conn, alice + 1);

    assert!(
        matches!(result, Err(UserError::NotFound { id }) if id == alice + 1),
        "{result:?}"
    );
    assert_eq!(all_users(&mut conn)?, before);
    Ok(())
}

#[test]
fn deleting_the_same_user_twice_is_not_found_the_second_time() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let mut conn = db.conn();
    let alice = insert_user(&mut conn, "Alice", "alice@example.com")?;

    let first = delete_user(&mut conn, alice);
    let second = delete_user(&mut conn, alice);

    assert!(first.is_ok(), "{first:?}");
    assert!(
        matches!(second, Err(UserError::NotFound { id }) if id == alice),
        "{second:?}"
    );
    Ok(())
}

#[test]
fn deleting_a_user_deletes_their_conversations_and_no_one_elses() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let mut conn = db.conn();
    let alice = insert_user(&mut conn, "Alice", "alice@example.com")?;
    let bob = insert_user(&mut conn, "Bob", "bob@example.com")?;
    add_exchange(&mut conn, alice)?;
    add_exchange(&mut conn, alice)?;
    add_exchange(&mut conn, bob)?;

    delete_user(&mut conn, alice)?;

    assert_eq!(
        conversations_of(&mut conn, alice)?,
        Some(0),
        "ON DELETE CASCADE removes alice's messages"
    );
    assert_eq!(
        conversations_of(&mut conn, bob)?,
        Some(2),
        "bob's question and answer stay"
    );
    Ok(())
}

#[test]
fn a_delete_inside_a_rolled_back_transaction_deletes_nothing() -> anyhow::Result<()> {
    // The cascade is part of the same statement, so the rollback brings the messages back too.
    let db = TestDb::new()?;
    let mut conn = db.conn();
    let alice = insert_user(&mut conn, "Alice", "alice@example.com")?;
    add_exchange(&mut conn, alice)?;
    let before = all_users(&mut conn)?;

    let mut tx = conn.start_transaction(TxOpts::default())?;
    delete_user(&mut tx, alice)?;
    let inside: Option<u64> = tx.exec_first(
        "SELECT COUNT(*) FROM conversations WHERE user_id = ?",
        (alice,),
    )?;
    tx.rollback()?;

    assert_eq!(inside, Some(0));
    assert_eq!(all_users(&mut conn)?, before);
    assert_eq!(conversations_of(&mut conn, alice)?, Some(2));
    Ok(())
}
