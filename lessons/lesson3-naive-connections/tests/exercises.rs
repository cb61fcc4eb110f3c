//! Checks Exercise 3 (per-call `create_user`, `get_user_by_email`) against the real server, each test
//! in its own database. Run against your version with `cargo test -p lesson3 --features exercise`.

use lesson2::UserError;
use lesson3::{NaiveError, create_user, get_user_by_email};
use mysql::prelude::Queryable;
use mysql::{Conn, Opts, OptsBuilder};
use shared::testing::{TestDb, insert_user};

/// Options whose every new connection first writes its CONNECTION_ID() into the table `connects`
/// (the `init` commands run once per opened connection), so a test can count connections.
fn recording_opts(db: &TestDb, prefer_socket: bool) -> anyhow::Result<Opts> {
    db.conn()
        .query_drop("CREATE TABLE IF NOT EXISTS connects (id BIGINT UNSIGNED NOT NULL)")?;
    Ok(OptsBuilder::from_opts(db.opts())
        .prefer_socket(prefer_socket)
        .init(vec!["INSERT INTO connects (id) VALUES (CONNECTION_ID())"])
        .into())
}

/// Options for a port where nothing listens: a listener is bound to a free port and closed again.
fn unreachable_opts(db: &TestDb) -> anyhow::Result<Opts> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    Ok(OptsBuilder::from_opts(db.opts())
        .ip_or_hostname(Some("127.0.0.1"))
        .tcp_port(port)
        .into())
}

fn all_users(conn: &mut Conn) -> mysql::Result<Vec<(u64, String, String)>> {
    conn.query("SELECT id, name, email FROM users ORDER BY id")
}

#[test]
fn create_user_stores_the_user_and_returns_its_id() -> anyhow::Result<()> {
    let db = TestDb::new()?;

    let id = create_user(&db.opts(), "박서준", "seojun@example.com")?;

    assert_eq!(
        all_users(&mut db.conn())?,
        vec![(id, "박서준".to_string(), "seojun@example.com".to_string())]
    );
    Ok(())
}

#[test]
fn get_user_by_email_finds_the_stored_user_and_none_for_a_stranger() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let mut conn = db.conn();
    let id = insert_user(&mut conn, "박서준", "seojun@example.com")?;

    let found = get_user_by_email(&db.opts(), "seojun@example.com")?;
    let stranger = get_user_by_email(&db.opts(), "nobody@example.com")?;

    assert_eq!(
        found.map(|user| (user.id, user.name)),
        Some((id, "박서준".to_string()))
    );
    assert_eq!(stranger, None);
    Ok(())
}

#[test]
fn every_call_opens_a_new_connection_of_its_own() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    for prefer_socket in [false, true] {
        let opts = recording_opts(&db, prefer_socket)?;
        let mut observer = db.conn();
        observer.query_drop("DELETE FROM connects")?;
        let email = format!("calls{prefer_socket}@example.com");

        create_user(&opts, "Caller", &email)?;
        for _ in 0..3 {
            get_user_by_email(&opts, &email)?;
        }

        let ids: Vec<u64> = observer.query("SELECT id FROM connects ORDER BY id")?;
        let distinct: std::collections::BTreeSet<u64> = ids.iter().copied().collect();
        assert_eq!(
            ids.len(),
            4,
            "4 calls should open 4 connections (prefer_socket {prefer_socket}): {ids:?}"
        );
        assert_eq!(
            distinct.len(),
            4,
            "each call needs a connection of its own: {ids:?}"
        );
    }
    Ok(())
}

#[test]
fn every_call_closes_its_connection_before_it_returns() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let mut watcher = db.conn();

    create_user(&db.opts(), "Closer", "closer@example.com")?;
    get_user_by_email(&db.opts(), "closer@example.com")?;

    // The server lets go of a closed connection a moment after the client's COM_QUIT.
    let left_open = db.wait_for_sessions(&mut watcher, |ids| ids.is_empty());
    assert_eq!(left_open, Vec::<u32>::new());
    Ok(())
}

#[test]
fn a_server_that_cannot_be_reached_is_a_connect_error() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let opts = unreachable_opts(&db)?;

    let created = create_user(&opts, "Nobody", "nobody@example.com");
    let found = get_user_by_email(&opts, "nobody@example.com");

    assert!(
        matches!(created, Err(NaiveError::Connect(_))),
        "{created:?}"
    );
    assert!(matches!(found, Err(NaiveError::Connect(_))), "{found:?}");
    Ok(())
}

#[test]
fn invalid_input_is_rejected_without_opening_a_connection() -> anyhow::Result<()> {
    // With no server to reach, only a check made before connecting can answer Invalid.
    let db = TestDb::new()?;
    let opts = unreachable_opts(&db)?;

    let empty_name = create_user(&opts, "", "new@example.com");
    let long_email = create_user(&opts, "New", &"a".repeat(lesson2::MAX_EMAIL_CHARS + 1));

    assert!(
        matches!(
            empty_name,
            Err(NaiveError::User(UserError::Invalid { field: "name", .. }))
        ),
        "{empty_name:?}"
    );
    assert!(
        matches!(
            long_email,
            Err(NaiveError::User(UserError::Invalid { field: "email", .. }))
        ),
        "{long_email:?}"
    );
    Ok(())
}

#[test]
fn a_taken_email_is_reported_as_email_taken_and_the_stored_user_is_unchanged() -> anyhow::Result<()>
{
    let db = TestDb::new()?;
    create_user(&db.opts(), "First", "same@example.com")?;
    let before = all_users(&mut db.conn())?;

    let second = create_user(&db.opts(), "Second", "same@example.com");

    assert!(
        matches!(&second, Err(NaiveError::User(UserError::EmailTaken { email })) if email == "same@example.com"),
        "{second:?}"
    );
    assert_eq!(all_users(&mut db.conn())?, before);
    Ok(())
}

#[test]
fn injection_strings_korean_and_emoji_round_trip_literally() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let texts = [
        "'; DROP TABLE users; --",
        "back\\slash \\' \"quotes\"",
        "nul\0byte",
        "김민수 🦀👩‍💻",
    ];

    for (i, text) in texts.iter().enumerate() {
        // The text goes in the name: an email may hold no NUL or zero-width joiner (lesson 2's rule).
        let email = format!("user{i}🦀@예시.한국");
        let id = create_user(&db.opts(), text, &email)?;
        let user = get_user_by_email(&db.opts(), &email)?.expect("just created");

        assert_eq!(
            (user.id, user.name.as_bytes(), user.email.as_bytes()),
            (id, text.as_bytes(), email.as_bytes())
        );
    }
    assert_eq!(db.table_names(), ["conversations", "users"]);
    Ok(())
}
