//! What an operator can follow in the server's log.

use shared::testing::TestDb;

use crate::common::{ServerProcess, client};

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn at_debug_level_database_work_names_its_request_and_the_connection_the_server_lists() {
    let db = TestDb::new().unwrap();
    let server = ServerProcess::start(&db, "debug");

    let reply = client()
        .get(format!("{}/health", server.url))
        .header("x-request-id", "find-me-42")
        .send()
        .await
        .unwrap();
    let status = reply.status();
    let mut watcher = db.conn();
    let listed = db.session_ids(&mut watcher);
    let log = server.stop().log;

    assert!(status == 200, "/health answered {status}");
    let line = log
        .lines()
        .find(|line| line.contains("database work") && line.contains("find-me-42"))
        .unwrap_or_else(|| panic!("no 'database work' line names the request id:\n{log}"));
    let connection_id: u32 = line
        .split("connection_id=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("the line names no connection_id: {line}"));
    assert!(
        listed.contains(&connection_id),
        "the log names connection {connection_id}, but SHOW PROCESSLIST lists {listed:?} for the \
         server's database: the id would lead an operator nowhere"
    );
}
