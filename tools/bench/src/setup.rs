//! The ground every case stands on: a throwaway database with seeded users, and one transport
//! (TCP or the Unix socket) for every connection of every case.
//!
//! The `mysql` crate's `prefer_socket` (on by default) reconnects a loopback TCP connection over
//! the server's Unix socket. Left on, "TCP" would silently be a mix: a held
//! connection on the socket, a connection per call paying for TCP *and* the switch. So the
//! benchmark turns it off and chooses the transport explicitly, then asks the server what it
//! sees, so that the report can say which transport was really measured. `--prefer-socket`
//! measures the crate's default on purpose, to show what it does to a connection per call.

use std::fmt;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context, bail};
use mysql::prelude::Queryable;
use mysql::{Conn, Opts, TxOpts};
use serde::Serialize;
use shared::testing::TestDb;

use crate::cases::Target;

/// Which transport to use for every connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportChoice {
    /// TCP to `DB_HOST:DB_PORT`, as an application server talks to a database on another host.
    Tcp,
    /// The server's Unix socket (only when the server runs on this machine).
    Socket,
    /// The `mysql` crate's default, `prefer_socket`: connect over TCP, and if the server is on a
    /// loopback address and its socket can be opened, connect again over the socket and drop the
    /// TCP connection. Every *new* connection then costs two; a held one runs on the socket.
    /// This is how a program using `shared::Config::opts()` unchanged connects.
    PreferSocket,
}

/// The transport in use, with where it goes (in JSON: `{"kind": "tcp", "to": "127.0.0.1:3306"}`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "to", rename_all = "snake_case")]
pub enum Transport {
    /// TCP to this `host:port`.
    Tcp(String),
    /// The Unix socket at this path.
    Socket(String),
    /// `prefer_socket` from this `host:port` (see [`TransportChoice::PreferSocket`]).
    PreferSocket(String),
}

impl fmt::Display for Transport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Transport::Tcp(address) => write!(f, "TCP to {address} (prefer_socket off)"),
            Transport::Socket(path) => write!(f, "Unix socket {path} (prefer_socket off)"),
            Transport::PreferSocket(address) => write!(
                f,
                "TCP to {address}, then the server's Unix socket (prefer_socket on, the crate's default: \
                 each new connection connects twice)"
            ),
        }
    }
}

/// A database of the benchmark's own, filled and ready, and what the report says about it.
/// Dropping it drops the database (also when the benchmark panics).
pub struct Environment {
    pub target: Target,
    pub server_version: String,
    pub transport: Transport,
    /// The client address as the server sees it (`127.0.0.1:port` over TCP, `localhost` over the socket).
    pub server_sees: String,
    // Last, so that it is dropped after everything else that might hold a connection.
    db: TestDb,
}

impl Environment {
    /// Creates a throwaway database (`llmagent_test_...`) on the configured server with the
    /// course schema, seeds `users` users, and settles the transport.
    pub fn prepare(
        choice: TransportChoice,
        users: usize,
        pool_size: usize,
        checkout_timeout: Duration,
    ) -> anyhow::Result<Environment> {
        let setting_up = "could not set up the benchmark's throwaway database";
        let db = TestDb::new().context(setting_up)?;
        let config = db.config();
        let tcp_opts: Opts = config.opts_builder().prefer_socket(false).into();
        let mut conn = Conn::new(tcp_opts.clone())
            .map_err(|err| shared::Error::from_mysql(err, config))
            .context(setting_up)?;

        let transport = match choice {
            TransportChoice::Tcp => Transport::Tcp(config.address()),
            TransportChoice::Socket => Transport::Socket(server_socket(&mut conn)?),
            TransportChoice::PreferSocket => Transport::PreferSocket(config.address()),
        };
        let opts: Opts = match &transport {
            Transport::Tcp(_) => tcp_opts,
            Transport::Socket(path) => config
                .opts_builder()
                .prefer_socket(false)
                .socket(Some(path.clone()))
                .into(),
            Transport::PreferSocket(_) => config.opts_builder().prefer_socket(true).into(),
        };

        let emails = seed_users(&mut conn, users).context("could not seed the users")?;
        let server_version: String = conn.query_first("SELECT VERSION()")?.unwrap_or_default();
        drop(conn);

        let mut probe = Conn::new(opts.clone())?;
        let server_sees = client_host_seen_by_server(&mut probe)?;
        let tcp = shared::is_tcp_host(&server_sees);
        let mismatch = match transport {
            Transport::Tcp(_) => !tcp,
            Transport::Socket(_) => tcp,
            // Ends on the socket if it can open it, else stays on TCP: either is what it does.
            Transport::PreferSocket(_) => false,
        };
        if mismatch {
            let chosen = if tcp { "a Unix socket" } else { "TCP" };
            bail!(
                "chose {chosen}, but the server sees the client as {server_sees:?}: the numbers would mix transports"
            );
        }
        Ok(Environment {
            target: Target {
                opts,
                emails,
                pool_size,
                checkout_timeout,
            },
            server_version,
            transport,
            server_sees,
            db,
        })
    }

    /// The throwaway database's name.
    pub fn database(&self) -> &str {
        self.db.name()
    }

    /// The throwaway database as a lesson's own code connects to it (lesson 9's pool).
    pub fn config(&self) -> &shared::Config {
        self.db.config()
    }

    /// The ids of the first `n` seeded users.
    pub fn user_ids(&self, n: usize) -> anyhow::Result<Vec<u64>> {
        let mut conn = Conn::new(self.target.opts.clone())?;
        Ok(conn.exec("SELECT id FROM users ORDER BY id LIMIT ?", (n,))?)
    }
}

/// The emails of the seeded users: `user00000@bench.example`, `user00001@bench.example`, ...
pub fn seeded_email(i: usize) -> String {
    format!("user{i:05}@bench.example")
}

/// Inserts `users` users in one transaction (one commit instead of one per row) and returns their emails.
fn seed_users(conn: &mut Conn, users: usize) -> anyhow::Result<Vec<String>> {
    let emails: Vec<String> = (0..users).map(seeded_email).collect();
    let mut tx = conn.start_transaction(TxOpts::default())?;
    tx.exec_batch(
        "INSERT INTO users (name, email) VALUES (?, ?)",
        emails
            .iter()
            .enumerate()
            .map(|(i, email)| (format!("Bench User {i}"), email.as_str())),
    )?;
    tx.commit()?;
    Ok(emails)
}

/// The server's Unix socket, if the server runs on this machine and has one.
fn server_socket(conn: &mut Conn) -> anyhow::Result<String> {
    let socket: Option<Option<String>> = conn.query_first("SELECT @@socket")?;
    let why = match socket.flatten().filter(|path| !path.is_empty()) {
        None => "the server has no socket".to_string(),
        Some(path) if !Path::new(&path).exists() => format!(
            "the server's socket {path} is not on this machine (a server in Docker or on another host?)"
        ),
        Some(path) => return Ok(path),
    };
    bail!("cannot use the server's Unix socket: {why}. Run with --tcp instead.")
}

/// How the server names this connection's client: `127.0.0.1:40312` (MariaDB: `localhost:40312`)
/// over TCP, plain `localhost` over a socket.
pub fn client_host_seen_by_server(conn: &mut Conn) -> anyhow::Result<String> {
    let host = shared::own_session(conn)?.map(|session| session.host);
    Ok(host.unwrap_or_else(|| "(unknown)".into()))
}
