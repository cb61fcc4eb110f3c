//! The integration tests of this lesson, in one test binary. `exercises` holds the exercise's tests,
//! which the course runner runs (`cargo test -p lesson1 --features exercise --test suite exercises::`);
//! `stand_in` is the fake server some of them talk to.

mod exercises;
mod stand_in;
