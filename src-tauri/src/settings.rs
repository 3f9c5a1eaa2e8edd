//! What only the desktop app remembers: start minimized (a small JSON file in the data dir)
//! and start at login (the OS's own autostart entry, through the autostart plugin).

use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use tauri::{AppHandle, Runtime};
use tauri_plugin_autostart::ManagerExt;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DesktopSettings {
    pub start_at_login: bool,
    pub start_minimized: bool,
}

/// What desktop.json holds; start at login lives with the OS, not here.
#[derive(Serialize, Deserialize)]
struct Stored {
    #[serde(default)]
    start_minimized: bool,
}

fn file(data_dir: &Path) -> PathBuf {
    data_dir.join("desktop.json")
}

/// Missing or unreadable settings are the defaults: a broken file must not stop the app.
pub fn load_start_minimized(data_dir: &Path) -> bool {
    std::fs::read(file(data_dir)).ok().and_then(|b| serde_json::from_slice::<Stored>(&b).ok()).is_some_and(|s| s.start_minimized)
}

pub fn read<R: Runtime>(app: &AppHandle<R>, data_dir: &Path) -> DesktopSettings {
    DesktopSettings { start_minimized: load_start_minimized(data_dir), start_at_login: app.autolaunch().is_enabled().unwrap_or(false) }
}

pub fn write<R: Runtime>(app: &AppHandle<R>, data_dir: &Path, wanted: &DesktopSettings) -> anyhow::Result<DesktopSettings> {
    let autostart = app.autolaunch();
    if wanted.start_at_login != autostart.is_enabled().unwrap_or(false) {
        let result = if wanted.start_at_login { autostart.enable() } else { autostart.disable() };
        result.map_err(|e| anyhow::anyhow!("could not change the login item: {e}"))?;
    }
    std::fs::create_dir_all(data_dir)?;
    let path = file(data_dir);
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(&Stored { start_minimized: wanted.start_minimized })?)?;
    std::fs::rename(&tmp, &path)?;
    Ok(read(app, data_dir))
}
