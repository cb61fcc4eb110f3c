//! What the pool does outside the exercise (`src/pool.rs` and `src/plumbing.rs`), with the fake
//! connection type of `common`: start-up, the liveness window, `get`'s configured deadline,
//! `close_all`. No database.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::thread;
use std::time::Duration;

use crate::common::{
    ALWAYS_PING, FakeConn, FakeManager, Server, TRUST, all_idle, checkout_id, fake_pool,
};
use lesson4::{Pool, PoolError, PoolOptions};

#[test]
fn the_pool_opens_max_size_connections_at_start_up() {
    let (pool, server) = fake_pool(4, TRUST);

    assert!(server.opened() == 4, "{} opened", server.opened());
    assert!(pool.state() == all_idle(4), "{:?}", pool.state());
}

#[test]
fn a_pool_of_zero_connections_is_refused() {
    let result = Pool::with_manager(FakeManager(Arc::default()), PoolOptions::new(0));

    assert!(matches!(result, Err(PoolError::ZeroSize)), "{result:?}");
}

#[test]
fn a_pool_whose_server_refuses_connections_fails_at_start_up() {
    let server = Arc::new(Server::default());
    server.refuse_connections.store(true, Ordering::SeqCst);

    let result = Pool::with_manager(FakeManager(server), PoolOptions::new(2));

    assert!(matches!(result, Err(PoolError::Connect(_))), "{result:?}");
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
    let pings = pings_for_100_checkouts(TRUST);
    assert!(pings == 0, "{pings} pings; expected none");
}

#[test]
fn with_a_zero_window_every_checkout_pings_as_the_lecture_does() {
    let pings = pings_for_100_checkouts(ALWAYS_PING);
    assert!(pings == 100, "{pings} pings; expected 100");
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

    assert!(
        (pings_within, pings_after) == (0, 1),
        "pings within the window {pings_within}, after it {pings_after}; expected 0 and 1"
    );
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
    assert!(state == all_idle(1), "{state:?}");
    assert!(
        (next, server.pings()) == (1, 1),
        "connection {next}, {} pings; expected connection 1, pinged once",
        server.pings()
    );
}

#[test]
fn a_connection_used_through_deref_mut_is_pinged_before_its_next_use() {
    let (pool, server) = fake_pool(1, TRUST);
    let mut conn = pool.get().unwrap();

    let bare: &mut FakeConn = &mut conn; // the pool cannot see what is done with this
    bare.in_use.store(false, Ordering::SeqCst);
    drop(conn);
    checkout_id(&pool);

    assert!(server.pings() == 1, "{} pings; expected 1", server.pings());
}

#[test]
fn get_waits_for_the_configured_checkout_timeout() {
    let options = PoolOptions {
        checkout_timeout: Duration::from_millis(80),
        ..PoolOptions::new(1)
    };
    let pool = Pool::with_manager(FakeManager(Arc::default()), options).unwrap();
    let _held = pool.get().unwrap();

    let result = pool.get();

    assert!(
        matches!(result, Err(PoolError::Timeout { waited }) if waited >= Duration::from_millis(80)),
        "{result:?}"
    );
}

#[test]
fn close_all_closes_the_idle_connections_and_refuses_checkouts() {
    let (pool, server) = fake_pool(3, TRUST);

    pool.close_all();

    assert!(server.closed() == 3, "{} closed", server.closed());
    assert!(matches!(pool.get(), Err(PoolError::Closed)));
    assert!(pool.state() == all_idle(0), "{:?}", pool.state());
}

#[test]
fn the_pool_and_its_guards_can_move_between_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    fn assert_send<T: Send>() {}

    assert_send_sync::<Pool>();
    assert_send::<lesson4::PooledConn>();
}
