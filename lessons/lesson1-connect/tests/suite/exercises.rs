//! Checks exercise 1a (`select_one`) against the real server, each test in its own database, and
//! against a stand-in server that records what it was asked.
//! Run against your version with `cargo test -p lesson1 --features exercise`.

use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::stand_in::{self, StandIn};
use mysql::prelude::Queryable;
use shared::Config;
use shared::testing::TestDb;

/// Runs `select_one`, turning a panic into a failure that says what the test was checking.
fn select_one_without_panic(
    config: &Config,
    situation: &str,
) -> Result<lesson1::Reply, shared::Error> {
    catch_unwind(AssertUnwindSafe(|| lesson1::select_one(config))).unwrap_or_else(|_| {
        panic!("select_one panicked {situation}; it should return a Reply or an Err, never panic")
    })
}

/// Whether `sql` is `SELECT 1` (any case, spacing, trailing `;` or alias).
fn is_select_1(sql: &str) -> bool {
    let words: Vec<String> = sql
        .trim_end_matches([';', ' '])
        .split_whitespace()
        .map(str::to_uppercase)
        .collect();
    words.len() >= 2 && words[0] == "SELECT" && words[1] == "1"
}

#[test]
fn select_one_returns_the_row_of_select_1() -> anyhow::Result<()> {
    let db = TestDb::new()?;

    let reply = lesson1::select_one(db.config())?;

    assert!(
        reply.one == 1,
        "SELECT 1 returns 1, but Reply.one is {}",
        reply.one
    );
    Ok(())
}

#[test]
fn select_one_reads_every_value_from_the_server_instead_of_writing_it_itself() -> anyhow::Result<()>
{
    let server = StandIn::start()?;
    let config = Config::from_lookup(|key| match key {
        "DB_HOST" => Some("127.0.0.1".into()),
        "DB_PORT" => Some(server.port().to_string()),
        "DB_NAME" => Some(stand_in::DATABASE.into()),
        "DB_SSL_MODE" => Some("disabled".into()),
        _ => None,
    })?;

    let reply = select_one_without_panic(&config, "talking to the stand-in server")?;

    let queries = server.queries();
    assert!(
        queries.iter().any(|sql| is_select_1(sql)),
        "select_one never sent SELECT 1 to the server (it sent {queries:?}): \
         was the row written in the code (one: 1) instead of read from the server's answer?"
    );
    assert!(
        reply.server_version == stand_in::VERSION && reply.user == stand_in::ACCOUNT,
        "this server answers VERSION() = {:?} and CURRENT_USER() = {:?}, but the Reply says {:?} and {:?}: \
         are these values written in the code, taken from the config, or read from the wrong column?",
        stand_in::VERSION,
        stand_in::ACCOUNT,
        reply.server_version,
        reply.user
    );
    assert!(
        reply.database.as_deref() == Some(stand_in::DATABASE),
        "this server answers DATABASE() = {:?}, but the Reply says {:?}",
        stand_in::DATABASE,
        reply.database
    );
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

    assert!(
        reply.database.as_deref() == Some(db.name()),
        "connected with database {:?}, but DATABASE() read as {:?}",
        db.name(),
        reply.database
    );
    assert!(
        reply.user == account,
        "the server calls this account {account:?} (CURRENT_USER()), but Reply.user is {:?}",
        reply.user
    );
    assert!(
        reply.server_version == version,
        "the server's VERSION() is {version:?}, but Reply.server_version is {:?}: \
         is it read from VERSION(), or put together from something else?",
        reply.server_version
    );
    Ok(())
}

#[test]
fn select_one_without_a_default_database_reports_none_instead_of_failing() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let no_database = db.config().with_database("");

    let reply = select_one_without_panic(
        &no_database,
        "on a connection without a default database (DATABASE() is NULL: is it read as Option<String>?)",
    )?;

    assert!(
        reply.database.is_none(),
        "with no default database, DATABASE() is NULL, so Reply.database should be None, not {:?}",
        reply.database
    );
    Ok(())
}

#[test]
fn select_one_reports_a_wrong_password_without_showing_it() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let mut config = db.config().clone();
    config.password = "not-the-password-4711".into();

    let result = select_one_without_panic(&config, "on a wrong password");

    let err = match result {
        Err(err) => err,
        Ok(reply) => panic!("a wrong password should be an Err, but select_one returned {reply:?}"),
    };
    assert!(
        matches!(err, shared::Error::AccessDenied { .. }),
        "a wrong password should be shared::Error::AccessDenied (what shared::connect returns), got {err:?}"
    );
    assert!(
        !format!("{err} {err:?}").contains("not-the-password-4711"),
        "the error shows the password: {err}"
    );
    Ok(())
}

#[test]
fn select_one_reports_an_unreachable_server_as_an_error() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    // A port where nothing listens: bound to a free port and closed again.
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let mut config = db.config().clone();
    (config.host, config.port) = ("127.0.0.1".into(), port);

    let result = select_one_without_panic(&config, "when no server answers");

    assert!(
        matches!(result, Err(shared::Error::Unreachable { .. })),
        "with no server at 127.0.0.1:{port}, select_one should return shared::Error::Unreachable, got {result:?}"
    );
    Ok(())
}

#[test]
fn select_one_closes_its_connection_when_it_returns() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let mut watcher = db.conn();

    lesson1::select_one(db.config())?;

    // The server lets go of a closed connection a moment after the client's COM_QUIT.
    let left_open = db.wait_for_sessions(&mut watcher, |ids| ids.is_empty());
    assert!(
        left_open.is_empty(),
        "after select_one returned, the server still lists its connection(s) {left_open:?}: \
         is the Conn kept somewhere (a static, a leaked Box, mem::forget) instead of dropped?"
    );
    Ok(())
}
