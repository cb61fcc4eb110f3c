//! What every lesson builds on: where the database is ([`Config`]), how to reach it
//! ([`Config::opts`], [`connect`]), and errors that tell a student what to do next ([`Error`]).
//!
//! A program that needs the server calls [`start_server_if_needed`] first: when nothing answers on
//! this machine, it starts the course's own server with [`setup`], the code behind
//! `cargo run -p db -- up | down | status | reset`.
//!
//! With the `test-support` feature, `testing::TestDb` gives each test a database of its own.
//!
//! Data flows one way: `.env` / environment / defaults -> [`Config`] -> [`mysql::Opts`]
//! -> a connection or a pool -> the lesson's functions.

use std::time::Duration;

use mysql::prelude::Queryable;
use mysql::{Conn, Opts, OptsBuilder};

mod config;
mod error;
pub mod setup;
mod tls;

#[cfg(feature = "test-support")]
pub mod testing;

pub use config::{Config, SYSTEM_DATABASES, SslMode, check_database_name};
pub use error::{Error, is_connection_lost};
pub use setup::Autostart;

/// How long to wait for the TCP connection to the server before giving up.
/// The operating system's default is minutes; a student should see an error in seconds.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// How long one read from, or one write to, the server may take. A few seconds is plenty for
/// these lessons' queries and means a dead server is reported instead of hanging forever.
pub const READ_WRITE_TIMEOUT: Duration = Duration::from_secs(5);

/// The defaults that the set-up tool (`cargo run -p db -- up`) and `docker/compose.yml` set up,
/// so a fresh clone needs no `.env`.
pub const DEFAULT_HOST: &str = "127.0.0.1";
/// See [`DEFAULT_HOST`].
pub const DEFAULT_PORT: u16 = 3306;
/// See [`DEFAULT_HOST`].
pub const DEFAULT_USER: &str = "tester";
/// See [`DEFAULT_HOST`].
pub const DEFAULT_PASSWORD: &str = "tester";
/// See [`DEFAULT_HOST`].
pub const DEFAULT_DATABASE: &str = "llmagent";
/// Where `cargo run -p db -- up --replica` starts the replica (on [`DEFAULT_HOST`]), and where
/// [`Config::replica`] looks for one when `DB_REPLICA_PORT` is not set.
pub const DEFAULT_REPLICA_PORT: u16 = 3316;

/// The command that starts a database server and creates the user, database and schema.
pub const SETUP_COMMAND: &str = "cargo run -p db -- up";
/// The command that says which server answers at `DB_HOST:DB_PORT`, and whether the course started it.
pub const STATUS_COMMAND: &str = "cargo run -p db -- status";

impl Config {
    /// Connection options for the `mysql` crate, with short timeouts and the TLS that
    /// `DB_SSL_MODE` asks for. With `preferred` (the default), the first call for a server reads
    /// its greeting once to learn whether it offers TLS.
    ///
    /// Careful: `mysql::Opts`'s own `Debug` output includes the password; print the `Config` instead.
    pub fn opts(&self) -> Opts {
        self.opts_builder().into()
    }

    /// Like [`Config::opts`], as a builder a lesson can adjust (for example `prefer_socket(false)`).
    pub fn opts_builder(&self) -> OptsBuilder {
        OptsBuilder::new()
            .ip_or_hostname(Some(self.host.clone()))
            .tcp_port(self.port)
            .user(Some(self.user.clone()))
            .pass(Some(self.password.clone()))
            .db_name((!self.database.is_empty()).then(|| self.database.clone()))
            .tcp_connect_timeout(Some(CONNECT_TIMEOUT))
            .read_timeout(Some(READ_WRITE_TIMEOUT))
            .write_timeout(Some(READ_WRITE_TIMEOUT))
            .ssl_opts(tls::ssl_opts(self))
    }
}

/// Makes sure a server answers at `config`'s address before a program uses it. When nothing
/// answers there and `DB_HOST` is this machine, it starts the course's own server exactly as
/// `cargo run -p db -- up` does (the same code, the same lock, the same `db: ...` lines) and
/// returns once the server is ready. Against a server elsewhere, or one that answers, usable or
/// not, it starts nothing: the connection that follows says what is wrong, if anything.
/// `DB_AUTOSTART=0` (in the environment or `.env`, read by [`Config::from_env`]) turns it off.
pub fn start_server_if_needed(config: &Config) -> Result<Autostart, Error> {
    let setting = std::env::var("DB_AUTOSTART").ok();
    setup::autostart(config, setting.as_deref(), setup::Tool::for_config)
}

/// Opens one connection with `config`, turning the usual first-day failures into an [`Error`]
/// that says what to do.
pub fn connect(config: &Config) -> Result<Conn, Error> {
    Conn::new(config.opts()).map_err(|err| Error::from_connect(err, config))
}

/// Checks that the server of `config` accepts a login: opens one connection and closes it.
///
/// For a pool's start-up: r2d2's `build` reports a failure as text only, so call this first,
/// and a student sees the same message as from [`connect`] (server down, frozen, not MySQL,
/// wrong password, TLS) instead of r2d2's.
pub fn check_server(config: &Config) -> Result<(), Error> {
    connect(config).map(drop)
}

/// One connection in the server's process list, as far as the course looks at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The connection's id: what `CONNECTION_ID()` says on it.
    pub id: u32,
    /// How the server sees the client: `address:port` over TCP (MariaDB shows 127.0.0.1 as
    /// `localhost:port`), plain `localhost` over a Unix socket.
    pub host: String,
    /// The session's current database, if it has one.
    pub db: Option<String>,
}

/// The connections the server lists to this user. Without the PROCESS privilege (the course's
/// `tester` has none) that is the user's own sessions, which is all the course looks at.
///
/// `SHOW PROCESSLIST` works alike on MariaDB and MySQL, and it is the statement that stays: MySQL
/// deprecates the table `information_schema.PROCESSLIST`, and with it (warning 1287) the way this
/// statement reads it today, for one on the Performance Schema. The table also fails on MySQL
/// (ERROR 3854) while any listed session's query holds a character beyond utf8mb3, such as an
/// emoji; the statement does not.
pub fn sessions(conn: &mut impl Queryable) -> mysql::Result<Vec<Session>> {
    let rows: Vec<mysql::Row> = conn.query("SHOW PROCESSLIST")?;
    let text = |row: &mysql::Row, column| row.get::<Option<String>, _>(column).flatten();
    Ok(rows
        .iter()
        .filter_map(|row| {
            Some(Session {
                id: row.get("Id")?,
                host: text(row, "Host").unwrap_or_default(),
                db: text(row, "db"),
            })
        })
        .collect())
}

/// This connection's own entry in the process list; `None` only if the server does not list it.
pub fn own_session(conn: &mut Conn) -> mysql::Result<Option<Session>> {
    let own = conn.connection_id();
    Ok(sessions(conn)?
        .into_iter()
        .find(|session| session.id == own))
}

/// Whether a process list's `Host` is a TCP client's: `address:port` ends in a port (an IPv6
/// address has colons too, but only a TCP entry ends in one followed by digits); a socket client's
/// is plain `localhost`.
pub fn is_tcp_host(host: &str) -> bool {
    host.rsplit_once(':')
        .is_some_and(|(_, port)| !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_seen_with_a_port_is_tcp_and_plain_localhost_is_a_socket() {
        for tcp in ["127.0.0.1:40312", "localhost:40312", "::1:5000"] {
            assert!(is_tcp_host(tcp), "{tcp} ends in a port: TCP");
        }
        for socket in ["localhost", "(unknown)", "host:"] {
            assert!(!is_tcp_host(socket), "{socket} has no port: not TCP");
        }
    }

    #[test]
    fn opts_carry_the_config_and_short_timeouts() {
        let vars = |key: &str| {
            let value = match key {
                "DB_PORT" => "3307",
                "DB_NAME" => "agent",
                "DB_SSL_MODE" => "disabled",
                _ => return None,
            };
            Some(value.to_string())
        };
        let config = Config::from_lookup(vars).unwrap();
        let opts = config.opts();
        assert_eq!(opts.get_tcp_port(), 3307);
        assert_eq!(opts.get_db_name(), Some("agent"));
        assert_eq!(opts.get_tcp_connect_timeout(), Some(CONNECT_TIMEOUT));
        assert_eq!(opts.get_read_timeout(), Some(&READ_WRITE_TIMEOUT));
        assert_eq!(opts.get_write_timeout(), Some(&READ_WRITE_TIMEOUT));
        assert!(opts.get_ssl_opts().is_none(), "disabled asks for no TLS");
    }
}
