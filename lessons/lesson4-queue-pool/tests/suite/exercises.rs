//! Checks Exercise 4, one module per step: `step_a` the guard's `Drop`, `step_b` the checkout with
//! its deadline, `step_c` the ping and reconnect. Most tests use a fake connection type, so that
//! they can count exactly (which connection comes out, how many opened, closed, pinged); the others
//! use the real server, each in its own database.
//! Run with `cargo test -p lesson4 --features exercise --test suite exercises::step_a` (or `step_b`, `step_c`).

use std::time::Duration;

use crate::common::{HANG, all_idle, fake_pool, watchdog};
use lesson4::{Pool, PoolOptions};
use shared::bilingual;
use shared::testing::{TestDb, expect_ok};

/// Every checkout on the real server gives up after this, so a connection that never comes back
/// makes a test fail quickly instead of hanging.
const CHECKOUT_TIMEOUT: Duration = Duration::from_secs(2);

fn real_pool(db: &TestDb, max_size: usize, liveness_window: Duration) -> Pool {
    let options = PoolOptions {
        checkout_timeout: CHECKOUT_TIMEOUT,
        liveness_window,
        ..PoolOptions::new(max_size)
    };
    expect_ok(
        Pool::with_manager(lesson4::MysqlConnector::new(db.opts()), options),
        "Pool::with_manager",
    )
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
                "{}",
                bilingual!(
                    "connections were lent in the order {order:?}; expected [1, 2, 3, 1, 2, 3, 1]: \
                     does Drop put the connection back at the END of the queue (push_back)?",
                    "커넥션을 빌려준 순서가 {order:?}입니다. 기대한 순서는 [1, 2, 3, 1, 2, 3, 1]입니다. \
                     Drop이 커넥션을 큐의 맨 뒤로(push_back) 반납하나요?"
                )
            );
            let state = pool.state();
            assert!(
                state == all_idle(3),
                "{}",
                bilingual!(
                    "after every guard was dropped the pool reports {state:?}; expected all 3 idle",
                    "모든 가드가 drop된 뒤 풀의 상태가 {state:?}입니다. 기대한 것은 3개 모두 유휴 상태입니다"
                )
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
                    let Err(err) = result else {
                        unreachable!("the table does not exist")
                    };
                    assert!(
                        err.is::<mysql::Error>(),
                        "{}",
                        bilingual!(
                            "call {i}: expected the SQL error, got `{err}`: after {i} calls, did \
                             every dropped guard give its connection back?",
                            "호출 {i}: SQL 오류를 기대했는데, 받은 오류는 `{err}`입니다. 호출 {i}번 동안 \
                             drop된 가드가 모두 커넥션을 반납했나요?"
                        )
                    );
                    sql_errors += 1;
                } else {
                    let result = std::panic::catch_unwind(|| {
                        let _conn = expect_ok(pool.get(), "pool.get()");
                        // resume_unwind panics without printing a message for each of the 500.
                        std::panic::resume_unwind(Box::new("the request handler crashed"));
                    });
                    panics += usize::from(result.is_err());
                }
            }
            assert!(
                (sql_errors, panics) == (500, 500),
                "{}",
                bilingual!(
                    "the test's own count went wrong",
                    "테스트 자신의 셈이 틀렸습니다"
                )
            );
            let state = pool.state();
            assert!(
                state == all_idle(4),
                "{}",
                bilingual!(
                    "after 500 errors and 500 panics the pool reports {state:?}; expected all 4 idle: \
                     Drop runs on every path, so it must give the connection back on every path",
                    "오류 500번과 panic 500번 뒤 풀의 상태가 {state:?}입니다. 기대한 것은 4개 모두 유휴 상태입니다. \
                     Drop은 모든 경로에서 실행되므로, 모든 경로에서 커넥션을 반납해야 합니다"
                )
            );
            Ok(())
        })
    }

    #[test]
    fn a_broken_connection_is_closed_on_return_outside_the_lock_and_its_slot_freed() {
        watchdog(HANG, || {
            let (pool, server) = fake_pool(2, TRUST);
            let mut conn = expect_ok(pool.get(), "pool.get()");

            conn.mark_broken();
            // Closing takes a while on this server: meanwhile another checkout must go on.
            crate::common::other_checkouts_are_not_held_up_by(
                &pool,
                &server,
                ("close", "닫는"),
                move || drop(conn),
            );

            let closed = server.closed();
            assert!(
                closed == 1,
                "{}",
                bilingual!(
                    "{closed} connections were closed; expected the broken one",
                    "커넥션 {closed}개가 닫혔습니다. 기대한 것은 고장 난 커넥션 하나입니다"
                )
            );
            let state = pool.state();
            assert!(
                state.connections == 1 && state.idle_connections == 1,
                "{}",
                bilingual!(
                    "after a broken connection came back the pool reports {state:?}; expected 1 \
                     connection, idle: a broken one is closed, not queued, and its slot (`open`) freed",
                    "고장 난 커넥션이 돌아온 뒤 풀의 상태가 {state:?}입니다. 기대한 것은 유휴 커넥션 1개입니다. \
                     고장 난 커넥션은 큐에 넣지 않고 닫으며, 그 슬롯(`open`)을 비웁니다"
                )
            );
        });
    }

    #[test]
    fn a_connection_given_back_after_close_all_is_closed_instead_of_queued() {
        watchdog(HANG, || {
            let (pool, server) = fake_pool(2, TRUST);
            let lent = expect_ok(pool.get(), "pool.get()");

            pool.close_all();
            drop(lent);

            let closed = server.closed();
            assert!(
                closed == 2,
                "{}",
                bilingual!(
                    "{closed} of 2 connections were closed; expected both",
                    "커넥션 2개 중 {closed}개가 닫혔습니다. 기대한 것은 둘 다입니다"
                )
            );
            let state = pool.state();
            assert!(
                state == all_idle(0),
                "{}",
                bilingual!(
                    "after close_all and the last return the pool reports {state:?}; expected no \
                     connections: once the pool is closed, Drop closes the connection and frees its slot",
                    "close_all과 마지막 반납 뒤 풀의 상태가 {state:?}입니다. 기대한 것은 커넥션 0개입니다. \
                     풀이 닫힌 뒤에는 Drop이 커넥션을 닫고 그 슬롯을 비웁니다"
                )
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
            Err(other) => panic!(
                "{}",
                bilingual!(
                    "expected PoolError::Timeout, got the error `{other}`",
                    "PoolError::Timeout을 기대했는데, 받은 것은 오류 `{other}`입니다"
                )
            ),
            Ok(id) => panic!(
                "{}",
                bilingual!(
                    "expected PoolError::Timeout, got connection {id}: was a connection lent twice, or \
                     one opened beyond max_size?",
                    "PoolError::Timeout을 기대했는데, 받은 것은 커넥션 {id}번입니다. 커넥션 하나를 두 번 \
                     빌려주었거나, max_size를 넘어 새로 열지 않았나요?"
                )
            ),
        }
    }

    /// What a waiter thread got, and how long it waited; its panic (printed above) fails the test.
    fn join_waiter(
        waiter: JoinHandle<(Result<u32, PoolError>, Duration)>,
    ) -> (Result<u32, PoolError>, Duration) {
        waiter.join().unwrap_or_else(|_| worker_panicked())
    }

    /// A thread of the test panicked inside the pool's code: its own message is printed above.
    fn worker_panicked() -> ! {
        panic!(
            "{}",
            bilingual!(
                "a thread that used the pool panicked: its message is printed above",
                "풀을 쓰던 스레드가 panic했습니다. 그 메시지가 위에 있습니다"
            )
        )
    }

    #[test]
    fn opening_a_connection_never_holds_up_a_connection_coming_back() {
        watchdog(HANG, || {
            let (pool, server) = fake_pool(2, TRUST);
            let (mut broken, held) = (
                expect_ok(pool.get(), "pool.get()"),
                expect_ok(pool.get(), "pool.get()"),
            );
            broken.mark_broken();
            drop(broken); // its slot is free, and nothing is idle: the next checkout opens one

            server.slow.store(true, Ordering::SeqCst);
            let opener = pool.clone();
            let worker = thread::spawn(move || drop(opener.get()));
            assert!(
                server.wait_for_slow_work(),
                "{}",
                bilingual!(
                    "the checkout never opened a connection: with a slot free and nothing idle, \
                     it opens one",
                    "대여가 커넥션을 한 번도 열지 않았습니다. 빈 슬롯이 있고 유휴 커넥션이 없으면 새로 엽니다"
                )
            );
            drop(held); // Drop needs the lock
            let back_while_opening = server.slow_ended.load(Ordering::SeqCst) == 0;
            server.release();
            let _ = worker.join();

            assert!(
                back_while_opening,
                "{}",
                bilingual!(
                    "giving a connection back waited until another thread had opened a new one: the \
                     pool opened it while holding its lock (reserve the slot, unlock, then connect)",
                    "커넥션 반납이 다른 스레드가 새 커넥션을 다 열 때까지 기다렸습니다. 풀이 락을 쥔 채 \
                     커넥션을 열었습니다(슬롯을 먼저 잡고, 락을 풀고, 그다음 연결하세요)"
                )
            );
        });
    }

    #[test]
    fn an_exhausted_pool_waits_until_the_deadline_then_returns_timeout() {
        watchdog(HANG, || {
            let (pool, _server) = fake_pool(1, TRUST);
            // No time to wait is no reason to refuse a connection that is there.
            let held = pool.get_timeout(Duration::ZERO);
            let err = held.as_ref().err();
            assert!(
                held.is_ok(),
                "{}",
                bilingual!(
                    "get_timeout(0) on a pool with an idle connection returned {err:?}; expected the \
                     connection: the deadline only limits how long to WAIT, so look in the queue (and \
                     for a free slot) before looking at the clock",
                    "유휴 커넥션이 있는 풀에서 get_timeout(0)의 반환값은 {err:?}입니다. 기대한 것은 그 커넥션입니다. \
                     기한은 얼마나 오래 기다릴지만 제한하므로, 시계를 보기 전에 큐를(그리고 빈 슬롯을) 보세요"
                )
            );
            let deadline = Duration::from_millis(300);

            let waited = expect_timeout(pool.get_timeout(deadline).map(|conn| conn.id));

            assert!(
                waited >= deadline,
                "{}",
                bilingual!(
                    "the checkout gave up after {waited:?}, before its deadline of {deadline:?}: \
                     while every connection is lent out, it must wait for one to come back",
                    "대여가 기한 {deadline:?}보다 이른 {waited:?} 만에 포기했습니다. \
                     모든 커넥션이 대여 중이면 하나가 돌아오기를 기다려야 합니다"
                )
            );
        });
    }

    #[test]
    fn a_waiting_checkout_gets_the_connection_that_comes_back() {
        watchdog(HANG, || {
            let (pool, _server) = fake_pool(1, TRUST);
            let held = expect_ok(pool.get(), "pool.get()");
            let long_deadline = Duration::from_secs(5);
            let waiter = spawn_waiter(&pool, long_deadline);
            thread::sleep(Duration::from_millis(100)); // let the waiter start waiting
            drop(held);
            let (got, waited) = join_waiter(waiter);

            assert!(
                matches!(got, Ok(1)),
                "{}",
                bilingual!(
                    "the waiter got {got:?}; expected connection 1, given back while it waited",
                    "기다리던 대여가 받은 값은 {got:?}입니다. 기대한 것은 기다리는 동안 반납된 커넥션 1입니다"
                )
            );
            assert!(
                waited < long_deadline,
                "{}",
                bilingual!(
                    "the waiter got the connection only at its deadline, after {waited:?}: does Drop \
                     wake a waiting checkout (notify) after putting the connection back?",
                    "기다리던 대여가 기한이 되어서야, {waited:?} 만에 커넥션을 받았습니다. Drop이 커넥션을 \
                     반납한 뒤 기다리는 대여를 깨우나요(notify)?"
                )
            );
        });
    }

    #[test]
    fn the_deadline_counts_from_the_call_not_again_from_each_wakeup() {
        watchdog(HANG, || {
            let (pool, _server) = fake_pool(1, TRUST);
            let _held = expect_ok(pool.get(), "pool.get()");
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
            let (got, _) = join_waiter(waiter);
            let waited = expect_timeout(got);

            assert!(
                waited >= deadline,
                "{}",
                bilingual!(
                    "the waiter gave up after {waited:?}, before its deadline of {deadline:?}, when \
                     woken with no connection for it: a wakeup does not promise a connection (another \
                     thread may take it first, or the wait returns spuriously). Check again, in a \
                     loop, until the deadline",
                    "기다리던 대여가 자기 몫의 커넥션 없이 깨어나자, 기한 {deadline:?}보다 이른 {waited:?} 만에 \
                     포기했습니다. 깨어났다고 커넥션이 있다는 보장은 없습니다(다른 스레드가 먼저 가져가거나, \
                     가짜로 깨어날 수 있습니다). 기한까지 루프를 돌며 다시 확인하세요"
                )
            );
            assert!(
                waited < deadline * 3 / 2,
                "{}",
                bilingual!(
                    "a checkout with a deadline of {deadline:?} waited {waited:?}, after {wakeups} \
                     wakeups with no connection for it, the last one shortly before the deadline: \
                     after each wakeup, wait only for what REMAINS of the deadline, not the whole \
                     timeout again",
                    "기한이 {deadline:?}인 대여가 자기 몫의 커넥션 없이 {wakeups}번 깨어난 뒤(마지막은 기한 \
                     직전) 기다린 시간은 {waited:?}입니다. 깨어날 때마다 타임아웃 전체를 다시 기다리지 말고, \
                     기한까지 남은 시간만큼만 기다리세요"
                )
            );
        });
    }

    #[test]
    fn a_checkout_opens_a_new_connection_in_a_slot_freed_by_a_broken_one() {
        watchdog(HANG, || {
            let (pool, server) = fake_pool(2, TRUST);
            let mut broken = expect_ok(pool.get(), "pool.get()");
            broken.mark_broken();
            drop(broken);

            let (first, second) = (pool.get(), pool.get());
            let ids = [&first, &second].map(|got| got.as_ref().map(|conn| conn.id).ok());
            let errors = [&first, &second].map(|got| got.as_ref().err());

            assert!(
                ids == [Some(2), Some(3)],
                "{}",
                bilingual!(
                    "two checkouts got {ids:?} ({errors:?}); expected the idle connection 2, then a \
                     new connection 3 opened in the slot the broken one freed (open < max_size)",
                    "대여 두 번이 받은 값은 {ids:?}입니다({errors:?}). 기대한 것은 유휴 커넥션 2, 그다음 \
                     고장 난 커넥션이 비운 슬롯에 새로 연 커넥션 3입니다(open < max_size)"
                )
            );
            let opened = server.opened();
            assert!(
                opened == 3,
                "{}",
                bilingual!(
                    "{opened} connections opened; expected 3",
                    "커넥션 {opened}개가 열렸습니다. 기대한 수는 3개입니다"
                )
            );
        });
    }

    #[test]
    fn a_waiting_checkout_opens_a_connection_when_a_broken_one_frees_its_slot() {
        watchdog(HANG, || {
            let (pool, _server) = fake_pool(1, TRUST);
            let mut held = expect_ok(pool.get(), "pool.get()");
            let long_deadline = Duration::from_secs(5);
            let waiter = spawn_waiter(&pool, long_deadline);
            thread::sleep(Duration::from_millis(100)); // let the waiter start waiting
            held.mark_broken();
            drop(held);
            let (got, waited) = join_waiter(waiter);

            assert!(
                matches!(got, Ok(2)),
                "{}",
                bilingual!(
                    "the waiter got {got:?}; expected a new connection 2, opened in the slot the \
                     broken one freed",
                    "기다리던 대여가 받은 값은 {got:?}입니다. 기대한 것은 고장 난 커넥션이 비운 슬롯에 \
                     새로 연 커넥션 2입니다"
                )
            );
            assert!(
                waited < long_deadline,
                "{}",
                bilingual!(
                    "the waiter got its connection only at its deadline, after {waited:?}: when Drop \
                     closes a broken connection and frees its slot, it must wake a waiting checkout too",
                    "기다리던 대여가 기한이 되어서야, {waited:?} 만에 커넥션을 받았습니다. Drop이 고장 난 \
                     커넥션을 닫고 슬롯을 비울 때도 기다리는 대여를 깨워야 합니다"
                )
            );
        });
    }

    #[test]
    fn checkouts_racing_for_free_slots_never_open_more_than_max_size() {
        watchdog(HANG, || {
            let (pool, server) = fake_pool(2, TRUST);
            for _ in 0..2 {
                let mut conn = expect_ok(pool.get(), "pool.get()");
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
                .map(|racer| racer.join().unwrap_or_else(|_| worker_panicked()))
                .filter(|&ok| ok)
                .count();

            let most_open = server.most_open();
            assert!(
                most_open <= 2,
                "{}",
                bilingual!(
                    "{most_open} connections were open at once in a pool of 2: is the slot counted \
                     (`open += 1`) before the lock is released, so that no other thread takes it too?",
                    "크기 2인 풀에서 커넥션 {most_open}개가 동시에 열려 있었습니다. 락을 풀기 전에 \
                     슬롯을 세어서(`open += 1`) 다른 스레드가 같은 슬롯을 가져가지 못하게 했나요?"
                )
            );
            assert!(
                served == 6,
                "{}",
                bilingual!(
                    "{served} of 6 racers got a connection within 5 s",
                    "경쟁한 스레드 6개 중 {served}개만 5초 안에 커넥션을 받았습니다"
                )
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
                            let conn = expect_ok(
                                pool.get_timeout(Duration::from_secs(10)),
                                "pool.get_timeout(10 s)",
                            );
                            let conn: &FakeConn = &conn;
                            let id = conn.id;
                            assert!(
                                !conn.in_use.swap(true, Ordering::SeqCst),
                                "{}",
                                bilingual!(
                                    "connection {id} was lent to two threads at once",
                                    "커넥션 {id}번을 두 스레드에 동시에 빌려주었습니다"
                                )
                            );
                            thread::yield_now();
                            conn.in_use.store(false, Ordering::SeqCst);
                        }
                    })
                })
                .collect();
            for worker in workers {
                worker.join().unwrap_or_else(|_| worker_panicked());
            }

            let (state, opened) = (pool.state(), server.opened());
            assert!(
                opened == 3 && state == all_idle(3),
                "{}",
                bilingual!(
                    "after 4000 checkouts the pool reports {state:?} and {opened} connections were opened; \
                     expected the same 3, all idle",
                    "대여 4000번 뒤 풀의 상태는 {state:?}이고 커넥션 {opened}개가 열렸습니다. \
                     기대한 것은 같은 3개, 모두 유휴 상태입니다"
                )
            );
        });
    }

    #[test]
    fn after_close_all_a_checkout_and_a_waiting_one_get_closed() {
        watchdog(HANG, || {
            let (pool, _server) = fake_pool(1, TRUST);
            let _held = expect_ok(pool.get(), "pool.get()");
            let waiter = spawn_waiter(&pool, Duration::from_secs(5));
            thread::sleep(Duration::from_millis(50));

            pool.close_all();
            let (waiting, _) = join_waiter(waiter);
            let later = pool.get().map(|c| c.id);

            assert!(
                matches!(waiting, Err(PoolError::Closed)),
                "{}",
                bilingual!(
                    "a checkout waiting during close_all got {waiting:?}; expected PoolError::Closed",
                    "close_all 동안 기다리던 대여가 받은 값은 {waiting:?}입니다. 기대한 것은 PoolError::Closed입니다"
                )
            );
            assert!(
                matches!(later, Err(PoolError::Closed)),
                "{}",
                bilingual!(
                    "a checkout after close_all got {later:?}; expected PoolError::Closed",
                    "close_all 뒤의 대여가 받은 값은 {later:?}입니다. 기대한 것은 PoolError::Closed입니다"
                )
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
                            let mut conn = expect_ok(pool.get(), "pool.get()");
                            let id = connection_id(&mut conn)?;
                            assert!(
                                lent.lock().unwrap().insert(id),
                                "{}",
                                bilingual!(
                                    "connection {id} was lent to two threads at once",
                                    "커넥션 {id}번을 두 스레드에 동시에 빌려주었습니다"
                                )
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
                used.extend(worker.join().unwrap_or_else(|_| worker_panicked())?);
            }

            let distinct = used.len();
            assert!(
                distinct <= 4,
                "{}",
                bilingual!(
                    "{distinct} distinct connections served a pool of 4: {used:?}",
                    "크기 4인 풀에서 서로 다른 커넥션 {distinct}개가 쓰였습니다: {used:?}"
                )
            );
            let state = pool.state();
            assert!(
                state == all_idle(4),
                "{}",
                bilingual!(
                    "afterwards the pool reports {state:?}; expected all 4 idle",
                    "끝난 뒤 풀의 상태가 {state:?}입니다. 기대한 것은 4개 모두 유휴 상태입니다"
                )
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
            let (first, second) = (
                expect_ok(pool.get(), "pool.get()"),
                expect_ok(pool.get(), "pool.get()"),
            );
            // The first comes back and grows stale; the second comes back just now.
            drop(first);
            thread::sleep(window + Duration::from_millis(200));
            drop(second);

            let lender = pool.clone();
            // The stale one, pinged on the slow server.
            crate::common::other_checkouts_are_not_held_up_by(
                &pool,
                &server,
                ("ping", "핑하는"),
                move || drop(lender.get()),
            );
        });
    }

    // Drop (4a) marks such a connection; only the ping (4c) shows the mark, so the test is 4c's.
    #[test]
    fn a_connection_whose_use_the_pool_did_not_see_end_is_pinged_before_its_next_use() {
        watchdog(HANG, || {
            let (pool, server) = fake_pool(1, crate::common::TRUST);
            // A use that ended in a panic, and one through the bare connection (`&mut *conn`): the
            // pool cannot know the state either left, even inside the liveness window.
            let lender = pool.clone();
            let panicked = thread::spawn(move || {
                let _conn = expect_ok(lender.get(), "pool.get()");
                std::panic::resume_unwind(Box::new("a handler crashed (this panic is the test's)"));
            })
            .join();
            let after_panic = pool.get().map(|_| server.pings());
            let mut conn = expect_ok(pool.get(), "pool.get()");
            let _bare: &mut crate::common::FakeConn = &mut conn;
            drop(conn);
            let after_bare = pool.get().map(|_| server.pings());

            assert!(
                panicked.is_err(),
                "{}",
                bilingual!(
                    "the test's own thread did not panic",
                    "테스트 자신의 스레드가 panic하지 않았습니다"
                )
            );
            assert!(
                matches!((&after_panic, &after_bare), (Ok(1), Ok(2))),
                "{}",
                bilingual!(
                    "pings after a use that panicked, then after a use of the bare connection: \
                     {after_panic:?}, {after_bare:?}; expected 1 then 2: a connection given back \
                     without the pool seeing its use end must be queued as not clean (the guard knows: \
                     `idle_entry`), so that it is pinged before anyone uses it again",
                    "panic으로 끝난 사용 뒤, 그리고 맨 커넥션을 쓴 사용 뒤의 핑 횟수: \
                     {after_panic:?}, {after_bare:?}. 기대한 것은 1, 그다음 2입니다. 풀이 사용이 끝나는 것을 \
                     보지 못한 채 반납된 커넥션은 깨끗하지 않은 것으로 큐에 넣어야 합니다(가드가 압니다: \
                     `idle_entry`). 그래야 누가 다시 쓰기 전에 핑합니다"
                )
            );
        });
    }

    #[test]
    fn a_connection_idle_past_the_window_is_pinged_before_it_is_lent() {
        watchdog(HANG, || {
            let (pool, server) = fake_pool(2, ALWAYS_PING);

            for _ in 0..10 {
                checkout_id(&pool);
            }

            let pings = server.pings();
            assert!(
                pings == 10,
                "{}",
                bilingual!(
                    "10 checkouts pinged {pings} times; expected once each: the lecture's \
                     conn.ping(reconnect=True) on every checkout that hand_out passes on",
                    "대여 10번이 {pings}번 핑했습니다. 기대한 것은 한 번씩입니다. hand_out이 넘겨주는 \
                     모든 대여에서 강의의 conn.ping(reconnect=True)를 합니다"
                )
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
                "{}",
                bilingual!(
                    "the first checkout lent connection {first}; expected 3: connection 1 fails its \
                     ping, so it is closed and a new one (3) opened in its place",
                    "첫 대여가 빌려준 것은 커넥션 {first}번입니다. 기대한 것은 3번입니다. 커넥션 1은 핑에 \
                     실패하므로 닫고, 그 자리에 새 커넥션(3)을 엽니다"
                )
            );
            let (opened, closed) = (server.opened(), server.closed());
            assert!(
                (opened, closed) == (3, 1),
                "{}",
                bilingual!(
                    "{opened} opened and {closed} closed; expected 3 opened and the dead one closed",
                    "{opened}개가 열리고 {closed}개가 닫혔습니다. 기대한 것은 3개가 열리고 죽은 커넥션이 닫히는 것입니다"
                )
            );
            let state = pool.state();
            assert!(
                state == all_idle(2),
                "{}",
                bilingual!(
                    "the pool reports {state:?}; expected 2 connections, both idle",
                    "풀의 상태가 {state:?}입니다. 기대한 것은 커넥션 2개, 둘 다 유휴 상태입니다"
                )
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
                "{}",
                bilingual!(
                    "while the server refused connections a checkout of the dead connection got \
                     {while_down:?}; expected PoolError::Connect",
                    "서버가 연결을 거부하는 동안 죽은 커넥션의 대여가 받은 값은 {while_down:?}입니다. \
                     기대한 것은 PoolError::Connect입니다"
                )
            );
            assert!(
                state_while_down == all_idle(0),
                "{}",
                bilingual!(
                    "after the failed reconnect the pool reports {state_while_down:?}; expected no \
                     connection: the dead one is closed and its slot free again",
                    "재연결에 실패한 뒤 풀의 상태가 {state_while_down:?}입니다. 기대한 것은 커넥션 0개입니다. \
                     죽은 커넥션은 닫히고 그 슬롯은 다시 비어 있어야 합니다"
                )
            );
            assert!(
                matches!(after, Ok(2)),
                "{}",
                bilingual!(
                    "once the server was back a checkout got {after:?}; expected a new connection 2: \
                     was the slot lost when reconnecting failed?",
                    "서버가 돌아온 뒤의 대여가 받은 값은 {after:?}입니다. 기대한 것은 새 커넥션 2입니다. \
                     재연결에 실패할 때 슬롯을 잃어버리지 않았나요?"
                )
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
                "{}",
                bilingual!(
                    "the server lists {before:?}; expected the pool's 2",
                    "서버 목록: {before:?}. 기대한 것은 풀의 커넥션 2개입니다"
                )
            );
            let victim = before[0];

            kill(&mut watcher, victim)?;
            let left = db.wait_for_sessions(&mut watcher, |ids| !ids.contains(&victim));
            assert!(
                !left.contains(&victim),
                "{}",
                bilingual!(
                    "the server still lists {victim}: {left:?}",
                    "서버 목록에 아직 커넥션 {victim}번이 있습니다: {left:?}"
                )
            );
            thread::sleep(window * 2); // past the liveness window: the case the ping is for

            let mut ids_now = HashSet::new();
            for _ in 0..4 {
                let mut conn = expect_ok(pool.get(), "pool.get()");
                // An error here is a caller meeting the dead connection.
                let id = connection_id(&mut conn).unwrap_or_else(|err| {
                    panic!(
                        "{}",
                        bilingual!(
                            "a query on a lent connection failed, {err}: was the killed connection \
                             lent without a ping?",
                            "빌린 커넥션에서 쿼리가 실패했습니다: {err}. 죽은 커넥션을 핑 없이 빌려주지 않았나요?"
                        )
                    )
                });
                ids_now.insert(id);
            }

            assert!(
                !ids_now.contains(&victim) && ids_now.len() == 2,
                "{}",
                bilingual!(
                    "after {victim} was killed, 4 checkouts were served by {ids_now:?}; expected the \
                     other connection and a new one",
                    "커넥션 {victim}번이 끊긴 뒤 대여 4번에 쓰인 커넥션은 {ids_now:?}입니다. 기대한 것은 다른 커넥션 하나와 \
                     새 커넥션 하나입니다"
                )
            );
            Ok(())
        })
    }
}
