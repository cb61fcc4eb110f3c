//! The relay that notes every command: what a test reads when it counts a piece of code's statements.

use mysql::prelude::Queryable;
use shared::testing::{TestDb, statements_run_by};

#[test]
fn statements_run_by_names_the_sql_each_execution_of_a_prepared_statement_runs()
-> anyhow::Result<()> {
    let db = TestDb::new()?;

    let (result, run) = statements_run_by(&db, |conn| -> mysql::Result<()> {
        conn.exec_drop(
            "INSERT INTO users (name, email) VALUES (?, ?)",
            ("A", "a@x.test"),
        )?;
        conn.query_drop("DO 1")?;
        // The second execution of the same text reuses the driver's prepared statement.
        conn.exec_drop(
            "INSERT INTO users (name, email) VALUES (?, ?)",
            ("B", "b@x.test"),
        )?;
        let _: Option<u64> = conn.exec_first("SELECT COUNT(*) FROM users WHERE id > ?", (0,))?;
        Ok(())
    })?;

    result?;
    let seen: Vec<(&str, &str)> = run.iter().map(|c| (c.kind, c.sql.as_str())).collect();
    assert!(
        seen == [
            (
                "STMT_EXECUTE",
                "INSERT INTO users (name, email) VALUES (?, ?)"
            ),
            ("QUERY", "DO 1"),
            (
                "STMT_EXECUTE",
                "INSERT INTO users (name, email) VALUES (?, ?)"
            ),
            ("STMT_EXECUTE", "SELECT COUNT(*) FROM users WHERE id > ?"),
        ],
        "the statements run, with the SQL of each execution, were {seen:#?}"
    );
    Ok(())
}
