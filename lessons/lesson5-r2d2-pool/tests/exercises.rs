//! Checks Exercise 5 (`build_pool` and `checkout`) against the real server, each test in its own
//! database: the same fault tests as lesson 4, where r2d2 exposes them.
//! Run against your version with `cargo test -p lesson5 --features exercise`.
//!
//! Careful in tests: `{:?}` of an r2d2 pool (also inside `unwrap_err()` on a `Result<MysqlPool, _>`)
//! prints the manager's Opts, password included. Match on the result instead.

mod common;

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use common::{connection_id, kill, small_pool, wait_for_count};
use lesson5::{PoolError, PoolSettings, build_pool, checkout};
use mysql::prelude::Queryable;
use shared::testing::TestDb;

/// A port on this machine where nothing listens: a stopped server, as far as a client can tell.
fn a_port_with_no_server() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address").port()
    // the listener closes here, so connecting to the port is refused
}

#[test]
fn build_pool_opens_max_size_connections_when_min_idle_is_none() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let mut watcher = db.conn();

    let pool = small_pool(&db, 3);

    let state = pool.state();
    assert_eq!((state.connections, state.idle_connections), (3, 3));
    assert_eq!(wait_for_count(&mut watcher, &db, 3), 3);
    Ok(())
}

#[test]
fn build_pool_gives_r2d2_every_setting() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    // None of these is r2d2's default or PoolSettings::default(), so a forgotten builder call shows.
    let settings = PoolSettings {
        max_size: 3,
        min_idle: Some(2),
        connection_timeout: Duration::from_millis(1500),
        test_on_check_out: false,
        idle_timeout: Some(Duration::from_secs(90)),
        max_lifetime: None,
    };

    let pool = common::pool_with(&db, settings);

    let applied = PoolSettings {
        max_size: pool.max_size(),
        min_idle: pool.min_idle(),
        connection_timeout: pool.connection_timeout(),
        test_on_check_out: pool.test_on_check_out(),
        idle_timeout: pool.idle_timeout(),
        max_lifetime: pool.max_lifetime(),
    };
    assert_eq!(applied, settings);
    Ok(())
}

#[test]
fn with_min_idle_the_pool_starts_small_and_grows_to_max_size_but_no_further() -> anyhow::Result<()>
{
    let db = TestDb::new()?;
    let mut watcher = db.conn();
    let settings = PoolSettings {
        max_size: 3,
        min_idle: Some(1),
        ..PoolSettings::default()
    };

    let pool = build_pool(db.config(), &settings).map_err(|e| anyhow::anyhow!("{e}"))?;
    let at_start = db.wait_for_sessions(&mut watcher, |ids| ids.len() == 1);
    let busy: Vec<_> = (0..3)
        .map(|_| checkout(&pool, Duration::from_secs(2)))
        .collect::<Result<_, _>>()?;
    // (polled: a new connection's TCP session, left for the Unix socket, lingers in the list a moment)
    let when_busy = db.wait_for_sessions(&mut watcher, |ids| ids.len() == 3);
    let one_more = checkout(&pool, Duration::from_millis(200));

    assert_eq!(at_start.len(), 1);
    assert_eq!(when_busy.len(), 3);
    assert!(
        matches!(one_more, Err(PoolError::Timeout { .. })),
        "a 4th connection was lent"
    );
    drop(busy);
    Ok(())
}

#[test]
fn a_stopped_server_fails_build_within_connection_timeout() -> anyhow::Result<()> {
    let mut config = shared::Config::from_env()?;
    config.port = a_port_with_no_server();
    let settings = PoolSettings {
        connection_timeout: Duration::from_millis(500),
        ..PoolSettings::default()
    };

    let started = Instant::now();
    let result = build_pool(&config, &settings);
    let elapsed = started.elapsed();

    assert!(
        matches!(result, Err(PoolError::Build(_))),
        "{:?}",
        result.err()
    );
    assert!(
        elapsed < Duration::from_millis(500) + Duration::from_secs(2),
        "took {elapsed:?}"
    );
    Ok(())
}

#[test]
fn a_wrong_password_fails_build_with_the_servers_reason_and_without_the_password()
-> anyhow::Result<()> {
    let db = TestDb::new()?;
    let mut config = db.config().clone();
    config.password = "not-the-password-4711".into();
    let settings = PoolSettings {
        connection_timeout: Duration::from_millis(500),
        ..PoolSettings::default()
    };

    // Not expect_err: on an Ok it would print the pool with {:?}, password included.
    let Err(err) = build_pool(&config, &settings) else {
        panic!("the server accepted a wrong password");
    };

    let message = err.to_string();
    assert!(matches!(err, PoolError::Build(_)), "{err:?}");
    assert!(
        message.contains("1045") || message.contains("Access denied"),
        "{message}"
    );
    assert!(!message.contains("not-the-password-4711"), "{message}");
    Ok(())
}

#[test]
fn settings_r2d2_would_panic_on_are_an_error() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let zero = PoolSettings {
        max_size: 0,
        ..PoolSettings::default()
    };
    let min_above_max = PoolSettings {
        max_size: 2,
        min_idle: Some(3),
        ..PoolSettings::default()
    };

    let results = [
        build_pool(db.config(), &zero),
        build_pool(db.config(), &min_above_max),
    ];

    for result in results {
        assert!(
            matches!(result, Err(PoolError::InvalidSettings(_))),
            "{:?}",
            result.err()
        );
    }
    Ok(())
}

#[test]
fn an_exhausted_pool_returns_pool_timeout_within_the_deadline() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let pool = small_pool(&db, 2);
    let _held = (
        checkout(&pool, Duration::from_secs(2))?,
        checkout(&pool, Duration::from_secs(2))?,
    );
    let deadline = Duration::from_millis(300);

    let started = Instant::now();
    let result = checkout(&pool, deadline);
    let elapsed = started.elapsed();

    match result {
        Err(PoolError::Timeout { waited, .. }) => {
            assert!(waited >= deadline, "waited only {waited:?}")
        }
        Err(other) => panic!("expected PoolError::Timeout, got {other:?}"),
        Ok(_) => panic!("expected PoolError::Timeout, got a third connection from a pool of 2"),
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
    let pool = small_pool(&db, 1);
    let held = checkout(&pool, Duration::from_secs(2))?;
    let held_id = held.connection_id();
    let long_deadline = Duration::from_secs(5);

    let waiter = {
        let pool = pool.clone();
        thread::spawn(move || {
            let started = Instant::now();
            let id = checkout(&pool, long_deadline).map(|c| c.connection_id());
            (id, started.elapsed())
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
fn sixteen_threads_doing_200_operations_each_on_4_connections_all_succeed_without_sharing_one()
-> anyhow::Result<()> {
    let db = TestDb::new()?;
    let pool = small_pool(&db, 4);
    let mut watcher = db.conn();
    // Let the server's list settle first: each new mysql::Conn on localhost connects over TCP, then
    // moves to the Unix socket (prefer_socket), and the TCP session lingers in the list for a moment.
    assert_eq!(wait_for_count(&mut watcher, &db, 4), 4);
    let lent: Arc<Mutex<HashSet<u32>>> = Arc::default();

    let workers: Vec<_> = (0..16)
        .map(|_| {
            let (pool, lent) = (pool.clone(), Arc::clone(&lent));
            thread::spawn(move || -> anyhow::Result<(usize, HashSet<u32>)> {
                let (mut done, mut used) = (0, HashSet::new());
                for _ in 0..200 {
                    let mut conn = checkout(&pool, Duration::from_secs(2))?;
                    let id = conn.connection_id();
                    assert!(
                        lent.lock().unwrap().insert(id),
                        "connection {id} was lent to two threads at once"
                    );
                    assert_eq!(connection_id(&mut conn)?, id);
                    lent.lock().unwrap().remove(&id);
                    drop(conn);
                    used.insert(id);
                    done += 1;
                }
                Ok((done, used))
            })
        })
        .collect();
    let mut most_on_server = 0;
    while workers.iter().any(|w| !w.is_finished()) {
        most_on_server = most_on_server.max(db.session_ids(&mut watcher).len());
        thread::sleep(Duration::from_millis(5));
    }
    let (mut total, mut used) = (0, HashSet::new());
    for worker in workers {
        let (done, ids) = worker.join().expect("no worker panicked")?;
        total += done;
        used.extend(ids);
    }

    assert_eq!(total, 16 * 200);
    assert!(
        used.len() <= 4,
        "{} distinct connections for a pool of 4",
        used.len()
    );
    assert!(
        most_on_server <= 4,
        "the server saw {most_on_server} connections of a pool of 4"
    );
    Ok(())
}

#[test]
fn a_killed_idle_connection_is_replaced_on_checkout_and_the_caller_sees_no_error()
-> anyhow::Result<()> {
    let db = TestDb::new()?;
    let pool = small_pool(&db, 2);
    let mut watcher = db.conn();
    // r2d2 lends the connection given back last: find out which one that is, then kill it.
    let mut first = checkout(&pool, Duration::from_secs(2))?;
    let victim = connection_id(&mut first)?;
    drop(first);

    kill(&mut watcher, victim)?;
    db.wait_for_sessions(&mut watcher, |ids| !ids.contains(&victim));
    let mut ids_now = HashSet::new();
    for _ in 0..4 {
        let mut conn = checkout(&pool, Duration::from_secs(2))?;
        ids_now.insert(connection_id(&mut conn)?); // an error here would be the caller seeing the dead one
    }

    assert!(
        !ids_now.contains(&victim),
        "the killed connection {victim} was lent out"
    );
    Ok(())
}

#[test]
fn after_every_connection_is_killed_the_pool_recovers() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let pool = small_pool(&db, 3);
    let mut watcher = db.conn();
    let before = db.wait_for_sessions(&mut watcher, |ids| ids.len() == 3);
    assert_eq!(before.len(), 3);

    for id in &before {
        kill(&mut watcher, *id)?;
    }
    db.wait_for_sessions(&mut watcher, |ids| ids.is_empty());
    // Each checkout pings, drops the dead ones, and waits for r2d2 to open new ones in the background.
    let held: Vec<_> = (0..3)
        .map(|_| checkout(&pool, Duration::from_secs(2)))
        .collect::<Result<_, _>>()?;
    let mut fresh = Vec::new();
    for mut conn in held {
        fresh.push(connection_id(&mut conn)?);
    }

    assert!(
        fresh.iter().all(|id| !before.contains(id)),
        "before {before:?}, after {fresh:?}"
    );
    assert_eq!(HashSet::<u32>::from_iter(fresh).len(), 3);
    Ok(())
}

#[test]
fn a_thousand_operations_that_fail_or_panic_leave_the_pool_at_full_size() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let pool = small_pool(&db, 4);
    let mut watcher = db.conn();

    let (mut sql_errors, mut panics) = (0, 0);
    for i in 0..1000 {
        if i % 2 == 0 {
            let result = (|| -> anyhow::Result<()> {
                let mut conn = checkout(&pool, Duration::from_secs(2))?;
                conn.query_drop("SELECT * FROM no_such_table")?;
                unreachable!("the table does not exist");
            })();
            sql_errors += usize::from(result.is_err_and(|e| e.is::<mysql::Error>()));
        } else {
            // AssertUnwindSafe: the pool is made for use after a panic (that is what this test checks).
            let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                let _conn = checkout(&pool, Duration::from_secs(2)).expect("a connection");
                // resume_unwind panics without printing a message for each of the 500.
                std::panic::resume_unwind(Box::new("the request handler crashed"));
            }));
            panics += usize::from(result.is_err());
        }
    }

    assert_eq!((sql_errors, panics), (500, 500));
    let state = pool.state();
    assert_eq!((state.connections, state.idle_connections), (4, 4));
    let all_four: Vec<_> = (0..4)
        .map(|_| checkout(&pool, Duration::from_millis(500)))
        .collect();
    assert!(
        all_four.iter().all(Result::is_ok),
        "not all 4 connections could be lent at once"
    );
    assert_eq!(wait_for_count(&mut watcher, &db, 4), 4);
    Ok(())
}
