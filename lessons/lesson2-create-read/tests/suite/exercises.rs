//! Checks exercises 2a (`create_user`) and 2b (`get_user_by_email`) against the real server, each
//! test in its own database. Run against your version with `cargo test -p lesson2 --features exercise`.
//! The tests of 2a read the table with plain SQL, and those of 2b write it with plain SQL, so each
//! exercise is checked on its own.

use chrono::NaiveDateTime;
use mysql::Conn;
use mysql::prelude::Queryable;

type Row = (u64, String, String, NaiveDateTime);

/// Every stored user, read with plain SQL so the check does not depend on the code under test.
fn all_users(conn: &mut Conn) -> mysql::Result<Vec<Row>> {
    conn.query("SELECT id, name, email, created_at FROM users ORDER BY id")
}

mod step_a {
    use chrono::NaiveDateTime;
    use lesson2::{MAX_EMAIL_CHARS, MAX_NAME_CHARS, UserError, create_user};
    use mysql::TxOpts;
    use mysql::prelude::Queryable;
    use shared::bilingual;
    use shared::testing::{TestDb, expect_ok, statements_run_by};

    use super::all_users;

    #[test]
    fn create_user_runs_one_statement_the_insert_whose_reply_carries_the_id() -> anyhow::Result<()>
    {
        let db = TestDb::new()?;
        shared::testing::insert_user(&mut db.conn(), "Alice", "alice@example.com")?;

        let (created, run) =
            statements_run_by(&db, |conn| create_user(conn, "Minsu", "minsu@example.com"))?;

        expect_ok(created, "create_user(\"Minsu\", \"minsu@example.com\")");
        let count = run.len();
        assert!(
            count == 1,
            "{}",
            bilingual!(
                "create_user ran {count} statements, {run:#?}; expected one, the INSERT: its reply already \
                 carries the new id (last_insert_id), so a second statement to read the id back, or a \
                 look-up before the INSERT to check the email, costs a round trip (and a check first \
                 can be overtaken by another connection's INSERT; the unique index decides anyway)",
                "create_user가 SQL 문을 {count}개 실행했습니다: {run:#?}. 기대한 것은 INSERT 하나입니다. \
                 INSERT의 응답에 새 id(last_insert_id)가 이미 들어 있으므로, id를 다시 읽는 두 번째 SQL 문이나 \
                 이메일을 확인하려고 INSERT 전에 하는 조회는 왕복 한 번을 더 씁니다(게다가 먼저 확인해도 그사이 \
                 다른 커넥션의 INSERT가 끼어들 수 있고, 어차피 결정은 유니크 인덱스가 합니다)"
            )
        );
        Ok(())
    }

    #[test]
    fn create_user_returns_the_new_id_and_stores_the_name_and_email() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let mut conn = db.conn();

        let id = expect_ok(
            create_user(&mut conn, "김민수", "minsu@example.com"),
            "create_user(\"김민수\", \"minsu@example.com\")",
        );

        let rows = all_users(&mut conn)?;
        let stored: Vec<(u64, &str, &str)> = rows.iter().map(|r| (r.0, &*r.1, &*r.2)).collect();
        assert!(
            stored == [(id, "김민수", "minsu@example.com")],
            "{}",
            bilingual!(
                "after create_user returned id {id}, the table should hold exactly that user, but holds {stored:?}",
                "create_user가 반환한 id가 {id}이니 테이블에는 정확히 그 사용자만 있어야 하는데, 테이블의 내용은 {stored:?}입니다"
            )
        );
        let now: NaiveDateTime = conn.query_first("SELECT NOW()")?.expect("one row");
        let created_at = rows[0].3;
        assert!(
            created_at <= now && now - created_at < chrono::Duration::minutes(5),
            "{}",
            bilingual!(
                "created_at {created_at} should be the server's time of the INSERT (now {now}): leave it to the column's default",
                "created_at({created_at})은 INSERT 때의 서버 시각이어야 합니다(지금 {now}). 열의 기본값에 맡기세요"
            )
        );
        Ok(())
    }

    #[test]
    fn create_user_gives_every_user_a_new_id() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let mut conn = db.conn();

        let first = expect_ok(
            create_user(&mut conn, "Alice", "alice@example.com"),
            "create_user(\"Alice\", \"alice@example.com\")",
        );
        let second = expect_ok(
            create_user(&mut conn, "Bob", "bob@example.com"),
            "create_user(\"Bob\", \"bob@example.com\")",
        );

        let ids: Vec<u64> = all_users(&mut conn)?.into_iter().map(|row| row.0).collect();
        assert!(
            ids == [first, second],
            "{}",
            bilingual!(
                "create_user returned ids {first} and {second}, but the stored ids are {ids:?}: \
                 is the id read from the INSERT's reply (last_insert_id), not counted some other way?",
                "create_user가 반환한 id는 {first}, {second}인데, 저장된 id는 {ids:?}입니다. \
                 id를 INSERT의 응답(last_insert_id)에서 읽었나요, 아니면 다른 방법으로 셌나요?"
            )
        );
        Ok(())
    }

    #[test]
    fn create_user_is_saved_without_a_commit_so_another_connection_sees_it() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let mut writer = db.conn();
        let mut reader = db.conn();

        let id = expect_ok(
            create_user(&mut writer, "Alice", "alice@example.com"),
            "create_user(\"Alice\", \"alice@example.com\")",
        );

        let seen: Option<u64> = reader.exec_first(
            "SELECT id FROM users WHERE email = ?",
            ("alice@example.com",),
        )?;
        assert!(
            seen == Some(id),
            "{}",
            bilingual!(
                "another connection finds {seen:?}, expected Some({id}): was a transaction left open around the INSERT?",
                "다른 커넥션이 찾은 값은 {seen:?}이고, 기대한 값은 Some({id})입니다. INSERT를 감싼 트랜잭션이 열린 채 남지 않았나요?"
            )
        );
        Ok(())
    }

    #[test]
    fn creating_a_user_twice_with_the_same_email_is_email_taken_and_the_first_user_is_unchanged()
    -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let mut conn = db.conn();
        expect_ok(
            create_user(&mut conn, "Alice", "alice@example.com"),
            "create_user(\"Alice\", \"alice@example.com\")",
        );
        let before = all_users(&mut conn)?;

        let result = create_user(&mut conn, "Mallory", "alice@example.com");

        assert!(
            matches!(&result, Err(UserError::EmailTaken { email }) if email == "alice@example.com"),
            "{}",
            bilingual!(
                "a second user with the same email should be EmailTaken {{ email: \"alice@example.com\" }}, got {result:?}",
                "같은 이메일로 두 번째 사용자를 만들면 EmailTaken {{ email: \"alice@example.com\" }}이어야 하는데, 받은 값은 {result:?}입니다"
            )
        );
        assert!(
            all_users(&mut conn)? == before,
            "{}",
            bilingual!(
                "the first user must stay as it was",
                "첫 사용자는 그대로 남아 있어야 합니다"
            )
        );
        Ok(())
    }

    #[test]
    fn an_email_the_collation_counts_as_the_same_is_email_taken() -> anyhow::Result<()> {
        // The course's rule: the table's collation (utf8mb4_unicode_520_ci) decides which emails
        // are the same: letter case, accents, fullwidth forms and ß = ss do not make a new email.
        let db = TestDb::new()?;
        let mut conn = db.conn();
        expect_ok(
            create_user(&mut conn, "Plain", "plain.resume.strasse@example.com"),
            "create_user(\"Plain\", \"plain.resume.strasse@example.com\")",
        );

        for same in [
            "PLAIN.Resume.STRASSE@example.com",
            "plain.résumé.straße@example.com",
            "ｐｌａｉｎ.resume.strasse@ｅｘａｍｐｌｅ.ｃｏｍ",
        ] {
            let result = create_user(&mut conn, "Twin", same);

            assert!(
                matches!(&result, Err(UserError::EmailTaken { email }) if email == same),
                "{}",
                bilingual!(
                    "{same:?} is the same email as plain.resume.strasse@example.com for the unique key, \
                     so create_user should be EmailTaken {{ email: {same:?} }}, got {result:?}",
                    "유니크 키로 보면 {same:?}라는 이메일은 plain.resume.strasse@example.com과 같은 이메일이므로, \
                     create_user는 EmailTaken {{ email: {same:?} }}이어야 하는데, 받은 값은 {result:?}입니다"
                )
            );
        }
        Ok(())
    }

    #[test]
    fn emails_that_differ_only_in_their_emoji_are_different_users() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let mut conn = db.conn();

        let crab = expect_ok(
            create_user(&mut conn, "Crab", "a🦀@example.com"),
            "create_user(\"Crab\", \"a🦀@example.com\")",
        );
        let smile = create_user(&mut conn, "Smile", "a😀@example.com");

        assert!(
            matches!(smile, Ok(id) if id != crab),
            "{}",
            bilingual!(
                "a🦀@ and a😀@ are different emails, so both users should be created, got {smile:?}",
                "a🦀@와 a😀@는 다른 이메일이므로 두 사용자 모두 만들어져야 하는데, 받은 값은 {smile:?}입니다"
            )
        );
        Ok(())
    }

    #[test]
    fn invalid_input_is_rejected_with_the_field_named_and_nothing_is_stored() -> anyhow::Result<()>
    {
        let db = TestDb::new()?;
        let mut conn = db.conn();
        expect_ok(
            create_user(&mut conn, "Alice", "alice@example.com"),
            "create_user(\"Alice\", \"alice@example.com\")",
        );
        let before = all_users(&mut conn)?;
        let long_name = "가".repeat(MAX_NAME_CHARS + 1);
        let long_email = format!("{}@example.com", "a".repeat(MAX_EMAIL_CHARS));
        let cases: [(&str, &str, &str); 8] = [
            ("", "new@example.com", "name"),
            ("   ", "new@example.com", "name"),
            (&long_name, "new@example.com", "name"),
            ("New", "", "email"),
            ("New", &long_email, "email"),
            ("New", "alice@example.com ", "email"),
            ("New", "ali\u{200B}ce@example.com", "email"),
            ("New", "alice@example.com\0", "email"),
        ];

        for (name, email, field) in cases {
            let result = create_user(&mut conn, name, email);

            assert!(
                matches!(&result, Err(UserError::Invalid { field: f, .. }) if *f == field),
                "{}",
                bilingual!(
                    "create_user({name:?}, {email:?}) should be Invalid {{ field: {field:?} }}, got {result:?}: \
                     are validate_name and validate_email both called?",
                    "create_user({name:?}, {email:?})는 Invalid {{ field: {field:?} }}여야 하는데, 받은 값은 {result:?}입니다. \
                     validate_name과 validate_email을 둘 다 호출했나요?"
                )
            );
        }
        assert!(
            all_users(&mut conn)? == before,
            "{}",
            bilingual!(
                "a refused user must not be stored",
                "거절된 사용자는 저장되면 안 됩니다"
            )
        );
        Ok(())
    }

    #[test]
    fn invalid_input_is_rejected_before_any_sql_is_sent() -> anyhow::Result<()> {
        // On a connection the server has closed, any SQL fails with a Db error, so only a check made
        // before sending anything can still answer Invalid.
        let db = TestDb::new()?;
        let mut dead = db.killed_conn()?;

        let empty_name = create_user(&mut dead, "", "new@example.com");
        let empty_email = create_user(&mut dead, "New", "");

        assert!(
            matches!(empty_name, Err(UserError::Invalid { field: "name", .. }))
                && matches!(empty_email, Err(UserError::Invalid { field: "email", .. })),
            "{}",
            bilingual!(
                "on a closed connection, an empty name and an empty email should still be Invalid \
                 (checked before the INSERT), got {empty_name:?} and {empty_email:?}",
                "닫힌 커넥션에서도 빈 이름과 빈 이메일은 Invalid여야 하는데(INSERT 전에 검사), \
                 받은 값은 {empty_name:?}, {empty_email:?}입니다"
            )
        );
        Ok(())
    }

    #[test]
    fn a_failure_that_is_not_a_taken_email_is_a_db_error() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let mut dead = db.killed_conn()?;

        let result = create_user(&mut dead, "New", "new@example.com");

        assert!(
            matches!(result, Err(UserError::Db(_))),
            "{}",
            bilingual!(
                "on a closed connection the INSERT fails, which is UserError::Db, got {result:?}: \
                 is every error turned into EmailTaken, instead of only the one is_email_taken recognises?",
                "닫힌 커넥션에서는 INSERT가 실패하고, 이는 UserError::Db여야 하는데, 받은 값은 {result:?}입니다. \
                 is_email_taken이 알아보는 오류만이 아니라 모든 오류를 EmailTaken으로 바꾸지 않았나요?"
            )
        );
        Ok(())
    }

    #[test]
    fn names_with_quotes_and_sql_are_stored_literally() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let mut conn = db.conn();
        let nasty = [
            "O'Brien",
            "'; DROP TABLE users; --",
            "\"; DROP TABLE conversations; --",
            "back\\slash \\' \\\\",
            "nul\0byte",
            "`backticks`; DELETE FROM users",
        ];

        for (i, name) in nasty.iter().enumerate() {
            let email = format!("{}{i}@example.com", name.replace('\0', ""));
            let id = create_user(&mut conn, name, &email);

            // A row stored whole under another id is a wrong id, not a binding problem.
            let under_its_email: Option<(u64, String)> =
                conn.exec_first("SELECT id, name FROM users WHERE email = ?", (&email,))?;
            if let (Ok(returned), Some((row_id, row_name))) = (&id, &under_its_email) {
                assert!(
                    returned == row_id || row_name.as_bytes() != name.as_bytes(),
                    "{}",
                    bilingual!(
                        "create_user({name:?}, {email:?}) stored the user whole, as id {row_id}, but \
                         returned {returned}: is the id read from the INSERT's reply (last_insert_id)?",
                        "create_user({name:?}, {email:?})는 사용자를 빠짐없이 저장했지만(id {row_id}), 반환값은 \
                         {returned}입니다. id를 INSERT의 응답(last_insert_id)에서 읽었나요?"
                    )
                );
            }
            let stored: Option<(String, String)> = conn.exec_first(
                "SELECT name, email FROM users WHERE id = ?",
                (id.as_ref().ok(),),
            )?;
            assert!(
                stored
                    .as_ref()
                    .is_some_and(|(n, e)| n.as_bytes() == name.as_bytes() && *e == email),
                "{}",
                bilingual!(
                    "create_user({name:?}, {email:?}) returned {id:?} and stored {stored:?}: \
                     are the values bound with ? instead of pasted into the SQL text?",
                    "create_user({name:?}, {email:?})의 반환값은 {id:?}, 저장된 값은 {stored:?}입니다. \
                     값을 SQL 문자열에 붙여 넣지 않고 ?로 바인딩했나요?"
                )
            );
        }
        let tables = db.table_names();
        assert!(
            tables == ["conversations", "user_tokens", "users"],
            "{}",
            bilingual!(
                "a name dropped a table: {tables:?}",
                "이름 하나가 테이블을 지웠습니다: {tables:?}"
            )
        );
        Ok(())
    }

    #[test]
    fn korean_text_and_four_byte_emoji_are_stored_byte_for_byte() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let mut conn = db.conn();
        let name = "김민수 🦀👩‍💻 ㅋㅋ";
        let email = "민수🦀@예시.한국";

        let id = expect_ok(
            create_user(&mut conn, name, email),
            &format!("create_user({name:?}, {email:?})"),
        );

        let (stored_name, stored_email, chars): (String, String, u64) = conn
            .exec_first(
                "SELECT name, email, CHAR_LENGTH(name) FROM users WHERE id = ?",
                (id,),
            )?
            .unwrap_or_else(|| {
                panic!(
                    "{}",
                    bilingual!(
                        "no row has the id {id} that create_user returned",
                        "id가 {id}인 행이 없습니다(create_user가 반환한 id)"
                    )
                )
            });
        assert!(
            stored_name.as_bytes() == name.as_bytes()
                && stored_email.as_bytes() == email.as_bytes(),
            "{}",
            bilingual!(
                "stored {stored_name:?} <{stored_email:?}>, expected {name:?} <{email:?}>",
                "저장된 값은 {stored_name:?} <{stored_email:?}>이고, 기대한 값은 {name:?} <{email:?}>입니다"
            )
        );
        let expected = name.chars().count();
        assert!(
            chars == expected as u64,
            "{}",
            bilingual!(
                "the server counts {chars} characters, expected {expected}",
                "서버는 {chars}글자로 세는데, 기대한 수는 {expected}글자입니다"
            )
        );
        Ok(())
    }

    #[test]
    fn a_name_of_the_maximum_length_in_four_byte_emoji_is_stored_whole() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let mut conn = db.conn();
        let name = "🦀".repeat(MAX_NAME_CHARS);

        let id = create_user(&mut conn, &name, "crab@example.com");

        let stored: Option<String> = conn.query_first("SELECT name FROM users")?;
        assert!(
            id.is_ok() && stored.as_deref() == Some(name.as_str()),
            "{}",
            bilingual!(
                "100 emoji fit the column (it counts characters, not bytes), but create_user returned {id:?}",
                "이모지 100개는 열에 들어갑니다(열은 바이트가 아니라 글자를 셉니다). 그런데 create_user의 반환값은 {id:?}입니다"
            )
        );
        Ok(())
    }

    #[test]
    fn create_user_works_inside_a_transaction_and_a_rollback_undoes_it() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let mut conn = db.conn();

        let mut tx = conn.start_transaction(TxOpts::default())?;
        expect_ok(
            create_user(&mut tx, "Alice", "alice@example.com"),
            "create_user(\"Alice\", \"alice@example.com\") inside a transaction",
        );
        let inside: usize = tx.query::<u64, _>("SELECT id FROM users")?.len();
        tx.rollback()?;
        let after = all_users(&mut conn)?.len();

        assert!(
            inside == 1 && after == 0,
            "{}",
            bilingual!(
                "inside the transaction {inside} user(s), after the rollback {after}; expected 1 then 0: \
                 does create_user commit by itself?",
                "트랜잭션 안에서 사용자 {inside}명, 롤백 뒤에 {after}명입니다. 기대한 값은 1명, 그다음 0명입니다. \
                 create_user가 스스로 커밋하나요?"
            )
        );
        Ok(())
    }
}

mod step_b {
    use lesson2::{User, get_user_by_email};
    use mysql::TxOpts;
    use mysql::prelude::Queryable;
    use shared::bilingual;
    use shared::testing::{TestDb, expect_ok, insert_user};

    #[test]
    fn get_user_by_email_on_a_lost_connection_is_a_db_error_not_nobody() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        insert_user(&mut db.conn(), "Alice", "alice@example.com")?;
        let mut dead = db.killed_conn()?;

        let found = get_user_by_email(&mut dead, "alice@example.com");

        assert!(
            matches!(found, Err(lesson2::UserError::Db(_))),
            "{}",
            bilingual!(
                "on a closed connection the SELECT fails, which is UserError::Db, got {found:?}: an \
                 error read as Ok(None) tells the caller \"no such user\" when nobody could look",
                "닫힌 커넥션에서는 SELECT가 실패하고, 이는 UserError::Db여야 하는데, 받은 값은 {found:?}입니다. \
                 오류를 Ok(None)으로 읽으면, 아무도 찾아보지 못했는데 호출한 쪽에 \"그런 사용자는 없다\"고 말하게 됩니다"
            )
        );
        Ok(())
    }

    #[test]
    fn wildcards_in_an_email_match_only_themselves() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let mut conn = db.conn();
        insert_user(&mut conn, "Underscore", "a1b@example.com")?;
        insert_user(&mut conn, "Percent", "100-off@example.com")?;

        let underscore = expect_ok(
            get_user_by_email(&mut conn, "a_b@example.com"),
            "get_user_by_email(\"a_b@example.com\")",
        );
        let percent = expect_ok(
            get_user_by_email(&mut conn, "100%@example.com"),
            "get_user_by_email(\"100%@example.com\")",
        );

        assert!(
            underscore.is_none() && percent.is_none(),
            "{}",
            bilingual!(
                "nobody has a_b@example.com or 100%@example.com, but the lookups found {underscore:?} \
                 and {percent:?}: with LIKE, _ and % are wildcards; an email is compared with =",
                "a_b@example.com이나 100%@example.com을 가진 사람은 없는데, 조회 결과는 {underscore:?}, \
                 {percent:?}입니다. LIKE에서 _와 %는 와일드카드입니다. 이메일은 =로 비교합니다"
            )
        );
        Ok(())
    }

    #[test]
    fn get_user_by_email_returns_the_stored_row_as_a_user() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let mut conn = db.conn();
        let insert = "INSERT INTO users (name, email, created_at) VALUES (?, ?, ?)";
        conn.exec_drop(
            insert,
            ("Other", "other@example.com", "2024-01-01 00:00:00"),
        )?;
        conn.exec_drop(
            insert,
            ("이지은", "jieun@example.com", "2024-03-05 06:07:08"),
        )?;
        let id: u64 = conn
            .exec_first(
                "SELECT id FROM users WHERE email = ?",
                ("jieun@example.com",),
            )?
            .expect("inserted above");

        let user = expect_ok(
            get_user_by_email(&mut conn, "jieun@example.com"),
            "get_user_by_email(\"jieun@example.com\")",
        );

        let expected = User {
            id,
            name: "이지은".to_string(),
            email: "jieun@example.com".to_string(),
            created_at: "2024-03-05T06:07:08".parse()?,
        };
        assert!(
            user.as_ref() == Some(&expected),
            "{}",
            bilingual!(
                "expected the stored row {expected:?}, got {user:?}",
                "기대한 것은 저장된 행 {expected:?}인데, 받은 값은 {user:?}입니다"
            )
        );
        Ok(())
    }

    #[test]
    fn get_user_by_email_returns_none_for_an_email_nobody_has() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let mut conn = db.conn();
        insert_user(&mut conn, "Alice", "alice@example.com")?;

        let user = expect_ok(
            get_user_by_email(&mut conn, "nobody@example.com"),
            "get_user_by_email(\"nobody@example.com\")",
        );

        assert!(
            user.is_none(),
            "{}",
            bilingual!(
                "nobody has nobody@example.com, but the lookup found {user:?}",
                "nobody@example.com을 가진 사람은 없는데, 조회 결과는 {user:?}입니다"
            )
        );
        Ok(())
    }

    #[test]
    fn an_email_the_collation_counts_as_the_same_finds_the_stored_user() -> anyhow::Result<()> {
        // The course's rule (see the README): the server's collation decides which emails are equal,
        // and the user keeps the email as first stored.
        let db = TestDb::new()?;
        let mut conn = db.conn();
        let id = insert_user(&mut conn, "Plain", "plain.resume.strasse@example.com")?;

        for same in [
            "PLAIN.Resume.STRASSE@Example.com",
            "plain.résumé.straße@example.com",
            "ｐｌａｉｎ.resume.strasse@ｅｘａｍｐｌｅ.ｃｏｍ",
        ] {
            let found = expect_ok(
                get_user_by_email(&mut conn, same),
                &format!("get_user_by_email({same:?})"),
            );

            assert!(
                found.as_ref().map(|u| (u.id, u.email.as_str()))
                    == Some((id, "plain.resume.strasse@example.com")),
                "{}",
                bilingual!(
                    "{same:?} is the same email for the server, so the lookup should find user {id} \
                     with its stored email, got {found:?}: is the comparison left to WHERE email = ?",
                    "서버가 보기에 {same:?}라는 이메일은 저장된 이메일과 같으므로, 조회는 저장된 이메일 그대로인 사용자(id {id})를 찾아야 하는데, \
                     받은 값은 {found:?}입니다. 비교를 WHERE email = ?에 맡겼나요?"
                )
            );
        }
        Ok(())
    }

    #[test]
    fn an_injection_string_finds_nobody() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let mut conn = db.conn();
        insert_user(&mut conn, "Alice", "alice@example.com")?;
        insert_user(&mut conn, "Bob", "bob@example.com")?;

        let found = get_user_by_email(&mut conn, "' OR '1'='1");

        assert!(
            matches!(found, Ok(None)),
            "{}",
            bilingual!(
                "no email is ' OR '1'='1, so the lookup should be Ok(None), got {found:?}: \
                 is the email bound with ? instead of pasted into the SQL text?",
                "' OR '1'='1인 이메일은 없으므로 조회는 Ok(None)이어야 하는데, 받은 값은 {found:?}입니다. \
                 이메일을 SQL 문자열에 붙여 넣지 않고 ?로 바인딩했나요?"
            )
        );
        Ok(())
    }

    #[test]
    fn an_email_in_korean_with_emoji_is_found_and_read_back_byte_for_byte() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let mut conn = db.conn();
        let (name, email) = ("김민수 🦀👩‍💻", "민수🦀@예시.한국");
        let id = insert_user(&mut conn, name, email)?;

        let found = expect_ok(
            get_user_by_email(&mut conn, email),
            &format!("get_user_by_email({email:?})"),
        );

        assert!(
            found
                .as_ref()
                .is_some_and(|u| u.id == id && u.name == name && u.email == email),
            "{}",
            bilingual!(
                "expected user {id} {name:?} <{email}>, got {found:?}",
                "기대한 것은 사용자 {id} {name:?} <{email}>인데, 받은 값은 {found:?}입니다"
            )
        );
        Ok(())
    }

    #[test]
    fn get_user_by_email_sees_a_user_created_in_the_same_open_transaction() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let mut conn = db.conn();
        let mut tx = conn.start_transaction(TxOpts::default())?;
        let id = insert_user(&mut tx, "Alice", "alice@example.com")?;

        let inside = expect_ok(
            get_user_by_email(&mut tx, "alice@example.com"),
            "get_user_by_email(\"alice@example.com\") inside a transaction",
        );
        tx.rollback()?;

        assert!(
            inside.as_ref().map(|u| u.id) == Some(id),
            "{}",
            bilingual!(
                "inside the transaction that inserted it, the lookup should find user {id}, got {inside:?}",
                "사용자를 넣은 그 트랜잭션 안에서는 조회가 사용자(id {id})를 찾아야 하는데, 받은 값은 {inside:?}입니다"
            )
        );
        Ok(())
    }
}
