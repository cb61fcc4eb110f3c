//! The command line, declared with clap's derive: each flag's doc comment is its `--help` line.

use std::time::Duration;

use clap::Parser;
use clap::builder::RangedU64ValueParser;

use crate::cases::{Case, Workload};
use crate::http::HttpPlan;
use crate::run::Plan;
use crate::setup::TransportChoice;

/// Everything the command line can set.
#[derive(Debug, Clone, PartialEq, Eq, Parser)]
#[command(
    name = "bench",
    override_usage = "cargo run -p bench --release -- [OPTIONS]",
    about = "Measures what getting a connection costs: a new connection per call, one held connection,\n\
             lesson4's pool, r2d2 (defaults and tuned) and mysql::Pool, on SELECT 1 and on a point select,\n\
             with 1 thread and with N threads sharing a small pool. Then lesson 9's server over HTTP,\n\
             next to the direct database call for the same work, with 1 and N clients."
)]
pub struct Args {
    /// Measured operations per case, workload and thread count
    #[arg(long, value_name = "N", default_value_t = 20_000, value_parser = at_least(1))]
    pub ops: usize,
    /// The same for the connection-per-call case [default: ops / 10]
    #[arg(long, value_name = "N", value_parser = at_least(1))]
    pub per_call_ops: Option<usize>,
    /// The multi-threaded run's thread count (1 runs only one thread)
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = at_least(1))]
    pub threads: usize,
    /// The most connections a pool gets: as many as the threads using it, up to N
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = at_least(1))]
    pub pool_size: usize,
    /// Rounds each measurement is split into, interleaved between cases
    #[arg(long, value_name = "N", default_value_t = 9, value_parser = at_least(1))]
    pub rounds: usize,
    /// Untimed operations per thread before each round, at most as many as it then measures
    #[arg(long, value_name = "N", default_value_t = 50, value_parser = at_least(0))]
    pub warmup: usize,
    /// Users seeded for the point select
    #[arg(long, value_name = "N", default_value_t = 1_000, value_parser = at_least(1))]
    pub users: usize,
    /// Connect over TCP to DB_HOST:DB_PORT (the default)
    #[arg(long, overrides_with_all = ["socket", "prefer_socket"])]
    tcp: bool,
    /// Connect over the server's Unix socket (server on this machine only)
    #[arg(long, overrides_with_all = ["tcp", "prefer_socket"])]
    socket: bool,
    /// The mysql crate's default: TCP, then again over the socket if it can (every new
    /// connection connects twice)
    #[arg(long, overrides_with_all = ["tcp", "socket"])]
    prefer_socket: bool,
    /// Lesson 9's server: GET requests per endpoint, client count and way (HTTP or direct call)
    #[arg(long, value_name = "N", default_value_t = 3_000, value_parser = at_least(1))]
    pub http_ops: usize,
    /// The same for POST /users/{id}/chat, which commits a transaction each [default: http-ops / 8]
    #[arg(long, value_name = "N", value_parser = at_least(1))]
    pub chat_ops: Option<usize>,
    /// Lesson 9's server: the many-clients run's client count (1 runs only one client)
    #[arg(long, value_name = "N", default_value_t = 16, value_parser = at_least(1))]
    pub http_clients: usize,
    /// Leave out lesson 9's server (only the connection cases)
    #[arg(long)]
    pub no_http: bool,
    /// Only lesson 10's read case: reads from the primary only, against a primary and a replica
    /// with read-your-writes (needs `cargo run -p db -- up --replica`)
    #[arg(long)]
    pub replica_reads: bool,
    /// The read case's measured operations per case
    #[arg(long, value_name = "N", default_value_t = 2_000, value_parser = at_least(1))]
    pub replica_ops: usize,
    /// Print the results as JSON on stdout instead of the table
    #[arg(long)]
    pub json: bool,
    /// Then check the course's targets for lesson 4's pool: print each verdict, and fail (exit
    /// code 1) if one is missed or was not measured
    #[arg(long)]
    pub check_targets: bool,
}

/// A whole number of at least `min`, as a `usize`.
fn at_least(min: u64) -> RangedU64ValueParser<usize> {
    RangedU64ValueParser::new().range(min..)
}

/// How long any pool may make a checkout wait before it reports a timeout.
pub const CHECKOUT_TIMEOUT: Duration = Duration::from_secs(5);

impl Args {
    /// `--tcp`, `--socket` or `--prefer-socket`, whichever came last; TCP when none did.
    pub fn transport(&self) -> TransportChoice {
        if self.socket {
            TransportChoice::Socket
        } else if self.prefer_socket {
            TransportChoice::PreferSocket
        } else {
            TransportChoice::Tcp
        }
    }

    /// The plan these arguments describe: every case, both workloads, 1 and `threads` threads.
    pub fn plan(&self) -> Plan {
        let mut threads = vec![1, self.threads];
        threads.dedup();
        Plan {
            ops: self.ops,
            per_call_ops: self.per_call_ops.unwrap_or((self.ops / 10).max(1)),
            warmup: self.warmup,
            rounds: self.rounds,
            threads,
            cases: Case::ALL.to_vec(),
            workloads: Workload::ALL.to_vec(),
        }
    }
}

impl Args {
    /// The HTTP plan these arguments describe, or `None` with `--no-http`: both endpoints, 1 and
    /// `http_clients` clients, lesson 9's own pool size.
    pub fn http_plan(&self) -> Option<HttpPlan> {
        let mut clients = vec![1, self.http_clients];
        clients.dedup();
        (!self.no_http).then(|| HttpPlan {
            ops: self.http_ops,
            chat_ops: self.chat_ops.unwrap_or((self.http_ops / 8).max(1)),
            warmup: self.warmup,
            rounds: self.rounds,
            clients,
            pool_size: lesson9::DEFAULT_POOL_SIZE,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Args, clap::Error> {
        Args::try_parse_from(std::iter::once("bench").chain(args.iter().copied()))
    }

    #[test]
    fn no_arguments_give_the_defaults_of_the_readme() {
        let args = parse(&[]).unwrap();
        let plan = args.plan();
        assert_eq!(plan.threads, vec![1, 8]);
        assert_eq!((plan.ops, plan.per_call_ops), (20_000, 2_000));
        assert_eq!((plan.rounds, plan.warmup), (9, 50));
        assert_eq!((args.pool_size, args.users), (4, 1_000));
        assert_eq!(args.transport(), TransportChoice::Tcp);
        assert!(!args.json);
        let http = args.http_plan().expect("the HTTP cases run by default");
        assert_eq!(http.clients, vec![1, 16]);
        assert_eq!((http.ops, http.chat_ops), (3_000, 375));
        assert_eq!(http.pool_size, lesson9::DEFAULT_POOL_SIZE);
    }

    #[test]
    fn no_http_leaves_out_the_servers_cases() {
        let args = parse(&["--no-http"]).unwrap();
        assert_eq!(args.http_plan(), None);
    }

    #[test]
    fn flags_take_their_value_after_a_space_or_an_equals_sign() {
        let args = parse(&[
            "--ops",
            "300",
            "--threads=4",
            "--pool-size",
            "2",
            "--socket",
            "--json",
            "--rounds",
            "1",
        ])
        .unwrap();
        assert_eq!(
            (args.ops, args.threads, args.pool_size, args.rounds),
            (300, 4, 2, 1)
        );
        assert_eq!(args.transport(), TransportChoice::Socket);
        assert!(args.json);
        assert_eq!(args.plan().threads, vec![1, 4]);
    }

    #[test]
    fn the_last_transport_flag_wins() {
        let args = parse(&["--socket", "--prefer-socket"]).unwrap();
        assert_eq!(args.transport(), TransportChoice::PreferSocket);
        let args = parse(&["--prefer-socket", "--tcp"]).unwrap();
        assert_eq!(args.transport(), TransportChoice::Tcp);
        let args = parse(&["--tcp", "--socket"]).unwrap();
        assert_eq!(args.transport(), TransportChoice::Socket);
    }

    #[test]
    fn one_thread_is_measured_once_not_twice() {
        let args = parse(&["--threads", "1"]).unwrap();
        assert_eq!(args.plan().threads, vec![1]);
    }

    #[test]
    fn bad_values_and_unknown_flags_are_errors_that_name_them() {
        for (args, named) in [
            (&["--ops", "0"][..], "--ops"),
            (&["--ops", "many"][..], "many"),
            (&["--threads"][..], "--threads"),
            (&["--fast"][..], "--fast"),
        ] {
            let err = parse(args).expect_err("a bad command line is refused");
            assert!(
                err.to_string().contains(named),
                "the error for {args:?} should name {named:?}: {err}"
            );
        }
        assert!(
            parse(&["--warmup", "0"]).is_ok(),
            "no warm-up at all is allowed"
        );
    }
}
