//! The per-test database: fresh, with the schema, private to its test, and gone afterwards.

use mysql::prelude::Queryable;
use std::time::{Duration, Instant};

use shared::testing::{SCHEMA_SQL, SERVER_SETTLES, TEST_DB_PREFIX, TestDb, run_statements};

fn database_exists(name: &str) -> bool {
    let server = shared::testing::configured_server()
        .unwrap()
        .with_database("");
    let mut conn = shared::connect(&server).unwrap();
    let found: Option<String> = conn
        .exec_first(
            "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?",
            (name,),
        )
        .unwrap();
    found.is_some()
}

#[test]
fn a_test_database_has_the_prefix_and_the_schema_and_is_empty() {
    let db = TestDb::new().unwrap();
    let mut conn = db.conn();

    let tables = db.table_names();
    let users: Option<u64> = conn.query_first("SELECT COUNT(*) FROM users").unwrap();

    assert!(db.name().starts_with(TEST_DB_PREFIX), "{}", db.name());
    assert_eq!(tables, ["conversations", "user_tokens", "users"]);
    assert_eq!(users, Some(0));
}

#[test]
fn two_test_databases_are_different() {
    let first = TestDb::new().unwrap();
    let second = TestDb::new().unwrap();

    assert_ne!(first.name(), second.name());
}

#[test]
fn the_database_is_dropped_when_the_fixture_is_dropped() {
    let db = TestDb::new().unwrap();
    let name = db.name().to_string();
    assert!(database_exists(&name));

    drop(db);

    assert!(!database_exists(&name));
}

#[test]
fn the_database_is_dropped_when_the_test_panics() {
    let (sender, receiver) = std::sync::mpsc::channel();

    let outcome = std::panic::catch_unwind(move || {
        let db = TestDb::new().unwrap();
        sender.send(db.name().to_string()).unwrap();
        panic!("a failing test");
    });

    assert!(outcome.is_err());
    let name = receiver.recv().unwrap();
    assert!(!database_exists(&name), "{name} was left behind");
}

#[test]
fn loading_the_schema_twice_is_harmless() {
    let db = TestDb::new().unwrap();
    let mut conn = db.conn();
    conn.query_drop("INSERT INTO users (name, email) VALUES ('a', 'a@example.com')")
        .unwrap();

    run_statements(&mut conn, SCHEMA_SQL).unwrap();

    let users: Option<u64> = conn.query_first("SELECT COUNT(*) FROM users").unwrap();
    assert_eq!(users, Some(1), "reloading the schema must keep the rows");
}

#[test]
fn an_error_in_a_later_statement_of_a_script_is_reported() {
    let db = TestDb::new().unwrap();
    let mut conn = db.conn();

    let result = run_statements(&mut conn, "SELECT 1; SELECT * FROM no_such_table; SELECT 2");

    let err = result.expect_err("the second statement fails");
    assert!(err.to_string().contains("no_such_table"), "{err}");
}

#[test]
fn a_connection_finds_itself_in_the_process_list_with_its_database() {
    let db = TestDb::new().unwrap();
    let mut conn = db.conn();

    let listed = shared::own_session(&mut conn).unwrap();

    let listed = listed.expect("a user sees its own connection in the process list");
    assert_eq!(listed.db.as_deref(), Some(db.name()), "{listed:?}");
    assert!(
        !listed.host.is_empty(),
        "the server names the client's host: {listed:?}"
    );
}

#[test]
fn sessions_are_listed_while_another_sessions_query_holds_an_emoji() {
    let db = TestDb::new().unwrap();
    let (mut holder, mut waiter, mut watcher, mut lister) =
        (db.conn(), db.conn(), db.conn(), db.conn());
    let mut expected = vec![
        holder.connection_id(),
        waiter.connection_id(),
        lister.connection_id(),
    ];
    expected.sort_unstable();
    // The waiter's query, emoji and all, waits for the holder's lock: it stays in the process list.
    let lock = db.name().to_string();
    holder.exec_drop("SELECT GET_LOCK(?, 0)", (&lock,)).unwrap();
    let waiting = std::thread::spawn(move || {
        waiter
            .exec_drop("SELECT '🙂', GET_LOCK(?, 20)", (lock,))
            .unwrap();
    });
    // Wait for the lock wait itself ("User lock"): the query is also listed for a moment while it
    // is prepared, and then gone until it executes, so one sighting is not enough.
    let mut waits_with_emoji = || {
        let rows: Vec<mysql::Row> = lister.query("SHOW PROCESSLIST").unwrap();
        rows.iter().any(|row| {
            let text = |column| {
                let bytes = row.get::<Option<Vec<u8>>, _>(column).flatten();
                String::from_utf8_lossy(&bytes.unwrap_or_default()).into_owned()
            };
            text("State") == "User lock" && text("Info").contains('🙂')
        })
    };
    let deadline = Instant::now() + SERVER_SETTLES;
    let mut waiting_seen = waits_with_emoji();
    while !waiting_seen && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
        waiting_seen = waits_with_emoji();
    }
    assert!(
        waiting_seen,
        "the waiter's query never showed in the process list, waiting for the lock"
    );

    let listed = db.wait_for_sessions(&mut watcher, |ids| ids == expected.as_slice());

    holder
        .exec_drop("DO RELEASE_LOCK(?)", (db.name(),))
        .unwrap();
    waiting.join().unwrap();
    assert_eq!(
        listed, expected,
        "this database's sessions apart from the watcher: holder, waiter (with the emoji query), lister"
    );
}
