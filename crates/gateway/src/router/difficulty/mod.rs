//! The difficulty router: how much a prompt needs the strong model, judged locally from its
//! MiniLM embedding (the one the semantic cache uses) and a few surface cues, without asking
//! an LLM.
//!
//! The model is ridge regression onto "the strong model was right and the weak one wrong"
//! minus the reverse — the gain a strong call buys. Its raw output is turned into a score in
//! 0–1 by where it falls among the training prompts' outputs, so a threshold reads as a share
//! of traffic: `difficulty ≥ 0.7` sends about the hardest 30 % to the rule's targets. The
//! shipped model (`default-model.json`) is fitted on RouteLLM's recorded MMLU and GSM8K
//! answers (shared/eval/routing, see `provenance` in the file) by `sluice eval route --save`.

mod features;
mod fit;
mod learned;
mod metrics;

pub use fit::{fit, Example};
pub use learned::{Learned, KEPT};
pub use metrics::{route_metrics, RouteMetrics};

use serde::{Deserialize, Serialize};
use std::sync::LazyLock;

/// Dimensions of the embedding the model reads (all-MiniLM-L6-v2).
pub const EMBEDDING_DIMS: usize = 384;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DifficultyModel {
    pub provenance: String,
    /// Ridge penalty the weights were fitted with.
    pub alpha: f32,
    /// Standardisation of the surface cues, from the training prompts.
    pub feature_mean: Vec<f32>,
    pub feature_std: Vec<f32>,
    /// Embedding weights, then cue weights, then the intercept.
    pub weights: Vec<f32>,
    /// The training prompts' raw outputs at 0 %, 1 %, …, 100 %.
    pub quantiles: Vec<f32>,
}

static SHIPPED: LazyLock<DifficultyModel> = LazyLock::new(|| serde_json::from_str(include_str!("default-model.json")).expect("the shipped difficulty model parses"));

impl DifficultyModel {
    pub fn shipped() -> &'static DifficultyModel {
        &SHIPPED
    }

    /// The model's inputs for one prompt: its embedding and standardised cues, then 1.
    fn inputs(&self, text: &str, embedding: &[f32]) -> Vec<f32> {
        let cues = features::of(text);
        let mut x = Vec::with_capacity(EMBEDDING_DIMS + features::COUNT + 1);
        x.extend_from_slice(embedding);
        x.extend(cues.iter().zip(self.feature_mean.iter().zip(&self.feature_std)).map(|(v, (m, s))| (v - m) / s));
        x.push(1.0);
        x
    }

    /// The expected gain of the strong model on this prompt, unscaled.
    pub fn raw(&self, text: &str, embedding: &[f32]) -> f32 {
        self.inputs(text, embedding).iter().zip(&self.weights).map(|(x, w)| x * w).sum()
    }

    /// 0–1: the share of the training prompts that need the strong model less than this one.
    pub fn score(&self, text: &str, embedding: &[f32]) -> f32 {
        percentile(&self.quantiles, self.raw(text, embedding))
    }
}

/// Where `v` falls among sorted quantiles, interpolated between neighbours.
fn percentile(q: &[f32], v: f32) -> f32 {
    let steps = (q.len() - 1) as f32;
    match q.iter().position(|&x| x > v) {
        None => 1.0,
        Some(0) => 0.0,
        Some(i) => {
            let (lo, hi) = (q[i - 1], q[i]);
            ((i - 1) as f32 + if hi > lo { (v - lo) / (hi - lo) } else { 0.0 }) / steps
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_interpolate_and_clamp() {
        let q = [0.0, 1.0, 3.0];
        assert_eq!(percentile(&q, -1.0), 0.0);
        assert_eq!(percentile(&q, 0.5), 0.25);
        assert_eq!(percentile(&q, 2.0), 0.75);
        assert_eq!(percentile(&q, 5.0), 1.0);
    }

    #[test]
    fn the_shipped_model_fits_its_inputs() {
        let m = DifficultyModel::shipped();
        assert_eq!(m.weights.len(), EMBEDDING_DIMS + features::COUNT + 1);
        assert_eq!(m.quantiles.len(), 101);
        assert!(m.quantiles.windows(2).all(|w| w[0] <= w[1]));
    }
}
