//! # Exercises 6a, 6b, 6c: update and delete a user, by the count of affected rows
//!
//! **Read.** This file and `src/lib.rs` (what this lesson gives you). From lesson 2 you reuse what it
//! gives (not what you wrote there): its checks of a name and an email (`src/validation.rs`), its test
//! for the unique key's refusal (`is_email_taken`), and `UserError` (`Invalid`, `NotFound { id }`,
//! `EmailTaken { email }`, `Db`).
//!
//! **Goal.** The concept of all three: an `UPDATE` or `DELETE` whose `WHERE` matches no row is not an
//! error to the server. It succeeds, and reports 0 affected rows (Python's `cursor.rowcount`). Turning
//! "no such user" into `UserError::NotFound` is your job, never a silent success.
//!
//! **Steps.** Each step's contract is the comment above its function, below.
//! - **6a** `update_user_name`: rename the user `id`.
//! - **6b** `update_user_email`: change the email of the user `id`.
//! - **6c** `delete_user`: delete the user `id`, and with it their conversations.
//!
//! **Test one step.** `cargo test -p lesson6 --features exercise --test suite exercises::step_a::` (6a;
//! `step_b::`, `step_c::` for 6b, 6c).
//!
//! **Hints.** `cargo run -p course -- hint 6a` (`hint 6b`, `hint 6c`), one level at a time.
//!
//! ---
//!
//! # 연습 문제 6a, 6b, 6c: 영향받은 행 수로 사용자를 수정하고 삭제하기
//!
//! **읽을 파일.** 이 파일과 `src/lib.rs`(이 레슨이 주는 것). 레슨 2에서는 그 레슨이 주는 것(여러분이 작성한
//! 코드가 아님)을 다시 씁니다. 이름과 이메일 검사(`src/validation.rs`), 유니크 키의 거부를 알아보는 함수
//! (`is_email_taken`), 그리고 `UserError`(`Invalid`, `NotFound { id }`, `EmailTaken { email }`, `Db`)입니다.
//!
//! **목표.** 세 단계 모두의 개념: `WHERE`에 맞는 행이 없는 `UPDATE`나 `DELETE`는 서버가 보기에 오류가 아닙니다.
//! 성공하고, 영향받은 행이 0개라고 알려 줄 뿐입니다(Python의 `cursor.rowcount`). "그런 사용자가 없음"을
//! `UserError::NotFound`로 바꾸는 것이 여러분의 일이며, 조용한 성공이어서는 안 됩니다.
//!
//! **단계.** 단계마다 약속은 아래 함수 위의 주석에 있습니다.
//! - **6a** `update_user_name`: 사용자 `id`의 이름을 바꿉니다.
//! - **6b** `update_user_email`: 사용자 `id`의 이메일을 바꿉니다.
//! - **6c** `delete_user`: 사용자 `id`를 삭제하고, 그 사용자의 대화도 함께 지웁니다.
//!
//! **한 단계만 테스트.** `cargo test -p lesson6 --features exercise --test suite exercises::step_a::` (6a. 6b, 6c는
//! `step_b::`, `step_c::`).
//!
//! **힌트.** `cargo run -p course -- hint 6a` (`hint 6b`, `hint 6c`), 한 단계씩.

use mysql::prelude::Queryable;

use crate::UserError;

/// 6a. Renames the user `id`.
///
/// Contract: an invalid name is `Invalid`, refused before anything is sent; an id nobody has is
/// `NotFound { id }`; setting the name the user already has succeeds. Only that user's name
/// changes, and the name is stored exactly as given (a bound parameter). Renaming an existing user
/// runs one statement. A statement that fails (a lost connection, any server error) is `Db`: then
/// nobody knows whether the user is there, so it is never `NotFound`. Careful: for an `UPDATE`,
/// the server counts rows *changed*, not rows *matched*, and the function gets whatever connection
/// the caller has (some count matched rows instead): how you tell "no such user" from "nothing to
/// change" is your decision, and the tests try both kinds of connection.
///
/// 6a. 사용자 `id`의 이름을 바꿉니다.
///
/// 약속: 잘못된 이름은 아무것도 보내기 전에 거절하는 `Invalid`, 아무도 갖지 않은 id는 `NotFound { id }`이고,
/// 사용자가 이미 가진 이름으로 바꾸는 것은 성공입니다. 그 사용자의 이름만 바뀌고, 이름은 받은 그대로(파라미터
/// 바인딩으로) 저장됩니다. 있는 사용자의 이름을 바꿀 때는 SQL 문을 하나만 실행합니다. 실패한 SQL 문(끊긴 커넥션,
/// 어떤 서버 오류든)은 `Db`입니다. 그때는 사용자가 있는지 아무도 모르므로 절대 `NotFound`가 아닙니다. 주의:
/// `UPDATE`에서 서버는 *일치한* 행이 아니라 *바뀐* 행을 세고, 함수는 호출하는 쪽이 가진 어떤 커넥션이든
/// 받습니다(일치한 행을 세는 커넥션도 있습니다). "그런 사용자 없음"과 "바꿀 것 없음"을 어떻게 구별할지는
/// 여러분이 정하고, 테스트는 두 종류의 커넥션으로 모두 확인합니다.
pub fn update_user_name(conn: &mut impl Queryable, id: u64, name: &str) -> Result<(), UserError> {
    let _ = (conn, id, name); // the stub's placeholder: delete this line
    todo!("6a: rename, NotFound only when no such user")
}

/// 6b. Changes the email of the user `id`.
///
/// Contract: as 6a (with the email's check instead of the name's), and an email another user has
/// is `EmailTaken { email }` with nothing changed; only the unique key's refusal is `EmailTaken`,
/// any other error stays `Db`. A user may change the letter case of their own email (the unique
/// key compares without case, but a row does not collide with itself). The unique key decides
/// what "taken" means, in the same statement: no look-up before it.
///
/// 6b. 사용자 `id`의 이메일을 바꿉니다.
///
/// 약속: 6a와 같고(이름 대신 이메일 검사), 다른 사용자가 가진 이메일이면 아무것도 바꾸지 않고
/// `EmailTaken { email }`입니다. 유니크 키의 거부만 `EmailTaken`이고, 그 밖의 오류는 `Db`로 남습니다. 사용자는
/// 자기 이메일의 대소문자를 바꿀 수 있습니다(유니크 키는 대소문자를 구분하지 않고 비교하지만, 행은 자기 자신과
/// 충돌하지 않습니다). 무엇이 "이미 있는" 이메일인지는 유니크 키가 같은 SQL 문 안에서 정합니다. 그 전에 찾아보지
/// 않습니다.
pub fn update_user_email(conn: &mut impl Queryable, id: u64, email: &str) -> Result<(), UserError> {
    let _ = (conn, id, email); // the stub's placeholder: delete this line
    todo!("6b: change the email, EmailTaken for another user's, NotFound only when no such user")
}

/// 6c. Deletes the user `id`, and with it their conversations.
///
/// Contract: an id nobody has is `NotFound { id }`; deleting twice is `NotFound` the second time;
/// a failed statement is `Db`, never `NotFound`. The user's messages go with them and no one
/// else's do, in the same single statement (read how `conversations.user_id` is declared in
/// docker/schema.sql): inside a transaction that is rolled back, nothing is deleted.
///
/// 6c. 사용자 `id`를 삭제하고, 그 사용자의 대화도 함께 지웁니다.
///
/// 약속: 아무도 갖지 않은 id는 `NotFound { id }`이고, 두 번 삭제하면 두 번째는 `NotFound`입니다. 실패한 SQL
/// 문은 `Db`이며 절대 `NotFound`가 아닙니다. 그 사용자의 메시지는 함께 지워지고 다른 사람의 메시지는 남으며,
/// 이것이 SQL 문 하나로 이루어집니다(docker/schema.sql에서 `conversations.user_id`가 어떻게 선언되어 있는지
/// 읽어 보세요). 롤백되는 트랜잭션 안에서는 아무것도 지워지지 않습니다.
pub fn delete_user(conn: &mut impl Queryable, id: u64) -> Result<(), UserError> {
    let _ = (conn, id); // the stub's placeholder: delete this line
    todo!("6c: delete, NotFound when no such user")
}
