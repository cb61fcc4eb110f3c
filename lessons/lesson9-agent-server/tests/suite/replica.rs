//! Conversations read from a replica (lesson 10's read-your-writes): a user sees their exchange at
//! once however far the replica lags, and a replica that is stopped or down costs no answer.
//! Each test needs a replica (`cargo run -p db -- up --replica`); without one it says SKIPPED.

use std::sync::Arc;

use serde_json::Value;
use shared::testing::ReplicaTestDb;

use crate::common::{Server, client, create_user};
use lesson9::{AppState, OfflineAgent, ReplicaReads};

/// A server whose primary is `db`'s and whose conversations come from `replica` (a config).
async fn server_with_replica(db: &ReplicaTestDb, replica: shared::Config) -> Server {
    let primary = db.primary_config().clone();
    let state = tokio::task::spawn_blocking(move || {
        let flavor = lesson10::Flavor::detect(&mut shared::connect(&primary).unwrap()).unwrap();
        let pool = lesson9::build_tracking_pool(&primary, flavor, 4).expect("the primary's pool");
        AppState::new(pool, Arc::new(OfflineAgent))
            .with_replica(ReplicaReads::new(&replica, flavor, 4))
    })
    .await
    .unwrap();
    Server::start(state).await
}

/// Asks a question as the user, then lists their conversations at once: the list's contents.
async fn chat_then_list(server: &Server, user_id: u64, token: &str, question: &str) -> Vec<String> {
    let http = client();
    let asked = http
        .post(server.at(&format!("/users/{user_id}/chat")))
        .bearer_auth(token)
        .json(&serde_json::json!({"question": question}))
        .send()
        .await
        .unwrap();
    assert!(
        asked.status() == 201,
        "the chat was not stored: {}",
        asked.status()
    );
    let listed = http
        .get(server.at(&format!("/users/{user_id}/conversations")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let status = listed.status();
    let body: Value = listed.json().await.unwrap();
    assert!(
        status == 200,
        "listing right after the chat answered {status}: {body}"
    );
    let messages = body.as_array().expect("a list of messages");
    messages
        .iter()
        .map(|m| m["content"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// `/health`'s answer, which must be 200 whatever the replica's state.
async fn health(server: &Server) -> Value {
    let reply = client().get(server.at("/health")).send().await.unwrap();
    let status = reply.status();
    let body: Value = reply.json().await.unwrap();
    assert!(
        status == 200,
        "/health answered {status} ({body}): only the primary decides that"
    );
    body
}

#[tokio::test(flavor = "multi_thread")]
async fn a_chat_followed_at_once_by_its_list_shows_the_exchange_while_the_replica_lags() {
    let Some(db) = ReplicaTestDb::or_skip() else {
        return;
    };
    let server = server_with_replica(&db, db.replica_config().clone()).await;
    let (ada, token) = create_user(&client(), &server, "Ada", "ada@x.test").await;
    db.wait_replicated();

    // Lag with replication running (lesson 10's way): the replica's applier waits behind a lock on
    // the place where Ada's next messages go, and everything after them waits too.
    let mut holder = db.replica_conn();
    let lag = lesson10::hold_back_messages_of(&mut holder, ada).expect("the replica holds back");
    let contents = chat_then_list(&server, ada, &token, "lagging?").await;
    let on_replica: Option<u64> = mysql::prelude::Queryable::exec_first(
        &mut db.replica_conn(),
        "SELECT COUNT(*) FROM conversations WHERE user_id = ?",
        (ada,),
    )
    .unwrap();
    drop(lag);

    assert!(
        on_replica == Some(0),
        "the replica was meant to lag, but already had {on_replica:?} messages of the user: the \
         test proves nothing"
    );
    assert!(
        contents.len() == 2 && contents.iter().any(|c| c == "lagging?"),
        "the user's own exchange is missing from the list read right after it: {contents:?} (the \
         read went to a replica that had not applied it, instead of waiting or asking the primary)"
    );
    let reads = &health(&server).await["replica"]["reads"];
    assert!(
        reads["primary"].as_u64() >= Some(1),
        "the lagging replica's read was not counted as served by the primary: {reads}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_replica_that_has_the_users_writes_serves_their_reads() {
    let Some(db) = ReplicaTestDb::or_skip() else {
        return;
    };
    let server = server_with_replica(&db, db.replica_config().clone()).await;
    let (ada, token) = create_user(&client(), &server, "Ada", "ada@x.test").await;

    // Tests of other crates may pause the replica at any moment: a few tries, each after their
    // pauses end. One read served by the replica is the proof; none in five is the failure.
    let mut served_by_replica = 0;
    for attempt in 1..=5 {
        db.wait_replicated();
        let contents = chat_then_list(&server, ada, &token, &format!("caught up? {attempt}")).await;
        assert!(
            contents.len() == 2 * attempt,
            "after {attempt} chats the list holds {contents:?}"
        );
        served_by_replica = health(&server).await["replica"]["reads"]["replica"]
            .as_u64()
            .unwrap_or_default();
        if served_by_replica > 0 {
            break;
        }
    }
    assert!(
        served_by_replica > 0,
        "a replica that applies the primary's writes within the wait never served a read in five \
         tries: {}",
        health(&server).await
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn with_replication_stopped_reads_fall_back_to_the_primary_and_nothing_fails() {
    let Some(db) = ReplicaTestDb::or_skip() else {
        return;
    };
    let server = server_with_replica(&db, db.replica_config().clone()).await;
    let (ada, token) = create_user(&client(), &server, "Ada", "ada@x.test").await;
    db.wait_replicated();

    let stopped = db.stop_replication();
    let contents = chat_then_list(&server, ada, &token, "stopped?").await;
    let body = health(&server).await;
    drop(stopped);

    assert!(
        contents.iter().any(|c| c == "stopped?"),
        "with replication stopped the user's exchange is missing: {contents:?}"
    );
    assert!(
        body["replica"]["state"] == "stopped",
        "/health should report the stopped replica: {body}"
    );
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn with_the_replica_down_reads_fall_back_to_the_primary_and_health_says_so() {
    let Some(db) = ReplicaTestDb::or_skip() else {
        return;
    };
    let server = server_with_replica(&db, db.replica_down_config()).await;
    let (ada, token) = create_user(&client(), &server, "Ada", "ada@x.test").await;

    let contents = chat_then_list(&server, ada, &token, "down?").await;
    let body = health(&server).await;

    assert!(
        contents.iter().any(|c| c == "down?"),
        "with the replica down the user's exchange is missing: {contents:?}"
    );
    assert!(
        body["replica"]["state"] == "down" && body["status"] == "ok",
        "/health should stay ok and report the replica down: {body}"
    );
    server.stop().await;
}
