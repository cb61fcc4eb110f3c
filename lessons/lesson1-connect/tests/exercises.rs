//! Checks Exercise 1 (`select_one`) against the real server, each test in its own database.
//! Run against your version with `cargo test -p lesson1 --features exercise`.

use mysql::prelude::Queryable;
use shared::testing::TestDb;

#[test]
fn select_one_returns_the_row_of_select_1() -> anyhow::Result<()> {
    let db = TestDb::new()?;

    let reply = lesson1::select_one(db.config())?;

    assert_eq!(reply.one, 1);
    Ok(())
}

#[test]
fn select_one_arrives_as_the_configured_user_in_the_configured_database() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    // What the same server says on a connection of the test's own, so the check holds on MariaDB
    // and MySQL alike (`tester@%` on both, but the versions differ).
    let (version, account): (String, String) = db
        .conn()
        .query_first("SELECT VERSION(), CURRENT_USER()")?
        .expect("a SELECT without FROM returns one row");

    let reply = lesson1::select_one(db.config())?;

    assert_eq!(reply.database.as_deref(), Some(db.name()));
    assert_eq!(reply.user, account);
    assert_eq!(
        reply.user.split('@').next(),
        Some(db.config().user.as_str())
    );
    assert_eq!(reply.server_version, version);
    Ok(())
}

#[test]
fn select_one_reports_a_wrong_password_without_showing_it() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let mut config = db.config().clone();
    config.password = "not-the-password-4711".into();

    let err = lesson1::select_one(&config).unwrap_err();

    assert!(matches!(err, shared::Error::AccessDenied { .. }), "{err:?}");
    assert!(!err.to_string().contains("not-the-password-4711"), "{err}");
    Ok(())
}

#[test]
fn select_one_closes_its_connection_when_it_returns() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let mut watcher = db.conn();

    lesson1::select_one(db.config())?;

    // The server lets go of a closed connection a moment after the client's COM_QUIT.
    let left_open = db.wait_for_sessions(&mut watcher, |ids| ids.is_empty());
    assert_eq!(left_open, Vec::<u32>::new());
    Ok(())
}
