//! `cargo run -p lesson7`: an agent stores a few exchanges through a pool, then lists a user's
//! most recent conversations, newest first.

use lesson7::{get_recent_conversations, save_answer, save_question};
use mysql::prelude::Queryable;

/// This demo's own user. Only this user (and, by ON DELETE CASCADE, their messages) is removed at
/// the start, so the demo can run again and again without touching anyone else's rows.
const NAME: &str = "이서연";
const EMAIL: &str = "seoyeon.lee.lesson7@example.com";

/// What the user asks and what the agent answers.
const EXCHANGES: [(&str, &str); 3] = [
    (
        "What is a connection pool?",
        "A few open connections, lent out per request and given back afterwards.",
    ),
    (
        "트랜잭션이 뭐예요?",
        "여러 SQL 문을 하나로 묶어서, 전부 저장하거나 하나도 저장하지 않는 거예요.",
    ),
    (
        "Can you store emoji? 🤔",
        "Yes: the table is utf8mb4, so 🤖 and 👍 are stored as they are.",
    ),
];

const POOL_SIZE: usize = 2;
const RECENT: u32 = 4;

fn main() -> anyhow::Result<()> {
    let config = shared::Config::from_env()?;
    shared::start_server_if_needed(&config)?;
    let pool = lesson4::Pool::new(config.opts(), POOL_SIZE).map_err(|err| match err {
        // Opening the pool's connections failed: the same message as one connection's would be
        // (which server, what to do next), with the driver's error as its cause.
        lesson4::PoolError::Connect(err) => {
            anyhow::Error::from(shared::Error::from_connect(err, &config))
        }
        other => other.into(),
    })?;
    println!(
        "Pool of {POOL_SIZE} connections to {}@{}/{}.",
        config.user,
        config.address(),
        config.database
    );

    let user_id = {
        let mut conn = pool.get()?;
        let removed = conn
            .exec_iter("DELETE FROM users WHERE email = ?", (EMAIL,))?
            .affected_rows();
        println!(
            "Clean-up: removed {removed} demo user(s) left by an earlier run, with their messages."
        );
        lesson2::create_user(&mut conn, NAME, EMAIL)?
    };
    println!("User {NAME} has id {user_id}.\n");

    let mut first_question = None;
    for (question, answer) in EXCHANGES {
        // One checkout per request, as a server handling the agent's requests would do.
        let mut conn = pool.get()?;
        let question_id = save_question(&mut conn, user_id, question)?;
        let answer_id = save_answer(&mut conn, user_id, question_id, answer)?;
        first_question.get_or_insert(question_id);
        println!("saved question #{question_id} {question:?}");
        println!("  and answer   #{answer_id} (reply_to #{question_id}) {answer:?}");
    }

    let unknown_user = 0; // AUTO_INCREMENT starts at 1: no user ever has id 0
    println!("\nsave_question for user id {unknown_user}:");
    match save_question(&mut pool.get()?, unknown_user, "Am I anybody?") {
        Err(err) => println!("  -> {err:?}: {err}"),
        Ok(id) => anyhow::bail!("a question for an unknown user was stored as #{id}"),
    }

    let question_id = first_question.expect("the demo saved a question");
    println!(
        "\nsave_answer for user id {unknown_user}, to question #{question_id} of user {user_id}:"
    );
    match save_answer(
        &mut pool.get()?,
        unknown_user,
        question_id,
        "Not yours to answer.",
    ) {
        Err(err) => println!("  -> {err:?}: {err}"),
        Ok(id) => anyhow::bail!("an answer to another user's question was stored as #{id}"),
    }

    let recent = get_recent_conversations(&mut pool.get()?, user_id, RECENT)?;
    println!(
        "\nThe {RECENT} most recent messages of user {user_id} (ORDER BY created_at DESC, id DESC):"
    );
    for message in &recent {
        let reply_to = message
            .reply_to
            .map(|id| format!("-> #{id}"))
            .unwrap_or_default();
        println!(
            "  #{:<4} {}  {:<9} {:<8} {:?}",
            message.id, message.created_at, message.role, reply_to, message.content
        );
    }
    Ok(())
}
