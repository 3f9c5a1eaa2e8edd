//! `sluice eval cache`: runs the semantic cache's decision on labelled question pairs.

use anyhow::{Context, Result};
use serde::Deserialize;
use serde_json::json;
use sluice_gateway::cache::semantic::{best_match, decide, SemanticSettings};
use sluice_gateway::embed::{EmbedError, Embedder, MiniLm, Remote};
use sluice_gateway::providers::{Flavor, OpenAiCompatible};
use sluice_gateway::secrets::Secret;
use std::collections::HashMap;
use std::io::BufRead;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct EvalCacheArgs {
    /// JSON lines `{"a", "b", "label"}`; label 1 = the same question.
    #[arg(long)]
    pairs: PathBuf,
    /// The embedding model folder.
    #[arg(long, env = "SLUICE_EMBED_MODEL_DIR", required_unless_present = "embedder_url")]
    model_dir: Option<PathBuf>,
    /// Embed through an OpenAI-compatible API instead of the local model (e.g. Ollama's
    /// http://localhost:11434/v1), to calibrate `[cache] threshold` for `[cache] embedder`.
    #[arg(long, requires = "embedder_model")]
    embedder_url: Option<String>,
    /// The model to ask `--embedder-url` for.
    #[arg(long, requires = "embedder_url")]
    embedder_model: Option<String>,
    /// The environment variable holding `--embedder-url`'s API key, if it needs one.
    #[arg(long, requires = "embedder_url")]
    embedder_key_env: Option<String>,
    /// Override the similarity threshold.
    #[arg(long)]
    threshold: Option<f32>,
    /// Only the first N pairs.
    #[arg(long)]
    limit: Option<usize>,
    /// Thresholds to compare, comma-separated: one JSON line each, embeddings computed once.
    #[arg(long, value_delimiter = ',', conflicts_with = "threshold")]
    sweep: Vec<f32>,
    /// Simulate a cache instead of judging pairs: store every `a`, ask every `b`, and count
    /// right hits (the pair's own `a`, for label 1), wrong hits (any other entry, or any hit
    /// for label 0) and misses.
    #[arg(long)]
    simulate: bool,
}

#[derive(Deserialize)]
pub struct Pair {
    pub a: String,
    pub b: String,
    pub label: u8,
}

/// `runtime` serves a remote embedder's calls.
pub fn run(args: EvalCacheArgs, runtime: &tokio::runtime::Handle) -> Result<()> {
    let pairs = read_pairs(&args.pairs, args.limit)?;
    let (embedder, at_once) = embedder(&args, runtime)?;
    let vectors = embed_all(embedder.as_ref(), at_once, &pairs)?;
    let thresholds = if args.sweep.is_empty() { vec![args.threshold.unwrap_or(SemanticSettings::default().threshold)] } else { args.sweep.clone() };
    for threshold in thresholds {
        let settings = SemanticSettings { threshold };
        if args.simulate {
            println!("{}", simulate(&settings, &pairs, &vectors, embedder.name()));
            continue;
        }
        let (mut tp, mut fp, mut tn, mut fn_) = (0u64, 0u64, 0u64, 0u64);
        for p in &pairs {
            let hit = match (vectors.get(p.a.as_str()), vectors.get(p.b.as_str())) {
                (Some(a), Some(b)) => decide(&settings, &p.a, a, &p.b, b).is_ok(),
                _ => false,
            };
            match (hit, p.label == 1) {
                (true, true) => tp += 1,
                (true, false) => fp += 1,
                (false, false) => tn += 1,
                (false, true) => fn_ += 1,
            }
        }
        let ratio = |n: u64, d: u64| if d == 0 { 0.0 } else { n as f64 / d as f64 };
        let out = json!({
            "precision": ratio(tp, tp + fp),
            "recall": ratio(tp, tp + fn_),
            "fpr": ratio(fp, fp + tn),
            "pairs": pairs.len(),
            "true_hits": tp, "false_hits": fp, "true_misses": tn, "false_misses": fn_,
            "settings": { "threshold": (f64::from(settings.threshold) * 1e4).round() / 1e4, "embedder": embedder.name() },
        });
        println!("{out}");
    }
    Ok(())
}

/// Labelled pairs from JSON lines, the first `limit` if given.
pub fn read_pairs(path: &std::path::Path, limit: Option<usize>) -> Result<Vec<Pair>> {
    let file = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut pairs = Vec::new();
    for (n, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let pair: Pair = serde_json::from_str(&line).with_context(|| format!("{} line {}: expected {{\"a\", \"b\", \"label\"}}", path.display(), n + 1))?;
        pairs.push(pair);
        if limit.is_some_and(|l| pairs.len() >= l) {
            break;
        }
    }
    Ok(pairs)
}

/// Texts a remote embedder is asked for at once: enough to hide the network's latency, few
/// enough not to trip a hosted API's rate limits.
const REMOTE_AT_ONCE: usize = 8;

/// The local model, or the remote one, and how many texts to embed at once: the local model
/// runs a text on one core, so one per core.
fn embedder(args: &EvalCacheArgs, runtime: &tokio::runtime::Handle) -> Result<(Box<dyn Embedder>, usize)> {
    let (Some(url), Some(model)) = (&args.embedder_url, &args.embedder_model) else {
        let dir = args.model_dir.as_deref().expect("clap requires --model-dir without --embedder-url");
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        return Ok((Box::new(MiniLm::load(dir)?), cores));
    };
    let key = match &args.embedder_key_env {
        Some(var) => Some(Secret::new(std::env::var(var).with_context(|| format!("--embedder-key-env: {var} is not set"))?)),
        None => None,
    };
    let _inside = runtime.enter();
    let provider = OpenAiCompatible::new("embedder".into(), url, key, None, reqwest::Client::new(), Flavor::Compatible);
    Ok((Box::new(Remote::new(std::sync::Arc::new(provider), model)), REMOTE_AT_ONCE))
}

/// Embeds every distinct text once, `workers` at a time. Texts longer than the model reads get
/// no vector, as in the live cache: they can only miss.
pub fn embed_all<'p>(model: &dyn Embedder, workers: usize, pairs: &'p [Pair]) -> Result<HashMap<&'p str, Vec<f32>>> {
    let mut texts: Vec<&str> = pairs.iter().flat_map(|p| [p.a.as_str(), p.b.as_str()]).collect();
    texts.sort_unstable();
    texts.dedup();
    let done = std::sync::atomic::AtomicUsize::new(0);
    let total = texts.len();
    type Chunk<'t> = Result<Vec<(&'t str, Vec<f32>)>>;
    let chunks: Vec<Chunk> = std::thread::scope(|scope| {
        let handles: Vec<_> = texts
            .chunks(texts.len().div_ceil(workers).max(1))
            .map(|chunk| {
                let done = &done;
                scope.spawn(move || -> Chunk {
                    chunk
                        .iter()
                        .map(|t| {
                            let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                            if n.is_multiple_of(2000) {
                                eprintln!("sluice eval: embedded {n} of {total} texts");
                            }
                            match model.embed(t) {
                                Ok(v) => Ok(Some((*t, v))),
                                Err(EmbedError::TooLong(_)) => Ok(None),
                                Err(e) => Err(e.into()),
                            }
                        })
                        .filter_map(Result::transpose)
                        .collect()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("embedding thread panicked")).collect()
    });
    let mut vectors = HashMap::new();
    for chunk in chunks {
        vectors.extend(chunk?);
    }
    Ok(vectors)
}

/// Every distinct `a` is a cache entry; every `b` is a query against all of them.
fn simulate(settings: &SemanticSettings, pairs: &[Pair], vectors: &HashMap<&str, Vec<f32>>, embedder: &str) -> serde_json::Value {
    let mut entries: Vec<&str> = pairs.iter().map(|p| p.a.as_str()).filter(|a| vectors.contains_key(a)).collect();
    entries.sort_unstable();
    entries.dedup();
    let (mut right, mut wrong, mut misses) = (0u64, 0u64, 0u64);
    for p in pairs {
        let stored = entries.iter().enumerate().map(|(i, a)| (i, *a, vectors[a].as_slice()));
        let Some(query) = vectors.get(p.b.as_str()) else {
            misses += 1;
            continue;
        };
        match best_match(settings, &p.b, query, stored) {
            Some((i, _)) if p.label == 1 && entries[i] == p.a => right += 1,
            Some(_) => wrong += 1,
            None => misses += 1,
        }
    }
    json!({
        "queries": pairs.len(),
        "entries": entries.len(),
        "right_hits": right,
        "wrong_hits": wrong,
        "misses": misses,
        "settings": { "threshold": (f64::from(settings.threshold) * 1e4).round() / 1e4, "candidates": sluice_gateway::cache::semantic::CANDIDATES, "embedder": embedder },
    })
}
