//! The given helpers (lib.rs): how a connection reached the server, and the error messages.

use std::path::Path;

use lesson3::{NaiveError, Transport, transport_of};
use mysql::prelude::Queryable;
use mysql::{Conn, OptsBuilder};
use shared::testing::TestDb;

#[test]
fn with_prefer_socket_off_a_connection_stays_on_tcp() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let mut conn = Conn::new(OptsBuilder::from_opts(db.opts()).prefer_socket(false))?;

    assert_eq!(transport_of(&mut conn)?, Transport::Tcp);
    Ok(())
}

#[test]
fn a_connection_over_the_servers_unix_socket_is_reported_as_socket() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let socket: Option<String> = db.conn().query_first("SELECT @@socket")?;
    let Some(socket) = socket.filter(|path| Path::new(path).exists()) else {
        eprintln!(
            "skipped: the server's socket is not on this machine (a container or another host)"
        );
        return Ok(());
    };
    let mut conn = Conn::new(OptsBuilder::from_opts(db.opts()).socket(Some(socket)))?;

    assert_eq!(transport_of(&mut conn)?, Transport::Socket);
    Ok(())
}

#[test]
fn a_connect_error_says_how_to_start_the_server() {
    let err = NaiveError::Connect(mysql::Error::DriverError(
        mysql::DriverError::CouldNotConnect(None),
    ));

    let message = err.to_string();

    assert!(message.starts_with("cannot open a connection"), "{message}");
    assert!(message.contains(shared::SETUP_COMMAND), "{message}");
}

#[test]
fn a_printed_error_chain_shows_each_cause_once() {
    let driver = || mysql::Error::DriverError(mysql::DriverError::CouldNotConnect(None));
    let driver_text = driver().to_string();
    let connect = anyhow::Error::new(NaiveError::Connect(driver()));
    let user = anyhow::Error::new(NaiveError::User(lesson2::UserError::Db(driver())));

    for chain in [format!("{connect:?}"), format!("{user:?}")] {
        assert_eq!(
            chain.matches(&driver_text).count(),
            1,
            "the driver's message should appear once in the printed chain:\n{chain}"
        );
    }
    assert_eq!(
        format!("{user:?}")
            .matches("could not complete the user operation")
            .count(),
        1,
        "NaiveError::User should not repeat lesson 2's message: {user:?}"
    );
}

#[test]
fn a_user_error_keeps_lesson2s_message() {
    let err = NaiveError::from(lesson2::UserError::NotFound { id: 7 });

    assert!(matches!(
        err,
        NaiveError::User(lesson2::UserError::NotFound { id: 7 })
    ));
    assert!(err.to_string().contains("no user has id 7"), "{err}");
}
