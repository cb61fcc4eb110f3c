//! Checks Exercise 7 (`save_question`, `save_answer`, `get_recent_conversations`) against the real
//! server, each test in its own database.
//! Run against your version with `cargo test -p lesson7 --features exercise`.

use lesson7::{
    Conversation, ConversationError, MAX_CONTENT_BYTES, Role, get_recent_conversations,
    save_answer, save_question,
};
use mysql::prelude::Queryable;
use shared::testing::TestDb;

fn add_user(conn: &mut mysql::Conn, name: &str) -> anyhow::Result<u64> {
    Ok(lesson2::create_user(
        conn,
        name,
        &format!("{name}@example.com"),
    )?)
}

fn count_messages(conn: &mut mysql::Conn) -> anyhow::Result<u64> {
    Ok(conn
        .query_first("SELECT COUNT(*) FROM conversations")?
        .unwrap_or(0))
}

fn message(conn: &mut mysql::Conn, id: u64) -> anyhow::Result<Conversation> {
    conn.exec_first(
        "SELECT id, user_id, role, content, reply_to, created_at FROM conversations WHERE id = ?",
        (id,),
    )?
    .ok_or_else(|| anyhow::anyhow!("message {id} is not in the table"))
}

#[test]
fn a_saved_question_and_its_answer_are_stored_as_two_linked_rows() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let mut conn = db.conn();
    let user_id = add_user(&mut conn, "minji")?;

    let question_id = save_question(&mut conn, user_id, "What is a connection pool?")?;
    let answer_id = save_answer(
        &mut conn,
        user_id,
        question_id,
        "A set of open connections.",
    )?;

    let mut other = db.conn();
    let question = message(&mut other, question_id)?;
    let answer = message(&mut other, answer_id)?;
    assert_eq!(
        (
            question.user_id,
            question.role,
            question.reply_to,
            question.content.as_str()
        ),
        (user_id, Role::User, None, "What is a connection pool?")
    );
    assert_eq!(
        (
            answer.user_id,
            answer.role,
            answer.reply_to,
            answer.content.as_str()
        ),
        (
            user_id,
            Role::Assistant,
            Some(question_id),
            "A set of open connections."
        )
    );
    assert_eq!(count_messages(&mut other)?, 2);
    Ok(())
}

#[test]
fn a_question_of_an_unknown_user_is_refused_and_nothing_is_stored() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let mut conn = db.conn();
    let unknown_user = add_user(&mut conn, "dahye")? + 1000;

    let err = save_question(&mut conn, unknown_user, "Hello?").unwrap_err();

    assert!(
        matches!(err, ConversationError::UnknownUser { user_id } if user_id == unknown_user),
        "{err:?}"
    );
    assert_eq!(count_messages(&mut conn)?, 0);
    Ok(())
}

#[test]
fn an_answer_to_a_question_that_does_not_exist_is_refused() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let mut conn = db.conn();
    let user_id = add_user(&mut conn, "jisoo")?;

    let err = save_answer(&mut conn, user_id, 4711, "An answer to nothing").unwrap_err();

    assert!(
        matches!(
            err,
            ConversationError::UnknownQuestion { question_id: 4711 }
        ),
        "{err:?}"
    );
    assert_eq!(count_messages(&mut conn)?, 0);
    Ok(())
}

#[test]
fn a_second_answer_to_the_same_question_is_refused_and_the_first_stays() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let mut conn = db.conn();
    let user_id = add_user(&mut conn, "hyun")?;
    let question_id = save_question(&mut conn, user_id, "Is MySQL fast?")?;
    let first = save_answer(&mut conn, user_id, question_id, "It depends.")?;

    let err = save_answer(&mut conn, user_id, question_id, "Yes!").unwrap_err();

    assert!(
        matches!(err, ConversationError::AlreadyAnswered { question_id: q } if q == question_id),
        "{err:?}"
    );
    assert_eq!(count_messages(&mut conn)?, 2);
    assert_eq!(message(&mut conn, first)?.content, "It depends.");
    Ok(())
}

#[test]
fn korean_text_and_emoji_come_back_exactly_as_they_were_saved() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let mut conn = db.conn();
    let user_id = add_user(&mut conn, "서연")?;
    let question = "오늘 서울 날씨 어때요? 🌧️☔";
    let answer = "비가 와요. 우산 챙기세요! 🤖👍 (emoji are 4 bytes: utf8mb4)";

    let question_id = save_question(&mut conn, user_id, question)?;
    let answer_id = save_answer(&mut conn, user_id, question_id, answer)?;

    let mut other = db.conn();
    assert_eq!(message(&mut other, question_id)?.content, question);
    assert_eq!(message(&mut other, answer_id)?.content, answer);
    Ok(())
}

#[test]
fn content_of_exactly_65535_bytes_fits_and_one_syllable_more_is_refused() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let mut conn = db.conn();
    let user_id = add_user(&mut conn, "taeyang")?;
    // "가" is 3 bytes in UTF-8: 21,845 of them are exactly 65,535 bytes, the most TEXT holds.
    let longest = "가".repeat(MAX_CONTENT_BYTES / 3);
    let too_long = "가".repeat(MAX_CONTENT_BYTES / 3 + 1);
    assert_eq!(longest.len(), MAX_CONTENT_BYTES);

    let fits = save_question(&mut conn, user_id, &longest)?;
    let err = save_question(&mut conn, user_id, &too_long).unwrap_err();

    assert_eq!(message(&mut conn, fits)?.content, longest);
    assert!(
        matches!(err, ConversationError::TooLong { bytes } if bytes == too_long.len()),
        "{err:?}"
    );
    assert!(err.to_string().contains("65535"), "{err}");
    assert_eq!(count_messages(&mut conn)?, 1);
    Ok(())
}

#[test]
fn the_recent_list_is_newest_first_with_the_id_breaking_ties_within_a_second() -> anyhow::Result<()>
{
    let db = TestDb::new()?;
    let mut conn = db.conn();
    let user_id = add_user(&mut conn, "eunwoo")?;
    // Timestamps set by hand, so that the expected order does not depend on the clock: two
    // messages share a second, and an older one is inserted last (its id is the highest).
    let insert =
        "INSERT INTO conversations (user_id, role, content, created_at) VALUES (?, 'user', ?, ?)";
    let mut ids = Vec::new();
    for (content, created_at) in [
        ("first", "2024-05-01 10:00:00"),
        ("second, same second", "2024-05-01 10:00:05"),
        ("third, same second", "2024-05-01 10:00:05"),
        ("newest", "2024-05-01 10:00:09"),
        ("oldest, inserted last", "2024-05-01 09:59:00"),
    ] {
        conn.exec_drop(insert, (user_id, content, created_at))?;
        ids.push(conn.last_insert_id());
    }

    let recent = get_recent_conversations(&mut conn, user_id, 10)?;

    let contents: Vec<&str> = recent.iter().map(|m| m.content.as_str()).collect();
    assert_eq!(
        contents,
        [
            "newest",
            "third, same second",
            "second, same second",
            "first",
            "oldest, inserted last"
        ]
    );
    assert_eq!(recent[0].id, ids[3]);
    assert_eq!(
        recent[0].created_at.to_string(),
        "2024-05-01 10:00:09",
        "created_at is read as a typed NaiveDateTime"
    );
    Ok(())
}

#[test]
fn the_recent_list_returns_at_most_the_limit_keeping_the_newest() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let mut conn = db.conn();
    let user_id = add_user(&mut conn, "yuna")?;
    let mut ids = Vec::new();
    for i in 0..3 {
        let question_id = save_question(&mut conn, user_id, &format!("question {i}"))?;
        let answer_id = save_answer(&mut conn, user_id, question_id, &format!("answer {i}"))?;
        ids.extend([question_id, answer_id]);
    }

    let three = get_recent_conversations(&mut conn, user_id, 3)?;
    let none = get_recent_conversations(&mut conn, user_id, 0)?;

    let three_ids: Vec<u64> = three.iter().map(|m| m.id).collect();
    assert_eq!(three_ids, [ids[5], ids[4], ids[3]]);
    assert_eq!(
        (three[0].role, three[0].reply_to),
        (Role::Assistant, Some(ids[4]))
    );
    assert!(none.is_empty(), "{none:?}");
    Ok(())
}

#[test]
fn another_users_conversations_never_appear_in_the_recent_list() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let mut conn = db.conn();
    let alice = add_user(&mut conn, "alice")?;
    let bob = add_user(&mut conn, "bob")?;
    let nobody = bob + 1000;
    let alices_question = save_question(&mut conn, alice, "alice asks")?;
    save_answer(&mut conn, alice, alices_question, "alice is answered")?;
    // Bob's messages are newer, so a query that forgot the WHERE would show them first.
    for i in 0..3 {
        let question_id = save_question(&mut conn, bob, &format!("bob asks {i}"))?;
        save_answer(&mut conn, bob, question_id, &format!("bob is answered {i}"))?;
    }

    let alices = get_recent_conversations(&mut conn, alice, 10)?;
    let nobodys = get_recent_conversations(&mut conn, nobody, 10)?;

    let contents: Vec<&str> = alices.iter().map(|m| m.content.as_str()).collect();
    assert_eq!(contents, ["alice is answered", "alice asks"]);
    assert!(alices.iter().all(|m| m.user_id == alice), "{alices:?}");
    assert!(nobodys.is_empty(), "{nobodys:?}");
    Ok(())
}

/// The way a server calls these functions: from several threads, each request on a connection
/// borrowed from lesson 4's pool.
#[test]
fn exchanges_saved_from_four_threads_through_a_pool_of_two_all_arrive_with_their_user()
-> anyhow::Result<()> {
    const THREADS: usize = 4;
    const EXCHANGES: usize = 10;
    let db = TestDb::new()?;
    let pool = lesson4::Pool::new(db.opts(), 2)?;
    let users: Vec<u64> = (0..THREADS)
        .map(|t| {
            let name = format!("pooled{t}");
            lesson2::create_user(&mut pool.get()?, &name, &format!("{name}@example.com"))
                .map_err(anyhow::Error::from)
        })
        .collect::<anyhow::Result<_>>()?;

    std::thread::scope(|scope| -> anyhow::Result<()> {
        let workers: Vec<_> = users
            .iter()
            .map(|&user_id| {
                let pool = &pool;
                scope.spawn(move || -> anyhow::Result<()> {
                    for i in 0..EXCHANGES {
                        // A checkout per request; the guard goes back to the pool at the end of the loop body.
                        let mut conn = pool.get()?;
                        let question_id = save_question(&mut conn, user_id, &format!("q{i}"))?;
                        save_answer(&mut conn, user_id, question_id, &format!("a{i}"))?;
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

    for &user_id in &users {
        let all = get_recent_conversations(&mut pool.get()?, user_id, 100)?;
        assert_eq!(all.len(), 2 * EXCHANGES, "user {user_id}");
        assert!(
            all.iter().all(|m| m.user_id == user_id),
            "user {user_id}: {all:?}"
        );
        // Newest first: the last answer, then its question.
        assert_eq!(
            (
                all[0].role,
                all[0].content.as_str(),
                all[1].content.as_str()
            ),
            (Role::Assistant, "a9", "q9")
        );
        assert_eq!(all[0].reply_to, Some(all[1].id));
    }
    assert_eq!(
        pool.state().connections,
        2,
        "no connection was lost or added"
    );
    Ok(())
}
