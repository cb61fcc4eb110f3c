//! Checks exercises 3a (per-call `create_user`) and 3b (per-call `get_user_by_email`) against the
//! real server, each test in its own database.
//! Run against your version with `cargo test -p lesson3 --features exercise`.

use std::sync::mpsc;
use std::time::Duration;

use mysql::prelude::Queryable;
use mysql::{Conn, Opts, OptsBuilder};
use shared::bilingual;
use shared::testing::{TestDb, expect_ok};

/// Longer than any correct call takes, even against a server that does not answer.
const WATCHDOG: Duration = Duration::from_secs(30);

/// Runs `call` on a thread of its own and fails the test if it does not return within [`WATCHDOG`].
fn within_watchdog<T: Send + 'static>(what: &str, call: impl FnOnce() -> T + Send + 'static) -> T {
    let (done, result) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(call());
    });
    result
        .recv_timeout(WATCHDOG)
        .unwrap_or_else(|err| match err {
            mpsc::RecvTimeoutError::Timeout => panic!(
                "{}",
                bilingual!(
                    "{what} did not return within {WATCHDOG:?}: does it retry connecting in a loop \
                     instead of returning NaiveError::Connect?",
                    "{what} 호출이 {WATCHDOG:?} 안에 반환되지 않았습니다. NaiveError::Connect를 반환하지 않고 \
                     루프를 돌며 연결을 재시도하고 있나요?"
                )
            ),
            mpsc::RecvTimeoutError::Disconnected => panic!(
                "{}",
                bilingual!(
                    "{what} panicked instead of returning",
                    "{what} 호출이 반환하지 않고 panic했습니다"
                )
            ),
        })
}

/// Options whose every new connection first writes its CONNECTION_ID() into the table `connects`
/// (the `init` commands run once per opened connection), so a test can count connections.
fn recording_opts(db: &TestDb, prefer_socket: bool) -> anyhow::Result<Opts> {
    db.conn()
        .query_drop("CREATE TABLE IF NOT EXISTS connects (id BIGINT UNSIGNED NOT NULL)")?;
    Ok(OptsBuilder::from_opts(db.opts())
        .prefer_socket(prefer_socket)
        .init(vec!["INSERT INTO connects (id) VALUES (CONNECTION_ID())"])
        .into())
}

/// The connection ids recorded since the last call, and forgets them.
fn take_connects(observer: &mut Conn) -> mysql::Result<Vec<u64>> {
    let ids = observer.query("SELECT id FROM connects ORDER BY id")?;
    observer.query_drop("DELETE FROM connects")?;
    Ok(ids)
}

/// Options for a port where nothing listens: a listener is bound to a free port and closed again.
fn unreachable_opts(db: &TestDb) -> anyhow::Result<Opts> {
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    Ok(OptsBuilder::from_opts(db.opts())
        .ip_or_hostname(Some("127.0.0.1"))
        .tcp_port(port)
        .into())
}

/// Asserts that 3 calls of `call` open 3 different connections, over TCP
/// and over the server's socket alike, and leave none open in the test's database. `calls` names
/// them in English, then in Korean.
fn assert_each_call_opens_and_closes_its_own_connection(
    db: &TestDb,
    calls: (&str, &str),
    mut call: impl FnMut(&Opts) -> anyhow::Result<()>,
) -> anyhow::Result<()> {
    let (calls, calls_ko) = calls;
    let watcher = &mut db.conn();
    for prefer_socket in [false, true] {
        let opts = recording_opts(db, prefer_socket)?;
        take_connects(watcher)?;

        for _ in 0..3 {
            call(&opts)?;
        }

        let ids = take_connects(watcher)?;
        let distinct: std::collections::BTreeSet<&u64> = ids.iter().collect();
        assert!(
            ids.len() == 3 && distinct.len() == 3,
            "{}",
            bilingual!(
                "3 {calls} should open 3 different connections (prefer_socket {prefer_socket}), \
                 the server saw {ids:?}: is a connection opened in each call, with the opts given?",
                "{calls_ko} 3번은 서로 다른 커넥션 3개를 열어야 하는데(prefer_socket {prefer_socket}), \
                 서버가 본 것은 {ids:?}입니다. 호출마다 주어진 opts로 커넥션을 열었나요?"
            )
        );
    }
    // The server lets go of a closed connection a moment after the client's COM_QUIT.
    let left_open = db.wait_for_sessions(watcher, |ids| ids.is_empty());
    assert!(
        left_open.is_empty(),
        "{}",
        bilingual!(
            "after 3 {calls}, the server still lists connection(s) {left_open:?}: \
             is a Conn kept (in a static, a struct, a leaked value) instead of dropped when the call returns?",
            "{calls_ko} 3번이 끝난 뒤에도 서버 목록에 커넥션이 남아 있습니다: {left_open:?}. \
             호출이 반환될 때 Conn을 drop하지 않고 어딘가에(static, 구조체, 누수된 값) 붙잡아 두지 않았나요?"
        )
    );
    Ok(())
}

fn all_users(conn: &mut Conn) -> mysql::Result<Vec<(u64, String, String)>> {
    conn.query("SELECT id, name, email FROM users ORDER BY id")
}

mod step_a {
    use lesson2::UserError;
    use lesson3::{NaiveError, create_user};

    use super::*;

    #[test]
    fn create_user_stores_the_user_and_returns_its_id() -> anyhow::Result<()> {
        let db = TestDb::new()?;

        let id = expect_ok(
            create_user(&db.opts(), "박서준", "seojun@example.com"),
            "create_user(\"박서준\", \"seojun@example.com\")",
        );

        let stored = all_users(&mut db.conn())?;
        assert!(
            stored == [(id, "박서준".to_string(), "seojun@example.com".to_string())],
            "{}",
            bilingual!(
                "create_user returned id {id}, the table holds {stored:?}",
                "create_user가 반환한 id는 {id}인데, 테이블의 내용은 {stored:?}입니다"
            )
        );
        Ok(())
    }

    #[test]
    fn every_create_user_opens_a_connection_of_its_own_and_closes_it() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let mut n = 0;

        assert_each_call_opens_and_closes_its_own_connection(
            &db,
            ("calls of create_user", "create_user 호출"),
            |opts| {
                n += 1;
                let email = format!("caller{n}@example.com");
                expect_ok(
                    create_user(opts, "Caller", &email),
                    &format!("create_user(\"Caller\", {email:?})"),
                );
                Ok(())
            },
        )
    }

    #[test]
    fn invalid_input_is_rejected_without_opening_a_connection() -> anyhow::Result<()> {
        // With no server to reach, only a check made before connecting can answer Invalid.
        let db = TestDb::new()?;
        let opts = unreachable_opts(&db)?;

        let empty_name = within_watchdog("create_user", move || {
            create_user(&opts, "", "new@example.com")
        });

        assert!(
            matches!(
                empty_name,
                Err(NaiveError::User(UserError::Invalid { field: "name", .. }))
            ),
            "{}",
            bilingual!(
                "an empty name should be Invalid even when no server answers (check before connecting), \
                 got {empty_name:?}",
                "대답하는 서버가 없어도 빈 이름은 Invalid여야 하는데(연결하기 전에 검사), \
                 받은 값은 {empty_name:?}입니다"
            )
        );
        let opts = unreachable_opts(&db)?;
        let long_email = "a".repeat(lesson2::MAX_EMAIL_CHARS + 1);
        let result = within_watchdog("create_user", move || {
            create_user(&opts, "New", &long_email)
        });
        assert!(
            matches!(
                result,
                Err(NaiveError::User(UserError::Invalid { field: "email", .. }))
            ),
            "{}",
            bilingual!(
                "a too long email should be Invalid before connecting, got {result:?}",
                "너무 긴 이메일은 연결하기 전에 Invalid여야 하는데, 받은 값은 {result:?}입니다"
            )
        );
        Ok(())
    }

    #[test]
    fn a_server_that_cannot_be_reached_is_a_connect_error() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let opts = unreachable_opts(&db)?;

        let created = within_watchdog("create_user", move || {
            create_user(&opts, "Nobody", "nobody@example.com")
        });

        assert!(
            matches!(created, Err(NaiveError::Connect(_))),
            "{}",
            bilingual!(
                "with nothing listening, the connection cannot open: expected NaiveError::Connect, \
                 got {created:?}: is the connect error wrapped in its own variant, not as a UserError?",
                "기다리는 서버가 없으니 커넥션을 열 수 없습니다. NaiveError::Connect를 기대했는데 \
                 받은 값은 {created:?}입니다. 연결 오류를 UserError가 아니라 그 오류만을 위한 배리언트로 감쌌나요?"
            )
        );
        Ok(())
    }

    #[test]
    fn a_taken_email_is_email_taken_and_the_stored_user_is_unchanged() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        expect_ok(
            create_user(&db.opts(), "First", "same@example.com"),
            "create_user(\"First\", \"same@example.com\")",
        );
        let before = all_users(&mut db.conn())?;

        let second = create_user(&db.opts(), "Second", "same@example.com");

        assert!(
            matches!(&second, Err(NaiveError::User(UserError::EmailTaken { email })) if email == "same@example.com"),
            "{}",
            bilingual!(
                "the same email again should be NaiveError::User(EmailTaken), got {second:?}",
                "같은 이메일을 다시 쓰면 NaiveError::User(EmailTaken)이어야 하는데, 받은 값은 {second:?}입니다"
            )
        );
        assert!(
            all_users(&mut db.conn())? == before,
            "{}",
            bilingual!(
                "the first user must stay as it was",
                "첫 사용자는 그대로 남아 있어야 합니다"
            )
        );
        Ok(())
    }

    #[test]
    fn quotes_sql_korean_and_emoji_are_stored_literally() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let texts = [
            "'; DROP TABLE users; --",
            "back\\slash \\' \"quotes\"",
            "nul\0byte",
            "김민수 🦀👩‍💻",
        ];

        for (i, text) in texts.iter().enumerate() {
            // The text goes in the name: an email may hold no NUL or zero-width joiner (lesson 2's rule).
            let email = format!("user{i}🦀@예시.한국");
            let id = expect_ok(
                create_user(&db.opts(), text, &email),
                &format!("create_user({text:?}, {email:?})"),
            );

            let stored: Option<(String, String)> = db
                .conn()
                .exec_first("SELECT name, email FROM users WHERE id = ?", (id,))?;
            assert!(
                stored
                    .as_ref()
                    .is_some_and(|(n, e)| n.as_bytes() == text.as_bytes() && *e == email),
                "{}",
                bilingual!(
                    "create_user({text:?}, {email:?}) stored {stored:?}: \
                     are the values handed to lesson 2's create_user as they came?",
                    "create_user({text:?}, {email:?})가 저장한 값은 {stored:?}입니다. \
                     값을 받은 그대로 레슨 2의 create_user에 넘겼나요?"
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
}

mod step_b {
    use lesson3::{NaiveError, get_user_by_email};
    use shared::testing::insert_user;

    use super::*;

    #[test]
    fn get_user_by_email_finds_the_stored_user_and_none_for_a_stranger() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let id = insert_user(&mut db.conn(), "박서준", "seojun@example.com")?;

        let found = expect_ok(
            get_user_by_email(&db.opts(), "seojun@example.com"),
            "get_user_by_email(\"seojun@example.com\")",
        );
        let stranger = expect_ok(
            get_user_by_email(&db.opts(), "nobody@example.com"),
            "get_user_by_email(\"nobody@example.com\")",
        );

        assert!(
            found
                .as_ref()
                .is_some_and(|u| u.id == id && u.name == "박서준"),
            "{}",
            bilingual!(
                "expected user {id} 박서준, found {found:?}",
                "기대한 것은 사용자 {id} 박서준인데, 찾은 값은 {found:?}입니다"
            )
        );
        assert!(
            stranger.is_none(),
            "{}",
            bilingual!(
                "nobody has nobody@example.com, found {stranger:?}",
                "nobody@example.com을 가진 사람은 없는데, 찾은 값은 {stranger:?}입니다"
            )
        );
        Ok(())
    }

    #[test]
    fn every_lookup_opens_a_connection_of_its_own_and_closes_it() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        insert_user(&mut db.conn(), "Caller", "caller@example.com")?;

        assert_each_call_opens_and_closes_its_own_connection(&db, ("lookups", "조회"), |opts| {
            expect_ok(
                get_user_by_email(opts, "caller@example.com"),
                "get_user_by_email(\"caller@example.com\")",
            );
            Ok(())
        })
    }

    #[test]
    fn a_server_that_cannot_be_reached_is_a_connect_error() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let opts = unreachable_opts(&db)?;

        let found = within_watchdog("get_user_by_email", move || {
            get_user_by_email(&opts, "nobody@example.com")
        });

        assert!(
            matches!(found, Err(NaiveError::Connect(_))),
            "{}",
            bilingual!(
                "with nothing listening, expected NaiveError::Connect, got {found:?}",
                "기다리는 서버가 없으면 NaiveError::Connect여야 하는데, 받은 값은 {found:?}입니다"
            )
        );
        Ok(())
    }
}
