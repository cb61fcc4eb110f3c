//! `cargo run -p bench --release`: what a connection costs and what each pool adds, measured
//! against the configured server. `-- --help` lists the flags.

use std::io::{IsTerminal, Write};
use std::ops::ControlFlow;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use bench::args::{Args, CHECKOUT_TIMEOUT};
use bench::http::{HttpProgress, Server};
use bench::report::{self, HttpSettings, Report, Settings};
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
    let http_plan = args.http_plan();
    // Lesson 9's server needs two users per client: one whose conversation is read, one who chats.
    let users = args
        .users
        .max(http_plan.as_ref().map_or(0, |p| 2 * p.max_clients()));

    // The throwaway database is dropped when `env` goes out of scope, also on an error or a panic.
    let env = Environment::prepare(args.transport(), users, args.pool_size, CHECKOUT_TIMEOUT)?;
    // Lesson 9's server, in this process, on its own pool in the same throwaway database; it
    // stops (and its pool closes) when `server` goes out of scope, before `env` drops the database.
    let server = match &http_plan {
        Some(p) => {
            let users = env.user_ids(2 * p.max_clients())?;
            Some(Server::start(
                env.config(),
                &users,
                p.max_clients(),
                p.pool_size,
            )?)
        }
        None => None,
    };
    let http = match (&http_plan, &server) {
        (Some(plan), Some(server)) => Some(HttpSettings {
            plan: plan.clone(),
            address: server.base_url.clone(),
            pool_sees: server.pool_sees.clone(),
        }),
        _ => None,
    };

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

    let mut line = ProgressLine::new(&interrupted);
    let started = Instant::now();
    let measurements = run::run(&plan, &env.target, &mut |p: &Progress| {
        let what = format!(
            "{}, {} thread(s), {}",
            p.workload.label(),
            p.threads,
            p.case.label()
        );
        line.show(p.step, p.steps, p.round, p.rounds, &what)
    });
    let http_measurements = match (&http_plan, &server, &measurements) {
        (Some(plan), Some(server), Ok(_)) => server.run(plan, &mut |p: &HttpProgress| {
            let what = format!(
                "{}, {} client(s), {}",
                p.endpoint.label(),
                p.clients,
                p.via.label()
            );
            line.show(p.step, p.steps, p.round, p.rounds, &what)
        }),
        _ => Ok(Vec::new()),
    };
    line.clear();
    let report = Report {
        settings,
        measurements: measurements?,
        http: http_measurements?,
        total: started.elapsed(),
    };

    if args.json {
        print!("{}", report::render_json(&report));
    } else {
        print!("{}", report::render_results(&report));
    }
    Ok(())
}

/// The progress line on stderr: on a terminal one line updated in place; in a log, one line per
/// round. Each step also asks whether Ctrl+C was pressed.
struct ProgressLine<'a> {
    stderr: std::io::Stderr,
    terminal: bool,
    interrupted: &'a AtomicBool,
}

impl<'a> ProgressLine<'a> {
    fn new(interrupted: &'a AtomicBool) -> ProgressLine<'a> {
        let stderr = std::io::stderr();
        let terminal = stderr.is_terminal();
        ProgressLine {
            stderr,
            terminal,
            interrupted,
        }
    }

    fn show(
        &mut self,
        step: usize,
        steps: usize,
        round: usize,
        rounds: usize,
        what: &str,
    ) -> ControlFlow<()> {
        let line = format!("[{step:>3}/{steps}] round {round}/{rounds}: {what}");
        if self.terminal {
            let _ = write!(self.stderr, "\r{line:<80}");
            let _ = self.stderr.flush();
        } else if step == 1 || step % (steps / rounds).max(1) == 1 {
            let _ = writeln!(self.stderr, "{line}");
        }
        if self.interrupted.load(Ordering::SeqCst) {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }

    fn clear(&mut self) {
        if self.terminal {
            let _ = write!(self.stderr, "\r{:<80}\r", "");
        }
    }
}
