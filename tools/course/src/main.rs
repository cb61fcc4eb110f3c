//! The course runner: `cargo run -p course -- list | watch | hint | solution | verify | reset`.
//!
//! It reads every lesson's `exercises.toml`, runs an exercise's tests with
//! `cargo test -p lessonN --features exercise --test suite exercises::<filter>` and reads libtest's report.
//! It remembers only the exercise watch mode is on, how many hints of each were shown and which
//! exercises passed when last run (`target/course-state.json`).

mod cargo_env;
mod exercises;
mod help;
mod i18n;
mod libtest;
mod reset;
mod show;
mod state;
mod watch;

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

use crate::exercises::{Course, Exercise, Lesson};
use crate::i18n::{Lang, tr};
use crate::libtest::{Outcome, Run};
use crate::show::{RUN, progress_bar, state_details, state_mark, state_word};
use crate::state::{Saved, State};

#[derive(Parser)]
#[command(
    bin_name = show::RUN,
    about = "The course's exercises: progress, watch mode, hints, solutions (`--lang ko --help`: 한국어 도움말)"
)]
struct Cli {
    /// The language of the messages (default: the system's).
    #[arg(long, global = true, value_enum)]
    lang: Option<Lang>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Every exercise with its state, and a progress bar.
    List,
    /// Re-runs the current exercise's tests on every save (the default command).
    Watch {
        /// Start at this exercise, e.g. 4a (default: where you left off).
        id: Option<String>,
    },
    /// The next hint of an exercise (the current one if no ID is given).
    Hint {
        /// e.g. 4a
        id: Option<String>,
        /// Show this level again (1 = the idea, 2 = the types and API, 3 = a sketch).
        #[arg(long)]
        level: Option<usize>,
    },
    /// The reference solution, once your version of the exercise passes.
    Solution {
        /// e.g. 4a
        id: String,
    },
    /// Runs every exercise's tests, with a summary (exits with failure unless all are done).
    Verify {
        /// Only this exercise, e.g. 4a (runs its lesson's build and its tests only).
        id: Option<String>,
        /// For CI: require instead that every exercise test FAILS, as it must on the untouched stubs.
        #[arg(long, hide = true)]
        untouched: bool,
    },
    /// Puts an exercise's untouched stub back; your file is kept as a backup under target/.
    #[command(override_usage = RESET_USAGE)]
    Reset {
        /// e.g. 4a (needed unless --all)
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        id: Option<String>,
        /// Every exercise (asks first).
        #[arg(long)]
        all: bool,
        /// Do not ask (for scripts).
        #[arg(long)]
        yes: bool,
    },
}

/// `reset`'s usage: an ID, or `--all` (clap would show the ID as optional, `[ID]`).
const RESET_USAGE: &str = "cargo run -p course -- reset [OPTIONS] <ID>\n       cargo run -p course -- reset --all [--yes]";

/// The course, where it lives and the language the student reads.
pub struct App {
    root: PathBuf,
    course: Course,
    lang: Lang,
}

fn main() -> Result<ExitCode> {
    // clap's help is built before it parses: the language comes first, from the flag or the system.
    let lang = help::lang_from_args(std::env::args_os());
    let mut command = help::localized(Cli::command(), lang);
    let matches = match command.clone().try_get_matches() {
        Ok(matches) => matches,
        Err(err) => match help::korean_error(&err).filter(|_| lang == Lang::Ko) {
            Some(text) => {
                eprintln!("{text}");
                std::process::exit(err.exit_code());
            }
            // --help and the like are errors to clap too: it prints them as they are.
            None => err.exit(),
        },
    };
    if let Some(("help", asked)) = matches.subcommand() {
        // The Korean `help` subcommand is the runner's own (clap's answers in English).
        let name = asked.get_one::<String>("subcommand");
        command.build();
        match name.and_then(|name| command.find_subcommand_mut(name)) {
            Some(sub) => sub.print_help()?,
            None => command.print_help()?,
        }
        return Ok(ExitCode::SUCCESS);
    }
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|err| err.exit());
    let lang = Lang::choose(cli.lang);
    // The workspace root: this crate's folder is `<root>/tools/course`. Running from the root also
    // makes `.env` be found as the lessons find it.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .ancestors()
        .nth(2)
        .expect("the course crate lives in <root>/tools/course")
        .to_path_buf();
    std::env::set_current_dir(&root)?;
    let app = App {
        course: Course::load(&root)?,
        root,
        lang,
    };
    if app.course.lessons.is_empty() {
        bail!(
            "no lessons/*/exercises.toml found under {}",
            app.root.display()
        );
    }
    match cli.command.unwrap_or(Command::Watch { id: None }) {
        Command::List => app.list(),
        Command::Watch { id } => watch::watch(&app, id.as_deref()),
        Command::Hint { id, level } => app.hint(id.as_deref(), level),
        Command::Solution { id } => app.solution(&id),
        Command::Verify {
            untouched: false,
            id,
        } => app.verify(id.as_deref()),
        Command::Verify {
            untouched: true, ..
        } => app.verify_untouched(),
        Command::Reset { id, all, yes } => app.reset(id.as_deref(), all, yes),
    }
}

impl App {
    /// Connects once, quickly, so that a stopped database is reported as such instead of as every
    /// test failing: what to do when none answers.
    fn database_problem(&self) -> Option<String> {
        let checked = shared::Config::from_env().and_then(|config| shared::connect(&config));
        checked
            .err()
            .map(|err| show::database_down(&err, self.lang))
    }

    /// [`App::database_problem`], printed. First, when nothing answers on this machine, the course's
    /// own server is started, as `cargo run -p db -- up` does (before watch mode takes the terminal).
    fn database_answers(&self) -> bool {
        let started = shared::Config::from_env()
            .and_then(|config| shared::start_server_if_needed(&config).map(drop));
        let problem = match started {
            Err(err) => Some(show::database_down(&err, self.lang)),
            Ok(()) => self.database_problem(),
        };
        if let Some(problem) = &problem {
            eprintln!("{problem}");
        }
        problem.is_none()
    }

    /// Runs a lesson's exercise tests (the student's code), all of them or those matching `filter`.
    fn run(&self, lesson: &Lesson, filter: &str) -> Result<Run> {
        libtest::run_exercise_tests(&self.root, &lesson.package, filter)
    }

    /// The state of each exercise of `lesson`, from one run of all its tests.
    fn states(&self, lesson: &Lesson) -> Result<Vec<State>> {
        let run = self.run(lesson, "")?;
        let states: Vec<State> = lesson
            .exercises
            .iter()
            .map(|ex| state::decide(&run, &ex.tests))
            .collect();
        self.remember(lesson.exercises.iter().zip(&states))?;
        Ok(states)
    }

    /// Records which exercises are done, for watch mode's "the course is finished".
    fn remember<'a>(&self, states: impl Iterator<Item = (&'a Exercise, &'a State)>) -> Result<()> {
        let mut saved = Saved::load(&self.root);
        for (ex, state) in states {
            saved.record_state(&ex.id, state);
        }
        saved.save(&self.root)
    }

    /// Whether every exercise passed when its tests last ran.
    fn course_finished(&self) -> bool {
        let saved = Saved::load(&self.root);
        self.course
            .exercises()
            .all(|(_, ex)| saved.done.contains(&ex.id))
    }

    /// The exercise the student works on: the one watch mode was last on, else the first not done.
    fn current(&self) -> Result<Option<(&Lesson, &Exercise)>> {
        let saved = Saved::load(&self.root);
        match saved.current.as_deref().and_then(|id| self.course.find(id)) {
            Some(found) => Ok(Some(found)),
            None => self.first_not_done(),
        }
    }

    /// The first exercise not done, in course order (running lesson after lesson until one has
    /// it), or None when all are done.
    fn first_not_done(&self) -> Result<Option<(&Lesson, &Exercise)>> {
        for lesson in &self.course.lessons {
            self.say_checking(lesson);
            let states = self.states(lesson)?;
            if let Some(i) = states.iter().position(|s| !s.is_done()) {
                return Ok(Some((lesson, &lesson.exercises[i])));
            }
        }
        Ok(None)
    }

    fn say_checking(&self, lesson: &Lesson) {
        let package = &lesson.package;
        eprintln!(
            "{}",
            tr!(self.lang, "checking {package}...", "{package} 확인 중...")
        );
    }

    fn list(&self) -> Result<ExitCode> {
        if !self.database_answers() {
            return Ok(ExitCode::FAILURE);
        }
        let lang = self.lang;
        let mut rows = Vec::new();
        for lesson in &self.course.lessons {
            self.say_checking(lesson);
            let states = self.states(lesson)?;
            rows.push((lesson, states));
        }
        // The exercise `watch` opens: the one it was last on, else the first not done.
        let saved_current = Saved::load(&self.root)
            .current
            .filter(|id| self.course.find(id).is_some());
        let finished = rows
            .iter()
            .all(|(_, states)| states.iter().all(State::is_done));
        let mut current_marked = false;
        let (mut done, mut total) = (0, 0);
        for (lesson, states) in &rows {
            let number = lesson.number;
            let dir = lesson.display_dir();
            println!(
                "\n{}",
                tr!(lang, "Lesson {number}  ({dir})", "레슨 {number}  ({dir})")
            );
            for (ex, state) in lesson.exercises.iter().zip(states) {
                total += 1;
                done += usize::from(state.is_done());
                let is_current = !finished
                    && match &saved_current {
                        Some(id) => *id == ex.id,
                        None => !state.is_done() && !current_marked,
                    };
                let pointer = if is_current {
                    current_marked = true;
                    ">"
                } else {
                    " "
                };
                let failing_test = match state {
                    State::Failing { test, .. } => format!("  ({test})"),
                    _ => String::new(),
                };
                println!(
                    "{pointer} {:<4} {} {} {}{failing_test}",
                    ex.id,
                    state_mark(state),
                    show::pad(&state_word(state, lang), 16),
                    ex.title.get(lang),
                );
            }
        }
        let bar = progress_bar(done, total, 30);
        println!("\n{}", tr!(lang, "Progress {bar} done", "진행 {bar} 완료"));
        if finished {
            println!(
                "{}",
                tr!(
                    lang,
                    "The course is finished: every exercise passes. Well done!",
                    "코스를 마쳤습니다. 모든 연습 문제를 통과했습니다. 수고하셨습니다!"
                )
            );
        } else if current_marked {
            println!(
                "{}",
                tr!(
                    lang,
                    "Next: `{RUN} watch` works on the exercise marked >.",
                    "다음: `{RUN} watch`로 > 표시된 연습 문제를 이어서 하세요."
                )
            );
        }
        Ok(ExitCode::SUCCESS)
    }

    /// Every exercise, or only `id`'s.
    fn verify(&self, id: Option<&str>) -> Result<ExitCode> {
        let only = match id {
            Some(id) => match self.course.find(id) {
                Some((_, ex)) => Some(ex.id.as_str()),
                None => return Ok(self.unknown_id(id)),
            },
            None => None,
        };
        if !self.database_answers() {
            return Ok(ExitCode::FAILURE);
        }
        let lang = self.lang;
        let (mut done, mut total) = (0, 0);
        let mut not_done = Vec::new();
        for lesson in &self.course.lessons {
            let wanted = |ex: &Exercise| only.is_none_or(|id| id == ex.id);
            if !lesson.exercises.iter().any(wanted) {
                continue;
            }
            self.say_checking(lesson);
            let states = match only.and_then(|id| lesson.exercises.iter().find(|ex| ex.id == id)) {
                // One exercise: only its tests run.
                Some(ex) => {
                    let run = self.run(lesson, &ex.tests)?;
                    let state = state::decide(&run, &ex.tests);
                    self.remember(std::iter::once((ex, &state)))?;
                    // The others' tests did not run: their states are not shown.
                    lesson
                        .exercises
                        .iter()
                        .map(|other| state::decide(&run, &other.tests))
                        .collect()
                }
                None => self.states(lesson)?,
            };
            for (ex, state) in lesson.exercises.iter().zip(&states) {
                if !wanted(ex) {
                    continue;
                }
                total += 1;
                println!(
                    "{} {:<4} {}",
                    state_mark(state),
                    ex.id,
                    state_word(state, lang)
                );
                if state.is_done() {
                    done += 1;
                } else {
                    not_done.push(ex.id.clone());
                    if !matches!(state, State::NotStarted) {
                        println!("\n{}\n", state_details(lesson, ex, state, lang));
                    }
                }
            }
        }
        let bar = progress_bar(done, total, 30);
        println!("\n{}", tr!(lang, "Verified {bar} done", "검증 {bar} 완료"));
        if not_done.is_empty() {
            let passes = match only {
                Some(id) => tr!(lang, "{id} passes.", "{id}를 통과했습니다."),
                None => tr!(
                    lang,
                    "Every exercise passes.",
                    "모든 연습 문제를 통과했습니다."
                ),
            };
            println!("{passes}");
            Ok(ExitCode::SUCCESS)
        } else {
            let ids = not_done.join(", ");
            println!(
                "{}",
                tr!(lang, "Not done yet: {ids}", "아직 남은 연습 문제: {ids}")
            );
            Ok(ExitCode::FAILURE)
        }
    }

    /// CI's check on the untouched stubs: every lesson with a stub has exercises, every exercise has
    /// tests, every one of them fails, and no test of `tests/suite/exercises.rs` is outside every exercise.
    fn verify_untouched(&self) -> Result<ExitCode> {
        if !self.database_answers() {
            return Ok(ExitCode::FAILURE);
        }
        let mut problems = 0;
        for dir in std::fs::read_dir(self.root.join("lessons"))? {
            let dir = dir?.path();
            if dir.join("src/exercise.rs").is_file() && !dir.join("exercises.toml").is_file() {
                let name = dir.file_name().unwrap_or_default().to_string_lossy();
                println!("lessons/{name}: has src/exercise.rs but no exercises.toml");
                problems += 1;
            }
        }
        for (lesson, ex) in self.course.exercises() {
            let stub = reset::stub_text(&self.root, lesson, ex)?;
            let file = lesson.dir.join(&ex.file);
            let current = std::fs::read_to_string(&file)?;
            if !reset::same_text(&stub, &current) {
                let copy = reset::stub_path(&self.root, lesson, ex);
                println!(
                    "{}: {} differs from the runner's copy that `reset` puts back; after changing the stub, run: cp {} {}",
                    ex.id,
                    file.display(),
                    file.display(),
                    copy.display()
                );
                problems += 1;
            }
        }
        for lesson in &self.course.lessons {
            let run = self.run(lesson, "")?;
            let found = untouched_problems(lesson, &run);
            if found.is_empty() {
                let failed = run.tests.len();
                println!(
                    "{}: each of {} exercise(s) has tests, and all {failed} tests fail against the untouched stubs",
                    lesson.package,
                    lesson.exercises.len()
                );
            }
            for problem in &found {
                println!("{}: {problem}", lesson.package);
            }
            problems += found.len();
        }
        Ok(if problems == 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        })
    }

    fn hint(&self, id: Option<&str>, level: Option<usize>) -> Result<ExitCode> {
        let lang = self.lang;
        let found = match id {
            Some(id) => self.course.find(id),
            None => {
                if !self.database_answers() {
                    return Ok(ExitCode::FAILURE);
                }
                match self.current()? {
                    Some(found) => Some(found),
                    None => {
                        println!(
                            "{}",
                            tr!(
                                lang,
                                "Every exercise passes: no hint needed.",
                                "모든 연습 문제를 통과했습니다. 힌트가 필요 없습니다."
                            )
                        );
                        return Ok(ExitCode::SUCCESS);
                    }
                }
            }
        };
        let Some((lesson, ex)) = found else {
            return Ok(self.unknown_id(id.unwrap_or_default()));
        };
        let mut saved = Saved::load(&self.root);
        let levels = ex.hints.len();
        let level = match level {
            Some(level) if (1..=levels).contains(&level) => Some(level),
            Some(level) => {
                let ex_id = &ex.id;
                eprintln!(
                    "{}",
                    tr!(
                        lang,
                        "{ex_id} has hint levels 1 to {levels}, not {level}.",
                        "{ex_id}의 힌트 단계는 1부터 {levels}까지입니다({level} 없음)."
                    )
                );
                return Ok(ExitCode::FAILURE);
            }
            None => saved.next_hint_level(&ex.id, levels),
        };
        let Some(level) = level else {
            let ex_id = &ex.id;
            println!(
                "{}",
                tr!(
                    lang,
                    "{ex_id} has no hints.",
                    "{ex_id}에는 힌트가 없습니다."
                )
            );
            return Ok(ExitCode::SUCCESS);
        };
        println!("{}", show::hint_text(lesson, ex, level, lang));
        saved.record_hint(&ex.id, level);
        saved.save(&self.root)?;
        Ok(ExitCode::SUCCESS)
    }

    fn solution(&self, id: &str) -> Result<ExitCode> {
        let lang = self.lang;
        let Some((lesson, ex)) = self.course.find(id) else {
            return Ok(self.unknown_id(id));
        };
        if !self.database_answers() {
            return Ok(ExitCode::FAILURE);
        }
        self.say_checking(lesson);
        let states = self.states(lesson)?;
        let id = &ex.id;
        let state = &states[lesson
            .exercises
            .iter()
            .position(|e| e.id == *id)
            .unwrap_or(0)];
        if !state.is_done() {
            let word = state_word(state, lang);
            println!(
                "{}",
                tr!(
                    lang,
                    "The reference for {id} is shown once your version passes its tests; so far it is: {word}.\n\
                     `{RUN} watch` shows what fails; `{RUN} hint {id}` gives a hint.",
                    "{id}의 참고 답안은 여러분의 코드가 테스트를 통과한 뒤에 보여 줍니다. 지금 상태: {word}.\n\
                     무엇이 실패하는지는 `{RUN} watch`, 힌트는 `{RUN} hint {id}`로 볼 수 있습니다."
                )
            );
            return Ok(ExitCode::FAILURE);
        }
        // One file may hold the reference of several steps (4a, 4b, 4c): showing it for 4a would
        // give away the steps still to do.
        let pending: Vec<&str> = lesson
            .exercises
            .iter()
            .zip(&states)
            .filter(|(other, state)| other.solution == ex.solution && !state.is_done())
            .map(|(other, _)| other.id.as_str())
            .collect();
        let file = format!("{}/{}", lesson.display_dir(), show::slash(&ex.solution));
        if !pending.is_empty() {
            let pending = pending.join(", ");
            println!(
                "{}",
                tr!(
                    lang,
                    "{id} passes. Its reference, {file}, also solves {pending}, which do not pass yet: it is shown once they do.",
                    "{id}를 통과했습니다. 참고 답안 {file}에는 아직 통과하지 않은 {pending}의 답도 들어 있어서, 그것까지 통과하면 보여 줍니다."
                )
            );
            return Ok(ExitCode::FAILURE);
        }
        let text = std::fs::read_to_string(lesson.dir.join(&ex.solution))?;
        println!(
            "{}\n",
            tr!(
                lang,
                "{id} passes. The reference, {file}, to compare with yours:",
                "{id}를 통과했습니다. 여러분의 코드와 비교할 참고 답안 {file}:"
            )
        );
        println!("{text}");
        Ok(ExitCode::SUCCESS)
    }

    fn unknown_id(&self, id: &str) -> ExitCode {
        let lang = self.lang;
        let known: Vec<&str> = self
            .course
            .exercises()
            .map(|(_, ex)| ex.id.as_str())
            .collect();
        let known = known.join(", ");
        eprintln!(
            "{}",
            tr!(
                lang,
                "There is no exercise `{id}`. The exercises: {known}",
                "`{id}`라는 연습 문제는 없습니다. 연습 문제 목록: {known}"
            )
        );
        ExitCode::FAILURE
    }
}

/// What is wrong with a run of the untouched stubs: an exercise with no test, a test that passes
/// (it cannot tell a solution from none), a test no exercise runs, a failed build or a crash.
fn untouched_problems(lesson: &Lesson, run: &Run) -> Vec<String> {
    let mut problems = Vec::new();
    if let Some(error) = run.build_errors.first() {
        problems.push(format!("the untouched stubs do not compile:\n{error}"));
        return problems;
    }
    if !run.finished {
        problems.push(format!("the test run did not finish:\n{}", run.tail));
    }
    for ex in &lesson.exercises {
        let tests: Vec<_> = run
            .tests
            .iter()
            .filter(|test| test.name.contains(&ex.tests))
            .collect();
        if tests.is_empty() {
            problems.push(format!(
                "exercise {} has no test matching `{}`",
                ex.id, ex.tests
            ));
        }
        for test in tests {
            match test.outcome {
                Outcome::Failed(_) => {}
                Outcome::Passed => problems.push(format!(
                    "exercise {}: {} passes against the untouched stub, so it cannot tell a solution from none",
                    ex.id, test.name
                )),
                Outcome::Ignored => problems.push(format!(
                    "exercise {}: {} is ignored, so it checks nothing",
                    ex.id, test.name
                )),
            }
        }
    }
    for test in &run.tests {
        if !lesson
            .exercises
            .iter()
            .any(|ex| test.name.contains(&ex.tests))
        {
            problems.push(format!(
                "{} belongs to no exercise (no `tests` filter of exercises.toml matches it)",
                test.name
            ));
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::libtest::TestResult;

    fn lesson_with_steps(filters: &[&str]) -> Lesson {
        let text: String = filters
            .iter()
            .enumerate()
            .map(|(i, filter)| {
                format!(
                    "[[exercise]]\nid = \"4{}\"\ntitle = {{ en = \"t\", ko = \"t\" }}\n\
                     file = \"src/exercise.rs\"\nsolution = \"reference/solution.rs\"\ntests = \"{filter}\"\n",
                    (b'a' + i as u8) as char
                )
            })
            .collect();
        Lesson {
            package: "lesson4".to_string(),
            number: 4,
            dir: PathBuf::from("lessons/lesson4-queue-pool"),
            exercises: exercises::parse_exercises(&text).expect("the generated toml parses"),
        }
    }

    fn run_of(results: &[(&str, Outcome)]) -> Run {
        Run {
            tests: results
                .iter()
                .map(|(name, outcome)| TestResult {
                    name: name.to_string(),
                    outcome: outcome.clone(),
                })
                .collect(),
            finished: true,
            ..Run::default()
        }
    }

    #[test]
    fn the_course_is_finished_only_when_every_exercise_passed_when_last_run() {
        let repository = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        // The state file of this test lives in a folder of its own, not in the student's target/.
        let root = std::env::temp_dir().join(format!("course-finished-{}", std::process::id()));
        let app = App {
            course: Course::load(&repository).expect("the course loads"),
            root: root.clone(),
            lang: Lang::En,
        };
        let ids: Vec<String> = app
            .course
            .exercises()
            .map(|(_, ex)| ex.id.clone())
            .collect();
        let mut saved = Saved::default();
        for id in &ids[1..] {
            saved.record_state(id, &State::Done);
        }
        saved.save(&root).expect("the state is saved");
        assert!(
            !app.course_finished(),
            "{} never passed, yet the course counts as finished",
            ids[0]
        );
        saved.record_state(&ids[0], &State::Done);
        saved.save(&root).expect("the state is saved");
        let finished = app.course_finished();
        saved.record_state(&ids[1], &State::NotStarted);
        saved.save(&root).expect("the state is saved");
        let after_a_failure = app.course_finished();
        let _ = std::fs::remove_dir_all(&root);
        assert!(
            finished,
            "every exercise passed, yet the course is not finished"
        );
        assert!(
            !after_a_failure,
            "{} fails again, yet the course still counts as finished",
            ids[1]
        );
    }

    #[test]
    fn untouched_stubs_whose_tests_all_fail_have_no_problem() {
        let lesson = lesson_with_steps(&["step_a::", "step_b::"]);
        let failed = || Outcome::Failed("not yet implemented".to_string());
        let run = run_of(&[("step_a::x", failed()), ("step_b::y", failed())]);
        let problems = untouched_problems(&lesson, &run);
        assert!(problems.is_empty(), "problems found: {problems:?}");
    }

    #[test]
    fn a_test_passing_on_the_stub_an_empty_step_and_an_orphan_test_are_each_reported() {
        let lesson = lesson_with_steps(&["step_a::", "step_b::"]);
        let run = run_of(&[
            ("step_a::x", Outcome::Passed),
            ("other::z", Outcome::Failed(String::new())),
        ]);
        let problems = untouched_problems(&lesson, &run).join("\n");
        assert!(
            problems.contains("step_a::x passes"),
            "the passing test is not named: {problems}"
        );
        assert!(
            problems.contains("exercise 4b has no test matching `step_b::`"),
            "the step without tests is not named: {problems}"
        );
        assert!(
            problems.contains("other::z belongs to no exercise"),
            "the orphan test is not named: {problems}"
        );
    }
}
