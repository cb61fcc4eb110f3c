//! MySQL in Docker, for students who have a Docker engine: `docker/compose.yml`, driven by `docker compose`.
//! The container publishes the server on 127.0.0.1:DB_PORT; the tool administers it as root over TCP
//! with DB_ROOT_PASSWORD (the image's MYSQL_ROOT_PASSWORD), like any other server at that address.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use crate::Config;
use anyhow::{Result, bail};

use super::say;

/// What the Docker engine says, as far as this project is concerned.
#[derive(Debug, PartialEq, Eq)]
pub enum Engine {
    /// No `docker` program, or no engine answers it.
    Absent,
    /// The engine refuses this user (on Linux: not in the `docker` group).
    NoPermission,
    /// The engine answers.
    Answers,
}

/// `docker compose -f docker/compose.yml`, with the course's settings from [`Config`], so that
/// Compose and the lessons read `.env` the same way (through the shared crate).
pub struct Compose {
    file: PathBuf,
    config: Config,
    root_password: String,
}

impl Compose {
    pub fn new(project_root: &Path, config: &Config, root_password: &str) -> Compose {
        Compose {
            file: project_root.join("docker").join("compose.yml"),
            config: config.clone(),
            root_password: root_password.to_string(),
        }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new("docker");
        command
            .arg("compose")
            .arg("-f")
            .arg(&self.file)
            .args(args)
            .env("DB_PORT", self.config.port.to_string())
            .env("DB_REPLICA_PORT", self.config.replica_port.to_string())
            .env("DB_USER", &self.config.user)
            .env("DB_PASSWORD", &self.config.password)
            .env("DB_NAME", &self.config.database)
            .env("DB_ROOT_PASSWORD", &self.root_password);
        command
    }

    /// The port the running container publishes MySQL on, if it runs.
    pub fn running_port(&self) -> Option<u16> {
        self.service_port("db")
    }

    /// The port the running replica container (service `replica`) publishes MySQL on, if it runs.
    pub fn replica_running_port(&self) -> Option<u16> {
        self.service_port("replica")
    }

    fn service_port(&self, service: &str) -> Option<u16> {
        let ps = run_with_timeout(
            self.command(&[
                "--profile",
                "replica",
                "ps",
                "-q",
                "--status",
                "running",
                service,
            ]),
            15,
        )?;
        if !ps.status.success() || ps.stdout.trim_ascii().is_empty() {
            return None;
        }
        let port = run_with_timeout(
            self.command(&["--profile", "replica", "port", service, "3306"]),
            15,
        )?;
        // "127.0.0.1:3306"
        let text = String::from_utf8_lossy(&port.stdout);
        text.trim().rsplit(':').next()?.parse().ok()
    }

    /// Starts (or waits for) the container and its healthcheck: the real server, after the init scripts.
    pub fn up(&self, wait: Duration) -> Result<()> {
        let seconds = (wait.as_secs() * 2).to_string();
        say("a Docker engine answers: starting MySQL 9.7 with docker compose");
        say(format!(
            "waiting up to {seconds}s for its healthcheck (the real server on TCP, after the init scripts) ..."
        ));
        let status = self
            .command(&["up", "-d", "--wait", "--wait-timeout", &seconds, "db"])
            .status()?;
        if !status.success() {
            let _ = self.command(&["logs", "--tail", "25", "db"]).status();
            bail!("the MySQL container did not become healthy; its last log lines are above");
        }
        Ok(())
    }

    /// Starts (or waits for) the replica's container, after the primary's (compose's `depends_on`),
    /// and its healthcheck. It is in the `replica` profile: a plain `docker compose up` leaves it out.
    pub fn up_replica(&self, wait: Duration) -> Result<()> {
        let seconds = (wait.as_secs() * 2).to_string();
        say(format!(
            "starting the replica's MySQL 9.7 container; waiting up to {seconds}s for its healthcheck ..."
        ));
        let status = self
            .command(&[
                "--profile",
                "replica",
                "up",
                "-d",
                "--wait",
                "--wait-timeout",
                &seconds,
                "replica",
            ])
            .status()?;
        if !status.success() {
            let _ = self
                .command(&["--profile", "replica", "logs", "--tail", "25", "replica"])
                .status();
            bail!("the replica's container did not become healthy; its last log lines are above");
        }
        Ok(())
    }

    /// Stops and removes the containers, the replica's too; their volumes, with the data, are kept.
    pub fn down(&self) -> Result<()> {
        say("stopping the Docker containers (their volumes, with the data, are kept)");
        if !self
            .command(&["--profile", "replica", "down"])
            .status()?
            .success()
        {
            bail!("docker compose down failed; see its output above");
        }
        Ok(())
    }
}

/// Whether a Docker engine answers this user, within 15 s.
pub fn engine() -> Engine {
    let mut info = Command::new("docker");
    info.arg("info");
    match run_with_timeout(info, 15) {
        Some(out) if out.status.success() => Engine::Answers,
        // Only the daemon's socket: the client may also warn that it cannot read ~/.docker/config.json.
        Some(out)
            if String::from_utf8_lossy(&out.stderr)
                .contains("permission denied while trying to connect") =>
        {
            Engine::NoPermission
        }
        _ => Engine::Absent,
    }
}

/// Runs a command, or gives up (and kills it) after `seconds`: a stuck engine must not hang the tool.
fn run_with_timeout(mut command: Command, seconds: u64) -> Option<Output> {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    // Read the pipes on their own threads, so a chatty command cannot block on a full pipe.
    let mut stdout = child.stdout.take()?;
    let mut stderr = child.stderr.take()?;
    let out = thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stdout.read_to_end(&mut buf);
        buf
    });
    let err = thread::spawn(move || {
        let mut buf = Vec::new();
        let _ = stderr.read_to_end(&mut buf);
        buf
    });
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let status = loop {
        if let Some(status) = child.try_wait().ok()? {
            break status;
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        thread::sleep(Duration::from_millis(100));
    };
    Some(Output {
        status,
        stdout: out.join().ok()?,
        stderr: err.join().ok()?,
    })
}
