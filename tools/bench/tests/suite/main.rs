//! The integration tests of the benchmark, in one test binary (one link instead of one per file).

mod http;
mod replica;
mod runs;
