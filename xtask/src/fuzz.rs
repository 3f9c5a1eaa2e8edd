//! `cargo xtask fuzz [CASES]`: the parsers' fuzz targets (`crates/gateway/src/fuzz/`) on
//! `CASES` generated inputs each (1,000,000 unless given), in release; each prints its largest
//! heap peak. The test suite runs a few hundred of each.
//!
//! `cargo xtask fuzz --afl [MINUTES]`: the same targets coverage-guided, under AFL++ (afl.rs,
//! stable Rust), `MINUTES` each (5 unless given), from the seeds in `fuzz/seeds/`. Fails on any
//! crash or hang AFL++ saved, and names the inputs, each to become a regression test.

use crate::{cargo, deps, sh};
use anyhow::{bail, ensure, Context, Result};
use std::path::Path;
use std::process::Command;

pub fn run(root: &Path, args: &[String]) -> Result<()> {
    if args.first().map(String::as_str) == Some("--afl") {
        let minutes = args.get(1).map_or("5", String::as_str);
        let minutes: u64 = minutes.parse().ok().with_context(|| format!("cargo xtask fuzz --afl [MINUTES]: `{minutes}` is not a number"))?;
        return afl(root, minutes);
    }
    let cases = args.first().map_or("1000000", String::as_str);
    ensure!(cases.parse::<u64>().is_ok(), "cargo xtask fuzz [CASES]: `{cases}` is not a number");
    sh(cargo().current_dir(root).env("SLUICE_FUZZ_CASES", cases).args(["test", "--release", "-p", "sluice-gateway", "--lib", "fuzz::", "--", "--test-threads", "2", "--nocapture"]))
}

fn afl(root: &Path, minutes: u64) -> Result<()> {
    let path = deps::path_with_cargo_bin();
    if !cargo().args(["afl", "--version"]).env("PATH", &path).output().is_ok_and(|o| o.status.success()) {
        // Builds AFL++ from the crate's own copy of its source (no download beyond crates.io).
        sh(cargo().args(["install", "cargo-afl", "--locked", "--version", "0.18.2"]))?;
    }
    let target_dir = root.join("target/afl");
    sh(cargo().current_dir(root.join("fuzz")).env("PATH", &path).env("CARGO_TARGET_DIR", &target_dir).args(["afl", "build", "--release"]))?;
    let harness = target_dir.join("release/sluice-afl");
    let list = Command::new(&harness).arg("--list").output().context("cannot run the harness")?;
    let mut found = Vec::new();
    for target in String::from_utf8_lossy(&list.stdout).lines() {
        let out = target_dir.join("out").join(target);
        let _ = std::fs::remove_dir_all(&out);
        std::fs::create_dir_all(target_dir.join("out"))?;
        let mut fuzz = cargo();
        fuzz.current_dir(root).env("PATH", &path).args(["afl", "fuzz", "-V", &(minutes * 60).to_string(), "-i"]);
        fuzz.arg(root.join("fuzz/seeds").join(target)).arg("-o").arg(&out).arg("--").arg(&harness).arg(target);
        // No UI (a log instead); this machine's CPU governor and core dumps are not ours to set.
        fuzz.envs([("AFL_NO_UI", "1"), ("AFL_SKIP_CPUFREQ", "1"), ("AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES", "1"), ("AFL_NO_AFFINITY", "1")]);
        sh(&mut fuzz)?;
        let stats = std::fs::read_to_string(out.join("default/fuzzer_stats")).context("AFL++ left no fuzzer_stats")?;
        let stat = |key: &str| stats.lines().find_map(|l| l.strip_prefix(key)?.trim_start().strip_prefix(':')).map_or("?", str::trim).to_owned();
        eprintln!(
            "xtask: {target}: {} execs ({}/s), corpus {}, edges {} of {} ({}), {} crashes, {} hangs",
            stat("execs_done"),
            stat("execs_per_sec"),
            stat("corpus_count"),
            stat("edges_found"),
            stat("total_edges"),
            stat("bitmap_cvg"),
            stat("saved_crashes"),
            stat("saved_hangs")
        );
        for kind in ["crashes", "hangs"] {
            for entry in std::fs::read_dir(out.join("default").join(kind)).into_iter().flatten().flatten() {
                if entry.file_name() != "README.txt" {
                    found.push(entry.path());
                }
            }
        }
    }
    if !found.is_empty() {
        bail!("AFL++ saved inputs that crash or hang; each should become a regression test:\n{}", found.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join("\n"));
    }
    Ok(())
}
