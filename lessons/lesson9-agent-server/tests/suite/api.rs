//! The contract, status by status, over real HTTP against the real database (one per test).

use std::sync::Arc;
use std::time::Duration;

use crate::common::{
    FnAgent, Server, client, create_user, give_token, offline_server, pool, totals,
};
use lesson9::{AgentError, AppState, OfflineAgent};
use mysql::prelude::Queryable;
use reqwest::StatusCode;
use serde_json::{Value, json};
use shared::testing::{TestDb, insert_user};

/// The status and the JSON body of a reply.
async fn status_and_json(reply: reqwest::Response) -> (StatusCode, Value) {
    let status = reply.status();
    let text = reply.text().await.unwrap();
    let body = serde_json::from_str(&text)
        .unwrap_or_else(|err| panic!("a {status} reply is JSON ({err}): {text:?}"));
    (status, body)
}

/// Asserts the reply is the error `code` with `status`, in the `{"error", "message"}` shape, and
/// returns the message.
async fn expect_error(reply: reqwest::Response, status: u16, code: &str) -> String {
    let (got, body) = status_and_json(reply).await;
    assert!(
        got == status && body["error"] == code,
        "expected {status} {code}, got {got} {body}"
    );
    let message = body["message"].as_str().expect("a message string");
    for secret in ["SELECT", "INSERT", "tester", "panicked", "stack backtrace"] {
        assert!(
            !message.contains(secret),
            "the message shows {secret:?}: {message}"
        );
    }
    message.to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn health_says_ok_when_a_pooled_connection_answers() {
    let db = TestDb::new().unwrap();
    let server = offline_server(&db).await;

    let (status, body) =
        status_and_json(client().get(server.at("/health")).send().await.unwrap()).await;

    assert!(
        status == 200 && body == json!({"status": "ok"}),
        "{status} {body}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn when_no_connection_comes_free_health_and_chat_are_503_with_retry_after() {
    let db = TestDb::new().unwrap();
    let pool = pool(&db, 1);
    let state = AppState {
        checkout_timeout: Duration::from_millis(300),
        ..AppState::new(pool.clone(), Arc::new(OfflineAgent))
    };
    let server = Server::start(state).await;
    let http = client();
    let (user_id, token) = create_user(&http, &server, "Busy", "busy@example.com").await;
    // The test holds the pool's only connection: every request's checkout times out.
    let held = tokio::task::spawn_blocking(move || pool.get().unwrap())
        .await
        .unwrap();

    let health = http.get(server.at("/health")).send().await.unwrap();
    let chat = http
        .post(server.at(&format!("/users/{user_id}/chat")))
        .bearer_auth(&token)
        .json(&json!({"question": "anyone there?"}))
        .header("x-request-id", "from-the-client-42")
        .send()
        .await
        .unwrap();

    for reply in [health, chat] {
        let retry_after = reply.headers().get("retry-after").cloned();
        let request_id = reply.headers().get("x-request-id").cloned();
        let (status, body) = status_and_json(reply).await;
        assert!(
            status == 503 && body["error"] == "db_unavailable",
            "expected 503 db_unavailable, got {status} {body}"
        );
        assert!(
            retry_after
                .as_ref()
                .is_some_and(|v| v == lesson9::RETRY_AFTER_SECS.to_string().as_str()),
            "a 503 says when to try again: {retry_after:?}"
        );
        // What the user sees names the request, as the server's log line does.
        assert!(
            request_id.is_some_and(|id| body["request_id"] == id.to_str().unwrap()),
            "a 5xx body names its request's X-Request-Id: {body}"
        );
    }
    drop(held);
    assert!(totals(&db) == (0, 0), "nothing stored: {:?}", totals(&db));
}

#[tokio::test(flavor = "multi_thread")]
async fn users_are_created_found_renamed_and_deleted() {
    let db = TestDb::new().unwrap();
    let server = offline_server(&db).await;
    let http = client();

    let created = http
        .post(server.at("/users"))
        .json(&json!({"name": "김민수 🦀", "email": "minsu@example.com"}))
        .send()
        .await
        .unwrap();
    let (status, user) = status_and_json(created).await;
    assert!(status == 201, "{status} {user}");
    assert!(
        user["name"] == "김민수 🦀" && user["email"] == "minsu@example.com",
        "Korean and emoji come back as sent: {user}"
    );
    assert!(
        user["created_at"].as_str().is_some_and(|t| t.len() == 19),
        "{user}"
    );
    let id = user["id"].as_u64().unwrap();
    let token = user["token"].as_str().unwrap().to_string();
    assert!(
        token.len() == 64 && token.bytes().all(|b| b.is_ascii_hexdigit()),
        "the new user's token is 32 random bytes in hex: {token:?}"
    );
    let mut shown = user.clone();
    shown.as_object_mut().unwrap().remove("token");

    let found = http
        .get(server.at("/users?email=minsu@example.com"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let (status, by_email) = status_and_json(found).await;
    assert!(status == 200 && by_email == shown, "{status} {by_email}");
    let by_id = http
        .get(server.at(&format!("/users/{id}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let (status, by_id) = status_and_json(by_id).await;
    assert!(status == 200 && by_id == shown, "{status} {by_id}");

    let renamed = http
        .patch(server.at(&format!("/users/{id}")))
        .bearer_auth(&token)
        .json(&json!({"name": "김민수"}))
        .send()
        .await
        .unwrap();
    let (status, renamed) = status_and_json(renamed).await;
    assert!(
        status == 200 && renamed["name"] == "김민수" && renamed["email"] == "minsu@example.com",
        "{status} {renamed}"
    );

    let moved = http
        .patch(server.at(&format!("/users/{id}")))
        .bearer_auth(&token)
        .json(&json!({"email": "minsu.kim@example.com"}))
        .send()
        .await
        .unwrap();
    let (status, moved) = status_and_json(moved).await;
    assert!(
        status == 200 && moved["email"] == "minsu.kim@example.com",
        "{status} {moved}"
    );

    let deleted = http
        .delete(server.at(&format!("/users/{id}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert!(deleted.status() == 204, "{}", deleted.status());
    // The user's token went with the user.
    let again = http
        .delete(server.at(&format!("/users/{id}")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    expect_error(again, 401, "unauthorized").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_taken_email_is_409_on_create_and_on_update_and_changes_nothing() {
    let db = TestDb::new().unwrap();
    let server = offline_server(&db).await;
    let http = client();
    create_user(&http, &server, "Alice", "alice@example.com").await;
    let (bob, token) = create_user(&http, &server, "Bob", "bob@example.com").await;

    let duplicate = http
        .post(server.at("/users"))
        .json(&json!({"name": "Alice 2", "email": "alice@example.com"}))
        .send()
        .await
        .unwrap();
    expect_error(duplicate, 409, "email_taken").await;

    // Name and email in one PATCH: the taken email must not leave the new name behind.
    let update = http
        .patch(server.at(&format!("/users/{bob}")))
        .bearer_auth(&token)
        .json(&json!({"name": "Robert", "email": "alice@example.com"}))
        .send()
        .await
        .unwrap();
    expect_error(update, 409, "email_taken").await;
    let bob_now = http
        .get(server.at("/users?email=bob@example.com"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let (_, bob_now) = status_and_json(bob_now).await;
    assert!(
        bob_now["name"] == "Bob",
        "the PATCH changed nothing: {bob_now}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn invalid_input_is_422_naming_the_field() {
    let db = TestDb::new().unwrap();
    let server = offline_server(&db).await;
    let http = client();
    let (id, token) = create_user(&http, &server, "Carol", "carol@example.com").await;

    let cases = [
        (
            http.post(server.at("/users"))
                .json(&json!({"name": " ", "email": "x@example.com"})),
            "name",
        ),
        (
            http.post(server.at("/users"))
                .json(&json!({"name": "X", "email": ""})),
            "email",
        ),
        (
            http.post(server.at("/users")).json(&json!({"name": "X"})),
            "email",
        ),
        (
            http.patch(server.at(&format!("/users/{id}")))
                .bearer_auth(&token)
                .json(&json!({"name": "a".repeat(101)})),
            "name",
        ),
        (
            http.patch(server.at(&format!("/users/{id}")))
                .bearer_auth(&token)
                .json(&json!({})),
            "name",
        ),
        (
            http.post(server.at(&format!("/users/{id}/chat")))
                .bearer_auth(&token)
                .json(&json!({"question": "  "})),
            "question",
        ),
        (
            http.post(server.at(&format!("/users/{id}/chat")))
                .bearer_auth(&token)
                .json(&json!({"question": "가".repeat(lesson7::MAX_CONTENT_BYTES / 3 + 1)})),
            "question",
        ),
        (
            http.get(server.at(&format!("/users/{id}/conversations?limit=0")))
                .bearer_auth(&token),
            "limit",
        ),
        (
            http.get(server.at(&format!("/users/{id}/conversations?limit=101")))
                .bearer_auth(&token),
            "limit",
        ),
    ];
    for (request, field) in cases {
        let message = expect_error(request.send().await.unwrap(), 422, "invalid").await;
        assert!(
            message.contains(field),
            "the message names {field:?}: {message}"
        );
    }
    assert!(
        totals(&db) == (0, 0),
        "no message stored: {:?}",
        totals(&db)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn malformed_requests_get_axums_statuses_as_json() {
    let db = TestDb::new().unwrap();
    let server = offline_server(&db).await;
    let http = client();

    let not_json = http
        .post(server.at("/users"))
        .header("content-type", "application/json")
        .body("{\"name\": ")
        .send()
        .await
        .unwrap();
    expect_error(not_json, 400, "bad_request").await;

    let wrong_type = http
        .post(server.at("/users"))
        .body("name=x")
        .send()
        .await
        .unwrap();
    expect_error(wrong_type, 415, "unsupported_media_type").await;

    let bad_id = http
        .get(server.at("/users/abc/conversations"))
        .send()
        .await
        .unwrap();
    expect_error(bad_id, 400, "bad_request").await;

    // (The token is read first, and checked only once the request is well formed.)
    let no_email = http
        .get(server.at("/users"))
        .bearer_auth("any-token")
        .send()
        .await
        .unwrap();
    expect_error(no_email, 400, "bad_request").await;

    let no_route = http.get(server.at("/nowhere")).send().await.unwrap();
    expect_error(no_route, 404, "not_found").await;

    let wrong_method = http.put(server.at("/health")).send().await.unwrap();
    expect_error(wrong_method, 405, "method_not_allowed").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_users_are_404_everywhere() {
    let db = TestDb::new().unwrap();
    let server = offline_server(&db).await;
    let http = client();
    // A valid token, of a user who asks about users that do not exist.
    let (_, token) = create_user(&http, &server, "Nosy", "nosy@example.com").await;

    let requests = [
        http.get(server.at("/users?email=nobody@example.com")),
        http.get(server.at("/users/999")),
        http.patch(server.at("/users/999"))
            .json(&json!({"name": "X"})),
        http.delete(server.at("/users/999")),
        http.post(server.at("/users/999/chat"))
            .json(&json!({"question": "hi"})),
        http.get(server.at("/users/999/conversations")),
    ];
    let requests = requests.map(|request| request.bearer_auth(&token));
    for request in requests {
        expect_error(request.send().await.unwrap(), 404, "user_not_found").await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_chat_stores_both_messages_and_the_conversation_lists_them_newest_first() {
    let db = TestDb::new().unwrap();
    let server = offline_server(&db).await;
    let http = client();
    let (id, token) = create_user(&http, &server, "Dana", "dana@example.com").await;
    let empty = http
        .get(server.at(&format!("/users/{id}/conversations")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let (status, empty) = status_and_json(empty).await;
    assert!(
        status == 200 && empty == json!([]),
        "a new user has no messages: {status} {empty}"
    );

    let mut replies = Vec::new();
    for question in ["트랜잭션이 뭐예요? 🤔", "What is a pool?"] {
        let reply = http
            .post(server.at(&format!("/users/{id}/chat")))
            .bearer_auth(&token)
            .json(&json!({"question": question}))
            .send()
            .await
            .unwrap();
        let (status, reply) = status_and_json(reply).await;
        assert!(status == 201, "{status} {reply}");
        let (q, a) = (&reply["question"], &reply["answer"]);
        assert!(
            q["role"] == "user" && q["content"] == question && q["reply_to"].is_null(),
            "{q}"
        );
        assert!(
            a["role"] == "assistant"
                && a["content"] == OfflineAgent::reply(question)
                && a["reply_to"] == q["id"],
            "the answer replies to the question: {a}"
        );
        replies.push(reply);
    }

    let listed = http
        .get(server.at(&format!("/users/{id}/conversations?limit=3")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let (status, listed) = status_and_json(listed).await;
    let expected = json!([
        replies[1]["answer"],
        replies[1]["question"],
        replies[0]["answer"]
    ]);
    assert!(
        status == 200 && listed == expected,
        "newest first, 3 of 4: {listed}"
    );
    assert!(
        totals(&db) == (4, 0),
        "two exchanges, no orphan: {:?}",
        totals(&db)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn when_the_agent_fails_the_chat_is_502_and_nothing_is_stored() {
    let db = TestDb::new().unwrap();
    let agent = FnAgent::new(|_| Err(AgentError::Status(500)));
    let server = Server::start(AppState::new(pool(&db, 2), agent.clone())).await;
    let http = client();
    let (id, token) = create_user(&http, &server, "Erin", "erin@example.com").await;

    let reply = http
        .post(server.at(&format!("/users/{id}/chat")))
        .bearer_auth(&token)
        .json(&json!({"question": "hello?"}))
        .send()
        .await
        .unwrap();

    let message = expect_error(reply, 502, "agent_failed").await;
    assert!(
        message.contains("500"),
        "says what the agent's service did: {message}"
    );
    assert!(
        agent.calls() == 1,
        "the agent was asked once: {}",
        agent.calls()
    );
    assert!(totals(&db) == (0, 0), "nothing stored: {:?}", totals(&db));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_chat_page_is_served_as_utf8_html() {
    let db = TestDb::new().unwrap();
    let server = offline_server(&db).await;

    let page = client().get(server.at("/")).send().await.unwrap();

    let content_type = page.headers()["content-type"].to_str().unwrap().to_string();
    let policy = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    let html = page.text().await.unwrap();
    assert!(content_type == "text/html; charset=utf-8", "{content_type}");
    assert!(
        html.contains("<meta charset=\"utf-8\">") && html.contains("<script src=\"/chat.js\""),
        "{html}"
    );
    // Nothing inline may run: the script and the style are files of this server.
    assert!(
        policy.contains("script-src 'self'") && !policy.contains("unsafe-inline"),
        "the page's Content-Security-Policy is {policy:?}"
    );
    assert!(
        !html.contains("<script>") && !html.contains("<style>") && !html.contains(" on"),
        "the page holds inline script or style, which its policy blocks: {html}"
    );
    for (path, wanted) in [("/chat.js", "text/javascript"), ("/chat.css", "text/css")] {
        let file = client().get(server.at(path)).send().await.unwrap();
        let content_type = file.headers()["content-type"].to_str().unwrap().to_string();
        assert!(
            file.status() == 200 && content_type.starts_with(wanted),
            "{path}: {} {content_type}",
            file.status()
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn every_request_gets_an_id_and_keeps_a_plain_one_it_brings() {
    let db = TestDb::new().unwrap();
    let server = offline_server(&db).await;
    let http = client();
    let id_of = |reply: &reqwest::Response| {
        reply
            .headers()
            .get("x-request-id")
            .map(|id| id.to_str().unwrap().to_string())
    };

    let (first, second) = (
        http.get(server.at("/health")).send().await.unwrap(),
        http.get(server.at("/health")).send().await.unwrap(),
    );
    let kept = http
        .get(server.at("/health"))
        .header("x-request-id", "4bf92f3577b34da6")
        .send()
        .await
        .unwrap();
    let forged = http
        .get(server.at("/health"))
        .header("x-request-id", "a b\tINFO forged")
        .send()
        .await
        .unwrap();

    let (first, second) = (id_of(&first), id_of(&second));
    assert!(
        first.is_some() && second.is_some() && first != second,
        "two requests got the ids {first:?} and {second:?}"
    );
    assert!(
        id_of(&kept).as_deref() == Some("4bf92f3577b34da6"),
        "a plain X-Request-Id from the client was replaced by {:?}",
        id_of(&kept)
    );
    let replaced = id_of(&forged);
    assert!(
        replaced.as_ref().is_some_and(|id| !id.contains(' ')),
        "an X-Request-Id with spaces and a tab was kept: {replaced:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_response_tells_the_browser_not_to_guess_its_type() {
    let db = TestDb::new().unwrap();
    let server = offline_server(&db).await;
    let http = client();

    for path in [
        "/",
        "/chat.js",
        "/health",
        "/users?email=nobody@example.com",
        "/nowhere",
    ] {
        let reply = http.get(server.at(path)).send().await.unwrap();
        let nosniff = reply.headers().get("x-content-type-options");
        assert!(
            nosniff.is_some_and(|value| value == "nosniff"),
            "GET {path} ({}) has X-Content-Type-Options {nosniff:?}",
            reply.status()
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_lookup_follows_the_rules_of_creation_and_finds_no_look_alike() {
    let db = TestDb::new().unwrap();
    let mut conn = db.conn();
    // Stored with plain SQL, as rows a bug or another program could have left.
    let mina = insert_user(&mut conn, "Mina", "mina@example.com").unwrap();
    insert_user(&mut conn, "Replaced", "\u{FFFD}\u{FFFD}@example.com").unwrap();
    let token = give_token(&db, mina);
    let server = offline_server(&db).await;
    let http = client();

    // NUL, a zero-width space, a trailing space: refused when a user is created, so on lookup too.
    for email in [
        "mina@example.com%00",
        "mina@example.com%E2%80%8B",
        "mina@example.com%20",
    ] {
        let reply = http
            .get(server.at(&format!("/users?email={email}")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        let message = expect_error(reply, 422, "invalid").await;
        assert!(message.contains("email"), "{email}: {message}");
    }
    // Bytes that are not UTF-8 would be decoded to U+FFFD, the stored look-alike's characters.
    let not_utf8 = http
        .get(server.at("/users?email=%ff%fe@example.com"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    expect_error(not_utf8, 400, "bad_request").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_body_must_be_a_json_object_of_at_most_2_mb() {
    let db = TestDb::new().unwrap();
    let server = offline_server(&db).await;
    let http = client();

    // serde alone would fill the fields from an array, in order.
    let array = http
        .post(server.at("/users"))
        .json(&json!(["Mina", "mina@example.com"]))
        .send()
        .await
        .unwrap();
    expect_error(array, 422, "invalid").await;
    let huge = http
        .post(server.at("/users"))
        .json(&json!({"name": "Mina", "email": "x".repeat(3 << 20)}))
        .send()
        .await
        .unwrap();
    expect_error(huge, 413, "payload_too_large").await;
    let users: Option<u64> = db.conn().query_first("SELECT COUNT(*) FROM users").unwrap();
    assert!(users == Some(0), "a refused body stored {users:?} users");
}
