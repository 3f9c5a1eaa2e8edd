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
        let text = if self.target.unique { format!("benchmark prompt number {}", COUNTER.fetch_add(1, Ordering::Relaxed)) } else { self.target.text.clone() };
        let body = json!({"model": self.target.model, "messages": [{"role": "user", "content": text}]}).to_string();
        let request = Request::post(&self.path)
            .header("host", &self.host)
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {}", self.target.token))
            .body(Full::new(Bytes::from(body)))?;
        let started = Instant::now();
        self.sender.ready().await?;
        let response = self.sender.send_request(request).await?;
        let status = response.status();
        response.into_body().collect().await?;
        let took = started.elapsed();
        anyhow::ensure!(status.is_success(), "status {status}");
        Ok(took)
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
        Mode::Throughput { target, conns, seconds } => {
            let stop = Arc::new(AtomicBool::new(false));
            let errors = Arc::new(AtomicU64::new(0));
            let mut tasks = Vec::new();
            for _ in 0..conns {
                let (target, stop, errors) = (target.clone(), stop.clone(), errors.clone());
                tasks.push(tokio::spawn(async move {
                    let mut samples = Vec::new();
                    let Ok(mut conn) = Conn::open(&target).await else {
                        errors.fetch_add(1, Ordering::Relaxed);
                        return samples;
                    };
                    while !stop.load(Ordering::Relaxed) {
                        match conn.call().await {
                            Ok(d) => samples.push(d),
                            Err(_) => {
                                errors.fetch_add(1, Ordering::Relaxed);
                                break;
                            }
                        }
                    }
                    samples
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
            let mut out = summary(all);
            out["rps"] = json!(out["n"].as_u64().unwrap_or(0) as f64 / elapsed);
            out["errors"] = json!(errors.load(Ordering::Relaxed));
            out["conns"] = json!(conns);
            println!("{out}");
        }
    }
    Ok(())
}
