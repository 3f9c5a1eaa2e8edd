//! `cargo xtask drill [SOAK_MINUTES]`: load and fault drills against release builds, printed as
//! Markdown for docs/benchmarks.md. Each drill says what passing is; a failed one fails the run
//! (the soak's RSS is printed, with every sample on stderr, for a person to judge).
//!
//! - 1,000 concurrent streams for 60 s (each ~1 s long): no errors, every stream ends `[DONE]`.
//! - 10,000 idle keep-alive connections: each still answers afterwards; latency meanwhile.
//! - A soak at 2,000 req/s (30 minutes unless given), caching off: RSS sampled every 10 s, flat
//!   after warm-up.
//! - kill -9 under load: every request answered before the kill is in the log after a restart.
//! - Hostile upstreams: a 1 GiB answer and a stream that never ends are ended with a clear error.
//! - Start-up faults on a real filesystem (a 4 MiB tmpfs; root only, else skipped): a full disk,
//!   a read-only mount and a corrupted database file. Each time the proxy answers and
//!   `/api/health` says why the log is degraded; afterwards every request logged before the
//!   faults is still there.

use crate::bench::gateway::{loadgen, release_with_mock, rss_mb, start, us, Running, TOKEN};
use anyhow::{ensure, Result};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const STREAM_SECONDS: &str = "60";
const SOAK_RATE: &str = "2000";

struct Setup {
    bin: PathBuf,
    config: PathBuf,
    data: PathBuf,
}

impl Setup {
    fn serve(&self) -> Result<(Running, String)> {
        let mut serve = Command::new(self.bin.join("sluice"));
        serve.args(["serve", "--listen", "127.0.0.1:0", "--config"]).arg(&self.config).arg("--data-dir").arg(&self.data).env("SLUICE_TOKEN", TOKEN).env("SLUICE_LOG", "warn");
        start(&mut serve)
    }

    fn loadgen(&self, args: &[&str]) -> Result<Value> {
        loadgen(&self.bin.join("loadgen"), args)
    }
}

pub fn run(root: &Path, args: &[String]) -> Result<()> {
    let soak_minutes: u64 = args.first().map_or(Ok(30), |m| m.parse()).map_err(|_| anyhow::anyhow!("cargo xtask drill [SOAK_MINUTES]: not a number"))?;
    let (bin, tmp, _mock, mock_url) = release_with_mock(root, "drill")?;
    let config = tmp.join("config.toml");
    // No cache: each unique prompt would add an entry whose key stays in memory (the exact
    // cache's index, by design), which would hide a leak in the soak's RSS.
    std::fs::write(&config, format!("[cache]\nexact = false\nsemantic = false\n\n[[providers]]\nid = \"mock\"\nbase_url = \"{mock_url}/v1\"\n"))?;
    let setup = Setup { bin, config, data: tmp.join("data") };
    let (sluice, url) = setup.serve()?;
    let api = format!("{url}/v1");

    println!("| drill | result | passes when |");
    println!("| --- | --- | --- |");
    // Each stream: the mock's reply in word pieces, 100 ms apart (~1 s).
    let streams = setup.loadgen(&["throughput", "--url", &api, "--token", TOKEN, "--model", "mock/delay-100", "--unique", "--stream", "--conns", "1000", "--seconds", STREAM_SECONDS])?;
    println!("| 1,000 concurrent streams, {STREAM_SECONDS} s | {} streams, {} errors, p50 {:.0} ms, p99 {:.0} ms each | 0 errors |", streams["n"], streams["errors"], us(&streams, "p50_us") / 1e3, us(&streams, "p99_us") / 1e3);
    ensure!(streams["errors"] == 0, "streams failed: {streams}");

    let idle = setup.loadgen(&["idle", "--url", &api, "--token", TOKEN, "--model", "mock/ok", "--unique", "--conns", "10000"])?;
    println!(
        "| 10,000 idle keep-alive connections | {} held, {} refused, {} failed on reuse; meanwhile p50 {:.3} ms, p99 {:.3} ms; RSS {:.0} MB | all held and reusable |",
        idle["idle"], idle["open_errors"], idle["reuse_errors"], us(&idle, "p50_us") / 1e3, us(&idle, "p99_us") / 1e3, rss_mb(sluice.id())?
    );
    ensure!(idle["open_errors"] == 0 && idle["reuse_errors"] == 0, "idle connections failed: {idle}");

    soak(&setup, &api, sluice.id(), soak_minutes)?;
    drop(sluice);
    kill_under_load(&setup, &tmp)?;
    hostile_upstreams(&setup, &mock_url, &tmp)?;
    start_up_faults(&setup, &tmp)?;
    let _ = std::fs::remove_dir_all(&tmp);
    Ok(())
}

/// Fixed-rate load for `minutes`, RSS read every 10 s.
fn soak(setup: &Setup, api: &str, pid: u32, minutes: u64) -> Result<()> {
    let seconds = (minutes * 60).to_string();
    let mut load = Command::new(setup.bin.join("loadgen"))
        .args(["throughput", "--url", api, "--token", TOKEN, "--model", "mock/ok", "--unique", "--conns", "32", "--rate", SOAK_RATE, "--seconds", &seconds])
        .stdout(std::process::Stdio::piped())
        .spawn()?;
    let started = Instant::now();
    let mut samples = Vec::new();
    while load.try_wait()?.is_none() {
        std::thread::sleep(Duration::from_secs(10));
        samples.push((started.elapsed().as_secs(), rss_mb(pid)?));
    }
    let out = load.wait_with_output()?;
    ensure!(out.status.success(), "soak load failed");
    let result: Value = serde_json::from_slice(&out.stdout)?;
    // RSS is printed for reading, not judged: the first minutes may still hold what earlier
    // drills left, and an allocator gives memory back when it likes.
    let half: Vec<f64> = samples[samples.len() / 2..].iter().map(|(_, r)| *r).collect();
    let (lo, hi) = half.iter().fold((f64::MAX, 0f64), |(lo, hi), r| (lo.min(*r), hi.max(*r)));
    let first = samples.first().map_or(f64::NAN, |(_, r)| *r);
    println!(
        "| soak: {minutes} min at {SOAK_RATE} req/s | {:.0} req/s served, {} errors, p99 {:.2} ms; RSS {first:.0} MB at 10 s, {lo:.0}–{hi:.0} MB over the second half | 0 errors; RSS flat after warm-up (read, not judged) |",
        us(&result, "rps"),
        result["errors"],
        us(&result, "p99_us") / 1e3
    );
    eprintln!("drill: RSS samples (s, MB): {samples:?}");
    ensure!(result["errors"] == 0, "soak errors: {result}");
    Ok(())
}

/// A 1 GiB answer (Sluice reads at most 64 MiB) and a stream with an event every 10 s (the
/// drill's `stream_idle_secs` is 5): each ends with an error that says why, and the gateway
/// goes on answering.
fn hostile_upstreams(setup: &Setup, mock_url: &str, tmp: &Path) -> Result<()> {
    let config = tmp.join("hostile.toml");
    std::fs::write(&config, format!("[router]\nstream_idle_secs = 5\n\n[[providers]]\nid = \"mock\"\nbase_url = \"{mock_url}/v1\"\n"))?;
    let hostile = Setup { bin: setup.bin.clone(), config, data: tmp.join("hostile-data") };
    let (sluice, url) = hostile.serve()?;
    let api = format!("{url}/v1");
    let huge = hostile.loadgen(&["once", "--url", &api, "--token", TOKEN, "--model", "mock/size-1048576"])?;
    let said = huge["tail"].as_str().unwrap_or("");
    println!("| a 1 GiB answer | {} after {:.1} s: \"{}\"; RSS then {:.0} MB | a 502 naming the limit |", huge["status"], us(&huge, "ms") / 1e3, excerpt(said, "over 64 MiB"), rss_mb(sluice.id())?);
    ensure!(huge["status"] == 502 && said.contains("over 64 MiB"), "a 1 GiB answer: {huge}");
    let endless = hostile.loadgen(&["once", "--url", &api, "--token", TOKEN, "--model", "mock/delay-10000", "--stream"])?;
    let said = endless["tail"].as_str().unwrap_or("");
    println!("| a stream with an event every 10 s | ended after {:.1} s: \"{}\" | an error event after `stream_idle_secs` (5 s) |", us(&endless, "ms") / 1e3, excerpt(said, "sent nothing for"));
    ensure!(said.contains("sent nothing for 5 s"), "a silent stream: {endless}");
    let after = hostile.loadgen(&["once", "--url", &api, "--token", TOKEN, "--model", "mock/ok"])?;
    ensure!(after["status"] == 200, "the gateway stopped answering after hostile upstreams: {after}");
    Ok(())
}

/// The sentence of `text` that holds `needle`, for the table.
fn excerpt<'a>(text: &'a str, needle: &str) -> &'a str {
    let at = text.find(needle).unwrap_or(0);
    let start = text[..at].rfind(['"', '.']).map_or(0, |i| i + 1);
    let end = text[at..].find('"').map_or(text.len(), |i| at + i);
    text[start..end].trim()
}

/// 32 connections at full speed; the gateway is killed 3 s in and started again on the same
/// data dir; each request answered before the kill is looked up.
fn kill_under_load(setup: &Setup, tmp: &Path) -> Result<()> {
    let (sluice, url) = setup.serve()?;
    let ids = tmp.join("answered.txt");
    let load = Command::new(setup.bin.join("loadgen"))
        .args(["throughput", "--url", &format!("{url}/v1"), "--token", TOKEN, "--model", "mock/ok", "--unique", "--conns", "32", "--seconds", "6", "--ids"])
        .arg(&ids)
        .stdout(std::process::Stdio::piped())
        .spawn()?;
    std::thread::sleep(Duration::from_secs(3));
    // SIGKILL: no shutdown, no flush.
    drop(sluice);
    let out = load.wait_with_output()?;
    ensure!(out.status.success(), "load under kill failed");
    let answered = std::fs::read_to_string(&ids)?.lines().count();
    let (_again, url) = setup.serve()?;
    let logged = setup.loadgen(&["logged", "--url", &url, "--token", TOKEN, "--ids", &ids.to_string_lossy()])?;
    println!("| kill -9 under load (32 connections) | {answered} answered before the kill, {} of them in the log after a restart, {} missing | none missing |", logged["found"], logged["missing"]);
    ensure!(logged["missing"] == 0 && answered > 0, "requests answered before kill -9 are missing from the log: {logged}");
    Ok(())
}

/// A tmpfs mounted for the start-up faults, unmounted when dropped.
struct SmallDisk(PathBuf);

impl SmallDisk {
    fn mount(at: PathBuf) -> Option<SmallDisk> {
        std::fs::create_dir_all(&at).ok()?;
        let mounted = Command::new("mount").args(["-t", "tmpfs", "-o", "size=4m", "sluice-drill"]).arg(&at).status().is_ok_and(|s| s.success());
        mounted.then_some(SmallDisk(at))
    }

    fn remount(&self, mode: &str) -> Result<()> {
        ensure!(Command::new("mount").args(["-o", &format!("remount,{mode}")]).arg(&self.0).status()?.success(), "cannot remount {} {mode}", self.0.display());
        Ok(())
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// A first run logs requests on the small disk; then Sluice starts on it full, read-only and
/// with its database file's first page overwritten. Each time one request must be answered and
/// `/api/health` must say the log is degraded; with the disk restored, the first run's requests
/// must all be in the log.
fn start_up_faults(setup: &Setup, tmp: &Path) -> Result<()> {
    let Some(disk) = SmallDisk::mount(tmp.join("small-disk")) else {
        println!("| start-up faults | skipped: cannot mount a tmpfs (needs root) | — |");
        return Ok(());
    };
    let faulty = Setup { bin: setup.bin.clone(), config: setup.config.clone(), data: disk.0.join("data") };
    let ids = tmp.join("before-faults.txt");
    let (first, url) = faulty.serve()?;
    faulty.loadgen(&["throughput", "--url", &format!("{url}/v1"), "--token", TOKEN, "--model", "mock/ok", "--unique", "--conns", "4", "--rate", "100", "--seconds", "2", "--ids", &ids.to_string_lossy()])?;
    // Stopped cleanly, so the file alone holds the log (a WAL left by a kill would hold page 1
    // too, and SQLite would read it there, not the corrupted one below).
    first.terminate()?;
    let wal = faulty.data.join("sluice.db-wal");
    ensure!(!wal.exists() || std::fs::metadata(&wal)?.len() == 0, "a clean stop left pages in the WAL");
    let logged_before = std::fs::read_to_string(&ids)?.lines().count();

    let filler = disk.0.join("filler");
    let _ = Command::new("dd").args(["if=/dev/zero", "bs=64k"]).arg(format!("of={}", filler.display())).stderr(std::process::Stdio::null()).status();
    degraded_start(&faulty, "a full disk")?;
    std::fs::remove_file(&filler)?;

    disk.remount("ro")?;
    degraded_start(&faulty, "a read-only data dir")?;
    disk.remount("rw")?;

    let db = faulty.data.join("sluice.db");
    let original = std::fs::read(&db)?;
    let mut corrupted = original.clone();
    corrupted[..4096.min(original.len())].fill(0x5a);
    std::fs::write(&db, &corrupted)?;
    degraded_start(&faulty, "a corrupted database file")?;
    ensure!(std::fs::read(&db)? == corrupted, "Sluice changed a database file it could not read");
    std::fs::write(&db, &original)?;

    let (_restored, url) = faulty.serve()?;
    let logged = faulty.loadgen(&["logged", "--url", &url, "--token", TOKEN, "--ids", &ids.to_string_lossy()])?;
    println!("| after the faults, the disk restored | {logged_before} logged before them, {} found, {} missing | none missing |", logged["found"], logged["missing"]);
    ensure!(logged["missing"] == 0 && logged_before > 0, "requests logged before the start-up faults are missing: {logged}");
    Ok(())
}

/// Starts Sluice on `setup`'s data dir as it is now: one request answered, and the health
/// check's `log` saying why it is degraded (a write may have to fail first, so it is polled).
fn degraded_start(setup: &Setup, fault: &str) -> Result<()> {
    let (_sluice, url) = setup.serve()?;
    let answer = setup.loadgen(&["once", "--url", &format!("{url}/v1"), "--token", TOKEN, "--model", "mock/ok"])?;
    let mut health = Value::Null;
    for _ in 0..20 {
        health = setup.loadgen(&["get", "--url", &url, "--token", TOKEN, "--path", "/api/health"])?;
        if health["body"]["log"]["ok"] == false {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let problem = health["body"]["log"]["problem"].as_str().unwrap_or("");
    println!("| {fault} at start | answered {}; `/api/health`: \"{problem}\" | answered, and the log said to be degraded |", answer["status"]);
    ensure!(answer["status"] == 200 && health["body"]["log"]["ok"] == false, "{fault} at start: answer {answer}, health {health}");
    Ok(())
}
