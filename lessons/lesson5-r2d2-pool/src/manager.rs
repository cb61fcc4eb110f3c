//! The course's r2d2 manager: `r2d2_mysql`'s, plus what a ping cannot see. You need not read this
//! file for the exercise; the README's "What a ping cannot see" says why it exists.
//!
//! r2d2 asks its manager two questions. `is_valid` (on checkout, with `test_on_check_out`) and
//! `has_broken` (on every return). `r2d2_mysql` answers both with a `COM_PING` round trip, and a ping
//! only proves that *some* packet comes back. After a read timeout, the reply to the statement that
//! timed out is still on its way: the ping reads it as its own answer, and the connection is lent
//! again one reply behind, so the next caller gets the previous caller's rows.
//!
//! So this manager does what lesson 4's pool does instead:
//! * a connection whose use failed is closed, never lent again: the code that saw the error says so
//!   with [`ManagedConn::mark_broken`] (a panic during the use counts as a failure too);
//! * a connection that came back cleanly less than `liveness_window` ago is lent without a ping
//!   (HikariCP and lesson 4 use 500 ms); an older one is pinged, so one killed while it sat idle is
//!   replaced before anyone uses it;
//! * nothing is asked of the server on return: no round trip at all.

use std::ops::{Deref, DerefMut};
use std::time::{Duration, Instant};

use r2d2_mysql::MySqlConnectionManager;

/// Opens connections as `r2d2_mysql` does; checks them as lesson 4 does. See the module docs.
///
/// Not `Debug`: its `Opts` would show the password.
pub struct MysqlManager {
    inner: MySqlConnectionManager,
    liveness_window: Duration,
}

impl MysqlManager {
    /// A manager that opens connections with `opts` (for example `config.opts_builder()`) and pings
    /// a connection before lending it only if it came back more than `liveness_window` ago, or never
    /// came back cleanly. `Duration::ZERO` pings before every checkout, as `r2d2_mysql` does.
    pub fn new(opts: mysql::OptsBuilder, liveness_window: Duration) -> MysqlManager {
        MysqlManager {
            inner: MySqlConnectionManager::new(opts),
            liveness_window,
        }
    }
}

/// A `mysql::Conn` as the pool keeps it: with when it last came back, and whether its last use
/// failed. Use it as a `mysql::Conn` (it derefs to one).
pub struct ManagedConn {
    conn: mysql::Conn,
    /// When it was opened or last came back cleanly.
    returned_at: Instant,
    broken: bool,
}

impl ManagedConn {
    /// Tells the pool not to lend this connection again: it is closed when it is given back. Call it
    /// after any error whose effect on the connection you cannot be sure of (a timeout, a lost
    /// connection, an error in the middle of a transaction): closing costs one new connection later,
    /// lending it again could cost a wrong answer.
    pub fn mark_broken(&mut self) {
        self.broken = true;
    }
}

impl Deref for ManagedConn {
    type Target = mysql::Conn;

    fn deref(&self) -> &mysql::Conn {
        &self.conn
    }
}

impl DerefMut for ManagedConn {
    fn deref_mut(&mut self) -> &mut mysql::Conn {
        &mut self.conn
    }
}

impl r2d2::ManageConnection for MysqlManager {
    type Connection = ManagedConn;
    type Error = mysql::Error;

    fn connect(&self) -> Result<ManagedConn, mysql::Error> {
        Ok(ManagedConn {
            conn: self.inner.connect()?,
            returned_at: Instant::now(),
            broken: false,
        })
    }

    /// On checkout: trust a connection that came back cleanly a moment ago, ping any other.
    fn is_valid(&self, conn: &mut ManagedConn) -> Result<(), mysql::Error> {
        if conn.returned_at.elapsed() < self.liveness_window {
            return Ok(());
        }
        conn.conn.ping()
    }

    /// On return: no round trip, only what the user of the connection told us.
    fn has_broken(&self, conn: &mut ManagedConn) -> bool {
        // A panic while the connection was lent out left it in a state nobody knows.
        if conn.broken || std::thread::panicking() {
            return true;
        }
        conn.returned_at = Instant::now();
        false
    }
}
