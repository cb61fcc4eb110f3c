//! A TCP proxy on 127.0.0.1 between a program and the test database's server. [`Proxy::cut`] closes
//! every connection through it and refuses new ones until [`Proxy::restore`]: from the program's
//! side, exactly what a database restart looks like, without touching the server everyone shares.
//!
//! Unlike the [relay](super::relay), it never reads what passes. Loopback only; its threads end
//! when either side closes, at a cut, or (the accepting one) when the proxy is dropped. Plain
//! threads, no async runtime: an async test can start it too. Used by lesson 9's tests.

use std::io;
use std::net::{Shutdown, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

use super::TestDb;
use super::loopback::Loopback;

/// A running proxy; dropping it closes every connection through it and stops accepting.
pub struct Proxy {
    state: Arc<State>,
    // Dropped after `Drop::drop` has cut every connection: then it stops accepting.
    listener: Loopback,
}

struct State {
    /// Whether the "database" is up; checked and changed under the `open` lock, so that a
    /// connection accepted during a cut is either refused or closed by it, never left through.
    up: AtomicBool,
    /// Both sides of every connection let through since the last cut.
    open: Mutex<Vec<TcpStream>>,
}

impl Proxy {
    /// Forwards a free port of 127.0.0.1 to `db`'s server.
    pub fn start(db: &TestDb) -> Proxy {
        let server = db.config().address();
        let state = Arc::new(State {
            up: AtomicBool::new(true),
            open: Mutex::new(Vec::new()),
        });
        let accepting = Arc::clone(&state);
        let listener = Loopback::start(move |client| {
            let mut open = accepting.open.lock().unwrap_or_else(|e| e.into_inner());
            if !accepting.up.load(Ordering::SeqCst) {
                return; // dropped at once: the client sees its connection closed
            }
            let Ok(server) = TcpStream::connect(&server) else {
                return;
            };
            if let Ok(sides) = forward(client, server) {
                open.extend(sides);
            }
        });
        Proxy { state, listener }
    }

    /// The port on 127.0.0.1 to connect to instead of the database's.
    pub fn port(&self) -> u16 {
        self.listener.port()
    }

    /// The database "goes down": every open connection is closed, new ones are refused.
    pub fn cut(&self) {
        let mut open = self.state.open.lock().unwrap_or_else(|e| e.into_inner());
        self.state.up.store(false, Ordering::SeqCst);
        for side in open.drain(..) {
            let _ = side.shutdown(Shutdown::Both);
        }
    }

    /// The database "is back": new connections go through again.
    pub fn restore(&self) {
        let _open = self.state.open.lock().unwrap_or_else(|e| e.into_inner());
        self.state.up.store(true, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.cut();
    }
}

/// Copies each direction on its own thread; returns a handle on both sides, for a cut.
fn forward(client: TcpStream, server: TcpStream) -> io::Result<[TcpStream; 2]> {
    let handles = [client.try_clone()?, server.try_clone()?];
    for (mut from, mut to) in [(client.try_clone()?, server.try_clone()?), (server, client)] {
        thread::spawn(move || {
            let _ = io::copy(&mut from, &mut to);
            // One side closed (or a cut): close both, so the other direction ends too.
            let _ = from.shutdown(Shutdown::Both);
            let _ = to.shutdown(Shutdown::Both);
        });
    }
    Ok(handles)
}
