//! English or Korean: every message of the runner exists in both, side by side at the place it is said.

use clap::ValueEnum;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Lang {
    En,
    Ko,
}

/// `tr!(lang, "Hint {n}", "힌트 {n}")`: the message in the chosen language, formatted.
macro_rules! tr {
    ($lang:expr, $en:literal, $ko:literal $(,)?) => {
        match $lang {
            $crate::i18n::Lang::En => format!($en),
            $crate::i18n::Lang::Ko => format!($ko),
        }
    };
}
pub(crate) use tr;

impl Lang {
    /// The `--lang` flag if given, else the system's language: on Unix the POSIX variables
    /// (the first set of LC_ALL, LC_MESSAGES, LANG), else the operating system's setting (Windows,
    /// macOS), else English.
    pub fn choose(flag: Option<Lang>) -> Lang {
        flag.unwrap_or_else(|| {
            from_locale_settings(|key| std::env::var(key).ok(), sys_locale::get_locale())
        })
    }
}

/// The decision, apart from where the values come from (so tests can give any).
pub fn from_locale_settings(env: impl Fn(&str) -> Option<String>, system: Option<String>) -> Lang {
    let posix = ["LC_ALL", "LC_MESSAGES", "LANG"]
        .into_iter()
        .filter_map(&env)
        // An empty variable counts as unset, as POSIX says.
        .find(|value| !value.is_empty());
    match posix.or(system) {
        Some(locale) if is_korean(&locale) => Lang::Ko,
        _ => Lang::En,
    }
}

/// `ko`, `ko_KR.UTF-8`, `ko-KR`, `ko_KR@euro`: Korean; `C`, `en_US.UTF-8`, `kok_IN` (Konkani): not.
fn is_korean(locale: &str) -> bool {
    let language = locale
        .split(['_', '-', '.', '@'])
        .next()
        .unwrap_or_default();
    language.eq_ignore_ascii_case("ko")
}

/// Starts each Korean line of a test's failure message (`shared::testing::KO_MARKER`, which the
/// exercise tests write through `shared::bilingual!`).
pub const KO_MARKER: &str = "[ko] ";

/// A test's failure output in the student's language. Each panic in it (from its `thread '…'
/// panicked at …` line to the next) that has Korean lines is filtered: in Korean its marked lines
/// are kept, without the marker, and its English lines dropped; in English the reverse. The panic's
/// location line and an assertion's `left:`/`right:` values are kept in both; a panic with no
/// Korean line (one of the code under test) is kept whole.
pub fn in_language(output: &str, lang: Lang) -> String {
    let mut kept = Vec::new();
    for panic in panics(output) {
        if !panic.iter().any(|line| korean_line(line).is_some()) {
            kept.extend(panic.iter().map(|line| line.to_string()));
            continue;
        }
        for (index, line) in panic.iter().enumerate() {
            let is_heading = index == 0 && is_panic_heading(line);
            let is_value = ["left:", "right:"]
                .contains(&line.trim_start().split(' ').next().unwrap_or_default());
            match (korean_line(line), lang) {
                (Some(korean), Lang::Ko) => kept.push(korean.to_string()),
                (Some(_), Lang::En) => {}
                (None, Lang::Ko) if !is_heading && !is_value => {}
                (None, _) => kept.push(line.to_string()),
            }
        }
    }
    kept.join("\n")
}

/// The text of a marked line, without its marker (an empty Korean line is the bare marker).
fn korean_line(line: &str) -> Option<&str> {
    line.strip_prefix(KO_MARKER)
        .or_else(|| (line == KO_MARKER.trim_end()).then_some(""))
}

/// `thread 'exercises::step_a::x' panicked at lessons/…/exercises.rs:40:5:`, with the thread's id
/// after its name since Rust 1.90 (`thread 'main' (6929) panicked at …`).
fn is_panic_heading(line: &str) -> bool {
    line.starts_with("thread '") && line.contains(" panicked at ")
}

/// The output cut before each panic's heading (what comes before the first heading, e.g. what the
/// test printed, is a part of its own).
fn panics(output: &str) -> Vec<Vec<&str>> {
    let mut parts: Vec<Vec<&str>> = Vec::new();
    for line in output.lines() {
        match parts.last_mut() {
            Some(part) if !is_panic_heading(line) => part.push(line),
            _ => parts.push(vec![line]),
        }
    }
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        |key| {
            pairs
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| v.to_string())
        }
    }

    /// What libtest prints for a failed exercise test whose message is `shared::bilingual!`'s, after
    /// a panic of the code under test in a thread it started (no Korean line).
    fn failure_output() -> String {
        let message = shared::bilingual!(
            "3 messages stored; expected 2\nDoes a failed exchange leave its transaction open?",
            "메시지 3개가 저장됨, 기대한 수는 2개\n실패한 교환이 트랜잭션을 열어 둔 채 끝나나요?"
        );
        format!(
            "thread '<unnamed>' panicked at lessons/lesson8-transactions/src/exercise.rs:20:9:\n\
             not yet implemented: 8a\n\
             thread 'exercises::step_a::x' (6929) panicked at lessons/lesson8-transactions/tests/suite/exercises.rs:40:5:\n\
             assertion `left == right` failed: {message}\n  left: 3\n right: 2"
        )
    }

    #[test]
    fn the_runners_marker_is_the_one_the_tests_write() {
        assert!(
            KO_MARKER == shared::testing::KO_MARKER,
            "the runner looks for {KO_MARKER:?}, the tests write {:?}",
            shared::testing::KO_MARKER
        );
    }

    #[test]
    fn in_korean_only_the_korean_lines_of_a_message_are_shown() {
        let shown = in_language(&failure_output(), Lang::Ko);
        let expected = "thread '<unnamed>' panicked at lessons/lesson8-transactions/src/exercise.rs:20:9:\n\
                        not yet implemented: 8a\n\
                        thread 'exercises::step_a::x' (6929) panicked at lessons/lesson8-transactions/tests/suite/exercises.rs:40:5:\n\
                        메시지 3개가 저장됨, 기대한 수는 2개\n\
                        실패한 교환이 트랜잭션을 열어 둔 채 끝나나요?\n  left: 3\n right: 2";
        assert!(
            shown == expected,
            "in Korean the English lines stay or the unmarked panic lost lines:\n{shown}"
        );
    }

    #[test]
    fn in_english_the_korean_lines_are_dropped() {
        let shown = in_language(&failure_output(), Lang::En);
        let expected = "thread '<unnamed>' panicked at lessons/lesson8-transactions/src/exercise.rs:20:9:\n\
                        not yet implemented: 8a\n\
                        thread 'exercises::step_a::x' (6929) panicked at lessons/lesson8-transactions/tests/suite/exercises.rs:40:5:\n\
                        assertion `left == right` failed: 3 messages stored; expected 2\n\
                        Does a failed exchange leave its transaction open?\n  left: 3\n right: 2";
        assert!(
            shown == expected,
            "in English a Korean line stays or an English one is lost:\n{shown}"
        );
    }

    #[test]
    fn a_message_with_no_korean_line_is_shown_as_it_is_in_both_languages() {
        let panic = "thread 'exercises::step_a::x' panicked at lessons/x/src/exercise.rs:3:5:\n\
                     called `Result::unwrap()` on an `Err` value: Io(..)";
        for lang in [Lang::En, Lang::Ko] {
            let shown = in_language(panic, lang);
            assert!(
                shown == panic,
                "{lang:?} changed an unmarked panic to {shown:?}"
            );
        }
    }

    #[test]
    fn a_korean_lang_variable_chooses_korean() {
        let lang = from_locale_settings(env_of(&[("LANG", "ko_KR.UTF-8")]), None);
        assert!(lang == Lang::Ko, "LANG=ko_KR.UTF-8 gave {lang:?}");
    }

    #[test]
    fn lc_all_wins_over_lang_as_posix_says() {
        let lang = from_locale_settings(
            env_of(&[("LC_ALL", "en_US.UTF-8"), ("LANG", "ko_KR.UTF-8")]),
            None,
        );
        assert!(
            lang == Lang::En,
            "LC_ALL=en_US with LANG=ko_KR gave {lang:?}"
        );
    }

    #[test]
    fn lc_messages_wins_over_lang() {
        let lang = from_locale_settings(
            env_of(&[("LC_MESSAGES", "ko_KR.UTF-8"), ("LANG", "C.UTF-8")]),
            None,
        );
        assert!(
            lang == Lang::Ko,
            "LC_MESSAGES=ko_KR with LANG=C gave {lang:?}"
        );
    }

    #[test]
    fn an_empty_variable_is_skipped() {
        let lang = from_locale_settings(env_of(&[("LC_ALL", ""), ("LANG", "ko_KR.UTF-8")]), None);
        assert!(
            lang == Lang::Ko,
            "empty LC_ALL with LANG=ko_KR gave {lang:?}"
        );
    }

    #[test]
    fn without_variables_the_system_setting_decides_as_on_windows() {
        let lang = from_locale_settings(env_of(&[]), Some("ko-KR".to_string()));
        assert!(lang == Lang::Ko, "Windows' ko-KR gave {lang:?}");
        let lang = from_locale_settings(env_of(&[]), None);
        assert!(
            lang == Lang::En,
            "no setting at all gave {lang:?}, expected English"
        );
    }

    #[test]
    fn only_the_language_part_counts() {
        assert!(is_korean("ko"), "plain `ko` is Korean");
        assert!(!is_korean("kok_IN"), "Konkani is not Korean");
        assert!(!is_korean("en_KR.UTF-8"), "English in Korea is English");
    }
}
