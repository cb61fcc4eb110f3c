//! Checks Exercise 4, one module per step: `step_a` the guard's `Drop`, `step_b` the checkout with
//! its deadline, `step_c` the ping and reconnect. Most tests use a fake connection type, so that
//! they can count exactly (which connection comes out, how many opened, closed, pinged); the others
//! use the real server, each in its own database.
//! Run with `cargo test -p lesson4 --features exercise --test suite exercises::step_a` (or `step_b`, `step_c`).

use std::time::Duration;

use crate::common::{HANG, all_idle, fake_pool, watchdog};
use lesson4::{Pool, PoolOptions};
use shared::testing::TestDb;

/// Every checkout on the real server gives up after this, so a connection that never comes back
/// makes a test fail quickly instead of hanging.
const CHECKOUT_TIMEOUT: Duration = Duration::from_secs(2);

fn real_pool(db: &TestDb, max_size: usize, liveness_window: Duration) -> Pool {
    let options = PoolOptions {
        checkout_timeout: CHECKOUT_TIMEOUT,
        liveness_window,
        ..PoolOptions::new(max_size)
    };
    Pool::with_manager(lesson4::MysqlConnector::new(db.opts()), options).expect("the pool opens")
}

/// Step 4a: the guard's `Drop` gives the connection back.
mod step_a {
    use super::*;
    use crate::common::{TRUST, checkout_id};
    use mysql::prelude::Queryable;

    #[test]
    fn a_dropped_guard_puts_its_connection_at_the_end_of_the_queue() {
        watchdog(HANG, || {
            let (pool, _server) = fake_pool(3, TRUST);

            let order: Vec<u32> = (0..7).map(|_| checkout_id(&pool)).collect();

            assert!(
                order == [1, 2, 3, 1, 2, 3, 1],
                "connections were lent in the order {order:?}; expected [1, 2, 3, 1, 2, 3, 1]: \
                 does Drop put the connection back at the END of the queue (push_back)?"
            );
            assert!(
                pool.state() == all_idle(3),
                "after every guard was dropped the pool reports {:?}; expected all 3 idle",
                pool.state()
            );
        });
    }

    #[test]
    fn a_thousand_operations_that_fail_or_panic_leave_the_pool_at_full_size() -> anyhow::Result<()>
    {
        watchdog(HANG, || {
            let db = TestDb::new()?;
            let pool = real_pool(&db, 4, Duration::from_millis(500));
            let (mut sql_errors, mut panics) = (0, 0);
            for i in 0..1000 {
                if i % 2 == 0 {
                    // The lecture's leak: an exception between get_conn and release_connection.
                    let result = (|| -> anyhow::Result<()> {
                        let mut conn = pool.get()?;
                        conn.query_drop("SELECT * FROM no_such_table")?;
                        unreachable!("the table does not exist");
                    })();
                    let err = result.expect_err("the table does not exist");
                    assert!(
                        err.is::<mysql::Error>(),
                        "call {i}: expected the SQL error, got `{err}`: after {i} calls, did \
                         every dropped guard give its connection back?"
                    );
                    sql_errors += 1;
                } else {
                    let result = std::panic::catch_unwind(|| {
                        let _conn = pool.get().expect("a connection");
                        // resume_unwind panics without printing a message for each of the 500.
                        std::panic::resume_unwind(Box::new("the request handler crashed"));
                    });
                    panics += usize::from(result.is_err());
                }
            }
            assert!((sql_errors, panics) == (500, 500));
            assert!(
                pool.state() == all_idle(4),
                "after 500 errors and 500 panics the pool reports {:?}; expected all 4 idle: \
                 Drop runs on every path, so it must give the connection back on every path",
                pool.state()
            );
            Ok(())
        })
    }

    #[test]
    fn a_broken_connection_is_closed_on_return_outside_the_lock_and_its_slot_freed() {
        watchdog(HANG, || {
            let (pool, server) = fake_pool(2, TRUST);
            let mut conn = pool.get().expect("a connection");

            conn.mark_broken();
            // Closing takes a while on this server: meanwhile another checkout must go on.
            crate::common::other_checkouts_are_not_held_up_by(&pool, &server, "close", move || {
                drop(conn)
            });

            assert!(
                server.closed() == 1,
                "{} connections were closed; expected the broken one",
                server.closed()
            );
            let state = pool.state();
            assert!(
                state.connections == 1 && state.idle_connections == 1,
                "after a broken connection came back the pool reports {state:?}; expected 1 \
                 connection, idle: a broken one is closed, not queued, and its slot (`open`) freed"
            );
        });
    }

    #[test]
    fn a_connection_whose_use_the_pool_did_not_see_end_is_pinged_before_its_next_use() {
        watchdog(HANG, || {
            let (pool, server) = fake_pool(1, TRUST);
            // A use that ended in a panic, and one through the bare connection (`&mut *conn`): the
            // pool cannot know the state either left, even inside the liveness window.
            let lender = pool.clone();
            let panicked = std::thread::spawn(move || {
                let _conn = lender.get().expect("a connection");
                std::panic::resume_unwind(Box::new("a handler crashed (this panic is the test's)"));
            })
            .join();
            let after_panic = pool.get().map(|_| server.pings());
            let mut conn = pool.get().expect("a connection");
            let _bare: &mut crate::common::FakeConn = &mut conn;
            drop(conn);
            let after_bare = pool.get().map(|_| server.pings());

            assert!(panicked.is_err(), "the test's own thread did not panic");
            assert!(
                matches!((&after_panic, &after_bare), (Ok(1), Ok(2))),
                "pings after a use that panicked, then after a use of the bare connection: \
                 {after_panic:?}, {after_bare:?}; expected 1 then 2: a connection given back \
                 without the pool seeing its use end must be queued as not clean (the guard knows: \
                 `idle_entry`), so that it is pinged before anyone uses it again"
            );
        });
    }

    #[test]
    fn a_connection_given_back_after_close_all_is_closed_instead_of_queued() {
        watchdog(HANG, || {
            let (pool, server) = fake_pool(2, TRUST);
            let lent = pool.get().expect("a connection");

            pool.close_all();
            drop(lent);

            assert!(
                server.closed() == 2,
                "{} of 2 connections were closed; expected both",
                server.closed()
            );
            assert!(
                pool.state() == all_idle(0),
                "after close_all and the last return the pool reports {:?}; expected no \
                 connections: once the pool is closed, Drop closes the connection and frees its slot",
                pool.state()
            );
        });
    }
}

/// Step 4b: the checkout, with a deadline.
mod step_b {
    use super::*;
    use crate::common::{FakeConn, FakeManager, TRUST, connection_id};
    use lesson4::PoolError;
    use std::collections::HashSet;
    use std::sync::atomic::Ordering;
    use std::sync::{Arc, Barrier, Mutex};
    use std::thread::{self, JoinHandle};
    use std::time::Instant;

    /// A thread that asks `pool` for a connection, waiting at most `deadline`: it returns the id
    /// of the connection it got (or the error) and how long it waited.
    fn spawn_waiter(
        pool: &Pool<FakeManager>,
        deadline: Duration,
    ) -> JoinHandle<(Result<u32, PoolError>, Duration)> {
        let pool = pool.clone();
        thread::spawn(move || {
            let started = Instant::now();
            let got = pool.get_timeout(deadline).map(|conn| conn.id);
            (got, started.elapsed())
        })
    }

    /// How long a checkout that should have timed out waited. `result` holds the id of the
    /// connection lent, if one was.
    fn expect_timeout(result: Result<u32, PoolError>) -> Duration {
        match result {
            Err(PoolError::Timeout { waited }) => waited,
            Err(other) => panic!("expected PoolError::Timeout, got the error `{other}`"),
            Ok(id) => panic!(
                "expected PoolError::Timeout, got connection {id}: was a connection lent twice, or \
                 one opened beyond max_size?"
            ),
        }
    }

    #[test]
    fn opening_a_connection_never_holds_up_a_connection_coming_back() {
        watchdog(HANG, || {
            let (pool, server) = fake_pool(2, TRUST);
            let (mut broken, held) = (pool.get().expect("a"), pool.get().expect("b"));
            broken.mark_broken();
            drop(broken); // its slot is free, and nothing is idle: the next checkout opens one

            server.slow.store(true, Ordering::SeqCst);
            let opener = pool.clone();
            let worker = thread::spawn(move || drop(opener.get()));
            assert!(
                server.wait_for_slow_work(),
                "the checkout never opened a connection"
            );
            drop(held); // Drop needs the lock
            let back_while_opening = server.slow_ended.load(Ordering::SeqCst) == 0;
            server.release();
            worker.join().expect("the opening thread");

            assert!(
                back_while_opening,
                "giving a connection back waited until another thread had opened a new one: the \
                 pool opened it while holding its lock (reserve the slot, unlock, then connect)"
            );
        });
    }

    #[test]
    fn an_exhausted_pool_waits_until_the_deadline_then_returns_timeout() {
        watchdog(HANG, || {
            let (pool, _server) = fake_pool(1, TRUST);
            // No time to wait is no reason to refuse a connection that is there.
            let held = pool.get_timeout(Duration::ZERO);
            assert!(
                held.is_ok(),
                "get_timeout(0) on a pool with an idle connection returned {:?}; expected the \
                 connection: the deadline only limits how long to WAIT, so look in the queue (and \
                 for a free slot) before looking at the clock",
                held.as_ref().err()
            );
            let deadline = Duration::from_millis(300);

            let waited = expect_timeout(pool.get_timeout(deadline).map(|conn| conn.id));

            assert!(
                waited >= deadline,
                "the checkout gave up after {waited:?}, before its deadline of {deadline:?}: \
                 while every connection is lent out, it must wait for one to come back"
            );
        });
    }

    #[test]
    fn a_waiting_checkout_gets_the_connection_that_comes_back() {
        watchdog(HANG, || {
            let (pool, _server) = fake_pool(1, TRUST);
            let held = pool.get().expect("a connection");
            let long_deadline = Duration::from_secs(5);
            let waiter = spawn_waiter(&pool, long_deadline);
            thread::sleep(Duration::from_millis(100)); // let the waiter start waiting
            drop(held);
            let (got, waited) = waiter.join().expect("the waiter did not panic");

            assert!(
                matches!(got, Ok(1)),
                "the waiter got {got:?}; expected connection 1, given back while it waited"
            );
            assert!(
                waited < long_deadline,
                "the waiter got the connection only at its deadline, after {waited:?}: does Drop \
                 wake a waiting checkout (notify) after putting the connection back?"
            );
        });
    }

    #[test]
    fn the_deadline_counts_from_the_call_not_again_from_each_wakeup() {
        watchdog(HANG, || {
            let (pool, _server) = fake_pool(1, TRUST);
            let _held = pool.get().expect("a connection");
            let deadline = Duration::from_secs(1);
            let waiter = spawn_waiter(&pool, deadline);
            // Every 100 ms until shortly before the deadline, wake the waiter with no connection
            // for it, as a spurious wakeup (or a faster thread taking the connection) would.
            let mut wakeups = 0;
            while wakeups < 9 {
                thread::sleep(deadline / 10);
                pool.wake_waiting_checkouts();
                wakeups += 1;
            }
            let (got, _) = waiter.join().expect("the waiter did not panic");
            let waited = expect_timeout(got);

            assert!(
                waited >= deadline,
                "the waiter gave up after {waited:?}, before its deadline of {deadline:?}, when \
                 woken with no connection for it: a wakeup does not promise a connection (another \
                 thread may take it first, or the wait returns spuriously). Check again, in a \
                 loop, until the deadline"
            );
            assert!(
                waited < deadline * 3 / 2,
                "a checkout with a deadline of {deadline:?} waited {waited:?}, after {wakeups} \
                 wakeups with no connection for it, the last one shortly before the deadline: \
                 after each wakeup, wait only for what REMAINS of the deadline, not the whole \
                 timeout again"
            );
        });
    }

    #[test]
    fn a_checkout_opens_a_new_connection_in_a_slot_freed_by_a_broken_one() {
        watchdog(HANG, || {
            let (pool, server) = fake_pool(2, TRUST);
            let mut broken = pool.get().expect("a connection");
            broken.mark_broken();
            drop(broken);

            let (first, second) = (pool.get(), pool.get());
            let ids = [&first, &second].map(|got| got.as_ref().map(|conn| conn.id).ok());

            assert!(
                ids == [Some(2), Some(3)],
                "two checkouts got {ids:?} ({:?}, {:?}); expected the idle connection 2, then a \
                 new connection 3 opened in the slot the broken one freed (open < max_size)",
                first.as_ref().err(),
                second.as_ref().err()
            );
            assert!(
                server.opened() == 3,
                "{} connections opened; expected 3",
                server.opened()
            );
        });
    }

    #[test]
    fn a_waiting_checkout_opens_a_connection_when_a_broken_one_frees_its_slot() {
        watchdog(HANG, || {
            let (pool, _server) = fake_pool(1, TRUST);
            let mut held = pool.get().expect("a connection");
            let long_deadline = Duration::from_secs(5);
            let waiter = spawn_waiter(&pool, long_deadline);
            thread::sleep(Duration::from_millis(100)); // let the waiter start waiting
            held.mark_broken();
            drop(held);
            let (got, waited) = waiter.join().expect("the waiter did not panic");

            assert!(
                matches!(got, Ok(2)),
                "the waiter got {got:?}; expected a new connection 2, opened in the slot the \
                 broken one freed"
            );
            assert!(
                waited < long_deadline,
                "the waiter got its connection only at its deadline, after {waited:?}: when Drop \
                 closes a broken connection and frees its slot, it must wake a waiting checkout too"
            );
        });
    }

    #[test]
    fn checkouts_racing_for_free_slots_never_open_more_than_max_size() {
        watchdog(HANG, || {
            let (pool, server) = fake_pool(2, TRUST);
            for _ in 0..2 {
                let mut conn = pool.get().expect("a connection");
                conn.mark_broken();
                drop(conn); // both slots free, no idle connection
            }
            // Slow connects, so that a slot counted only after connecting is taken twice.
            server.connect_millis.store(30, Ordering::SeqCst);
            let start = Arc::new(Barrier::new(6));
            let racers: Vec<_> = (0..6)
                .map(|_| {
                    let (pool, start) = (pool.clone(), Arc::clone(&start));
                    thread::spawn(move || {
                        start.wait();
                        let conn = pool.get_timeout(Duration::from_secs(5));
                        thread::sleep(Duration::from_millis(50));
                        conn.is_ok()
                    })
                })
                .collect();
            let served = racers
                .into_iter()
                .map(|racer| racer.join().expect("no racer panicked"))
                .filter(|&ok| ok)
                .count();

            assert!(
                server.most_open() <= 2,
                "{} connections were open at once in a pool of 2: is the slot counted \
                 (`open += 1`) before the lock is released, so that no other thread takes it too?",
                server.most_open()
            );
            assert!(
                served == 6,
                "{served} of 6 racers got a connection within 5 s"
            );
        });
    }

    #[test]
    fn many_threads_never_hold_the_same_connection_at_once() {
        watchdog(HANG, || {
            let (pool, server) = fake_pool(3, TRUST);
            let workers: Vec<_> = (0..8)
                .map(|_| {
                    let pool = pool.clone();
                    thread::spawn(move || {
                        for _ in 0..500 {
                            // Waiters are not served in turn; this deadline only turns a hang into
                            // a failure.
                            let conn = pool
                                .get_timeout(Duration::from_secs(10))
                                .expect("a connection within 10 s");
                            let conn: &FakeConn = &conn;
                            assert!(
                                !conn.in_use.swap(true, Ordering::SeqCst),
                                "connection {} was lent to two threads at once",
                                conn.id
                            );
                            thread::yield_now();
                            conn.in_use.store(false, Ordering::SeqCst);
                        }
                    })
                })
                .collect();
            for worker in workers {
                worker.join().expect("no worker failed");
            }

            assert!(
                server.opened() == 3 && pool.state() == all_idle(3),
                "after 4000 checkouts the pool reports {:?} and {} connections were opened; \
                 expected the same 3, all idle",
                pool.state(),
                server.opened()
            );
        });
    }

    #[test]
    fn after_close_all_a_checkout_and_a_waiting_one_get_closed() {
        watchdog(HANG, || {
            let (pool, _server) = fake_pool(1, TRUST);
            let _held = pool.get().expect("a connection");
            let waiter = spawn_waiter(&pool, Duration::from_secs(5));
            thread::sleep(Duration::from_millis(50));

            pool.close_all();
            let (waiting, _) = waiter.join().expect("the waiter did not panic");
            let later = pool.get().map(|c| c.id);

            assert!(
                matches!(waiting, Err(PoolError::Closed)),
                "a checkout waiting during close_all got {waiting:?}; expected PoolError::Closed"
            );
            assert!(
                matches!(later, Err(PoolError::Closed)),
                "a checkout after close_all got {later:?}; expected PoolError::Closed"
            );
        });
    }

    #[test]
    fn sixteen_threads_on_4_real_connections_all_succeed_without_sharing_one() -> anyhow::Result<()>
    {
        watchdog(HANG, || {
            let db = TestDb::new()?;
            let pool = real_pool(&db, 4, Duration::from_millis(500));
            // The connection ids currently lent out: a second thread holding one would find it here.
            let lent: Arc<Mutex<HashSet<u32>>> = Arc::default();
            let workers: Vec<_> = (0..16)
                .map(|_| {
                    let (pool, lent) = (pool.clone(), Arc::clone(&lent));
                    thread::spawn(move || -> anyhow::Result<HashSet<u32>> {
                        let mut used = HashSet::new();
                        for _ in 0..100 {
                            let mut conn = pool.get()?;
                            let id = connection_id(&mut conn)?;
                            assert!(
                                lent.lock().unwrap().insert(id),
                                "connection {id} was lent to two threads at once"
                            );
                            lent.lock().unwrap().remove(&id);
                            used.insert(id);
                        }
                        Ok(used)
                    })
                })
                .collect();
            let mut used = HashSet::new();
            for worker in workers {
                used.extend(worker.join().expect("no worker panicked")?);
            }

            assert!(
                used.len() <= 4,
                "{} distinct connections served a pool of 4: {used:?}",
                used.len()
            );
            assert!(
                pool.state() == all_idle(4),
                "afterwards the pool reports {:?}; expected all 4 idle",
                pool.state()
            );
            Ok(())
        })
    }
}

/// Step 4c: ping, and reconnect.
mod step_c {
    use super::*;
    use crate::common::{ALWAYS_PING, checkout_id, connection_id, kill};
    use lesson4::PoolError;
    use std::collections::HashSet;
    use std::sync::atomic::Ordering;
    use std::thread;

    #[test]
    fn pinging_one_connection_never_holds_up_the_checkout_of_another() {
        watchdog(HANG, || {
            let window = Duration::from_secs(1);
            let (pool, server) = fake_pool(2, window);
            let (first, second) = (pool.get().expect("a"), pool.get().expect("b"));
            // The first comes back and grows stale; the second comes back just now.
            drop(first);
            thread::sleep(window + Duration::from_millis(200));
            drop(second);

            let lender = pool.clone();
            crate::common::other_checkouts_are_not_held_up_by(&pool, &server, "ping", move || {
                drop(lender.get()) // the stale one, pinged on the slow server
            });
        });
    }

    #[test]
    fn a_connection_idle_past_the_window_is_pinged_before_it_is_lent() {
        watchdog(HANG, || {
            let (pool, server) = fake_pool(2, ALWAYS_PING);

            for _ in 0..10 {
                checkout_id(&pool);
            }

            assert!(
                server.pings() == 10,
                "10 checkouts pinged {} times; expected once each: the lecture's \
                 conn.ping(reconnect=True) on every checkout that hand_out passes on",
                server.pings()
            );
        });
    }

    #[test]
    fn a_dead_idle_connection_is_replaced_by_a_new_one_on_checkout() {
        watchdog(HANG, || {
            let (pool, server) = fake_pool(2, ALWAYS_PING);
            server.kill(1);

            let first = checkout_id(&pool);

            assert!(
                first == 3,
                "the first checkout lent connection {first}; expected 3: connection 1 fails its \
                 ping, so it is closed and a new one (3) opened in its place"
            );
            assert!(
                (server.opened(), server.closed()) == (3, 1),
                "{} opened and {} closed; expected 3 opened and the dead one closed",
                server.opened(),
                server.closed()
            );
            assert!(
                pool.state() == all_idle(2),
                "the pool reports {:?}; expected 2 connections, both idle",
                pool.state()
            );
        });
    }

    #[test]
    fn a_failed_reconnect_returns_the_error_and_frees_the_slot() {
        watchdog(HANG, || {
            let (pool, server) = fake_pool(1, ALWAYS_PING);
            server.kill(1);
            server.refuse_connections.store(true, Ordering::SeqCst);

            let while_down = pool.get().map(|conn| conn.id);
            let state_while_down = pool.state();
            server.refuse_connections.store(false, Ordering::SeqCst);
            let after = pool.get().map(|conn| conn.id);

            assert!(
                matches!(while_down, Err(PoolError::Connect(_))),
                "while the server refused connections a checkout of the dead connection got \
                 {while_down:?}; expected PoolError::Connect"
            );
            assert!(
                state_while_down == all_idle(0),
                "after the failed reconnect the pool reports {state_while_down:?}; expected no \
                 connection: the dead one is closed and its slot free again"
            );
            assert!(
                matches!(after, Ok(2)),
                "once the server was back a checkout got {after:?}; expected a new connection 2: \
                 was the slot lost when reconnecting failed?"
            );
        });
    }

    #[test]
    fn a_killed_idle_connection_is_replaced_and_the_caller_sees_no_error() -> anyhow::Result<()> {
        watchdog(HANG, || {
            let db = TestDb::new()?;
            let window = Duration::from_millis(100);
            let pool = real_pool(&db, 2, window);
            let mut watcher = db.conn();
            let before = db.wait_for_sessions(&mut watcher, |ids| ids.len() == 2);
            assert!(
                before.len() == 2,
                "the server lists {before:?}; expected the pool's 2"
            );
            let victim = before[0];

            kill(&mut watcher, victim)?;
            let left = db.wait_for_sessions(&mut watcher, |ids| !ids.contains(&victim));
            assert!(
                !left.contains(&victim),
                "the server still lists {victim}: {left:?}"
            );
            thread::sleep(window * 2); // past the liveness window: the case the ping is for

            let mut ids_now = HashSet::new();
            for _ in 0..4 {
                let mut conn = pool.get()?;
                // An error here is a caller meeting the dead connection.
                ids_now.insert(connection_id(&mut conn)?);
            }

            assert!(
                !ids_now.contains(&victim) && ids_now.len() == 2,
                "after {victim} was killed, 4 checkouts were served by {ids_now:?}; expected the \
                 other connection and a new one"
            );
            Ok(())
        })
    }
}
