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
use shared::bilingual;
use shared::testing::{TestDb, expect_ok};

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
        let (held, idle) = (state.connections, state.idle_connections);
        assert!(
            (held, idle) == (3, 3),
            "{}",
            bilingual!(
                "a pool of 3 with min_idle None holds {held} connections, {idle} idle; expected 3, all idle",
                "min_idle이 None인 크기 3의 풀이 커넥션 {held}개를 가지고 그중 {idle}개가 쉬고 있습니다. \
                 기대한 것은 3개, 모두 쉬는 상태입니다"
            )
        );
        let on_server = wait_for_count(&mut watcher, &db, 3);
        assert!(
            on_server == 3,
            "{}",
            bilingual!(
                "the server lists {on_server} connections; expected 3",
                "서버에 커넥션이 {on_server}개 보입니다. 기대한 수는 3개입니다"
            )
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
            "{}",
            bilingual!(
                "r2d2 was built with {applied:?}\n but the settings were {settings:?}: \
                 every field needs its builder call (a setting left out keeps r2d2's default)",
                "r2d2를 만든 설정은 {applied:?}인데\n주어진 설정은 {settings:?}입니다. 필드마다 빌더 \
                 호출이 있어야 합니다(빠뜨린 설정은 r2d2의 기본값으로 남습니다)"
            )
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
        let victim = expect_ok(
            checkout(&pool, Duration::from_secs(2)),
            "checkout(&pool, Duration::from_secs(2))",
        )
        .connection_id();
        crate::common::kill(&mut watcher, victim)?;
        db.wait_for_sessions(&mut watcher, |ids| !ids.contains(&victim));
        std::thread::sleep(pause);

        let mut next = expect_ok(
            checkout(&pool, Duration::from_secs(2)),
            "checkout(&pool, Duration::from_secs(2))",
        );
        Ok((victim, crate::common::connection_id(&mut next)))
    }

    #[test]
    fn a_liveness_window_of_zero_pings_before_every_checkout() -> anyhow::Result<()> {
        let (victim, next) =
            query_after_killing_the_idle_connection(Duration::ZERO, Duration::ZERO)?;

        match next {
            Ok(id) => assert!(
                id != victim,
                "{}",
                bilingual!(
                    "the killed connection {victim} was lent again",
                    "KILL된 커넥션(id {victim})을 다시 빌려주었습니다"
                )
            ),
            Err(err) => panic!(
                "{}",
                bilingual!(
                    "with a liveness_window of zero, the connection killed while idle reached the \
                     caller ({err}): was settings.liveness_window given to the manager?",
                    "liveness_window가 0인데, 쉬는 동안 KILL된 커넥션이 호출자에게 갔습니다({err}). \
                     settings.liveness_window를 매니저에 주었나요?"
                )
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
            "{}",
            bilingual!(
                "with a liveness_window of 60 s, a connection back for 0.6 s was pinged before it was \
                 lent (the query got {next:?}; expected the killed connection's error): was \
                 settings.liveness_window given to the manager?",
                "liveness_window가 60초인데, 반납된 지 0.6초밖에 안 된 커넥션을 빌려주기 전에 핑했습니다(쿼리 \
                 결과는 {next:?}, 기대한 것은 KILL된 커넥션의 오류). settings.liveness_window를 매니저에 \
                 주었나요?"
            )
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

        let (at_start, when_busy) = (at_start.len(), when_busy.len());
        assert!(
            at_start == 1,
            "{}",
            bilingual!(
                "with min_idle Some(1) the server listed {at_start} connections at start; expected 1",
                "min_idle이 Some(1)인데 처음에 서버에 커넥션이 {at_start}개 보였습니다. 기대한 수는 1개입니다"
            )
        );
        assert!(
            when_busy == 3,
            "{}",
            bilingual!(
                "with 3 lent the server lists {when_busy}; expected 3",
                "3개를 빌려준 동안 서버에 {when_busy}개가 보입니다. 기대한 수는 3개입니다"
            )
        );
        assert!(
            one_more.is_err(),
            "{}",
            bilingual!(
                "a 4th connection was lent by a pool of max_size 3",
                "max_size가 3인 풀이 네 번째 커넥션을 빌려주었습니다"
            )
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
            }))) => {
                let expected = config.address();
                assert!(
                    address == expected,
                    "{}",
                    bilingual!(
                        "the error names {address}; expected {expected}",
                        "오류가 가리키는 주소는 {address}이고, 기대한 주소는 {expected}입니다"
                    )
                )
            }
            Err(other) => panic!(
                "{}",
                bilingual!(
                    "expected PoolError::Build(Unavailable(Unreachable)), got `{other}`: was the build \
                     error turned into a PoolError with PoolError::from_build?",
                    "PoolError::Build(Unavailable(Unreachable))를 기대했는데, 받은 값은 `{other}`입니다. build \
                     오류를 PoolError::from_build를 써서 PoolError로 바꾸었나요?"
                )
            ),
            Ok(_) => {
                let port = config.port;
                panic!(
                    "{}",
                    bilingual!(
                        "a pool was built with no server on port {port}",
                        "포트 {port}에 서버가 없는데 풀이 만들어졌습니다"
                    )
                )
            }
        }
        assert!(
            elapsed < Duration::from_millis(500) + Duration::from_secs(2),
            "{}",
            bilingual!(
                "build_pool took {elapsed:?} with a connection_timeout of 500 ms: was the setting given \
                 to r2d2?",
                "connection_timeout이 500 ms인데 build_pool이 {elapsed:?} 걸렸습니다. 그 설정을 r2d2에 \
                 주었나요?"
            )
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
            panic!(
                "{}",
                bilingual!(
                    "the server accepted a wrong password",
                    "서버가 틀린 비밀번호를 받아들였습니다"
                )
            );
        };

        let chain = format!("{:#}", anyhow::Error::from(err));
        assert!(
            chain.contains("refused user"),
            "{}",
            bilingual!(
                "the error chain `{chain}` does not say the server refused the user: was the build \
                 error turned into a PoolError with PoolError::from_build?",
                "오류 체인이 서버가 사용자를 거부했다고 말하지 않습니다(`{chain}`). build 오류를 \
                 PoolError::from_build를 써서 PoolError로 바꾸었나요?"
            )
        );
        assert!(
            !chain.contains("not-the-password-4711"),
            "{}",
            bilingual!(
                "the error shows the password: {chain}",
                "오류가 비밀번호를 보여 줍니다: {chain}"
            )
        );
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
                    "{}",
                    bilingual!(
                        "build_pool panicked on {settings:?}: r2d2's builder asserts its settings, \
                         so check them (settings.validate()) before building",
                        "build_pool이 panic했습니다(설정: {settings:?}). r2d2의 빌더는 설정을 assert하므로, \
                         만들기 전에 설정을 확인하세요(settings.validate())"
                    )
                );
            };
            let got = result.err();
            assert!(
                matches!(got, Some(PoolError::InvalidSettings(_))),
                "{}",
                bilingual!(
                    "build_pool on {settings:?} returned {got:?}; expected InvalidSettings",
                    "설정이 {settings:?}일 때 build_pool의 반환값은 {got:?}이고, 기대한 것은 \
                     InvalidSettings입니다"
                )
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
            expect_ok(
                checkout(&pool, Duration::from_secs(2)),
                "checkout(&pool, Duration::from_secs(2))",
            ),
            expect_ok(
                checkout(&pool, Duration::from_secs(2)),
                "checkout(&pool, Duration::from_secs(2))",
            ),
        );
        let deadline = Duration::from_millis(300);

        let started = Instant::now();
        let result = checkout(&pool, deadline);
        let elapsed = started.elapsed();

        match result {
            Err(PoolError::Timeout { waited, .. }) => assert!(
                waited >= deadline && waited <= elapsed,
                "{}",
                bilingual!(
                    "waited {waited:?}, for a deadline of {deadline:?}, in a call that took \
                     {elapsed:?}: `waited` is how long this call really waited",
                    "기한이 {deadline:?}이고 {elapsed:?} 걸린 호출에서 waited가 {waited:?}입니다. \
                     `waited`는 이 호출이 실제로 기다린 시간입니다"
                )
            ),
            Err(other) => panic!(
                "{}",
                bilingual!(
                    "expected PoolError::Timeout, got `{other}`",
                    "PoolError::Timeout을 기대했는데, 받은 값은 `{other}`입니다"
                )
            ),
            Ok(_) => panic!(
                "{}",
                bilingual!(
                    "expected PoolError::Timeout, got a third connection from a pool of 2",
                    "PoolError::Timeout을 기대했는데 크기 2인 풀에서 세 번째 커넥션을 받았습니다"
                )
            ),
        }
        assert!(
            elapsed < Duration::from_secs(1),
            "{}",
            bilingual!(
                "the checkout took {elapsed:?} for a deadline of {deadline:?}: does it wait for \
                 `timeout`, or for the pool's connection_timeout (2 s)?",
                "기한 {deadline:?}인 대여가 {elapsed:?} 걸렸습니다. `timeout`만큼 기다리나요, 아니면 풀의 \
                 connection_timeout(2초)만큼 기다리나요?"
            )
        );
        drop(held);
        let lent = checkout(&pool, deadline).err();
        assert!(
            lent.is_none(),
            "{}",
            bilingual!(
                "once both came back, a checkout failed: {lent:?}",
                "두 커넥션이 모두 반납된 뒤에 대여가 실패했습니다: {lent:?}"
            )
        );
        Ok(())
    }

    #[test]
    fn the_timeout_keeps_r2d2s_error_as_its_cause() -> anyhow::Result<()> {
        let db = TestDb::new()?;
        let pool = small_pool(&db, 1);
        let _held = expect_ok(
            checkout(&pool, Duration::from_secs(2)),
            "checkout(&pool, Duration::from_secs(2))",
        );

        let Err(err) = checkout(&pool, Duration::from_millis(100)) else {
            panic!(
                "{}",
                bilingual!(
                    "a second connection from a pool of 1",
                    "크기 1인 풀에서 두 번째 커넥션을 받았습니다"
                )
            );
        };

        let cause = err.source().map(ToString::to_string);
        assert!(
            cause.as_deref() == Some("timed out waiting for connection"),
            "{}",
            bilingual!(
                "the timeout's cause is {cause:?}; expected r2d2's own error",
                "타임아웃의 원인(source)이 {cause:?}입니다. 기대한 것은 r2d2 자신의 오류입니다"
            )
        );
        Ok(())
    }
}
