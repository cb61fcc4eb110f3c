//! The read case with a replica (lesson 10): what read-your-writes costs a read, against reading
//! everything from the primary. `cargo run -p bench --release -- --replica-reads` runs it alone.
//!
//! On one machine with 2 cores, the replica shares the CPUs with the primary and with this
//! program: moving reads to it cannot make anything faster here. What these figures show is the
//! *cost* of the routing (the round trips it adds to a read, and the wait for the replica to apply
//! a user's write), not the *scale* a replica on its own machine would add.
//!
//! One operation, timed as a whole, is one of:
//! - `primary only`: list a user's recent conversations on the primary (lesson 7's query);
//! - `replica, no write`: `route_read` (one round trip: the replica's state), then the list on the
//!   server it chose;
//! - `replica, own write applied`: the same for a user whose last write the replica already has
//!   (two round trips: the state and a wait that returns at once);
//! - `write + read, primary only`: save an exchange (lesson 8), then list on the primary;
//! - `write + read, replica`: save an exchange, take its GTID from the COMMIT's reply, `route_read`
//!   with a 1 s wait (this includes the replication lag), then list on the server it chose;
//! - `write, GTID from its reply` and `write, GTID asked`: save an exchange and take its GTID, from
//!   the OK packet (session tracking) or with one more statement (`SELECT @@last_gtid` on MariaDB,
//!   `@@GLOBAL.gtid_executed` on MySQL), on two connections to the primary.

use std::time::{Duration, Instant};

use anyhow::Context;
use lesson10::gtid::{self, Flavor};
use lesson10::{Gtid, LastWrites, ReplicaLink, Route, route_read};
use mysql::Conn;
use serde::Serialize;
use shared::testing::ReplicaTestDb;

use crate::report::micros;
use crate::stats::Summary;

/// How long a read may wait for the replica to apply the user's write.
pub const MAX_WAIT: Duration = Duration::from_secs(1);
/// How many of a user's messages a read lists, as lesson 9's page does.
const LIMIT: u32 = 20;

/// One way of serving a read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadCase {
    PrimaryOnly,
    ReplicaNoWrite,
    ReplicaOwnWriteApplied,
    WriteReadPrimary,
    WriteReadReplica,
    WriteGtidTracked,
    WriteGtidAsked,
}

impl ReadCase {
    /// Every case, in the order the table lists them.
    pub const ALL: [ReadCase; 7] = [
        ReadCase::PrimaryOnly,
        ReadCase::ReplicaNoWrite,
        ReadCase::ReplicaOwnWriteApplied,
        ReadCase::WriteReadPrimary,
        ReadCase::WriteReadReplica,
        ReadCase::WriteGtidTracked,
        ReadCase::WriteGtidAsked,
    ];

    /// The name shown in the table.
    pub fn label(self) -> &'static str {
        match self {
            ReadCase::PrimaryOnly => "read, primary only",
            ReadCase::ReplicaNoWrite => "read, replica (no write)",
            ReadCase::ReplicaOwnWriteApplied => "read, replica (own write applied)",
            ReadCase::WriteReadPrimary => "write + read, primary only",
            ReadCase::WriteReadReplica => "write + read, replica + read-your-writes",
            ReadCase::WriteGtidTracked => "write, GTID from its reply",
            ReadCase::WriteGtidAsked => "write, GTID asked (one more statement)",
        }
    }

    /// Round trips per operation besides the read and the write themselves: the routing's
    /// questions to the replica, or the GTID's own statement.
    pub fn extra_round_trips(self) -> u32 {
        match self {
            ReadCase::PrimaryOnly | ReadCase::WriteReadPrimary | ReadCase::WriteGtidTracked => 0,
            ReadCase::ReplicaNoWrite | ReadCase::WriteGtidAsked => 1,
            ReadCase::ReplicaOwnWriteApplied | ReadCase::WriteReadReplica => 2,
        }
    }
}

/// One case's figures.
#[derive(Debug, Clone, Serialize)]
pub struct ReadMeasurement {
    pub case: ReadCase,
    pub summary: Summary,
    /// How many reads the router sent to the primary (the replica was behind beyond the wait).
    pub served_by_primary: usize,
}

/// The connections and users one run works with.
struct Rig {
    primary: Conn,
    /// A connection to the primary without session tracking: its GTIDs must be asked for.
    untracked: Conn,
    flavor: Flavor,
    replica: Conn,
    link: ReplicaLink,
    last_writes: LastWrites,
    users: Vec<u64>,
}

impl Rig {
    fn list(&mut self, route: Route, user_id: u64) -> anyhow::Result<usize> {
        let conn = match route {
            Route::Replica => &mut self.replica,
            Route::Primary(_) => &mut self.primary,
        };
        Ok(lesson7::get_recent_conversations(conn, user_id, LIMIT)?.len())
    }

    fn write(&mut self, user_id: u64, n: usize) -> anyhow::Result<Gtid> {
        lesson8::save_exchange(
            &mut self.primary,
            user_id,
            &format!("question {n}"),
            "an answer",
        )?;
        let gtid = gtid::last_write(&mut self.primary, self.flavor)?
            .context("the primary numbers no transaction: is its binary log on?")?;
        self.last_writes.note(user_id, gtid.clone());
        Ok(gtid)
    }

    /// One timed operation of `case` for the `n`-th user; whether the primary served the read.
    fn operation(&mut self, case: ReadCase, n: usize) -> anyhow::Result<(Duration, bool)> {
        let user_id = self.users[n % self.users.len()];
        let started = Instant::now();
        let route = match case {
            ReadCase::PrimaryOnly => Route::Primary(lesson10::Fallback::TooFarBehind),
            ReadCase::ReplicaNoWrite => route_read(&mut self.link, None, MAX_WAIT),
            ReadCase::ReplicaOwnWriteApplied => {
                let last = self.last_writes.get(user_id);
                route_read(&mut self.link, last.as_ref(), MAX_WAIT)
            }
            ReadCase::WriteReadPrimary => {
                self.write(user_id, n)?;
                Route::Primary(lesson10::Fallback::TooFarBehind)
            }
            ReadCase::WriteReadReplica => {
                let gtid = self.write(user_id, n)?;
                route_read(&mut self.link, Some(&gtid), MAX_WAIT)
            }
            ReadCase::WriteGtidTracked | ReadCase::WriteGtidAsked => {
                let conn = match case {
                    ReadCase::WriteGtidTracked => &mut self.primary,
                    _ => &mut self.untracked,
                };
                lesson8::save_exchange(conn, user_id, &format!("question {n}"), "an answer")?;
                gtid::last_write(conn, self.flavor)?.context("no GTID for the write")?;
                return Ok((started.elapsed(), false));
            }
        };
        self.list(route, user_id)?;
        let elapsed = started.elapsed();
        let by_primary = matches!(route, Route::Primary(_))
            && !matches!(case, ReadCase::PrimaryOnly | ReadCase::WriteReadPrimary);
        Ok((elapsed, by_primary))
    }
}

/// Runs every case `ops` times on `users` users with one exchange each, in `rounds` interleaved
/// rounds (each case's share of a round runs back to back, the order rotating by round), after
/// `warmup` untimed operations per case.
pub fn run(
    db: &ReplicaTestDb,
    ops: usize,
    users: usize,
    rounds: usize,
    warmup: usize,
) -> anyhow::Result<Vec<ReadMeasurement>> {
    let (mut primary, flavor) = gtid::prepare_primary(db.primary_config().opts_builder())?;
    let mut ids = Vec::with_capacity(users);
    for i in 0..users.max(1) {
        let id = shared::testing::insert_user(
            &mut primary,
            &format!("reader{i}"),
            &format!("reader{i}@example.com"),
        )?;
        lesson8::save_exchange(&mut primary, id, "seeded question", "seeded answer")?;
        ids.push(id);
    }
    db.wait_replicated();
    let mut rig = Rig {
        primary,
        untracked: Conn::new(db.primary_config().opts())?,
        flavor,
        replica: Conn::new(db.replica_config().opts())?,
        link: ReplicaLink::new(db.replica_config().opts()),
        last_writes: LastWrites::new(),
        users: ids,
    };
    // Every user has a last write the replica has applied, for the "own write applied" case.
    for n in 0..rig.users.len() {
        let user_id = rig.users[n];
        rig.write(user_id, n)?;
    }
    db.wait_replicated();

    let rounds = rounds.clamp(1, ops.max(1));
    let mut nanos: Vec<Vec<u64>> = vec![Vec::with_capacity(ops); ReadCase::ALL.len()];
    let mut by_primary = vec![0; ReadCase::ALL.len()];
    for case in ReadCase::ALL {
        for n in 0..warmup {
            rig.operation(case, n)?;
        }
    }
    db.wait_replicated();
    let mut done = 0;
    for round in 0..rounds {
        let share = (ops - done) / (rounds - round);
        for k in 0..ReadCase::ALL.len() {
            let index = (k + round) % ReadCase::ALL.len();
            let case = ReadCase::ALL[index];
            for n in done..done + share {
                let (elapsed, primary) = rig.operation(case, n)?;
                nanos[index].push(u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX));
                by_primary[index] += usize::from(primary);
            }
            // The writes of this share are applied before a case that reads the replica, so each
            // case starts from a replica that has caught up.
            db.wait_replicated();
        }
        done += share;
    }
    ReadCase::ALL
        .iter()
        .zip(nanos)
        .zip(by_primary)
        .map(|((&case, nanos), served_by_primary)| {
            let summary = Summary::from_nanos(nanos).context("no operation measured")?;
            Ok(ReadMeasurement {
                case,
                summary,
                served_by_primary,
            })
        })
        .collect()
}

/// The table: median and p99 per case, the round trips routing or the GTID add, the reads sent to
/// the primary.
pub fn render(flavor: &str, measurements: &[ReadMeasurement]) -> String {
    let mut out = format!(
        "Reads with a replica ({flavor}; one thread; 2 cores shared by primary, replica and this \
         program: the figures are the routing's cost, not a replica's added capacity)\n\n"
    );
    out.push_str(&format!(
        "{:<42} {:>6} {:>12} {:>12} {:>12} {:>16}\n",
        "case", "ops", "median", "p99", "extra RTs", "sent to primary"
    ));
    for m in measurements {
        out.push_str(&format!(
            "{:<42} {:>6} {:>12} {:>12} {:>12} {:>16}\n",
            m.case.label(),
            m.summary.count,
            micros(m.summary.median),
            micros(m.summary.p99),
            m.case.extra_round_trips(),
            m.served_by_primary
        ));
    }
    out
}
