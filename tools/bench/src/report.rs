//! What the benchmark prints: the settings that make the comparison honest, the table, a bar
//! chart that reads on a projector, a connection per call against each pool, and the same figures
//! as JSON (the report's own types, serialized with serde). It only reports: the course's targets
//! are checked elsewhere ([`crate::targets`], `--check-targets`).
//!
//! "× held" is the time an operation takes relative to the held connection with the same
//! workload and thread count, from throughput: `held ops/s ÷ case ops/s`. It counts every
//! operation (also the occasional slow one that a median hides); 1.00x is the floor.

use std::fmt::Write as _;
use std::time::Duration;

use serde::{Serialize, Serializer};

use crate::cases::{Case, CaseSettings, Workload};
use crate::http::{Endpoint, HttpMeasurement, HttpPlan, Via};
use crate::run::{Measurement, Plan};
use crate::setup::Transport;

/// Everything about a run except its results: printed before measuring starts.
#[derive(Debug, Clone, Serialize)]
pub struct Settings {
    pub server_version: String,
    pub address: String,
    pub database: String,
    pub users: usize,
    pub transport: Transport,
    pub server_sees: String,
    pub build: &'static str,
    /// CPU cores this process may use (the server shares them when it runs on this machine).
    pub cores: usize,
    /// What was measured, and how much.
    #[serde(flatten)]
    pub plan: Plan,
    pub pool_size: usize,
    /// Every pool's checkout deadline.
    #[serde(rename = "checkout_timeout_ms", serialize_with = "millis")]
    pub checkout_timeout: Duration,
    pub http: Option<HttpSettings>,
}

/// How lesson 9's server was measured.
#[derive(Debug, Clone, Serialize)]
pub struct HttpSettings {
    /// What was measured, and how much.
    #[serde(flatten)]
    pub plan: HttpPlan,
    pub address: String,
    pub pool_sees: String,
}

/// A finished run, as the table shows it and as `--json` prints it.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub settings: Settings,
    pub cases: Vec<CaseSettings>,
    /// What was measured, in report order.
    #[serde(rename = "results")]
    pub measurements: Vec<Measurement>,
    pub per_call_vs_pools: Vec<PerCallComparison>,
    /// Lesson 9's server over HTTP and the direct call, in report order (empty when not measured).
    #[serde(rename = "http_results")]
    pub http: Vec<HttpMeasurement>,
    /// Wall time of the whole measuring (pools' set-up included).
    #[serde(rename = "total_s", serialize_with = "seconds")]
    pub total: Duration,
}

/// A connection per call against every pool, for one workload and thread count: measured and
/// shown, but not a target (a pool that pings or resets on every checkout spends two or three
/// round trips of its own, so "10x slower than any pool" cannot hold against it).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PerCallComparison {
    pub workload: Workload,
    pub threads: usize,
    pub per_call_ops_per_sec: f64,
    pub slower_than: Vec<PoolFactor>,
}

/// One pool's throughput as a multiple of a connection per call's.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PoolFactor {
    pub case: Case,
    pub factor: f64,
}

fn millis<S: Serializer>(duration: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_u128(duration.as_millis())
}

fn seconds<S: Serializer>(duration: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_f64(duration.as_secs_f64())
}

impl Report {
    /// The report of a run: the measurements with their ratios (to the held connection, to the
    /// direct call), what each case sends, and a connection per call against each pool.
    pub fn new(
        settings: Settings,
        mut measurements: Vec<Measurement>,
        mut http: Vec<HttpMeasurement>,
        total: Duration,
    ) -> Report {
        let ratio = |floor: Option<f64>, ops: f64| floor.filter(|_| ops > 0.0).map(|f| f / ops);
        let held: Vec<_> = measurements
            .iter()
            .filter(|m| m.case == Case::Held)
            .map(|m| ((m.workload, m.threads), m.ops_per_sec()))
            .collect();
        for m in &mut measurements {
            let floor = held.iter().find(|(k, _)| *k == (m.workload, m.threads));
            m.ratio_to_held = ratio(floor.map(|f| f.1), m.ops_per_sec());
        }
        let direct: Vec<_> = http
            .iter()
            .filter(|m| m.via == Via::Direct)
            .map(|m| ((m.endpoint, m.clients), m.ops_per_sec()))
            .collect();
        for m in &mut http {
            let floor = direct.iter().find(|(k, _)| *k == (m.endpoint, m.clients));
            m.ratio_to_direct = ratio(floor.map(|f| f.1), m.ops_per_sec());
        }
        let many = settings.plan.max_threads();
        let cases = (settings.plan.cases.iter())
            .map(|case| case.describe(settings.pool_size, many))
            .collect();
        let per_call_vs_pools = per_call_comparisons(&settings.plan, &measurements);
        Report {
            settings,
            cases,
            measurements,
            per_call_vs_pools,
            http,
            total,
        }
    }

    /// The measurement of `case` for this workload and thread count, if it was measured.
    pub fn find(&self, case: Case, workload: Workload, threads: usize) -> Option<&Measurement> {
        self.measurements
            .iter()
            .find(|m| m.case == case && m.workload == workload && m.threads == threads)
    }
}

/// A connection per call against every pool, per workload and thread count (where measured).
fn per_call_comparisons(plan: &Plan, measurements: &[Measurement]) -> Vec<PerCallComparison> {
    let mut comparisons = Vec::new();
    for &workload in &plan.workloads {
        for &threads in &plan.threads {
            let same = |m: &&Measurement| m.workload == workload && m.threads == threads;
            let Some(per_call) = measurements
                .iter()
                .filter(same)
                .find(|m| m.case == Case::PerCall)
            else {
                continue;
            };
            let slower_than = measurements
                .iter()
                .filter(same)
                .filter(|m| m.case.is_pool())
                .map(|pool| PoolFactor {
                    case: pool.case,
                    factor: pool.ops_per_sec() / per_call.ops_per_sec(),
                })
                .collect();
            comparisons.push(PerCallComparison {
                workload,
                threads,
                per_call_ops_per_sec: per_call.ops_per_sec(),
                slower_than,
            });
        }
    }
    comparisons
}

/// The whole report as pretty-printed JSON, ending with a newline.
pub fn render_json(report: &Report) -> String {
    serde_json::to_string_pretty(report).expect("the report is plain data") + "\n"
}

/// The settings block, printed before measuring.
pub fn render_settings(settings: &Settings) -> String {
    let (s, plan) = (settings, &settings.plan);
    let many = plan.max_threads();
    let (cases, workloads, counts) = (plan.cases.len(), plan.workloads.len(), plan.threads.len());
    let mut out = format!(
        "What a connection costs: {cases} cases x {workloads} workloads x {counts} thread counts\n\n"
    );
    let seen_as = match shared::is_tcp_host(&s.server_sees) {
        true => "with a port: TCP",
        false => "no port: a local socket",
    };
    let warning = match s.build {
        "debug" => "  <- numbers from a debug build are not fair: add --release",
        _ => "",
    };
    let (ops, per_call) = (
        thousands(plan.ops as f64),
        thousands(plan.per_call_ops as f64),
    );
    let threads = match many {
        1 => "1".to_string(),
        n => format!(
            "1, and {n} threads sharing each pool of {} connections",
            s.pool_size.min(n)
        ),
    };
    let mut lines = vec![
        ("server", format!("{} at {}", s.server_version, s.address)),
        (
            "database",
            format!(
                "{} (throwaway, {} users seeded, dropped at the end)",
                s.database, s.users
            ),
        ),
        (
            "transport",
            format!(
                "{} for every case; the server sees the client as {} ({seen_as})",
                s.transport, s.server_sees
            ),
        ),
        (
            "build",
            format!(
                "{}; {} CPU cores, shared with the server when it runs on this machine{warning}",
                s.build, s.cores
            ),
        ),
        (
            "operations",
            format!(
                "{ops} per case, workload and thread count ({per_call} for connection per call), in {} interleaved rounds",
                plan.rounds
            ),
        ),
        (
            "warm-up",
            format!(
                "{} untimed operations per thread before each round (fewer if it then measures fewer)",
                plan.warmup
            ),
        ),
        ("threads", threads),
        (
            "deadline",
            format!(
                "{:?} for a checkout from any pool (never wait forever)",
                s.checkout_timeout
            ),
        ),
    ];
    if let Some(http) = &s.http {
        let p = &http.plan;
        let clients: Vec<String> = p.clients.iter().map(usize::to_string).collect();
        lines.push(("http", format!(
            "lesson9's server in this process at {}, offline agent, lesson 5's r2d2 pool of {} connections \
             (a ping only for one idle 500 ms or more; the database sees them as {}); hyper's client, one \
             keep-alive connection per client, all clients on one thread; {} GET and {} POST requests per \
             endpoint, client count and way, clients: {}",
            http.address, p.pool_size, http.pool_sees, thousands(p.ops as f64), thousands(p.chat_ops as f64), clients.join(" and ")
        )));
    }
    lines.push((
        "figures",
        "median, p99: nearest-rank over all operations; ops/s: the median round".into(),
    ));
    for (key, value) in lines {
        let _ = writeln!(out, "  {key:<12} {value}");
    }
    out.push_str("\n  What each case sends to the server besides the query:\n");
    for case in &plan.cases {
        let d = case.describe(s.pool_size, many);
        let _ = writeln!(out, "  {:<23} connections: {}", d.label, d.connections);
        let _ = writeln!(out, "  {:<23} checkout:    {}", "", d.on_checkout);
        let _ = writeln!(out, "  {:<23} return:      {}", "", d.on_return);
    }
    out
}

/// The results: one table, the bar chart, lesson 9's server, a connection per call against the pools.
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
        let ratio = m.ratio_to_held.map_or("-".into(), |r| format!("{r:.2}x"));
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
    if !report.http.is_empty() {
        out.push_str(&render_http(report));
        let _ = writeln!(out);
    }
    let comparisons = &report.per_call_vs_pools;
    if !comparisons.is_empty() {
        let _ = writeln!(
            out,
            "A connection per call against each pool (each pool's ops/s over the per-call ops/s)"
        );
        for c in comparisons {
            let each: Vec<String> = c
                .slower_than
                .iter()
                .map(|p| format!("{} {:.1}x", p.case.label(), p.factor))
                .collect();
            let _ = writeln!(
                out,
                "  {}, {}: {}",
                c.workload.label(),
                thread_count(c.threads),
                each.join(", ")
            );
        }
    }
    let _ = writeln!(out);
    let _ = writeln!(out, "Measured in {:.1} s.", report.total.as_secs_f64());
    out
}

/// Lesson 9's server: each endpoint over HTTP next to the direct call for the same work.
pub fn render_http(report: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Lesson 9's server over HTTP (x direct = time per request relative to the direct call, from requests/s)"
    );
    let _ = writeln!(out);
    let _ = writeln!(
        out,
        "  {:<30} {:>7}  {:<11} {:>8} {:>11} {:>11} {:>10} {:>8}",
        "endpoint", "clients", "via", "requests", "median", "p99", "requests/s", "x direct"
    );
    let mut previous: Option<(Endpoint, usize)> = None;
    for m in &report.http {
        if previous.is_some_and(|p| p != (m.endpoint, m.clients)) {
            let _ = writeln!(out);
        }
        previous = Some((m.endpoint, m.clients));
        let ratio = m.ratio_to_direct.map_or("-".into(), |r| format!("{r:.2}x"));
        let _ = writeln!(
            out,
            "  {:<30} {:>7}  {:<11} {:>8} {:>11} {:>11} {:>10} {:>8}",
            m.endpoint.label(),
            m.clients,
            m.via.label(),
            m.latency.count,
            micros(m.latency.median),
            micros(m.latency.p99),
            thousands(m.ops_per_sec()),
            ratio
        );
    }
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
pub(crate) mod tests {
    use super::*;
    use crate::stats::{Rates, Summary};

    pub(crate) fn measurement(
        case: Case,
        workload: Workload,
        threads: usize,
        ops_per_sec: f64,
    ) -> Measurement {
        let count = 1000;
        Measurement {
            workload,
            threads,
            case,
            latency: Summary::from_nanos(vec![1_000_000_000 / ops_per_sec as u64; count]).unwrap(),
            rates: Rates::from_rounds(&[(
                count,
                Duration::from_secs_f64(count as f64 / ops_per_sec),
            )]),
            ratio_to_held: None,
        }
    }

    fn settings() -> Settings {
        Settings {
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
            http: None,
        }
    }

    pub(crate) fn report(measurements: Vec<Measurement>) -> Report {
        Report::new(settings(), measurements, Vec::new(), Duration::from_secs(1))
    }

    fn http_measurement(
        endpoint: Endpoint,
        clients: usize,
        via: Via,
        requests_per_sec: f64,
    ) -> HttpMeasurement {
        let count = 100;
        let elapsed = Duration::from_secs_f64(count as f64 / requests_per_sec);
        HttpMeasurement {
            endpoint,
            clients,
            via,
            latency: Summary::from_nanos(vec![1_000_000_000 / requests_per_sec as u64; count])
                .unwrap(),
            rates: Rates::from_rounds(&[(count, elapsed)]),
            ratio_to_direct: None,
        }
    }

    /// A report with lesson 9's server measured at 1 and 16 clients, GET conversations only.
    fn http_report(direct_16: f64, http_16: f64) -> Report {
        let mut settings = settings();
        settings.http = Some(HttpSettings {
            plan: HttpPlan {
                ops: 100,
                chat_ops: 100,
                warmup: 0,
                rounds: 1,
                clients: vec![1, 16],
                pool_size: 8,
            },
            address: "http://127.0.0.1:40000".into(),
            pool_sees: "localhost".into(),
        });
        let get = Endpoint::Conversations;
        let http = vec![
            http_measurement(get, 1, Via::Direct, 5_000.0),
            http_measurement(get, 1, Via::Http, 2_500.0),
            http_measurement(get, 16, Via::Direct, direct_16),
            http_measurement(get, 16, Via::Http, http_16),
        ];
        Report::new(settings, Vec::new(), http, Duration::from_secs(1))
    }

    #[test]
    fn the_servers_figures_are_in_the_table_and_in_the_json_without_a_target() {
        let r = http_report(8_000.0, 5_000.0);
        let text = render_results(&r);
        assert!(
            text.contains("2.00x") && text.contains("1.60x"),
            "x direct for 1 and 16 clients: {text}"
        );
        assert!(!text.contains("Targets"), "the report only reports: {text}");
        let json: serde_json::Value =
            serde_json::from_str(&render_json(&r)).expect("the report is valid JSON");
        let http = json["http_results"].as_array().expect("a list");
        assert_eq!(http.len(), 4, "{json:#}");
        assert_eq!(
            (&http[3]["endpoint"], &http[3]["clients"], &http[3]["via"]),
            (&"get_conversations".into(), &16.into(), &"http".into()),
            "{json:#}"
        );
        assert_eq!(http[3]["ops_per_sec"], 5_000.0, "{json:#}");
        assert_eq!(http[3]["ratio_to_direct"], 1.6, "8,000 / 5,000: {json:#}");
        assert_eq!(json["settings"]["http"]["pool_size"], 8, "{json:#}");
        assert!(
            json.get("targets").is_none(),
            "no targets in the JSON: {json:#}"
        );
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
    fn the_ratio_is_held_throughput_over_the_case_throughput() {
        let r = report(vec![
            measurement(Case::Held, Workload::SelectOne, 1, 20_000.0),
            measurement(Case::Lesson4, Workload::SelectOne, 1, 16_000.0),
        ]);
        let ratio = r.measurements[1].ratio_to_held.unwrap();
        assert!((ratio - 1.25).abs() < 0.01, "{ratio}");
        assert_eq!(
            r.measurements[0].ratio_to_held,
            Some(1.0),
            "held is the floor"
        );
    }

    #[test]
    fn a_connection_per_call_is_compared_with_each_pool_not_judged() {
        use Case::*;
        let w = Workload::SelectOne;
        let r = report(vec![
            measurement(Held, w, 1, 20_000.0),
            measurement(Lesson4, w, 1, 18_000.0),
            measurement(MysqlPool, w, 1, 6_000.0),
            measurement(PerCall, w, 1, 2_000.0),
        ]);
        let comparisons = &r.per_call_vs_pools;
        assert_eq!(
            comparisons.len(),
            1,
            "one workload, one thread count measured: {comparisons:?}"
        );
        let factors: Vec<(Case, f64)> = comparisons[0]
            .slower_than
            .iter()
            .map(|p| (p.case, (p.factor * 100.0).round() / 100.0))
            .collect();
        assert_eq!(
            factors,
            vec![(Lesson4, 9.0), (MysqlPool, 3.0)],
            "each pool's ops/s over the per-call ops/s, in report order, the held connection left out"
        );
    }

    #[test]
    fn the_json_parses_back_with_every_result_and_its_figures() {
        let r = report(vec![
            measurement(Case::Held, Workload::SelectOne, 1, 20_000.0),
            measurement(Case::Lesson4, Workload::SelectOne, 1, 16_000.0),
        ]);
        let json: serde_json::Value =
            serde_json::from_str(&render_json(&r)).expect("the report is valid JSON");

        assert_eq!(json["settings"]["transport"]["kind"], "tcp", "{json:#}");
        assert_eq!(
            json["settings"]["threads"],
            serde_json::json!([1, 8]),
            "{json:#}"
        );
        assert_eq!(json["settings"]["checkout_timeout_ms"], 5000, "{json:#}");
        let results = json["results"].as_array().expect("results is a list");
        assert_eq!(results.len(), 2, "one result per measurement: {json:#}");
        let lesson4 = &results[1];
        assert_eq!(
            (&lesson4["case"], &lesson4["workload"], &lesson4["threads"]),
            (&"lesson4".into(), &"select_1".into(), &1.into()),
            "results keep the report's order: {json:#}"
        );
        assert_eq!(lesson4["ops"], 1000, "{json:#}");
        assert_eq!(lesson4["ops_per_sec"], 16_000.0, "{json:#}");
        assert_eq!(
            lesson4["ratio_to_held"], 1.25,
            "20,000 / 16,000 ops/s: {json:#}"
        );
        assert_eq!(
            lesson4["median_us"], 62.5,
            "1 s / 16,000 = 62.5 µs: {json:#}"
        );
        assert_eq!(
            json["cases"].as_array().map(Vec::len),
            Some(Case::ALL.len()),
            "every case is described: {json:#}"
        );
        assert_eq!(json["total_s"], 1.0, "{json:#}");
    }
}
