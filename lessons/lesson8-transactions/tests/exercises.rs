//! Checks Exercise 8 (`save_exchange`, `save_exchange_with`) against the real server, each test in
//! its own database. Run against your version with `cargo test -p lesson8 --features exercise`.
//!
//! Every count is taken on ANOTHER connection than the one that saved: that is what the rest of
//! the world sees, and rows of a transaction that was not committed are not part of it.

mod common;

use std::collections::BTreeSet;
use std::panic::{AssertUnwindSafe, catch_unwind};

use common::add_user;
use lesson8::{
    ConversationError, ExchangeError, MAX_CONTENT_BYTES, Role, count_messages, orphaned_questions,
    save_exchange, save_exchange_with,
};
use mysql::prelude::Queryable;
use shared::testing::TestDb;

fn total_messages(conn: &mut mysql::Conn) -> anyhow::Result<u64> {
    Ok(conn
        .query_first("SELECT COUNT(*) FROM conversations")?
        .unwrap_or(0))
}

#[test]
fn a_saved_exchange_is_exactly_two_rows_linked_to_the_right_user() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let mut conn = db.conn();
    let asker = add_user(&mut conn, "minji")?;
    let bystander = add_user(&mut conn, "jun")?;

    let saved = save_exchange(
        &mut conn,
        asker,
        "What is ACID?",
        "Four promises of a transaction.",
    )?;

    let mut other = db.conn();
    let rows: Vec<(u64, u64, Role, String, Option<u64>)> = other
        .query("SELECT id, user_id, role, content, reply_to FROM conversations ORDER BY id")?;
    assert_eq!(
        rows,
        [
            (
                saved.question_id,
                asker,
                Role::User,
                "What is ACID?".to_string(),
                None
            ),
            (
                saved.answer_id,
                asker,
                Role::Assistant,
                "Four promises of a transaction.".to_string(),
                Some(saved.question_id)
            ),
        ]
    );
    assert_eq!(count_messages(&mut other, bystander)?, 0);
    Ok(())
}

#[test]
fn an_answer_too_long_for_its_column_fails_as_the_answer_and_stores_neither_row()
-> anyhow::Result<()> {
    let db = TestDb::new()?;
    let mut conn = db.conn();
    let user_id = add_user(&mut conn, "seojun")?;
    let rambling = "응".repeat(MAX_CONTENT_BYTES); // 3 bytes each: three times what TEXT holds

    let err = save_exchange(&mut conn, user_id, "Tell me everything.", &rambling).unwrap_err();

    assert!(
        matches!(&err, ExchangeError::Answer(ConversationError::TooLong { bytes }) if *bytes == rambling.len()),
        "{err:?}"
    );
    assert_eq!(err.part(), "answer");
    assert!(
        err.to_string().starts_with("saving the answer failed"),
        "{err}"
    );
    assert_eq!(total_messages(&mut db.conn())?, 0);
    Ok(())
}

#[test]
fn an_answer_the_server_refuses_rolls_back_the_question_too() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let mut conn = db.conn();
    let user_id = add_user(&mut conn, "haeun")?;

    // Between the inserts, an answer to the question appears (inside the same transaction), so
    // the server refuses the real answer: the UNIQUE key on reply_to allows one answer per question.
    let err = save_exchange_with(&mut conn, user_id, "Who answers first?", "Me.", |tx, question_id| {
        tx.exec_drop(
            "INSERT INTO conversations (user_id, role, content, reply_to) VALUES (?, 'assistant', 'first!', ?)",
            (user_id, question_id),
        )
        .expect("the first answer to a new question is accepted");
    })
    .unwrap_err();

    assert!(
        matches!(
            err,
            ExchangeError::Answer(ConversationError::AlreadyAnswered { .. })
        ),
        "{err:?}"
    );
    // Neither the question, nor the real answer, nor the one inserted in between.
    assert_eq!(total_messages(&mut db.conn())?, 0);
    Ok(())
}

#[test]
fn an_exchange_for_an_unknown_user_fails_as_the_question_and_stores_nothing() -> anyhow::Result<()>
{
    let db = TestDb::new()?;
    let mut conn = db.conn();
    let unknown = add_user(&mut conn, "nobody")? + 1000;

    let err = save_exchange(&mut conn, unknown, "Hello?", "Hi!").unwrap_err();

    assert!(
        matches!(err, ExchangeError::Question(ConversationError::UnknownUser { user_id }) if user_id == unknown),
        "{err:?}"
    );
    assert_eq!(total_messages(&mut db.conn())?, 0);
    Ok(())
}

#[test]
fn while_the_exchange_is_half_saved_another_connection_sees_none_of_it() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let mut conn = db.conn();
    let mut other = db.conn();
    let user_id = add_user(&mut conn, "doyun")?;
    let mut seen = None;

    save_exchange_with(
        &mut conn,
        user_id,
        "Can you see me?",
        "Now you can.",
        |tx, _| {
            let inside: u64 = count_messages(tx, user_id).expect("count inside");
            let outside: u64 = count_messages(&mut other, user_id).expect("count outside");
            seen = Some((inside, outside));
        },
    )?;

    assert_eq!(seen, Some((1, 0)), "(inside the transaction, outside it)");
    assert_eq!(count_messages(&mut other, user_id)?, 2);
    Ok(())
}

#[test]
fn a_panic_between_the_two_inserts_stores_neither_row() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let mut conn = db.conn();
    let user_id = add_user(&mut conn, "jiwoo")?;
    let mut questions_inside = None;

    let outcome = catch_unwind(AssertUnwindSafe(|| {
        save_exchange_with(&mut conn, user_id, "Will this survive?", "No.", |tx, _| {
            questions_inside = count_messages(tx, user_id).ok();
            panic!("the agent crashed between the question and the answer (on purpose)");
        })
    }));

    assert!(outcome.is_err(), "the panic reached the caller");
    assert_eq!(
        questions_inside,
        Some(1),
        "the question was inserted before the panic"
    );
    assert_eq!(total_messages(&mut db.conn())?, 0);
    // The unwinding dropped the transaction, which rolled back: the connection is usable as it was.
    let saved = save_exchange(&mut conn, user_id, "And now?", "Now it is stored.")?;
    assert_eq!(count_messages(&mut db.conn(), user_id)?, 2);
    assert_eq!(
        orphaned_questions(&mut db.conn(), user_id)?,
        Vec::<u64>::new()
    );
    assert!(saved.answer_id > saved.question_id);
    Ok(())
}

#[test]
fn a_connection_killed_between_the_two_inserts_stores_neither_row_and_the_pool_goes_on()
-> anyhow::Result<()> {
    let db = TestDb::new()?;
    let pool = lesson4::Pool::new(db.opts(), 1)?;
    let mut killer = db.conn();
    let user_id = add_user(&mut killer, "sua")?;
    let mut pooled = pool.get()?;
    let victim = pooled.connection_id();

    let err = save_exchange_with(&mut pooled, user_id, "Still there?", "…", |_, _| {
        // The id is formatted into the statement: the one safe exception to parameter binding,
        // since KILL takes no parameters (MySQL refuses `KILL ?` with ERROR 6413) and `victim`
        // is a u32, which cannot carry SQL.
        killer
            .query_drop(format!("KILL {victim}"))
            .expect("KILL the saving connection");
        // KILL returns at once; wait (bounded) until the server has really dropped the session.
        let left = db.wait_for_sessions(&mut killer, |ids| !ids.contains(&victim));
        assert!(
            !left.contains(&victim),
            "the server did not end connection {victim} within 5 s"
        );
    })
    .unwrap_err();
    drop(pooled);

    assert!(matches!(err, ExchangeError::Answer(_)), "{err:?}");
    assert!(err.can_retry(), "a lost connection before COMMIT: {err:?}");
    assert_eq!(count_messages(&mut killer, user_id)?, 0);
    // The whole exchange again, from the start, on the connection the pool lends now.
    let mut pooled = pool.get()?;
    assert_ne!(
        pooled.connection_id(),
        victim,
        "the dead connection was replaced"
    );
    save_exchange(
        &mut pooled,
        user_id,
        "Still there?",
        "Yes, on a new connection.",
    )?;
    assert_eq!(count_messages(&mut killer, user_id)?, 2);
    assert_eq!(orphaned_questions(&mut killer, user_id)?, Vec::<u64>::new());
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
            .collect::<anyhow::Result<_>>()?
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
                        save_exchange(
                            &mut conn,
                            user_id,
                            &format!("q {t}-{i}"),
                            &format!("a {t}-{i}"),
                        )?;
                    }
                    Ok(())
                })
            })
            .collect();
        for worker in workers {
            worker.join().expect("a worker panicked")?;
        }
        Ok(())
    })?;

    let mut conn = db.conn();
    let pairs: Vec<(u64, u64, String, String)> = conn.query(
        "SELECT q.user_id, a.user_id, q.content, a.content FROM conversations q \
         JOIN conversations a ON a.reply_to = q.id WHERE q.role = 'user'",
    )?;
    assert_eq!(pairs.len(), THREADS * EXCHANGES);
    assert_eq!(total_messages(&mut conn)?, (2 * THREADS * EXCHANGES) as u64);
    for (question_user, answer_user, question, answer) in &pairs {
        assert_eq!(question_user, answer_user, "{question} / {answer}");
        assert_eq!(
            question.replacen("q ", "a ", 1),
            *answer,
            "an answer under the wrong question"
        );
    }
    let asked: BTreeSet<&str> = pairs.iter().map(|(_, _, q, _)| q.as_str()).collect();
    let expected: BTreeSet<String> = (0..THREADS)
        .flat_map(|t| (0..EXCHANGES).map(move |i| format!("q {t}-{i}")))
        .collect();
    assert!(
        asked
            .iter()
            .copied()
            .eq(expected.iter().map(String::as_str)),
        "a question is missing"
    );
    for &user_id in &users {
        assert_eq!(orphaned_questions(&mut conn, user_id)?, Vec::<u64>::new());
    }
    Ok(())
}

#[test]
fn korean_text_and_emoji_in_an_exchange_come_back_unchanged() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let mut conn = db.conn();
    let user_id = add_user(&mut conn, "하늘")?;
    let question = "파이썬 서버에서 DB 연결은 어떻게 관리해요? 🐍";
    let answer = "커넥션 풀을 쓰고, 질문과 답변은 한 트랜잭션으로 저장해요 ✅🤖";

    let saved = save_exchange(&mut conn, user_id, question, answer)?;

    let mut other = db.conn();
    let contents: Vec<String> = other.exec(
        "SELECT content FROM conversations WHERE id IN (?, ?) ORDER BY id",
        (saved.question_id, saved.answer_id),
    )?;
    assert_eq!(contents, [question, answer]);
    Ok(())
}
