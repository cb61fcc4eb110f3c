//! # Lesson 4: a connection pool, by hand
//!
//! Lesson 3 measured it: opening a connection costs far more than a short query. The lecture's answer
//! is a pool: open `maxsize` connections at start-up, keep them in a queue, lend one out per request
//! and take it back afterwards (반납). Its Python pool has two faults, and this one fixes both:
//!
//! * a connection is lost when an exception strikes between `get_conn` and `release_connection`.
//!   Here a checkout returns a guard, [`PooledConn`], whose `Drop` gives the connection back on every
//!   path: normal end, `?` error, panic;
//! * `Queue.get()` waits forever when every connection is taken. Here [`Pool::get_timeout`] (and
//!   [`Pool::get`], with [`DEFAULT_CHECKOUT_TIMEOUT`]) returns [`PoolError::Timeout`] instead.
//!
//! It keeps the lecture's `conn.ping(reconnect=True)`: a connection that fails its ping is replaced
//! by a new one (재연결). `src/pool.rs` is the pool, read top to bottom; the exercise,
//! `src/exercise.rs`, writes its checkout, ping and `Drop`; `src/plumbing.rs` is the rest (the guard
//! used as a `mysql::Conn`, `state`, `Clone`, `Debug`).
//!
//! Exercise mode: `cargo test -p lesson4 --features exercise` builds `src/exercise.rs` (your
//! version) instead of the reference, `reference/solution.rs`.

mod error;
mod plumbing;
// The untouched exercise stub leaves some of the pool's parts unused (the reference uses them all).
#[cfg_attr(feature = "exercise", allow(dead_code))]
mod pool;
// The reference lives outside `src/`, out of the student's way.
#[cfg(not(feature = "exercise"))]
#[path = "../reference/solution.rs"]
mod solution;
#[cfg(feature = "exercise")]
#[path = "exercise.rs"]
mod solution;

pub use error::PoolError;
pub use plumbing::PoolState;
pub use pool::{
    DEFAULT_CHECKOUT_TIMEOUT, DEFAULT_LIVENESS_WINDOW, ManageConnection, MysqlConnector, Pool,
    PoolOptions, PooledConn,
};
