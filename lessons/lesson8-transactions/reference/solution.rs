//! Reference solution. Exercise mode compiles `exercise.rs` in place of this file.

use mysql::{Conn, TxOpts};

use crate::{Exchange, ExchangeError};

/// Saves a user's question and the agent's answer together, in one transaction: both rows are
/// stored, or, if anything fails, neither.
///
/// Python:
/// ```python
/// try:
///     with conn.cursor() as cursor:
///         cursor.execute("INSERT INTO conversations (user_id, role, content) "
///                        "VALUES (%s, 'user', %s)", (user_id, question))
///         question_id = cursor.lastrowid
///         cursor.execute("INSERT INTO conversations (user_id, role, content, reply_to) "
///                        "VALUES (%s, 'assistant', %s, %s)", (user_id, answer, question_id))
///     conn.commit()
/// except Exception:
///     conn.rollback()
///     raise
/// ```
pub fn save_exchange(
    conn: &mut Conn,
    user_id: u64,
    question: &str,
    answer: &str,
) -> Result<Exchange, ExchangeError> {
    // START TRANSACTION: from here on, nothing this connection writes is visible to anyone else,
    // or stored for good, until tx.commit(). The mysql crate's connections are in autocommit
    // mode until this call.
    let mut tx = conn
        .start_transaction(TxOpts::default())
        .map_err(ExchangeError::Begin)?;

    // Lesson 7's functions take `&mut impl Queryable`, and a Transaction is one. The new id comes
    // from this INSERT's own reply, so it is read on the transaction that inserted.
    let question_id =
        lesson7::save_question(&mut tx, user_id, question).map_err(ExchangeError::Question)?;

    // If this fails, `?` returns early and drops `tx` uncommitted: its Drop sends ROLLBACK, which
    // removes the question too. A panic would drop `tx` the same way.
    let answer_id = lesson7::save_answer(&mut tx, user_id, question_id, answer)
        .map_err(ExchangeError::Answer)?;

    // Explicit: without this line, both rows would be rolled back when `tx` goes out of scope.
    tx.commit().map_err(ExchangeError::Commit)?;
    Ok(Exchange {
        question_id,
        answer_id,
    })
}
