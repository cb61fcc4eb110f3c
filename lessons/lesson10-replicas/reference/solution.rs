//! Reference solution. Exercise mode compiles `exercise.rs` in place of this file.

use std::time::Duration;

use crate::{Fallback, Gtid, Replica, ReplicaState, Route};

/// Decides which server serves a read of one user's data: the replica when it has everything the
/// user wrote, else the primary, and never an error.
///
/// Python (the same rule, with pymysql on both servers):
/// ```python
/// def route_read(replica, last_write, max_wait):
///     try:
///         state = replica_state(replica)
///         if state == "stopped":
///             return ("primary", "replica stopped")
///         if last_write is None:
///             return ("replica", None)
///         if wait_for(replica, last_write, max_wait):
///             return ("replica", None)
///         return ("primary", "too far behind")
///     except pymysql.Error:
///         return ("primary", "replica down")
/// ```
pub fn route_read(
    replica: &mut impl Replica,
    last_write: Option<&Gtid>,
    max_wait: Duration,
) -> Route {
    // First the state: a stopped replica gets further behind every second, for every user, and
    // waiting on it would only spend the whole deadline before falling back anyway.
    match replica.state() {
        Err(_) => return Route::Primary(Fallback::ReplicaDown),
        Ok(ReplicaState::Stopped) => return Route::Primary(Fallback::ReplicaStopped),
        // Unknown: the wait below is bounded, so a replica that cannot tell is still worth asking.
        Ok(ReplicaState::Applying | ReplicaState::Unknown) => {}
    }
    // A user who wrote nothing (that this program saw) has nothing to wait for.
    let Some(gtid) = last_write else {
        return Route::Replica;
    };
    // The server waits for us, at most max_wait, and answers at once if the write is there already.
    match replica.wait_for(gtid, max_wait) {
        Ok(true) => Route::Replica,
        Ok(false) => Route::Primary(Fallback::TooFarBehind),
        Err(_) => Route::Primary(Fallback::ReplicaDown),
    }
}
