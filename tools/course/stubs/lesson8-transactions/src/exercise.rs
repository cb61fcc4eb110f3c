//! EXERCISE 8a: a question and its answer in one transaction.
//!
//! Read first: this file and `src/lib.rs` (`Exchange`). You call lesson 7's `save_question` and
//! `save_answer` (which you wrote), and return an `ExchangeError` (`src/error.rs`, which you need
//! not read) that names the part that failed:
//! `Begin(mysql::Error)`, `Question(ConversationError)`, `Answer(ConversationError)`,
//! `Commit(mysql::Error)`.
//!
//! Test: `cargo test -p lesson8 --features exercise --test suite exercises::`.
//! Demo on your code: `cargo run -p lesson8 --features exercise`.
//! Hints, one level at a time: `cargo run -p course -- hint 8a`.
//!
//! 연습 문제 8a: 질문과 답변을 한 트랜잭션으로 저장합니다. 먼저 이 파일과 `src/lib.rs`를 읽으세요.
//! 레슨 7의 `save_question`과 `save_answer`를 호출하고, 실패한 부분을 말해 주는 `ExchangeError`
//! (`Begin`, `Question`, `Answer`, `Commit`)를 돌려줍니다. 힌트: `cargo run -p course -- hint 8a`.

use mysql::Conn;

use crate::{Exchange, ExchangeError};

/// Saves a user's question and the agent's answer together: both rows are stored, or neither.
///
/// Goal: the lecture's rule, "if one fails, store neither". Whatever happens after the question
/// is inserted (the answer is refused, the program panics, the connection drops), no one may ever
/// see the question without its answer, and nothing stays behind. On success, both rows are
/// stored for good and visible to every other connection.
///
/// Contract: the error names the part that failed. A failure of the question is `Question`, of
/// the answer is `Answer` (lesson 7's error inside, as it is), and only a failed `COMMIT` is
/// `Commit`: that is the one case where the exchange may be stored anyway, so callers must be
/// able to tell it apart (`ExchangeError::can_retry` depends on it).
///
/// Concept: a transaction. Until it is committed, what it wrote is visible only to itself, and
/// the server undoes all of it if it is rolled back or its connection ends. In the `mysql` crate
/// a transaction is a value that borrows the connection; read what its `Drop` does.
///
/// 목표: 질문이 저장된 뒤에 무슨 일이 생기든(답변 거부, panic, 커넥션 끊김) 답변 없는 질문이 누구에게도
/// 보이지 않고 아무것도 남지 않아야 합니다. 성공하면 두 행 모두 저장되어 다른 커넥션에서도 보입니다.
/// 오류는 실패한 부분을 말해야 하고, 실패한 `COMMIT`만 `Commit`입니다(저장되었을 수도 있는 유일한 경우).
pub fn save_exchange(
    conn: &mut Conn,
    user_id: u64,
    question: &str,
    answer: &str,
) -> Result<Exchange, ExchangeError> {
    let _ = (conn, user_id, question, answer); // the stub's placeholder: delete this line
    todo!("8a: start a transaction, save the question and the answer on it, commit")
}
