//! EXERCISE 4: the lecture's pool in Rust. Read `src/pool.rs` first (the queue, the guard); nothing else.
//! 연습 문제 4: 강의의 풀을 Rust로. 먼저 `src/pool.rs`(큐, 가드)를 읽으세요. 다른 파일은 읽지 않아도 됩니다.
//!
//! Three steps, in order: `cargo run -p course -- watch` runs each one's tests and gives hints.
//! `cargo test -p lesson4 --features exercise --test exercises step_a` runs step 4a's tests yourself.
//! 세 단계를 순서대로: `cargo run -p course -- watch`가 단계마다 테스트를 돌리고 힌트를 줍니다.

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
// 가드가 drop될 때 커넥션을 반납합니다: 정상이면 큐 뒤로, 기다리는 체크아웃 하나를 깨웁니다.
// 고장 났거나 풀이 닫혔으면 닫고 슬롯(`open`)을 비웁니다. 락을 쥔 채 서버와 통신하지 마세요.
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
// 체크아웃은 영원히 기다리지 않습니다: 가장 오래된 유휴 커넥션, 빈 슬롯이면 새 커넥션,
// 모두 대여 중이면 기다리되 데드라인이 지나면 `PoolError::Timeout`. 깨어나도 커넥션이 없을 수 있습니다.
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
// 오래 쉬었던 커넥션은 핑하고, 죽었으면 닫고 그 슬롯에 새 커넥션을 엽니다. 실패해도 슬롯은 비워 두세요.
impl<M: ManageConnection> Shared<M> {
    pub(crate) fn ping_or_replace(
        self: &Arc<Self>,
        conn: M::Connection,
    ) -> Result<PooledConn<M>, PoolError> {
        // Given for steps 4a and 4b, and yours to rewrite in step 4c: lends it without a ping.
        Ok(PooledConn::new(Arc::clone(self), conn))
    }
}
