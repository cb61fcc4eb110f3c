//! The GTID functions of `lesson10::gtid` on the server at hand: MariaDB by default, MySQL 9.7 with
//! `DB_PORT=3307`. The primary alone is enough here; the replica's side is in `read_your_writes`.

use std::time::Duration;

use lesson10::Gtid;
use lesson10::gtid::{self, Flavor};
use mysql::prelude::Queryable;
use shared::bilingual;
use shared::testing::{CommandLog, TestDb, insert_user};

use crate::common::primary_with_gtids;

#[test]
fn a_committed_write_reports_its_gtid_in_its_own_reply_at_no_extra_round_trip() -> anyhow::Result<()>
{
    let Some(db) = primary_with_gtids()? else {
        return Ok(());
    };
    let log = CommandLog::start(&db);
    let (mut conn, flavor) = gtid::prepare_primary(log.opts_builder(&db))?;
    log.take();

    insert_user(&mut conn, "minji", "minji@example.com")?;
    let first = gtid::last_write(&mut conn, flavor)?;
    insert_user(&mut conn, "jun", "jun@example.com")?;
    let second = gtid::last_write(&mut conn, flavor)?;

    let sent = log.take();
    assert!(
        sent.iter().all(|command| command.kind != "QUERY"),
        "{}",
        bilingual!(
            "reading the GTIDs sent {sent:#?}; expected the two INSERTs only: the OK packet carries the GTID",
            "GTID를 읽으면서 보낸 명령은 {sent:#?}입니다. 기대한 것은 INSERT 두 개뿐입니다. GTID는 OK 패킷에 실려 옵니다"
        )
    );
    let (Some(first), Some(second)) = (&first, &second) else {
        anyhow::bail!(
            "{flavor} reported no GTID for a committed write: is its binary log on? ({first:?}, {second:?})"
        );
    };
    assert!(first != second, "two transactions, one GTID: {first}");
    Ok(())
}

#[test]
fn without_tracking_the_gtid_is_asked_for_in_one_more_round_trip() -> anyhow::Result<()> {
    let Some(db) = primary_with_gtids()? else {
        return Ok(());
    };
    let log = CommandLog::start(&db);
    let mut conn = mysql::Conn::new(log.opts_builder(&db))?;
    let flavor = Flavor::detect(&mut conn)?;
    log.take();

    insert_user(&mut conn, "minji", "minji@example.com")?;
    let gtid = gtid::last_write(&mut conn, flavor)?;

    let sent = log.take();
    let queries: Vec<&str> = sent
        .iter()
        .filter(|command| command.kind == "QUERY")
        .map(|command| command.sql.as_str())
        .collect();
    assert!(
        queries.len() == 1,
        "expected one SELECT for the GTID, sent {sent:#?}"
    );
    assert!(
        gtid.is_some(),
        "{flavor} gave no GTID when asked: is its binary log on?"
    );
    Ok(())
}

#[test]
fn the_primary_has_executed_its_own_write_at_once() -> anyhow::Result<()> {
    let Some(db) = primary_with_gtids()? else {
        return Ok(());
    };
    let (mut conn, flavor) = gtid::prepare_primary(db.config().opts_builder())?;
    insert_user(&mut conn, "minji", "minji@example.com")?;
    let gtid = gtid::last_write(&mut conn, flavor)?
        .ok_or_else(|| anyhow::anyhow!("no GTID: is the binary log on?"))?;

    // The primary's own executed set: MariaDB's binary log position, MySQL's gtid_executed.
    let contains: Option<i64> = match flavor {
        Flavor::MariaDb => conn.exec_first(
            "SELECT FIND_IN_SET(?, @@GLOBAL.gtid_binlog_pos) > 0",
            (gtid.as_str(),),
        )?,
        Flavor::MySql => conn.exec_first(
            "SELECT GTID_SUBSET(?, @@GLOBAL.gtid_executed)",
            (gtid.as_str(),),
        )?,
    };
    assert!(
        contains == Some(1),
        "the primary's executed set lacks its own write {gtid}"
    );
    Ok(())
}

#[test]
fn a_wait_for_a_gtid_that_never_comes_ends_at_its_deadline_with_no() -> anyhow::Result<()> {
    let db = TestDb::new()?;
    let mut conn = db.conn();
    let flavor = Flavor::detect(&mut conn)?;
    let never = match flavor {
        Flavor::MariaDb => Gtid::new("0-1-4000000000"),
        Flavor::MySql => {
            let uuid: String = conn
                .query_first("SELECT @@server_uuid")?
                .unwrap_or_default();
            Gtid::new(format!("{uuid}:4000000000"))
        }
    };

    let reached = gtid::wait_for(&mut conn, flavor, &never, Duration::from_millis(100))?;
    let now = gtid::wait_for(&mut conn, flavor, &never, Duration::ZERO)?;

    assert!(
        !reached && !now,
        "a GTID that never comes was reported applied ({reached}, {now})"
    );
    Ok(())
}

#[test]
fn a_pools_connections_made_from_tracking_opts_report_their_writes_gtids() -> anyhow::Result<()> {
    let Some(db) = primary_with_gtids()? else {
        return Ok(());
    };
    let log = CommandLog::start(&db);
    let (opts, flavor) = gtid::tracking_opts(log.opts_builder(&db))?;
    // As a pool opens its connections: the options alone, nothing run by hand afterwards.
    let mut conn = mysql::Conn::new(opts)?;
    log.take();

    insert_user(&mut conn, "minji", "minji@example.com")?;
    let gtid = gtid::last_write(&mut conn, flavor)?;

    let sent = log.take();
    assert!(
        gtid.is_some(),
        "{flavor}: no GTID from a connection made from tracking_opts"
    );
    assert!(
        sent.iter().all(|command| command.kind != "QUERY"),
        "reading the GTID sent {sent:#?}; expected the INSERT only"
    );
    Ok(())
}
