//! `cargo run -p lesson3 [-- [--calls N] [--tcp]]` (`-- --help` lists the flags): the same lookups with a new connection per call,
//! then on one held connection, timed side by side.

use std::time::{Duration, Instant};

use lesson3::Transport;
use mysql::prelude::Queryable;
use mysql::{Conn, Opts};

/// The demo's own user; created on the first run, found on every later one.
const NAME: &str = "박서준";
const EMAIL: &str = "seojun.park.lesson3@example.com";
const DEFAULT_CALLS: u32 = 100;
/// The lecture's list of what opening and closing a connection costs, plus one the `mysql` crate adds.
const COSTS: [&str; 6] = [
    "1. TCP connect: a three-way handshake before the first byte of SQL",
    "2. authentication: the server's greeting with a random scramble, the client's hashed reply, the check",
    "3. session set-up: a server thread, character set, default database, session variables",
    "4. buffers: network and statement buffers allocated on both sides",
    "5. teardown: COM_QUIT, closing the socket, the server freeing the thread and buffers",
    "+  an empty statement cache: each new connection prepares the SELECT again",
];
/// The same lookups with a new connection per call, then on one held connection, timed side by side.
#[derive(clap::Parser)]
#[command(name = "lesson3")]
struct Args {
    /// How many lookups to time each way.
    #[arg(long, default_value_t = DEFAULT_CALLS, value_parser = clap::value_parser!(u32).range(1..))]
    calls: u32,
    /// Stay on TCP: turn off the driver's switch to the server's Unix socket (prefer_socket).
    #[arg(long)]
    tcp: bool,
}

/// The server's count of connection attempts since it started. Other clients count too, so on a
/// busy server this is an upper bound for ours.
fn server_connections(conn: &mut Conn) -> anyhow::Result<u64> {
    let row: Option<(String, u64)> = conn.query_first("SHOW GLOBAL STATUS LIKE 'Connections'")?;
    Ok(row.map_or(0, |(_, count)| count))
}

fn per_call(total: Duration, calls: u32) -> String {
    format!(
        "{:>9.1} ms total, {:>6.3} ms per call",
        total.as_secs_f64() * 1e3,
        total.as_secs_f64() * 1e3 / f64::from(calls)
    )
}

fn main() -> anyhow::Result<()> {
    let args = <Args as clap::Parser>::parse();
    let config = shared::Config::from_env()?;
    shared::start_server_if_needed(&config)?;
    let opts: Opts = config.opts_builder().prefer_socket(!args.tcp).into();
    let mut observer =
        Conn::new(opts.clone()).map_err(|err| shared::Error::from_mysql(err, &config))?;

    println!(
        "Server {}/{}, prefer_socket = {}.",
        config.address(),
        config.database,
        !args.tcp
    );
    let transport = lesson3::transport_of(&mut observer)?;
    match transport {
        Transport::Socket => {
            let socket: Option<String> = observer.query_first("SELECT @@socket")?;
            println!(
                "Transport: {transport} ({}). The crate connected over TCP, asked the server for its socket,\n\
                 connected again over it and dropped the TCP connection: two handshakes per connection.\n\
                 Run with `-- --tcp` to stay on TCP.",
                socket.unwrap_or_default()
            );
        }
        Transport::Tcp if args.tcp => {
            println!("Transport: {transport} (--tcp: prefer_socket is off).")
        }
        Transport::Tcp => println!(
            "Transport: {transport}. prefer_socket is on, but the server's socket is not reachable from here\n\
             (another host, or a container), so each connection asks for it and stays on TCP."
        ),
    }

    let user = match lesson3::get_user_by_email(&opts, EMAIL)? {
        Some(user) => user,
        None => {
            lesson3::create_user(&opts, NAME, EMAIL)?;
            lesson3::get_user_by_email(&opts, EMAIL)?.expect("the user was just created")
        }
    };
    println!(
        "Looking up {} <{}> (id {}) {} times each way.\n",
        user.name, user.email, user.id, args.calls
    );

    let connections_before = server_connections(&mut observer)?;
    let started = Instant::now();
    for _ in 0..args.calls {
        let found = lesson3::get_user_by_email(&opts, EMAIL)?;
        anyhow::ensure!(found.as_ref() == Some(&user), "the lookup found {found:?}");
    }
    let naive = started.elapsed();
    let connections_naive = server_connections(&mut observer)? - connections_before;

    let started = Instant::now();
    let mut held = Conn::new(opts.clone())?;
    let opening = started.elapsed();
    for _ in 0..args.calls {
        let found = lesson2::get_user_by_email(&mut held, EMAIL)?;
        anyhow::ensure!(found.as_ref() == Some(&user), "the lookup found {found:?}");
    }
    let reuse = started.elapsed();
    drop(held);

    println!(
        "new connection per call (lesson3): {}",
        per_call(naive, args.calls)
    );
    println!(
        "one held connection     (lesson2): {}",
        per_call(reuse, args.calls)
    );
    println!(
        "The per-call version took {:.1}x as long. Opening the held connection alone took {:.3} ms;",
        naive.as_secs_f64() / reuse.as_secs_f64(),
        opening.as_secs_f64() * 1e3
    );
    println!(
        "the server counted {connections_naive} new connections during the per-call run (other clients count too).\n"
    );
    println!("What every new connection pays for, and the held one paid once:");
    for line in COSTS {
        println!("  {line}");
    }
    println!(
        "A pool (lessons 4 and 5) pays them once per connection and lends it out again and again."
    );
    Ok(())
}
