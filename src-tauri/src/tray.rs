//! The tray menu: Open, Pause/Resume proxy, Quit. The app keeps running here when the window
//! is closed.

use crate::host::GatewayHost;
use tauri::menu::{Menu, MenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Manager, Runtime};

pub fn build<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    let open = MenuItem::with_id(app, "open", "Open Sluice", true, None::<&str>)?;
    let pause = MenuItem::with_id(app, "pause", "Pause proxy", true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", "Quit", true, None::<&str>)?;
    let menu = Menu::with_items(app, &[&open, &pause, &quit])?;
    let mut tray = TrayIconBuilder::with_id("main").menu(&menu).tooltip("Sluice");
    if let Some(icon) = app.default_window_icon() {
        tray = tray.icon(icon.clone());
    }
    tray.on_menu_event(move |app, event| match event.id.as_ref() {
        "open" => crate::show_main(app),
        "pause" => {
            let app = app.clone();
            tauri::async_runtime::spawn(async move {
                if let Some(engine) = app.state::<GatewayHost>().engine().await {
                    engine.set_paused(!engine.paused());
                }
            });
        }
        "quit" => crate::quit(app),
        _ => {}
    })
    .build(app)?;
    follow_pause_state(app.clone(), pause);
    Ok(())
}

/// Keeps the menu's wording in step with the proxy, which the UI can pause too.
fn follow_pause_state<R: Runtime>(app: AppHandle<R>, item: MenuItem<R>) {
    tauri::async_runtime::spawn(async move {
        let mut shown = false;
        let mut tick = tokio::time::interval(std::time::Duration::from_millis(500));
        loop {
            tick.tick().await;
            let paused = app.state::<GatewayHost>().engine().await.is_some_and(|e| e.paused());
            if paused != shown && item.set_text(if paused { "Resume proxy" } else { "Pause proxy" }).is_ok() {
                shown = paused;
            }
        }
    });
}
