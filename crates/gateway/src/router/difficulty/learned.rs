//! The difficulty router learning from verdicts. Each judged answer of a target cheaper than
//! its rule's baseline labels its prompt: the cheap answer was worse than the baseline's
//! (the prompt needed the strong model) or as good. A prompt's score is the fitted model's,
//! shifted by how its nearest labelled prompts fared against all labelled prompts: where the
//! cheap model failed on similar prompts, it scores harder. Few labels, or none close, leave
//! the fitted score alone. `sluice eval loop` measures this same code.

use crate::embed::cosine;
use std::collections::VecDeque;

/// Labelled prompts needed before any score moves.
const MIN_EXAMPLES: usize = 20;
/// Neighbours consulted, and how close one must be to count.
const NEIGHBOURS: usize = 10;
const CLOSE: f32 = 0.5;
/// How far the neighbours' surprise moves a score (scores are shares of traffic, 0–1).
const WEIGHT: f32 = 0.5;
/// The most recent prompts kept; older ones make way (traffic drifts).
pub const KEPT: usize = 5000;

#[derive(Debug, Default, Clone)]
pub struct Learned {
    /// (embedding, needed the strong model), oldest first.
    examples: VecDeque<(Vec<f32>, bool)>,
    needing: usize,
}

impl Learned {
    pub fn add(&mut self, embedding: Vec<f32>, needs_strong: bool) {
        if self.examples.len() == KEPT {
            if let Some((_, old)) = self.examples.pop_front() {
                self.needing -= usize::from(old);
            }
        }
        self.needing += usize::from(needs_strong);
        self.examples.push_back((embedding, needs_strong));
    }

    pub fn len(&self) -> usize {
        self.examples.len()
    }

    pub fn is_empty(&self) -> bool {
        self.examples.is_empty()
    }

    /// `score` (the fitted model's, 0–1) moved by the labelled neighbours of `embedding`.
    pub fn adjust(&self, score: f32, embedding: &[f32]) -> f32 {
        if self.examples.len() < MIN_EXAMPLES {
            return score;
        }
        let mut near: Vec<(f32, bool)> = self.examples.iter().map(|(e, y)| (cosine(e, embedding), *y)).filter(|(s, _)| *s >= CLOSE).collect();
        if near.is_empty() {
            return score;
        }
        near.sort_by(|a, b| b.0.total_cmp(&a.0));
        near.truncate(NEIGHBOURS);
        let weight: f32 = near.iter().map(|(s, _)| s).sum();
        let local = near.iter().map(|(s, y)| s * f32::from(u8::from(*y))).sum::<f32>() / weight;
        let prior = self.needing as f32 / self.examples.len() as f32;
        // Few neighbours say less than many.
        let trust = near.len() as f32 / NEIGHBOURS as f32;
        (score + WEIGHT * trust * (local - prior)).clamp(0.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn axis(i: usize) -> Vec<f32> {
        let mut v = vec![0.0; 4];
        v[i] = 1.0;
        v
    }

    #[test]
    fn prompts_like_those_the_cheap_model_failed_score_harder() {
        let mut l = Learned::default();
        assert_eq!(l.adjust(0.4, &axis(0)), 0.4, "nothing learned yet");
        for _ in 0..15 {
            l.add(axis(0), true);
            l.add(axis(1), false);
        }
        assert!(l.adjust(0.4, &axis(0)) > 0.6, "its neighbours all needed the strong model");
        assert!(l.adjust(0.4, &axis(1)) < 0.2);
        assert_eq!(l.adjust(0.4, &axis(2)), 0.4, "no labelled prompt is close");
        assert_eq!(l.adjust(0.95, &axis(0)), 1.0, "scores stay shares");
    }

    #[test]
    fn the_oldest_make_way() {
        let mut l = Learned::default();
        for i in 0..KEPT + 3 {
            l.add(axis(0), i < 3);
        }
        assert_eq!((l.len(), l.needing), (KEPT, 0));
    }
}
