//! A relay on 127.0.0.1 that writes down every command a client sends to the test database's server:
//! a test counts the round trips of a piece of code instead of guessing them.
//!
//! In the MySQL protocol every command (a query, a prepared statement's execution, a ping, ...) is one
//! packet the client sends with sequence number 0, and the server answers it before the next one.
//! The relay passes every byte on unchanged and notes those packets. Loopback only; its threads end
//! when either side closes, and the client's own read timeout bounds every wait.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;

use super::TestDb;

/// One command a client sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// Its kind, as the protocol names it without `COM_`: `"QUERY"`, `"STMT_EXECUTE"`, `"PING"`, ...
    pub kind: &'static str,
    /// The SQL of a `QUERY` or `STMT_PREPARE`; empty for the other kinds (an execution names its
    /// statement by a number only).
    pub sql: String,
}

/// A running relay; it stops accepting connections when dropped.
pub struct CommandLog {
    port: u16,
    commands: Arc<Mutex<Vec<Command>>>,
    stop: Arc<AtomicBool>,
}

impl CommandLog {
    /// Relays every connection to `db`'s server and notes the commands sent through it.
    pub fn start(db: &TestDb) -> CommandLog {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
        let port = listener.local_addr().expect("the relay's address").port();
        let server = db.config().address();
        let commands = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (log, stopped) = (Arc::clone(&commands), Arc::clone(&stop));
        thread::spawn(move || {
            for client in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    break;
                }
                let (Ok(client), Ok(server)) = (client, TcpStream::connect(&server)) else {
                    continue;
                };
                let log = Arc::clone(&log);
                thread::spawn(move || relay(client, server, &log));
            }
        });
        CommandLog {
            port,
            commands,
            stop,
        }
    }

    /// Connection options for `db` through this relay: TCP only (on localhost the driver would
    /// otherwise move to the server's Unix socket, around the relay), no TLS (the relay reads the
    /// packets).
    pub fn opts_builder(&self, db: &TestDb) -> mysql::OptsBuilder {
        db.config()
            .opts_builder()
            .ip_or_hostname(Some("127.0.0.1"))
            .tcp_port(self.port)
            .prefer_socket(false)
            .ssl_opts(None::<mysql::SslOpts>)
    }

    /// The commands sent since the relay started or since the last `take`, in order.
    pub fn take(&self) -> Vec<Command> {
        std::mem::take(&mut *self.commands.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// Runs `code` on a new connection to `db` through a [`CommandLog`], and returns its result and the
/// statements it ran: the `QUERY` and `STMT_EXECUTE` commands (preparing a statement is not
/// running it, and what the driver sends while it connects is left out).
pub fn statements_run_by<T>(
    db: &TestDb,
    code: impl FnOnce(&mut mysql::Conn) -> T,
) -> mysql::Result<(T, Vec<Command>)> {
    let log = CommandLog::start(db);
    let mut conn = mysql::Conn::new(log.opts_builder(db))?;
    log.take();
    let result = code(&mut conn);
    let run = log
        .take()
        .into_iter()
        .filter(|command| matches!(command.kind, "QUERY" | "STMT_EXECUTE"))
        .collect();
    Ok((result, run))
}

impl Drop for CommandLog {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port)); // wakes the accepting thread
    }
}

fn relay(mut client: TcpStream, mut server: TcpStream, log: &Mutex<Vec<Command>>) {
    let (Ok(mut from_server), Ok(mut to_client)) = (server.try_clone(), client.try_clone()) else {
        return;
    };
    thread::spawn(move || {
        let _ = std::io::copy(&mut from_server, &mut to_client);
        let _ = from_server.shutdown(Shutdown::Both);
        let _ = to_client.shutdown(Shutdown::Both);
    });
    // Client to server: cut into packets (3-byte length, 1-byte sequence number, payload) to find
    // the commands, each noted BEFORE it is passed on: the server cannot answer it earlier, so once
    // the client has its answer, the command is in the log.
    let mut pending = Vec::new();
    let mut buf = vec![0; 64 * 1024];
    while let Ok(n @ 1..) = client.read(&mut buf) {
        pending.extend_from_slice(&buf[..n]);
        while pending.len() >= 4 {
            let len = usize::from(pending[0])
                | usize::from(pending[1]) << 8
                | usize::from(pending[2]) << 16;
            if pending.len() < 4 + len {
                break;
            }
            let (sequence, payload) = (pending[3], &pending[4..4 + len]);
            if let (0, Some(&code)) = (sequence, payload.first()) {
                let command = Command {
                    kind: kind(code),
                    sql: match code {
                        0x03 | 0x16 => String::from_utf8_lossy(&payload[1..]).into_owned(),
                        _ => String::new(),
                    },
                };
                log.lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(command);
            }
            pending.drain(..4 + len);
        }
        if server.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = client.shutdown(Shutdown::Both);
    let _ = server.shutdown(Shutdown::Both);
}

/// The protocol's name of a command byte.
fn kind(code: u8) -> &'static str {
    match code {
        0x01 => "QUIT",
        0x02 => "INIT_DB",
        0x03 => "QUERY",
        0x0e => "PING",
        0x11 => "CHANGE_USER",
        0x16 => "STMT_PREPARE",
        0x17 => "STMT_EXECUTE",
        0x19 => "STMT_CLOSE",
        0x1a => "STMT_RESET",
        0x1f => "RESET_CONNECTION",
        _ => "OTHER",
    }
}
