//! A stand-in MySQL server for one test: it speaks just enough of the protocol for `select_one`
//! (greeting, any login, text and prepared queries of constant expressions, quit) and records
//! every query it receives, so a test can see what a function really asked the server.
//! You need not read this file to do the exercise.
//!
//! It listens on 127.0.0.1 only, serves a few connections, and gives up on a silent client after
//! a few seconds, so a test using it cannot hang.

use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the stand-in answers to `VERSION()`: no real server says this.
pub const VERSION: &str = "0.0.1-stand-in";
/// What it answers to `CURRENT_USER()`.
pub const ACCOUNT: &str = "stand-in@%";
/// What it answers to `DATABASE()`, whatever database the client asked for.
pub const DATABASE: &str = "stand_in_db";

/// Connections served before the listener stops (the driver opens at most two per `Conn::new`).
const MAX_CONNECTIONS: usize = 8;
/// How long a connection waits for the client's next command.
const IDLE_LIMIT: Duration = Duration::from_secs(10);

// Protocol constants (MySQL client/server protocol, "protocol 4.1").
const CAPABILITIES: u32 = 0x0000_0001 // CLIENT_LONG_PASSWORD
    | 0x0000_0004 // CLIENT_LONG_FLAG
    | 0x0000_0008 // CLIENT_CONNECT_WITH_DB
    | 0x0000_0200 // CLIENT_PROTOCOL_41
    | 0x0000_2000 // CLIENT_TRANSACTIONS
    | 0x0000_8000 // CLIENT_SECURE_CONNECTION
    | 0x0002_0000 // CLIENT_MULTI_RESULTS
    | 0x0008_0000; // CLIENT_PLUGIN_AUTH
const STATUS_AUTOCOMMIT: [u8; 2] = [0x02, 0x00];
const TYPE_LONGLONG: u8 = 0x08;
const TYPE_VAR_STRING: u8 = 0xfd;

/// One value of an answered row.
enum Value {
    Int(i64),
    Text(String),
}

/// A running stand-in server.
pub struct StandIn {
    port: u16,
    queries: Arc<Mutex<Vec<String>>>,
}

impl StandIn {
    /// Starts listening on a free port of 127.0.0.1.
    pub fn start() -> io::Result<StandIn> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        let queries = Arc::new(Mutex::new(Vec::new()));
        let recorded = Arc::clone(&queries);
        std::thread::spawn(move || {
            for (n, stream) in listener.incoming().take(MAX_CONNECTIONS).enumerate() {
                let recorded = Arc::clone(&recorded);
                std::thread::spawn(move || {
                    // A broken or silent client just ends its connection; the test judges the rest.
                    let _ = stream.and_then(|s| serve(s, n as u32 + 1, &recorded));
                });
            }
        });
        Ok(StandIn { port, queries })
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Every query received so far (text queries and prepared ones), in order.
    pub fn queries(&self) -> Vec<String> {
        self.queries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

fn serve(mut s: TcpStream, id: u32, queries: &Mutex<Vec<String>>) -> io::Result<()> {
    s.set_read_timeout(Some(IDLE_LIMIT))?;
    write_packet(&mut s, 0, &greeting(id))?;
    read_packet(&mut s)?; // the login: any user and password will do
    write_packet(&mut s, 2, &ok())?;
    let mut prepared: Vec<Vec<(String, Value)>> = Vec::new();
    loop {
        let (_, command) = read_packet(&mut s)?;
        let (&code, body) = command.split_first().unwrap_or((&0x01, &[]));
        match code {
            0x03 | 0x16 => {
                // COM_QUERY (text protocol) or COM_STMT_PREPARE (binary protocol)
                let sql = String::from_utf8_lossy(body).into_owned();
                queries
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .push(sql.clone());
                let Some(row) = answer(&sql) else {
                    let msg = format!(
                        "the stand-in server only answers SELECTs of VERSION(), CURRENT_USER(), DATABASE() and numbers, not {sql:?}"
                    );
                    write_packet(&mut s, 1, &error(&msg))?;
                    continue;
                };
                if code == 0x03 {
                    write_result(&mut s, &row, false)?;
                } else {
                    let mut ok = vec![0x00];
                    ok.extend((prepared.len() as u32 + 1).to_le_bytes()); // statement id
                    ok.extend((row.len() as u16).to_le_bytes()); // columns
                    ok.extend([0, 0, 0, 0, 0]); // no parameters, filler, no warnings
                    write_packet(&mut s, 1, &ok)?;
                    write_columns(&mut s, 2, &row)?;
                    prepared.push(row);
                }
            }
            0x17 => {
                // COM_STMT_EXECUTE: the statement id comes first
                let id = body
                    .get(..4)
                    .map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
                match prepared.get((id as usize).wrapping_sub(1)) {
                    Some(row) => write_result(&mut s, row, true)?,
                    None => write_packet(&mut s, 1, &error("unknown statement"))?,
                }
            }
            0x19 => {}                            // COM_STMT_CLOSE has no reply
            0x01 => return Ok(()),                // COM_QUIT
            _ => write_packet(&mut s, 1, &ok())?, // COM_PING, COM_RESET_CONNECTION, ...
        }
    }
}

/// The row a query of constant expressions returns, or `None` for anything else.
fn answer(sql: &str) -> Option<Vec<(String, Value)>> {
    let sql = sql.trim().trim_end_matches(';').trim();
    if !sql.get(..7)?.eq_ignore_ascii_case("SELECT ") {
        return None;
    }
    sql[7..]
        .split(',')
        .map(|item| {
            let item = item.trim();
            // `SELECT 1 AS one`: the alias names the column.
            let (expr, name) = match item.to_ascii_uppercase().find(" AS ") {
                Some(at) => (item[..at].trim(), item[at + 4..].trim()),
                None => (item, item),
            };
            let value = match expr.to_ascii_uppercase().as_str() {
                "VERSION()" => Value::Text(VERSION.into()),
                "CURRENT_USER()" | "CURRENT_USER" => Value::Text(ACCOUNT.into()),
                "DATABASE()" => Value::Text(DATABASE.into()),
                "@@MAX_ALLOWED_PACKET" => Value::Int(16 * 1024 * 1024),
                "@@SOCKET" => Value::Text(String::new()), // no socket: the driver stays on TCP
                number => Value::Int(number.parse().ok()?),
            };
            Some((name.to_string(), value))
        })
        .collect()
}

/// The column definitions of `row` and the EOF after them, numbered from `seq`; returns the next number.
fn write_columns(s: &mut TcpStream, mut seq: u8, row: &[(String, Value)]) -> io::Result<u8> {
    for (name, value) in row {
        write_packet(s, seq, &column(name, value))?;
        seq += 1;
    }
    write_packet(s, seq, &eof())?;
    Ok(seq + 1)
}

fn write_result(s: &mut TcpStream, row: &[(String, Value)], binary: bool) -> io::Result<()> {
    write_packet(s, 1, &[row.len() as u8])?;
    let seq = write_columns(s, 2, row)?;
    let mut data = Vec::new();
    if binary {
        // Binary row: a 0x00 header, a NULL bitmap (offset 2 bits; no value is NULL), then the values.
        data.push(0x00);
        data.resize(1 + (row.len() + 9) / 8, 0);
    }
    for (_, value) in row {
        match value {
            Value::Int(n) if binary => data.extend(n.to_le_bytes()),
            Value::Int(n) => put_str(&mut data, &n.to_string()),
            Value::Text(t) => put_str(&mut data, t),
        }
    }
    write_packet(s, seq, &data)?;
    write_packet(s, seq + 1, &eof())
}

fn greeting(id: u32) -> Vec<u8> {
    let mut p = vec![10]; // protocol version
    p.extend(VERSION.as_bytes());
    p.push(0);
    p.extend(id.to_le_bytes());
    p.extend(b"abcdefgh\0"); // scramble, part 1
    p.extend(&CAPABILITIES.to_le_bytes()[..2]);
    p.push(45); // utf8mb4
    p.extend(STATUS_AUTOCOMMIT);
    p.extend(&CAPABILITIES.to_le_bytes()[2..]);
    p.push(21);
    p.extend([0; 10]);
    p.extend(b"ijklmnopqrst\0"); // scramble, part 2
    p.extend(b"mysql_native_password\0");
    p
}

fn column(name: &str, value: &Value) -> Vec<u8> {
    let mut p = Vec::new();
    for part in ["def", "", "", "", name, name] {
        put_str(&mut p, part);
    }
    let (charset, kind) = match value {
        Value::Int(_) => (63u16, TYPE_LONGLONG),
        Value::Text(_) => (45, TYPE_VAR_STRING),
    };
    p.push(0x0c);
    p.extend(charset.to_le_bytes());
    p.extend(255u32.to_le_bytes()); // display length
    p.extend([kind, 0, 0, 0, 0, 0]); // type, flags, decimals, filler
    p
}

fn ok() -> Vec<u8> {
    [&[0x00, 0, 0][..], &STATUS_AUTOCOMMIT, &[0, 0]].concat()
}

fn eof() -> Vec<u8> {
    [&[0xfe, 0, 0][..], &STATUS_AUTOCOMMIT].concat()
}

fn error(message: &str) -> Vec<u8> {
    let mut p = vec![0xff];
    p.extend(1064u16.to_le_bytes());
    p.extend(b"#42000");
    p.extend(message.as_bytes());
    p
}

/// A length-encoded string (short ones only: a length under 251 is one byte).
fn put_str(p: &mut Vec<u8>, s: &str) {
    p.push(s.len().min(250) as u8);
    p.extend(&s.as_bytes()[..s.len().min(250)]);
}

fn read_packet(s: &mut TcpStream) -> io::Result<(u8, Vec<u8>)> {
    let mut header = [0u8; 4];
    s.read_exact(&mut header)?;
    let len = u32::from_le_bytes([header[0], header[1], header[2], 0]) as usize;
    let mut payload = vec![0; len];
    s.read_exact(&mut payload)?;
    Ok((header[3], payload))
}

fn write_packet(s: &mut TcpStream, seq: u8, payload: &[u8]) -> io::Result<()> {
    let len = (payload.len() as u32).to_le_bytes();
    s.write_all(&[len[0], len[1], len[2], seq])?;
    s.write_all(payload)
}
