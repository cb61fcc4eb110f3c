//! `--help` in the student's language: clap's texts come from the English doc comments of `Cli`;
//! in Korean each is replaced here, with clap's own headings and help lines.

use std::ffi::OsString;

use clap::{Arg, ArgAction, Command, ValueEnum};

use crate::i18n::Lang;

/// The language asked for with `--lang ko` / `--lang=ko` before clap parses (clap's help is built
/// first), else the system's.
pub fn lang_from_args(args: impl IntoIterator<Item = OsString>) -> Lang {
    let args: Vec<String> = args
        .into_iter()
        .map(|arg| arg.to_string_lossy().into_owned())
        .collect();
    let flag = args.iter().enumerate().find_map(|(i, arg)| {
        let value = match arg.strip_prefix("--lang") {
            Some("") => args.get(i + 1)?.as_str(),
            Some(rest) => rest.strip_prefix('=')?,
            None => return None,
        };
        Lang::from_str(value, true).ok()
    });
    Lang::choose(flag)
}

/// The Korean text of each subcommand (by name) and argument (by subcommand and id).
const KOREAN: &[(&str, &str, &str)] = &[
    (
        "",
        "",
        "코스의 연습 문제: 진행 상황, 감시 모드, 힌트, 참고 답안",
    ),
    ("", "lang", "메시지 언어(기본: 시스템 언어): en 또는 ko"),
    (
        "list",
        "",
        "모든 연습 문제의 상태와 진행 막대를 보여 줍니다",
    ),
    (
        "watch",
        "",
        "파일을 저장할 때마다 현재 연습 문제의 테스트를 다시 실행합니다(기본 명령)",
    ),
    (
        "watch",
        "id",
        "이 연습 문제에서 시작합니다. 예: 4a (기본: 하던 곳)",
    ),
    (
        "hint",
        "",
        "연습 문제의 다음 힌트(ID가 없으면 현재 연습 문제)",
    ),
    ("hint", "id", "예: 4a"),
    (
        "hint",
        "level",
        "이 단계의 힌트를 다시 봅니다(1 아이디어, 2 타입과 API, 3 스케치)",
    ),
    (
        "solution",
        "",
        "여러분의 코드가 테스트를 통과하면 참고 답안을 보여 줍니다",
    ),
    ("solution", "id", "예: 4a"),
    (
        "verify",
        "",
        "모든 연습 문제의 테스트를 실행하고 요약합니다(모두 통과해야 성공으로 끝납니다)",
    ),
    (
        "verify",
        "id",
        "이 연습 문제만 검사합니다. 예: 4a (그 레슨만 빌드하고 그 테스트만 실행)",
    ),
    (
        "verify",
        "untouched",
        "CI용: 손대지 않은 스텁에서 모든 테스트가 실패하는지 확인합니다",
    ),
    (
        "reset",
        "",
        "연습 문제의 파일을 처음 상태(스텁)로 되돌립니다. 지금 파일은 target/ 아래에 백업됩니다",
    ),
    ("reset", "id", "예: 4a (--all이 없으면 꼭 필요)"),
    ("reset", "all", "모든 연습 문제(먼저 확인을 묻습니다)"),
    ("reset", "yes", "묻지 않습니다(스크립트용)"),
    ("help", "", "이 도움말 또는 명령의 도움말을 보여 줍니다"),
    ("help", "subcommand", "도움말을 볼 명령"),
];

fn korean(subcommand: &str, arg: &str) -> Option<&'static str> {
    KOREAN
        .iter()
        .find(|(s, a, _)| *s == subcommand && *a == arg)
        .map(|(_, _, text)| *text)
}

/// `command` with its help in `lang`.
pub fn localized(command: Command, lang: Lang) -> Command {
    match lang {
        Lang::En => command,
        Lang::Ko => in_korean(command, ""),
    }
}

fn in_korean(mut command: Command, name: &str) -> Command {
    if name.is_empty() {
        // The help flag and subcommand are clap's: replaced by the same, said in Korean.
        command = command
            .disable_help_flag(true)
            .arg(
                Arg::new("help")
                    .short('h')
                    .long("help")
                    .global(true)
                    .action(ArgAction::Help)
                    .help("도움말을 보여 줍니다")
                    .help_heading("옵션")
                    .display_order(usize::MAX),
            )
            .disable_help_subcommand(true)
            .subcommand(
                Command::new("help")
                    .about(korean("help", "").unwrap_or_default())
                    .arg(
                        Arg::new("subcommand")
                            .help(korean("help", "subcommand").unwrap_or_default()),
                    ),
            );
    }
    if let Some(about) = korean(name, "") {
        command = command.about(about);
    }
    let ids: Vec<String> = command
        .get_arguments()
        .map(|arg| arg.get_id().to_string())
        .collect();
    for id in ids {
        if let Some(text) = korean(name, &id) {
            command = command.mut_arg(&id, |arg| {
                let heading = if arg.is_positional() {
                    "인자"
                } else {
                    "옵션"
                };
                // The Korean text of --lang names its values itself.
                let values_said = id == "lang";
                arg.help(text)
                    .help_heading(heading)
                    .hide_possible_values(values_said)
            });
        }
    }
    let subcommands: Vec<String> = command
        .get_subcommands()
        .map(|sub| sub.get_name().to_string())
        .collect();
    for sub in subcommands {
        command = command.mut_subcommand(sub.clone(), |c| in_korean(c, &sub));
    }
    command
        .help_template("{about-with-newline}\n사용법: {usage}\n\n{all-args}{after-help}")
        .subcommand_help_heading("명령")
        .override_usage(usage(name))
}

/// clap's error said in Korean, for the kinds a student meets (a mistyped command or flag, a bad
/// value, a missing or conflicting argument): clap words its errors in English only. `None` for
/// the other kinds, which clap then reports itself.
pub fn korean_error(err: &clap::Error) -> Option<String> {
    use clap::error::{ContextKind, ContextValue, ErrorKind};

    // One context value as text (a list is joined with ", ").
    let get = |kind: ContextKind| -> Option<String> {
        match err.get(kind)? {
            ContextValue::String(text) => Some(text.clone()),
            ContextValue::Strings(list) => Some(list.join(", ")),
            ContextValue::StyledStr(text) => Some(text.to_string()),
            other => Some(other.to_string()),
        }
    };
    let arg = get(ContextKind::InvalidArg).unwrap_or_default();
    let value = get(ContextKind::InvalidValue).unwrap_or_default();
    let mut line = match err.kind() {
        ErrorKind::InvalidSubcommand => {
            let name = get(ContextKind::InvalidSubcommand).unwrap_or_default();
            format!("없는 명령입니다: '{name}'")
        }
        ErrorKind::UnknownArgument => format!("이 명령에 없는 인자입니다: '{arg}'"),
        ErrorKind::InvalidValue | ErrorKind::ValueValidation if value.is_empty() => {
            format!("값이 필요합니다: '{arg}'")
        }
        ErrorKind::InvalidValue | ErrorKind::ValueValidation => {
            format!("'{arg}'에 쓸 수 없는 값입니다: '{value}'")
        }
        ErrorKind::MissingRequiredArgument => format!("꼭 필요한 인자가 빠졌습니다: {arg}"),
        ErrorKind::ArgumentConflict => match get(ContextKind::PriorArg) {
            Some(prior) => format!("함께 쓸 수 없는 인자입니다: '{arg}', '{prior}'"),
            None => format!("다른 인자와 함께 쓸 수 없는 인자입니다: '{arg}'"),
        },
        _ => return None,
    };
    if let Some(valid) = get(ContextKind::ValidValue) {
        line += &format!(" (쓸 수 있는 값: {valid})");
    }
    let suggested = [
        ContextKind::SuggestedSubcommand,
        ContextKind::SuggestedArg,
        ContextKind::SuggestedValue,
    ]
    .into_iter()
    .find_map(get);
    if let Some(suggested) = suggested {
        line += &format!("\n\n  혹시 이것을 쓰려고 했나요? '{suggested}'");
    }
    let usage = get(ContextKind::Usage)
        .map(|usage| {
            let usage = usage.trim();
            let usage = usage.strip_prefix("Usage:").unwrap_or(usage);
            format!("\n\n사용법:{usage}")
        })
        .unwrap_or_default();
    Some(format!(
        "오류: {line}{usage}\n\n자세한 내용은 '--help'로 볼 수 있습니다."
    ))
}

/// The usage line, with Korean placeholders.
fn usage(name: &str) -> String {
    let run = crate::show::RUN;
    match name {
        "" => format!("{run} [옵션] [명령]"),
        "help" => format!("{run} help [명령]"),
        "list" => format!("{run} list [옵션]"),
        "watch" | "hint" | "verify" => format!("{run} {name} [옵션] [ID]"),
        "reset" => format!("{run} reset [옵션] <ID>\n       {run} reset --all [--yes]"),
        _ => format!("{run} {name} [옵션] <ID>"),
    }
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    #[test]
    fn lang_flag_is_read_in_both_spellings() {
        let args = |list: &[&str]| list.iter().map(OsString::from).collect::<Vec<_>>();
        assert!(
            lang_from_args(args(&["course", "--lang", "ko", "--help"])) == Lang::Ko,
            "`--lang ko` not read"
        );
        assert!(
            lang_from_args(args(&["course", "--help", "--lang=en"])) == Lang::En,
            "`--lang=en` not read"
        );
    }

    /// A new subcommand or flag gets its Korean text too, or this fails.
    #[test]
    fn every_command_and_flag_has_its_korean_help() {
        let command = crate::Cli::command();
        let mut missing = Vec::new();
        if korean("", "").is_none() {
            missing.push("the program".to_string());
        }
        for arg in command.get_arguments() {
            if korean("", arg.get_id().as_str()).is_none() {
                missing.push(format!("--{}", arg.get_id()));
            }
        }
        for sub in command.get_subcommands() {
            let name = sub.get_name();
            if korean(name, "").is_none() {
                missing.push(name.to_string());
            }
            for arg in sub.get_arguments() {
                if korean(name, arg.get_id().as_str()).is_none() {
                    missing.push(format!("{name} {}", arg.get_id()));
                }
            }
        }
        assert!(
            missing.is_empty(),
            "these have no Korean help text in help.rs: {missing:?}"
        );
    }

    #[test]
    fn the_korean_help_is_korean_and_names_every_command() {
        let mut command = localized(crate::Cli::command(), Lang::Ko);
        let help = command.render_help().to_string();
        for word in ["사용법", "명령", "옵션", "감시 모드", "reset", "watch"] {
            assert!(
                help.contains(word),
                "the Korean help lacks {word:?}:\n{help}"
            );
        }
        for english in ["Print help", "Usage:", "Commands:", "Options:"] {
            assert!(
                !help.contains(english),
                "the Korean help still says {english:?}:\n{help}"
            );
        }
    }

    #[test]
    fn a_mistyped_command_line_is_reported_in_korean() {
        let command = localized(crate::Cli::command(), Lang::Ko);
        let cases: [&[&str]; 4] = [
            &["course", "lsit"],
            &["course", "list", "--bogus"],
            &["course", "solution"],
            &["course", "hint", "--level", "x"],
        ];
        for args in cases {
            let err = match command.clone().try_get_matches_from(args) {
                Ok(_) => panic!("{args:?} was accepted; expected clap to refuse it"),
                Err(err) => err,
            };
            let text = korean_error(&err)
                .unwrap_or_else(|| panic!("{args:?} ({:?}) has no Korean message", err.kind()));
            assert!(
                text.starts_with("오류: ") && !text.contains("error:") && !text.contains("Usage:"),
                "the Korean message for {args:?} still reads as clap's English:\n{text}"
            );
        }
    }
}
