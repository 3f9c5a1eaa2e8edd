//! The Playground's and stored suite runs' numbers (issue 14): `tests/ui/bench/suites.bench.ts`
//! in Chromium, in a private Xvfb + D-Bus session, against release builds of `sluice` and the
//! mock upstream. It prints table rows for docs/benchmarks.md.

use crate::{cargo, deps, session, sh};
use anyhow::Result;
use std::path::Path;
use std::process::Command;

pub const IN_SESSION: &str = "__bench-suites";

pub fn run(root: &Path) -> Result<()> {
    deps::ui(root)?;
    deps::test_tools()?;
    deps::npm_ci(&root.join("tests/ui"))?;
    sh(cargo().current_dir(root).args(["build", "--release", "-p", "sluice-cli", "-p", "sluice-test-harness"]))?;
    println!("\n## Playground and suite runs\n");
    println!("| measure | value |\n|---|---|");
    let release = root.join("target/release");
    sh(session::command(root, "bench-suites", IN_SESSION)?.env("SLUICE_BIN", release.join("sluice")).env("MOCK_UPSTREAM_BIN", release.join("mock-upstream")))
}

/// Inside the session: the browser benchmark, its rows on stdout.
pub fn in_session(root: &Path) -> Result<()> {
    session::unlock_keyring()?;
    sh(Command::new("npx").current_dir(root.join("tests/ui")).args(["playwright", "test", "--config", "bench.config.ts", "--reporter", "line"]))
}
