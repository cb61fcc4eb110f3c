//! Lesson 9's server measured over HTTP, next to the direct database call for the same work.
//!
//! The server runs in this process on `127.0.0.1:0`: `lesson9::serve` with the offline agent and
//! lesson 9's own pool (lesson 5's r2d2: a ping only for a connection idle 500 ms or more, nothing
//! on return). Two endpoints, each with one client and with several at once:
//! - `GET /users/{id}/conversations`: the 20 newest messages of a user who has 20;
//! - `POST /users/{id}/chat`: a question, the offline agent's answer, both saved in one transaction.
//!
//! The **direct call** does the same database work with the same pool from plain threads, without
//! HTTP: lesson 9's token check (`authorize`), then lesson 7's `get_recent_conversations`, or the
//! offline answer and lesson 8's `save_exchange` with lesson 9's `read_exchange`. It is the floor;
//! "x direct" is what HTTP, axum, the hop to a blocking thread and JSON add to it.
//! Each user gets a token when the server starts (lesson 9's `issue_token`); it stays in memory.
//!
//! The client is hyper's HTTP/1.1 client connection (hyper is the HTTP library under axum and
//! reqwest), so the bench writes no HTTP of its own and adds no client pool around it: a load
//! generator should cost little, because here it shares the cores with the server it measures.
//! Each simulated client keeps one keep-alive connection, as a browser tab would; all of them run
//! on one client thread (a single-threaded tokio runtime), so the server keeps the cores.
//! Every answer is checked: the status, and the body parsed as JSON (20 messages; a question and
//! the answer that replies to it).

use std::ops::ControlFlow;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail, ensure};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use serde::Serialize;
use serde::de::IgnoredAny;
use tokio::runtime::Runtime;
use tokio::sync::oneshot;

use crate::run::{Progress, ThreadResult, combine, interleave, measure_threads, panicked};
use crate::stats::{Rates, Summary};

/// How many messages `GET /users/{id}/conversations` returns without `?limit=`, and how many each
/// of its users has.
pub const CONVERSATION_LIMIT: u32 = 20;

/// What a chat asks (the offline agent answers it in English, about pools).
pub const QUESTION: &str = "Why does a connection pool make a server faster?";

/// An endpoint of lesson 9's server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Endpoint {
    /// `GET /users/{id}/conversations`: a read.
    #[serde(rename = "get_conversations")]
    Conversations,
    /// `POST /users/{id}/chat`: the agent's answer, then a transaction that writes two rows.
    #[serde(rename = "post_chat")]
    Chat,
}

impl Endpoint {
    /// Both endpoints, in report order.
    pub const ALL: [Endpoint; 2] = [Endpoint::Conversations, Endpoint::Chat];

    /// The name shown in the report.
    pub fn label(self) -> &'static str {
        match self {
            Endpoint::Conversations => "GET /users/{id}/conversations",
            Endpoint::Chat => "POST /users/{id}/chat",
        }
    }
}

/// How a request reaches the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Via {
    /// The same database work called directly, on the same pool: the floor.
    Direct,
    /// An HTTP request to the server.
    Http,
}

impl Via {
    /// Both, in report order: the floor first.
    pub const ALL: [Via; 2] = [Via::Direct, Via::Http];

    /// The name shown in the report.
    pub fn label(self) -> &'static str {
        match self {
            Via::Direct => "direct call",
            Via::Http => "HTTP",
        }
    }
}

/// What to measure over HTTP, and how much.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HttpPlan {
    /// Measured requests per endpoint, client count and way (summed over clients and rounds)
    /// for `GET` conversations.
    pub ops: usize,
    /// The same for `POST` chat, which commits a transaction each time.
    pub chat_ops: usize,
    /// Untimed requests per client before each round (at most as many as it then measures).
    pub warmup: usize,
    pub rounds: usize,
    pub clients: Vec<usize>,
    pub pool_size: u32,
}

impl HttpPlan {
    /// Requests each client does in each round (at least one).
    pub fn ops_per_client_per_round(&self, endpoint: Endpoint, clients: usize) -> usize {
        let ops = match endpoint {
            Endpoint::Conversations => self.ops,
            Endpoint::Chat => self.chat_ops,
        };
        ops.div_ceil(self.rounds.max(1) * clients.max(1)).max(1)
    }

    /// The largest client count.
    pub fn max_clients(&self) -> usize {
        self.clients.iter().copied().max().unwrap_or(1)
    }

    /// How many steps the plan runs (for the progress line).
    pub fn steps(&self) -> usize {
        self.rounds * Endpoint::ALL.len() * self.clients.len() * Via::ALL.len()
    }
}

/// The result of one endpoint, client count and way (in JSON a request is an "op").
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HttpMeasurement {
    pub endpoint: Endpoint,
    pub clients: usize,
    pub via: Via,
    /// The latency of each request. `latency.count` is the number of requests.
    #[serde(flatten)]
    pub latency: Summary,
    /// The rounds' wall time and throughput.
    #[serde(flatten)]
    pub rates: Rates,
    /// Direct requests/s ÷ these requests/s, same endpoint and clients (set by
    /// [`crate::report::Report::new`]).
    pub ratio_to_direct: Option<f64>,
}

impl HttpMeasurement {
    /// Requests per second, all clients together: the median of the rounds' throughputs.
    pub fn ops_per_sec(&self) -> f64 {
        self.rates.ops_per_sec
    }
}

/// Where the HTTP run is, for the progress line: endpoint, clients and way.
pub type HttpProgress = Progress<(Endpoint, usize, Via)>;

/// Lesson 9's server, serving in this process, and the clients that talk to it.
/// Dropping it stops the server (the requests in flight finish first) and closes its pool.
pub struct Server {
    pub base_url: String,
    /// The server's state: its pool is the one the direct call uses too.
    pub state: lesson9::AppState,
    pub readers: Vec<u64>,
    /// The users who chat, one per client (each chat adds to their conversation, not the readers').
    pub chatters: Vec<u64>,
    /// Each reader's and each chatter's token, in the same order (never printed).
    reader_tokens: Vec<String>,
    chatter_tokens: Vec<String>,
    pub pool_sees: String,
    server_runtime: Runtime,
    client_runtime: Runtime,
    clients: Vec<Arc<tokio::sync::Mutex<Sender>>>,
    address: std::net::SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    served: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Server {
    /// Opens lesson 9's pool of `pool_size` connections on `config`'s database, seeds
    /// `CONVERSATION_LIMIT` messages for each reader (and asks, on that connection, how the
    /// database server sees the pool's client), and starts the server on a free loopback port.
    /// `users` are the ids of at least `2 * clients` existing users (it panics with fewer): the
    /// first `clients` read, the next `clients` chat.
    pub fn start(
        config: &shared::Config,
        users: &[u64],
        clients: usize,
        pool_size: u32,
    ) -> anyhow::Result<Server> {
        assert!(
            users.len() >= 2 * clients,
            "{clients} clients need {} users, {} were given",
            2 * clients,
            users.len()
        );
        let (readers, chatters) = users[..2 * clients].split_at(clients);
        let pool = lesson9::build_pool(config, pool_size).context("lesson9::build_pool failed")?;
        let (pool_sees, reader_tokens, chatter_tokens) = {
            let mut conn = lesson5::checkout(&pool, crate::args::CHECKOUT_TIMEOUT)?;
            let mut tokens = |users: &[u64]| -> anyhow::Result<Vec<String>> {
                let issue = |&user: &u64| lesson9::issue_token(&mut **conn, user);
                Ok(users.iter().map(issue).collect::<Result<_, _>>()?)
            };
            let (reader_tokens, chatter_tokens) = (tokens(readers)?, tokens(chatters)?);
            for &user in readers {
                for _ in 0..CONVERSATION_LIMIT / 2 {
                    let answer = lesson9::OfflineAgent::reply(QUESTION);
                    lesson8::save_exchange(&mut conn, user, QUESTION, &answer)
                        .context("could not seed a conversation")?;
                }
            }
            (
                crate::setup::client_host_seen_by_server(&mut conn)?,
                reader_tokens,
                chatter_tokens,
            )
        };
        let state = lesson9::AppState::new(pool, Arc::new(lesson9::OfflineAgent));

        // The server gets tokio's usual runtime (a worker per core); the clients one thread.
        let server_runtime = Runtime::new()?;
        let client_runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let listener = server_runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .context("lesson 9's server could not listen on 127.0.0.1")?;
        let address = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let served = server_runtime.spawn(lesson9::serve(listener, state.clone(), async {
            let _ = stopped.await;
        }));
        let clients = client_runtime.block_on(async {
            let mut senders = Vec::with_capacity(clients);
            for _ in 0..clients {
                senders.push(Arc::new(tokio::sync::Mutex::new(connect(address).await?)));
            }
            anyhow::Ok(senders)
        })?;
        Ok(Server {
            base_url: format!("http://{address}"),
            state,
            readers: readers.to_vec(),
            chatters: chatters.to_vec(),
            reader_tokens,
            chatter_tokens,
            pool_sees,
            server_runtime,
            client_runtime,
            clients,
            address,
            stop: Some(stop),
            served: Some(served),
        })
    }

    /// Runs the plan, interleaved like the database cases: round 1 of every endpoint, client count
    /// and way, then round 2, ... with the order of the two ways swapped every other round.
    /// `progress` is called before each step and may stop the run (Ctrl+C), as in [`crate::run::run`].
    /// The measurements come back in report order: endpoint, clients, the direct call first.
    pub fn run(
        &self,
        plan: &HttpPlan,
        progress: &mut dyn FnMut(&HttpProgress) -> ControlFlow<()>,
    ) -> anyhow::Result<Vec<HttpMeasurement>> {
        let mut keys = Vec::new();
        for endpoint in Endpoint::ALL {
            for &clients in &plan.clients {
                keys.extend(Via::ALL.map(|via| (endpoint, clients, via)));
            }
        }
        let measured = interleave(&keys, Via::ALL.len(), plan.rounds, progress, |_, key| {
            let (endpoint, clients, via) = key;
            let per_client = plan.ops_per_client_per_round(endpoint, clients);
            let warmup = plan.warmup.min(per_client);
            match via {
                Via::Direct => measure_threads(clients, per_client, warmup, Ok, |&mut client| {
                    self.direct(endpoint, client)
                }),
                Via::Http => self.http_round(endpoint, clients, per_client, warmup),
            }
            .with_context(|| {
                let (what, via) = (endpoint.label(), via.label());
                format!("{what}, {clients} client(s), {via} failed")
            })
        })?;
        let measurements =
            measured
                .into_iter()
                .map(
                    |((endpoint, clients, via), latency, rates)| HttpMeasurement {
                        endpoint,
                        clients,
                        via,
                        latency,
                        rates,
                        ratio_to_direct: None,
                    },
                );
        Ok(measurements.collect())
    }

    /// The direct call: the database work of one request of `endpoint` for client number `client`,
    /// on the server's own pool, in this thread.
    pub fn direct(&self, endpoint: Endpoint, client: usize) -> anyhow::Result<()> {
        let pool = &self.state.pool;
        let timeout = self.state.checkout_timeout;
        let checkout = || lesson5::checkout(pool, timeout);
        match endpoint {
            Endpoint::Conversations => {
                // As the handler does: the token checked, then the read, on one checkout.
                let user = self.readers[client];
                let caller = lesson9::Caller::new(user, &self.reader_tokens[client]);
                let mut conn = checkout()?;
                lesson9::authorize(&mut **conn, caller).context("lesson9::authorize failed")?;
                let messages =
                    lesson7::get_recent_conversations(&mut **conn, user, CONVERSATION_LIMIT)
                        .context("lesson7::get_recent_conversations failed")?;
                check_conversation(user, messages.len())
            }
            Endpoint::Chat => {
                // As the handler does: the token checked, the agent answers (with no connection
                // borrowed), then both rows are saved and read back on a second checkout.
                let user = self.chatters[client];
                let caller = lesson9::Caller::new(user, &self.chatter_tokens[client]);
                lesson9::authorize(&mut **checkout()?, caller)
                    .context("lesson9::authorize failed")?;
                let answer = lesson9::OfflineAgent::reply(QUESTION);
                let mut conn = checkout()?;
                let saved = lesson8::save_exchange(&mut conn, user, QUESTION, &answer)
                    .context("lesson8::save_exchange failed")?;
                let reply = lesson9::read_exchange(&mut conn, saved)
                    .context("lesson9::read_exchange failed")?;
                check_reply(&reply)
            }
        }
    }

    /// One request of `endpoint` over HTTP for client number `client`, its answer checked.
    pub fn over_http(&self, endpoint: Endpoint, client: usize) -> anyhow::Result<()> {
        let request = Request::new(self, endpoint, client);
        let client = &self.clients[client];
        self.client_runtime
            .block_on(async { request.send(&mut *client.lock().await).await })
    }

    /// One round over HTTP: `clients` tasks on the client thread, each with its own keep-alive
    /// connection (opened for this round), `warmup` untimed and `per_client` timed requests, all starting at a barrier.
    fn http_round(
        &self,
        endpoint: Endpoint,
        clients: usize,
        per_client: usize,
        warmup: usize,
    ) -> anyhow::Result<(Vec<u64>, Duration)> {
        let barrier = Arc::new(tokio::sync::Barrier::new(clients));
        let results: Vec<ThreadResult> = self.client_runtime.block_on(async {
            let tasks: Vec<_> = (0..clients)
                .map(|c| {
                    let request = Request::new(self, endpoint, c);
                    let client = Arc::clone(&self.clients[c]);
                    let (barrier, address) = (Arc::clone(&barrier), self.address);
                    tokio::spawn(async move {
                        let mut sender = client.lock().await;
                        // A fresh connection each round, before its warm-up: lesson 9's server
                        // closes one that waited 10 s for a request, and the connection cases
                        // measured before take longer than that.
                        let mut warm = connect(address).await.map(|fresh| *sender = fresh);
                        // Every task reaches the barrier, also one whose warm-up failed.
                        for _ in 0..warmup {
                            if warm.is_err() {
                                break;
                            }
                            warm = request.send(&mut sender).await;
                        }
                        barrier.wait().await;
                        warm?;
                        let mut latencies = Vec::with_capacity(per_client);
                        let start = Instant::now();
                        let mut before = start;
                        for _ in 0..per_client {
                            request.send(&mut sender).await?;
                            let after = Instant::now();
                            latencies.push((after - before).as_nanos() as u64);
                            before = after;
                        }
                        Ok((latencies, start, before))
                    })
                })
                .collect();
            let mut results = Vec::with_capacity(clients);
            for task in tasks {
                results.push(task.await.unwrap_or_else(|_| Err(panicked())));
            }
            results
        });
        combine(results)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Stop accepting, let the requests in flight finish, then the pool closes with the state.
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(served) = self.served.take() {
            let _ = self.server_runtime.block_on(served);
        }
    }
}

/// One client's keep-alive HTTP/1.1 connection to the server, on bare hyper (see the module's docs):
/// reqwest's client, with its pool, redirects and proxies, cost about 1.6 times the CPU per
/// request here.
type Sender = hyper::client::conn::http1::SendRequest<Full<Bytes>>;

/// Opens a client's connection; its I/O is driven by a task on the client runtime.
async fn connect(address: std::net::SocketAddr) -> anyhow::Result<Sender> {
    let stream = tokio::net::TcpStream::connect(address).await?;
    stream.set_nodelay(true)?;
    let (sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
    tokio::spawn(connection);
    Ok(sender)
}

/// One client's request: what it sends, and to whom. The path and the body are written once, so
/// that each request costs the client as little as it can.
struct Request {
    endpoint: Endpoint,
    path: String,
    host: String,
    body: Bytes,
    /// `Bearer <the user's token>`.
    authorization: String,
    user: u64,
}

impl Request {
    fn new(server: &Server, endpoint: Endpoint, c: usize) -> Request {
        let (path, user, token) = match endpoint {
            Endpoint::Conversations => {
                ("conversations", server.readers[c], &server.reader_tokens[c])
            }
            Endpoint::Chat => ("chat", server.chatters[c], &server.chatter_tokens[c]),
        };
        Request {
            endpoint,
            path: format!("/users/{user}/{path}"),
            host: server.base_url.trim_start_matches("http://").to_string(),
            body: Bytes::from(serde_json::json!({ "question": QUESTION }).to_string()),
            authorization: format!("Bearer {token}"),
            user,
        }
    }

    /// Sends the request on `sender` and checks the answer: the status, then the body as JSON.
    async fn send(&self, sender: &mut Sender) -> anyhow::Result<()> {
        let builder = hyper::Request::builder()
            .uri(&self.path)
            .header(hyper::header::HOST, &self.host)
            .header(hyper::header::AUTHORIZATION, &self.authorization);
        let (request, expected) = match self.endpoint {
            Endpoint::Conversations => (builder.body(Full::default()), hyper::StatusCode::OK),
            Endpoint::Chat => (
                builder
                    .method(hyper::Method::POST)
                    .header(hyper::header::CONTENT_TYPE, "application/json")
                    .body(Full::new(self.body.clone())),
                hyper::StatusCode::CREATED,
            ),
        };
        let request = request.expect("the request is well formed");
        let exchange = async {
            sender.ready().await?;
            let response = sender.send_request(request).await?;
            let status = response.status();
            Ok::<_, hyper::Error>((status, response.into_body().collect().await?.to_bytes()))
        };
        let (status, body) = tokio::time::timeout(crate::args::CHECKOUT_TIMEOUT * 2, exchange)
            .await
            .map_err(|_| anyhow!("wrong answer: {} did not answer in time", self.path))?
            .context("an HTTP request to lesson 9's server failed")?;
        ensure!(
            status == expected,
            "wrong answer: {} answered {status}, not {expected}: {}",
            self.path,
            String::from_utf8_lossy(&body)
        );
        let not_json = |err: serde_json::Error| {
            anyhow!(
                "wrong answer: {} answered something else than JSON: {err}",
                self.path
            )
        };
        match self.endpoint {
            Endpoint::Conversations => {
                // Only counted, not decoded: the client's work is not what is measured.
                let messages: Vec<IgnoredAny> = serde_json::from_slice(&body).map_err(not_json)?;
                check_conversation(self.user, messages.len())
            }
            Endpoint::Chat => check_reply(&serde_json::from_slice(&body).map_err(not_json)?),
        }
    }
}

fn check_conversation(user: u64, messages: usize) -> anyhow::Result<()> {
    ensure!(
        messages == CONVERSATION_LIMIT as usize,
        "wrong answer: user {user}'s conversation has {messages} messages, not {CONVERSATION_LIMIT}"
    );
    Ok(())
}

fn check_reply(reply: &lesson9::ChatReply) -> anyhow::Result<()> {
    let (question, answer) = (&reply.question, &reply.answer);
    if question.role == "user" && answer.role == "assistant" && answer.reply_to == Some(question.id)
    {
        return Ok(());
    }
    bail!("wrong answer: a chat stored {question:?} and {answer:?}, not a question and its answer")
}
