//! # Lesson 10: a primary, a replica, and reading your own writes
//!
//! One server takes every write (the primary); another (the replica) copies them, transaction by
//! transaction, and serves reads. The copy is always a little behind, and sometimes far behind or
//! stopped: a user who just saved an exchange may not find it on the replica a moment later.
//!
//! Read-your-writes: remember the GTID of each user's last write ([`LastWrites`]); before a read of
//! that user's data, ask the replica whether it has applied that GTID, waiting a little if not, and
//! send the read to the primary when the replica is down, stopped or too far behind. Which server
//! serves a read is [`route_read`]'s decision, your exercise; [`gtid`] hides how MariaDB and MySQL
//! differ, and [`ReplicaLink`] asks a real replica.
//!
//! For a server that reads from a replica (lesson 9's conversations): build its pool's options with
//! [`gtid::tracking_opts`], note each write with [`gtid::last_write`] into a shared [`LastWrites`],
//! and before a user's read ask [`route_read`] with a [`ReplicaLink`] which server serves it.
//!
//! Exercise mode: `cargo test -p lesson10 --features exercise` builds `src/exercise.rs` (your
//! version) instead of the reference, `reference/solution.rs`, and runs the same tests against it.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

pub mod gtid;
mod replica;

// The reference lives outside `src/`, out of the student's way.
#[cfg(not(feature = "exercise"))]
#[path = "../reference/solution.rs"]
mod solution;
#[cfg(feature = "exercise")]
#[path = "exercise.rs"]
mod solution;

pub use gtid::{Flavor, Gtid};
pub use replica::{ReplicaConn, ReplicaLink, hold_back_messages_of};
pub use solution::route_read;

/// Which server serves a read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// The replica: it has applied everything this user wrote.
    Replica,
    /// The primary, and why not the replica.
    Primary(Fallback),
}

/// Why a read went to the primary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fallback {
    /// The replica did not answer, or answered with an error.
    ReplicaDown,
    /// The replica answers, but it does not apply what the primary sends: replication is stopped.
    ReplicaStopped,
    /// The replica had not applied the user's last write when the wait ran out.
    TooFarBehind,
}

/// What the replica says about its applier, the part that applies the primary's transactions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplicaState {
    /// It is applying what the primary sends (maybe behind, but moving).
    Applying,
    /// It applies nothing: replication was stopped, or broke.
    Stopped,
    /// It cannot tell (on MySQL, a user without the right to read the replica's status).
    Unknown,
}

/// What a router may ask a replica. [`ReplicaLink`] asks a real one; tests also use stand-ins.
pub trait Replica {
    /// Whether the replica is applying the primary's transactions. An error means it did not
    /// answer (down, unreachable, or the connection broke).
    fn state(&mut self) -> mysql::Result<ReplicaState>;

    /// Waits until the replica has applied `gtid`, for at most `timeout`: `Ok(true)` as soon as it
    /// has (at once if it had already), `Ok(false)` when the time ran out first.
    fn wait_for(&mut self, gtid: &Gtid, timeout: Duration) -> mysql::Result<bool>;
}

/// The GTID of each user's last write, kept by the program that writes: what read-your-writes
/// waits for. In memory, per process: a second instance of the program does not see it (a real
/// service would carry it with the user, in a cookie or a token).
#[derive(Debug, Default)]
pub struct LastWrites {
    by_user: Mutex<HashMap<u64, Gtid>>,
}

impl LastWrites {
    /// An empty table: no user has written yet.
    pub fn new() -> LastWrites {
        LastWrites::default()
    }

    /// Notes `gtid` as `user_id`'s last write (GTIDs of one primary only grow, so the newest wins).
    pub fn note(&self, user_id: u64, gtid: Gtid) {
        self.lock().insert(user_id, gtid);
    }

    /// `user_id`'s last write, if this process saw one.
    pub fn get(&self, user_id: u64) -> Option<Gtid> {
        self.lock().get(&user_id).cloned()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Gtid>> {
        // A panic while holding the lock leaves the map whole (each call is one insert or get).
        self.by_user
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
