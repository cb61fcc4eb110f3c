//! What r2d2 and r2d2_mysql do that the README compares with lesson 4, checked on the real server:
//! the order connections are lent in, how often they are pinged, a KILL with and without
//! `test_on_check_out`, and how a pool is closed without a `close_all`. Only what the lesson
//! teaches about r2d2: r2d2's own test suite covers the rest (threads, panics, waiters).

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::common::{connection_id, kill, pool_with, wait_for_count};
use lesson5::{MySqlConnectionManager, MysqlManager, PoolSettings, checkout};
use mysql::prelude::Queryable;
use shared::testing::TestDb;

/// r2d2_mysql's manager, with a count of its liveness checks.
struct CountingManager {
    inner: MySqlConnectionManager,
    checks_on_checkout: Arc<AtomicUsize>,
    checks_on_return: Arc<AtomicUsize>,
}

impl r2d2::ManageConnection for CountingManager {
    type Connection = mysql::Conn;
    type Error = mysql::Error;

    fn connect(&self) -> Result<mysql::Conn, mysql::Error> {
        self.inner.connect()
    }

    fn is_valid(&self, conn: &mut mysql::Conn) -> Result<(), mysql::Error> {
        self.checks_on_checkout.fetch_add(1, Ordering::SeqCst);
        self.inner.is_valid(conn)
    }

    fn has_broken(&self, conn: &mut mysql::Conn) -> bool {
        self.checks_on_return.fetch_add(1, Ordering::SeqCst);
        self.inner.has_broken(conn)
    }
}

/// (checks on checkout, checks on return) for 10 uses of a pool with `test_on_check_out`.
fn liveness_checks_for_10_uses(db: &TestDb, test_on_check_out: bool) -> (usize, usize) {
    let (on_checkout, on_return) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let manager = CountingManager {
        inner: MySqlConnectionManager::new(db.config().opts_builder()),
        checks_on_checkout: Arc::clone(&on_checkout),
        checks_on_return: Arc::clone(&on_return),
    };
    let pool = r2d2::Pool::builder()
        .max_size(2)
        .connection_timeout(Duration::from_secs(2))
        .test_on_check_out(test_on_check_out)
        .build(manager)
        .unwrap_or_else(|err| panic!("{err}"));
    for _ in 0..10 {
        let mut conn = pool.get().expect("a connection");
        conn.query_drop("DO 1").expect("a query");
    }
    (
        on_checkout.load(Ordering::SeqCst),
        on_return.load(Ordering::SeqCst),
    )
}

#[test]
fn r2d2_lends_the_connection_given_back_last() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let pool = pool_with(&db, PoolSettings::default());

    let ids: HashSet<u32> = (0..20)
        .map(|_| checkout(&pool, Duration::from_secs(2)).map(|c| c.connection_id()))
        .collect::<Result<_, _>>()?;

    assert!(
        ids.len() == 1,
        "20 calls in a row were served by {ids:?}; expected one connection: r2d2 lends the one \
         given back last"
    );
    Ok(())
}

#[test]
fn r2d2_mysql_pings_on_every_checkout_and_again_on_every_return() -> anyhow::Result<()> {
    let db = TestDb::new()?;

    let with_test_on_check_out = liveness_checks_for_10_uses(&db, true);
    let without = liveness_checks_for_10_uses(&db, false);

    // has_broken is meant to be a quick local check; r2d2_mysql answers it with a COM_PING.
    assert!(
        with_test_on_check_out == (10, 10),
        "with test_on_check_out, 10 uses pinged {with_test_on_check_out:?} times (checkout, \
         return); expected (10, 10)"
    );
    assert!(
        without == (0, 10),
        "without test_on_check_out, 10 uses pinged {without:?} times (checkout, return); \
         expected (0, 10)"
    );
    Ok(())
}

#[test]
fn without_test_on_check_out_a_killed_connection_reaches_one_caller_who_marks_it_broken()
-> anyhow::Result<()> {
    let db = TestDb::new()?;
    let settings = PoolSettings {
        max_size: 1,
        test_on_check_out: false,
        ..PoolSettings::default()
    };
    let pool = pool_with(&db, settings);
    let mut watcher = db.conn();
    let victim = checkout(&pool, Duration::from_secs(2))?.connection_id();
    kill(&mut watcher, victim)?;
    let left = wait_for_count(&mut watcher, &db, 0);
    assert!(
        left == 0,
        "the server still lists {left} connections after the KILL"
    );

    let mut unlucky = checkout(&pool, Duration::from_secs(2))?;
    let failed = unlucky.query_drop("DO 1");
    if failed.is_err() {
        unlucky.mark_broken(); // as lesson 9 does after a server-side error
    }
    drop(unlucky); // has_broken says so: r2d2 closes it and opens another in the background
    let next = checkout(&pool, Duration::from_secs(2))?.connection_id();

    assert!(
        failed
            .as_ref()
            .is_err_and(|err| err.is_connectivity_error()),
        "the caller of the killed connection got {failed:?}; expected a connection-level error"
    );
    assert!(
        next != victim,
        "the killed connection {victim} was lent again"
    );
    Ok(())
}

#[test]
fn dropping_the_last_handle_of_the_pool_closes_its_connections() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let pool = pool_with(&db, PoolSettings::default());
    let mut watcher = db.conn();
    let before = wait_for_count(&mut watcher, &db, 4);

    drop(pool);
    let after = wait_for_count(&mut watcher, &db, 0);

    assert!(
        (before, after) == (4, 0),
        "the server listed {before} connections before the drop and {after} after; expected 4, then 0"
    );
    Ok(())
}

#[test]
fn with_test_on_check_out_a_killed_idle_connection_is_replaced_and_the_caller_sees_no_error()
-> anyhow::Result<()> {
    let db = TestDb::new()?;
    // A window of zero: every checkout pings, as with r2d2_mysql's own manager. (Within the
    // default window of 500 ms the connection would be lent unchecked: see the exercise's tests.)
    let settings = PoolSettings {
        liveness_window: Duration::ZERO,
        ..PoolSettings::default()
    };
    let pool = pool_with(&db, settings);
    let mut watcher = db.conn();
    // r2d2 lends the connection given back last: find out which one that is, then kill it.
    let victim = checkout(&pool, Duration::from_secs(2))?.connection_id();
    kill(&mut watcher, victim)?;
    let left = db.wait_for_sessions(&mut watcher, |ids| !ids.contains(&victim));
    assert!(!left.contains(&victim), "the server still lists {victim}");

    let mut ids_now = HashSet::new();
    for _ in 0..4 {
        let mut conn = checkout(&pool, Duration::from_secs(2))?;
        // An error here would be the caller meeting the dead connection.
        ids_now.insert(connection_id(&mut conn)?);
    }

    assert!(
        !ids_now.contains(&victim),
        "the killed connection {victim} was lent out: {ids_now:?}"
    );
    Ok(())
}

#[test]
fn a_lent_connection_keeps_the_whole_pool_open_until_it_comes_back() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let pool = pool_with(&db, PoolSettings::default());
    let mut watcher = db.conn();
    let lent = checkout(&pool, Duration::from_secs(2))?;

    drop(pool);
    // The guard holds a handle of the pool, so its idle connections stay open too (lesson 4's
    // close_all closes them at once).
    let while_lent = wait_for_count(&mut watcher, &db, 4);
    drop(lent); // the last handle: the pool and all its connections close
    let after = wait_for_count(&mut watcher, &db, 0);

    assert!(
        (while_lent, after) == (4, 0),
        "with one connection lent after the pool was dropped the server listed {while_lent} \
         connections, and {after} once it came back; expected 4, then 0"
    );
    Ok(())
}

/// A pool of one connection whose reads time out after 1 s, built with `manager`.
fn one_connection_pool<M: r2d2::ManageConnection>(manager: M) -> r2d2::Pool<M> {
    r2d2::Pool::builder()
        .max_size(1)
        .connection_timeout(Duration::from_secs(3))
        .build(manager)
        .unwrap_or_else(|_| panic!("the pool of one connection could not be built"))
}

/// Options whose reads give up after 1 s, so that a 1.5 s statement times out.
fn opts_with_a_short_read_timeout(db: &TestDb) -> mysql::OptsBuilder {
    db.config()
        .opts_builder()
        .read_timeout(Some(Duration::from_secs(1)))
}

/// The statement that times out: its reply, one OK packet like an INSERT's, arrives 0.5 s after
/// the client gave up on it, while r2d2_mysql's ping on return still waits for an answer.
const LATE: &str = "DO SLEEP(1.5)";

#[test]
fn r2d2_mysqls_ping_lends_a_connection_one_reply_behind_after_a_read_timeout() -> anyhow::Result<()>
{
    let db = TestDb::new()?;
    let pool = one_connection_pool(MySqlConnectionManager::new(opts_with_a_short_read_timeout(
        &db,
    )));

    let timed_out = pool.get()?.query_drop(LATE);
    // On return, has_broken's ping reads the late OK as its own; on the next checkout, is_valid's
    // ping reads the first ping's OK; the query then reads the second ping's OK: no rows.
    let mut next = pool.get()?;
    let answer: mysql::Result<Option<String>> = next.query_first("SELECT 'my own answer'");

    assert!(
        timed_out
            .as_ref()
            .is_err_and(|err| err.is_connectivity_error()),
        "the 1.5 s statement did not time out after 1 s: {timed_out:?}"
    );
    assert!(
        matches!(answer, Ok(None)),
        "the next caller got {answer:?}; expected Ok(None), a ping's late OK read as its answer: \
         the reason for the course's MysqlManager (lesson 5's README)"
    );
    Ok(())
}

#[test]
fn the_course_manager_closes_a_connection_marked_broken_so_the_next_caller_gets_its_own_answer()
-> anyhow::Result<()> {
    let db = TestDb::new()?;
    let manager = MysqlManager::new(opts_with_a_short_read_timeout(&db), Duration::from_secs(60));
    let pool = one_connection_pool(manager);

    let mut conn = pool.get()?;
    let first = conn.connection_id();
    let timed_out = conn.query_drop(LATE);
    if timed_out.is_err() {
        conn.mark_broken();
    }
    drop(conn);
    let mut next = pool.get()?;
    let answer: Option<String> = next.query_first("SELECT 'my own answer'")?;

    assert!(
        timed_out.is_err(),
        "the 1.5 s statement did not time out after 1 s"
    );
    assert!(
        next.connection_id() != first,
        "the connection marked broken ({first}) was lent again"
    );
    assert!(
        answer.as_deref() == Some("my own answer"),
        "the next caller got {answer:?}"
    );
    Ok(())
}

#[test]
fn the_course_manager_closes_a_connection_whose_user_panicked() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let manager = MysqlManager::new(db.config().opts_builder(), Duration::from_secs(60));
    let pool = one_connection_pool(manager);
    let first = pool.get()?.connection_id();

    let lender = pool.clone();
    let panicked = std::thread::spawn(move || {
        let _conn = lender.get().expect("a connection");
        panic!("a bug while the connection is lent (this panic is the test's)");
    })
    .join();
    let next = pool.get()?.connection_id();

    assert!(panicked.is_err());
    assert!(
        next != first,
        "the connection {first}, lent while its user panicked, was lent again"
    );
    Ok(())
}
