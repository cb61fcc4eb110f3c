//! # Exercises 4a, 4b, 4c: the lecture's pool in Rust
//!
//! **Read.** `src/pool.rs` first, top to bottom (the queue, the guard, and every helper this file
//! calls); the errors are `PoolError`, in `src/error.rs`. Nothing else.
//!
//! **Goal.** The lecture's pool keeps its shape (a queue, get, release, ping and reconnect) and loses
//! its two faults: a connection lost when an exception strikes before `release_connection`, and a
//! `Queue.get()` that waits forever. Three steps, in order.
//!
//! **Steps.** Each step's contract and concepts are the comment above the code it asks for, below.
//! - **4a** `Drop for PooledConn`: the guard gives its connection back (반납), on every path.
//! - **4b** `Pool::get_timeout`: a checkout that never waits forever.
//! - **4c** `Shared::ping_or_replace`: ping, and reconnect (재연결), the lecture's
//!   `conn.ping(reconnect=True)`.
//!
//! **Your decisions.** 4a: what happens under the lock and what after it, and in which order the
//! connection is queued or closed, the slot freed and a waiter woken. 4b: what the checkout looks at
//! first (closed? idle? a free slot? the clock?) and how long it sleeps after a wakeup. 4c: what to
//! do with a connection that does not answer, and what the caller gets when no new one can be opened.
//! Which helper of `src/pool.rs` does each part is named in the hints, not here.
//!
//! **Test one step.** `cargo test -p lesson4 --features exercise --test suite exercises::step_a` runs
//! 4a's tests yourself (`step_b`, `step_c`); `cargo run -p course -- watch` runs each step's tests on
//! every save.
//!
//! **Hints.** `cargo run -p course -- hint 4a` (`hint 4b`, `hint 4c`), one level at a time.
//!
//! ---
//!
//! # 연습 문제 4a, 4b, 4c: 강의의 풀을 Rust로
//!
//! **읽을 파일.** 먼저 `src/pool.rs`를 위에서 아래로(큐, 가드, 그리고 이 파일이 부르는 모든 도우미 함수).
//! 오류는 `src/error.rs`의 `PoolError`입니다. 다른 파일은 읽지 않아도 됩니다.
//!
//! **목표.** 강의의 풀은 그 모양(큐, get, release, 핑과 재연결)을 그대로 두고 두 가지 결함을 고칩니다.
//! `release_connection` 전에 예외가 나면 커넥션을 잃는 것, 그리고 영원히 기다리는 `Queue.get()`입니다.
//! 세 단계를 순서대로 합니다.
//!
//! **단계.** 단계마다 약속과 개념은 아래, 그 단계가 요구하는 코드 위의 주석에 있습니다.
//! - **4a** `Drop for PooledConn`: 가드가 어느 경로에서든 커넥션을 반납합니다.
//! - **4b** `Pool::get_timeout`: 영원히 기다리지 않는 대여.
//! - **4c** `Shared::ping_or_replace`: 핑과 재연결, 강의의 `conn.ping(reconnect=True)`.
//!
//! **여러분이 정할 것.** 4a: 락 안에서 할 일과 락을 푼 뒤에 할 일, 그리고 커넥션을 큐에 넣거나 닫고,
//! 슬롯을 비우고, 기다리는 스레드를 깨우는 순서. 4b: 대여가 무엇을 먼저 볼지(닫혔나? 유휴 커넥션? 빈 슬롯?
//! 시계?)와 깨어난 뒤 얼마나 잘지. 4c: 대답하지 않는 커넥션을 어떻게 할지, 새 커넥션을 열 수 없을 때 호출한
//! 쪽이 무엇을 받을지. 각 부분을 `src/pool.rs`의 어느 도우미 함수가 하는지는 여기가 아니라 힌트에 있습니다.
//!
//! **한 단계만 테스트.** `cargo test -p lesson4 --features exercise --test suite exercises::step_a`로 4a의
//! 테스트를 직접 돌립니다(`step_b`, `step_c`). `cargo run -p course -- watch`는 저장할 때마다 단계의
//! 테스트를 돌립니다.
//!
//! **힌트.** `cargo run -p course -- hint 4a` (`hint 4b`, `hint 4c`), 한 단계씩.

use std::sync::Arc;
use std::time::Duration;

use crate::pool::Shared;
use crate::{ManageConnection, Pool, PoolError, PooledConn};

// STEP 4a: the guard gives its connection back (반납), on every path.
// The lecture's `release_connection(conn)` is skipped by an exception; `Drop` runs on a normal
// end, on `?` and on a panic. Contract:
// - a healthy connection goes to the END of the queue (first in, first out), and ONE waiting
//   checkout is woken: it may be asleep on `changed`. It is queued as the guard saw its use end:
//   one whose end the pool did not see (a panic unwound through the guard, or the bare
//   connection was used) must be pinged before its next use, even within the liveness window
//   (only a ping shows this, so step 4c's tests check it);
// - a broken connection (`self.broken`), or any connection once the pool is closed, is closed
//   instead, and its slot freed (`open` counts connections that exist), waking a waiter too:
//   that waiter may now open a new one;
// - never talk to the server (closing a connection does) while holding the lock.
// 가드가 drop될 때 커넥션을 반납합니다. 강의의 `release_connection(conn)`은 예외가 나면 건너뛰지만,
// `Drop`은 정상 종료, `?`, panic 어느 경로에서도 실행됩니다. 약속:
// - 멀쩡한 커넥션은 큐의 맨 뒤로 보내고(먼저 들어온 것을 먼저), 기다리는 대여 요청 하나를 깨웁니다.
//   그 대여 요청은 `changed`에서 잠들어 있을 수 있습니다. 큐에 넣을 때는 가드가 사용이 끝나는 것을
//   보았는지를 그대로 적어 둡니다. 풀이 사용의 끝을 보지 못한 커넥션(panic이 가드를 지나 풀렸거나, 맨 커넥션을 썼거나)은 생존 확인 창
//   안이라도 다음 사용 전에 핑해야 합니다(핑을 해야 드러나므로 4c의 테스트가 검사합니다).
// - 고장 난 커넥션(`self.broken`)이나 풀이 닫힌 뒤의 커넥션은 큐에 넣지 않고 닫고, 그 슬롯을 비우며
//   (`open`은 존재하는 커넥션 수), 이때도 기다리는 스레드를 깨웁니다. 그 스레드가 새 커넥션을 열 수 있습니다.
// - 락을 쥔 채 서버와 통신하지 마세요(커넥션을 닫는 것도 서버와 통신합니다).
impl<M: ManageConnection> Drop for PooledConn<M> {
    fn drop(&mut self) {
        // Step 4a. Until you write it, the connection is closed here and its slot never freed.
        // (Not `todo!()`: a panic inside a `Drop` that runs during another panic aborts the tests.)
    }
}

// STEP 4b: a checkout that never waits forever (the lecture's `Queue.get()` does).
// Contract: lend the oldest idle connection (through the pool's hand-out, which pings it when
// needed); if none is idle but `open < max_size`, open a new one in that free slot; if every
// connection is lent out, wait for one to come back, but return `PoolError::Timeout { waited }`
// once `timeout` has passed since the call began. No time left is no reason to refuse a connection
// that is there: `get_timeout(Duration::ZERO)` still takes an idle one. `PoolError::Closed` once the
// pool is closed, also for a checkout already waiting. Never connect while holding the lock: a
// connection coming back must not wait for another one opening. Concepts:
// - between unlocking and opening, another thread could take the same free slot: count it first;
// - a `Condvar` wait may return with nothing for you (a spurious wakeup, or a faster thread):
//   check again, and wait only for what REMAINS of the deadline, not the whole timeout again.
// 대여 요청은 영원히 기다리지 않습니다(강의의 `Queue.get()`은 기다립니다). 약속: 가장 오래된 유휴 커넥션을
// 빌려줍니다(빌려주기 전에 필요하면 핑하는 일은 풀의 도우미 함수가 합니다). 유휴 커넥션이 없지만
// `open < max_size`이면 그 빈 슬롯에 새 커넥션을 엽니다. 모두 대여 중이면 돌아오기를 기다리되, 호출이
// 시작된 뒤 `timeout`이 지나면 `PoolError::Timeout { waited }`를 반환합니다. 남은 시간이 없다고 거기 있는
// 커넥션을 거절하지는 않습니다. `get_timeout(Duration::ZERO)`도 유휴 커넥션은 가져갑니다. 풀이 닫혔으면,
// 이미 기다리던 대여라도 `PoolError::Closed`를 반환합니다. 락을 쥔 채 연결하지 마세요. 돌아오는 커넥션이
// 새로 열리는 커넥션을 기다리면 안 됩니다. 개념:
// - 락을 풀고 커넥션을 여는 사이에 다른 스레드가 같은 빈 슬롯을 가져갈 수 있습니다. 먼저 세세요.
// - `Condvar` 대기는 아무것도 없이 돌아올 수 있습니다(가짜 깨어남, 더 빠른 스레드). 다시 확인하고,
//   타임아웃 전체가 아니라 기한까지 남은 시간만큼만 기다리세요.
impl<M: ManageConnection> Pool<M> {
    /// Lends a connection, waiting at most `timeout` for one to come free; then [`PoolError::Timeout`].
    pub fn get_timeout(&self, _timeout: Duration) -> Result<PooledConn<M>, PoolError> {
        // Given for step 4a, and yours to rewrite in step 4b (rename `_timeout` then): takes the
        // oldest idle connection, or gives up at once.
        let idle = self.shared.lock().idle.pop_front();
        match idle {
            Some(idle) => self.shared.hand_out(idle),
            None => Err(PoolError::Timeout {
                waited: Duration::ZERO,
            }),
        }
    }
}

// STEP 4c: ping, and reconnect (재연결): the lecture's `conn.ping(reconnect=True)`.
// `hand_out` calls this for a connection that was idle a while, or whose last use the pool did
// not see. Contract: lend `conn` if it answers a ping (the manager's liveness check); else close it
// and lend a new connection opened in its slot: the caller never sees the dead one. If opening
// fails, return that error (`PoolError::Connect`), and the slot must be free again afterwards (the
// next checkout may succeed once the server is back). Never ping while holding the lock: a
// checkout of another, idle connection must not wait for this ping.
// 한동안 쉬었거나 지난 사용을 풀이 보지 못한 커넥션이면 `hand_out`이 이것을 부릅니다. 약속:
// `conn`이 핑에 대답하면(매니저의 생존 확인) 빌려주고, 아니면 닫은 뒤 그 슬롯에 새로 연 커넥션을
// 빌려줍니다(재연결). 호출한 쪽은 죽은 커넥션을 보지 못합니다. 새 커넥션을 열지 못하면 그 오류
// (`PoolError::Connect`)를 반환하고, 그 뒤에 슬롯은 다시 비어 있어야 합니다(서버가 돌아오면 다음 대여가
// 성공할 수 있도록). 락을 쥔 채 핑하지 마세요. 다른 유휴 커넥션의 대여가 이 핑을 기다리면 안 됩니다.
impl<M: ManageConnection> Shared<M> {
    pub(crate) fn ping_or_replace(
        self: &Arc<Self>,
        conn: M::Connection,
    ) -> Result<PooledConn<M>, PoolError> {
        // Given for steps 4a and 4b, and yours to rewrite in step 4c: lends it without a ping.
        Ok(PooledConn::new(Arc::clone(self), conn))
    }
}
