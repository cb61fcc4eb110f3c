//! `DB_SSL_MODE` mapped onto what the `mysql` crate can do (its rustls build): `SslOpts` with a
//! root certificate, "skip domain validation" and "accept invalid certificates".
//!
//! The crate has no "TLS if offered" setting: with `SslOpts` it refuses a server without TLS,
//! without them it never asks. So `preferred` reads the server's greeting once (the first packet a
//! MySQL server sends, before any login) and asks for TLS only if the greeting offers it.

use std::collections::BTreeMap;
use std::io::Read;
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::Mutex;

use mysql::SslOpts;

use crate::CONNECT_TIMEOUT;
use crate::config::{Config, SslMode};

/// The `SslOpts` for `config`'s mode, or `None` for a plain connection.
pub(crate) fn ssl_opts(config: &Config) -> Option<SslOpts> {
    let unchecked = || {
        SslOpts::default()
            .with_danger_accept_invalid_certs(true)
            .with_danger_skip_domain_validation(true)
    };
    let against_ca = || SslOpts::default().with_root_cert_path(config.ssl_ca.clone());
    match config.ssl_mode {
        SslMode::Disabled => None,
        SslMode::Preferred => server_offers_tls(&config.host, config.port).then(unchecked),
        SslMode::Required => Some(unchecked()),
        SslMode::VerifyCa => Some(against_ca().with_danger_skip_domain_validation(true)),
        SslMode::VerifyIdentity => Some(against_ca()),
    }
}

/// Whether an error comes from TLS: a server without it, the crate's own TLS error, or a failed
/// handshake, which rustls reports through the stream as "invalid data".
pub(crate) fn is_tls_failure(err: &mysql::Error, config: &Config) -> bool {
    use mysql_common::proto::codec::error::PacketCodecError;
    match err {
        mysql::Error::DriverError(mysql::DriverError::TlsNotSupported)
        | mysql::Error::TlsError(_) => true,
        mysql::Error::IoError(io) | mysql::Error::CodecError(PacketCodecError::Io(io)) => {
            config.ssl_mode != SslMode::Disabled && io.kind() == std::io::ErrorKind::InvalidData
        }
        _ => false,
    }
}

/// What the greeting said, per `host:port`, for the life of the process: a server does not turn
/// TLS on or off without a restart, and asking on every connection would double the connections.
static OFFERS_TLS: Mutex<BTreeMap<String, bool>> = Mutex::new(BTreeMap::new());

/// Reads the server's greeting and looks for the `CLIENT_SSL` capability. When there is no
/// greeting to read (nothing listens, not a MySQL server), the answer is "no": the connection
/// that follows meets the same problem and reports it.
fn server_offers_tls(host: &str, port: u16) -> bool {
    let address = format!("{host}:{port}");
    if let Some(&known) = OFFERS_TLS.lock().unwrap().get(&address) {
        return known;
    }
    let offers = read_greeting(host, port).and_then(|greeting| greeting_offers_tls(&greeting));
    if let Some(offers) = offers {
        OFFERS_TLS.lock().unwrap().insert(address, offers);
    }
    offers.unwrap_or(false)
}

fn read_greeting(host: &str, port: u16) -> Option<Vec<u8>> {
    let addr = (host, port).to_socket_addrs().ok()?.next()?;
    let mut stream = TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT).ok()?;
    stream.set_read_timeout(Some(CONNECT_TIMEOUT)).ok()?;
    // A packet: 3 bytes of length (little-endian), 1 byte of sequence number, then the payload.
    let mut header = [0u8; 4];
    stream.read_exact(&mut header).ok()?;
    let length = u32::from_le_bytes([header[0], header[1], header[2], 0]) as usize;
    if length > 1024 {
        return None; // a greeting is about 100 bytes: this is not one
    }
    let mut payload = vec![0u8; length];
    stream.read_exact(&mut payload).ok()?;
    Some(payload)
}

/// Protocol version 10's greeting: version byte, server version (NUL-terminated), connection id
/// (4 bytes), 8 bytes of scramble, 1 filler byte, then the lower 2 bytes of the capabilities.
/// `None` if this is not such a greeting (an error packet, say).
fn greeting_offers_tls(payload: &[u8]) -> Option<bool> {
    const CLIENT_SSL: u16 = 0x0800;
    let (&version, rest) = payload.split_first()?;
    if version != 10 {
        return None;
    }
    let end_of_server_version = rest.iter().position(|&b| b == 0)?;
    let flags = rest.get(end_of_server_version + 1 + 4 + 8 + 1..)?;
    let lower = u16::from_le_bytes([*flags.first()?, *flags.get(1)?]);
    Some(lower & CLIENT_SSL != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn greeting(capabilities: u16) -> Vec<u8> {
        let mut payload = vec![10];
        payload.extend_from_slice(b"11.4.2-MariaDB\0");
        payload.extend_from_slice(&7u32.to_le_bytes());
        payload.extend_from_slice(b"12345678\0");
        payload.extend_from_slice(&capabilities.to_le_bytes());
        payload
    }

    #[test]
    fn the_greeting_tells_whether_the_server_offers_tls() {
        assert_eq!(greeting_offers_tls(&greeting(0xffff)), Some(true));
        assert_eq!(greeting_offers_tls(&greeting(!0x0800)), Some(false));
    }

    #[test]
    fn an_error_packet_or_a_cut_greeting_is_not_read_as_an_answer() {
        let error_packet = b"\xff\x10\x04Too many connections";
        let cut = &greeting(0xffff)[..20];

        assert_eq!(greeting_offers_tls(error_packet), None);
        assert_eq!(greeting_offers_tls(cut), None);
    }

    #[test]
    fn each_mode_asks_the_crate_for_what_it_checks() {
        let config = |mode| Config {
            ssl_mode: mode,
            ssl_ca: Some("ca.pem".into()),
            ..Config::from_lookup(|_| None).unwrap()
        };
        let opts = |mode| ssl_opts(&config(mode));

        assert!(opts(SslMode::Disabled).is_none());
        let required = opts(SslMode::Required).expect("required asks for TLS");
        assert!(
            required.accept_invalid_certs(),
            "required checks no certificate"
        );
        let verify_ca = opts(SslMode::VerifyCa).expect("verify_ca asks for TLS");
        assert!(
            !verify_ca.accept_invalid_certs(),
            "verify_ca checks the chain"
        );
        assert!(
            verify_ca.skip_domain_validation(),
            "verify_ca ignores the host name"
        );
        assert_eq!(
            verify_ca.root_cert_path(),
            Some(std::path::Path::new("ca.pem"))
        );
        let identity = opts(SslMode::VerifyIdentity).expect("verify_identity asks for TLS");
        assert!(!identity.accept_invalid_certs() && !identity.skip_domain_validation());
    }
}
