//! EXERCISE 8: a question and its answer in one transaction.
//!
//! Write `save_exchange_with` and `save_exchange` so that
//! `cargo test -p lesson8 --features exercise` passes.
//! Run the demo on your version with `cargo run -p lesson8 --features exercise`.
//!
//! `save_exchange_with`:
//! 1. Start the transaction: `conn.start_transaction(TxOpts::default())`. It returns a
//!    `Transaction` that borrows the connection; a failure here is `ExchangeError::Begin`
//!    (`.map_err(ExchangeError::Begin)?`).
//! 2. Save the question with lesson 7's function, ON THE TRANSACTION, not on `conn`:
//!    `lesson7::save_question(&mut tx, user_id, question)`; its error is `ExchangeError::Question`.
//!    (The borrow checker will not let you use `conn` while `tx` exists anyway.)
//! 3. Call `between(&mut tx, question_id);` (the tests use it to make something go wrong here).
//! 4. Save the answer with `lesson7::save_answer(&mut tx, user_id, question_id, answer)`;
//!    its error is `ExchangeError::Answer`. Just return it with `?`: do you need to roll back
//!    by hand? (Read what `Transaction`'s `Drop` does, in the README or the mysql crate's docs.)
//! 5. Commit: `tx.commit()`, its error is `ExchangeError::Commit`. Forget this line, and what
//!    happens to both rows when `tx` goes out of scope?
//! 6. Return `Exchange { question_id, answer_id }`.
//!
//! `save_exchange`: call `save_exchange_with` with a closure that does nothing: `|_, _| {}`.
#![allow(unused_variables, unused_imports)]

use mysql::{Conn, Transaction, TxOpts};

use crate::{Exchange, ExchangeError};

/// Saves a user's question and the agent's answer together, in one transaction: both rows are
/// stored, or, if anything fails, neither.
pub fn save_exchange(
    conn: &mut Conn,
    user_id: u64,
    question: &str,
    answer: &str,
) -> Result<Exchange, ExchangeError> {
    todo!("Exercise 8: call save_exchange_with with a closure that does nothing")
}

/// [`save_exchange`], calling `between(&mut transaction, question_id)` after the question is
/// inserted and before the answer is.
pub fn save_exchange_with(
    conn: &mut Conn,
    user_id: u64,
    question: &str,
    answer: &str,
    between: impl FnOnce(&mut Transaction<'_>, u64),
) -> Result<Exchange, ExchangeError> {
    todo!(
        "Exercise 8: start a transaction, save the question, call `between`, save the answer, commit"
    )
}
