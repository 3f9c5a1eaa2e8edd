//! `cargo xtask bench semantic`: embedding and lookup speed of the semantic cache at 100k and
//! 1M entries (release build; databases under target/bench-semantic, ~2.4 GB at 1M). Prints
//! the benchmark's JSON for docs/semantic-cache.md.

use crate::{cargo, sh};
use anyhow::Result;
use std::path::Path;
use std::process::Command;

pub fn run(root: &Path) -> Result<()> {
    sh(cargo().current_dir(root).args(["build", "--release", "-p", "sluice-test-harness", "--bin", "semantic-bench"]))?;
    let model = std::env::var("SLUICE_EMBED_MODEL_DIR").unwrap_or_else(|_| root.join("../shared/models/all-MiniLM-L6-v2").display().to_string());
    let dir = root.join("target/bench-semantic");
    let result = sh(Command::new(root.join("target/release/semantic-bench")).args(["--model-dir", &model, "--entries", "100000,1000000", "--dir"]).arg(&dir));
    // The databases are large and only needed while measuring.
    let _ = std::fs::remove_dir_all(&dir);
    result
}
