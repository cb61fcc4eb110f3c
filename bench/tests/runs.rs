//! The benchmark against the real server with tiny numbers of operations: every case runs, the
//! figures add up, answers are checked, the throwaway database is dropped. Each test makes its
//! own throwaway database. (Timing itself is the benchmark's business, not the tests'.)

use std::process::Command;
use std::time::Duration;

use bench::BenchError;
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

    let measurements = run::run(&plan, &env.target, &mut |p: &Progress| seen.push(*p))?;

    assert_eq!(measurements.len(), 6 * 2 * 2);
    let steps: Vec<usize> = seen.iter().map(|p| p.step).collect();
    assert_eq!(steps, (1..=plan.steps()).collect::<Vec<_>>());
    // Interleaved: round 1 of every workload, thread count and case, then round 2; within each
    // round the cases run in report order rotated by one more place.
    let per_round = plan.steps() / plan.rounds;
    for (i, p) in seen.iter().enumerate() {
        assert_eq!(p.round, i / per_round + 1, "{p:?}");
        let rotated = (i % Case::ALL.len() + p.round - 1) % Case::ALL.len();
        assert_eq!(p.case, Case::ALL[rotated], "{p:?}");
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
    assert_eq!(
        (
            measurements[23].case,
            measurements[23].workload,
            measurements[23].threads
        ),
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
    let measurements = run::run(&plan, &env.target, &mut |_: &Progress| {})?;
    let report = Report {
        settings: Settings {
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
        },
        measurements,
        total: Duration::from_secs(1),
    };

    let text = format!(
        "{}{}",
        report::render_settings(&report.settings),
        report::render_results(&report)
    );
    let json = report::render_json(&report);

    for case in Case::ALL {
        assert!(
            text.contains(case.label()),
            "{} missing from\n{text}",
            case.label()
        );
    }
    assert!(text.contains("not fair: add --release"), "{text}");
    assert_eq!(json.matches("\"median_us\"").count(), 24, "{json}");
    assert_eq!(json.matches("\"target\"").count(), report.targets().len());
    assert_eq!(report.targets().len(), 1 + 2 + 4);
    assert!(
        report.targets().iter().all(|t| t.met.is_some()),
        "{:?}",
        report.targets()
    );
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
        Err(BenchError::SocketUnavailable(why)) => assert!(!why.is_empty()),
        Err(other) => return Err(other.into()),
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
        Case::R2d2Defaults,
        Case::MysqlPool,
        Case::PerCall,
    ] {
        let prepared = Prepared::new(case, &target)?;
        let mut worker = prepared.worker(&target, 1)?;
        worker.op(Workload::SelectOne)?;
        let err = worker.op(Workload::UserByEmail).unwrap_err();
        assert!(
            matches!(&err, BenchError::WrongAnswer(what) if what.contains("nobody@")),
            "{case:?}: {err}"
        );
    }
    Ok(())
}

#[test]
fn the_program_runs_end_to_end_and_prints_json() -> anyhow::Result<()> {
    let output = Command::new(env!("CARGO_BIN_EXE_bench"))
        .args([
            "--ops",
            "8",
            "--per-call-ops",
            "2",
            "--rounds",
            "1",
            "--threads",
            "2",
        ])
        .args([
            "--pool-size",
            "2",
            "--warmup",
            "0",
            "--users",
            "5",
            "--json",
        ])
        .output()?;
    let stdout = String::from_utf8(output.stdout)?;
    let stderr = String::from_utf8_lossy(&output.stderr);

    assert!(output.status.success(), "{stderr}\n{stdout}");
    assert!(
        stdout.trim_start().starts_with('{') && stdout.trim_end().ends_with('}'),
        "{stdout}"
    );
    assert_eq!(stdout.matches("\"ops_per_sec\"").count(), 24, "{stdout}");
    assert!(stdout.contains("\"transport\": \"tcp\""), "{stdout}");
    let database = stdout
        .split("\"database\": \"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("the JSON names its database");
    assert!(!database_exists(database)?, "{database} was left behind");
    Ok(())
}

#[test]
fn bad_arguments_fail_with_a_message_and_help_succeeds() -> anyhow::Result<()> {
    let bad = Command::new(env!("CARGO_BIN_EXE_bench"))
        .args(["--ops", "zero"])
        .output()?;
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("--ops"));

    let help = Command::new(env!("CARGO_BIN_EXE_bench"))
        .arg("--help")
        .output()?;
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).contains("--threads N"));
    Ok(())
}
