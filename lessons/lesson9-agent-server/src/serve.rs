//! Serving [`crate::app`] on a listener, with the limits a server in front of real users needs. You
//! need not read this file for the exercise; the README's "Limits" table says what each one is for.
//!
//! axum's own `serve` has no limits to set, so this is its loop written out with hyper's
//! connection builder: accept, serve each connection on its own task, and on shutdown stop
//! accepting and let the connections finish what they were answering.

use std::collections::hash_map::RandomState;
use std::future::Future;
use std::hash::BuildHasher;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tokio::sync::Semaphore;
use tower_http::timeout::RequestBodyTimeoutLayer;

use crate::{AppState, app};

/// What a client may hold of the server, and for how long.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The most connections served at once; past it, new clients wait in the listener's queue
    /// until one closes (a client that opens thousands cannot take the server's descriptors).
    pub max_connections: usize,
    /// How long a client may take to send a request's headers, the first as every later one on a
    /// kept-alive connection; then the connection is closed (a "slowloris" holds nothing for long).
    pub header_timeout: Duration,
    /// How long a client may take to send a request's body once its headers are in; then 408.
    pub body_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_connections: 1024,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
        }
    }
}

/// Serves [`app`] on `listener` within `limits` until `shutdown` completes; then accepts no new
/// connection and returns once the requests in flight have been answered.
pub async fn serve_with(
    listener: tokio::net::TcpListener,
    state: AppState,
    limits: Limits,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let service = TowerToHyperService::new(
        app(state)
            .layer(axum::middleware::from_fn(log_request))
            .layer(RequestBodyTimeoutLayer::new(limits.body_timeout)),
    );
    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(limits.header_timeout);
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let graceful = GracefulShutdown::new();
    tokio::pin!(shutdown);
    loop {
        let slot = tokio::select! {
            slot = Arc::clone(&slots).acquire_owned() => slot.expect("the semaphore is never closed"),
            () = &mut shutdown => break,
        };
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                // Out of descriptors, or a client gone before it was accepted: wait a moment, go on.
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let connection = http.serve_connection(TokioIo::new(stream), service.clone());
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            // A connection's own error (a client gone mid-request, a timeout) ends only it.
            let _ = connection.await;
            drop(slot);
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// The header that carries a request's id, in both directions.
const REQUEST_ID: &str = "x-request-id";

tokio::task_local! {
    /// The id of the request this task is answering.
    static CURRENT_ID: HeaderValue;
}

/// The id of the request being answered, if called while answering one: error bodies and log
/// lines carry it, so that what a user reports can be found in the log.
pub(crate) fn current_request_id() -> Option<String> {
    CURRENT_ID
        .try_with(|id| id.to_str().ok().map(str::to_string))
        .ok()
        .flatten()
}

/// Gives every request an id (the client's `X-Request-Id` if it is a sane one, else a new one),
/// returns it in the `X-Request-Id` header, and logs one line when the answer is ready.
async fn log_request(request: Request, next: Next) -> Response {
    let id = request
        .headers()
        .get(REQUEST_ID)
        .filter(|id| is_sane_request_id(id.as_bytes()))
        .cloned()
        .unwrap_or_else(new_request_id);
    // The route's pattern (`/users/{id}/chat`), not the path: no email or id of a user in the log.
    let route = match request.extensions().get::<MatchedPath>() {
        Some(route) => route.as_str().to_string(),
        None => "(no route)".to_string(),
    };
    let method = request.method().clone();
    let started = Instant::now();
    let mut response = CURRENT_ID.scope(id.clone(), next.run(request)).await;
    let status = response.status().as_u16();
    let millis = started.elapsed().as_secs_f64() * 1000.0;
    let request_id = id.to_str().unwrap_or_default();
    tracing::info!(request_id, "{method} {route} {status} {millis:.1} ms");
    response.headers_mut().insert(REQUEST_ID, id);
    response
}

/// 1 to 64 letters, digits, `-`, `_` or `.`: what an id from a proxy or a client looks like, and
/// nothing that could forge a log line.
fn is_sane_request_id(id: &[u8]) -> bool {
    (1..=64).contains(&id.len())
        && id
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// 16 hex digits, from the standard library's randomly seeded hasher: unique enough to find a
/// request in a log, and no crate needed.
fn new_request_id() -> HeaderValue {
    let id = format!("{:016x}", RandomState::new().hash_one(Instant::now()));
    HeaderValue::from_str(&id).expect("hex digits are a valid header value")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_id_from_outside_is_kept_only_if_it_is_short_and_plain() {
        assert!(is_sane_request_id(b"4bf92f3577b34da6-a3ce929d0e0e4736"));
        for forged in [
            &b""[..],
            b"id with spaces",
            b"id\nINFO fake line",
            &[b'a'; 65][..],
        ] {
            assert!(
                !is_sane_request_id(forged),
                "{:?} was accepted as a request id",
                String::from_utf8_lossy(forged)
            );
        }
    }

    #[test]
    fn new_request_ids_differ() {
        let ids: std::collections::HashSet<_> = (0..100).map(|_| new_request_id()).collect();
        assert!(
            ids.len() == 100,
            "100 new ids held {} different ones",
            ids.len()
        );
    }
}
