//! # Lesson 4: a connection pool, by hand
//!
//! Lesson 3 measured it: opening a connection costs far more than a short query. The lecture's answer
//! is a pool: open `maxsize` connections at start-up, keep them in a queue, lend one out per request
//! and take it back afterwards. Its Python pool has two faults, and this one fixes both:
//!
//! * a connection is lost when an exception strikes between `get_conn` and `release_connection`.
//!   Here a checkout returns a guard, [`PooledConn`], whose `Drop` gives the connection back on every
//!   path: normal end, `?` error, panic;
//! * `Queue.get()` waits forever when every connection is taken. Here [`Pool::get_timeout`] (and
//!   [`Pool::get`], with [`DEFAULT_CHECKOUT_TIMEOUT`]) returns [`PoolError::Timeout`] instead.
//!
//! It keeps the lecture's liveness check (`conn.ping(reconnect=True)`), but not on every checkout: a
//! ping is one more round trip, as long as a short query. A connection given back less than
//! [`PoolOptions::liveness_window`] ago (500 ms, as HikariCP does) is handed out unchecked; in exchange
//! the guard watches the queries run through it, and a connection that failed with a connection-level
//! error is closed instead of being put back. See the README for what this costs and what it misses.
//!
//! The queue logic is generic over [`ManageConnection`], so `tests/queue.rs` can run it with a fake
//! connection type and no database; [`MysqlConnector`] is the real one, and `Pool` without type
//! parameters means a pool of `mysql::Conn`.
//!
//! Exercise mode: `cargo test -p lesson4 --features exercise` builds `src/exercise.rs` (your checkout,
//! [`Pool::get_timeout`], and your guard's `Drop`) instead of `src/solution.rs`.

// The untouched exercise stubs use none of the helpers below; no need to warn about that.
#![cfg_attr(feature = "exercise", allow(dead_code))]

use std::collections::VecDeque;
use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use mysql::prelude::{AsStatement, Queryable};
use mysql::{Binary, Conn, Opts, Params, QueryResult, Statement, Text};

#[cfg_attr(feature = "exercise", path = "exercise.rs")]
mod solution;

/// How long [`Pool::get`] waits for a free connection before it returns [`PoolError::Timeout`].
/// A few seconds: long enough to ride out a burst, short enough that a stuck program says so.
pub const DEFAULT_CHECKOUT_TIMEOUT: Duration = Duration::from_secs(3);

/// A connection given back less than this long ago is handed out again without a ping
/// (HikariCP's `aliveBypassWindowMs` is 500 ms too).
pub const DEFAULT_LIVENESS_WINDOW: Duration = Duration::from_millis(500);

/// What the pool needs to know about a kind of connection: how to open one and how to tell whether
/// it still works. [`MysqlConnector`] implements it for `mysql::Conn`; the tests implement it for a fake.
///
/// It is r2d2's `ManageConnection`, cut down to what this lesson uses.
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
        // The lecture's conn.ping(reconnect=True) pings and reconnects in one call; here the pool
        // does the reconnecting itself, by opening a new connection in the dead one's place.
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
    /// handed out without a ping. `Duration::ZERO` pings on every checkout, as the lecture does.
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

/// Why the pool could not lend a connection.
#[derive(Debug)]
pub enum PoolError {
    /// Opening a connection failed (at start-up, or to replace a dead one).
    Connect(mysql::Error),
    /// Every connection stayed in use until the deadline: the issue's `PoolTimeout`.
    Timeout {
        /// How long the checkout waited.
        waited: Duration,
    },
    /// [`Pool::close_all`] was called; this pool lends nothing any more.
    Closed,
    /// `max_size` was 0: such a pool could never lend a connection.
    ZeroSize,
}

impl fmt::Display for PoolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PoolError::Connect(err) => write!(f, "the pool could not open a connection: {err}"),
            PoolError::Timeout { waited } => write!(
                f,
                "PoolTimeout: no connection came free within {:.3} s, every pooled connection is in use \
                 (is a PooledConn held too long, or is the pool too small?)",
                waited.as_secs_f64()
            ),
            PoolError::Closed => write!(f, "the pool is closed (close_all was called)"),
            PoolError::ZeroSize => write!(f, "a pool needs max_size of at least 1"),
        }
    }
}

impl std::error::Error for PoolError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            PoolError::Connect(err) => Some(err),
            _ => None,
        }
    }
}

/// How many connections a pool holds right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolState {
    /// Connections that exist: idle ones plus those lent out (and any being opened).
    pub connections: usize,
    /// Connections waiting in the queue.
    pub idle_connections: usize,
}

/// A pool of connections, cheap to clone (an `Arc` inside) and shared between threads.
///
/// `Pool` without type parameters is a pool of `mysql::Conn`, made by [`Pool::new`].
pub struct Pool<M: ManageConnection = MysqlConnector> {
    shared: Arc<Shared<M>>,
}

/// What every clone of a [`Pool`] and every [`PooledConn`] point at.
struct Shared<M: ManageConnection> {
    manager: M,
    options: PoolOptions,
    state: Mutex<State<M::Connection>>,
    /// Signalled when a connection comes back, a slot frees up, or the pool closes.
    changed: Condvar,
}

/// The part behind the lock.
struct State<C> {
    /// Connections waiting to be lent, oldest return first (the lecture's Queue).
    idle: VecDeque<Idle<C>>,
    /// Connections that exist, idle or lent out. Never more than `max_size`: a checkout that finds
    /// no idle connection opens one only while `open < max_size` (after a dead one was discarded).
    open: usize,
    /// Set by `close_all`.
    closed: bool,
}

/// A connection in the queue, with what the checkout needs to decide whether to ping it.
struct Idle<C> {
    conn: C,
    /// When it came back, or was opened.
    returned_at: Instant,
    /// False when its last use ended in a way the pool did not see (a panic, or use through
    /// `&mut Conn`): it is then checked before its next use, whatever the window says.
    clean: bool,
}

impl<C> Idle<C> {
    fn new(conn: C, clean: bool) -> Idle<C> {
        Idle {
            conn,
            returned_at: Instant::now(),
            clean,
        }
    }
}

impl<M: ManageConnection> Shared<M> {
    /// Locks the state. A thread that panicked while holding the lock left it consistent (no code
    /// here panics half-way through an update), so a poisoned lock is used as it is.
    fn lock(&self) -> MutexGuard<'_, State<M::Connection>> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Opens a connection for a slot the caller already counted in `open`, and lends it out.
    /// If that fails, the slot is given back so that another checkout can try.
    fn connect_into_slot(self: &Arc<Self>) -> Result<PooledConn<M>, PoolError> {
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
        let mut idle = VecDeque::with_capacity(options.max_size);
        for _ in 0..options.max_size {
            // On an error, the connections opened so far are dropped (closed) with `idle`.
            let conn = manager.connect().map_err(PoolError::Connect)?;
            idle.push_back(Idle::new(conn, true));
        }
        Ok(Pool {
            shared: Arc::new(Shared {
                manager,
                options,
                state: Mutex::new(State {
                    idle,
                    open: options.max_size,
                    closed: false,
                }),
                changed: Condvar::new(),
            }),
        })
    }

    /// Lends a connection, waiting at most [`PoolOptions::checkout_timeout`]
    /// ([`DEFAULT_CHECKOUT_TIMEOUT`] unless set) for one to come free.
    pub fn get(&self) -> Result<PooledConn<M>, PoolError> {
        self.get_timeout(self.shared.options.checkout_timeout)
    }

    /// Closes every idle connection and refuses further checkouts with [`PoolError::Closed`]
    /// (threads waiting in a checkout get it too). Connections still lent out are closed when
    /// their guards drop, instead of going back to the queue.
    pub fn close_all(&self) {
        let idle = {
            let mut state = self.shared.lock();
            state.closed = true;
            let idle = std::mem::take(&mut state.idle);
            state.open -= idle.len();
            idle
        };
        self.shared.changed.notify_all();
        // Dropping a mysql::Conn sends COM_QUIT and closes the socket; done outside the lock,
        // because it talks to the server.
        drop(idle);
    }

    /// How many connections exist and how many are idle.
    pub fn state(&self) -> PoolState {
        let state = self.shared.lock();
        PoolState {
            connections: state.open,
            idle_connections: state.idle.len(),
        }
    }

    /// The settings this pool was made with.
    pub fn options(&self) -> &PoolOptions {
        &self.shared.options
    }
}

// A derived Clone would require `M: Clone`; cloning the Arc needs nothing.
impl<M: ManageConnection> Clone for Pool<M> {
    fn clone(&self) -> Self {
        Pool {
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<M: ManageConnection> fmt::Debug for Pool<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Only counts: the connector's Opts (and mysql::Conn's Debug) would show the password.
        f.debug_struct("Pool")
            .field("options", &self.shared.options)
            .field("state", &self.state())
            .finish()
    }
}

/// A connection lent by a [`Pool`]: use it as a `mysql::Conn` (it derefs to one); dropping it gives
/// the connection back to the pool, on every path, panics included.
///
/// It owns an `Arc` of the pool, so it has no lifetime: it can be returned from a function or moved
/// to another thread.
///
/// Queries run *on the guard* (`pooled.query_first(..)`, `pooled.exec_drop(..)`, or passing
/// `&mut pooled` to a function that takes `&mut impl Queryable`) are watched: if one fails with a
/// connection-level error, the connection is closed on drop instead of going back. Code that takes
/// the `&mut mysql::Conn` inside (a function taking `&mut Conn`, `start_transaction`) is not watched,
/// so the pool pings that connection before lending it again.
pub struct PooledConn<M: ManageConnection = MysqlConnector> {
    pool: Arc<Shared<M>>,
    /// Always `Some` until `Drop` takes it out.
    conn: Option<M::Connection>,
    /// A query through the guard failed with a connection-level error, or [`PooledConn::mark_broken`] was called.
    broken: bool,
    /// The `&mut` connection was handed out (`DerefMut`): the pool did not see how its queries ended.
    unwatched: bool,
}

impl<M: ManageConnection> PooledConn<M> {
    fn new(pool: Arc<Shared<M>>, conn: M::Connection) -> PooledConn<M> {
        PooledConn {
            pool,
            conn: Some(conn),
            broken: false,
            unwatched: false,
        }
    }

    /// Tells the pool that this connection must not be lent again (for example after a
    /// connection-level error seen through `&mut Conn`): it is closed on drop, and the next
    /// checkout that finds the queue empty opens a new one in its place.
    pub fn mark_broken(&mut self) {
        self.broken = true;
    }

    /// Whether this connection will be closed on drop instead of going back to the queue.
    pub fn is_broken(&self) -> bool {
        self.broken
    }

    /// Notes a connection-level error, and passes the result on unchanged.
    fn watch<T>(broken: &mut bool, result: mysql::Result<T>) -> mysql::Result<T> {
        if matches!(&result, Err(err) if is_connection_lost(err)) {
            *broken = true;
        }
        result
    }
}

/// Whether `err` means the connection itself is gone, so that retrying on it is pointless:
/// the driver's I/O and protocol errors (`is_connectivity_error`), and the server errors that
/// announce the end of the session (the server sends these just before closing the socket).
pub fn is_connection_lost(err: &mysql::Error) -> bool {
    // The two servers share the codes below 1900; 1927 is unused in MySQL and 3169 unused in
    // MariaDB. 4031 is not: MariaDB uses it for a missing trigger in `CREATE TRIGGER .. FOLLOWS`,
    // which no statement of this course runs (and if one did, the cost would be one reconnect).
    const SESSION_ENDED: [u16; 4] = [
        1053, // ER_SERVER_SHUTDOWN
        1927, // MariaDB ER_CONNECTION_KILLED
        3169, // MySQL ER_SESSION_WAS_KILLED
        4031, // MySQL ER_CLIENT_INTERACTION_TIMEOUT (wait_timeout)
    ];
    match err {
        mysql::Error::MySqlError(server) => SESSION_ENDED.contains(&server.code),
        other => other.is_connectivity_error(),
    }
}

impl<M: ManageConnection> Deref for PooledConn<M> {
    type Target = M::Connection;

    fn deref(&self) -> &M::Connection {
        self.conn
            .as_ref()
            .expect("a PooledConn holds its connection until it is dropped")
    }
}

impl<M: ManageConnection> DerefMut for PooledConn<M> {
    fn deref_mut(&mut self) -> &mut M::Connection {
        // Whoever holds `&mut Conn` can run queries we never see the results of.
        self.unwatched = true;
        self.conn
            .as_mut()
            .expect("a PooledConn holds its connection until it is dropped")
    }
}

impl<M: ManageConnection> fmt::Debug for PooledConn<M> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Not the connection: mysql::Conn's Debug output includes its Opts, password and all.
        f.debug_struct("PooledConn")
            .field("broken", &self.broken)
            .field("unwatched", &self.unwatched)
            .finish_non_exhaustive()
    }
}

/// The five methods every other `Queryable` method (`query_first`, `exec_drop`, ...) is built on,
/// passed to the connection, with their errors watched. mysql's own `PooledConn` forwards the same way.
impl<M> Queryable for PooledConn<M>
where
    M: ManageConnection,
    M::Connection: Queryable,
{
    fn query_iter<Q: AsRef<str>>(
        &mut self,
        query: Q,
    ) -> mysql::Result<QueryResult<'_, '_, '_, Text>> {
        let conn = self.conn.as_mut().expect("held until drop");
        Self::watch(&mut self.broken, conn.query_iter(query))
    }

    fn prep<Q: AsRef<str>>(&mut self, query: Q) -> mysql::Result<Statement> {
        let conn = self.conn.as_mut().expect("held until drop");
        Self::watch(&mut self.broken, conn.prep(query))
    }

    fn close(&mut self, stmt: Statement) -> mysql::Result<()> {
        let conn = self.conn.as_mut().expect("held until drop");
        Self::watch(&mut self.broken, conn.close(stmt))
    }

    fn exec_iter<S, P>(
        &mut self,
        stmt: S,
        params: P,
    ) -> mysql::Result<QueryResult<'_, '_, '_, Binary>>
    where
        S: AsStatement,
        P: Into<Params>,
    {
        let conn = self.conn.as_mut().expect("held until drop");
        Self::watch(&mut self.broken, conn.exec_iter(stmt, params))
    }

    fn exec_batch<S, P, I>(&mut self, stmt: S, params: I) -> mysql::Result<()>
    where
        Self: Sized,
        S: AsStatement,
        P: Into<Params>,
        I: IntoIterator<Item = P>,
    {
        let conn = self.conn.as_mut().expect("held until drop");
        Self::watch(&mut self.broken, conn.exec_batch(stmt, params))
    }
}
