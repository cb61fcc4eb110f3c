//! GTIDs on both servers, behind one set of functions.
//!
//! Every transaction a primary commits gets a global transaction id (GTID), and a replica applies
//! them in order, so "has the replica applied my write?" is "is my write's GTID in what the replica
//! has executed?". MariaDB and MySQL both work this way, but spell everything differently:
//!
//! | | MariaDB 10.11 | MySQL 9.7 |
//! |---|---|---|
//! | a GTID | `0-1-42` (domain, server, sequence) | `3e11fa47-…:42` (server uuid, sequence) |
//! | my last write's GTID, in the OK packet | `session_track_system_variables = 'last_gtid'` | `session_track_gtids = OWN_GTID` |
//! | the same, asked for | `SELECT @@last_gtid` (one more round trip) | none: `@@gtid_executed` is the whole server's set |
//! | has the replica applied it? | `MASTER_GTID_WAIT(gtid, 0) = 0` (against `@@gtid_slave_pos`) | `GTID_SUBSET(gtid, @@GLOBAL.gtid_executed)` |
//! | wait for it, with a deadline | `MASTER_GTID_WAIT(gtid, seconds)`: 0, or -1 on timeout | `WAIT_FOR_EXECUTED_GTID_SET(gtid, seconds)`: 0, or 1 on timeout |
//! | is the replica replicating? | `SHOW REPLICA STATUS`: `Slave_IO_Running`, `Slave_SQL_Running` | `SHOW REPLICA STATUS`: `Replica_IO_Running`, `Replica_SQL_Running` |
//!
//! The OK packet is the server's reply to every statement that returns no rows; with the client's
//! `CLIENT_SESSION_TRACK` capability and the tracker switched on, the server adds the GTID of the
//! transaction that statement committed. So a write's GTID costs no extra round trip:
//! [`prepare_primary`] switches tracking on once per connection, and [`last_write`] reads the GTID
//! from the reply the write already got.

use std::time::Duration;

use mysql::consts::{CapabilityFlags, SessionStateType};
use mysql::prelude::Queryable;
use mysql::session_state_change::SessionStateChange;
use mysql::{Conn, OptsBuilder};

/// Which server dialect a connection speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    /// MariaDB (the course's local server, 10.11).
    MariaDb,
    /// Oracle MySQL (9.7, the Docker image and CI's second server).
    MySql,
}

impl Flavor {
    /// Asks the server which one it is (one round trip).
    pub fn detect(conn: &mut impl Queryable) -> mysql::Result<Flavor> {
        let version: Option<String> = conn.query_first("SELECT VERSION()")?;
        Ok(match version {
            Some(version) if version.contains("MariaDB") => Flavor::MariaDb,
            _ => Flavor::MySql,
        })
    }

    /// The statement that makes the server put a committed write's GTID into its OK packet.
    /// For a pool: [`tracking_opts`].
    pub fn tracking_statement(self) -> &'static str {
        match self {
            // last_gtid: the GTID of the session's last committed transaction.
            Flavor::MariaDb => "SET SESSION session_track_system_variables = 'last_gtid'",
            // OWN_GTID: the GTIDs that this session's transaction committed, and only those.
            Flavor::MySql => "SET SESSION session_track_gtids = OWN_GTID",
        }
    }
}

impl std::fmt::Display for Flavor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Flavor::MariaDb => "MariaDB",
            Flavor::MySql => "MySQL",
        })
    }
}

/// A GTID, or a set of them, as the server spells it (`0-1-42` on MariaDB, `uuid:42` on MySQL).
/// Only the server that made it reads it: the course never compares two GTIDs in Rust.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Gtid(String);

impl Gtid {
    /// A GTID as text, for example one read from the server.
    pub fn new(text: impl Into<String>) -> Gtid {
        Gtid(text.into())
    }

    /// The text, as the server wrote it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Gtid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Options that ask the server for session tracking, the capability that lets an OK packet carry
/// a GTID. Without it the tracker's `SET` is accepted, but the replies carry nothing.
pub fn track_gtids(builder: OptsBuilder) -> OptsBuilder {
    builder.additional_capabilities(CapabilityFlags::CLIENT_SESSION_TRACK)
}

/// Options for a pool whose every connection reports its writes' GTIDs: session tracking asked for
/// at login, and the tracker's `SET` run by the driver on each new connection (`init`). Connects
/// once first, to learn which server it is (the `SET` differs).
pub fn tracking_opts(builder: OptsBuilder) -> mysql::Result<(OptsBuilder, Flavor)> {
    let flavor = Flavor::detect(&mut Conn::new(builder.clone())?)?;
    Ok((
        track_gtids(builder).init(vec![flavor.tracking_statement()]),
        flavor,
    ))
}

/// Opens a connection to the primary whose writes report their GTID: session tracking asked for
/// ([`track_gtids`]) and switched on. Two round trips after the login, once per connection.
pub fn prepare_primary(builder: OptsBuilder) -> mysql::Result<(Conn, Flavor)> {
    let mut conn = Conn::new(track_gtids(builder))?;
    let flavor = Flavor::detect(&mut conn)?;
    conn.query_drop(flavor.tracking_statement())?;
    Ok((conn, flavor))
}

/// The GTID of the transaction that `conn`'s last statement committed, read from that statement's
/// OK packet: no round trip. `None` when that reply carried none (the statement committed nothing,
/// tracking is off, or the server writes no binary log).
pub fn tracked_gtid(conn: &Conn) -> Option<Gtid> {
    let changes = conn.session_state_changes().ok()?;
    changes.iter().find_map(|info| match info.data_type() {
        // MySQL: one byte (the encoding, 0), then the GTID set as a length-encoded string.
        SessionStateType::SESSION_TRACK_GTIDS => {
            let text = length_encoded(info.data_ref().get(1..)?)?;
            (!text.is_empty()).then(|| Gtid::new(text))
        }
        // MariaDB: a tracked system variable, name and value.
        SessionStateType::SESSION_TRACK_SYSTEM_VARIABLES => match info.decode().ok()? {
            SessionStateChange::SystemVariables(vars) => vars
                .iter()
                .find(|var| var.name_str() == "last_gtid")
                .map(|var| var.value_str().into_owned())
                .filter(|text| !text.is_empty())
                .map(Gtid::new),
            _ => None,
        },
        _ => None,
    })
}

/// The GTID of `conn`'s last write: from its OK packet when the connection tracks GTIDs
/// ([`prepare_primary`]), else asked for. The fallback costs a round trip, and on MySQL it returns
/// the whole server's executed set, everyone's writes and not only this session's: waiting for it
/// is still correct, only longer.
pub fn last_write(conn: &mut Conn, flavor: Flavor) -> mysql::Result<Option<Gtid>> {
    if let Some(gtid) = tracked_gtid(conn) {
        return Ok(Some(gtid));
    }
    let asked: Option<String> = match flavor {
        Flavor::MariaDb => conn.query_first("SELECT @@last_gtid")?,
        Flavor::MySql => conn.query_first("SELECT @@GLOBAL.gtid_executed")?,
    };
    Ok(asked.filter(|text| !text.is_empty()).map(Gtid::new))
}

/// Whether the replica behind `replica` has applied every transaction of `gtid` already: one
/// round trip, no waiting.
pub fn has_applied(
    replica: &mut impl Queryable,
    flavor: Flavor,
    gtid: &Gtid,
) -> mysql::Result<bool> {
    let reached: Option<i64> = match flavor {
        // A timeout of 0 answers at once: 0 if reached, -1 if not.
        Flavor::MariaDb => {
            replica.exec_first("SELECT MASTER_GTID_WAIT(?, 0) = 0", (gtid.as_str(),))?
        }
        Flavor::MySql => replica.exec_first(
            "SELECT GTID_SUBSET(?, @@GLOBAL.gtid_executed)",
            (gtid.as_str(),),
        )?,
    };
    Ok(reached == Some(1))
}

/// Waits until the replica behind `replica` has applied `gtid`, at most `timeout`: `true` if it has,
/// `false` if the time ran out. The server does the waiting; the connection's read timeout
/// (`shared::READ_WRITE_TIMEOUT`, 5 s) must be longer than `timeout`.
pub fn wait_for(
    replica: &mut impl Queryable,
    flavor: Flavor,
    gtid: &Gtid,
    timeout: Duration,
) -> mysql::Result<bool> {
    if timeout.is_zero() {
        // MySQL reads a timeout of 0 as "no timeout": never ask it to wait zero seconds.
        return has_applied(replica, flavor, gtid);
    }
    let seconds = timeout.as_secs_f64();
    let reached: Option<i64> = match flavor {
        // 0 when reached, -1 on timeout.
        Flavor::MariaDb => replica.exec_first(
            "SELECT MASTER_GTID_WAIT(?, ?) = 0",
            (gtid.as_str(), seconds),
        )?,
        // 0 when reached, 1 on timeout.
        Flavor::MySql => replica.exec_first(
            "SELECT WAIT_FOR_EXECUTED_GTID_SET(?, ?) = 0",
            (gtid.as_str(), seconds),
        )?,
    };
    Ok(reached == Some(1))
}

/// Whether the replica is replicating: both of its threads running, the one that receives the
/// primary's binary log (I/O) and the one that applies it (SQL). `Some(false)` when either is
/// stopped, or the server is no replica at all; `None` when this user may not look (MySQL needs
/// REPLICATION CLIENT, MariaDB SLAVE MONITOR: the set-up tool grants them to the course's user).
pub fn is_applying(replica: &mut impl Queryable) -> mysql::Result<Option<bool>> {
    Ok(replica_status(replica)?.map(|status| status.applying))
}

/// What `SHOW REPLICA STATUS` says, in both servers' words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplicaStatus {
    /// Both threads run (see [`is_applying`]).
    pub applying: bool,
    /// How far behind the replica says it is, in whole seconds; `None` while it is not applying.
    pub lag_seconds: Option<u64>,
}

/// The replica's own account of itself; `None` when this user may not look (see [`is_applying`]).
pub fn replica_status(replica: &mut impl Queryable) -> mysql::Result<Option<ReplicaStatus>> {
    // Both servers accept SHOW REPLICA STATUS (MariaDB since 10.5), but MariaDB keeps the old
    // column names.
    let status: Option<mysql::Row> = match replica.query_first("SHOW REPLICA STATUS") {
        Ok(status) => status,
        // ER_SPECIFIC_ACCESS_DENIED_ERROR: not allowed to look.
        Err(mysql::Error::MySqlError(err)) if err.code == 1227 => return Ok(None),
        Err(err) => return Err(err),
    };
    let column = |names: [&str; 2]| -> Option<String> {
        let row = status.as_ref()?;
        names
            .iter()
            .find_map(|&name| row.get::<Option<String>, _>(name).flatten())
    };
    let running = |names| column(names).is_some_and(|value| value.eq_ignore_ascii_case("Yes"));
    Ok(Some(ReplicaStatus {
        applying: running(["Replica_IO_Running", "Slave_IO_Running"])
            && running(["Replica_SQL_Running", "Slave_SQL_Running"]),
        lag_seconds: column(["Seconds_Behind_Source", "Seconds_Behind_Master"])
            .and_then(|seconds| seconds.parse().ok()),
    }))
}

/// A length-encoded string of the protocol: a length (1, 3, 4 or 9 bytes), then that many bytes.
fn length_encoded(bytes: &[u8]) -> Option<String> {
    let (&first, rest) = bytes.split_first()?;
    let (len, rest) = match first {
        0..=250 => (usize::from(first), rest),
        0xfc => (
            usize::from(u16::from_le_bytes(rest.get(..2)?.try_into().ok()?)),
            &rest[2..],
        ),
        0xfd => {
            let mut n = [0u8; 4];
            n[..3].copy_from_slice(rest.get(..3)?);
            (u32::from_le_bytes(n) as usize, &rest[3..])
        }
        0xfe => (
            usize::try_from(u64::from_le_bytes(rest.get(..8)?.try_into().ok()?)).ok()?,
            &rest[8..],
        ),
        _ => return None,
    };
    Some(String::from_utf8_lossy(rest.get(..len)?).into_owned())
}
