//! The integration tests of `shared`, in one test binary (one link instead of one per file).

mod command_log;
mod connect_errors;
mod test_db;
mod tls;
