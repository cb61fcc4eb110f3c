//! `cargo run -p lesson4`: 100 calls through a pool of 4, an error that does not leak a connection,
//! a server-side KILL and the pool's recovery, the timeout when every connection is taken, close_all.

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use lesson4::{Pool, PoolError};
use mysql::prelude::Queryable;

const POOL_SIZE: usize = 4;

/// One "request": borrow a connection, ask the server which connection it is, give it back.
fn which_connection(pool: &Pool) -> anyhow::Result<u32> {
    let mut conn = pool.get()?;
    let id: Option<u32> = conn.query_first("SELECT CONNECTION_ID()")?;
    Ok(id.expect("SELECT without FROM returns one row"))
    // `conn` is dropped here and goes back to the queue: the lecture's release_connection.
}

/// `calls` requests in a row; how many each connection served.
fn run_calls(pool: &Pool, calls: usize) -> anyhow::Result<BTreeMap<u32, usize>> {
    let mut served = BTreeMap::new();
    for _ in 0..calls {
        *served.entry(which_connection(pool)?).or_insert(0) += 1;
    }
    Ok(served)
}

/// Which of `ids` the server still lists as connected.
fn still_connected(admin: &mut mysql::Conn, ids: &BTreeSet<u32>) -> anyhow::Result<BTreeSet<u32>> {
    let listed = shared::sessions(admin)?;
    Ok(listed
        .into_iter()
        .map(|session| session.id)
        .filter(|id| ids.contains(id))
        .collect())
}

/// Waits (at most 5 s) until the server no longer lists any of `ids`. A closed or killed
/// connection disappears from the process list a moment after the fact, not at once.
fn wait_until_gone(admin: &mut mysql::Conn, ids: &BTreeSet<u32>) -> anyhow::Result<BTreeSet<u32>> {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let left = still_connected(admin, ids)?;
        if left.is_empty() || Instant::now() >= deadline {
            return Ok(left);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn main() -> anyhow::Result<()> {
    let config = shared::Config::from_env()?;
    shared::start_server_if_needed(&config)?;
    let pool = Pool::new(config.opts(), POOL_SIZE).map_err(|err| match err {
        // Opening the pool's connections failed: say why as lesson 1 does (host:port, what to do).
        PoolError::Connect(err) => anyhow::Error::from(shared::Error::from_connect(err, &config)),
        other => other.into(),
    })?;
    let mut admin = shared::connect(&config)?; // another session, as a DBA's would be
    println!(
        "Pool of {POOL_SIZE} connections to {}@{}/{}, opened at start-up: {:?}",
        config.user,
        config.address(),
        config.database,
        pool.state()
    );

    println!("\n1. 100 calls, each: get, SELECT CONNECTION_ID(), drop the guard");
    let served = run_calls(&pool, 100)?;
    println!("   calls served per CONNECTION_ID(): {served:?}");
    println!(
        "   after 100 calls: {} distinct connections, the same ones that were opened at start-up",
        served.len()
    );

    println!("\n2. a query fails between get and release (the lecture's pool leaks here)");
    let failed = (|| -> anyhow::Result<()> {
        let mut conn = pool.get()?;
        conn.query_drop("SELECT * FROM no_such_table")?; // `?` returns early...
        Ok(()) // ...so a release_connection(conn) here would never run
    })();
    println!("   error: {}", failed.unwrap_err());
    println!(
        "   the guard was dropped on the way out: {:?}",
        pool.state()
    );

    println!(
        "\n3. KILL one pooled connection from another session (as a restart or wait_timeout would)"
    );
    let victim = *served
        .keys()
        .nth(1)
        .expect("the pool has more than one connection");
    // KILL takes no parameters (MySQL refuses `KILL ?`), so the id is formatted into the statement:
    // the one safe exception to binding values, since a u32 cannot carry SQL.
    admin.query_drop(format!("KILL {victim}"))?;
    wait_until_gone(&mut admin, &BTreeSet::from([victim]))?;
    println!(
        "   killed {victim}; the pool does not know yet: {:?}",
        pool.state()
    );
    let window = pool.options().liveness_window;
    std::thread::sleep(window + Duration::from_millis(100));
    println!(
        "   waited past the {} ms liveness window, so each connection is pinged before its next use",
        window.as_millis()
    );
    let served_after = run_calls(&pool, 100)?;
    println!("   100 more calls, all succeeded; served per CONNECTION_ID(): {served_after:?}");
    let new: Vec<u32> = served_after
        .keys()
        .filter(|id| !served.contains_key(id))
        .copied()
        .collect();
    anyhow::ensure!(
        !served_after.contains_key(&victim) && new.len() == 1,
        "expected {victim} to be replaced by one new connection, but the calls were served by {served_after:?}"
    );
    println!("   {victim} failed its ping and was replaced by {new:?}; no caller saw an error");

    println!("\n4. every connection taken, and one more get_timeout(500 ms)");
    let held: Vec<_> = (0..POOL_SIZE)
        .map(|_| pool.get())
        .collect::<Result<_, _>>()?;
    let started = Instant::now();
    match pool.get_timeout(Duration::from_millis(500)) {
        Err(err @ PoolError::Timeout { .. }) => {
            println!("   after {:.1} s: {err}", started.elapsed().as_secs_f64())
        }
        other => anyhow::bail!("expected a PoolTimeout, got {other:?}"),
    }
    println!("   (the lecture's Queue.get() would still be waiting)");
    drop(held);

    println!("\n5. close_all()");
    let ids: BTreeSet<u32> = served_after.keys().copied().collect();
    pool.close_all();
    let left = wait_until_gone(&mut admin, &ids)?;
    println!(
        "   the server lists {} of the pool's {} connections; {:?}",
        left.len(),
        ids.len(),
        pool.state()
    );
    println!("   get() -> {}", pool.get().unwrap_err());
    Ok(())
}
