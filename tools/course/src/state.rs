//! Where a student stands on an exercise, decided from a test run; and what the runner remembers
//! between runs (the hint levels shown), in an ignored file under `target/`.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

use crate::libtest::{Outcome, Run, TestResult};

/// The state of one exercise after a run of its lesson's tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    /// Every test of it still stops at a `todo!()` of the stub.
    NotStarted,
    /// At least one test fails: the first one (by name) and what it said.
    Failing { test: String, message: String },
    /// Every test of it passes.
    Done,
    /// The lesson does not compile: the compiler's first error.
    BuildFailed { error: String },
    /// The test run stopped before reporting this exercise's tests (a crash): cargo's last lines.
    Crashed { tail: String },
    /// The lesson's tests ran but none matches the exercise's filter: exercises.toml is wrong.
    NoTests { filter: String },
}

impl State {
    pub fn is_done(&self) -> bool {
        *self == State::Done
    }
}

/// The panic message of `todo!()` and `unimplemented!()`.
const STUB_PANICS: [&str; 2] = ["not yet implemented", "not implemented"];

/// Decides the state of the exercise whose tests are those of `run` whose name contains `filter`.
pub fn decide(run: &Run, filter: &str) -> State {
    if let Some(error) = run.build_errors.first() {
        return State::BuildFailed {
            error: error.clone(),
        };
    }
    let mut tests: Vec<&TestResult> = run
        .tests
        .iter()
        .filter(|test| test.name.contains(filter) && test.outcome != Outcome::Ignored)
        .collect();
    if tests.is_empty() {
        return if run.finished {
            State::NoTests {
                filter: filter.to_string(),
            }
        } else {
            State::Crashed {
                tail: run.tail.clone(),
            }
        };
    }
    tests.sort_by(|a, b| a.name.cmp(&b.name));
    let failures: Vec<(&str, &str)> = tests
        .iter()
        .filter_map(|test| match &test.outcome {
            Outcome::Failed(message) => Some((test.name.as_str(), message.as_str())),
            _ => None,
        })
        .collect();
    let stubbed = |message: &str| STUB_PANICS.iter().any(|stub| message.contains(stub));
    match failures.first() {
        None if run.finished => State::Done,
        // Some passed, but the run stopped before all of them reported.
        None => State::Crashed {
            tail: run.tail.clone(),
        },
        Some(_) if failures.len() == tests.len() && failures.iter().all(|(_, m)| stubbed(m)) => {
            State::NotStarted
        }
        Some((test, message)) => State::Failing {
            test: test.to_string(),
            message: message.to_string(),
        },
    }
}

/// What the runner remembers: the exercise watch mode was on, and how many hint levels of each
/// exercise were shown.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Saved {
    #[serde(default)]
    pub current: Option<String>,
    #[serde(default)]
    pub hints_shown: BTreeMap<String, usize>,
    /// The exercises that passed when their tests last ran, so that watch mode can tell when the
    /// whole course is done without running every lesson again.
    #[serde(default)]
    pub done: BTreeSet<String>,
    /// The exercises whose tests failed (or did not compile) when they last ran, so that watch
    /// mode's list marks them ✗ as `list` does.
    #[serde(default)]
    pub failing: BTreeSet<String>,
}

impl Saved {
    /// `target/course-state.json`: inside cargo's ignored build folder, so git never sees it and
    /// `cargo clean` starts the hints over.
    pub fn path(root: &Path) -> PathBuf {
        root.join("target").join("course-state.json")
    }

    /// The saved state, or a fresh one when there is none or it cannot be read.
    pub fn load(root: &Path) -> Saved {
        fs::read_to_string(Saved::path(root))
            .ok()
            .and_then(|text| serde_json::from_str(&text).ok())
            .unwrap_or_default()
    }

    pub fn save(&self, root: &Path) -> Result<()> {
        let path = Saved::path(root);
        if let Some(dir) = path.parent() {
            fs::create_dir_all(dir)?;
        }
        let text = serde_json::to_string_pretty(self)?;
        fs::write(&path, text).with_context(|| format!("cannot write {}", path.display()))
    }

    /// The level the next `hint` shows: one more than shown so far, and the last one again once
    /// all were shown. `None` when the exercise has no hints.
    pub fn next_hint_level(&self, id: &str, levels: usize) -> Option<usize> {
        let shown = self.hints_shown.get(id).copied().unwrap_or(0);
        (levels > 0).then(|| (shown + 1).min(levels))
    }

    pub fn record_state(&mut self, id: &str, state: &State) {
        self.done.remove(id);
        self.failing.remove(id);
        match state {
            State::Done => {
                self.done.insert(id.to_string());
            }
            State::NotStarted => {}
            _ => {
                self.failing.insert(id.to_string());
            }
        }
    }

    /// The mark `list` shows for `id`'s state when its tests last ran: ✓ passed, ✗ failed,
    /// · not started (or not run yet).
    pub fn mark(&self, id: &str) -> &'static str {
        if self.done.contains(id) {
            "✓"
        } else if self.failing.contains(id) {
            "✗"
        } else {
            "·"
        }
    }

    pub fn record_hint(&mut self, id: &str, level: usize) {
        let shown = self.hints_shown.entry(id.to_string()).or_insert(0);
        *shown = (*shown).max(level);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failed(name: &str, message: &str) -> TestResult {
        TestResult {
            name: name.to_string(),
            outcome: Outcome::Failed(message.to_string()),
        }
    }

    fn passed(name: &str) -> TestResult {
        TestResult {
            name: name.to_string(),
            outcome: Outcome::Passed,
        }
    }

    fn finished(tests: Vec<TestResult>) -> Run {
        Run {
            tests,
            finished: true,
            ..Run::default()
        }
    }

    const TODO: &str = "thread 'x' panicked at src/exercise.rs:9:5:\nnot yet implemented: 4a";

    #[test]
    fn an_exercise_whose_tests_all_hit_todo_is_not_started() {
        let run = finished(vec![
            failed("step_a::one", TODO),
            failed("step_a::two", TODO),
        ]);
        let state = decide(&run, "step_a::");
        assert!(state == State::NotStarted, "all at todo!() gave {state:?}");
    }

    #[test]
    fn one_real_failure_among_todos_is_failing_and_names_the_first_test() {
        let run = finished(vec![
            failed(
                "step_a::two",
                "expected 2 connections back in the pool, found 1",
            ),
            failed("step_a::one", TODO),
        ]);
        let state = decide(&run, "step_a::");
        let expected = State::Failing {
            test: "step_a::one".to_string(),
            message: TODO.to_string(),
        };
        assert!(
            state == expected,
            "expected the first failing test by name, got {state:?}"
        );
    }

    #[test]
    fn an_exercise_with_every_test_passing_is_done_whatever_its_neighbours_do() {
        let run = finished(vec![
            passed("step_a::one"),
            passed("step_a::two"),
            failed("step_b::one", TODO),
        ]);
        assert!(
            decide(&run, "step_a::").is_done(),
            "4a's tests all pass, so 4a is done"
        );
        assert!(
            decide(&run, "step_b::") == State::NotStarted,
            "4b's only test is at todo!()"
        );
    }

    #[test]
    fn some_passing_and_some_failing_is_failing() {
        let run = finished(vec![passed("a"), failed("b", "expected 1 row, got 0")]);
        let state = decide(&run, "");
        assert!(
            matches!(&state, State::Failing { test, .. } if test == "b"),
            "one failure gave {state:?}"
        );
    }

    #[test]
    fn a_build_error_wins_over_everything() {
        let run = Run {
            build_errors: vec!["error[E0308]: mismatched types".to_string()],
            ..Run::default()
        };
        let state = decide(&run, "");
        assert!(
            matches!(&state, State::BuildFailed { error } if error.contains("E0308")),
            "a failed build gave {state:?}"
        );
    }

    #[test]
    fn a_filter_that_matches_no_test_is_reported_not_counted_as_done() {
        let run = finished(vec![passed("step_a::one")]);
        let state = decide(&run, "step_c::");
        assert!(
            state
                == State::NoTests {
                    filter: "step_c::".to_string()
                },
            "a filter matching nothing gave {state:?}"
        );
    }

    #[test]
    fn passing_tests_of_a_run_that_crashed_are_not_done() {
        let run = Run {
            tests: vec![passed("a")],
            finished: false,
            tail: "SIGABRT".to_string(),
            ..Run::default()
        };
        let state = decide(&run, "");
        assert!(
            matches!(state, State::Crashed { .. }),
            "a crashed run gave {state:?}"
        );
    }

    #[test]
    fn hints_come_one_level_at_a_time_and_the_last_one_stays() {
        let mut saved = Saved::default();
        assert!(
            saved.next_hint_level("4a", 3) == Some(1),
            "the first hint is level 1"
        );
        saved.record_hint("4a", 1);
        assert!(
            saved.next_hint_level("4a", 3) == Some(2),
            "after level 1 comes 2"
        );
        saved.record_hint("4a", 3);
        assert!(
            saved.next_hint_level("4a", 3) == Some(3),
            "after the last, the last again"
        );
        assert!(
            saved.next_hint_level("4b", 3) == Some(1),
            "another exercise starts at 1"
        );
        assert!(
            saved.next_hint_level("4c", 0).is_none(),
            "no hints, no level"
        );
    }

    #[test]
    fn looking_back_at_an_earlier_hint_does_not_lower_the_level() {
        let mut saved = Saved::default();
        saved.record_hint("4a", 2);
        saved.record_hint("4a", 1);
        assert!(
            saved.next_hint_level("4a", 3) == Some(3),
            "after showing 2 then 1 again, the next is 3"
        );
    }

    #[test]
    fn the_list_marks_an_exercise_by_its_last_run_as_list_does() {
        let mut saved = Saved::default();
        saved.record_state("6a", &State::Done);
        saved.record_state(
            "6b",
            &State::Failing {
                test: "step_b::one".to_string(),
                message: "wrong".to_string(),
            },
        );
        saved.record_state("6c", &State::NotStarted);
        let marks = [saved.mark("6a"), saved.mark("6b"), saved.mark("6c")];
        assert!(
            marks == ["✓", "✗", "·"],
            "passed, failing and not started should read ✓ ✗ ·, got {marks:?}"
        );
        saved.record_state("6b", &State::Done);
        assert!(
            saved.mark("6b") == "✓" && !saved.failing.contains("6b"),
            "a failing exercise that passes later should lose its ✗"
        );
    }
}
