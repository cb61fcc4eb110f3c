//! Which part of saving an exchange failed, and whether it may be tried again.
//! You need not read this file for the exercise: the exercise names the variants.

use std::fmt;

use lesson7::ConversationError;

/// Which part of saving an exchange in a transaction ([`crate::save_exchange`]) failed, and why.
///
/// Every variant but [`ExchangeError::Commit`] means that nothing was stored: the transaction was
/// rolled back (or, if the connection was lost, the server rolled it back when the session ended).
#[derive(Debug)]
pub enum ExchangeError {
    /// `START TRANSACTION` failed (usually: the connection is gone).
    Begin(mysql::Error),
    /// The question could not be saved (too long, unknown user, lost connection, ...).
    Question(ConversationError),
    /// The answer could not be saved, after the question was (and was then rolled back).
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
            ExchangeError::Begin(err) => shared::is_connection_lost(err),
            ExchangeError::Question(ConversationError::ConnectionLost(_))
            | ExchangeError::Answer(ConversationError::ConnectionLost(_)) => true,
            _ => false,
        }
    }
}

impl fmt::Display for ExchangeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Each message says its own part; the cause is the `source()`, printed after it.
        match self {
            ExchangeError::Begin(_) => f.write_str("could not start the transaction"),
            ExchangeError::Question(_) => {
                f.write_str("saving the question failed; the transaction was rolled back")
            }
            ExchangeError::Answer(_) => f.write_str(
                "saving the answer failed; the transaction was rolled back, with the question",
            ),
            ExchangeError::Commit(_) => f.write_str(
                "the commit failed. If the connection was lost, the exchange may or may not be \
                 stored: look for the question before saving it again",
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
