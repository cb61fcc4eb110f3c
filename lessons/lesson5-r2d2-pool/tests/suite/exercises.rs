//! Checks Exercise 5 against the real server, each test in its own database: `step_a` the pool
//! `build_pool` makes, `step_b` the checkout. What r2d2 itself does (the order it lends in, its
//! pings, a KILL, closing) is pinned in tests/suite/r2d2_behaviour.rs.
//! Run with `cargo test -p lesson5 --features exercise --test suite exercises::step_a::` (or `step_b::`).
//!
//! Careful in tests: `{:?}` of an r2d2 pool (also inside `unwrap_err()` on a `Result<MysqlPool, _>`)
//! prints the manager's Opts, password included. Match on the result instead.

use std::time::{Duration, Instant};

use crate::common::{small_pool, wait_for_count};
use lesson5::{BuildError, PoolError, PoolSettings, build_pool, checkout};
use shared::testing::TestDb;

/// Step 5a: the pool, with every setting.
mod step_a {
    use super::*;

    /// A port on this machine where nothing listens: a stopped server, as far as a client can tell.
    fn a_port_with_no_server() -> u16 {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
        listener.local_addr().expect("its address").port()
        // the listener closes here, so connecting to the port is refused
    }

    #[test]
    fn build_pool_opens_max_size_connections_when_min_idle_is_none() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let mut watcher = db.conn();

        let pool = small_pool(&db, 3);

        let state = pool.state();
        assert!(
            (state.connections, state.idle_connections) == (3, 3),
            "a pool of 3 with min_idle None holds {} connections, {} idle; expected 3, all idle",
            state.connections,
            state.idle_connections
        );
        let on_server = wait_for_count(&mut watcher, &db, 3);
        assert!(
            on_server == 3,
            "the server lists {on_server} connections; expected 3"
        );
        Ok(())
    }

    #[test]
    fn build_pool_gives_r2d2_every_setting() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        // None of these is r2d2's default or PoolSettings::default(), so a forgotten builder call shows.
        let settings = PoolSettings {
            max_size: 3,
            min_idle: Some(2),
            connection_timeout: Duration::from_millis(1500),
            test_on_check_out: false,
            idle_timeout: Some(Duration::from_secs(90)),
            max_lifetime: None,
            liveness_window: Duration::from_secs(7),
        };

        let pool = crate::common::pool_with(&db, settings);

        let applied = PoolSettings {
            max_size: pool.max_size(),
            min_idle: pool.min_idle(),
            connection_timeout: pool.connection_timeout(),
            test_on_check_out: pool.test_on_check_out(),
            idle_timeout: pool.idle_timeout(),
            max_lifetime: pool.max_lifetime(),
            // The manager's, not r2d2's: r2d2 cannot report it; the two tests below check it.
            liveness_window: settings.liveness_window,
        };
        assert!(
            applied == settings,
            "r2d2 was built with {applied:?}\n but the settings were {settings:?}: \
             every field needs its builder call (a setting left out keeps r2d2's default)"
        );
        Ok(())
    }

    /// A pool of one connection with `liveness_window`, whose connection is killed from another
    /// session while it is idle; then `pause`, and a query on the next checkout.
    fn query_after_killing_the_idle_connection(
        liveness_window: Duration,
        pause: Duration,
    ) -> anyhow::Result<(u32, mysql::Result<u32>)> {
        let db = TestDb::new()?;
        let settings = PoolSettings {
            max_size: 1,
            liveness_window,
            ..PoolSettings::default()
        };
        let pool = crate::common::pool_with(&db, settings);
        let mut watcher = db.conn();
        let victim = checkout(&pool, Duration::from_secs(2))?.connection_id();
        crate::common::kill(&mut watcher, victim)?;
        db.wait_for_sessions(&mut watcher, |ids| !ids.contains(&victim));
        std::thread::sleep(pause);

        let mut next = checkout(&pool, Duration::from_secs(2))?;
        Ok((victim, crate::common::connection_id(&mut next)))
    }

    #[test]
    fn a_liveness_window_of_zero_pings_before_every_checkout() -> anyhow::Result<()> {
        let (victim, next) =
            query_after_killing_the_idle_connection(Duration::ZERO, Duration::ZERO)?;

        match next {
            Ok(id) => assert!(
                id != victim,
                "the killed connection {victim} was lent again"
            ),
            Err(err) => panic!(
                "with a liveness_window of zero, the connection killed while idle reached the                  caller ({err}): was settings.liveness_window given to the manager?"
            ),
        }
        Ok(())
    }

    #[test]
    fn within_the_liveness_window_a_connection_is_lent_without_a_ping() -> anyhow::Result<()> {
        // Killed while idle, lent 0.6 s after it came back: inside a window of 60 s, so not
        // pinged (the caller meets the dead connection: the price of skipping the ping), and
        // outside the default window of 500 ms, which would ping it.
        let (_, next) = query_after_killing_the_idle_connection(
            Duration::from_secs(60),
            Duration::from_millis(600),
        )?;

        assert!(
            next.as_ref().is_err_and(|err| err.is_connectivity_error()),
            "with a liveness_window of 60 s, a connection back for 0.6 s was pinged before it was              lent (the query got {next:?}; expected the killed connection's error): was              settings.liveness_window given to the manager?"
        );
        Ok(())
    }

    #[test]
    fn with_min_idle_the_pool_starts_small_and_grows_to_max_size_but_no_further()
    -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let mut watcher = db.conn();
        let settings = PoolSettings {
            max_size: 3,
            min_idle: Some(1),
            ..PoolSettings::default()
        };

        let pool = crate::common::pool_with(&db, settings);
        let at_start = db.wait_for_sessions(&mut watcher, |ids| ids.len() == 1);
        let busy: Vec<_> = (0..3)
            .map(|_| pool.get_timeout(Duration::from_secs(2)))
            .collect::<Result<_, _>>()?;
        // (polled: a new connection's TCP session, left for the Unix socket, lingers in the list a moment)
        let when_busy = db.wait_for_sessions(&mut watcher, |ids| ids.len() == 3);
        let one_more = pool.get_timeout(Duration::from_millis(200));

        assert!(
            at_start.len() == 1,
            "with min_idle Some(1) the server listed {} connections at start; expected 1",
            at_start.len()
        );
        assert!(
            when_busy.len() == 3,
            "with 3 lent the server lists {}",
            when_busy.len()
        );
        assert!(
            one_more.is_err(),
            "a 4th connection was lent by a pool of max_size 3"
        );
        drop(busy);
        Ok(())
    }

    #[test]
    fn a_stopped_server_fails_build_within_connection_timeout_naming_the_address()
    -> anyhow::Result<()> {
        let mut config = shared::Config::from_env()?;
        config.port = a_port_with_no_server();
        let settings = PoolSettings {
            connection_timeout: Duration::from_millis(500),
            ..PoolSettings::default()
        };

        let started = Instant::now();
        let result = build_pool(&config, &settings);
        let elapsed = started.elapsed();

        match result {
            Err(PoolError::Build(BuildError::Unavailable(shared::Error::Unreachable {
                address,
                ..
            }))) => assert!(
                address == config.address(),
                "the error names {address}; expected {}",
                config.address()
            ),
            Err(other) => panic!(
                "expected PoolError::Build(Unavailable(Unreachable)), got `{other}`: was the build error \
                 turned into a PoolError with PoolError::from_build?"
            ),
            Ok(_) => panic!("a pool was built with no server on port {}", config.port),
        }
        assert!(
            elapsed < Duration::from_millis(500) + Duration::from_secs(2),
            "build_pool took {elapsed:?} with a connection_timeout of 500 ms: was the setting given to r2d2?"
        );
        Ok(())
    }

    #[test]
    fn a_wrong_password_fails_build_with_the_servers_reason_and_without_the_password()
    -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let mut config = db.config().clone();
        config.password = "not-the-password-4711".into();
        let settings = PoolSettings {
            connection_timeout: Duration::from_millis(500),
            ..PoolSettings::default()
        };

        // Not expect_err: on an Ok it would print the pool with {:?}, password included.
        let Err(err) = build_pool(&config, &settings) else {
            panic!("the server accepted a wrong password");
        };

        let chain = format!("{:#}", anyhow::Error::from(err));
        assert!(
            chain.contains("refused user"),
            "the error chain `{chain}` does not say the server refused the user: was the build \
             error turned into a PoolError with PoolError::from_build?"
        );
        assert!(!chain.contains("not-the-password-4711"), "{chain}");
        Ok(())
    }

    #[test]
    fn settings_r2d2_would_panic_on_are_an_error() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let zero = PoolSettings {
            max_size: 0,
            ..PoolSettings::default()
        };
        let min_above_max = PoolSettings {
            max_size: 2,
            min_idle: Some(3),
            ..PoolSettings::default()
        };

        for settings in [zero, min_above_max] {
            let result = std::panic::catch_unwind(|| build_pool(db.config(), &settings));
            let Ok(result) = result else {
                panic!(
                    "build_pool panicked on {settings:?}: r2d2's builder asserts its settings, \
                     so check them (settings.validate()) before building"
                );
            };
            assert!(
                matches!(result, Err(PoolError::InvalidSettings(_))),
                "build_pool on {settings:?} returned {:?}; expected InvalidSettings",
                result.err()
            );
        }
        Ok(())
    }
}

/// Step 5b: the checkout, with a deadline and an error of its own.
mod step_b {
    use super::*;
    use std::error::Error as _;

    #[test]
    fn an_exhausted_pool_returns_pool_timeout_within_the_deadline() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let pool = small_pool(&db, 2); // connection_timeout 2 s, the default
        let held = (
            checkout(&pool, Duration::from_secs(2))?,
            checkout(&pool, Duration::from_secs(2))?,
        );
        let deadline = Duration::from_millis(300);

        let started = Instant::now();
        let result = checkout(&pool, deadline);
        let elapsed = started.elapsed();

        match result {
            Err(PoolError::Timeout { waited, .. }) => assert!(
                waited >= deadline && waited <= elapsed,
                "waited {waited:?}, for a deadline of {deadline:?}, in a call that took \
                 {elapsed:?}: `waited` is how long this call really waited"
            ),
            Err(other) => panic!("expected PoolError::Timeout, got `{other}`"),
            Ok(_) => panic!("expected PoolError::Timeout, got a third connection from a pool of 2"),
        }
        assert!(
            elapsed < Duration::from_secs(1),
            "the checkout took {elapsed:?} for a deadline of {deadline:?}: does it wait for \
             `timeout`, or for the pool's connection_timeout (2 s)?"
        );
        drop(held);
        let lent = checkout(&pool, deadline);
        assert!(
            lent.is_ok(),
            "once both came back, a checkout failed: {:?}",
            lent.err()
        );
        Ok(())
    }

    #[test]
    fn the_timeout_keeps_r2d2s_error_as_its_cause() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let pool = small_pool(&db, 1);
        let _held = checkout(&pool, Duration::from_secs(2))?;

        let Err(err) = checkout(&pool, Duration::from_millis(100)) else {
            panic!("a second connection from a pool of 1");
        };

        let cause = err.source().map(ToString::to_string);
        assert!(
            cause.as_deref() == Some("timed out waiting for connection"),
            "the timeout's cause is {cause:?}; expected r2d2's own error"
        );
        Ok(())
    }
}
