fn main() {
    // The capabilities live beside the sources, not next to tauri.conf.json (see DESIGN.md).
    tauri_build::try_build(tauri_build::Attributes::new().capabilities_path_pattern("./src-tauri/capabilities/**/*")).expect("tauri build step");
}
