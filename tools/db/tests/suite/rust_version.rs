//! The workspace's `rust-version` must be honest: no package in Cargo.lock may need a newer Rust.
//! (A dependency that raises its rust-version in a new release breaks the build on the toolchain
//! the README promises; this catches it whenever the lock file changes.)

use std::process::Command;

use serde_json::Value;

fn version(text: &str) -> Vec<u64> {
    text.split('.')
        .map(|part| part.parse().unwrap_or(0))
        .collect()
}

#[test]
fn no_locked_package_needs_a_newer_rust_than_the_workspace_declares() {
    let out = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--locked"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        out.status.success(),
        "cargo metadata --locked failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: Value = serde_json::from_slice(&out.stdout).expect("cargo metadata prints JSON");
    let packages = meta["packages"].as_array().expect("a package list");
    let members = meta["workspace_members"].as_array().expect("a member list");
    let rust_version = |p: &Value| p["rust_version"].as_str().map(str::to_string);

    let ours = packages
        .iter()
        .filter(|p| members.contains(&p["id"]))
        .filter_map(rust_version)
        .min_by_key(|v| version(v))
        .expect("the members declare rust-version.workspace = true");
    let newer: Vec<String> = packages
        .iter()
        .filter_map(|p| {
            let needs = rust_version(p)?;
            let (name, release) = (p["name"].as_str()?, p["version"].as_str()?);
            (version(&needs) > version(&ours))
                .then(|| format!("{name} {release} needs Rust {needs}"))
        })
        .collect();
    assert!(
        newer.is_empty(),
        "[workspace.package] rust-version is {ours}, but Cargo.lock holds packages that need more \
         (raise it, and the README's Prerequisites, or pin older versions):\n  {}",
        newer.join("\n  ")
    );
}
