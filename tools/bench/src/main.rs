//! `cargo run -p bench --release`: what a connection costs and what each pool adds, measured
//! against the configured server. `-- --help` lists the flags.

use std::io::{IsTerminal, Write};
use std::ops::ControlFlow;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use anyhow::bail;
use bench::args::{Args, CHECKOUT_TIMEOUT};
use bench::http::Server;
use bench::report::{self, HttpSettings, Report, Settings};
use bench::run;
use bench::setup::Environment;
use bench::targets;
use clap::Parser;

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    // Ctrl+C only raises this flag; the run stops at its next step and returns an error, and on
    // the way out of `main` the throwaway database is dropped (killing the process at once would
    // leave it behind).
    let interrupted = Arc::new(AtomicBool::new(false));
    let flag = Arc::clone(&interrupted);
    ctrlc::set_handler(move || flag.store(true, Ordering::SeqCst))?;

    let config = shared::Config::from_env()?;
    if args.replica_reads {
        return replica_reads(&args);
    }
    let (plan, http_plan) = (args.plan(), args.http_plan());
    // Lesson 9's server needs two users per client: one whose conversation is read, one who chats.
    let clients = http_plan.as_ref().map_or(0, |p| p.max_clients());
    let users = args.users.max(2 * clients);

    // The throwaway database is dropped when `env` goes out of scope, also on an error or a panic.
    let env = Environment::prepare(args.transport(), users, args.pool_size, CHECKOUT_TIMEOUT)?;
    // Lesson 9's server, in this process, on its own pool in the same throwaway database; it
    // stops (and its pool closes) when `server` goes out of scope, before `env` drops the database.
    let server = match &http_plan {
        Some(p) => {
            let ids = env.user_ids(2 * clients)?;
            Some(Server::start(env.config(), &ids, clients, p.pool_size)?)
        }
        None => None,
    };
    let http = http_plan
        .as_ref()
        .zip(server.as_ref())
        .map(|(plan, server)| HttpSettings {
            plan: plan.clone(),
            address: server.base_url.clone(),
            pool_sees: server.pool_sees.clone(),
        });
    let settings = Settings {
        server_version: env.server_version.clone(),
        address: config.address(),
        database: env.database().to_string(),
        users,
        transport: env.transport.clone(),
        server_sees: env.server_sees.clone(),
        build: if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        },
        cores: std::thread::available_parallelism().map_or(1, |n| n.get()),
        plan: plan.clone(),
        pool_size: args.pool_size,
        checkout_timeout: CHECKOUT_TIMEOUT,
        http,
    };
    if !args.json {
        println!("{}", report::render_settings(&settings));
    }

    // The progress line on stderr: on a terminal one line updated in place; in a log, one line per
    // round. Each step also asks whether Ctrl+C was pressed.
    let terminal = std::io::stderr().is_terminal();
    let show = |(step, steps, round, rounds): (usize, usize, usize, usize), what: String| {
        let line = format!("[{step:>3}/{steps}] round {round}/{rounds}: {what}");
        if terminal {
            eprint!("\r{line:<80}");
            let _ = std::io::stderr().flush();
        } else if step == 1 || step % (steps / rounds).max(1) == 1 {
            eprintln!("{line}");
        }
        match interrupted.load(Ordering::SeqCst) {
            true => ControlFlow::Break(()),
            false => ControlFlow::Continue(()),
        }
    };
    let started = Instant::now();
    let measurements = run::run(&plan, &env.target, &mut |p| {
        let (workload, threads, case) = p.key;
        let what = format!(
            "{}, {threads} thread(s), {}",
            workload.label(),
            case.label()
        );
        show((p.step, p.steps, p.round, p.rounds), what)
    });
    let http_measurements = match (&http_plan, &server, &measurements) {
        (Some(plan), Some(server), Ok(_)) => server.run(plan, &mut |p| {
            let (endpoint, clients, via) = p.key;
            let what = format!("{}, {clients} client(s), {}", endpoint.label(), via.label());
            show((p.step, p.steps, p.round, p.rounds), what)
        }),
        _ => Ok(Vec::new()),
    };
    if terminal {
        eprint!("\r{:<80}\r", "");
    }
    let report = Report::new(
        settings,
        measurements?,
        http_measurements?,
        started.elapsed(),
    );

    if args.json {
        print!("{}", report::render_json(&report));
    } else {
        print!("{}", report::render_results(&report));
    }
    if args.check_targets {
        let checks = targets::check(&report);
        // With --json, stdout stays one JSON document.
        match args.json {
            true => eprint!("{}", targets::render(&checks)),
            false => print!("\n{}", targets::render(&checks)),
        }
        let missed = checks.iter().filter(|c| c.met != Some(true)).count();
        if missed > 0 {
            bail!(
                "{missed} of {} targets missed or not measured",
                checks.len()
            );
        }
    }
    Ok(())
}

/// `--replica-reads`: lesson 10's read case alone, in a throwaway database on the primary that
/// reaches the replica (dropped on the way out, also on an error).
fn replica_reads(args: &Args) -> anyhow::Result<()> {
    let db = shared::testing::ReplicaTestDb::new()
        .map_err(|why| anyhow::anyhow!("the read case needs a replica: {why}"))?;
    let flavor = lesson10::Flavor::detect(&mut db.primary_conn())?.to_string();
    eprintln!(
        "measuring {} reads per case on the primary {} and the replica {} ...",
        args.replica_ops,
        db.primary_config().address(),
        db.replica_config().address()
    );
    let measurements = bench::replica::run(&db, args.replica_ops, 50, args.rounds, args.warmup)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&measurements)?);
    } else {
        print!("{}", bench::replica::render(&flavor, &measurements));
    }
    Ok(())
}
