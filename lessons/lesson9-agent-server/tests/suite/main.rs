//! The integration tests of this lesson, in one test binary (one link instead of one per file).
//! `exercises` holds the exercise's tests, which the course runner runs: `cargo test -p lesson9
//! --features exercise --test suite exercises::`; the other modules test the server further.

mod agent_client;
mod api;
mod browser;
mod common;
mod connections;
mod exercises;
mod limits;
mod load;
mod logs;
mod replica;
mod shutdown;
mod tokens;
