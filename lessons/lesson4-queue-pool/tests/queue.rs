//! The pool's queue logic with a fake connection type: no database, so each rule can be tested on
//! its own and exactly (which connection comes out, how many pings, how many opened and closed),
//! as r2d2's own tests do. The real-server tests are in tests/exercises.rs.

mod common;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use common::all_idle;
use lesson4::{ManageConnection, Pool, PoolError, PoolOptions};

/// What the fake "server" knows; the test keeps one handle, the manager inside the pool another.
#[derive(Default)]
struct Server {
    next_id: AtomicU32,
    opened: AtomicUsize,
    closed: AtomicUsize,
    pings: AtomicUsize,
    /// Connections the "server" has killed: their ping fails.
    killed: Mutex<HashSet<u32>>,
    /// While set, connecting fails.
    refuse_connections: AtomicBool,
}

impl Server {
    fn kill(&self, id: u32) {
        self.killed.lock().unwrap().insert(id);
    }
    fn opened(&self) -> usize {
        self.opened.load(Ordering::SeqCst)
    }
    fn closed(&self) -> usize {
        self.closed.load(Ordering::SeqCst)
    }
    fn pings(&self) -> usize {
        self.pings.load(Ordering::SeqCst)
    }
}

struct FakeConn {
    id: u32,
    /// Set while a guard holds this connection: two holders at once would find it set.
    in_use: AtomicBool,
    server: Arc<Server>,
}

impl Drop for FakeConn {
    fn drop(&mut self) {
        self.server.closed.fetch_add(1, Ordering::SeqCst);
    }
}

struct FakeManager(Arc<Server>);

impl ManageConnection for FakeManager {
    type Connection = FakeConn;

    fn connect(&self) -> Result<FakeConn, mysql::Error> {
        if self.0.refuse_connections.load(Ordering::SeqCst) {
            let refused =
                std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "fake server is down");
            return Err(mysql::Error::IoError(refused));
        }
        self.0.opened.fetch_add(1, Ordering::SeqCst);
        Ok(FakeConn {
            id: self.0.next_id.fetch_add(1, Ordering::SeqCst) + 1,
            in_use: AtomicBool::new(false),
            server: Arc::clone(&self.0),
        })
    }

    fn is_alive(&self, conn: &mut FakeConn) -> bool {
        self.0.pings.fetch_add(1, Ordering::SeqCst);
        !self.0.killed.lock().unwrap().contains(&conn.id)
    }
}

/// Connections are numbered 1, 2, 3... in the order the fake server opened them.
fn fake_pool(max_size: usize, liveness_window: Duration) -> (Pool<FakeManager>, Arc<Server>) {
    let server = Arc::new(Server::default());
    let options = PoolOptions {
        liveness_window,
        checkout_timeout: Duration::from_secs(2),
        ..PoolOptions::new(max_size)
    };
    let pool = Pool::with_manager(FakeManager(Arc::clone(&server)), options)
        .expect("the fake never refuses here");
    (pool, server)
}

/// Long enough that no test gets near it: the pool never pings a connection that was used cleanly.
const TRUST: Duration = Duration::from_secs(600);
/// Zero: every checkout pings, as the lecture's get_conn does.
const ALWAYS_PING: Duration = Duration::ZERO;

fn checkout_id(pool: &Pool<FakeManager>) -> u32 {
    pool.get().expect("a connection").id
}

#[test]
fn the_pool_opens_max_size_connections_at_start_up() {
    let (pool, server) = fake_pool(4, TRUST);

    assert_eq!(server.opened(), 4);
    assert_eq!(pool.state(), all_idle(4));
}

#[test]
fn a_pool_of_zero_connections_is_refused() {
    let server = Arc::new(Server::default());

    let result = Pool::with_manager(FakeManager(server), PoolOptions::new(0));

    assert!(matches!(result, Err(PoolError::ZeroSize)), "{result:?}");
}

#[test]
fn a_pool_whose_server_refuses_connections_fails_at_start_up() {
    let server = Arc::new(Server::default());
    server.refuse_connections.store(true, Ordering::SeqCst);

    let result = Pool::with_manager(FakeManager(server), PoolOptions::new(2));

    assert!(matches!(result, Err(PoolError::Connect(_))), "{result:?}");
}

#[test]
fn connections_are_lent_first_in_first_out() {
    let (pool, _server) = fake_pool(3, TRUST);

    let order: Vec<u32> = (0..7).map(|_| checkout_id(&pool)).collect();

    assert_eq!(order, [1, 2, 3, 1, 2, 3, 1]);
}

/// How many pings 100 checkouts in a row cost a pool of 2 with this `liveness_window`.
fn pings_for_100_checkouts(liveness_window: Duration) -> usize {
    let (pool, server) = fake_pool(2, liveness_window);
    for _ in 0..100 {
        checkout_id(&pool);
    }
    server.pings()
}

#[test]
fn a_connection_given_back_within_the_window_is_lent_without_a_ping() {
    assert_eq!(pings_for_100_checkouts(TRUST), 0);
}

#[test]
fn a_connection_idle_longer_than_the_window_is_pinged_before_it_is_lent() {
    assert_eq!(pings_for_100_checkouts(ALWAYS_PING), 100);
}

#[test]
fn the_window_is_measured_from_the_connections_last_return() {
    // Long enough that the two checkouts "just now" fall inside it even on a busy machine.
    let window = Duration::from_secs(1);
    let (pool, server) = fake_pool(1, window);
    checkout_id(&pool);

    checkout_id(&pool); // given back just now: trusted
    let pings_within = server.pings();
    thread::sleep(window + Duration::from_millis(100));
    checkout_id(&pool); // idle longer than the window: pinged
    let pings_after = server.pings();

    assert_eq!((pings_within, pings_after), (0, 1));
}

#[test]
fn a_dead_idle_connection_is_replaced_by_a_new_one_on_checkout() {
    let (pool, server) = fake_pool(2, ALWAYS_PING);
    server.kill(1);

    let first = checkout_id(&pool);

    assert_eq!(
        first, 3,
        "connection 1 failed its ping and 3 was opened in its place"
    );
    assert_eq!((server.opened(), server.closed()), (3, 1));
    assert_eq!(pool.state(), all_idle(2));
}

#[test]
fn a_connection_marked_broken_is_closed_when_given_back_and_a_new_one_fills_its_slot() {
    let (pool, server) = fake_pool(2, TRUST);
    let mut conn = pool.get().unwrap();

    conn.mark_broken();
    drop(conn);
    let after_return = pool.state();
    let both: Vec<u32> = [pool.get().unwrap(), pool.get().unwrap()]
        .iter()
        .map(|c| c.id)
        .collect();

    assert_eq!(after_return, all_idle(1));
    assert_eq!(
        both,
        [2, 3],
        "the idle connection first, then a new one in the free slot"
    );
    assert_eq!((server.opened(), server.closed()), (3, 1));
}

#[test]
fn a_guard_dropped_by_a_panic_gives_its_connection_back_to_be_pinged_before_its_next_use() {
    let (pool, server) = fake_pool(1, TRUST);

    let crashed = std::panic::catch_unwind(|| {
        let _conn = pool.get().unwrap();
        std::panic::resume_unwind(Box::new("the handler crashed"));
    });
    let state = pool.state();
    let next = checkout_id(&pool);

    assert!(crashed.is_err());
    assert_eq!(state, all_idle(1));
    assert_eq!((next, server.pings()), (1, 1));
}

#[test]
fn a_connection_used_through_deref_mut_is_pinged_before_its_next_use() {
    let (pool, server) = fake_pool(1, TRUST);
    let mut conn = pool.get().unwrap();

    let bare: &mut FakeConn = &mut conn; // the pool cannot see what is done with this
    bare.in_use.store(false, Ordering::SeqCst);
    drop(conn);
    checkout_id(&pool);

    assert_eq!(server.pings(), 1);
}

#[test]
fn an_exhausted_pool_times_out_after_the_deadline() {
    let (pool, _server) = fake_pool(1, TRUST);
    let _held = pool.get().unwrap();
    let deadline = Duration::from_millis(50);

    let result = pool.get_timeout(deadline);

    assert!(
        matches!(result, Err(PoolError::Timeout { waited }) if waited >= deadline),
        "{result:?}"
    );
}

#[test]
fn get_waits_for_the_configured_checkout_timeout() {
    let server = Arc::new(Server::default());
    let options = PoolOptions {
        checkout_timeout: Duration::from_millis(80),
        ..PoolOptions::new(1)
    };
    let pool = Pool::with_manager(FakeManager(server), options).unwrap();
    let _held = pool.get().unwrap();

    let result = pool.get();

    assert!(
        matches!(result, Err(PoolError::Timeout { waited }) if waited >= Duration::from_millis(80)),
        "{result:?}"
    );
}

#[test]
fn a_waiting_thread_gets_the_connection_as_soon_as_it_comes_back() {
    let (pool, _server) = fake_pool(1, TRUST);
    let held = pool.get().unwrap();
    let deadline = Duration::from_secs(5);

    let waiter = {
        let pool = pool.clone();
        thread::spawn(move || {
            let started = Instant::now();
            let id = pool.get_timeout(deadline).map(|c| c.id);
            (id, started.elapsed())
        })
    };
    thread::sleep(Duration::from_millis(50));
    drop(held);
    let (id, waited) = waiter.join().unwrap();

    assert_eq!(id.unwrap(), 1);
    assert!(waited < deadline, "the waiter woke only at its deadline");
}

#[test]
fn a_failed_reconnect_gives_its_slot_back() {
    let (pool, server) = fake_pool(1, ALWAYS_PING);
    server.kill(1);
    server.refuse_connections.store(true, Ordering::SeqCst);

    let while_down = pool.get();
    let state_while_down = pool.state();
    server.refuse_connections.store(false, Ordering::SeqCst);
    let after = pool.get().map(|c| c.id);

    assert!(
        matches!(while_down, Err(PoolError::Connect(_))),
        "{while_down:?}"
    );
    assert_eq!(state_while_down, all_idle(0));
    assert_eq!(after.unwrap(), 2);
    assert_eq!(pool.state(), all_idle(1));
}

#[test]
fn close_all_closes_the_idle_connections_and_refuses_checkouts() {
    let (pool, server) = fake_pool(3, TRUST);

    pool.close_all();

    assert_eq!(server.closed(), 3);
    assert!(matches!(pool.get(), Err(PoolError::Closed)));
    assert_eq!(pool.state(), all_idle(0));
}

#[test]
fn a_connection_given_back_after_close_all_is_closed_instead_of_queued() {
    let (pool, server) = fake_pool(2, TRUST);
    let lent = pool.get().unwrap();

    pool.close_all();
    let closed_while_lent = server.closed();
    drop(lent);

    assert_eq!((closed_while_lent, server.closed()), (1, 2));
    assert_eq!(pool.state(), all_idle(0));
}

#[test]
fn close_all_wakes_a_waiting_checkout_with_closed() {
    let (pool, _server) = fake_pool(1, TRUST);
    let _held = pool.get().unwrap();
    let waiter = {
        let pool = pool.clone();
        thread::spawn(move || pool.get_timeout(Duration::from_secs(5)).map(|c| c.id))
    };
    thread::sleep(Duration::from_millis(50));

    pool.close_all();

    assert!(matches!(waiter.join().unwrap(), Err(PoolError::Closed)));
}

#[test]
fn many_threads_never_hold_the_same_connection_at_once() {
    let (pool, server) = fake_pool(3, TRUST);

    let workers: Vec<_> = (0..8)
        .map(|_| {
            let pool = pool.clone();
            thread::spawn(move || {
                for _ in 0..2_000 {
                    // Waiters are not served in turn: a thread that just gave a connection back
                    // may take it again before a woken waiter does, so on a busy machine one
                    // thread can wait a while. This deadline only turns a hang into a failure.
                    let conn = pool
                        .get_timeout(Duration::from_secs(10))
                        .expect("a connection within the deadline");
                    assert!(
                        !conn.in_use.swap(true, Ordering::SeqCst),
                        "connection {} lent twice",
                        conn.id
                    );
                    thread::yield_now();
                    conn.in_use.store(false, Ordering::SeqCst);
                }
            })
        })
        .collect();
    for worker in workers {
        worker
            .join()
            .expect("no worker saw a connection lent twice");
    }

    assert_eq!(server.opened(), 3);
    assert_eq!(pool.state(), all_idle(3));
}

#[test]
fn the_pool_and_its_guards_can_move_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    fn assert_send<T: Send>() {}

    assert_send_sync::<Pool>();
    assert_send::<lesson4::PooledConn>();
}
