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
