//! What a client may hold of the server: a connection limit, and deadlines for a request's headers
//! and body. Raw TCP clients on 127.0.0.1 play the slow or greedy clients.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use crate::common::{client, pool};
use lesson9::{AppState, Limits, OfflineAgent};
use shared::testing::TestDb;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Serves the app over `db` with `limits` on a free loopback port; returns its address.
async fn serve(db: &TestDb, limits: Limits) -> String {
    let pool = pool(db, 2);
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap().to_string();
    let state = AppState::new(pool, Arc::new(OfflineAgent));
    tokio::spawn(lesson9::serve_with(
        listener,
        state,
        limits,
        std::future::pending(),
    ));
    address
}

/// What the server sends on `stream` until it closes it, or `None` if it is still open after 5 s.
async fn until_closed(stream: &mut TcpStream) -> Option<String> {
    let mut received = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut received));
    match read.await {
        Ok(_) => Some(String::from_utf8_lossy(&received).into_owned()),
        Err(_) => None,
    }
}

/// Whether `request` completes within `wait`.
async fn completes_within<F: Future>(wait: Duration, request: F) -> bool {
    tokio::time::timeout(wait, request).await.is_ok()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_client_that_never_finishes_its_headers_is_disconnected() {
    let db = TestDb::new().unwrap();
    let limits = Limits {
        header_timeout: Duration::from_millis(500),
        ..Limits::default()
    };
    let address = serve(&db, limits).await;

    let mut slow = TcpStream::connect(&address).await.unwrap();
    slow.write_all(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        .await
        .unwrap();

    assert!(
        until_closed(&mut slow).await.is_some(),
        "a client that sent half its headers still held its connection 5 s later, with a \
         header timeout of 0.5 s"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_body_that_stops_coming_is_answered_408_in_json() {
    let db = TestDb::new().unwrap();
    let limits = Limits {
        body_timeout: Duration::from_millis(500),
        ..Limits::default()
    };
    let address = serve(&db, limits).await;

    let mut slow = TcpStream::connect(&address).await.unwrap();
    slow.write_all(
        b"POST /users HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
          Content-Length: 100\r\nConnection: close\r\n\r\n{\"name\": ",
    )
    .await
    .unwrap();
    let reply = until_closed(&mut slow).await;

    let reply =
        reply.expect("the server still waited for the body 5 s later, with a timeout of 0.5 s");
    assert!(
        reply.starts_with("HTTP/1.1 408") && reply.contains("\"error\":"),
        "a body that stopped coming was answered: {reply:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn past_the_connection_limit_a_new_client_waits_until_one_closes() {
    let db = TestDb::new().unwrap();
    let limits = Limits {
        max_connections: 2,
        ..Limits::default()
    };
    let address = serve(&db, limits).await;
    let health = format!("http://{address}/health");
    let http = client();

    // Two clients that connect and say nothing take both places.
    let first = TcpStream::connect(&address).await.unwrap();
    let _second = TcpStream::connect(&address).await.unwrap();
    let while_full = completes_within(Duration::from_secs(1), http.get(&health).send()).await;
    drop(first);
    let once_one_left = completes_within(Duration::from_secs(5), http.get(&health).send()).await;

    assert!(
        !while_full,
        "a third client was answered while two connections held both places of a limit of 2"
    );
    assert!(
        once_one_left,
        "a client was not answered within 5 s after one of the two connections closed"
    );
}
