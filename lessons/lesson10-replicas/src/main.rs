//! `cargo run -p lesson10`: writes on the primary, reads on the replica. Demo 1 shows the replica
//! following the primary, demo 2 holds the replica back (lag on purpose) and shows a read that
//! misses the user's write, then read-your-writes choosing the server; demo 3 shows the fallback
//! when the replica does not answer.
//!
//! The lag is made without any administrator's right, and with replication running: a transaction
//! on the replica reads the demo user's messages with a shared lock (`SELECT ... LOCK IN SHARE MODE`), which
//! also locks the gap where their next message goes, so the replica's applier waits there to
//! insert it, and everything after it waits in line. Rolling that transaction back (or the demo
//! ending, even by an error or Ctrl+C: the server ends the session and drops its locks) lets the
//! replica go on.

use std::time::{Duration, Instant};

use anyhow::Context;
use lesson10::gtid::{self, Flavor};
use lesson10::{LastWrites, ReplicaLink, Route, hold_back_messages_of, route_read};
use mysql::Conn;
use mysql::prelude::Queryable;

/// This demo's own user, removed (with their messages) at the start of every run.
const NAME: &str = "한지우";
const EMAIL: &str = "jiwoo.han.lesson10@example.com";
/// How long a read may wait for the replica to catch up before the primary serves it.
const MAX_WAIT: Duration = Duration::from_millis(300);

/// The user's messages on one server, oldest first, as "role: content" lines.
fn list(conn: &mut Conn, user_id: u64) -> anyhow::Result<Vec<String>> {
    let rows: Vec<(String, String)> = conn.exec(
        "SELECT role, content FROM conversations WHERE user_id = ? ORDER BY id",
        (user_id,),
    )?;
    Ok(rows
        .into_iter()
        .map(|(role, content)| format!("{role}: {content}"))
        .collect())
}

fn show(server: &str, messages: &[String]) {
    println!("  {server} lists {} message(s):", messages.len());
    for message in messages {
        println!("    {message}");
    }
}

fn main() -> anyhow::Result<()> {
    let config = shared::Config::from_env()?;
    shared::start_server_if_needed(&config)?;
    let replica_config = config.replica();
    let (mut primary, flavor) = gtid::prepare_primary(config.opts_builder())
        .map_err(|err| shared::Error::from_connect(err, &config))?;
    // shared::connect's advice is about the primary (`db -- up`, DB_PORT): this one is the replica's.
    let mut replica = Conn::new(replica_config.opts()).map_err(|err| {
        anyhow::anyhow!(
            "no replica answers at {} ({err}): this lesson needs one. Start it with \
             `cargo run -p db -- up --replica` (or set DB_REPLICA_HOST and DB_REPLICA_PORT to yours)",
            replica_config.address()
        )
    })?;
    println!(
        "Primary {} ({flavor}) takes the writes; replica {} serves the reads.",
        config.address(),
        replica_config.address()
    );

    let removed = primary
        .exec_iter("DELETE FROM users WHERE email = ?", (EMAIL,))?
        .affected_rows();
    let user_id = lesson2::create_user(&mut primary, NAME, EMAIL)?;
    println!(
        "Clean-up: removed {removed} demo user(s) of an earlier run. User {NAME} has id {user_id}."
    );
    let last_writes = LastWrites::new();
    let mut link = ReplicaLink::new(replica_config.opts());

    println!("\nDemo 1: the replica follows the primary");
    let saved = lesson8::save_exchange(
        &mut primary,
        user_id,
        "레플리카가 뭐예요?",
        "프라이머리의 쓰기를 그대로 따라 적용하면서 읽기를 맡는 서버예요.",
    )?;
    let first = gtid::last_write(&mut primary, flavor)?
        .context("the primary reported no GTID for a write: is its binary log on?")?;
    println!(
        "  saved exchange #{} / #{} on the primary: GTID {first}, read from the COMMIT's own reply",
        saved.question_id, saved.answer_id
    );
    let started = Instant::now();
    let applied = gtid::wait_for(&mut replica, flavor, &first, Duration::from_secs(2))?;
    println!(
        "  the replica {} it {:.1} ms later (the server waited: {})",
        if applied {
            "had applied"
        } else {
            "had NOT applied"
        },
        started.elapsed().as_secs_f64() * 1000.0,
        match flavor {
            Flavor::MariaDb => "MASTER_GTID_WAIT",
            Flavor::MySql => "WAIT_FOR_EXECUTED_GTID_SET",
        }
    );
    show("the replica", &list(&mut replica, user_id)?);

    println!("\nDemo 2: lag, and reading your own writes");
    let mut holder = shared::connect(&replica_config)?;
    let hold = hold_back_messages_of(&mut holder, user_id)?;
    println!(
        "  the replica is held back: a session there locks where user {user_id}'s next message \
         goes (lag on purpose, replication still running)"
    );
    let saved = lesson8::save_exchange(
        &mut primary,
        user_id,
        "레플리카는 얼마나 늦어요?",
        "보통 몇 밀리초요. 하지만 가끔은 훨씬 더 늦어요.",
    )?;
    let gtid = gtid::last_write(&mut primary, flavor)?.context("no GTID for the exchange")?;
    last_writes.note(user_id, gtid.clone());
    println!(
        "  saved exchange #{} / #{} on the primary, GTID {gtid}",
        saved.question_id, saved.answer_id
    );
    show("the replica, read at once", &list(&mut replica, user_id)?);
    show("the primary", &list(&mut primary, user_id)?);
    let started = Instant::now();
    let route = route_read(&mut link, last_writes.get(user_id).as_ref(), MAX_WAIT);
    println!(
        "  read-your-writes: route_read waited {:.0} ms -> {route:?}",
        started.elapsed().as_secs_f64() * 1000.0
    );
    hold.rollback()?;
    println!("  the lock is released: the replica applies what it held back");
    let started = Instant::now();
    let route = route_read(&mut link, last_writes.get(user_id).as_ref(), MAX_WAIT);
    println!(
        "  read-your-writes: route_read waited {:.1} ms -> {route:?}",
        started.elapsed().as_secs_f64() * 1000.0
    );
    let server = if route == Route::Replica {
        &mut replica
    } else {
        &mut primary
    };
    show(
        if route == Route::Replica {
            "the replica"
        } else {
            "the primary"
        },
        &list(server, user_id)?,
    );

    println!("\nDemo 3: a replica that does not answer");
    // A port where nothing listens stands for a replica that is down.
    let nowhere = replica_config.opts_builder().tcp_port(1);
    let mut gone = ReplicaLink::new(nowhere);
    let route = route_read(&mut gone, last_writes.get(user_id).as_ref(), MAX_WAIT);
    println!(
        "  route_read -> {route:?}: the primary serves the read, the user still sees their exchange"
    );
    show("the primary", &list(&mut primary, user_id)?);
    Ok(())
}
