//! Checks exercises 7a (`save_question`), 7b (`save_answer`) and 7c (`get_recent_conversations`)
//! against the real server, each test in its own database. Run against your version with
//! `cargo test -p lesson7 --features exercise` (add `step_b::` to run one exercise's tests).
//!
//! Every check reads the table with plain SQL, on another connection where it matters: that is
//! what is stored for everyone, whatever the code under test believes.

use lesson7::{Conversation, ConversationError, Role};
use mysql::Conn;
use mysql::prelude::Queryable;
use shared::bilingual;
use shared::testing::{TestDb, expect_ok, insert_user};

fn add_user(conn: &mut Conn, name: &str) -> mysql::Result<u64> {
    insert_user(conn, name, &format!("{name}@example.com"))
}

/// A question stored with plain SQL, so that 7b's and 7c's tests do not depend on 7a.
fn add_question(conn: &mut Conn, user_id: u64, content: &str) -> mysql::Result<u64> {
    conn.exec_drop(
        "INSERT INTO conversations (user_id, role, content) VALUES (?, 'user', ?)",
        (user_id, content),
    )?;
    Ok(conn.last_insert_id())
}

/// An answer stored with plain SQL.
fn add_answer(
    conn: &mut Conn,
    user_id: u64,
    question_id: u64,
    content: &str,
) -> mysql::Result<u64> {
    conn.exec_drop(
        "INSERT INTO conversations (user_id, role, content, reply_to) VALUES (?, 'assistant', ?, ?)",
        (user_id, content, question_id),
    )?;
    Ok(conn.last_insert_id())
}

fn count_messages(conn: &mut Conn) -> mysql::Result<u64> {
    Ok(conn
        .query_first("SELECT COUNT(*) FROM conversations")?
        .unwrap_or(0))
}

fn message(conn: &mut Conn, id: u64) -> anyhow::Result<Conversation> {
    conn.exec_first(
        "SELECT id, user_id, role, content, reply_to, created_at FROM conversations WHERE id = ?",
        (id,),
    )?
    .ok_or_else(|| {
        anyhow::anyhow!(bilingual!(
            "message {id} is not in the table: the id returned is not the new row's",
            "테이블에 메시지(id {id})가 없습니다. 반환된 id가 새 행의 id가 아닙니다"
        ))
    })
}

/// Checks that `save` succeeded and ran one statement; `what` names it, and `checks` (English,
/// Korean) says what checks what a look-up first would.
fn one_statement<T: std::fmt::Debug>(
    db: &TestDb,
    what: &str,
    (checks_en, checks_ko): (&str, &str),
    save: impl FnOnce(&mut Conn) -> Result<T, ConversationError>,
) -> anyhow::Result<()> {
    let (result, run) = shared::testing::statements_run_by(db, save)?;
    assert!(
        result.is_ok(),
        "{}",
        bilingual!(
            "{what} failed: {result:?}",
            "{what} 함수가 실패했습니다: {result:?}"
        )
    );
    assert!(
        run.len() == 1,
        "{}",
        bilingual!(
            "{what} ran {} statements; expected one, the INSERT: {checks_en} (and another connection \
             can act between a look-up and the INSERT), and the INSERT's reply carries the new id: \
             {run:#?}",
            "{what} 함수가 SQL 문을 {}개 실행했습니다. 기대한 것은 INSERT 하나입니다. {checks_ko}(찾아본 \
             뒤와 INSERT 사이에는 다른 커넥션이 끼어들 수도 있습니다). 새 id는 INSERT의 응답에 들어 \
             있습니다: {run:#?}",
            run.len()
        )
    );
    Ok(())
}

mod step_a {
    use super::*;

    #[test]
    fn saving_a_question_runs_one_statement() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let user_id = add_user(&mut db.conn(), "jimin")?;
        let checks = (
            "the user's foreign key already checks what a look-up first would",
            "먼저 찾아보면 확인할 수 있는 것은 사용자의 외래 키가 이미 확인합니다",
        );
        one_statement(&db, "save_question", checks, |conn| {
            lesson7::save_question(conn, user_id, "How many statements?")
        })
    }

    #[test]
    fn a_question_on_a_closed_connection_is_not_an_unknown_user() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let user_id = add_user(&mut db.conn(), "jimin")?;
        let mut dead = db.killed_conn()?;

        let result = lesson7::save_question(&mut dead, user_id, "Anyone?");

        assert!(
            matches!(
                result,
                Err(ConversationError::ConnectionLost(_) | ConversationError::Db(_))
            ),
            "{}",
            bilingual!(
                "on a closed connection save_question returned {result:?}; expected ConnectionLost \
                 (or Db): the INSERT never ran, so nothing is known about the user. Only the foreign \
                 key's own error means an unknown user",
                "닫힌 커넥션에서 save_question의 반환값은 {result:?}이고, 기대한 것은 \
                 ConnectionLost(또는 Db)입니다. INSERT가 실행되지 않았으니 사용자에 대해서는 \
                 아무것도 알 수 없습니다. 외래 키 자신의 오류만 없는 사용자를 뜻합니다"
            )
        );
        Ok(())
    }

    #[test]
    fn a_saved_question_is_one_row_with_role_user_and_no_reply_to() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let mut conn = db.conn();
        let user_id = add_user(&mut conn, "minji")?;

        let question_id = expect_ok(
            lesson7::save_question(&mut conn, user_id, "What is a connection pool?"),
            "save_question(&mut conn, user_id, \"What is a connection pool?\")",
        );

        let stored = message(&mut db.conn(), question_id)?;
        assert!(
            (stored.user_id, stored.role, stored.reply_to) == (user_id, Role::User, None),
            "{}",
            bilingual!(
                "the question is stored as user {}, role {}, reply_to {:?}; expected user {user_id}, \
                 role user, reply_to None",
                "저장된 질문은 사용자 {}, role {}, reply_to {:?}이고, 기대한 것은 사용자 \
                 {user_id}, role user, reply_to None입니다",
                stored.user_id,
                stored.role,
                stored.reply_to
            )
        );
        assert!(
            stored.content == "What is a connection pool?",
            "{}",
            bilingual!(
                "the stored text is {:?}: the content parameter did not reach its column",
                "저장된 글이 {:?}입니다. content 파라미터가 그 열에 닿지 않았습니다",
                stored.content
            )
        );
        let total = count_messages(&mut db.conn())?;
        assert!(
            total == 1,
            "{}",
            bilingual!(
                "{total} rows stored; expected exactly 1",
                "{total}행이 저장되었습니다. 기대한 것은 정확히 1행입니다"
            )
        );
        Ok(())
    }

    #[test]
    fn the_returned_id_is_the_new_rows_id_also_after_other_rows() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let mut conn = db.conn();
        let user_id = add_user(&mut conn, "jiho")?;
        let earlier = add_question(&mut conn, user_id, "earlier")?;

        let first = expect_ok(
            lesson7::save_question(&mut conn, user_id, "first"),
            "save_question(&mut conn, user_id, \"first\")",
        );
        let second = expect_ok(
            lesson7::save_question(&mut conn, user_id, "second"),
            "save_question(&mut conn, user_id, \"second\")",
        );

        let contents = (
            message(&mut conn, first)?.content,
            message(&mut conn, second)?.content,
        );
        assert!(
            contents == ("first".to_string(), "second".to_string()),
            "{}",
            bilingual!(
                "the returned ids {first} and {second} point at {contents:?}: return the id the \
                 server gave this INSERT (its last_insert_id)",
                "반환된 두 id({first}, {second})가 가리키는 내용은 {contents:?}입니다. 서버가 이 INSERT에 \
                 준 id(그 last_insert_id)를 반환하세요"
            )
        );
        assert!(
            first > earlier && second > first,
            "{}",
            bilingual!(
                "ids {earlier}, {first}, {second} must grow",
                "id가 커져야 합니다: {earlier}, {first}, {second}"
            )
        );
        Ok(())
    }

    #[test]
    fn a_question_of_an_unknown_user_is_unknown_user_and_nothing_is_stored() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let mut conn = db.conn();
        let unknown = add_user(&mut conn, "dahye")? + 1000;

        let result = lesson7::save_question(&mut conn, unknown, "Hello?");

        assert!(
            matches!(result, Err(ConversationError::UnknownUser { user_id }) if user_id == unknown),
            "{}",
            bilingual!(
                "got {result:?}; expected UnknownUser {{ user_id: {unknown} }}: turn the server's \
                 error into its meaning with ConversationError::from_insert",
                "받은 값은 {result:?}이고, 기대한 것은 UnknownUser {{ user_id: {unknown} }}입니다. \
                 ConversationError::from_insert를 써서 서버의 오류를 그 뜻에 맞는 오류로 바꾸세요"
            )
        );
        let total = count_messages(&mut conn)?;
        assert!(
            total == 0,
            "{}",
            bilingual!(
                "{total} rows stored for a user who does not exist; expected 0",
                "없는 사용자에 대해 {total}행이 저장되었습니다. 기대한 것은 0행입니다"
            )
        );
        Ok(())
    }

    #[test]
    fn content_of_exactly_65535_bytes_fits_and_one_syllable_more_is_too_long() -> anyhow::Result<()>
    {
        let db = TestDb::new()?;
        let mut conn = db.conn();
        let user_id = add_user(&mut conn, "taeyang")?;
        // "가" is 3 bytes in UTF-8: 21,845 of them are exactly 65,535 bytes, the most TEXT holds.
        let longest = "가".repeat(lesson7::MAX_CONTENT_BYTES / 3);
        let too_long = "가".repeat(lesson7::MAX_CONTENT_BYTES / 3 + 1);

        let fits = lesson7::save_question(&mut conn, user_id, &longest);
        let refused = lesson7::save_question(&mut conn, user_id, &too_long);

        assert!(
            fits.is_ok(),
            "{}",
            bilingual!(
                "65,535 bytes fit in TEXT, but saving them gave {fits:?}",
                "TEXT에는 65,535바이트가 들어가는데, 저장한 결과는 {fits:?}입니다"
            )
        );
        assert!(
            matches!(refused, Err(ConversationError::TooLong { bytes }) if bytes == too_long.len()),
            "{}",
            bilingual!(
                "got {refused:?}; expected TooLong {{ bytes: {} }}: check the length before sending",
                "받은 값은 {refused:?}이고, 기대한 것은 TooLong {{ bytes: {} }}입니다. 보내기 전에 \
                 길이를 확인하세요",
                too_long.len()
            )
        );
        let total = count_messages(&mut conn)?;
        assert!(
            total == 1,
            "{}",
            bilingual!(
                "{total} rows stored; expected 1 (the one that fits)",
                "{total}행이 저장되었습니다. 기대한 것은 1행(들어가는 것)입니다"
            )
        );
        Ok(())
    }

    #[test]
    fn korean_text_emoji_and_quotes_come_back_exactly_as_saved() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let mut conn = db.conn();
        let user_id = add_user(&mut conn, "seoyeon")?;
        let text = "오늘 서울 날씨 어때요? 🌧️☔ '); DROP TABLE users; --";

        let question_id = expect_ok(
            lesson7::save_question(&mut conn, user_id, text),
            "save_question(&mut conn, user_id, text)",
        );

        let stored = message(&mut db.conn(), question_id)?.content;
        assert!(
            stored == text,
            "{}",
            bilingual!(
                "stored {stored:?}; expected {text:?} byte for byte (bind the text as a parameter)",
                "저장된 값은 {stored:?}이고, 기대한 것은 바이트 하나하나까지 {text:?}입니다(글을 \
                 파라미터로 바인딩하세요)"
            )
        );
        let tables = db.table_names();
        assert!(
            tables == ["conversations", "user_tokens", "users"],
            "{}",
            bilingual!(
                "a table was dropped: {tables:?}",
                "테이블이 삭제되었습니다: {tables:?}"
            )
        );
        Ok(())
    }
}

mod step_b {
    use super::*;
    use shared::testing::relay::{At, Relay};

    #[test]
    fn saving_an_answer_runs_one_statement() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let mut conn = db.conn();
        let user_id = add_user(&mut conn, "jimin")?;
        let question_id = add_question(&mut conn, user_id, "How many statements?")?;
        let checks = (
            "reply_to has no foreign key, so the INSERT itself checks the question (that it exists, is \
             a question, and is this user's) in the same statement, instead of a look-up first",
            "reply_to에는 외래 키가 없으므로, 질문(있는지, 질문인지, 이 사용자의 것인지)은 먼저 찾아보는 \
             대신 INSERT가 같은 SQL 문 안에서 스스로 확인합니다",
        );
        one_statement(&db, "save_answer", checks, |conn| {
            lesson7::save_answer(conn, user_id, question_id, "One.")
        })
    }

    #[test]
    fn an_answer_is_one_row_with_role_assistant_linked_to_its_question() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let mut conn = db.conn();
        let user_id = add_user(&mut conn, "minji")?;
        let question_id = add_question(&mut conn, user_id, "What is a pool?")?;

        let answer_id = expect_ok(
            lesson7::save_answer(
                &mut conn,
                user_id,
                question_id,
                "A set of open connections.",
            ),
            "save_answer(&mut conn, user_id, question_id, \"A set of open connections.\")",
        );

        let answer = message(&mut db.conn(), answer_id)?;
        assert!(
            (answer.user_id, answer.role, answer.reply_to)
                == (user_id, Role::Assistant, Some(question_id)),
            "{}",
            bilingual!(
                "the answer is stored as user {}, role {}, reply_to {:?}; expected user {user_id}, \
                     role assistant, reply_to Some({question_id})",
                "저장된 답변은 사용자 {}, role {}, reply_to {:?}이고, 기대한 것은 \
                     사용자 {user_id}, role assistant, reply_to Some({question_id})입니다",
                answer.user_id,
                answer.role,
                answer.reply_to
            )
        );
        assert!(
            answer.content == "A set of open connections.",
            "{}",
            bilingual!("stored {:?}", "저장된 값은 {:?}입니다", answer.content)
        );
        let total = count_messages(&mut db.conn())?;
        assert!(
            total == 2,
            "{}",
            bilingual!(
                "{total} rows; expected 2 (the question and its answer)",
                "{total}행입니다. 기대한 것은 2행(질문과 그 답변)입니다"
            )
        );
        Ok(())
    }

    #[test]
    fn an_answer_to_another_users_question_is_refused_and_nothing_is_stored() -> anyhow::Result<()>
    {
        let db = TestDb::new()?;
        let mut conn = db.conn();
        let alice = add_user(&mut conn, "alice")?;
        let mallory = add_user(&mut conn, "mallory")?;
        let alices_question = add_question(&mut conn, alice, "alice asks")?;

        let result = lesson7::save_answer(&mut conn, mallory, alices_question, "for mallory");

        assert!(
            matches!(result, Err(ConversationError::AnotherUsersQuestion { question_id, user_id })
                if question_id == alices_question && user_id == mallory),
            "{}",
            bilingual!(
                "got {result:?}; expected AnotherUsersQuestion: an answer may only reply to a \
                     question of the same user, and the INSERT itself must refuse it",
                "받은 값은 {result:?}이고, 기대한 것은 AnotherUsersQuestion입니다. 답변은 같은 \
                     사용자의 질문에만 달 수 있고, INSERT 자체가 그것을 거부해야 합니다"
            )
        );
        let total = count_messages(&mut db.conn())?;
        assert!(
            total == 1,
            "{}",
            bilingual!(
                "{total} rows; expected 1 (alice's question alone)",
                "{total}행입니다. 기대한 것은 1행(alice의 질문만)입니다"
            )
        );
        Ok(())
    }

    #[test]
    fn an_answer_to_an_answer_is_refused_and_nothing_is_stored() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let mut conn = db.conn();
        let user_id = add_user(&mut conn, "jisoo")?;
        let question_id = add_question(&mut conn, user_id, "Is MySQL fast?")?;
        let answer_id = add_answer(&mut conn, user_id, question_id, "It depends.")?;

        let result = lesson7::save_answer(&mut conn, user_id, answer_id, "Depends on what?");

        assert!(
            matches!(result, Err(ConversationError::NotAQuestion { question_id }) if question_id == answer_id),
            "{}",
            bilingual!(
                "got {result:?}; expected NotAQuestion: message {answer_id} has role 'assistant', \
                 and only a question (role 'user') can be answered",
                "받은 값은 {result:?}이고, 기대한 것은 NotAQuestion입니다. id가 {answer_id}인 메시지는 \
                 role이 'assistant'이고, 답변은 질문(role 'user')에만 달 수 있습니다"
            )
        );
        let total = count_messages(&mut db.conn())?;
        assert!(
            total == 2,
            "{}",
            bilingual!(
                "{total} rows; expected 2 (nothing added)",
                "{total}행입니다. 기대한 것은 2행(추가된 것 없음)입니다"
            )
        );
        Ok(())
    }

    #[test]
    fn an_answer_to_a_question_that_does_not_exist_is_unknown_question() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let mut conn = db.conn();
        let user_id = add_user(&mut conn, "hana")?;

        let result = lesson7::save_answer(&mut conn, user_id, 4711, "An answer to nothing");

        // An INSERT ... VALUES stores the answer: what that means, in the student's terms.
        let (why_en, why_ko) = if result.is_ok() {
            (
                ". There is no message 4711, yet the answer was stored: reply_to has no foreign key, \
                 so the server does not check the question. The statement itself must check it \
                 (that it exists, is a question, and is this user's), and a refusal must say which",
                ". 4711번 메시지는 없는데 답변이 저장되었습니다. reply_to에는 외래 키가 없어서 서버가 \
                 질문을 확인하지 않습니다. SQL 문이 스스로 확인해야 하고(질문이 있는지, 질문인지, 이 \
                 사용자의 것인지), 거부했다면 어느 규칙 때문인지 알려야 합니다",
            )
        } else {
            ("", "")
        };
        assert!(
            matches!(
                result,
                Err(ConversationError::UnknownQuestion { question_id: 4711 })
            ),
            "{}",
            bilingual!(
                "got {result:?}; expected UnknownQuestion {{ question_id: 4711 }}{why_en}",
                "받은 값은 {result:?}이고, 기대한 것은 UnknownQuestion {{ question_id: 4711 \
                 }}입니다{why_ko}"
            )
        );
        let total = count_messages(&mut conn)?;
        assert!(
            total == 0,
            "{}",
            bilingual!(
                "{total} rows; expected 0",
                "{total}행입니다. 기대한 것은 0행입니다"
            )
        );
        Ok(())
    }

    #[test]
    fn a_second_answer_to_the_same_question_is_already_answered_and_the_first_stays()
    -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let mut conn = db.conn();
        let user_id = add_user(&mut conn, "hyun")?;
        let question_id = add_question(&mut conn, user_id, "Is MySQL fast?")?;
        let first = add_answer(&mut conn, user_id, question_id, "It depends.")?;

        let result = lesson7::save_answer(&mut conn, user_id, question_id, "Yes!");

        assert!(
            matches!(result, Err(ConversationError::AlreadyAnswered { question_id: q }) if q == question_id),
            "{}",
            bilingual!(
                "got {result:?}; expected AlreadyAnswered (the unique key on reply_to refuses a second \
                 answer; from_insert recognises it when given Some(question_id))",
                "받은 값은 {result:?}이고, 기대한 것은 AlreadyAnswered입니다(reply_to의 유니크 \
                 키가 두 번째 답변을 거부하고, from_insert는 Some(question_id)를 받았을 때 그것을 \
                 알아봅니다)"
            )
        );
        let kept = message(&mut conn, first)?.content;
        assert!(
            kept == "It depends.",
            "{}",
            bilingual!(
                "the first answer became {kept:?}",
                "첫 답변이 바뀌었습니다: {kept:?}"
            )
        );
        Ok(())
    }

    #[test]
    fn a_too_long_answer_is_too_long_and_nothing_is_stored() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let mut conn = db.conn();
        let user_id = add_user(&mut conn, "doyun")?;
        let question_id = add_question(&mut conn, user_id, "Tell me everything.")?;
        let rambling = "x".repeat(lesson7::MAX_CONTENT_BYTES + 1);

        let result = lesson7::save_answer(&mut conn, user_id, question_id, &rambling);

        assert!(
            matches!(result, Err(ConversationError::TooLong { bytes }) if bytes == rambling.len()),
            "{}",
            bilingual!(
                "got {result:?}; expected TooLong: check the length before sending",
                "받은 값은 {result:?}이고, 기대한 것은 TooLong입니다. 보내기 전에 길이를 \
                 확인하세요"
            )
        );
        let total = count_messages(&mut conn)?;
        assert!(
            total == 1,
            "{}",
            bilingual!(
                "{total} rows; expected 1 (the question alone)",
                "{total}행입니다. 기대한 것은 1행(질문만)입니다"
            )
        );
        Ok(())
    }

    /// The retry rule, on its own (autocommit): the server stored the answer, and the connection
    /// dropped before its reply. The client gets the same error as when nothing was stored, so the
    /// error must say "unknown", and the way to know is to look the answer up by its question.
    #[test]
    fn an_answer_stored_just_before_the_connection_dropped_is_reported_as_unknown_not_as_failed()
    -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let mut setup = db.conn();
        let user_id = add_user(&mut setup, "eunji")?;
        let question_id = add_question(&mut setup, user_id, "Are you there?")?;
        let relay = Relay::start(&db, "stored, reply lost", At::CutAfter);
        let mut conn = Conn::new(relay.opts(&db))?;

        let result = lesson7::save_answer(&mut conn, user_id, question_id, "stored, reply lost");

        assert!(
            relay.has_fired(),
            "{}",
            bilingual!(
                "the answer's INSERT never reached the relay",
                "답변의 INSERT가 중계기에 닿지 않았습니다"
            )
        );
        let Err(err) = result else {
            panic!(
                "{}",
                bilingual!(
                    "the reply was cut off, yet save_answer reported success",
                    "응답이 잘렸는데도 save_answer가 성공을 알렸습니다"
                )
            );
        };
        assert!(
            matches!(err, ConversationError::ConnectionLost(_)),
            "{}",
            bilingual!(
                "got {err:?}; expected ConnectionLost: map the INSERT's error with from_insert",
                "받은 값은 {err:?}이고, 기대한 것은 ConnectionLost입니다. INSERT의 오류를 \
                 from_insert로 바꾸세요"
            )
        );
        assert!(
            err.to_string().contains("may or may not be stored"),
            "{}",
            bilingual!(
                "the message must say the outcome is unknown: {err}",
                "오류 메시지가 결과를 알 수 없다고 말해야 합니다: {err}"
            )
        );
        let found = lesson7::find_answer(&mut setup, question_id)?;
        assert!(
            found.is_some(),
            "{}",
            bilingual!(
                "the server committed the answer before the connection dropped, so it must be found",
                "서버는 커넥션이 끊기기 전에 답변을 커밋했으므로, 답변을 찾을 수 있어야 합니다"
            )
        );
        Ok(())
    }

    #[test]
    fn an_answer_cut_off_before_the_server_got_it_gives_the_same_error_and_nothing_is_stored()
    -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let mut setup = db.conn();
        let user_id = add_user(&mut setup, "gaeun")?;
        let question_id = add_question(&mut setup, user_id, "Are you there?")?;
        let relay = Relay::start(&db, "never arrives", At::CutBefore);
        let mut conn = Conn::new(relay.opts(&db))?;

        let result = lesson7::save_answer(&mut conn, user_id, question_id, "never arrives");

        assert!(
            relay.has_fired(),
            "{}",
            bilingual!(
                "the answer's INSERT never reached the relay",
                "답변의 INSERT가 중계기에 닿지 않았습니다"
            )
        );
        assert!(
            matches!(result, Err(ConversationError::ConnectionLost(_))),
            "{}",
            bilingual!(
                "got {result:?}; expected ConnectionLost, the same as when the server stored it",
                "받은 값은 {result:?}이고, 기대한 것은 서버가 저장했을 때와 같은 \
                 ConnectionLost입니다"
            )
        );
        let found = lesson7::find_answer(&mut setup, question_id)?;
        assert!(
            found.is_none(),
            "{}",
            bilingual!(
                "the server never got the answer, yet {found:?} is stored",
                "서버는 답변을 받지 못했는데도 저장되어 있습니다: {found:?}"
            )
        );
        Ok(())
    }
}

mod step_c {
    use super::*;

    #[test]
    fn the_recent_list_on_a_closed_connection_is_an_error_not_an_empty_list() -> anyhow::Result<()>
    {
        let db = TestDb::new()?;
        let mut conn = db.conn();
        let user_id = add_user(&mut conn, "jimin")?;
        add_question(&mut conn, user_id, "Still there?")?;
        let mut dead = db.killed_conn()?;

        let result = lesson7::get_recent_conversations(&mut dead, user_id, 10);

        assert!(
            result.is_err(),
            "{}",
            bilingual!(
                "on a closed connection the list came back as {result:?}; expected an error: an empty \
                 list says \"this user has no messages\" when nobody could look",
                "닫힌 커넥션에서 돌아온 목록은 {result:?}입니다. 기대한 것은 오류입니다. 빈 \
                 목록은 아무도 확인할 수 없었는데 \"이 사용자에게는 메시지가 없다\"고 말합니다"
            )
        );
        Ok(())
    }

    #[test]
    fn the_recent_list_is_newest_first_with_the_id_breaking_ties_within_a_second()
    -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let mut conn = db.conn();
        let user_id = add_user(&mut conn, "eunwoo")?;
        // Timestamps set by hand, so that the expected order does not depend on the clock: two
        // messages share a second, and an older one is inserted last (its id is the highest).
        for (content, created_at) in [
            ("first", "2024-05-01 10:00:00"),
            ("second, same second", "2024-05-01 10:00:05"),
            ("third, same second", "2024-05-01 10:00:05"),
            ("newest", "2024-05-01 10:00:09"),
            ("oldest, inserted last", "2024-05-01 09:59:00"),
        ] {
            conn.exec_drop(
                "INSERT INTO conversations (user_id, role, content, created_at) VALUES (?, 'user', ?, ?)",
                (user_id, content, created_at),
            )?;
        }

        let recent = expect_ok(
            lesson7::get_recent_conversations(&mut conn, user_id, 10),
            "get_recent_conversations(&mut conn, user_id, 10)",
        );

        let contents: Vec<&str> = recent.iter().map(|m| m.content.as_str()).collect();
        let expected = [
            "newest",
            "third, same second",
            "second, same second",
            "first",
            "oldest, inserted last",
        ];
        assert!(
            contents == expected,
            "{}",
            bilingual!(
                "got {contents:?}; expected {expected:?}: newest created_at first, and within the same \
                 second the higher id first (ORDER BY created_at alone leaves ties to chance; an order \
                 by id alone puts the late-inserted oldest message first)",
                "받은 값은 {contents:?}이고, 기대한 것은 {expected:?}입니다. created_at이 최신인 \
                 것부터, 같은 초 안에서는 id가 큰 것부터입니다(ORDER BY created_at만으로는 같은 \
                 시각의 순서가 우연에 맡겨지고, id만으로 정렬하면 나중에 넣은 가장 오래된 \
                 메시지가 맨 앞에 옵니다)"
            )
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
            let question_id = add_question(&mut conn, user_id, &format!("question {i}"))?;
            ids.push(question_id);
            ids.push(add_answer(
                &mut conn,
                user_id,
                question_id,
                &format!("answer {i}"),
            )?);
        }

        let three: Vec<u64> = expect_ok(
            lesson7::get_recent_conversations(&mut conn, user_id, 3),
            "get_recent_conversations(&mut conn, user_id, 3)",
        )
        .iter()
        .map(|m| m.id)
        .collect();
        let none = expect_ok(
            lesson7::get_recent_conversations(&mut conn, user_id, 0),
            "get_recent_conversations(&mut conn, user_id, 0)",
        );

        let expected = [ids[5], ids[4], ids[3]];
        assert!(
            three == expected,
            "{}",
            bilingual!(
                "limit 3 gave ids {three:?}; expected the 3 newest, {expected:?}",
                "limit 3으로 받은 id는 {three:?}이고, 기대한 것은 가장 최근 3개, \
                 {expected:?}입니다"
            )
        );
        assert!(
            none.is_empty(),
            "{}",
            bilingual!(
                "limit 0 gave {} messages; expected none",
                "limit 0으로 메시지 {}개를 받았습니다. 기대한 것은 0개입니다",
                none.len()
            )
        );
        Ok(())
    }

    #[test]
    fn another_users_messages_never_appear_in_the_recent_list() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let mut conn = db.conn();
        let alice = add_user(&mut conn, "alice")?;
        let bob = add_user(&mut conn, "bob")?;
        let question = add_question(&mut conn, alice, "alice asks")?;
        add_answer(&mut conn, alice, question, "alice is answered")?;
        // Bob's messages are newer, so a query that forgot the WHERE would show them first.
        for i in 0..3 {
            add_question(&mut conn, bob, &format!("bob asks {i}"))?;
        }

        let alices = expect_ok(
            lesson7::get_recent_conversations(&mut conn, alice, 10),
            "get_recent_conversations(&mut conn, alice, 10)",
        );
        let nobodys = expect_ok(
            lesson7::get_recent_conversations(&mut conn, bob + 1000, 10),
            "get_recent_conversations(&mut conn, bob + 1000, 10)",
        );

        let contents: Vec<&str> = alices.iter().map(|m| m.content.as_str()).collect();
        assert!(
            contents == ["alice is answered", "alice asks"],
            "{}",
            bilingual!(
                "alice's list is {contents:?}; expected only her two messages, newest first",
                "alice의 목록이 {contents:?}입니다. 기대한 것은 alice의 메시지 두 개뿐, 최신순입니다"
            )
        );
        assert!(
            nobodys.is_empty(),
            "{}",
            bilingual!(
                "a user who does not exist has {} messages; expected an empty list",
                "없는 사용자의 메시지가 {}개입니다. 기대한 것은 빈 목록입니다",
                nobodys.len()
            )
        );
        Ok(())
    }

    #[test]
    fn every_column_of_a_message_is_read_back_with_its_type() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let mut conn = db.conn();
        let user_id = add_user(&mut conn, "haneul")?;
        conn.exec_drop(
            "INSERT INTO conversations (user_id, role, content, created_at) \
             VALUES (?, 'user', '안녕 🤖', '2024-05-01 10:00:09')",
            (user_id,),
        )?;
        let question_id = conn.last_insert_id();

        let recent = expect_ok(
            lesson7::get_recent_conversations(&mut conn, user_id, 1),
            "get_recent_conversations(&mut conn, user_id, 1)",
        );

        let Some(first) = recent.first() else {
            panic!(
                "{}",
                bilingual!(
                    "the list of a user with one message is empty",
                    "메시지가 하나 있는 사용자의 목록이 비어 있습니다"
                )
            );
        };
        assert!(
            (
                first.id,
                first.user_id,
                first.role,
                first.content.as_str(),
                first.reply_to
            ) == (question_id, user_id, Role::User, "안녕 🤖", None),
            "{}",
            bilingual!("read back {first:?}", "다시 읽은 값: {first:?}")
        );
        assert!(
            first.created_at.to_string() == "2024-05-01 10:00:09",
            "{}",
            bilingual!(
                "created_at read as {}; expected 2024-05-01 10:00:09",
                "읽은 created_at은 {}이고, 기대한 것은 2024-05-01 10:00:09입니다",
                first.created_at
            )
        );
        Ok(())
    }

    /// The way a server calls these functions: from several threads, each request on a
    /// connection borrowed from lesson 4's pool.
    #[test]
    fn exchanges_saved_from_four_threads_through_a_pool_of_two_all_arrive_with_their_user()
    -> anyhow::Result<()> {
        const THREADS: usize = 4;
        const EXCHANGES: usize = 10;
        let db = TestDb::new()?;
        let pool = lesson4::Pool::new(db.opts(), 2)?;
        let users: Vec<u64> = (0..THREADS)
            .map(|t| add_user(&mut db.conn(), &format!("pooled{t}")))
            .collect::<mysql::Result<_>>()?;

        std::thread::scope(|scope| -> anyhow::Result<()> {
            let workers: Vec<_> = users
                .iter()
                .map(|&user_id| {
                    let pool = &pool;
                    scope.spawn(move || -> anyhow::Result<()> {
                        for i in 0..EXCHANGES {
                            let mut conn = pool.get()?;
                            let q = expect_ok(
                                lesson7::save_question(&mut conn, user_id, &format!("q{i}")),
                                "save_question(&mut conn, user_id, &format!(\"q{i}\"))",
                            );
                            expect_ok(
                                lesson7::save_answer(&mut conn, user_id, q, &format!("a{i}")),
                                "save_answer(&mut conn, user_id, q, &format!(\"a{i}\"))",
                            );
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

        for &user_id in &users {
            let all = expect_ok(
                lesson7::get_recent_conversations(&mut pool.get()?, user_id, 100),
                "get_recent_conversations(&mut pool.get()?, user_id, 100)",
            );
            assert!(
                all.len() == 2 * EXCHANGES && all.iter().all(|m| m.user_id == user_id),
                "{}",
                bilingual!(
                    "user {user_id} has {} messages (expected {}), of users {:?}",
                    "사용자(id {user_id})의 메시지가 {}개이고(기대한 수는 {}개), 메시지들이 속한 \
                     사용자 id는 {:?}입니다",
                    all.len(),
                    2 * EXCHANGES,
                    all.iter()
                        .map(|m| m.user_id)
                        .collect::<std::collections::BTreeSet<_>>()
                )
            );
            assert!(
                all[0].reply_to == Some(all[1].id),
                "{}",
                bilingual!(
                    "the newest message must be the last answer, replying to the message after it",
                    "가장 최근 메시지는 마지막 답변이어야 하고, 목록에서 그 뒤에 오는 메시지에 \
                     대한 답이어야 합니다"
                )
            );
        }
        Ok(())
    }
}
