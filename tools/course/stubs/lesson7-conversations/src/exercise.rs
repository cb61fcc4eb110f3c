//! # Exercises 7a, 7b, 7c: an agent's messages, saved and read back
//!
//! **Read.** This file and `src/lib.rs` (`Role`, `Conversation`, `check_length`). The table is
//! `conversations(id, user_id, role, content, reply_to, created_at)` (README); the server fills
//! in `id` and `created_at`. `src/error.rs` holds the errors; of its code you need two helpers
//! (their doc comments say what they take), and when to call which is yours to decide:
//! - `ConversationError::from_insert` turns an INSERT's error into what it means (a missing user,
//!   a second answer, a lost connection, or just a database error);
//! - `ConversationError::refused_answer` reads the table to say why an answer's INSERT stored no
//!   row.
//!
//! **Goal.** The agent stores every message, one row per message: the user's question and the agent's
//! answer to it, and reads a user's recent messages back.
//!
//! **Steps.** Each step's contract is the comment above its function, below.
//! - **7a** `save_question`: store a user's question and return its new id.
//! - **7b** `save_answer`: store the agent's answer to a question of the same user; return its id.
//! - **7c** `get_recent_conversations`: a user's most recent messages, newest first.
//!
//! **Test one step.** `cargo test -p lesson7 --features exercise --test suite exercises::step_a::` (7a;
//! `step_b::`, `step_c::` for 7b, 7c).
//!
//! **Hints.** `cargo run -p course -- hint 7a` (`hint 7b`, `hint 7c`), one level at a time.
//!
//! ---
//!
//! # 연습 문제 7a, 7b, 7c: 에이전트의 메시지를 저장하고 다시 읽기
//!
//! **읽을 파일.** 이 파일과 `src/lib.rs`(`Role`, `Conversation`, `check_length`). 테이블은
//! `conversations(id, user_id, role, content, reply_to, created_at)`이고(README), `id`와 `created_at`은
//! 서버가 채웁니다. `src/error.rs`에는 오류가 있고, 그 코드에서는 도우미 두 개만 알면 됩니다(무엇을 받는지는
//! 각자의 문서 주석에 있습니다). 언제 어느 것을 부를지는 여러분이 정합니다.
//! - `ConversationError::from_insert`는 INSERT의 오류를 그 의미로 바꿉니다(없는 사용자, 두 번째 답변, 끊긴
//!   커넥션, 아니면 그냥 데이터베이스 오류).
//! - `ConversationError::refused_answer`는 테이블을 읽어 답변의 INSERT가 행을 저장하지 않은 이유를 알려
//!   줍니다.
//!
//! **목표.** 에이전트는 모든 메시지를 한 메시지에 한 행씩 저장합니다. 사용자의 질문과 그에 대한 에이전트의
//! 답변입니다. 그리고 사용자의 최근 메시지를 다시 읽습니다.
//!
//! **단계.** 단계마다 약속은 아래 함수 위의 주석에 있습니다.
//! - **7a** `save_question`: 사용자의 질문을 저장하고 새 id를 돌려줍니다.
//! - **7b** `save_answer`: 같은 사용자의 질문에 대한 에이전트의 답변을 저장하고 그 id를 돌려줍니다.
//! - **7c** `get_recent_conversations`: 사용자의 최근 메시지를 최신순으로 돌려줍니다.
//!
//! **한 단계만 테스트.** `cargo test -p lesson7 --features exercise --test suite exercises::step_a::` (7a. 7b, 7c는
//! `step_b::`, `step_c::`).
//!
//! **힌트.** `cargo run -p course -- hint 7a` (`hint 7b`, `hint 7c`), 한 단계씩.

use mysql::prelude::Queryable;

use crate::{Conversation, ConversationError};

/// 7a. Stores a user's question (`role = 'user'`, no `reply_to`) and returns its new id.
///
/// Contract: content longer than `MAX_CONTENT_BYTES` is `TooLong`, refused before anything is
/// sent; a user id nobody has is `UnknownUser`; nothing is stored on an error. Only the server's
/// refusal by the user's foreign key means `UnknownUser`: a statement that could not run (a closed
/// connection) is `ConnectionLost` or `Db`. The values travel as bound parameters, never inside the
/// SQL text, and come back exactly as saved. Saving a question runs one statement, and the id is
/// the one the server gave this very INSERT (Python's `cursor.lastrowid`), not a guess from the
/// table nor a second query.
///
/// 7a. 사용자의 질문(`role = 'user'`, `reply_to` 없음)을 저장하고 새 id를 돌려줍니다.
///
/// 약속: `MAX_CONTENT_BYTES`보다 긴 내용은 아무것도 보내기 전에 거절하는 `TooLong`, 아무도 갖지 않은 사용자
/// id는 `UnknownUser`이고, 오류일 때는 아무것도 저장되지 않습니다. 서버가 사용자의 외래 키로 거부한 경우만
/// `UnknownUser`이고, 실행되지 못한 SQL 문(닫힌 커넥션)은 `ConnectionLost`나 `Db`입니다. 값은 SQL 문자열 안이
/// 아니라 파라미터 바인딩으로 보내며, 저장한 그대로 돌아옵니다. 질문 저장은 SQL 문 하나이고, id는 테이블에서
/// 짐작한 값도 두 번째 쿼리로 얻은 값도 아닌, 서버가 바로 이 INSERT에 준 값입니다(Python의 `cursor.lastrowid`).
pub fn save_question(
    conn: &mut impl Queryable,
    user_id: u64,
    content: &str,
) -> Result<u64, ConversationError> {
    let _ = (conn, user_id, content); // the stub's placeholder: delete this line
    todo!("7a: save the question, return its id")
}

/// 7b. Stores the agent's answer to question `question_id` of user `user_id`; returns its id.
///
/// Contract: an answer may only reply to a question (`role = 'user'`) that this same user asked.
/// Anything else is refused and nothing is stored: a missing message is `UnknownQuestion`, an
/// answer is `NotAQuestion`, another user's question is `AnotherUsersQuestion`, a question with
/// an answer already is `AlreadyAnswered` (and the first answer stays), too long is `TooLong`
/// (refused before anything is sent). The stored answer has `role = 'assistant'`, this user and
/// `reply_to` = the question; its id is the one the server gave its INSERT.
///
/// Concept: the rule must hold even when two requests race. A `SELECT` that checks, then an
/// `INSERT`, leaves a moment in between; so saving an answer runs one statement, which inserts
/// only if the question row matches the rule. When the connection drops after the INSERT was sent,
/// the server may have stored the answer or not: that is `ConnectionLost`, which says so, whether
/// or not the server stored it.
///
/// 7b. 사용자 `user_id`의 질문 `question_id`에 대한 에이전트의 답변을 저장하고, 그 id를 돌려줍니다.
///
/// 약속: 답변은 같은 사용자가 한 질문(`role = 'user'`)에만 달 수 있습니다. 그 밖의 경우는 거부되고 아무것도
/// 저장되지 않습니다. 없는 메시지는 `UnknownQuestion`, 답변에 단 답변은 `NotAQuestion`, 다른 사용자의 질문은
/// `AnotherUsersQuestion`, 이미 답변이 있는 질문은 `AlreadyAnswered`(첫 답변은 그대로 남음), 너무 긴 내용은
/// 아무것도 보내기 전에 거절하는 `TooLong`입니다. 저장된 답변은 `role = 'assistant'`, 이 사용자, 그리고 질문을
/// 가리키는 `reply_to`를 갖고, 그 id는 서버가 이 INSERT에 준 값입니다.
///
/// 개념: 이 규칙은 두 요청이 경쟁할 때도 지켜져야 합니다. 확인하는 `SELECT` 다음에 `INSERT`를 하면 그 사이에
/// 틈이 생깁니다. 그래서 답변 저장은 SQL 문 하나이고, 그 SQL 문은 질문 행이 규칙에 맞을 때만 삽입합니다. INSERT를
/// 보낸 뒤 커넥션이 끊기면 서버가 답변을 저장했을 수도, 안 했을 수도 있습니다. 그것이 바로 그렇다고 말해 주는
/// `ConnectionLost`이며, 서버가 저장했든 안 했든 같습니다.
pub fn save_answer(
    conn: &mut impl Queryable,
    user_id: u64,
    question_id: u64,
    content: &str,
) -> Result<u64, ConversationError> {
    let _ = (conn, user_id, question_id, content); // the stub's placeholder: delete this line
    todo!("7b: save the answer, only to a question of the same user")
}

/// 7c. The `limit` most recent messages of user `user_id` (questions and answers), newest first.
///
/// Contract: only this user's messages; newest `created_at` first, and since `created_at` has
/// whole seconds, the order within one second is fixed too (the later insert first); at most
/// `limit` rows, the newest ones; an unknown user has an empty list, not an error, but a read that
/// fails is an error, never an empty list. Each row becomes a `Conversation` with every column
/// read with its type, by column name.
///
/// 7c. 사용자 `user_id`의 최근 메시지(질문과 답변) `limit`개를 최신순으로 돌려줍니다.
///
/// 약속: 이 사용자의 메시지만, `created_at`이 최신인 것부터입니다. `created_at`은 초 단위이므로 같은 초
/// 안의 순서도 정해져 있어야 합니다(나중에 저장된 것이 먼저). 최대 `limit`행, 가장 최근 것들입니다. 없는
/// 사용자는 오류가 아니라 빈 목록이지만, 읽기에 실패하면 빈 목록이 아니라 오류입니다. 각 행은 모든 열을 그
/// 타입대로, 열 이름으로 읽은 `Conversation`이 됩니다.
pub fn get_recent_conversations(
    conn: &mut impl Queryable,
    user_id: u64,
    limit: u32,
) -> Result<Vec<Conversation>, ConversationError> {
    let _ = (conn, user_id, limit); // the stub's placeholder: delete this line
    todo!("7c: this user's messages, newest first, at most `limit`")
}
