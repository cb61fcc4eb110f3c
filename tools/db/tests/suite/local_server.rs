//! The set-up tool against throwaway local servers on free loopback ports, each with its data in a
//! temporary folder: never the server on DB_PORT that the other tests use, nor another run's.

use std::collections::HashMap;
use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::Duration;

use anyhow::Result;
use mysql::prelude::Queryable;
use shared::Config;
use shared::setup::admin::connect_admin;
use shared::setup::local::{LocalServer, Ownership};
use shared::setup::probe::{Probe, probe};
use shared::setup::{Autostart, Tool, autostart};

fn config(port: u16, database: &str) -> Config {
    let vars = HashMap::from([
        ("DB_PORT", port.to_string()),
        ("DB_NAME", database.to_string()),
    ]);
    Config::from_lookup(|key| vars.get(key).cloned()).expect("a valid test configuration")
}

pub(crate) fn tool(dir: &Path, config: Config) -> Tool {
    Tool {
        config,
        root: Path::new(env!("CARGO_MANIFEST_DIR"))
            .ancestors()
            .nth(2)
            .unwrap()
            .to_path_buf(),
        local: LocalServer::new(dir),
        wait: Duration::from_secs(90),
        root_password: "unused".into(),
        use_docker: false,
    }
}

/// Two different loopback ports that nothing listens on right now (the system hands out each once
/// while we hold both; after we let go, a clash with another test run is unlikely).
pub(crate) fn two_free_ports() -> (u16, u16) {
    let bind = || TcpListener::bind("127.0.0.1:0").expect("a free loopback port");
    let (a, b) = (bind(), bind());
    (
        a.local_addr().unwrap().port(),
        b.local_addr().unwrap().port(),
    )
}

/// A fresh folder for one test's server; removed (after stopping the server) when dropped.
struct Folder(PathBuf);

impl Folder {
    fn new(name: &str) -> Folder {
        let dir = std::env::temp_dir().join(format!("db-tool-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        Folder(dir)
    }
}

impl Drop for Folder {
    fn drop(&mut self) {
        let local = LocalServer::new(&self.0);
        if let Some(port) = local.recorded_port() {
            let _ = tool(&self.0, config(port, "llmagent")).down();
        }
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn answers(port: u16) -> bool {
    probe("127.0.0.1", port, Duration::from_secs(2)).is_mysql()
}

fn ready_lines(folder: &Folder) -> usize {
    let log = std::fs::read_to_string(folder.0.join("mysqld.log")).unwrap_or_default();
    log.matches("ready for connections").count()
}

#[test]
fn up_starts_one_server_that_is_ours_and_acts_only_on_its_own_port() -> Result<()> {
    if shared::setup::local::ServerBinary::find().is_none() {
        eprintln!("no mariadbd or mysqld on this machine: skipped");
        return Ok(());
    }
    let folder = Folder::new("lifecycle");
    let (port, other) = two_free_ports();
    let ours = tool(&folder.0, config(port, "llmagent"));

    // Two `up` at once: one starts the server, the other waits for it and finds it running.
    let (first, second) = thread::scope(|s| {
        let a = s.spawn(|| ours.up());
        let b = s.spawn(|| ours.up());
        (a.join().unwrap(), b.join().unwrap())
    });
    assert!(
        first.is_ok() && second.is_ok(),
        "both concurrent ups must succeed: {first:?} / {second:?}"
    );
    assert!(
        ready_lines(&folder) == 1,
        "two concurrent ups must start exactly one server, the log shows {} starts",
        ready_lines(&folder)
    );
    assert!(
        ours.local.ownership(&ours.config) == Ownership::Ours,
        "the server that up started must be recognised as this project's"
    );
    let mut user = shared::connect(&ours.config)?;
    let tables: Vec<String> = user.query("SHOW TABLES")?;
    assert!(
        tables.contains(&"users".to_string()) && tables.contains(&"conversations".to_string()),
        "the course user must see the schema's tables, saw {tables:?}"
    );
    ours.up()?; // idempotent
    assert!(
        ready_lines(&folder) == 1,
        "a second up must not restart the server"
    );

    // Another port, same folder: refused, and the running server is left alone.
    let other_port = tool(&folder.0, config(other, "llmagent"));
    let refused = other_port
        .up()
        .expect_err("up on another port must be refused");
    assert!(
        refused
            .to_string()
            .contains(&format!("runs on 127.0.0.1:{port}")),
        "the refusal must name the port the project's server runs on, got: {refused}"
    );
    other_port.down()?;
    assert!(
        answers(port),
        "down with another DB_PORT must not stop the server on {port}"
    );
    assert!(
        other_port.reset().is_err(),
        "reset with a DB_PORT where nothing answers must fail, not reset the server on {port}"
    );
    assert!(
        !answers(other),
        "no second server may have been started on {other}"
    );

    // A folder that did not start this server: not ours, and reset refuses.
    let stranger = Folder::new("stranger");
    let not_ours = tool(&stranger.0, config(port, "llmagent"));
    assert!(
        not_ours.status()?,
        "status must see that a MySQL server answers on {port}"
    );
    let err = not_ours
        .reset()
        .expect_err("reset on a server this folder did not start");
    assert!(
        err.to_string()
            .contains("acts only on a server this project started"),
        "reset must refuse a server it did not start, got: {err}"
    );

    // reset: the course database and the test databases, nothing else.
    let login = ours.local.admin_login()?.expect("an admin login");
    let mut admin = connect_admin(&ours.config, &login)?;
    admin.query_drop("CREATE DATABASE keep_me")?;
    admin.query_drop("CREATE DATABASE llmagent_test_leftover")?;
    user.query_drop("INSERT INTO users (name, email) VALUES ('a', 'a@x.com')")?;
    drop(user);
    // The tool gets its settings only from shared::Config, which refuses a system database.
    let system = Config::from_lookup(|key| (key == "DB_NAME").then(|| "mysql".to_string()));
    assert!(
        system.is_err(),
        "DB_NAME=mysql must be refused before any reset"
    );
    let mut forced = ours.config.clone();
    forced.database = "mysql".into();
    let refused = tool(&folder.0, forced).reset();
    assert!(refused.is_err(), "reset with DB_NAME=mysql must be refused");
    ours.reset()?;
    let databases: Vec<String> = admin.query("SHOW DATABASES")?;
    for kept in ["keep_me", "mysql", "llmagent"] {
        assert!(
            databases.contains(&kept.to_string()),
            "reset must keep {kept}, databases now: {databases:?}"
        );
    }
    assert!(
        !databases.contains(&"llmagent_test_leftover".to_string()),
        "reset must drop leftover test databases, databases now: {databases:?}"
    );
    let users: u64 = admin
        .query_first("SELECT COUNT(*) FROM llmagent.users")?
        .unwrap();
    assert!(
        users == 0,
        "reset must empty the course database, users has {users} rows"
    );
    drop(admin);

    ours.down()?;
    assert!(!answers(port), "down must stop the server on {port}");
    ours.up()?;
    assert!(
        answers(port) && ready_lines(&folder) == 2,
        "up after down must start the same folder's server again"
    );
    Ok(())
}

#[test]
fn up_against_a_port_where_something_else_listens_does_not_say_ready() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    thread::spawn(move || {
        for stream in listener.incoming().take(3) {
            let _ = stream
                .unwrap()
                .write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
        }
    });
    let folder = Folder::new("http");
    let err = tool(&folder.0, config(port, "llmagent"))
        .up()
        .expect_err("an HTTP server is not a MySQL server");
    assert!(
        err.to_string().contains("not a working MySQL server"),
        "up must say that what listens is not MySQL, got: {err}"
    );
    assert!(
        !matches!(
            probe("127.0.0.1", port, Duration::from_secs(1)),
            Probe::MySql { .. }
        ),
        "nothing may have been started on {port}"
    );
}

#[test]
fn the_autostart_starts_one_server_where_nothing_answers_and_then_leaves_it_alone() -> Result<()> {
    if shared::setup::local::ServerBinary::find().is_none() {
        eprintln!("no mariadbd or mysqld on this machine: skipped");
        return Ok(());
    }
    let folder = Folder::new("autostart");
    let (port, _) = two_free_ports();
    let config = config(port, "llmagent");
    // What a lesson, the runner and the test fixture call, with this test's folder and no Docker.
    let autostart =
        |setting: Option<&str>| autostart(&config, setting, |config| Ok(tool(&folder.0, config)));

    let off = autostart(Some("0"))?;
    assert!(
        off == Autostart::Off && !answers(port),
        "DB_AUTOSTART=0 must start nothing on {port}, got {off:?}"
    );

    // Two programs at once (a lesson and a test run, say): one starts the server, the other waits
    // for it on the set-up's lock and finds it running.
    let (first, second) = thread::scope(|s| {
        let a = s.spawn(|| autostart(None));
        let b = s.spawn(|| autostart(None));
        (a.join().unwrap(), b.join().unwrap())
    });
    assert!(
        first.is_ok() && second.is_ok(),
        "both autostarts must succeed: {first:?} / {second:?}"
    );
    assert!(
        answers(port) && ready_lines(&folder) == 1,
        "the autostart must leave exactly one server answering on {port}; the log shows {} starts",
        ready_lines(&folder)
    );
    let mut user = shared::connect(&config)?;
    let tables: Vec<String> = user.query("SHOW TABLES")?;
    assert!(
        tables.contains(&"users".to_string()) && tables.contains(&"conversations".to_string()),
        "after the autostart the course user must see the schema's tables, saw {tables:?}"
    );

    let again = autostart(None)?;
    assert!(
        matches!(again, Autostart::Answers(Probe::MySql { .. })) && ready_lines(&folder) == 1,
        "with the server answering, the autostart must start nothing, got {again:?} and {} starts",
        ready_lines(&folder)
    );
    Ok(())
}
