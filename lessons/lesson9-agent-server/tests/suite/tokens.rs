//! Each user's data is theirs: every route about one user, asked without a token, with a wrong one,
//! with another user's and with a deleted user's, reads, stores, changes and deletes nothing; and
//! another user's token gets exactly what a user that does not exist gets.

use std::sync::Arc;
use std::time::Duration;

use crate::common::{FnAgent, Server, client, create_user, pool, pool_through, totals};
use lesson9::{AgentError, AppState, OfflineAgent, PoolSettings};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use shared::testing::{CommandLog, TestDb};

/// A user id no one has.
const NOBODY: u64 = 999_999;

/// The credentials a request may show that are not the user's own.
enum Shown<'a> {
    Nothing,
    Token(&'a str),
}

/// One route about one user: the method, the path for `id` (or for `email`), and a valid body.
struct Route {
    method: Method,
    path: fn(u64, &str) -> String,
    body: Option<Value>,
}

fn routes() -> Vec<Route> {
    let route = |method, path, body| Route { method, path, body };
    vec![
        route(
            Method::GET,
            |_, email| format!("/users?email={email}"),
            None,
        ),
        route(Method::GET, |id, _| format!("/users/{id}"), None),
        route(
            Method::PATCH,
            |id, _| format!("/users/{id}"),
            Some(json!({"name": "Mallory", "email": "mallory@example.com"})),
        ),
        route(Method::DELETE, |id, _| format!("/users/{id}"), None),
        route(
            Method::POST,
            |id, _| format!("/users/{id}/chat"),
            Some(json!({"question": "what did Ada ask?"})),
        ),
        route(
            Method::GET,
            |id, _| format!("/users/{id}/conversations"),
            None,
        ),
    ]
}

/// The status, the headers and the body of `route` for user `id` / `email`. The headers leave out
/// those that differ between any two replies (the date, the request's id, the body's length).
async fn send(
    http: &reqwest::Client,
    server: &Server,
    route: &Route,
    (id, email): (u64, &str),
    shown: &Shown<'_>,
) -> (StatusCode, Vec<(String, String)>, String) {
    let mut request = http.request(route.method.clone(), server.at(&(route.path)(id, email)));
    if let Shown::Token(token) = shown {
        request = request.bearer_auth(token);
    }
    if let Some(body) = &route.body {
        request = request.json(body);
    }
    let reply = request.send().await.unwrap();
    let status = reply.status();
    let mut headers: Vec<(String, String)> = reply
        .headers()
        .iter()
        .filter(|(name, _)| !["date", "x-request-id", "content-length"].contains(&name.as_str()))
        .map(|(name, value)| (name.to_string(), value.to_str().unwrap().to_string()))
        .collect();
    headers.sort();
    (status, headers, reply.text().await.unwrap())
}

/// The value of the header `name`, if the reply had it.
fn header<'h>(headers: &'h [(String, String)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

/// Everything the database holds about users, as one text to compare before and after.
fn snapshot(db: &TestDb) -> String {
    use mysql::prelude::Queryable;
    let tokens: Vec<(Vec<u8>, u64)> = db
        .conn()
        .query("SELECT token_hash, user_id FROM user_tokens ORDER BY user_id, token_hash")
        .unwrap();
    format!("{}\n{tokens:?}", snapshot_without_tokens(db))
}

#[tokio::test(flavor = "multi_thread")]
async fn without_the_users_own_token_every_route_reads_stores_changes_and_deletes_nothing() {
    let db = TestDb::new().unwrap();
    let agent = FnAgent::new(|question: &str| -> Result<String, AgentError> {
        Ok(format!("answer to {question}"))
    });
    let server = Server::start(AppState::new(pool(&db, 4), agent.clone())).await;
    let http = client();
    let (ada, ada_token) = create_user(&http, &server, "Ada", "ada@example.com").await;
    let (_, bob_token) = create_user(&http, &server, "Bob", "bob@example.com").await;
    let (carl, carl_token) = create_user(&http, &server, "Carl", "carl@example.com").await;
    let asked = http
        .post(server.at(&format!("/users/{ada}/chat")))
        .bearer_auth(&ada_token)
        .json(&json!({"question": "Ada's secret question"}))
        .send()
        .await
        .unwrap();
    assert!(asked.status() == 201, "Ada's own chat: {}", asked.status());
    let gone = http
        .delete(server.at(&format!("/users/{carl}")))
        .bearer_auth(&carl_token)
        .send()
        .await
        .unwrap();
    assert!(
        gone.status() == 204,
        "Carl deletes himself: {}",
        gone.status()
    );
    let before = snapshot(&db);
    let wrong = "0".repeat(64);

    for route in routes() {
        let name = format!("{} {}", route.method, (route.path)(ada, "ada@example.com"));
        for (what, shown) in [
            ("no token", Shown::Nothing),
            ("a wrong token", Shown::Token(&wrong)),
            ("a deleted user's token", Shown::Token(&carl_token)),
        ] {
            let (status, headers, body) =
                send(&http, &server, &route, (ada, "ada@example.com"), &shown).await;
            let challenge = header(&headers, "www-authenticate");
            assert!(
                status == 401 && challenge == Some("Bearer"),
                "{name} with {what} answered {status} (WWW-Authenticate {challenge:?}) {body}: \
                 expected 401 with WWW-Authenticate: Bearer"
            );
            // A 401 says nothing about the user asked for: the same for a user no one has.
            let (_, nobody_headers, for_nobody) = send(
                &http,
                &server,
                &route,
                (NOBODY, "nobody@example.com"),
                &shown,
            )
            .await;
            assert!(
                body == for_nobody && headers == nobody_headers,
                "{name} with {what}: the 401 for Ada ({headers:?} {body}) differs from the one \
                 for a user that does not exist ({nobody_headers:?} {for_nobody}): it tells \
                 which users exist"
            );
        }
        // Bob's token is valid, but not Ada's: what a user that does not exist gets.
        let shown = Shown::Token(&bob_token);
        let (status, headers, body) =
            send(&http, &server, &route, (ada, "ada@example.com"), &shown).await;
        let (nobody_status, nobody_headers, for_nobody) = send(
            &http,
            &server,
            &route,
            (NOBODY, "nobody@example.com"),
            &shown,
        )
        .await;
        let same = body.replace(&ada.to_string(), "ID").replace("ada@", "X@")
            == for_nobody
                .replace(&NOBODY.to_string(), "ID")
                .replace("nobody@", "X@");
        assert!(
            status == 404 && nobody_status == 404 && same && headers == nobody_headers,
            "{name} with another user's token answered {status} {headers:?} {body}, and for a \
             user that does not exist {nobody_status} {nobody_headers:?} {for_nobody}: expected \
             the same 404 for both"
        );
        assert!(
            !body.contains("Ada\"") && !body.contains("secret"),
            "{name} with another user's token shows Ada's data: {body}"
        );
    }

    assert!(
        snapshot(&db) == before,
        "requests without Ada's token changed the database:\nbefore: {before}\nafter: {}",
        snapshot(&db)
    );
    assert!(
        agent.calls() == 1,
        "the agent was asked {} times: only Ada's own question may reach it",
        agent.calls()
    );
    assert!(totals(&db) == (2, 0), "{:?}", totals(&db));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_request_about_another_user_runs_the_same_statements_as_one_about_a_user_that_does_not_exist()
 {
    let db = TestDb::new().unwrap();
    let log = CommandLog::start(&db);
    // One connection, and no ping between two requests: what is compared is each request's work.
    let settings = PoolSettings {
        liveness_window: Duration::from_secs(60),
        ..lesson9::pool_settings(1)
    };
    let opts = log.opts_builder(&db);
    let pool = tokio::task::spawn_blocking(move || pool_through(opts, settings))
        .await
        .unwrap();
    let server = Server::start(AppState::new(pool, Arc::new(OfflineAgent))).await;
    let http = client();
    let (ada, _) = create_user(&http, &server, "Ada", "ada@example.com").await;
    let (_, bob_token) = create_user(&http, &server, "Bob", "bob@example.com").await;
    let wrong = "0".repeat(64);

    for route in routes() {
        let name = format!("{} {}", route.method, (route.path)(ada, "ada@example.com"));
        for (what, shown) in [
            ("no token", Shown::Nothing),
            ("a wrong token", Shown::Token(&wrong)),
            ("another user's token", Shown::Token(&bob_token)),
        ] {
            let mut seen = Vec::new();
            for user in [(ada, "ada@example.com"), (NOBODY, "nobody@example.com")] {
                log.take();
                let (status, _, _) = send(&http, &server, &route, user, &shown).await;
                let statements: Vec<String> = log
                    .take()
                    .into_iter()
                    .filter(|command| matches!(command.kind, "QUERY" | "STMT_EXECUTE"))
                    .map(|command| command.sql)
                    .collect();
                seen.push((status, statements));
            }
            assert!(
                seen[0] == seen[1],
                "{name} with {what} ran, for Ada, {:?}, and for a user that does not exist {:?}: \
                 a statement more on one side makes it slower, and its time tells which users exist",
                seen[0],
                seen[1]
            );
            if let Shown::Nothing = shown {
                assert!(
                    seen[0].1.is_empty(),
                    "{name} without a token ran {:?}: it should be refused before any database work",
                    seen[0].1
                );
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_opens_its_own_user_only_and_is_shown_once() {
    let db = TestDb::new().unwrap();
    let server = crate::common::offline_server(&db).await;
    let http = client();
    let (ada, ada_token) = create_user(&http, &server, "Ada", "ada@example.com").await;
    let (bob, bob_token) = create_user(&http, &server, "Bob", "bob@example.com").await;

    assert!(ada_token != bob_token, "two users got the same token");
    for (id, token, name) in [(ada, &ada_token, "Ada"), (bob, &bob_token, "Bob")] {
        let reply = http
            .get(server.at(&format!("/users/{id}")))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let (status, user) = (reply.status(), reply.json::<Value>().await.unwrap());
        assert!(
            status == 200 && user["name"] == name && user.get("token").is_none(),
            "{name}'s own token on GET /users/{id}: {status} {user} (the token is shown only \
             when the user is created)"
        );
    }
    // The scheme's name is case-insensitive; a token is never taken from elsewhere.
    let lower = http
        .get(server.at(&format!("/users/{ada}")))
        .header("authorization", format!("bearer {ada_token}"))
        .send()
        .await
        .unwrap();
    assert!(
        lower.status() == 200,
        "`bearer` in lower case: {}",
        lower.status()
    );
    let in_query = http
        .get(server.at(&format!("/users/{ada}?token={ada_token}")))
        .send()
        .await
        .unwrap();
    assert!(
        in_query.status() == 401,
        "a token in the query: {}",
        in_query.status()
    );

    // Only the hash is stored: the table holds neither token.
    use mysql::prelude::Queryable;
    let stored: Vec<Vec<u8>> = db
        .conn()
        .query("SELECT token_hash FROM user_tokens")
        .unwrap();
    for token in [&ada_token, &bob_token] {
        let hash: Vec<u8> = db
            .conn()
            .exec_first("SELECT UNHEX(SHA2(?, 256))", (token,))
            .unwrap()
            .unwrap();
        assert!(
            stored.contains(&hash) && !stored.iter().any(|row| row == token.as_bytes()),
            "user_tokens holds the SHA-256 of each token and never the token: {stored:?}"
        );
    }
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn no_token_appears_in_the_servers_output() {
    let db = TestDb::new().unwrap();
    // Every line the server may write, at the most detailed level its log has.
    let server = crate::common::ServerProcess::start(&db, "trace");
    let url = server.url.clone();

    // A user's token on every route, then two wrong ones (one the token with a letter more), and a 5xx.
    let http = client();
    let created: Value = http
        .post(format!("{url}/users"))
        .json(&json!({"name": "Ada", "email": "ada@example.com"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let (id, token) = (
        created["id"].as_u64().unwrap(),
        created["token"].as_str().unwrap(),
    );
    let mut statuses = Vec::new();
    for route in routes() {
        for shown in [token, "f00d-wrong-token", &format!("{token}x")] {
            let mut request = http.request(
                route.method.clone(),
                format!("{url}{}", (route.path)(id, "ada@example.com")),
            );
            request = request.bearer_auth(shown);
            if let Some(body) = &route.body {
                request = request.json(body);
            }
            statuses.push(request.send().await.unwrap().status().as_u16());
        }
    }
    // The database's table gone: the token check fails with a server error, which is logged.
    {
        use mysql::prelude::Queryable;
        db.conn()
            .query_drop("RENAME TABLE user_tokens TO user_tokens_moved_away")
            .unwrap();
    }
    let failed = http
        .get(format!("{url}/users/{id}"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .status();
    let stopped = server.stop();
    let (printed, log) = (stopped.printed, stopped.log);

    assert!(
        statuses.contains(&200) && statuses.contains(&401) && failed == 500,
        "the requests ran: {statuses:?}, then {failed}"
    );
    assert!(
        log.contains("GET /users/{id}") && log.contains("500"),
        "the log has a line per request and the server error: {log}"
    );
    let hash: String = lesson9::TokenHash::of(token)
        .as_bytes()
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    for (name, text) in [("stdout", printed.join("\n")), ("the log (stderr)", log)] {
        for secret in [token, &token[..16], &hash[..16], "f00d-wrong-token"] {
            assert!(
                !text.to_lowercase().contains(secret),
                "{name} shows a token or its hash ({secret:?}):\n{text}"
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_course_database_from_before_tokens_gains_them_from_db_up_and_keeps_its_rows() {
    use mysql::prelude::Queryable;
    let db = TestDb::new().unwrap();
    let mut conn = db.conn();
    // A course database as it was before tokens: no user_tokens, and a user with a conversation.
    conn.query_drop("DROP TABLE user_tokens").unwrap();
    let old = shared::testing::insert_user(&mut conn, "Old", "old@example.com").unwrap();
    lesson7::save_question(&mut conn, old, "asked before tokens").unwrap();
    let before = snapshot_without_tokens(&db);

    // What `cargo run -p db -- up` does to a database that exists: load docker/schema.sql again.
    let config = db.config().clone();
    tokio::task::spawn_blocking(move || shared::setup::admin::ensure_database_as_user(&config))
        .await
        .unwrap()
        .expect("db up loads the schema into an existing database");

    assert!(
        db.table_names() == ["conversations", "user_tokens", "users"],
        "after db up: {:?}",
        db.table_names()
    );
    assert!(
        snapshot_without_tokens(&db) == before,
        "db up changed the rows that were there:\nbefore: {before}\nafter: {}",
        snapshot_without_tokens(&db)
    );
    // The old user can be given a token (by the operator), and then uses the API.
    let token = crate::common::give_token(&db, old);
    let server = crate::common::offline_server(&db).await;
    let reply = client()
        .get(server.at(&format!("/users/{old}/conversations")))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    let (status, body) = (reply.status(), reply.text().await.unwrap());
    assert!(
        status == 200 && body.contains("asked before tokens"),
        "the old user's conversation with a token given after db up: {status} {body}"
    );
}

/// The users and the messages, as one text to compare before and after.
fn snapshot_without_tokens(db: &TestDb) -> String {
    use mysql::prelude::Queryable;
    let mut conn = db.conn();
    let users: Vec<(u64, String, String)> = conn
        .query("SELECT id, name, email FROM users ORDER BY id")
        .unwrap();
    let messages: Vec<(u64, u64, String)> = conn
        .query("SELECT id, user_id, content FROM conversations ORDER BY id")
        .unwrap();
    format!("{users:?}\n{messages:?}")
}
