//! What can go wrong when saving a message, and how the server's errors are recognised.
//! For the exercise, read only the doc comments of the two helpers the exercise file names,
//! [`ConversationError::from_insert`] and [`ConversationError::refused_answer`]; the README lists the
//! variants, and the rest of this file you need not read.

use std::fmt;

use mysql::prelude::Queryable;

use crate::{MAX_CONTENT_BYTES, Role};

/// The server's error code for a duplicate key: lesson 2's.
pub use lesson2::ER_DUP_ENTRY;

/// The server's error code for "a foreign key constraint fails" on an insert
/// (`ER_NO_REFERENCED_ROW_2`): the row points at a row that does not exist.
pub const ER_NO_REFERENCED_ROW: u16 = 1452;

/// The foreign key from `conversations.user_id` to `users.id`.
pub const USER_FOREIGN_KEY: &str = "fk_conversations_user";

/// The unique key on `conversations.reply_to`: a question has at most one answer.
pub const ONE_ANSWER_KEY: &str = "uq_conversations_reply_to";

/// Why a message could not be saved or read.
///
/// Nothing was stored in any of these cases, except perhaps after
/// [`ConversationError::ConnectionLost`] (see there).
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
    /// No message has this id, so there is no question to answer.
    UnknownQuestion {
        /// The question id that was given.
        question_id: u64,
    },
    /// The message is an answer itself (`role = 'assistant'`): only a question can be answered.
    NotAQuestion {
        /// The id that was given as the question's.
        question_id: u64,
    },
    /// The question was asked by another user: an answer goes to the user who asked.
    AnotherUsersQuestion {
        /// The question id that was given.
        question_id: u64,
        /// The user the answer was meant for.
        user_id: u64,
    },
    /// The question has an answer already (error 1062 on [`ONE_ANSWER_KEY`]).
    AlreadyAnswered {
        /// The question id that was given.
        question_id: u64,
    },
    /// The connection was lost after the statement was sent, before the server's reply.
    ///
    /// On its own (autocommit) the server may have stored the message before the connection
    /// dropped, or not: the client cannot know. Saving it again blindly may store it twice: look
    /// it up first (an answer with [`find_answer`], by its question's id). Inside a transaction
    /// that was not committed (lesson 8), the server rolled it back: nothing is stored.
    ConnectionLost(mysql::Error),
    /// Any other error from the driver or the server.
    Db(mysql::Error),
}

impl ConversationError {
    /// Turns the server's error for an `INSERT INTO conversations` into what it means for this
    /// message: `user_id` and `reply_to` are the values the insert used (`reply_to` is `None`
    /// for a question).
    ///
    /// The constraint's name is in the server's message, in MySQL and MariaDB alike; that is how
    /// the error is tied to its rule (a duplicate on another key is just a database error).
    ///
    /// `INSERT INTO conversations`에 대한 서버의 오류를 이 메시지에 대한 의미로 바꿉니다. `user_id`와
    /// `reply_to`는 INSERT가 쓴 값입니다(질문이면 `reply_to`는 `None`). 제약 조건의 이름이 서버의 메시지에
    /// 들어 있어서(MySQL과 MariaDB 모두) 오류를 그 규칙과 짝지을 수 있습니다. 다른 키의 중복은 그냥
    /// 데이터베이스 오류입니다.
    pub fn from_insert(
        err: mysql::Error,
        user_id: u64,
        reply_to: Option<u64>,
    ) -> ConversationError {
        if let mysql::Error::MySqlError(server) = &err {
            match (server.code, reply_to) {
                (ER_NO_REFERENCED_ROW, _) if server.message.contains(USER_FOREIGN_KEY) => {
                    return ConversationError::UnknownUser { user_id };
                }
                (ER_DUP_ENTRY, Some(question_id)) if server.message.contains(ONE_ANSWER_KEY) => {
                    return ConversationError::AlreadyAnswered { question_id };
                }
                _ => {}
            }
        }
        // A session the server ended (KILL, shutdown) is a lost connection too.
        if shared::is_connection_lost(&err) {
            ConversationError::ConnectionLost(err)
        } else {
            ConversationError::Db(err)
        }
    }

    /// Why an answer to `question_id` for `user_id` inserted no row: the message is missing, is
    /// not a question, or belongs to another user. Call it after the insert reported 0 rows; it
    /// only reads, to say which rule the insert's `WHERE` refused.
    ///
    /// `user_id`의 `question_id`에 대한 답변의 INSERT가 행을 하나도 넣지 않은 이유입니다. 그 메시지가 없거나,
    /// 질문이 아니거나, 다른 사용자의 것입니다. INSERT가 0행이라고 알린 뒤에 부르세요. 읽기만 해서, INSERT의
    /// `WHERE`가 어느 규칙으로 거부했는지 알려 줍니다.
    pub fn refused_answer(
        conn: &mut impl Queryable,
        user_id: u64,
        question_id: u64,
    ) -> ConversationError {
        let found: mysql::Result<Option<(u64, Role)>> = conn.exec_first(
            "SELECT user_id, role FROM conversations WHERE id = ?",
            (question_id,),
        );
        match found {
            Ok(Some((_, Role::Assistant))) => ConversationError::NotAQuestion { question_id },
            Ok(Some((asker, Role::User))) if asker != user_id => {
                ConversationError::AnotherUsersQuestion {
                    question_id,
                    user_id,
                }
            }
            // Missing (or, if it appeared since, missing when the insert ran).
            Ok(_) => ConversationError::UnknownQuestion { question_id },
            Err(err) => ConversationError::from(err),
        }
    }
}

/// The id of the answer to question `question_id`, if one is stored: how to find out whether an
/// answer whose save ended in [`ConversationError::ConnectionLost`] was stored after all.
pub fn find_answer(
    conn: &mut impl Queryable,
    question_id: u64,
) -> Result<Option<u64>, ConversationError> {
    Ok(conn.exec_first(
        "SELECT id FROM conversations WHERE reply_to = ?",
        (question_id,),
    )?)
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
            ConversationError::NotAQuestion { question_id } => write!(
                f,
                "message {question_id} is an answer, not a question: only a question can be answered."
            ),
            ConversationError::AnotherUsersQuestion {
                question_id,
                user_id,
            } => write!(
                f,
                "question {question_id} was asked by another user than {user_id}: an answer goes \
                 to the user who asked."
            ),
            ConversationError::AlreadyAnswered { question_id } => write!(
                f,
                "question {question_id} has an answer already; a question has at most one."
            ),
            ConversationError::ConnectionLost(_) => f.write_str(
                "the connection was lost after the message was sent: it may or may not be stored \
                 (on its own, the server may have committed it; in a transaction not yet \
                 committed, it was rolled back). Look it up before saving it again",
            ),
            ConversationError::Db(_) => f.write_str("the database reported an error"),
        }
    }
}

impl std::error::Error for ConversationError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ConversationError::ConnectionLost(err) | ConversationError::Db(err) => Some(err),
            _ => None,
        }
    }
}

/// `?` on a `mysql::Result` wraps the error as [`ConversationError::Db`]. (A write uses
/// [`ConversationError::from_insert`] instead, which also recognises a lost connection.)
impl From<mysql::Error> for ConversationError {
    fn from(err: mysql::Error) -> ConversationError {
        ConversationError::Db(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A server error as MySQL 8.4 and 9.7 word it (the tests against the real server run on
    /// whichever server is configured; these pin MySQL's wording too).
    fn server_error(code: u16, message: &str) -> mysql::Error {
        mysql::Error::MySqlError(mysql::MySqlError {
            state: "23000".to_string(),
            message: message.to_string(),
            code,
        })
    }

    #[test]
    fn mysql_errors_are_recognised_by_the_constraint_names_in_their_messages() {
        let user_fk = "Cannot add or update a child row: a foreign key constraint fails (`llmagent`.\
                       `conversations`, CONSTRAINT `fk_conversations_user` FOREIGN KEY (`user_id`) \
                       REFERENCES `users` (`id`) ON DELETE CASCADE)";
        let duplicate = "Duplicate entry '5' for key 'conversations.uq_conversations_reply_to'";

        let as_question = ConversationError::from_insert(server_error(1452, user_fk), 7, None);
        let as_answer = ConversationError::from_insert(server_error(1452, user_fk), 7, Some(5));
        let second = ConversationError::from_insert(server_error(1062, duplicate), 7, Some(5));

        assert!(
            matches!(as_question, ConversationError::UnknownUser { user_id: 7 }),
            "a question for a missing user: {as_question:?}"
        );
        assert!(
            matches!(as_answer, ConversationError::UnknownUser { user_id: 7 }),
            "an answer for a missing user: {as_answer:?}"
        );
        assert!(
            matches!(
                second,
                ConversationError::AlreadyAnswered { question_id: 5 }
            ),
            "a second answer: {second:?}"
        );
    }

    #[test]
    fn a_lost_connection_is_told_apart_from_other_errors() {
        let other_duplicate = server_error(1062, "Duplicate entry 'x' for key 'PRIMARY'");
        let gone = mysql::Error::IoError(std::io::Error::from(std::io::ErrorKind::BrokenPipe));

        let duplicate = ConversationError::from_insert(other_duplicate, 7, Some(5));
        let lost = ConversationError::from_insert(gone, 7, None);

        assert!(
            matches!(duplicate, ConversationError::Db(_)),
            "a duplicate on another key is just a database error: {duplicate:?}"
        );
        assert!(
            matches!(lost, ConversationError::ConnectionLost(_)),
            "a broken pipe is a lost connection: {lost:?}"
        );
    }

    #[test]
    fn the_printed_chain_names_the_drivers_error_once() {
        let gone = mysql::Error::IoError(std::io::Error::new(
            std::io::ErrorKind::BrokenPipe,
            "pipe broke here",
        ));

        let err = ConversationError::from_insert(gone, 7, Some(5));
        let chain = format!("{:?}", anyhow::Error::from(err));

        assert_eq!(
            chain.matches("pipe broke here").count(),
            1,
            "the driver's text appears once, under `Caused by`, not also in our message:\n{chain}"
        );
        assert!(chain.contains("may or may not be stored"), "{chain}");
    }

    #[test]
    fn the_length_check_counts_bytes_not_characters() {
        assert!(crate::check_length(&"a".repeat(MAX_CONTENT_BYTES)).is_ok());
        assert!(matches!(
            crate::check_length(&"😀".repeat(MAX_CONTENT_BYTES / 4 + 1)),
            Err(ConversationError::TooLong { bytes: 65_536 })
        ));
    }
}
