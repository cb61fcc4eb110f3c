//! `cargo run -p db -- up [--replica] | down | status [--replica] | reset`: the course's database
//! (and its replica), one command on any system.
//!
//! The work is done by `shared::setup`, the same code with which the lessons, the course runner and
//! the tests start the server themselves when none answers; this is its command line.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// The course's database server: start it, stop it, see it, reset it.
///
/// Reads DB_HOST, DB_PORT, DB_USER, DB_PASSWORD and DB_NAME as every lesson does (environment, then
/// .env, then the defaults), DB_REPLICA_HOST and DB_REPLICA_PORT (the replica, 127.0.0.1:3316), and
/// DB_WAIT_SECONDS (90) and DB_ROOT_PASSWORD (Docker's root, `root`).
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
    Up {
        /// Also a read-only replica at DB_REPLICA_HOST:DB_REPLICA_PORT (127.0.0.1:3316) that follows
        /// the server by GTID (binary log on), caught up before this returns.
        #[arg(long)]
        replica: bool,
    },
    /// Stop the server this project started at DB_HOST:DB_PORT, and its replica (the data is kept).
    Down,
    /// Say what runs at DB_HOST:DB_PORT and at the replica's port, whether this project started
    /// them, and the replica's state (exit code 3: nothing answers at DB_HOST:DB_PORT).
    Status {
        /// Also measure the replica's lag and compare its data with the primary's (row counts and
        /// checksums of the course database's tables; exit code 4 when they differ).
        #[arg(long)]
        replica: bool,
    },
    /// Drop and recreate the course database, and drop the tests' leftover databases (only on a
    /// server this project started).
    Reset,
}

fn main() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    let tool = shared::setup::Tool::from_env()?;
    match cli.command {
        Cmd::Up { replica: false } => tool.up()?,
        Cmd::Up { replica: true } => tool.up_with_replica()?,
        Cmd::Down => tool.down()?,
        Cmd::Status { replica } => {
            if !tool.status()? {
                return Ok(ExitCode::from(3));
            }
            if replica && !tool.check_replica()? {
                return Ok(ExitCode::from(4));
            }
        }
        Cmd::Reset => tool.reset()?,
    }
    Ok(ExitCode::SUCCESS)
}
