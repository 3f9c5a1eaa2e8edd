//! `cargo xtask bench [gateway|app]`: the numbers docs/benchmarks.md records. Both by default.

pub mod app;
mod gateway;

use anyhow::{bail, Result};
use std::path::Path;

pub use app::IN_SESSION as APP_IN_SESSION;

pub fn run(root: &Path, args: &[String]) -> Result<()> {
    match args.first().map(String::as_str) {
        None => {
            gateway::run(root)?;
            app::run(root)
        }
        Some("gateway") => gateway::run(root),
        Some("app") => app::run(root),
        Some(other) => bail!("unknown benchmark `{other}`: use gateway or app"),
    }
}
