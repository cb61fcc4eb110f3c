//! [`Config`]: where the database is and who we are there, read from the environment and `.env`.

use std::collections::HashMap;
use std::fmt;
use std::path::PathBuf;

use crate::error::Error;
use crate::{
    DEFAULT_DATABASE, DEFAULT_HOST, DEFAULT_PASSWORD, DEFAULT_PORT, DEFAULT_REPLICA_PORT,
    DEFAULT_USER,
};

/// The server's own databases. The course never uses them: a `reset` there would destroy the server.
pub const SYSTEM_DATABASES: [&str; 4] =
    ["mysql", "information_schema", "performance_schema", "sys"];

/// How the connection uses TLS (`DB_SSL_MODE`), named as MySQL's own clients name the modes.
///
/// The default is [`SslMode::Preferred`], as in MySQL's clients: TLS whenever the server offers it,
/// so that a password does not cross a network in clear by accident; a local server without TLS
/// still works. Only the `verify_*` modes protect against a server that only pretends to be yours.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SslMode {
    /// `disabled`: never TLS.
    Disabled,
    /// `preferred`: TLS if the server offers it (asked once per server and process), else plain;
    /// the certificate is not checked.
    #[default]
    Preferred,
    /// `required`: TLS or no connection; the certificate is not checked (encryption only).
    Required,
    /// `verify_ca`: TLS, and the certificate must be signed by `DB_SSL_CA` (or a public CA);
    /// the host name in it is not checked.
    VerifyCa,
    /// `verify_identity`: like `verify_ca`, and the certificate must name `DB_HOST`.
    VerifyIdentity,
}

impl SslMode {
    const NAMES: [(&'static str, SslMode); 5] = [
        ("disabled", SslMode::Disabled),
        ("preferred", SslMode::Preferred),
        ("required", SslMode::Required),
        ("verify_ca", SslMode::VerifyCa),
        ("verify_identity", SslMode::VerifyIdentity),
    ];

    /// Reads a mode as MySQL's clients spell it, in any case (`REQUIRED`, `verify_identity`).
    pub fn parse(value: &str) -> Option<SslMode> {
        let value = value.trim();
        Self::NAMES
            .iter()
            .find(|(name, _)| name.eq_ignore_ascii_case(value))
            .map(|&(_, mode)| mode)
    }

    /// Whether this mode checks the server's certificate (and so has a use for `DB_SSL_CA`).
    pub fn verifies_certificate(self) -> bool {
        matches!(self, SslMode::VerifyCa | SslMode::VerifyIdentity)
    }
}

impl fmt::Display for SslMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = Self::NAMES
            .iter()
            .find(|(_, mode)| mode == self)
            .map(|(name, _)| *name);
        f.write_str(name.unwrap_or("?"))
    }
}

/// Where the database is and who we are there.
///
/// `Debug` never shows the password, so a `Config` is safe to print or log.
#[derive(Clone, PartialEq, Eq)]
pub struct Config {
    /// Server host name or IP address (`DB_HOST`).
    pub host: String,
    /// Server TCP port (`DB_PORT`).
    pub port: u16,
    /// User name (`DB_USER`).
    pub user: String,
    /// The password (`DB_PASSWORD`). Never printed: see the `Debug` impl.
    pub password: String,
    /// Database to use (`DB_NAME`).
    pub database: String,
    /// How the connection uses TLS (`DB_SSL_MODE`).
    pub ssl_mode: SslMode,
    /// A PEM file with the CA certificate(s) that signed the server's certificate (`DB_SSL_CA`),
    /// for the `verify_*` modes; without it, they trust the public CAs only.
    pub ssl_ca: Option<PathBuf>,
    /// The replica's host (`DB_REPLICA_HOST`, default 127.0.0.1): see [`Config::replica`].
    pub replica_host: String,
    /// The replica's port (`DB_REPLICA_PORT`, default 3316).
    pub replica_port: u16,
    /// Whether `DB_REPLICA_HOST` or `DB_REPLICA_PORT` is set: a program that can do without a
    /// replica (lesson 9) uses one only then ([`Config::replica_if_set`]).
    pub replica_set: bool,
}

impl Config {
    /// Reads `DB_HOST`, `DB_PORT`, `DB_USER`, `DB_PASSWORD`, `DB_NAME`, `DB_SSL_MODE` and `DB_SSL_CA`
    /// from the environment, then from a `.env` file (in this directory or a parent), then the
    /// defaults. A variable set in the environment wins over `.env`.
    ///
    /// `.env` is read as dotenvy reads it (comments, quotes, `$NAME` substitution), and a byte-order
    /// mark that some Windows editors write at its start is ignored. Like `dotenvy::dotenv()`, the
    /// file's variables are also put into the process environment (one already set wins), so that a
    /// program's other settings can live in `.env` too.
    pub fn from_env() -> Result<Config, Error> {
        let text = read_dotenv()?;
        let file = parse_dotenv(&text)?;
        dotenvy::from_read(text.as_bytes()).map_err(Error::from_dotenv)?;
        Config::from_lookup(|key| std::env::var(key).ok().or_else(|| file.get(key).cloned()))
    }

    /// Builds a config from any source of variables (the environment, a map in a test), with the
    /// defaults, and checks each value.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, Error> {
        let get = |key: &str, default: &str| lookup(key).unwrap_or_else(|| default.to_string());
        let port = match lookup("DB_PORT") {
            None => DEFAULT_PORT,
            Some(value) => match value.trim().parse::<u16>() {
                Ok(port) if port != 0 => port,
                _ => return Err(Error::InvalidPort { value }),
            },
        };
        // An empty variable counts as unset, as `DB_REPLICA_PORT=` in .env would be meant.
        let replica_host = lookup("DB_REPLICA_HOST").filter(|h| !h.trim().is_empty());
        let replica_port_value = lookup("DB_REPLICA_PORT").filter(|p| !p.trim().is_empty());
        let replica_set = replica_host.is_some() || replica_port_value.is_some();
        let replica_port = match replica_port_value {
            None => DEFAULT_REPLICA_PORT,
            Some(value) => match value.trim().parse::<u16>() {
                Ok(port) if port != 0 => port,
                _ => return Err(Error::InvalidReplicaPort { value }),
            },
        };
        let database = get("DB_NAME", DEFAULT_DATABASE);
        check_database_name(&database)?;
        let ssl_mode = match lookup("DB_SSL_MODE") {
            None => SslMode::default(),
            Some(value) => SslMode::parse(&value).ok_or_else(|| Error::InvalidSsl {
                problem: format!(
                    "DB_SSL_MODE must be disabled, preferred, required, verify_ca or verify_identity, \
                     but it is {value:?}"
                ),
            })?,
        };
        let ssl_ca = lookup("DB_SSL_CA")
            .filter(|ca| !ca.is_empty())
            .map(PathBuf::from);
        if let Some(ca) = &ssl_ca {
            if !ssl_mode.verifies_certificate() {
                return Err(Error::InvalidSsl {
                    problem: format!(
                        "DB_SSL_CA is set, but DB_SSL_MODE={ssl_mode} does not check the server's \
                         certificate: set DB_SSL_MODE=verify_identity (or verify_ca) to use it"
                    ),
                });
            }
            if !ca.is_file() {
                return Err(Error::InvalidSsl {
                    problem: format!(
                        "DB_SSL_CA is {:?}, but there is no such file (a relative path starts \
                         where the program runs)",
                        ca.display().to_string()
                    ),
                });
            }
        }
        Ok(Config {
            host: get("DB_HOST", DEFAULT_HOST),
            port,
            user: get("DB_USER", DEFAULT_USER),
            password: get("DB_PASSWORD", DEFAULT_PASSWORD),
            database,
            ssl_mode,
            ssl_ca,
            replica_host: replica_host.unwrap_or_else(|| DEFAULT_HOST.to_string()),
            replica_port,
            replica_set,
        })
    }

    /// The replica's connection settings: the same user, password, database and TLS as the primary,
    /// at `DB_REPLICA_HOST:DB_REPLICA_PORT` (defaults 127.0.0.1:3316, where
    /// `cargo run -p db -- up --replica` starts one), whether those variables are set or not.
    pub fn replica(&self) -> Config {
        Config {
            host: self.replica_host.clone(),
            port: self.replica_port,
            ..self.clone()
        }
    }

    /// [`Config::replica`], only when `DB_REPLICA_HOST` or `DB_REPLICA_PORT` is set: for a program
    /// that reads from a replica if there is one, and from the primary otherwise.
    pub fn replica_if_set(&self) -> Option<Config> {
        self.replica_set.then(|| self.replica())
    }

    /// Connection options for the replica when one is set ([`Config::replica_if_set`]).
    pub fn replica_opts(&self) -> Option<mysql::Opts> {
        self.replica_if_set().map(|replica| replica.opts())
    }

    /// The same server and user, another database (used by the test fixture). The name is not
    /// checked: `""` means no database, for server-wide work.
    pub fn with_database(&self, database: &str) -> Config {
        Config {
            database: database.to_string(),
            ..self.clone()
        }
    }

    /// `host:port`, for messages.
    pub fn address(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("user", &self.user)
            .field("password", &"<hidden>")
            .field("database", &self.database)
            .field("ssl_mode", &self.ssl_mode)
            .field("ssl_ca", &self.ssl_ca)
            .field("replica_host", &self.replica_host)
            .field("replica_port", &self.replica_port)
            .field("replica_set", &self.replica_set)
            .finish()
    }
}

/// Checks a database name as `DB_NAME` must be: 1 to 64 ASCII letters, digits and `_` (so it can
/// never break out of a quoted identifier), and none of the server's [`SYSTEM_DATABASES`] (in any
/// case: on Windows and macOS the server ignores it).
pub fn check_database_name(name: &str) -> Result<(), Error> {
    let plain = |c: char| c.is_ascii_alphanumeric() || c == '_';
    if name.is_empty() || name.len() > 64 || !name.chars().all(plain) {
        return Err(Error::InvalidDatabaseName {
            value: name.to_string(),
        });
    }
    if SYSTEM_DATABASES
        .iter()
        .any(|system| system.eq_ignore_ascii_case(name))
    {
        return Err(Error::SystemDatabase {
            value: name.to_string(),
        });
    }
    Ok(())
}

/// The text of the nearest `.env` (this directory, then its parents), `""` if there is none,
/// without the byte-order mark that would otherwise become part of the first name.
fn read_dotenv() -> Result<String, Error> {
    let Ok(here) = std::env::current_dir() else {
        return Ok(String::new());
    };
    let found = here
        .ancestors()
        .map(|dir| dir.join(".env"))
        .find(|p| p.is_file());
    let Some(path) = found else {
        return Ok(String::new());
    };
    let text = std::fs::read_to_string(&path)
        .map_err(|err| Error::DotEnv(format!("{} ({err})", path.display())))?;
    Ok(without_bom(&text).to_string())
}

fn without_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// Parses `.env` text as dotenvy does; the first definition of a name wins, as with dotenvy's
/// loading. A leading byte-order mark is removed first.
fn parse_dotenv(text: &str) -> Result<HashMap<String, String>, Error> {
    let text = without_bom(text);
    let mut vars = HashMap::new();
    for item in dotenvy::from_read_iter(text.as_bytes()) {
        let (key, value) = item.map_err(Error::from_dotenv)?;
        vars.entry(key).or_insert(value);
    }
    Ok(vars)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config_from(pairs: &[(&str, &str)]) -> Result<Config, Error> {
        let vars: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Config::from_lookup(|key| vars.get(key).cloned())
    }

    #[test]
    fn with_nothing_set_the_defaults_match_the_setup_tool() {
        let config = config_from(&[]).unwrap();
        assert_eq!(config.address(), "127.0.0.1:3306");
        assert_eq!(config.user, "tester");
        assert_eq!(config.password, "tester");
        assert_eq!(config.database, "llmagent");
        assert_eq!(config.ssl_mode, SslMode::Preferred);
        assert_eq!(config.ssl_ca, None);
    }

    #[test]
    fn each_variable_overrides_its_default() {
        let config = config_from(&[
            ("DB_HOST", "db.example"),
            ("DB_PORT", "3307"),
            ("DB_USER", "alice"),
            ("DB_PASSWORD", "s3cret"),
            ("DB_NAME", "agent"),
            ("DB_SSL_MODE", "REQUIRED"),
        ])
        .unwrap();
        assert_eq!(config.address(), "db.example:3307");
        assert_eq!(
            (config.user.as_str(), config.database.as_str()),
            ("alice", "agent")
        );
        assert_eq!(config.password, "s3cret");
        assert_eq!(config.ssl_mode, SslMode::Required);
    }

    #[test]
    fn an_invalid_port_names_the_variable_and_the_bad_value() {
        for bad in ["abc", "0", "70000", ""] {
            let err = config_from(&[("DB_PORT", bad)]).unwrap_err();
            assert!(
                matches!(&err, Error::InvalidPort { value } if value == bad),
                "{err:?}"
            );
            let message = err.to_string();
            assert!(message.contains("DB_PORT"), "{message}");
            assert!(message.contains("3306"), "names the default: {message}");
            assert!(message.contains(&format!("{bad:?}")), "{message}");
        }
    }

    #[test]
    fn a_database_name_is_letters_digits_and_underscores_up_to_64() {
        let longest = "a".repeat(64);
        for good in ["llmagent", "llmagent_test_1", "A_2", longest.as_str()] {
            assert!(check_database_name(good).is_ok(), "{good:?} was refused");
        }
        let too_long = "a".repeat(65);
        for bad in ["", "my-db", "db`; DROP", "café", "a b", too_long.as_str()] {
            let err = config_from(&[("DB_NAME", bad)]).unwrap_err();
            assert!(
                matches!(&err, Error::InvalidDatabaseName { value } if value == bad),
                "{bad:?} gave {err:?}"
            );
            assert!(err.to_string().contains("DB_NAME"), "{err}");
        }
    }

    #[test]
    fn the_servers_own_databases_are_refused_in_any_case() {
        for system in ["mysql", "information_schema", "PERFORMANCE_SCHEMA", "Sys"] {
            let err = config_from(&[("DB_NAME", system)]).unwrap_err();
            assert!(
                matches!(&err, Error::SystemDatabase { value } if value == system),
                "{system:?} gave {err:?}"
            );
            let message = err.to_string();
            assert!(message.contains("server's own databases"), "{message}");
            assert!(
                message.contains("llmagent"),
                "names a good choice: {message}"
            );
        }
    }

    #[test]
    fn every_mysql_ssl_mode_name_is_read_and_others_are_refused() {
        for (name, mode) in SslMode::NAMES {
            let config = config_from(&[("DB_SSL_MODE", name)]).unwrap();
            assert_eq!(config.ssl_mode, mode, "DB_SSL_MODE={name}");
            assert_eq!(mode.to_string(), name, "the mode prints as it is spelled");
        }
        let err = config_from(&[("DB_SSL_MODE", "on")]).unwrap_err();
        assert!(matches!(err, Error::InvalidSsl { .. }), "{err:?}");
        let message = err.to_string();
        assert!(
            message.contains("verify_identity"),
            "lists the modes: {message}"
        );
        assert!(
            message.contains("\"on\""),
            "quotes the bad value: {message}"
        );
    }

    #[test]
    fn a_ca_file_needs_a_mode_that_checks_certificates_and_must_exist() {
        let this_file = concat!(env!("CARGO_MANIFEST_DIR"), "/src/config.rs");

        let unused = config_from(&[("DB_SSL_CA", this_file)]).unwrap_err();
        let missing = config_from(&[
            ("DB_SSL_MODE", "verify_ca"),
            ("DB_SSL_CA", "/no/such/ca.pem"),
        ])
        .unwrap_err();
        let used = config_from(&[("DB_SSL_MODE", "verify_identity"), ("DB_SSL_CA", this_file)]);

        assert!(
            unused
                .to_string()
                .contains("DB_SSL_MODE=preferred does not check"),
            "{unused}"
        );
        assert!(missing.to_string().contains("no such file"), "{missing}");
        let used = used.expect("verify_identity with an existing CA file is valid");
        assert_eq!(used.ssl_ca, Some(PathBuf::from(this_file)));
    }

    #[test]
    fn the_replica_defaults_to_port_3316_and_counts_as_set_only_when_named() {
        let unset = config_from(&[("DB_PORT", "3307"), ("DB_PASSWORD", "pw")]).unwrap();
        assert_eq!(unset.replica().address(), "127.0.0.1:3316");
        assert!(
            unset.replica_if_set().is_none() && unset.replica_opts().is_none(),
            "without DB_REPLICA_HOST or DB_REPLICA_PORT a program that can do without a replica uses none"
        );
        let replica = config_from(&[("DB_REPLICA_PORT", "3317"), ("DB_PASSWORD", "pw")])
            .unwrap()
            .replica_if_set()
            .expect("DB_REPLICA_PORT names a replica");
        assert_eq!(replica.address(), "127.0.0.1:3317");
        assert_eq!(
            (replica.user.as_str(), replica.password.as_str()),
            ("tester", "pw"),
            "the replica has the primary's user and password"
        );
        let elsewhere = config_from(&[("DB_REPLICA_HOST", "replica.example")]).unwrap();
        assert_eq!(
            elsewhere.replica_if_set().map(|c| c.address()).as_deref(),
            Some("replica.example:3316")
        );
        for bad in ["abc", "0", "70000"] {
            let err = config_from(&[("DB_REPLICA_PORT", bad)]).unwrap_err();
            assert!(
                matches!(&err, Error::InvalidReplicaPort { value } if value == bad)
                    && err.to_string().contains("DB_REPLICA_PORT"),
                "{bad:?} gave {err}"
            );
        }
    }

    #[test]
    fn debug_output_hides_the_password() {
        let config = config_from(&[("DB_PASSWORD", "hunter2-very-secret")]).unwrap();
        let shown = format!("{config:?}");
        assert!(!shown.contains("hunter2-very-secret"), "{shown}");
        assert!(shown.contains("<hidden>"), "{shown}");
    }

    #[test]
    fn a_byte_order_mark_before_the_first_line_does_not_change_its_name() {
        let vars = parse_dotenv("\u{feff}DB_PORT=3307\nDB_USER=alice\n").unwrap();

        assert_eq!(
            vars.get("DB_PORT").map(String::as_str),
            Some("3307"),
            "{vars:?}"
        );
        assert_eq!(vars.len(), 2, "no other name appeared: {vars:?}");
    }

    #[test]
    fn dotenv_values_are_read_as_dotenvy_reads_them() {
        let text = "DB_PASSWORD=secret #note\n\
                    DB_USER=\"a\\\"b\"\n\
                    DB_NAME='x$HOMEy'\n\
                    DB_HOST=x$NOSUCHVARIABLE9zq\n\
                    # a comment line\n\
                    DB_PORT=3307\n\
                    DB_PORT=3308\n";

        let vars = parse_dotenv(text).unwrap();

        let get = |key: &str| vars.get(key).map(String::as_str);
        assert_eq!(
            get("DB_PASSWORD"),
            Some("secret"),
            "a comment after a space ends the value"
        );
        assert_eq!(get("DB_USER"), Some("a\"b"), "double quotes take escapes");
        assert_eq!(
            get("DB_NAME"),
            Some("x$HOMEy"),
            "single quotes take the text as it is"
        );
        assert_eq!(get("DB_HOST"), Some("x"), "an unknown $NAME becomes empty");
        assert_eq!(get("DB_PORT"), Some("3307"), "the first definition wins");
    }

    #[test]
    fn a_line_dotenv_cannot_parse_is_reported_without_its_text() {
        let err = parse_dotenv("DB_PASSWORD='correct horse battery\n").unwrap_err();

        let message = err.to_string();
        assert!(!message.contains("horse"), "{message}");
        assert!(message.contains(".env.example"), "{message}");
        assert!(message.contains("quote a value"), "{message}");
    }
}
