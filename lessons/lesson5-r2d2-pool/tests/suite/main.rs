//! The integration tests of this lesson, in one test binary (one link instead of one per file).
//! `exercises` holds the exercises' tests, which the course runner runs: `cargo test -p lesson5
//! --features exercise --test suite exercises::`; the other modules test the reference code further.

mod common;
mod exercises;
mod r2d2_behaviour;
