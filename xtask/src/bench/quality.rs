//! `cargo xtask bench quality`: what sampling adds to the requests it samples. Two gateways
//! on the same mock, both answering a paraphrase from the semantic cache; one samples every
//! hit (`sample = 1.0`, the worst case: each hit is asked again of the reference and judged in
//! the background, 4 at a time at most), the other has no judge. Requests alternate between
//! them, one at a time, so both see the machine in the same state; then the same at the
//! default share, 2 %. Prints a Markdown table for docs/quality.md.

use super::gateway::{loadgen, start, us, TOKEN};
use crate::{cargo, sh};
use anyhow::{Context, Result};
use serde_json::Value;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

const QUESTION: &str = "How do I reverse a list in Python?";
const PARAPHRASE: &str = "How can I reverse a list in Python?";

pub fn run(root: &Path) -> Result<()> {
    sh(cargo().current_dir(root).args(["build", "--release", "-p", "sluice-cli", "-p", "sluice-test-harness"]))?;
    println!("| semantic hits, one at a time (3,000 each, alternating) | p50 | p99 |");
    println!("| --- | --- | --- |");
    for share in ["1.0", "0.02"] {
        let (on, off) = paired(root, share)?;
        println!("| sampling {share} of hits (checked in the background) | {:.3} ms | {:.3} ms |", us(&on, "p50_us") / 1e3, us(&on, "p99_us") / 1e3);
        println!("| … sampling off, same run | {:.3} ms | {:.3} ms |", us(&off, "p50_us") / 1e3, us(&off, "p99_us") / 1e3);
    }
    Ok(())
}

/// Latency of semantic hits with sampling at `share`, and without, in one run.
fn paired(root: &Path, share: &str) -> Result<(Value, Value)> {
    let bin = root.join("target/release");
    let model = root.parent().map(|p| p.join("shared/models/all-MiniLM-L6-v2")).filter(|d| d.is_dir()).context("the embedding model is expected in ../shared/models")?;
    let tmp = std::env::temp_dir().join(format!("sluice-bench-quality-{}", std::process::id()));
    std::fs::create_dir_all(&tmp)?;
    let (_mock, mock_url) = start(Command::new(bin.join("mock-upstream")).args(["--keep", "0"]))?;
    let mut gateways = Vec::new();
    for (name, quality) in [("on", format!("[quality]\njudge = \"mock/judge-b\"\nsample = {share}\ndaily_cap_usd = 1000.0\n")), ("off", String::new())] {
        let config = tmp.join(format!("{name}.toml"));
        std::fs::write(&config, format!("[[providers]]\nid = \"mock\"\nbase_url = \"{mock_url}/v1\"\n\n[cache]\nsemantic = true\n\n{quality}"))?;
        let mut serve = Command::new(bin.join("sluice"));
        serve.args(["serve", "--listen", "127.0.0.1:0", "--config"]).arg(&config).arg("--data-dir").arg(tmp.join(name)).env("SLUICE_TOKEN", TOKEN).env("SLUICE_LOG", "warn").env("SLUICE_EMBED_MODEL_DIR", &model);
        gateways.push(start(&mut serve)?);
    }
    // The model loads in the background; then each gateway stores the question.
    std::thread::sleep(Duration::from_secs(5));
    let lg = bin.join("loadgen");
    let apis: Vec<String> = gateways.iter().map(|(_, url)| format!("{url}/v1")).collect();
    for api in &apis {
        loadgen(&lg, &["latency", "--url", api, "--token", TOKEN, "--model", "mock/ok", "--text", QUESTION, "--requests", "1", "--warmup", "0"])?;
    }
    std::thread::sleep(Duration::from_millis(500));
    eprintln!("xtask: semantic hits, sampling {share} and off in turn");
    let paired = loadgen(&lg, &["paired", "--url", &apis[0], "--other-url", &apis[1], "--token", TOKEN, "--model", "mock/ok", "--text", PARAPHRASE, "--requests", "3000", "--warmup", "300"])?;
    drop(gateways);
    let _ = std::fs::remove_dir_all(&tmp);
    Ok((paired["a"].clone(), paired["b"].clone()))
}
