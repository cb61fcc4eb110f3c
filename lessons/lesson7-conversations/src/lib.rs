//! # Lesson 7: an agent's conversations
//!
//! The lecture's AI agent stores every message in the `conversations` table, one row per message:
//! the user's question (`role = 'user'`) and the agent's answer (`role = 'assistant'`, whose
//! `reply_to` points at the question). This lesson writes the three functions for that:
//! [`save_question`], [`save_answer`] and [`get_recent_conversations`] (a user's N most recent
//! messages, newest first).
//!
//! All three take `&mut impl Queryable`, so they run on a plain connection, on a pooled one
//! (`&mut guard` from lesson 4's pool: the guard is a `Queryable` itself and watches the errors)
//! and, in lesson 8, inside a transaction.
//!
//! What can go wrong is a [`ConversationError`] a caller can `match`: a message too long for its
//! column is refused before it is sent, an unknown user or question and a second answer to the
//! same question are recognised from the server's error, and nothing is stored in those cases.
//!
//! Saving a question and then its answer is two statements here, each committed on its own
//! (autocommit). If the second fails, the first stays: lesson 8 fixes that with a transaction.
//!
//! Exercise mode: `cargo test -p lesson7 --features exercise` builds `src/exercise.rs` (your version)
//! instead of `src/solution.rs`, and runs the same tests against it.

use std::fmt;

use mysql::prelude::{FromRow, FromValue};

#[cfg_attr(feature = "exercise", path = "exercise.rs")]
mod solution;

pub use solution::{get_recent_conversations, save_answer, save_question};

/// At most this many **bytes** fit in `conversations.content` (`TEXT` in docker/schema.sql).
///
/// `TEXT` counts bytes, not characters (unlike `VARCHAR(n)`): 65,535 ASCII letters fit, but only
/// 21,845 Korean syllables (3 bytes each in UTF-8) or 16,383 emoji (4 bytes each).
pub const MAX_CONTENT_BYTES: usize = 65_535;

/// The server's error code for a duplicate key (`ER_DUP_ENTRY`), in MySQL and MariaDB alike.
pub const ER_DUP_ENTRY: u16 = 1062;

/// The server's error code for "a foreign key constraint fails" on an insert
/// (`ER_NO_REFERENCED_ROW_2`): the row points at a user or a question that does not exist.
pub const ER_NO_REFERENCED_ROW: u16 = 1452;

/// The foreign key from `conversations.user_id` to `users.id`.
pub const USER_FOREIGN_KEY: &str = "fk_conversations_user";

/// The foreign key from `conversations.reply_to` to the question's `conversations.id`.
pub const QUESTION_FOREIGN_KEY: &str = "fk_conversations_reply_to";

/// The unique key on `conversations.reply_to`: a question has at most one answer.
pub const ONE_ANSWER_KEY: &str = "uq_conversations_reply_to";

/// Who wrote a message: the `role` column, `ENUM('user', 'assistant')`.
///
/// The derive reads the ENUM's text (`'user'`, `'assistant'`) into the variant of the same name,
/// so a row is typed as it is read. The numbers are the ENUM's positions on the server.
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

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
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

/// Why a message could not be saved or read. Nothing was stored in any of these cases.
#[derive(Debug)]
pub enum ConversationError {
    /// The content is longer than the column holds; refused before it was sent.
    TooLong {
        /// How long the content is, in bytes of UTF-8.
        bytes: usize,
    },
    /// No user has this id (server error 1452 on [`USER_FOREIGN_KEY`]).
    UnknownUser {
        /// The user id that was given.
        user_id: u64,
    },
    /// No message has this id, so there is no question to answer (error 1452 on [`QUESTION_FOREIGN_KEY`]).
    UnknownQuestion {
        /// The question id that was given.
        question_id: u64,
    },
    /// The question has an answer already (error 1062 on [`ONE_ANSWER_KEY`]).
    AlreadyAnswered {
        /// The question id that was given.
        question_id: u64,
    },
    /// Any other error from the driver or the server (a lost connection, for example).
    Db(mysql::Error),
}

impl ConversationError {
    /// Turns the server's error for an `INSERT INTO conversations` into what it means for this
    /// message: `user_id` and `reply_to` are the values the insert used (`reply_to` is `None`
    /// for a question).
    ///
    /// The constraint's name is in the server's message, in MySQL and MariaDB alike; that is how a
    /// missing user is told from a missing question (both are error 1452).
    pub fn from_insert(
        err: mysql::Error,
        user_id: u64,
        reply_to: Option<u64>,
    ) -> ConversationError {
        let mysql::Error::MySqlError(server) = &err else {
            return ConversationError::Db(err);
        };
        match (server.code, reply_to) {
            // With reply_to NULL, the user is the only reference that can be missing.
            (ER_NO_REFERENCED_ROW, None) => ConversationError::UnknownUser { user_id },
            (ER_NO_REFERENCED_ROW, _) if server.message.contains(USER_FOREIGN_KEY) => {
                ConversationError::UnknownUser { user_id }
            }
            (ER_NO_REFERENCED_ROW, Some(question_id))
                if server.message.contains(QUESTION_FOREIGN_KEY) =>
            {
                ConversationError::UnknownQuestion { question_id }
            }
            (ER_DUP_ENTRY, Some(question_id)) if server.message.contains(ONE_ANSWER_KEY) => {
                ConversationError::AlreadyAnswered { question_id }
            }
            _ => ConversationError::Db(err),
        }
    }
}

impl fmt::Display for ConversationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ConversationError::TooLong { bytes } => write!(
                f,
                "the message is {bytes} bytes long, but the content column holds at most \
                 {MAX_CONTENT_BYTES} bytes (TEXT). Shorten it, or store it in pieces."
            ),
            ConversationError::UnknownUser { user_id } => write!(
                f,
                "no user has id {user_id}, so the message was not stored. Create the user first, \
                 or look the id up again by email."
            ),
            ConversationError::UnknownQuestion { question_id } => write!(
                f,
                "there is no question with id {question_id} to answer (never saved, or deleted)."
            ),
            ConversationError::AlreadyAnswered { question_id } => write!(
                f,
                "question {question_id} has an answer already; a question has at most one."
            ),
            ConversationError::Db(err) => write!(f, "database error: {err}"),
        }
    }
}

impl std::error::Error for ConversationError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ConversationError::Db(err) => Some(err),
            _ => None,
        }
    }
}

/// `?` on a `mysql::Result` inside a function returning `ConversationError` wraps the error as
/// [`ConversationError::Db`].
impl From<mysql::Error> for ConversationError {
    fn from(err: mysql::Error) -> ConversationError {
        ConversationError::Db(err)
    }
}

/// Checks a message's length before it is sent: at most [`MAX_CONTENT_BYTES`] bytes of UTF-8.
///
/// The server would refuse it too (error 1406 in strict mode, the default of MySQL 8.4 and
/// MariaDB 10.11), but a server with a non-strict `sql_mode` cuts it short silently instead.
/// Checking here gives the same clear error everywhere, without a round trip.
pub fn check_length(content: &str) -> Result<(), ConversationError> {
    // `str::len` is the length in bytes, which is what TEXT counts.
    let bytes = content.len();
    if bytes > MAX_CONTENT_BYTES {
        return Err(ConversationError::TooLong { bytes });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A server error as MySQL 8.4 words it (the tests against the real server run on whichever
    /// server is configured, here MariaDB; these pin MySQL's wording too).
    fn server_error(code: u16, message: &str) -> mysql::Error {
        mysql::Error::MySqlError(mysql::MySqlError {
            state: "23000".to_string(),
            message: message.to_string(),
            code,
        })
    }

    #[test]
    fn mysql_8_errors_are_recognised_by_the_constraint_names_in_their_messages() {
        let user_fk = "Cannot add or update a child row: a foreign key constraint fails (`llmagent`.\
                       `conversations`, CONSTRAINT `fk_conversations_user` FOREIGN KEY (`user_id`) \
                       REFERENCES `users` (`id`) ON DELETE CASCADE)";
        let question_fk = "Cannot add or update a child row: a foreign key constraint fails (`llmagent`.\
                           `conversations`, CONSTRAINT `fk_conversations_reply_to` FOREIGN KEY \
                           (`reply_to`) REFERENCES `conversations` (`id`) ON DELETE CASCADE)";
        let duplicate = "Duplicate entry '5' for key 'conversations.uq_conversations_reply_to'";

        let as_question = ConversationError::from_insert(server_error(1452, user_fk), 7, None);
        let as_answer = ConversationError::from_insert(server_error(1452, user_fk), 7, Some(5));
        let no_question =
            ConversationError::from_insert(server_error(1452, question_fk), 7, Some(5));
        let second = ConversationError::from_insert(server_error(1062, duplicate), 7, Some(5));

        assert!(
            matches!(as_question, ConversationError::UnknownUser { user_id: 7 }),
            "{as_question:?}"
        );
        assert!(
            matches!(as_answer, ConversationError::UnknownUser { user_id: 7 }),
            "{as_answer:?}"
        );
        assert!(
            matches!(
                no_question,
                ConversationError::UnknownQuestion { question_id: 5 }
            ),
            "{no_question:?}"
        );
        assert!(
            matches!(
                second,
                ConversationError::AlreadyAnswered { question_id: 5 }
            ),
            "{second:?}"
        );
    }

    #[test]
    fn other_errors_stay_database_errors() {
        let other_duplicate = server_error(1062, "Duplicate entry 'x' for key 'PRIMARY'");
        let gone = mysql::Error::IoError(std::io::Error::from(std::io::ErrorKind::BrokenPipe));

        let duplicate = ConversationError::from_insert(other_duplicate, 7, Some(5));
        let lost = ConversationError::from_insert(gone, 7, None);

        assert!(
            matches!(duplicate, ConversationError::Db(_)),
            "{duplicate:?}"
        );
        assert!(matches!(lost, ConversationError::Db(_)), "{lost:?}");
    }

    #[test]
    fn the_length_check_counts_bytes_not_characters() {
        assert!(check_length(&"a".repeat(MAX_CONTENT_BYTES)).is_ok());
        assert!(matches!(
            check_length(&"😀".repeat(MAX_CONTENT_BYTES / 4 + 1)),
            Err(ConversationError::TooLong { bytes: 65_536 })
        ));
    }
}
