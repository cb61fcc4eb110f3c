//! Checks exercise 1a (`select_one`) against the real server, each test in its own database, and
//! against a stand-in server that records what it was asked.
//! Run against your version with `cargo test -p lesson1 --features exercise`.

use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::stand_in::{self, StandIn};
use mysql::prelude::Queryable;
use shared::testing::TestDb;
use shared::{Config, bilingual};

/// Runs `select_one`, turning a panic into a failure that says what the test was checking
/// (`situation`: in English, then in Korean).
fn select_one_without_panic(
    config: &Config,
    situation: (&str, &str),
) -> Result<lesson1::Reply, shared::Error> {
    let (en, ko) = situation;
    catch_unwind(AssertUnwindSafe(|| lesson1::select_one(config))).unwrap_or_else(|_| {
        panic!(
            "{}",
            bilingual!(
                "select_one panicked {en}; it should return a Reply or an Err, never panic",
                "select_one이 {ko} panic했습니다. Reply나 Err를 반환해야 하며, panic하면 안 됩니다"
            )
        )
    })
}

/// `select_one` on a server that works: an `Err` fails the test with what it was.
fn select_one_on_a_working_server(config: &Config) -> lesson1::Reply {
    lesson1::select_one(config).unwrap_or_else(|err| {
        panic!(
            "{}",
            bilingual!(
                "select_one returned an error on a server that works: {err}",
                "select_one이 잘 동작하는 서버에서 오류를 반환했습니다: {err}"
            )
        )
    })
}

/// Whether `sql` is `SELECT 1` (any case, spacing, trailing `;` or alias).
fn is_select_1(sql: &str) -> bool {
    let words: Vec<String> = sql
        .trim_end_matches([';', ' '])
        .split_whitespace()
        .map(str::to_uppercase)
        .collect();
    words.len() >= 2 && words[0] == "SELECT" && words[1] == "1"
}

#[test]
fn select_one_returns_the_row_of_select_1() -> anyhow::Result<()> {
    let db = TestDb::new()?;

    let reply = select_one_on_a_working_server(db.config());

    assert!(
        reply.one == 1,
        "{}",
        bilingual!(
            "SELECT 1 returns 1, but Reply.one is {}",
            "SELECT 1은 1을 돌려주는데, Reply.one은 {}입니다",
            reply.one
        )
    );
    Ok(())
}

#[test]
fn select_one_reads_every_value_from_the_server_instead_of_writing_it_itself() -> anyhow::Result<()>
{
    let server = StandIn::start()?;
    let config = Config::from_lookup(|key| match key {
        "DB_HOST" => Some("127.0.0.1".into()),
        "DB_PORT" => Some(server.port().to_string()),
        "DB_NAME" => Some(stand_in::DATABASE.into()),
        "DB_SSL_MODE" => Some("disabled".into()),
        _ => None,
    })?;

    let reply = select_one_without_panic(
        &config,
        (
            "talking to the stand-in server",
            "대역 서버와 이야기하다가",
        ),
    )
    .unwrap_or_else(|err| {
        panic!(
            "{}",
            bilingual!(
                "select_one returned an error on the stand-in server, which answers every query: {err}",
                "select_one이 모든 쿼리에 대답하는 대역 서버에서 오류를 반환했습니다: {err}"
            )
        )
    });

    let queries = server.queries();
    assert!(
        queries.iter().any(|sql| is_select_1(sql)),
        "{}",
        bilingual!(
            "select_one never sent SELECT 1 to the server (it sent {queries:?}): \
             was the row written in the code (one: 1) instead of read from the server's answer?",
            "select_one이 서버에 SELECT 1을 한 번도 보내지 않았습니다(보낸 쿼리: {queries:?}). \
             행을 서버의 대답에서 읽지 않고 코드에 적어 넣지(one: 1) 않았나요?"
        )
    );
    let (version, account) = (stand_in::VERSION, stand_in::ACCOUNT);
    let (their_version, their_user) = (&reply.server_version, &reply.user);
    assert!(
        reply.server_version == stand_in::VERSION && reply.user == stand_in::ACCOUNT,
        "{}",
        bilingual!(
            "this server answers VERSION() = {version:?} and CURRENT_USER() = {account:?}, \
             but the Reply says {their_version:?} and {their_user:?}: \
             are these values written in the code, taken from the config, or read from the wrong column?",
            "이 서버는 VERSION() = {version:?}, CURRENT_USER() = {account:?}라고 대답하는데, \
             Reply의 값은 {their_version:?}, {their_user:?}입니다. \
             이 값들을 코드에 적어 넣었거나, 설정에서 가져왔거나, 다른 열에서 읽지 않았나요?"
        )
    );
    let database = stand_in::DATABASE;
    assert!(
        reply.database.as_deref() == Some(database),
        "{}",
        bilingual!(
            "this server answers DATABASE() = {database:?}, but the Reply says {:?}",
            "이 서버는 DATABASE() = {database:?}라고 대답하는데, Reply의 값은 {:?}입니다",
            reply.database
        )
    );
    Ok(())
}

#[test]
fn select_one_arrives_as_the_configured_user_in_the_configured_database() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    // What the same server says on a connection of the test's own, so the check holds on MariaDB
    // and MySQL alike (`tester@%` on both, but the versions differ).
    let (version, account): (String, String) = db
        .conn()
        .query_first("SELECT VERSION(), CURRENT_USER()")?
        .expect("a SELECT without FROM returns one row");

    let reply = select_one_on_a_working_server(db.config());

    assert!(
        reply.database.as_deref() == Some(db.name()),
        "{}",
        bilingual!(
            "connected with database {:?}, but DATABASE() read as {:?}",
            "연결한 데이터베이스는 {:?}인데, DATABASE()를 읽은 값은 {:?}입니다",
            db.name(),
            reply.database
        )
    );
    assert!(
        reply.user == account,
        "{}",
        bilingual!(
            "the server calls this account {account:?} (CURRENT_USER()), but Reply.user is {:?}",
            "서버는 이 계정을 {account:?}(CURRENT_USER())라고 부르는데, Reply.user는 {:?}입니다",
            reply.user
        )
    );
    assert!(
        reply.server_version == version,
        "{}",
        bilingual!(
            "the server's VERSION() is {version:?}, but Reply.server_version is {:?}: \
             is it read from VERSION(), or put together from something else?",
            "서버의 VERSION()은 {version:?}인데, Reply.server_version은 {:?}입니다. \
             VERSION()에서 읽었나요, 아니면 다른 무언가로 만들어 냈나요?",
            reply.server_version
        )
    );
    Ok(())
}

#[test]
fn select_one_without_a_default_database_reports_none_instead_of_failing() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let no_database = db.config().with_database("");

    let reply = select_one_without_panic(
        &no_database,
        (
            "on a connection without a default database (DATABASE() is NULL: is it read as Option<String>?)",
            "기본 데이터베이스가 없는 커넥션에서(DATABASE()가 NULL입니다. Option<String>으로 읽었나요?)",
        ),
    )
    .unwrap_or_else(|err| {
        panic!(
            "{}",
            bilingual!(
                "with no default database select_one returned an error, {err}: \
                 DATABASE() is then NULL, which is database: None, not a failure",
                "기본 데이터베이스가 없을 때 select_one이 오류를 반환했습니다: {err}. \
                 이때 DATABASE()는 NULL이고, 이는 실패가 아니라 database: None입니다"
            )
        )
    });

    assert!(
        reply.database.is_none(),
        "{}",
        bilingual!(
            "with no default database, DATABASE() is NULL, so Reply.database should be None, not {:?}",
            "기본 데이터베이스가 없으면 DATABASE()는 NULL이므로, Reply.database는 None이어야 합니다(지금은 {:?})",
            reply.database
        )
    );
    Ok(())
}

#[test]
fn select_one_reports_a_wrong_password_without_showing_it() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let mut config = db.config().clone();
    config.password = "not-the-password-4711".into();

    let result = select_one_without_panic(&config, ("on a wrong password", "틀린 비밀번호로"));

    let err = match result {
        Err(err) => err,
        Ok(reply) => panic!(
            "{}",
            bilingual!(
                "a wrong password should be an Err, but select_one returned {reply:?}",
                "틀린 비밀번호는 Err여야 하는데, select_one의 반환값은 {reply:?}입니다"
            )
        ),
    };
    assert!(
        matches!(err, shared::Error::AccessDenied { .. }),
        "{}",
        bilingual!(
            "a wrong password should be shared::Error::AccessDenied (what shared::connect returns), got {err:?}",
            "틀린 비밀번호는 shared::Error::AccessDenied(shared::connect가 반환하는 오류)여야 하는데, 받은 값은 {err:?}입니다"
        )
    );
    assert!(
        !format!("{err} {err:?}").contains("not-the-password-4711"),
        "{}",
        bilingual!(
            "the error shows the password: {err}",
            "오류가 비밀번호를 보여 줍니다: {err}"
        )
    );
    Ok(())
}

#[test]
fn select_one_reports_an_unreachable_server_as_an_error() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    // A port where nothing listens: bound to a free port and closed again.
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    let mut config = db.config().clone();
    (config.host, config.port) = ("127.0.0.1".into(), port);

    let result = select_one_without_panic(
        &config,
        ("when no server answers", "대답하는 서버가 없을 때"),
    );

    assert!(
        matches!(result, Err(shared::Error::Unreachable { .. })),
        "{}",
        bilingual!(
            "with no server at 127.0.0.1:{port}, select_one should return shared::Error::Unreachable, got {result:?}",
            "127.0.0.1:{port}에 서버가 없으면 select_one은 shared::Error::Unreachable을 반환해야 하는데, 받은 값은 {result:?}입니다"
        )
    );
    Ok(())
}

#[test]
fn select_one_closes_its_connection_when_it_returns() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let mut watcher = db.conn();

    select_one_on_a_working_server(db.config());

    // The server lets go of a closed connection a moment after the client's COM_QUIT.
    let left_open = db.wait_for_sessions(&mut watcher, |ids| ids.is_empty());
    assert!(
        left_open.is_empty(),
        "{}",
        bilingual!(
            "after select_one returned, the server still lists its connection(s) {left_open:?}: \
             is the Conn kept somewhere (a static, a leaked Box, mem::forget) instead of dropped?",
            "select_one이 반환된 뒤에도 서버 목록에 그 커넥션이 남아 있습니다: {left_open:?}. \
             Conn을 drop하지 않고 어딘가에(static, 누수된 Box, mem::forget) 붙잡아 두지 않았나요?"
        )
    );
    Ok(())
}
