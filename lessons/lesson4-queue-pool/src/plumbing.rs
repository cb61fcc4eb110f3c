//! What makes the pool fit for the other lessons, but is not the lesson's idea. You need not read
//! this file for the exercise: nothing in `src/exercise.rs` calls what is here.
//!
//! * The guard as a connection: `Deref` to `mysql::Conn`, and the `Queryable` forwarding that
//!   watches the queries run on the guard, so that a connection that failed with a
//!   connection-level error is closed on return instead of being lent again.
//! * [`Pool::close_all`], [`Pool::state`], [`Pool::options`], `Clone` and `Debug` (without the
//!   password).
//! * With the `test-support` feature, hooks only the tests use.

use std::fmt;
use std::ops::{Deref, DerefMut};
use std::sync::Arc;

use mysql::prelude::{AsStatement, Queryable};
use mysql::{Binary, Params, QueryResult, Statement, Text};

use crate::{ManageConnection, Pool, PoolOptions, PooledConn};

/// How many connections a pool holds right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoolState {
    /// Connections that exist: idle ones plus those lent out (and any being opened).
    pub connections: usize,
    /// Connections waiting in the queue.
    pub idle_connections: usize,
}

impl<M: ManageConnection> Pool<M> {
    /// Closes every idle connection and refuses further checkouts with [`PoolError::Closed`](crate::PoolError::Closed)
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

    /// The settings this pool was made with.
    pub fn options(&self) -> &PoolOptions {
        &self.shared.options
    }

    /// How many connections exist and how many are idle.
    pub fn state(&self) -> PoolState {
        let state = self.shared.lock();
        PoolState {
            connections: state.open,
            idle_connections: state.idle.len(),
        }
    }
}

/// Hooks the tests use, out of the public API unless the `test-support` feature is on (the
/// lesson's own dev-dependency on itself turns it on for its tests).
#[cfg(feature = "test-support")]
impl<M: ManageConnection> Pool<M> {
    /// Wakes every checkout waiting for a connection without giving it one, as a spurious wakeup
    /// of the `Condvar` would: a woken checkout must check again, and keep to its deadline.
    pub fn wake_waiting_checkouts(&self) {
        let _state = self.shared.lock(); // a waiter is either asleep or holds the lock: none misses it
        self.shared.changed.notify_all();
    }
}

#[cfg(feature = "test-support")]
impl<M: ManageConnection> PooledConn<M> {
    /// Whether this connection will be closed on drop instead of going back to the queue.
    pub fn is_broken(&self) -> bool {
        self.broken
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
    /// Notes a connection-level error, and passes the result on unchanged.
    fn watch<T>(broken: &mut bool, result: mysql::Result<T>) -> mysql::Result<T> {
        if matches!(&result, Err(err) if shared::is_connection_lost(err)) {
            *broken = true;
        }
        result
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
