//! The integration tests of `shared`, in one test binary (one link instead of one per file).

mod connect_errors;
mod test_db;
mod tls;
