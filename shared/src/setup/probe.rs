//! What listens on a port: nothing, a MySQL server, or something else.
//!
//! An open port is not enough to say "ready": an HTTP server, a frozen server or a Docker port
//! forwarder accept the TCP connection too. A MySQL server speaks first, with its greeting (the
//! handshake packet: protocol version 10, then the server version), so the probe reads that, with a
//! deadline, and logs in as nobody.

use std::fmt;
use std::io::{ErrorKind, Read};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// How long a probe waits to connect, and then for the greeting.
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(3);

/// What answered at an address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    /// Nothing accepts connections there (the reason the operating system gave).
    Nothing(String),
    /// A MySQL or MariaDB server greeted us with its version.
    MySql {
        /// The version as the server names it, e.g. `10.11.6-MariaDB-0+deb12u1` or `9.7.4-2`.
        version: String,
    },
    /// A MySQL server that refuses this client before the login (e.g. too many connections).
    Refusing(String),
    /// Something accepted the connection but did not greet like a MySQL server.
    NotMySql(String),
}

impl Probe {
    /// Whether a MySQL server listens there (even one that refuses us for now).
    pub fn is_mysql(&self) -> bool {
        matches!(self, Probe::MySql { .. } | Probe::Refusing(_))
    }
}

impl fmt::Display for Probe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Probe::Nothing(reason) => write!(f, "nothing answers ({reason})"),
            Probe::MySql { version } => write!(f, "a MySQL server answers (version {version})"),
            Probe::Refusing(message) => write!(f, "a MySQL server answers but refuses: {message}"),
            Probe::NotMySql(what) => {
                write!(f, "something that is not a MySQL server listens ({what})")
            }
        }
    }
}

/// Connects to `host:port` and reads the server's greeting, each step within `timeout`.
pub fn probe(host: &str, port: u16, timeout: Duration) -> Probe {
    let addresses = match (host, port).to_socket_addrs() {
        Ok(addresses) => addresses.collect::<Vec<_>>(),
        Err(err) => return Probe::Nothing(format!("cannot resolve {host}: {err}")),
    };
    let mut last_error = format!("{host} has no address");
    for address in addresses {
        match TcpStream::connect_timeout(&address, timeout) {
            Ok(stream) => return read_greeting(stream, timeout),
            Err(err) => last_error = err.to_string(),
        }
    }
    Probe::Nothing(last_error)
}

fn read_greeting(mut stream: TcpStream, timeout: Duration) -> Probe {
    if stream.set_read_timeout(Some(timeout)).is_err() {
        return Probe::NotMySql("cannot set a read timeout".into());
    }
    // A packet: 3 bytes of length (little-endian), 1 byte of sequence number, then the payload.
    let mut header = [0u8; 4];
    if let Err(err) = stream.read_exact(&mut header) {
        return Probe::NotMySql(match err.kind() {
            ErrorKind::WouldBlock | ErrorKind::TimedOut => format!(
                "it accepted the connection but sent no MySQL greeting within {}s: \
                 a frozen or overloaded server, or another kind of service",
                timeout.as_secs()
            ),
            ErrorKind::UnexpectedEof => "it closed the connection without a MySQL greeting".into(),
            _ => format!("reading its greeting failed: {err}"),
        });
    }
    let length = u32::from_le_bytes([header[0], header[1], header[2], 0]) as usize;
    // A greeting is well under a kilobyte; an HTTP or TLS reply read as a header is not.
    if header[3] != 0 || !(2..=1024).contains(&length) {
        return Probe::NotMySql("its first bytes are not a MySQL greeting".into());
    }
    let mut payload = vec![0u8; length];
    if stream.read_exact(&mut payload).is_err() {
        return Probe::NotMySql("its greeting was cut short".into());
    }
    classify_greeting(&payload)
}

/// Reads a greeting's payload: protocol version 10 and the version string, or an error packet.
pub fn classify_greeting(payload: &[u8]) -> Probe {
    match payload.first() {
        Some(10) => {
            let text = &payload[1..];
            let Some(end) = text.iter().position(|&b| b == 0) else {
                return Probe::NotMySql("its greeting has no version string".into());
            };
            let version = String::from_utf8_lossy(&text[..end]).into_owned();
            // MariaDB prefixes its version with "5.5.5-" for the sake of old clients.
            let version = version
                .strip_prefix("5.5.5-")
                .map(str::to_string)
                .unwrap_or(version);
            Probe::MySql { version }
        }
        // An error packet: 0xFF, a 2-byte code, then the message (no SQL state before the login).
        Some(0xFF) if payload.len() > 3 => {
            Probe::Refusing(String::from_utf8_lossy(&payload[3..]).into_owned())
        }
        _ => Probe::NotMySql("its first bytes are not a MySQL greeting".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;
    use std::net::TcpListener;
    use std::thread;

    /// A loopback listener that answers one connection with `reply` (and then keeps it open for a
    /// while, as a frozen server would).
    fn serve(reply: &'static [u8]) -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
        let port = listener.local_addr().unwrap().port();
        thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            stream.write_all(reply).unwrap();
            thread::sleep(Duration::from_secs(2));
        });
        port
    }

    #[test]
    fn a_mysql_greeting_is_recognised_with_its_version() {
        let payload = b"\x0a9.7.4-2\0rest of the handshake";
        assert_eq!(
            classify_greeting(payload),
            Probe::MySql {
                version: "9.7.4-2".into()
            },
            "protocol 10 followed by a version string is a MySQL greeting"
        );
    }

    #[test]
    fn mariadbs_compatibility_prefix_is_dropped_from_the_version() {
        let probe = classify_greeting(b"\x0a5.5.5-10.11.6-MariaDB\0...");
        assert!(
            probe
                == Probe::MySql {
                    version: "10.11.6-MariaDB".into()
                },
            "expected the version without 5.5.5-, got {probe:?}"
        );
    }

    #[test]
    fn an_error_packet_before_the_login_is_a_refusing_mysql_server() {
        let probe = classify_greeting(b"\xff\x10\x04Too many connections");
        assert!(
            probe == Probe::Refusing("Too many connections".into()) && probe.is_mysql(),
            "an 0xFF packet is a MySQL server refusing us, got {probe:?}"
        );
    }

    #[test]
    fn an_http_server_is_not_taken_for_mysql() {
        let port = serve(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
        let probe = probe("127.0.0.1", port, Duration::from_secs(2));
        assert!(
            matches!(probe, Probe::NotMySql(_)),
            "an HTTP reply must not count as MySQL, got {probe:?}"
        );
    }

    #[test]
    fn a_listener_that_never_speaks_is_not_taken_for_mysql() {
        let port = serve(b"");
        let probe = probe("127.0.0.1", port, Duration::from_secs(1));
        assert!(
            matches!(&probe, Probe::NotMySql(what) if what.contains("no MySQL greeting")),
            "a silent listener (frozen server, HTTP server waiting for a request) is not ready, got {probe:?}"
        );
    }

    #[test]
    fn a_closed_port_is_nothing() {
        // Bind, note the port, close: nothing listens there any more.
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let probe = probe("127.0.0.1", port, Duration::from_secs(1));
        assert!(
            matches!(probe, Probe::Nothing(_)),
            "a closed port must be reported as nothing answering, got {probe:?}"
        );
    }
}
