//! # Exercises 5a, 5b: lesson 4's pool, taken from a crate
//!
//! **Read.** This file, and `src/lib.rs` for the types `MysqlPool`, `PooledConn` and `MysqlManager`
//! (the course's manager: it opens and checks the connections). `PoolSettings` (in
//! `src/settings.rs`) has one field per setting, named as r2d2 names them, and can say itself
//! whether r2d2 could use them; `PoolError` (in `src/error.rs`) can turn a failed build into an
//! error that says why. The README's table says what each setting replaces of lesson 4.
//!
//! **Goal.** The pool you wrote by hand in lesson 4, built from `r2d2` with every setting spelled out,
//! and a checkout whose deadline a caller chooses.
//!
//! **Steps.** Each step's contract is the comment above its function, below.
//! - **5a** `build_pool`: an r2d2 pool of connections to `config`'s database, with every one of `settings`.
//! - **5b** `checkout`: lend a connection, waiting at most `timeout` for one to come free.
//!
//! **Test one step.** `cargo test -p lesson5 --features exercise --test suite exercises::step_a::` (5a;
//! `step_b::` for 5b).
//!
//! **Hints.** `cargo run -p course -- hint 5a` (`hint 5b`), one level at a time.
//!
//! ---
//!
//! # 연습 문제 5a, 5b: 레슨 4의 커넥션 풀을 크레이트로
//!
//! **읽을 파일.** 이 파일, 그리고 타입 `MysqlPool`, `PooledConn`, `MysqlManager`(커넥션을 열고 확인하는 이
//! 코스의 매니저)를 위한 `src/lib.rs`. `PoolSettings`(`src/settings.rs`)는 설정마다 필드를 하나씩 가지며, 필드
//! 이름은 r2d2가 부르는 이름과 같고, r2d2가 쓸 수 있는 설정인지 스스로 말해 줄 수 있습니다.
//! `PoolError`(`src/error.rs`)는 실패한 build를 이유를 말하는 오류로 바꿀 수 있습니다. 각 설정이 레슨 4의
//! 무엇을 대신하는지는 README의 표에 있습니다.
//!
//! **목표.** 레슨 4에서 직접 만든 풀을 `r2d2`로, 모든 설정을 빠짐없이 적어서 만들고, 호출하는 쪽이 기한을
//! 정하는 대여를 작성합니다.
//!
//! **단계.** 단계마다 약속은 아래 함수 위의 주석에 있습니다.
//! - **5a** `build_pool`: `config`의 데이터베이스로 가는 커넥션의 r2d2 풀을, `settings`를 하나도 빠짐없이
//!   적용해 만듭니다.
//! - **5b** `checkout`: 최대 `timeout`만큼 기다려 커넥션을 빌려줍니다.
//!
//! **한 단계만 테스트.** `cargo test -p lesson5 --features exercise --test suite exercises::step_a::` (5a. 5b는
//! `step_b::`).
//!
//! **힌트.** `cargo run -p course -- hint 5a` (`hint 5b`), 한 단계씩.

use std::time::Duration;

use shared::Config;

use crate::{MysqlPool, PoolError, PoolSettings, PooledConn};

/// 5a. Builds an r2d2 pool of connections to `config`'s database with every one of `settings`, and
/// waits (at most `settings.connection_timeout`) until its first `min_idle` connections are open.
///
/// Contract: settings r2d2 would panic on are `PoolError::InvalidSettings`, found before anything is
/// built; every field of `settings` takes effect (none left at r2d2's default; one of them is not
/// r2d2's but the manager's); connections are opened with `config` as every lesson opens them
/// (short connect and read timeouts) and checked by the course's manager; a failed build is a
/// `PoolError::Build` that says why as lesson 1 does (a stopped server, a wrong password), without
/// showing the password. Concept: r2d2 is lesson 4's pool, plus a *manager* that knows how to open
/// and check one kind of connection; which part gets which setting is yours to find.
///
/// 5a. `config`의 데이터베이스로 가는 커넥션의 r2d2 풀을 `settings`를 하나도 빠짐없이 적용해 만들고, 첫
/// `min_idle`개 커넥션이 열릴 때까지(최대 `settings.connection_timeout`) 기다립니다.
///
/// 약속: r2d2가 panic할 설정은 아무것도 만들기 전에 찾아낸 `PoolError::InvalidSettings`입니다. `settings`의
/// 모든 필드가 효과를 냅니다(r2d2의 기본값으로 남는 것 없이. 그중 하나는 r2d2가 아니라 매니저의 설정). 커넥션은
/// 모든 레슨처럼 `config`로 열고(짧은 접속·읽기 타임아웃), 이 코스의 매니저가 확인합니다. 실패한 build는 레슨
/// 1처럼 이유(꺼진 서버, 틀린 비밀번호)를 말하고 비밀번호는 보여 주지 않는 `PoolError::Build`입니다. 개념:
/// r2d2는 레슨 4의 풀에, 한 종류의 커넥션을 여는 법과 확인하는 법을 아는 *매니저*를 더한 것입니다. 어느 쪽이
/// 어느 설정을 받는지는 여러분이 찾아낼 몫입니다.
pub fn build_pool(config: &Config, settings: &PoolSettings) -> Result<MysqlPool, PoolError> {
    let _ = (config, settings); // the stub's placeholder: delete this line
    todo!("5a: build the r2d2 pool with every setting / 모든 설정으로 r2d2 풀 만들기")
}

/// 5b. Lends a connection, waiting at most `timeout` for one to come free; then
/// `PoolError::Timeout { waited, source }`.
///
/// Contract: the wait is bounded by `timeout`, not by the pool's `connection_timeout` (a caller may
/// ask for a shorter or a longer wait than the pool's); `waited` is how long this call really
/// waited; `source` is r2d2's own error, kept as the cause, not copied into the message. Concept:
/// the deadline you wrote in lesson 4 is built into r2d2: this only gives its error a name a caller
/// can match.
///
/// 5b. 최대 `timeout`만큼 기다려 커넥션을 빌려줍니다. 그 뒤에는 `PoolError::Timeout { waited, source }`.
///
/// 약속: 기다리는 시간의 한도는 풀의 `connection_timeout`이 아니라 `timeout`이 정합니다(호출하는 쪽은 풀의
/// 시간보다 짧게도 길게도 기다릴 수 있습니다). `waited`는 이 호출이 실제로 기다린 시간이고, `source`는
/// 메시지에 복사하지 않고 원인으로 남겨 둔 r2d2 자신의 오류입니다. 개념: 레슨 4에서 작성한 기한은 r2d2에 이미
/// 들어 있습니다. 여기서는 그 오류에 호출하는 쪽이 `match`할 수 있는 이름을 붙일 뿐입니다.
pub fn checkout(pool: &MysqlPool, timeout: Duration) -> Result<PooledConn, PoolError> {
    let _ = (pool, timeout); // the stub's placeholder: delete this line
    todo!("5b: a checkout with a deadline / 기한이 있는 대여")
}
