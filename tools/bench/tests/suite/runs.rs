//! The benchmark against the real server with tiny numbers of operations: every case runs, the
//! figures add up, answers are checked, the throwaway database is dropped. Each test makes its
//! own throwaway database. (Timing itself is the benchmark's business, not the tests'.)

use std::ops::ControlFlow;
use std::process::Command;
use std::time::Duration;

use bench::cases::{Case, Prepared, Target, Workload};
use bench::report::{self, Report, Settings};
use bench::run::{self, Plan, Progress};
use bench::setup::{Environment, Transport, TransportChoice};
use mysql::prelude::Queryable;

const TIMEOUT: Duration = Duration::from_secs(5);

fn tiny_plan() -> Plan {
    Plan {
        ops: 12,
        per_call_ops: 4,
        warmup: 1,
        rounds: 2,
        threads: vec![1, 3],
        cases: Case::ALL.to_vec(),
        workloads: Workload::ALL.to_vec(),
    }
}

fn database_exists(name: &str) -> anyhow::Result<bool> {
    let config = shared::Config::from_env()?.with_database("");
    let mut conn = shared::connect(&config)?;
    let found: Option<String> = conn.exec_first(
        "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?",
        (name,),
    )?;
    Ok(found.is_some())
}

#[test]
fn every_case_runs_every_workload_with_one_and_several_threads() -> anyhow::Result<()> {
    let env = Environment::prepare(TransportChoice::Tcp, 20, 2, TIMEOUT)?;
    let plan = tiny_plan();
    let mut seen = Vec::new();

    let measurements = run::run(&plan, &env.target, &mut |p: &Progress| {
        seen.push(*p);
        ControlFlow::Continue(())
    })?;

    assert_eq!(measurements.len(), Case::ALL.len() * 2 * 2);
    let steps: Vec<usize> = seen.iter().map(|p| p.step).collect();
    assert_eq!(steps, (1..=plan.steps()).collect::<Vec<_>>());
    // Interleaved: round 1 of every workload, thread count and case, then round 2; within each
    // round the cases run in report order rotated by one more place.
    let per_round = plan.steps() / plan.rounds;
    for (i, p) in seen.iter().enumerate() {
        assert_eq!(p.round, i / per_round + 1, "{p:?}");
        let rotated = (i % Case::ALL.len() + p.round - 1) % Case::ALL.len();
        assert_eq!(p.key.2, Case::ALL[rotated], "{p:?}");
    }
    for m in &measurements {
        let per_thread = plan.ops_per_thread_per_round(m.case, m.threads);
        assert_eq!(
            m.latency.count,
            per_thread * m.threads * plan.rounds,
            "{m:?}"
        );
        assert!(
            m.latency.min > 0 && m.latency.min <= m.latency.median,
            "{m:?}"
        );
        assert!(
            m.latency.median <= m.latency.p99 && m.latency.p99 <= m.latency.max,
            "{m:?}"
        );
        assert!(m.ops_per_sec() > 0.0, "{m:?}");
    }
    // Report order: workload, then threads, then case.
    assert_eq!(
        (
            measurements[0].case,
            measurements[0].workload,
            measurements[0].threads
        ),
        (Case::Held, Workload::SelectOne, 1)
    );
    let last = &measurements[measurements.len() - 1];
    assert_eq!(
        (last.case, last.workload, last.threads),
        (Case::PerCall, Workload::UserByEmail, 3)
    );
    Ok(())
}

#[test]
fn the_report_shows_every_case_and_the_json_every_result() -> anyhow::Result<()> {
    let env = Environment::prepare(TransportChoice::Tcp, 10, 2, TIMEOUT)?;
    let plan = Plan {
        threads: vec![1, 2],
        ..tiny_plan()
    };
    let measurements = run::run(&plan, &env.target, &mut |_: &Progress| {
        ControlFlow::Continue(())
    })?;
    let report = Report::new(
        Settings {
            server_version: env.server_version.clone(),
            address: "127.0.0.1:3306".into(),
            database: env.database().to_string(),
            users: 10,
            transport: env.transport.clone(),
            server_sees: env.server_sees.clone(),
            build: "debug",
            cores: 2,
            plan,
            pool_size: 2,
            checkout_timeout: TIMEOUT,
            http: None,
        },
        measurements,
        Vec::new(),
        Duration::from_secs(1),
    );

    let text = format!(
        "{}{}",
        report::render_settings(&report.settings),
        report::render_results(&report)
    );
    let json: serde_json::Value = serde_json::from_str(&report::render_json(&report))?;

    for case in Case::ALL {
        assert!(
            text.contains(case.label()),
            "{} missing from\n{text}",
            case.label()
        );
    }
    assert!(text.contains("not fair: add --release"), "{text}");
    let results = json["results"].as_array().expect("results is a list");
    assert_eq!(
        results.len(),
        report.measurements.len(),
        "one JSON result per measurement: {json:#}"
    );
    for (result, m) in results.iter().zip(&report.measurements) {
        assert_eq!(
            (&result["case"], &result["workload"], &result["threads"]),
            (
                &serde_json::to_value(m.case)?,
                &serde_json::to_value(m.workload)?,
                &m.threads.into()
            ),
            "the JSON results keep the report's order: {result}"
        );
        assert_eq!(
            result["ops"], m.latency.count,
            "the JSON counts the operations measured: {result}"
        );
    }
    assert!(
        json.get("targets").is_none() && !text.contains("Targets"),
        "the report only reports; --check-targets checks the targets: {json:#}"
    );
    assert_eq!(
        json["per_call_vs_pools"].as_array().map(Vec::len),
        Some(2 * 2),
        "a per-call comparison for each workload and thread count: {json:#}"
    );
    Ok(())
}

#[test]
fn the_run_stops_at_the_step_where_progress_says_stop() -> anyhow::Result<()> {
    let env = Environment::prepare(TransportChoice::Tcp, 5, 1, TIMEOUT)?;
    let mut steps = 0;

    let result = run::run(&tiny_plan(), &env.target, &mut |p: &Progress| {
        steps += 1;
        if p.step == 3 {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    });

    assert!(
        result
            .as_ref()
            .is_err_and(|err| err.to_string().starts_with("interrupted")),
        "a stopped run is an error, not a partial report: {result:?}"
    );
    assert_eq!(steps, 3, "no step runs after the one told to stop");
    Ok(())
}

#[test]
fn the_throwaway_database_holds_the_seeded_users_and_is_dropped_afterwards() -> anyhow::Result<()> {
    let env = Environment::prepare(TransportChoice::Tcp, 25, 1, TIMEOUT)?;
    let name = env.database().to_string();
    let mut conn = mysql::Conn::new(env.target.opts.clone())?;
    let users: Option<u64> = conn.query_first("SELECT COUNT(*) FROM users")?;
    assert_eq!(users, Some(25));
    assert_eq!(env.target.emails.len(), 25);
    assert!(name.starts_with("llmagent_test_"), "{name}");
    drop(conn);

    drop(env);

    assert!(!database_exists(&name)?, "{name} is still there");
    Ok(())
}

#[test]
fn tcp_is_the_default_and_the_server_sees_a_tcp_client() -> anyhow::Result<()> {
    let env = Environment::prepare(TransportChoice::Tcp, 1, 1, TIMEOUT)?;

    assert!(
        matches!(env.transport, Transport::Tcp(_)),
        "{:?}",
        env.transport
    );
    // Over TCP the server names the client host:port; over the socket it would say `localhost`.
    assert!(env.server_sees.contains(':'), "{}", env.server_sees);
    Ok(())
}

#[test]
fn the_socket_choice_uses_the_socket_or_says_why_it_cannot() -> anyhow::Result<()> {
    match Environment::prepare(TransportChoice::Socket, 5, 1, TIMEOUT) {
        Ok(env) => {
            assert!(
                matches!(env.transport, Transport::Socket(_)),
                "{:?}",
                env.transport
            );
            assert_eq!(env.server_sees, "localhost");
            let prepared = Prepared::new(Case::Lesson4, &env.target)?;
            let (latencies, _) =
                run::run_round(&prepared, &env.target, Workload::UserByEmail, 2, 3, 0, 1)?;
            assert_eq!(latencies.len(), 6);
        }
        // A server in Docker has no socket on this machine: that must be said, not hidden.
        Err(err)
            if err
                .to_string()
                .contains("cannot use the server's Unix socket") => {}
        Err(other) => return Err(other),
    }
    Ok(())
}

#[test]
fn a_wrong_answer_stops_the_benchmark_instead_of_being_timed() -> anyhow::Result<()> {
    let env = Environment::prepare(TransportChoice::Tcp, 3, 1, TIMEOUT)?;
    let target = Target {
        emails: vec!["nobody@bench.example".into()],
        ..env.target.clone()
    };

    for case in [
        Case::Held,
        Case::Lesson4,
        Case::R2d2Lesson5,
        Case::R2d2Defaults,
        Case::MysqlPool,
        Case::PerCall,
    ] {
        let prepared = Prepared::new(case, &target)?;
        let mut worker = prepared.worker(&target, 1)?;
        worker.op(Workload::SelectOne)?;
        let err = worker.op(Workload::UserByEmail).unwrap_err();
        assert!(
            err.to_string().starts_with("wrong answer") && err.to_string().contains("nobody@"),
            "{case:?}: {err}"
        );
    }
    Ok(())
}

#[test]
fn the_program_runs_end_to_end_and_prints_json() -> anyhow::Result<()> {
    let output = Command::new(env!("CARGO_BIN_EXE_bench"))
        .args(["--ops", "8", "--per-call-ops", "2", "--rounds", "1"])
        .args(["--threads", "2", "--pool-size", "2", "--warmup", "0"])
        .args(["--users", "5", "--json"])
        .args(["--http-ops", "8", "--chat-ops", "4", "--http-clients", "2"])
        .output()?;
    let stdout = String::from_utf8(output.stdout)?;
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}\n{stdout}");

    let json: serde_json::Value = serde_json::from_str(&stdout)?;
    let settings = &json["settings"];
    assert_eq!(settings["transport"]["kind"], "tcp", "{settings}");
    assert_eq!(
        (
            &settings["ops"],
            &settings["threads"],
            &settings["pool_size"]
        ),
        (&8.into(), &serde_json::json!([1, 2]), &2.into()),
        "the settings are the flags given: {settings}"
    );
    let results = json["results"].as_array().expect("results is a list");
    assert_eq!(
        results.len(),
        7 * 2 * 2,
        "7 cases x 2 workloads x 2 thread counts: {stdout}"
    );
    for result in results {
        let figure = |key: &str| result[key].as_f64().unwrap_or(f64::NAN);
        assert!(
            figure("ops") >= 2.0 && figure("ops_per_sec") > 0.0,
            "every result measured something: {result}"
        );
        assert!(
            figure("min_us") <= figure("median_us")
                && figure("median_us") <= figure("p99_us")
                && figure("p99_us") <= figure("max_us"),
            "min <= median <= p99 <= max: {result}"
        );
    }
    let http = json["http_results"]
        .as_array()
        .expect("http_results is a list");
    assert_eq!(
        http.len(),
        2 * 2 * 2,
        "2 endpoints x 2 client counts x (HTTP, direct): {stdout}"
    );
    for result in http {
        let ratio = result["ratio_to_direct"].as_f64().unwrap_or(f64::NAN);
        assert!(
            result["ops"].as_u64() >= Some(4) && ratio > 0.0,
            "every HTTP result measured something and compares it with the direct call: {result}"
        );
    }
    assert_eq!(
        settings["http"]["clients"],
        serde_json::json!([1, 2]),
        "{settings}"
    );
    assert!(
        json.get("targets").is_none(),
        "the report only reports: {stdout}"
    );
    let database = settings["database"]
        .as_str()
        .expect("the JSON names its database");
    assert!(!database_exists(database)?, "{database} was left behind");
    Ok(())
}

#[test]
fn check_targets_prints_each_verdict_and_fails_when_one_was_not_measured() -> anyhow::Result<()> {
    // One thread: "lesson4 against r2d2 with several threads" cannot be measured, whatever the timing.
    let output = Command::new(env!("CARGO_BIN_EXE_bench"))
        .args([
            "--ops",
            "8",
            "--per-call-ops",
            "2",
            "--rounds",
            "1",
            "--warmup",
            "0",
        ])
        .args([
            "--threads",
            "1",
            "--users",
            "5",
            "--no-http",
            "--check-targets",
        ])
        .env("RUST_BACKTRACE", "0")
        .output()?;
    let stdout = String::from_utf8(output.stdout)?;
    let stderr = String::from_utf8_lossy(&output.stderr);

    assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
    let targets = stdout.split("\nTargets\n").nth(1).unwrap_or_default();
    assert!(
        targets.contains("lesson4 pool, 1 thread, SELECT 1: within 1.15x")
            && targets.contains("not measured in this run"),
        "the targets follow the report, each with its verdict: {stdout}"
    );
    assert!(
        stderr.contains("targets missed or not measured"),
        "the error says why the run failed: {stderr}"
    );
    Ok(())
}

#[test]
fn bad_arguments_fail_with_a_message_and_help_succeeds() -> anyhow::Result<()> {
    let bad = Command::new(env!("CARGO_BIN_EXE_bench"))
        .args(["--ops", "zero"])
        .output()?;
    assert!(!bad.status.success(), "--ops zero must be refused");
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert!(
        stderr.contains("--ops") && stderr.contains("zero"),
        "the message names the flag and the value: {stderr}"
    );

    let help = Command::new(env!("CARGO_BIN_EXE_bench"))
        .arg("--help")
        .output()?;
    assert!(help.status.success(), "--help is no error");
    let text = String::from_utf8_lossy(&help.stdout);
    assert!(
        text.contains("--threads <N>") && text.contains("--prefer-socket"),
        "--help lists the flags: {text}"
    );
    Ok(())
}

#[test]
fn a_refused_connection_is_printed_once_under_what_the_benchmark_was_doing() -> anyhow::Result<()> {
    // Port 1 on loopback: nothing listens there, so the connection is refused at once.
    let output = Command::new(env!("CARGO_BIN_EXE_bench"))
        .env("DB_HOST", "127.0.0.1")
        .env("DB_PORT", "1")
        // Else the course's own server would be started there (shared's autostart).
        .env("DB_AUTOSTART", "0")
        .env("RUST_BACKTRACE", "0")
        .output()?;
    let stderr = String::from_utf8_lossy(&output.stderr);

    assert!(
        !output.status.success(),
        "no server, no benchmark: {stderr}"
    );
    assert!(
        stderr.starts_with("Error: could not set up the benchmark's throwaway database"),
        "the first line says what the benchmark was doing: {stderr}"
    );
    assert_eq!(
        stderr.to_lowercase().matches("refused").count(),
        1,
        "the refused connection is printed once in the whole chain: {stderr}"
    );
    let lines: Vec<&str> = stderr
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    for (i, line) in lines.iter().enumerate() {
        for later in &lines[i + 1..] {
            assert!(
                !later.contains(line) && !line.contains(later),
                "one line of the chain repeats another ({line:?} / {later:?}):\n{stderr}"
            );
        }
    }
    Ok(())
}

/// Ctrl+C in a terminal sends SIGINT to the program; the benchmark must still drop its database.
#[cfg(unix)]
#[test]
fn ctrl_c_stops_the_run_and_the_throwaway_database_is_dropped() -> anyhow::Result<()> {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;
    use std::time::Instant;

    // Far more work than the test waits for: only SIGINT ends it early.
    let mut child = Command::new(env!("CARGO_BIN_EXE_bench"))
        .args(["--ops", "10000000", "--rounds", "1000", "--users", "5"])
        .env("RUST_BACKTRACE", "0")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    // Both pipes stay open until the end: a closed one would make the child fail on its next print.
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout is piped")).lines();
    let mut stderr = BufReader::new(child.stderr.take().expect("stderr is piped"));

    // The settings block names the database before measuring starts.
    let Some(database) = stdout.by_ref().map_while(Result::ok).find_map(|line| {
        let rest = line.trim().strip_prefix("database")?;
        Some(rest.split_whitespace().next()?.to_string())
    }) else {
        let mut why = String::new();
        std::io::Read::read_to_string(&mut stderr, &mut why)?;
        anyhow::bail!("the benchmark ended before naming its database: {why}");
    };
    // The first progress line: measuring has started.
    let mut progress = String::new();
    stderr.read_line(&mut progress)?;
    assert!(progress.contains("round 1/"), "progress: {progress:?}");
    assert!(
        database_exists(&database)?,
        "{database} exists while the run goes on"
    );

    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()?;
    assert!(sent.success(), "kill -INT could not signal the benchmark");
    let deadline = Instant::now() + Duration::from_secs(30);
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break status;
        }
        if Instant::now() > deadline {
            child.kill()?;
            anyhow::bail!("the benchmark did not stop within 30 s of Ctrl+C");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest)?;
    drop(stdout);

    assert_eq!(
        status.code(),
        Some(1),
        "the benchmark returns its error (killed by the signal it would have no code): {rest}"
    );
    assert!(
        rest.contains("interrupted (Ctrl+C)"),
        "it says why it stopped: {rest}"
    );
    assert!(!database_exists(&database)?, "{database} was left behind");
    Ok(())
}
