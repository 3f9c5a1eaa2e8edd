//! The semantic cache under the quality loop: question pairs replayed as traffic (each `b`
//! asked right after its `a` was cached), a share of hits judged by a judge that is right with
//! a given probability, and the verdicts fed to the live path's `tune::Partition` — a wrong
//! verdict also takes the entry out, as live. A hit is right when the stored question is a
//! labelled duplicate of the asked one, directly or through other labelled duplicates (QQP
//! repeats questions across pairs; the entry that answers may be another pair's `a`).

use super::super::cache::Pair;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use sluice_gateway::cache::semantic::{best_match, SemanticSettings, DEFAULT_THRESHOLD};
use sluice_gateway::quality::tune::{Bounds, Partition, Verdict};
use std::collections::HashMap;

/// How verdicts arrive: the share of hits judged and how often the judge is right.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Judge {
    pub sample: f64,
    pub accuracy: f64,
}

/// Counts over one stretch of the stream.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Window {
    /// Requests up to here.
    pub upto: usize,
    pub hits: u64,
    pub wrong_hits: u64,
    /// The threshold at the end of the window.
    pub threshold: f32,
}

#[derive(Debug, Clone, Serialize)]
pub struct CacheRun {
    pub hits: u64,
    pub wrong_hits: u64,
    pub judge_calls: u64,
    pub threshold_moves: u64,
    pub windows: Vec<Window>,
}

/// Replays `stream` (pairs in arrival order); `judge` None is the cache without the loop.
/// `same` says whether two questions are labelled duplicates (directly or through others).
pub fn replay(stream: &[&Pair], vectors: &HashMap<&str, Vec<f32>>, same: &dyn Fn(&str, &str) -> bool, judge: Option<Judge>, bounds: Bounds, window: usize, seed: u64) -> CacheRun {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut partition = Partition::new(DEFAULT_THRESHOLD as f32);
    // Stored questions: text, vector, still in the cache.
    let mut entries: Vec<(&str, &[f32], bool)> = Vec::new();
    let mut stored: HashMap<&str, usize> = HashMap::new();
    let mut run = CacheRun { hits: 0, wrong_hits: 0, judge_calls: 0, threshold_moves: 0, windows: Vec::new() };
    let mut current = Window::default();
    for (n, p) in stream.iter().enumerate() {
        if let Some(v) = vectors.get(p.a.as_str()) {
            let i = *stored.entry(p.a.as_str()).or_insert_with(|| {
                entries.push((p.a.as_str(), v.as_slice(), true));
                entries.len() - 1
            });
            // A question asked again after its entry was taken out is cached again.
            entries[i].2 = true;
        }
        if let Some(query) = vectors.get(p.b.as_str()) {
            let settings = SemanticSettings { threshold: partition.threshold };
            let live = entries.iter().enumerate().filter(|(_, e)| e.2).map(|(i, e)| (i, e.0, e.1));
            if let Some((i, similarity)) = best_match(&settings, &p.b, query, live) {
                let right = same(&p.b, entries[i].0);
                current.hits += 1;
                current.wrong_hits += u64::from(!right);
                if let Some(j) = judge.filter(|j| rng.random::<f64>() < j.sample) {
                    run.judge_calls += 2;
                    let says_right = right == (rng.random::<f64>() < j.accuracy);
                    let verdict = if says_right { Verdict::Agree } else { Verdict::Disagree };
                    if verdict == Verdict::Disagree {
                        entries[i].2 = false;
                    }
                    run.threshold_moves += u64::from(partition.on_verdict(bounds, verdict, Some(similarity)).is_some());
                }
            }
        }
        if (n + 1) % window == 0 || n + 1 == stream.len() {
            run.hits += current.hits;
            run.wrong_hits += current.wrong_hits;
            run.windows.push(Window { upto: n + 1, threshold: partition.threshold, ..current });
            current = Window::default();
        }
    }
    run
}
