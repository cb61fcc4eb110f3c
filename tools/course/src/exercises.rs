//! The course as `lessons/*/exercises.toml` describe it: lessons in order, each with its exercises.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use serde::Deserialize;

use crate::i18n::Lang;

/// A text in both languages of the course.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Text {
    pub en: String,
    pub ko: String,
}

impl Text {
    pub fn get(&self, lang: Lang) -> &str {
        match lang {
            Lang::En => &self.en,
            Lang::Ko => &self.ko,
        }
    }
}

/// One `[[exercise]]` of an `exercises.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Exercise {
    pub id: String,
    pub title: Text,
    /// Where the student writes, relative to the lesson's folder.
    pub file: PathBuf,
    /// The reference, relative to the lesson's folder.
    pub solution: PathBuf,
    /// The libtest name filter, below the test binary's `exercises::` module, that selects this
    /// exercise's tests ("" = all of the lesson's exercise tests).
    pub tests: String,
    /// Level 1 (the idea), 2 (the types and API), 3 (a sketch).
    #[serde(default)]
    pub hints: Vec<Text>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExercisesFile {
    exercise: Vec<Exercise>,
}

/// One lesson folder that has exercises.
#[derive(Debug, Clone)]
pub struct Lesson {
    /// The Cargo package, e.g. `lesson4`.
    pub package: String,
    /// Its number, for ordering (lesson 10 comes after lesson 9).
    pub number: u32,
    /// The folder, e.g. `<root>/lessons/lesson4-queue-pool`.
    pub dir: PathBuf,
    pub exercises: Vec<Exercise>,
}

impl Lesson {
    /// `lessons/lesson4-queue-pool`, for messages (relative, with `/` on every OS).
    pub fn display_dir(&self) -> String {
        let name = self.dir.file_name().unwrap_or_default().to_string_lossy();
        format!("lessons/{name}")
    }
}

/// Every lesson with an `exercises.toml`, in lesson order.
#[derive(Debug, Clone)]
pub struct Course {
    pub lessons: Vec<Lesson>,
}

impl Course {
    /// Reads `<root>/lessons/*/exercises.toml`.
    pub fn load(root: &Path) -> Result<Course> {
        let lessons_dir = root.join("lessons");
        let mut lessons = Vec::new();
        let entries = fs::read_dir(&lessons_dir)
            .with_context(|| format!("cannot list {}", lessons_dir.display()))?;
        for entry in entries {
            let dir = entry?.path();
            let toml_path = dir.join("exercises.toml");
            if !toml_path.is_file() {
                continue;
            }
            let package = package_name(&dir.join("Cargo.toml"))?;
            let number = lesson_number(&package)
                .with_context(|| format!("package `{package}` is not named lesson<N>"))?;
            let text = fs::read_to_string(&toml_path)
                .with_context(|| format!("cannot read {}", toml_path.display()))?;
            let exercises = parse_exercises(&text)
                .with_context(|| format!("{} is not valid", toml_path.display()))?;
            lessons.push(Lesson {
                package,
                number,
                dir,
                exercises,
            });
        }
        lessons.sort_by_key(|lesson| lesson.number);
        let course = Course { lessons };
        course.check_ids_unique()?;
        Ok(course)
    }

    /// Every exercise with its lesson, in course order.
    pub fn exercises(&self) -> impl Iterator<Item = (&Lesson, &Exercise)> {
        self.lessons
            .iter()
            .flat_map(|lesson| lesson.exercises.iter().map(move |ex| (lesson, ex)))
    }

    /// The exercise with this id (case-insensitive: `4A` finds `4a`).
    pub fn find(&self, id: &str) -> Option<(&Lesson, &Exercise)> {
        self.exercises()
            .find(|(_, ex)| ex.id.eq_ignore_ascii_case(id.trim()))
    }

    fn check_ids_unique(&self) -> Result<()> {
        let mut seen = std::collections::BTreeSet::new();
        for (lesson, ex) in self.exercises() {
            if !seen.insert(ex.id.as_str()) {
                bail!(
                    "exercise id `{}` appears twice (again in {})",
                    ex.id,
                    lesson.display_dir()
                );
            }
        }
        Ok(())
    }
}

/// Parses the text of one `exercises.toml`.
pub fn parse_exercises(text: &str) -> Result<Vec<Exercise>> {
    let file: ExercisesFile = toml::from_str(text)?;
    if file.exercise.is_empty() {
        bail!("it has no [[exercise]]");
    }
    Ok(file.exercise)
}

/// `lesson4` -> 4.
pub fn lesson_number(package: &str) -> Option<u32> {
    package.strip_prefix("lesson")?.parse().ok()
}

fn package_name(manifest: &Path) -> Result<String> {
    #[derive(Deserialize)]
    struct Manifest {
        package: Package,
    }
    #[derive(Deserialize)]
    struct Package {
        name: String,
    }
    let text = fs::read_to_string(manifest)
        .with_context(|| format!("cannot read {}", manifest.display()))?;
    let manifest: Manifest =
        toml::from_str(&text).with_context(|| format!("{} is not valid", manifest.display()))?;
    Ok(manifest.package.name)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO_EXERCISES: &str = r#"
        [[exercise]]
        id = "4a"
        title = { en = "The guard gives the connection back", ko = "가드가 커넥션을 반납한다" }
        file = "src/exercise.rs"
        solution = "reference/solution.rs"
        tests = "step_a::"
        [[exercise.hints]]
        en = "idea"
        ko = "아이디어"
        [[exercise.hints]]
        en = "types"
        ko = "타입"
        [[exercise.hints]]
        en = "sketch"
        ko = "스케치"

        [[exercise]]
        id = "4b"
        title = { en = "The checkout", ko = "체크아웃" }
        file = "src/exercise.rs"
        solution = "reference/solution.rs"
        tests = "step_b::"
    "#;

    #[test]
    fn exercises_are_read_in_file_order_with_their_hints() {
        let exercises = parse_exercises(TWO_EXERCISES).expect("the example of the format parses");
        let ids: Vec<&str> = exercises.iter().map(|ex| ex.id.as_str()).collect();
        assert!(ids == ["4a", "4b"], "expected 4a then 4b, got {ids:?}");
        let first = &exercises[0];
        assert!(
            first.tests == "step_a::",
            "filter read as {:?}",
            first.tests
        );
        assert!(
            first.hints.len() == 3,
            "4a has 3 hints, read {}",
            first.hints.len()
        );
        assert!(
            first.hints[1].get(Lang::Ko) == "타입" && first.hints[2].get(Lang::En) == "sketch",
            "hints kept their order and languages: {:?}",
            first.hints
        );
        assert!(
            first.title.get(Lang::Ko) == "가드가 커넥션을 반납한다",
            "Korean title read as {:?}",
            first.title.ko
        );
    }

    #[test]
    fn a_misspelt_key_is_an_error_not_a_silently_missing_hint() {
        let misspelt = TWO_EXERCISES.replace("[[exercise.hints]]", "[[exercise.hint]]");
        let result = parse_exercises(&misspelt);
        assert!(result.is_err(), "`hint` instead of `hints` was accepted");
    }

    #[test]
    fn a_hint_without_korean_is_an_error() {
        let english_only = TWO_EXERCISES.replacen("ko = \"아이디어\"", "", 1);
        let result = parse_exercises(&english_only);
        assert!(result.is_err(), "a hint with only `en` was accepted");
    }

    /// The course as it is in this repository: what `list` and `watch` will read.
    #[test]
    fn every_exercises_toml_of_the_repository_is_complete() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let course = Course::load(&root).expect("every lessons/*/exercises.toml loads, ids unique");
        let mut problems = Vec::new();
        for (lesson, ex) in course.exercises() {
            let id = &ex.id;
            let expected_prefix = lesson.number.to_string();
            if !id.starts_with(&expected_prefix)
                || !id[expected_prefix.len()..]
                    .chars()
                    .all(|c| c.is_ascii_lowercase())
            {
                problems.push(format!(
                    "{id}: an id is the lesson number and a letter, like {expected_prefix}a"
                ));
            }
            for path in [&ex.file, &ex.solution] {
                if !lesson.dir.join(path).is_file() {
                    problems.push(format!("{id}: {} does not exist", path.display()));
                }
            }
            if ex.hints.len() != 3 {
                problems.push(format!(
                    "{id}: {} hint levels, expected 3 (idea, types and API, sketch)",
                    ex.hints.len()
                ));
            }
            let texts = std::iter::once(&ex.title).chain(&ex.hints);
            if texts
                .into_iter()
                .any(|text| text.en.trim().is_empty() || text.ko.trim().is_empty())
            {
                problems.push(format!(
                    "{id}: a title or hint is empty in English or Korean"
                ));
            }
        }
        assert!(
            problems.is_empty(),
            "the course's exercises.toml files have problems:\n{}",
            problems.join("\n")
        );
    }

    #[test]
    fn every_lesson_with_a_stub_has_its_exercises_toml() {
        let lessons = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../lessons");
        let mut missing = Vec::new();
        for entry in fs::read_dir(&lessons).expect("lessons/ is listed") {
            let dir = entry.expect("lessons/ is listed").path();
            if dir.join("src/exercise.rs").is_file() && !dir.join("exercises.toml").is_file() {
                missing.push(
                    dir.file_name()
                        .unwrap_or_default()
                        .to_string_lossy()
                        .into_owned(),
                );
            }
        }
        assert!(
            missing.is_empty(),
            "these lessons have src/exercise.rs but no exercises.toml, so the runner cannot offer them: {missing:?}"
        );
    }

    #[test]
    fn lesson_numbers_order_lesson_10_after_lesson_9() {
        assert!(lesson_number("lesson9") == Some(9), "lesson9 -> 9");
        assert!(lesson_number("lesson10") == Some(10), "lesson10 -> 10");
        assert!(lesson_number("bench").is_none(), "bench is not a lesson");
    }
}
