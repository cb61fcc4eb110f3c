//! Lesson 9's server measured from the bench, against the real database server with tiny numbers
//! of requests: every endpoint answers over HTTP and directly, the requests really reach the
//! database, a wrong answer stops the run, and the server stops when dropped.

use std::ops::ControlFlow;
use std::time::Duration;

use bench::http::{Endpoint, HttpPlan, HttpProgress, QUESTION, Server, Via};
use bench::setup::{Environment, TransportChoice};
use mysql::prelude::Queryable;

const TIMEOUT: Duration = Duration::from_secs(5);

fn tiny_plan() -> HttpPlan {
    HttpPlan {
        ops: 8,
        chat_ops: 4,
        warmup: 1,
        rounds: 2,
        clients: vec![1, 2],
        pool_size: 2,
    }
}

/// A throwaway database with `users` users, and lesson 9's server for `clients` clients on it.
fn server(users: usize, clients: usize) -> anyhow::Result<(Server, Environment)> {
    let env = Environment::prepare(TransportChoice::Tcp, users, 1, TIMEOUT)?;
    let ids = env.user_ids(2 * clients)?;
    let server = Server::start(env.config(), &ids, clients, 2)?;
    Ok((server, env))
}

fn messages_of(env: &Environment, users: &[u64]) -> anyhow::Result<u64> {
    let mut conn = mysql::Conn::new(env.target.opts.clone())?;
    let mut total = 0;
    for &user in users {
        let count: Option<u64> = conn.exec_first(
            "SELECT COUNT(*) FROM conversations WHERE user_id = ?",
            (user,),
        )?;
        total += count.unwrap_or(0);
    }
    Ok(total)
}

#[test]
fn every_endpoint_is_measured_over_http_and_directly_and_each_chat_is_stored() -> anyhow::Result<()>
{
    let (server, env) = server(4, 2)?;
    let plan = tiny_plan();
    let mut seen = Vec::new();

    let measurements = server.run(&plan, &mut |p: &HttpProgress| {
        seen.push(*p);
        ControlFlow::Continue(())
    })?;

    assert_eq!(
        seen.len(),
        plan.steps(),
        "one progress call per step: {seen:?}"
    );
    assert_eq!(
        (seen[0].key.2, seen[plan.steps() / 2].key.2),
        (Via::Direct, Via::Http),
        "the direct call goes first in round 1, HTTP first in round 2"
    );
    let order: Vec<(Endpoint, usize, Via)> = measurements
        .iter()
        .map(|m| (m.endpoint, m.clients, m.via))
        .collect();
    let mut expected = Vec::new();
    for endpoint in Endpoint::ALL {
        for clients in [1, 2] {
            for via in Via::ALL {
                expected.push((endpoint, clients, via));
            }
        }
    }
    assert_eq!(
        order, expected,
        "report order: endpoint, clients, direct first"
    );
    let mut chats = 0;
    for m in &measurements {
        let per_client = plan.ops_per_client_per_round(m.endpoint, m.clients);
        assert_eq!(
            m.latency.count,
            per_client * m.clients * plan.rounds,
            "every client's requests of every round are counted: {m:?}"
        );
        assert!(
            m.latency.min > 0 && m.latency.median <= m.latency.p99,
            "the latencies are real and ordered: {m:?}"
        );
        if m.endpoint == Endpoint::Chat {
            let warmup = plan.warmup.min(per_client) * m.clients * plan.rounds;
            chats += m.latency.count + warmup;
        }
    }
    // Each chat, over HTTP or direct, timed or warm-up, stored a question and its answer.
    assert_eq!(
        messages_of(&env, &server.chatters)?,
        2 * chats as u64,
        "the chatters' messages are two per chat request"
    );
    // The readers' conversations were only read: still the 20 seeded messages each.
    assert_eq!(messages_of(&env, &server.readers)?, 20 * 2);
    Ok(())
}

#[test]
fn a_conversation_that_is_not_what_was_seeded_stops_the_run() -> anyhow::Result<()> {
    let (server, env) = server(2, 1)?;
    let mut conn = mysql::Conn::new(env.target.opts.clone())?;
    conn.exec_drop(
        "DELETE FROM conversations WHERE user_id = ? AND reply_to IS NOT NULL",
        (server.readers[0],),
    )?;

    for (via, result) in [
        (Via::Direct, server.direct(Endpoint::Conversations, 0)),
        (Via::Http, server.over_http(Endpoint::Conversations, 0)),
    ] {
        assert!(
            result
                .as_ref()
                .is_err_and(|why| why.to_string().contains("10 messages")),
            "{via:?}: 10 messages instead of 20 is a wrong answer, not a measurement: {result:?}"
        );
    }
    // A chat still works, both ways.
    server.direct(Endpoint::Chat, 0)?;
    server.over_http(Endpoint::Chat, 0)?;
    Ok(())
}

#[test]
fn a_chat_over_http_stores_the_question_the_bench_asked() -> anyhow::Result<()> {
    let (server, env) = server(2, 1)?;

    server.over_http(Endpoint::Chat, 0)?;

    let mut conn = mysql::Conn::new(env.target.opts.clone())?;
    let rows: Vec<(String, String)> = conn.exec(
        "SELECT role, content FROM conversations WHERE user_id = ? ORDER BY id",
        (server.chatters[0],),
    )?;
    assert_eq!(rows.len(), 2, "a question and its answer: {rows:?}");
    assert_eq!(
        (rows[0].0.as_str(), rows[0].1.as_str()),
        ("user", QUESTION),
        "the question as sent: {rows:?}"
    );
    assert_eq!(rows[1].0, "assistant", "then the answer: {rows:?}");
    Ok(())
}

#[test]
fn a_dropped_server_no_longer_accepts_connections() -> anyhow::Result<()> {
    let (server, _env) = server(2, 1)?;
    let address = server
        .base_url
        .strip_prefix("http://")
        .expect("the base URL is http://host:port")
        .to_string();
    std::net::TcpStream::connect(&address)?;

    drop(server);

    assert!(
        std::net::TcpStream::connect(&address).is_err(),
        "{address} still accepts connections after the server was dropped"
    );
    Ok(())
}

#[test]
fn a_round_after_a_pause_longer_than_the_servers_header_timeout_still_runs() -> anyhow::Result<()> {
    // Lesson 9's server closes a connection that waited 10 s for a request's headers; in a real run
    // the connection cases keep the clients idle longer than that before the first HTTP round.
    let (server, _env) = server(2, 1)?;
    std::thread::sleep(Duration::from_secs(11));

    let plan = HttpPlan {
        clients: vec![1],
        rounds: 1,
        ..tiny_plan()
    };
    let measurements = server.run(&plan, &mut |_: &HttpProgress| ControlFlow::Continue(()))?;

    assert_eq!(
        measurements.len(),
        4,
        "both endpoints, directly and over HTTP, after the pause: {measurements:?}"
    );
    Ok(())
}
