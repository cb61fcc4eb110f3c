//! What more than one test module of this lesson needs: a fake server for the queue logic, the
//! server's view of the real one, and a watchdog for tests that a wrong pool could hang.

// Each test file uses its own subset of these helpers.
#![allow(dead_code)]

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread;
use std::time::Duration;

use lesson4::{ManageConnection, Pool, PoolOptions, PoolState};
use mysql::prelude::Queryable;
use shared::bilingual;

/// What `pool.state()` reports for a pool of `n` connections with none lent out
/// (`all_idle(0)`: a pool with no connections at all, after `close_all` for example).
pub fn all_idle(n: usize) -> PoolState {
    PoolState {
        connections: n,
        idle_connections: n,
    }
}

/// Ends the server session `id` from `watcher`'s session, as a DBA, a restart or `wait_timeout` would.
pub fn kill(watcher: &mut mysql::Conn, id: u32) -> mysql::Result<()> {
    // KILL takes no parameters (MySQL refuses `KILL ?`), so the id is formatted into the statement:
    // the one safe exception to binding values, since a u32 cannot carry SQL.
    watcher.query_drop(format!("KILL {id}"))
}

/// The server's id of the connection `conn` (asked, not the client's cached id).
pub fn connection_id(conn: &mut impl Queryable) -> mysql::Result<u32> {
    Ok(conn
        .query_first("SELECT CONNECTION_ID()")?
        .expect("SELECT without FROM returns one row"))
}

/// How long a test may run before the watchdog fails it.
pub const WATCHDOG: Duration = Duration::from_secs(30);

/// Runs `test` on a thread of its own, and fails if it has not finished within [`WATCHDOG`]:
/// a pool that deadlocks then fails the test, naming `likely_cause` (in English, then in Korean),
/// instead of hanging the run.
pub fn watchdog<T: Send + 'static>(
    likely_cause: (&str, &str),
    test: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (cause, cause_ko) = likely_cause;
    let (done, finished) = mpsc::channel();
    let runner = thread::spawn(move || {
        let _ = done.send(test());
    });
    match finished.recv_timeout(WATCHDOG) {
        Ok(result) => result,
        Err(mpsc::RecvTimeoutError::Timeout) => {
            let seconds = WATCHDOG.as_secs();
            panic!(
                "{}",
                bilingual!(
                    "the test was still running after {seconds} s, so it was stopped. Likely cause: {cause}",
                    "테스트가 {seconds}초가 지나도 끝나지 않아 멈췄습니다. 그럴 법한 원인: {cause_ko}"
                )
            )
        }
        // The test panicked: pass its panic on, message and all.
        Err(mpsc::RecvTimeoutError::Disconnected) => match runner.join() {
            Err(panic) => std::panic::resume_unwind(panic),
            Ok(()) => unreachable!("the test thread ended without sending its result"),
        },
    }
}

/// The usual cause of a hang in this lesson, in English and in Korean.
pub const HANG: (&str, &str) = (
    "a lock taken twice in one thread (a Mutex is not reentrant: is the \
    state still locked when the code calls something that locks it again?), or a wait on the \
    Condvar that no Drop ever signals",
    "한 스레드가 락을 두 번 잡았거나(Mutex는 재진입할 수 없습니다. 상태를 잠근 채로, 다시 잠그는 \
    무언가를 호출하지 않았나요?), 어떤 Drop도 알리지 않는 Condvar에서 기다리고 있습니다",
);

/// What the fake "server" knows; the test keeps one handle, the manager inside the pool another.
#[derive(Default)]
pub struct Server {
    next_id: AtomicU32,
    opened: AtomicUsize,
    closed: AtomicUsize,
    pings: AtomicUsize,
    /// The most connections that were open at one time.
    most_open: AtomicUsize,
    /// Connections the "server" has killed: their ping fails.
    killed: Mutex<HashSet<u32>>,
    /// While set, connecting fails.
    pub refuse_connections: AtomicBool,
    /// How long connecting takes, in milliseconds.
    pub connect_millis: AtomicU64,
    /// While set, opening, closing and pinging a connection take until `release` is called (at
    /// most 2 s): a slow server, so that a test can see what else the pool does meanwhile.
    pub slow: AtomicBool,
    /// How many closes and pings of a slow server have begun, and how many have ended.
    pub slow_begun: AtomicUsize,
    pub slow_ended: AtomicUsize,
    released: (Mutex<bool>, std::sync::Condvar),
}

impl Server {
    pub fn kill(&self, id: u32) {
        self.killed.lock().unwrap().insert(id);
    }
    pub fn opened(&self) -> usize {
        self.opened.load(Ordering::SeqCst)
    }
    pub fn closed(&self) -> usize {
        self.closed.load(Ordering::SeqCst)
    }
    pub fn pings(&self) -> usize {
        self.pings.load(Ordering::SeqCst)
    }
    pub fn most_open(&self) -> usize {
        self.most_open.load(Ordering::SeqCst)
    }
    /// Lets every slow close or ping that waits go on.
    pub fn release(&self) {
        *self.released.0.lock().unwrap() = true;
        self.released.1.notify_all();
    }
    /// Waits until a slow close or ping has begun (at most 2 s); whether one has.
    pub fn wait_for_slow_work(&self) -> bool {
        let deadline = std::time::Instant::now() + Duration::from_secs(2);
        while self.slow_begun.load(Ordering::SeqCst) == 0 && std::time::Instant::now() < deadline {
            thread::sleep(Duration::from_millis(5));
        }
        self.slow_begun.load(Ordering::SeqCst) > 0
    }
    /// With `slow` set: takes until `release` (at most 2 s), counting the work begun and ended.
    fn slow_work(&self) {
        if !self.slow.load(Ordering::SeqCst) {
            return;
        }
        self.slow_begun.fetch_add(1, Ordering::SeqCst);
        let released = self.released.0.lock().unwrap();
        let _unused = self
            .released
            .1
            .wait_timeout_while(released, Duration::from_secs(2), |released| !*released)
            .unwrap();
        self.slow_ended.fetch_add(1, Ordering::SeqCst);
    }
}

/// A connection of the fake server, numbered 1, 2, 3... in the order they were opened.
pub struct FakeConn {
    pub id: u32,
    /// Set while a guard holds this connection: two holders at once would find it set.
    pub in_use: AtomicBool,
    server: Arc<Server>,
}

impl Drop for FakeConn {
    fn drop(&mut self) {
        self.server.slow_work();
        self.server.closed.fetch_add(1, Ordering::SeqCst);
    }
}

pub struct FakeManager(pub Arc<Server>);

impl ManageConnection for FakeManager {
    type Connection = FakeConn;

    fn connect(&self) -> Result<FakeConn, mysql::Error> {
        let server = &self.0;
        server.slow_work();
        thread::sleep(Duration::from_millis(
            server.connect_millis.load(Ordering::SeqCst),
        ));
        if server.refuse_connections.load(Ordering::SeqCst) {
            let refused =
                std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "fake server is down");
            return Err(mysql::Error::IoError(refused));
        }
        let now_open = server.opened.fetch_add(1, Ordering::SeqCst) + 1 - server.closed();
        server.most_open.fetch_max(now_open, Ordering::SeqCst);
        Ok(FakeConn {
            id: server.next_id.fetch_add(1, Ordering::SeqCst) + 1,
            in_use: AtomicBool::new(false),
            server: Arc::clone(server),
        })
    }

    fn is_alive(&self, conn: &mut FakeConn) -> bool {
        self.0.slow_work();
        self.0.pings.fetch_add(1, Ordering::SeqCst);
        !self.0.killed.lock().unwrap().contains(&conn.id)
    }
}

/// Long enough that no test gets near it: the pool never pings a connection that was used cleanly.
pub const TRUST: Duration = Duration::from_secs(600);
/// Zero: every checkout pings, as the lecture's get_conn does.
pub const ALWAYS_PING: Duration = Duration::ZERO;

/// A pool of `max_size` fake connections, numbered 1..=max_size, that `get` waits 2 s for.
pub fn fake_pool(max_size: usize, liveness_window: Duration) -> (Pool<FakeManager>, Arc<Server>) {
    let server = Arc::new(Server::default());
    let options = PoolOptions {
        liveness_window,
        checkout_timeout: Duration::from_secs(2),
        ..PoolOptions::new(max_size)
    };
    let pool = Pool::with_manager(FakeManager(Arc::clone(&server)), options)
        .expect("the fake never refuses here");
    (pool, server)
}

/// The id of a connection lent by `pool` and given straight back.
pub fn checkout_id(pool: &Pool<FakeManager>) -> u32 {
    match pool.get() {
        Ok(conn) => conn.id,
        Err(err) => panic!(
            "{}",
            bilingual!(
                "expected a connection from a pool with one free, got: {err}",
                "빈자리가 있는 풀에서 커넥션을 기대했는데, 받은 것은 오류입니다: {err}"
            )
        ),
    }
}

/// While a slow server opens, closes or pings a connection (started by `slow_work` on another
/// thread), checks that a checkout of another, idle connection is served at once: a pool that
/// talks to the server while holding its lock makes every other thread wait for the server.
/// `what` says which: a verb in English, then its Korean form before 동안 (as `("ping", "핑하는")`).
pub fn other_checkouts_are_not_held_up_by(
    pool: &Pool<FakeManager>,
    server: &Arc<Server>,
    what: (&str, &str),
    slow_work: impl FnOnce() + Send + 'static,
) {
    let (what, what_ko) = what;
    server.slow.store(true, Ordering::SeqCst);
    let worker = thread::spawn(slow_work);
    assert!(
        server.wait_for_slow_work(),
        "{}",
        bilingual!(
            "the slow server was never asked to {what}: the test's own set-up went wrong",
            "느린 서버에 커넥션을 {what_ko} 일이 한 번도 오지 않았습니다. 테스트 자체의 준비가 잘못됐습니다"
        )
    );

    let other = pool.get_timeout(Duration::from_millis(500));
    let still_busy = server.slow_ended.load(Ordering::SeqCst) == 0;
    server.release();
    worker
        .join()
        .expect("the thread that gave the work to the slow server");

    let (outcome, outcome_ko) = if other.is_ok() {
        ("waited for it to finish", "그 일이 끝나기를 기다렸습니다")
    } else {
        ("failed", "실패했습니다")
    };
    assert!(
        other.is_ok() && still_busy,
        "{}",
        bilingual!(
            "while the server was slow to {what} one connection, a checkout of another, idle one {outcome}: \
             the pool must not talk to the server while it holds its lock (every other thread waits \
             for the lock, so for the server): take what you need, unlock, then talk to the server",
            "서버가 커넥션 하나를 느리게 {what_ko} 동안, 다른 유휴 커넥션의 대여가 {outcome_ko}. \
             풀은 락을 쥔 채 서버와 통신하면 안 됩니다(다른 모든 스레드가 락을 기다리니, 결국 서버를 기다립니다). \
             필요한 것을 꺼내고, 락을 풀고, 그다음 서버와 통신하세요"
        )
    );
}
