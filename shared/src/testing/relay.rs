//! A relay on 127.0.0.1 between a test's connection and the test database's server, which acts on
//! the first statement whose bytes contain a marker (for example the text of an answer):
//!
//! - [`At::Pause`] runs a closure before passing the statement on: the test looks at the database
//!   from another connection while the statement waits, exactly between two statements;
//! - [`At::CutBefore`] closes both sides instead: the server never receives the statement;
//! - [`At::CutAfter`] passes the statement on, waits for the server's reply, and closes both
//!   sides without passing the reply back: the server ran it, the client never hears so.
//!
//! The client cannot tell the two cuts apart: both are "connection lost". The relay's threads end
//! when either side closes; the client's own read timeout (shared's options) bounds every wait.
//! Loopback only. Used by the tests of lessons 7 and 8.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

use super::TestDb;
use super::loopback::Loopback;

/// What the relay does with the statement that holds the marker.
pub enum At {
    /// Runs the closure, then passes the statement on.
    Pause(Box<dyn FnOnce() + Send>),
    /// Closes the connection before the server receives the statement.
    CutBefore,
    /// Lets the server run the statement, then closes the connection before its reply arrives.
    CutAfter,
}

/// A running relay; it stops accepting connections when dropped.
pub struct Relay {
    listener: Loopback,
    fired: Arc<AtomicBool>,
}

impl Relay {
    /// Relays every connection to `db`'s server, acting on the first statement containing `marker`.
    pub fn start(db: &TestDb, marker: &str, at: At) -> Relay {
        let server = db.config().address();
        let fired = Arc::new(AtomicBool::new(false));
        let plan = Mutex::new(Some(at));
        let (marker, fired_flag) = (marker.as_bytes().to_vec(), Arc::clone(&fired));
        let listener = Loopback::start(move |client| {
            if let Ok(server) = TcpStream::connect(&server) {
                relay(client, server, &marker, &plan, &fired_flag);
            }
        });
        Relay { listener, fired }
    }

    /// Connection options for the test database through this relay (TCP, no TLS: the relay reads
    /// the statements).
    pub fn opts(&self, db: &TestDb) -> mysql::Opts {
        self.listener.opts_builder(db).into()
    }

    /// Whether the marker was seen (and the action taken).
    pub fn has_fired(&self) -> bool {
        self.fired.load(Ordering::SeqCst)
    }
}

fn relay(
    mut client: TcpStream,
    mut server: TcpStream,
    marker: &[u8],
    plan: &Mutex<Option<At>>,
    fired: &AtomicBool,
) {
    let swallow_reply = Arc::new(AtomicBool::new(false));
    let (Ok(mut from_server), Ok(mut to_client)) = (server.try_clone(), client.try_clone()) else {
        return;
    };
    let swallow = swallow_reply.clone();
    // Server to client: every reply, except the one after CutAfter's statement.
    thread::spawn(move || {
        let mut buf = vec![0; 64 * 1024];
        while let Ok(n @ 1..) = from_server.read(&mut buf) {
            if swallow.load(Ordering::SeqCst) {
                break;
            }
            if to_client.write_all(&buf[..n]).is_err() {
                break;
            }
        }
        let _ = from_server.shutdown(Shutdown::Both);
        let _ = to_client.shutdown(Shutdown::Both);
    });
    // Client to server, watching for the marker.
    let mut buf = vec![0; 64 * 1024];
    while let Ok(n @ 1..) = client.read(&mut buf) {
        let chunk = &buf[..n];
        let action = if chunk.windows(marker.len()).any(|w| w == marker) {
            plan.lock().map(|mut plan| plan.take()).unwrap_or(None)
        } else {
            None
        };
        if action.is_some() {
            fired.store(true, Ordering::SeqCst);
        }
        match action {
            Some(At::Pause(look)) => look(),
            Some(At::CutBefore) => break,
            Some(At::CutAfter) => swallow_reply.store(true, Ordering::SeqCst),
            None => {}
        }
        if server.write_all(chunk).is_err() {
            break;
        }
    }
    let _ = client.shutdown(Shutdown::Both);
    let _ = server.shutdown(Shutdown::Both);
}
