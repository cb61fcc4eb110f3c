//! `cargo run -p lesson8`: a question and its answer in one transaction. Demo 1 saves both; demo 2
//! makes the answer fail and shows that neither row was stored, then does the same without a
//! transaction and finds the orphaned question. Every count comes from a second connection.

use lesson8::{
    MAX_CONTENT_BYTES, count_messages, orphaned_questions, save_exchange, save_exchange_autocommit,
};
use mysql::prelude::Queryable;

/// This demo's own user. Only this user (and, by ON DELETE CASCADE, their messages) is removed at
/// the start, so the demo can run again and again without touching anyone else's rows.
const NAME: &str = "박지훈";
const EMAIL: &str = "jihoon.park.lesson8@example.com";

/// What the rest of the world sees: counted on the watcher, another connection than the saver's.
fn report(watcher: &mut impl Queryable, user_id: u64) -> anyhow::Result<()> {
    let orphans: Vec<String> = orphaned_questions(watcher, user_id)?
        .iter()
        .map(|id| format!("#{id}"))
        .collect();
    println!(
        "  seen from the second connection: {} message(s), questions without an answer: [{}]",
        count_messages(watcher, user_id)?,
        orphans.join(", ")
    );
    Ok(())
}

/// The cause under an error, printed after it: each error's text says its own part only.
fn cause(err: &dyn std::error::Error) -> String {
    err.source()
        .map(|cause| cause.to_string())
        .unwrap_or_default()
}

fn main() -> anyhow::Result<()> {
    let config = shared::Config::from_env()?;
    shared::start_server_if_needed(&config)?;
    let pool = lesson4::Pool::new(config.opts(), 2).map_err(|err| match err {
        // Opening the pool's connections failed: the same message as one connection's would be
        // (which server, what to do next), with the driver's error as its cause.
        lesson4::PoolError::Connect(err) => {
            anyhow::Error::from(shared::Error::from_connect(err, &config))
        }
        other => other.into(),
    })?;
    let mut saver = pool.get()?;
    let mut watcher = pool.get()?;
    println!(
        "Pool of 2 connections to {}@{}/{}: saving on connection {}, counting on connection {}.",
        config.user,
        config.address(),
        config.database,
        saver.connection_id(),
        watcher.connection_id()
    );

    let removed = saver
        .exec_iter("DELETE FROM users WHERE email = ?", (EMAIL,))?
        .affected_rows();
    println!(
        "Clean-up: removed {removed} demo user(s) left by an earlier run, with their messages."
    );
    let user_id = lesson2::create_user(&mut saver, NAME, EMAIL)?;
    println!("User {NAME} has id {user_id}.");

    println!("\nDemo 1: both statements succeed");
    let question = "ACID가 뭐예요?";
    let answer = "원자성, 일관성, 고립성, 지속성: 트랜잭션이 지키는 네 가지 약속이에요.";
    println!("  save_exchange({user_id}, {question:?}, {answer:?})");
    let saved = save_exchange(&mut saver, user_id, question, answer)?;
    println!(
        "  -> committed: question #{}, answer #{} (reply_to #{})",
        saved.question_id, saved.answer_id, saved.question_id
    );
    report(&mut watcher, user_id)?;

    println!("\nDemo 2: the second statement fails");
    let question = "Tell me everything about databases.";
    // An agent that rambles: more bytes than a TEXT column holds.
    let answer = "DB! ".repeat(MAX_CONTENT_BYTES / 4 + 1000);
    println!(
        "  the agent's answer is {} bytes; the content column holds {MAX_CONTENT_BYTES}",
        answer.len()
    );
    println!("  save_exchange({user_id}, {question:?}, <the long answer>)");
    match save_exchange(&mut saver, user_id, question, &answer) {
        Err(err) => println!("  -> Err, part {:?}: {err}: {}", err.part(), cause(&err)),
        Ok(saved) => anyhow::bail!("the too-long answer was stored: {saved:?}"),
    }
    println!("  the question was inserted inside the transaction, then rolled back with it:");
    report(&mut watcher, user_id)?;

    println!(
        "\n  The same exchange WITHOUT a transaction (save_exchange_autocommit, lesson 7's two INSERTs):"
    );
    match save_exchange_autocommit(&mut saver, user_id, question, &answer) {
        Err(err) => println!("  -> Err: {err}"),
        Ok(saved) => anyhow::bail!("the too-long answer was stored: {saved:?}"),
    }
    println!("  the question was committed on its own before the answer failed:");
    report(&mut watcher, user_id)?;

    // Clean up the orphan, so that this user's history is complete again.
    let mut deleted = 0;
    for question_id in orphaned_questions(&mut watcher, user_id)? {
        deleted += saver
            .exec_iter("DELETE FROM conversations WHERE id = ?", (question_id,))?
            .affected_rows();
    }
    println!("  Clean-up: deleted {deleted} orphaned question(s).");
    report(&mut watcher, user_id)?;
    Ok(())
}
