//! The integration tests of this lesson, in one test binary. `exercises` holds the exercises' tests,
//! which the course runner runs (`cargo test -p lesson7 --features exercise --test suite exercises::`).

mod exercises;
