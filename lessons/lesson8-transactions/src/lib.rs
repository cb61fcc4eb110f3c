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
//! [`save_exchange_with`] is the same function with a seam: a closure called between the two
//! inserts, which the tests use to panic, kill the connection or break the answer right there.
//! `save_exchange` is `save_exchange_with` with a closure that does nothing.
//!
//! What can go wrong is an [`ExchangeError`] that says which part failed.
//!
//! Exercise mode: `cargo test -p lesson8 --features exercise` builds `src/exercise.rs` (your version)
//! instead of `src/solution.rs`, and runs the same tests against it.

use std::fmt;

use mysql::prelude::Queryable;

pub use lesson7::{Conversation, ConversationError, MAX_CONTENT_BYTES, Role};

#[cfg_attr(feature = "exercise", path = "exercise.rs")]
mod solution;

pub use solution::{save_exchange, save_exchange_with};

/// The ids of a saved question and of its answer (whose `reply_to` is `question_id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exchange {
    /// The question's id (`role = 'user'`).
    pub question_id: u64,
    /// The answer's id (`role = 'assistant'`, `reply_to = question_id`).
    pub answer_id: u64,
}

/// Which part of saving an exchange failed, and why.
///
/// From [`save_exchange`], every variant but [`ExchangeError::Commit`] means that nothing was
/// stored: the transaction was rolled back (or, if the connection was lost, the server rolled it
/// back when the connection ended).
#[derive(Debug)]
pub enum ExchangeError {
    /// `START TRANSACTION` failed (usually: the connection is gone).
    Begin(mysql::Error),
    /// The question could not be saved (too long, unknown user, lost connection, ...).
    Question(ConversationError),
    /// The answer could not be saved, after the question was.
    Answer(ConversationError),
    /// `COMMIT` failed. If the connection was lost during the commit, the server may have
    /// committed or not: the client cannot know which.
    Commit(mysql::Error),
}

impl ExchangeError {
    /// Which part failed: `"begin"`, `"question"`, `"answer"` or `"commit"`.
    pub fn part(&self) -> &'static str {
        match self {
            ExchangeError::Begin(_) => "begin",
            ExchangeError::Question(_) => "question",
            ExchangeError::Answer(_) => "answer",
            ExchangeError::Commit(_) => "commit",
        }
    }

    /// Whether the whole exchange may be saved again, on another connection: the connection was
    /// lost *before* the commit, so the server rolled everything back and nothing is stored.
    ///
    /// Not after a lost `COMMIT` (the server may have committed: saving again could store the
    /// exchange twice), and not after an error a retry would meet again (too long, unknown user).
    ///
    /// A retry starts the WHOLE transaction again, on a connection that works: the lost session
    /// took the open transaction, its uncommitted question and its ids with it.
    ///
    /// ```no_run
    /// # fn save(pool: &lesson4::Pool, user_id: u64) -> Result<lesson8::Exchange, Box<dyn std::error::Error>> {
    /// let mut attempt = 1;
    /// loop {
    ///     let mut conn = pool.get()?;
    ///     match lesson8::save_exchange(&mut conn, user_id, "질문", "답변") {
    ///         Err(err) if err.can_retry() && attempt < 3 => {
    ///             conn.mark_broken(); // the pool closes it instead of lending it again
    ///             attempt += 1;       // and the loop begins again with START TRANSACTION
    ///         }
    ///         result => return Ok(result?),
    ///     }
    /// }
    /// # }
    /// ```
    pub fn can_retry(&self) -> bool {
        match self {
            ExchangeError::Begin(err) => lesson4::is_connection_lost(err),
            ExchangeError::Question(ConversationError::ConnectionLost(_))
            | ExchangeError::Answer(ConversationError::ConnectionLost(_)) => true,
            _ => false,
        }
    }
}

impl fmt::Display for ExchangeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The messages say which part failed, not whether anything was stored: that depends on
        // whether a transaction was used (compare save_exchange and save_exchange_autocommit).
        match self {
            ExchangeError::Begin(err) => write!(f, "could not start the transaction: {err}"),
            ExchangeError::Question(err) => write!(f, "saving the question failed: {err}"),
            ExchangeError::Answer(err) => write!(f, "saving the answer failed: {err}"),
            ExchangeError::Commit(err) => write!(
                f,
                "the commit failed: {err}. If the connection was lost, the exchange may or may not \
                 be stored: look for the question before saving it again."
            ),
        }
    }
}

impl std::error::Error for ExchangeError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ExchangeError::Begin(err) | ExchangeError::Commit(err) => Some(err),
            ExchangeError::Question(err) | ExchangeError::Answer(err) => Some(err),
        }
    }
}

/// The lecture's first version, WITHOUT a transaction, kept for contrast: the question is
/// committed by itself (autocommit) before the answer is even sent, so when the answer fails the
/// question stays, orphaned. Do not use it to store conversations; the demo and the tests use it
/// to show what [`save_exchange`] prevents.
///
/// Python:
/// ```python
/// cursor.execute("INSERT INTO conversations (user_id, role, content) VALUES (%s, 'user', %s)", ...)
/// question_id = cursor.lastrowid
/// conn.commit()           # the question is stored for good here
/// cursor.execute("INSERT INTO conversations (user_id, role, content, reply_to) VALUES (...)", ...)
/// conn.commit()
/// ```
pub fn save_exchange_autocommit(
    conn: &mut impl Queryable,
    user_id: u64,
    question: &str,
    answer: &str,
) -> Result<Exchange, ExchangeError> {
    let question_id =
        lesson7::save_question(conn, user_id, question).map_err(ExchangeError::Question)?;
    let answer_id =
        lesson7::save_answer(conn, user_id, question_id, answer).map_err(ExchangeError::Answer)?;
    Ok(Exchange {
        question_id,
        answer_id,
    })
}

/// How many messages (questions and answers) user `user_id` has.
///
/// Run it on another connection than the one saving, to see what is committed: a transaction's
/// rows are visible only to itself until `COMMIT`.
pub fn count_messages(conn: &mut impl Queryable, user_id: u64) -> mysql::Result<u64> {
    let count = conn.exec_first(
        "SELECT COUNT(*) FROM conversations WHERE user_id = ?",
        (user_id,),
    )?;
    Ok(count.unwrap_or(0))
}

/// The ids of user `user_id`'s questions that have no answer, oldest first.
///
/// Each question is joined with the answer that replies to it; `LEFT JOIN` keeps a question that
/// has none, with `NULL`s for the answer's columns, and `a.id IS NULL` keeps only those.
pub fn orphaned_questions(conn: &mut impl Queryable, user_id: u64) -> mysql::Result<Vec<u64>> {
    conn.exec(
        "SELECT q.id FROM conversations q \
         LEFT JOIN conversations a ON a.reply_to = q.id \
         WHERE q.user_id = ? AND q.role = 'user' AND a.id IS NULL \
         ORDER BY q.id",
        (user_id,),
    )
}
