//! A small HTTP/1.1 load generator for Sluice's benchmarks: one keep-alive connection per
//! worker, chat-completion bodies that are unique (cache misses) or identical (hits), and
//! latency percentiles in microseconds as JSON on stdout.

use bytes::Bytes;
use clap::{Parser, Subcommand};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1;
use hyper::Request;
use hyper_util::rt::TokioIo;
use serde_json::json;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

#[derive(Parser)]
struct Args {
    #[command(subcommand)]
    mode: Mode,
}

#[derive(clap::Args, Clone)]
struct Target {
    /// Base URL up to and including /v1.
    #[arg(long)]
    url: String,
    #[arg(long, default_value = "")]
    token: String,
    #[arg(long)]
    model: String,
    /// A different prompt per request (cache misses); otherwise all requests are identical.
    #[arg(long)]
    unique: bool,
    /// The prompt of identical requests (default "benchmark prompt").
    #[arg(long, default_value = "benchmark prompt")]
    text: String,
    /// Streamed requests; an answer counts only when its stream ends with `[DONE]`.
    #[arg(long)]
    stream: bool,
}

#[derive(Subcommand)]
enum Mode {
    /// One request at a time.
    Latency {
        #[command(flatten)]
        target: Target,
        #[arg(long, default_value_t = 5000)]
        requests: usize,
        #[arg(long, default_value_t = 500)]
        warmup: usize,
    },
    /// Time to the first streamed `data:` event, on a new connection per request (read from
    /// the raw socket, so no client library buffering hides when the bytes arrived).
    FirstChunk {
        #[command(flatten)]
        target: Target,
        #[arg(long, default_value_t = 200)]
        requests: usize,
    },
    /// One request at a time to `--url` and to `--other-url` in turn (which first alternates),
    /// so both see the same machine at the same moment; percentiles for each.
    Paired {
        #[command(flatten)]
        target: Target,
        #[arg(long)]
        other_url: String,
        #[arg(long, default_value_t = 2000)]
        requests: usize,
        #[arg(long, default_value_t = 200)]
        warmup: usize,
    },
    /// Many connections for a fixed time.
    Throughput {
        #[command(flatten)]
        target: Target,
        #[arg(long, default_value_t = 32)]
        conns: usize,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        /// Requests per second across all connections (paced); as fast as answered if unset.
        #[arg(long)]
        rate: Option<f64>,
        /// Writes the `x-sluice-request-id` of every answered request here, one per line.
        #[arg(long)]
        ids: Option<std::path::PathBuf>,
    },
    /// Opens `conns` keep-alive connections, uses each once and holds them idle; meanwhile
    /// one more connection measures latency; then every idle connection is used again.
    Idle {
        #[command(flatten)]
        target: Target,
        #[arg(long, default_value_t = 10_000)]
        conns: usize,
        #[arg(long, default_value_t = 1000)]
        requests: usize,
    },
    /// One request, whatever its status: the status, how long it took, and the body's end.
    Once {
        #[command(flatten)]
        target: Target,
    },
    /// One GET of `path` (the admin API's, say): its status and JSON body.
    Get {
        /// The gateway's root URL (http://host:port).
        #[arg(long)]
        url: String,
        #[arg(long)]
        token: String,
        #[arg(long)]
        path: String,
    },
    /// Asks the admin API for every id in `ids` (from `throughput --ids`); counts the missing.
    Logged {
        /// The gateway's root URL (http://host:port).
        #[arg(long)]
        url: String,
        #[arg(long)]
        token: String,
        #[arg(long)]
        ids: std::path::PathBuf,
    },
}

struct Conn {
    sender: http1::SendRequest<Full<Bytes>>,
    host: String,
    path: String,
    target: Target,
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

impl Conn {
    async fn open(target: &Target) -> anyhow::Result<Conn> {
        let rest = target.url.strip_prefix("http://").ok_or_else(|| anyhow::anyhow!("only http:// URLs"))?;
        let (host, base) = rest.split_once('/').map(|(h, p)| (h.to_owned(), format!("/{p}"))).unwrap_or((rest.to_owned(), String::new()));
        let stream = tokio::net::TcpStream::connect(&host).await?;
        stream.set_nodelay(true)?;
        let (sender, conn) = http1::handshake(TokioIo::new(stream)).await?;
        tokio::spawn(conn);
        Ok(Conn { sender, host, path: format!("{base}/chat/completions"), target: target.clone() })
    }

    async fn call(&mut self) -> anyhow::Result<Duration> {
        self.answer().await.map(|(took, _)| took)
    }

    /// How long the answer took, and its `x-sluice-request-id`.
    async fn answer(&mut self) -> anyhow::Result<(Duration, Option<String>)> {
        let (status, took, body, id) = self.send().await?;
        anyhow::ensure!(status.is_success(), "status {status}");
        anyhow::ensure!(!self.target.stream || body.ends_with(b"data: [DONE]\n\n"), "the stream did not end with [DONE]");
        Ok((took, id))
    }

    /// One chat request: its status, time, body, and `x-sluice-request-id`.
    async fn send(&mut self) -> anyhow::Result<(hyper::StatusCode, Duration, Bytes, Option<String>)> {
        let text = if self.target.unique { format!("benchmark prompt number {}", COUNTER.fetch_add(1, Ordering::Relaxed)) } else { self.target.text.clone() };
        let body = json!({"model": self.target.model, "stream": self.target.stream, "messages": [{"role": "user", "content": text}]}).to_string();
        let request = Request::post(&self.path)
            .header("host", &self.host)
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {}", self.target.token))
            .body(Full::new(Bytes::from(body)))?;
        let started = Instant::now();
        self.sender.ready().await?;
        let response = self.sender.send_request(request).await?;
        let status = response.status();
        let id = response.headers().get("x-sluice-request-id").and_then(|v| v.to_str().ok()).map(str::to_owned);
        let body = response.into_body().collect().await?.to_bytes();
        Ok((status, started.elapsed(), body, id))
    }

    async fn get(&mut self, path: &str) -> anyhow::Result<(hyper::StatusCode, Bytes)> {
        let request = Request::get(path).header("host", &self.host).header("authorization", format!("Bearer {}", self.target.token)).body(Full::new(Bytes::new()))?;
        self.sender.ready().await?;
        let response = self.sender.send_request(request).await?;
        let status = response.status();
        Ok((status, response.into_body().collect().await?.to_bytes()))
    }
}

async fn first_chunk(target: &Target) -> anyhow::Result<Duration> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let rest = target.url.strip_prefix("http://").ok_or_else(|| anyhow::anyhow!("only http:// URLs"))?;
    let (host, base) = rest.split_once('/').map(|(h, p)| (h.to_owned(), format!("/{p}"))).unwrap_or((rest.to_owned(), String::new()));
    let text = format!("first chunk {}", COUNTER.fetch_add(1, Ordering::Relaxed));
    let body = json!({"model": target.model, "stream": true, "messages": [{"role": "user", "content": text}]}).to_string();
    let request = format!(
        "POST {base}/chat/completions HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        target.token,
        body.len()
    );
    let mut stream = tokio::net::TcpStream::connect(&host).await?;
    stream.set_nodelay(true)?;
    let started = Instant::now();
    stream.write_all(request.as_bytes()).await?;
    let mut seen = Vec::new();
    let mut buf = [0u8; 16384];
    let mut first = None;
    loop {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        seen.extend_from_slice(&buf[..n]);
        if first.is_none() && seen.windows(5).any(|w| w == b"data:") {
            first = Some(started.elapsed());
        }
    }
    anyhow::ensure!(seen.starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&seen[..seen.len().min(200)]));
    first.ok_or_else(|| anyhow::anyhow!("no data event"))
}

fn summary(mut samples: Vec<Duration>) -> serde_json::Value {
    samples.sort();
    let pct = |p: f64| samples.get(((samples.len() as f64 * p) as usize).min(samples.len().saturating_sub(1))).map(|d| d.as_secs_f64() * 1e6).unwrap_or(0.0);
    let mean = samples.iter().map(|d| d.as_secs_f64()).sum::<f64>() / samples.len().max(1) as f64 * 1e6;
    json!({"n": samples.len(), "p50_us": pct(0.50), "p99_us": pct(0.99), "mean_us": mean})
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    match Args::parse().mode {
        Mode::Latency { target, requests, warmup } => {
            let mut conn = Conn::open(&target).await?;
            for _ in 0..warmup {
                conn.call().await?;
            }
            let mut samples = Vec::with_capacity(requests);
            for _ in 0..requests {
                samples.push(conn.call().await?);
            }
            println!("{}", summary(samples));
        }
        Mode::Paired { target, other_url, requests, warmup } => {
            let other = Target { url: other_url, ..target.clone() };
            let (mut a, mut b) = (Conn::open(&target).await?, Conn::open(&other).await?);
            let (mut sa, mut sb) = (Vec::with_capacity(requests), Vec::with_capacity(requests));
            for i in 0..warmup + requests {
                // Which goes first alternates too: the second of a pair finds caches warm.
                let (da, db) = if i % 2 == 0 {
                    (a.call().await?, b.call().await?)
                } else {
                    let db = b.call().await?;
                    (a.call().await?, db)
                };
                if i >= warmup {
                    sa.push(da);
                    sb.push(db);
                }
            }
            println!("{}", json!({ "a": summary(sa), "b": summary(sb) }));
        }
        Mode::FirstChunk { target, requests } => {
            let mut samples = Vec::with_capacity(requests);
            for _ in 0..requests {
                samples.push(first_chunk(&target).await?);
            }
            println!("{}", summary(samples));
        }
        Mode::Throughput { target, conns, seconds, rate, ids } => {
            let stop = Arc::new(AtomicBool::new(false));
            let errors = Arc::new(AtomicU64::new(0));
            // Each connection's share of the rate, as the time between its requests.
            let every = rate.map(|r| Duration::from_secs_f64(conns as f64 / r));
            let mut tasks = Vec::new();
            for _ in 0..conns {
                let (target, stop, errors) = (target.clone(), stop.clone(), errors.clone());
                tasks.push(tokio::spawn(async move {
                    let mut answered = Vec::new();
                    let Ok(mut conn) = Conn::open(&target).await else {
                        errors.fetch_add(1, Ordering::Relaxed);
                        return answered;
                    };
                    let mut pace = every.map(|e| {
                        let mut i = tokio::time::interval(e);
                        i.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                        i
                    });
                    while !stop.load(Ordering::Relaxed) {
                        if let Some(p) = pace.as_mut() {
                            p.tick().await;
                        }
                        match conn.answer().await {
                            Ok(a) => answered.push(a),
                            Err(_) => {
                                errors.fetch_add(1, Ordering::Relaxed);
                                break;
                            }
                        }
                    }
                    answered
                }));
            }
            let started = Instant::now();
            tokio::time::sleep(Duration::from_secs(seconds)).await;
            stop.store(true, Ordering::Relaxed);
            let mut all = Vec::new();
            for t in tasks {
                all.extend(t.await?);
            }
            let elapsed = started.elapsed().as_secs_f64();
            if let Some(path) = ids {
                let lines: String = all.iter().filter_map(|(_, id)| id.as_deref()).map(|id| format!("{id}\n")).collect();
                std::fs::write(path, lines)?;
            }
            let mut out = summary(all.into_iter().map(|(d, _)| d).collect());
            out["rps"] = json!(out["n"].as_u64().unwrap_or(0) as f64 / elapsed);
            out["errors"] = json!(errors.load(Ordering::Relaxed));
            out["conns"] = json!(conns);
            println!("{out}");
        }
        Mode::Idle { target, conns, requests } => {
            let mut idle = Vec::with_capacity(conns);
            let mut open_errors = 0;
            for _ in 0..conns {
                let Ok(mut c) = Conn::open(&target).await else {
                    open_errors += 1;
                    continue;
                };
                match c.call().await {
                    Ok(_) => idle.push(c),
                    Err(_) => open_errors += 1,
                }
            }
            let mut probe = Conn::open(&target).await?;
            let mut samples = Vec::with_capacity(requests);
            for _ in 0..requests {
                samples.push(probe.call().await?);
            }
            let mut reuse_errors = 0;
            for c in &mut idle {
                if c.call().await.is_err() {
                    reuse_errors += 1;
                }
            }
            let mut out = summary(samples);
            out["idle"] = json!(idle.len());
            out["open_errors"] = json!(open_errors);
            out["reuse_errors"] = json!(reuse_errors);
            println!("{out}");
        }
        Mode::Once { target } => {
            let mut conn = Conn::open(&target).await?;
            let (status, took, body, _) = conn.send().await?;
            let tail = String::from_utf8_lossy(&body[body.len().saturating_sub(300)..]).into_owned();
            println!("{}", json!({ "status": status.as_u16(), "ms": took.as_secs_f64() * 1e3, "tail": tail }));
        }
        Mode::Get { url, token, path } => {
            let mut conn = Conn::open(&admin(url, token)).await?;
            let (status, body) = conn.get(&path).await?;
            let body: serde_json::Value = serde_json::from_slice(&body).unwrap_or_else(|_| json!(String::from_utf8_lossy(&body)));
            println!("{}", json!({ "status": status.as_u16(), "body": body }));
        }
        Mode::Logged { url, token, ids } => {
            let ids = std::fs::read_to_string(ids)?;
            let mut conn = Conn::open(&admin(url, token)).await?;
            let (mut found, mut missing) = (0u64, Vec::new());
            for id in ids.lines().filter(|l| !l.is_empty()) {
                match conn.get(&format!("/api/requests/{id}")).await?.0 {
                    s if s.is_success() => found += 1,
                    _ => missing.push(id.to_owned()),
                }
            }
            println!("{}", json!({ "found": found, "missing": missing.len(), "first_missing": missing.first() }));
        }
    }
    Ok(())
}

/// A target for the admin API's GETs: the gateway's root and its token.
fn admin(url: String, token: String) -> Target {
    Target { url, token, model: String::new(), unique: false, text: String::new(), stream: false }
}
