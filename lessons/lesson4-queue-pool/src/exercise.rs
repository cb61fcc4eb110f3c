//! EXERCISE 4: the pool's checkout, with its liveness check, and the guard that gives the connection back.
//!
//! Write the three bodies below so that `cargo test -p lesson4 --features exercise` passes.
//! Run the demo on your version with `cargo run -p lesson4 --features exercise`.
//!
//! What you have (in `src/lib.rs`, read it first):
//! - `self.shared` (an `Arc<Shared<M>>`) holds `manager`, `options` (`max_size`, `liveness_window`),
//!   `state` and `changed` (a `Condvar`). `shared.lock()` locks `state`, a `State` with
//!   `idle: VecDeque<Idle<_>>` (the queue), `open: usize` (connections that exist) and `closed: bool`.
//! - `Idle { conn, returned_at: Instant, clean: bool }`; `Idle::new(conn, clean)` stamps it with now.
//! - `shared.manager.is_alive(&mut conn)` pings; `shared.connect_into_slot()` opens a new connection
//!   for a slot you already counted in `open` (it gives the slot back itself if connecting fails);
//!   `PooledConn::new(Arc::clone(shared), conn)` wraps a connection in a guard.
//! - The guard (`PooledConn`) has `pool` (the `Arc<Shared<M>>`), `conn: Option<_>`, and two flags:
//!   `broken` (a query through it lost the connection) and `unwatched` (someone took `&mut Conn`).
#![allow(unused_variables, unused_imports)]

use std::sync::{Arc, PoisonError};
use std::time::{Duration, Instant};

use crate::{Idle, ManageConnection, Pool, PoolError, PooledConn, Shared};

impl<M: ManageConnection> Pool<M> {
    /// Lends a connection, waiting at most `timeout` for one to come free; then [`PoolError::Timeout`].
    ///
    /// The deadline bounds the wait for a free connection. The ping and the reconnect that may
    /// follow it are bounded by the connection options' own timeouts (`shared::Config::opts`
    /// gives 3 s to connect and 5 s to read).
    //
    // Exercise 4a. The lecture's `get_conn` is `conn = self.pool.get(); conn.ping(reconnect=True)`.
    // Yours must never wait forever, and must not ping a connection that worked a moment ago.
    //
    // 1. Note `started = Instant::now()` and `deadline = started + timeout`; lock: `let mut state = self.shared.lock();`
    // 2. In a `loop`:
    //    a. If `state.closed`, return `Err(PoolError::Closed)`.
    //    b. If `state.idle.pop_front()` gives an `Idle`, unlock (`drop(state)`: never talk to the
    //       server while holding the lock) and return `self.shared.hand_out(idle)` (Exercise 4b).
    //    c. Else, if `state.open < self.shared.options.max_size` (a dead connection was discarded
    //       earlier), count the new one first (`state.open += 1`), unlock, and return
    //       `self.shared.connect_into_slot()`.
    //    d. Else every connection is lent out. If the deadline has passed, return
    //       `Err(PoolError::Timeout { waited: now - started })`. Otherwise wait for a return:
    //       `state = self.shared.changed.wait_timeout(state, deadline - now).unwrap_or_else(PoisonError::into_inner).0;`
    //       and go round the loop again (a wakeup does not promise a connection: another thread may
    //       have taken it first).
    pub fn get_timeout(&self, timeout: Duration) -> Result<PooledConn<M>, PoolError> {
        todo!(
            "Exercise 4a: take the oldest idle connection, or open one in a free slot, or wait until the deadline"
        )
    }
}

impl<M: ManageConnection> Shared<M> {
    // Exercise 4b: the liveness check. Lend `idle` as it is if it is fresh, else ping it first, and
    // open a new connection in its place if the ping fails (the lecture's `reconnect=True`).
    //
    // 1. Take the `Idle` apart: `let Idle { mut conn, returned_at, clean } = idle;`
    // 2. It is fresh when `clean` and `returned_at.elapsed() < self.options.liveness_window`.
    //    (A ping is a round trip, as long as a short query: skipping it is what makes the pool fast.)
    // 3. If fresh, or if `self.manager.is_alive(&mut conn)`, return it in a guard:
    //    `Ok(PooledConn::new(Arc::clone(self), conn))`.
    // 4. Else it is dead: drop it, and return `self.connect_into_slot()` (its slot is still counted in `open`).
    fn hand_out(self: &Arc<Self>, idle: Idle<M::Connection>) -> Result<PooledConn<M>, PoolError> {
        todo!(
            "Exercise 4b: skip the ping for a fresh connection, ping the others, replace a dead one"
        )
    }
}

impl<M: ManageConnection> Drop for PooledConn<M> {
    /// Gives the connection back: to the end of the queue, or closed if it is broken or the pool is.
    //
    // Exercise 4c. The lecture's `release_connection` is `self.pool.put(conn)`, and an exception
    // skips it. Drop runs on every path: normal end, `?`, panic.
    //
    // 1. Take the connection out of the guard: `let Some(conn) = self.conn.take() else { return };`
    // 2. Its last use was `clean` unless the guard was `unwatched` or we are unwinding from a panic
    //    (`std::thread::panicking()`): then the next checkout must ping it.
    // 3. Lock `self.pool.lock()`. If `self.broken` or `state.closed`: `state.open -= 1` (the slot is
    //    free for a new connection), unlock, `self.pool.changed.notify_one()`, and drop `conn` (closing it).
    // 4. Else `state.idle.push_back(Idle::new(conn, clean))`, unlock, and wake one waiting checkout
    //    with `self.pool.changed.notify_one()`.
    //
    // Until you write it, this body is empty: the connection inside is simply closed and its slot
    // never freed, so checkouts run out of connections and time out. (Not `todo!()`: a panic inside
    // a Drop that runs while another panic unwinds aborts the whole test run.)
    fn drop(&mut self) {
        // Exercise 4c: put the connection back at the end of the queue, or close it if it is broken.
    }
}
