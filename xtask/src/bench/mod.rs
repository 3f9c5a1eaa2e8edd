//! `cargo xtask bench [gateway|app|semantic|suites|quality]`: the numbers docs/ records. All by default.

pub mod app;
pub(crate) mod gateway;
mod quality;
mod semantic;
pub mod suites;

use anyhow::{bail, Result};
use std::path::Path;

pub use app::IN_SESSION as APP_IN_SESSION;

pub fn run(root: &Path, args: &[String]) -> Result<()> {
    match args.first().map(String::as_str) {
        None => {
            gateway::run(root)?;
            semantic::run(root)?;
            suites::run(root)?;
            quality::run(root)?;
            app::run(root)
        }
        Some("suites") => suites::run(root),
        Some("gateway") => gateway::run(root),
        Some("app") => app::run(root),
        Some("semantic") => semantic::run(root),
        Some("quality") => quality::run(root),
        Some(other) => bail!("unknown benchmark `{other}`: use gateway, app, semantic, suites or quality"),
    }
}
