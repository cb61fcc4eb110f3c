//! Under load: many clients at once, two server instances on one database, and a database that
//! goes away in the middle and comes back.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::{Server, client, create_user, offline_server, totals};
use lesson5::{MysqlManager, PoolSettings};
use lesson9::{AppState, OfflineAgent};
use serde_json::{Value, json};
use shared::testing::TestDb;
use shared::testing::proxy::Proxy;

const CLIENTS: usize = 16;
const CHATS_PER_CLIENT: usize = 50;

/// POSTs a question as `user` (id and token); returns the status, the question's id (for a 201)
/// and the error code (else).
async fn ask(
    http: &reqwest::Client,
    server_url: &str,
    user: &(u64, String),
    question: &str,
) -> (u16, Option<u64>, Option<String>) {
    let (user_id, token) = user;
    let reply = http
        .post(format!("{server_url}/users/{user_id}/chat"))
        .bearer_auth(token)
        .json(&json!({"question": question}))
        .send()
        .await
        .expect("the server answers every request");
    let status = reply.status().as_u16();
    let body: Value = reply.json().await.expect("a JSON body");
    let code = body["error"].as_str().map(str::to_string);
    (status, body["question"]["id"].as_u64(), code)
}

#[tokio::test(flavor = "multi_thread")]
async fn sixteen_clients_times_fifty_chats_store_800_exchanges_and_no_orphan() {
    let db = TestDb::new().unwrap();
    let server = offline_server(&db).await;
    let http = client();
    let mut users = Vec::new();
    for n in 0..CLIENTS {
        users.push(
            create_user(
                &http,
                &server,
                &format!("client {n}"),
                &format!("c{n}@example.com"),
            )
            .await,
        );
    }

    let mut clients = Vec::new();
    for user in users.clone() {
        let (http, url) = (http.clone(), server.url.clone());
        clients.push(tokio::spawn(async move {
            let mut created = 0;
            for n in 0..CHATS_PER_CLIENT {
                let (status, _, _) = ask(&http, &url, &user, &format!("question {n} 🦀")).await;
                created += usize::from(status == 201);
            }
            created
        }));
    }
    let mut created = 0;
    for client in clients {
        created += client.await.unwrap();
    }

    let exchanges = CLIENTS * CHATS_PER_CLIENT;
    assert!(
        created == exchanges,
        "{created} of {exchanges} chats got 201"
    );
    let (messages, orphans) = totals(&db);
    assert!(
        messages == 2 * exchanges as u64 && orphans == 0,
        "{exchanges} exchanges should be {} messages with 0 orphans: {messages} messages, {orphans} orphans",
        2 * exchanges
    );
    for (user_id, _) in users {
        let count = lesson8::count_messages(&mut db.conn(), user_id).unwrap();
        assert!(
            count == 2 * CHATS_PER_CLIENT as u64,
            "user {user_id} has {count} messages"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn two_instances_on_one_database_lose_and_duplicate_nothing() {
    let db = TestDb::new().unwrap();
    // Two servers, each with its own pool, as two processes would be.
    let servers = [offline_server(&db).await, offline_server(&db).await];
    let http = client();
    let alice = create_user(&http, &servers[0], "Alice", "alice@example.com").await;
    let bob = create_user(&http, &servers[1], "Bob", "bob@example.com").await;

    // 8 clients, each alternating between the two servers, all writing for the same two users.
    let mut clients = Vec::new();
    for client_no in 0..8 {
        let http = http.clone();
        let urls = [servers[0].url.clone(), servers[1].url.clone()];
        let (alice, bob) = (alice.clone(), bob.clone());
        clients.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            for n in 0..20 {
                let user = if n % 2 == 0 { &alice } else { &bob };
                let question = format!("client {client_no} question {n}");
                let (status, id, _) = ask(&http, &urls[(client_no + n) % 2], user, &question).await;
                assert!(status == 201, "{question}: {status}");
                ids.push(id.unwrap());
            }
            ids
        }));
    }
    let mut ids = Vec::new();
    for client in clients {
        ids.extend(client.await.unwrap());
    }

    ids.sort_unstable();
    ids.dedup();
    assert!(
        ids.len() == 160,
        "160 distinct questions, got {}",
        ids.len()
    );
    let (messages, orphans) = totals(&db);
    assert!(
        messages == 320 && orphans == 0,
        "{messages} messages, {orphans} orphans"
    );
    use mysql::prelude::Queryable;
    let distinct: u64 = db
        .conn()
        .query_first("SELECT COUNT(DISTINCT content) FROM conversations WHERE role = 'user'")
        .unwrap()
        .unwrap();
    assert!(
        distinct == 160,
        "each question stored once: {distinct} distinct questions"
    );
}

/// The database "restarts" during a load: a proxy between the app and the database closes every
/// connection and refuses new ones for a while, then lets them through again. From the app's side
/// that is a restart (the shared server on 3306 is never touched).
#[tokio::test(flavor = "multi_thread")]
async fn a_database_restart_during_a_load_gives_503s_then_recovers_with_no_orphan() {
    let db = TestDb::new().unwrap();
    let proxy = Proxy::start(&db);
    // Through the proxy, over TCP only: by default the mysql crate moves a loopback connection to
    // the server's Unix socket, which would bypass the proxy.
    let config = db.config().clone();
    let opts = config
        .opts_builder()
        .ip_or_hostname(Some("127.0.0.1"))
        .tcp_port(proxy.port())
        .prefer_socket(false);
    let pool = tokio::task::spawn_blocking(move || {
        r2d2::Pool::builder()
            .max_size(4)
            .connection_timeout(Duration::from_millis(500))
            .build(MysqlManager::new(
                opts,
                PoolSettings::default().liveness_window,
            ))
    })
    .await
    .unwrap()
    .expect("the pool opens its connections through the proxy");
    let state = AppState {
        checkout_timeout: Duration::from_millis(500),
        ..AppState::new(pool, Arc::new(OfflineAgent))
    };
    let server = Server::start(state).await;
    let http = client();
    let user = create_user(&http, &server, "Restart", "restart@example.com").await;

    // Phase 1: up. Phase 2: down until 10 requests were refused. Phase 3: up again until 10 chats
    // succeed. Each phase is bounded in requests and in time.
    let deadline = Instant::now() + Duration::from_secs(40);
    let (mut stored, mut unavailable, mut other) = (Vec::new(), 0, Vec::new());
    let mut n = 0;
    for (wanted, down) in [(10, false), (10, true), (10, false)] {
        if down {
            proxy.cut();
        } else {
            proxy.restore();
        }
        let mut seen = 0;
        while seen < wanted && Instant::now() < deadline {
            n += 1;
            let (status, id, code) = ask(&http, &server.url, &user, &format!("question {n}")).await;
            match (status, code.as_deref()) {
                (201, _) => {
                    stored.push(id.unwrap());
                    seen += usize::from(!down);
                }
                // The one other 503: the connection was lost during COMMIT (outcome unknown).
                (503, Some("db_unavailable" | "outcome_unknown")) => {
                    unavailable += 1;
                    seen += usize::from(down);
                }
                (status, code) => other.push(format!("{status} {code:?}")),
            }
        }
        assert!(
            seen == wanted,
            "phase down={down}: only {seen} of {wanted} expected replies before the deadline"
        );
    }

    assert!(
        other.is_empty(),
        "only 201 and 503 while the database restarts: {other:?}"
    );
    assert!(
        unavailable >= 10,
        "the requests while it is down got 503: {unavailable}"
    );
    let (messages, orphans) = totals(&db);
    assert!(
        orphans == 0,
        "no question without its answer: {orphans} orphans"
    );
    assert!(
        messages >= 2 * stored.len() as u64,
        "every 201 is stored: {} exchanges, {messages} messages",
        stored.len()
    );
    let health = http
        .get(server.at("/health"))
        .send()
        .await
        .unwrap()
        .status();
    assert!(
        health == 200,
        "the app recovered without a restart: /health is {health}"
    );
}
