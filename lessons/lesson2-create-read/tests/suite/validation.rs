//! The checks and messages that are given (lib.rs), not written by the student.

use lesson2::{
    MAX_EMAIL_CHARS, MAX_NAME_CHARS, UserError, is_email_taken, validate_email, validate_name,
};
use mysql::prelude::Queryable;
use shared::testing::TestDb;

#[test]
fn limits_are_the_column_sizes_of_the_schema() -> anyhow::Result<()> {
    // Asked of the server that loaded docker/schema.sql, so a changed column size fails here.
    let db = TestDb::new()?;

    let sizes: Vec<(String, u64)> = db.conn().query(
        "SELECT COLUMN_NAME, CHARACTER_MAXIMUM_LENGTH FROM information_schema.COLUMNS \
         WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'users' \
         AND COLUMN_NAME IN ('name', 'email') ORDER BY COLUMN_NAME",
    )?;

    assert_eq!(
        sizes,
        vec![
            ("email".to_string(), MAX_EMAIL_CHARS as u64),
            ("name".to_string(), MAX_NAME_CHARS as u64),
        ]
    );
    Ok(())
}

#[test]
fn a_name_up_to_the_limit_in_characters_is_valid_whatever_its_bytes() {
    for one_char in ["a", "가", "🦀"] {
        let name = one_char.repeat(MAX_NAME_CHARS);

        assert!(
            validate_name(&name).is_ok(),
            "a name of {MAX_NAME_CHARS} x {one_char:?} is at the limit and must be valid"
        );
    }
}

#[test]
fn a_name_one_character_over_the_limit_is_invalid_and_says_so() {
    let name = "가".repeat(MAX_NAME_CHARS + 1);

    let err = validate_name(&name).unwrap_err();

    assert!(
        matches!(&err, UserError::Invalid { field: "name", .. }),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("101 characters, at most 100"),
        "{err}"
    );
}

#[test]
fn empty_or_blank_names_and_emails_are_invalid() {
    for blank in ["", " ", "\t\n"] {
        assert!(matches!(
            validate_name(blank),
            Err(UserError::Invalid { field: "name", .. })
        ));
        assert!(matches!(
            validate_email(blank),
            Err(UserError::Invalid { field: "email", .. })
        ));
    }
}

#[test]
fn an_email_with_spaces_around_it_is_invalid() {
    for padded in [
        "alice@example.com ",
        " alice@example.com",
        "alice@example.com\t",
        "alice@example.com\n",
    ] {
        assert!(
            matches!(
                validate_email(padded),
                Err(UserError::Invalid { field: "email", .. })
            ),
            "{padded:?} was accepted"
        );
    }
    assert!(validate_email("alice@example.com").is_ok());
}

#[test]
fn an_email_with_whitespace_or_an_invisible_or_control_character_anywhere_is_invalid() {
    let refused = [
        "\u{3000}alice@example.com",  // ideographic space in front
        "alice@example.com\u{A0}",    // no-break space behind
        "alice@example.com\0",        // NUL
        "ali\0ce@example.com",        // NUL inside
        "a\u{7}lice@example.com",     // bell (Cc)
        "ali\u{200B}ce@example.com",  // zero-width space
        "ali\u{200D}ce@example.com",  // zero-width joiner
        "\u{200E}alice@example.com",  // left-to-right mark
        "alice@\u{202E}moc.elpmaxe",  // right-to-left override
        "\u{FEFF}alice@example.com",  // byte-order mark
        "alice\u{AD}@example.com",    // soft hyphen
        "alice@example.com\u{E0041}", // tag character
    ];

    for email in refused {
        let result = validate_email(email);

        assert!(
            matches!(&result, Err(UserError::Invalid { field: "email", .. })),
            "{email:?} should be Invalid, got {result:?}"
        );
    }
}

#[test]
fn an_invalid_character_is_named_by_its_position_and_code_point() {
    let err = validate_email("ali\u{200B}ce@example.com").unwrap_err();

    assert!(
        err.to_string()
            .contains("character 4 is the invisible or control character U+200B"),
        "the message should say where and which character: {err}"
    );
}

#[test]
fn visible_unicode_in_an_email_is_valid() {
    for email in [
        "민수🦀@예시.한국",
        "résumé@example.com",
        "straße@example.com",
        "a b@example.com",
        "👩\u{FE0F}@example.com",
    ] {
        assert!(validate_email(email).is_ok(), "{email:?} was refused");
    }
}

#[test]
fn an_email_up_to_the_limit_is_valid_and_one_more_is_not() {
    let at_limit = format!(
        "{}@example.com",
        "a".repeat(MAX_EMAIL_CHARS - "@example.com".len())
    );
    let over = format!("a{at_limit}");

    assert_eq!(at_limit.chars().count(), MAX_EMAIL_CHARS);
    assert!(validate_email(&at_limit).is_ok());
    assert!(matches!(
        validate_email(&over),
        Err(UserError::Invalid { field: "email", .. })
    ));
}

#[test]
fn each_error_message_says_what_to_do() {
    let taken = UserError::EmailTaken {
        email: "a@example.com".into(),
    };
    let missing = UserError::NotFound { id: 42 };

    assert!(
        taken
            .to_string()
            .contains("\"a@example.com\" is already registered"),
        "{taken}"
    );
    assert!(taken.to_string().contains("use another email"), "{taken}");
    assert!(
        missing.to_string().contains("no user has id 42"),
        "{missing}"
    );
}

#[test]
fn a_database_error_says_its_own_part_and_leaves_the_cause_to_source() {
    let cause = mysql::Error::DriverError(mysql::DriverError::CouldNotConnect(None));
    let cause_text = cause.to_string();
    let err = UserError::Db(cause);

    let chain = format!("{:?}", anyhow::Error::new(err));

    assert_eq!(
        chain.matches(&cause_text).count(),
        1,
        "the driver's message should appear once in the printed chain:\n{chain}"
    );
    assert!(
        chain.starts_with("the database could not complete the user operation"),
        "{chain}"
    );
}

#[test]
fn only_a_duplicate_on_the_email_key_counts_as_email_taken() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let mut conn = db.conn();
    let insert = "INSERT INTO users (id, name, email) VALUES (?, ?, ?)";
    conn.exec_drop(insert, (1, "A", "a@example.com"))?;

    let same_email = conn
        .exec_drop(insert, (2, "B", "a@example.com"))
        .unwrap_err();
    let same_id = conn
        .exec_drop(insert, (1, "C", "c@example.com"))
        .unwrap_err();
    let syntax = conn.query_drop("SELEC 1").unwrap_err();

    assert!(is_email_taken(&same_email), "{same_email}");
    assert!(
        !is_email_taken(&same_id),
        "a duplicate PRIMARY KEY is not a taken email: {same_id}"
    );
    assert!(!is_email_taken(&syntax), "{syntax}");
    Ok(())
}
