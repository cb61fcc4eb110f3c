//! The command line, parsed by hand (a dozen flags do not need a crate).

use std::fmt;
use std::time::Duration;

use crate::cases::{Case, Workload};
use crate::run::Plan;
use crate::setup::TransportChoice;

/// The help text of `cargo run -p bench --release -- --help`.
pub const USAGE: &str = "\
usage: cargo run -p bench --release -- [options]

Measures what getting a connection costs: a new connection per call, one held connection,
lesson4's pool, r2d2 (defaults and tuned) and mysql::Pool, on SELECT 1 and on a point select,
with 1 thread and with N threads sharing a small pool.

options:
  --ops N            measured operations per case, workload and thread count (default 20000)
  --per-call-ops N   the same for the connection-per-call case (default: ops / 10)
  --threads N        the multi-threaded run's thread count (default 8; 1 runs only one thread)
  --pool-size N      the most connections a pool gets: as many as the threads using it, up to N (default 4)
  --rounds N         rounds each measurement is split into, interleaved between cases (default 9)
  --warmup N         untimed operations per thread before each round, at most as many as it
                     then measures (default 50)
  --users N          users seeded for the point select (default 1000)
  --tcp              connect over TCP to DB_HOST:DB_PORT (the default)
  --socket           connect over the server's Unix socket (server on this machine only)
  --prefer-socket    the mysql crate's default: TCP, then again over the socket if it can;
                     every new connection connects twice (how the issue's 20x was seen)
  --json             print the results as JSON on stdout instead of the table
  -h, --help         show this help
";

/// Everything the command line can set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Args {
    /// See `--ops`.
    pub ops: usize,
    /// See `--per-call-ops`; `None` means `ops / 10`.
    pub per_call_ops: Option<usize>,
    /// See `--threads`.
    pub threads: usize,
    /// See `--pool-size`.
    pub pool_size: usize,
    /// See `--rounds`.
    pub rounds: usize,
    /// See `--warmup`.
    pub warmup: usize,
    /// See `--users`.
    pub users: usize,
    /// `--tcp`, `--socket` or `--prefer-socket`.
    pub transport: TransportChoice,
    /// See `--json`.
    pub json: bool,
    /// `--help` was given: print [`USAGE`] and do nothing else.
    pub help: bool,
}

impl Default for Args {
    fn default() -> Args {
        Args {
            ops: 20_000,
            per_call_ops: None,
            threads: 8,
            pool_size: 4,
            rounds: 9,
            warmup: 50,
            users: 1_000,
            transport: TransportChoice::Tcp,
            json: false,
            help: false,
        }
    }
}

/// How long any pool may make a checkout wait before it reports a timeout.
pub const CHECKOUT_TIMEOUT: Duration = Duration::from_secs(5);

impl Args {
    /// Parses the arguments after the program name.
    pub fn parse<I, S>(args: I) -> Result<Args, ArgsError>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut parsed = Args::default();
        let mut args = args.into_iter().map(Into::into);
        while let Some(arg) = args.next() {
            // Both `--ops 100` and `--ops=100`.
            let (flag, inline) = match arg.split_once('=') {
                Some((flag, value)) if flag.starts_with("--") => {
                    (flag.to_string(), Some(value.to_string()))
                }
                _ => (arg.clone(), None),
            };
            let mut number = |min: usize| -> Result<usize, ArgsError> {
                let value = inline
                    .clone()
                    .or_else(|| args.next())
                    .ok_or_else(|| ArgsError::MissingValue(flag.clone()))?;
                match value.trim().replace('_', "").parse::<usize>() {
                    Ok(n) if n >= min => Ok(n),
                    _ => Err(ArgsError::BadNumber {
                        flag: flag.clone(),
                        value,
                        min,
                    }),
                }
            };
            match flag.as_str() {
                "--ops" => parsed.ops = number(1)?,
                "--per-call-ops" => parsed.per_call_ops = Some(number(1)?),
                "--threads" => parsed.threads = number(1)?,
                "--pool-size" => parsed.pool_size = number(1)?,
                "--rounds" => parsed.rounds = number(1)?,
                "--warmup" => parsed.warmup = number(0)?,
                "--users" => parsed.users = number(1)?,
                "--tcp" if inline.is_none() => parsed.transport = TransportChoice::Tcp,
                "--socket" if inline.is_none() => parsed.transport = TransportChoice::Socket,
                "--prefer-socket" if inline.is_none() => {
                    parsed.transport = TransportChoice::PreferSocket
                }
                "--json" if inline.is_none() => parsed.json = true,
                "-h" | "--help" => parsed.help = true,
                _ => return Err(ArgsError::Unknown(arg)),
            }
        }
        Ok(parsed)
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

/// A command line that cannot be understood.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ArgsError {
    /// A flag this program does not know.
    Unknown(String),
    /// A flag that needs a value came last.
    MissingValue(String),
    /// A flag's value is not a whole number of at least `min`.
    BadNumber {
        /// The flag.
        flag: String,
        /// What was given.
        value: String,
        /// The smallest allowed value.
        min: usize,
    },
}

impl fmt::Display for ArgsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArgsError::Unknown(arg) => write!(f, "unknown argument {arg:?} (see --help)"),
            ArgsError::MissingValue(flag) => write!(f, "{flag} needs a number (see --help)"),
            ArgsError::BadNumber { flag, value, min } => {
                write!(
                    f,
                    "{flag} needs a whole number of at least {min}, not {value:?}"
                )
            }
        }
    }
}

impl std::error::Error for ArgsError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_arguments_give_the_defaults_of_the_issue() {
        let args = Args::parse(Vec::<String>::new()).unwrap();
        assert_eq!(args, Args::default());
        let plan = args.plan();
        assert_eq!(plan.threads, vec![1, 8]);
        assert_eq!((plan.ops, plan.per_call_ops), (20_000, 2_000));
        assert_eq!(args.pool_size, 4);
        assert_eq!(args.transport, TransportChoice::Tcp);
    }

    #[test]
    fn flags_take_their_value_after_a_space_or_an_equals_sign() {
        let args = Args::parse([
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
        assert_eq!(args.transport, TransportChoice::Socket);
        assert!(args.json);
        assert_eq!(args.plan().threads, vec![1, 4]);
    }

    #[test]
    fn the_last_transport_flag_wins() {
        let args = Args::parse(["--socket", "--prefer-socket"]).unwrap();
        assert_eq!(args.transport, TransportChoice::PreferSocket);
        let args = Args::parse(["--prefer-socket", "--tcp"]).unwrap();
        assert_eq!(args.transport, TransportChoice::Tcp);
    }

    #[test]
    fn one_thread_is_measured_once_not_twice() {
        let args = Args::parse(["--threads", "1"]).unwrap();
        assert_eq!(args.plan().threads, vec![1]);
    }

    #[test]
    fn bad_values_and_unknown_flags_are_errors_that_name_them() {
        assert_eq!(
            Args::parse(["--ops", "0"]).unwrap_err(),
            ArgsError::BadNumber {
                flag: "--ops".into(),
                value: "0".into(),
                min: 1
            }
        );
        assert_eq!(
            Args::parse(["--threads"]).unwrap_err(),
            ArgsError::MissingValue("--threads".into())
        );
        assert_eq!(
            Args::parse(["--fast"]).unwrap_err(),
            ArgsError::Unknown("--fast".into())
        );
        assert!(
            Args::parse(["--ops", "many"])
                .unwrap_err()
                .to_string()
                .contains("\"many\"")
        );
    }
}
