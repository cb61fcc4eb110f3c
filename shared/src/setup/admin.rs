//! What the server's admin does: the course's user, database, schema and test-database grant,
//! and the reset. Always over TCP to DB_HOST:DB_PORT, so it can only ever act on that server.

use std::time::Duration;

use super::{SCHEMA_SQL, TEST_DB_PREFIX, run_statements};
use crate::{Config, check_database_name};
use anyhow::{Context, Result, bail};
use mysql::prelude::Queryable;
use mysql::{Conn, OptsBuilder};

use super::say;

/// The tests' databases as a GRANT / LIKE pattern: `_` matches any character unless escaped.
pub(crate) const TEST_DB_PATTERN: &str = "llmagent\\_test\\_%";

/// Who administers the server at DB_HOST:DB_PORT.
pub struct AdminLogin {
    pub user: String,
    pub password: String,
}

/// Logs in as the admin at the configured address, without choosing a database.
pub fn connect_admin(config: &Config, login: &AdminLogin) -> mysql::Result<Conn> {
    let opts = OptsBuilder::new()
        .ip_or_hostname(Some(config.host.clone()))
        .tcp_port(config.port)
        .user(Some(login.user.clone()))
        .pass(Some(login.password.clone()))
        // Over TCP only: a Unix socket could belong to another server than DB_PORT's.
        .prefer_socket(false)
        .tcp_connect_timeout(Some(Duration::from_secs(3)))
        .read_timeout(Some(Duration::from_secs(60)))
        .write_timeout(Some(Duration::from_secs(60)));
    Conn::new(opts)
}

fn check_user_name(name: &str) -> Result<()> {
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        bail!("DB_USER may hold letters, digits and _ only, not {name:?}");
    }
    Ok(())
}

/// A value as a quoted SQL string. Account statements (CREATE USER, GRANT) take no `?` parameters
/// (MySQL 9.7 refuses them outside DML), so this is the one place where a value goes into SQL text:
/// quotes and backslashes are doubled, which the default sql_mode of both servers reads back as is.
pub fn sql_string(value: &str) -> String {
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "''"))
}

/// The statements that give the course's user its database and the tests' databases.
/// Each one is safe to repeat. The names were checked by [`check_database_name`] / `check_user_name`.
pub fn bootstrap_statements(config: &Config) -> Vec<String> {
    let (db, user, pass) = (
        &config.database,
        sql_string(&config.user),
        sql_string(&config.password),
    );
    vec![
        format!(
            "CREATE DATABASE IF NOT EXISTS `{db}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_520_ci"
        ),
        format!("CREATE USER IF NOT EXISTS {user}@'%' IDENTIFIED BY {pass}"),
        format!("ALTER USER {user}@'%' IDENTIFIED BY {pass}"),
        format!("GRANT ALL PRIVILEGES ON `{db}`.* TO {user}@'%'"),
        format!("GRANT ALL PRIVILEGES ON `{TEST_DB_PATTERN}`.* TO {user}@'%'"),
    ]
}

/// As the admin: drops anonymous users, creates the user, database and grants, loads the schema.
pub fn ensure_database(config: &Config, admin: &mut Conn) -> Result<()> {
    check_database_name(&config.database)?;
    check_user_name(&config.user)?;
    say(format!(
        "making sure of user '{}', database '{}' and its schema",
        config.user, config.database
    ));
    // MariaDB's install creates ''@'localhost'; for a login from localhost it is a better match than
    // 'tester'@'%', so tester would be refused with its own password. MySQL has none of these.
    let anonymous: Vec<String> = admin.query("SELECT Host FROM mysql.user WHERE User = ''")?;
    for host in anonymous {
        admin.query_drop(format!("DROP USER ''@{}", sql_string(&host)))?;
    }
    for statement in bootstrap_statements(config) {
        admin.query_drop(&statement)?;
    }
    admin.query_drop(format!("USE `{}`", config.database))?;
    run_statements(admin, SCHEMA_SQL).context("loading docker/schema.sql")?;
    Ok(())
}

/// As the course's user, on a server this project did not start: loads the schema if the user may.
/// Otherwise says what that server's admin must run.
pub fn ensure_database_as_user(config: &Config) -> Result<()> {
    check_database_name(&config.database)?;
    say(format!(
        "this project did not start the server at {}: checking it as user '{}'",
        config.address(),
        config.user
    ));
    let loaded = crate::connect(config)
        .map_err(anyhow::Error::from)
        .and_then(|mut conn| run_statements(&mut conn, SCHEMA_SQL).map_err(Into::into));
    if let Err(err) = loaded {
        let hidden = Config {
            password: "<DB_PASSWORD>".into(),
            ..config.clone()
        };
        let sql: String = bootstrap_statements(&hidden)
            .iter()
            .map(|s| format!("    {};\n", s.replace("'<DB_PASSWORD>'", "<DB_PASSWORD>")))
            .collect();
        bail!(
            "a MySQL server answers on {address}, but user '{user}' cannot load the schema into '{db}' \
             ({err:#}).\n  As that server's admin, run:\n{sql}  then run `cargo run -p db -- up` again. \
             (Or stop that server: then `up` starts one of its own.)",
            address = config.address(),
            user = config.user,
            db = config.database,
        );
    }
    Ok(())
}

/// Drops the course database and every test database, then sets them up again.
pub fn reset(config: &Config, admin: &mut Conn) -> Result<()> {
    check_database_name(&config.database)?;
    let test_databases: Vec<String> = admin.exec(
        "SELECT SCHEMA_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE ?",
        (TEST_DB_PATTERN,),
    )?;
    say(format!(
        "dropping and recreating database '{}', and dropping {} leftover {TEST_DB_PREFIX}* test database(s)",
        config.database,
        test_databases.len()
    ));
    for name in test_databases.iter().chain([&config.database]) {
        // The names come from the pattern above or passed check_database_name: no backtick in them.
        if name.contains('`') {
            bail!("refusing to drop a database whose name holds a backtick: {name:?}");
        }
        admin.query_drop(format!("DROP DATABASE IF EXISTS `{name}`"))?;
    }
    ensure_database(config, admin)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sql_string_doubles_quotes_and_backslashes() {
        assert!(
            sql_string(r"it's a\b") == r"'it''s a\\b'",
            "got {}",
            sql_string(r"it's a\b")
        );
    }

    #[test]
    fn the_grant_covers_only_the_escaped_test_database_pattern() {
        let config = Config::from_lookup(|_| None).unwrap();
        let statements = bootstrap_statements(&config).join("\n");
        assert!(
            statements.contains(r"ON `llmagent\_test\_%`.*"),
            "the test grant must escape `_` so it matches llmagent_test_ names only:\n{statements}"
        );
    }
}
