//! The integration tests of the course runner, in one test binary (one link instead of one per file).

mod switch;
