//! RouteLLM's routing metrics (arXiv 2406.18665 §3.2, as its `evaluate.py` computes them):
//! sort prompts by score, send the top k/10 to the strong model for k = 0..10, and read the
//! accuracy at each point as a share of the gap between the weak and the strong model (PGR).

use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct RouteMetrics {
    pub prompts: usize,
    pub weak_accuracy: f64,
    pub strong_accuracy: f64,
    /// Strong-call share needed to close 50 % / 80 % of the gap, linearly interpolated.
    pub cpt_50: f64,
    pub cpt_80: f64,
    /// Area under the PGR curve over the strong-call share (trapezoid over the 11 points).
    pub apgr: f64,
    /// (strong-call share, accuracy, PGR) at each of the 11 points.
    pub curve: Vec<(f64, f64, f64)>,
}

/// `labels` are (weak right, strong right); higher scores go to the strong model first.
pub fn route_metrics(scores: &[f32], labels: &[(bool, bool)]) -> RouteMetrics {
    let n = scores.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]));
    let acc = |f: fn(&(bool, bool)) -> bool| labels.iter().filter(|l| f(l)).count() as f64 / n.max(1) as f64;
    let (weak, strong) = (acc(|l| l.0), acc(|l| l.1));
    let gap = strong - weak;
    let curve: Vec<(f64, f64, f64)> = (0..=10)
        .map(|k| {
            let top = (n as f64 * k as f64 / 10.0).round() as usize;
            let right = order.iter().enumerate().filter(|&(rank, &i)| if rank < top { labels[i].1 } else { labels[i].0 }).count();
            let a = right as f64 / n.max(1) as f64;
            (k as f64 / 10.0, a, if gap != 0.0 { (a - weak) / gap } else { 0.0 })
        })
        .collect();
    let apgr = curve.windows(2).map(|w| (w[0].2 + w[1].2) / 2.0 * 0.1).sum();
    let cpt = |target: f64| {
        curve
            .windows(2)
            .find(|w| w[1].2 >= target)
            .map(|w| if w[0].2 >= target { w[0].0 } else { w[0].0 + (target - w[0].2) / (w[1].2 - w[0].2) * 0.1 })
            .unwrap_or(1.0)
    };
    RouteMetrics { prompts: n, weak_accuracy: weak, strong_accuracy: strong, cpt_50: cpt(0.5), cpt_80: cpt(0.8), apgr, curve }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ten prompts, worked by hand: the strong model gains on prompts 0 and 1 only, and the
    /// router ranks 0 first, 1 third. Weak 5/10, strong 7/10.
    #[test]
    fn a_hand_computed_curve() {
        let labels = [(false, true), (false, true), (true, true), (true, true), (true, true), (true, true), (false, false), (false, false), (false, false), (true, true)];
        let scores = [0.9, 0.7, 0.8, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.0];
        let m = route_metrics(&scores, &labels);
        assert_eq!((m.weak_accuracy, m.strong_accuracy), (0.5, 0.7));
        let pgr: Vec<f64> = m.curve.iter().map(|p| (p.2 * 100.0).round() / 100.0).collect();
        // Top 1: prompt 0 → 0.6; top 2 adds 2 (both right) → 0.6; top 3 adds 1 → 0.7 …
        assert_eq!(pgr, vec![0.0, 0.5, 0.5, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0]);
        assert!((m.cpt_50 - 0.1).abs() < 1e-9);
        assert!((m.cpt_80 - 0.26).abs() < 1e-9, "0.2 + (0.8 - 0.5) / (1.0 - 0.5) × 0.1");
        assert!((m.apgr - 0.85).abs() < 1e-9, "0.025 + 0.05 + 0.075 + 7 × 0.1");
    }
}
