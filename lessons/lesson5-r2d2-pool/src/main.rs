//! `cargo run -p lesson5`: lesson 4's demo on an r2d2 pool: reuse over 100 calls, a KILL that no
//! caller notices, the timeout when every connection is taken, and closing the pool.

use std::collections::{BTreeMap, BTreeSet};
use std::thread;
use std::time::{Duration, Instant};

use lesson5::{MysqlPool, PoolError, PoolSettings};
use mysql::prelude::Queryable;

/// One "request": borrow a connection, ask the server which connection it is, give it back.
fn which_connection(pool: &MysqlPool) -> anyhow::Result<u32> {
    let mut conn = pool.get()?;
    let id: Option<u32> = conn.query_first("SELECT CONNECTION_ID()")?;
    Ok(id.expect("SELECT without FROM returns one row"))
}

fn run_calls(pool: &MysqlPool, calls: usize) -> anyhow::Result<BTreeMap<u32, usize>> {
    let mut served = BTreeMap::new();
    for _ in 0..calls {
        *served.entry(which_connection(pool)?).or_insert(0) += 1;
    }
    Ok(served)
}

/// Which of `ids` the server still lists, after waiting (at most 5 s) for it to list none of them:
/// a closed or killed connection leaves the process list a moment after the fact.
fn wait_until_gone(admin: &mut mysql::Conn, ids: &BTreeSet<u32>) -> anyhow::Result<BTreeSet<u32>> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let listed = shared::sessions(admin)?;
        let left: BTreeSet<u32> = listed
            .into_iter()
            .map(|session| session.id)
            .filter(|id| ids.contains(id))
            .collect();
        if left.is_empty() || Instant::now() >= deadline {
            return Ok(left);
        }
        thread::sleep(Duration::from_millis(20));
    }
}

fn main() -> anyhow::Result<()> {
    let config = shared::Config::from_env()?;
    shared::start_server_if_needed(&config)?;
    let settings = PoolSettings::default();
    let pool = lesson5::build_pool(&config, &settings)?;
    let mut admin = shared::connect(&config)?; // another session, as a DBA's would be
    println!(
        "r2d2 pool for {}@{}/{}",
        config.user,
        config.address(),
        config.database
    );
    // Not `{pool:?}`: an r2d2 pool's Debug output shows the manager's Opts, password included.
    println!("  {}", lesson5::describe(&pool));

    println!("\n1. 100 calls in a row, each: get, SELECT CONNECTION_ID(), drop");
    let served = run_calls(&pool, 100)?;
    println!("   calls served per CONNECTION_ID(): {served:?}");
    println!("   r2d2 lends the connection given back last (a stack): one connection stays busy,");
    println!("   where lesson4's queue (first in, first out) took turns with all of them");

    println!("\n2. 8 threads, 25 calls each, at the same time");
    let workers: Vec<_> = (0..8)
        .map(|_| {
            let pool = pool.clone();
            thread::spawn(move || run_calls(&pool, 25))
        })
        .collect();
    let mut served_together = BTreeMap::new();
    for worker in workers {
        for (id, calls) in worker.join().expect("a worker panicked")? {
            *served_together.entry(id).or_insert(0) += calls;
        }
    }
    println!("   calls served per CONNECTION_ID(): {served_together:?}");
    println!(
        "   at most {} connections, however many threads ask",
        settings.max_size
    );

    println!(
        "\n3. KILL the connection r2d2 lends next (the one given back last), from another session"
    );
    // Given back just now, so it is on top of the stack: the next checkout takes it first.
    let hot = which_connection(&pool)?;
    // KILL takes no parameters (MySQL refuses `KILL ?`), so the id is formatted into the statement:
    // the one safe exception to binding values, since a u32 cannot carry SQL.
    admin.query_drop(format!("KILL {hot}"))?;
    wait_until_gone(&mut admin, &BTreeSet::from([hot]))?;
    // A connection given back less than liveness_window ago is lent without a ping; past it, the
    // checkout pings first. Wait past it, as an idle server would.
    thread::sleep(settings.liveness_window + Duration::from_millis(100));
    let served_after = run_calls(&pool, 100)?;
    anyhow::ensure!(
        !served_after.contains_key(&hot),
        "the killed connection {hot} was lent: {served_after:?}"
    );
    println!(
        "   killed {hot}, idle for longer than the liveness window ({:?}); 100 more calls, all \
         succeeded: {served_after:?}",
        settings.liveness_window
    );
    println!(
        "   the checkout pinged {hot} before lending it, found it dead, dropped it and lent another"
    );
    let deadline = Instant::now() + settings.connection_timeout;
    while pool.state().connections < settings.max_size && Instant::now() < deadline {
        thread::sleep(Duration::from_millis(20)); // the replacement opens on r2d2's own threads
    }
    println!(
        "   and opened a replacement in the background: {}",
        lesson5::describe(&pool)
    );

    println!("\n4. every connection taken, and one more checkout(500 ms)");
    let held: Vec<_> = (0..settings.max_size)
        .map(|_| pool.get())
        .collect::<Result<_, _>>()?;
    match lesson5::checkout(&pool, Duration::from_millis(500)) {
        Err(err @ PoolError::Timeout { .. }) => println!("   {err}"),
        Err(other) => anyhow::bail!("expected a PoolTimeout, got {other}"),
        Ok(_) => anyhow::bail!("expected a PoolTimeout, got a connection"),
    }
    drop(held);

    println!(
        "\n5. r2d2 has no close_all: dropping the last handle of the pool closes its connections"
    );
    let ids: BTreeSet<u32> = {
        let conns: Vec<_> = (0..settings.max_size)
            .map(|_| pool.get())
            .collect::<Result<_, _>>()?;
        conns.iter().map(|conn| conn.connection_id()).collect()
    };
    drop(pool);
    let left = wait_until_gone(&mut admin, &ids)?;
    println!(
        "   the server lists {} of the pool's {} connections",
        left.len(),
        ids.len()
    );
    Ok(())
}
