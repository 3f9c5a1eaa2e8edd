//! The local token clients present. Generated once and kept in the data dir, readable by the
//! owner only.

use anyhow::Context;
use std::io::Write;
use std::path::Path;

pub fn load_or_create(data_dir: &Path) -> anyhow::Result<String> {
    let path = data_dir.join("token");
    if let Ok(existing) = std::fs::read_to_string(&path) {
        let t = existing.trim();
        if !t.is_empty() {
            return Ok(t.to_owned());
        }
    }
    create(data_dir)
}

/// A new random token (128 bits).
pub fn fresh() -> String {
    format!("sluice-{:032x}", rand::random::<u128>())
}

/// A fresh token, written over the old one.
pub fn create(data_dir: &Path) -> anyhow::Result<String> {
    let path = data_dir.join("token");
    let token = fresh();
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&path).with_context(|| format!("cannot create the token file {}", path.display()))?;
    file.write_all(token.as_bytes()).and_then(|_| file.sync_all()).with_context(|| format!("cannot write the token file {}", path.display()))?;
    Ok(token)
}
