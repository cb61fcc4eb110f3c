//! What a request sends to the database, counted through a relay, and what a failed request leaves
//! behind on its connection: nothing the next request could read.

use std::sync::Arc;
use std::time::Duration;

use crate::common::{Server, client, give_token, pool_through};
use lesson9::{AppState, OfflineAgent, PoolSettings};
use mysql::prelude::Queryable;
use serde_json::{Value, json};
use shared::testing::{CommandLog, TestDb, insert_user};

#[tokio::test(flavor = "multi_thread")]
async fn a_request_that_timed_out_leaves_no_late_reply_for_the_next_request() {
    let db = TestDb::new().unwrap();
    let ada = insert_user(&mut db.conn(), "Ada", "ada@example.com").unwrap();
    let ada_token = give_token(&db, ada);
    // One connection, whose reads give up after 1 s: every request meets the one that timed out.
    let opts = db
        .config()
        .opts_builder()
        .read_timeout(Some(Duration::from_secs(1)));
    let pool = tokio::task::spawn_blocking(move || pool_through(opts, lesson9::pool_settings(1)))
        .await
        .unwrap();
    let server = Server::start(AppState::new(pool, Arc::new(OfflineAgent))).await;
    let http = client();
    // Another session holds the table for 1.5 s: the INSERT of `POST /users` waits for it, its
    // answer comes 0.5 s after the server's read gave up. (The lookups read `user_tokens` first,
    // which the lock leaves free, then `users`, which it does not.)
    let mut locker = db.conn();
    locker.query_drop("LOCK TABLES users WRITE").unwrap();
    let unlock = tokio::task::spawn_blocking(move || {
        std::thread::sleep(Duration::from_millis(1500));
        locker.query_drop("UNLOCK TABLES").unwrap();
    });

    let created = http
        .post(server.at("/users"))
        .json(&json!({"name": "Bob", "email": "bob@example.com"}))
        .send()
        .await
        .unwrap();
    let (created_status, created_body) = (created.status(), created.json::<Value>().await.unwrap());
    let mut lookups = Vec::new();
    for _ in 0..3 {
        let reply = http
            .get(server.at("/users?email=ada@example.com"))
            .bearer_auth(&ada_token)
            .send()
            .await
            .unwrap();
        lookups.push((reply.status(), reply.json::<Value>().await.unwrap()));
    }
    unlock.await.unwrap();
    // Read with the test's own connection: Bob's token is known only if the request answered 201.
    let bob = lesson2::get_user_by_email(&mut db.conn(), "bob@example.com").unwrap();

    for (status, body) in &lookups {
        assert!(
            *status == 200 && body["id"] == ada,
            "after a request timed out, looking up Ada (id {ada}) answered {status} {body}: the \
             connection was lent again with the late reply still on its way"
        );
    }
    // The user and the token are inserted in one transaction: a connection lost before its
    // COMMIT rolls both back, so "try again" (db_unavailable) is right, and so is outcome_unknown.
    assert!(
        created_status == 201
            || created_body["error"] == "db_unavailable"
            || created_body["error"] == "outcome_unknown",
        "a POST /users whose INSERT timed out answered {created_status} {created_body}: expected \
         201 (it was applied, and looked up) or 503"
    );
    assert!(
        (created_status == 201) == bob.is_some() || created_body["error"] == "outcome_unknown",
        "POST /users answered {created_status} {created_body} for Bob, and the table holds {bob:?}"
    );
}

/// The commands the server received for `request`, sent right after a warm-up of the same request
/// (so that its prepared statements are already in the connection's cache).
async fn commands_of<F, Fut>(log: &CommandLog, request: F) -> Vec<shared::testing::Command>
where
    F: Fn() -> Fut,
    Fut: Future<Output = reqwest::StatusCode>,
{
    let warm_up = request().await;
    assert!(
        warm_up.is_success(),
        "the warm-up request answered {warm_up}"
    );
    log.take();
    let status = request().await;
    assert!(status.is_success(), "the counted request answered {status}");
    log.take()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_get_of_conversations_sends_at_most_two_commands_and_a_chat_six() {
    let db = TestDb::new().unwrap();
    let log = CommandLog::start(&db);
    // A long liveness window, so that a slow machine does not add a ping between two requests:
    // what is counted here is the statements of each request.
    let settings = PoolSettings {
        liveness_window: Duration::from_secs(60),
        ..lesson9::pool_settings(1)
    };
    let opts = log.opts_builder(&db);
    let pool = tokio::task::spawn_blocking(move || pool_through(opts, settings))
        .await
        .unwrap();
    let with_messages = insert_user(&mut db.conn(), "Mina", "mina@example.com").unwrap();
    let without = insert_user(&mut db.conn(), "Jun", "jun@example.com").unwrap();
    let server = Server::start(AppState::new(pool, Arc::new(OfflineAgent))).await;
    let http = client();
    let tokens = [give_token(&db, with_messages), give_token(&db, without)];
    let chat = || async {
        let url = server.at(&format!("/users/{with_messages}/chat"));
        let body = json!({"question": "how many round trips?"});
        let request = http.post(url).bearer_auth(&tokens[0]).json(&body);
        request.send().await.unwrap().status()
    };
    let get = |user: u64, token: &str| {
        let request = http
            .get(server.at(&format!("/users/{user}/conversations")))
            .bearer_auth(token);
        async move { request.send().await.unwrap().status() }
    };

    let of_chat = commands_of(&log, chat).await;
    let of_get = commands_of(&log, || get(with_messages, &tokens[0])).await;
    let of_get_empty = commands_of(&log, || get(without, &tokens[1])).await;

    assert!(
        of_chat.len() <= 6,
        "POST /users/{{id}}/chat sent {} commands, at most 6 expected (the token check, then \
         START TRANSACTION, two INSERTs, COMMIT and the read-back): {of_chat:#?}",
        of_chat.len()
    );
    for (what, commands) in [("with messages", of_get), ("without", of_get_empty)] {
        assert!(
            commands.len() <= 2,
            "GET /users/{{id}}/conversations of a user {what} sent {} commands, at most 2 \
             expected (the token check and the read): {commands:#?}",
            commands.len()
        );
    }
}
