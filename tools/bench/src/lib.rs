//! # bench: what a connection costs, and what each pool adds
//!
//! The lecture says a connection pool saves time. This crate measures it against the configured
//! server, side by side in one run: a new connection per call (lesson 3), one held connection
//! (the floor), lesson 4's queue pool, r2d2 with its defaults and tuned, and `mysql::Pool` with its
//! defaults; each on two workloads (`SELECT 1` and a point select of a user by email), with one
//! thread and with several threads sharing a small pool.
//!
//! The pieces, in the order data flows through them:
//! - [`args`]: the command line ([`args::Args`]);
//! - [`setup`]: a throwaway database with seeded users, and the transport every case uses;
//! - [`cases`]: the ways of getting a connection ([`cases::Case`]) and the queries ([`cases::Workload`]);
//! - [`run`]: warm-up, interleaved rounds, one timer per operation ([`run::Measurement`]);
//! - [`stats`]: median and p99 (nearest-rank);
//! - [`http`]: lesson 9's server in this process, its endpoints over HTTP and the direct call for
//!   the same work ([`http::Server`]);
//! - [`report`]: the table, the bar chart, the targets and the JSON.
//!
//! `cargo run -p bench --release` runs it; see bench/README.md for a real run explained.

#![warn(missing_docs)]

use std::fmt;

pub mod args;
pub mod cases;
pub mod http;
mod lessons;
pub mod report;
pub mod run;
pub mod setup;
pub mod stats;

pub use lessons::LESSON4_PING_WINDOW;

/// Why the benchmark could not run or finish. Each variant names where it went wrong.
#[derive(Debug)]
#[non_exhaustive]
pub enum BenchError {
    /// Connecting to the server or creating the throwaway database failed (with a hint what to do).
    Setup(shared::Error),
    /// A query, a connection or `mysql::Pool` failed.
    Mysql(mysql::Error),
    /// r2d2 could not build its pool or hand out a connection in time.
    R2d2(r2d2::Error),
    /// lesson2's `get_user_by_email` failed.
    Lesson2(lesson2::UserError),
    /// lesson3's per-call function could not connect, or its lookup failed.
    Lesson3(lesson3::NaiveError),
    /// lesson4's pool could not open its connections or lend one in time.
    Lesson4(lesson4::PoolError),
    /// A query answered something else than it must (the measurement would be meaningless).
    WrongAnswer(String),
    /// The pool size cannot be used (zero).
    InvalidPoolSize(usize),
    /// The server says a connection arrived over another transport than the one chosen.
    TransportMismatch {
        /// What was chosen (`"TCP"`, `"Unix socket"`).
        chosen: &'static str,
        /// How the server names the client.
        server_sees: String,
    },
    /// `--socket` was asked for, but the server's Unix socket cannot be used from here.
    SocketUnavailable(String),
    /// A measuring thread panicked.
    ThreadPanicked,
    /// A call of lessons 5 to 9 for the HTTP cases (lesson 9's pool, its queries, its
    /// transaction) failed; `call` names the function.
    Lesson {
        /// The lesson's function, e.g. `"lesson8::save_exchange"`.
        call: &'static str,
        /// Its error.
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// The HTTP client could not send a request to lesson 9's server or read its answer.
    Http(hyper::Error),
    /// The in-process server could not start (its runtime or its listening socket).
    Io(std::io::Error),
    /// Ctrl+C was pressed: the run stopped between two steps (the throwaway database is still dropped).
    Interrupted,
}

// Each message says what went wrong at the benchmark's level only; the cause (the driver's or a
// lesson's error) is `source()`, printed once below it by whoever prints the chain (anyhow in main).
impl fmt::Display for BenchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BenchError::Setup(_) => {
                write!(f, "could not set up the benchmark's throwaway database")
            }
            BenchError::Mysql(_) => write!(f, "a query or a connection of the benchmark failed"),
            BenchError::R2d2(_) => write!(f, "r2d2's pool failed"),
            BenchError::Lesson2(_) => write!(f, "lesson2's get_user_by_email failed"),
            BenchError::Lesson3(_) => write!(f, "lesson3's connection per call failed"),
            BenchError::Lesson4(_) => write!(f, "lesson4's pool failed"),
            BenchError::WrongAnswer(message) => {
                write!(f, "wrong answer from the server: {message}")
            }
            BenchError::InvalidPoolSize(size) => {
                write!(f, "a pool of {size} connections is not possible")
            }
            BenchError::TransportMismatch {
                chosen,
                server_sees,
            } => write!(
                f,
                "chose {chosen}, but the server sees the client as {server_sees:?}: the numbers would mix transports"
            ),
            BenchError::SocketUnavailable(why) => {
                write!(
                    f,
                    "cannot use the server's Unix socket: {why}. Run with --tcp instead."
                )
            }
            BenchError::ThreadPanicked => write!(f, "a measuring thread panicked"),
            BenchError::Lesson { call, .. } => write!(f, "{call} failed"),
            BenchError::Http(_) => write!(f, "an HTTP request to lesson 9's server failed"),
            BenchError::Io(_) => write!(f, "lesson 9's server could not start"),
            BenchError::Interrupted => write!(
                f,
                "interrupted (Ctrl+C) before the measuring finished: nothing to report"
            ),
        }
    }
}

impl std::error::Error for BenchError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            BenchError::Setup(err) => Some(err),
            BenchError::Mysql(err) => Some(err),
            BenchError::R2d2(err) => Some(err),
            BenchError::Lesson2(err) => Some(err),
            BenchError::Lesson3(err) => Some(err),
            BenchError::Lesson4(err) => Some(err),
            BenchError::Lesson { source, .. } => Some(source.as_ref()),
            BenchError::Http(err) => Some(err),
            BenchError::Io(err) => Some(err),
            _ => None,
        }
    }
}

impl From<mysql::Error> for BenchError {
    fn from(err: mysql::Error) -> BenchError {
        BenchError::Mysql(err)
    }
}

impl From<r2d2::Error> for BenchError {
    fn from(err: r2d2::Error) -> BenchError {
        BenchError::R2d2(err)
    }
}

impl From<lesson2::UserError> for BenchError {
    fn from(err: lesson2::UserError) -> BenchError {
        BenchError::Lesson2(err)
    }
}

impl From<lesson3::NaiveError> for BenchError {
    fn from(err: lesson3::NaiveError) -> BenchError {
        BenchError::Lesson3(err)
    }
}

impl From<lesson4::PoolError> for BenchError {
    fn from(err: lesson4::PoolError) -> BenchError {
        BenchError::Lesson4(err)
    }
}

impl From<shared::Error> for BenchError {
    fn from(err: shared::Error) -> BenchError {
        BenchError::Setup(err)
    }
}
