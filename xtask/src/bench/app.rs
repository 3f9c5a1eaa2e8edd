//! The desktop app's numbers: cold start to proxy ready and to a usable window, idle memory of
//! the whole app (its WebKit processes included), and the UI bundle's gzipped size. The app
//! runs in a private Xvfb + D-Bus session (see `session`), as a release build.

use crate::{cargo, deps, session, sh};
use anyhow::{bail, Context, Result};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub const IN_SESSION: &str = "__bench-app";
const STARTS: usize = 5;

pub fn run(root: &Path) -> Result<()> {
    deps::ui(root)?;
    deps::desktop_build()?;
    deps::test_tools()?;
    sh(cargo().current_dir(root).args(["build", "--release", "-p", "sluice-desktop"]))?;
    println!("\n## Desktop app\n");
    println!("| measure | value |\n|---|---|");
    println!("| UI bundle, gzipped (JS + CSS + HTML) | {:.1} KB |", bundle_gzip_kb(&root.join("ui/dist"))?);
    sh(&mut session::command(root, "bench-app", IN_SESSION)?)
}

/// Inside the session: start the app a few times from cold and measure each start.
pub fn in_session(root: &Path) -> Result<()> {
    session::unlock_keyring()?;
    let app = root.join("target/release/sluice-desktop");
    let mut proxy = Vec::new();
    let mut window = Vec::new();
    let mut idle = 0.0;
    for i in 0..STARTS {
        let start = start_once(&app, &std::env::temp_dir().join(format!("sluice-bench-app-{}-{i}", std::process::id())), i == 0)?;
        proxy.push(start.proxy_ms);
        window.push(start.window_ms);
        if let Some(mb) = start.idle_mb {
            idle = mb;
        }
    }
    println!("| cold start to proxy ready (median of {STARTS}) | {:.0} ms |", median(&mut proxy));
    println!("| cold start to window showing the UI (median of {STARTS}) | {:.0} ms |", median(&mut window));
    println!("| idle memory, whole app (PSS of the app and its WebKit processes, 10 s after start) | {idle:.0} MB |");
    Ok(())
}

struct Start {
    proxy_ms: f64,
    window_ms: f64,
    idle_mb: Option<f64>,
}

fn start_once(app: &Path, dir: &Path, measure_memory: bool) -> Result<Start> {
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir)?;
    let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    let began = Instant::now();
    let mut child = Command::new(app)
        .env("SLUICE_DATA_DIR", dir.join("data"))
        .env("SLUICE_CONFIG", dir.join("config.toml"))
        .env("SLUICE_LISTEN", format!("127.0.0.1:{port}"))
        .env("SLUICE_LOG", "info")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("cannot start {}", app.display()))?;
    let (tx, rx) = mpsc::channel();
    let stderr = child.stderr.take().expect("piped");
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.contains("window loaded the UI") {
                let _ = tx.send(began.elapsed());
            }
        }
    });
    let proxy = loop {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            break began.elapsed();
        }
        if began.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            bail!("the app's proxy did not come up within 30 s");
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let window = rx.recv_timeout(Duration::from_secs(30)).context("the window did not load the UI within 30 s")?;
    let idle_mb = if measure_memory {
        std::thread::sleep(Duration::from_secs(10));
        Some(tree_pss_mb(child.id())?)
    } else {
        None
    };
    let _ = child.kill();
    let _ = child.wait();
    Ok(Start { proxy_ms: ms(proxy), window_ms: ms(window), idle_mb })
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// Proportional set size of `pid` and all its descendants: shared pages counted once overall,
/// so the sum is what the whole app costs the machine.
fn tree_pss_mb(pid: u32) -> Result<f64> {
    let mut total_kb = 0.0;
    let mut pending = vec![pid];
    while let Some(p) = pending.pop() {
        let rollup = std::fs::read_to_string(format!("/proc/{p}/smaps_rollup")).unwrap_or_default();
        total_kb += rollup.lines().find_map(|l| l.strip_prefix("Pss:")).and_then(|v| v.split_whitespace().next()).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
        for task in std::fs::read_dir(format!("/proc/{p}/task"))?.flatten() {
            let children = std::fs::read_to_string(task.path().join("children")).unwrap_or_default();
            pending.extend(children.split_whitespace().filter_map(|c| c.parse::<u32>().ok()));
        }
    }
    Ok(total_kb / 1024.0)
}

/// What a browser downloads: every file in dist/, gzipped at the level servers use.
fn bundle_gzip_kb(dist: &Path) -> Result<f64> {
    let mut total = 0usize;
    let mut pending = vec![dist.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).with_context(|| format!("cannot read {}", dir.display()))?.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "js" || e == "css" || e == "html") {
                let out = Command::new("gzip").args(["-9", "-c"]).arg(&path).output()?;
                total += out.stdout.len();
            }
        }
    }
    Ok(total as f64 / 1024.0)
}
