//! Exercise 9a: the chat handler's order (`lesson9::chat`). `cargo test -p lesson9 --features
//! exercise --test suite exercises::` runs these against your `src/exercise.rs`.
//!
//! The function is called directly, without HTTP, with agents the tests control.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::{self, ThreadId};

use crate::common::{FnAgent, give_token, pool, totals};
use lesson5::MysqlManager;
use lesson9::{Agent, AgentError, ApiError, AppState, Caller, ChatReply};
use mysql::prelude::Queryable;
use shared::bilingual;
use shared::testing::{TestDb, insert_user};

/// A state over `db` with a pool of `size` and `agent`, and a user to chat as (with their token).
fn setup(db: &TestDb, size: u32, agent: Arc<dyn Agent>) -> (AppState, Caller) {
    (AppState::new(pool(db, size), agent), jihoon(db))
}

/// A new user, and a caller who shows that user's token.
fn jihoon(db: &TestDb) -> Caller {
    let user_id = insert_user(&mut db.conn(), "Jihoon", "jihoon@example.com").unwrap();
    Caller::new(user_id, &give_token(db, user_id))
}

fn echo(question: &str) -> Result<String, AgentError> {
    Ok(format!("answer to {question}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn the_question_and_its_answer_are_stored_together_and_returned_as_stored() {
    let db = TestDb::new().unwrap();
    let (state, caller) = setup(&db, 2, FnAgent::new(echo));

    let reply: ChatReply = lesson9::chat(&state, caller, "ACID가 뭐예요? 😀".to_string())
        .await
        .unwrap_or_else(|err| {
            panic!(
                "{}",
                bilingual!(
                    "the chat of a user who exists, with an agent that answers, failed: {err:?}",
                    "있는 사용자가 답하는 에이전트에게 물었는데 채팅이 실패했습니다: {err:?}"
                )
            )
        });

    let stored: Vec<lesson9::Message> =
        lesson7::get_recent_conversations(&mut db.conn(), caller.user_id, 10)
            .unwrap()
            .into_iter()
            .map(lesson9::Message::from)
            .collect();
    assert!(
        stored == vec![reply.answer.clone(), reply.question.clone()],
        "{}",
        bilingual!(
            "the reply shows the two stored rows: {reply:?} vs {stored:?}",
            "응답은 저장된 두 행을 보여 줘야 합니다: {reply:?}, 저장된 것은 {stored:?}"
        )
    );
    assert!(
        reply.question.content == "ACID가 뭐예요? 😀"
            && reply.answer.content == "answer to ACID가 뭐예요? 😀"
            && reply.answer.reply_to == Some(reply.question.id),
        "{}",
        bilingual!(
            "the reply does not hold the question as written and the agent's answer to it: {reply:?}",
            "응답에 쓴 그대로의 질문과 그에 대한 에이전트의 답이 들어 있지 않습니다: \
                 {reply:?}"
        )
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
    let caller = jihoon(&db);
    let state = AppState::new(pool, agent.clone());

    let result = lesson9::chat(&state, caller, "is a connection free?".to_string()).await;

    assert!(
        agent.calls() == 1,
        "{}",
        bilingual!(
            "the agent was asked {} time(s); expected once",
            "에이전트에게 {}번 물었습니다. 기대한 것은 한 번입니다",
            agent.calls()
        )
    );
    assert!(
        free_while_asked.load(Ordering::SeqCst),
        "{}",
        bilingual!(
            "while the agent was asked, the pool's only connection was borrowed (result: {result:?})",
            "에이전트에게 묻는 동안 풀의 하나뿐인 커넥션을 빌려 가고 있었습니다(결과: {result:?})"
        )
    );
    assert!(
        result.is_ok(),
        "{}",
        bilingual!(
            "the chat failed: {result:?}",
            "채팅이 실패했습니다: {result:?}"
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn when_the_agent_fails_the_error_is_the_agents_and_nothing_is_stored() {
    let db = TestDb::new().unwrap();
    let agent = FnAgent::new(|_| Err(AgentError::Status(503)));
    let (state, caller) = setup(&db, 2, agent.clone());

    let result = lesson9::chat(&state, caller, "hello?".to_string()).await;

    assert!(
        matches!(result, Err(ApiError::Agent(AgentError::Status(503)))),
        "{}",
        bilingual!(
            "when the agent fails, chat must return ApiError::Agent with the agent's own error (here \
             AgentError::Status(503)), not another error; got {result:?}",
            "에이전트가 실패하면 chat은 에이전트 자신의 오류(여기서는 AgentError::Status(503))를 \
             담은 ApiError::Agent를 반환해야 하고, 다른 오류는 안 됩니다. 받은 것: {result:?}"
        )
    );
    assert!(
        agent.calls() == 1,
        "{}",
        bilingual!(
            "the agent was asked {} times for one question: a failed answer is reported, not asked \
             again (the client decides whether to retry)",
            "질문 하나에 에이전트에게 {}번 물었습니다. 실패한 답은 알리고, 다시 묻지 \
             않습니다(재시도는 클라이언트가 정합니다)",
            agent.calls()
        )
    );
    assert!(
        totals(&db) == (0, 0),
        "{}",
        bilingual!(
            "nothing stored: (messages, questions without an answer) = {:?}",
            "아무것도 저장되지 않아야 합니다: (메시지 수, 답 없는 질문 수) = {:?}",
            totals(&db)
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_question_is_stored_exactly_as_the_user_wrote_it() {
    let db = TestDb::new().unwrap();
    let (state, caller) = setup(&db, 2, FnAgent::new(echo));
    let typed = "  트랜잭션이 뭐예요?\n  (indented)  ";

    let result = lesson9::chat(&state, caller, typed.to_string()).await;

    let stored: Vec<String> = lesson7::get_recent_conversations(&mut db.conn(), caller.user_id, 10)
        .unwrap()
        .into_iter()
        .map(|message| message.content)
        .collect();
    assert!(
        stored.last().is_some_and(|question| question == typed),
        "{}",
        bilingual!(
            "the question was stored as {:?}, but the user wrote {typed:?}: only an empty question \
             is refused, a question is never changed (result: {result:?})",
            "저장된 질문은 {:?}인데 사용자가 쓴 것은 {typed:?}입니다. 빈 질문만 거절하고, \
             질문은 절대 바꾸지 않습니다(결과: {result:?})",
            stored.last()
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_database_error_during_the_user_check_is_not_an_unknown_user() {
    let db = TestDb::new().unwrap();
    let agent = FnAgent::new(echo);
    let (state, caller) = setup(&db, 2, agent.clone());
    // The check's query now fails on the server: the table it reads is gone.
    db.conn()
        .query_drop("RENAME TABLE user_tokens TO user_tokens_moved_away")
        .unwrap();

    let result = lesson9::chat(&state, caller, "is anyone there?".to_string()).await;

    assert!(
        result
            .as_ref()
            .is_err_and(|err| err.status().is_server_error()),
        "{}",
        bilingual!(
            "the user check failed in the database, and chat answered {result:?}: a database error \
                 must be passed on (a 5xx), not read as \"no such user\" (a 404 tells the client the user \
                 is gone for good)",
            "데이터베이스에서 사용자 확인이 실패했는데 chat의 답은 {result:?}입니다. \
                 데이터베이스 오류는 그대로 넘겨야 하고(5xx), \"그런 사용자 없음\"으로 읽으면 안 \
                 됩니다(404는 클라이언트에게 사용자가 영영 없다고 말합니다)"
        )
    );
    assert!(
        agent.calls() == 0,
        "{}",
        bilingual!(
            "the agent was asked although the user check failed",
            "사용자 확인이 실패했는데도 에이전트에게 물었습니다"
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_answer_too_long_to_store_leaves_no_question_behind() {
    let db = TestDb::new().unwrap();
    let rambling = |_: &str| Ok("DB! ".repeat(lesson7::MAX_CONTENT_BYTES / 4 + 1));
    let (state, caller) = setup(&db, 2, FnAgent::new(rambling));

    let result = lesson9::chat(&state, caller, "tell me everything".to_string()).await;

    assert!(
        totals(&db) == (0, 0),
        "{}",
        bilingual!(
            "the question is rolled back with the answer that failed, in one transaction: \
             (messages, questions without an answer) = {:?}",
            "질문은 실패한 답과 함께 한 트랜잭션 안에서 롤백되어야 합니다: (메시지 수, 답 없는 \
             질문 수) = {:?}",
            totals(&db)
        )
    );
    assert!(
        matches!(result, Err(ApiError::Agent(AgentError::TooLong { .. }))),
        "{}",
        bilingual!(
            "an answer that cannot be stored is the agent's failure: {result:?}",
            "저장할 수 없는 답은 에이전트의 실패입니다: {result:?}"
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_empty_question_is_invalid_and_never_reaches_the_agent() {
    let db = TestDb::new().unwrap();
    let agent = FnAgent::new(echo);
    let (state, caller) = setup(&db, 2, agent.clone());

    for empty in ["", "   ", "\n\t"] {
        let result = lesson9::chat(&state, caller, empty.to_string()).await;
        assert!(
            matches!(
                result,
                Err(ApiError::Invalid {
                    field: "question",
                    ..
                })
            ),
            "{}",
            bilingual!(
                "a question of only whitespace ({empty:?}) must be ApiError::Invalid for the field \
                 \"question\", refused before anything else; got {result:?}",
                "공백뿐인 질문({empty:?})은 필드 \"question\"에 대한 ApiError::Invalid여야 하고, \
                 다른 무엇보다 먼저 거절해야 합니다. 받은 것: {result:?}"
            )
        );
    }
    assert!(
        agent.calls() == 0,
        "{}",
        bilingual!(
            "the agent was asked {} time(s) about an empty question; expected never",
            "빈 질문에 대해 에이전트에게 {}번 물었습니다. 한 번도 묻지 않아야 합니다",
            agent.calls()
        )
    );
    assert!(
        totals(&db) == (0, 0),
        "{}",
        bilingual!(
            "nothing stored: (messages, questions without an answer) = {:?}",
            "아무것도 저장되지 않아야 합니다: (메시지 수, 답 없는 질문 수) = {:?}",
            totals(&db)
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_question_too_long_to_store_is_invalid_and_never_reaches_the_agent() {
    let db = TestDb::new().unwrap();
    let agent = FnAgent::new(echo);
    let (state, caller) = setup(&db, 2, agent.clone());
    // The limit is in bytes, as the column stores them: a Hangul syllable takes 3 in UTF-8.
    let ascii = "a".repeat(lesson7::MAX_CONTENT_BYTES + 1);
    let korean = "가".repeat(lesson7::MAX_CONTENT_BYTES / 3 + 1);

    for too_long in [ascii, korean] {
        let (bytes, chars) = (too_long.len(), too_long.chars().count());
        let result = lesson9::chat(&state, caller, too_long).await;

        assert!(
            agent.calls() == 0,
            "{}",
            bilingual!(
                "a question of {bytes} bytes ({chars} characters) reached the agent: \
                 the limit counts bytes",
                "{bytes}바이트({chars}글자) 질문이 에이전트에게 갔습니다. 한도는 바이트로 셉니다"
            )
        );
        assert!(
            matches!(
                result,
                Err(ApiError::Invalid {
                    field: "question",
                    ..
                })
            ),
            "{}",
            bilingual!(
                "a question of {bytes} bytes ({chars} characters) gave {result:?}; expected \
                 ApiError::Invalid for the field \"question\": too long to store",
                "{bytes}바이트({chars}글자) 질문의 결과는 {result:?}이고, 기대한 것은 필드 \
                 \"question\"에 대한 ApiError::Invalid입니다. 저장하기에 너무 깁니다"
            )
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
    let caller = jihoon(&db);
    let state = AppState::new(pool, FnAgent::new(echo));
    let async_thread = thread::current().id();

    let result = lesson9::chat(&state, caller, "where do you run?".to_string()).await;

    let threads = used_on.0.lock().unwrap().clone();
    assert!(
        !threads.is_empty(),
        "{}",
        bilingual!(
            "the chat used no connection of the pool",
            "채팅이 풀의 커넥션을 하나도 쓰지 않았습니다"
        )
    );
    let on_async = threads.iter().filter(|&&t| t == async_thread).count();
    assert!(
        on_async == 0,
        "{}",
        bilingual!(
            "{on_async} of {} checkouts and returns of a connection ran on the async thread, which \
             blocks it: run database work through `state.db`, which moves it to a blocking thread",
            "커넥션 대여와 반납 {}번 중 {on_async}번이 비동기 스레드에서 실행되어 그 스레드를 \
             막았습니다. 데이터베이스 작업은 블로킹 스레드로 옮겨 주는 `state.db`를 거쳐 \
             실행하세요",
            threads.len()
        )
    );
    assert!(
        result.is_ok(),
        "{}",
        bilingual!(
            "the chat failed: {result:?}",
            "채팅이 실패했습니다: {result:?}"
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_user_is_not_found_and_the_agent_is_not_asked() {
    let db = TestDb::new().unwrap();
    let agent = FnAgent::new(echo);
    let state = AppState::new(pool(&db, 2), agent.clone());
    let user_id = insert_user(&mut db.conn(), "Jihoon", "jihoon@example.com").unwrap();
    // Jihoon's own token, for a user that does not exist: what a user that does not exist gets.
    let stranger = Caller::new(user_id + 1000, &give_token(&db, user_id));

    let result = lesson9::chat(&state, stranger, "hello?".to_string()).await;

    assert!(
        matches!(result, Err(ApiError::UserNotFound(_))),
        "{}",
        bilingual!(
            "a user who does not exist gave {result:?}; expected ApiError::UserNotFound",
            "없는 사용자에 대한 결과는 {result:?}이고, 기대한 것은 ApiError::UserNotFound입니다"
        )
    );
    assert!(
        agent.calls() == 0,
        "{}",
        bilingual!(
            "the agent was asked {} time(s) for a user who does not exist: an agent's answer costs \
             time (or money), not for a request that will fail; check the user before asking",
            "없는 사용자에 대해 에이전트에게 {}번 물었습니다. 에이전트의 답에는 시간(또는 돈)이 드니, \
             실패할 요청에는 묻지 않습니다. 묻기 전에 사용자를 확인하세요",
            agent.calls()
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_that_is_not_the_users_is_refused_and_the_agent_is_not_asked() {
    let db = TestDb::new().unwrap();
    let agent = FnAgent::new(echo);
    let (state, jihoon) = setup(&db, 2, agent.clone());
    let mina = insert_user(&mut db.conn(), "Mina", "mina@example.com").unwrap();
    let minas_token = give_token(&db, mina);

    let wrong = lesson9::chat(&state, Caller::new(jihoon.user_id, "guessed"), "hi".into()).await;
    let minas = lesson9::chat(
        &state,
        Caller::new(jihoon.user_id, &minas_token),
        "hi".into(),
    )
    .await;

    assert!(
        matches!(wrong, Err(ApiError::Unauthorized(_))),
        "{}",
        bilingual!(
            "a token that is no user's gave {wrong:?}; expected ApiError::Unauthorized (401): \
             check the caller's token, not only that the user exists",
            "어느 사용자의 것도 아닌 토큰에 대해 {wrong:?}가 나왔습니다. 기대한 것은 \
             ApiError::Unauthorized(401)입니다. 사용자가 있는지만이 아니라 호출자의 토큰을 확인하세요"
        )
    );
    assert!(
        matches!(minas, Err(ApiError::UserNotFound(_))),
        "{}",
        bilingual!(
            "another user's token gave {minas:?}; expected what a user that does not exist gets, \
             ApiError::UserNotFound",
            "다른 사용자의 토큰에 대해 {minas:?}가 나왔습니다. 기대한 것은 없는 사용자가 받는 것과 같은 \
             ApiError::UserNotFound입니다"
        )
    );
    let (calls, stored) = (agent.calls(), totals(&db));
    assert!(
        calls == 0 && stored == (0, 0),
        "{}",
        bilingual!(
            "for a caller who is not the user, the agent was asked {calls} time(s) and \
             (messages, questions without an answer) = {stored:?} were stored",
            "그 사용자가 아닌 호출자에 대해 에이전트에게 {calls}번 물었고, (메시지, 답 없는 질문) = \
             {stored:?}가 저장되었습니다"
        )
    );
}
