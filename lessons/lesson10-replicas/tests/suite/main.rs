//! The integration tests of this lesson, in one test binary. `exercises` holds the exercise's tests,
//! which the course runner runs (`cargo test -p lesson10 --features exercise --test suite exercises::`);
//! `gtid_on_both` checks the GTID functions on the server at hand (MariaDB or MySQL), and
//! `read_your_writes` the replica's side and `route_read` on a real primary and replica.

mod common;
mod exercises;
mod gtid_on_both;
mod read_your_writes;
