//! # Lesson 3: a new connection for every call
//!
//! The lecture's first server code opens a connection at the start of every function and closes it
//! at the end. It is simple and always correct, and it is slow: every call pays again for the TCP
//! connect, the authentication handshake, the session set-up, the buffers on both sides, and the
//! teardown. This lesson writes those per-call functions ([`create_user`], [`get_user_by_email`],
//! built on lesson 2's) and the demo measures them against the same calls on one held connection.
//!
//! They take [`mysql::Opts`] rather than a [`shared::Config`] so that a caller can change how the
//! connection is made, for example `prefer_socket(false)` to stay on TCP (see [`Transport`]).
//!
//! Exercise mode: `cargo test -p lesson3 --features exercise` builds `src/exercise.rs` (your
//! version) instead of the reference, `reference/solution.rs`, and runs the same tests against
//! it.

use std::fmt;

use lesson2::UserError;
use mysql::Conn;

// The reference lives outside `src/`, out of the student's way.
#[cfg(not(feature = "exercise"))]
#[path = "../reference/solution.rs"]
mod solution;
#[cfg(feature = "exercise")]
#[path = "exercise.rs"]
mod solution;

pub use solution::{create_user, get_user_by_email};

/// Why a per-call function failed: it could not open its connection, or lesson 2's function
/// reported a [`UserError`] (invalid input, email taken, a database error).
#[derive(Debug)]
pub enum NaiveError {
    /// Opening the connection failed (server down, wrong port, wrong password, ...).
    Connect(mysql::Error),
    /// The connection opened, and lesson 2's function reported this.
    User(UserError),
}

/// Each error says its own part once: the driver's error behind [`NaiveError::Connect`] is its
/// `source()`, printed by the program's edge as the next link of the chain. [`NaiveError::User`]
/// adds nothing to lesson 2's error, so it shows that error's message and cause as they are.
impl fmt::Display for NaiveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NaiveError::Connect(_) => write!(
                f,
                "cannot open a connection. Start the server with `{}`, or check DB_HOST, DB_PORT, DB_USER and DB_PASSWORD.",
                shared::SETUP_COMMAND
            ),
            NaiveError::User(err) => err.fmt(f),
        }
    }
}

impl std::error::Error for NaiveError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            NaiveError::Connect(err) => Some(err),
            NaiveError::User(err) => err.source(),
        }
    }
}

/// `?` on lesson 2's functions inside a per-call function wraps their error as [`NaiveError::User`].
impl From<UserError> for NaiveError {
    fn from(err: UserError) -> NaiveError {
        NaiveError::User(err)
    }
}

/// How a connection reached the server.
///
/// The `mysql` crate's `prefer_socket` option (on by default) does something surprising: after a TCP
/// connection to a loopback address such as `127.0.0.1`, it asks the server for its Unix socket
/// (`@@socket`) and, if it can open that file, connects a second time over the socket and drops the
/// TCP connection. Timings therefore depend on which transport was used, so the demo reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transport {
    /// TCP/IP: the server sees the client as `host:port`.
    Tcp,
    /// A local connection without TCP (a Unix socket; a named pipe on Windows): the server sees
    /// the client as `localhost` without a port.
    Socket,
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Transport::Tcp => "TCP",
            Transport::Socket => "Unix socket",
        })
    }
}

/// Asks the server how this connection arrived, rather than guessing from the options.
///
/// The server's process list shows a TCP client as `address:port` (MariaDB even resolves
/// `127.0.0.1` to `localhost:54321`) and a socket client as plain `localhost`; the port tells them apart.
pub fn transport_of(conn: &mut Conn) -> mysql::Result<Transport> {
    let host = shared::own_session(conn)?.map(|session| session.host);
    Ok(if shared::is_tcp_host(&host.unwrap_or_default()) {
        Transport::Tcp
    } else {
        Transport::Socket
    })
}
