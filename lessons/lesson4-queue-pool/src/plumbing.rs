//! What makes the pool fit for the other lessons, but is not the lesson's idea. You need not read
//! this file for the exercise.
//!
//! * [`ManageConnection`]: how to open and check a connection. [`MysqlConnector`] is the real one;
//!   the tests use a fake, so that the queue logic can be checked exactly and without a server.
//! * The liveness window: a connection given back cleanly less than
//!   [`PoolOptions::liveness_window`] ago (500 ms, as HikariCP does) is lent without a ping.
//! * The guard's `Queryable` forwarding: queries run on the guard are watched, and a connection
//!   that failed with a connection-level error is closed on return instead of being lent again.
//! * `close_all`, `state`, `Clone` and `Debug` (without the password).

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::time::{Duration, Instant};

use mysql::prelude::{AsStatement, Queryable};
use mysql::{Binary, Conn, Opts, Params, QueryResult, Statement, Text};

use crate::pool::Shared;
use crate::{Pool, PoolError, PooledConn};

/// How long [`Pool::get`] waits for a free connection before it returns [`PoolError::Timeout`].
/// A few seconds: long enough to ride out a burst, short enough that a stuck program says so.
pub const DEFAULT_CHECKOUT_TIMEOUT: Duration = Duration::from_secs(3);

/// A connection given back less than this long ago is lent again without a ping
/// (HikariCP's `aliveBypassWindowMs` is 500 ms too).
pub const DEFAULT_LIVENESS_WINDOW: Duration = Duration::from_millis(500);

/// What the pool needs to know about a kind of connection: how to open one and how to tell whether
/// it still works. It is r2d2's `ManageConnection`, cut down to what this lesson uses.
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

/// How many connections a pool holds right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolState {
    /// Connections that exist: idle ones plus those lent out (and any being opened).
    pub connections: usize,
    /// Connections waiting in the queue.
    pub idle_connections: usize,
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

impl<M: ManageConnection> Shared<M> {
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
}

impl Pool {
    /// Opens `max_size` connections with `opts` now, as the lecture's `__init__` fills its Queue,
    /// so a wrong password or a stopped server is reported at start-up, not at the first request.
    pub fn new(opts: Opts, max_size: usize) -> Result<Pool, PoolError> {
        Pool::with_manager(MysqlConnector::new(opts), PoolOptions::new(max_size))
    }
}

impl<M: ManageConnection> Pool<M> {
    /// Lends a connection, waiting at most `options.checkout_timeout` for one to come free.
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
        // Dropping a mysql::Conn sends COM_QUIT and closes the socket: done outside the lock.
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

    /// Wakes every checkout waiting for a connection without giving it one, as a spurious wakeup
    /// of the `Condvar` would. The tests use it: a woken checkout must check again, and keep to its
    /// deadline.
    pub fn wake_waiting_checkouts(&self) {
        let _state = self.shared.lock(); // a waiter is either asleep or holds the lock: none misses it
        self.shared.changed.notify_all();
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

impl<M: ManageConnection> PooledConn<M> {
    /// Tells the pool that this connection must not be lent again (for example after a
    /// connection-level error seen through `&mut Conn`): it is closed on drop, and a later
    /// checkout opens a new one in its place.
    pub fn mark_broken(&mut self) {
        self.broken = true;
    }

    /// Whether this connection will be closed on drop instead of going back to the queue.
    pub fn is_broken(&self) -> bool {
        self.broken
    }

    /// `conn`, ready for the queue: stamped with the time it came back, and marked for a ping
    /// before its next use if the pool did not see its last use end (a panic unwinding through
    /// the caller, or queries run on the bare `&mut Conn`).
    pub(crate) fn idle_entry(&self, conn: M::Connection) -> Idle<M::Connection> {
        let mut idle = Idle::new(conn);
        idle.clean = !self.unwatched && !std::thread::panicking();
        idle
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
