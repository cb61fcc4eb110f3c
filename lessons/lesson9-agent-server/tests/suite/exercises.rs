//! Exercise 9a: the chat handler's order (`lesson9::chat`). `cargo test -p lesson9 --features
//! exercise --test suite exercises::` runs these against your `src/exercise.rs`.
//!
//! The function is called directly, without HTTP, with agents the tests control.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, ThreadId};

use crate::common::{FnAgent, pool, totals};
use lesson5::MysqlManager;
use lesson9::{Agent, AgentError, ApiError, AppState, ChatReply};
use mysql::prelude::Queryable;
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
    let agent = FnAgent::new(|_| Err(AgentError::Status(503)));
    let (state, user_id) = setup(&db, 2, agent.clone());

    let result = lesson9::chat(&state, user_id, "hello?".to_string()).await;

    assert!(
        matches!(result, Err(ApiError::Agent(AgentError::Status(503)))),
        "when the agent fails, chat must return ApiError::Agent with the agent's own error (here \
         AgentError::Status(503)), not another error; got {result:?}"
    );
    assert!(
        agent.calls() == 1,
        "the agent was asked {} times for one question: a failed answer is reported, not asked \
         again (the client decides whether to retry)",
        agent.calls()
    );
    assert!(
        totals(&db) == (0, 0),
        "nothing stored: (messages, questions without an answer) = {:?}",
        totals(&db)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_question_is_stored_exactly_as_the_user_wrote_it() {
    let db = TestDb::new().unwrap();
    let (state, user_id) = setup(&db, 2, FnAgent::new(echo));
    let typed = "  트랜잭션이 뭐예요?\n  (indented)  ";

    let result = lesson9::chat(&state, user_id, typed.to_string()).await;

    let stored: Vec<String> = lesson7::get_recent_conversations(&mut db.conn(), user_id, 10)
        .unwrap()
        .into_iter()
        .map(|message| message.content)
        .collect();
    assert!(
        stored.last().is_some_and(|question| question == typed),
        "the question was stored as {:?}, but the user wrote {typed:?}: only an empty question \
         is refused, a question is never changed (result: {result:?})",
        stored.last()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_database_error_during_the_user_check_is_not_an_unknown_user() {
    let db = TestDb::new().unwrap();
    let agent = FnAgent::new(echo);
    let (state, user_id) = setup(&db, 2, agent.clone());
    // The check's query now fails on the server: the table it reads is gone.
    db.conn()
        .query_drop("RENAME TABLE users TO users_moved_away")
        .unwrap();

    let result = lesson9::chat(&state, user_id, "is anyone there?".to_string()).await;

    assert!(
        result
            .as_ref()
            .is_err_and(|err| err.status().is_server_error()),
        "the user check failed in the database, and chat answered {result:?}: a database error \
         must be passed on (a 5xx), not read as \"no such user\" (a 404 tells the client the user \
         is gone for good)"
    );
    assert!(
        agent.calls() == 0,
        "the agent was asked although the user check failed"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_answer_too_long_to_store_leaves_no_question_behind() {
    let db = TestDb::new().unwrap();
    let rambling = |_: &str| Ok("DB! ".repeat(lesson7::MAX_CONTENT_BYTES / 4 + 1));
    let (state, user_id) = setup(&db, 2, FnAgent::new(rambling));

    let result = lesson9::chat(&state, user_id, "tell me everything".to_string()).await;

    assert!(
        totals(&db) == (0, 0),
        "the question is rolled back with the answer that failed, in one transaction: \
         (messages, questions without an answer) = {:?}",
        totals(&db)
    );
    assert!(
        matches!(result, Err(ApiError::Agent(AgentError::TooLong { .. }))),
        "an answer that cannot be stored is the agent's failure: {result:?}"
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
            "a question of only whitespace ({empty:?}) must be ApiError::Invalid for the field \
             \"question\", refused before anything else; got {result:?}"
        );
    }
    assert!(
        agent.calls() == 0,
        "the agent was asked {} time(s)",
        agent.calls()
    );
    assert!(
        totals(&db) == (0, 0),
        "nothing stored: (messages, questions without an answer) = {:?}",
        totals(&db)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_question_too_long_to_store_is_invalid_and_never_reaches_the_agent() {
    let db = TestDb::new().unwrap();
    let agent = FnAgent::new(echo);
    let (state, user_id) = setup(&db, 2, agent.clone());
    // The limit is in bytes, as the column stores them: a Hangul syllable takes 3 in UTF-8.
    let ascii = "a".repeat(lesson7::MAX_CONTENT_BYTES + 1);
    let korean = "가".repeat(lesson7::MAX_CONTENT_BYTES / 3 + 1);

    for too_long in [ascii, korean] {
        let (bytes, chars) = (too_long.len(), too_long.chars().count());
        let result = lesson9::chat(&state, user_id, too_long).await;

        assert!(
            agent.calls() == 0,
            "a question of {bytes} bytes ({chars} characters) reached the agent: \
             the limit counts bytes"
        );
        assert!(
            matches!(
                result,
                Err(ApiError::Invalid {
                    field: "question",
                    ..
                })
            ),
            "{bytes} bytes ({chars} characters): {result:?}"
        );
    }
}

/// The threads that took a connection from the pool or gave one back: r2d2 reports each on the
/// thread that did it.
#[derive(Debug, Clone, Default)]
struct PoolThreads(Arc<Mutex<Vec<ThreadId>>>);

impl r2d2::HandleEvent for PoolThreads {
    fn handle_checkout(&self, _: r2d2::event::CheckoutEvent) {
        self.0.lock().unwrap().push(thread::current().id());
    }

    fn handle_checkin(&self, _: r2d2::event::CheckinEvent) {
        self.0.lock().unwrap().push(thread::current().id());
    }
}

// `#[tokio::test]` runs the test on one thread, and that thread is the runtime's only async worker,
// like a server's workers: a database call made on it stops every other request while it waits.
#[tokio::test]
async fn every_database_call_runs_off_the_async_thread() {
    let db = TestDb::new().unwrap();
    let used_on = PoolThreads::default();
    let window = lesson9::pool_settings(2).liveness_window;
    let manager = MysqlManager::new(db.config().opts_builder(), window);
    let pool = r2d2::Pool::builder()
        .max_size(2)
        .event_handler(Box::new(used_on.clone()))
        .build(manager)
        .expect("the pool opens its connections");
    let user_id = insert_user(&mut db.conn(), "Jihoon", "jihoon@example.com").unwrap();
    let state = AppState::new(pool, FnAgent::new(echo));
    let async_thread = thread::current().id();

    let result = lesson9::chat(&state, user_id, "where do you run?".to_string()).await;

    let threads = used_on.0.lock().unwrap().clone();
    assert!(
        !threads.is_empty(),
        "the chat used no connection of the pool"
    );
    let on_async = threads.iter().filter(|&&t| t == async_thread).count();
    assert!(
        on_async == 0,
        "{on_async} of {} checkouts and returns of a connection ran on the async thread, which \
         blocks it: run database work through `state.db`, which moves it to a blocking thread",
        threads.len()
    );
    assert!(result.is_ok(), "{result:?}");
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
