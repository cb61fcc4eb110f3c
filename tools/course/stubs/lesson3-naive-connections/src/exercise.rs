//! # Exercises 3a and 3b: a new connection for every call
//!
//! **Read.** This file, and `NaiveError` at the top of `src/lib.rs` (the rest of lib.rs is the demo's).
//! You call lesson 2's `create_user` / `get_user_by_email` and checks, which you know already.
//!
//! **Goal.** The lecture's first server code opens a connection at the start of every function and
//! closes it at the end: simple, always correct, and slow, because every call pays again for the TCP
//! connect, the login handshake and the session set-up. Here you write exactly that, so the demo can
//! measure it. `mysql::Opts` (not a `Config`) says how to connect, so a caller can choose TCP or the
//! server's socket.
//!
//! **Steps.** Each step's contract is the comment above its function, below.
//! - **3a** `create_user`: create a user on a connection of this call's own.
//! - **3b** `get_user_by_email`: look a user up on a connection of this call's own.
//!
//! **Your decisions.** What to do before connecting (anything that can refuse the call without a
//! server), which error a failed connect becomes, and where the connection lives so that it is gone
//! when the function returns, whichever way it returns.
//!
//! **Test one step.** `cargo test -p lesson3 --features exercise --test suite exercises::step_a::` (3a;
//! `step_b::` for 3b).
//!
//! **Hints.** `cargo run -p course -- hint 3a` (`hint 3b`), one level at a time.
//!
//! ---
//!
//! # 연습 문제 3a, 3b: 호출할 때마다 새 커넥션
//!
//! **읽을 파일.** 이 파일, 그리고 `src/lib.rs` 맨 위의 `NaiveError`(lib.rs의 나머지는 데모용입니다).
//! 이미 아는 레슨 2의 `create_user` / `get_user_by_email`과 검사 함수를 호출합니다.
//!
//! **목표.** 강의의 첫 서버 코드는 함수가 시작할 때마다 커넥션을 열고 끝날 때 닫습니다. 단순하고 언제나
//! 올바르지만 느립니다. 호출마다 TCP 연결, 로그인 핸드셰이크, 세션 준비 비용을 다시 치르기 때문입니다.
//! 여기서는 바로 그것을 작성하고, 데모가 그 비용을 잽니다. 어떻게 연결할지는 `Config`가 아니라
//! `mysql::Opts`가 정하므로, 호출하는 쪽이 TCP와 서버의 소켓 중에서 고를 수 있습니다.
//!
//! **단계.** 단계마다 약속은 아래 함수 위의 주석에 있습니다.
//! - **3a** `create_user`: 이 호출만의 커넥션에서 사용자를 만듭니다.
//! - **3b** `get_user_by_email`: 이 호출만의 커넥션에서 사용자를 찾습니다.
//!
//! **여러분이 정할 것.** 연결하기 전에 할 일(서버 없이도 호출을 거절할 수 있는 모든 것), 연결에 실패하면
//! 어떤 오류가 되는지, 함수가 어떻게 반환되든 그때 사라지도록 커넥션을 어디에 둘지.
//!
//! **한 단계만 테스트.** `cargo test -p lesson3 --features exercise --test suite exercises::step_a::` (3a. 3b는
//! `step_b::`).
//!
//! **힌트.** `cargo run -p course -- hint 3a` (`hint 3b`), 한 단계씩.

use lesson2::User;
use mysql::Opts;

use crate::NaiveError;

/// Exercise 3a. **Goal:** create a user on a connection of this call's own, like the lecture's
/// `create_user` that connects, inserts, commits and closes.
///
/// **Contract:** input lesson 2's checks refuse is `Err(NaiveError::User(UserError::Invalid))`
/// *without opening a connection* (a connection costs far more than the check). A connection that
/// cannot be opened is `Err(NaiveError::Connect(..))`, returned at once (no retrying, no panic).
/// Lesson 2's errors (`EmailTaken`, `Db`) arrive as `NaiveError::User`. Every call opens exactly one
/// connection with `opts`, and it is closed before the function returns, on every path. The name and
/// email reach lesson 2's `create_user` as given (bound there, so quotes, SQL, Korean and emoji are
/// stored literally).
///
/// 연습 문제 3a. **목표:** 이 호출만의 커넥션에서 사용자를 만듭니다. 연결하고, INSERT하고, 커밋하고,
/// 닫는 강의의 `create_user`와 같습니다.
///
/// **약속:** 레슨 2의 검사가 거절하는 입력은 *커넥션을 열지 않고*
/// `Err(NaiveError::User(UserError::Invalid))`입니다(커넥션 하나가 검사보다 훨씬 비쌉니다). 커넥션을 열 수 없으면 곧바로(재시도도 panic도 없이)
/// `Err(NaiveError::Connect(..))`입니다. 레슨 2의 오류(`EmailTaken`, `Db`)는 `NaiveError::User`로 옵니다.
/// 호출마다 `opts`로 커넥션을 정확히 하나 열고, 어떤 경로로든 함수가 반환되기 전에 닫습니다. 이름과 이메일은
/// 받은 그대로 레슨 2의 `create_user`에 넘깁니다(거기서 바인딩되므로 따옴표, SQL, 한글, 이모지가 글자 그대로
/// 저장됩니다).
pub fn create_user(opts: &Opts, name: &str, email: &str) -> Result<u64, NaiveError> {
    let _ = (opts, name, email);
    todo!("exercise 3a / 연습 문제 3a: create the user on a connection of this call's own")
}

/// Exercise 3b. **Goal:** look a user up on a connection of this call's own.
///
/// **Contract:** what lesson 2's `get_user_by_email` answers (`Ok(Some(user))` or `Ok(None)`),
/// its errors as `NaiveError::User`, a connection that cannot be opened as
/// `Err(NaiveError::Connect(..))`, returned at once (no retrying, no panic). One new connection per
/// call, with `opts`, closed before the function returns.
///
/// 연습 문제 3b. **목표:** 이 호출만의 커넥션에서 사용자를 찾습니다.
///
/// **약속:** 레슨 2의 `get_user_by_email`이 답하는 것(`Ok(Some(user))` 또는 `Ok(None)`), 그 오류는
/// `NaiveError::User`, 열 수 없는 커넥션은 곧바로(재시도도 panic도 없이) `Err(NaiveError::Connect(..))`입니다.
/// 호출마다 `opts`로 새 커넥션 하나를 열고, 함수가 반환되기 전에 닫습니다.
pub fn get_user_by_email(opts: &Opts, email: &str) -> Result<Option<User>, NaiveError> {
    let _ = (opts, email);
    todo!("exercise 3b / 연습 문제 3b: look the user up on a connection of this call's own")
}
