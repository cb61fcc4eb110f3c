//! `cargo run -p lesson9`: the agent's server on http://127.0.0.1:8000/ (or `APP_ADDR`), until
//! Ctrl+C or SIGTERM; then it stops accepting, finishes the requests in flight and closes the pool,
//! printing each step. `cargo run -p lesson9 -- --serve-for N` stops it by itself after N seconds
//! (for scripts and CI).

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;
use lesson9::agent::EnvError;
use lesson9::{Agent, AppState, OfflineAgent, OpenAiAgent, OpenAiConfig};
use tracing::Level;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::fmt;
use tracing_subscriber::prelude::*;

fn env(key: &str) -> Option<String> {
    std::env::var(key).ok()
}

/// `DB_POOL_SIZE`, or the default when it is not set.
fn pool_size() -> Result<u32, EnvError> {
    let Some(value) = env("DB_POOL_SIZE") else {
        return Ok(lesson9::DEFAULT_POOL_SIZE);
    };
    match value.trim().parse::<u32>() {
        Ok(size) if size > 0 => Ok(size),
        _ => Err(EnvError {
            variable: "DB_POOL_SIZE",
            value,
            expected: "a whole number, at least 1",
        }),
    }
}

/// The agent's server: the JSON API and the chat page over lesson 5's pool.
/// Settings come from the environment or .env: APP_ADDR, DB_POOL_SIZE, DB_*, AGENT, LLM_*.
#[derive(Parser)]
struct Args {
    /// Stop by itself after this many seconds (scripts, CI); without it, serve until Ctrl+C or SIGTERM.
    #[arg(long, value_name = "SECONDS")]
    serve_for: Option<u64>,
}

/// One line per request (and per server error) on stderr, at the level `RUST_LOG` asks for
/// (`info`, `warn`, `lesson9=debug,warn`, ...); by default this server's requests and every warning.
fn start_logging() {
    let default = Targets::new()
        .with_target("lesson9", Level::INFO)
        .with_default(Level::WARN);
    let filter = match env("RUST_LOG") {
        None => default,
        Some(wanted) => wanted.parse().unwrap_or_else(|err| {
            eprintln!(
                "RUST_LOG={wanted:?} is not understood ({err}); logging requests and warnings"
            );
            default
        }),
    };
    tracing_subscriber::registry()
        .with(fmt::layer().with_target(false).with_writer(std::io::stderr))
        .with(filter)
        .init();
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    start_logging();
    // Reads .env too, so the variables below may be set there.
    let db = shared::Config::from_env()?;
    let addr = env("APP_ADDR").unwrap_or_else(|| lesson9::DEFAULT_ADDR.to_string());
    let pool_size = pool_size()?;
    let agent: Arc<dyn Agent> = match OpenAiConfig::from_lookup(env)? {
        None => Arc::new(OfflineAgent),
        Some(config) => Arc::new(OpenAiAgent::new(config)?),
    };
    let serve_for = args.serve_for.map(Duration::from_secs);

    println!(
        "Opening a pool of {pool_size} connections to {}/{} ...",
        db.address(),
        db.database
    );
    // Opening connections blocks: run it where blocking is allowed. One connection first, whose
    // error says what is wrong (no server, wrong password, ...) better than a pool's timeout.
    let (pool, replica) = tokio::task::spawn_blocking(move || -> anyhow::Result<_> {
        shared::start_server_if_needed(&db)?;
        let Some(replica) = db.replica_if_set() else {
            shared::check_server(&db)?;
            return Ok((lesson9::build_pool(&db, pool_size)?, None));
        };
        // With a replica (lesson 10), the primary's writes report their GTIDs, and reads of a
        // user's conversations go to the replica once it has that user's last write.
        let flavor = lesson10::Flavor::detect(&mut shared::connect(&db)?)?;
        let pool = lesson9::build_tracking_pool(&db, flavor, pool_size)?;
        let reads = lesson9::ReplicaReads::new(&replica, flavor, pool_size);
        Ok((pool, Some((reads, replica.address()))))
    })
    .await??;
    println!("  pool ready: {}", lesson5::describe(&pool));

    let mut state = AppState::new(pool.clone(), Arc::clone(&agent));
    if let Some((reads, address)) = replica {
        println!(
            "  conversations are read from the replica at {address} once it has the user's writes"
        );
        state = state.with_replica(reads);
    }

    let listener = tokio::net::TcpListener::bind(&addr)
        .await
        .with_context(|| format!("cannot listen on {addr} (another server there? set APP_ADDR)"))?;
    println!("Agent: {}", agent.describe());
    println!(
        "Serving on http://{}/  (the chat page; the API is under /users and /health)",
        listener.local_addr()?
    );
    println!("Press Ctrl+C to stop.");

    lesson9::serve(listener, state, shutdown_signal(serve_for)).await?;
    println!("  every request in flight has been answered");

    let open = pool.state().connections;
    // The router and its clones of the state are gone: this is the pool's last handle, and
    // dropping it closes each connection (the server sees a clean COM_QUIT, not a lost client).
    drop(pool);
    println!("  pool closed ({open} connections)");
    println!("Stopped.");
    Ok(())
}

/// Completes on Ctrl+C, on SIGTERM (what `docker stop`, systemd and Kubernetes send; Unix only),
/// or after `serve_for` (`--serve-for`); says which, and what happens next.
async fn shutdown_signal(serve_for: Option<Duration>) {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await; // no Ctrl+C handler: wait for the others
        }
    };
    #[cfg(unix)]
    let terminate = async {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut sigterm) => {
                sigterm.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    let timer = async {
        match serve_for {
            Some(duration) => tokio::time::sleep(duration).await,
            None => std::future::pending::<()>().await,
        }
    };

    let reason = tokio::select! {
        _ = ctrl_c => "Ctrl+C",
        _ = terminate => "SIGTERM",
        _ = timer => "--serve-for elapsed",
    };
    println!("\n{reason}: shutting down");
    println!("  no new connections are accepted; finishing the requests in flight ...");
}
