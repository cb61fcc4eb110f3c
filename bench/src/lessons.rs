//! The lessons' code, as the benchmark calls it. Everything the benchmark takes from a lesson
//! goes through this module, so a change in a lesson's API is one edit here.
//!
//! TEMPORARY stand-ins until lessons 2, 3 and 4 are committed: the same SQL and the same
//! behaviour as the issue describes them.

use std::collections::VecDeque;
use std::ops::{Deref, DerefMut};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use mysql::prelude::Queryable;
use mysql::{Conn, Opts};

/// Lesson 4 pings a pooled connection on checkout only if it sat idle at least this long.
pub const LESSON4_PING_WINDOW: Duration = Duration::from_millis(500);

/// lesson2's point select: the user's email, if a user has it.
pub fn get_user_email(conn: &mut Conn, email: &str) -> Result<Option<String>, String> {
    let row: Option<(u64, String, String, mysql::Value)> = conn
        .exec_first(
            "SELECT id, name, email, created_at FROM users WHERE email = ?",
            (email,),
        )
        .map_err(|err| err.to_string())?;
    Ok(row.map(|(_, _, email, _)| email))
}

/// lesson3's point select on a connection of its own, opened and closed for this call.
pub fn get_user_email_per_call(opts: &Opts, email: &str) -> Result<Option<String>, String> {
    let mut conn = Conn::new(opts.clone()).map_err(|err| err.to_string())?;
    get_user_email(&mut conn, email)
}

/// lesson4's queue pool.
#[derive(Clone)]
pub struct Pool {
    shared: Arc<(Mutex<VecDeque<(Conn, Instant)>>, Condvar)>,
    opts: Opts,
}

impl Pool {
    /// Opens `size` connections.
    pub fn new(opts: Opts, size: usize) -> Result<Pool, String> {
        let mut queue = VecDeque::with_capacity(size);
        for _ in 0..size {
            queue.push_back((
                Conn::new(opts.clone()).map_err(|err| err.to_string())?,
                Instant::now(),
            ));
        }
        Ok(Pool {
            shared: Arc::new((Mutex::new(queue), Condvar::new())),
            opts,
        })
    }

    /// Waits at most `timeout` for a connection.
    pub fn get_timeout(&self, timeout: Duration) -> Result<PooledConn, String> {
        let deadline = Instant::now() + timeout;
        let (lock, ready) = &*self.shared;
        let mut queue = lock.lock().map_err(|_| "poisoned".to_string())?;
        let (mut conn, last_used) = loop {
            if let Some(entry) = queue.pop_front() {
                break entry;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err("pool timeout".into());
            }
            queue = ready
                .wait_timeout(queue, left)
                .map_err(|_| "poisoned".to_string())?
                .0;
        };
        drop(queue);
        if last_used.elapsed() >= LESSON4_PING_WINDOW && conn.ping().is_err() {
            conn = Conn::new(self.opts.clone()).map_err(|err| err.to_string())?;
        }
        Ok(PooledConn {
            conn: Some(conn),
            pool: self.clone(),
        })
    }
}

/// A checked-out connection; dropping it returns it to the queue.
pub struct PooledConn {
    conn: Option<Conn>,
    pool: Pool,
}

impl Deref for PooledConn {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        self.conn.as_ref().expect("present until drop")
    }
}

impl DerefMut for PooledConn {
    fn deref_mut(&mut self) -> &mut Conn {
        self.conn.as_mut().expect("present until drop")
    }
}

impl Drop for PooledConn {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            let (lock, ready) = &*self.pool.shared;
            if let Ok(mut queue) = lock.lock() {
                queue.push_back((conn, Instant::now()));
                ready.notify_one();
            }
        }
    }
}
