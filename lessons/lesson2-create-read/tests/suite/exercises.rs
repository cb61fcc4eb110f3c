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
    use shared::testing::{TestDb, statements_run_by};

    use super::all_users;

    #[test]
    fn create_user_runs_one_statement_the_insert_whose_reply_carries_the_id() -> anyhow::Result<()>
    {
        let db = TestDb::new()?;
        shared::testing::insert_user(&mut db.conn(), "Alice", "alice@example.com")?;

        let (created, run) =
            statements_run_by(&db, |conn| create_user(conn, "Minsu", "minsu@example.com"))?;

        assert!(created.is_ok(), "create_user failed: {created:?}");
        assert!(
            run.len() == 1,
            "create_user ran {} statements, {run:#?}; expected one, the INSERT: its reply already \
             carries the new id (last_insert_id), so a second statement to read the id back, or a \
             look-up before the INSERT to check the email, costs a round trip (and a check first \
             can be overtaken by another connection's INSERT; the unique index decides anyway)",
            run.len()
        );
        Ok(())
    }

    #[test]
    fn create_user_returns_the_new_id_and_stores_the_name_and_email() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let mut conn = db.conn();

        let id = create_user(&mut conn, "김민수", "minsu@example.com")?;

        let rows = all_users(&mut conn)?;
        let stored: Vec<(u64, &str, &str)> = rows.iter().map(|r| (r.0, &*r.1, &*r.2)).collect();
        assert!(
            stored == [(id, "김민수", "minsu@example.com")],
            "after create_user returned id {id}, the table should hold exactly that user, but holds {stored:?}"
        );
        let now: NaiveDateTime = conn.query_first("SELECT NOW()")?.expect("one row");
        let created_at = rows[0].3;
        assert!(
            created_at <= now && now - created_at < chrono::Duration::minutes(5),
            "created_at {created_at} should be the server's time of the INSERT (now {now}): leave it to the column's default"
        );
        Ok(())
    }

    #[test]
    fn create_user_gives_every_user_a_new_id() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let mut conn = db.conn();

        let first = create_user(&mut conn, "Alice", "alice@example.com")?;
        let second = create_user(&mut conn, "Bob", "bob@example.com")?;

        let ids: Vec<u64> = all_users(&mut conn)?.into_iter().map(|row| row.0).collect();
        assert!(
            ids == [first, second],
            "create_user returned ids {first} and {second}, but the stored ids are {ids:?}: \
             is the id read from the INSERT's reply (last_insert_id), not counted some other way?"
        );
        Ok(())
    }

    #[test]
    fn create_user_is_saved_without_a_commit_so_another_connection_sees_it() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let mut writer = db.conn();
        let mut reader = db.conn();

        let id = create_user(&mut writer, "Alice", "alice@example.com")?;

        let seen: Option<u64> = reader.exec_first(
            "SELECT id FROM users WHERE email = ?",
            ("alice@example.com",),
        )?;
        assert!(
            seen == Some(id),
            "another connection finds {seen:?}, expected Some({id}): was a transaction left open around the INSERT?"
        );
        Ok(())
    }

    #[test]
    fn creating_a_user_twice_with_the_same_email_is_email_taken_and_the_first_user_is_unchanged()
    -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let mut conn = db.conn();
        create_user(&mut conn, "Alice", "alice@example.com")?;
        let before = all_users(&mut conn)?;

        let result = create_user(&mut conn, "Mallory", "alice@example.com");

        assert!(
            matches!(&result, Err(UserError::EmailTaken { email }) if email == "alice@example.com"),
            "a second user with the same email should be EmailTaken {{ email: \"alice@example.com\" }}, got {result:?}"
        );
        assert!(
            all_users(&mut conn)? == before,
            "the first user must stay as it was"
        );
        Ok(())
    }

    #[test]
    fn an_email_the_collation_counts_as_the_same_is_email_taken() -> anyhow::Result<()> {
        // The course's rule: the table's collation (utf8mb4_unicode_520_ci) decides which emails
        // are the same: letter case, accents, fullwidth forms and ß = ss do not make a new email.
        let db = TestDb::new()?;
        let mut conn = db.conn();
        create_user(&mut conn, "Plain", "plain.resume.strasse@example.com")?;

        for same in [
            "PLAIN.Resume.STRASSE@example.com",
            "plain.résumé.straße@example.com",
            "ｐｌａｉｎ.resume.strasse@ｅｘａｍｐｌｅ.ｃｏｍ",
        ] {
            let result = create_user(&mut conn, "Twin", same);

            assert!(
                matches!(&result, Err(UserError::EmailTaken { email }) if email == same),
                "{same:?} is the same email as plain.resume.strasse@example.com for the unique key, \
                 so create_user should be EmailTaken {{ email: {same:?} }}, got {result:?}"
            );
        }
        Ok(())
    }

    #[test]
    fn emails_that_differ_only_in_their_emoji_are_different_users() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let mut conn = db.conn();

        let crab = create_user(&mut conn, "Crab", "a🦀@example.com")?;
        let smile = create_user(&mut conn, "Smile", "a😀@example.com");

        assert!(
            matches!(smile, Ok(id) if id != crab),
            "a🦀@ and a😀@ are different emails, so both users should be created, got {smile:?}"
        );
        Ok(())
    }

    #[test]
    fn invalid_input_is_rejected_with_the_field_named_and_nothing_is_stored() -> anyhow::Result<()>
    {
        let db = TestDb::new()?;
        let mut conn = db.conn();
        create_user(&mut conn, "Alice", "alice@example.com")?;
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
                "create_user({name:?}, {email:?}) should be Invalid {{ field: {field:?} }}, got {result:?}: \
                 are validate_name and validate_email both called?"
            );
        }
        assert!(
            all_users(&mut conn)? == before,
            "a refused user must not be stored"
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
            "on a closed connection, an empty name and an empty email should still be Invalid \
             (checked before the INSERT), got {empty_name:?} and {empty_email:?}"
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
            "on a closed connection the INSERT fails, which is UserError::Db, got {result:?}: \
             is every error turned into EmailTaken, instead of only the one is_email_taken recognises?"
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

            let stored: Option<(String, String)> = conn.exec_first(
                "SELECT name, email FROM users WHERE id = ?",
                (id.as_ref().ok(),),
            )?;
            assert!(
                stored
                    .as_ref()
                    .is_some_and(|(n, e)| n.as_bytes() == name.as_bytes() && *e == email),
                "create_user({name:?}, {email:?}) returned {id:?} and stored {stored:?}: \
                 are the values bound with ? instead of pasted into the SQL text?"
            );
        }
        assert!(
            db.table_names() == ["conversations", "users"],
            "a name dropped a table: {:?}",
            db.table_names()
        );
        Ok(())
    }

    #[test]
    fn korean_text_and_four_byte_emoji_are_stored_byte_for_byte() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let mut conn = db.conn();
        let name = "김민수 🦀👩‍💻 ㅋㅋ";
        let email = "민수🦀@예시.한국";

        let id = create_user(&mut conn, name, email)?;

        let (stored_name, stored_email, chars): (String, String, u64) = conn
            .exec_first(
                "SELECT name, email, CHAR_LENGTH(name) FROM users WHERE id = ?",
                (id,),
            )?
            .expect("the row of the returned id");
        assert!(
            stored_name.as_bytes() == name.as_bytes()
                && stored_email.as_bytes() == email.as_bytes(),
            "stored {stored_name:?} <{stored_email:?}>, expected {name:?} <{email:?}>"
        );
        assert!(
            chars == name.chars().count() as u64,
            "the server counts {chars} characters, expected {}",
            name.chars().count()
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
            "100 emoji fit the column (it counts characters, not bytes), but create_user returned {id:?}"
        );
        Ok(())
    }

    #[test]
    fn create_user_works_inside_a_transaction_and_a_rollback_undoes_it() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let mut conn = db.conn();

        let mut tx = conn.start_transaction(TxOpts::default())?;
        create_user(&mut tx, "Alice", "alice@example.com")?;
        let inside: usize = tx.query::<u64, _>("SELECT id FROM users")?.len();
        tx.rollback()?;
        let after = all_users(&mut conn)?.len();

        assert!(
            inside == 1 && after == 0,
            "inside the transaction {inside} user(s), after the rollback {after}; expected 1 then 0: \
             does create_user commit by itself?"
        );
        Ok(())
    }
}

mod step_b {
    use lesson2::{User, get_user_by_email};
    use mysql::TxOpts;
    use mysql::prelude::Queryable;
    use shared::testing::{TestDb, insert_user};

    #[test]
    fn get_user_by_email_on_a_lost_connection_is_a_db_error_not_nobody() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        insert_user(&mut db.conn(), "Alice", "alice@example.com")?;
        let mut dead = db.killed_conn()?;

        let found = get_user_by_email(&mut dead, "alice@example.com");

        assert!(
            matches!(found, Err(lesson2::UserError::Db(_))),
            "on a closed connection the SELECT fails, which is UserError::Db, got {found:?}: an \
             error read as Ok(None) tells the caller \"no such user\" when nobody could look"
        );
        Ok(())
    }

    #[test]
    fn wildcards_in_an_email_match_only_themselves() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let mut conn = db.conn();
        insert_user(&mut conn, "Underscore", "a1b@example.com")?;
        insert_user(&mut conn, "Percent", "100-off@example.com")?;

        let underscore = get_user_by_email(&mut conn, "a_b@example.com")?;
        let percent = get_user_by_email(&mut conn, "100%@example.com")?;

        assert!(
            underscore.is_none() && percent.is_none(),
            "nobody has a_b@example.com or 100%@example.com, but the lookups found {underscore:?} \
             and {percent:?}: with LIKE, _ and % are wildcards; an email is compared with ="
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

        let user = get_user_by_email(&mut conn, "jieun@example.com")?;

        let expected = User {
            id,
            name: "이지은".to_string(),
            email: "jieun@example.com".to_string(),
            created_at: "2024-03-05T06:07:08".parse()?,
        };
        assert!(
            user.as_ref() == Some(&expected),
            "expected the stored row {expected:?}, got {user:?}"
        );
        Ok(())
    }

    #[test]
    fn get_user_by_email_returns_none_for_an_email_nobody_has() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let mut conn = db.conn();
        insert_user(&mut conn, "Alice", "alice@example.com")?;

        let user = get_user_by_email(&mut conn, "nobody@example.com")?;

        assert!(
            user.is_none(),
            "nobody has nobody@example.com, but the lookup found {user:?}"
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
            let found = get_user_by_email(&mut conn, same)?;

            assert!(
                found.as_ref().map(|u| (u.id, u.email.as_str()))
                    == Some((id, "plain.resume.strasse@example.com")),
                "{same:?} is the same email for the server, so the lookup should find user {id} \
                 with its stored email, got {found:?}: is the comparison left to WHERE email = ?"
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
            "no email is ' OR '1'='1, so the lookup should be Ok(None), got {found:?}: \
             is the email bound with ? instead of pasted into the SQL text?"
        );
        Ok(())
    }

    #[test]
    fn an_email_in_korean_with_emoji_is_found_and_read_back_byte_for_byte() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let mut conn = db.conn();
        let (name, email) = ("김민수 🦀👩‍💻", "민수🦀@예시.한국");
        let id = insert_user(&mut conn, name, email)?;

        let found = get_user_by_email(&mut conn, email)?;

        assert!(
            found
                .as_ref()
                .is_some_and(|u| u.id == id && u.name == name && u.email == email),
            "expected user {id} {name:?} <{email}>, got {found:?}"
        );
        Ok(())
    }

    #[test]
    fn get_user_by_email_sees_a_user_created_in_the_same_open_transaction() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let mut conn = db.conn();
        let mut tx = conn.start_transaction(TxOpts::default())?;
        let id = insert_user(&mut tx, "Alice", "alice@example.com")?;

        let inside = get_user_by_email(&mut tx, "alice@example.com")?;
        tx.rollback()?;

        assert!(
            inside.as_ref().map(|u| u.id) == Some(id),
            "inside the transaction that inserted it, the lookup should find user {id}, got {inside:?}"
        );
        Ok(())
    }
}
