//! # bench: what a connection costs, and what each pool adds
//!
//! The lecture says a connection pool saves time. This crate measures it against the configured
//! server, side by side in one run: a new connection per call (lesson 3), one held connection
//! (the floor), lesson 4's queue pool, lesson 5's r2d2 pool, r2d2 with `r2d2_mysql`'s manager
//! (defaults and tuned), and `mysql::Pool` with its defaults; each on two workloads (`SELECT 1`
//! and a point select of a user by email), with one thread and with several threads sharing a
//! small pool.
//!
//! The pieces, in the order data flows through them:
//! - [`args`]: the command line ([`args::Args`]);
//! - [`setup`]: a throwaway database with seeded users, and the transport every case uses;
//! - [`cases`]: the ways of getting a connection ([`cases::Case`]) and the queries ([`cases::Workload`]);
//! - [`run`]: warm-up, interleaved rounds, one timer per operation ([`run::Measurement`]);
//! - [`stats`]: median and p99 (nearest-rank), throughput per round;
//! - [`http`]: lesson 9's server in this process, its endpoints over HTTP and the direct call for
//!   the same work ([`http::Server`]);
//! - [`report`]: the table, the bar chart and the JSON ([`report::Report`]);
//! - [`targets`]: the course's claims about lesson 4's pool, checked with `--check-targets`;
//! - [`replica`]: lesson 10's read case, primary only against a replica with read-your-writes
//!   (`--replica-reads`).
//!
//! Errors are `anyhow`'s: this crate is the edge, and each step adds what it was doing as context.
//! `cargo run -p bench --release` runs it; see tools/bench/README.md for a real run explained.

pub mod args;
pub mod cases;
pub mod http;
pub mod replica;
pub mod report;
pub mod run;
pub mod setup;
pub mod stats;
pub mod targets;
