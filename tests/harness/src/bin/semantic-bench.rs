//! The semantic cache's speed: embedding a ~30-token question, and a whole lookup (embed +
//! bit-index search + rescoring + verification) against a cache of N entries in one
//! partition (the worst case: one route, one system prompt), through the store as the gateway
//! uses it; also how long a store of that size takes to load its search index (in the
//! background, after start-up) and how long a search takes meanwhile (sqlite-vec's KNN).
//! Prints one JSON object.
//!
//! The cache is filled with random unit vectors around a few real questions' embeddings: the
//! search is brute force, so its cost depends on the number of rows, not on their content.

use anyhow::{Context, Result};
use clap::Parser;
use rusqlite::{params, Connection};
use serde_json::json;
use sluice_gateway::cache::semantic::{best_match, SemanticSettings};
use sluice_gateway::embed::{Embedder, MiniLm};
use sluice_gateway::store::{insert_vector, search_vectors, sign_bits, SemanticRow, Store};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

#[derive(Parser)]
struct Args {
    #[arg(long, env = "SLUICE_EMBED_MODEL_DIR")]
    model_dir: PathBuf,
    /// Cache sizes to measure, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "100000")]
    entries: Vec<usize>,
    /// Where the benchmark databases go (each size gets its own folder).
    #[arg(long)]
    dir: PathBuf,
    #[arg(long, default_value_t = 200)]
    runs: usize,
}

const QUERY: &str = "How do I configure nginx as a reverse proxy for a websocket server that runs on port 8080 behind TLS?";
const PARTITION: &str = "bench";

fn main() -> Result<()> {
    let args = Args::parse();
    let model = MiniLm::load(&args.model_dir)?;
    let embed_ms = time(args.runs, || {
        model.embed(QUERY).expect("embedding works");
    });
    let rt = tokio::runtime::Runtime::new()?;
    let mut sizes = Vec::new();
    for &n in &args.entries {
        let dir = args.dir.join(format!("entries-{n}"));
        let fill_s = fill(&dir, n, &model)?;
        let opened = Instant::now();
        let store = Arc::new(Store::open(&dir)?);
        store.wait_index_loaded();
        let index_load_ms = opened.elapsed().as_millis() as u64;
        let nearest = |q: &[f32]| rt.block_on(store.nearest(PARTITION.into(), q.to_vec(), 0)).expect("search works");
        let query = model.embed(QUERY)?;
        let search_ms = time(args.runs, || {
            nearest(&query);
        });
        let settings = SemanticSettings::default();
        let lookup_ms = time(args.runs, || {
            let q = model.embed(QUERY).expect("embedding works");
            let found = nearest(&q);
            best_match(&settings, QUERY, &q, found.iter().enumerate().map(|(i, c)| (i, c.question.as_str(), c.embedding.as_slice())));
        });
        let conn = Connection::open(dir.join("sluice.db"))?;
        let bits = sign_bits(&query);
        let loading_search_ms = time(args.runs.min(50), || {
            search_vectors(&conn, PARTITION, &bits).expect("search works");
        });
        let bytes = std::fs::metadata(dir.join("sluice.db"))?.len();
        sizes.push(json!({ "entries": n, "fill_s": fill_s, "index_load_ms": index_load_ms, "db_mb": bytes / 1_000_000, "search_ms": search_ms, "lookup_ms": lookup_ms, "search_while_loading_ms": loading_search_ms }));
    }
    let tokens = QUERY.split_whitespace().count();
    println!("{}", json!({ "query_words": tokens, "embed_ms": embed_ms, "sizes": sizes }));
    Ok(())
}

/// Median and 90th percentile of `runs` timings, in ms.
fn time(runs: usize, mut f: impl FnMut()) -> serde_json::Value {
    f();
    let mut t: Vec<f64> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    t.sort_by(f64::total_cmp);
    let at = |q: f64| (t[((t.len() - 1) as f64 * q).round() as usize] * 1000.0).round() / 1000.0;
    json!({ "median": at(0.5), "p90": at(0.9) })
}

/// A fresh database with `n` semantic entries; returns how long filling it took, in seconds.
fn fill(dir: &std::path::Path, n: usize, model: &MiniLm) -> Result<f64> {
    let started = Instant::now();
    let _ = std::fs::remove_dir_all(dir);
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    drop(Store::open(dir)?);
    let mut conn = Connection::open(dir.join("sluice.db"))?;
    let seeds: Vec<Vec<f32>> = ["How do I reverse a list in Python?", "What is the capital of France?", "Explain TCP slow start", "Best way to learn Rust?"]
        .iter()
        .map(|q| model.embed(q))
        .collect::<Result<_, _>>()?;
    let mut rng = 0x9E37_79B9_7F4A_7C15u64;
    let tx = conn.transaction()?;
    for i in 0..n {
        let seed = &seeds[i % seeds.len()];
        let mut v: Vec<f32> = seed.iter().map(|x| x + 0.08 * gaussian(&mut rng)).collect();
        let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter_mut().for_each(|x| *x /= norm);
        let mut key = [0u8; 32];
        key[..8].copy_from_slice(&(i as u64).to_le_bytes());
        tx.prepare_cached(
            "INSERT INTO cache_entries (key, model_requested, provider, model, response, prompt_tokens, completion_tokens, cached_tokens, created_at)
             VALUES (?1, 'm', 'p', 'm', x'7b7d', 1, 1, 0, 0)",
        )?
        .execute(params![&key[..]])?;
        insert_vector(&tx, &key, &SemanticRow { partition: PARTITION.into(), question: format!("stored question {i}"), embedding: v })?;
    }
    tx.commit()?;
    Ok((started.elapsed().as_secs_f64() * 10.0).round() / 10.0)
}

/// A standard normal sample (xorshift, then Box–Muller).
fn gaussian(state: &mut u64) -> f32 {
    let mut uniform = || {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        ((*state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    };
    let (u, v) = (uniform(), uniform());
    ((-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()) as f32
}
