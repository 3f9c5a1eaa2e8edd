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
    let mut install = apt(&["install", "-y", "-qq", "--no-install-recommends"]);
    install.args(&missing);
    sh(&mut install)
}
