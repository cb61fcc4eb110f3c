//! What the relay, the command log and the proxy share: a listener on a free port of 127.0.0.1 that
//! hands each client connection to its owner's code on a thread of its own, and stops accepting when
//! dropped. Loopback only.

use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread;

use super::TestDb;

pub(crate) struct Loopback {
    port: u16,
    stop: Arc<AtomicBool>,
}

impl Loopback {
    /// Listens on a free loopback port and runs `each(client)` on a new thread for every client.
    pub(crate) fn start(each: impl Fn(TcpStream) + Send + Sync + 'static) -> Loopback {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
        let port = listener
            .local_addr()
            .expect("the listener's address")
            .port();
        let stop = Arc::new(AtomicBool::new(false));
        let (stopped, each) = (Arc::clone(&stop), Arc::new(each));
        thread::spawn(move || {
            for client in listener.incoming() {
                if stopped.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = client else { continue };
                let each = Arc::clone(&each);
                thread::spawn(move || each(client));
            }
        });
        Loopback { port, stop }
    }

    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    /// Connection options for `db` through this port: TCP only (on localhost the driver would
    /// otherwise move to the server's Unix socket, around the listener), no TLS (the relays read
    /// the packets).
    pub(crate) fn opts_builder(&self, db: &TestDb) -> mysql::OptsBuilder {
        db.config()
            .opts_builder()
            .ip_or_hostname(Some("127.0.0.1"))
            .tcp_port(self.port)
            .prefer_socket(false)
            .ssl_opts(None::<mysql::SslOpts>)
    }
}

impl Drop for Loopback {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(("127.0.0.1", self.port)); // wakes the accepting thread
    }
}
