//! What the benchmark prints: the settings that make the comparison honest, the table, a bar
//! chart that reads on a projector, the course's claims checked as targets, a connection per call
//! against each pool, and the same figures as JSON.
//!
//! "× held" is the time an operation takes relative to the held connection with the same
//! workload and thread count, from throughput: `held ops/s ÷ case ops/s`. It counts every
//! operation (also the occasional slow one that a median hides); 1.00x is the floor.

use std::fmt::Write as _;
use std::time::Duration;

use serde::Serialize;

use crate::cases::{Case, Workload};
use crate::http::{Endpoint, HttpMeasurement, HttpPlan, Via};
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
    /// Lesson 9's server, if its cases are measured.
    pub http: Option<HttpSettings>,
}

/// How lesson 9's server was measured.
#[derive(Debug, Clone)]
pub struct HttpSettings {
    /// What was measured, and how much.
    pub plan: HttpPlan,
    /// Where the server listened, `http://127.0.0.1:port`.
    pub address: String,
    /// How the database server sees a connection of lesson 9's pool.
    pub pool_sees: String,
}

/// A finished run.
#[derive(Debug, Clone)]
pub struct Report {
    /// How it was measured.
    pub settings: Settings,
    /// What was measured, in report order.
    pub measurements: Vec<Measurement>,
    /// Lesson 9's server over HTTP and the direct call, in report order (empty when not measured).
    pub http: Vec<HttpMeasurement>,
    /// Wall time of the whole measuring (pools' set-up included).
    pub total: Duration,
}

/// One of the course's claims about pools, checked against this run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TargetCheck {
    /// What the target demands.
    pub target: String,
    /// `Some(true)` met, `Some(false)` missed, `None` not measured in this run.
    pub met: Option<bool>,
    /// The numbers behind the verdict.
    pub detail: String,
}

/// A connection per call against every pool, for one workload and thread count: measured and
/// shown, but not a target (a pool that pings or resets on every checkout spends two or three
/// round trips of its own, so "10x slower than any pool" cannot hold against it).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PerCallComparison {
    /// The workload.
    pub workload: Workload,
    /// The thread count.
    pub threads: usize,
    /// The connection per call's throughput.
    pub per_call_ops_per_sec: f64,
    /// How many times more operations per second each pool did, in report order.
    pub slower_than: Vec<PoolFactor>,
}

/// One pool's throughput as a multiple of a connection per call's.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PoolFactor {
    /// The pool.
    pub case: Case,
    /// Pool ops/s ÷ connection-per-call ops/s.
    pub factor: f64,
}

/// The most a pool may cost over a held connection on `SELECT 1` with one thread (lesson4's target).
pub const LESSON4_MAX_RATIO: f64 = 1.15;
/// The most lesson 9's server may cost over HTTP for `GET` conversations with many clients, as a
/// multiple of the direct call's time per request.
pub const HTTP_MAX_RATIO: f64 = 1.5;

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

    /// The claims a student can read in the course, each met, missed or not measured: lesson 4's
    /// pool close to a held connection with one thread, and ahead of r2d2's defaults with several
    /// threads (once per workload); lesson 9's server, when measured, close to the direct call
    /// for `GET` conversations with many clients.
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

        if let Some(http) = &self.settings.http {
            let clients = http.plan.max_clients();
            let endpoint = Endpoint::Conversations;
            let target = format!(
                "lesson9 server, {}, {}: HTTP within {HTTP_MAX_RATIO:.2}x of the direct call's time per request",
                endpoint.label(),
                client_count(clients)
            );
            checks.push(
                match (
                    self.find_http(endpoint, clients, Via::Http),
                    self.find_http(endpoint, clients, Via::Direct),
                ) {
                    (Some(over_http), Some(direct)) => {
                        let ratio = direct.ops_per_sec() / over_http.ops_per_sec();
                        TargetCheck {
                            target,
                            met: Some(ratio <= HTTP_MAX_RATIO),
                            detail: format!(
                                "{ratio:.2}x ({} vs {} requests/s; medians {} vs {})",
                                thousands(over_http.ops_per_sec()),
                                thousands(direct.ops_per_sec()),
                                micros(over_http.latency.median),
                                micros(direct.latency.median),
                            ),
                        }
                    }
                    _ => not_measured(target),
                },
            );
        }
        checks
    }

    /// The HTTP measurement of `endpoint` with `clients` clients, `via` HTTP or the direct call.
    pub fn find_http(
        &self,
        endpoint: Endpoint,
        clients: usize,
        via: Via,
    ) -> Option<&HttpMeasurement> {
        self.http
            .iter()
            .find(|m| (m.endpoint, m.clients, m.via) == (endpoint, clients, via))
    }

    /// `direct req/s ÷ this one's req/s` for the same endpoint and clients: how many times longer
    /// a request takes than the same work called directly.
    pub fn ratio_to_direct(&self, m: &HttpMeasurement) -> Option<f64> {
        let direct = self.find_http(m.endpoint, m.clients, Via::Direct)?;
        let ops = m.ops_per_sec();
        (ops > 0.0).then(|| direct.ops_per_sec() / ops)
    }

    /// A connection per call against every pool, per workload and thread count (where measured).
    pub fn per_call_comparisons(&self) -> Vec<PerCallComparison> {
        let mut comparisons = Vec::new();
        for &workload in &self.settings.plan.workloads {
            for &threads in &self.settings.plan.threads {
                let Some(per_call) = self.find(Case::PerCall, workload, threads) else {
                    continue;
                };
                let slower_than = self
                    .measurements
                    .iter()
                    .filter(|m| m.case.is_pool() && m.workload == workload && m.threads == threads)
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
            if shared::is_tcp_host(&settings.server_sees) {
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
    if let Some(http) = &settings.http {
        let p = &http.plan;
        line(
            "http",
            format!(
                "lesson9's server in this process at {}, offline agent, its r2d2 pool of {} connections \
                 (ping on checkout; the database sees them as {}); hyper's client, one keep-alive connection \
                 per client, all clients on one thread; {} GET and {} POST requests per endpoint, client count \
                 and way, clients: {}",
                http.address,
                p.pool_size,
                http.pool_sees,
                thousands(p.ops as f64),
                thousands(p.chat_ops as f64),
                p.clients
                    .iter()
                    .map(|c| c.to_string())
                    .collect::<Vec<_>>()
                    .join(" and ")
            ),
        );
    }
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
    if !report.http.is_empty() {
        out.push_str(&render_http(report));
        let _ = writeln!(out);
    }
    let _ = writeln!(out, "Targets");
    for check in report.targets() {
        let verdict = match check.met {
            Some(true) => "met   ",
            Some(false) => "MISSED",
            None => "  -   ",
        };
        let _ = writeln!(out, "  [{verdict}] {}", check.target);
        let _ = writeln!(out, "           {}", check.detail);
    }
    let comparisons = report.per_call_comparisons();
    if !comparisons.is_empty() {
        let _ = writeln!(out);
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
        let ratio = report
            .ratio_to_direct(m)
            .map_or("-".to_string(), |r| format!("{r:.2}x"));
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

/// The JSON document: the same figures as the report, in the same order.
#[derive(Serialize)]
struct Json<'a> {
    settings: JsonSettings<'a>,
    cases: Vec<JsonCase>,
    results: Vec<JsonResult>,
    targets: Vec<TargetCheck>,
    per_call_vs_pools: Vec<PerCallComparison>,
    http_results: Vec<JsonHttpResult>,
    total_s: f64,
}

#[derive(Serialize)]
struct JsonSettings<'a> {
    server_version: &'a str,
    address: &'a str,
    database: &'a str,
    users_seeded: usize,
    transport: &'static str,
    transport_detail: String,
    server_sees_client_as: &'a str,
    build: &'static str,
    cpu_cores: usize,
    ops: usize,
    per_call_ops: usize,
    rounds: usize,
    warmup_per_thread_per_round: usize,
    threads: &'a [usize],
    pool_size: usize,
    checkout_timeout_ms: u128,
    lesson4_ping_window_ms: u128,
    percentiles: &'static str,
    ops_per_sec_is: &'static str,
    ratio_to_held: &'static str,
    http: Option<JsonHttpSettings<'a>>,
}

#[derive(Serialize)]
struct JsonHttpSettings<'a> {
    address: &'a str,
    server: &'static str,
    client: &'static str,
    pool_size: u32,
    pool_sees_client_as: &'a str,
    get_requests: usize,
    post_requests: usize,
    clients: &'a [usize],
    ratio_to_direct: &'static str,
}

#[derive(Serialize)]
struct JsonHttpResult {
    endpoint: Endpoint,
    clients: usize,
    via: Via,
    requests: usize,
    median_us: f64,
    p99_us: f64,
    mean_us: f64,
    min_us: f64,
    max_us: f64,
    requests_per_sec: f64,
    requests_per_sec_by_round: Vec<f64>,
    ratio_to_direct: Option<f64>,
}

#[derive(Serialize)]
struct JsonCase {
    case: Case,
    label: &'static str,
    connections: String,
    on_checkout: String,
    on_return: String,
}

#[derive(Serialize)]
struct JsonResult {
    workload: Workload,
    threads: usize,
    case: Case,
    ops: usize,
    elapsed_s: f64,
    median_us: f64,
    p99_us: f64,
    mean_us: f64,
    min_us: f64,
    max_us: f64,
    ops_per_sec: f64,
    ops_per_sec_by_round: Vec<f64>,
    ratio_to_held: Option<f64>,
}

/// The same figures as the table, the settings and the targets, as pretty-printed JSON.
pub fn render_json(report: &Report) -> String {
    let s = &report.settings;
    let plan = &s.plan;
    let many = plan.max_threads();
    let us = |nanos: u64| round(nanos as f64 / 1000.0, 3);
    let json = Json {
        settings: JsonSettings {
            server_version: &s.server_version,
            address: &s.address,
            database: &s.database,
            users_seeded: s.users,
            transport: s.transport.key(),
            transport_detail: s.transport.to_string(),
            server_sees_client_as: &s.server_sees,
            build: s.build,
            cpu_cores: s.cores,
            ops: plan.ops,
            per_call_ops: plan.per_call_ops,
            rounds: plan.rounds,
            warmup_per_thread_per_round: plan.warmup,
            threads: &plan.threads,
            pool_size: s.pool_size,
            checkout_timeout_ms: s.checkout_timeout.as_millis(),
            lesson4_ping_window_ms: crate::LESSON4_PING_WINDOW.as_millis(),
            percentiles: "nearest-rank, over all operations of all rounds",
            ops_per_sec_is: "the median of the rounds' throughputs",
            ratio_to_held: "held ops/s divided by case ops/s, same workload and threads",
            http: s.http.as_ref().map(|http| JsonHttpSettings {
                address: &http.address,
                server: "lesson9::serve in this process, offline agent, lesson 9's r2d2 pool (ping on checkout)",
                client: "hyper's HTTP/1.1 client, one keep-alive connection per client, all clients on one thread",
                pool_size: http.plan.pool_size,
                pool_sees_client_as: &http.pool_sees,
                get_requests: http.plan.ops,
                post_requests: http.plan.chat_ops,
                clients: &http.plan.clients,
                ratio_to_direct: "direct requests/s divided by HTTP requests/s, same endpoint and clients",
            }),
        },
        cases: plan
            .cases
            .iter()
            .map(|&case| {
                let d = case.describe(s.pool_size, many);
                JsonCase {
                    case,
                    label: case.label(),
                    connections: d.connections,
                    on_checkout: d.on_checkout,
                    on_return: d.on_return,
                }
            })
            .collect(),
        results: report
            .measurements
            .iter()
            .map(|m| JsonResult {
                workload: m.workload,
                threads: m.threads,
                case: m.case,
                ops: m.latency.count,
                elapsed_s: round(m.elapsed().as_secs_f64(), 6),
                median_us: us(m.latency.median),
                p99_us: us(m.latency.p99),
                mean_us: us(m.latency.mean),
                min_us: us(m.latency.min),
                max_us: us(m.latency.max),
                ops_per_sec: round(m.ops_per_sec(), 1),
                ops_per_sec_by_round: m
                    .round_ops_per_sec()
                    .into_iter()
                    .map(|r| round(r, 1))
                    .collect(),
                ratio_to_held: report.ratio_to_held(m).map(|r| round(r, 4)),
            })
            .collect(),
        targets: report.targets(),
        per_call_vs_pools: report
            .per_call_comparisons()
            .into_iter()
            .map(|mut c| {
                c.per_call_ops_per_sec = round(c.per_call_ops_per_sec, 1);
                c.slower_than
                    .iter_mut()
                    .for_each(|p| p.factor = round(p.factor, 2));
                c
            })
            .collect(),
        http_results: report
            .http
            .iter()
            .map(|m| JsonHttpResult {
                endpoint: m.endpoint,
                clients: m.clients,
                via: m.via,
                requests: m.latency.count,
                median_us: us(m.latency.median),
                p99_us: us(m.latency.p99),
                mean_us: us(m.latency.mean),
                min_us: us(m.latency.min),
                max_us: us(m.latency.max),
                requests_per_sec: round(m.ops_per_sec(), 1),
                requests_per_sec_by_round: m
                    .round_ops_per_sec()
                    .into_iter()
                    .map(|r| round(r, 1))
                    .collect(),
                ratio_to_direct: report.ratio_to_direct(m).map(|r| round(r, 4)),
            })
            .collect(),
        total_s: round(report.total.as_secs_f64(), 3),
    };
    let mut out = serde_json::to_string_pretty(&json).expect("the report is plain data");
    out.push('\n');
    out
}

/// `value` rounded to `decimals` places, so the JSON shows the precision that was measured.
fn round(value: f64, decimals: i32) -> f64 {
    let scale = 10f64.powi(decimals);
    (value * scale).round() / scale
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

fn client_count(clients: usize) -> String {
    if clients == 1 {
        "1 client".into()
    } else {
        format!("{clients} clients")
    }
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
                http: None,
            },
            measurements,
            http: Vec::new(),
            total: Duration::from_secs(1),
        }
    }

    fn http_measurement(
        endpoint: Endpoint,
        clients: usize,
        via: Via,
        requests_per_sec: f64,
    ) -> HttpMeasurement {
        let count = 100;
        HttpMeasurement {
            endpoint,
            clients,
            via,
            rounds: vec![(
                count,
                Duration::from_secs_f64(count as f64 / requests_per_sec),
            )],
            latency: Summary::from_nanos(vec![1_000_000_000 / requests_per_sec as u64; count])
                .unwrap(),
        }
    }

    /// A report with lesson 9's server measured at 1 and 16 clients, GET conversations only.
    fn http_report(direct_16: f64, http_16: f64) -> Report {
        let mut r = report(vec![]);
        r.settings.http = Some(HttpSettings {
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
        r.http = vec![
            http_measurement(get, 1, Via::Direct, 5_000.0),
            http_measurement(get, 1, Via::Http, 2_500.0),
            http_measurement(get, 16, Via::Direct, direct_16),
            http_measurement(get, 16, Via::Http, http_16),
        ];
        r
    }

    #[test]
    fn the_servers_target_compares_http_with_the_direct_call_at_the_most_clients() {
        let within = http_report(8_000.0, 6_000.0); // 1.33x
        let check = within.targets().pop().expect("a target for the server");
        assert!(
            check
                .target
                .contains("GET /users/{id}/conversations, 16 clients"),
            "the target names the endpoint and the client count: {}",
            check.target
        );
        assert_eq!(check.met, Some(true), "1.33x is within 1.5x: {check:?}");
        assert!(check.detail.starts_with("1.33x"), "{}", check.detail);

        let missed = http_report(8_000.0, 5_000.0); // 1.6x
        assert_eq!(
            missed.targets().pop().and_then(|c| c.met),
            Some(false),
            "1.6x misses 1.5x"
        );
        assert_eq!(
            report(vec![]).targets().len(),
            2,
            "one workload: lesson4 near held and against r2d2; without the server's cases no target for it"
        );
    }

    #[test]
    fn the_servers_figures_are_in_the_table_and_in_the_json() {
        let r = http_report(8_000.0, 6_000.0);
        let text = render_http(&r);
        assert!(
            text.contains("2.00x") && text.contains("1.33x"),
            "x direct for 1 and 16 clients: {text}"
        );
        let json: serde_json::Value =
            serde_json::from_str(&render_json(&r)).expect("the report is valid JSON");
        let http = json["http_results"].as_array().expect("a list");
        assert_eq!(http.len(), 4, "{json:#}");
        assert_eq!(
            (&http[3]["endpoint"], &http[3]["clients"], &http[3]["via"]),
            (&"get_conversations".into(), &16.into(), &"http".into()),
            "{json:#}"
        );
        assert_eq!(http[3]["requests_per_sec"], 6_000.0, "{json:#}");
        assert_eq!(
            http[3]["ratio_to_direct"], 1.3333,
            "8,000 / 6,000: {json:#}"
        );
        assert_eq!(json["settings"]["http"]["pool_size"], 8, "{json:#}");
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
            measurement(Held, w, 8, 30_000.0),
            measurement(Lesson4, w, 8, 9_000.0),
            measurement(R2d2Defaults, w, 8, 10_000.0), // lesson4 slower: missed
        ]);
        let checks = r.targets();
        let verdicts: Vec<Option<bool>> = checks.iter().map(|c| c.met).collect();
        assert_eq!(
            verdicts,
            vec![Some(true), Some(false)],
            "lesson4 at 1.11x of held is within 1.15x; at 0.9x r2d2's throughput it is behind: {checks:?}"
        );
        assert!(
            checks[0].detail.starts_with("1.11x"),
            "the detail should start with the ratio: {}",
            checks[0].detail
        );

        let empty = report(vec![]);
        assert!(
            empty.targets().iter().all(|c| c.met.is_none()),
            "with nothing measured no target can be met or missed: {:?}",
            empty.targets()
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
        let comparisons = r.per_call_comparisons();
        assert_eq!(
            comparisons.len(),
            1,
            "one workload, one thread count measured: {comparisons:?}"
        );
        let factors: Vec<(Case, f64)> = comparisons[0]
            .slower_than
            .iter()
            .map(|p| (p.case, round(p.factor, 2)))
            .collect();
        assert_eq!(
            factors,
            vec![(Lesson4, 9.0), (MysqlPool, 3.0)],
            "each pool's ops/s over the per-call ops/s, in report order, the held connection left out"
        );
        assert!(
            r.targets().iter().all(|t| !t.target.contains("per call")),
            "a connection per call is no target: {:?}",
            r.targets()
        );
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
    fn the_json_parses_back_with_every_result_and_its_figures() {
        let r = report(vec![
            measurement(Case::Held, Workload::SelectOne, 1, 20_000.0),
            measurement(Case::Lesson4, Workload::SelectOne, 1, 16_000.0),
        ]);
        let json: serde_json::Value =
            serde_json::from_str(&render_json(&r)).expect("the report is valid JSON");

        assert_eq!(json["settings"]["transport"], "tcp", "{json:#}");
        assert_eq!(
            json["settings"]["threads"],
            serde_json::json!([1, 8]),
            "{json:#}"
        );
        let results = json["results"].as_array().expect("results is a list");
        assert_eq!(results.len(), 2, "one result per measurement: {json:#}");
        let lesson4 = &results[1];
        assert_eq!(
            (&lesson4["case"], &lesson4["workload"], &lesson4["threads"]),
            (&"lesson4".into(), &"select_1".into(), &1.into()),
            "results keep the report's order: {json:#}"
        );
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
        assert_eq!(
            json["targets"][0]["met"], false,
            "1.25x the held connection misses the 1.15x target: {json:#}"
        );
        assert!(
            json["targets"][1]["met"].is_null(),
            "8 threads were not measured, so that target is null: {json:#}"
        );
    }
}
