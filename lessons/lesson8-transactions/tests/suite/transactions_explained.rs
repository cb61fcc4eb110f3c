//! The facts the README teaches, each shown on the real server: autocommit versus a transaction,
//! a dropped `Transaction` rolling back (also by a panic), DDL committing implicitly, the answer
//! rule inside a transaction, and which errors allow a retry.
//! Not exercises: they pass before you write any code.

use crate::common::add_user;
use lesson8::{
    ConversationError, ExchangeError, MAX_CONTENT_BYTES, count_messages, orphaned_questions,
    save_exchange_autocommit,
};
use mysql::TxOpts;
use mysql::prelude::Queryable;
use shared::testing::TestDb;
use std::panic::{AssertUnwindSafe, catch_unwind};

#[test]
fn without_a_transaction_a_failed_answer_leaves_its_question_orphaned() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let mut conn = db.conn();
    let user_id = add_user(&mut conn, "autocommit")?;
    let too_long = "x".repeat(MAX_CONTENT_BYTES + 1);

    let err = save_exchange_autocommit(&mut conn, user_id, "Anyone there?", &too_long).unwrap_err();

    assert!(matches!(err, ConversationError::TooLong { .. }), "{err:?}");
    let mut other = db.conn();
    assert_eq!(
        count_messages(&mut other, user_id)?,
        1,
        "the question alone is stored"
    );
    let orphans = orphaned_questions(&mut other, user_id)?;
    let question: Option<String> = other.exec_first(
        "SELECT content FROM conversations WHERE id = ?",
        (orphans.first().copied(),),
    )?;
    assert_eq!(
        orphans.len(),
        1,
        "one question without an answer: {orphans:?}"
    );
    assert_eq!(
        question.as_deref(),
        Some("Anyone there?"),
        "the orphan is the question"
    );
    Ok(())
}

#[test]
fn without_a_transaction_a_successful_exchange_is_stored_too() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let mut conn = db.conn();
    let user_id = add_user(&mut conn, "lucky")?;

    save_exchange_autocommit(&mut conn, user_id, "Ping?", "Pong.")?;

    let mut other = db.conn();
    assert_eq!(
        count_messages(&mut other, user_id)?,
        2,
        "question and answer stored"
    );
    assert!(
        orphaned_questions(&mut other, user_id)?.is_empty(),
        "no orphan"
    );
    Ok(())
}

#[test]
fn a_transaction_dropped_without_commit_rolls_back() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let mut conn = db.conn();
    let user_id = add_user(&mut conn, "forgetful")?;

    {
        let mut tx = conn.start_transaction(TxOpts::default())?;
        lesson7::save_question(&mut tx, user_id, "Saved, but never committed")?;
        assert_eq!(
            count_messages(&mut tx, user_id)?,
            1,
            "visible inside the transaction"
        );
    } // `tx` dropped here: its Drop sends ROLLBACK

    assert_eq!(
        count_messages(&mut conn, user_id)?,
        0,
        "rolled back, seen from the same connection"
    );
    assert_eq!(
        count_messages(&mut db.conn(), user_id)?,
        0,
        "rolled back, seen from another"
    );
    Ok(())
}

#[test]
fn a_panic_while_a_transaction_is_open_rolls_it_back() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let mut conn = db.conn();
    let user_id = add_user(&mut conn, "panicky")?;

    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let mut tx = conn
            .start_transaction(TxOpts::default())
            .expect("a transaction");
        lesson7::save_question(&mut tx, user_id, "Will this survive?").expect("the question");
        panic!("the agent crashed between the question and the answer (on purpose)");
    }));

    assert!(outcome.is_err(), "the panic reached the caller");
    // The unwinding dropped the transaction, whose Drop sent ROLLBACK: the connection is usable.
    assert_eq!(
        count_messages(&mut db.conn(), user_id)?,
        0,
        "rolled back, seen from another connection"
    );
    assert_eq!(
        count_messages(&mut conn, user_id)?,
        0,
        "the connection is usable, and sees nothing"
    );
    Ok(())
}

#[test]
fn the_answer_rule_holds_inside_a_transaction_too() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let mut conn = db.conn();
    let alice = add_user(&mut conn, "alice")?;
    let mallory = add_user(&mut conn, "mallory")?;

    let mut tx = conn.start_transaction(TxOpts::default())?;
    let question = lesson7::save_question(&mut tx, alice, "alice asks, not yet committed")?;
    let refused = lesson7::save_answer(&mut tx, mallory, question, "for mallory");
    // The transaction's own uncommitted question is visible to its INSERT ... SELECT.
    let answered = lesson7::save_answer(&mut tx, alice, question, "for alice");
    tx.commit()?;

    assert!(
        matches!(refused, Err(ConversationError::AnotherUsersQuestion { .. })),
        "another user's question, inside a transaction: {refused:?}"
    );
    assert!(
        answered.is_ok(),
        "the asker's own uncommitted question: {answered:?}"
    );
    assert_eq!(
        count_messages(&mut db.conn(), alice)?,
        2,
        "alice's question and its answer"
    );
    assert_eq!(
        count_messages(&mut db.conn(), mallory)?,
        0,
        "nothing stored for mallory"
    );
    Ok(())
}

#[test]
fn a_printed_error_chain_names_each_part_once() {
    let lost = mysql::Error::IoError(std::io::Error::new(
        std::io::ErrorKind::BrokenPipe,
        "the pipe broke",
    ));
    let err = ExchangeError::Answer(ConversationError::from_insert(lost, 7, Some(5)));

    let chain = format!("{:?}", anyhow::Error::from(err));

    for part in [
        "saving the answer failed",
        "may or may not be stored",
        "the pipe broke",
    ] {
        assert_eq!(chain.matches(part).count(), 1, "{part:?} once in:\n{chain}");
    }
}

#[test]
fn ddl_inside_a_transaction_commits_what_came_before_it() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let mut conn = db.conn();
    let user_id = add_user(&mut conn, "ddl")?;

    let mut tx = conn.start_transaction(TxOpts::default())?;
    lesson7::save_question(&mut tx, user_id, "Committed by CREATE TABLE")?;
    // CREATE/ALTER/DROP TABLE end the open transaction with an implicit COMMIT, in MySQL and
    // MariaDB alike, and there is no way to roll them (or what came before) back.
    tx.query_drop("CREATE TABLE scratch (id INT PRIMARY KEY) ENGINE = InnoDB")?;
    tx.rollback()?;

    assert_eq!(
        count_messages(&mut db.conn(), user_id)?,
        1,
        "the ROLLBACK had nothing left to undo"
    );
    Ok(())
}

#[test]
fn only_a_connection_lost_before_the_commit_may_be_retried() {
    let lost = || mysql::Error::IoError(std::io::Error::from(std::io::ErrorKind::BrokenPipe));

    let before_commit = [
        ExchangeError::Begin(lost()),
        ExchangeError::Question(ConversationError::ConnectionLost(lost())),
        ExchangeError::Answer(ConversationError::ConnectionLost(lost())),
    ];
    for err in before_commit {
        assert!(
            err.can_retry(),
            "lost before COMMIT, nothing is stored: {err:?}"
        );
    }
    // COMMIT may have been applied before the connection broke: saving again could store it twice.
    assert!(
        !ExchangeError::Commit(lost()).can_retry(),
        "a lost COMMIT is unknown"
    );
    // A retry would meet the same error again.
    let again = [
        ExchangeError::Answer(ConversationError::TooLong { bytes: 70_000 }),
        ExchangeError::Question(ConversationError::UnknownUser { user_id: 7 }),
    ];
    for err in again {
        assert!(
            !err.can_retry(),
            "a retry would meet the same error: {err:?}"
        );
    }
}
