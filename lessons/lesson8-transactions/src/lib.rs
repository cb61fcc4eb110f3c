//! # Lesson 8: a question and its answer, both or neither
//!
//! The lecture's requirement: "save the user's question and the agent's answer at the same time;
//! if one fails, store neither", because a question without its answer corrupts what the agent's
//! quality is judged on. Lesson 7 saves them with two statements, each committed on its own
//! (autocommit): if the answer fails, the question stays behind, orphaned
//! ([`save_exchange_autocommit`] keeps that version, for contrast).
//!
//! [`save_exchange`] runs the same two statements inside one transaction: `START TRANSACTION`,
//! the question, the answer, `COMMIT`. Until the commit, neither row is visible to anyone else, and
//! if anything fails in between (an error, a panic, a lost connection) the server rolls both back.
//!
//! What can go wrong is an [`ExchangeError`] (in `src/error.rs`, which you need not read) that
//! says which part failed, and whether the whole exchange may be tried again.
//!
//! Exercise mode: `cargo test -p lesson8 --features exercise` builds `src/exercise.rs` (your
//! version) instead of the reference, `reference/solution.rs`, and runs the same tests against
//! it.

mod error;
mod without_transaction;

// The reference lives outside `src/`, out of the student's way.
#[cfg(not(feature = "exercise"))]
#[path = "../reference/solution.rs"]
mod solution;
#[cfg(feature = "exercise")]
#[path = "exercise.rs"]
mod solution;

pub use error::ExchangeError;
pub use lesson7::{Conversation, ConversationError, MAX_CONTENT_BYTES, Role};
pub use solution::save_exchange;
pub use without_transaction::{count_messages, orphaned_questions, save_exchange_autocommit};

/// The ids of a saved question and of its answer (whose `reply_to` is `question_id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exchange {
    /// The question's id (`role = 'user'`).
    pub question_id: u64,
    /// The answer's id (`role = 'assistant'`, `reply_to = question_id`).
    pub answer_id: u64,
}
