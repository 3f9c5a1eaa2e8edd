//! Self-update through tauri-plugin-updater: a signed `latest.json` names the new version and
//! its artifact, and the artifact's minisign signature must match the public key in
//! tauri.conf.json. `SLUICE_UPDATE_URL` points at another endpoint (a staging feed, a mirror).

pub const ENDPOINT_VAR: &str = "SLUICE_UPDATE_URL";

use serde::Serialize;
use tauri::{AppHandle, Runtime};
use tauri_plugin_updater::{Update, UpdaterExt};
use url::Url;

#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum UpdateStatus {
    Current { available: bool, current: String },
    Available { available: bool, current: String, version: String, notes: Option<String> },
}

/// The endpoint set by `SLUICE_UPDATE_URL`, if any.
pub fn endpoint_from_env() -> anyhow::Result<Option<Url>> {
    match std::env::var(ENDPOINT_VAR) {
        Ok(url) if !url.trim().is_empty() => Ok(Some(url.trim().parse().map_err(|e| anyhow::anyhow!("{ENDPOINT_VAR} is not a URL: {e}"))?)),
        _ => Ok(None),
    }
}

/// Asks the endpoint (the configured one unless `endpoint` is given) for a newer version.
pub async fn check<R: Runtime>(app: &AppHandle<R>, endpoint: Option<Url>) -> anyhow::Result<Option<Update>> {
    let mut builder = app.updater_builder();
    if let Some(url) = endpoint {
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
