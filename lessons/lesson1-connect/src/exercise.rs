//! # Exercise 1a: connect, and `SELECT 1`
//!
//! **Read.** This file and `src/lib.rs` (the `Reply` you return). Nothing else is needed.
//!
//! **Goal.** Do what the lecture's first program does: open a connection to the server described by
//! `config`, ask it `SELECT 1`, ask it who and where we are (`VERSION()`, `CURRENT_USER()`,
//! `DATABASE()`), and let the connection go. The concept: there is no cursor and no `close()`: queries
//! run on the connection itself, each row arrives as the Rust type you ask for, and a connection
//! closes itself when it is dropped.
//!
//! **Steps.**
//! - **1a** `select_one`, below. Contract: return a `Reply` whose every field is what the server
//!   answered (not what you expect it to answer). `DATABASE()` is `NULL` when the connection has no
//!   default database: that is `database: None`, not a failure. A failure to connect or to query is an
//!   `Err(shared::Error)`: `shared::connect` already turns "refused" and "wrong password" into errors
//!   that say what to do. A wrong password, an unreachable server or a missing default database must
//!   not panic, and no connection may stay open after the function returns.
//!
//! **Your decisions.** How many queries ask for the four values; the Rust type each row is read as
//! (which column can be `NULL`?); what a query error, or a row that never came, becomes.
//!
//! **Test.** `cargo test -p lesson1 --features exercise` runs 1a's tests on your code;
//! `cargo run -p lesson1 --features exercise` runs the demo on it.
//!
//! **Hints.** `cargo run -p course -- hint 1a`, one level at a time.
//!
//! ---
//!
//! # 연습 문제 1a: 커넥션을 열고 `SELECT 1`
//!
//! **읽을 파일.** 이 파일과 `src/lib.rs`(반환할 `Reply`). 그 밖에는 필요 없습니다.
//!
//! **목표.** 강의의 첫 프로그램이 하는 일을 합니다. `config`가 가리키는 서버에 커넥션을 열고,
//! `SELECT 1`을 묻고, 우리가 누구이며 어디에 있는지(`VERSION()`, `CURRENT_USER()`, `DATABASE()`)를
//! 물은 다음, 커넥션을 놓아 줍니다. 개념: 커서도 `close()`도 없습니다. 쿼리는 커넥션에서 바로 실행하고,
//! 행은 요청한 Rust 타입으로 도착하며, 커넥션은 drop될 때 스스로 닫힙니다.
//!
//! **단계.**
//! - **1a** 아래의 `select_one`. 약속: `Reply`의 모든 필드는 서버가 대답한 값이어야 합니다(대답하리라
//!   기대하는 값이 아니라). 커넥션에 기본 데이터베이스가 없으면 `DATABASE()`는 `NULL`이고, 이는 실패가
//!   아니라 `database: None`입니다. 연결이나 쿼리에 실패하면 `Err(shared::Error)`를 반환합니다.
//!   `shared::connect`는 "거부됨", "비밀번호 틀림"을 무엇을 하면 되는지 알려 주는 오류로 이미 바꿔 줍니다.
//!   비밀번호가 틀리거나, 서버에 닿지 않거나, 기본 데이터베이스가 없어도 panic하면 안 되며, 함수가 반환된
//!   뒤에 열린 커넥션이 남아 있으면 안 됩니다.
//!
//! **여러분이 정할 것.** 네 값을 쿼리 몇 개로 물을지, 각 행을 어떤 Rust 타입으로 읽을지(`NULL`일 수 있는 열은
//! 어느 것인가요?), 쿼리 오류나 끝내 오지 않은 행을 무엇으로 바꿀지.
//!
//! **테스트.** `cargo test -p lesson1 --features exercise`가 여러분의 코드로 1a의 테스트를 돌립니다.
//! `cargo run -p lesson1 --features exercise`는 여러분의 코드로 데모를 실행합니다.
//!
//! **힌트.** `cargo run -p course -- hint 1a`, 한 단계씩.

use shared::{Config, Error};

use crate::Reply;

/// Connects with `config`, runs `SELECT 1`, asks the server who we are, and closes the connection.
pub fn select_one(config: &Config) -> Result<Reply, Error> {
    let _ = config;
    todo!(
        "exercise 1a / 연습 문제 1a: connect, SELECT 1, fill in a Reply from the server's answers"
    )
}
