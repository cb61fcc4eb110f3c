//! How states, hints and progress read, in both languages (shared by the commands and watch mode).

use crate::exercises::{Exercise, Lesson};
use crate::i18n::{Lang, tr};
use crate::state::State;

/// How students start the runner; every command the runner suggests starts with it.
pub const RUN: &str = "cargo run -p course --";

/// At most this many lines of a test's message or a compiler error, so the screen keeps its top.
const MAX_LINES: usize = 30;

/// The short word for a state, e.g. in `list`.
pub fn state_word(state: &State, lang: Lang) -> String {
    match state {
        State::Done => tr!(lang, "done", "완료"),
        State::NotStarted => tr!(lang, "not started", "시작 전"),
        State::Failing { .. } => tr!(lang, "failing", "실패"),
        State::BuildFailed { .. } => tr!(lang, "does not compile", "컴파일 안 됨"),
        State::Crashed { .. } => tr!(lang, "test run crashed", "테스트 실행 중단"),
        State::NoTests { .. } => tr!(lang, "no tests found", "테스트 없음"),
    }
}

pub fn state_mark(state: &State) -> &'static str {
    match state {
        State::Done => "✓",
        State::NotStarted => "·",
        _ => "✗",
    }
}

/// The explanation of a state: what happened and what to do next.
pub fn state_details(lesson: &Lesson, ex: &Exercise, state: &State, lang: Lang) -> String {
    let file = format!("{}/{}", lesson.display_dir(), slash(&ex.file));
    let id = &ex.id;
    match state {
        // Whether the reference can be shown depends on the lesson's other exercises: see
        // `solution_advice`.
        State::Done => tr!(
            lang,
            "✓ {id} passes every test.",
            "✓ {id}의 테스트를 모두 통과했습니다."
        ),
        State::NotStarted => tr!(
            lang,
            "· {id} is not started: its tests stop at the stub's todo!(). Write your code in {file}.",
            "· {id}는 아직 시작 전입니다. 테스트가 스텁의 todo!()에서 멈춥니다. {file}에 코드를 작성하세요."
        ),
        State::Failing { test, message } => {
            let message = clip(&crate::i18n::in_language(message, lang));
            tr!(
                lang,
                "✗ {test} fails:\n\n{message}",
                "✗ {test} 테스트가 실패합니다:\n\n{message}"
            )
        }
        State::BuildFailed { error } => {
            let error = clip(error);
            tr!(
                lang,
                "✗ The lesson does not compile:\n\n{error}",
                "✗ 레슨이 컴파일되지 않습니다:\n\n{error}"
            )
        }
        State::Crashed { tail } => {
            let tail = clip(tail);
            tr!(
                lang,
                "✗ The test run stopped before reporting every test (a crash or an abort). The end of its output:\n\n{tail}",
                "✗ 테스트 실행이 모든 결과를 알리기 전에 멈췄습니다(크래시 또는 abort). 출력의 끝부분:\n\n{tail}"
            )
        }
        State::NoTests { filter } => tr!(
            lang,
            "✗ No test of {file}'s lesson matches `{filter}`: the lesson's exercises.toml names tests that do not exist.",
            "✗ `{filter}`에 맞는 테스트가 없습니다. 레슨의 exercises.toml이 없는 테스트를 가리킵니다."
        ),
    }
}

/// `text` padded with spaces to `width` terminal columns: Hangul and other wide characters take two,
/// so `{:<16}` (which counts characters) would misalign a Korean column.
pub fn pad(text: &str, width: usize) -> String {
    let wide = |c: char| matches!(c, '\u{1100}'..='\u{115F}' | '\u{2E80}'..='\u{A4CF}' | '\u{AC00}'..='\u{D7A3}' | '\u{F900}'..='\u{FAFF}' | '\u{FF00}'..='\u{FF60}');
    let columns: usize = text.chars().map(|c| if wide(c) { 2 } else { 1 }).sum();
    format!("{text}{}", " ".repeat(width.saturating_sub(columns)))
}

/// `[########------------]  8/20`.
pub fn progress_bar(done: usize, total: usize, width: usize) -> String {
    let filled = (done * width).checked_div(total).unwrap_or(0);
    format!(
        "[{}{}] {done:>2}/{total}",
        "#".repeat(filled),
        "-".repeat(width - filled)
    )
}

/// The other exercises of `lesson` whose answers are in `ex`'s reference file (4a, 4b and 4c
/// share one): `solution` shows that file only once all of them pass, or it would give them away.
pub fn sharing_reference<'a>(lesson: &'a Lesson, ex: &Exercise) -> Vec<&'a str> {
    lesson
        .exercises
        .iter()
        .filter(|other| other.solution == ex.solution && other.id != ex.id)
        .map(|other| other.id.as_str())
        .collect()
}

/// What to say about the reference once `ex` passes: `pending` are the exercises sharing its
/// reference file that do not pass yet, so `solution` would refuse until they do.
pub fn solution_advice(ex: &Exercise, pending: &[&str], lang: Lang) -> String {
    let id = &ex.id;
    if pending.is_empty() {
        return tr!(
            lang,
            "`{RUN} solution {id}` shows the reference to compare with.",
            "참고 답안과 비교하려면 `{RUN} solution {id}`."
        );
    }
    let pending = pending.join(", ");
    tr!(
        lang,
        "The reference of {id} also solves {pending}: `{RUN} solution {id}` shows it once they pass too.",
        "{id}의 참고 답안 파일에는 {pending}의 답도 들어 있어서, 그것까지 통과하면 `{RUN} solution {id}`로 볼 수 있습니다."
    )
}

/// One hint, with its level and how to get the next one.
pub fn hint_text(lesson: &Lesson, ex: &Exercise, level: usize, lang: Lang) -> String {
    let levels = ex.hints.len();
    let text = ex.hints[level - 1].get(lang).trim();
    let id = &ex.id;
    let next = if level < levels {
        let next_level = level + 1;
        tr!(
            lang,
            "Stuck still? Ask again for hint {next_level}/{levels}.",
            "그래도 막히면 한 번 더 요청하세요: 힌트 {next_level}/{levels}."
        )
    } else {
        let sharing = sharing_reference(lesson, ex);
        if sharing.is_empty() {
            tr!(
                lang,
                "That was the last hint. Once {id} passes, `{RUN} solution {id}` shows the reference.",
                "마지막 힌트였습니다. {id}를 통과하면 `{RUN} solution {id}`로 참고 답안을 볼 수 있습니다."
            )
        } else {
            // One file holds the reference of all of them.
            let all = format!("{id}, {}", sharing.join(", "));
            tr!(
                lang,
                "That was the last hint. Once {all} all pass, `{RUN} solution {id}` shows the reference (one file solves them all).",
                "마지막 힌트였습니다. 참고 답안 파일 하나에 {all}의 답이 모두 들어 있어서, 모두 통과하면 `{RUN} solution {id}`로 볼 수 있습니다."
            )
        }
    };
    tr!(
        lang,
        "Hint {level}/{levels} for {id}:\n\n{text}\n\n{next}",
        "{id}의 힌트 {level}/{levels}:\n\n{text}\n\n{next}"
    )
}

/// The message when the database is not ready (not started, or not set up), before any test runs.
pub fn database_down(err: &shared::Error, lang: Lang) -> String {
    let setup = shared::SETUP_COMMAND;
    if let shared::Error::Autostart { source, .. } = err {
        // The set-up already ran and said why it failed: the reason, with its causes, is the advice.
        let mut reason = source.to_string();
        let mut cause = source.source();
        while let Some(next) = cause {
            reason.push_str(&format!("\n  {next}"));
            cause = next.source();
        }
        return tr!(
            lang,
            "The exercise tests need the database, and it is not ready:\n\n  {err}\n\n  {reason}",
            "연습 문제의 테스트에는 데이터베이스가 필요한데, 아직 준비되지 않았습니다:\n\n  {err}\n\n  {reason}"
        );
    }
    tr!(
        lang,
        "The exercise tests need the database, and it is not ready:\n\n  {err}\n\n\
         Usually `{setup}` fixes this (it is safe to run again); then run this command again.",
        "연습 문제의 테스트에는 데이터베이스가 필요한데, 아직 준비되지 않았습니다:\n\n  {err}\n\n\
         대개 `{setup}`으로 해결됩니다(여러 번 실행해도 안전합니다). 그다음 이 명령을 다시 실행하세요."
    )
}

/// The first lines of a long text, saying how many were left out.
pub fn clip(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() <= MAX_LINES {
        return text.to_string();
    }
    let left_out = lines.len() - MAX_LINES;
    format!(
        "{}\n[... {left_out} more lines]",
        lines[..MAX_LINES].join("\n")
    )
}

/// A relative path with `/`, the same on every OS (for messages).
pub fn slash(path: &std::path::Path) -> String {
    path.components()
        .map(|part| part.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_is_offered_only_when_solution_would_show_it() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let course = crate::exercises::Course::load(&root).expect("the course loads");
        let (lesson, first) = course.find("6a").expect("lesson 6 has 6a");
        let sharing = sharing_reference(lesson, first);
        assert!(
            sharing == ["6b", "6c"],
            "6a's reference file also solves 6b and 6c, got {sharing:?}"
        );
        let waiting = solution_advice(first, &sharing, Lang::Ko);
        assert!(
            waiting.contains("6b, 6c") && waiting.contains("통과하면"),
            "with 6b and 6c not passing, the advice must say the reference waits for them: {waiting}"
        );
        let ready = solution_advice(first, &[], Lang::En);
        assert!(
            ready.contains("solution 6a") && !ready.contains("6b"),
            "with all passing, the advice offers the reference at once: {ready}"
        );
        let last_hint = hint_text(lesson, first, first.hints.len(), Lang::En);
        assert!(
            last_hint.contains("6a, 6b, 6c all pass"),
            "6a's last hint must say when solution shows the shared reference: {last_hint}"
        );
    }

    #[test]
    fn the_bar_fills_in_proportion() {
        assert!(
            progress_bar(0, 20, 10) == "[----------]  0/20",
            "nothing done: {}",
            progress_bar(0, 20, 10)
        );
        assert!(
            progress_bar(10, 20, 10) == "[#####-----] 10/20",
            "half done: {}",
            progress_bar(10, 20, 10)
        );
        assert!(
            progress_bar(20, 20, 10) == "[##########] 20/20",
            "all done: {}",
            progress_bar(20, 20, 10)
        );
        assert!(
            progress_bar(0, 0, 4) == "[----]  0/0",
            "no exercises: {}",
            progress_bar(0, 0, 4)
        );
    }

    #[test]
    fn korean_words_are_padded_by_their_width_on_screen() {
        let korean = pad("시작 전", 10);
        assert!(
            korean == "시작 전   ",
            "3 Hangul (6 columns) and a space need 3 more: {korean:?}"
        );
        let english = pad("done", 10);
        assert!(
            english == "done      ",
            "4 columns need 6 more: {english:?}"
        );
        assert!(
            pad("too long for it", 4) == "too long for it",
            "a longer text is kept whole"
        );
    }

    #[test]
    fn a_long_message_is_clipped_and_says_so() {
        let long = (1..=40)
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join("\n");
        let clipped = clip(&long);
        assert!(
            clipped.lines().count() == MAX_LINES + 1 && clipped.ends_with("[... 10 more lines]"),
            "clipped to {clipped:?}"
        );
        assert!(clip("short") == "short", "a short text changed");
    }
}
