//! `cargo xtask bench`: the gateway's overhead, measured against a fast local mock upstream
//! with release builds, and what translating between API formats adds to it. Prints Markdown
//! tables for docs/benchmarks.md.

use crate::{cargo, sh};
use anyhow::{anyhow, Context, Result};
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub(crate) const TOKEN: &str = "bench-token";
const REQUESTS: &str = "5000";
/// Direct and proxied latency are measured in alternating rounds, so drift in a noisy
/// machine's speed hits both alike; the median round is reported.
const ROUNDS: usize = 5;
const ROUND_REQUESTS: &str = "1000";

pub(crate) struct Running(Child);

impl Running {
    pub fn id(&self) -> u32 {
        self.0.id()
    }

    /// SIGTERM, then waits: the gateway drains and checkpoints its log, leaving the WAL empty.
    pub fn terminate(mut self) -> Result<()> {
        Command::new("kill").arg(self.0.id().to_string()).status()?;
        self.0.wait()?;
        Ok(())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts a server that prints `listening on http://ADDR` and returns that URL.
pub(crate) fn start(cmd: &mut Command) -> Result<(Running, String)> {
    let mut child = cmd.stdout(Stdio::piped()).stderr(Stdio::null()).spawn().with_context(|| format!("cannot start {cmd:?}"))?;
    let stdout = child.stdout.take().expect("piped");
    let mut lines = BufReader::new(stdout).lines();
    let running = Running(child);
    while let Some(line) = lines.next() {
        let line = line?;
        if let Some(url) = line.split("listening on ").nth(1) {
            let url = url.trim().to_owned();
            std::thread::spawn(move || lines.for_each(drop));
            return Ok((running, url));
        }
    }
    Err(anyhow!("{cmd:?} exited before listening"))
}

pub(crate) fn loadgen(bin: &Path, args: &[&str]) -> Result<Value> {
    let out = Command::new(bin).args(args).output()?;
    anyhow::ensure!(out.status.success(), "loadgen {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    Ok(serde_json::from_slice(&out.stdout)?)
}

pub(crate) fn rss_mb(pid: u32) -> Result<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kb: f64 = status.lines().find_map(|l| l.strip_prefix("VmRSS:")).and_then(|v| v.split_whitespace().next()).and_then(|v| v.parse().ok()).context("no VmRSS")?;
    Ok(kb / 1024.0)
}

pub(crate) fn us(v: &Value, key: &str) -> f64 {
    v[key].as_f64().unwrap_or(f64::NAN)
}

/// Release builds of Sluice and the harness, a fresh temp dir named for `what`, and the mock
/// upstream started: (binaries, temp dir, the mock, its URL).
pub(crate) fn release_with_mock(root: &Path, what: &str) -> Result<(PathBuf, PathBuf, Running, String)> {
    sh(cargo().current_dir(root).args(["build", "--release", "-p", "sluice-cli", "-p", "sluice-test-harness"]))?;
    let bin = root.join("target/release");
    let tmp = std::env::temp_dir().join(format!("sluice-{what}-{}", std::process::id()));
    std::fs::create_dir_all(&tmp)?;
    let (mock, mock_url) = start(Command::new(bin.join("mock-upstream")).args(["--keep", "0"]))?;
    Ok((bin, tmp, mock, mock_url))
}

pub fn run(root: &Path) -> Result<()> {
    let (bin, tmp, _mock, mock_url) = release_with_mock(root, "bench")?;
    let config = tmp.join("config.toml");
    // The same mock behind an Anthropic provider: an OpenAI client's call to it is translated
    // both ways, so the difference to `mock` is what translation adds.
    std::fs::write(&config, format!("[[providers]]\nid = \"mock\"\nbase_url = \"{mock_url}/v1\"\n\n[[providers]]\nid = \"anth\"\nkind = \"anthropic\"\nbase_url = \"{mock_url}/v1\"\n"))?;
    let mut serve = Command::new(bin.join("sluice"));
    serve.args(["serve", "--listen", "127.0.0.1:0", "--config"]).arg(&config).arg("--data-dir").arg(tmp.join("data")).env("SLUICE_TOKEN", TOKEN).env("SLUICE_LOG", "warn");
    let (sluice, sluice_url) = start(&mut serve)?;
    std::thread::sleep(Duration::from_secs(1));
    let idle_rss = rss_mb(sluice.0.id())?;

    let lg = bin.join("loadgen");
    let direct_api = format!("{mock_url}/v1");
    let sluice_api = format!("{sluice_url}/v1");
    eprintln!("xtask: (a) latency, one request at a time");
    let mut rounds = Vec::new();
    for _ in 0..ROUNDS {
        let direct = loadgen(&lg, &["latency", "--url", &direct_api, "--model", "ok", "--unique", "--requests", ROUND_REQUESTS])?;
        let proxied = loadgen(&lg, &["latency", "--url", &sluice_api, "--token", TOKEN, "--model", "mock/ok", "--unique", "--requests", ROUND_REQUESTS])?;
        rounds.push((direct, proxied));
    }
    let median_round = |key: &str| {
        let mut r: Vec<(f64, f64)> = rounds.iter().map(|(d, p)| (us(d, key), us(p, key))).collect();
        r.sort_by(|a, b| (a.1 - a.0).total_cmp(&(b.1 - b.0)));
        r[r.len() / 2]
    };
    let (direct_p50, proxied_p50) = median_round("p50_us");
    let (direct_p99, proxied_p99) = median_round("p99_us");
    eprintln!("xtask: translation, one request at a time: OpenAI client to the OpenAI-shaped and the Anthropic-shaped mock");
    let mut translation = Vec::new();
    for _ in 0..ROUNDS {
        let passthrough = loadgen(&lg, &["latency", "--url", &sluice_api, "--token", TOKEN, "--model", "mock/ok", "--unique", "--requests", ROUND_REQUESTS])?;
        let translated = loadgen(&lg, &["latency", "--url", &sluice_api, "--token", TOKEN, "--model", "anth/ok", "--unique", "--requests", ROUND_REQUESTS])?;
        translation.push((us(&passthrough, "p50_us"), us(&translated, "p50_us")));
    }
    translation.sort_by(|a, b| (a.1 - a.0).total_cmp(&(b.1 - b.0)));
    let (passthrough_p50, translated_p50) = translation[translation.len() / 2];
    let ttft_translated = loadgen(&lg, &["first-chunk", "--url", &sluice_api, "--token", TOKEN, "--model", "anth/delay-20"])?;
    let cpu = {
        let out = Command::new(bin.join("translate-bench")).output()?;
        anyhow::ensure!(out.status.success(), "translate-bench failed: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<Value>(&out.stdout)?
    };
    eprintln!("xtask: (b) throughput, 32 connections");
    let load = loadgen(&lg, &["throughput", "--url", &sluice_api, "--token", TOKEN, "--model", "mock/ok", "--unique", "--conns", "32", "--seconds", "10"])?;
    let direct_load = loadgen(&lg, &["throughput", "--url", &direct_api, "--model", "ok", "--unique", "--conns", "32", "--seconds", "5"])?;
    eprintln!("xtask: time to first token, streamed, 20 ms between upstream chunks");
    let ttft_direct = loadgen(&lg, &["first-chunk", "--url", &direct_api, "--model", "delay-20"])?;
    let ttft_proxied = loadgen(&lg, &["first-chunk", "--url", &sluice_api, "--token", TOKEN, "--model", "mock/delay-20"])?;
    eprintln!("xtask: (c) exact-cache hits");
    let hits = loadgen(&lg, &["latency", "--url", &sluice_api, "--token", TOKEN, "--model", "mock/ok", "--requests", REQUESTS])?;
    let loaded_rss = rss_mb(sluice.0.id())?;
    drop(sluice);
    let _ = std::fs::remove_dir_all(&tmp);
    // In process, with the gateway stopped, so nothing competes for the cores the embedding
    // uses: beside the gateway left from the runs above it measured 14 ms, alone 8.6 ms.
    let rules = {
        let model = root.parent().map(|p| p.join("shared/models/all-MiniLM-L6-v2")).filter(|d| d.is_dir()).context("the embedding model is expected in ../shared/models")?;
        let out = Command::new(bin.join("rules-bench")).env("SLUICE_EMBED_MODEL_DIR", model).output()?;
        anyhow::ensure!(out.status.success(), "rules-bench failed: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<Value>(&out.stdout)?
    };

    println!("| measure | result | target |");
    println!("| --- | --- | --- |");
    println!("| (a) added latency, median | {:.3} ms ({direct_p50:.0} µs direct, {proxied_p50:.0} µs through Sluice) | ≤ 0.2 ms |", (proxied_p50 - direct_p50) / 1e3);
    println!("| (a) added latency, p99 | {:.3} ms ({direct_p99:.0} µs direct, {proxied_p99:.0} µs through Sluice) | ≤ 1 ms |", (proxied_p99 - direct_p99) / 1e3);
    println!("| (b) throughput, 32 connections, misses, log on | {:.0} req/s, p99 {:.2} ms, {} errors (mock alone: {:.0} req/s) | ≥ 10,000 req/s, p99 < 10 ms |", load["rps"].as_f64().unwrap_or(0.0), us(&load, "p99_us") / 1e3, load["errors"], direct_load["rps"].as_f64().unwrap_or(0.0));
    println!("| streamed time to first token, median | {:.2} ms direct, {:.2} ms through Sluice | ≈ direct |", us(&ttft_direct, "p50_us") / 1e3, us(&ttft_proxied, "p50_us") / 1e3);
    println!("| (c) exact hit, median | {:.3} ms (p99 {:.3} ms) | ≤ 0.3 ms |", us(&hits, "p50_us") / 1e3, us(&hits, "p99_us") / 1e3);
    println!("| (d) idle RSS | {idle_rss:.1} MB (after the runs above: {loaded_rss:.1} MB) | ≤ 30 MB |");
    println!();
    println!("| translation | result | target |");
    println!("| --- | --- | --- |");
    println!(
        "| added per request, median (OpenAI client; Anthropic-shaped vs OpenAI-shaped mock) | {:.3} ms ({passthrough_p50:.0} µs passthrough, {translated_p50:.0} µs translated; includes the mock's own difference) | ≤ 0.05 ms |",
        (translated_p50 - passthrough_p50) / 1e3
    );
    println!("| time to first token through translation, median | {:.2} ms (direct {:.2} ms) | within 1 ms of direct |", us(&ttft_translated, "p50_us") / 1e3, us(&ttft_direct, "p50_us") / 1e3);
    println!("| CPU: request + whole answer, OpenAI → Anthropic → OpenAI | {:.1} µs | — |", us(&cpu, "request_and_answer_to_anthropic_us"));
    println!("| CPU: request + whole answer, Anthropic → internal → Anthropic | {:.1} µs | — |", us(&cpu, "request_and_answer_from_anthropic_us"));
    println!("| CPU: a 100-event Anthropic stream to an OpenAI client | {:.1} µs | ≤ 200 µs |", us(&cpu, "stream_100_events_anthropic_to_openai_us"));
    println!("| CPU: a 100-event Anthropic stream re-encoded as Anthropic | {:.1} µs | ≤ 200 µs |", us(&cpu, "stream_100_events_anthropic_to_anthropic_translated_us"));
    println!("| CPU: a 100-event Anthropic stream to a Responses client | {:.1} µs | ≤ 200 µs |", us(&cpu, "stream_100_events_anthropic_to_responses_us"));
    let compress = {
        let shared = root.parent().map(|p| p.join("shared")).context("the shared folder is expected beside the checkout")?;
        let out = Command::new(bin.join("compress-bench"))
            .env("SLUICE_EMBED_MODEL_DIR", shared.join("models/all-MiniLM-L6-v2"))
            .env("SLUICE_COMPRESS_DATA", shared.join("eval/compress/squad-dev-articles.jsonl"))
            .output()?;
        anyhow::ensure!(out.status.success(), "compress-bench failed: {}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<Value>(&out.stdout)?
    };
    println!();
    println!("| compression | result | target |");
    println!("| --- | --- | --- |");
    println!("| retrieval over a {}-token system prompt, first sight (chunks, token counts, BM25; lexical ranking), median | {:.1} ms | ≤ 15 ms |", compress["prompt_tokens"], us(&compress, "retrieval_first_sight_ms"));
    println!("| retrieval once prepared, chunk embeddings in (question's embedding shared with the semantic cache), median | {:.2} ms | ≤ 3 ms |", us(&compress, "retrieval_prepared_with_embeddings_ms"));
    println!("| … the question's embedding when not shared, median | {:.1} ms | — |", us(&compress, "question_embedding_ms"));
    println!("| … the {} chunks' embeddings, in the background after first sight | {:.0} ms | — |", compress["chunks"], us(&compress, "chunk_embeddings_background_ms"));
    println!("| pruning a 200-turn conversation ({} tokens), median | {:.2} ms | ≤ 5 ms |", compress["conversation_tokens"], us(&compress, "prune_200_turns_ms"));
    println!();
    println!("| rules | result | target |");
    println!("| --- | --- | --- |");
    println!("| deciding by 50 rules (facts read + walk to the last rule), median | {:.1} µs | ≤ 20 µs |", us(&rules, "rules_50_decide_us"));
    println!("| difficulty score with its embedding, median | {:.2} ms | ≤ 10 ms |", us(&rules, "difficulty_with_embedding_ms"));
    println!("| difficulty score given the embedding, median | {:.1} µs | — |", us(&rules, "difficulty_score_only_us"));
    Ok(())
}
