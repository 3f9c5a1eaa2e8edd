//! The web UI (ui/dist) is embedded at compile time in release builds (rust-embed reads it from
//! disk in debug builds), and the compiler does not notice files appearing in a folder it
//! found empty. So release builds are redone when ui/dist changes, and until the UI is built
//! they say how to build it. Debug builds never need redoing for it.

use std::path::Path;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    if std::env::var("PROFILE").as_deref() != Ok("release") {
        return;
    }
    let dist = Path::new("../../ui/dist");
    if dist.join("index.html").is_file() {
        println!("cargo:rerun-if-changed=../../ui/dist");
    } else {
        // Watching ui/ notices dist/ appearing; then the branch above takes over.
        println!("cargo:rerun-if-changed=../../ui");
        println!("cargo:warning=ui/dist is missing, so this build has no web UI. Build it with `npm --prefix ui ci && npm --prefix ui run build` and build again (`cargo xtask run` does both).");
    }
}
