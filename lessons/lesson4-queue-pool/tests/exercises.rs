//! Checks Exercise 4 (the checkout `Pool::get_timeout` with its liveness check, and the guard's
//! `Drop`) against the real server, each test in its own database.
//! Run against your version with `cargo test -p lesson4 --features exercise`.
//!
//! The server's view of the pool comes from information_schema.PROCESSLIST, filtered by DB = the
//! test's database (other tests run at the same time, as the same user, in other databases).

mod common;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use common::{all_idle, kill};
use lesson4::{Pool, PoolError, PoolOptions};
use mysql::prelude::Queryable;
use shared::testing::TestDb;

/// Every checkout in these tests gives up after this, so a guard that never returns its connection
/// makes a test fail quickly instead of hanging.
const CHECKOUT_TIMEOUT: Duration = Duration::from_secs(2);

fn pool_of(db: &TestDb, max_size: usize, liveness_window: Duration) -> Pool {
    let options = PoolOptions {
        checkout_timeout: CHECKOUT_TIMEOUT,
        liveness_window,
        ..PoolOptions::new(max_size)
    };
    Pool::with_manager(lesson4::MysqlConnector::new(db.opts()), options).expect("the pool opens")
}

fn connection_id(conn: &mut impl Queryable) -> mysql::Result<u32> {
    Ok(conn
        .query_first("SELECT CONNECTION_ID()")?
        .expect("one row"))
}

#[test]
fn the_pool_never_holds_more_than_max_size_connections_on_the_server() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let pool = pool_of(&db, 4, Duration::from_millis(500));
    let mut watcher = db.conn();
    // Let the server's list settle first: each new mysql::Conn on localhost connects over TCP, then
    // moves to the Unix socket (prefer_socket), and the TCP session lingers in the list for a moment.
    assert_eq!(
        db.wait_for_sessions(&mut watcher, |ids| ids.len() == 4)
            .len(),
        4
    );

    let workers: Vec<_> = (0..8)
        .map(|_| {
            let pool = pool.clone();
            thread::spawn(move || -> mysql::Result<()> {
                for _ in 0..50 {
                    let mut conn = pool.get().expect("a checkout within the deadline");
                    conn.query_drop("DO SLEEP(0.001)")?;
                }
                Ok(())
            })
        })
        .collect();
    let mut most_seen = 0;
    // Sample the server's view while the workers run (they finish within seconds: each checkout has a deadline).
    while workers.iter().any(|w| !w.is_finished()) {
        most_seen = most_seen.max(db.session_ids(&mut watcher).len());
        thread::sleep(Duration::from_millis(5));
    }
    for worker in workers {
        worker.join().expect("no worker panicked")?;
    }
    most_seen = most_seen.max(db.session_ids(&mut watcher).len());

    assert!(
        most_seen <= 4,
        "the server saw {most_seen} connections of a pool of 4"
    );
    assert_eq!(
        db.wait_for_sessions(&mut watcher, |ids| ids.len() == 4)
            .len(),
        4
    );
    assert_eq!(pool.state(), all_idle(4));
    Ok(())
}

#[test]
fn sixteen_threads_doing_200_operations_each_on_4_connections_all_succeed_without_sharing_one()
-> anyhow::Result<()> {
    let db = TestDb::new()?;
    let pool = pool_of(&db, 4, Duration::from_millis(500));
    // The connection ids currently lent out: a second thread holding the same one would find it here.
    let lent: Arc<Mutex<HashSet<u32>>> = Arc::default();

    let workers: Vec<_> = (0..16)
        .map(|_| {
            let (pool, lent) = (pool.clone(), Arc::clone(&lent));
            thread::spawn(move || -> anyhow::Result<(usize, HashSet<u32>)> {
                let (mut done, mut used) = (0, HashSet::new());
                for _ in 0..200 {
                    let mut conn = pool.get()?;
                    let id = conn.connection_id();
                    assert!(
                        lent.lock().unwrap().insert(id),
                        "connection {id} was lent to two threads at once"
                    );
                    let on_server = connection_id(&mut conn)?;
                    assert_eq!(
                        on_server, id,
                        "the guard's connection is the one the server answered on"
                    );
                    lent.lock().unwrap().remove(&id);
                    drop(conn);
                    used.insert(id);
                    done += 1;
                }
                Ok((done, used))
            })
        })
        .collect();
    let mut total = 0;
    let mut used = HashSet::new();
    for worker in workers {
        let (done, ids) = worker.join().expect("no worker panicked")?;
        total += done;
        used.extend(ids);
    }

    assert_eq!(total, 16 * 200);
    assert!(
        used.len() <= 4,
        "{} distinct connections for a pool of 4: {used:?}",
        used.len()
    );
    assert_eq!(pool.state(), all_idle(4));
    Ok(())
}

#[test]
fn a_killed_idle_connection_is_replaced_on_checkout_and_the_caller_sees_no_error()
-> anyhow::Result<()> {
    let db = TestDb::new()?;
    let window = Duration::from_millis(100);
    let pool = pool_of(&db, 2, window);
    let mut watcher = db.conn();
    let before = db.wait_for_sessions(&mut watcher, |ids| ids.len() == 2);
    assert_eq!(before.len(), 2);
    let victim = before[0];

    kill(&mut watcher, victim)?;
    db.wait_for_sessions(&mut watcher, |ids| !ids.contains(&victim));
    // Past the liveness window, the pool pings before lending: this is the case the ping is for.
    thread::sleep(window * 2);

    let mut ids_now = HashSet::new();
    for _ in 0..4 {
        let mut conn = pool.get()?;
        ids_now.insert(connection_id(&mut conn)?); // an error here would be the caller seeing the dead connection
    }

    assert!(
        !ids_now.contains(&victim),
        "the killed connection {victim} was lent out"
    );
    assert_eq!(ids_now.len(), 2, "{ids_now:?}");
    assert_eq!(pool.state(), all_idle(2));
    Ok(())
}

#[test]
fn after_every_connection_is_killed_the_pool_recovers() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let window = Duration::from_millis(100);
    let pool = pool_of(&db, 3, window);
    let mut watcher = db.conn();
    let before = db.wait_for_sessions(&mut watcher, |ids| ids.len() == 3);
    assert_eq!(before.len(), 3);

    for id in &before {
        kill(&mut watcher, *id)?;
    }
    db.wait_for_sessions(&mut watcher, |ids| ids.is_empty());
    thread::sleep(window * 2);
    let held: Vec<_> = (0..3).map(|_| pool.get()).collect::<Result<_, _>>()?;
    let mut fresh = Vec::new();
    for mut conn in held {
        fresh.push(connection_id(&mut conn)?);
    }

    assert!(
        fresh.iter().all(|id| !before.contains(id)),
        "before {before:?}, after {fresh:?}"
    );
    let on_server = db.wait_for_sessions(&mut watcher, |ids| ids.len() == 3);
    fresh.sort();
    assert_eq!(on_server, fresh);
    Ok(())
}

#[test]
fn a_connection_killed_within_the_window_fails_once_and_is_never_lent_again() -> anyhow::Result<()>
{
    let db = TestDb::new()?;
    // A window far longer than the test: the pool trusts the connection and does not ping it.
    let pool = pool_of(&db, 1, Duration::from_secs(600));
    let mut watcher = db.conn();
    let victim = connection_id(&mut pool.get()?)?;
    kill(&mut watcher, victim)?;
    db.wait_for_sessions(&mut watcher, |ids| !ids.contains(&victim));

    // The price of skipping the ping: this caller meets the dead connection...
    let mut conn = pool.get()?;
    let err = connection_id(&mut conn).unwrap_err();
    assert!(lesson4::is_connection_lost(&err), "{err:?}");
    assert!(conn.is_broken(), "the guard noticed the lost connection");
    drop(conn);
    // ...and the guard closed it, so the next caller gets a new one.
    let mut next = pool.get()?;
    let next_id = connection_id(&mut next)?;

    assert_ne!(next_id, victim);
    drop(next);
    assert_eq!(pool.state(), all_idle(1));
    Ok(())
}

#[test]
fn a_thousand_operations_that_fail_or_panic_leave_the_pool_at_full_size() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let pool = pool_of(&db, 4, Duration::from_millis(500));
    let mut watcher = db.conn();

    let mut sql_errors = 0;
    let mut panics = 0;
    for i in 0..1000 {
        if i % 2 == 0 {
            // The lecture's leak: an exception between get_conn and release_connection.
            let result = (|| -> mysql::Result<()> {
                let mut conn = pool.get().expect("a checkout within the deadline");
                conn.query_drop("SELECT * FROM no_such_table")?;
                unreachable!("the table does not exist");
            })();
            sql_errors += usize::from(matches!(result, Err(mysql::Error::MySqlError(_))));
        } else {
            let result = std::panic::catch_unwind(|| {
                let _conn = pool.get().expect("a checkout within the deadline");
                // resume_unwind panics without printing a message for each of the 500.
                std::panic::resume_unwind(Box::new("the request handler crashed"));
            });
            panics += usize::from(result.is_err());
        }
    }

    assert_eq!((sql_errors, panics), (500, 500));
    assert_eq!(pool.state(), all_idle(4));
    let all_four: Vec<_> = (0..4)
        .map(|_| pool.get_timeout(Duration::from_millis(500)))
        .collect();
    assert!(all_four.iter().all(Result::is_ok), "{all_four:?}");
    assert_eq!(
        db.wait_for_sessions(&mut watcher, |ids| ids.len() == 4)
            .len(),
        4
    );
    Ok(())
}

#[test]
fn an_exhausted_pool_returns_pool_timeout_within_the_deadline() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let pool = pool_of(&db, 2, Duration::from_millis(500));
    let _held = (pool.get()?, pool.get()?);
    let deadline = Duration::from_millis(300);

    let started = Instant::now();
    let result = pool.get_timeout(deadline);
    let elapsed = started.elapsed();

    match result {
        Err(PoolError::Timeout { waited }) => assert!(waited >= deadline, "waited only {waited:?}"),
        other => panic!("expected PoolError::Timeout, got {other:?}"),
    }
    assert!(
        elapsed < deadline + Duration::from_secs(1),
        "took {elapsed:?}"
    );
    Ok(())
}

#[test]
fn a_waiting_checkout_gets_the_connection_that_comes_back() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let pool = pool_of(&db, 1, Duration::from_millis(500));
    let held = pool.get()?;
    let held_id = held.connection_id();
    let long_deadline = Duration::from_secs(5);

    let waiter = {
        let pool = pool.clone();
        thread::spawn(move || {
            let started = Instant::now();
            let conn = pool.get_timeout(long_deadline);
            (conn.map(|c| c.connection_id()), started.elapsed())
        })
    };
    thread::sleep(Duration::from_millis(100)); // let the waiter start waiting
    drop(held);
    let (got, waited) = waiter.join().expect("the waiter did not panic");

    assert_eq!(got?, held_id);
    assert!(
        waited < long_deadline,
        "woke only at the deadline ({waited:?})"
    );
    Ok(())
}

#[test]
fn after_close_all_the_server_no_longer_sees_the_idle_connections_and_checkout_is_refused()
-> anyhow::Result<()> {
    let db = TestDb::new()?;
    let pool = pool_of(&db, 3, Duration::from_millis(500));
    let mut watcher = db.conn();
    drop(pool.get()?); // the pool has lent and taken back a connection before
    assert_eq!(
        db.wait_for_sessions(&mut watcher, |ids| ids.len() == 3)
            .len(),
        3
    );

    pool.close_all();
    let left = db.wait_for_sessions(&mut watcher, |ids| ids.is_empty());

    assert_eq!(left, Vec::<u32>::new());
    assert!(matches!(pool.get(), Err(PoolError::Closed)));
    assert_eq!(pool.state(), all_idle(0));
    Ok(())
}

#[test]
fn a_connection_lent_out_during_close_all_is_closed_when_its_guard_drops() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let pool = pool_of(&db, 2, Duration::from_millis(500));
    let mut watcher = db.conn();
    let mut lent = pool.get()?;
    let lent_id = connection_id(&mut lent)?;

    pool.close_all();
    let while_lent = db.wait_for_sessions(&mut watcher, |ids| ids.len() == 1);
    drop(lent);
    let after_drop = db.wait_for_sessions(&mut watcher, |ids| ids.is_empty());

    assert_eq!(while_lent, vec![lent_id]);
    assert_eq!(after_drop, Vec::<u32>::new());
    assert_eq!(pool.state(), all_idle(0));
    Ok(())
}
