//! Self-update through tauri-plugin-updater: a signed `latest.json` names the new version and
//! its artifact, and the artifact's minisign signature must match the public key in
//! tauri.conf.json. `SLUICE_UPDATE_URL` points at another endpoint (a staging feed, a mirror).

use serde::Serialize;
use tauri::{AppHandle, Runtime};
use tauri_plugin_updater::{Update, UpdaterExt};

#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum UpdateStatus {
    Current { available: bool, current: String },
    Available { available: bool, current: String, version: String, notes: Option<String> },
}

pub async fn check<R: Runtime>(app: &AppHandle<R>) -> anyhow::Result<Option<Update>> {
    let mut builder = app.updater_builder();
    if let Ok(url) = std::env::var("SLUICE_UPDATE_URL") {
        let url = url.parse().map_err(|e| anyhow::anyhow!("SLUICE_UPDATE_URL is not a URL: {e}"))?;
        builder = builder.endpoints(vec![url])?;
    }
    Ok(builder.build()?.check().await?)
}

pub fn status(current: String, update: Option<&Update>) -> UpdateStatus {
    match update {
        None => UpdateStatus::Current { available: false, current },
        Some(u) => UpdateStatus::Available { available: true, current, version: u.version.clone(), notes: u.body.clone() },
    }
}

/// Downloads the artifact, verifies its signature, and installs it. A bad signature fails
/// here, before anything is written.
pub async fn install(update: Update) -> anyhow::Result<()> {
    update.download_and_install(|_, _| {}, || {}).await.map_err(|e| anyhow::anyhow!("the update was not installed: {e}"))
}

#[cfg(test)]
mod tests;
