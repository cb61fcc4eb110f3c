//! # Exercise 10a: which server serves this read?
//!
//! **Read.** This file and `src/lib.rs` (`Route`, `Fallback`, `ReplicaState`, the `Replica`
//! trait: what you may ask the replica). You need not read `src/gtid.rs` or `src/replica.rs`.
//!
//! **Goal.** Read-your-writes: a user who has just saved something must see it on their next
//! page load, even though reads go to a replica that is always a little behind.
//!
//! **Steps.** The step's contract is the comment above its function, below.
//! - **10a** `route_read`: given the replica and the user's last write, choose the server.
//!
//! **Test.** `cargo test -p lesson10 --features exercise --test suite exercises::` runs 10a's tests
//! on your code; `cargo run -p lesson10 --features exercise` runs the demo on it.
//!
//! **Hints.** `cargo run -p course -- hint 10a`, one level at a time.
//!
//! ---
//!
//! # 연습 문제 10a: 이 읽기는 어느 서버가 맡을까?
//!
//! **읽을 파일.** 이 파일과 `src/lib.rs`(`Route`, `Fallback`, `ReplicaState`, 그리고 레플리카에게 물어볼
//! 수 있는 것을 정한 `Replica` 트레이트). `src/gtid.rs`와 `src/replica.rs`는 읽지 않아도 됩니다.
//!
//! **목표.** 자기 쓰기 읽기(read-your-writes): 방금 무언가를 저장한 사용자는, 읽기를 맡은 레플리카가
//! 늘 조금씩 뒤처져 있더라도, 다음 페이지를 열 때 그것을 볼 수 있어야 합니다.
//!
//! **단계.** 이 단계의 약속은 아래 함수 위의 주석에 있습니다.
//! - **10a** `route_read`: 레플리카와 사용자의 마지막 쓰기를 보고 서버를 고릅니다.
//!
//! **테스트.** `cargo test -p lesson10 --features exercise --test suite exercises::`가 여러분의 코드로
//! 10a의 테스트를 돌립니다. `cargo run -p lesson10 --features exercise`는 여러분의 코드로 데모를
//! 실행합니다.
//!
//! **힌트.** `cargo run -p course -- hint 10a`, 한 단계씩.

use std::time::Duration;

use crate::{Gtid, Replica, Route};

/// Decides which server serves a read of one user's data.
///
/// Goal: the user sees their own writes, and a read is served by the replica whenever that is
/// safe, since taking reads off the primary is what the replica is for.
///
/// Contract:
/// - `last_write` is the GTID of this user's last write (`None`: they wrote nothing this program
///   saw). The replica may serve the read only if it has applied that write.
/// - A replica that is behind gets at most `max_wait` to catch up; a read never waits longer.
///   When the time runs out, the primary serves it: `Primary(TooFarBehind)`.
/// - A replica whose replication is stopped serves no one, whatever they wrote, and no time is
///   spent waiting for it: `Primary(ReplicaStopped)`.
/// - A replica that cannot tell whether it is applying is still used, within the same bounded wait.
/// - A replica that fails to answer, at any point, is `Primary(ReplicaDown)`: the read still goes
///   somewhere. This function never fails and never panics.
///
/// Concept: replication lag, and a per-user consistency rule. Asking the replica costs round
/// trips too: ask only what the decision needs.
///
/// 한 사용자의 데이터를 읽는 일을 어느 서버가 맡을지 정합니다.
///
/// 목표: 사용자는 자기가 쓴 것을 봅니다. 그리고 안전할 때는 언제나 레플리카가 읽기를 맡습니다. 읽기를
/// 프라이머리에서 덜어 내는 것이 레플리카를 두는 이유이기 때문입니다.
///
/// 약속:
/// - `last_write`는 이 사용자의 마지막 쓰기의 GTID입니다(`None`: 이 프로그램이 본 쓰기가 없음).
///   레플리카는 그 쓰기를 적용했을 때만 읽기를 맡을 수 있습니다.
/// - 뒤처진 레플리카에게는 따라잡을 시간을 최대 `max_wait`만 줍니다. 읽기는 그보다 오래 기다리지
///   않습니다. 시간이 다 되면 프라이머리가 맡습니다: `Primary(TooFarBehind)`.
/// - 복제가 멈춘 레플리카는, 사용자가 무엇을 썼든 누구의 읽기도 맡지 않고, 그 레플리카를 기다리는 데
///   시간을 쓰지도 않습니다: `Primary(ReplicaStopped)`.
/// - 자기가 적용 중인지 알려 줄 수 없는 레플리카도, 같은 제한된 기다림 안에서 그대로 씁니다.
/// - 어느 시점에서든 응답하지 못한 레플리카는 `Primary(ReplicaDown)`입니다. 읽기는 그래도 어딘가로
///   갑니다. 이 함수는 실패하지도, panic하지도 않습니다.
///
/// 개념: 복제 지연, 그리고 사용자별 일관성 규칙. 레플리카에게 묻는 것도 왕복이 듭니다. 결정에 필요한
/// 것만 물으세요.
pub fn route_read(
    replica: &mut impl Replica,
    last_write: Option<&Gtid>,
    max_wait: Duration,
) -> Route {
    let _ = (replica, last_write, max_wait); // the stub's placeholder: delete this line
    todo!("10a: ask the replica what the decision needs, then choose the server")
}
