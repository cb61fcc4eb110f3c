//! Graceful shutdown: the request in flight is answered, new connections are refused, and the
//! binary prints each step on SIGTERM.

use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::common::{Server, client, create_user, pool, totals};
use lesson9::{Agent, AnswerFuture, AppState};
use serde_json::json;
use shared::testing::TestDb;
use tokio::sync::Notify;

/// An agent that says when it is asked, and answers only when the test releases it.
struct GatedAgent {
    asked: Notify,
    release: Notify,
}

impl Agent for GatedAgent {
    fn describe(&self) -> String {
        "gated test agent".to_string()
    }

    fn answer<'a>(&'a self, _question: &'a str) -> AnswerFuture<'a> {
        Box::pin(async move {
            self.asked.notify_one();
            self.release.notified().await;
            Ok("finally".to_string())
        })
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_shutdown_refuses_new_connections_and_answers_the_chat_in_flight() {
    let db = TestDb::new().unwrap();
    let agent = Arc::new(GatedAgent {
        asked: Notify::new(),
        release: Notify::new(),
    });
    let server = Server::start(AppState::new(pool(&db, 2), agent.clone())).await;
    let address = server.url.trim_start_matches("http://").to_string();
    let http = client();
    let (id, token) = create_user(&http, &server, "Late", "late@example.com").await;

    let in_flight = tokio::spawn(
        http.post(server.at(&format!("/users/{id}/chat")))
            .bearer_auth(&token)
            .json(&json!({"question": "still there?"}))
            .send(),
    );
    tokio::time::timeout(Duration::from_secs(10), agent.asked.notified())
        .await
        .expect("the chat reached the agent");
    let stopping = tokio::spawn(server.stop());

    // New connections are refused once the server stopped listening (bounded wait).
    let deadline = Instant::now() + Duration::from_secs(5);
    let mut refused = false;
    while !refused && Instant::now() < deadline {
        refused = tokio::net::TcpStream::connect(&address).await.is_err();
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        refused,
        "a new connection to {address} was still accepted after the shutdown began"
    );
    assert!(
        !stopping.is_finished(),
        "the server stopped before its request in flight was answered"
    );

    agent.release.notify_one();
    let reply = in_flight
        .await
        .unwrap()
        .expect("the request in flight is answered");
    assert!(reply.status() == 201, "{}", reply.status());
    tokio::time::timeout(Duration::from_secs(10), stopping)
        .await
        .expect("the server stops once its last request is answered")
        .unwrap();
    assert!(
        totals(&db) == (2, 0),
        "the exchange was stored: {:?}",
        totals(&db)
    );
}

/// The status line of `GET path` (plain HTTP/1.0 over std's TcpStream: this test is not async).
#[cfg(unix)]
fn get_status_line(address: &str, path: &str) -> String {
    use std::io::{BufRead, BufReader, Write};
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    write!(stream, "GET {path} HTTP/1.0\r\nHost: {address}\r\n\r\n").unwrap();
    let mut line = String::new();
    BufReader::new(stream).read_line(&mut line).unwrap();
    line
}

#[cfg(unix)]
#[test]
fn the_demo_prints_each_step_when_it_gets_sigterm() {
    let db = TestDb::new().unwrap();
    let server = crate::common::ServerProcess::start(&db, "info");
    let health = get_status_line(server.url.trim_start_matches("http://"), "/health");
    assert!(
        health.contains(" 200 "),
        "the demo serves: /health gives {health:?}"
    );

    let stopped = server.stop();

    let text = stopped.printed.join("\n");
    let status = stopped.status;
    assert!(status.success(), "the demo exits cleanly: {status}\n{text}");
    for step in [
        "SIGTERM: shutting down",
        "no new connections are accepted",
        "every request in flight has been answered",
        "pool closed (2 connections)",
    ] {
        assert!(text.contains(step), "the demo prints {step:?}:\n{text}");
    }
}
