//! Checks Exercise 2 (`create_user`, `get_user_by_email`) against the real server, each test in
//! its own database. Run against your version with `cargo test -p lesson2 --features exercise`.

use chrono::NaiveDateTime;
use lesson2::{MAX_NAME_CHARS, User, UserError, create_user, get_user_by_email};
use mysql::prelude::Queryable;
use mysql::{Conn, TxOpts};
use shared::testing::TestDb;

type Row = (u64, String, String, NaiveDateTime);

/// Every stored user, read with plain SQL so the check does not depend on the code under test.
fn all_users(conn: &mut Conn) -> mysql::Result<Vec<Row>> {
    conn.query("SELECT id, name, email, created_at FROM users ORDER BY id")
}

#[test]
fn create_user_returns_the_new_id_and_stores_the_name_and_email() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let mut conn = db.conn();

    let id = create_user(&mut conn, "김민수", "minsu@example.com")?;

    let rows = all_users(&mut conn)?;
    assert_eq!(rows.len(), 1, "{rows:?}");
    let (stored_id, name, email, created_at) = &rows[0];
    assert_eq!(*stored_id, id);
    assert_eq!(
        (name.as_str(), email.as_str()),
        ("김민수", "minsu@example.com")
    );
    let now: NaiveDateTime = conn.query_first("SELECT NOW()")?.expect("one row");
    let age = now - *created_at;
    assert!(
        age >= chrono::Duration::zero() && age < chrono::Duration::minutes(5),
        "created_at {created_at} should be the server's time of the INSERT (now {now})"
    );
    Ok(())
}

#[test]
fn create_user_gives_every_user_a_new_id() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let mut conn = db.conn();

    let first = create_user(&mut conn, "Alice", "alice@example.com")?;
    let second = create_user(&mut conn, "Bob", "bob@example.com")?;

    assert!(second > first, "ids {first} then {second}");
    let ids: Vec<u64> = all_users(&mut conn)?.into_iter().map(|row| row.0).collect();
    assert_eq!(ids, vec![first, second]);
    Ok(())
}

#[test]
fn create_user_is_saved_without_a_commit_so_another_connection_sees_it() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let mut writer = db.conn();
    let mut reader = db.conn();

    let id = create_user(&mut writer, "Alice", "alice@example.com")?;

    let seen: Option<u64> = reader.exec_first(
        "SELECT id FROM users WHERE email = ?",
        ("alice@example.com",),
    )?;
    assert_eq!(seen, Some(id));
    Ok(())
}

#[test]
fn get_user_by_email_returns_the_stored_row_as_a_user() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let mut conn = db.conn();
    conn.exec_drop(
        "INSERT INTO users (name, email, created_at) VALUES (?, ?, ?), (?, ?, ?)",
        (
            "Other",
            "other@example.com",
            "2024-01-01 00:00:00",
            "이지은",
            "jieun@example.com",
            "2024-03-05 06:07:08",
        ),
    )?;
    let id: u64 = conn
        .exec_first(
            "SELECT id FROM users WHERE email = ?",
            ("jieun@example.com",),
        )?
        .expect("inserted above");

    let user = get_user_by_email(&mut conn, "jieun@example.com")?;

    let expected = User {
        id,
        name: "이지은".to_string(),
        email: "jieun@example.com".to_string(),
        created_at: "2024-03-05T06:07:08".parse()?,
    };
    assert_eq!(user, Some(expected));
    Ok(())
}

#[test]
fn get_user_by_email_returns_none_for_an_email_nobody_has() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let mut conn = db.conn();
    create_user(&mut conn, "Alice", "alice@example.com")?;

    let user = get_user_by_email(&mut conn, "nobody@example.com")?;

    assert_eq!(user, None);
    Ok(())
}

#[test]
fn creating_a_user_twice_with_the_same_email_is_rejected_and_the_first_user_is_unchanged()
-> anyhow::Result<()> {
    let db = TestDb::new()?;
    let mut conn = db.conn();
    create_user(&mut conn, "Alice", "alice@example.com")?;
    let before = all_users(&mut conn)?;

    let result = create_user(&mut conn, "Mallory", "alice@example.com");

    assert!(
        matches!(&result, Err(UserError::EmailTaken { email }) if email == "alice@example.com"),
        "{result:?}"
    );
    assert_eq!(all_users(&mut conn)?, before);
    Ok(())
}

#[test]
fn an_email_that_differs_only_in_letter_case_counts_as_taken() -> anyhow::Result<()> {
    // The table's collation (utf8mb4_unicode_520_ci) compares case-insensitively, so the unique key
    // and the lookup both treat ALICE@EXAMPLE.COM as alice@example.com.
    let db = TestDb::new()?;
    let mut conn = db.conn();
    let id = create_user(&mut conn, "Alice", "alice@example.com")?;

    let result = create_user(&mut conn, "Alice again", "ALICE@Example.com");
    let found = get_user_by_email(&mut conn, "ALICE@Example.com")?;

    assert!(
        matches!(&result, Err(UserError::EmailTaken { .. })),
        "{result:?}"
    );
    assert_eq!(
        found.map(|user| (user.id, user.email)),
        Some((id, "alice@example.com".to_string()))
    );
    Ok(())
}

#[test]
fn emails_that_differ_only_in_their_emoji_are_different_users() -> anyhow::Result<()> {
    // utf8mb4_unicode_ci would weigh every emoji the same and call these one email; the schema's
    // utf8mb4_unicode_520_ci tells them apart.
    let db = TestDb::new()?;
    let mut conn = db.conn();
    let crab = create_user(&mut conn, "Crab", "a🦀@example.com")?;

    let smile = create_user(&mut conn, "Smile", "a😀@example.com")?;
    let found = get_user_by_email(&mut conn, "a🦀@example.com")?;

    assert_ne!(crab, smile);
    assert_eq!(found.map(|user| user.id), Some(crab));
    Ok(())
}

#[test]
fn invalid_input_is_rejected_with_the_field_named_and_nothing_is_stored() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let mut conn = db.conn();
    create_user(&mut conn, "Alice", "alice@example.com")?;
    let before = all_users(&mut conn)?;
    let long_name = "가".repeat(MAX_NAME_CHARS + 1);
    let long_email = format!("{}@example.com", "a".repeat(lesson2::MAX_EMAIL_CHARS));
    let cases: [(&str, &str, &str); 5] = [
        ("", "new@example.com", "name"),
        ("   ", "new@example.com", "name"),
        (&long_name, "new@example.com", "name"),
        ("New", "", "email"),
        ("New", &long_email, "email"),
    ];

    for (name, email, expected_field) in cases {
        let result = create_user(&mut conn, name, email);

        assert!(
            matches!(&result, Err(UserError::Invalid { field, .. }) if *field == expected_field),
            "create_user({name:?}, {email:?}) should be Invalid {{ field: {expected_field:?} }}, got {result:?}"
        );
    }
    assert_eq!(all_users(&mut conn)?, before);
    Ok(())
}

#[test]
fn invalid_input_is_rejected_before_any_sql_is_sent() -> anyhow::Result<()> {
    // On a connection the server has killed, any SQL fails with a Db error, so only a check made
    // before sending anything can still answer Invalid.
    let db = TestDb::new()?;
    let mut admin = db.conn();
    let mut dead = db.conn();
    let id: u64 = dead
        .query_first("SELECT CONNECTION_ID()")?
        .expect("one row");
    admin.exec_drop("KILL ?", (id,))?;

    let empty_name = create_user(&mut dead, "", "new@example.com");
    let empty_email = create_user(&mut dead, "New", "");
    let valid = create_user(&mut dead, "New", "new@example.com");

    assert!(
        matches!(empty_name, Err(UserError::Invalid { field: "name", .. })),
        "{empty_name:?}"
    );
    assert!(
        matches!(empty_email, Err(UserError::Invalid { field: "email", .. })),
        "{empty_email:?}"
    );
    assert!(
        matches!(valid, Err(UserError::Db(_))),
        "the connection should be dead: {valid:?}"
    );
    Ok(())
}

#[test]
fn sql_injection_strings_are_stored_and_read_back_literally() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let mut conn = db.conn();
    let nasty = [
        "O'Brien",
        "'; DROP TABLE users; --",
        "\"; DROP TABLE conversations; --",
        "' OR '1'='1",
        "back\\slash \\' \\\\",
        "nul\0byte",
        "%_ wildcards %",
        "`backticks`; DELETE FROM users",
    ];

    for (i, text) in nasty.iter().enumerate() {
        let email = format!("{text}{i}@example.com");
        let id = create_user(&mut conn, text, &email)?;
        let user = get_user_by_email(&mut conn, &email)?.expect("just created");

        assert_eq!(
            (user.id, user.name.as_bytes(), user.email.as_bytes()),
            (id, text.as_bytes(), email.as_bytes())
        );
    }
    let lookup = get_user_by_email(&mut conn, "' OR '1'='1")?;

    assert_eq!(
        lookup, None,
        "an injection string must match no row, not every row"
    );
    assert_eq!(db.table_names(), ["conversations", "users"]);
    assert_eq!(all_users(&mut conn)?.len(), nasty.len());
    Ok(())
}

#[test]
fn korean_text_and_four_byte_emoji_round_trip_byte_for_byte() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let mut conn = db.conn();
    let name = "김민수 🦀👩‍💻 ㅋㅋ";
    let email = "민수🦀@예시.한국";

    let id = create_user(&mut conn, name, email)?;
    let user = get_user_by_email(&mut conn, email)?.expect("just created");

    assert_eq!(user.name.as_bytes(), name.as_bytes());
    assert_eq!(user.email.as_bytes(), email.as_bytes());
    // The server itself holds the same bytes and characters (no conversion to 3-byte utf8 or '?').
    let (bytes, chars): (u64, u64) = conn
        .exec_first(
            "SELECT LENGTH(name), CHAR_LENGTH(name) FROM users WHERE id = ?",
            (id,),
        )?
        .expect("one row");
    assert_eq!(
        (bytes, chars),
        (name.len() as u64, name.chars().count() as u64)
    );
    Ok(())
}

#[test]
fn a_name_of_the_maximum_length_in_four_byte_emoji_is_stored_whole() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let mut conn = db.conn();
    let name = "🦀".repeat(MAX_NAME_CHARS);

    create_user(&mut conn, &name, "crab@example.com")?;
    let user = get_user_by_email(&mut conn, "crab@example.com")?.expect("just created");

    assert_eq!(user.name, name);
    Ok(())
}

#[test]
fn create_user_works_inside_a_transaction_and_a_rollback_undoes_it() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let mut conn = db.conn();

    let mut tx = conn.start_transaction(TxOpts::default())?;
    let id = create_user(&mut tx, "Alice", "alice@example.com")?;
    let inside = get_user_by_email(&mut tx, "alice@example.com")?;
    tx.rollback()?;
    let after = get_user_by_email(&mut conn, "alice@example.com")?;

    assert_eq!(inside.map(|user| user.id), Some(id));
    assert_eq!(after, None);
    Ok(())
}
