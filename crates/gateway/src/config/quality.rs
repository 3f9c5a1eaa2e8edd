//! `[quality]`: how much of the cheap traffic is checked against a reference, by which judge,
//! for how much a day, and the bounds within which verdicts may move semantic thresholds.

use super::FieldError;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct QualityConfig {
    /// The model that compares a cheap answer with the reference's ("provider/model" or a
    /// route). Without one nothing is sampled: there is no one to grade.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub judge: Option<String>,
    /// The share (0–1) of semantic hits, answers from a target cheaper than the rule's baseline,
    /// and compressed requests that are asked again of the reference and judged.
    pub sample: f64,
    /// What sampling (the reference's answers and the judge) may spend in a UTC day.
    pub daily_cap_usd: f64,
    /// A rule, target or partition whose agreement falls below this is flagged on the Quality page.
    pub floor: f64,
    /// Whether verdicts move semantic thresholds (within `threshold_min`–`threshold_max`).
    pub tune: bool,
    pub threshold_min: f64,
    pub threshold_max: f64,
}

impl Default for QualityConfig {
    fn default() -> Self {
        QualityConfig { judge: None, sample: 0.02, daily_cap_usd: 0.50, floor: 0.90, tune: true, threshold_min: 0.90, threshold_max: 0.99 }
    }
}

impl QualityConfig {
    /// The judge, when sampling can happen at all.
    pub fn sampling(&self) -> Option<&str> {
        self.judge.as_deref().filter(|_| self.sample > 0.0 && self.daily_cap_usd > 0.0)
    }

    pub fn check(&self) -> Result<(), FieldError> {
        let bad = |field: &str, message: &str| Err(FieldError { field: format!("quality.{field}"), message: message.into() });
        if self.judge.as_ref().is_some_and(|j| j.trim().is_empty()) {
            return bad("judge", "name a model (\"provider/model\" or a route), or leave it out to switch sampling off");
        }
        if !(0.0..=1.0).contains(&self.sample) {
            return bad("sample", "is the share of eligible answers checked: 0 to 1 (0.02 = 2 %)");
        }
        if !(self.daily_cap_usd.is_finite() && self.daily_cap_usd >= 0.0) {
            return bad("daily_cap_usd", "must be an amount ≥ 0 in USD");
        }
        if !(0.0..=1.0).contains(&self.floor) {
            return bad("floor", "is an agreement rate: 0 to 1");
        }
        if !super::THRESHOLDS.contains(&self.threshold_min) {
            return bad("threshold_min", &format!("must be within {}", super::THRESHOLD_HINT));
        }
        if !super::THRESHOLDS.contains(&self.threshold_max) || self.threshold_max < self.threshold_min {
            return bad("threshold_max", &format!("must be within {} and at least threshold_min", super::THRESHOLD_HINT));
        }
        Ok(())
    }
}
