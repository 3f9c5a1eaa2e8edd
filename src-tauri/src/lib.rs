//! Sluice's desktop app: a thin Tauri shell around the gateway engine (crates/gateway). It
//! starts the gateway in-process, shows the web UI in a window, lives in the tray, and does
//! what only a desktop can (autostart, updates, handing the window its token).

mod commands;
mod host;
mod settings;
mod tray;
mod updates;

use host::{GatewayHost, HostOptions};
use tauri::{AppHandle, Manager, RunEvent, Runtime, WindowEvent};

/// Passed by the login item, so a start at login stays in the tray.
const MINIMIZED_FLAG: &str = "--minimized";

pub fn run() {
    // WebKitGTK's DMA-BUF renderer (GPU buffers shared with the compositor) costs ~75 MB in the
    // web process and is behind known blank-window bugs on some drivers; a dashboard does not
    // need it. A value the user set wins.
    #[cfg(target_os = "linux")]
    if std::env::var_os("WEBKIT_DISABLE_DMABUF_RENDERER").is_none() {
        // Safe here: no other thread exists yet to read the environment concurrently.
        std::env::set_var("WEBKIT_DISABLE_DMABUF_RENDERER", "1");
    }
    tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("SLUICE_LOG").unwrap_or_else(|_| "info".into()))
        .with_writer(std::io::stderr)
        .init();
    let options = HostOptions::from_env();
    let start_minimized = std::env::args().any(|a| a == MINIMIZED_FLAG) || options.data_dir().is_some_and(|d| settings::load_start_minimized(&d));

    let single_instance = tauri_plugin_single_instance::Builder::new().callback(|app, _args, _cwd| show_main(app));
    let single_instance = match options.data_dir.as_deref() {
        // Another profile (its own data dir) is another instance, not a second launch of this one.
        Some(dir) => single_instance.dbus_id(profile_id(dir)),
        None => single_instance,
    };

    let app = tauri::Builder::default()
        // First, so a second launch hands over before it starts anything of its own.
        .plugin(single_instance.build())
        .plugin(tauri_plugin_autostart::init(tauri_plugin_autostart::MacosLauncher::LaunchAgent, Some(vec![MINIMIZED_FLAG])))
        .plugin(tauri_plugin_updater::Builder::new().build())
        .manage(GatewayHost::new(options))
        .invoke_handler(tauri::generate_handler![
            commands::gateway_state,
            commands::start_gateway,
            commands::desktop_settings,
            commands::set_desktop_settings,
            commands::check_update,
            commands::install_update,
            commands::relaunch,
        ])
        .setup(move |app| {
            // The proxy is up before the window asks for it. Not earlier than here: the
            // single-instance plugin must first rule out a running Sluice on the same data dir,
            // whose database and journal this one would otherwise open too.
            let state = tauri::async_runtime::block_on(app.state::<GatewayHost>().start(None));
            if let Err(e) = tray::build(app.handle()) {
                tracing::warn!("no tray icon ({e}); closing the window will quit Sluice");
            }
            // A gateway that could not start (port taken) needs the window, minimized or not.
            if !start_minimized || !matches!(state, host::GatewayState::Running { .. }) {
                show_main(app.handle());
            }
            quit_on_signal(app.handle().clone());
            Ok(())
        })
        .on_window_event(|window, event| {
            // Closing the window keeps the proxy running in the tray, if there is one.
            if let WindowEvent::CloseRequested { api, .. } = event {
                if window.app_handle().tray_by_id("main").is_some() {
                    api.prevent_close();
                    let _ = window.hide();
                }
            }
        })
        .build(tauri::generate_context!())
        .expect("the Tauri app could not be built");

    app.run(|app, event| {
        if let RunEvent::ExitRequested { api, code: None, .. } = event {
            // The last window closed without a tray to return to: drain, then exit.
            api.prevent_exit();
            quit(app);
        }
    });
}

/// A D-Bus-safe instance id for a profile: the app id plus a hash of its data dir.
fn profile_id(data_dir: &std::path::Path) -> String {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    std::fs::canonicalize(data_dir).unwrap_or_else(|_| data_dir.to_path_buf()).hash(&mut hasher);
    format!("dev.sluice.desktop.profile{:016x}", hasher.finish())
}

pub(crate) fn show_main<R: Runtime>(app: &AppHandle<R>) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

/// SIGTERM (logout, shutdown, `kill`) and Ctrl-C quit the way the tray's Quit does.
fn quit_on_signal<R: Runtime>(app: AppHandle<R>) {
    tauri::async_runtime::spawn(async move {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            let mut term = match signal(SignalKind::terminate()) {
                Ok(term) => term,
                Err(e) => return tracing::warn!("cannot listen for SIGTERM ({e}); only the tray's Quit drains the proxy"),
            };
            tokio::select! {
                _ = term.recv() => {}
                _ = tokio::signal::ctrl_c() => {}
            }
        }
        #[cfg(not(unix))]
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("asked to stop: finishing in-flight requests");
        quit(&app);
    });
}

/// Drains in-flight requests and flushes the request log, then exits.
pub(crate) fn quit<R: Runtime>(app: &AppHandle<R>) {
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        app.state::<GatewayHost>().stop().await;
        app.exit(0);
    });
}
