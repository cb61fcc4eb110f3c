//! The MySQL side of the pool that is not the exercise: opening at start-up, errors that say their
//! part once, which errors count as a lost connection, the watched guard, `close_all` as the
//! server sees it, and a Debug output without the password. Real server, each test its own database.

use std::time::Duration;

use crate::common::{all_idle, connection_id, kill};
use lesson4::{Pool, PoolError};
use mysql::prelude::Queryable;
use shared::is_connection_lost;
use shared::testing::TestDb;

fn server_error(code: u16) -> mysql::Error {
    mysql::Error::MySqlError(mysql::MySqlError {
        state: "HY000".into(),
        message: "test".into(),
        code,
    })
}

#[test]
fn a_wrong_password_fails_at_start_up_without_showing_the_password() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let mut config = db.config().clone();
    config.password = "not-the-password-4711".into();

    let err = Pool::new(config.opts(), 2).unwrap_err();

    assert!(
        matches!(&err, PoolError::Connect(mysql::Error::MySqlError(e)) if e.code == 1045),
        "{err:?}"
    );
    assert!(!err.to_string().contains("not-the-password-4711"), "{err}");
    Ok(())
}

#[test]
fn the_pools_debug_output_shows_counts_but_not_the_password() -> anyhow::Result<()> {
    let db = TestDb::new()?;

    let pool = Pool::new(db.opts(), 1)?;
    let shown = format!("{pool:?}");

    assert!(shown.contains("connections: 1"), "{shown}");
    assert!(!shown.contains(&db.config().password), "{shown}");
    Ok(())
}

#[test]
fn an_sql_error_through_the_guard_keeps_the_connection_in_the_pool() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let pool = Pool::new(db.opts(), 1)?;
    let mut conn = pool.get()?;
    let id = conn.connection_id();

    let err = conn.query_drop("SELECT * FROM no_such_table").unwrap_err();
    let broken = conn.is_broken();
    drop(conn);

    assert!(
        matches!(&err, mysql::Error::MySqlError(e) if e.code == 1146),
        "{err:?}"
    );
    assert!(!broken, "a missing table says nothing about the connection");
    assert_eq!(pool.get()?.connection_id(), id);
    assert_eq!(pool.state(), all_idle(1));
    Ok(())
}

#[test]
fn io_errors_and_end_of_session_server_errors_count_as_a_lost_connection() {
    let io = mysql::Error::IoError(std::io::Error::new(std::io::ErrorKind::BrokenPipe, "gone"));

    assert!(is_connection_lost(&io));
    assert!(
        is_connection_lost(&server_error(4031)),
        "MySQL's wait_timeout notice"
    );
    assert!(
        is_connection_lost(&server_error(1927)),
        "MariaDB's connection killed"
    );
    assert!(!is_connection_lost(&server_error(1146)), "no such table");
    assert!(!is_connection_lost(&server_error(1062)), "duplicate key");
}

#[test]
fn a_refused_start_up_prints_the_drivers_reason_once_in_the_error_chain() {
    let mut config = shared::Config::from_lookup(|_| None).expect("the defaults");
    config.port = 1; // nothing listens on port 1

    let err = anyhow::Error::from(Pool::new(config.opts(), 2).unwrap_err());
    let chain = format!("{err:#}"); // anyhow: "error: cause: cause ..."
    let cause = err.root_cause().to_string();

    assert!(
        chain.matches(&cause).count() == 1,
        "the driver's reason `{cause}` should appear once in `{chain}`"
    );
    assert!(
        chain.starts_with("the pool could not open a connection: "),
        "{chain}"
    );
}

#[test]
fn a_connection_killed_within_the_window_fails_once_and_is_never_lent_again() -> anyhow::Result<()>
{
    let db = TestDb::new()?;
    // A window far longer than the test: the pool trusts the connection and does not ping it.
    let options = lesson4::PoolOptions {
        liveness_window: Duration::from_secs(600),
        ..lesson4::PoolOptions::new(1)
    };
    let pool = Pool::with_manager(lesson4::MysqlConnector::new(db.opts()), options)?;
    let mut watcher = db.conn();
    let victim = connection_id(&mut pool.get()?)?;
    kill(&mut watcher, victim)?;
    let left = db.wait_for_sessions(&mut watcher, |ids| !ids.contains(&victim));
    assert!(!left.contains(&victim), "the server still lists {victim}");

    // The price of skipping the ping: this caller meets the dead connection...
    let mut conn = pool.get()?;
    let err = connection_id(&mut conn).unwrap_err();
    assert!(is_connection_lost(&err), "{err:?}");
    assert!(
        conn.is_broken(),
        "the guard did not notice the lost connection"
    );
    drop(conn);
    // ...and the guard closed it, so the next caller gets a new one.
    let next_id = connection_id(&mut pool.get()?)?;

    assert!(
        next_id != victim,
        "the killed connection {victim} was lent again"
    );
    assert!(pool.state() == all_idle(1), "{:?}", pool.state());
    Ok(())
}

#[test]
fn after_close_all_the_server_lists_none_of_the_pools_connections() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let pool = Pool::new(db.opts(), 3)?;
    let mut watcher = db.conn();
    let lent = pool.get()?;
    let before = db.wait_for_sessions(&mut watcher, |ids| ids.len() == 3);
    assert!(before.len() == 3, "the server lists {before:?}; expected 3");

    pool.close_all();
    let while_lent = db.wait_for_sessions(&mut watcher, |ids| ids.len() == 1);
    drop(lent);
    let after = db.wait_for_sessions(&mut watcher, |ids| ids.is_empty());

    assert!(
        while_lent.len() == 1,
        "while one was lent the server listed {while_lent:?}"
    );
    assert!(
        after.is_empty(),
        "after the last return the server lists {after:?}"
    );
    Ok(())
}
