//! A run's results: every case × target, totals per target, and which target to pick.

use super::case::Problem;
use super::judge::Preference;
use super::checks::CheckOutcome;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CaseResult {
    pub case: String,
    pub target: String,
    pub passed: bool,
    pub checks: Vec<CheckOutcome>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub latency_ms: Option<f64>,
    pub cost_usd: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub judge_score: Option<f64>,
    /// What the judge's calls for this answer cost (shown apart from the answer's).
    pub judge_usd: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub versus_reference: Option<Preference>,
}

impl CaseResult {
    pub fn new(case: &str, target: &str) -> CaseResult {
        CaseResult { case: case.into(), target: target.into(), passed: false, checks: Vec::new(), answer: None, error: None, latency_ms: None, cost_usd: 0.0, judge_score: None, judge_usd: 0.0, versus_reference: None }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TargetTotals {
    pub target: String,
    /// Cases run, the suite's unreadable lines counted as failed.
    pub cases: usize,
    pub passed: usize,
    pub pass_rate: f64,
    /// Wilson 95 % interval of the pass rate.
    pub pass_rate_low: f64,
    pub pass_rate_high: f64,
    pub judge_mean: Option<f64>,
    pub usd_per_1000: f64,
    pub judge_usd: f64,
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    /// Wins, losses and ties against the reference target, when there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub versus_reference: Option<[usize; 3]>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Recommendation {
    pub target: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub suite: String,
    pub totals: Vec<TargetTotals>,
    pub recommendation: Option<Recommendation>,
    pub problems: Vec<Problem>,
    pub results: Vec<CaseResult>,
}

impl Report {
    pub fn new(suite: &str, results: Vec<CaseResult>, targets: &[String], problems: Vec<Problem>, margin: f64) -> Report {
        let totals: Vec<TargetTotals> = targets.iter().map(|t| totals(t, results.iter().filter(|r| &r.target == t).collect(), problems.len())).collect();
        Report { suite: suite.into(), recommendation: recommend(&totals, margin), totals, problems, results }
    }
}

fn totals(target: &str, rows: Vec<&CaseResult>, unreadable: usize) -> TargetTotals {
    let cases = rows.len() + unreadable;
    let passed = rows.iter().filter(|r| r.passed).count();
    let (low, high) = wilson(passed, cases);
    let scores: Vec<f64> = rows.iter().filter_map(|r| r.judge_score).collect();
    let mut latencies: Vec<f64> = rows.iter().filter_map(|r| r.latency_ms).collect();
    latencies.sort_by(f64::total_cmp);
    let answered = rows.iter().filter(|r| r.error.is_none()).count().max(1);
    let versus = rows.iter().filter_map(|r| r.versus_reference).fold(None, |acc: Option<[usize; 3]>, p| {
        let mut n = acc.unwrap_or([0; 3]);
        n[p as usize] += 1;
        Some(n)
    });
    TargetTotals {
        target: target.into(),
        cases,
        passed,
        pass_rate: if cases > 0 { passed as f64 / cases as f64 } else { 0.0 },
        pass_rate_low: low,
        pass_rate_high: high,
        judge_mean: (!scores.is_empty()).then(|| scores.iter().sum::<f64>() / scores.len() as f64),
        usd_per_1000: rows.iter().map(|r| r.cost_usd).sum::<f64>() / answered as f64 * 1000.0,
        judge_usd: rows.iter().map(|r| r.judge_usd).sum(),
        p50_ms: percentile(&latencies, 0.50),
        p95_ms: percentile(&latencies, 0.95),
        versus_reference: versus,
    }
}

/// A target whose pass rate fell since its previous finished run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Fall {
    pub target: String,
    pub run: i64,
    pub previous_run: i64,
    pub pass_rate: f64,
    pub previous_pass_rate: f64,
}

/// For each target of the latest finished run, a fall from that target's previous finished
/// run. `runs` oldest first: (run id, its totals).
pub fn falls(runs: &[(i64, &[TargetTotals])]) -> Vec<Fall> {
    let Some(((run, latest), earlier)) = runs.split_last() else { return Vec::new() };
    latest
        .iter()
        .filter_map(|now| {
            let (previous_run, before) = earlier.iter().rev().find_map(|(id, totals)| Some((*id, totals.iter().find(|t| t.target == now.target)?)))?;
            (now.pass_rate < before.pass_rate - 1e-9).then(|| Fall { target: now.target.clone(), run: *run, previous_run, pass_rate: now.pass_rate, previous_pass_rate: before.pass_rate })
        })
        .collect()
}

/// The cheapest target whose pass rate is within `margin` of the best one's.
fn recommend(totals: &[TargetTotals], margin: f64) -> Option<Recommendation> {
    let best = totals.iter().map(|t| t.pass_rate).fold(f64::NAN, f64::max);
    let pick = totals.iter().filter(|t| t.pass_rate >= best - margin - 1e-9).min_by(|a, b| a.usd_per_1000.total_cmp(&b.usd_per_1000))?;
    Some(Recommendation {
        target: pick.target.clone(),
        reason: format!("the cheapest (${:.4} per 1,000 cases) within {:.0} points of the best pass rate ({:.0} % vs {:.0} %)", pick.usd_per_1000, margin * 100.0, pick.pass_rate * 100.0, best * 100.0),
    })
}

/// Wilson score interval at 95 %: sensible at 0 %, 100 % and for small suites.
pub(crate) fn wilson(k: usize, n: usize) -> (f64, f64) {
    if n == 0 {
        return (0.0, 1.0);
    }
    let (z, n, p) = (1.96f64, n as f64, k as f64 / n as f64);
    let centre = (p + z * z / (2.0 * n)) / (1.0 + z * z / n);
    let half = z * ((p * (1.0 - p) + z * z / (4.0 * n)) / n).sqrt() / (1.0 + z * z / n);
    ((centre - half).max(0.0), (centre + half).min(1.0))
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[f64], q: f64) -> Option<f64> {
    let i = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len().max(1)) - 1;
    sorted.get(i).copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wilson_matches_the_textbook() {
        let (lo, hi) = wilson(8, 10);
        assert!((lo - 0.4902).abs() < 1e-3 && (hi - 0.9433).abs() < 1e-3, "{lo} {hi}");
        assert_eq!(wilson(0, 0), (0.0, 1.0));
        assert!(wilson(10, 10).1 <= 1.0 && wilson(0, 10).0 >= 0.0);
    }

    #[test]
    fn recommends_the_cheapest_within_the_margin() {
        let t = |name: &str, rate: f64, usd: f64| TargetTotals { target: name.into(), cases: 10, passed: 0, pass_rate: rate, pass_rate_low: 0.0, pass_rate_high: 1.0, judge_mean: None, usd_per_1000: usd, judge_usd: 0.0, p50_ms: None, p95_ms: None, versus_reference: None };
        let totals = [t("big", 0.95, 10.0), t("mid", 0.92, 2.0), t("small", 0.80, 0.5)];
        assert_eq!(recommend(&totals, 0.05).unwrap().target, "mid");
        assert_eq!(recommend(&totals, 0.0).unwrap().target, "big");
        assert_eq!(percentile(&[1.0, 2.0, 3.0, 4.0], 0.5), Some(2.0));
        assert_eq!(percentile(&[], 0.5), None);
    }

    #[test]
    fn a_fall_is_against_the_targets_own_previous_run() {
        let t = |name: &str, rate: f64| TargetTotals { target: name.into(), cases: 10, passed: 0, pass_rate: rate, pass_rate_low: 0.0, pass_rate_high: 1.0, judge_mean: None, usd_per_1000: 0.0, judge_usd: 0.0, p50_ms: None, p95_ms: None, versus_reference: None };
        let (first, second, third) = ([t("a", 0.9), t("b", 0.5)], [t("a", 0.95)], [t("a", 0.8), t("b", 0.6), t("c", 0.1)]);
        let found = falls(&[(1, &first), (2, &second), (3, &third)]);
        assert_eq!(found, [Fall { target: "a".into(), run: 3, previous_run: 2, pass_rate: 0.8, previous_pass_rate: 0.95 }], "b rose since run 1; c is new");
        assert!(falls(&[]).is_empty());
    }
}
