//! # Exercises 2a and 2b: create a user, and find one by email
//!
//! **Read.** This file and `src/lib.rs` (`User`, `UserError`, `is_email_taken`). The checks
//! `validate_name` / `validate_email` are given (src/validation.rs): call them, no need to read them.
//!
//! **Goal.** The two functions everything else builds on. The concept: values travel as bound
//! parameters (`?` in the SQL, the values beside it), never pasted into the SQL text: whatever a name
//! contains, it stays data. The connection is in autocommit mode, so a successful INSERT is already
//! committed. A row is read into a struct whose fields are named like the columns.
//!
//! **Steps.** Each step's contract is the comment above its function, below.
//! - **2a** `create_user`: store a user in `users` and return the id the server gave it.
//! - **2b** `get_user_by_email`: find the user with this email, as a `User`.
//!
//! **Your decisions.** 2a: the statement, the method that runs it so that its reply (with the new id)
//! comes back, and which failure is which `UserError`. 2b: the query that lets the server find the
//! row, and how it becomes a `User`.
//!
//! **Test one step.** `cargo test -p lesson2 --features exercise --test suite exercises::step_a::` (2a;
//! `step_b::` for 2b).
//!
//! **Hints.** `cargo run -p course -- hint 2a` (`hint 2b`), one level at a time.
//!
//! ---
//!
//! # 연습 문제 2a, 2b: 사용자를 만들고, 이메일로 찾기
//!
//! **읽을 파일.** 이 파일과 `src/lib.rs`(`User`, `UserError`, `is_email_taken`). 검사 함수
//! `validate_name` / `validate_email`은 주어져 있습니다(src/validation.rs). 호출만 하면 되고 읽을 필요는 없습니다.
//!
//! **목표.** 다른 모든 것이 딛고 서는 두 함수입니다. 개념: 값은 파라미터 바인딩으로 보냅니다(SQL에는 `?`,
//! 값은 그 옆에 따로). SQL 문자열에 붙여 넣지 않으므로 이름에 무엇이 들어 있든 데이터로 남습니다. 커넥션은
//! autocommit 모드라서 성공한 INSERT는 이미 커밋되어 있습니다. 행은 열과 이름이 같은 필드를 가진 구조체로 읽습니다.
//!
//! **단계.** 단계마다 약속은 아래 함수 위의 주석에 있습니다.
//! - **2a** `create_user`: `users`에 사용자를 저장하고 서버가 준 id를 반환합니다.
//! - **2b** `get_user_by_email`: 이 이메일을 가진 사용자를 `User`로 찾습니다.
//!
//! **여러분이 정할 것.** 2a: 보낼 SQL 문, 그 응답(새 id가 든)을 돌려받도록 SQL 문을 실행할 메서드, 어떤
//! 실패가 어떤 `UserError`인지. 2b: 서버가 행을 찾게 하는 쿼리, 그 행을 `User`로 만드는 방법.
//!
//! **한 단계만 테스트.** `cargo test -p lesson2 --features exercise --test suite exercises::step_a::` (2a. 2b는
//! `step_b::`).
//!
//! **힌트.** `cargo run -p course -- hint 2a` (`hint 2b`), 한 단계씩.

use mysql::prelude::Queryable;

use crate::{User, UserError};

/// Exercise 2a. **Goal:** store a user in `users` and return the id the server gave it.
///
/// **Contract:** a name or email the checks refuse is `Err(UserError::Invalid)`, decided before
/// any SQL is sent (even a dead connection must answer `Invalid` for bad input). An email that is
/// already registered (the server's duplicate-key error on the email, see `is_email_taken`) is
/// `Err(UserError::EmailTaken { email })` with the email as given; any other failure is
/// `Err(UserError::Db(..))`. One statement reaches the server: no look-up before it (the unique key
/// decides), and the id comes with the INSERT's own reply, not from a second query. The values are
/// bound, so quotes, SQL, Korean text and emoji are stored as given; `created_at` is the server's
/// (the column's default). No commit of its own: inside a caller's transaction, a rollback undoes it.
///
/// 연습 문제 2a. **목표:** `users`에 사용자를 저장하고 서버가 준 id를 반환합니다.
///
/// **약속:** 검사 함수가 거절하는 이름이나 이메일은 SQL을 보내기 전에 `Err(UserError::Invalid)`입니다
/// (죽은 커넥션이라도 잘못된 입력에는 `Invalid`로 답해야 합니다). 이미 등록된 이메일(이메일에 대한 서버의
/// 중복 키 오류, `is_email_taken` 참고)은 받은 이메일 그대로 `Err(UserError::EmailTaken { email })`이고,
/// 그 밖의 실패는 `Err(UserError::Db(..))`입니다. 서버에 가는 SQL 문은 하나입니다. 그 앞에 조회하지 않고(결정은
/// 유니크 키가 합니다), id는 두 번째 쿼리가 아니라 INSERT 자신의 응답에서 옵니다. 값은 바인딩하므로 따옴표, SQL,
/// 한글, 이모지가 받은 그대로 저장되며, `created_at`은 서버가 정합니다(열의 기본값). 스스로 커밋하지 않습니다.
/// 호출한 쪽의 트랜잭션 안에서라면 롤백이 이를 되돌립니다.
pub fn create_user(conn: &mut impl Queryable, name: &str, email: &str) -> Result<u64, UserError> {
    let _ = (conn, name, email);
    todo!("exercise 2a / 연습 문제 2a: store the user, return its new id")
}

/// Exercise 2b. **Goal:** find the user with this email, as a `User`.
///
/// **Contract:** `Ok(Some(user))` with the stored row (id, name, email as stored, created_at),
/// `Ok(None)` when nobody has this email, `Err(UserError::Db(..))` when the query fails (a failed
/// lookup is not "nobody"). The server decides which emails are equal (its collation ignores letter
/// case, for example), so let the query compare, not Rust's `==`; and an email is compared whole:
/// `_` and `%` in it match only themselves. The email is bound, never pasted into the SQL.
///
/// 연습 문제 2b. **목표:** 이 이메일을 가진 사용자를 `User`로 찾습니다.
///
/// **약속:** 저장된 행(id, name, 저장된 그대로의 email, created_at)이면 `Ok(Some(user))`, 그 이메일을 가진
/// 사람이 없으면 `Ok(None)`, 쿼리가 실패하면 `Err(UserError::Db(..))`입니다(조회에 실패한 것은 "아무도 없음"이
/// 아닙니다). 어떤 이메일이 같은지는 서버가 정합니다(예를 들어 콜레이션은 대소문자를 구별하지 않습니다). 그러니
/// Rust의 `==`가 아니라 쿼리가 비교하게 하세요. 이메일은 통째로 비교합니다. 이메일 안의 `_`와 `%`는 그 글자
/// 자신하고만 같습니다. 이메일은 바인딩하며, SQL에 붙여 넣지 않습니다.
pub fn get_user_by_email(
    conn: &mut impl Queryable,
    email: &str,
) -> Result<Option<User>, UserError> {
    let _ = (conn, email);
    todo!("exercise 2b / 연습 문제 2b: find the user with this email")
}
