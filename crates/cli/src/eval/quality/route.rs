//! The difficulty router under the quality loop: prompts labelled with how a weak and a strong
//! model did, replayed as traffic. A share of them is judged (the weak answer against the
//! strong one, by a judge right with a given probability) and fed to the live path's
//! `Learned`; every prompt is scored before its own label could be known, so the APGR of the
//! stream's scores is out-of-sample.
//!
//! The fitted model must not have seen the stream: each half of the file (by a hash of the
//! prompt, as `sluice eval route --folds` splits) is streamed against a model fitted on the
//! other half and the other files — the shipped model's training minus the stream.

use super::super::route::fnv;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use serde::Serialize;
use sluice_gateway::router::difficulty::{fit, route_metrics, Example, Learned};

#[derive(Debug, Clone, Serialize)]
pub struct RouteRun {
    pub prompts: usize,
    pub labels: usize,
    pub apgr_fitted: f64,
    pub apgr_learning: f64,
    /// The second half of the stream, when more has been learned.
    pub apgr_fitted_late: f64,
    pub apgr_learning_late: f64,
}

/// Streams half `half` (0 or 1) of `stream_file` in a seeded order.
pub fn replay(stream_file: &[Example], others: &[&Example], half: u64, sample: f64, accuracy: f64, seed: u64) -> RouteRun {
    let in_half = |e: &Example| fnv(&e.text) % 2 == half;
    let train: Vec<&Example> = others.iter().copied().chain(stream_file.iter().filter(|e| !in_half(e))).collect();
    let fitted = fit(&train, "eval loop");
    let mut stream: Vec<&Example> = stream_file.iter().filter(|e| in_half(e)).collect();
    let mut rng = StdRng::seed_from_u64(seed);
    stream.shuffle(&mut rng);
    let mut learned = Learned::default();
    let (mut base, mut live) = (Vec::new(), Vec::new());
    for e in &stream {
        let score = fitted.score(&e.text, &e.embedding);
        base.push(score);
        live.push(learned.adjust(score, &e.embedding));
        if rng.random::<f64>() < sample {
            // The judge compares the weak answer with the strong one: worse when the strong
            // model was right and the weak one wrong.
            let truth = e.strong_correct && !e.weak_correct;
            let said = truth == (rng.random::<f64>() < accuracy);
            learned.add(e.embedding.clone(), said);
        }
    }
    let labels: Vec<(bool, bool)> = stream.iter().map(|e| (e.weak_correct, e.strong_correct)).collect();
    let late = stream.len() / 2;
    let apgr = |scores: &[f32], labels: &[(bool, bool)]| route_metrics(scores, labels).apgr;
    RouteRun {
        prompts: stream.len(),
        labels: learned.len(),
        apgr_fitted: apgr(&base, &labels),
        apgr_learning: apgr(&live, &labels),
        apgr_fitted_late: apgr(&base[late..], &labels[late..]),
        apgr_learning_late: apgr(&live[late..], &labels[late..]),
    }
}
