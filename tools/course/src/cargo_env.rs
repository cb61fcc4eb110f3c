//! The environment of the runner's nested `cargo`: the one a `cargo` typed in the terminal gets.
//!
//! Started by `cargo run`, the runner inherits what cargo sets for the program it runs
//! (`CARGO_MANIFEST_DIR`, `CARGO_PKG_NAME`, ..., and the build folders prepended to the library path).
//! Build scripts that track those variables (ring's does) see them change between a runner's
//! `cargo test` and a hand-typed one, so each switch rebuilt ring, rustls, mysql and the lesson:
//! 45 s on 2 cores instead of under one.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Removes from `command`'s environment what `cargo run` added to the runner's own. Kept: what a user
/// sets (`CARGO_HOME`, `CARGO_TARGET_DIR`, `CARGO_BUILD_*`, ...) and what rustup sets for every
/// `cargo` it starts (`RUSTUP_*`, `CARGO`), which a hand-typed `cargo` gets as well.
pub fn as_typed_by_hand(command: &mut Command) {
    for (name, _) in std::env::vars_os() {
        if set_by_cargo_run(&name) {
            command.env_remove(&name);
        }
    }
    // Only a runner that `cargo run` started has the build folders in its library path.
    if std::env::var_os("CARGO_MANIFEST_DIR").is_none() {
        return;
    }
    let name = library_path_variable();
    let Some(value) = std::env::var_os(name) else {
        return;
    };
    let added_by_cargo = added_folders();
    let kept = without_leading(&value, &added_by_cargo);
    match kept {
        Some(kept) => command.env(name, kept),
        None => command.env_remove(name),
    };
}

/// The variables cargo sets for the crate it compiles or the program it runs, which a terminal lacks.
pub fn set_by_cargo_run(name: &OsStr) -> bool {
    let Some(name) = name.to_str() else {
        return false;
    };
    const PREFIXES: [&str; 5] = [
        "CARGO_PKG_",
        "CARGO_MANIFEST_",
        "CARGO_CRATE_",
        "CARGO_BIN_",
        "CARGO_CFG_",
    ];
    const NAMES: [&str; 5] = [
        "CARGO_PRIMARY_PACKAGE",
        "CARGO_RUSTC_CURRENT_DIR",
        "CARGO_TARGET_TMPDIR",
        "CARGO_MAKEFLAGS",
        "OUT_DIR",
    ];
    PREFIXES.iter().any(|prefix| name.starts_with(prefix)) || NAMES.contains(&name)
}

/// Where cargo finds shared libraries for a program it runs: PATH on Windows.
fn library_path_variable() -> &'static str {
    if cfg!(windows) {
        "PATH"
    } else if cfg!(target_os = "macos") {
        "DYLD_FALLBACK_LIBRARY_PATH"
    } else {
        "LD_LIBRARY_PATH"
    }
}

/// The folders `cargo run` puts before the user's library path: the build folder the runner was
/// built in (`target/debug`, `target/debug/deps`) and the toolchain's own (next to `$CARGO`).
fn added_folders() -> Vec<PathBuf> {
    let mut folders = Vec::new();
    if let Some(build) = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(Path::to_path_buf))
    {
        folders.push(build);
    }
    if let Some(toolchain) = std::env::var_os("CARGO")
        .map(PathBuf::from)
        .and_then(|cargo| cargo.parent()?.parent().map(Path::to_path_buf))
    {
        folders.push(toolchain);
    }
    folders
}

/// `value` without its leading entries inside one of `folders` (cargo prepends; the user's own
/// entries follow). None when nothing is left.
pub fn without_leading(value: &OsStr, folders: &[PathBuf]) -> Option<OsString> {
    let entries: Vec<PathBuf> = std::env::split_paths(value).collect();
    let first_own = entries
        .iter()
        .position(|entry| !folders.iter().any(|folder| entry.starts_with(folder)))?;
    std::env::join_paths(&entries[first_own..]).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_cargo_run_sets_is_removed_and_what_a_user_sets_is_kept() {
        for name in [
            "CARGO_MANIFEST_DIR",
            "CARGO_MANIFEST_PATH",
            "CARGO_PKG_NAME",
            "CARGO_PKG_VERSION_MAJOR",
            "CARGO_CRATE_NAME",
            "CARGO_BIN_NAME",
            "CARGO_BIN_EXE_course",
            "CARGO_PRIMARY_PACKAGE",
            "CARGO_RUSTC_CURRENT_DIR",
        ] {
            assert!(
                set_by_cargo_run(OsStr::new(name)),
                "{name} is set by cargo run and must not reach the nested cargo"
            );
        }
        for name in [
            "CARGO",
            "CARGO_HOME",
            "CARGO_TARGET_DIR",
            "CARGO_BUILD_JOBS",
            "RUSTUP_TOOLCHAIN",
            "RUSTFLAGS",
            "PATH",
            "DB_PORT",
        ] {
            assert!(
                !set_by_cargo_run(OsStr::new(name)),
                "{name} may be the user's own setting and must be kept"
            );
        }
    }

    #[test]
    fn the_folders_cargo_put_first_are_dropped_and_the_users_own_kept() {
        let root = std::env::temp_dir();
        let build = root.join("ws").join("target").join("debug");
        let toolchain = root.join("toolchains").join("stable");
        let own = root.join("opt").join("lib");
        let value = std::env::join_paths([
            build.clone(),
            build.join("deps"),
            toolchain.join("lib"),
            own.clone(),
        ])
        .expect("test paths join");
        let kept = without_leading(&value, &[build.clone(), toolchain.clone()]);
        assert!(
            kept == Some(own.clone().into_os_string()),
            "expected only the user's {own:?} to stay, got {kept:?}"
        );
        let only_cargos =
            std::env::join_paths([build.clone(), build.join("deps")]).expect("test paths join");
        let kept = without_leading(&only_cargos, &[build, toolchain]);
        assert!(
            kept.is_none(),
            "nothing of the user's was there, yet {kept:?} stayed"
        );
    }
}
