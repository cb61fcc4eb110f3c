//! `reset <id>` and `reset --all`: the untouched stub back in place of the student's file, which is
//! kept as a backup under `target/`.
//!
//! The untouched stubs are kept in `tools/course/stubs/<lesson folder>/<file>`, committed: they are
//! there in a fresh clone and in a downloaded zip alike, and git's HEAD may hold the student's own
//! commits. `verify --untouched` (CI) checks that each copy equals the lesson's committed stub.

use std::fs;
use std::io::{self, BufRead, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};

use crate::App;
use crate::exercises::{Exercise, Lesson};
use crate::i18n::tr;
use crate::show;
use crate::state::Saved;

/// Where the untouched copy of an exercise's file is kept.
pub fn stub_path(root: &Path, lesson: &Lesson, ex: &Exercise) -> PathBuf {
    let folder = lesson.dir.file_name().unwrap_or_default();
    root.join("tools/course/stubs").join(folder).join(&ex.file)
}

/// The untouched stub of `ex`'s file.
pub fn stub_text(root: &Path, lesson: &Lesson, ex: &Exercise) -> Result<String> {
    let path = stub_path(root, lesson, ex);
    fs::read_to_string(&path).with_context(|| {
        format!(
            "cannot read the untouched stub {} (the runner's copy of the lesson's file)",
            path.display()
        )
    })
}

/// The same text, whatever line endings git gave the checkout (CRLF on Windows with autocrlf).
pub fn same_text(a: &str, b: &str) -> bool {
    a.replace("\r\n", "\n") == b.replace("\r\n", "\n")
}

impl App {
    /// Puts back the stub of `id`'s file, or of every exercise's file with `all`.
    pub fn reset(&self, id: Option<&str>, all: bool, yes: bool) -> Result<ExitCode> {
        let lang = self.lang;
        // One file may hold several exercises (4a, 4b, 4c): each file is put back once.
        let mut targets: Vec<(&Lesson, &Exercise)> = Vec::new();
        if all {
            for (lesson, ex) in self.course.exercises() {
                if !targets
                    .iter()
                    .any(|(l, e)| l.dir == lesson.dir && e.file == ex.file)
                {
                    targets.push((lesson, ex));
                }
            }
            if !yes
                && !confirm(&tr!(
                    lang,
                    "Put back the untouched stub of every exercise? Your files are kept as a backup under target/. [y/N] ",
                    "모든 연습 문제의 파일을 처음 상태(스텁)로 되돌릴까요? 지금 파일은 target/ 아래에 백업됩니다. [y/N] "
                ))?
            {
                println!(
                    "{}",
                    tr!(lang, "Nothing was changed.", "아무것도 바꾸지 않았습니다.")
                );
                return Ok(ExitCode::FAILURE);
            }
        } else {
            let id = id.unwrap_or_default();
            let Some(found) = self.course.find(id) else {
                return Ok(self.unknown_id(id));
            };
            targets.push(found);
        }
        // What was put back starts over in the runner's memory too: its hints and whether it was
        // done; after --all, the whole course (a classroom machine for the next student).
        let mut saved = if all {
            Saved::default()
        } else {
            Saved::load(&self.root)
        };
        for (lesson, ex) in &targets {
            for other in lesson
                .exercises
                .iter()
                .filter(|other| other.file == ex.file)
            {
                saved.hints_shown.remove(&other.id);
                saved.done.remove(&other.id);
            }
        }
        saved.save(&self.root)?;
        let backup_dir = self.root.join("target").join("course-backups").join(
            SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|since| since.as_secs())
                .unwrap_or_default()
                .to_string(),
        );
        let mut backed_up = false;
        for (lesson, ex) in targets {
            let stub = stub_text(&self.root, lesson, ex)?;
            let path = lesson.dir.join(&ex.file);
            let file = format!("{}/{}", lesson.display_dir(), show::slash(&ex.file));
            let current = fs::read_to_string(&path).ok();
            if current
                .as_deref()
                .is_some_and(|text| same_text(text, &stub))
            {
                println!(
                    "{}",
                    tr!(
                        lang,
                        "{file} is the untouched stub already.",
                        "{file}: 이미 처음 상태(스텁)입니다."
                    )
                );
                continue;
            }
            if let Some(current) = &current {
                let backup = backup_dir.join(lesson.display_dir()).join(&ex.file);
                if let Some(parent) = backup.parent() {
                    fs::create_dir_all(parent)?;
                }
                fs::write(&backup, current)
                    .with_context(|| format!("cannot write the backup {}", backup.display()))?;
                backed_up = true;
                let backup = show::slash(backup.strip_prefix(&self.root).unwrap_or(&backup));
                println!(
                    "{}",
                    tr!(
                        lang,
                        "{file}: your version is kept in {backup}",
                        "{file}: 지금까지의 코드는 {backup}에 백업했습니다"
                    )
                );
            }
            fs::write(&path, &stub).with_context(|| format!("cannot write {}", path.display()))?;
            let sharing: Vec<&str> = lesson
                .exercises
                .iter()
                .filter(|other| other.file == ex.file)
                .map(|other| other.id.as_str())
                .collect();
            let ids = sharing.join(", ");
            println!(
                "{}",
                tr!(
                    lang,
                    "{file} is the untouched stub again (exercises {ids}).",
                    "{file}: 처음 상태(스텁)로 되돌렸습니다(연습 문제 {ids})."
                )
            );
        }
        if backed_up {
            let dir = show::slash(backup_dir.strip_prefix(&self.root).unwrap_or(&backup_dir));
            println!(
                "{}",
                tr!(
                    lang,
                    "To take your version back, copy it from {dir}/ (`cargo clean` deletes it with the rest of target/).",
                    "코드를 되살리려면 {dir}/에서 복사하세요(`cargo clean`을 하면 target/의 나머지와 함께 지워집니다)."
                )
            );
        }
        Ok(ExitCode::SUCCESS)
    }
}

/// Asks a yes/no question on the terminal; anything but y/yes (or no answer at all) is no.
fn confirm(question: &str) -> Result<bool> {
    print!("{question}");
    io::stdout().flush()?;
    let mut answer = String::new();
    io::stdin().lock().read_line(&mut answer)?;
    let answer = answer.trim().to_lowercase();
    Ok(matches!(answer.as_str(), "y" | "yes" | "예" | "네" | "ㅛ"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::exercises::Course;

    #[test]
    fn line_endings_do_not_make_a_stub_look_changed() {
        assert!(
            same_text("a\r\nb\r\n", "a\nb\n"),
            "a CRLF checkout of the stub counts as the stub"
        );
        assert!(
            !same_text("a\nb\n", "a\nc\n"),
            "a changed line counts as changed"
        );
    }

    /// The runner's copies are what `reset` writes: each exercise's file has one.
    #[test]
    fn every_exercise_file_has_its_untouched_copy() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let course = Course::load(&root).expect("the course loads");
        let missing: Vec<String> = course
            .exercises()
            .filter(|(lesson, ex)| !stub_path(&root, lesson, ex).is_file())
            .map(|(lesson, ex)| stub_path(&root, lesson, ex).display().to_string())
            .collect();
        assert!(
            missing.is_empty(),
            "`reset` would have nothing to put back for: {missing:?}"
        );
    }
}
