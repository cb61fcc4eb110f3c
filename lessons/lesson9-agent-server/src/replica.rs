//! Reading conversations from a replica, with lesson 10's read-your-writes, when `DB_REPLICA_HOST`
//! or `DB_REPLICA_PORT` is set. Out of the exercise's path: lesson 10 teaches it.
//!
//! Every write of a user (creating them, their chats, deleting them) notes the GTID its reply
//! carried (the primary's connections track GTIDs: no extra round trip). Before a read of that
//! user's conversations, lesson 10's `route_read` decides: the replica once it has applied the
//! user's last write (waiting at most [`MAX_WAIT`]), else the primary. A replica that is down,
//! stopped or fails a read costs the request at most that wait, and never its answer.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lesson5::{MysqlManager, MysqlPool, PoolError};
use lesson10::gtid::{self, Flavor, Gtid};
use lesson10::{Fallback, LastWrites, ReplicaConn, Route};
use mysql::Conn;
use serde_json::{Value, json};

use crate::{ApiError, AppState};

/// How long a read waits for the replica to apply the user's last write before the primary serves
/// it; also how long it waits for a free replica connection.
pub const MAX_WAIT: Duration = Duration::from_millis(250);

/// After the replica failed to answer, reads go to the primary for this long before it is tried
/// again: a replica that is down costs one request a wait, not every request.
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// The replica's pool and each user's last write.
pub struct ReplicaReads {
    pool: MysqlPool,
    flavor: Flavor,
    last_writes: LastWrites,
    down_until: Mutex<Option<Instant>>,
    /// Reads served by the replica, and by the primary instead (for `/health`).
    on_replica: AtomicU64,
    on_primary: AtomicU64,
}

impl ReplicaReads {
    /// Reads from the replica at `replica`, a server of `flavor` (the primary's: they are one pair).
    /// Opens nothing yet: a replica that is down when the server starts is only a slower start of
    /// reads, never a server that does not start.
    pub fn new(replica: &shared::Config, flavor: Flavor, max_size: u32) -> ReplicaReads {
        let manager = MysqlManager::new(
            replica.opts_builder(),
            crate::pool_settings(max_size).liveness_window,
        );
        let pool = r2d2::Pool::builder()
            .max_size(max_size)
            .min_idle(Some(0))
            .connection_timeout(MAX_WAIT)
            .build_unchecked(manager);
        ReplicaReads {
            pool,
            flavor,
            last_writes: LastWrites::new(),
            down_until: Mutex::new(None),
            on_replica: AtomicU64::new(0),
            on_primary: AtomicU64::new(0),
        }
    }

    /// Notes `user_id`'s write whose reply `conn` has just received (the GTID it carried).
    pub fn note_write(&self, user_id: u64, conn: &Conn) {
        if let Some(written) = gtid::tracked_gtid(conn) {
            self.note(user_id, written);
        }
    }

    /// Notes `written` as `user_id`'s last write.
    pub fn note(&self, user_id: u64, written: Gtid) {
        self.last_writes.note(user_id, written);
    }

    /// Runs `work` on the replica if lesson 10's router sends `user_id`'s read there; `None` when the
    /// primary must serve it (the replica is behind, stopped or down, or failed this read).
    pub(crate) fn read<T>(
        &self,
        user_id: u64,
        work: impl FnOnce(&mut Conn) -> Result<T, ApiError>,
    ) -> Option<Result<T, ApiError>> {
        let served = self.try_read(user_id, work);
        let counter = if served.is_some() {
            &self.on_replica
        } else {
            &self.on_primary
        };
        counter.fetch_add(1, Ordering::Relaxed);
        served
    }

    fn try_read<T>(
        &self,
        user_id: u64,
        work: impl FnOnce(&mut Conn) -> Result<T, ApiError>,
    ) -> Option<Result<T, ApiError>> {
        if self.resting() {
            return None;
        }
        let Ok(mut conn) = lesson5::checkout(&self.pool, MAX_WAIT) else {
            self.rest();
            return None;
        };
        let last_write = self.last_writes.get(user_id);
        let mut asking = ReplicaConn {
            conn: &mut conn,
            flavor: self.flavor,
        };
        match lesson10::route_read(&mut asking, last_write.as_ref(), MAX_WAIT) {
            Route::Replica => {}
            Route::Primary(why) => {
                if why == Fallback::ReplicaDown {
                    conn.mark_broken();
                    self.rest();
                }
                tracing::debug!(user_id, ?why, "read served by the primary");
                return None;
            }
        }
        match work(&mut conn) {
            // A failed read may have left a reply on its way: close that connection, ask the primary.
            Err(err) if err.status().is_server_error() => {
                conn.mark_broken();
                self.rest();
                None
            }
            answer => Some(answer),
        }
    }

    /// The replica's state and lag for `/health`: never an error, since the primary serves every
    /// read when the replica cannot.
    pub(crate) fn health(&self) -> Value {
        let reads = json!({
            "replica": self.on_replica.load(Ordering::Relaxed),
            "primary": self.on_primary.load(Ordering::Relaxed),
        });
        let Ok(mut conn) = lesson5::checkout(&self.pool, MAX_WAIT) else {
            return json!({"state": "down", "reads": reads});
        };
        match gtid::replica_status(&mut **conn) {
            Ok(Some(status)) => json!({
                "state": if status.applying { "applying" } else { "stopped" },
                "lag_seconds": status.lag_seconds,
                "reads": reads,
            }),
            // The course's user may not look: the replica answers, which is all /health can say.
            Ok(None) => json!({"state": "unknown", "reads": reads}),
            Err(_) => {
                conn.mark_broken();
                json!({"state": "down", "reads": reads})
            }
        }
    }

    fn resting(&self) -> bool {
        let down_until = self.down_until.lock().unwrap_or_else(|e| e.into_inner());
        down_until.is_some_and(|until| Instant::now() < until)
    }

    fn rest(&self) {
        *self.down_until.lock().unwrap_or_else(|e| e.into_inner()) =
            Some(Instant::now() + RETRY_AFTER);
    }
}

/// Lesson 10's part of the shared state, kept here so that `lib.rs` shows only what every
/// request uses.
impl AppState {
    /// This state, reading users' conversations from `replica` when it has their writes (lesson 10).
    /// The pool must then be [`build_tracking_pool`]'s, whose writes report their GTIDs.
    pub fn with_replica(self, replica: ReplicaReads) -> AppState {
        AppState {
            replica: Some(Arc::new(replica)),
            ..self
        }
    }

    /// Like [`AppState::db`] for a read of `user_id`'s data, served by the replica when lesson 10's
    /// router says it has the user's last write, by the primary otherwise (no replica set, or one
    /// behind, stopped or failing).
    pub async fn read_db<T: Send + 'static>(
        &self,
        user_id: u64,
        work: impl Fn(&mut Conn) -> Result<T, ApiError> + Send + Sync + 'static,
    ) -> Result<T, ApiError> {
        let work = Arc::new(work);
        if let Some(replica) = self.replica.clone() {
            let on_replica = Arc::clone(&work);
            let served = tokio::task::spawn_blocking(move || replica.read(user_id, &*on_replica))
                .await
                .map_err(|panicked| ApiError::Internal(panicked.into()))?;
            if let Some(answer) = served {
                return answer;
            }
        }
        self.db(move |conn| work(conn)).await
    }

    /// What a write calls once the server has confirmed it, to note it as `user_id`'s last write
    /// (the GTID its reply carried), so that the user's next read waits for the replica to apply it.
    pub fn note_write(&self) -> impl Fn(u64, &Conn) + Send + 'static {
        let replica = self.replica.clone();
        move |user_id, conn| {
            if let Some(replica) = &replica {
                replica.note_write(user_id, conn);
            }
        }
    }
}

/// The primary's pool for a server with a replica: [`crate::build_pool`]'s, but every connection
/// tracks the GTIDs of its writes (`flavor` is the primary's: the `SET` that switches tracking on
/// differs between MariaDB and MySQL; [`Flavor::detect`] asks).
pub fn build_tracking_pool(
    primary: &shared::Config,
    flavor: Flavor,
    max_size: u32,
) -> Result<MysqlPool, PoolError> {
    let settings = crate::pool_settings(max_size);
    let opts = gtid::track_gtids(primary.opts_builder()).init(vec![flavor.tracking_statement()]);
    r2d2::Pool::builder()
        .max_size(settings.max_size)
        .min_idle(settings.min_idle)
        .connection_timeout(settings.connection_timeout)
        .test_on_check_out(settings.test_on_check_out)
        .build(MysqlManager::new(opts, settings.liveness_window))
        .map_err(|err| PoolError::from_build(err, primary))
}
