//! What the test modules of this lesson share.

use lesson10::Flavor;
use mysql::prelude::Queryable;
use shared::testing::TestDb;

/// A test database on a primary that numbers its transactions with GTIDs, or `None` after a
/// SKIPPED line when the server does not (a server started before the course turned its binary
/// log on: `cargo run -p db -- up --replica` restarts it with one). With `CI=true`, a failure instead.
pub fn primary_with_gtids() -> anyhow::Result<Option<TestDb>> {
    let db = TestDb::new()?;
    let mut conn = db.conn();
    let flavor = Flavor::detect(&mut conn)?;
    let on: Option<i64> = match flavor {
        Flavor::MariaDb => conn.query_first("SELECT @@GLOBAL.log_bin")?,
        Flavor::MySql => conn.query_first("SELECT @@GLOBAL.gtid_mode = 'ON'")?,
    };
    if on == Some(1) {
        return Ok(Some(db));
    }
    let why = format!(
        "the {flavor} server at {} writes no GTIDs (binary log off, or gtid_mode OFF): run \
         `cargo run -p db -- up --replica`, which turns them on",
        db.config().address()
    );
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "CI=true: {why}"
    );
    eprintln!("\n!!!!! SKIPPED: {why} !!!!!\n");
    Ok(None)
}
