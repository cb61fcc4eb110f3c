//! The pool, the lecture's `ConnectionPool`: a queue of connections behind a lock, and a guard that
//! lends one. Read this file top to bottom for the exercise: everything `src/exercise.rs` uses is
//! here. `src/plumbing.rs` (the guard used as a `mysql::Conn`, `close_all`, `state`, `Debug`, `Clone`)
//! you need not read.

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use mysql::{Conn, Opts};

use crate::PoolError;

/// How long [`Pool::get`] waits for a free connection before it returns [`PoolError::Timeout`].
/// A few seconds: long enough to ride out a burst, short enough that a stuck program says so.
pub const DEFAULT_CHECKOUT_TIMEOUT: Duration = Duration::from_secs(3);

/// A connection given back less than this long ago is lent again without a ping
/// (HikariCP's `aliveBypassWindowMs` is 500 ms too).
pub const DEFAULT_LIVENESS_WINDOW: Duration = Duration::from_millis(500);

/// What the pool needs to know about a kind of connection: how to open one and how to tell whether
/// it still works. It is r2d2's `ManageConnection`, cut down to what this lesson uses. The real one
/// is [`MysqlConnector`]; the tests use a fake, so that the queue logic can be checked exactly and
/// without a server.
pub trait ManageConnection: Send + Sync + 'static {
    /// The connection type the pool lends out.
    type Connection: Send + 'static;

    /// Opens a new connection.
    fn connect(&self) -> Result<Self::Connection, mysql::Error>;

    /// Whether `conn` still works. For MySQL, a `COM_PING` round trip.
    fn is_alive(&self, conn: &mut Self::Connection) -> bool;
}

/// Opens `mysql::Conn`s with the given options and checks them with `COM_PING`.
///
/// Not `Debug`: `mysql::Opts`'s `Debug` output shows the password.
#[derive(Clone)]
pub struct MysqlConnector {
    opts: Opts,
}

impl MysqlConnector {
    /// A connector that opens connections with `opts` (for example `shared::Config::opts()`).
    pub fn new(opts: Opts) -> MysqlConnector {
        MysqlConnector { opts }
    }
}

impl ManageConnection for MysqlConnector {
    type Connection = Conn;

    fn connect(&self) -> Result<Conn, mysql::Error> {
        Conn::new(self.opts.clone())
    }

    fn is_alive(&self, conn: &mut Conn) -> bool {
        conn.ping().is_ok()
    }
}

/// The pool's settings. Start from [`PoolOptions::new`] and change what you need:
/// `PoolOptions { liveness_window: Duration::ZERO, ..PoolOptions::new(4) }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolOptions {
    /// How many connections the pool opens at start-up, and the most it ever holds (the lecture's `maxsize`).
    pub max_size: usize,
    /// How long [`Pool::get`] waits for a free connection.
    pub checkout_timeout: Duration,
    /// A connection given back less than this long ago, after a use the pool saw end cleanly, is
    /// lent without a ping. `Duration::ZERO` pings on every checkout, as the lecture does.
    pub liveness_window: Duration,
}

impl PoolOptions {
    /// `max_size` connections, [`DEFAULT_CHECKOUT_TIMEOUT`], [`DEFAULT_LIVENESS_WINDOW`].
    pub fn new(max_size: usize) -> PoolOptions {
        PoolOptions {
            max_size,
            checkout_timeout: DEFAULT_CHECKOUT_TIMEOUT,
            liveness_window: DEFAULT_LIVENESS_WINDOW,
        }
    }
}

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

/// A connection in the queue, with what the liveness window needs.
pub(crate) struct Idle<C> {
    pub(crate) conn: C,
    /// When it came back, or was opened.
    returned_at: Instant,
    /// False when the pool did not see its last use end: it is then pinged before its next use.
    clean: bool,
}

impl<C> Idle<C> {
    /// A connection just opened, or given back after a use the pool saw end well.
    pub(crate) fn new(conn: C) -> Idle<C> {
        Idle {
            conn,
            returned_at: Instant::now(),
            clean: true,
        }
    }
}

/// A connection lent by a [`Pool`]: use it as a `mysql::Conn`; dropping it gives it back (반납).
pub struct PooledConn<M: ManageConnection = MysqlConnector> {
    pub(crate) pool: Arc<Shared<M>>,
    /// Always `Some` until `Drop` takes it out.
    pub(crate) conn: Option<M::Connection>,
    /// The connection failed with a connection-level error (the guard watches the queries run on
    /// it), or `mark_broken` was called: close it instead of queueing it.
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

    /// Lends `idle`: as it is if it came back cleanly within the liveness window, else through the
    /// ping (`ping_or_replace`, the exercise's step 4c).
    pub(crate) fn hand_out(
        self: &Arc<Self>,
        idle: Idle<M::Connection>,
    ) -> Result<PooledConn<M>, PoolError> {
        if idle.clean && idle.returned_at.elapsed() < self.options.liveness_window {
            return Ok(PooledConn::new(Arc::clone(self), idle.conn));
        }
        self.ping_or_replace(idle.conn)
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

    /// `conn`, ready for the queue: stamped with the time it came back, and marked for a ping
    /// before its next use if the pool did not see its last use end (a panic unwinding through
    /// the caller, or queries run on the bare `&mut Conn`).
    pub(crate) fn idle_entry(&self, conn: M::Connection) -> Idle<M::Connection> {
        let mut idle = Idle::new(conn);
        idle.clean = !self.unwatched && !std::thread::panicking();
        idle
    }

    /// Tells the pool that this connection must not be lent again (for example after a
    /// connection-level error seen through `&mut Conn`): it is closed on drop, and a later
    /// checkout opens a new one in its place.
    pub fn mark_broken(&mut self) {
        self.broken = true;
    }
}

impl Pool {
    /// Opens `max_size` connections with `opts` now, as the lecture's `__init__` fills its Queue,
    /// so a wrong password or a stopped server is reported at start-up, not at the first request.
    pub fn new(opts: Opts, max_size: usize) -> Result<Pool, PoolError> {
        Pool::with_manager(MysqlConnector::new(opts), PoolOptions::new(max_size))
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

    /// Lends a connection, waiting at most `options.checkout_timeout` for one to come free.
    pub fn get(&self) -> Result<PooledConn<M>, PoolError> {
        self.get_timeout(self.shared.options.checkout_timeout)
    }
}
