//! What the benchmark prints: the settings that make the comparison honest, the table, a bar
//! chart that reads on a projector, the issue's targets checked, and the same figures as JSON.
//!
//! "× held" is the time an operation takes relative to the held connection with the same
//! workload and thread count, from throughput: `held ops/s ÷ case ops/s`. It counts every
//! operation (also the occasional slow one that a median hides); 1.00x is the floor.

use std::fmt::Write as _;
use std::time::Duration;

use crate::cases::{Case, Workload};
use crate::run::{Measurement, Plan};
use crate::setup::Transport;

/// Everything about a run except its results: printed before measuring starts.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `VERSION()` of the server.
    pub server_version: String,
    /// `DB_HOST:DB_PORT`.
    pub address: String,
    /// The throwaway database.
    pub database: String,
    /// Users seeded for the point select.
    pub users: usize,
    /// The transport every case used.
    pub transport: Transport,
    /// The client as the server saw it.
    pub server_sees: String,
    /// `"release"` or `"debug"`.
    pub build: &'static str,
    /// CPU cores this process may use (the server shares them when it runs on this machine).
    pub cores: usize,
    /// What was measured, and how much.
    pub plan: Plan,
    /// Connections per pool.
    pub pool_size: usize,
    /// Every pool's checkout deadline.
    pub checkout_timeout: Duration,
}

/// A finished run.
#[derive(Debug, Clone)]
pub struct Report {
    /// How it was measured.
    pub settings: Settings,
    /// What was measured, in report order.
    pub measurements: Vec<Measurement>,
    /// Wall time of the whole measuring (pools' set-up included).
    pub total: Duration,
}

/// One of the issue's targets, checked against this run.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetCheck {
    /// What the target demands.
    pub target: String,
    /// `Some(true)` met, `Some(false)` missed, `None` not measured in this run.
    pub met: Option<bool>,
    /// The numbers behind the verdict.
    pub detail: String,
}

/// The most a pool may cost over a held connection on `SELECT 1` with one thread (lesson4's target).
pub const LESSON4_MAX_RATIO: f64 = 1.15;
/// How many times slower than every pool a connection per call must be (the lecture's claim).
pub const PER_CALL_MIN_FACTOR: f64 = 10.0;

impl Report {
    /// The measurement of `case` for this workload and thread count, if it was measured.
    pub fn find(&self, case: Case, workload: Workload, threads: usize) -> Option<&Measurement> {
        self.measurements
            .iter()
            .find(|m| m.case == case && m.workload == workload && m.threads == threads)
    }

    /// `held ops/s ÷ this case's ops/s` for the same workload and threads (see the module docs).
    pub fn ratio_to_held(&self, m: &Measurement) -> Option<f64> {
        let held = self.find(Case::Held, m.workload, m.threads)?;
        let ops = m.ops_per_sec();
        (ops > 0.0).then(|| held.ops_per_sec() / ops)
    }

    /// The issue's three targets (the second and third once per workload, or per workload and
    /// thread count), each met, missed or not measured.
    pub fn targets(&self) -> Vec<TargetCheck> {
        let mut checks = Vec::new();
        let many = self.settings.plan.max_threads();

        let target = format!(
            "lesson4 pool, 1 thread, SELECT 1: within {LESSON4_MAX_RATIO:.2}x of the held connection"
        );
        checks.push(
            match (
                self.find(Case::Lesson4, Workload::SelectOne, 1),
                self.find(Case::Held, Workload::SelectOne, 1),
            ) {
                (Some(pool), Some(held)) => {
                    let ratio = held.ops_per_sec() / pool.ops_per_sec();
                    TargetCheck {
                        target,
                        met: Some(ratio <= LESSON4_MAX_RATIO),
                        detail: format!(
                            "{ratio:.2}x ({} vs {} ops/s; medians {} vs {})",
                            thousands(pool.ops_per_sec()),
                            thousands(held.ops_per_sec()),
                            micros(pool.latency.median),
                            micros(held.latency.median),
                        ),
                    }
                }
                _ => not_measured(target),
            },
        );

        for &workload in &self.settings.plan.workloads {
            let target = format!(
                "lesson4 pool, {}, {}: at least r2d2 (defaults)'s throughput",
                thread_count(many),
                workload.label()
            );
            checks.push(
                match (
                    self.find(Case::Lesson4, workload, many),
                    self.find(Case::R2d2Defaults, workload, many),
                ) {
                    (Some(pool), Some(r2d2)) if many > 1 => TargetCheck {
                        target,
                        met: Some(pool.ops_per_sec() >= r2d2.ops_per_sec()),
                        detail: format!(
                            "{} vs {} ops/s ({:.2}x)",
                            thousands(pool.ops_per_sec()),
                            thousands(r2d2.ops_per_sec()),
                            pool.ops_per_sec() / r2d2.ops_per_sec()
                        ),
                    },
                    _ => not_measured(target),
                },
            );
        }

        for &workload in &self.settings.plan.workloads {
            for &threads in &self.settings.plan.threads {
                let target = format!(
                    "connection per call, {}, {}: at least {PER_CALL_MIN_FACTOR:.0}x slower than any pool",
                    workload.label(),
                    thread_count(threads)
                );
                let per_call = self.find(Case::PerCall, workload, threads);
                let pools: Vec<&Measurement> = self
                    .measurements
                    .iter()
                    .filter(|m| m.case.is_pool() && m.workload == workload && m.threads == threads)
                    .collect();
                checks.push(match per_call {
                    Some(per_call) if !pools.is_empty() => {
                        let factor =
                            |pool: &Measurement| pool.ops_per_sec() / per_call.ops_per_sec();
                        let slowest = pools
                            .iter()
                            .map(|pool| factor(pool))
                            .fold(f64::INFINITY, f64::min);
                        let each: Vec<String> = pools
                            .iter()
                            .map(|pool| format!("{} {:.1}x", pool.case.label(), factor(pool)))
                            .collect();
                        TargetCheck {
                            target,
                            met: Some(slowest >= PER_CALL_MIN_FACTOR),
                            detail: format!(
                                "{slowest:.1}x at the least ({} ops/s; slower than {})",
                                thousands(per_call.ops_per_sec()),
                                each.join(", ")
                            ),
                        }
                    }
                    _ => not_measured(target),
                });
            }
        }
        checks
    }
}

fn not_measured(target: String) -> TargetCheck {
    TargetCheck {
        target,
        met: None,
        detail: "not measured in this run".into(),
    }
}

/// The settings block, printed before measuring.
pub fn render_settings(settings: &Settings) -> String {
    let plan = &settings.plan;
    let many = plan.max_threads();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "What a connection costs: {} cases x {} workloads x {} thread counts",
        plan.cases.len(),
        plan.workloads.len(),
        plan.threads.len()
    );
    let _ = writeln!(out);
    let mut line = |key: &str, value: String| {
        let _ = writeln!(out, "  {key:<12} {value}");
    };
    line(
        "server",
        format!("{} at {}", settings.server_version, settings.address),
    );
    line(
        "database",
        format!(
            "{} (throwaway, {} users seeded, dropped at the end)",
            settings.database, settings.users
        ),
    );
    line(
        "transport",
        format!(
            "{} for every case; the server sees the client as {} ({})",
            settings.transport,
            settings.server_sees,
            if settings.server_sees.contains(':') {
                "with a port: TCP"
            } else {
                "no port: a local socket"
            }
        ),
    );
    let warning = if settings.build == "debug" {
        "  <- numbers from a debug build are not fair: add --release"
    } else {
        ""
    };
    line(
        "build",
        format!(
            "{}; {} CPU cores, shared with the server when it runs on this machine{warning}",
            settings.build, settings.cores
        ),
    );
    line(
        "operations",
        format!(
            "{} per case, workload and thread count ({} for connection per call), in {} interleaved rounds",
            thousands(plan.ops as f64),
            thousands(plan.per_call_ops as f64),
            plan.rounds
        ),
    );
    line(
        "warm-up",
        format!(
            "{} untimed operations per thread before each round (fewer if it then measures fewer)",
            plan.warmup
        ),
    );
    line(
        "threads",
        match many {
            1 => "1".to_string(),
            n => format!(
                "1, and {n} threads sharing each pool of {} connections",
                settings.pool_size.min(n)
            ),
        },
    );
    line(
        "deadline",
        format!(
            "{:?} for a checkout from any pool (never wait forever)",
            settings.checkout_timeout
        ),
    );
    line(
        "figures",
        "median, p99: nearest-rank over all operations; ops/s: the median round".into(),
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "  What each case sends to the server besides the query:"
    );
    for &case in &plan.cases {
        let d = case.describe(settings.pool_size, many);
        let _ = writeln!(out, "  {:<23} connections: {}", case.label(), d.connections);
        let _ = writeln!(out, "  {:<23} checkout:    {}", "", d.on_checkout);
        let _ = writeln!(out, "  {:<23} return:      {}", "", d.on_return);
    }
    out
}

/// The results: one table, then the bar chart, then the targets.
pub fn render_results(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Results (x held = time per operation relative to the held connection, from ops/s)"
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "  {:<14} {:>7}  {:<23} {:>7} {:>11} {:>11} {:>9} {:>8}",
        "workload", "threads", "case", "ops", "median", "p99", "ops/s", "x held"
    );
    let mut previous: Option<(Workload, usize)> = None;
    for m in &report.measurements {
        if previous.is_some_and(|p| p != (m.workload, m.threads)) {
            let _ = writeln!(out);
        }
        previous = Some((m.workload, m.threads));
        let ratio = report
            .ratio_to_held(m)
            .map_or("-".to_string(), |r| format!("{r:.2}x"));
        let _ = writeln!(
            out,
            "  {:<14} {:>7}  {:<23} {:>7} {:>11} {:>11} {:>9} {:>8}",
            m.workload.label(),
            m.threads,
            m.case.label(),
            m.latency.count,
            micros(m.latency.median),
            micros(m.latency.p99),
            thousands(m.ops_per_sec()),
            ratio
        );
    }
    let _ = writeln!(out);
    out.push_str(&render_bars(report, 48));
    let _ = writeln!(out);
    let _ = writeln!(out, "Targets (issue 6)");
    for check in report.targets() {
        let verdict = match check.met {
            Some(true) => "met   ",
            Some(false) => "MISSED",
            None => "  -   ",
        };
        let _ = writeln!(out, "  [{verdict}] {}", check.target);
        let _ = writeln!(out, "           {}", check.detail);
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "Measured in {:.1} s.", report.total.as_secs_f64());
    out
}

/// Operations per second as horizontal bars, one block per workload and thread count, each
/// scaled to its fastest case (`width` characters).
pub fn render_bars(report: &Report, width: usize) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Operations per second (longer is better)");
    let plan = &report.settings.plan;
    for &workload in &plan.workloads {
        for &threads in &plan.threads {
            let group: Vec<&Measurement> = report
                .measurements
                .iter()
                .filter(|m| m.workload == workload && m.threads == threads)
                .collect();
            let max = group.iter().map(|m| m.ops_per_sec()).fold(0.0, f64::max);
            if group.is_empty() || max <= 0.0 {
                continue;
            }
            let _ = writeln!(out);
            let _ = writeln!(out, "  {}, {}", workload.label(), thread_count(threads));
            for m in group {
                let _ = writeln!(
                    out,
                    "  {:<23} {:<width$} {:>8}",
                    m.case.label(),
                    bar(m.ops_per_sec() / max, width),
                    thousands(m.ops_per_sec()),
                );
            }
        }
    }
    out
}

/// A bar of `fraction` (0..=1) of `width` characters, drawn in eighths of a character.
pub fn bar(fraction: f64, width: usize) -> String {
    const PARTS: [char; 8] = [' ', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];
    let eighths = (fraction.clamp(0.0, 1.0) * width as f64 * 8.0).round() as usize;
    let mut s = "█".repeat(eighths / 8);
    if !eighths.is_multiple_of(8) {
        s.push(PARTS[eighths % 8]);
    }
    if s.is_empty() {
        s.push('▏'); // even the slowest case gets a visible mark
    }
    s
}

/// The same figures as the table, the settings and the targets, as JSON.
pub fn render_json(report: &Report) -> String {
    let s = &report.settings;
    let plan = &s.plan;
    let many = plan.max_threads();
    let mut out = String::from("{\n  \"settings\": {\n");
    let threads: Vec<String> = plan.threads.iter().map(|t| t.to_string()).collect();
    let fields = [
        ("server_version", json_str(&s.server_version)),
        ("address", json_str(&s.address)),
        ("database", json_str(&s.database)),
        ("users_seeded", s.users.to_string()),
        ("transport", json_str(s.transport.key())),
        ("transport_detail", json_str(&s.transport.to_string())),
        ("server_sees_client_as", json_str(&s.server_sees)),
        ("build", json_str(s.build)),
        ("cpu_cores", s.cores.to_string()),
        ("ops", plan.ops.to_string()),
        ("per_call_ops", plan.per_call_ops.to_string()),
        ("rounds", plan.rounds.to_string()),
        ("warmup_per_thread_per_round", plan.warmup.to_string()),
        ("threads", format!("[{}]", threads.join(", "))),
        ("pool_size", s.pool_size.to_string()),
        (
            "checkout_timeout_ms",
            s.checkout_timeout.as_millis().to_string(),
        ),
        (
            "lesson4_ping_window_ms",
            crate::LESSON4_PING_WINDOW.as_millis().to_string(),
        ),
        (
            "percentiles",
            json_str("nearest-rank, over all operations of all rounds"),
        ),
        (
            "ops_per_sec_is",
            json_str("the median of the rounds' throughputs"),
        ),
        (
            "ratio_to_held",
            json_str("held ops/s divided by case ops/s, same workload and threads"),
        ),
    ];
    out.push_str(&indent_join(&json_members(&fields)));
    out.push_str("  },\n  \"cases\": [\n");
    let cases: Vec<String> = plan
        .cases
        .iter()
        .map(|&case| {
            let d = case.describe(s.pool_size, many);
            json_object(&[
                ("case", json_str(case.key())),
                ("label", json_str(case.label())),
                ("connections", json_str(&d.connections)),
                ("on_checkout", json_str(&d.on_checkout)),
                ("on_return", json_str(&d.on_return)),
            ])
        })
        .collect();
    out.push_str(&indent_join(&cases));
    out.push_str("  ],\n  \"results\": [\n");
    let results: Vec<String> = report
        .measurements
        .iter()
        .map(|m| {
            let us = |nanos: u64| format!("{:.3}", nanos as f64 / 1000.0);
            json_object(&[
                ("workload", json_str(m.workload.key())),
                ("threads", m.threads.to_string()),
                ("case", json_str(m.case.key())),
                ("ops", m.latency.count.to_string()),
                ("elapsed_s", format!("{:.6}", m.elapsed().as_secs_f64())),
                ("median_us", us(m.latency.median)),
                ("p99_us", us(m.latency.p99)),
                ("mean_us", us(m.latency.mean)),
                ("min_us", us(m.latency.min)),
                ("max_us", us(m.latency.max)),
                ("ops_per_sec", format!("{:.1}", m.ops_per_sec())),
                (
                    "ops_per_sec_by_round",
                    format!(
                        "[{}]",
                        m.round_ops_per_sec()
                            .iter()
                            .map(|r| format!("{r:.1}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ),
                (
                    "ratio_to_held",
                    report
                        .ratio_to_held(m)
                        .map_or("null".into(), |r| format!("{r:.4}")),
                ),
            ])
        })
        .collect();
    out.push_str(&indent_join(&results));
    out.push_str("  ],\n  \"targets\": [\n");
    let targets: Vec<String> = report
        .targets()
        .iter()
        .map(|t| {
            json_object(&[
                ("target", json_str(&t.target)),
                ("met", t.met.map_or("null".into(), |met| met.to_string())),
                ("detail", json_str(&t.detail)),
            ])
        })
        .collect();
    out.push_str(&indent_join(&targets));
    let _ = write!(
        out,
        "  ],\n  \"total_s\": {:.3}\n}}\n",
        report.total.as_secs_f64()
    );
    out
}

/// `"key": value` for each field (the values are JSON already).
fn json_members(fields: &[(&str, String)]) -> Vec<String> {
    fields
        .iter()
        .map(|(key, value)| format!("{}: {value}", json_str(key)))
        .collect()
}

fn json_object(fields: &[(&str, String)]) -> String {
    format!("{{{}}}", json_members(fields).join(", "))
}

/// One item per line, indented, separated by commas.
fn indent_join(items: &[String]) -> String {
    let mut out = String::new();
    for (i, item) in items.iter().enumerate() {
        let comma = if i + 1 < items.len() { "," } else { "" };
        let _ = writeln!(out, "    {item}{comma}");
    }
    out
}

/// A JSON string literal: quotes, backslashes and control characters escaped.
pub fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Nanoseconds as microseconds with one decimal: `37.2 µs`, `1,204.5 µs`.
pub fn micros(nanos: u64) -> String {
    let tenths = (nanos + 50) / 100;
    format!("{}.{} µs", thousands((tenths / 10) as f64), tenths % 10)
}

/// A number rounded to a whole and grouped by thousands: `25,904`.
pub fn thousands(value: f64) -> String {
    let whole = value.max(0.0).round() as u64;
    let digits = whole.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn thread_count(threads: usize) -> String {
    if threads == 1 {
        "1 thread".into()
    } else {
        format!("{threads} threads")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::Summary;

    fn measurement(
        case: Case,
        workload: Workload,
        threads: usize,
        ops_per_sec: f64,
    ) -> Measurement {
        let count = 1000;
        let latency = Summary::from_nanos(vec![1_000_000_000 / ops_per_sec as u64; count]).unwrap();
        Measurement {
            case,
            workload,
            threads,
            rounds: vec![(count, Duration::from_secs_f64(count as f64 / ops_per_sec))],
            latency,
        }
    }

    fn report(measurements: Vec<Measurement>) -> Report {
        Report {
            settings: Settings {
                server_version: "10.11.6-MariaDB".into(),
                address: "127.0.0.1:3306".into(),
                database: "llmagent_test_x".into(),
                users: 10,
                transport: Transport::Tcp("127.0.0.1:3306".into()),
                server_sees: "127.0.0.1:5000".into(),
                build: "release",
                cores: 2,
                plan: Plan {
                    ops: 1000,
                    per_call_ops: 100,
                    warmup: 0,
                    rounds: 1,
                    threads: vec![1, 8],
                    cases: Case::ALL.to_vec(),
                    workloads: vec![Workload::SelectOne],
                },
                pool_size: 4,
                checkout_timeout: Duration::from_secs(5),
            },
            measurements,
            total: Duration::from_secs(1),
        }
    }

    #[test]
    fn numbers_are_grouped_by_thousands_and_latencies_shown_in_microseconds() {
        assert_eq!(thousands(25904.4), "25,904");
        assert_eq!(thousands(999.5), "1,000");
        assert_eq!(thousands(1_234_567.0), "1,234,567");
        assert_eq!(micros(37_249), "37.2 µs");
        assert_eq!(micros(1_204_550), "1,204.6 µs");
    }

    #[test]
    fn bars_are_proportional_and_never_invisible() {
        assert_eq!(bar(1.0, 10).chars().count(), 10);
        assert_eq!(bar(0.5, 10), "█████");
        assert_eq!(bar(0.0625, 10), "▋"); // 5 eighths of one character
        assert_eq!(bar(0.05, 10), "▌"); // half of one
        assert_eq!(bar(0.0, 10), "▏");
    }

    #[test]
    fn json_strings_escape_quotes_backslashes_and_control_characters() {
        assert_eq!(json_str("a\"b\\c\nd\u{1}"), "\"a\\\"b\\\\c\\nd\\u0001\"");
    }

    #[test]
    fn the_ratio_is_held_throughput_over_the_case_throughput() {
        let r = report(vec![
            measurement(Case::Held, Workload::SelectOne, 1, 20_000.0),
            measurement(Case::Lesson4, Workload::SelectOne, 1, 16_000.0),
        ]);
        let ratio = r.ratio_to_held(&r.measurements[1]).unwrap();
        assert!((ratio - 1.25).abs() < 0.01, "{ratio}");
    }

    #[test]
    fn targets_are_met_or_missed_by_the_numbers_and_unmeasured_ones_say_so() {
        use Case::*;
        let w = Workload::SelectOne;
        let r = report(vec![
            measurement(Held, w, 1, 20_000.0),
            measurement(Lesson4, w, 1, 18_000.0), // 1.11x: met
            measurement(R2d2Defaults, w, 1, 10_000.0),
            measurement(PerCall, w, 1, 900.0), // 10000 / 900 = 11.1x: met
            measurement(Held, w, 8, 30_000.0),
            measurement(Lesson4, w, 8, 9_000.0),
            measurement(R2d2Defaults, w, 8, 10_000.0), // lesson4 slower: missed
            measurement(PerCall, w, 8, 1_000.0),       // 9x: missed
        ]);
        let checks = r.targets();
        let verdicts: Vec<Option<bool>> = checks.iter().map(|c| c.met).collect();
        assert_eq!(
            verdicts,
            vec![Some(true), Some(false), Some(true), Some(false)]
        );
        assert!(
            checks[0].detail.starts_with("1.11x"),
            "{}",
            checks[0].detail
        );
        assert!(checks[3].detail.starts_with("9.0x"), "{}", checks[3].detail);

        let empty = report(vec![]);
        assert!(empty.targets().iter().all(|c| c.met.is_none()));
    }

    #[test]
    fn with_one_thread_the_many_threads_target_is_not_measured_and_says_1_thread() {
        let mut r = report(vec![
            measurement(Case::Lesson4, Workload::SelectOne, 1, 18_000.0),
            measurement(Case::R2d2Defaults, Workload::SelectOne, 1, 10_000.0),
        ]);
        r.settings.plan.threads = vec![1];
        let check = &r.targets()[1];
        assert!(
            check
                .target
                .starts_with("lesson4 pool, 1 thread, SELECT 1:"),
            "{}",
            check.target
        );
        assert_eq!(check.met, None);
    }

    #[test]
    fn the_json_has_every_result_with_its_figures() {
        let r = report(vec![
            measurement(Case::Held, Workload::SelectOne, 1, 20_000.0),
            measurement(Case::Lesson4, Workload::SelectOne, 1, 16_000.0),
        ]);
        let json = render_json(&r);
        assert_eq!(json.matches("\"case\": \"lesson4\"").count(), 2, "{json}"); // cases + results
        assert!(json.contains("\"ops_per_sec\": 16000.0"), "{json}");
        assert!(json.contains("\"ratio_to_held\": 1.2500"), "{json}");
        assert!(json.contains("\"transport\": \"tcp\""), "{json}");
        assert_eq!(json.matches('{').count(), json.matches('}').count());
    }
}
