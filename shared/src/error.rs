//! [`Error`]: what went wrong before a lesson could do its work, and what to do about it.
//!
//! Each variant's message says its own part once: what happened, at which `host:port`, and the
//! next step. The driver's error, when there is one, is the variant's `source()`, so a program
//! that prints the whole chain (anyhow's `Error: ... Caused by: ...`) shows it once, underneath.

use std::fmt;
use std::io;
use std::sync::Arc;

use crate::config::{Config, SslMode};
use crate::{
    DEFAULT_PORT, DEFAULT_REPLICA_PORT, READ_WRITE_TIMEOUT, SETUP_COMMAND, STATUS_COMMAND,
};

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
    /// `DB_REPLICA_PORT` is not a port number.
    InvalidReplicaPort {
        /// What `DB_REPLICA_PORT` held.
        value: String,
    },
    /// `DB_NAME` is not a plain database name (letters, digits and `_`, at most 64).
    InvalidDatabaseName {
        /// What `DB_NAME` held.
        value: String,
    },
    /// `DB_NAME` names one of the server's own databases (`mysql`, `sys`, ...).
    SystemDatabase {
        /// What `DB_NAME` held.
        value: String,
    },
    /// `DB_SSL_MODE` is not one of the modes MySQL's clients know, or `DB_SSL_CA` does not fit it.
    InvalidSsl {
        /// What is wrong, in the words of the variables.
        problem: String,
    },
    /// The `.env` file exists but cannot be read.
    DotEnv(String),
    /// `DB_AUTOSTART` is neither on (`1`) nor off (`0`).
    InvalidAutostart {
        /// What `DB_AUTOSTART` held.
        value: String,
    },
    /// Nothing answered at `host:port` on this machine, and starting the course's own server there
    /// (what `cargo run -p db -- up` does) failed. The set-up's own error, which says why and what
    /// to do, is the source.
    Autostart {
        /// `host:port` where nothing answered.
        address: String,
        /// Why the start failed (shared, so that every test of a run can report the one failure).
        source: Arc<dyn std::error::Error + Send + Sync>,
    },
    /// Nothing accepted a connection at `host:port` (server not started, wrong port, firewall).
    Unreachable {
        /// `host:port` that was tried.
        address: String,
        /// What the operating system or driver said.
        source: mysql::Error,
    },
    /// The server accepted the connection but did not answer within [`READ_WRITE_TIMEOUT`]
    /// (frozen, overloaded, or a program that waits for the client to speak first).
    NoAnswer {
        /// `host:port` of the server.
        address: String,
        /// The driver's timeout error.
        source: mysql::Error,
    },
    /// Something answered at `host:port`, but not with MySQL's protocol (a web server, say).
    NotMySql {
        /// `host:port` that was tried.
        address: String,
        /// What the driver could not make sense of.
        source: mysql::Error,
    },
    /// A connection that worked was closed by the server (restarted, stopped, or the session killed).
    ConnectionLost {
        /// `host:port` of the server.
        address: String,
        /// The driver's or the server's error.
        source: mysql::Error,
    },
    /// The server refused the user name or password (server error 1045).
    AccessDenied {
        /// The user that was refused.
        user: String,
        /// `host:port` of the server.
        address: String,
        /// The configured TLS mode: a server that requires TLS refuses a plain login the same way.
        ssl_mode: SslMode,
        /// The server's error.
        source: mysql::Error,
    },
    /// TLS could not be set up as `DB_SSL_MODE` asks: the server offers no TLS, its certificate
    /// fails the check, or the server accepts TLS connections only.
    Tls {
        /// `host:port` of the server.
        address: String,
        /// The configured TLS mode.
        ssl_mode: SslMode,
        /// The driver's or the server's error.
        source: mysql::Error,
    },
    /// The database does not exist (server error 1049).
    UnknownDatabase {
        /// The database that was asked for.
        database: String,
        /// `host:port` of the server.
        address: String,
    },
    /// The user may not use this database (server error 1044).
    DatabaseAccessDenied {
        /// The user that was refused.
        user: String,
        /// The database that was asked for.
        database: String,
        /// `host:port` of the server.
        address: String,
    },
    /// Any other error from the driver or the server, passed on as it is (its message is the driver's).
    Mysql(mysql::Error),
}

/// MySQL's "connections using insecure transport are prohibited" (`require_secure_transport`).
const SECURE_TRANSPORT_REQUIRED: u16 = 3159;
/// Server errors that mean the session is gone (the server sends one just before it closes the
/// socket). The two servers share the codes below 1900; 1927 is unused in MySQL and 3169 unused in
/// MariaDB. 4031 is not: MariaDB uses it for a missing trigger in `CREATE TRIGGER .. FOLLOWS`,
/// which no statement of this course runs (and if one did, the cost would be one reconnect).
const SESSION_ENDED: [u16; 4] = [
    1053, // ER_SERVER_SHUTDOWN: shutdown in progress
    1927, // MariaDB ER_CONNECTION_KILLED
    3169, // MySQL ER_SESSION_WAS_KILLED
    4031, // MySQL ER_CLIENT_INTERACTION_TIMEOUT (wait_timeout)
];

/// Whether `err` means the connection itself is gone, so that retrying on it is pointless and a
/// pool must close it rather than lend it again: the driver's I/O and protocol errors
/// (`is_connectivity_error`), and the server errors that announce the end of the session.
/// The one list every lesson, the pool and [`Error::from_mysql`] go by.
pub fn is_connection_lost(err: &mysql::Error) -> bool {
    match err {
        mysql::Error::MySqlError(server) => SESSION_ENDED.contains(&server.code),
        other => other.is_connectivity_error(),
    }
}

impl Error {
    /// Describes why `.env` could not be read. dotenvy's own message for a line it cannot parse
    /// quotes the line's value, which may be the password, so that message is not passed on.
    pub(crate) fn from_dotenv(err: dotenvy::Error) -> Error {
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

    /// Classifies an error met while talking to the server of `config`: at connection time, or
    /// later on a connection that worked (a lost connection, a timeout, a server error).
    pub fn from_mysql(err: mysql::Error, config: &Config) -> Error {
        let address = config.address();
        if let mysql::Error::MySqlError(server) = &err {
            return match server.code {
                1045 => Error::AccessDenied {
                    user: config.user.clone(),
                    address,
                    ssl_mode: config.ssl_mode,
                    source: err,
                },
                1049 => Error::UnknownDatabase {
                    database: config.database.clone(),
                    address,
                },
                1044 => Error::DatabaseAccessDenied {
                    user: config.user.clone(),
                    database: config.database.clone(),
                    address,
                },
                SECURE_TRANSPORT_REQUIRED => Error::Tls {
                    address,
                    ssl_mode: config.ssl_mode,
                    source: err,
                },
                code if SESSION_ENDED.contains(&code) => Error::ConnectionLost {
                    address,
                    source: err,
                },
                _ => Error::Mysql(err),
            };
        }
        if crate::tls::is_tls_failure(&err, config) {
            return Error::Tls {
                address,
                ssl_mode: config.ssl_mode,
                source: err,
            };
        }
        // Only connection failures: any other driver error (an unknown auth plugin, a packet
        // out of sync, bad statement parameters) is not fixed by starting a server.
        let kind = match &err {
            // The driver's text repeats the address this message names: keep what the system said.
            mysql::Error::DriverError(mysql::DriverError::CouldNotConnect(Some((
                _,
                said,
                kind,
            )))) => {
                let source = mysql::Error::IoError(io::Error::new(*kind, said.clone()));
                return Error::Unreachable { address, source };
            }
            mysql::Error::DriverError(
                mysql::DriverError::CouldNotConnect(None) | mysql::DriverError::ConnectTimeout,
            ) => {
                return Error::Unreachable {
                    address,
                    source: err,
                };
            }
            mysql::Error::IoError(io)
            | mysql::Error::CodecError(mysql_common::proto::codec::error::PacketCodecError::Io(
                io,
            )) => io.kind(),
            _ => return Error::Mysql(err),
        };
        match kind {
            // A read or write that timed out: Unix says WouldBlock (os error 11), Windows TimedOut.
            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => Error::NoAnswer {
                address,
                source: err,
            },
            io::ErrorKind::UnexpectedEof
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe => Error::ConnectionLost {
                address,
                source: err,
            },
            _ => Error::Unreachable {
                address,
                source: err,
            },
        }
    }

    /// Classifies an error met while opening a connection to the server of `config` (with
    /// `mysql::Conn::new`, a pool's connector, or a pool's start-up). Like [`Error::from_mysql`],
    /// and it also reads a reply that is not MySQL's protocol, or a connection closed before the
    /// login, as "not a MySQL server": at that moment, nothing else explains them.
    pub fn from_connect(err: mysql::Error, config: &Config) -> Error {
        use mysql::DriverError as D;
        use mysql_common::proto::codec::error::PacketCodecError as C;
        let not_mysql = matches!(
            &err,
            mysql::Error::CodecError(
                C::PacketTooLarge | C::PacketsOutOfSync | C::BadCompressedPacketHeader
            ) | mysql::Error::DriverError(
                D::PacketOutOfSync
                    | D::PacketTooLarge
                    | D::UnexpectedPacket
                    | D::UnsupportedProtocol(_)
                    | D::Protocol41NotSet
                    | D::CouldNotParseVersion
            )
        );
        match Error::from_mysql(err, config) {
            Error::Mysql(source) if not_mysql => Error::NotMySql {
                address: config.address(),
                source,
            },
            Error::ConnectionLost { address, source } => Error::NotMySql { address, source },
            other => other,
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
            Error::InvalidReplicaPort { value } => write!(
                f,
                "DB_REPLICA_PORT must be a port number from 1 to 65535, but it is {value:?}. \
                 Fix it in .env or your environment (the default is {DEFAULT_REPLICA_PORT})."
            ),
            Error::InvalidDatabaseName { value } => write!(
                f,
                "DB_NAME must be 1 to 64 letters, digits or `_` (like llmagent), but it is {value:?}. \
                 Fix it in .env or your environment."
            ),
            Error::SystemDatabase { value } => write!(
                f,
                "DB_NAME is {value:?}, one of the server's own databases (mysql, information_schema, \
                 performance_schema, sys), which the course must never change. \
                 Use a database of its own, like the default llmagent."
            ),
            Error::InvalidSsl { problem } => {
                write!(f, "{problem}. Fix it in .env or your environment.")
            }
            Error::DotEnv(reason) => write!(
                f,
                "cannot read .env: {reason}. Compare it with .env.example."
            ),
            Error::InvalidAutostart { value } => write!(
                f,
                "DB_AUTOSTART must be 1 (start the course's own server when none answers on this \
                 machine, the default) or 0 (never), but it is {value:?}. \
                 Fix it in .env or your environment."
            ),
            Error::Autostart { address, .. } => write!(
                f,
                "no server answered at {address}, and starting the course's own server there failed \
                 for the reason below (`{SETUP_COMMAND}` does the same). Fix what it says and run \
                 this again, or start a server yourself; DB_AUTOSTART=0 turns this start off."
            ),
            Error::Unreachable { address, .. } => write!(
                f,
                "cannot reach a MySQL server at {address}: nothing accepted the connection. \
                 Start one with `{SETUP_COMMAND}`, or check DB_HOST and DB_PORT."
            ),
            Error::NoAnswer { address, .. } => write!(
                f,
                "the server at {address} accepted the connection but did not answer within {} s: \
                 it is frozen or overloaded, or the program on that port is not a MySQL server. \
                 See what runs there with `{STATUS_COMMAND}`, and check DB_HOST and DB_PORT.",
                READ_WRITE_TIMEOUT.as_secs()
            ),
            Error::NotMySql { address, .. } => write!(
                f,
                "the program at {address} does not answer like a MySQL server (another service, \
                 a web server say, may use that port, or the server is shutting down). \
                 Check DB_HOST and DB_PORT; `{STATUS_COMMAND}` shows the course's server."
            ),
            Error::ConnectionLost { address, .. } => write!(
                f,
                "the server at {address} closed the connection: it was restarted or stopped, \
                 or the session was killed. Run the program again (it opens a new connection); \
                 if the server is down, start it with `{SETUP_COMMAND}`."
            ),
            Error::AccessDenied {
                user,
                address,
                ssl_mode,
                ..
            } => {
                write!(
                    f,
                    "the server at {address} refused user '{user}' (wrong DB_USER or DB_PASSWORD"
                )?;
                if *ssl_mode == SslMode::Disabled {
                    write!(
                        f,
                        ", or the account requires TLS and DB_SSL_MODE is disabled"
                    )?;
                }
                write!(
                    f,
                    "). Check them in .env; `{SETUP_COMMAND}` creates the user with the configured password."
                )
            }
            Error::Tls {
                address,
                ssl_mode,
                source,
            } => {
                write!(
                    f,
                    "TLS with the server at {address} failed (DB_SSL_MODE={ssl_mode}): "
                )?;
                f.write_str(match (source, ssl_mode) {
                    (mysql::Error::DriverError(mysql::DriverError::TlsNotSupported), _) => {
                        "the server does not offer TLS. Turn TLS on in the server, or, for a server \
                         on this machine only, set DB_SSL_MODE=preferred"
                    }
                    (mysql::Error::MySqlError(_), _) => {
                        "the server accepts TLS connections only. Set DB_SSL_MODE=verify_identity \
                         (or required) and DB_SSL_CA to the CA file of the server's provider"
                    }
                    (_, SslMode::VerifyCa | SslMode::VerifyIdentity) => {
                        "the server's certificate did not pass the check. Set DB_SSL_CA to the CA file \
                         that signed it (your provider publishes it); with verify_identity, DB_HOST \
                         must be the host name written in the certificate"
                    }
                    _ => "the TLS handshake did not complete. Check that DB_HOST and DB_PORT name a MySQL server with TLS",
                })?;
                f.write_str(".")
            }
            Error::UnknownDatabase { database, address } => write!(
                f,
                "database '{database}' does not exist on the server at {address}. \
                 Run the setup, `{SETUP_COMMAND}`, or check DB_NAME."
            ),
            Error::DatabaseAccessDenied {
                user,
                database,
                address,
            } => write!(
                f,
                "user '{user}' may not use database '{database}' on the server at {address}. \
                 Run the setup, `{SETUP_COMMAND}`, or check DB_NAME."
            ),
            // Passed on as it is: the driver's message is this error's only part.
            Error::Mysql(err) => err.fmt(f),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Unreachable { source, .. }
            | Error::NoAnswer { source, .. }
            | Error::NotMySql { source, .. }
            | Error::ConnectionLost { source, .. }
            | Error::AccessDenied { source, .. }
            | Error::Tls { source, .. } => Some(source),
            Error::Autostart { source, .. } => Some(source.as_ref()),
            // `Mysql` shows the driver's message itself, so it must not return it again.
            Error::Mysql(err) => std::error::Error::source(err),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mysql::DriverError;
    use mysql_common::proto::codec::error::PacketCodecError;

    fn config() -> Config {
        Config::from_lookup(|_| None).unwrap()
    }

    fn io(kind: io::ErrorKind) -> mysql::Error {
        mysql::Error::IoError(io::Error::new(kind, "from the test"))
    }

    #[test]
    fn only_connection_failures_are_reported_as_an_unreachable_server() {
        let classify = |err| Error::from_mysql(mysql::Error::DriverError(err), &config());

        let timeout = classify(DriverError::ConnectTimeout);
        let plugin = classify(DriverError::UnknownAuthPlugin("dialog".into()));
        let protocol = classify(DriverError::PacketOutOfSync);

        assert!(matches!(timeout, Error::Unreachable { .. }), "{timeout:?}");
        assert!(matches!(plugin, Error::Mysql(_)), "{plugin:?}");
        assert!(matches!(protocol, Error::Mysql(_)), "{protocol:?}");
    }

    #[test]
    fn a_read_timeout_on_unix_or_windows_means_the_server_did_not_answer() {
        for kind in [io::ErrorKind::WouldBlock, io::ErrorKind::TimedOut] {
            let codec = mysql::Error::CodecError(PacketCodecError::Io(io::Error::from(kind)));
            for err in [io(kind), codec] {
                let classified = Error::from_mysql(err, &config());
                assert!(
                    matches!(classified, Error::NoAnswer { .. }),
                    "{kind:?}: {classified:?}"
                );
            }
        }
    }

    #[test]
    fn a_closed_connection_is_lost_after_login_and_not_mysql_before_it() {
        let kinds = [io::ErrorKind::UnexpectedEof, io::ErrorKind::ConnectionReset];
        for kind in kinds {
            let later = Error::from_mysql(io(kind), &config());
            let at_connect = Error::from_connect(io(kind), &config());
            assert!(
                matches!(later, Error::ConnectionLost { .. }),
                "{kind:?}: {later:?}"
            );
            assert!(
                matches!(at_connect, Error::NotMySql { .. }),
                "{kind:?}: {at_connect:?}"
            );
        }
    }

    #[test]
    fn a_reply_in_another_protocol_is_not_mysql_only_while_connecting() {
        let garbage = || mysql::Error::CodecError(PacketCodecError::PacketTooLarge);

        let at_connect = Error::from_connect(garbage(), &config());
        let later = Error::from_mysql(garbage(), &config());

        assert!(
            matches!(at_connect, Error::NotMySql { .. }),
            "{at_connect:?}"
        );
        assert!(matches!(later, Error::Mysql(_)), "{later:?}");
    }

    fn server_error(code: u16) -> mysql::Error {
        mysql::Error::MySqlError(mysql::MySqlError {
            state: "HY000".into(),
            message: "from the test".into(),
            code,
        })
    }

    #[test]
    fn a_lost_connection_is_an_io_error_or_a_server_error_that_ends_the_session() {
        let io_error = io(io::ErrorKind::ConnectionReset);
        assert!(
            is_connection_lost(&io_error),
            "a reset connection must count as lost: {io_error:?}"
        );
        for (code, what) in [
            (1053, "server shutdown"),
            (1927, "MariaDB: connection killed"),
            (3169, "MySQL: session killed"),
            (4031, "MySQL: disconnected for inactivity (wait_timeout)"),
        ] {
            assert!(
                is_connection_lost(&server_error(code)),
                "server error {code} ({what}) ends the session, but was not counted as a lost connection"
            );
        }
        for (code, what) in [
            (1146, "no such table"),
            (1062, "duplicate key"),
            (1205, "lock wait timeout"),
        ] {
            assert!(
                !is_connection_lost(&server_error(code)),
                "server error {code} ({what}) leaves the session usable, but was counted as a lost connection"
            );
        }
    }

    #[test]
    fn server_errors_that_end_the_session_read_as_a_lost_connection() {
        for code in SESSION_ENDED {
            let server = mysql::MySqlError {
                state: "HY000".into(),
                message: "from the test".into(),
                code,
            };
            let err = Error::from_mysql(mysql::Error::MySqlError(server), &config());
            assert!(
                matches!(err, Error::ConnectionLost { .. }),
                "{code}: {err:?}"
            );
        }
    }
}
