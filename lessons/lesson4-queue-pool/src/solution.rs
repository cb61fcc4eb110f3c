//! Reference solution: the checkout with its liveness check, and the guard's `Drop`.
//! Exercise mode compiles `exercise.rs` in place of this file.

use std::sync::{Arc, PoisonError};
use std::time::{Duration, Instant};

use crate::{Idle, ManageConnection, Pool, PoolError, PooledConn, Shared};

impl<M: ManageConnection> Pool<M> {
    /// Lends a connection, waiting at most `timeout` for one to come free; then [`PoolError::Timeout`].
    ///
    /// The deadline bounds the wait for a free connection. The ping and the reconnect that may
    /// follow it are bounded by the connection options' own timeouts (`shared::Config::opts`
    /// gives 3 s to connect and 5 s to read).
    ///
    /// Python (the lecture's `get_conn`, which waits forever and pings every time):
    /// ```python
    /// def get_conn(self):
    ///     conn = self.pool.get()
    ///     conn.ping(reconnect=True)
    ///     return conn
    /// ```
    pub fn get_timeout(&self, timeout: Duration) -> Result<PooledConn<M>, PoolError> {
        let shared = &self.shared;
        let started = Instant::now();
        let deadline = started + timeout;
        let mut state = shared.lock();
        loop {
            if state.closed {
                return Err(PoolError::Closed);
            }
            // 1. The connection that came back first goes out first (FIFO, the lecture's Queue).
            if let Some(idle) = state.idle.pop_front() {
                // Never talk to the server while holding the lock: every other checkout would wait.
                drop(state);
                return shared.hand_out(idle);
            }
            // 2. No idle connection, but a dead one was discarded earlier: open one in its place.
            if state.open < shared.options.max_size {
                state.open += 1; // reserve the slot before unlocking, so two threads cannot both take it
                drop(state);
                return shared.connect_into_slot();
            }
            // 3. All lent out: wait until one comes back, but never past the deadline.
            let now = Instant::now();
            if now >= deadline {
                return Err(PoolError::Timeout {
                    waited: now - started,
                });
            }
            // wait_timeout unlocks while waiting and locks again before it returns. It may also
            // return early for no reason (a "spurious wakeup"), which the loop takes care of.
            state = shared
                .changed
                .wait_timeout(state, deadline - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }
}

impl<M: ManageConnection> Shared<M> {
    /// The liveness check: lends `idle` as it is if it is known to be fresh, else pings it first
    /// and opens a new connection in its place if the ping fails (the lecture's `reconnect=True`).
    fn hand_out(self: &Arc<Self>, idle: Idle<M::Connection>) -> Result<PooledConn<M>, PoolError> {
        let Idle {
            mut conn,
            returned_at,
            clean,
        } = idle;
        // A ping costs a round trip, as much as a short query. Skip it when the connection worked
        // a moment ago and we saw its last use end well; a long-idle one may have been closed by
        // the server (wait_timeout, KILL, a restart) and is worth the round trip.
        let fresh = clean && returned_at.elapsed() < self.options.liveness_window;
        if fresh || self.manager.is_alive(&mut conn) {
            return Ok(PooledConn::new(Arc::clone(self), conn));
        }
        drop(conn); // dead: close our end; its slot stays counted in `open` for the replacement
        self.connect_into_slot()
    }
}

impl<M: ManageConnection> Drop for PooledConn<M> {
    /// Gives the connection back: to the end of the queue, or closed if it is broken or the pool is.
    ///
    /// Python (the lecture's `release_connection`, which an exception skips):
    /// ```python
    /// def release_connection(self, conn):
    ///     self.pool.put(conn)
    /// ```
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else {
            return;
        };
        // A panic unwinding through the caller's code, or queries run on the bare `&mut Conn`:
        // either way we did not see how the last use ended, so the next checkout pings first.
        let clean = !self.unwatched && !std::thread::panicking();

        let mut state = self.pool.lock();
        if self.broken || state.closed {
            state.open -= 1; // frees the slot: a checkout may open a new connection
            drop(state);
            self.pool.changed.notify_one();
            drop(conn); // closes it (COM_QUIT), outside the lock
            return;
        }
        state.idle.push_back(Idle::new(conn, clean));
        drop(state);
        // Wake one waiting checkout, if any: a connection is there for it.
        self.pool.changed.notify_one();
    }
}
