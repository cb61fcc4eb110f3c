//! What is measured: the ways of getting a connection ([`Case`]) and the queries run on it
//! ([`Workload`]).
//!
//! One *operation* is everything a request handler would do for one query: get a connection
//! (open one, or check one out of a pool), run the query, check the answer, and give the
//! connection back (close it, or return it to the pool). The timer runs around all of that.

use std::time::Duration;

use anyhow::{Context, anyhow, bail, ensure};
use mysql::prelude::Queryable;
use mysql::{Conn, Opts, OptsBuilder, PoolConstraints, PoolOpts};
use r2d2_mysql::MySqlConnectionManager;
use serde::Serialize;

/// A way of getting a connection for each operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Case {
    /// A new connection for every operation, closed afterwards (lesson 3's naive approach).
    PerCall,
    /// One connection per thread, opened before measuring and used for every operation: the floor.
    Held,
    /// Lesson 4's hand-written queue pool.
    Lesson4,
    /// Lesson 5's pool: r2d2 with the course's manager, `lesson5::MysqlManager` (a ping only for a
    /// connection idle 500 ms or more, nothing on return), as lesson 9's server uses it.
    R2d2Lesson5,
    /// r2d2 with `r2d2_mysql`'s manager and r2d2's default checkout settings.
    R2d2Defaults,
    /// r2d2 without the ping on checkout (`test_on_check_out(false)`).
    R2d2Tuned,
    /// The `mysql` crate's own `mysql::Pool` with its default `PoolOpts` (health check, reset on return).
    MysqlPool,
}

impl Case {
    /// Every case, in the order the report lists them: the floor first, the naive way last.
    pub const ALL: [Case; 7] = [
        Case::Held,
        Case::Lesson4,
        Case::R2d2Lesson5,
        Case::R2d2Tuned,
        Case::R2d2Defaults,
        Case::MysqlPool,
        Case::PerCall,
    ];

    /// The name shown in the table and the bar chart.
    pub fn label(self) -> &'static str {
        match self {
            Case::PerCall => "connection per call",
            Case::Held => "held connection",
            Case::Lesson4 => "lesson4 pool",
            Case::R2d2Lesson5 => "r2d2 (lesson5)",
            Case::R2d2Defaults => "r2d2 (defaults)",
            Case::R2d2Tuned => "r2d2 (tuned)",
            Case::MysqlPool => "mysql::Pool (defaults)",
        }
    }

    /// Whether this case is a pool (shares `pool_size` connections between the threads).
    pub fn is_pool(self) -> bool {
        !matches!(self, Case::PerCall | Case::Held)
    }

    /// What this case costs beyond the query itself: how many connections it uses, and what it
    /// sends to the server when a connection is taken and when it is given back. These are the
    /// settings that make the comparison honest, printed with every run.
    pub fn describe(self, pool_size: usize, max_threads: usize) -> CaseSettings {
        let pooled = |note: &str| {
            format!("as many as the threads, at most {pool_size}{note}; shared by all threads")
        };
        let idle_ping = |window: Duration| {
            format!(
                "ping only if the connection sat idle {} ms or more",
                window.as_millis()
            )
        };
        let (connections, on_checkout, on_return) = match self {
            Case::PerCall => (
                format!("none kept: every operation opens its own (up to {max_threads} at once)"),
                "TCP or socket connect + greeting + authentication + SELECT @@max_allowed_packet"
                    .to_string(),
                "COM_QUIT, close the socket".to_string(),
            ),
            Case::Held => (
                format!(
                    "one per thread ({max_threads} with {max_threads} threads), opened before measuring; no pool"
                ),
                "nothing".to_string(),
                "nothing".to_string(),
            ),
            Case::Lesson4 => (
                pooled(""),
                idle_ping(lesson4::DEFAULT_LIVENESS_WINDOW),
                "nothing (back into the queue)".to_string(),
            ),
            Case::R2d2Lesson5 => (
                pooled(""),
                idle_ping(lesson5_liveness_window()),
                "nothing (lesson5's MysqlManager: closed only if marked broken)".to_string(),
            ),
            Case::R2d2Defaults => (
                pooled(""),
                "ping (test_on_check_out = true, r2d2's default)".to_string(),
                "ping (r2d2_mysql's has_broken)".to_string(),
            ),
            Case::R2d2Tuned => (
                pooled(""),
                "nothing (test_on_check_out = false)".to_string(),
                "ping (r2d2_mysql's has_broken; no setting turns it off)".to_string(),
            ),
            Case::MysqlPool => (
                pooled(" (min = max)"),
                "ping (check_health = true, the default)".to_string(),
                "COM_RESET_CONNECTION (reset_connection = true; drops prepared statements too)"
                    .to_string(),
            ),
        };
        CaseSettings {
            case: self,
            label: self.label(),
            connections,
            on_checkout,
            on_return,
        }
    }
}

/// Lesson 5's pool lends a connection without a ping if it came back, cleanly, less than this long ago.
fn lesson5_liveness_window() -> Duration {
    lesson5::PoolSettings::default().liveness_window
}

/// What one case sends to the server around each query, and how many connections it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CaseSettings {
    pub case: Case,
    pub label: &'static str,
    pub connections: String,
    pub on_checkout: String,
    pub on_return: String,
}

/// The query each operation runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Workload {
    /// `SELECT 1`: nothing but the round trip, so the connection's own cost shows most.
    #[serde(rename = "select_1")]
    SelectOne,
    /// lesson2's `get_user_by_email`: a point select on the unique email index, as a prepared statement.
    #[serde(rename = "user_by_email")]
    UserByEmail,
}

impl Workload {
    /// Both workloads, in report order.
    pub const ALL: [Workload; 2] = [Workload::SelectOne, Workload::UserByEmail];

    /// The name shown in the report.
    pub fn label(self) -> &'static str {
        match self {
            Workload::SelectOne => "SELECT 1",
            Workload::UserByEmail => "user by email",
        }
    }
}

/// Everything a case needs to connect and to know what to ask.
#[derive(Clone)]
pub struct Target {
    /// Options for the throwaway database, with the chosen transport already applied.
    pub opts: Opts,
    /// The seeded users' emails; the point select looks one of them up.
    pub emails: Vec<String>,
    pub pool_size: usize,
    /// How long a checkout may wait before it fails (a deadline, never "forever").
    pub checkout_timeout: Duration,
}

/// A case made ready to run: its pool is open, if it has one.
pub enum Prepared {
    /// See [`Case::PerCall`].
    PerCall,
    /// See [`Case::Held`].
    Held,
    /// See [`Case::Lesson4`].
    Lesson4(lesson4::Pool),
    /// See [`Case::R2d2Lesson5`].
    Lesson5(lesson5::MysqlPool),
    /// See [`Case::R2d2Defaults`] and [`Case::R2d2Tuned`].
    R2d2(r2d2::Pool<MySqlConnectionManager>),
    /// See [`Case::MysqlPool`].
    MysqlPool(mysql::Pool),
}

impl Prepared {
    /// Opens the case's pool (with `target.pool_size` connections) and fills it, so that opening
    /// connections is not part of the measurement.
    pub fn new(case: Case, target: &Target) -> anyhow::Result<Prepared> {
        let size = target.pool_size;
        // r2d2's `max_size(0)` panics, and it counts in u32: refuse such a size as an error.
        let r2d2_size = u32::try_from(size)
            .ok()
            .filter(|&n| n > 0)
            .ok_or_else(|| anyhow!("a pool of {size} connections is not possible"))?;
        let opts = || OptsBuilder::from_opts(target.opts.clone());
        // r2d2 waits 30 s by default for a connection; a benchmark should fail sooner.
        fn r2d2<M: r2d2::ManageConnection>(size: u32, target: &Target) -> r2d2::Builder<M> {
            let builder = r2d2::Pool::builder().max_size(size);
            builder.connection_timeout(target.checkout_timeout)
        }
        let prepared = match case {
            Case::PerCall => Prepared::PerCall,
            Case::Held => Prepared::Held,
            Case::Lesson4 => Prepared::Lesson4(lesson4::Pool::new(target.opts.clone(), size)?),
            // As lesson 9's server builds it: test_on_check_out stays on, the manager decides.
            Case::R2d2Lesson5 => {
                let manager = lesson5::MysqlManager::new(opts(), lesson5_liveness_window());
                Prepared::Lesson5(r2d2(r2d2_size, target).build(manager)?)
            }
            Case::R2d2Defaults | Case::R2d2Tuned => {
                let builder = r2d2(r2d2_size, target).test_on_check_out(case == Case::R2d2Defaults);
                Prepared::R2d2(builder.build(MySqlConnectionManager::new(opts()))?)
            }
            Case::MysqlPool => {
                let constraints = PoolConstraints::new(size, size)
                    .ok_or_else(|| anyhow!("a pool of {size} connections is not possible"))?;
                // Only the size differs from the defaults (min 10, max 100): reset_connection and
                // check_health keep their default `true`.
                let pool_opts = PoolOpts::default().with_constraints(constraints);
                Prepared::MysqlPool(mysql::Pool::new(opts().pool_opts(pool_opts))?)
            }
        };
        Ok(prepared)
    }

    /// A worker for one thread. For [`Case::Held`] this opens the thread's connection.
    pub fn worker<'a>(&'a self, target: &'a Target, seed: u64) -> anyhow::Result<Worker<'a>> {
        let how = match self {
            Prepared::PerCall => How::PerCall,
            Prepared::Held => How::Held(Conn::new(target.opts.clone())?),
            Prepared::Lesson4(pool) => How::Lesson4(pool),
            Prepared::Lesson5(pool) => How::Lesson5(pool),
            Prepared::R2d2(pool) => How::R2d2(pool),
            Prepared::MysqlPool(pool) => How::MysqlPool(pool),
        };
        Ok(Worker {
            how,
            target,
            rng: XorShift::new(seed),
        })
    }
}

enum How<'a> {
    PerCall,
    Held(Conn),
    Lesson4(&'a lesson4::Pool),
    Lesson5(&'a lesson5::MysqlPool),
    R2d2(&'a r2d2::Pool<MySqlConnectionManager>),
    MysqlPool(&'a mysql::Pool),
}

/// Runs operations for one thread.
pub struct Worker<'a> {
    how: How<'a>,
    target: &'a Target,
    rng: XorShift,
}

impl Worker<'_> {
    /// One operation: get a connection, run the workload's query, check the answer, give it back.
    pub fn op(&mut self, workload: Workload) -> anyhow::Result<()> {
        let email = match workload {
            Workload::SelectOne => None,
            Workload::UserByEmail => {
                let emails = &self.target.emails;
                Some(emails[self.rng.below(emails.len())].as_str())
            }
        };
        let timeout = self.target.checkout_timeout;
        match &mut self.how {
            How::PerCall => per_call(&self.target.opts, email),
            How::Held(conn) => query(conn, email),
            How::Lesson4(pool) => {
                // Queries run on the guard itself, not on `&mut *conn`: lesson4 watches their
                // errors and so may skip the ping next time (a bare `&mut Conn` costs a ping).
                let mut conn = pool.get_timeout(timeout)?;
                query(&mut conn, email)
            }
            How::Lesson5(pool) => {
                let mut conn = pool.get_timeout(timeout)?;
                let result = query(&mut **conn, email);
                if result.is_err() {
                    // Lesson 5's contract: a connection whose use failed is closed, not lent again.
                    conn.mark_broken();
                }
                result
            }
            How::R2d2(pool) => query(&mut *pool.get_timeout(timeout)?, email),
            How::MysqlPool(pool) => query(&mut pool.try_get_conn(timeout)?, email),
        }
    }
}

/// Lesson 3's way: a new connection for this one query, closed when it is dropped.
fn per_call(opts: &Opts, email: Option<&str>) -> anyhow::Result<()> {
    match email {
        None => select_one(&mut Conn::new(opts.clone())?),
        Some(email) => {
            let user = lesson3::get_user_by_email(opts, email)
                .context("lesson3's get_user_by_email failed")?;
            check_user(user.map(|u| u.email), email)
        }
    }
}

fn query(conn: &mut impl Queryable, email: Option<&str>) -> anyhow::Result<()> {
    match email {
        None => select_one(conn),
        Some(email) => {
            let user = lesson2::get_user_by_email(conn, email)
                .context("lesson2's get_user_by_email failed")?;
            check_user(user.map(|u| u.email), email)
        }
    }
}

fn select_one(conn: &mut impl Queryable) -> anyhow::Result<()> {
    let one: Option<i64> = conn.query_first("SELECT 1")?;
    ensure!(one == Some(1), "wrong answer: SELECT 1 returned {one:?}");
    Ok(())
}

fn check_user(found: Option<String>, email: &str) -> anyhow::Result<()> {
    match found {
        Some(found) if found == email => Ok(()),
        other => bail!("wrong answer: looked up {email}, found {other:?}"),
    }
}

/// A tiny deterministic random number generator (xorshift64*), so that each thread looks up
/// users in its own unpredictable order without a crate for it.
#[derive(Debug, Clone)]
pub struct XorShift(u64);

impl XorShift {
    /// A generator for `seed` (any value; 0 is replaced).
    pub fn new(seed: u64) -> XorShift {
        XorShift(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// The next number.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_generator_stays_below_its_bound_and_reaches_every_value() {
        let mut rng = XorShift::new(7);
        let mut seen = [0usize; 10];
        for _ in 0..10_000 {
            seen[rng.below(10)] += 1;
        }
        assert!(seen.iter().all(|&count| count > 800), "{seen:?}");
    }

    #[test]
    fn a_pool_of_no_connections_is_an_error_not_a_panic() {
        let target = Target {
            opts: Opts::default(),
            emails: Vec::new(),
            pool_size: 0,
            checkout_timeout: Duration::from_secs(1),
        };
        for case in Case::ALL {
            let result = Prepared::new(case, &target);
            let err = result.err().map(|e| e.to_string());
            assert!(
                err.as_deref()
                    .is_some_and(|e| e.contains("a pool of 0 connections")),
                "{case:?}: a pool of 0 connections must be refused, got {err:?}"
            );
        }
    }

    #[test]
    fn every_case_has_a_distinct_key_and_label() {
        let keys: std::collections::HashSet<_> = Case::ALL
            .iter()
            .map(|c| serde_json::to_string(c).expect("a case is a string in JSON"))
            .collect();
        let labels: std::collections::HashSet<_> = Case::ALL.iter().map(|c| c.label()).collect();
        assert_eq!(
            (keys.len(), labels.len()),
            (Case::ALL.len(), Case::ALL.len())
        );
    }
}
