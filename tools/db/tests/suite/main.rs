//! The integration tests of the set-up tool, in one test binary (one link instead of one per file).

mod local_server;
mod replica;
mod rust_version;
