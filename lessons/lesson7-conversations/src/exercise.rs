//! EXERCISE 7: save questions and answers, list a user's recent conversations.
//!
//! Write the three functions below so that `cargo test -p lesson7 --features exercise` passes.
//! Run the demo on your version with `cargo run -p lesson7 --features exercise`.
//!
//! The table (docker/schema.sql): `conversations(id, user_id, role, content, reply_to, created_at)`,
//! one row per message. `id` and `created_at` are filled in by the server.
//!
//! `save_question`:
//! 1. Refuse content that does not fit before sending anything: `check_length(content)?;`
//! 2. Insert with bound parameters (never format values into the SQL):
//!    `conn.exec_iter("INSERT INTO conversations (user_id, role, content) VALUES (?, 'user', ?)", (user_id, content))`
//!    `exec_iter` (not `exec_drop`) because its result carries the new id.
//! 3. Turn a server error into what it means with
//!    `.map_err(|err| ConversationError::from_insert(err, user_id, None))?`
//!    (an unknown user is the foreign key's error 1452, which becomes `UnknownUser`).
//! 4. Return the new id: `result.last_insert_id()` is `Option<u64>`; an INSERT into a table with
//!    AUTO_INCREMENT always reports one, so `.expect("...")` is fine.
//!
//! `save_answer`: the same, with `role` `'assistant'` and `reply_to` = `question_id`
//! (a fourth column and a third `?`). Pass `Some(question_id)` to `from_insert`, so a missing
//! question becomes `UnknownQuestion` and a second answer `AlreadyAnswered`.
//!
//! `get_recent_conversations`:
//! 1. `SELECT id, user_id, role, content, reply_to, created_at FROM conversations WHERE user_id = ?`
//! 2. Newest first: `ORDER BY created_at DESC`. created_at has whole seconds, so a question and its
//!    answer often share one: add `id DESC` so that the order within a second is fixed too.
//! 3. `LIMIT ?` takes a bound parameter like any value.
//! 4. `conn.exec(sql, (user_id, limit))?` returns `Vec<Conversation>`: `Conversation` derives
//!    `FromRow`, so each row is read by column name (the names in the SELECT must match the fields).
#![allow(unused_variables, unused_imports)]

use mysql::prelude::Queryable;

use crate::{Conversation, ConversationError, check_length};

/// Stores a user's question and returns its id.
pub fn save_question(
    conn: &mut impl Queryable,
    user_id: u64,
    content: &str,
) -> Result<u64, ConversationError> {
    todo!("Exercise 7: check the length, INSERT the question with role 'user', return its id")
}

/// Stores the agent's answer to question `question_id` of user `user_id`, and returns its id.
pub fn save_answer(
    conn: &mut impl Queryable,
    user_id: u64,
    question_id: u64,
    content: &str,
) -> Result<u64, ConversationError> {
    todo!(
        "Exercise 7: check the length, INSERT the answer with role 'assistant' and reply_to, return its id"
    )
}

/// The `limit` most recent messages of user `user_id`, newest first (questions and answers alike).
pub fn get_recent_conversations(
    conn: &mut impl Queryable,
    user_id: u64,
    limit: u32,
) -> Result<Vec<Conversation>, ConversationError> {
    todo!("Exercise 7: SELECT this user's messages, newest first (id breaks ties), at most `limit`")
}
