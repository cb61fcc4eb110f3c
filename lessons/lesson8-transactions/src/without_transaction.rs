//! The version without a transaction, kept for contrast, and the counts the demo and the tests
//! take from another connection. You need not read this file for the exercise.

use mysql::prelude::Queryable;

use crate::{ConversationError, Exchange};

/// The lecture's first version, WITHOUT a transaction, kept for contrast: the question is
/// committed by itself (autocommit) before the answer is even sent, so when the answer fails the
/// question stays, orphaned. Do not use it to store conversations; the demo and the tests use it
/// to show what [`crate::save_exchange`] prevents.
///
/// Its error is lesson 7's, as it is: without a transaction nothing is rolled back, so no error
/// here means "nothing stored", and none is a reason to save the exchange again (the question
/// may be stored already; after [`ConversationError::ConnectionLost`] the answer may be too).
pub fn save_exchange_autocommit(
    conn: &mut impl Queryable,
    user_id: u64,
    question: &str,
    answer: &str,
) -> Result<Exchange, ConversationError> {
    let question_id = lesson7::save_question(conn, user_id, question)?;
    let answer_id = lesson7::save_answer(conn, user_id, question_id, answer)?;
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
