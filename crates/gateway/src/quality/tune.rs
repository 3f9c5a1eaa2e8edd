//! How verdicts move a cache partition's semantic threshold. The policy is deliberately
//! lopsided, because a wrong hit is worse than a miss:
//! - a wrong hit raises the threshold at once, past the similarity that hit had (so the same
//!   kind of near-miss is refused next time), by at least `STEP_UP`;
//! - a run of `AGREEMENTS_TO_LOWER` agreeing verdicts in a row lowers it by `STEP_DOWN`;
//! - an "unknown" verdict (the judge failed) changes nothing;
//! - it never leaves the user's bounds.
//!
//! The live cache and `sluice eval loop` run this same code.

use serde::{Deserialize, Serialize};

/// The least a wrong hit raises the threshold by.
pub const STEP_UP: f32 = 0.01;
/// How far past a wrong hit's similarity the threshold goes.
pub const MARGIN: f32 = 0.002;
/// What a run of agreements lowers it by.
pub const STEP_DOWN: f32 = 0.005;
pub const AGREEMENTS_TO_LOWER: u32 = 10;

/// What the judge (or a person) said of one cheap answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// As good as the reference's answer.
    Agree,
    /// Worse than the reference's answer: the saving cost quality.
    Disagree,
    /// The judge failed (garbage, timeout); never moves a setting.
    Unknown,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Agree => "agree",
            Verdict::Disagree => "disagree",
            Verdict::Unknown => "unknown",
        }
    }

    pub fn parse(s: &str) -> Verdict {
        match s {
            "agree" => Verdict::Agree,
            "disagree" => Verdict::Disagree,
            _ => Verdict::Unknown,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bounds {
    pub min: f32,
    pub max: f32,
}

impl Bounds {
    pub fn of(config: &crate::config::QualityConfig) -> Bounds {
        Bounds { min: config.threshold_min as f32, max: config.threshold_max as f32 }
    }
}

/// One partition's threshold and the agreements seen since it last moved.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Partition {
    pub threshold: f32,
    pub agreements: u32,
}

impl Partition {
    pub fn new(threshold: f32) -> Partition {
        Partition { threshold, agreements: 0 }
    }

    /// Applies a verdict on a hit of `similarity` (when known); returns the new threshold and
    /// why, when it moved.
    pub fn on_verdict(&mut self, bounds: Bounds, verdict: Verdict, similarity: Option<f32>) -> Option<(f32, String)> {
        let from = self.threshold;
        let (to, reason) = match verdict {
            Verdict::Unknown => return None,
            Verdict::Disagree => {
                self.agreements = 0;
                let past = similarity.map_or(from, |s| s + MARGIN);
                let to = (from + STEP_UP).max(past).min(bounds.max);
                let why = match similarity {
                    Some(s) => format!("a wrong hit at similarity {s:.3}"),
                    None => "an answer marked wrong".to_owned(),
                };
                (to, why)
            }
            Verdict::Agree => {
                self.agreements += 1;
                if self.agreements < AGREEMENTS_TO_LOWER {
                    return None;
                }
                self.agreements = 0;
                ((from - STEP_DOWN).max(bounds.min), format!("{AGREEMENTS_TO_LOWER} agreeing verdicts in a row"))
            }
        };
        // Thresholds are kept to 4 decimals, so history and config read cleanly.
        let to = (to * 1e4).round() / 1e4;
        (to != from).then(|| {
            self.threshold = to;
            (to, reason)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOUNDS: Bounds = Bounds { min: 0.90, max: 0.97 };

    #[test]
    fn a_wrong_hit_raises_past_its_similarity_within_bounds() {
        let mut p = Partition::new(0.95);
        assert_eq!(p.on_verdict(BOUNDS, Verdict::Disagree, Some(0.951)).unwrap().0, 0.96, "at least one step");
        assert_eq!(p.on_verdict(BOUNDS, Verdict::Disagree, Some(0.965)).unwrap().0, 0.97, "past the hit, capped at the bound");
        assert_eq!(p.on_verdict(BOUNDS, Verdict::Disagree, Some(0.969)), None, "at the bound it stays");
        assert_eq!(p.threshold, 0.97);
    }

    #[test]
    fn agreements_lower_it_slowly_and_unknowns_do_nothing() {
        let mut p = Partition::new(0.905);
        for _ in 0..AGREEMENTS_TO_LOWER - 1 {
            assert_eq!(p.on_verdict(BOUNDS, Verdict::Agree, Some(0.95)), None);
            assert_eq!(p.on_verdict(BOUNDS, Verdict::Unknown, Some(0.95)), None);
        }
        assert_eq!(p.on_verdict(BOUNDS, Verdict::Agree, None).unwrap().0, 0.90);
        for _ in 0..AGREEMENTS_TO_LOWER {
            p.on_verdict(BOUNDS, Verdict::Agree, None);
        }
        assert_eq!(p.threshold, 0.90, "never below the floor");
        p.on_verdict(BOUNDS, Verdict::Agree, None);
        p.on_verdict(BOUNDS, Verdict::Disagree, None);
        assert_eq!(p.agreements, 0, "a wrong hit starts the count again");
    }
}
