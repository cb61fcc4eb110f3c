//! `up --replica`: on a throwaway local pair of its own (free ports, a temporary folder), and on
//! the configured pair through shared's fixture (MariaDB 3306/3316 here and in CI; MySQL 9.7 with
//! DB_PORT=3307 DB_REPLICA_PORT=3317).

use std::collections::HashMap;
use std::path::PathBuf;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::Result;
use mysql::prelude::Queryable;
use shared::Config;
use shared::setup::Tool;
use shared::setup::admin::connect_admin;
use shared::setup::local::Ownership;
use shared::setup::probe::probe;
use shared::setup::replica::ReplicationState;
use shared::testing::ReplicaTestDb;

use crate::local_server::{tool, two_free_ports};

fn pair_config(port: u16, replica_port: u16) -> Config {
    let vars = HashMap::from([
        ("DB_PORT", port.to_string()),
        ("DB_REPLICA_PORT", replica_port.to_string()),
    ]);
    Config::from_lookup(|key| vars.get(key).cloned()).expect("a valid test configuration")
}

/// A folder for one test's pair; both servers stopped and the folder removed when dropped.
struct Pair {
    dir: PathBuf,
    tool: Tool,
}

impl Pair {
    fn new(name: &str) -> Pair {
        let dir = std::env::temp_dir().join(format!("db-tool-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let (port, replica_port) = two_free_ports();
        let tool = tool(&dir, pair_config(port, replica_port));
        Pair { dir, tool }
    }

    fn replica_starts(&self) -> usize {
        let log = std::fs::read_to_string(self.dir.join("replica").join("mysqld.log"))
            .unwrap_or_default();
        log.matches("ready for connections").count()
    }
}

impl Drop for Pair {
    fn drop(&mut self) {
        let _ = self.tool.down();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `sql` (a COUNT) on the server of `config`, or `None` when it cannot be asked.
fn count(config: &Config, sql: &str) -> Option<u64> {
    shared::connect(config)
        .ok()?
        .query_first::<u64, _>(sql)
        .ok()
        .flatten()
}

/// Polls `check` for up to 10 s.
fn eventually(mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if check() {
            return true;
        }
        thread::sleep(Duration::from_millis(50));
    }
    false
}

/// The server's refusal of a write on a read-only replica: ERROR 1290 on both servers
/// ("running with the --read-only option" / "--super-read-only option").
fn is_read_only_refusal(err: &mysql::Error) -> bool {
    matches!(err, mysql::Error::MySqlError(e) if e.code == 1290)
}

/// One pair of servers for the whole life cycle: each start costs seconds in every `cargo test`.
#[test]
fn up_replica_restarts_an_old_primary_with_its_log_starts_one_read_only_replica_and_down_stops_both()
-> Result<()> {
    let Some(server) = shared::setup::local::ServerBinary::find() else {
        eprintln!("no mariadbd or mysqld on this machine: skipped");
        return Ok(());
    };
    let pair = Pair::new("replica");
    let (primary, replica) = (pair.tool.config.clone(), pair.tool.config.replica());
    let log_bin = || -> Result<Option<bool>> {
        Ok(shared::connect(&primary)?.query_first("SELECT @@log_bin")?)
    };
    let primary_starts = || {
        std::fs::read_to_string(pair.dir.join("mysqld.log"))
            .unwrap_or_default()
            .matches("ready for connections")
            .count()
    };

    // A primary as an older set-up started it: no server options, so no binary log.
    pair.tool
        .local
        .start(&server, &pair.tool.config, pair.tool.wait, &[])?;
    pair.tool.up()?;
    assert!(
        log_bin()? == Some(false),
        "the test needs a primary without its binary log first"
    );

    pair.tool.up_with_replica()?;
    assert!(
        log_bin()? == Some(true) && primary_starts() == 2,
        "up --replica must restart the primary once with its binary log on: log_bin {:?}, {} starts",
        log_bin()?,
        primary_starts()
    );
    assert!(
        pair.replica_starts() == 1,
        "up --replica must start one replica, its log shows {} starts",
        pair.replica_starts()
    );
    pair.tool.up_with_replica()?;
    assert!(
        pair.replica_starts() == 1 && primary_starts() == 2,
        "a second up --replica must leave both servers alone, their logs show {} and {} starts",
        primary_starts(),
        pair.replica_starts()
    );
    assert!(
        pair.tool.replica_local().ownership(&replica) == Ownership::Ours,
        "the replica that up --replica started must be recognised as this project's"
    );

    let mut on_primary = shared::connect(&primary)?;
    on_primary.query_drop("INSERT INTO users (name, email) VALUES ('Ada', 'ada@example.com')")?;
    let mut on_replica = shared::connect(&replica)?;
    assert!(
        eventually(|| count(
            &replica,
            "SELECT COUNT(*) FROM users WHERE email = 'ada@example.com'"
        ) == Some(1)),
        "a user inserted on the primary must appear on the replica within 10 s"
    );
    let refused = on_replica
        .query_drop("INSERT INTO users (name, email) VALUES ('Bob', 'bob@example.com')")
        .expect_err("the replica must refuse the course user's write");
    assert!(
        is_read_only_refusal(&refused),
        "a write on the replica must fail with the read-only error 1290, got: {refused}"
    );

    // A paused applier (a demo or a test that died mid-pause) with writes waiting, and read-only
    // switched off by hand: the next up starts the applier, returns only once the replica has
    // every write, and makes it read-only again.
    on_replica.query_drop("STOP REPLICA SQL_THREAD")?;
    for i in 0..200 {
        on_primary.exec_drop(
            "INSERT INTO users (name, email) VALUES (?, ?)",
            (format!("Paused {i}"), format!("paused{i}@example.com")),
        )?;
    }
    let login = pair
        .tool
        .replica_local()
        .admin_login()?
        .expect("the replica's folder has its admin's login");
    connect_admin(&replica, &login)?.query_drop("SET GLOBAL read_only = OFF")?;
    pair.tool.up_with_replica()?;
    let state = ReplicationState::read(&mut on_replica)?.expect("a replica has a status");
    assert!(
        state.sql_running && state.io_running == "Yes",
        "up --replica must start a stopped replication again, the replica says: {state}"
    );
    let users = count(&replica, "SELECT COUNT(*) FROM users");
    assert!(
        users == Some(201),
        "when up --replica returns, the replica must have caught up with the 201 users written on \
         the primary, it has {users:?}"
    );
    let refused = on_replica
        .query_drop("INSERT INTO users (name, email) VALUES ('Bob', 'bob@example.com')")
        .expect_err("up --replica must make the replica read-only again");
    assert!(
        is_read_only_refusal(&refused),
        "a write on the replica must fail with the read-only error 1290, got: {refused}"
    );

    // A replica that follows another server is named as such, not waited for: here the replica
    // stands as its own "primary", whose writes it never receives.
    let mut mixed = replica.clone();
    mixed.replica_port = replica.port;
    let not_ours = tool(&pair.dir, mixed)
        .measure_lag()
        .expect_err("a replica of another primary has no lag to measure");
    assert!(
        format!("{not_ours:#}").contains(&format!("replicates 127.0.0.1:{}", primary.port)),
        "the error must say which primary the replica follows, got: {not_ours:#}"
    );
    pair.tool.status()?;

    // A row written on the replica behind replication's back (as its admin), then the same on the
    // primary: the applier stops on the duplicate. Its data went astray, so up copies it again.
    let mut replica_admin = connect_admin(&replica, &login)?;
    replica_admin.query_drop("SET SESSION sql_log_bin = 0")?;
    let duplicate = format!(
        "INSERT INTO `{}`.users (id, name, email) VALUES (9000, 'Dup', 'dup@example.com')",
        primary.database
    );
    replica_admin.query_drop(&duplicate)?;
    on_primary.query_drop(&duplicate)?;
    assert!(
        eventually(|| ReplicationState::read(&mut replica_admin)
            .ok()
            .flatten()
            .is_some_and(|state| state.applier_failed)),
        "the test needs a replica whose applier stopped on the duplicate row"
    );
    pair.tool.up_with_replica()?;
    let state = ReplicationState::read(&mut on_replica)?.expect("a replica has a status");
    assert!(
        state.is_healthy_from(&format!("127.0.0.1:{}", primary.port)),
        "up --replica must copy a failed replica again and replicate, the replica says: {state}"
    );
    assert!(
        pair.tool.check_replica()?,
        "after the copy the replica's data must match the primary's"
    );

    // reset drops and recreates the course database on the primary; the replica follows.
    pair.tool.reset()?;
    assert!(
        eventually(|| count(&replica, "SELECT COUNT(*) FROM users") == Some(0)),
        "after reset the replica's course database must be empty too"
    );
    assert!(
        pair.tool.check_replica()?,
        "after reset the replica's data must match the primary's"
    );

    // The same primary, seen from a folder that did not start it: someone else's server. The tool
    // prints what its admin would run, and starts nothing.
    let stranger_dir = pair.dir.with_extension("stranger");
    let (_, free) = two_free_ports();
    let mut elsewhere = primary.clone();
    elsewhere.replica_port = free;
    let refused = tool(&stranger_dir, elsewhere).up_with_replica().expect_err(
        "up --replica must not set up a replica for a server this project did not start",
    );
    let _ = std::fs::remove_dir_all(&stranger_dir);
    let message = format!("{refused:#}");
    assert!(
        message.contains("Its admin would set one up")
            && message.contains("START REPLICA")
            && message.contains("<REPLICATION_PASSWORD>"),
        "the refusal must show the admin's SQL with a placeholder for the password, got: {message}"
    );
    assert!(
        !probe("127.0.0.1", free, Duration::from_secs(1)).is_mysql(),
        "no replica may have been started for someone else's server"
    );

    pair.tool.down()?;
    let answers = |port| probe("127.0.0.1", port, Duration::from_secs(2)).is_mysql();
    assert!(
        !answers(primary.port) && !answers(replica.port),
        "down must stop the primary and the replica"
    );

    // Up again: both start from their data, and replication goes on from where it stopped.
    pair.tool.up_with_replica()?;
    assert!(
        pair.replica_starts() == 2,
        "up --replica after down must start the same replica again, its log shows {} starts",
        pair.replica_starts()
    );
    shared::connect(&primary)?
        .query_drop("INSERT INTO users (name, email) VALUES ('Cy', 'cy@example.com')")?;
    assert!(
        eventually(|| count(&replica, "SELECT COUNT(*) FROM users") == Some(1)),
        "after a restart of both, a new write must reach the replica"
    );

    // The primary gone first, its pid file left behind as by a crash: down still stops the
    // replica, and does not take the stale pid for a frozen server.
    pair.tool.local.stop(&primary, pair.tool.wait)?;
    std::fs::write(pair.dir.join("mysqld.pid"), "999999")?;
    pair.tool.down()?;
    assert!(
        !answers(replica.port),
        "down must stop the replica of a primary that no longer runs"
    );
    Ok(())
}

#[test]
fn on_the_configured_pair_a_write_reaches_the_replica_and_a_write_there_is_refused() {
    let Some(db) = ReplicaTestDb::or_skip() else {
        return;
    };
    let mut primary = db.primary_conn();
    let mut replica = db.replica_conn();
    primary
        .query_drop("INSERT INTO users (name, email) VALUES ('Ada', 'ada@example.com')")
        .unwrap();
    let took = db.wait_replicated();
    let seen: Option<String> = replica
        .query_first("SELECT name FROM users WHERE email = 'ada@example.com'")
        .unwrap();
    assert!(
        seen.as_deref() == Some("Ada"),
        "after wait_replicated ({took:?}) the replica must show the primary's new user, got {seen:?}"
    );
    let refused = replica
        .query_drop("INSERT INTO users (name, email) VALUES ('Bob', 'bob@example.com')")
        .expect_err("the replica must refuse the course user's write");
    assert!(
        is_read_only_refusal(&refused),
        "a write on the replica must fail with the read-only error 1290, got: {refused}"
    );
}

#[test]
fn a_paused_replica_lags_until_the_pause_ends() {
    let Some(db) = ReplicaTestDb::or_skip() else {
        return;
    };
    let users = |conn: &mut mysql::Conn| -> u64 {
        conn.query_first("SELECT COUNT(*) FROM users")
            .unwrap()
            .unwrap()
    };
    let mut primary = db.primary_conn();
    {
        let mut pause = db.pause_replica();
        // Many transactions, one a user: catching up on them takes the replica a moment, which
        // a wait_replicated that did not wait would show.
        for i in 0..100 {
            primary
                .exec_drop(
                    "INSERT INTO users (name, email) VALUES (?, ?)",
                    (format!("Ada {i}"), format!("ada{i}@example.com")),
                )
                .unwrap();
        }
        thread::sleep(Duration::from_millis(300));
        let state = ReplicationState::read(pause.replica_conn())
            .unwrap()
            .expect("a replica has a status");
        assert!(
            !state.sql_running,
            "a paused replica must not apply, it says: {state}"
        );
        let behind = users(pause.replica_conn());
        assert!(
            behind == 0,
            "a paused replica must not show the writes made during the pause, it shows {behind} user(s)"
        );
    }
    db.wait_replicated();
    let after = users(&mut db.replica_conn());
    assert!(
        after == 100,
        "once wait_replicated returns, the replica must have the 100 users written during the \
         pause, it shows {after}"
    );
}

#[test]
fn stopped_replication_is_reported_and_restarted_by_the_guard() {
    let Some(db) = ReplicaTestDb::or_skip() else {
        return;
    };
    {
        let mut stopped = db.stop_replication();
        let state = ReplicationState::read(stopped.replica_conn())
            .unwrap()
            .expect("a replica has a status");
        assert!(
            !state.sql_running && state.io_running == "No",
            "STOP REPLICA must stop receiving and applying, the replica says: {state}"
        );
    }
    let state = ReplicationState::read(&mut db.replica_conn())
        .unwrap()
        .expect("a replica has a status");
    assert!(
        state.sql_running && state.io_running != "No",
        "the guard's drop must start replication again, the replica says: {state}"
    );
}
