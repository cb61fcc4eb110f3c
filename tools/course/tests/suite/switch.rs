//! Switching between the runner and a hand-typed `cargo test` rebuilds nothing, both ways.
//!
//! The test binary is started by cargo, so its environment is what a program started by
//! `cargo run` has (`CARGO_MANIFEST_DIR`, `CARGO_PKG_*`, ...): the runner started from here is in the
//! student's situation. The hand-typed `cargo` gets the environment of the terminal instead, read from
//! the `cargo` that started this test (on Linux; elsewhere, this environment without cargo's variables).
//!
//! It builds lesson 1 in exercise mode in the real workspace (minutes when cold, seconds when warm) and
//! needs the database, as the runner does.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant, SystemTime};

/// A cold build of lesson 1 and its dependencies takes a few minutes on 2 cores; this is its ceiling.
const BUILD_LIMIT: Duration = Duration::from_secs(20 * 60);
const LESSON: &str = "lesson1";
const EXERCISE: &str = "1a";

#[test]
fn after_the_runner_a_hand_typed_cargo_test_compiles_nothing_and_the_reverse() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let Some(terminal) = terminal_environment() else {
        eprintln!(
            "SKIPPED: `cargo --version` does not run here, so there is no hand-typed cargo to compare with"
        );
        return;
    };
    // A second try only when the first saw a rebuild: a file of the lesson saved by someone in the
    // middle (an editor, a shared machine) rebuilds legitimately once, while an environment that
    // differs rebuilds on every switch.
    let first_try = switch_rebuilds(&root, &terminal);
    if let Err(first) = first_try {
        eprintln!("first try: {first}\ntrying once more");
        if let Err(second) = switch_rebuilds(&root, &terminal) {
            panic!("{second}");
        }
    }
}

/// Hand-typed build, runner, hand-typed build: what the second and third compiled, if anything.
fn switch_rebuilds(root: &Path, terminal: &[(OsString, OsString)]) -> Result<(), String> {
    // 1. By hand: builds whatever is missing, in the terminal's environment.
    let first = hand_typed_build(root, terminal);
    let artifacts = first.files();

    // 2. The runner on one exercise of the same lesson: its nested cargo must find everything fresh.
    let before = modified_times(&artifacts);
    let runner = run_with_limit(
        Command::new(env!("CARGO_BIN_EXE_course"))
            .args(["--lang", "en", "verify", EXERCISE])
            .current_dir(root),
    );
    let said = String::from_utf8_lossy(&runner.stdout);
    assert!(
        said.contains(EXERCISE),
        "the runner did not report exercise {EXERCISE} (is the database up?); it printed:\n{said}\n{}",
        String::from_utf8_lossy(&runner.stderr)
    );
    let after = modified_times(&artifacts);
    let rebuilt: Vec<&PathBuf> = after
        .iter()
        .filter(|(file, modified)| before.get(*file) != Some(*modified))
        .map(|(file, _)| file)
        .collect();
    if !rebuilt.is_empty() {
        return Err(format!(
            "after a hand-typed `cargo test -p {LESSON} --features exercise`, the runner rebuilt {} file(s), e.g. {:?}: \
             its nested cargo's environment differs from a terminal's (look for CARGO_* variables it inherits from `cargo run`)",
            rebuilt.len(),
            rebuilt.first()
        ));
    }

    // 3. By hand again: nothing to compile after the runner.
    let second = hand_typed_build(root, terminal);
    if !second.compiled.is_empty() {
        return Err(format!(
            "after the runner, a hand-typed `cargo test -p {LESSON} --features exercise` recompiled {:?}: \
             the runner's nested cargo built them with another environment",
            second.compiled
        ));
    }
    Ok(())
}

/// What one `cargo test --no-run --message-format=json` built.
struct Build {
    /// Every artifact of the build, fresh or not: (package id, its files).
    artifacts: Vec<(String, Vec<PathBuf>)>,
    /// The packages of the artifacts that were compiled (not fresh).
    compiled: Vec<String>,
}

impl Build {
    fn files(&self) -> Vec<PathBuf> {
        self.artifacts
            .iter()
            .flat_map(|(_, files)| files.iter().cloned())
            .collect()
    }
}

/// `cargo test -p lesson1 --features exercise --no-run`, as a student types it.
fn hand_typed_build(root: &Path, terminal: &[(OsString, OsString)]) -> Build {
    let mut command = Command::new("cargo");
    command
        .args([
            "test",
            "-p",
            LESSON,
            "--features",
            "exercise",
            "--no-run",
            "--message-format=json",
        ])
        .current_dir(root)
        .env_clear()
        .envs(terminal.iter().map(|(k, v)| (k, v)));
    let output = run_with_limit(&mut command);
    assert!(
        output.status.success(),
        "`cargo test -p {LESSON} --features exercise --no-run` failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut build = Build {
        artifacts: Vec::new(),
        compiled: Vec::new(),
    };
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        let Ok(message) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        if message["reason"] != "compiler-artifact" {
            continue;
        }
        let package = message["package_id"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        if message["fresh"] == false {
            build.compiled.push(package.clone());
        }
        let files = message["filenames"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|file| file.as_str().map(PathBuf::from))
            .collect();
        build.artifacts.push((package, files));
    }
    assert!(
        !build.artifacts.is_empty(),
        "cargo reported no artifact for {LESSON}: its JSON output was not read"
    );
    build
}

/// The environment of the terminal this test was started from: that of the `cargo` that started it.
/// None when cargo cannot run here at all.
fn terminal_environment() -> Option<Vec<(OsString, OsString)>> {
    let cargo_runs = Command::new("cargo")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    if !cargo_runs {
        return None;
    }
    Some(parent_environment().unwrap_or_else(|| {
        // Not Linux: this process's environment without what cargo sets for the programs it runs.
        std::env::vars_os()
            .filter(|(name, _)| {
                let name = name.to_string_lossy();
                !(name.starts_with("CARGO_PKG_")
                    || name.starts_with("CARGO_MANIFEST_")
                    || name.starts_with("CARGO_CRATE_")
                    || name.starts_with("CARGO_BIN_")
                    || name == "CARGO_PRIMARY_PACKAGE"
                    || name == "CARGO_TARGET_TMPDIR"
                    || name == "CARGO_RUSTC_CURRENT_DIR")
            })
            .collect()
    }))
}

/// The environment the parent process (the `cargo test` that runs this test) started with.
#[cfg(target_os = "linux")]
fn parent_environment() -> Option<Vec<(OsString, OsString)>> {
    use std::os::unix::ffi::OsStringExt;
    let parent = std::os::unix::process::parent_id();
    let bytes = std::fs::read(format!("/proc/{parent}/environ")).ok()?;
    let pairs: Vec<(OsString, OsString)> = bytes
        .split(|b| *b == 0)
        .filter_map(|entry| {
            let at = entry.iter().position(|b| *b == b'=')?;
            Some((
                OsString::from_vec(entry[..at].to_vec()),
                OsString::from_vec(entry[at + 1..].to_vec()),
            ))
        })
        .collect();
    // A parent that is not cargo (a shell, a test harness) is a terminal too.
    (!pairs.is_empty()).then_some(pairs)
}

#[cfg(not(target_os = "linux"))]
fn parent_environment() -> Option<Vec<(OsString, OsString)>> {
    None
}

fn modified_times(files: &[PathBuf]) -> BTreeMap<PathBuf, Option<SystemTime>> {
    files
        .iter()
        .map(|file| {
            let modified = std::fs::metadata(file).and_then(|m| m.modified()).ok();
            (file.clone(), modified)
        })
        .collect()
}

/// Runs `command` to its end, killing it after [`BUILD_LIMIT`] so that a stuck build fails the test.
fn run_with_limit(command: &mut Command) -> Output {
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|err| panic!("cannot start {command:?}: {err}"));
    let stdout = read_on_thread(child.stdout.take());
    let stderr = read_on_thread(child.stderr.take());
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("the child can be waited for") {
            break status;
        }
        if started.elapsed() > BUILD_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{command:?} ran longer than {BUILD_LIMIT:?}, killed");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    Output {
        status,
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    }
}

fn read_on_thread(
    pipe: Option<impl std::io::Read + Send + 'static>,
) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        if let Some(mut pipe) = pipe {
            let _ = pipe.read_to_end(&mut bytes);
        }
        bytes
    })
}
