//! Watch mode: re-runs the current exercise's tests each time a file of its lesson is saved, and
//! takes single keys (h, n, l, r, q), in Unix terminals and in Windows Terminal / PowerShell alike.
//! A key pressed while the tests run acts when the run ends (q and Ctrl+C stop the run at once).
//!
//! Files are found changed by comparing their modification times every quarter second: a handful of
//! files per lesson, so polling costs nothing and behaves the same on every OS and editor.

use std::collections::{BTreeMap, VecDeque};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use anyhow::{Context, Result};
use crossterm::event::{self, Event, KeyCode, KeyEventKind, KeyModifiers};
use crossterm::{cursor, execute, terminal};

use crate::exercises::{Exercise, Lesson};
use crate::i18n::tr;
use crate::show::{self, state_details};
use crate::state::{self, Saved, State};
use crate::{App, libtest};

/// How often keys and files are looked at.
const POLL: Duration = Duration::from_millis(250);
/// Editors save in several writes (a temporary file, a rename, a metadata update): the tests run
/// once the lesson's files have stayed the same this long.
const SETTLE: Duration = Duration::from_millis(200);

/// Watch mode on `id`, or where the student left off.
pub fn watch(app: &App, id: Option<&str>) -> Result<ExitCode> {
    let lang = app.lang;
    let chosen = match id {
        Some(id) => match app.course.find(id) {
            Some(found) => Some(found),
            None => return Ok(app.unknown_id(id)),
        },
        None => None,
    };
    if !app.database_answers() {
        return Ok(ExitCode::FAILURE);
    }
    let all: Vec<(&Lesson, &Exercise)> = app.course.exercises().collect();
    let start = match chosen {
        Some(found) => Some(found),
        None => app.current()?,
    };
    let Some((first_lesson, first)) = start else {
        println!(
            "{}",
            tr!(
                lang,
                "The course is finished: every exercise passes. Well done! (`watch <id>` opens one again.)",
                "코스를 마쳤습니다. 모든 연습 문제를 통과했습니다. 수고하셨습니다! (`watch <ID>`로 다시 열 수 있습니다.)"
            )
        );
        return Ok(ExitCode::SUCCESS);
    };
    let mut current = all
        .iter()
        .position(|(l, ex)| l.package == first_lesson.package && ex.id == first.id)
        .unwrap_or(0);

    let _raw = RawMode::enable().with_context(|| {
        tr!(
            lang,
            "watch mode needs a terminal that takes keys; without one, use `list` or `verify`",
            "감시 모드는 키 입력을 받는 터미널이 필요합니다. 터미널이 없으면 `list`나 `verify`를 쓰세요"
        )
    })?;
    let mut screen = Screen::default();
    let (mut lesson, mut ex) = all[current];
    remember_current(app, ex)?;
    let mut files = snapshot(&lesson.dir);
    let mut keep_going = screen.check(app, lesson, ex, None)?;
    while keep_going {
        // Keys pressed during the last run first, in the order they were pressed.
        let key = match screen.pending.pop_front() {
            Some(key) => Some(key),
            None => read_key(POLL)?,
        };
        let mut go_to = None;
        match key {
            Some(Key::Quit) => break,
            Some(Key::Hint) => {
                let mut saved = Saved::load(&app.root);
                if let Some(level) = saved.next_hint_level(&ex.id, ex.hints.len()) {
                    screen.hint = Some(show::hint_text(lesson, ex, level, lang));
                    saved.record_hint(&ex.id, level);
                    saved.save(&app.root)?;
                }
                screen.render(app)?;
            }
            Some(Key::Next) => go_to = Some((current + 1) % all.len()),
            Some(Key::List) => match pick(app, &all)? {
                Pick::Exercise(index) => go_to = Some(index),
                Pick::Back => screen.render(app)?,
                Pick::Quit => break,
            },
            Some(Key::Run) => keep_going = screen.check(app, lesson, ex, None)?,
            None => {
                let mut now = snapshot(&lesson.dir);
                if now == files {
                    continue;
                }
                loop {
                    std::thread::sleep(SETTLE);
                    let again = snapshot(&lesson.dir);
                    if again == now {
                        break;
                    }
                    now = again;
                }
                files = now;
                let saved_at = files.values().max().copied();
                keep_going = screen.check(app, lesson, ex, saved_at)?;
            }
        }
        if let Some(index) = go_to {
            current = index;
            (lesson, ex) = all[current];
            remember_current(app, ex)?;
            files = snapshot(&lesson.dir);
            screen.hint = None;
            keep_going = screen.check(app, lesson, ex, None)?;
        }
    }
    let run = show::RUN;
    print_raw(&tr!(
        lang,
        "\nSee you! `{run} watch` picks up where you left off.\n",
        "\n다음에 또 만나요! `{run} watch`로 이어서 할 수 있습니다.\n"
    ));
    Ok(ExitCode::SUCCESS)
}

/// What stays on screen between runs.
#[derive(Default)]
struct Screen {
    /// The exercise and the file the student writes.
    header: String,
    /// The last run's result (or why none could run).
    body: String,
    /// How long after the save the result came, when a save started the run.
    waited: String,
    /// The hint last asked for, shown under the result until the next exercise.
    hint: Option<String>,
    /// Keys pressed while the tests ran, to act on once the run ends.
    pending: VecDeque<Key>,
}

impl Screen {
    /// Runs `ex`'s tests and shows the result. `saved_at` is the newest file's time, when a save
    /// started the run, to show how long the student waited. False when the student quit meanwhile
    /// (a student's code that hangs must not hold the terminal: Ctrl+C is a key in raw mode).
    fn check(
        &mut self,
        app: &App,
        lesson: &Lesson,
        ex: &Exercise,
        saved_at: Option<SystemTime>,
    ) -> Result<bool> {
        let lang = app.lang;
        let id = &ex.id;
        let title = ex.title.get(lang);
        let file = format!("{}/{}", lesson.display_dir(), show::slash(&ex.file));
        self.header = tr!(
            lang,
            "Exercise {id}: {title}\n  your code: {file}",
            "연습 문제 {id}: {title}\n  작성할 파일: {file}"
        );
        self.body = tr!(lang, "Running the tests...", "테스트 실행 중...");
        self.waited.clear();
        self.render(app)?;

        self.body = match app.database_problem() {
            Some(problem) => problem,
            None => {
                let mut running = libtest::Running::start(&app.root, &lesson.package, &ex.tests)?;
                while !running.is_finished() {
                    match read_key(POLL / 5)? {
                        Some(Key::Quit) => {
                            running.stop();
                            return Ok(false);
                        }
                        // A few keys at most: a held-down key must not replay for a minute.
                        Some(key) if self.pending.len() < 3 => self.pending.push_back(key),
                        _ => {}
                    }
                }
                let run = running.finish()?;
                let state = state::decide(&run, &ex.tests);
                let mut saved = Saved::load(&app.root);
                saved.record_state(&ex.id, &state);
                saved.save(&app.root)?;
                result_text(app, lesson, ex, &run, &state)
            }
        };
        if let Some(took) = saved_at.and_then(|at| SystemTime::now().duration_since(at).ok()) {
            let secs = format!("{:.1}", took.as_secs_f64());
            self.waited = tr!(
                lang,
                "   (result {secs} s after the save)",
                "   (저장 후 {secs}초 만에 결과)"
            );
        }
        self.render(app)?;
        Ok(true)
    }

    fn render(&self, app: &App) -> Result<()> {
        let hint = self
            .hint
            .as_deref()
            .map(|h| format!("\n\n{h}"))
            .unwrap_or_default();
        let keys = tr!(
            app.lang,
            "Save a file of the lesson to run the tests again.  h hint · n next exercise · l list (pick one) · r run again · q quit",
            "레슨의 파일을 저장하면 테스트를 다시 실행합니다.  h 힌트 · n 다음 연습 문제 · l 목록(골라서 이동) · r 다시 실행 · q 종료"
        );
        let (header, body, waited) = (&self.header, &self.body, &self.waited);
        clear_and_print(&format!("{header}\n\n{body}{hint}\n\n{keys}{waited}\n"))
    }
}

/// The state of the exercise, the compiler's warnings, and what to do next.
fn result_text(
    app: &App,
    lesson: &Lesson,
    ex: &Exercise,
    run: &libtest::Run,
    state: &State,
) -> String {
    let lang = app.lang;
    let mut text = state_details(lesson, ex, state, lang);
    let build_failed = matches!(state, State::BuildFailed { .. });
    if !run.warnings.is_empty() && !build_failed {
        let warnings = show::clip(&run.warnings.join("\n\n"));
        text += &tr!(
            lang,
            "\n\nThe compiler warns (a warning often points at the mistake):\n\n{warnings}",
            "\n\n컴파일러 경고(경고가 실수를 가리킬 때가 많습니다):\n\n{warnings}"
        );
    }
    if state.is_done() && app.course_finished() {
        text += &tr!(
            lang,
            "\n\nEvery exercise of the course passes: the course is finished. Well done!",
            "\n\n코스의 모든 연습 문제를 통과했습니다. 코스를 마쳤습니다. 수고하셨습니다!"
        );
    } else if state.is_done() {
        text += &tr!(
            lang,
            "\n\nPress n for the next exercise.",
            "\n\n다음 연습 문제로 가려면 n을 누르세요."
        );
    }
    if state.is_done() {
        // As `solution` decides: the reference file is shown once every exercise it solves passes.
        let saved = Saved::load(&app.root);
        let pending: Vec<&str> = show::sharing_reference(lesson, ex)
            .into_iter()
            .filter(|other| !saved.done.contains(*other))
            .collect();
        text += &format!("\n{}", show::solution_advice(ex, &pending, lang));
    }
    text
}

#[derive(Debug, PartialEq, Eq)]
enum Key {
    Hint,
    Next,
    List,
    Run,
    Quit,
}

/// The key pressed within `timeout`, if it is one of watch mode's.
fn read_key(timeout: Duration) -> Result<Option<Key>> {
    if !event::poll(timeout)? {
        return Ok(None);
    }
    let Event::Key(key) = event::read()? else {
        return Ok(None);
    };
    // Windows reports the release of a key too.
    if key.kind != KeyEventKind::Press {
        return Ok(None);
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    Ok(match key.code {
        KeyCode::Char('c') if ctrl => Some(Key::Quit),
        KeyCode::Char('q') | KeyCode::Esc => Some(Key::Quit),
        KeyCode::Char('h') => Some(Key::Hint),
        KeyCode::Char('n') => Some(Key::Next),
        KeyCode::Char('l') => Some(Key::List),
        KeyCode::Char('r') => Some(Key::Run),
        _ => None,
    })
}

/// Remembers the exercise watch mode is on, for the next `watch` and `hint`.
fn remember_current(app: &App, ex: &Exercise) -> Result<()> {
    let mut saved = Saved::load(&app.root);
    saved.current = Some(ex.id.clone());
    saved.save(&app.root)
}

enum Pick {
    Exercise(usize),
    Back,
    Quit,
}

/// The list of exercises, and the id the student types (Enter picks, Esc goes back).
fn pick(app: &App, all: &[(&Lesson, &Exercise)]) -> Result<Pick> {
    let lang = app.lang;
    let saved = Saved::load(&app.root);
    let mut text = String::new();
    for (lesson, ex) in all {
        if lesson
            .exercises
            .first()
            .is_some_and(|first| first.id == ex.id)
        {
            let number = lesson.number;
            text += &tr!(lang, "\nLesson {number}\n", "\n레슨 {number}\n");
        }
        let mark = saved.mark(&ex.id);
        let current = if saved.current.as_deref() == Some(ex.id.as_str()) {
            ">"
        } else {
            " "
        };
        text += &format!("{current} {mark} {:<4} {}\n", ex.id, ex.title.get(lang));
    }
    text += &tr!(
        lang,
        "\n(when last run: ✓ passed, ✗ failing, · not started or not run yet)\nType an exercise id and press Enter (Esc: back):\n> ",
        "\n(마지막 실행 기준: ✓ 통과, ✗ 실패, · 시작 전 또는 아직 실행 안 함)\n연습 문제 ID를 입력하고 Enter를 누르세요(Esc: 돌아가기):\n> "
    );
    clear_and_print(&text)?;
    let mut typed = String::new();
    let mut problem = String::new();
    loop {
        let Event::Key(key) = event::read()? else {
            continue;
        };
        if key.kind != KeyEventKind::Press {
            continue;
        }
        if key.code == KeyCode::Char('c') && key.modifiers.contains(KeyModifiers::CONTROL) {
            return Ok(Pick::Quit);
        }
        match key.code {
            KeyCode::Esc => return Ok(Pick::Back),
            KeyCode::Enter => {
                let wanted = typed.trim();
                if wanted.is_empty() {
                    return Ok(Pick::Back);
                }
                if let Some(index) = all
                    .iter()
                    .position(|(_, ex)| ex.id.eq_ignore_ascii_case(wanted))
                {
                    return Ok(Pick::Exercise(index));
                }
                problem = tr!(
                    lang,
                    "  (no exercise `{wanted}`)",
                    "  (`{wanted}`라는 연습 문제는 없습니다)"
                );
                typed.clear();
            }
            KeyCode::Backspace => {
                typed.pop();
            }
            KeyCode::Char(c) if typed.len() < 8 => {
                typed.push(c);
                problem.clear();
            }
            _ => continue,
        }
        // Rewrites the line being typed (and why the last id was refused).
        execute!(
            io::stdout(),
            cursor::MoveToColumn(0),
            terminal::Clear(terminal::ClearType::CurrentLine)
        )?;
        print_raw(&format!("> {typed}{problem}"));
    }
}

/// The modification time of every file under the lesson's folder (a build folder inside it aside).
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, SystemTime> {
    let mut files = BTreeMap::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                if entry.file_name() != "target" {
                    folders.push(path);
                }
            } else if let Ok(modified) = meta.modified() {
                files.insert(path, modified);
            }
        }
    }
    files
}

/// Single keys without Enter. In raw mode a newline does not return the cursor, so everything
/// printed goes through [`print_raw`]. Dropping the guard gives the terminal back, also on an error.
struct RawMode;

impl RawMode {
    fn enable() -> io::Result<RawMode> {
        terminal::enable_raw_mode()?;
        Ok(RawMode)
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        let _ = terminal::disable_raw_mode();
    }
}

fn clear_and_print(text: &str) -> Result<()> {
    execute!(
        io::stdout(),
        terminal::Clear(terminal::ClearType::All),
        cursor::MoveTo(0, 0)
    )?;
    print_raw(text);
    Ok(())
}

fn print_raw(text: &str) {
    let mut out = io::stdout().lock();
    let _ = out.write_all(text.replace('\n', "\r\n").as_bytes());
    let _ = out.flush();
}
