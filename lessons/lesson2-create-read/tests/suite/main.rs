//! The integration tests of this lesson, in one test binary (one link instead of one per file).
//! `exercises` holds the exercises' tests, which the course runner runs: `cargo test -p lesson2
//! --features exercise --test suite exercises::`; the other modules test the reference code further.

mod exercises;
mod validation;
