//! Runs a lesson's exercise tests with cargo and reads libtest's plain-text report.

use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::thread::JoinHandle;

use anyhow::{Context, Result};

/// Each lesson's integration tests are one binary, `tests/suite/main.rs`; the exercises' tests are its
/// module `exercises` (`exercises::step_a::...`), and `tests` filters of exercises.toml match below it.
const TEST_BINARY: &str = "suite";
const EXERCISES: &str = "exercises::";

/// What one `cargo test` run of a lesson's `tests/suite/exercises.rs` showed.
#[derive(Debug, Clone, Default)]
pub struct Run {
    /// Each test that reported a result, in the order libtest printed them.
    pub tests: Vec<TestResult>,
    /// The compiler's errors when the lesson did not build (then no test ran).
    pub build_errors: Vec<String>,
    /// The compiler's warnings, shown to the student: they often point at the mistake.
    pub warnings: Vec<String>,
    /// False when the test binary stopped before its `test result:` line (a crash, an abort).
    pub finished: bool,
    /// The end of cargo's output, for a run that neither built nor finished.
    pub tail: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestResult {
    /// The name below `exercises::`, e.g. `step_a::the_guard_gives_the_connection_back`.
    pub name: String,
    pub outcome: Outcome,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Passed,
    /// With what the test printed: its panic message, and any thread's that panicked inside it.
    Failed(String),
    Ignored,
}

/// `cargo test -p <package> --features exercise --test suite exercises::<filter>` in `root`, until it ends.
pub fn run_exercise_tests(root: &Path, package: &str, filter: &str) -> Result<Run> {
    Running::start(root, package, filter)?.finish()
}

/// A test run under way, so that watch mode can still take keys (and quit) while it runs.
pub struct Running {
    child: Child,
    stdout: JoinHandle<String>,
    stderr: JoinHandle<String>,
}

impl Running {
    pub fn start(root: &Path, package: &str, filter: &str) -> Result<Running> {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut command = Command::new(cargo);
        // The same build as a hand-typed `cargo test`, so that switching between them rebuilds nothing.
        crate::cargo_env::as_typed_by_hand(&mut command);
        command.current_dir(root).args([
            "test",
            "--color",
            "never",
            "-p",
            package,
            "--features",
            "exercise",
            "--test",
            TEST_BINARY,
            "--",
            &format!("{EXERCISES}{filter}"),
        ]);
        // A backtrace after every failed assertion buries the message the test wrote for the student.
        command.env("RUST_BACKTRACE", "0");
        command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command
            .spawn()
            .context("cannot run cargo (is it on PATH?)")?;
        // Each pipe is read on its own thread, so that neither fills up and blocks cargo.
        let stdout = read_all(child.stdout.take());
        let stderr = read_all(child.stderr.take());
        Ok(Running {
            child,
            stdout,
            stderr,
        })
    }

    pub fn is_finished(&mut self) -> bool {
        !matches!(self.child.try_wait(), Ok(None))
    }

    /// Waits for the end of the run and reads its report.
    pub fn finish(mut self) -> Result<Run> {
        self.child
            .wait()
            .context("cargo test did not run to its end")?;
        let stdout = self.stdout.join().unwrap_or_default();
        let stderr = self.stderr.join().unwrap_or_default();
        Ok(parse(&stdout, &stderr))
    }

    /// Ends the run early (the student quits while the tests run).
    pub fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read_all(pipe: Option<impl Read + Send + 'static>) -> JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// Reads libtest's report (stdout) and cargo's and the compiler's messages (stderr).
pub fn parse(stdout: &str, stderr: &str) -> Run {
    let mut run = Run {
        finished: stdout.lines().any(|line| line.starts_with("test result: ")),
        ..Run::default()
    };
    for line in stdout.lines() {
        if let Some((name, outcome)) = parse_result_line(line) {
            run.tests.push(TestResult { name, outcome });
        }
    }
    for test in &mut run.tests {
        if let Outcome::Failed(message) = &mut test.outcome {
            *message = failure_output(stdout, &test.name);
        }
        if let Some(name) = test.name.strip_prefix(EXERCISES) {
            test.name = name.to_string();
        }
    }
    for block in diagnostics(stderr) {
        if block.starts_with("error") {
            run.build_errors.push(block);
        } else {
            run.warnings.push(block);
        }
    }
    // The errors that count are the compiler's, which come before cargo's "could not compile".
    let ran = stdout.lines().any(|line| line.starts_with("running "));
    if ran {
        run.build_errors.clear();
    }
    let all: Vec<&str> = stderr.lines().chain(stdout.lines()).collect();
    run.tail = all[all.len().saturating_sub(15)..].join("\n");
    run
}

/// `test step_a::x ... ok` -> (`step_a::x`, Passed).
fn parse_result_line(line: &str) -> Option<(String, Outcome)> {
    let rest = line.strip_prefix("test ")?;
    let (name, result) = rest.split_once(" ... ")?;
    let outcome = match result.trim_end() {
        "ok" => Outcome::Passed,
        "FAILED" => Outcome::Failed(String::new()),
        ignored if ignored.starts_with("ignored") => Outcome::Ignored,
        _ => return None,
    };
    Some((name.to_string(), outcome))
}

/// The text between `---- NAME stdout ----` and the next section, without libtest's own notes.
fn failure_output(stdout: &str, name: &str) -> String {
    let header = format!("---- {name} stdout ----");
    let Some(start) = stdout.find(&header) else {
        return String::new();
    };
    let body = &stdout[start + header.len()..];
    let end = body
        .find("\n---- ")
        .into_iter()
        .chain(body.find("\nfailures:"))
        .min()
        .unwrap_or(body.len());
    body[..end]
        .lines()
        .filter(|line| !line.starts_with("note: run with `RUST_BACKTRACE=1`"))
        .collect::<Vec<_>>()
        .join("\n")
        .trim()
        .to_string()
}

/// The compiler's diagnostics in cargo's stderr, each `warning: ...` or `error...` block up to the
/// blank line that ends it, without cargo's summaries ("generated 1 warning", "could not compile").
fn diagnostics(stderr: &str) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<Vec<&str>> = None;
    for line in stderr.lines() {
        let starts_block = line.starts_with("warning") || line.starts_with("error");
        if starts_block {
            if let Some(block) = current.take() {
                blocks.push(block.join("\n"));
            }
            current = Some(vec![line]);
        } else if let Some(block) = &mut current {
            if line.trim().is_empty() {
                blocks.push(block.join("\n"));
                current = None;
            } else {
                block.push(line);
            }
        }
    }
    if let Some(block) = current {
        blocks.push(block.join("\n"));
    }
    blocks.retain(|block| !is_cargo_summary(block));
    blocks.dedup();
    blocks
}

fn is_cargo_summary(block: &str) -> bool {
    let first = block.lines().next().unwrap_or_default();
    first.contains(" generated ")
        || first.starts_with("error: could not compile")
        || first.starts_with("error: aborting")
        || first.starts_with("error: test failed")
        || first.starts_with("error: 1 target failed")
        || first.starts_with("For more information")
        || first.starts_with("warning: build failed")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `cargo test` prints (stdout) for two passing and two failing tests, one of them
    /// failing in a thread it started, as a watchdog test does.
    const STDOUT: &str = "
running 4 tests
test exercises::step_a::the_guard_gives_the_connection_back ... ok
test exercises::step_b::checkout_waits_only_what_remains ... FAILED
test exercises::step_b::checkout_times_out ... ok
test exercises::step_a::drop_on_the_error_path ... FAILED

failures:

---- exercises::step_b::checkout_waits_only_what_remains stdout ----

thread 'exercises::step_b::checkout_waits_only_what_remains' panicked at lessons/lesson4-queue-pool/tests/suite/exercises.rs:88:5:
the checkout waited 2.0 s in all; expected at most 1.2 s: does it wait the full timeout again after a wakeup?
note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace

---- exercises::step_a::drop_on_the_error_path stdout ----

thread '<unnamed>' panicked at lessons/lesson4-queue-pool/src/exercise.rs:20:9:
not yet implemented: 4a: give the connection back
thread 'exercises::step_a::drop_on_the_error_path' panicked at lessons/lesson4-queue-pool/tests/suite/exercises.rs:40:5:
the pool's code panicked

failures:
    exercises::step_a::drop_on_the_error_path
    exercises::step_b::checkout_waits_only_what_remains

test result: FAILED. 2 passed; 2 failed; 0 ignored; 0 measured; 0 filtered out; finished in 2.01s
";

    const STDERR: &str = "   Compiling lesson4 v0.1.0 (/work/lessons/lesson4-queue-pool)
warning: unused variable: `deadline`
  --> lessons/lesson4-queue-pool/src/exercise.rs:31:13
   |
31 |         let deadline = Instant::now() + timeout;
   |             ^^^^^^^^ help: if this is intentional, prefix it with an underscore: `_deadline`
   |
   = note: `#[warn(unused_variables)]` on by default

warning: `lesson4` (lib) generated 1 warning
    Finished `test` profile [unoptimized + debuginfo] target(s) in 3.10s
     Running tests/suite/main.rs (target/debug/deps/suite-0123)
error: test failed, to rerun pass `-p lesson4 --test suite`
";

    #[test]
    fn every_result_line_is_read_with_its_name_below_exercises() {
        let run = parse(STDOUT, STDERR);
        let names: Vec<&str> = run.tests.iter().map(|t| t.name.as_str()).collect();
        assert!(
            names.len() == 4 && names[1] == "step_b::checkout_waits_only_what_remains",
            "read the tests {names:?}"
        );
        assert!(run.finished, "the run has its `test result:` line");
        assert!(
            run.build_errors.is_empty(),
            "errors read: {:?}",
            run.build_errors
        );
    }

    #[test]
    fn a_failure_keeps_the_tests_message_without_libtests_note() {
        let run = parse(STDOUT, STDERR);
        let Outcome::Failed(message) = &run.tests[1].outcome else {
            panic!(
                "checkout_waits_only_what_remains read as {:?}",
                run.tests[1].outcome
            );
        };
        assert!(
            message.contains("does it wait the full timeout again after a wakeup?"),
            "message read as {message:?}"
        );
        assert!(
            !message.contains("RUST_BACKTRACE"),
            "libtest's note kept: {message:?}"
        );
        assert!(
            !message.contains("---- exercises::step_a"),
            "the next test's section leaked in: {message:?}"
        );
    }

    #[test]
    fn a_failure_keeps_the_panics_of_the_threads_it_started() {
        let run = parse(STDOUT, STDERR);
        let Outcome::Failed(message) = &run.tests[3].outcome else {
            panic!("drop_on_the_error_path read as {:?}", run.tests[3].outcome);
        };
        assert!(
            message.contains("not yet implemented") && message.contains("the pool's code panicked"),
            "message read as {message:?}"
        );
        assert!(
            !message.contains("\nfailures:"),
            "the summary leaked in: {message:?}"
        );
    }

    #[test]
    fn the_compilers_warnings_are_kept_and_cargos_summaries_are_not() {
        let run = parse(STDOUT, STDERR);
        assert!(run.warnings.len() == 1, "warnings read: {:?}", run.warnings);
        let warning = &run.warnings[0];
        assert!(
            warning.contains("unused variable: `deadline`") && warning.contains("_deadline"),
            "the warning lost its text or its help: {warning}"
        );
    }

    #[test]
    fn a_build_error_is_read_and_no_test_ran() {
        let stderr = "   Compiling lesson1 v0.1.0 (/work/lessons/lesson1-connect)
error[E0308]: mismatched types
 --> lessons/lesson1-connect/src/exercise.rs:9:5
  |
9 |     1
  |     ^ expected `Result<Reply, Error>`, found integer

For more information about this error, try `rustc --explain E0308`.
error: could not compile `lesson1` (lib) due to 1 previous error
";
        let run = parse("", stderr);
        assert!(
            run.tests.is_empty(),
            "tests read from a failed build: {:?}",
            run.tests
        );
        assert!(!run.finished, "a failed build has no test result");
        assert!(
            run.build_errors.len() == 1 && run.build_errors[0].contains("mismatched types"),
            "errors read: {:?}",
            run.build_errors
        );
    }

    #[test]
    fn a_crashed_test_binary_is_not_finished() {
        let stdout = "\nrunning 2 tests\ntest a ... ok\n";
        let run = parse(
            stdout,
            "error: test failed (signal: 6, SIGABRT: process abort signal)\n",
        );
        assert!(
            !run.finished,
            "a run without `test result:` counted as finished"
        );
        assert!(run.tests.len() == 1, "tests read: {:?}", run.tests);
        assert!(
            run.tail.contains("SIGABRT"),
            "the tail shows why: {:?}",
            run.tail
        );
    }
}
