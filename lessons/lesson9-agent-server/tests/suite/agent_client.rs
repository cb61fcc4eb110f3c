//! The OpenAI-compatible client against a fake chat-completions service on 127.0.0.1: a success,
//! an error status, a timeout, a malformed reply, a closed port; and a failing service seen
//! through the server (502, nothing stored, no key anywhere).

use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::{Server, client, create_user, pool, totals};
use axum::Json;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use lesson9::{Agent, AgentError, AppState, OpenAiAgent, OpenAiConfig};
use serde_json::{Value, json};
use shared::testing::TestDb;

const KEY: &str = "sk-test-0123456789-secret";

/// What the fake service does with a request.
#[derive(Clone, Copy)]
enum Behaviour {
    Answer,
    Unauthorized,
    Slow,
    NotJson,
    NoChoices,
}

/// A fake service on a free loopback port; returns its base URL and the requests it received.
async fn fake_service(behaviour: Behaviour) -> (String, Arc<Mutex<Vec<(HeaderMap, Value)>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let handler = move |headers: HeaderMap, Json(body): Json<Value>| async move {
        log.lock().unwrap().push((headers, body));
        let reply: Response = match behaviour {
            Behaviour::Answer => Json(json!({
                "id": "chatcmpl-1",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": "안녕하세요 😀"}}]
            }))
            .into_response(),
            // Like OpenAI's, the body quotes the key: the client must not pass it on.
            Behaviour::Unauthorized => (
                StatusCode::UNAUTHORIZED,
                Json(json!({"error": {"message": format!("Incorrect API key provided: {KEY}")}})),
            )
                .into_response(),
            Behaviour::Slow => {
                // Longer than the client's timeout; bounded, so the task ends on its own.
                tokio::time::sleep(Duration::from_secs(5)).await;
                Json(json!({})).into_response()
            }
            Behaviour::NotJson => "<html>gateway</html>".into_response(),
            Behaviour::NoChoices => Json(json!({"choices": []})).into_response(),
        };
        reply
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    let app = axum::Router::new().route("/v1/chat/completions", post(handler));
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, seen)
}

fn agent(base_url: String) -> OpenAiAgent {
    OpenAiAgent::new(OpenAiConfig {
        base_url,
        api_key: KEY.to_string(),
        model: "test-model".to_string(),
        timeout: Duration::from_millis(500),
    })
    .unwrap()
}

/// Every way the error can be shown: none may hold the key.
fn assert_no_key(err: &AgentError) {
    let shown = format!("{err} / {err:?}");
    assert!(!shown.contains("secret"), "the key is shown: {shown}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_success_is_the_first_choices_content_and_the_request_carries_model_key_and_question() {
    let (url, seen) = fake_service(Behaviour::Answer).await;

    let answer = agent(url).answer("인사해 주세요").await;

    assert!(
        matches!(&answer, Ok(text) if text == "안녕하세요 😀"),
        "{answer:?}"
    );
    let seen = seen.lock().unwrap();
    let (headers, body) = &seen[0];
    assert!(
        headers["authorization"] == format!("Bearer {KEY}").as_str(),
        "{headers:?}"
    );
    assert!(body["model"] == "test-model", "{body}");
    assert!(
        body["messages"][1] == json!({"role": "user", "content": "인사해 주세요"}),
        "{body}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_error_status_is_reported_by_its_code_without_the_body() {
    let (url, _) = fake_service(Behaviour::Unauthorized).await;

    let err = agent(url).answer("hi").await.unwrap_err();

    assert!(matches!(err, AgentError::Status(401)), "{err:?}");
    assert_no_key(&err);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_service_slower_than_the_timeout_is_a_timeout() {
    let (url, _) = fake_service(Behaviour::Slow).await;

    let err = agent(url).answer("hi").await.unwrap_err();

    assert!(matches!(err, AgentError::Timeout(_)), "{err:?}");
    assert_no_key(&err);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reply_that_is_not_a_chat_completion_is_malformed() {
    for behaviour in [Behaviour::NotJson, Behaviour::NoChoices] {
        let (url, _) = fake_service(behaviour).await;

        let err = agent(url).answer("hi").await.unwrap_err();

        assert!(matches!(err, AgentError::Malformed(_)), "{err:?}");
    }
}

/// A service that answers 200 and then sends `[` until the client stops reading (at most 64 MiB,
/// in 64 KiB pieces), on a free loopback port. Returns its base URL and how many bytes it wrote.
async fn endless_service() -> (String, tokio::task::JoinHandle<usize>) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v1", listener.local_addr().unwrap());
    let sent = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut request = vec![0; 64 * 1024];
        let _ = socket.read(&mut request).await; // the request itself does not matter
        let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n";
        let mut sent = 0;
        if socket.write_all(head.as_bytes()).await.is_ok() {
            let piece = vec![b'['; 64 * 1024];
            while sent < 64 << 20 && socket.write_all(&piece).await.is_ok() {
                sent += piece.len();
            }
        }
        sent
    });
    (url, sent)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_reply_larger_than_an_answer_can_be_is_refused_without_reading_it_all() {
    let (url, sent) = endless_service().await;

    let err = agent(url).answer("hi").await.unwrap_err();
    let sent = sent.await.unwrap();

    assert!(matches!(err, AgentError::ReplyTooLarge), "{err:?}");
    // What the client read, plus what the sockets' buffers took before it closed the connection.
    assert!(
        sent < 16 << 20,
        "the service could write {sent} bytes: the client read far beyond {} bytes",
        lesson9::agent::MAX_REPLY_BYTES
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_closed_port_is_unreachable() {
    let closed = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/v1", closed.local_addr().unwrap());
    drop(closed);

    let err = agent(url).answer("hi").await.unwrap_err();

    assert!(matches!(err, AgentError::Unreachable(_)), "{err:?}");
    assert_no_key(&err);
}

#[tokio::test(flavor = "multi_thread")]
async fn through_the_server_a_failing_service_is_502_with_nothing_stored_and_no_key() {
    let (url, _) = fake_service(Behaviour::Unauthorized).await;
    let db = TestDb::new().unwrap();
    let state = AppState::new(pool(&db, 2), Arc::new(agent(url)));
    let server = Server::start(state).await;
    let http = client();
    let (id, token) = create_user(&http, &server, "Mina", "mina@example.com").await;

    let reply = http
        .post(server.at(&format!("/users/{id}/chat")))
        .bearer_auth(&token)
        .json(&json!({"question": "hello"}))
        .send()
        .await
        .unwrap();

    let status = reply.status();
    let body = reply.text().await.unwrap();
    assert!(
        status == 502 && body.contains("agent_failed"),
        "{status} {body}"
    );
    assert!(!body.contains("secret"), "the key is in the reply: {body}");
    assert!(totals(&db) == (0, 0), "nothing stored: {:?}", totals(&db));
}

#[test]
fn the_agent_is_chosen_by_the_environment_with_defaults() {
    let vars = |pairs: &'static [(&'static str, &'static str)]| {
        move |key: &str| {
            pairs
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| v.to_string())
        }
    };

    let offline = OpenAiConfig::from_lookup(vars(&[]));
    let openai = OpenAiConfig::from_lookup(vars(&[("AGENT", "openai"), ("LLM_API_KEY", KEY)]));
    let typo = OpenAiConfig::from_lookup(vars(&[("AGENT", "opnai")]));

    assert!(matches!(offline, Ok(None)), "{offline:?}");
    let openai = openai.unwrap().expect("AGENT=openai gives a config");
    assert!(
        openai.base_url == lesson9::agent::DEFAULT_LLM_BASE_URL
            && openai.model == lesson9::agent::DEFAULT_LLM_MODEL
            && openai.api_key == KEY,
        "{openai:?}"
    );
    let err = typo.unwrap_err().to_string();
    assert!(err.contains("AGENT") && err.contains("opnai"), "{err}");
}
