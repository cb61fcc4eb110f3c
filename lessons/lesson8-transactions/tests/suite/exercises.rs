//! Checks exercise 8a (`save_exchange`) against the real server, each test in its own database.
//! Run against your version with `cargo test -p lesson8 --features exercise`.
//!
//! Every count is taken on ANOTHER connection than the one that saved: that is what the rest of
//! the world sees, and rows of a transaction that was not committed are not part of it.
//!
//! To make something happen exactly between the question and the answer, some tests connect
//! through a relay on 127.0.0.1 (`shared::testing::relay`) that holds the answer's
//! INSERT on its way to the server, or cuts the connection there: your code needs no hook for it.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, mpsc};

use crate::common::{add_user, total_messages};
use lesson8::{ConversationError, ExchangeError, Role, count_messages, save_exchange};
use mysql::Conn;
use mysql::prelude::Queryable;
use shared::bilingual;
use shared::testing::relay::{At, Relay};
use shared::testing::{TestDb, expect_ok};

#[test]
fn a_saved_exchange_is_two_committed_rows_linked_to_the_right_user() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let mut conn = db.conn();
    let asker = add_user(&mut conn, "minji")?;
    let bystander = add_user(&mut conn, "jun")?;

    let saved = expect_ok(
        save_exchange(&mut conn, asker, "What is ACID?", "Four promises."),
        "save_exchange(&mut conn, asker, \"What is ACID?\", \"Four promises.\")",
    );

    let mut other = db.conn();
    let rows: Vec<(u64, u64, Role, String, Option<u64>)> = other
        .query("SELECT id, user_id, role, content, reply_to FROM conversations ORDER BY id")?;
    let expected = vec![
        (
            saved.question_id,
            asker,
            Role::User,
            "What is ACID?".to_string(),
            None,
        ),
        (
            saved.answer_id,
            asker,
            Role::Assistant,
            "Four promises.".to_string(),
            Some(saved.question_id),
        ),
    ];
    assert!(
        rows == expected,
        "{}",
        bilingual!(
            "another connection sees {rows:?};\nexpected the question and its answer, {expected:?}. \
             If it sees nothing: was the transaction committed?",
            "다른 커넥션에 보이는 행은 {rows:?}입니다.\n기대한 것은 질문과 그 답변, {expected:?}입니다. \
             아무것도 보이지 않는다면: 트랜잭션을 커밋했나요?"
        )
    );
    let bystanders = count_messages(&mut other, bystander)?;
    assert!(
        bystanders == 0,
        "{}",
        bilingual!(
            "the bystander has {bystanders} messages; expected 0",
            "관계없는 사용자의 메시지가 {bystanders}개입니다. 기대한 수는 0개입니다"
        )
    );
    Ok(())
}

#[test]
fn an_answer_too_long_for_its_column_fails_as_the_answer_and_stores_neither_row()
-> anyhow::Result<()> {
    let db = TestDb::new()?;
    let mut conn = db.conn();
    let user_id = add_user(&mut conn, "seojun")?;
    let rambling = "응".repeat(lesson8::MAX_CONTENT_BYTES); // 3 bytes each: three times what TEXT holds

    let result = save_exchange(&mut conn, user_id, "Tell me everything.", &rambling);

    assert!(
        matches!(&result, Err(ExchangeError::Answer(ConversationError::TooLong { bytes })) if *bytes == rambling.len()),
        "{}",
        bilingual!(
            "got {result:?}; expected Err(Answer(TooLong {{ .. }})): the answer's own error, as the answer's part",
            "받은 값은 {result:?}이고, 기대한 것은 Err(Answer(TooLong {{ .. }}))입니다. 답변 \
             자신의 오류가 답변 부분의 오류로 와야 합니다"
        )
    );
    let stored = total_messages(&mut db.conn())?;
    assert!(
        stored == 0,
        "{}",
        bilingual!(
            "another connection sees {stored} messages; expected 0: the question must go when the answer \
             fails (was the question committed on its own, or the transaction committed anyway?)",
            "다른 커넥션에 메시지가 {stored}개 보입니다. 기대한 수는 0개입니다. 답변이 실패하면 \
             질문도 없어져야 합니다(질문을 따로 커밋했거나, 답변이 실패했는데도 트랜잭션을 커밋하지 않았나요?)"
        )
    );
    Ok(())
}

#[test]
fn a_failed_exchange_leaves_its_connection_clean_for_the_next_one() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let mut conn = db.conn();
    let user_id = add_user(&mut conn, "seojun")?;
    let rambling = "응".repeat(lesson8::MAX_CONTENT_BYTES);

    // The same connection, as a pool lends it to the next request: a failed exchange, then a good one.
    let failed = save_exchange(&mut conn, user_id, "Tell me everything.", &rambling);
    let saved = save_exchange(&mut conn, user_id, "And briefly?", "Briefly: yes.");
    let autocommit: Option<u8> = conn.query_first("SELECT @@autocommit")?;

    let stored = total_messages(&mut db.conn())?;
    assert!(
        failed.is_err() && saved.is_ok(),
        "{}",
        bilingual!(
            "expected the first exchange to fail and the second to be saved: {failed:?}, {saved:?}",
            "첫 번째 대화는 실패하고 두 번째는 저장되어야 합니다: {failed:?}, {saved:?}"
        )
    );
    assert!(
        stored == 2,
        "{}",
        bilingual!(
            "{stored} messages stored; expected 2, the second exchange's: the failed one left its question \
             in an open transaction on the connection, and the next exchange's START TRANSACTION (or \
             COMMIT) committed it. A failed exchange must roll back before it returns",
            "메시지가 {stored}개 저장되었습니다. 기대한 것은 두 번째 대화의 2개입니다. 실패한 \
             대화가 커넥션에 열린 트랜잭션으로 질문을 남겼고, 다음 대화의 START TRANSACTION(또는 \
             COMMIT)이 그것을 커밋했습니다. 실패한 대화는 반환하기 전에 롤백해야 합니다"
        )
    );
    assert!(
        autocommit == Some(1),
        "{}",
        bilingual!(
            "after save_exchange, the connection's autocommit is {autocommit:?}; expected 1: the next \
             user of the connection would be inside a transaction without knowing it",
            "save_exchange 뒤에 커넥션의 autocommit이 {autocommit:?}입니다. 기대한 값은 1입니다. \
             그 커넥션을 다음에 쓰는 쪽은 자기도 모르게 트랜잭션 안에 있게 됩니다"
        )
    );
    Ok(())
}

#[test]
fn on_a_closed_connection_the_exchange_fails_at_its_begin() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let user_id = add_user(&mut db.conn(), "seojun")?;
    let mut dead = db.killed_conn()?;

    let result = save_exchange(&mut dead, user_id, "Hello?", "Hi!");

    assert!(
        matches!(result, Err(ExchangeError::Begin(_))),
        "{}",
        bilingual!(
            "got {result:?}; expected Err(Begin(..)): nothing was sent after START TRANSACTION failed, \
             so the error is the begin's, not the question's",
            "받은 값은 {result:?}이고, 기대한 것은 Err(Begin(..))입니다. START TRANSACTION이 \
             실패한 뒤로는 아무것도 보내지 않았으므로, 오류는 질문이 아니라 시작(begin)의 \
             것입니다"
        )
    );
    Ok(())
}

#[test]
fn an_exchange_runs_four_statements_begin_two_inserts_commit() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let user_id = add_user(&mut db.conn(), "seojun")?;

    let (saved, run) = shared::testing::statements_run_by(&db, |conn| {
        save_exchange(conn, user_id, "How many?", "Four.")
    })?;

    assert!(
        saved.is_ok(),
        "{}",
        bilingual!(
            "save_exchange failed: {saved:?}",
            "save_exchange가 실패했습니다: {saved:?}"
        )
    );
    assert!(
        run.len() == 4,
        "{}",
        bilingual!(
            "save_exchange ran {} statements; expected 4: START TRANSACTION, the question's INSERT, \
             the answer's INSERT, COMMIT (each id comes from its INSERT's own reply; the driver's \
             transaction sends the BEGIN and the COMMIT): {run:#?}",
            "save_exchange가 SQL 문을 {}개 실행했습니다. 기대한 것은 4개입니다. START \
             TRANSACTION, 질문의 INSERT, 답변의 INSERT, COMMIT(각 id는 그 INSERT 자신의 응답에서 \
             오고, BEGIN과 COMMIT은 드라이버의 트랜잭션이 보냅니다): {run:#?}",
            run.len()
        )
    );
    Ok(())
}

#[test]
fn an_exchange_for_an_unknown_user_fails_as_the_question_and_stores_nothing() -> anyhow::Result<()>
{
    let db = TestDb::new()?;
    let mut conn = db.conn();
    let unknown = add_user(&mut conn, "nobody")? + 1000;

    let result = save_exchange(&mut conn, unknown, "Hello?", "Hi!");

    assert!(
        matches!(result, Err(ExchangeError::Question(ConversationError::UnknownUser { user_id })) if user_id == unknown),
        "{}",
        bilingual!(
            "got {result:?}; expected Err(Question(UnknownUser {{ user_id: {unknown} }})): the question failed, \
             so the error must name the question's part",
            "받은 값은 {result:?}이고, 기대한 것은 Err(Question(UnknownUser {{ user_id: {unknown} \
             }}))입니다. 질문이 실패했으므로 오류는 질문 부분을 가리켜야 합니다"
        )
    );
    let stored = total_messages(&mut db.conn())?;
    assert!(
        stored == 0,
        "{}",
        bilingual!(
            "another connection sees {stored} messages; expected 0",
            "다른 커넥션에 메시지가 {stored}개 보입니다. 기대한 수는 0개입니다"
        )
    );
    Ok(())
}

#[test]
fn while_the_answer_is_on_its_way_another_connection_sees_none_of_the_exchange()
-> anyhow::Result<()> {
    let db = TestDb::new()?;
    let user_id = add_user(&mut db.conn(), "doyun")?;
    let (seen_tx, seen) = mpsc::channel();
    let config = db.config().clone();
    let relay = Relay::start(
        &db,
        "the answer, held on its way",
        At::Pause(Box::new(move || {
            let mut other = shared::connect(&config).expect("a second connection");
            let _ = seen_tx.send(count_messages(&mut other, user_id).expect("a count"));
        })),
    );
    let mut conn = Conn::new(relay.opts(&db))?;

    expect_ok(
        save_exchange(
            &mut conn,
            user_id,
            "Can you see me?",
            "the answer, held on its way",
        ),
        "save_exchange(&mut conn, user_id, \"Can you see me?\", \"the answer, held on its way\")",
    );

    let between = seen.try_recv().map_err(|_| {
        anyhow::anyhow!(bilingual!(
            "the answer never reached the relay",
            "답변이 중계기에 닿지 않았습니다"
        ))
    })?;
    assert!(
        between == 0,
        "{}",
        bilingual!(
            "between the question and the answer, another connection saw {between} message(s); \
             expected 0: the question must stay invisible until both are committed together \
             (was it saved outside the transaction, or committed early?)",
            "질문과 답변 사이에 다른 커넥션이 메시지 {between}개를 보았습니다. 기대한 수는 \
             0개입니다. 질문은 둘이 함께 커밋될 때까지 보이지 않아야 합니다(트랜잭션 밖에서 \
             저장했거나, 일찍 커밋했나요?)"
        )
    );
    let after = count_messages(&mut db.conn(), user_id)?;
    assert!(
        after == 2,
        "{}",
        bilingual!(
            "after save_exchange, another connection sees {after} messages; expected 2",
            "save_exchange 뒤에 다른 커넥션에 메시지가 {after}개 보입니다. 기대한 수는 2개입니다"
        )
    );
    Ok(())
}

#[test]
fn a_connection_lost_before_the_answer_arrived_stores_nothing_and_may_be_retried()
-> anyhow::Result<()> {
    let db = TestDb::new()?;
    let user_id = add_user(&mut db.conn(), "jiwoo")?;
    let relay = Relay::start(&db, "this answer never arrives", At::CutBefore);
    let mut conn = Conn::new(relay.opts(&db))?;

    let result = save_exchange(
        &mut conn,
        user_id,
        "Still there?",
        "this answer never arrives",
    );

    assert!(
        relay.has_fired(),
        "{}",
        bilingual!(
            "the answer's INSERT never reached the relay",
            "답변의 INSERT가 중계기에 닿지 않았습니다"
        )
    );
    let err = result.err().ok_or_else(|| {
        anyhow::anyhow!(bilingual!(
            "the connection was cut, yet Ok",
            "커넥션이 끊겼는데도 Ok입니다"
        ))
    })?;
    assert!(
        matches!(
            err,
            ExchangeError::Answer(ConversationError::ConnectionLost(_))
        ),
        "{}",
        bilingual!(
            "got {err:?}; expected Answer(ConnectionLost(..)): lesson 7's error, as the answer's part",
            "받은 값은 {err:?}이고, 기대한 것은 Answer(ConnectionLost(..))입니다. 레슨 7의 오류가 \
             답변 부분의 오류로 와야 합니다"
        )
    );
    assert!(
        err.can_retry(),
        "{}",
        bilingual!(
            "lost before the commit, nothing is stored: it may be retried",
            "커밋 전에 끊겼으니 아무것도 저장되지 않았습니다. 그러니 재시도해도 됩니다"
        )
    );
    // The server ends the session and rolls its transaction back; wait until it has.
    let mut watcher = db.conn();
    let left = db.wait_for_sessions(&mut watcher, |ids| ids.is_empty());
    assert!(
        left.is_empty(),
        "{}",
        bilingual!(
            "the cut sessions {left:?} did not end within 5 s",
            "끊긴 세션이 5초 안에 끝나지 않았습니다: {left:?}"
        )
    );
    let stored = count_messages(&mut watcher, user_id)?;
    assert!(
        stored == 0,
        "{}",
        bilingual!(
            "after the connection was lost, {stored} message(s) are stored; expected 0: was the question \
             committed before the answer?",
            "커넥션이 끊긴 뒤 메시지가 {stored}개 저장되어 있습니다. 기대한 수는 0개입니다. \
             답변보다 먼저 질문을 커밋했나요?"
        )
    );
    expect_ok(
        save_exchange(
            &mut db.conn(),
            user_id,
            "Still there?",
            "Yes, on a new connection.",
        ),
        "save_exchange(&mut db.conn(), user_id, \"Still there?\", \"Yes, on a new connection.\")",
    );
    let stored = count_messages(&mut watcher, user_id)?;
    assert!(
        stored == 2,
        "{}",
        bilingual!(
            "after the retry, {stored} messages; expected 2",
            "재시도 뒤 메시지가 {stored}개입니다. 기대한 수는 2개입니다"
        )
    );
    Ok(())
}

#[test]
fn an_answer_the_server_ran_whose_reply_was_lost_is_rolled_back_with_its_question()
-> anyhow::Result<()> {
    let db = TestDb::new()?;
    let user_id = add_user(&mut db.conn(), "sua")?;
    let relay = Relay::start(&db, "ran, but its reply was lost", At::CutAfter);
    let mut conn = Conn::new(relay.opts(&db))?;

    let result = save_exchange(&mut conn, user_id, "Hello?", "ran, but its reply was lost");

    assert!(
        relay.has_fired(),
        "{}",
        bilingual!(
            "the answer's INSERT never reached the relay",
            "답변의 INSERT가 중계기에 닿지 않았습니다"
        )
    );
    let err = result.err().ok_or_else(|| {
        anyhow::anyhow!(bilingual!(
            "the reply was cut, yet Ok",
            "응답이 잘렸는데도 Ok입니다"
        ))
    })?;
    assert!(
        err.can_retry(),
        "{}",
        bilingual!(
            "inside the transaction, before COMMIT: retryable, got {err:?}",
            "트랜잭션 안, COMMIT 전이므로 재시도할 수 있어야 하는데, 받은 값은 {err:?}입니다"
        )
    );
    let mut watcher = db.conn();
    let left = db.wait_for_sessions(&mut watcher, |ids| ids.is_empty());
    assert!(
        left.is_empty(),
        "{}",
        bilingual!(
            "the cut sessions {left:?} did not end within 5 s",
            "끊긴 세션이 5초 안에 끝나지 않았습니다: {left:?}"
        )
    );
    let stored = count_messages(&mut watcher, user_id)?;
    assert!(
        stored == 0,
        "{}",
        bilingual!(
            "{stored} message(s) stored; expected 0: the server ran the answer's INSERT, but the \
             transaction was never committed, so ending the session rolls both back",
            "메시지가 {stored}개 저장되었습니다. 기대한 수는 0개입니다. 서버가 답변의 INSERT를 \
             실행했지만 트랜잭션은 커밋되지 않았으므로, 세션이 끝나면 둘 다 롤백됩니다"
        )
    );
    Ok(())
}

#[test]
fn a_commit_whose_reply_was_lost_is_reported_as_the_commit_and_not_as_retryable()
-> anyhow::Result<()> {
    let db = TestDb::new()?;
    let user_id = add_user(&mut db.conn(), "haeun")?;
    let relay = Relay::start(&db, "COMMIT", At::CutAfter);
    let mut conn = Conn::new(relay.opts(&db))?;

    let result = save_exchange(&mut conn, user_id, "Did it work?", "Perhaps.");

    assert!(
        relay.has_fired(),
        "{}",
        bilingual!(
            "no COMMIT reached the server: was the transaction committed?",
            "서버에 COMMIT이 닿지 않았습니다. 트랜잭션을 커밋했나요?"
        )
    );
    let err = result.err().ok_or_else(|| {
        anyhow::anyhow!(bilingual!(
            "the COMMIT's reply was cut, yet Ok",
            "COMMIT의 응답이 잘렸는데도 Ok입니다"
        ))
    })?;
    assert!(
        matches!(err, ExchangeError::Commit(_)) && !err.can_retry(),
        "{}",
        bilingual!(
            "got {err:?}; expected Commit(..), not retryable: the server may have committed, so a \
             retry could store the exchange twice",
            "받은 값은 {err:?}이고, 기대한 것은 재시도할 수 없는 Commit(..)입니다. 서버가 커밋했을 \
             수도 있으므로, 재시도하면 대화가 두 번 저장될 수 있습니다"
        )
    );
    let stored = count_messages(&mut db.conn(), user_id)?;
    assert!(
        stored == 2,
        "{}",
        bilingual!(
            "the server committed before the reply was lost: {stored} messages, expected 2",
            "서버는 응답이 사라지기 전에 커밋했습니다. 메시지가 {stored}개이고, 기대한 수는 \
             2개입니다"
        )
    );
    Ok(())
}

#[test]
fn a_connection_killed_before_the_answer_stores_nothing_and_the_pool_goes_on() -> anyhow::Result<()>
{
    let db = Arc::new(TestDb::new()?);
    let user_id = add_user(&mut db.conn(), "yejin")?;
    let victim = Arc::new(AtomicU32::new(0));
    let (db_in_relay, victim_in_relay) = (db.clone(), victim.clone());
    let relay = Relay::start(
        &db,
        "killed before it arrives",
        At::Pause(Box::new(move || {
            let victim = victim_in_relay.load(Ordering::SeqCst);
            let mut killer = db_in_relay.conn();
            // The id is formatted into the statement: the one safe exception to parameter binding,
            // since KILL takes no parameters (MySQL refuses `KILL ?`) and `victim` is a u32.
            killer
                .query_drop(format!("KILL {victim}"))
                .expect("KILL the saving connection");
            // KILL returns at once; wait (bounded) until the server has really dropped the session.
            let left = db_in_relay.wait_for_sessions(&mut killer, |ids| !ids.contains(&victim));
            assert!(
                !left.contains(&victim),
                "{}",
                bilingual!(
                    "the server did not end connection {victim} within 5 s",
                    "서버가 커넥션(id {victim})을 5초 안에 끝내지 않았습니다"
                )
            );
        })),
    );
    let pool = lesson4::Pool::new(relay.opts(&db), 1)?;
    let mut pooled = pool.get()?;
    victim.store(pooled.connection_id(), Ordering::SeqCst);

    let result = save_exchange(
        &mut pooled,
        user_id,
        "Still there?",
        "killed before it arrives",
    );
    drop(pooled);

    let err = result.err().ok_or_else(|| {
        anyhow::anyhow!(bilingual!(
            "the connection was killed, yet Ok",
            "커넥션이 KILL되었는데도 Ok입니다"
        ))
    })?;
    assert!(
        matches!(err, ExchangeError::Answer(_)) && err.can_retry(),
        "{}",
        bilingual!(
            "got {err:?}; expected a retryable Answer error (the connection was lost before COMMIT)",
            "받은 값은 {err:?}이고, 기대한 것은 재시도할 수 있는 Answer 오류입니다(COMMIT 전에 \
             커넥션이 끊겼습니다)"
        )
    );
    let stored = count_messages(&mut db.conn(), user_id)?;
    assert!(
        stored == 0,
        "{}",
        bilingual!(
            "{stored} message(s) stored after the KILL; expected 0",
            "KILL 뒤에 메시지가 {stored}개 저장되어 있습니다. 기대한 수는 0개입니다"
        )
    );
    let mut pooled = pool.get()?;
    let replaced = pooled.connection_id();
    assert!(
        replaced != victim.load(Ordering::SeqCst),
        "{}",
        bilingual!(
            "the pool lent the dead connection again",
            "풀이 끊어진 커넥션을 다시 빌려주었습니다"
        )
    );
    expect_ok(
        save_exchange(
            &mut pooled,
            user_id,
            "Still there?",
            "Yes, on a new connection.",
        ),
        "save_exchange(&mut pooled, user_id, \"Still there?\", \"Yes, on a new connection.\")",
    );
    let stored = count_messages(&mut db.conn(), user_id)?;
    assert!(
        stored == 2,
        "{}",
        bilingual!(
            "after the retry on the pool's new connection: {stored} messages, expected 2",
            "풀의 새 커넥션으로 재시도한 뒤 메시지가 {stored}개입니다. 기대한 수는 2개입니다"
        )
    );
    Ok(())
}

#[test]
fn eight_threads_saving_a_hundred_exchanges_each_leave_every_pair_complete() -> anyhow::Result<()> {
    const THREADS: usize = 8;
    const EXCHANGES: usize = 100;
    let db = TestDb::new()?;
    let pool = lesson4::Pool::new(db.opts(), 4)?;
    let users: Vec<u64> = {
        let mut conn = db.conn();
        (0..THREADS)
            .map(|t| add_user(&mut conn, &format!("thread{t}")))
            .collect::<mysql::Result<_>>()?
    };

    std::thread::scope(|scope| -> anyhow::Result<()> {
        let workers: Vec<_> = users
            .iter()
            .enumerate()
            .map(|(t, &user_id)| {
                let pool = &pool;
                scope.spawn(move || -> anyhow::Result<()> {
                    for i in 0..EXCHANGES {
                        let mut conn = pool.get()?;
                        expect_ok(save_exchange(
                            &mut conn,
                            user_id,
                            &format!("q {t}-{i}"),
                            &format!("a {t}-{i}"),
                        ), "save_exchange(&mut conn, user_id, &format!(\"q {t}-{i}\"), &format!(\"a {t}-{i}\"))");
                    }
                    Ok(())
                })
            })
            .collect();
        for worker in workers {
            worker.join().unwrap_or_else(|_| {
                panic!(
                    "{}",
                    bilingual!("a worker panicked", "작업 스레드 하나가 panic했습니다")
                )
            })?;
        }
        Ok(())
    })?;

    let mut conn = db.conn();
    let pairs: Vec<(u64, u64, String, String)> = conn.query(
        "SELECT q.user_id, a.user_id, q.content, a.content FROM conversations q \
         JOIN conversations a ON a.reply_to = q.id WHERE q.role = 'user'",
    )?;
    let total = total_messages(&mut conn)?;
    assert!(
        pairs.len() == THREADS * EXCHANGES && total == (2 * THREADS * EXCHANGES) as u64,
        "{}",
        bilingual!(
            "{} complete pairs and {total} rows; expected {} pairs and {} rows",
            "온전한 쌍이 {}개, 행이 {total}개입니다. 기대한 것은 쌍 {}개, 행 {}개입니다",
            pairs.len(),
            THREADS * EXCHANGES,
            2 * THREADS * EXCHANGES
        )
    );
    for (question_user, answer_user, question, answer) in &pairs {
        assert!(
            question_user == answer_user && question.replacen("q ", "a ", 1) == *answer,
            "{}",
            bilingual!(
                "{answer:?} of user {answer_user} is stored under {question:?} of user {question_user}",
                "답변과 질문의 짝이 맞지 않습니다. 답변: {answer:?}(사용자 {answer_user}), 질문: \
                 {question:?}(사용자 {question_user})"
            )
        );
    }
    let asked: BTreeSet<&str> = pairs.iter().map(|(_, _, q, _)| q.as_str()).collect();
    assert!(
        asked.len() == THREADS * EXCHANGES,
        "{}",
        bilingual!(
            "a question is stored twice or missing",
            "질문이 두 번 저장되었거나 빠졌습니다"
        )
    );
    Ok(())
}

#[test]
fn korean_text_and_emoji_in_an_exchange_come_back_unchanged() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let mut conn = db.conn();
    let user_id = add_user(&mut conn, "haneul")?;
    let question = "파이썬 서버에서 DB 커넥션은 어떻게 관리해요? 🐍";
    let answer = "커넥션 풀을 쓰고, 질문과 답변은 한 트랜잭션으로 저장해요 ✅🤖";

    let saved = expect_ok(
        save_exchange(&mut conn, user_id, question, answer),
        "save_exchange(&mut conn, user_id, question, answer)",
    );

    let contents: Vec<String> = db.conn().exec(
        "SELECT content FROM conversations WHERE id IN (?, ?) ORDER BY id",
        (saved.question_id, saved.answer_id),
    )?;
    assert!(
        contents == [question, answer],
        "{}",
        bilingual!(
            "read back {contents:?}; expected {:?} byte for byte",
            "다시 읽은 값이 {contents:?}입니다. 기대한 것은 바이트 하나하나까지 {:?}입니다",
            [question, answer]
        )
    );
    Ok(())
}
