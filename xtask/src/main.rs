//! `cargo xtask <run|test|bench|fuzz|drill>`: the README's commands, runnable on a fresh Debian machine.

mod bench;
mod deps;
mod drill;
mod fuzz;
mod session;
mod test;

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let root = root();
    match args.first().map(String::as_str) {
        Some("run") => run(&root, &args[1..]),
        Some("test") => test::all(&root),
        Some(test::IN_SESSION) => test::in_session(&root),
        Some("bench") => bench::run(&root, &args[1..]),
        Some(bench::APP_IN_SESSION) => bench::app::in_session(&root),
        Some(bench::suites::IN_SESSION) => bench::suites::in_session(&root),
        Some("deb") => deb(&root),
        Some("fuzz") => fuzz::run(&root, &args[1..]),
        Some("drill") => drill::run(&root, &args[1..]),
        _ => {
            eprintln!("usage: cargo xtask run [sluice serve args…] | test | bench [gateway|app|semantic|suites|quality] | fuzz [CASES | --afl [MINUTES]] | drill [SOAK_MINUTES] | deb");
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

/// Builds and starts the desktop app; on a machine without a display, `sluice serve` instead
/// (extra arguments go to it).
fn run(root: &Path, rest: &[String]) -> Result<()> {
    let rest = rest.strip_prefix(&["--".to_owned()]).unwrap_or(rest);
    let has_display = ["DISPLAY", "WAYLAND_DISPLAY"].iter().any(|v| std::env::var_os(v).is_some_and(|d| !d.is_empty()));
    deps::ui(root)?;
    if has_display && rest.is_empty() {
        deps::desktop_build()?;
        sh(cargo().current_dir(root).args(["build", "--release", "-p", "sluice-desktop"]))?;
        return sh(&mut Command::new(root.join("target/release/sluice-desktop")));
    }
    eprintln!("xtask: no display (or serve arguments given): starting the headless gateway, `sluice serve`; its UI is at the printed address");
    sh(cargo().current_dir(root).args(["build", "--release", "--bin", "sluice"]))?;
    let mut serve = Command::new(root.join("target/release/sluice"));
    serve.arg("serve").args(rest);
    sh(&mut serve)
}

/// Builds the Debian package (release, with updater artifacts when a signing key is set).
fn deb(root: &Path) -> Result<()> {
    deps::ui(root)?;
    deps::desktop_build()?;
    let mut build = Command::new(root.join("ui/node_modules/.bin/tauri"));
    // The CLI would take the first package.json it finds (tests/ui) for the frontend.
    build.current_dir(root).args(["build", "--bundles", "deb"]).env("TAURI_FRONTEND_PATH", root.join("ui"));
    if std::env::var_os("TAURI_SIGNING_PRIVATE_KEY").is_none() {
        // Without the release key the updater signature cannot be made; the .deb still can.
        build.args(["--config", r#"{"bundle":{"createUpdaterArtifacts":false}}"#]);
    }
    // Cargo's default members are the headless crates; the app is the root package.
    build.args(["--", "-p", "sluice-desktop"]);
    sh(&mut build)?;
    eprintln!("xtask: the package is in target/release/bundle/deb/");
    Ok(())
}
