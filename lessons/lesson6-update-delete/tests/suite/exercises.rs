//! Checks exercises 6a (`update_user_name`), 6b (`update_user_email`) and 6c (`delete_user`)
//! against the real server, each test in its own database. Run against your version with
//! `cargo test -p lesson6 --features exercise` (add `step_b::` to run one exercise's tests).
//!
//! Every check reads the table with plain SQL and compares every row before and after, so a
//! statement that changed the wrong row, or more rows, is seen.

use chrono::NaiveDateTime;
use lesson6::UserError;
use mysql::consts::CapabilityFlags;
use mysql::prelude::Queryable;
use mysql::{Conn, OptsBuilder, TxOpts};
use shared::bilingual;
use shared::testing::{TestDb, expect_ok, insert_user};

type Row = (u64, String, String, NaiveDateTime);

/// Every stored user, read with plain SQL so the check does not depend on the code under test.
fn all_users(conn: &mut Conn) -> mysql::Result<Vec<Row>> {
    conn.query("SELECT id, name, email, created_at FROM users ORDER BY id")
}

fn user(conn: &mut Conn, id: u64) -> mysql::Result<Option<(String, String)>> {
    conn.exec_first("SELECT name, email FROM users WHERE id = ?", (id,))
}

/// A connection on which the server counts rows *matched* by an UPDATE, not rows changed.
fn found_rows_conn(db: &TestDb) -> mysql::Result<Conn> {
    Conn::new(
        OptsBuilder::from_opts(db.opts())
            .additional_capabilities(CapabilityFlags::CLIENT_FOUND_ROWS),
    )
}

/// Checks that `change` of an existing user ran one statement and succeeded; `what` names it, and
/// `note` (English, Korean) says what else that one statement does, if anything.
fn one_statement(
    db: &TestDb,
    what: &str,
    note: (&str, &str),
    change: impl FnOnce(&mut Conn) -> Result<(), UserError>,
) -> anyhow::Result<()> {
    let (note_en, note_ko) = note;
    let (result, run) = shared::testing::statements_run_by(db, change)?;
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
            "{what} of an existing user ran {} statements; expected one: the statement's own count of \
             affected rows says whether a row was there, so a look-up first (or a second statement) \
             only costs a round trip, and another connection can act between the two.{note_en} \
             Statements sent: {run:#?}",
            "있는 사용자에 대한 {what} 함수가 SQL 문을 {}개 실행했습니다. 기대한 것은 하나입니다. \
             SQL 문 자신의 영향받은 행 수가 행이 있었는지 알려 주므로, 먼저 찾아보는 것(또는 두 \
             번째 SQL 문)은 왕복만 늘리고, 둘 사이에 다른 커넥션이 끼어들 수 있습니다.{note_ko} \
             보낸 SQL 문: {run:#?}",
            run.len()
        )
    );
    Ok(())
}

/// Checks that `change` on a closed connection is a database error, not "no such user".
fn a_db_error_on_a_closed_connection(
    db: &TestDb,
    what: &str,
    change: impl FnOnce(&mut Conn) -> Result<(), UserError>,
) -> anyhow::Result<()> {
    let mut dead = db.killed_conn()?;
    let result = change(&mut dead);
    assert!(
        matches!(result, Err(UserError::Db(_))),
        "{}",
        bilingual!(
            "{what} on a closed connection returned {result:?}; expected UserError::Db: when the \
             statement fails, nobody knows whether the user is there, so it is not NotFound",
            "닫힌 커넥션에서 {what} 함수의 반환값은 {result:?}이고, 기대한 것은 \
             UserError::Db입니다. SQL 문이 실패하면 사용자가 있는지 아무도 모르므로 NotFound가 \
             아닙니다"
        )
    );
    Ok(())
}

mod step_a {
    use super::*;

    #[test]
    fn a_rename_that_changes_the_row_runs_one_statement() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let id = insert_user(&mut db.conn(), "Alice", "alice@example.com")?;
        one_statement(&db, "update_user_name", ("", ""), |conn| {
            lesson6::update_user_name(conn, id, "Alicia")
        })
    }

    #[test]
    fn a_rename_on_a_closed_connection_is_a_database_error() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let id = insert_user(&mut db.conn(), "Alice", "alice@example.com")?;
        a_db_error_on_a_closed_connection(&db, "update_user_name", |conn| {
            lesson6::update_user_name(conn, id, "Alicia")
        })
    }

    #[test]
    fn update_user_name_renames_that_user_and_no_one_else() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let mut conn = db.conn();
        let alice = insert_user(&mut conn, "Alice", "alice@example.com")?;
        insert_user(&mut conn, "Bob", "bob@example.com")?;
        let mut expected = all_users(&mut conn)?;
        expected[0].1 = "앨리스".to_string();

        expect_ok(
            lesson6::update_user_name(&mut conn, alice, "앨리스"),
            "update_user_name(&mut conn, alice, \"앨리스\")",
        );

        let after = all_users(&mut conn)?;
        assert!(
            after == expected,
            "{}",
            bilingual!(
                "the table is\n{after:?}\nexpected\n{expected:?}\n(only alice's name changes: is the \
                 WHERE on her id, and are the parameters in the order of the ?s?)",
                "테이블이\n{after:?}\n인데 기대한 것은\n{expected:?}\n입니다(alice의 이름만 \
                 바뀌어야 합니다. WHERE가 alice의 id를 가리키나요? 파라미터가 ?의 순서대로인가요?)"
            )
        );
        Ok(())
    }

    #[test]
    fn setting_a_name_to_the_value_it_already_has_succeeds() -> anyhow::Result<()> {
        // The server reports 0 affected rows here ("Rows matched: 1  Changed: 0").
        let db = TestDb::new()?;
        let mut conn = db.conn();
        let alice = insert_user(&mut conn, "Alice", "alice@example.com")?;

        let result = lesson6::update_user_name(&mut conn, alice, "Alice");

        assert!(
            result.is_ok(),
            "{}",
            bilingual!(
                "got {result:?}; expected Ok: the user exists and already has this name. The server \
                 reported 0 rows *changed*, which does not mean 0 rows matched",
                "받은 값은 {result:?}이고, 기대한 것은 Ok입니다. 사용자가 있고 이미 이 이름을 \
                 가지고 있습니다. 서버는 *바뀐* 행이 0개라고 알렸을 뿐, 일치한 행이 0개라는 뜻이 \
                 아닙니다"
            )
        );
        Ok(())
    }

    #[test]
    fn renaming_a_user_that_does_not_exist_is_not_found_and_changes_nothing() -> anyhow::Result<()>
    {
        let db = TestDb::new()?;
        let mut conn = db.conn();
        let alice = insert_user(&mut conn, "Alice", "alice@example.com")?;
        let before = all_users(&mut conn)?;

        let result = lesson6::update_user_name(&mut conn, alice + 1, "Ghost");

        assert!(
            matches!(result, Err(UserError::NotFound { id }) if id == alice + 1),
            "{}",
            bilingual!(
                "got {result:?}; expected NotFound {{ id: {} }}: an UPDATE that matches no row \
                 succeeds with 0 affected rows, and that 0 must not pass as a success",
                "받은 값은 {result:?}이고, 기대한 것은 NotFound {{ id: {} }}입니다. 일치하는 행이 \
                 없는 UPDATE는 영향받은 행 0개로 성공하고, 그 0을 성공으로 넘기면 안 됩니다",
                alice + 1
            )
        );
        assert!(
            all_users(&mut conn)? == before,
            "{}",
            bilingual!("a row changed", "행이 바뀌었습니다")
        );
        Ok(())
    }

    #[test]
    fn an_invalid_new_name_is_invalid_and_the_row_is_unchanged() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let mut conn = db.conn();
        let alice = insert_user(&mut conn, "Alice", "alice@example.com")?;
        let before = all_users(&mut conn)?;
        let too_long = "가".repeat(lesson2::MAX_NAME_CHARS + 1);

        for name in ["", "  ", too_long.as_str()] {
            let result = lesson6::update_user_name(&mut conn, alice, name);

            assert!(
                matches!(result, Err(UserError::Invalid { field: "name", .. })),
                "{}",
                bilingual!(
                    "renaming to {name:?} gave {result:?}; expected Invalid for the name (validate_name first)",
                    "이름을 바꾼 결과는 {result:?}이고(새 이름: {name:?}), 기대한 것은 이름에 대한 \
                     Invalid입니다(먼저 validate_name)"
                )
            );
        }
        assert!(
            all_users(&mut conn)? == before,
            "{}",
            bilingual!("an invalid name was stored", "잘못된 이름이 저장되었습니다")
        );
        Ok(())
    }

    #[test]
    fn renames_tell_unchanged_from_missing_also_when_the_server_counts_matched_rows()
    -> anyhow::Result<()> {
        // With CLIENT_FOUND_ROWS the server counts matched rows instead of changed ones. The
        // functions get whatever connection the caller has, so they must be right with it too.
        let db = TestDb::new()?;
        let mut conn = found_rows_conn(&db)?;
        let alice = insert_user(&mut conn, "Alice", "alice@example.com")?;

        let same = lesson6::update_user_name(&mut conn, alice, "Alice");
        let missing = lesson6::update_user_name(&mut conn, alice + 1, "Ghost");

        assert!(
            same.is_ok(),
            "{}",
            bilingual!(
                "the same name gave {same:?}; expected Ok",
                "같은 이름으로 바꾼 결과는 {same:?}이고, 기대한 것은 Ok입니다"
            )
        );
        assert!(
            matches!(missing, Err(UserError::NotFound { .. })),
            "{}",
            bilingual!(
                "a missing user gave {missing:?}; expected NotFound",
                "없는 사용자에 대한 결과는 {missing:?}이고, 기대한 것은 NotFound입니다"
            )
        );
        Ok(())
    }

    #[test]
    fn names_with_quotes_korean_and_emoji_are_stored_literally() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let mut conn = db.conn();
        let alice = insert_user(&mut conn, "Alice", "alice@example.com")?;
        let bob = insert_user(&mut conn, "Bob", "bob@example.com")?;

        for name in [
            "'; DROP TABLE users; --",
            "' OR '1'='1",
            "back\\slash \"quotes\"",
            "이서연 🦀",
        ] {
            expect_ok(
                lesson6::update_user_name(&mut conn, alice, name),
                "update_user_name(&mut conn, alice, name)",
            );

            let stored = user(&mut conn, alice)?.map(|(name, _)| name);
            assert!(
                stored.as_deref() == Some(name),
                "{}",
                bilingual!(
                    "stored {stored:?}; expected {name:?} byte for byte (bind the name as a parameter)",
                    "저장된 값은 {stored:?}이고, 기대한 것은 바이트 하나하나까지 \
                     {name:?}입니다(이름을 파라미터로 바인딩하세요)"
                )
            );
        }
        let bobs = user(&mut conn, bob)?;
        assert!(
            bobs == Some(("Bob".to_string(), "bob@example.com".to_string())),
            "{}",
            bilingual!(
                "`' OR '1'='1` as a value must rename one row, not every row: bob is now {bobs:?}",
                "값으로 쓴 `' OR '1'='1`은 행 하나의 이름만 바꿔야 하고, 모든 행을 바꾸면 안 \
                 됩니다. bob은 이제 {bobs:?}입니다"
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

    #[test]
    fn an_email_change_that_changes_the_row_runs_one_statement() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let id = insert_user(&mut db.conn(), "Alice", "alice@example.com")?;
        one_statement(&db, "update_user_email", ("", ""), |conn| {
            lesson6::update_user_email(conn, id, "alicia@example.com")
        })
    }

    #[test]
    fn an_email_change_on_a_closed_connection_is_a_database_error() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let id = insert_user(&mut db.conn(), "Alice", "alice@example.com")?;
        a_db_error_on_a_closed_connection(&db, "update_user_email", |conn| {
            lesson6::update_user_email(conn, id, "alicia@example.com")
        })
    }

    #[test]
    fn update_user_email_changes_that_users_email_and_no_one_elses() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let mut conn = db.conn();
        let alice = insert_user(&mut conn, "Alice", "alice@example.com")?;
        insert_user(&mut conn, "Bob", "bob@example.com")?;
        let mut expected = all_users(&mut conn)?;
        expected[0].2 = "alice@new.example.com".to_string();

        expect_ok(
            lesson6::update_user_email(&mut conn, alice, "alice@new.example.com"),
            "update_user_email(&mut conn, alice, \"alice@new.example.com\")",
        );

        let after = all_users(&mut conn)?;
        assert!(
            after == expected,
            "{}",
            bilingual!(
                "the table is\n{after:?}\nexpected\n{expected:?}\n(only alice's email changes)",
                "테이블이\n{after:?}\n인데 기대한 것은\n{expected:?}\n입니다(alice의 이메일만 \
                 바뀌어야 합니다)"
            )
        );
        Ok(())
    }

    #[test]
    fn an_email_taken_by_another_user_is_email_taken_and_both_rows_are_unchanged()
    -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let mut conn = db.conn();
        let alice = insert_user(&mut conn, "Alice", "alice@example.com")?;
        insert_user(&mut conn, "Bob", "bob@example.com")?;
        let before = all_users(&mut conn)?;

        let result = lesson6::update_user_email(&mut conn, alice, "bob@example.com");

        assert!(
            matches!(&result, Err(UserError::EmailTaken { email }) if email == "bob@example.com"),
            "{}",
            bilingual!(
                "got {result:?}; expected EmailTaken {{ email: \"bob@example.com\" }}: the unique key \
                 refuses the UPDATE, and is_email_taken recognises that error",
                "받은 값은 {result:?}이고, 기대한 것은 EmailTaken {{ email: \"bob@example.com\" \
                 }}입니다. 유니크 키가 UPDATE를 거부하고, is_email_taken이 그 오류를 알아봅니다"
            )
        );
        assert!(
            all_users(&mut conn)? == before,
            "{}",
            bilingual!(
                "a row changed although the UPDATE was refused",
                "UPDATE가 거부되었는데도 행이 바뀌었습니다"
            )
        );
        Ok(())
    }

    #[test]
    fn an_email_update_refused_for_another_reason_is_a_database_error_not_email_taken()
    -> anyhow::Result<()> {
        // A READ ONLY transaction refuses every write (error 1792): not a taken email.
        let db = TestDb::new()?;
        let mut conn = db.conn();
        let alice = insert_user(&mut conn, "Alice", "alice@example.com")?;
        let read_only = TxOpts::default().set_access_mode(Some(mysql::AccessMode::ReadOnly));

        let mut tx = conn.start_transaction(read_only)?;
        let result = lesson6::update_user_email(&mut tx, alice, "alice@new.example.com");
        tx.rollback()?;

        assert!(
            matches!(result, Err(UserError::Db(_))),
            "{}",
            bilingual!(
                "got {result:?}; expected Db: only the unique key's refusal (is_email_taken) means \
                 EmailTaken, any other error stays a database error",
                "받은 값은 {result:?}이고, 기대한 것은 Db입니다. 유니크 키의 \
                 거부(is_email_taken)만 EmailTaken이고, 그 밖의 오류는 데이터베이스 오류로 \
                 남습니다"
            )
        );
        Ok(())
    }

    #[test]
    fn setting_an_email_to_the_value_it_already_has_succeeds() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let mut conn = db.conn();
        let alice = insert_user(&mut conn, "Alice", "alice@example.com")?;

        let result = lesson6::update_user_email(&mut conn, alice, "alice@example.com");

        assert!(
            result.is_ok(),
            "{}",
            bilingual!(
                "got {result:?}; expected Ok: 0 rows changed, but the user exists",
                "받은 값은 {result:?}이고, 기대한 것은 Ok입니다. 바뀐 행은 0개지만 사용자는 \
                 있습니다"
            )
        );
        Ok(())
    }

    #[test]
    fn a_user_may_change_the_letter_case_of_their_own_email() -> anyhow::Result<()> {
        // The unique key compares case-insensitively, but the row being changed does not collide
        // with itself.
        let db = TestDb::new()?;
        let mut conn = db.conn();
        let alice = insert_user(&mut conn, "Alice", "alice@example.com")?;

        let result = lesson6::update_user_email(&mut conn, alice, "Alice@Example.com");

        let stored = user(&mut conn, alice)?.map(|(_, email)| email);
        assert!(
            result.is_ok() && stored.as_deref() == Some("Alice@Example.com"),
            "{}",
            bilingual!(
                "got {result:?}, stored {stored:?}; expected Ok and \"Alice@Example.com\"",
                "받은 값은 {result:?}, 저장된 값은 {stored:?}이고, 기대한 것은 Ok와 \
                 \"Alice@Example.com\"입니다"
            )
        );
        Ok(())
    }

    #[test]
    fn changing_the_email_of_a_user_that_does_not_exist_is_not_found() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let mut conn = db.conn();
        let alice = insert_user(&mut conn, "Alice", "alice@example.com")?;
        let before = all_users(&mut conn)?;

        let result = lesson6::update_user_email(&mut conn, alice + 1, "ghost@example.com");

        assert!(
            matches!(result, Err(UserError::NotFound { id }) if id == alice + 1),
            "{}",
            bilingual!(
                "got {result:?}; expected NotFound {{ id: {} }}",
                "받은 값은 {result:?}이고, 기대한 것은 NotFound {{ id: {} }}입니다",
                alice + 1
            )
        );
        assert!(
            all_users(&mut conn)? == before,
            "{}",
            bilingual!("a row changed", "행이 바뀌었습니다")
        );
        Ok(())
    }

    #[test]
    fn an_invalid_new_email_is_invalid_and_the_row_is_unchanged() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let mut conn = db.conn();
        let alice = insert_user(&mut conn, "Alice", "alice@example.com")?;
        let before = all_users(&mut conn)?;
        let too_long = "a".repeat(lesson2::MAX_EMAIL_CHARS + 1);

        for email in ["", too_long.as_str(), " alice@example.com"] {
            let result = lesson6::update_user_email(&mut conn, alice, email);

            assert!(
                matches!(result, Err(UserError::Invalid { field: "email", .. })),
                "{}",
                bilingual!(
                    "changing the email to {email:?} gave {result:?}; expected Invalid for the email \
                     (validate_email first)",
                    "이메일을 바꾼 결과는 {result:?}이고(새 이메일: {email:?}), 기대한 것은 이메일에 \
                     대한 Invalid입니다(먼저 validate_email)"
                )
            );
        }
        assert!(
            all_users(&mut conn)? == before,
            "{}",
            bilingual!(
                "an invalid email was stored",
                "잘못된 이메일이 저장되었습니다"
            )
        );
        Ok(())
    }

    #[test]
    fn email_updates_tell_unchanged_from_missing_also_when_the_server_counts_matched_rows()
    -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let mut conn = found_rows_conn(&db)?;
        let alice = insert_user(&mut conn, "Alice", "alice@example.com")?;

        let same = lesson6::update_user_email(&mut conn, alice, "alice@example.com");
        let missing = lesson6::update_user_email(&mut conn, alice + 1, "ghost@example.com");

        assert!(
            same.is_ok(),
            "{}",
            bilingual!(
                "the same email gave {same:?}; expected Ok",
                "같은 이메일로 바꾼 결과는 {same:?}이고, 기대한 것은 Ok입니다"
            )
        );
        assert!(
            matches!(missing, Err(UserError::NotFound { .. })),
            "{}",
            bilingual!(
                "a missing user gave {missing:?}; expected NotFound",
                "없는 사용자에 대한 결과는 {missing:?}이고, 기대한 것은 NotFound입니다"
            )
        );
        Ok(())
    }

    #[test]
    fn emails_with_quotes_korean_and_emoji_are_stored_literally() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let mut conn = db.conn();
        let alice = insert_user(&mut conn, "Alice", "alice@example.com")?;
        let bob = insert_user(&mut conn, "Bob", "bob@example.com")?;

        for email in [
            "o'neil@example.com",
            "' OR '1'='1@x.kr",
            "이서연🦀@예시.한국",
        ] {
            expect_ok(
                lesson6::update_user_email(&mut conn, alice, email),
                "update_user_email(&mut conn, alice, email)",
            );

            let stored = user(&mut conn, alice)?.map(|(_, email)| email);
            assert!(
                stored.as_deref() == Some(email),
                "{}",
                bilingual!(
                    "stored {stored:?}; expected {email:?} byte for byte (bind the email as a parameter)",
                    "저장된 값은 {stored:?}이고, 기대한 것은 바이트 하나하나까지 \
                     {email:?}입니다(이메일을 파라미터로 바인딩하세요)"
                )
            );
        }
        let bobs = user(&mut conn, bob)?;
        assert!(
            bobs == Some(("Bob".to_string(), "bob@example.com".to_string())),
            "{}",
            bilingual!("bob changed: {bobs:?}", "bob이 바뀌었습니다: {bobs:?}")
        );
        Ok(())
    }
}

mod step_c {
    use super::*;

    #[test]
    fn deleting_a_user_runs_one_statement_the_cascade_does_the_rest() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let id = insert_user(&mut db.conn(), "Alice", "alice@example.com")?;
        let cascade = (
            " The user's conversations go in that same statement: the schema declares \
             ON DELETE CASCADE on conversations.user_id.",
            " 사용자의 대화는 그 SQL 문에서 함께 지워집니다. 스키마가 conversations.user_id에 \
             ON DELETE CASCADE를 선언해 두었습니다.",
        );
        one_statement(&db, "delete_user", cascade, |conn| {
            lesson6::delete_user(conn, id)
        })
    }

    #[test]
    fn a_delete_on_a_closed_connection_is_a_database_error() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let id = insert_user(&mut db.conn(), "Alice", "alice@example.com")?;
        a_db_error_on_a_closed_connection(&db, "delete_user", |conn| lesson6::delete_user(conn, id))
    }

    /// A question and its answer for `user_id`, inserted with plain SQL.
    fn add_exchange(conn: &mut Conn, user_id: u64) -> mysql::Result<()> {
        conn.exec_drop(
            "INSERT INTO conversations (user_id, role, content) VALUES (?, 'user', ?)",
            (user_id, "안녕?"),
        )?;
        let question = conn.last_insert_id();
        conn.exec_drop(
            "INSERT INTO conversations (user_id, role, content, reply_to) VALUES (?, 'assistant', ?, ?)",
            (user_id, "안녕하세요!", question),
        )
    }

    fn messages_of(conn: &mut Conn, user_id: u64) -> mysql::Result<u64> {
        Ok(conn
            .exec_first(
                "SELECT COUNT(*) FROM conversations WHERE user_id = ?",
                (user_id,),
            )?
            .unwrap_or(0))
    }

    #[test]
    fn delete_user_removes_that_user_and_no_one_else() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let mut conn = db.conn();
        let alice = insert_user(&mut conn, "Alice", "alice@example.com")?;
        let bob = insert_user(&mut conn, "Bob", "bob@example.com")?;

        expect_ok(
            lesson6::delete_user(&mut conn, alice),
            "delete_user(&mut conn, alice)",
        );

        let ids: Vec<u64> = all_users(&mut conn)?.into_iter().map(|row| row.0).collect();
        assert!(
            ids == [bob],
            "{}",
            bilingual!(
                "the users left are {ids:?}; expected only bob, [{bob}]",
                "남은 사용자가 {ids:?}입니다. 기대한 것은 bob 한 명, [{bob}]입니다"
            )
        );
        Ok(())
    }

    #[test]
    fn deleting_a_user_that_does_not_exist_is_not_found_and_deletes_nothing() -> anyhow::Result<()>
    {
        let db = TestDb::new()?;
        let mut conn = db.conn();
        let alice = insert_user(&mut conn, "Alice", "alice@example.com")?;
        let before = all_users(&mut conn)?;

        let result = lesson6::delete_user(&mut conn, alice + 1);

        assert!(
            matches!(result, Err(UserError::NotFound { id }) if id == alice + 1),
            "{}",
            bilingual!(
                "got {result:?}; expected NotFound {{ id: {} }}: a DELETE that matches no row \
                 succeeds with 0 affected rows",
                "받은 값은 {result:?}이고, 기대한 것은 NotFound {{ id: {} }}입니다. 일치하는 행이 \
                 없는 DELETE는 영향받은 행 0개로 성공합니다",
                alice + 1
            )
        );
        assert!(
            all_users(&mut conn)? == before,
            "{}",
            bilingual!("a row was deleted", "행이 삭제되었습니다")
        );
        Ok(())
    }

    #[test]
    fn deleting_the_same_user_twice_is_not_found_the_second_time() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let mut conn = db.conn();
        let alice = insert_user(&mut conn, "Alice", "alice@example.com")?;

        let first = lesson6::delete_user(&mut conn, alice);
        let second = lesson6::delete_user(&mut conn, alice);

        assert!(
            first.is_ok(),
            "{}",
            bilingual!(
                "the first delete gave {first:?}; expected Ok",
                "첫 번째 삭제의 결과는 {first:?}이고, 기대한 것은 Ok입니다"
            )
        );
        assert!(
            matches!(second, Err(UserError::NotFound { id }) if id == alice),
            "{}",
            bilingual!(
                "the second delete gave {second:?}; expected NotFound: the user is gone",
                "두 번째 삭제의 결과는 {second:?}이고, 기대한 것은 NotFound입니다. 사용자는 \
                 이미 없습니다"
            )
        );
        Ok(())
    }

    #[test]
    fn deleting_a_user_deletes_their_conversations_and_no_one_elses() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let mut conn = db.conn();
        let alice = insert_user(&mut conn, "Alice", "alice@example.com")?;
        let bob = insert_user(&mut conn, "Bob", "bob@example.com")?;
        // A real history: a schema whose cascade runs through reply_to too is refused by MySQL 9.7
        // from the third exchange on (ERROR 6575), and the user could not be deleted at all.
        for _ in 0..10 {
            add_exchange(&mut conn, alice)?;
        }
        add_exchange(&mut conn, bob)?;

        expect_ok(
            lesson6::delete_user(&mut conn, alice),
            "delete_user(&mut conn, alice)",
        );

        let (alices, bobs) = (messages_of(&mut conn, alice)?, messages_of(&mut conn, bob)?);
        assert!(
            (alices, bobs) == (0, 2),
            "{}",
            bilingual!(
                "alice has {alices} messages and bob {bobs}; expected 0 and 2 (ON DELETE CASCADE \
                 removes alice's messages with her, and only hers)",
                "alice의 메시지는 {alices}개, bob의 메시지는 {bobs}개입니다. 기대한 것은 0개와 \
                 2개입니다(ON DELETE CASCADE가 alice의 메시지를, 그리고 alice의 메시지만 함께 \
                 지웁니다)"
            )
        );
        Ok(())
    }

    #[test]
    fn a_delete_inside_a_rolled_back_transaction_deletes_nothing() -> anyhow::Result<()> {
        // The cascade is part of the same statement, so the rollback brings the messages back too.
        let db = TestDb::new()?;
        let mut conn = db.conn();
        let alice = insert_user(&mut conn, "Alice", "alice@example.com")?;
        add_exchange(&mut conn, alice)?;
        let before = all_users(&mut conn)?;

        let mut tx = conn.start_transaction(TxOpts::default())?;
        expect_ok(
            lesson6::delete_user(&mut tx, alice),
            "delete_user(&mut tx, alice)",
        );
        tx.rollback()?;

        assert!(
            all_users(&mut conn)? == before,
            "{}",
            bilingual!(
                "the rolled-back delete removed a user",
                "롤백된 삭제가 사용자를 지웠습니다"
            )
        );
        let messages = messages_of(&mut conn, alice)?;
        assert!(
            messages == 2,
            "{}",
            bilingual!(
                "alice has {messages} messages after the rollback; expected 2",
                "롤백 뒤에 alice의 메시지가 {messages}개입니다. 기대한 것은 2개입니다"
            )
        );
        Ok(())
    }
}
