//! # Exercise 8a: a question and its answer in one transaction
//!
//! **Read.** This file and `src/lib.rs` (`Exchange`). You call lesson 7's `save_question` and
//! `save_answer` (as lesson 7's reference has them, not your 7a and 7b), and return an
//! `ExchangeError` (`src/error.rs`, which you need not read) that names the part that failed:
//! `Begin(mysql::Error)`, `Question(ConversationError)`, `Answer(ConversationError)`,
//! `Commit(mysql::Error)`.
//!
//! **Goal.** The lecture's rule for a question and its answer: "if one fails, store neither".
//!
//! **Steps.** The step's contract is the comment above its function, below.
//! - **8a** `save_exchange`: save a user's question and the agent's answer together, both or neither.
//!
//! **Test.** `cargo test -p lesson8 --features exercise --test suite exercises::` runs 8a's tests on your code;
//! `cargo run -p lesson8 --features exercise` runs the demo on it.
//!
//! **Hints.** `cargo run -p course -- hint 8a`, one level at a time.
//!
//! ---
//!
//! # 연습 문제 8a: 질문과 답변을 한 트랜잭션으로
//!
//! **읽을 파일.** 이 파일과 `src/lib.rs`(`Exchange`). 레슨 7의 `save_question`과 `save_answer`(여러분의
//! 7a, 7b가 아니라 레슨 7의 참고 답안에 있는 것)를 호출하고, 실패한 부분을 말해 주는 `ExchangeError`(`src/error.rs`, 읽지 않아도 됩니다)를
//! 돌려줍니다: `Begin(mysql::Error)`, `Question(ConversationError)`, `Answer(ConversationError)`,
//! `Commit(mysql::Error)`.
//!
//! **목표.** 질문과 그 답변에 대한 강의의 규칙: "하나가 실패하면 둘 다 저장하지 않는다".
//!
//! **단계.** 이 단계의 약속은 아래 함수 위의 주석에 있습니다.
//! - **8a** `save_exchange`: 사용자의 질문과 에이전트의 답변을 함께 저장합니다. 둘 다 저장되거나, 둘 다
//!   저장되지 않거나.
//!
//! **테스트.** `cargo test -p lesson8 --features exercise --test suite exercises::`가 여러분의 코드로 8a의 테스트를
//! 돌립니다. `cargo run -p lesson8 --features exercise`는 여러분의 코드로 데모를 실행합니다.
//!
//! **힌트.** `cargo run -p course -- hint 8a`, 한 단계씩.

use mysql::Conn;

use crate::{Exchange, ExchangeError};

/// Saves a user's question and the agent's answer together: both rows are stored, or neither.
///
/// Goal: the lecture's rule, "if one fails, store neither". Whatever happens after the question
/// is inserted (the answer is refused, the program panics, the connection drops), no one may ever
/// see the question without its answer, and nothing stays behind. On success, both rows are
/// stored for good and visible to every other connection.
///
/// Contract: the error names the part that failed. A failure to start the transaction is
/// `Begin`, of the question is `Question`, of the answer is `Answer` (lesson 7's error inside, as
/// it is), and only a failed `COMMIT` is `Commit`: that is the one case where the exchange may be
/// stored anyway, so callers must be able to tell it apart (`ExchangeError::can_retry` depends on
/// it). An exchange sends four statements, no more: the transaction's start, the two INSERTs and
/// the `COMMIT`. After a failure the connection is clean, as a pool lends it to the next request:
/// no transaction left open, autocommit as it was, so nothing of the failed exchange can be
/// committed by the next one.
///
/// Concept: a transaction. Until it is committed, what it wrote is visible only to itself, and
/// the server undoes all of it if it is rolled back or its connection ends. In the `mysql` crate
/// a transaction is a value that borrows the connection; read what its `Drop` does.
///
/// 사용자의 질문과 에이전트의 답변을 함께 저장합니다. 두 행이 모두 저장되거나, 둘 다 저장되지 않습니다.
///
/// 목표: 강의의 규칙, "하나가 실패하면 둘 다 저장하지 않는다". 질문을 삽입한 뒤에 무슨 일이 생기든(답변
/// 거부, 프로그램의 panic, 커넥션 끊김) 답변 없는 질문이 누구에게도 보여서는 안 되고, 아무것도 남지 않아야
/// 합니다. 성공하면 두 행 모두 영구히 저장되어 다른 모든 커넥션에서 보입니다.
///
/// 약속: 오류는 실패한 부분을 말합니다. 트랜잭션을 시작하지 못하면 `Begin`, 질문이 실패하면 `Question`,
/// 답변이 실패하면 `Answer`(안에는 레슨 7의 오류가 그대로)이고, 실패한 `COMMIT`만 `Commit`입니다. 그것이 대화가
/// 그래도 저장되었을 수 있는 유일한 경우이므로, 호출하는 쪽이 구별할 수 있어야 합니다(`ExchangeError::can_retry`가
/// 이것에 기댑니다). 대화 하나는 SQL 문 네 개를 보내고, 그보다 많이 보내지 않습니다. 트랜잭션 시작, INSERT 두 개,
/// 그리고 `COMMIT`입니다. 실패한 뒤의 커넥션은 풀이 다음 요청에 빌려줄 때처럼 깨끗해야 합니다. 열린 트랜잭션이
/// 남지 않고 autocommit도 원래대로여서, 실패한 대화의 어떤 부분도 다음 대화와 함께 커밋될 수 없습니다.
///
/// 개념: 트랜잭션. 커밋되기 전까지 트랜잭션이 쓴 것은 그 트랜잭션 자신에게만 보이고, 롤백되거나 커넥션이
/// 끝나면 서버가 모두 되돌립니다. `mysql` 크레이트에서 트랜잭션은 커넥션을 빌리는 값입니다. 그 `Drop`이
/// 무엇을 하는지 읽어 보세요.
pub fn save_exchange(
    conn: &mut Conn,
    user_id: u64,
    question: &str,
    answer: &str,
) -> Result<Exchange, ExchangeError> {
    let _ = (conn, user_id, question, answer); // the stub's placeholder: delete this line
    todo!("8a: both rows, or neither / 두 행 모두, 아니면 하나도 없이")
}
