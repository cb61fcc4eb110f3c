//! How the measuring is done, so that the numbers can be trusted:
//!
//! - every pool is opened and filled before anything is timed;
//! - each measurement is split into rounds, and the rounds of all cases are interleaved (round 1
//!   of every case, then round 2 of every case, ... with the order of the cases rotated each
//!   round), so that a burst of background load (another build, a backup) hits all cases alike
//!   instead of ruining one;
//! - in each round every thread first does its warm-up operations (untimed), then all threads
//!   start together at a barrier;
//! - each operation's latency is the time between two readings of one clock, so the latencies of
//!   a thread add up exactly to its measured time;
//! - a round's throughput is its operations divided by its wall time (first thread's start to
//!   last thread's end); a case's throughput is the **median of its rounds' throughputs**, so a
//!   burst of load that spoils a round or two (on a shared machine, someone's build) does not
//!   decide the result. The latency percentiles are taken over all operations of all rounds.

use std::collections::HashMap;
use std::ops::ControlFlow;
use std::panic::{self, AssertUnwindSafe};
use std::sync::Barrier;
use std::thread;
use std::time::{Duration, Instant};

use crate::BenchError;
use crate::cases::{Case, Prepared, Target, Workload};
use crate::stats::{self, Summary};

/// What to measure and how much.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Measured operations per case, workload and thread count (summed over threads and rounds).
    pub ops: usize,
    /// The same for [`Case::PerCall`], which is an order of magnitude slower.
    pub per_call_ops: usize,
    /// Untimed operations per thread before each round (at most as many as it then measures).
    pub warmup: usize,
    /// Rounds each measurement is split into.
    pub rounds: usize,
    /// The thread counts, e.g. `[1, 8]`.
    pub threads: Vec<usize>,
    /// The cases, in report order.
    pub cases: Vec<Case>,
    /// The workloads, in report order.
    pub workloads: Vec<Workload>,
}

impl Plan {
    /// Operations each thread does in each round (at least one).
    pub fn ops_per_thread_per_round(&self, case: Case, threads: usize) -> usize {
        let ops = if case == Case::PerCall {
            self.per_call_ops
        } else {
            self.ops
        };
        ops.div_ceil(self.rounds.max(1) * threads.max(1)).max(1)
    }

    /// Untimed operations each thread does before each round: `warmup`, but never more than it
    /// then measures (with tiny `--ops`, or for a connection per call with many threads).
    pub fn warmup_per_thread_per_round(&self, case: Case, threads: usize) -> usize {
        self.warmup
            .min(self.ops_per_thread_per_round(case, threads))
    }

    /// The largest thread count (the one whose threads share each pool).
    pub fn max_threads(&self) -> usize {
        self.threads.iter().copied().max().unwrap_or(1)
    }

    /// How many rounds of measuring the whole plan runs (for the progress line).
    pub fn steps(&self) -> usize {
        self.rounds * self.workloads.len() * self.threads.len() * self.cases.len()
    }
}

/// The result of one case on one workload with one thread count.
#[derive(Debug, Clone, PartialEq)]
pub struct Measurement {
    /// The case.
    pub case: Case,
    /// The workload.
    pub workload: Workload,
    /// How many threads ran operations at the same time.
    pub threads: usize,
    /// Each round's operations and wall time, in the order they ran.
    pub rounds: Vec<(usize, Duration)>,
    /// The latency of each operation: median, p99 and more. `latency.count` is the number of operations.
    pub latency: Summary,
}

impl Measurement {
    /// Operations per second, all threads together: the median of the rounds' throughputs.
    pub fn ops_per_sec(&self) -> f64 {
        stats::median_f64(&self.round_ops_per_sec()).unwrap_or(0.0)
    }

    /// Each round's operations per second, in the order the rounds ran.
    pub fn round_ops_per_sec(&self) -> Vec<f64> {
        stats::rounds_ops_per_sec(&self.rounds)
    }

    /// Measured wall time, all rounds together.
    pub fn elapsed(&self) -> Duration {
        stats::rounds_elapsed(&self.rounds)
    }
}

/// Where the run is, for the progress line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// This step, from 1.
    pub step: usize,
    /// All steps.
    pub steps: usize,
    /// This round, from 1.
    pub round: usize,
    /// All rounds.
    pub rounds: usize,
    /// The case being measured.
    pub case: Case,
    /// Its workload.
    pub workload: Workload,
    /// Its thread count.
    pub threads: usize,
}

/// Opens every case's pool, then runs the plan. `progress` is called before each step; when it
/// returns `ControlFlow::Break` (Ctrl+C was pressed), the run stops there with
/// [`BenchError::Interrupted`], so the caller still drops its database on the way out.
/// The measurements come back in report order: workload, then thread count, then case.
pub fn run(
    plan: &Plan,
    target: &Target,
    progress: &mut dyn FnMut(&Progress) -> ControlFlow<()>,
) -> Result<Vec<Measurement>, BenchError> {
    // Each thread count gets its own pools, of as many connections as it has threads, at most
    // `target.pool_size`: one thread never uses more than one connection at a time, so it gets one,
    // like the held case. (A bigger FIFO pool would hand a lone thread a different, colder
    // connection each time, which measures the server's thread wake-ups rather than the pool.)
    // One list of prepared cases per entry of `plan.threads`, in the same order.
    let mut prepared_by_threads: Vec<Vec<(Case, Prepared)>> = Vec::new();
    for &threads in &plan.threads {
        let sized = Target {
            pool_size: target.pool_size.min(threads),
            ..target.clone()
        };
        let prepared = plan
            .cases
            .iter()
            .map(|&case| Ok((case, Prepared::new(case, &sized)?)))
            .collect::<Result<_, BenchError>>()?;
        prepared_by_threads.push(prepared);
    }

    // Per case, workload and thread count: what its rounds measured.
    let mut collected: HashMap<(Case, Workload, usize), Rounds> = HashMap::new();
    let mut step = 0;
    for round in 0..plan.rounds {
        for &workload in &plan.workloads {
            for (&threads, prepared) in plan.threads.iter().zip(&prepared_by_threads) {
                for i in 0..prepared.len() {
                    // Rotate the order each round, so no case always runs right after the same one.
                    let (case, ref pool) = prepared[(i + round) % prepared.len()];
                    step += 1;
                    let go_on = progress(&Progress {
                        step,
                        steps: plan.steps(),
                        round: round + 1,
                        rounds: plan.rounds,
                        case,
                        workload,
                        threads,
                    });
                    if go_on.is_break() {
                        return Err(BenchError::Interrupted);
                    }
                    let per_thread = plan.ops_per_thread_per_round(case, threads);
                    let warmup = plan.warmup_per_thread_per_round(case, threads);
                    let seed = (round as u64) << 32;
                    let round =
                        run_round(pool, target, workload, threads, per_thread, warmup, seed)?;
                    collected
                        .entry((case, workload, threads))
                        .or_default()
                        .add(round);
                }
            }
        }
    }

    let mut measurements = Vec::new();
    for &workload in &plan.workloads {
        for &threads in &plan.threads {
            for &case in &plan.cases {
                if let Some((latency, rounds)) = collected
                    .remove(&(case, workload, threads))
                    .and_then(Rounds::summary)
                {
                    measurements.push(Measurement {
                        case,
                        workload,
                        threads,
                        rounds,
                        latency,
                    });
                }
            }
        }
    }
    Ok(measurements)
}

/// What the rounds of one measured combination gathered: every latency, and each round's
/// (operations, wall time) in the order they ran.
#[derive(Debug, Default)]
pub(crate) struct Rounds {
    latencies: Vec<u64>,
    rounds: Vec<(usize, Duration)>,
}

impl Rounds {
    /// Adds one round, as [`measure_threads`] returns it.
    pub(crate) fn add(&mut self, (latencies, elapsed): (Vec<u64>, Duration)) {
        self.rounds.push((latencies.len(), elapsed));
        self.latencies.extend(latencies);
    }

    /// The latencies summed up, and the rounds; `None` when nothing was measured.
    pub(crate) fn summary(self) -> Option<(Summary, Vec<(usize, Duration)>)> {
        Some((Summary::from_nanos(self.latencies)?, self.rounds))
    }
}

/// What one thread measured: its latencies, and when it started and ended measuring.
pub(crate) type ThreadResult = Result<(Vec<u64>, Instant, Instant), BenchError>;

/// One round of one case: `threads` threads, each `warmup` untimed and `per_thread` timed operations.
/// Returns every latency in nanoseconds and the round's wall time.
pub fn run_round(
    prepared: &Prepared,
    target: &Target,
    workload: Workload,
    threads: usize,
    per_thread: usize,
    warmup: usize,
    seed: u64,
) -> Result<(Vec<u64>, Duration), BenchError> {
    measure_threads(
        threads,
        per_thread,
        warmup,
        |t| prepared.worker(target, seed + t as u64),
        |worker| worker.op(workload),
    )
}

/// `threads` threads, each making its worker with `worker(thread number)`, then doing `warmup`
/// untimed and `per_thread` timed operations with `op`; all start timing together at a barrier.
/// Returns every latency in nanoseconds and the round's wall time.
pub fn measure_threads<W>(
    threads: usize,
    per_thread: usize,
    warmup: usize,
    worker: impl Fn(usize) -> Result<W, BenchError> + Sync,
    op: impl Fn(&mut W) -> Result<(), BenchError> + Sync,
) -> Result<(Vec<u64>, Duration), BenchError> {
    let barrier = Barrier::new(threads);
    let results: Vec<ThreadResult> = thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (barrier, worker, op) = (&barrier, &worker, &op);
                scope.spawn(move || {
                    // Every thread reaches the barrier, also one whose set-up failed or panicked;
                    // else the others would wait there forever.
                    let ready = panic::catch_unwind(AssertUnwindSafe(|| {
                        let mut w = worker(t)?;
                        for _ in 0..warmup {
                            op(&mut w)?;
                        }
                        Ok::<_, BenchError>(w)
                    }))
                    .unwrap_or(Err(BenchError::ThreadPanicked));
                    barrier.wait();
                    let mut w = ready?;
                    let mut latencies = Vec::with_capacity(per_thread);
                    let start = Instant::now();
                    let mut before = start;
                    for _ in 0..per_thread {
                        op(&mut w)?;
                        let after = Instant::now();
                        latencies.push((after - before).as_nanos() as u64);
                        before = after;
                    }
                    Ok((latencies, start, before))
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|handle| handle.join().unwrap_or(Err(BenchError::ThreadPanicked)))
            .collect()
    });
    combine(results)
}

/// All threads' (or tasks') latencies together, and the wall time from the first start to the last end.
pub(crate) fn combine(results: Vec<ThreadResult>) -> Result<(Vec<u64>, Duration), BenchError> {
    let mut all = Vec::new();
    let mut first_start: Option<Instant> = None;
    let mut last_end: Option<Instant> = None;
    for result in results {
        let (latencies, start, end) = result?;
        all.extend(latencies);
        first_start = Some(first_start.map_or(start, |s| s.min(start)));
        last_end = Some(last_end.map_or(end, |e| e.max(end)));
    }
    let elapsed = match (first_start, last_end) {
        (Some(start), Some(end)) => end - start,
        _ => Duration::ZERO,
    };
    Ok((all, elapsed))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(ops: usize, per_call_ops: usize, rounds: usize) -> Plan {
        Plan {
            ops,
            per_call_ops,
            warmup: 0,
            rounds,
            threads: vec![1, 8],
            cases: Case::ALL.to_vec(),
            workloads: Workload::ALL.to_vec(),
        }
    }

    #[test]
    fn operations_are_split_over_rounds_and_threads_rounding_up() {
        let plan = plan(20_000, 2_000, 5);
        assert_eq!(plan.ops_per_thread_per_round(Case::Held, 1), 4_000);
        assert_eq!(plan.ops_per_thread_per_round(Case::Held, 8), 500);
        assert_eq!(plan.ops_per_thread_per_round(Case::PerCall, 8), 50);
        assert_eq!(plan.ops_per_thread_per_round(Case::Lesson4, 3), 1_334);
    }

    #[test]
    fn the_warm_up_is_never_longer_than_what_the_thread_then_measures() {
        let plan = Plan {
            warmup: 50,
            ..plan(20_000, 2_000, 9)
        };
        assert_eq!(plan.warmup_per_thread_per_round(Case::Held, 8), 50); // measures 278
        assert_eq!(plan.warmup_per_thread_per_round(Case::PerCall, 1), 50); // measures 223
        assert_eq!(plan.warmup_per_thread_per_round(Case::PerCall, 8), 28); // measures 28
    }

    #[test]
    fn every_thread_does_at_least_one_operation() {
        let plan = plan(3, 1, 5);
        assert_eq!(plan.ops_per_thread_per_round(Case::Lesson4, 8), 1);
        assert_eq!(plan.ops_per_thread_per_round(Case::PerCall, 1), 1);
    }

    #[test]
    fn steps_count_every_round_of_every_combination() {
        assert_eq!(plan(10, 10, 5).steps(), 5 * 2 * 2 * 6);
    }
}
