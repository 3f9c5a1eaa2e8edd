//! What the tests need beyond Rust, installed on demand so a fresh machine can run them.

use crate::sh;
use anyhow::{Context, Result};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A virtualenv with tests/e2e/requirements.txt, rebuilt when the requirements change.
pub fn python_env(root: &Path) -> Result<PathBuf> {
    let venv = root.join("target/e2e-venv");
    let requirements = root.join("tests/e2e/requirements.txt");
    let wanted = std::fs::read_to_string(&requirements).with_context(|| format!("cannot read {}", requirements.display()))?;
    let stamp = venv.join("requirements.installed");
    if std::fs::read_to_string(&stamp).is_ok_and(|had| had == wanted) && venv.join("bin/python").exists() {
        return Ok(venv);
    }
    let python = ["python3", "python"].into_iter().find(|p| Command::new(p).arg("--version").output().is_ok_and(|o| o.status.success())).context("Python 3 is needed for the end-to-end tests")?;
    if Command::new(python).args(["-m", "venv", "--help"]).output().map_or(true, |o| !o.status.success()) {
        apt_install(&["python3-venv"])?;
    }
    sh(Command::new(python).args(["-m", "venv", "--clear"]).arg(&venv))?;
    sh(Command::new(venv.join("bin/python")).args(["-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r"]).arg(&requirements))?;
    std::fs::write(&stamp, wanted)?;
    Ok(venv)
}

/// Debian packages the tests need: WebKit and friends to build the desktop app, Xvfb and
/// WebKitWebDriver to drive it, gnome-keyring and secret-tool for a real keychain, Chromium for
/// the browser suite.
/// ImageMagick photographs the Xvfb screen.
const TEST_PACKAGES: &[&str] = &["xvfb", "xauth", "webkit2gtk-driver", "gnome-keyring", "dbus-daemon", "libsecret-tools", "chromium", "imagemagick"];

/// What building the desktop app needs (Tauri 2 on Linux).
const DESKTOP_BUILD_PACKAGES: &[&str] = &["pkgconf", "libwebkit2gtk-4.1-dev", "libayatana-appindicator3-dev", "librsvg2-dev", "libssl-dev"];

pub fn desktop_build() -> Result<()> {
    apt_install(DESKTOP_BUILD_PACKAGES)
}

/// Everything the suites use beyond Rust: the packages above and tauri-driver.
pub fn test_tools() -> Result<()> {
    desktop_build()?;
    apt_install(TEST_PACKAGES)?;
    let installed = Command::new("tauri-driver").arg("--help").env("PATH", path_with_cargo_bin()).output().is_ok_and(|o| o.status.success());
    if !installed {
        sh(crate::cargo().args(["install", "tauri-driver", "--locked", "--version", "2.1.0"]))?;
    }
    Ok(())
}

/// PATH with cargo's bin folder, where `cargo install` puts tauri-driver.
pub fn path_with_cargo_bin() -> std::ffi::OsString {
    let cargo_home = std::env::var_os("CARGO_HOME").map(PathBuf::from).or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo")));
    let mut paths: Vec<PathBuf> = cargo_home.map(|c| c.join("bin")).into_iter().collect();
    paths.extend(std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default()));
    std::env::join_paths(paths).expect("PATH entries are joinable")
}

/// `npm ci` in `dir` when its lockfile changed since the last install.
pub fn npm_ci(dir: &Path) -> Result<()> {
    let lock = std::fs::read_to_string(dir.join("package-lock.json")).with_context(|| format!("no package-lock.json in {}", dir.display()))?;
    let stamp = dir.join("node_modules/.installed-lock");
    if std::fs::read_to_string(&stamp).is_ok_and(|had| had == lock) {
        return Ok(());
    }
    sh(Command::new("npm").current_dir(dir).args(["ci", "--no-audit", "--no-fund"]))?;
    std::fs::write(&stamp, lock)?;
    Ok(())
}

/// The web UI's dependencies and a fresh build in ui/dist, which the binaries embed.
pub fn ui(root: &Path) -> Result<()> {
    let dir = root.join("ui");
    npm_ci(&dir)?;
    sh(Command::new("npm").current_dir(&dir).args(["run", "build"]))
}

/// Installs Debian packages that are missing (as root, or through sudo).
pub fn apt_install(packages: &[&str]) -> Result<()> {
    let missing: Vec<&str> = packages
        .iter()
        .copied()
        .filter(|p| !Command::new("dpkg").args(["-s", p]).output().is_ok_and(|o| o.status.success()))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let root = Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0");
    let apt = |args: &[&str]| {
        let mut c = if root { Command::new("apt-get") } else { let mut c = Command::new("sudo"); c.arg("apt-get"); c };
        c.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        c
    };
    sh(&mut apt(&["update", "-qq"]))?;
    // With recommends: WebKit and Chromium render with the fonts and Mesa drivers they pull in.
    let mut install = apt(&["install", "-y", "-qq"]);
    install.args(&missing);
    sh(&mut install)
}

/// Disk a clean `cargo xtask test` writes under target/ (measured 2.85 GB, README).
const TEST_DISK_MB: u64 = 3_000;

/// Out of disk, the build dies in the linker with a bus error that does not say why; this says
/// it first. Only a warning: a target/ built before needs far less.
pub fn warn_if_disk_is_short(root: &Path) {
    let df = Command::new("df").args(["--output=avail", "--block-size=1M"]).arg(root).output();
    let free_mb = df.ok().and_then(|o| String::from_utf8(o.stdout).ok()).and_then(|s| s.lines().nth(1)?.trim().parse::<u64>().ok());
    if let Some(free_mb) = free_mb.filter(|&mb| mb < TEST_DISK_MB) {
        eprintln!("xtask: warning: {free_mb} MB free on the disk under {}; a clean test run needs about {TEST_DISK_MB} MB", root.display());
    }
}
