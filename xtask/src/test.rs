//! `cargo xtask test`: unit tests, then every end-to-end suite against the real binaries. The
//! suites that need a keychain, a display or a browser run inside a private D-Bus session with
//! its own gnome-keyring and an Xvfb display, so they never touch the developer's own.

use crate::{cargo, deps, session, sh};
use anyhow::{Context, Result};
use std::path::Path;
use std::process::Command;

/// The hidden subcommand that runs inside the session.
pub const IN_SESSION: &str = "__in-session";

pub fn all(root: &Path) -> Result<()> {
    deps::warn_if_disk_is_short(root);
    deps::test_tools()?;
    let venv = deps::python_env(root)?;
    deps::ui(root)?;
    deps::npm_ci(&root.join("tests/ui"))?;
    deps::npm_ci(&root.join("tests/clients"))?;
    sh(Command::new("npm").current_dir(root.join("ui")).args(["test"]))?;
    sh(cargo().current_dir(root).args(["build", "-p", "sluice-cli", "-p", "sluice-test-harness", "-p", "sluice-desktop"]))?;
    if Command::new(cargo().get_program()).args(["nextest", "--version"]).output().is_ok_and(|o| o.status.success()) {
        sh(cargo().current_dir(root).args(["nextest", "run", "--workspace", "--no-fail-fast"]))?;
    } else {
        sh(cargo().current_dir(root).args(["test", "--workspace", "--no-fail-fast"]))?;
    }
    let target = root.join("target/debug");
    sh(session::command(root, "test", IN_SESSION)?
        .env("E2E_PYTHON", venv.join("bin/python"))
        .env("SLUICE_BIN", target.join("sluice"))
        .env("MOCK_UPSTREAM_BIN", target.join("mock-upstream"))
        .env("DESKTOP_BIN", target.join("sluice-desktop")))
}

/// Inside `xvfb-run dbus-run-session`: unlock a fresh keyring, then the suites.
pub fn in_session(root: &Path) -> Result<()> {
    session::unlock_keyring()?;
    let python = std::env::var("E2E_PYTHON").context("E2E_PYTHON is set by `cargo xtask test`")?;
    let e2e = sh(Command::new(python).current_dir(root.join("tests/e2e")).args(["-m", "pytest", "-q", "-p", "no:cacheprovider"]));
    let ui = sh(Command::new("npx").current_dir(root.join("tests/ui")).args(["playwright", "test"]));
    e2e.and(ui)
}
