//! Each first-day failure gives a message that names what to do, and never the password.
//! These run against the configured server (`./docker/db.sh up`).

use shared::{Config, Error, connect};

const SECRET: &str = "a-password-nobody-may-see-9z";

fn configured() -> Config {
    let mut config = Config::from_env().expect("DB_* variables are valid");
    config.password = SECRET.to_string();
    config
}

fn assert_hides_the_password(err: &Error) {
    assert!(
        !err.to_string().contains(SECRET),
        "message shows the password: {err}"
    );
    assert!(
        !format!("{err:?}").contains(SECRET),
        "Debug shows the password: {err:?}"
    );
}

#[test]
fn an_unreachable_server_names_host_port_and_the_setup_command() {
    // Bind a port, then free it: nothing listens there any more, so the connection is refused.
    let free_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = Config {
        host: "127.0.0.1".into(),
        port: free_port,
        ..configured()
    };

    let err = connect(&config).unwrap_err();

    assert!(matches!(err, Error::Unreachable { .. }), "{err:?}");
    let message = err.to_string();
    assert!(
        message.contains(&format!("127.0.0.1:{free_port}")),
        "{message}"
    );
    assert!(message.contains("./docker/db.sh up"), "{message}");
    assert_hides_the_password(&err);
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
    assert_hides_the_password(&err);
}

#[test]
fn an_unknown_database_says_to_run_the_setup() {
    let real = Config::from_env().unwrap();
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
    assert!(message.contains("./docker/db.sh up"), "{message}");
    assert!(
        !message.contains(&real.password),
        "message shows the password: {message}"
    );
}

#[test]
fn a_database_the_user_may_not_use_names_user_and_database() {
    let real = Config::from_env().unwrap();
    // Outside the demo database and the test prefix, the user has no rights: the server answers 1044.
    let config = real.with_database("somebody_elses_database");

    let err = connect(&config).unwrap_err();

    assert!(matches!(err, Error::DatabaseAccessDenied { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains(&format!("'{}'", real.user)), "{message}");
    assert!(message.contains("'somebody_elses_database'"), "{message}");
    assert!(message.contains("./docker/db.sh up"), "{message}");
}

#[test]
fn the_configured_server_accepts_the_configured_user() {
    let config = Config::from_env().unwrap();

    let conn = connect(&config);

    assert!(conn.is_ok(), "{}", conn.unwrap_err());
}
