//! `cargo run -p db -- up | down | status | reset`: the course's database, one command on any system.
//!
//! The work is done by `shared::setup`, the same code with which the lessons, the course runner and
//! the tests start the server themselves when none answers; this is its command line.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// The course's database server: start it, stop it, see it, reset it.
///
/// Reads DB_HOST, DB_PORT, DB_USER, DB_PASSWORD and DB_NAME as every lesson does (environment, then
/// .env, then the defaults), and DB_WAIT_SECONDS (90) and DB_ROOT_PASSWORD (Docker's root, `root`).
#[derive(Parser)]
#[command(name = "db")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Start a server if none answers (Docker, else a local MariaDB/MySQL in .db/), then create the
    /// user, the database and the schema. Safe to run again.
    Up,
    /// Stop the server this project started at DB_HOST:DB_PORT (the data is kept).
    Down,
    /// Say what runs at DB_HOST:DB_PORT and whether this project started it (exit code 3: nothing answers).
    Status,
    /// Drop and recreate the course database, and drop the tests' leftover databases (only on a
    /// server this project started).
    Reset,
}

fn main() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    let tool = shared::setup::Tool::from_env()?;
    match cli.command {
        Cmd::Up => tool.up()?,
        Cmd::Down => tool.down()?,
        Cmd::Status => {
            if !tool.status()? {
                return Ok(ExitCode::from(3));
            }
        }
        Cmd::Reset => tool.reset()?,
    }
    Ok(ExitCode::SUCCESS)
}
