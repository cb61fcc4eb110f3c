//! Reference solution. Exercise mode compiles `exercise.rs` in place of this file.

use mysql::prelude::Queryable;

use crate::{Conversation, ConversationError, check_length};

/// Stores a user's question and returns its id.
///
/// Python:
/// ```python
/// with conn.cursor() as cursor:
///     cursor.execute(
///         "INSERT INTO conversations (user_id, role, content) VALUES (%s, 'user', %s)",
///         (user_id, content))
///     question_id = cursor.lastrowid
/// conn.commit()
/// ```
pub fn save_question(
    conn: &mut impl Queryable,
    user_id: u64,
    content: &str,
) -> Result<u64, ConversationError> {
    check_length(content)?;
    // No "does this user exist?" SELECT first: the foreign key checks it in the same statement,
    // and a SELECT could be outdated by the time the INSERT runs.
    let inserted = conn
        .exec_iter(
            "INSERT INTO conversations (user_id, role, content) VALUES (?, 'user', ?)",
            (user_id, content),
        )
        .map_err(|err| ConversationError::from_insert(err, user_id, None))?;
    // The OK packet of this very INSERT carries the new id (cursor.lastrowid).
    Ok(inserted
        .last_insert_id()
        .expect("an INSERT into a table with AUTO_INCREMENT reports the new id"))
}

/// Stores the agent's answer to question `question_id` of user `user_id`, and returns its id.
///
/// Only a question (`role = 'user'`) that `user_id` asked can be answered: the rule is part of
/// the INSERT itself, so nothing can slip in between a check and the insert.
pub fn save_answer(
    conn: &mut impl Queryable,
    user_id: u64,
    question_id: u64,
    content: &str,
) -> Result<u64, ConversationError> {
    check_length(content)?;
    // INSERT ... SELECT: the row is built from the question row that matches the rule, so no
    // matching question means no row inserted, in one statement.
    let inserted = conn
        .exec_iter(
            "INSERT INTO conversations (user_id, role, content, reply_to) \
             SELECT q.user_id, 'assistant', ?, q.id FROM conversations q \
             WHERE q.id = ? AND q.user_id = ? AND q.role = 'user'",
            (content, question_id, user_id),
        )
        .map_err(|err| ConversationError::from_insert(err, user_id, Some(question_id)))?;
    if inserted.affected_rows() == 0 {
        drop(inserted); // it borrows `conn`, which the diagnosis needs
        return Err(ConversationError::refused_answer(
            conn,
            user_id,
            question_id,
        ));
    }
    Ok(inserted
        .last_insert_id()
        .expect("an INSERT into a table with AUTO_INCREMENT reports the new id"))
}

/// The `limit` most recent messages of user `user_id`, newest first (questions and answers alike).
///
/// Python:
/// ```python
/// with conn.cursor(pymysql.cursors.DictCursor) as cursor:
///     cursor.execute(
///         "SELECT id, user_id, role, content, reply_to, created_at FROM conversations "
///         "WHERE user_id = %s ORDER BY created_at DESC, id DESC LIMIT %s",
///         (user_id, limit))
///     return cursor.fetchall()
/// ```
pub fn get_recent_conversations(
    conn: &mut impl Queryable,
    user_id: u64,
    limit: u32,
) -> Result<Vec<Conversation>, ConversationError> {
    // created_at has whole seconds, so a question and its answer usually share one: `id DESC`
    // breaks the tie, or the order of those two would be up to the server.
    let rows = conn.exec(
        "SELECT id, user_id, role, content, reply_to, created_at FROM conversations \
         WHERE user_id = ? ORDER BY created_at DESC, id DESC LIMIT ?",
        (user_id, limit),
    )?;
    Ok(rows)
}
