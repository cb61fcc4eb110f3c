//! Reference solution: the guard's `Drop`, the checkout with its deadline, the ping and reconnect.
//! Exercise mode compiles `exercise.rs` in place of this file.

use std::sync::{Arc, PoisonError};
use std::time::{Duration, Instant};

use crate::pool::Shared;
use crate::{ManageConnection, Pool, PoolError, PooledConn};

impl<M: ManageConnection> Drop for PooledConn<M> {
    /// Gives the connection back (the lecture's `release_connection`, which an exception skips):
    /// to the end of the queue, or closed if it is broken or the pool is.
    fn drop(&mut self) {
        let Some(conn) = self.conn.take() else {
            return;
        };
        let mut state = self.pool.lock();
        if self.broken || state.closed {
            state.open -= 1; // frees the slot: a checkout may open a new connection in it
            drop(state);
            self.pool.changed.notify_one();
            drop(conn); // closes it (COM_QUIT), outside the lock
            return;
        }
        state.idle.push_back(self.idle_entry(conn));
        drop(state);
        // Wake one waiting checkout, if any: a connection is there for it.
        self.pool.changed.notify_one();
    }
}

impl<M: ManageConnection> Pool<M> {
    /// Lends a connection, waiting at most `timeout` for one to come free; then [`PoolError::Timeout`].
    /// (The lecture's `get_conn` is `self.pool.get()`, which waits forever.)
    pub fn get_timeout(&self, timeout: Duration) -> Result<PooledConn<M>, PoolError> {
        let shared = &self.shared;
        let started = Instant::now();
        let deadline = started + timeout;
        let mut state = shared.lock();
        loop {
            if state.closed {
                return Err(PoolError::Closed);
            }
            // The connection that came back first goes out first (FIFO, the lecture's Queue).
            if let Some(idle) = state.idle.pop_front() {
                // Never talk to the server while holding the lock: every other checkout would wait.
                drop(state);
                return shared.hand_out(idle);
            }
            // None idle, but a dead one was closed earlier: open one in its place.
            if state.open < shared.options.max_size {
                state.open += 1; // reserve the slot before unlocking, so two threads cannot both take it
                drop(state);
                return shared.connect_into_slot();
            }
            // All lent out: wait until one comes back, but never past the deadline.
            let now = Instant::now();
            if now >= deadline {
                return Err(PoolError::Timeout {
                    waited: now - started,
                });
            }
            // wait_timeout unlocks while waiting and locks again before it returns. It may return
            // with nothing for us (another thread was faster, or a spurious wakeup): hence the loop,
            // and the wait for what remains of the deadline, not for `timeout` again.
            state = shared
                .changed
                .wait_timeout(state, deadline - now)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }
}

impl<M: ManageConnection> Shared<M> {
    /// The lecture's `conn.ping(reconnect=True)`: lends `conn` if it answers a ping, else closes it
    /// and opens a new connection in its slot (재연결).
    pub(crate) fn ping_or_replace(
        self: &Arc<Self>,
        mut conn: M::Connection,
    ) -> Result<PooledConn<M>, PoolError> {
        if self.manager.is_alive(&mut conn) {
            return Ok(PooledConn::new(Arc::clone(self), conn));
        }
        drop(conn); // dead: close our end; its slot stays counted in `open` for the new one
        self.connect_into_slot()
    }
}
