//! A private desktop session for the suites and benchmarks that need one: an Xvfb display and
//! a D-Bus session with its own gnome-keyring, under folders in target/, so nothing touches the
//! developer's own keychain or settings.

use crate::deps;
use anyhow::{Context, Result};
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

/// `xtask <inner>` run inside a fresh session named `name`.
pub fn command(root: &Path, name: &str, inner: &str) -> Result<Command> {
    let session = root.join("target/session").join(name);
    let _ = std::fs::remove_dir_all(&session);
    for sub in ["data", "config", "cache", "runtime"] {
        std::fs::create_dir_all(session.join(sub))?;
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(session.join("runtime"), std::fs::Permissions::from_mode(0o700))?;
    }
    let mut cmd = Command::new("xvfb-run");
    cmd.args(["-a", "-s", "-screen 0 1280x800x24", "dbus-run-session", "--"])
        .arg(std::env::current_exe()?)
        .arg(inner)
        .env("XDG_DATA_HOME", session.join("data"))
        .env("XDG_CONFIG_HOME", session.join("config"))
        .env("XDG_CACHE_HOME", session.join("cache"))
        .env("XDG_RUNTIME_DIR", session.join("runtime"))
        .env("PATH", deps::path_with_cargo_bin());
    Ok(cmd)
}

/// Inside the session: a fresh login keyring, created and unlocked with a throwaway password
/// (with an empty one gnome-keyring creates no login keyring, and every write then waits for a
/// prompt that never comes).
pub fn unlock_keyring() -> Result<()> {
    let mut keyring = Command::new("gnome-keyring-daemon")
        .args(["--unlock", "--components=secrets"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .context("cannot start gnome-keyring-daemon")?;
    // --unlock reads the password from stdin until it closes.
    keyring.stdin.take().context("keyring stdin")?.write_all(b"sluice-test-session")?;
    keyring.wait()?;
    Ok(())
}
