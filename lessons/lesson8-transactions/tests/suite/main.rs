//! The integration tests of this lesson, in one test binary. `exercises` holds the exercise's tests,
//! which the course runner runs (`cargo test -p lesson8 --features exercise --test suite exercises::`);
//! `transactions_explained` shows the README's facts on the real server.

mod common;
mod exercises;
mod transactions_explained;
