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
//   checkout is woken: it may be asleep on `changed`;
// - a broken connection (`self.broken`), or any connection once the pool is closed, is closed
//   instead, and its slot freed (`open` counts connections that exist), waking a waiter too:
//   that waiter may now open a new one;
// - never talk to the server (closing a connection does) while holding the lock.
// 가드가 drop될 때 커넥션을 반납합니다. 강의의 `release_connection(conn)`은 예외가 나면 건너뛰지만,
// `Drop`은 정상 종료, `?`, panic 어느 경로에서도 실행됩니다. 약속:
// - 멀쩡한 커넥션은 큐의 맨 뒤로 보내고(먼저 들어온 것을 먼저), 기다리는 대여 요청 하나를 깨웁니다.
//   그 대여 요청은 `changed`에서 잠들어 있을 수 있습니다.
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
// Contract: lend the oldest idle connection (`shared.hand_out(idle)`, which pings it when needed);
// if none is idle but `open < max_size`, open a new one in that free slot
// (`shared.connect_into_slot()`); if every connection is lent out, wait for one to come back,
// but return `PoolError::Timeout { waited }` once `timeout` has passed since the call began.
// `PoolError::Closed` once the pool is closed. Concepts:
// - between unlocking and opening, another thread could take the same free slot: count it first;
// - a `Condvar` wait may return with nothing for you (a spurious wakeup, or a faster thread):
//   check again, and wait only for what REMAINS of the deadline, not the whole timeout again.
// 대여 요청은 영원히 기다리지 않습니다(강의의 `Queue.get()`은 기다립니다). 약속: 가장 오래된 유휴 커넥션을
// 빌려줍니다(`shared.hand_out(idle)`, 필요하면 핑). 유휴 커넥션이 없지만 `open < max_size`이면 그 빈 슬롯에
// 새 커넥션을 엽니다(`shared.connect_into_slot()`). 모두 대여 중이면 돌아오기를 기다리되, 호출이 시작된 뒤
// `timeout`이 지나면 `PoolError::Timeout { waited }`. 풀이 닫혔으면 `PoolError::Closed`. 개념:
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
// not see. Contract: lend `conn` if `self.manager.is_alive(&mut conn)`; else close it and lend a new
// connection opened in its slot. If opening fails, return that error, and the slot must be free
// again afterwards (the next checkout may succeed once the server is back).
// 한동안 쉬었거나 지난 사용을 풀이 보지 못한 커넥션이면 `hand_out`이 이것을 부릅니다. 약속:
// `self.manager.is_alive(&mut conn)`이면 `conn`을 빌려주고, 아니면 닫은 뒤 그 슬롯에 새로 연 커넥션을
// 빌려줍니다(재연결). 새 커넥션을 열지 못하면 그 오류를 반환하고, 그 뒤에 슬롯은 다시 비어 있어야 합니다
// (서버가 돌아오면 다음 대여가 성공할 수 있도록).
impl<M: ManageConnection> Shared<M> {
    pub(crate) fn ping_or_replace(
        self: &Arc<Self>,
        conn: M::Connection,
    ) -> Result<PooledConn<M>, PoolError> {
        // Given for steps 4a and 4b, and yours to rewrite in step 4c: lends it without a ping.
        Ok(PooledConn::new(Arc::clone(self), conn))
    }
}
