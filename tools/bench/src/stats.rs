//! Latency statistics: the median and the 99th percentile of the measured operations.
//!
//! Percentiles use the **nearest-rank** method, with no interpolation: the p-th percentile of
//! `n` sorted values is the value at rank `ceil(p / 100 * n)` (ranks start at 1). Every reported
//! figure is therefore a latency that one operation really had. For an even count the median
//! is the lower of the two middle values (rank `n / 2`), not their average.

use std::time::Duration;

use serde::{Serialize, Serializer};

/// The summary of one case's latencies, in nanoseconds (in JSON: `ops` and microseconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Summary {
    /// How many operations were measured.
    #[serde(rename = "ops")]
    pub count: usize,
    /// The fastest operation.
    #[serde(rename = "min_us", serialize_with = "micros")]
    pub min: u64,
    /// The median (nearest-rank p50).
    #[serde(rename = "median_us", serialize_with = "micros")]
    pub median: u64,
    /// The 99th percentile (nearest-rank p99): 99 % of operations took at most this long.
    #[serde(rename = "p99_us", serialize_with = "micros")]
    pub p99: u64,
    /// The slowest operation.
    #[serde(rename = "max_us", serialize_with = "micros")]
    pub max: u64,
    /// The arithmetic mean, rounded down.
    #[serde(rename = "mean_us", serialize_with = "micros")]
    pub mean: u64,
}

fn micros<S: Serializer>(nanos: &u64, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_f64(*nanos as f64 / 1000.0)
}

impl Summary {
    /// Summarises latencies given in nanoseconds, in any order. `None` when there are none.
    pub fn from_nanos(mut nanos: Vec<u64>) -> Option<Summary> {
        if nanos.is_empty() {
            return None;
        }
        nanos.sort_unstable();
        let total: u128 = nanos.iter().map(|&n| u128::from(n)).sum();
        Some(Summary {
            count: nanos.len(),
            min: nanos[0],
            median: percentile_of_sorted(&nanos, 50.0)?,
            p99: percentile_of_sorted(&nanos, 99.0)?,
            max: nanos[nanos.len() - 1],
            mean: (total / nanos.len() as u128) as u64,
        })
    }
}

/// The nearest-rank `p`-th percentile (0 < p <= 100) of values sorted in ascending order.
///
/// `None` for an empty slice or a `p` outside (0, 100]. The slice must be sorted; this is not checked.
pub fn percentile_of_sorted<T: Copy>(sorted: &[T], p: f64) -> Option<T> {
    if sorted.is_empty() || !(p > 0.0 && p <= 100.0) {
        return None;
    }
    let n = sorted.len();
    // Integer arithmetic on hundredths of a percent avoids 0.99 * 100 = 98.99999... surprises.
    let hundredths = (p * 100.0).round() as u128;
    let rank = (hundredths * n as u128).div_ceil(100 * 100) as usize;
    Some(sorted[rank.clamp(1, n) - 1])
}

/// The nearest-rank median of floating-point values in any order (the lower middle value for an
/// even count); `None` when there are none. NaNs sort last.
pub fn median_f64(values: &[f64]) -> Option<f64> {
    let mut sorted = values.to_vec();
    sorted.sort_unstable_by(f64::total_cmp);
    percentile_of_sorted(&sorted, 50.0)
}

/// Operations per second: `ops` done in `elapsed` wall-clock time (0 when no time passed).
pub fn ops_per_sec(ops: usize, elapsed: Duration) -> f64 {
    let secs = elapsed.as_secs_f64();
    if secs > 0.0 { ops as f64 / secs } else { 0.0 }
}

/// What the rounds of one measurement add up to: its wall time and its throughput, which is the
/// **median of the rounds' throughputs** (so a burst of load that spoils a round or two does not
/// decide it).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rates {
    pub elapsed_s: f64,
    /// Operations per second, all threads together: the median round's.
    pub ops_per_sec: f64,
    pub ops_per_sec_by_round: Vec<f64>,
}

impl Rates {
    /// The rates of rounds given as `(operations, wall time)`.
    pub fn from_rounds(rounds: &[(usize, Duration)]) -> Rates {
        let by_round: Vec<f64> = rounds.iter().map(|&(n, t)| ops_per_sec(n, t)).collect();
        Rates {
            elapsed_s: rounds
                .iter()
                .map(|&(_, t)| t)
                .sum::<Duration>()
                .as_secs_f64(),
            ops_per_sec: median_f64(&by_round).unwrap_or(0.0),
            ops_per_sec_by_round: by_round,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn median(values: &[u64]) -> Option<u64> {
        let mut sorted = values.to_vec();
        sorted.sort_unstable();
        percentile_of_sorted(&sorted, 50.0)
    }

    fn p99(values: &[u64]) -> Option<u64> {
        let mut sorted = values.to_vec();
        sorted.sort_unstable();
        percentile_of_sorted(&sorted, 99.0)
    }

    #[test]
    fn the_median_of_an_odd_count_is_the_middle_value_whatever_the_order() {
        assert_eq!(median(&[9, 1, 5]), Some(5));
        assert_eq!(median(&[30, 10, 20, 50, 40]), Some(30));
    }

    #[test]
    fn the_median_of_an_even_count_is_the_lower_middle_value_not_the_average() {
        assert_eq!(median(&[4, 1, 3, 2]), Some(2));
        assert_eq!(median(&[10, 1000]), Some(10));
    }

    #[test]
    fn p99_of_one_to_a_hundred_is_99_and_of_one_to_a_thousand_is_990() {
        let hundred: Vec<u64> = (1..=100).rev().collect();
        assert_eq!(p99(&hundred), Some(99));
        let thousand: Vec<u64> = (1..=1000).collect();
        assert_eq!(p99(&thousand), Some(990));
    }

    #[test]
    fn p99_of_fewer_than_a_hundred_values_is_the_maximum() {
        // rank = ceil(0.99 * 50) = 50: one slow operation in fifty shows up as the p99.
        let mut values = vec![10; 49];
        values.push(5_000);
        assert_eq!(p99(&values), Some(5_000));
        assert_eq!(median(&values), Some(10));
    }

    #[test]
    fn p99_ignores_the_slowest_one_percent() {
        // 1000 values: the 10 slowest (rank 991..=1000) lie beyond the p99.
        let mut values = vec![7u64; 990];
        values.extend([1_000_000; 10]);
        assert_eq!(p99(&values), Some(7));
        values.push(1_000_000); // now 1001 values: rank ceil(990.99) = 991 is a slow one
        assert_eq!(p99(&values), Some(1_000_000));
    }

    #[test]
    fn a_single_value_is_its_own_median_and_p99() {
        assert_eq!(median(&[42]), Some(42));
        assert_eq!(p99(&[42]), Some(42));
    }

    #[test]
    fn no_values_have_no_percentiles_and_no_summary() {
        assert_eq!(median(&[]), None);
        assert_eq!(p99(&[]), None);
        assert_eq!(Summary::from_nanos(Vec::new()), None);
    }

    #[test]
    fn percentiles_outside_0_to_100_are_refused() {
        assert_eq!(percentile_of_sorted(&[1, 2, 3], 0.0), None);
        assert_eq!(percentile_of_sorted(&[1, 2, 3], 100.5), None);
        assert_eq!(percentile_of_sorted(&[1, 2, 3], f64::NAN), None);
        assert_eq!(percentile_of_sorted(&[1, 2, 3], 100.0), Some(3));
    }

    #[test]
    fn a_summary_sorts_its_input_and_reports_every_figure() {
        let summary = Summary::from_nanos(vec![500, 100, 400, 200, 300]).unwrap();
        assert_eq!(
            summary,
            Summary {
                count: 5,
                min: 100,
                median: 300,
                p99: 500,
                max: 500,
                mean: 300,
            }
        );
    }

    #[test]
    fn the_median_of_rates_takes_the_middle_one_so_one_bad_round_does_not_move_it() {
        assert_eq!(median_f64(&[20_000.0, 4_000.0, 21_000.0]), Some(20_000.0));
        assert_eq!(median_f64(&[3.0, 1.0, 4.0, 2.0]), Some(2.0));
        assert_eq!(median_f64(&[]), None);
    }

    #[test]
    fn the_rates_of_rounds_are_their_median_throughput_and_their_total_time() {
        let rates = Rates::from_rounds(&[
            (100, Duration::from_millis(10)),
            (100, Duration::from_millis(50)),
            (100, Duration::from_millis(20)),
        ]);
        assert_eq!(rates.ops_per_sec_by_round, vec![10_000.0, 2_000.0, 5_000.0]);
        assert_eq!(rates.ops_per_sec, 5_000.0, "the middle round, not the mean");
        assert!((rates.elapsed_s - 0.08).abs() < 1e-9, "{rates:?}");
    }

    #[test]
    fn ops_per_sec_divides_by_wall_time() {
        assert_eq!(ops_per_sec(500, Duration::from_millis(250)), 2000.0);
        assert_eq!(ops_per_sec(10, Duration::ZERO), 0.0);
    }
}
