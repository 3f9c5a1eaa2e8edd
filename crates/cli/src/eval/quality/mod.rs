//! `sluice eval loop`: the quality loop simulated on labelled traffic, with the live path's
//! code. The labels stand in for the judge, or for a judge wrong a given share of the time.
//! Each seed shuffles the stream differently; figures are means over the seeds (and, for
//! routing, over both halves), and the cache's first seed is printed window by window.

mod cache;
mod route;

use anyhow::Result;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use serde_json::json;
use sluice_gateway::config::QualityConfig;
use sluice_gateway::embed::MiniLm;
use sluice_gateway::quality::tune::Bounds;
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct EvalLoopArgs {
    /// Question pairs `{"a", "b", "label"}` replayed as cache traffic.
    #[arg(long, required_unless_present = "routing")]
    cache: Option<PathBuf>,
    /// Prompts `{"prompt", "weak_correct", "strong_correct"}` replayed as routed traffic.
    #[arg(long)]
    routing: Option<PathBuf>,
    /// More routing files the fitted model is trained on besides the other half of `--routing`.
    #[arg(long)]
    routing_fit: Vec<PathBuf>,
    /// The share of routed prompts whose verdict is learned from.
    #[arg(long, default_value_t = 0.05)]
    labels: f64,
    /// The embedding model folder.
    #[arg(long, env = "SLUICE_EMBED_MODEL_DIR")]
    model_dir: PathBuf,
    /// The share of savings judged (`[quality] sample`).
    #[arg(long, default_value_t = 0.02)]
    sample: f64,
    /// How often the simulated judge is right.
    #[arg(long, default_value_t = 0.9)]
    judge_accuracy: f64,
    /// Requests replayed per seed.
    #[arg(long, default_value_t = 5000)]
    requests: usize,
    #[arg(long, default_value_t = 5)]
    seeds: u64,
    /// Requests per window of the printed curve.
    #[arg(long, default_value_t = 500)]
    window: usize,
}

pub fn run(args: EvalLoopArgs) -> Result<()> {
    let model = MiniLm::load(&args.model_dir)?;
    if let Some(path) = &args.cache {
        run_cache(&args, path, &model)?;
    }
    if let Some(path) = &args.routing {
        run_routing(&args, path, &model)?;
    }
    Ok(())
}

fn run_routing(args: &EvalLoopArgs, path: &std::path::Path, model: &MiniLm) -> Result<()> {
    let stream = super::route::read(path, model)?;
    let others: Vec<_> = args.routing_fit.iter().map(|p| super::route::read(p, model)).collect::<Result<_>>()?;
    let others: Vec<&sluice_gateway::router::difficulty::Example> = others.iter().flatten().collect();
    for (name, accuracy) in [("learning, judge always right", 1.0), ("learning, judge right 90 %", args.judge_accuracy)] {
        let runs: Vec<route::RouteRun> = (0..args.seeds).flat_map(|seed| [0, 1].map(|half| route::replay(&stream, &others, half, args.labels, accuracy, 2000 + seed))).collect();
        let mean = |f: &dyn Fn(&route::RouteRun) -> f64| runs.iter().map(f).sum::<f64>() / runs.len() as f64;
        println!(
            "{}",
            json!({
                "stream": "routing", "data": path.display().to_string(), "variant": name, "labels_share": args.labels, "judge_accuracy": accuracy, "seeds": args.seeds,
                "prompts_per_half": mean(&|r| r.prompts as f64), "labels_learned": mean(&|r| r.labels as f64),
                "judge_calls": 2.0 * mean(&|r| r.labels as f64),
                "apgr_fitted": mean(&|r| r.apgr_fitted), "apgr_learning": mean(&|r| r.apgr_learning),
                "apgr_fitted_second_half": mean(&|r| r.apgr_fitted_late), "apgr_learning_second_half": mean(&|r| r.apgr_learning_late),
                "apgr_gain": mean(&|r| r.apgr_learning - r.apgr_fitted),
            })
        );
    }
    Ok(())
}

fn run_cache(args: &EvalLoopArgs, path: &std::path::Path, model: &MiniLm) -> Result<()> {
    let pairs = super::cache::read_pairs(path, None)?;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    // Only the texts some seed's stream uses are embedded.
    let mut streams = Vec::new();
    for seed in 0..args.seeds {
        let mut order: Vec<&super::cache::Pair> = pairs.iter().collect();
        order.shuffle(&mut StdRng::seed_from_u64(seed));
        order.truncate(args.requests);
        streams.push(order);
    }
    let mut used: Vec<super::cache::Pair> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for p in streams.iter().flatten() {
        if seen.insert((p.a.as_str(), p.b.as_str())) {
            used.push(super::cache::Pair { a: p.a.clone(), b: p.b.clone(), label: p.label });
        }
    }
    let vectors = super::cache::embed_all(model, cores, &used)?;
    let clusters = duplicates(&pairs);
    let same = |x: &str, y: &str| x == y || clusters.get(x).is_some_and(|c| clusters.get(y) == Some(c));
    let bounds = Bounds::of(&QualityConfig::default());
    let variants = [
        ("default threshold, no loop", None),
        ("loop, judge always right", Some(cache::Judge { sample: args.sample, accuracy: 1.0 })),
        ("loop, judge right 90 %", Some(cache::Judge { sample: args.sample, accuracy: args.judge_accuracy })),
    ];
    let mut baseline = (0.0, 0.0);
    for (name, judge) in variants {
        let runs: Vec<cache::CacheRun> = streams.iter().enumerate().map(|(seed, s)| cache::replay(s, &vectors, &same, judge, bounds, args.window, 1000 + seed as u64)).collect();
        let mean = |f: &dyn Fn(&cache::CacheRun) -> f64| runs.iter().map(f).sum::<f64>() / runs.len() as f64;
        let hits = mean(&|r| r.hits as f64);
        let wrong = mean(&|r| r.wrong_hits as f64);
        let share = mean(&|r| r.wrong_hits as f64 / (r.hits.max(1)) as f64);
        if judge.is_none() {
            baseline = (hits, share);
        }
        println!(
            "{}",
            json!({
                "stream": "cache", "variant": name, "judge": judge, "requests": args.requests, "seeds": args.seeds,
                "hits": hits, "wrong_hits": wrong, "wrong_share_of_hits": share,
                "wrong_share_vs_default": share / baseline.1.max(f64::EPSILON), "hits_vs_default": hits / baseline.0.max(f64::EPSILON),
                "judge_calls": mean(&|r| r.judge_calls as f64), "threshold_moves": mean(&|r| r.threshold_moves as f64),
                "final_threshold": mean(&|r| f64::from(r.windows.last().map_or(0.0, |w| w.threshold))),
                "first_seed_windows": runs[0].windows,
            })
        );
    }
    Ok(())
}

/// Each question's group of labelled duplicates (connected through label-1 pairs), as the
/// smallest text in it.
fn duplicates(pairs: &[super::cache::Pair]) -> std::collections::HashMap<&str, &str> {
    let mut parent: std::collections::HashMap<&str, &str> = std::collections::HashMap::new();
    fn root<'t>(parent: &mut std::collections::HashMap<&'t str, &'t str>, x: &'t str) -> &'t str {
        let mut r = x;
        while let Some(&p) = parent.get(r).filter(|p| **p != r) {
            r = p;
        }
        parent.insert(x, r);
        r
    }
    for p in pairs.iter().filter(|p| p.label == 1) {
        let (ra, rb) = (root(&mut parent, &p.a), root(&mut parent, &p.b));
        let (lo, hi) = if ra <= rb { (ra, rb) } else { (rb, ra) };
        parent.insert(hi, lo);
        parent.entry(lo).or_insert(lo);
    }
    let texts: Vec<&str> = parent.keys().copied().collect();
    texts.into_iter().map(|t| (t, root(&mut parent, t))).collect()
}
