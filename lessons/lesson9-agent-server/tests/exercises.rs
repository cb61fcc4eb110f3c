//! Exercise 9a: the chat handler's order (`lesson9::chat`). `cargo test -p lesson9 --features
//! exercise --test exercises` runs these against your `src/exercise.rs`.
//!
//! The function is called directly, without HTTP, with agents the tests control.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use common::{FnAgent, pool, totals};
use lesson9::{Agent, AgentError, ApiError, AppState, ChatReply};
use shared::testing::{TestDb, insert_user};

/// A state over `db` with a pool of `size` and `agent`, and a user to chat as.
fn setup(db: &TestDb, size: u32, agent: Arc<dyn Agent>) -> (AppState, u64) {
    let user_id = insert_user(&mut db.conn(), "Jihoon", "jihoon@example.com").unwrap();
    (AppState::new(pool(db, size), agent), user_id)
}

fn echo(question: &str) -> Result<String, AgentError> {
    Ok(format!("answer to {question}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_question_and_its_answer_are_stored_together_and_returned_as_stored() {
    let db = TestDb::new().unwrap();
    let (state, user_id) = setup(&db, 2, FnAgent::new(echo));

    let reply: ChatReply = lesson9::chat(&state, user_id, "ACID가 뭐예요? 😀".to_string())
        .await
        .expect("the chat succeeds");

    let stored: Vec<lesson9::Message> =
        lesson7::get_recent_conversations(&mut db.conn(), user_id, 10)
            .unwrap()
            .into_iter()
            .map(lesson9::Message::from)
            .collect();
    assert!(
        stored == vec![reply.answer.clone(), reply.question.clone()],
        "the reply shows the two stored rows: {reply:?} vs {stored:?}"
    );
    assert!(
        reply.question.content == "ACID가 뭐예요? 😀"
            && reply.answer.content == "answer to ACID가 뭐예요? 😀"
            && reply.answer.reply_to == Some(reply.question.id),
        "{reply:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_agent_is_asked_while_the_request_holds_no_pooled_connection() {
    let db = TestDb::new().unwrap();
    // A pool of ONE: if the request kept a connection (or a transaction) while the agent thinks,
    // the agent could not borrow it.
    let pool = pool(&db, 1);
    let free_while_asked = Arc::new(AtomicBool::new(false));
    let (seen, lender) = (free_while_asked.clone(), pool.clone());
    let agent = FnAgent::new(move |question| {
        seen.store(lender.try_get().is_some(), Ordering::SeqCst);
        echo(question)
    });
    let user_id = insert_user(&mut db.conn(), "Jihoon", "jihoon@example.com").unwrap();
    let state = AppState::new(pool, agent.clone());

    let result = lesson9::chat(&state, user_id, "is a connection free?".to_string()).await;

    assert!(
        agent.calls() == 1,
        "the agent was asked once: {}",
        agent.calls()
    );
    assert!(
        free_while_asked.load(Ordering::SeqCst),
        "while the agent was asked, the pool's only connection was borrowed (result: {result:?})"
    );
    assert!(result.is_ok(), "{result:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn when_the_agent_fails_the_error_is_the_agents_and_nothing_is_stored() {
    let db = TestDb::new().unwrap();
    let (state, user_id) = setup(&db, 2, FnAgent::new(|_| Err(AgentError::Status(503))));

    let result = lesson9::chat(&state, user_id, "hello?".to_string()).await;

    assert!(
        matches!(result, Err(ApiError::Agent(AgentError::Status(503)))),
        "{result:?}"
    );
    assert!(
        totals(&db) == (0, 0),
        "no question without its answer: {:?}",
        totals(&db)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_answer_too_long_to_store_leaves_no_question_behind() {
    let db = TestDb::new().unwrap();
    let rambling = |_: &str| Ok("DB! ".repeat(lesson7::MAX_CONTENT_BYTES / 4 + 1));
    let (state, user_id) = setup(&db, 2, FnAgent::new(rambling));

    let result = lesson9::chat(&state, user_id, "tell me everything".to_string()).await;

    assert!(
        matches!(result, Err(ApiError::Agent(AgentError::TooLong { .. }))),
        "an answer that cannot be stored is the agent's failure: {result:?}"
    );
    assert!(
        totals(&db) == (0, 0),
        "the question was rolled back too: {:?}",
        totals(&db)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_empty_question_is_invalid_and_never_reaches_the_agent() {
    let db = TestDb::new().unwrap();
    let agent = FnAgent::new(echo);
    let (state, user_id) = setup(&db, 2, agent.clone());

    for empty in ["", "   ", "\n\t"] {
        let result = lesson9::chat(&state, user_id, empty.to_string()).await;
        assert!(
            matches!(
                result,
                Err(ApiError::Invalid {
                    field: "question",
                    ..
                })
            ),
            "{empty:?}: {result:?}"
        );
    }
    assert!(
        agent.calls() == 0,
        "the agent was asked {} time(s)",
        agent.calls()
    );
    assert!(totals(&db) == (0, 0), "nothing stored: {:?}", totals(&db));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_question_too_long_to_store_is_invalid_and_never_reaches_the_agent() {
    let db = TestDb::new().unwrap();
    let agent = FnAgent::new(echo);
    let (state, user_id) = setup(&db, 2, agent.clone());
    let too_long = "a".repeat(lesson7::MAX_CONTENT_BYTES + 1);

    let result = lesson9::chat(&state, user_id, too_long).await;

    assert!(
        matches!(
            result,
            Err(ApiError::Invalid {
                field: "question",
                ..
            })
        ),
        "{result:?}"
    );
    assert!(
        agent.calls() == 0,
        "the agent was asked {} time(s)",
        agent.calls()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_user_is_not_found_and_the_agent_is_not_asked() {
    let db = TestDb::new().unwrap();
    let agent = FnAgent::new(echo);
    let (state, user_id) = setup(&db, 2, agent.clone());

    let result = lesson9::chat(&state, user_id + 1000, "hello?".to_string()).await;

    assert!(
        matches!(result, Err(ApiError::UserNotFound(_))),
        "{result:?}"
    );
    assert!(
        agent.calls() == 0,
        "an agent's answer costs time (or money): not for a request that will fail ({} call(s))",
        agent.calls()
    );
}
