//! # Lesson 7: an agent's conversations
//!
//! The agent stores every message in the `conversations` table, one row per message: the user's
//! question (`role = 'user'`) and the agent's answer (`role = 'assistant'`, whose `reply_to` is
//! the question's id). This lesson writes [`save_question`], [`save_answer`] and
//! [`get_recent_conversations`] (a user's N most recent messages, newest first).
//!
//! All three take `&mut impl Queryable`: a plain connection, one borrowed from lesson 4's pool, or
//! (lesson 8) a transaction. Each runs one statement; on its own (autocommit) each statement is
//! committed the moment it succeeds.
//!
//! What can go wrong is a [`ConversationError`] (in `src/error.rs`: its variants are listed in the
//! README; the exercise needs only the doc comments of its two helpers, `from_insert` and
//! `refused_answer`). Nothing is stored when one is returned, except after
//! [`ConversationError::ConnectionLost`], where nobody can know without looking.
//!
//! Exercise mode: `cargo test -p lesson7 --features exercise` builds `src/exercise.rs` (your
//! version) instead of the reference, `reference/solution.rs`, and runs the same tests against
//! it.

use mysql::prelude::{FromRow, FromValue};

mod error;

// The reference lives outside `src/`, out of the student's way.
#[cfg(not(feature = "exercise"))]
#[path = "../reference/solution.rs"]
mod solution;
#[cfg(feature = "exercise")]
#[path = "exercise.rs"]
mod solution;

pub use error::{
    ConversationError, ER_DUP_ENTRY, ER_NO_REFERENCED_ROW, ONE_ANSWER_KEY, USER_FOREIGN_KEY,
    find_answer,
};
pub use solution::{get_recent_conversations, save_answer, save_question};

/// At most this many **bytes** fit in `conversations.content` (`TEXT` in docker/schema.sql).
///
/// `TEXT` counts bytes, not characters: 65,535 ASCII letters fit, but only 21,845 Korean
/// syllables (3 bytes each in UTF-8) or 16,383 emoji (4 bytes each).
pub const MAX_CONTENT_BYTES: usize = 65_535;

/// Who wrote a message: the `role` column, `ENUM('user', 'assistant')`.
///
/// The derive reads the ENUM's text (`'user'`, `'assistant'`) into the variant of the same name.
/// The numbers are the ENUM's positions on the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, FromValue)]
#[mysql(rename_all = "lowercase")]
#[repr(u8)]
pub enum Role {
    /// A person's question.
    User = 1,
    /// The agent's answer to a question.
    Assistant = 2,
}

impl Role {
    /// The value stored in the `role` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One row of `conversations`: one message, read by column name.
#[derive(Debug, Clone, PartialEq, Eq, FromRow)]
pub struct Conversation {
    /// `conversations.id`, given by the server's `AUTO_INCREMENT`.
    pub id: u64,
    /// The user this message belongs to (a question's asker, or the user an answer was for).
    pub user_id: u64,
    /// A question ([`Role::User`]) or an answer ([`Role::Assistant`]).
    pub role: Role,
    /// The text, at most [`MAX_CONTENT_BYTES`] bytes.
    pub content: String,
    /// For an answer, the id of the question it answers; `None` for a question.
    pub reply_to: Option<u64>,
    /// Set by the server (`DEFAULT CURRENT_TIMESTAMP`, whole seconds, session time zone).
    pub created_at: chrono::NaiveDateTime,
}

/// Checks a message's length before it is sent: at most [`MAX_CONTENT_BYTES`] bytes of UTF-8.
///
/// A server in strict mode (the default) would refuse a longer text too, but one without strict
/// mode cuts it short silently. Checking here gives the same clear error everywhere.
pub fn check_length(content: &str) -> Result<(), ConversationError> {
    // `str::len` is the length in bytes, which is what TEXT counts.
    let bytes = content.len();
    if bytes > MAX_CONTENT_BYTES {
        return Err(ConversationError::TooLong { bytes });
    }
    Ok(())
}
