//! Tauri commands: only what a desktop can do (DESIGN.md). Everything else the window reads
//! and changes through the gateway's admin API, like a browser does.

use crate::host::{GatewayHost, GatewayState};
use crate::settings::{self, DesktopSettings};
use crate::updates::{self, UpdateStatus};
use std::net::SocketAddr;
use tauri::{AppHandle, State};

type CommandResult<T> = Result<T, String>;

/// Where the gateway is and the token for it; the window needs no sign-in. The UI asks once it
/// has loaded, which makes this the moment the window is usable (`cargo xtask bench app`).
#[tauri::command]
pub fn gateway_state(host: State<'_, GatewayHost>) -> GatewayState {
    static FIRST: std::sync::Once = std::sync::Once::new();
    FIRST.call_once(|| tracing::info!("window loaded the UI"));
    host.state()
}

/// Starts the gateway on another address (after the configured port was taken).
#[tauri::command]
pub async fn start_gateway(host: State<'_, GatewayHost>, listen: String) -> CommandResult<GatewayState> {
    let addr: SocketAddr = listen.trim().parse().map_err(|_| format!("`{listen}` is not an address like 127.0.0.1:8991"))?;
    Ok(host.start(Some(addr)).await)
}

#[tauri::command]
pub fn desktop_settings(app: AppHandle, host: State<'_, GatewayHost>) -> CommandResult<DesktopSettings> {
    let dir = host.data_dir().ok_or("no data folder")?;
    Ok(settings::read(&app, &dir))
}

#[tauri::command]
pub fn set_desktop_settings(app: AppHandle, host: State<'_, GatewayHost>, settings: DesktopSettings) -> CommandResult<DesktopSettings> {
    let dir = host.data_dir().ok_or("no data folder")?;
    settings::write(&app, &dir, &settings).map_err(|e| format!("{e:#}"))
}

#[tauri::command]
pub async fn check_update(app: AppHandle) -> CommandResult<UpdateStatus> {
    let current = app.package_info().version.to_string();
    let update = find_update(&app).await?;
    Ok(updates::status(current, update.as_ref()))
}

/// Installs the update the last check found, after draining the gateway, then restarts.
#[tauri::command]
pub async fn install_update(app: AppHandle, host: State<'_, GatewayHost>) -> CommandResult<()> {
    let update = find_update(&app).await?.ok_or("Sluice is already up to date")?;
    host.stop().await;
    updates::install(update).await.map_err(|e| format!("{e:#}"))?;
    app.restart();
}

async fn find_update(app: &AppHandle) -> CommandResult<Option<tauri_plugin_updater::Update>> {
    let checked = async { updates::check(app, updates::endpoint_from_env()?).await };
    checked.await.map_err(|e| format!("could not check for updates: {e:#}"))
}

/// Restarts the app (to listen on a newly saved port), draining the gateway first.
#[tauri::command]
pub async fn relaunch(app: AppHandle, host: State<'_, GatewayHost>) -> CommandResult<()> {
    host.stop().await;
    app.restart();
}
