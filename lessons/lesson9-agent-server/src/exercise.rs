//! # Exercise 9a: ask first, then save both in one transaction
//!
//! **Read.** This file, `src/lib.rs` (`AppState`: how a request reaches the pool and the agent),
//! `src/error.rs` (`ApiError`: which error is which status) and `src/auth.rs` (the check that the
//! caller's token is the user's). What else you reuse is given, as those lessons' libraries have it,
//! not your code from them: lesson 7's length check (in its `src/lib.rs`) and lesson 8's exchange in
//! one transaction (as lesson 8's reference has it); `read_exchange` (imported below, in
//! `src/routes.rs`) reads a saved exchange back as stored.
//!
//! **Goal.** Write the heart of `POST /users/{id}/chat`: get the agent's answer to a user's question
//! and store the question and the answer. The concept: a request to a web server shares the pool with
//! every other request. The agent may take seconds: a connection (or a transaction, with its locks)
//! held across that wait is taken from everyone else for nothing. Slow work first, with nothing held;
//! then the short transaction.
//!
//! **Steps.**
//! - **9a** `chat`, below. Contract:
//!   * An empty question (or only spaces) is `ApiError::Invalid { field: "question", .. }`; a question
//!     longer than a message may be (`lesson7::MAX_CONTENT_BYTES`, in bytes) is refused the same way.
//!     Neither reaches the agent.
//!   * The caller (the user id of the path and the token the request showed) must be that user: a
//!     token that is no user's is `ApiError::Unauthorized`, a user that does not exist (or another
//!     user's token) `ApiError::UserNotFound`, and the agent is not asked; a database error while
//!     checking is passed on as it is, never read as an unknown user.
//!   * Every database call goes through `state.db`, off the async thread.
//!   * The agent is asked while this request holds no pooled connection and has no transaction open.
//!   * The agent is asked once per question. When it fails, the error is `ApiError::Agent(..)`
//!     with the agent's own error, it is not asked again (the client decides whether to retry), and
//!     nothing is stored; an answer too long to store is the agent's failure too, and leaves no
//!     question behind.
//!   * Otherwise the question (exactly as written) and the answer are stored together, and
//!     returned as stored.
//!
//! **Test.** `cargo test -p lesson9 --features exercise --test suite exercises::` runs 9a's tests on your code;
//! `cargo run -p lesson9 --features exercise` runs the demo on it.
//!
//! **Hints.** `cargo run -p course -- hint 9a`, one level at a time.
//!
//! ---
//!
//! # 연습 문제 9a: 먼저 묻고, 둘을 한 트랜잭션으로 저장하기
//!
//! **읽을 파일.** 이 파일, `src/lib.rs`(`AppState`: 요청이 커넥션 풀과 에이전트에 닿는 방법),
//! `src/error.rs`(`ApiError`: 어느 오류가 어느 상태 코드인지), `src/auth.rs`(호출자의 토큰이 그 사용자의 것인지
//! 확인). 그 밖에 다시 쓰는 것은 그 레슨의 라이브러리가 주는 그대로입니다(여러분이 그 레슨에서 작성한 코드가
//! 아님). 레슨 7의 길이 검사(레슨 7의 `src/lib.rs`), 레슨 8의 한 트랜잭션 대화 저장(레슨 8의 참고 답안).
//! `read_exchange`(아래에서 가져오며, `src/routes.rs`에 있음)는 저장된 대화를 저장된 그대로 다시 읽습니다.
//!
//! **목표.** `POST /users/{id}/chat`의 핵심을 작성합니다. 사용자의 질문에 대한 에이전트의 답을 받고,
//! 질문과 답을 저장합니다. 개념: 웹 서버의 요청은 다른 모든 요청과 커넥션 풀을 나눠 씁니다. 에이전트는 몇 초가
//! 걸릴 수 있습니다. 그 기다림 동안 쥐고 있는 커넥션(또는 잠금을 가진 트랜잭션)은 아무 이유 없이 다른
//! 요청에게서 빼앗은 것입니다. 느린 일은 아무것도 쥐지 않고 먼저, 그다음에 짧은 트랜잭션.
//!
//! **단계.**
//! - **9a** 아래의 `chat`. 약속:
//!   * 빈 질문(공백뿐인 질문 포함)은 `ApiError::Invalid { field: "question", .. }`입니다. 메시지에 들어갈 수
//!     있는 것보다 긴 질문(`lesson7::MAX_CONTENT_BYTES`, 바이트 단위)도 같은 방식으로 거절합니다. 둘 다
//!     에이전트에게 가지 않습니다.
//!   * 호출자(경로의 사용자 id와 요청이 보인 토큰)는 그 사용자여야 합니다. 어느 사용자의 것도 아닌
//!     토큰은 `ApiError::Unauthorized`, 없는 사용자(또는 다른 사용자의 토큰)는 `ApiError::UserNotFound`이고,
//!     에이전트에게 묻지 않습니다. 확인하다가 난 데이터베이스 오류는 그대로 넘기고, 없는 사용자로 읽지 않습니다.
//!   * 모든 데이터베이스 호출은 `state.db`를 거쳐 비동기 스레드 밖에서 실행됩니다.
//!   * 에이전트에게 묻는 동안 이 요청은 풀의 커넥션을 쥐고 있지 않고, 열린 트랜잭션도 없습니다.
//!   * 에이전트에게는 질문 하나에 한 번 묻습니다. 에이전트가 실패하면 오류는 에이전트 자신의 오류를 담은
//!     `ApiError::Agent(..)`이고, 다시 묻지 않으며(재시도는 클라이언트가 정합니다), 아무것도 저장되지
//!     않습니다. 저장하기에 너무 긴 답도 에이전트의 실패이며, 질문을 남기지 않습니다.
//!   * 그 밖에는 질문(쓴 그대로)과 답이 함께 저장되고, 저장된 그대로 반환됩니다.
//!
//! **테스트.** `cargo test -p lesson9 --features exercise --test suite exercises::`가 여러분의 코드로 9a의 테스트를
//! 돌립니다. `cargo run -p lesson9 --features exercise`는 여러분의 코드로 데모를 실행합니다.
//!
//! **힌트.** `cargo run -p course -- hint 9a`, 한 단계씩.
#![allow(unused_variables, unused_imports)]

use crate::{ApiError, AppState, Caller, ChatReply, read_exchange};

/// Answers `question` for the caller's user (`caller.user_id`) and stores the exchange: both
/// messages, or neither.
pub async fn chat(
    state: &AppState,
    caller: Caller,
    question: String,
) -> Result<ChatReply, ApiError> {
    todo!("9a: the chat / 채팅")
}
