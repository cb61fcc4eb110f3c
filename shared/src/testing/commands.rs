//! A relay on 127.0.0.1 that writes down every command a client sends to the test database's server:
//! a test counts the round trips of a piece of code instead of guessing them.
//!
//! In the MySQL protocol every command (a query, a prepared statement's execution, a ping, ...) is one
//! packet the client sends with sequence number 0, and the server answers it before the next one.
//! The relay passes every byte on unchanged and notes those packets. Loopback only; its threads end
//! when either side closes, and the client's own read timeout bounds every wait.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread;

use super::TestDb;
use super::loopback::Loopback;

/// One command a client sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// Its kind, as the protocol names it without `COM_`: `"QUERY"`, `"STMT_EXECUTE"`, `"PING"`, ...
    pub kind: &'static str,
    /// The SQL of a `QUERY`, a `STMT_PREPARE`, or the prepared statement a `STMT_EXECUTE` runs
    /// (the relay reads the number the server gave it); empty for the other kinds.
    pub sql: String,
}

/// A running relay; it stops accepting connections when dropped.
pub struct CommandLog {
    listener: Loopback,
    commands: Arc<Mutex<Vec<Command>>>,
}

impl CommandLog {
    /// Relays every connection to `db`'s server and notes the commands sent through it.
    pub fn start(db: &TestDb) -> CommandLog {
        let server = db.config().address();
        let commands = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&commands);
        let listener = Loopback::start(move |client| {
            if let Ok(server) = TcpStream::connect(&server) {
                relay(client, server, &log);
            }
        });
        CommandLog { listener, commands }
    }

    /// Connection options for `db` through this relay (TCP, no TLS: the relay reads the packets).
    pub fn opts_builder(&self, db: &TestDb) -> mysql::OptsBuilder {
        self.listener.opts_builder(db)
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

fn relay(mut client: TcpStream, mut server: TcpStream, log: &Mutex<Vec<Command>>) {
    let (Ok(mut from_server), Ok(mut to_client)) = (server.try_clone(), client.try_clone()) else {
        return;
    };
    // What the server calls each prepared statement: its reply to a STMT_PREPARE carries a number,
    // and each STMT_EXECUTE names its statement by that number only.
    let prepared = Arc::new(Mutex::new(Prepared::default()));
    let learned = Arc::clone(&prepared);
    thread::spawn(move || {
        let mut buf = vec![0; 64 * 1024];
        let mut packets = Packets::default();
        while let Ok(n @ 1..) = from_server.read(&mut buf) {
            packets.feed(&buf[..n], |sequence, payload| {
                if sequence != 1 {
                    return; // not the first packet of an answer
                }
                let mut prepared = learned.lock().unwrap_or_else(PoisonError::into_inner);
                // The answer to a STMT_PREPARE: 0x00 and the statement's number, or an error.
                if let Some(sql) = prepared.waiting.take()
                    && let [0x00, a, b, c, d, ..] = payload
                {
                    let id = u32::from_le_bytes([*a, *b, *c, *d]);
                    prepared.names.push((id, sql));
                }
            });
            if to_client.write_all(&buf[..n]).is_err() {
                break;
            }
        }
        let _ = from_server.shutdown(Shutdown::Both);
        let _ = to_client.shutdown(Shutdown::Both);
    });
    // Client to server: cut into packets to find the commands, each noted BEFORE it is passed on:
    // the server cannot answer it earlier, so once the client has its answer, the command is in the log.
    let mut buf = vec![0; 64 * 1024];
    let mut packets = Packets::default();
    while let Ok(n @ 1..) = client.read(&mut buf) {
        packets.feed(&buf[..n], |sequence, payload| {
            let (0, Some(&code)) = (sequence, payload.first()) else {
                return;
            };
            let mut prepared = prepared.lock().unwrap_or_else(PoisonError::into_inner);
            let sql = match (code, payload) {
                (0x03 | 0x16, _) => String::from_utf8_lossy(&payload[1..]).into_owned(),
                (0x17, [_, a, b, c, d, ..]) => {
                    prepared.sql_of(u32::from_le_bytes([*a, *b, *c, *d]))
                }
                _ => String::new(),
            };
            if code == 0x16 {
                prepared.waiting = Some(sql.clone());
            }
            let command = Command {
                kind: kind(code),
                sql,
            };
            log.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .push(command);
        });
        if server.write_all(&buf[..n]).is_err() {
            break;
        }
    }
    let _ = client.shutdown(Shutdown::Both);
    let _ = server.shutdown(Shutdown::Both);
}

/// The statements prepared on one connection, by the number the server gave each.
#[derive(Default)]
struct Prepared {
    /// The SQL of the STMT_PREPARE whose answer has not come yet.
    waiting: Option<String>,
    names: Vec<(u32, String)>,
}

impl Prepared {
    fn sql_of(&self, id: u32) -> String {
        let found = self.names.iter().rev().find(|(known, _)| *known == id);
        found.map(|(_, sql)| sql.clone()).unwrap_or_default()
    }
}

/// Cuts a byte stream into MySQL packets: a 3-byte length, a 1-byte sequence number, the payload.
#[derive(Default)]
struct Packets {
    pending: Vec<u8>,
}

impl Packets {
    fn feed(&mut self, bytes: &[u8], mut each: impl FnMut(u8, &[u8])) {
        self.pending.extend_from_slice(bytes);
        let mut start = 0;
        while let [a, b, c, sequence, ..] = self.pending[start..] {
            let len = usize::from(a) | usize::from(b) << 8 | usize::from(c) << 16;
            let Some(payload) = self.pending.get(start + 4..start + 4 + len) else {
                break;
            };
            each(sequence, payload);
            start += 4 + len;
        }
        self.pending.drain(..start);
    }
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
