//! [`ReplicaLink`]: a real replica behind the [`Replica`] trait, one connection opened when first
//! needed and opened again after any error.

use std::time::Duration;

use mysql::prelude::Queryable;
use mysql::{Conn, Opts};

use crate::gtid::{self, Flavor, Gtid};
use crate::{Replica, ReplicaState};

/// One connection to the replica, for the router's questions. It connects on first use; after any
/// error it drops the connection (its state is unknown: a late reply may still be on its way) and
/// the next question connects again, so a replica that comes back is used again.
pub struct ReplicaLink {
    opts: Opts,
    conn: Option<(Conn, Flavor)>,
}

impl ReplicaLink {
    /// A link to the replica at `opts`; nothing is opened yet.
    pub fn new(opts: impl Into<Opts>) -> ReplicaLink {
        ReplicaLink {
            opts: opts.into(),
            conn: None,
        }
    }

    /// The replica's flavor, once a question has reached it.
    pub fn flavor(&self) -> Option<Flavor> {
        self.conn.as_ref().map(|(_, flavor)| *flavor)
    }

    /// Runs `ask` on the connection (opened first if needed); forgets the connection on an error.
    fn ask<T>(
        &mut self,
        ask: impl FnOnce(&mut Conn, Flavor) -> mysql::Result<T>,
    ) -> mysql::Result<T> {
        if self.conn.is_none() {
            let mut conn = Conn::new(self.opts.clone())?;
            let flavor = Flavor::detect(&mut conn)?;
            self.conn = Some((conn, flavor));
        }
        let (conn, flavor) = self.conn.as_mut().expect("opened just above");
        let answer = ask(conn, *flavor);
        if answer.is_err() {
            self.conn = None;
        }
        answer
    }
}

impl Replica for ReplicaLink {
    fn state(&mut self) -> mysql::Result<ReplicaState> {
        self.ask(|conn, flavor| ReplicaConn { conn, flavor }.state())
    }

    fn wait_for(&mut self, gtid: &Gtid, timeout: Duration) -> mysql::Result<bool> {
        self.ask(|conn, flavor| ReplicaConn { conn, flavor }.wait_for(gtid, timeout))
    }
}

/// The same questions on a connection someone else holds, for example one lent by a pool of
/// connections to the replica (lesson 9's server).
pub struct ReplicaConn<'a> {
    /// A connection to the replica.
    pub conn: &'a mut Conn,
    /// The replica's server: MariaDB or MySQL.
    pub flavor: Flavor,
}

impl Replica for ReplicaConn<'_> {
    fn state(&mut self) -> mysql::Result<ReplicaState> {
        Ok(match gtid::is_applying(self.conn)? {
            Some(true) => ReplicaState::Applying,
            Some(false) => ReplicaState::Stopped,
            None => ReplicaState::Unknown,
        })
    }

    fn wait_for(&mut self, gtid: &Gtid, timeout: Duration) -> mysql::Result<bool> {
        gtid::wait_for(self.conn, self.flavor, gtid, timeout)
    }
}

/// Lag on purpose, with replication running and no administrator's right: on a connection to the
/// replica, a transaction that reads `user_id`'s messages with a shared lock. The lock covers the gap
/// where that user's next message goes, so the replica's applier waits there to insert it (and,
/// applying in order, everything after it waits too) until the returned transaction ends: rolled
/// back, dropped, or its connection closed. A read-only replica refuses `FOR UPDATE`, not this read.
///
/// Hold it for seconds, not minutes: after `innodb_lock_wait_timeout` (50 s) the applier gives up
/// on that transaction and tries it again.
pub fn hold_back_messages_of(
    replica: &mut Conn,
    user_id: u64,
) -> mysql::Result<mysql::Transaction<'_>> {
    let mut hold = replica.start_transaction(mysql::TxOpts::default())?;
    // MariaDB spells the shared lock only LOCK IN SHARE MODE; MySQL accepts it besides FOR SHARE.
    let _: Vec<u64> = hold.exec(
        "SELECT id FROM conversations WHERE user_id = ? LOCK IN SHARE MODE",
        (user_id,),
    )?;
    Ok(hold)
}
