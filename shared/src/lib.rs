//! What every lesson builds on: where the database is ([`Config`]), how to reach it
//! ([`Config::opts`], [`connect`]), and errors that tell a student what to do next ([`Error`]).
//!
//! With the `test-support` feature, [`testing::TestDb`] gives each test a database of its own.
//!
//! Data flows one way: `.env` / environment / defaults -> [`Config`] -> [`mysql::Opts`]
//! -> a connection or a pool -> the lesson's functions.

use std::fmt;
use std::time::Duration;

use mysql::{Conn, Opts, OptsBuilder};

#[cfg(feature = "test-support")]
pub mod testing;

/// How long to wait for the TCP connection to the server before giving up.
/// The operating system's default is minutes; a student should see an error in seconds.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// How long one read from, or one write to, the server may take. A few seconds is plenty for
/// these lessons' queries and means a dead server is reported instead of hanging forever.
pub const READ_WRITE_TIMEOUT: Duration = Duration::from_secs(5);

/// The defaults that `./docker/db.sh up` and `docker/compose.yml` set up, so a fresh clone needs no `.env`.
pub const DEFAULT_HOST: &str = "127.0.0.1";
/// See [`DEFAULT_HOST`].
pub const DEFAULT_PORT: u16 = 3306;
/// See [`DEFAULT_HOST`].
pub const DEFAULT_USER: &str = "tester";
/// See [`DEFAULT_HOST`].
pub const DEFAULT_PASSWORD: &str = "tester";
/// See [`DEFAULT_HOST`].
pub const DEFAULT_DATABASE: &str = "llmagent";

/// The command that starts a database server and creates the user, database and schema.
pub const SETUP_COMMAND: &str = "./docker/db.sh up";

/// Where the database is and who we are there.
///
/// `Debug` never shows the password, so a `Config` is safe to print or log.
#[derive(Clone, PartialEq, Eq)]
pub struct Config {
    /// Server host name or IP address (`DB_HOST`).
    pub host: String,
    /// Server TCP port (`DB_PORT`).
    pub port: u16,
    /// User name (`DB_USER`).
    pub user: String,
    /// The password (`DB_PASSWORD`). Never printed: see the `Debug` impl.
    pub password: String,
    /// Database to use (`DB_NAME`).
    pub database: String,
}

impl Config {
    /// Reads `DB_HOST`, `DB_PORT`, `DB_USER`, `DB_PASSWORD` and `DB_NAME` from the environment,
    /// then from a `.env` file (in this directory or a parent), then the defaults.
    /// A variable already set in the environment wins over `.env`.
    pub fn from_env() -> Result<Config, Error> {
        match dotenvy::dotenv() {
            Ok(_) => {}
            Err(err) if err.not_found() => {}
            Err(err) => return Err(Error::from_dotenv(err)),
        }
        Config::from_lookup(|key| std::env::var(key).ok())
    }

    /// Builds a config from any source of variables (the environment, a map in a test), with the defaults.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, Error> {
        let get = |key: &str, default: &str| lookup(key).unwrap_or_else(|| default.to_string());
        let port = match lookup("DB_PORT") {
            None => DEFAULT_PORT,
            Some(value) => match value.trim().parse::<u16>() {
                Ok(port) if port != 0 => port,
                _ => return Err(Error::InvalidPort { value }),
            },
        };
        Ok(Config {
            host: get("DB_HOST", DEFAULT_HOST),
            port,
            user: get("DB_USER", DEFAULT_USER),
            password: get("DB_PASSWORD", DEFAULT_PASSWORD),
            database: get("DB_NAME", DEFAULT_DATABASE),
        })
    }

    /// The same server and user, another database (used by the test fixture).
    pub fn with_database(&self, database: &str) -> Config {
        Config {
            database: database.to_string(),
            ..self.clone()
        }
    }

    /// Connection options for the `mysql` crate, with short timeouts.
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
    }

    /// `host:port`, for messages.
    pub fn address(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("password", &"<hidden>")
            .field("database", &self.database)
            .finish()
    }
}

/// Opens one connection with `config`, turning the usual first-day failures into an [`Error`]
/// that says what to do.
pub fn connect(config: &Config) -> Result<Conn, Error> {
    Conn::new(config.opts()).map_err(|err| Error::from_mysql(err, config))
}

/// Something went wrong before a lesson could do its work. Each message names what to do next,
/// and none contains the password.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// `DB_PORT` is not a port number.
    InvalidPort {
        /// What `DB_PORT` held.
        value: String,
    },
    /// The `.env` file exists but cannot be read.
    DotEnv(String),
    /// Nothing answered at `host:port` (server not started, wrong port, firewall).
    Unreachable {
        /// `host:port` that was tried.
        address: String,
        /// What the operating system or driver said.
        reason: String,
    },
    /// The server refused the user name or password (server error 1045).
    AccessDenied {
        /// The user that was refused.
        user: String,
        /// `host:port` of the server.
        address: String,
    },
    /// The database does not exist (server error 1049).
    UnknownDatabase {
        /// The database that was asked for.
        database: String,
    },
    /// The user may not use this database (server error 1044).
    DatabaseAccessDenied {
        /// The user that was refused.
        user: String,
        /// The database that was asked for.
        database: String,
    },
    /// Any other error from the driver or the server.
    Mysql(mysql::Error),
}

impl Error {
    /// Describes why `.env` could not be read. dotenvy's own message for a line it cannot parse
    /// quotes the line's value, which may be the password, so that message is not passed on.
    fn from_dotenv(err: dotenvy::Error) -> Error {
        Error::DotEnv(match err {
            dotenvy::Error::LineParse(..) => {
                "a line is not valid .env syntax (its text is not shown: \
                 it may hold the password); quote a value with spaces, quotes, `$` or `\\`, \
                 like DB_PASSWORD='my secret'"
                    .to_string()
            }
            other => other.to_string(),
        })
    }

    /// Classifies an error met while connecting with `config`.
    pub fn from_mysql(err: mysql::Error, config: &Config) -> Error {
        match &err {
            mysql::Error::MySqlError(server) => match server.code {
                1045 => Error::AccessDenied {
                    user: config.user.clone(),
                    address: config.address(),
                },
                1049 => Error::UnknownDatabase {
                    database: config.database.clone(),
                },
                1044 => Error::DatabaseAccessDenied {
                    user: config.user.clone(),
                    database: config.database.clone(),
                },
                _ => Error::Mysql(err),
            },
            mysql::Error::DriverError(mysql::DriverError::CouldNotConnect(Some((
                _,
                reason,
                _,
            )))) => Error::Unreachable {
                address: config.address(),
                reason: reason.clone(),
            },
            // Only connection failures: any other driver error (an unknown auth plugin, a packet
            // out of sync, bad statement parameters) is not fixed by starting a server.
            mysql::Error::IoError(_)
            | mysql::Error::DriverError(
                mysql::DriverError::CouldNotConnect(None) | mysql::DriverError::ConnectTimeout,
            ) => Error::Unreachable {
                address: config.address(),
                reason: err.to_string(),
            },
            _ => Error::Mysql(err),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::InvalidPort { value } => write!(
                f,
                "DB_PORT must be a port number from 1 to 65535, but it is {value:?}. \
                 Fix it in .env or your environment (the default is {DEFAULT_PORT})."
            ),
            Error::DotEnv(reason) => write!(
                f,
                "cannot read .env: {reason}. Compare it with .env.example."
            ),
            Error::Unreachable { address, reason } => write!(
                f,
                "cannot reach a MySQL server at {address} ({reason}). \
                 Start one with `{SETUP_COMMAND}`, or check DB_HOST and DB_PORT."
            ),
            Error::AccessDenied { user, address } => write!(
                f,
                "the server at {address} refused user '{user}' (wrong DB_USER or DB_PASSWORD). \
                 Check them in .env; `{SETUP_COMMAND}` creates the user with the configured password."
            ),
            Error::UnknownDatabase { database } => write!(
                f,
                "database '{database}' does not exist. Run the setup, `{SETUP_COMMAND}`, \
                 or check DB_NAME."
            ),
            Error::DatabaseAccessDenied { user, database } => write!(
                f,
                "user '{user}' may not use database '{database}'. Run the setup, `{SETUP_COMMAND}`, \
                 or check DB_NAME."
            ),
            Error::Mysql(err) => write!(f, "MySQL error: {err}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Mysql(err) => Some(err),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config_from(pairs: &[(&str, &str)]) -> Result<Config, Error> {
        let vars: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|key| vars.get(key).cloned())
    }

    #[test]
    fn with_nothing_set_the_defaults_match_the_docker_setup() {
        let config = config_from(&[]).unwrap();
        assert_eq!(config.address(), "127.0.0.1:3306");
        assert_eq!(config.user, "tester");
        assert_eq!(config.password, "tester");
        assert_eq!(config.database, "llmagent");
    }

    #[test]
    fn each_variable_overrides_its_default() {
        let config = config_from(&[
            ("DB_HOST", "db.example"),
            ("DB_PORT", "3307"),
            ("DB_USER", "alice"),
            ("DB_PASSWORD", "s3cret"),
            ("DB_NAME", "agent"),
        ])
        .unwrap();
        assert_eq!(config.address(), "db.example:3307");
        assert_eq!(
            (config.user.as_str(), config.database.as_str()),
            ("alice", "agent")
        );
        assert_eq!(config.password, "s3cret");
    }

    #[test]
    fn an_invalid_port_names_the_variable_and_the_bad_value() {
        for bad in ["abc", "0", "70000", ""] {
            let err = config_from(&[("DB_PORT", bad)]).unwrap_err();
            assert!(
                matches!(&err, Error::InvalidPort { value } if value == bad),
                "{err:?}"
            );
            let message = err.to_string();
            assert!(message.contains("DB_PORT"), "{message}");
            assert!(message.contains("3306"), "names the default: {message}");
            assert!(message.contains(&format!("{bad:?}")), "{message}");
        }
    }

    #[test]
    fn debug_output_hides_the_password() {
        let config = config_from(&[("DB_PASSWORD", "hunter2-very-secret")]).unwrap();
        let shown = format!("{config:?}");
        assert!(!shown.contains("hunter2-very-secret"), "{shown}");
        assert!(shown.contains("<hidden>"), "{shown}");
    }

    #[test]
    fn a_line_dotenv_cannot_parse_is_reported_without_its_text() {
        // What dotenvy reports for `DB_PASSWORD=correct horse battery`: the value, unquoted.
        let parse_error = dotenvy::Error::LineParse("correct horse battery".into(), 8);

        let message = Error::from_dotenv(parse_error).to_string();

        assert!(!message.contains("horse"), "{message}");
        assert!(message.contains(".env.example"), "{message}");
        assert!(message.contains("quote a value"), "{message}");
    }

    #[test]
    fn only_connection_failures_are_reported_as_an_unreachable_server() {
        let config = config_from(&[]).unwrap();
        let classify = |err| Error::from_mysql(mysql::Error::DriverError(err), &config);

        let timeout = classify(mysql::DriverError::ConnectTimeout);
        let plugin = classify(mysql::DriverError::UnknownAuthPlugin("dialog".into()));
        let protocol = classify(mysql::DriverError::PacketOutOfSync);

        assert!(matches!(timeout, Error::Unreachable { .. }), "{timeout:?}");
        assert!(matches!(plugin, Error::Mysql(_)), "{plugin:?}");
        assert!(matches!(protocol, Error::Mysql(_)), "{protocol:?}");
    }

    #[test]
    fn opts_carry_the_config_and_short_timeouts() {
        let config = config_from(&[("DB_PORT", "3307"), ("DB_NAME", "agent")]).unwrap();
        let opts = config.opts();
        assert_eq!(opts.get_tcp_port(), 3307);
        assert_eq!(opts.get_db_name(), Some("agent"));
        assert_eq!(opts.get_tcp_connect_timeout(), Some(CONNECT_TIMEOUT));
        assert_eq!(opts.get_read_timeout(), Some(&READ_WRITE_TIMEOUT));
        assert_eq!(opts.get_write_timeout(), Some(&READ_WRITE_TIMEOUT));
    }
}
