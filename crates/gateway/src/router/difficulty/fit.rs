//! Fitting the difficulty model: ridge regression of the strong model's gain on the
//! embedding and the standardised cues, solved in closed form (a 399 × 399 Cholesky solve;
//! milliseconds even for the whole dev set).

use super::{features, DifficultyModel, EMBEDDING_DIMS};
use nalgebra::{DMatrix, DVector};

/// One labelled prompt.
pub struct Example {
    pub text: String,
    pub embedding: Vec<f32>,
    pub weak_correct: bool,
    pub strong_correct: bool,
}

/// The penalty that ranked best out-of-fold on the dev data (tried 1–100); larger values
/// trade the embedding's topic detail for the cues' general signal.
pub const ALPHA: f32 = 30.0;

pub fn fit(examples: &[&Example], provenance: &str) -> DifficultyModel {
    let cues: Vec<[f32; features::COUNT]> = examples.iter().map(|e| features::of(&e.text)).collect();
    let n = examples.len().max(1) as f32;
    let mean: Vec<f32> = (0..features::COUNT).map(|j| cues.iter().map(|c| c[j]).sum::<f32>() / n).collect();
    let std: Vec<f32> = (0..features::COUNT).map(|j| (cues.iter().map(|c| (c[j] - mean[j]).powi(2)).sum::<f32>() / n).sqrt().max(1e-6)).collect();
    let mut model = DifficultyModel { provenance: provenance.to_owned(), alpha: ALPHA, feature_mean: mean, feature_std: std, weights: Vec::new(), quantiles: Vec::new() };
    let dims = EMBEDDING_DIMS + features::COUNT + 1;
    let rows: Vec<Vec<f32>> = examples.iter().map(|e| model.inputs(&e.text, &e.embedding)).collect();
    let x = DMatrix::from_fn(rows.len(), dims, |i, j| rows[i][j] as f64);
    let y = DVector::from_iterator(examples.len(), examples.iter().map(|e| e.strong_correct as u8 as f64 - e.weak_correct as u8 as f64));
    let mut gram = x.transpose() * &x;
    // The intercept (last column) is not penalised.
    for j in 0..dims - 1 {
        gram[(j, j)] += ALPHA as f64;
    }
    let w = gram.cholesky().expect("XᵀX + αI is positive definite").solve(&(x.transpose() * y));
    model.weights = w.iter().map(|&v| v as f32).collect();
    let mut raw: Vec<f32> = rows.iter().map(|r| r.iter().zip(&model.weights).map(|(a, b)| a * b).sum()).collect();
    raw.sort_by(f32::total_cmp);
    model.quantiles = (0..=100).map(|p| raw.get((p * raw.len().saturating_sub(1)) / 100).copied().unwrap_or(0.0)).collect();
    model
}
