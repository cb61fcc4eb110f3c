//! DB_SSL_MODE against real servers: a MariaDB server of these tests' own, with TLS on (certificates
//! made here) or off, on a free port of 127.0.0.1 with a data folder in the temp folder, stopped
//! and removed when the last test using it ends, also when an assertion fails.
//!
//! Without `mariadbd` and `mariadb-install-db` on this machine the tests say so loudly and pass,
//! except in CI (`CI=true`), where they fail.

use std::fs;
use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use mysql::prelude::Queryable;
use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};
use shared::{Config, Error, SslMode, connect};

const PASSWORD: &str = "tls-test-password-7q";
/// Accounts made at the server's start: one may log in with or without TLS, one only with TLS.
const INIT_SQL: &str = "\
    CREATE USER 'student'@'%' IDENTIFIED BY 'tls-test-password-7q';\n\
    CREATE USER 'tls_only'@'%' IDENTIFIED BY 'tls-test-password-7q' REQUIRE SSL;\n";
/// How long a server may take to create its data folder, or to start.
const STARTS_WITHIN: Duration = Duration::from_secs(90);

/// The server binaries, or `None` after saying loudly why the tests cannot run.
fn server_binaries() -> Option<(PathBuf, PathBuf)> {
    let find = |name: &str, dirs: &[&str]| {
        let path = std::env::var_os("PATH").unwrap_or_default();
        dirs.iter()
            .map(PathBuf::from)
            .chain(std::env::split_paths(&path))
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    };
    let server = find("mariadbd", &["/usr/sbin", "/usr/local/sbin"]);
    let install = find("mariadb-install-db", &["/usr/bin", "/usr/local/bin"]);
    if let (Some(server), Some(install)) = (server.clone(), install.clone()) {
        return Some((server, install));
    }
    let why = format!(
        "SKIPPED: the TLS tests need a MariaDB server of their own, and this machine lacks \
         {} (install mariadb-server)",
        if server.is_none() {
            "mariadbd"
        } else {
            "mariadb-install-db"
        }
    );
    eprintln!("\n*** {why} ***\n");
    assert!(std::env::var("CI").as_deref() != Ok("true"), "{why}");
    None
}

/// A CA, a server certificate it signed for the IP address 127.0.0.1 only (not "localhost"),
/// and another CA that signed nothing of this server's.
#[derive(Clone)]
struct Certificates {
    ca: PathBuf,
    other_ca: PathBuf,
    server_cert: PathBuf,
    server_key: PathBuf,
}

fn make_certificates(dir: &Path) -> Certificates {
    let new_ca = |name: &str| {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap()
    };
    let ca = new_ca("course test CA");
    let other_ca = new_ca("someone else's CA");
    let server_key = KeyPair::generate().unwrap();
    let server_cert = CertificateParams::new(vec!["127.0.0.1".to_string()])
        .unwrap()
        .signed_by(&server_key, &ca)
        .unwrap();
    let write = |name: &str, pem: String| {
        let path = dir.join(name);
        fs::write(&path, pem).unwrap();
        path
    };
    Certificates {
        ca: write("ca.pem", ca.pem()),
        other_ca: write("other-ca.pem", other_ca.pem()),
        server_cert: write("server-cert.pem", server_cert.pem()),
        server_key: write("server-key.pem", server_key.serialize_pem()),
    }
}

/// `--user=root` when the tests run as root (mariadbd refuses root without it); nothing otherwise.
fn as_root(dir_we_made: &Path) -> Option<&'static str> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        let owner = fs::metadata(dir_we_made).map(|meta| meta.uid());
        if owner.ok() == Some(0) {
            return Some("--user=root");
        }
    }
    let _ = dir_we_made;
    None
}

/// What a test needs of a server: its port and, with TLS, its certificates.
#[derive(Clone)]
struct Server {
    port: u16,
    certificates: Option<Certificates>,
}

impl Server {
    /// A config for this server, as `.env` would give it.
    fn config(&self, user: &str, host: &str, mode: SslMode, ca: Option<&Path>) -> Config {
        Config {
            host: host.into(),
            port: self.port,
            user: user.into(),
            password: PASSWORD.into(),
            database: String::new(),
            ssl_mode: mode,
            ssl_ca: ca.map(Path::to_path_buf),
            ..Config::from_lookup(|_| None).expect("the defaults are valid")
        }
    }

    fn certificates(&self) -> &Certificates {
        self.certificates.as_ref().expect("a server with TLS")
    }
}

/// A running mariadbd; dropping it stops it and removes its folder.
struct OwnServer {
    child: Child,
    dir: PathBuf,
    server: Server,
}

impl OwnServer {
    fn start(with_tls: bool) -> Option<OwnServer> {
        let (mariadbd, install_db) = server_binaries()?;
        let dir = std::env::temp_dir().join(format!(
            "shared-tls-test-{}-{}",
            std::process::id(),
            if with_tls { "tls" } else { "plain" }
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let data = dir.join("data");
        // A temp folder of its own: servers bootstrapping at once in /tmp clash over temp tables.
        let tmp = dir.join("tmp");
        fs::create_dir_all(&tmp).unwrap();
        let installed = Command::new(install_db)
            .args(["--no-defaults", "--skip-test-db"])
            .args(as_root(&dir))
            .arg(format!("--datadir={}", data.display()))
            .env("TMPDIR", &tmp)
            .output()
            .unwrap();
        if !installed.status.success() {
            let _ = fs::remove_dir_all(&dir);
            panic!(
                "mariadb-install-db failed:\n{}",
                String::from_utf8_lossy(&installed.stderr)
            );
        }
        fs::write(dir.join("init.sql"), INIT_SQL).unwrap();

        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut command = Command::new(mariadbd);
        command
            .arg("--no-defaults")
            .args(as_root(&dir))
            .arg(format!("--datadir={}", data.display()))
            .arg(format!("--tmpdir={}", tmp.display()))
            .arg(format!("--socket={}", dir.join("sock").display()))
            .arg(format!("--pid-file={}", dir.join("pid").display()))
            .arg(format!("--log-error={}", dir.join("error.log").display()))
            .arg(format!("--init-file={}", dir.join("init.sql").display()))
            .arg(format!("--port={port}"))
            .args([
                "--bind-address=127.0.0.1",
                "--skip-name-resolve",
                "--skip-log-bin",
            ])
            .args(["--innodb-buffer-pool-size=16M", "--max-connections=20"]);
        let certificates = with_tls.then(|| make_certificates(&dir));
        match &certificates {
            Some(certs) => {
                command
                    .arg(format!("--ssl-ca={}", certs.ca.display()))
                    .arg(format!("--ssl-cert={}", certs.server_cert.display()))
                    .arg(format!("--ssl-key={}", certs.server_key.display()));
            }
            None => {
                command.arg("--skip-ssl");
            }
        }
        let child = command
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut own = OwnServer {
            child,
            dir,
            server: Server { port, certificates },
        };
        own.wait_until_it_answers();
        Some(own)
    }

    fn wait_until_it_answers(&mut self) {
        let deadline = Instant::now() + STARTS_WITHIN;
        loop {
            if let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.server.port)) {
                let mut greeting_start = [0u8; 5];
                stream
                    .set_read_timeout(Some(Duration::from_secs(5)))
                    .unwrap();
                if stream.read_exact(&mut greeting_start).is_ok() {
                    return;
                }
            }
            let exited = self.child.try_wait().unwrap();
            if exited.is_some() || Instant::now() > deadline {
                let log = fs::read_to_string(self.dir.join("error.log")).unwrap_or_default();
                panic!(
                    "the test's mariadbd on port {} did not start ({exited:?}); its log:\n{log}",
                    self.server.port
                );
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for OwnServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// One server per kind, shared by the tests that run at the same time, stopped by the last one.
struct Shared {
    with_tls: bool,
    users: usize,
    server: Option<OwnServer>,
}

static WITH_TLS: Mutex<Shared> = Mutex::new(Shared {
    with_tls: true,
    users: 0,
    server: None,
});
static WITHOUT_TLS: Mutex<Shared> = Mutex::new(Shared {
    with_tls: false,
    users: 0,
    server: None,
});

/// A test's use of a shared server; dropping the last use stops the server.
struct Using(&'static Mutex<Shared>);

fn use_server(shared: &'static Mutex<Shared>) -> Option<(Using, Server)> {
    let mut guard = shared
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if guard.server.is_none() {
        guard.server = Some(OwnServer::start(guard.with_tls)?);
    }
    guard.users += 1;
    let server = guard.server.as_ref().unwrap().server.clone();
    Some((Using(shared), server))
}

impl Drop for Using {
    fn drop(&mut self) {
        let mut guard = self
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        guard.users -= 1;
        if guard.users == 0 {
            guard.server = None; // its Drop stops it
        }
    }
}

/// The session's TLS cipher, `""` for a plain session. Over TCP only: on 127.0.0.1 the driver
/// would otherwise move to the server's socket file, which never uses TLS.
fn session_cipher(config: &Config) -> Result<String, Error> {
    let opts = config.opts_builder().prefer_socket(false);
    let mut conn = mysql::Conn::new(opts).map_err(|err| Error::from_connect(err, config))?;
    let row: Option<(String, String)> = conn
        .query_first("SHOW SESSION STATUS LIKE 'Ssl_cipher'")
        .unwrap();
    Ok(row.map(|(_, cipher)| cipher).unwrap_or_default())
}

#[test]
fn every_mode_reaches_a_server_with_tls_and_all_but_disabled_encrypt() {
    let Some((_using, server)) = use_server(&WITH_TLS) else {
        return;
    };
    let ca = Some(server.certificates().ca.as_path());
    let modes = [
        (SslMode::Disabled, None),
        (SslMode::Preferred, None),
        (SslMode::Required, None),
        (SslMode::VerifyCa, ca),
        (SslMode::VerifyIdentity, ca),
    ];

    for (mode, ca) in modes {
        let config = server.config("student", "127.0.0.1", mode, ca);
        let cipher = session_cipher(&config)
            .unwrap_or_else(|err| panic!("DB_SSL_MODE={mode} could not connect: {err:?}"));
        assert_eq!(
            cipher.is_empty(),
            mode == SslMode::Disabled,
            "DB_SSL_MODE={mode} gave the TLS cipher {cipher:?}"
        );
        assert!(
            connect(&config).is_ok(),
            "shared::connect with DB_SSL_MODE={mode}"
        );
    }
}

#[test]
fn verify_identity_refuses_a_certificate_for_another_host_name_and_verify_ca_does_not() {
    let Some((_using, server)) = use_server(&WITH_TLS) else {
        return;
    };
    let ca = Some(server.certificates().ca.as_path());
    // The certificate names 127.0.0.1; "localhost" is the same server under a name it lacks.
    let by_another_name = |mode| server.config("student", "localhost", mode, ca);

    let identity = session_cipher(&by_another_name(SslMode::VerifyIdentity));
    let chain_only = session_cipher(&by_another_name(SslMode::VerifyCa));

    let err = identity.expect_err("verify_identity accepted a certificate without the host name");
    assert!(matches!(err, Error::Tls { .. }), "{err:?}");
    assert!(
        err.to_string().contains("DB_HOST must be the host name"),
        "{err}"
    );
    let cipher = chain_only.expect("verify_ca ignores the host name");
    assert!(!cipher.is_empty(), "verify_ca connected without TLS");
}

#[test]
fn a_certificate_from_another_ca_is_refused_with_a_message_naming_db_ssl_ca() {
    let Some((_using, server)) = use_server(&WITH_TLS) else {
        return;
    };
    let wrong_ca = Some(server.certificates().other_ca.as_path());

    for mode in [SslMode::VerifyCa, SslMode::VerifyIdentity] {
        let config = server.config("student", "127.0.0.1", mode, wrong_ca);
        let err = connect(&config).expect_err("a certificate from another CA was accepted");
        assert!(
            matches!(err, Error::Tls { .. }),
            "DB_SSL_MODE={mode}: {err:?}"
        );
        let message = err.to_string();
        assert!(message.contains("127.0.0.1:"), "{message}");
        assert!(message.contains("DB_SSL_CA"), "{message}");
        assert!(
            message.contains(&format!("DB_SSL_MODE={mode}")),
            "{message}"
        );
    }
}

#[test]
fn an_account_that_requires_tls_refused_with_tls_disabled_names_db_ssl_mode() {
    let Some((_using, server)) = use_server(&WITH_TLS) else {
        return;
    };
    let config = |mode| server.config("tls_only", "127.0.0.1", mode, None);

    let plain = connect(&config(SslMode::Disabled));
    let encrypted = session_cipher(&config(SslMode::Required));

    let err = plain.expect_err("an account with REQUIRE SSL logged in without TLS");
    assert!(matches!(err, Error::AccessDenied { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("DB_SSL_MODE is disabled"), "{message}");
    assert!(!message.contains(PASSWORD), "{message}");
    let cipher = encrypted.expect("the same account logs in with TLS");
    assert!(!cipher.is_empty(), "required connected without TLS");
}

#[test]
fn required_against_a_server_without_tls_is_refused_and_preferred_goes_plain() {
    let Some((_using, server)) = use_server(&WITHOUT_TLS) else {
        return;
    };
    let config = |mode| server.config("student", "127.0.0.1", mode, None);

    let required = connect(&config(SslMode::Required));
    let preferred = session_cipher(&config(SslMode::Preferred));

    let err = required.expect_err("required connected to a server without TLS");
    assert!(matches!(err, Error::Tls { .. }), "{err:?}");
    let message = err.to_string();
    assert!(message.contains("does not offer TLS"), "{message}");
    assert!(message.contains("DB_SSL_MODE=required"), "{message}");
    let cipher = preferred.expect("preferred connects to a server without TLS");
    assert!(
        cipher.is_empty(),
        "a server without TLS gave the cipher {cipher:?}"
    );
}
