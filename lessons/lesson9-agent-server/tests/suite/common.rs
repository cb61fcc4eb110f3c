//! What the test modules share: a server in this process on a free loopback port, an HTTP client,
//! and agents the test controls (the proxy that plays a database restart is shared::testing::proxy).
// Each test module uses only some of these helpers.
#![allow(dead_code)]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use lesson9::{Agent, AgentError, AnswerFuture, AppState, MysqlManager, MysqlPool, PoolSettings};
use serde_json::Value;
use shared::testing::TestDb;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// A running server; [`Server::stop`] shuts it down gracefully, dropping it aborts it.
pub struct Server {
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub url: String,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl Server {
    /// Serves `state` on a free port of 127.0.0.1.
    pub async fn start(state: AppState) -> Server {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free loopback port");
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(lesson9::serve(listener, state, async {
            let _ = stopped.await;
        }));
        Server {
            url,
            stop: Some(stop),
            task: Some(task),
        }
    }

    /// `self.url` + `path`.
    pub fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// Graceful shutdown: returns once the requests in flight are answered.
    pub async fn stop(mut self) {
        let _ = self.stop.take().unwrap().send(());
        let task = self.task.take().unwrap();
        task.await
            .expect("the server task did not panic")
            .expect("the server stopped without an I/O error");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// A pool of `size` connections to the test's database (blocking: it opens them).
pub fn pool(db: &TestDb, size: u32) -> MysqlPool {
    lesson9::build_pool(db.config(), size).expect("the pool opens its connections")
}

/// A pool with `settings` whose connections are opened with `opts` (for example through a relay),
/// built as `lesson5::build_pool` builds one.
pub fn pool_through(opts: mysql::OptsBuilder, settings: PoolSettings) -> MysqlPool {
    r2d2::Pool::builder()
        .max_size(settings.max_size)
        .min_idle(settings.min_idle)
        .connection_timeout(settings.connection_timeout)
        .test_on_check_out(settings.test_on_check_out)
        .build(MysqlManager::new(opts, settings.liveness_window))
        .unwrap_or_else(|err| panic!("the pool could not open its connections: {err}"))
}

/// A server over `db` with the offline agent.
pub async fn offline_server(db: &TestDb) -> Server {
    Server::start(AppState::new(pool(db, 4), Arc::new(lesson9::OfflineAgent))).await
}

/// An HTTP client that gives up on a request after 30 s (no test waits forever).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap()
}

/// Creates a user through the API and returns its id and its token.
pub async fn create_user(
    http: &reqwest::Client,
    server: &Server,
    name: &str,
    email: &str,
) -> (u64, String) {
    let reply = http
        .post(server.at("/users"))
        .json(&serde_json::json!({"name": name, "email": email}))
        .send()
        .await
        .unwrap();
    assert!(
        reply.status() == 201,
        "creating {email}: {}",
        reply.status()
    );
    let user: Value = reply.json().await.unwrap();
    let id = user["id"].as_u64().expect("the new user has a numeric id");
    let token = user["token"].as_str().expect("the new user has a token");
    (id, token.to_string())
}

/// Gives user `user_id`, inserted with plain SQL, a token, and returns it.
pub fn give_token(db: &TestDb, user_id: u64) -> String {
    lesson9::issue_token(&mut db.conn(), user_id).expect("the token is stored")
}

/// An agent whose answer the test chooses, and that counts how often it was asked.
pub struct FnAgent<F> {
    answer: F,
    calls: AtomicUsize,
}

impl<F> FnAgent<F>
where
    F: Fn(&str) -> Result<String, AgentError> + Send + Sync + 'static,
{
    pub fn new(answer: F) -> Arc<FnAgent<F>> {
        Arc::new(FnAgent {
            answer,
            calls: AtomicUsize::new(0),
        })
    }

    /// How many questions it was asked.
    pub fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
}

impl<F> Agent for FnAgent<F>
where
    F: Fn(&str) -> Result<String, AgentError> + Send + Sync + 'static,
{
    fn describe(&self) -> String {
        "test agent".to_string()
    }

    fn answer<'a>(&'a self, question: &'a str) -> AnswerFuture<'a> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move { (self.answer)(question) })
    }
}

/// How many messages the whole database holds, and how many questions have no answer: read with
/// plain SQL on a connection of the test's own, so it does not depend on the code under test.
pub fn totals(db: &TestDb) -> (u64, u64) {
    use mysql::prelude::Queryable;
    let mut conn = db.conn();
    let messages: u64 = conn
        .query_first("SELECT COUNT(*) FROM conversations")
        .unwrap()
        .unwrap();
    let orphans: u64 = conn
        .query_first(
            "SELECT COUNT(*) FROM conversations q \
             LEFT JOIN conversations a ON a.reply_to = q.id \
             WHERE q.role = 'user' AND a.id IS NULL",
        )
        .unwrap()
        .unwrap();
    (messages, orphans)
}

/// The server's own binary (`cargo run -p lesson9`), run on `db` with `RUST_LOG=rust_log`: what an
/// operator sees. Unix only (it is stopped with SIGTERM).
#[cfg(unix)]
pub struct ServerProcess {
    /// `http://127.0.0.1:PORT`, read from the line the server prints.
    pub url: String,
    /// What it printed on stdout so far.
    pub printed: Vec<String>,
    child: std::process::Child,
    lines: std::sync::mpsc::Receiver<String>,
    log: std::thread::JoinHandle<String>,
}

#[cfg(unix)]
impl ServerProcess {
    /// Starts the binary with a pool of 2 and the offline agent, and waits for its address.
    pub fn start(db: &TestDb, rust_log: &str) -> ServerProcess {
        use std::io::{BufRead, BufReader, Read};
        use std::process::{Command, Stdio};

        let config = db.config();
        let mut child = Command::new(env!("CARGO_BIN_EXE_lesson9"))
            .env("DB_HOST", &config.host)
            .env("DB_PORT", config.port.to_string())
            .env("DB_USER", &config.user)
            .env("DB_PASSWORD", &config.password)
            .env("DB_NAME", &config.database)
            .env("APP_ADDR", "127.0.0.1:0")
            .env("DB_POOL_SIZE", "2")
            .env("RUST_LOG", rust_log)
            .env_remove("AGENT")
            .env_remove("DB_REPLICA_HOST")
            .env_remove("DB_REPLICA_PORT")
            .args(["--serve-for", "60"]) // a bound, should the signal never arrive
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the demo starts");
        // Read on threads, so that a demo that hangs cannot hang the test.
        let (lines_tx, lines) = std::sync::mpsc::channel::<String>();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = lines_tx.send(line);
            }
        });
        let mut stderr = child.stderr.take().unwrap();
        let log = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        let mut printed = Vec::new();
        let url = loop {
            let line = lines
                .recv_timeout(Duration::from_secs(20))
                .unwrap_or_else(|_| panic!("the demo stopped printing; so far: {printed:#?}"));
            printed.push(line.clone());
            if let Some(rest) = line.strip_prefix("Serving on ") {
                break rest
                    .split_whitespace()
                    .next()
                    .unwrap()
                    .trim_end_matches('/')
                    .to_string();
            }
        };
        ServerProcess {
            url,
            printed,
            child,
            lines,
            log,
        }
    }

    /// Stops it with SIGTERM and returns what it printed (stdout), logged (stderr) and exited with.
    pub fn stop(self) -> Stopped {
        let killed = std::process::Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        assert!(killed.is_ok_and(|k| k.success()), "kill -TERM ran");
        let mut child = self.child;
        let status = child.wait().expect("the demo was started by this test");
        // The reader thread ends at the end of stdout: every line the demo printed is in the channel.
        let mut printed = self.printed;
        while let Ok(line) = self.lines.recv_timeout(Duration::from_secs(10)) {
            printed.push(line);
        }
        Stopped {
            printed,
            log: self.log.join().unwrap(),
            status,
        }
    }
}

/// What a [`ServerProcess`] left behind.
#[cfg(unix)]
pub struct Stopped {
    pub printed: Vec<String>,
    pub log: String,
    pub status: std::process::ExitStatus,
}
