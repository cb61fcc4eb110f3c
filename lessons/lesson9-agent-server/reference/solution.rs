//! Reference solution. Exercise mode compiles `exercise.rs` in place of this file.

use crate::{ApiError, AppState, Caller, ChatReply, authorize, read_exchange};

/// Answers `question` for the caller's user and stores the exchange: both messages, or neither.
///
/// The order is the point. The agent may take seconds; while it thinks, this request holds no
/// pooled connection and no transaction: a transaction held open across a slow network call keeps
/// its connection from everyone else (and, with more writes, its locks). Only once the answer is
/// here are both rows written, with lesson 8's transaction.
///
/// Python (Flask), for comparison:
/// ```python
/// answer = agent.ask(question)                    # no connection held while waiting
/// conn = pool.get_conn()
/// try:
///     save_exchange(conn, user_id, question, answer)   # one transaction
/// finally:
///     pool.release_connection(conn)
/// ```
///
/// Errors: 422 for an empty or too long question, 401 for a token that is no user's and 404 for an
/// unknown user (or another user's token), all before the agent is asked; 502 when the agent fails
/// (nothing stored); 503 when the database is unavailable.
pub async fn chat(
    state: &AppState,
    caller: Caller,
    question: String,
) -> Result<ChatReply, ApiError> {
    // 1. Refuse what cannot be stored before anyone spends time (or money) on it.
    if question.trim().is_empty() {
        return Err(ApiError::Invalid {
            field: "question",
            reason: "it is empty".to_string(),
        });
    }
    lesson7::check_length(&question)?;
    // The caller's token must be their user's: this also tells that the user exists.
    state.db(move |conn| authorize(conn, caller)).await?;

    // 2. Ask the agent, with no connection borrowed: `state.db` above gave its connection back.
    let answer = state.agent.answer(&question).await?;

    // 3. Store both rows in one transaction, and read them back as stored.
    state
        .db(move |conn| {
            let saved = lesson8::save_exchange(conn, caller.user_id, &question, &answer)?;
            read_exchange(conn, saved)
        })
        .await
}
