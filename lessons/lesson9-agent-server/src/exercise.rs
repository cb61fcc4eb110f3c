//! EXERCISE 9: the chat handler's order. See `exercises.toml` (`cargo run -p course -- hint 9a`).
#![allow(unused_variables, unused_imports)]

use crate::{ApiError, AppState, ChatReply, read_exchange};

/// Answers `question` for user `user_id` and stores the exchange: both messages, or neither.
///
/// The contract (`cargo test -p lesson9 --features exercise --test exercises` checks it):
/// * an empty (or only spaces) question is `ApiError::Invalid { field: "question", .. }`, and a
///   question longer than a message may be is refused too; neither reaches the agent;
/// * a user that does not exist is `ApiError::UserNotFound`, and the agent is not asked;
/// * the agent is asked while this request holds no pooled connection and no transaction is open;
/// * when the agent fails, the error is `ApiError::Agent` and nothing is stored;
/// * otherwise the question and the answer are stored together (lesson 8), and returned as stored.
///
/// `state.db(move |conn| ...)` runs database work on a pooled connection, off the async threads;
/// `state.agent.answer(&question).await` asks the agent; `?` converts the lessons' errors.
pub async fn chat(state: &AppState, user_id: u64, question: String) -> Result<ChatReply, ApiError> {
    todo!(
        "Exercise 9a: check the question and the user, ask the agent, then save both in one transaction"
    )
}
