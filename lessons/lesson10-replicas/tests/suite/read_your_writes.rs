//! Read-your-writes against a real primary and replica (`cargo run -p db -- up --replica`; MySQL 9.7:
//! `DB_PORT=3307 DB_REPLICA_PORT=3317`): the GTID functions on the replica's side, and
//! `route_read` with `ReplicaLink` when the replica is caught up, behind, stopped or down. Without
//! a replica these tests say SKIPPED and pass, unless DB_REPLICA_HOST or DB_REPLICA_PORT names one.
//!
//! Every test that holds the replica back does it inside shared's `pause_replica` or
//! `stop_replication`, whose lock keeps the tests of other crates from seeing the lag.

use std::time::{Duration, Instant};

use lesson10::gtid::{self, Flavor};
use lesson10::{Fallback, Gtid, ReplicaLink, Route, hold_back_messages_of, route_read};
use mysql::Conn;
use mysql::prelude::Queryable;
use shared::testing::{ReplicaTestDb, insert_user};

/// The primary's connection that reports its writes' GTIDs, and its flavor.
fn primary(db: &ReplicaTestDb) -> (Conn, Flavor) {
    gtid::prepare_primary(db.primary_config().opts_builder())
        .expect("a GTID-tracking connection to the primary")
}

/// Saves one exchange for `user_id` on the primary; its GTID.
fn save(primary: &mut Conn, flavor: Flavor, user_id: u64, question: &str) -> Gtid {
    lesson8::save_exchange(primary, user_id, question, "an answer").expect("the exchange is saved");
    gtid::last_write(primary, flavor)
        .expect("the GTID can be read")
        .expect("the primary numbers its transactions")
}

fn questions(conn: &mut Conn, user_id: u64) -> Vec<String> {
    conn.exec(
        "SELECT content FROM conversations WHERE user_id = ? AND role = 'user' ORDER BY id",
        (user_id,),
    )
    .expect("the messages can be listed")
}

#[test]
fn a_write_reaches_the_replica_and_wait_for_says_when() {
    let Some(db) = ReplicaTestDb::or_skip() else {
        return;
    };
    let (mut primary, flavor) = primary(&db);
    let user_id = insert_user(&mut primary, "minji", "minji@example.com").expect("a user");
    let mut replica = db.replica_conn();

    let gtid = save(&mut primary, flavor, user_id, "Are you there yet?");
    let started = Instant::now();
    let applied = gtid::wait_for(&mut replica, flavor, &gtid, Duration::from_secs(3))
        .expect("the replica answers");
    let lag = started.elapsed();

    assert!(applied, "the replica did not apply {gtid} within 3 s");
    assert!(
        gtid::has_applied(&mut replica, flavor, &gtid).expect("the replica answers"),
        "wait_for said {gtid} was applied, has_applied says no"
    );
    let seen = questions(&mut replica, user_id);
    assert!(seen == ["Are you there yet?"], "the replica lists {seen:?}");
    eprintln!("lag seen: {flavor} replica applied the exchange {lag:?} after its commit");
}

#[test]
fn a_replica_that_replicates_says_so_and_a_paused_one_says_stopped() {
    let Some(db) = ReplicaTestDb::or_skip() else {
        return;
    };
    let mut replica = db.replica_conn();
    db.wait_replicated();
    let running = gtid::is_applying(&mut replica).expect("the replica answers");

    let mut hold = db.pause_replica();
    let paused = gtid::is_applying(hold.replica_conn()).expect("the replica answers");
    drop(hold);

    assert!(running == Some(true), "a running replica says {running:?}");
    assert!(paused == Some(false), "a paused replica says {paused:?}");
}

#[test]
fn a_user_who_wrote_nothing_reads_from_a_fresh_replica() {
    let Some(db) = ReplicaTestDb::or_skip() else {
        return;
    };
    let mut link = ReplicaLink::new(db.replica_config().opts());

    let route = route_read(&mut link, None, Duration::from_millis(200));

    assert!(route == Route::Replica, "got {route:?}");
}

#[test]
fn a_caught_up_replica_serves_the_writer_and_shows_the_write() {
    let Some(db) = ReplicaTestDb::or_skip() else {
        return;
    };
    let (mut primary, flavor) = primary(&db);
    let user_id = insert_user(&mut primary, "jun", "jun@example.com").expect("a user");
    let gtid = save(&mut primary, flavor, user_id, "Seen on the replica?");
    let mut link = ReplicaLink::new(db.replica_config().opts());

    let route = route_read(&mut link, Some(&gtid), Duration::from_secs(3));

    assert!(route == Route::Replica, "got {route:?}");
    let seen = questions(&mut db.replica_conn(), user_id);
    assert!(
        seen == ["Seen on the replica?"],
        "the replica lists {seen:?}"
    );
}

#[test]
fn a_replica_held_back_sends_the_writer_to_the_primary_then_serves_once_it_catches_up() {
    let Some(db) = ReplicaTestDb::or_skip() else {
        return;
    };
    let (mut primary, flavor) = primary(&db);
    let user_id = insert_user(&mut primary, "sua", "sua@example.com").expect("a user");
    // Shared's pause holds the lock that keeps other tests away and waits until the replica has
    // the user; replication then runs again, held back only by this test's lock on the replica.
    let mut pause = db.pause_replica();
    pause
        .replica_conn()
        .query_drop("START REPLICA SQL_THREAD")
        .expect("the course's user may restart the applier");
    let mut holder = db.replica_conn();
    let hold = hold_back_messages_of(&mut holder, user_id).expect("a shared lock on the replica");
    let gtid = save(&mut primary, flavor, user_id, "Lagging?");
    let mut link = ReplicaLink::new(db.replica_config().opts());

    let started = Instant::now();
    let behind = route_read(&mut link, Some(&gtid), Duration::from_millis(300));
    let waited = started.elapsed();
    let missing = questions(&mut db.replica_conn(), user_id);
    let on_primary = questions(&mut primary, user_id);
    drop(hold);
    let caught_up = route_read(&mut link, Some(&gtid), Duration::from_secs(3));
    let seen = questions(&mut db.replica_conn(), user_id);
    drop(pause);

    assert!(
        behind == Route::Primary(Fallback::TooFarBehind),
        "while the replica was held back (replication running), got {behind:?} after {waited:?}"
    );
    assert!(
        missing.is_empty(),
        "the held-back replica already lists {missing:?}"
    );
    assert!(
        on_primary == ["Lagging?"],
        "the primary lists {on_primary:?}"
    );
    assert!(
        caught_up == Route::Replica,
        "once released, got {caught_up:?}"
    );
    assert!(
        seen == ["Lagging?"],
        "after the wait, the replica lists {seen:?}"
    );
    eprintln!(
        "lag seen: {flavor} route_read gave up on a held-back replica after {waited:?} (max 300 ms)"
    );
}

#[test]
fn a_stopped_replica_sends_reads_to_the_primary_where_the_user_sees_their_writes() {
    let Some(db) = ReplicaTestDb::or_skip() else {
        return;
    };
    let (mut primary, flavor) = primary(&db);
    let user_id = insert_user(&mut primary, "doyun", "doyun@example.com").expect("a user");
    let stop = db.stop_replication();
    let gtid = save(&mut primary, flavor, user_id, "Anyone?");
    let mut link = ReplicaLink::new(db.replica_config().opts());

    let started = Instant::now();
    let route = route_read(&mut link, Some(&gtid), Duration::from_secs(2));
    let took = started.elapsed();
    let nobody = route_read(&mut link, None, Duration::from_secs(2));
    drop(stop);

    assert!(
        route == Route::Primary(Fallback::ReplicaStopped),
        "got {route:?}"
    );
    assert!(
        took < Duration::from_secs(2),
        "route_read waited {took:?} on a stopped replica"
    );
    assert!(
        nobody == Route::Primary(Fallback::ReplicaStopped),
        "got {nobody:?}"
    );
    let seen = questions(&mut primary, user_id);
    assert!(seen == ["Anyone?"], "the primary lists {seen:?}");
}

#[test]
fn an_unreachable_replica_sends_reads_to_the_primary() {
    let Some(db) = ReplicaTestDb::or_skip() else {
        return;
    };
    let mut link = ReplicaLink::new(db.replica_down_config().opts());

    let route = route_read(
        &mut link,
        Some(&Gtid::new("0-1-1")),
        Duration::from_millis(200),
    );

    assert!(
        route == Route::Primary(Fallback::ReplicaDown),
        "got {route:?}"
    );
}
