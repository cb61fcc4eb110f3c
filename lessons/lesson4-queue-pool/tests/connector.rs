//! The MySQL side of the pool that is not the exercise: opening at start-up, which errors count as
//! a lost connection, and a Debug output without the password. Real server, each test its own database.

mod common;

use common::all_idle;
use lesson4::{Pool, PoolError, is_connection_lost};
use mysql::prelude::Queryable;
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
