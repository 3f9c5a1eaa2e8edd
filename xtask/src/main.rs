//! `cargo xtask <run|test|bench>`: the README's commands, runnable on a fresh Debian machine.

mod bench;
mod deps;

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = root();
    match args.first().map(String::as_str) {
        Some("run") => run(&root, &args[1..]),
        Some("test") => test(&root),
        Some("bench") => bench::run(&root),
        _ => {
            eprintln!("usage: cargo xtask run [sluice serve args…] | test | bench");
            std::process::exit(2);
        }
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("xtask lives in the workspace").to_owned()
}

/// Runs a command, failing with its name when it fails.
pub fn sh(cmd: &mut Command) -> Result<()> {
    let shown = format!("{cmd:?}");
    eprintln!("xtask: {shown}");
    let status = cmd.status().with_context(|| format!("cannot start {shown}"))?;
    if !status.success() {
        bail!("{shown} failed ({status})");
    }
    Ok(())
}

fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

/// Builds and starts the gateway (the desktop app joins here when it exists).
fn run(root: &Path, rest: &[String]) -> Result<()> {
    sh(cargo().current_dir(root).args(["build", "--release", "--bin", "sluice"]))?;
    let rest = rest.strip_prefix(&["--".to_owned()]).unwrap_or(rest);
    let mut serve = Command::new(root.join("target/release/sluice"));
    serve.arg("serve").args(rest);
    sh(&mut serve)
}

/// Everything: unit tests, then the end-to-end suites against the real binaries.
fn test(root: &Path) -> Result<()> {
    let venv = deps::python_env(root)?;
    sh(cargo().current_dir(root).args(["build", "-p", "sluice-cli", "-p", "sluice-test-harness"]))?;
    if Command::new(cargo().get_program()).args(["nextest", "--version"]).output().is_ok_and(|o| o.status.success()) {
        sh(cargo().current_dir(root).args(["nextest", "run", "--workspace", "--no-fail-fast"]))?;
    } else {
        sh(cargo().current_dir(root).args(["test", "--workspace", "--no-fail-fast"]))?;
    }
    let target = root.join("target/debug");
    sh(Command::new(venv.join("bin/python"))
        .current_dir(root.join("tests/e2e"))
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
        .env("SLUICE_BIN", target.join("sluice"))
        .env("MOCK_UPSTREAM_BIN", target.join("mock-upstream")))
}
