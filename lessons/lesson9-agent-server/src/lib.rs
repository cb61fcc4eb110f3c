//! # Lesson 9: the agent's server
//!
//! Lessons 1-8 built the pieces: users (2, 6), a pool (4, 5), conversations (7), a question and
//! its answer saved in one transaction (8). This lesson serves them over HTTP with axum, so that many
//! clients (the chat page, a script, a load test) use them at once.
//!
//! * [`AppState`]: what every request shares: lesson 5's r2d2 pool and the [`Agent`].
//! * [`app`]: the routes (the JSON contract is in the README); [`serve`] runs them on a listener
//!   until a shutdown future completes, then lets the requests in flight finish.
//! * Every database call is blocking (the `mysql` crate is synchronous), so [`AppState::db`] runs it
//!   on tokio's blocking threads with a pooled connection, never on the async worker threads.
//! * Each user's data is theirs: every route about one user asks for the token `POST /users` gave
//!   ([`Caller`], [`authorize`]; the rule is in `src/auth.rs`).
//! * [`chat`] is the heart: ask the agent first, with no connection borrowed and no transaction open,
//!   then save the question and the answer with lesson 8's transaction.
//! * The replica items (`AppState::replica`, `with_replica`, `read_db`, `note_write`,
//!   `ChatReply::written`) are lesson 10's: exercise 9a needs none of them. / 레플리카 항목들은 레슨
//!   10의 것으로, 연습 문제 9a에는 하나도 필요 없습니다.
//!
//! ```no_run
//! # async fn run() -> anyhow::Result<()> {
//! use std::sync::Arc;
//! let config = shared::Config::from_env()?;
//! let pool = tokio::task::spawn_blocking(move || lesson9::build_pool(&config, 8)).await??;
//! let state = lesson9::AppState::new(pool, Arc::new(lesson9::OfflineAgent));
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! println!("serving on http://{}", listener.local_addr()?);
//! lesson9::serve(listener, state, async { let _ = tokio::signal::ctrl_c().await; }).await?;
//! # Ok(()) }
//! ```
//!
//! Exercise mode: `cargo test -p lesson9 --features exercise` builds `src/exercise.rs` (your
//! [`chat`]) instead of the reference,
//! `reference/solution.rs`.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

pub mod agent;
mod auth;
mod error;
mod replica;
mod routes;
mod serve;

// The reference lives outside `src/`, out of the student's way.
#[cfg(not(feature = "exercise"))]
#[path = "../reference/solution.rs"]
mod solution;
#[cfg(feature = "exercise")]
#[path = "exercise.rs"]
mod solution;

pub use agent::{Agent, AgentError, AnswerFuture, OfflineAgent, OpenAiAgent, OpenAiConfig};
pub use auth::{Caller, TokenHash, authorize, issue_token};
pub use error::{ApiError, BoxError, RETRY_AFTER_SECS};
pub use lesson5::{MysqlManager, MysqlPool, PoolError, PoolSettings};
pub use replica::{ReplicaReads, build_tracking_pool};
pub use routes::{ChatReply, Message, NewUserJson, UserJson, app, read_exchange};
pub use serve::{Limits, serve_with};
pub use solution::chat;

/// Where the server listens unless `APP_ADDR` says otherwise: this machine only.
pub const DEFAULT_ADDR: &str = "127.0.0.1:8000";

/// How many connections the pool holds unless `DB_POOL_SIZE` says otherwise.
pub const DEFAULT_POOL_SIZE: u32 = 8;

/// How long a request waits for a pooled connection before it gets 503: short, because a client
/// waiting for a web page should hear "try again" rather than wait for a server that is down.
pub const CHECKOUT_TIMEOUT: Duration = Duration::from_secs(2);

/// What every request shares. Cheap to clone: the pool and the agent are behind `Arc`s.
///
/// 모든 요청이 나눠 쓰는 것입니다. 커넥션 풀과 에이전트가 `Arc` 뒤에 있어서 복제 비용이 작습니다.
#[derive(Clone)]
pub struct AppState {
    /// Lesson 5's r2d2 pool. / 레슨 5의 r2d2 커넥션 풀.
    pub pool: MysqlPool,
    /// The agent that answers questions. / 질문에 답하는 에이전트.
    pub agent: Arc<dyn Agent>,
    /// How long [`AppState::db`] waits for a connection ([`CHECKOUT_TIMEOUT`] by default).
    pub checkout_timeout: Duration,
    /// The replica that serves users' conversations, if one is set ([`AppState::with_replica`],
    /// in `src/replica.rs` with the rest of lesson 10's part).
    pub replica: Option<Arc<ReplicaReads>>,
}

impl AppState {
    /// A state with the default checkout timeout.
    pub fn new(pool: MysqlPool, agent: Arc<dyn Agent>) -> AppState {
        AppState {
            pool,
            agent,
            checkout_timeout: CHECKOUT_TIMEOUT,
            replica: None,
        }
    }

    /// Runs `work` with a pooled connection on tokio's blocking threads and waits for it without
    /// blocking an async worker thread. The connection goes back to the pool when `work` ends, or is
    /// closed if `work` failed with a server-side error (5xx).
    ///
    /// No free connection within `checkout_timeout` (the server is down, or all are busy) is a
    /// 503 [`ApiError::Unavailable`]; a panic in `work` is a 500.
    ///
    /// `work`를 풀의 커넥션으로 tokio의 블로킹 스레드에서 실행하고, 비동기 작업 스레드를 막지 않고 기다립니다.
    /// `work`가 끝나면 커넥션은 풀로 반납되고, `work`가 서버 쪽 오류(5xx)로 실패했으면 닫힙니다.
    /// `checkout_timeout` 안에 빈 커넥션이 없으면(서버가 멈췄거나 모두 사용 중) 503 [`ApiError::Unavailable`],
    /// `work`에서 panic이 나면 500입니다.
    pub async fn db<T: Send + 'static>(
        &self,
        work: impl FnOnce(&mut mysql::Conn) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let pool = self.pool.clone();
        let timeout = self.checkout_timeout;
        let request_id = serve::current_request_id();
        tokio::task::spawn_blocking(move || {
            let mut conn = lesson5::checkout(&pool, timeout)?;
            // The server's id of this connection is the `Id` of `SHOW PROCESSLIST`: with
            // RUST_LOG=debug, a slow statement seen there leads to its request, and back.
            tracing::debug!(
                request_id,
                connection_id = conn.connection_id(),
                "database work"
            );
            let result = work(&mut conn);
            // After a timeout the late reply is still on its way, and after a lost connection or a
            // bug nobody knows the connection's state: lent again, it could answer the next request
            // with this one's rows. A client's mistake (4xx: not found, taken, invalid) leaves it clean.
            if result
                .as_ref()
                .is_err_and(|err| err.status().is_server_error())
            {
                conn.mark_broken();
            }
            result
        })
        .await
        .map_err(|panicked| ApiError::Internal(panicked.into()))?
    }
}

/// Lesson 5's pool, with [`pool_settings`].
///
/// Blocking (it opens the connections): call it before serving, or in `spawn_blocking`.
pub fn build_pool(config: &shared::Config, max_size: u32) -> Result<MysqlPool, PoolError> {
    lesson5::build_pool(config, &pool_settings(max_size))
}

/// The settings of a server's pool: `max_size` connections, all opened at start (a server that
/// cannot reach its database should say so at once). A connection is pinged before it is lent only
/// if it sat idle longer than lesson 5's liveness window (500 ms), so after a database restart the
/// dead ones are replaced, not used, while under traffic a request costs no ping at all.
pub fn pool_settings(max_size: u32) -> PoolSettings {
    PoolSettings {
        max_size,
        min_idle: None,
        connection_timeout: CHECKOUT_TIMEOUT,
        test_on_check_out: true,
        ..PoolSettings::default()
    }
}

/// Serves [`app`] on `listener` with the default [`Limits`] until `shutdown` completes; then
/// accepts no new connection and returns once the requests in flight have been answered.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    serve_with(listener, state, Limits::default(), shutdown).await
}
