//! The pool, the lecture's `ConnectionPool`: a queue of connections behind a lock, and a guard that
//! lends one. Read this file for the exercise; `src/plumbing.rs` you need not read.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};

use crate::plumbing::Idle;
use crate::{ManageConnection, MysqlConnector, PoolError, PoolOptions};

/// A pool of connections, cheap to clone (an `Arc` inside) and shared between threads.
/// `Pool` without type parameters is a pool of `mysql::Conn`.
pub struct Pool<M: ManageConnection = MysqlConnector> {
    pub(crate) shared: Arc<Shared<M>>,
}

/// What every clone of a [`Pool`] and every [`PooledConn`] point at.
pub(crate) struct Shared<M: ManageConnection> {
    /// Opens connections (`manager.connect()`) and pings them (`manager.is_alive(&mut conn)`).
    pub(crate) manager: M,
    /// `max_size`, the checkout deadline of `get`, ...
    pub(crate) options: PoolOptions,
    /// The queue and its counters. Lock it with `shared.lock()`.
    pub(crate) state: Mutex<State<M::Connection>>,
    /// Signalled when a connection comes back, a slot frees up, or the pool closes.
    pub(crate) changed: Condvar,
}

/// The part behind the lock.
pub(crate) struct State<C> {
    /// Connections waiting to be lent, oldest return first: the lecture's `Queue`. Lend an `Idle`
    /// with `shared.hand_out(idle)`; queue a returned connection as `guard.idle_entry(conn)`.
    pub(crate) idle: VecDeque<Idle<C>>,
    /// Connections that exist, idle or lent out: never more than `max_size`.
    pub(crate) open: usize,
    /// Set by `close_all`: lend nothing more.
    pub(crate) closed: bool,
}

/// A connection lent by a [`Pool`]: use it as a `mysql::Conn`; dropping it gives it back (반납).
pub struct PooledConn<M: ManageConnection = MysqlConnector> {
    pub(crate) pool: Arc<Shared<M>>,
    /// Always `Some` until `Drop` takes it out.
    pub(crate) conn: Option<M::Connection>,
    /// The connection failed (or `mark_broken` was called): close it instead of queueing it.
    pub(crate) broken: bool,
    /// The bare `&mut Conn` was handed out, so its next checkout pings it.
    pub(crate) unwatched: bool,
}

impl<M: ManageConnection> Shared<M> {
    /// Locks the state. A thread that panicked while holding the lock left it consistent, so a
    /// poisoned lock is used as it is.
    pub(crate) fn lock(&self) -> MutexGuard<'_, State<M::Connection>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Opens a connection for a slot the caller already counted in `open`, and lends it.
    /// If that fails, it frees the slot again (and says so to a waiting checkout).
    pub(crate) fn connect_into_slot(self: &Arc<Self>) -> Result<PooledConn<M>, PoolError> {
        match self.manager.connect() {
            Ok(conn) => Ok(PooledConn::new(Arc::clone(self), conn)),
            Err(err) => {
                self.lock().open -= 1;
                self.changed.notify_one();
                Err(PoolError::Connect(err))
            }
        }
    }
}

impl<M: ManageConnection> PooledConn<M> {
    /// A guard lending `conn`.
    pub(crate) fn new(pool: Arc<Shared<M>>, conn: M::Connection) -> PooledConn<M> {
        PooledConn {
            pool,
            conn: Some(conn),
            broken: false,
            unwatched: false,
        }
    }
}

impl<M: ManageConnection> Pool<M> {
    /// Opens `options.max_size` connections with `manager` now.
    pub fn with_manager(manager: M, options: PoolOptions) -> Result<Pool<M>, PoolError> {
        if options.max_size == 0 {
            return Err(PoolError::ZeroSize);
        }
        let mut idle = VecDeque::new();
        for _ in 0..options.max_size {
            // On an error, the connections opened so far are closed when `idle` is dropped.
            idle.push_back(Idle::new(manager.connect().map_err(PoolError::Connect)?));
        }
        let state = State {
            idle,
            open: options.max_size,
            closed: false,
        };
        let (state, changed) = (Mutex::new(state), Condvar::new());
        Ok(Pool {
            shared: Arc::new(Shared {
                manager,
                options,
                state,
                changed,
            }),
        })
    }
}
