//! Reading, atomically writing and watching the config file.

use super::{Config, FieldError};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("{path}: {error}")]
    Invalid { path: PathBuf, error: FieldError },
}

/// Loads `path`; a missing file is `Ok(None)` so callers can fall back to defaults.
pub fn load_file(path: &Path) -> Result<Option<Config>, LoadError> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(source) => return Err(LoadError::Read { path: path.to_owned(), source }),
    };
    Config::parse_toml(&text).map(Some).map_err(|error| LoadError::Invalid { path: path.to_owned(), error })
}

/// Writes through a temporary file and a rename, so a crash leaves the old file or the new
/// one, never half of each.
pub fn write_atomic(path: &Path, contents: &str) -> std::io::Result<()> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".{}.tmp-{}", path.file_name().and_then(|n| n.to_str()).unwrap_or("config"), std::process::id()));
    let mut file = std::fs::File::create(&tmp)?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&tmp, path)?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// Notices hand edits by polling the file's modification time and size: one `stat` a second
/// costs nothing and, unlike inotify, survives editors that replace the file.
pub struct ConfigWatcher {
    path: PathBuf,
    seen: Option<(SystemTime, u64)>,
}

pub const WATCH_INTERVAL: Duration = Duration::from_millis(500);

impl ConfigWatcher {
    pub fn new(path: PathBuf) -> Self {
        let seen = stamp(&path);
        ConfigWatcher { path, seen }
    }

    /// Forget the current stamp's news (after we wrote the file ourselves).
    pub fn mark_seen(&mut self) {
        self.seen = stamp(&self.path);
    }

    /// True when the file changed since the last call.
    pub fn changed(&mut self) -> bool {
        let now = stamp(&self.path);
        if now != self.seen {
            self.seen = now;
            true
        } else {
            false
        }
    }
}

fn stamp(path: &Path) -> Option<(SystemTime, u64)> {
    let meta = std::fs::metadata(path).ok()?;
    Some((meta.modified().ok()?, meta.len()))
}
