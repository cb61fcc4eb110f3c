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

use anyhow::{Context, anyhow};
use serde::Serialize;

use crate::cases::{Case, Prepared, Target, Workload};
use crate::stats::{Rates, Summary};

/// What to measure and how much.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    /// Measured operations per case, workload and thread count (summed over threads and rounds).
    pub ops: usize,
    /// The same for [`Case::PerCall`], which is an order of magnitude slower.
    pub per_call_ops: usize,
    /// Untimed operations per thread before each round (at most as many as it then measures).
    pub warmup: usize,
    pub rounds: usize,
    pub threads: Vec<usize>,
    pub cases: Vec<Case>,
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
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Measurement {
    pub workload: Workload,
    pub threads: usize,
    pub case: Case,
    /// The latency of each operation: median, p99 and more. `latency.count` is the number of operations.
    #[serde(flatten)]
    pub latency: Summary,
    /// The rounds' wall time and throughput.
    #[serde(flatten)]
    pub rates: Rates,
    /// Held ops/s ÷ this case's ops/s, same workload and threads (set by [`crate::report::Report::new`]).
    pub ratio_to_held: Option<f64>,
}

impl Measurement {
    /// Operations per second, all threads together: the median of the rounds' throughputs.
    pub fn ops_per_sec(&self) -> f64 {
        self.rates.ops_per_sec
    }
}

/// Where the run is, for the progress line: step and round from 1, and what is measured (here
/// workload, threads and case; for lesson 9's server endpoint, clients and way).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress<K = (Workload, usize, Case)> {
    pub step: usize,
    pub steps: usize,
    pub round: usize,
    pub rounds: usize,
    pub key: K,
}

/// Opens every case's pool, then runs the plan. `progress` is called before each step; when it
/// returns `ControlFlow::Break` (Ctrl+C was pressed), the run stops there with an error (see
/// [`interrupted`]), so the caller still drops its database on the way out.
/// The measurements come back in report order: workload, then thread count, then case.
pub fn run(
    plan: &Plan,
    target: &Target,
    progress: &mut dyn FnMut(&Progress) -> ControlFlow<()>,
) -> anyhow::Result<Vec<Measurement>> {
    // Each thread count gets its own pools, of as many connections as it has threads, at most
    // `target.pool_size`: one thread never uses more than one connection at a time, so it gets one,
    // like the held case. (A bigger FIFO pool would hand a lone thread a different, colder
    // connection each time, which measures the server's thread wake-ups rather than the pool.)
    let mut prepared = HashMap::new();
    for &threads in &plan.threads {
        let pool_size = target.pool_size.min(threads);
        let sized = Target {
            pool_size,
            ..target.clone()
        };
        for &case in &plan.cases {
            let pool = Prepared::new(case, &sized)
                .with_context(|| format!("could not open {}", case.label()))?;
            prepared.insert((case, threads), pool);
        }
    }

    let mut keys = Vec::new();
    for &workload in &plan.workloads {
        for &threads in &plan.threads {
            keys.extend(plan.cases.iter().map(|&case| (workload, threads, case)));
        }
    }
    let measured = interleave(
        &keys,
        plan.cases.len(),
        plan.rounds,
        progress,
        |round, key| {
            let (workload, threads, case) = key;
            let per_thread = plan.ops_per_thread_per_round(case, threads);
            let warmup = plan.warmup_per_thread_per_round(case, threads);
            let pool = &prepared[&(case, threads)];
            let seed = (round as u64) << 32;
            run_round(pool, target, workload, threads, per_thread, warmup, seed).with_context(
                || {
                    let (case, workload) = (case.label(), workload.label());
                    format!("{case}, {workload}, {threads} thread(s) failed")
                },
            )
        },
    )?;
    let measurements = measured
        .into_iter()
        .map(|((workload, threads, case), latency, rates)| Measurement {
            workload,
            threads,
            case,
            latency,
            rates,
            ratio_to_held: None,
        });
    Ok(measurements.collect())
}

/// Measures every key `rounds` times, interleaved: round 1 of every key, then round 2, ... and
/// within each group of `group` consecutive keys the order rotates by one place each round, so no
/// key always runs right after the same one. `progress` is called before each step and may stop
/// the run. The results come back in the order of `keys`.
pub(crate) fn interleave<K: Copy>(
    keys: &[K],
    group: usize,
    rounds: usize,
    progress: &mut dyn FnMut(&Progress<K>) -> ControlFlow<()>,
    mut measure: impl FnMut(usize, K) -> anyhow::Result<(Vec<u64>, Duration)>,
) -> anyhow::Result<Vec<(K, Summary, Rates)>> {
    // Per key: every latency, and each round's (operations, wall time) in the order they ran.
    let mut latencies = vec![Vec::new(); keys.len()];
    let mut walls = vec![Vec::new(); keys.len()];
    let (mut step, steps) = (0, rounds * keys.len());
    for round in 0..rounds {
        for start in (0..keys.len()).step_by(group.max(1)) {
            let n = group.max(1).min(keys.len() - start);
            for i in 0..n {
                let k = start + (i + round) % n;
                step += 1;
                let (round, key) = (round + 1, keys[k]);
                if progress(&Progress {
                    step,
                    steps,
                    round,
                    rounds,
                    key,
                })
                .is_break()
                {
                    return Err(interrupted());
                }
                let (measured, elapsed) = measure(round - 1, key)?;
                walls[k].push((measured.len(), elapsed));
                latencies[k].extend(measured);
            }
        }
    }
    let all = keys.iter().zip(latencies).zip(walls);
    Ok(all
        .filter_map(|((&key, latencies), walls)| {
            Some((
                key,
                Summary::from_nanos(latencies)?,
                Rates::from_rounds(&walls),
            ))
        })
        .collect())
}

/// The error of a run stopped by Ctrl+C (its message is what the user sees).
pub fn interrupted() -> anyhow::Error {
    anyhow!("interrupted (Ctrl+C) before the measuring finished: nothing to report")
}

/// What one thread measured: its latencies, and when it started and ended measuring.
pub(crate) type ThreadResult = anyhow::Result<(Vec<u64>, Instant, Instant)>;

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
) -> anyhow::Result<(Vec<u64>, Duration)> {
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
    worker: impl Fn(usize) -> anyhow::Result<W> + Sync,
    op: impl Fn(&mut W) -> anyhow::Result<()> + Sync,
) -> anyhow::Result<(Vec<u64>, Duration)> {
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
                        anyhow::Ok(w)
                    }))
                    .unwrap_or_else(|_| Err(panicked()));
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
            .map(|handle| handle.join().unwrap_or_else(|_| Err(panicked())))
            .collect()
    });
    combine(results)
}

pub(crate) fn panicked() -> anyhow::Error {
    anyhow!("a measuring thread panicked")
}

/// All threads' (or tasks') latencies together, and the wall time from the first start to the last end.
pub(crate) fn combine(results: Vec<ThreadResult>) -> anyhow::Result<(Vec<u64>, Duration)> {
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
        assert_eq!(plan(10, 10, 5).steps(), 5 * 2 * 2 * Case::ALL.len());
    }
}
