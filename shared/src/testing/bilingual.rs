//! Failure messages in English and Korean: `cargo test` run by hand shows both, the course runner
//! shows the student's language only (it keeps or drops lines by [`KO_MARKER`]).

/// Starts every Korean line of a failure message. The course runner keeps these lines (without the
/// marker) for a Korean student and drops them for an English one; a message with no marked line
/// (a panic of the code under test) is shown to both as it is.
pub const KO_MARKER: &str = "[ko] ";

/// A failure message in both languages: the English text, a newline, then the Korean text with
/// each of its lines starting with [`KO_MARKER`].
///
/// ```
/// # let (stored, expected) = (2, 2);
/// assert!(stored == expected, "{}", shared::bilingual!("{stored} messages stored; expected {expected}", "메시지 {stored}개가 저장됨, 기대한 수는 {expected}개"));
/// ```
///
/// With `Result::expect`, the error is appended to the last (Korean) line only, so an English
/// student would not see it: write `unwrap_or_else(|err| panic!("{}", bilingual!(... {err} ...)))`.
pub fn bilingual(en: impl AsRef<str>, ko: impl AsRef<str>) -> String {
    let mut message = en.as_ref().trim_end().to_string();
    for line in ko.as_ref().trim_end().lines() {
        message.push('\n');
        if line.is_empty() {
            message.push_str(KO_MARKER.trim_end());
        } else {
            message.push_str(KO_MARKER);
            message.push_str(line);
        }
    }
    message
}

/// `bilingual!("en {x}", "ko {x}")`: [`bilingual`] of the two texts, each formatted like `format!`
/// (so `{x}` takes the variable `x`, which a `concat!`-built string could not).
#[macro_export]
macro_rules! bilingual {
    ($en:literal, $ko:literal $(,)?) => {
        $crate::testing::bilingual(::std::format!($en), ::std::format!($ko))
    };
    ($en:literal, $ko:literal, $($arg:tt)+) => {
        $crate::testing::bilingual(::std::format!($en, $($arg)+), ::std::format!($ko, $($arg)+))
    };
}

/// The value of a call of the code under test that must succeed here; an `Err` fails the test with
/// a message in both languages naming the call (as `create_user("Alice", "alice@example.com")`).
///
/// ```
/// let id = shared::testing::expect_ok(Ok::<u64, String>(7), "create_user(\"Alice\", \"alice@example.com\")");
/// # assert_eq!(id, 7);
/// ```
#[track_caller]
pub fn expect_ok<T, E: std::fmt::Debug>(result: Result<T, E>, call: &str) -> T {
    match result {
        Ok(value) => value,
        Err(err) => panic!(
            "{}",
            bilingual(
                format!("{call} returned an error where it should succeed: {err:?}"),
                format!("{call} 호출은 성공해야 하는데 오류를 반환했습니다: {err:?}"),
            )
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_korean_line_is_marked_and_no_english_line_is() {
        let message = bilingual("first\nsecond", "첫째\n\n둘째");
        assert!(
            message == "first\nsecond\n[ko] 첫째\n[ko]\n[ko] 둘째",
            "built {message:?}"
        );
    }

    #[test]
    fn a_failed_call_that_must_succeed_says_so_in_both_languages() {
        let panic = std::panic::catch_unwind(|| expect_ok(Err::<(), _>("boom"), "f(1)"))
            .expect_err("an Err must fail the test");
        let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(
            message
                == "f(1) returned an error where it should succeed: \"boom\"\n\
                        [ko] f(1) 호출은 성공해야 하는데 오류를 반환했습니다: \"boom\"",
            "built {message:?}"
        );
    }

    #[test]
    fn the_macro_formats_both_texts_with_the_callers_variables() {
        let n = 3;
        let message = crate::bilingual!("{n} rows", "{n}개 행");
        assert!(message == "3 rows\n[ko] 3개 행", "built {message:?}");
        let message = crate::bilingual!("{} rows", "{}개 행", n + 1);
        assert!(message == "4 rows\n[ko] 4개 행", "built {message:?}");
    }
}
