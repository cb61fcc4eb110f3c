//! Each way a server can fail gives a message that names `host:port` and what to do next, says
//! its own part once (the driver's error follows as its cause), and never shows the password.
//! The broken servers are fakes on 127.0.0.1; the others run against the configured server.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use mysql::prelude::Queryable;
use shared::testing::configured_server;
use shared::{Config, Error, SETUP_COMMAND, STATUS_COMMAND, SslMode, check_server, connect};

const SECRET: &str = "a-password-nobody-may-see-9z";

/// The configured server with a password nobody uses.
fn configured() -> Config {
    let mut config = configured_server().expect("DB_* variables are valid, and the server answers");
    config.password = SECRET.to_string();
    config
}

/// The configured user, with a password nobody uses, pointed at a port on 127.0.0.1.
fn at_local_port(port: u16) -> Config {
    Config {
        host: "127.0.0.1".into(),
        port,
        password: SECRET.to_string(),
        ..Config::from_env().expect("DB_* variables are valid")
    }
}

/// What a program that prints the error chain shows (anyhow's `Error: ... Caused by: ...`).
fn printed_chain(err: Error) -> String {
    format!("{:?}", anyhow::Error::from(err))
}

/// Checks the rules every message keeps, and returns the printed chain.
fn assert_a_good_message(err: Error, address: &str, next_step: &str) -> String {
    let message = err.to_string();
    assert!(
        message.contains(address),
        "does not name {address}: {message}"
    );
    assert!(
        message.contains(next_step),
        "does not say `{next_step}`: {message}"
    );
    let cause = std::error::Error::source(&err)
        .expect("the driver's error is the cause")
        .to_string();
    assert!(
        !message.contains(&cause),
        "the message repeats its cause {cause:?}: {message}"
    );
    assert!(
        !format!("{err:?}").contains(SECRET),
        "Debug shows the password: {err:?}"
    );
    let chain = printed_chain(err);
    assert_eq!(
        chain.matches(&cause).count(),
        1,
        "the printed chain shows the cause {cause:?} other than once:\n{chain}"
    );
    assert!(
        !chain.contains(SECRET),
        "the chain shows the password:\n{chain}"
    );
    chain
}

/// A fake server on 127.0.0.1 that writes `greeting` (maybe nothing) to each connection and then
/// holds it open, silent, for `HOLD` (bounded: a few connections, a fixed time).
fn fake_server(greeting: &'static [u8]) -> u16 {
    const HOLD: Duration = Duration::from_secs(20);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    listener.set_nonblocking(true).unwrap();
    thread::spawn(move || {
        let deadline = Instant::now() + HOLD;
        let mut held = Vec::new();
        while Instant::now() < deadline && held.len() < 8 {
            match listener.accept() {
                Ok((mut stream, _)) => {
                    let _ = stream.write_all(greeting);
                    held.push(stream);
                }
                Err(_) => thread::sleep(Duration::from_millis(10)),
            }
        }
        thread::sleep(deadline.saturating_duration_since(Instant::now()));
    });
    port
}

#[test]
fn an_unreachable_server_names_host_port_and_the_setup_command() {
    // Bind a port, then free it: nothing listens there any more, so the connection is refused.
    let free_port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();

    let err = connect(&at_local_port(free_port)).unwrap_err();

    assert!(matches!(err, Error::Unreachable { .. }), "{err:?}");
    assert_a_good_message(err, &format!("127.0.0.1:{free_port}"), SETUP_COMMAND);
}

#[test]
fn a_server_that_accepts_but_never_answers_is_reported_as_frozen() {
    let port = fake_server(b"");

    let err = check_server(&at_local_port(port)).unwrap_err();

    assert!(matches!(err, Error::NoAnswer { .. }), "{err:?}");
    assert!(err.to_string().contains("frozen or overloaded"), "{err}");
    assert_a_good_message(err, &format!("127.0.0.1:{port}"), STATUS_COMMAND);
}

#[test]
fn a_web_server_on_the_port_is_reported_as_not_a_mysql_server() {
    let port = fake_server(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");

    let err = check_server(&at_local_port(port)).unwrap_err();

    assert!(matches!(err, Error::NotMySql { .. }), "{err:?}");
    assert!(
        err.to_string()
            .contains("does not answer like a MySQL server"),
        "{err}"
    );
    assert_a_good_message(err, &format!("127.0.0.1:{port}"), "DB_PORT");
}

/// A TCP relay on 127.0.0.1 to the configured server, for one client; dropping the returned
/// stream's twin (`cut`) closes both sides, as a server restart does.
fn relay_to_the_configured_server() -> (u16, TcpStream) {
    let real = configured_server().unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = TcpStream::connect((real.host.as_str(), real.port)).unwrap();
    let cut = server.try_clone().unwrap();
    thread::spawn(move || {
        let (client, _) = listener.accept().unwrap();
        let pipe = |mut from: TcpStream, mut to: TcpStream| {
            thread::spawn(move || {
                let mut buf = [0u8; 16 * 1024];
                while let Ok(n @ 1..) = from.read(&mut buf) {
                    if to.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
                let _ = to.shutdown(Shutdown::Both);
            })
        };
        pipe(client.try_clone().unwrap(), server.try_clone().unwrap());
        pipe(server, client);
    });
    (port, cut)
}

#[test]
fn a_connection_the_server_closes_after_it_worked_says_the_server_closed_it() {
    let real = configured_server().unwrap();
    let (port, cut) = relay_to_the_configured_server();
    let through_relay = Config {
        host: "127.0.0.1".into(),
        port,
        // The relay serves one connection: no preliminary look at the greeting for `preferred`.
        ssl_mode: SslMode::Disabled,
        ..real.clone()
    };
    // Through the relay only: on 127.0.0.1 the driver would move to the server's socket file.
    let opts = through_relay.opts_builder().prefer_socket(false);
    let mut conn = mysql::Conn::new(opts).expect("the relay passes a login through");
    let answer: Option<u8> = conn.query_first("SELECT 1").unwrap();
    assert_eq!(answer, Some(1), "the connection works before the cut");

    cut.shutdown(Shutdown::Both).unwrap();
    let failed = conn.query_drop("SELECT 1").unwrap_err();
    let err = Error::from_mysql(failed, &through_relay);

    assert!(matches!(err, Error::ConnectionLost { .. }), "{err:?}");
    assert!(err.to_string().contains("closed the connection"), "{err}");
    assert_a_good_message(err, &format!("127.0.0.1:{port}"), SETUP_COMMAND);
}

#[test]
fn a_wrong_password_names_the_user_and_not_the_password() {
    let config = configured();

    let err = connect(&config).unwrap_err();

    assert!(matches!(err, Error::AccessDenied { .. }), "{err:?}");
    assert!(
        err.to_string().contains(&format!("'{}'", config.user)),
        "{err}"
    );
    assert_a_good_message(err, &config.address(), "DB_PASSWORD");
}

#[test]
fn a_server_error_is_passed_on_once_in_the_drivers_words() {
    let config = configured_server().unwrap();
    let mut conn = connect(&config).unwrap();
    let failed = conn
        .query_drop("SELECT * FROM no_such_table_9z")
        .unwrap_err();
    let driver_says = failed.to_string();

    let err = Error::from_mysql(failed, &config);

    assert!(matches!(err, Error::Mysql(_)), "{err:?}");
    let chain = printed_chain(err);
    assert_eq!(
        chain.matches(&driver_says).count(),
        1,
        "the printed chain shows {driver_says:?} other than once:\n{chain}"
    );
}

#[test]
fn an_unknown_database_says_to_run_the_setup() {
    let real = configured_server().unwrap();
    // A name under the test prefix: the user may use such names, so the server says "unknown
    // database" (1049) rather than "access denied to database" (1044).
    let config = real.with_database("llmagent_test_that_does_not_exist");

    let err = connect(&config).unwrap_err();

    assert!(matches!(err, Error::UnknownDatabase { .. }), "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains("llmagent_test_that_does_not_exist"),
        "{message}"
    );
    assert!(message.contains(SETUP_COMMAND), "{message}");
    assert!(message.contains(&real.address()), "{message}");
    assert!(
        !message.contains(&real.password),
        "message shows the password: {message}"
    );
}

#[test]
fn a_database_the_user_may_not_use_names_user_and_database() {
    let real = configured_server().unwrap();
    // Outside the demo database and the test prefix, the user has no rights: the server answers 1044.
    let config = real.with_database("somebody_elses_database");

    let err = connect(&config).unwrap_err();

    assert!(matches!(err, Error::DatabaseAccessDenied { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains(&format!("'{}'", real.user)), "{message}");
    assert!(message.contains("'somebody_elses_database'"), "{message}");
    assert!(message.contains(&real.address()), "{message}");
    assert!(message.contains(SETUP_COMMAND), "{message}");
}

#[test]
fn the_configured_server_accepts_the_configured_user() {
    let config = configured_server().unwrap();

    let checked = check_server(&config);

    assert!(checked.is_ok(), "{}", checked.unwrap_err());
}
