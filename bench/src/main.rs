//! `cargo run -p bench --release`: what a connection costs and what each pool adds, measured
//! against the configured server. `-- --help` lists the flags.

use std::io::{IsTerminal, Write};
use std::ops::ControlFlow;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use bench::args::{Args, CHECKOUT_TIMEOUT};
use bench::report::{self, Report, Settings};
use bench::run::{self, Progress};
use bench::setup::Environment;
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
    let plan = args.plan();

    // The throwaway database is dropped when `env` goes out of scope, also on an error or a panic.
    let env = Environment::prepare(
        args.transport(),
        args.users,
        args.pool_size,
        CHECKOUT_TIMEOUT,
    )?;
    let settings = Settings {
        server_version: env.server_version.clone(),
        address: config.address(),
        database: env.database().to_string(),
        users: args.users,
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
    };
    if !args.json {
        println!("{}", report::render_settings(&settings));
    }

    let mut stderr = std::io::stderr();
    let terminal = stderr.is_terminal();
    let mut show = |p: &Progress| {
        let line = format!(
            "[{:>3}/{}] round {}/{}: {}, {} thread(s), {}",
            p.step,
            p.steps,
            p.round,
            p.rounds,
            p.workload.label(),
            p.threads,
            p.case.label()
        );
        // On a terminal one line updates in place; in a log, one line per round of the plan.
        if terminal {
            let _ = write!(stderr, "\r{line:<72}");
            let _ = stderr.flush();
        } else if p.step == 1 || p.step % (p.steps / p.rounds).max(1) == 1 {
            let _ = writeln!(stderr, "{line}");
        }
        if interrupted.load(Ordering::SeqCst) {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    };
    let started = Instant::now();
    let measured = run::run(&plan, &env.target, &mut show);
    if terminal {
        let _ = write!(stderr, "\r{:<72}\r", "");
    }
    let report = Report {
        settings,
        measurements: measured?,
        total: started.elapsed(),
    };

    if args.json {
        print!("{}", report::render_json(&report));
    } else {
        print!("{}", report::render_results(&report));
    }
    Ok(())
}
