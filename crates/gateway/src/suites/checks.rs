//! What a suite case asks of an answer. Every kind but the judge is decided here, locally;
//! the judge's rubric is graded by a model (`judge`).

use regex::Regex;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// As written in a suite file: `{"contains": "Paris"}`, `{"max_latency_ms": 2000}`, …
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum CheckSpec {
    /// The whole answer, trimmed.
    Equals(String),
    /// Anywhere in the answer, ignoring case.
    Contains(String),
    Regex(String),
    /// The answer parses as JSON (a ```json fence around it is allowed).
    ValidJson(bool),
    JsonSchema(Value),
    MaxLatencyMs(u64),
    MaxCostUsd(f64),
    /// Graded by the judge model: passes at `min_score` (0–1, default 0.7) or above.
    Judge {
        rubric: String,
        #[serde(default = "default_min_score", skip_serializing_if = "is_default_min_score")]
        min_score: f64,
    },
}

const DEFAULT_MIN_SCORE: f64 = 0.7;

fn default_min_score() -> f64 {
    DEFAULT_MIN_SCORE
}

fn is_default_min_score(score: &f64) -> bool {
    *score == DEFAULT_MIN_SCORE
}

/// A check ready to run.
pub enum Check {
    Equals(String),
    Contains(String),
    Regex(Regex),
    ValidJson,
    JsonSchema(Box<jsonschema::Validator>),
    MaxLatencyMs(u64),
    MaxCostUsd(f64),
    Judge { rubric: String, min_score: f64 },
}

/// What one check made of one answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CheckOutcome {
    pub check: String,
    pub passed: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

/// The answer and what it took.
pub struct Answer<'a> {
    pub text: &'a str,
    pub latency_ms: f64,
    pub cost_usd: f64,
}

impl Check {
    /// Compiles a spec; `Err` says what is wrong with it (the caller names the field).
    pub fn compile(spec: &CheckSpec) -> Result<Check, String> {
        Ok(match spec {
            CheckSpec::Equals(s) => Check::Equals(s.trim().to_owned()),
            CheckSpec::Contains(s) if s.is_empty() => return Err("an empty text is in every answer; give the text to look for".into()),
            CheckSpec::Contains(s) => Check::Contains(s.to_lowercase()),
            CheckSpec::Regex(r) => Check::Regex(Regex::new(r).map_err(|e| format!("does not compile: {e}"))?),
            CheckSpec::ValidJson(false) => return Err("`valid_json: false` checks nothing; remove it".into()),
            CheckSpec::ValidJson(true) => Check::ValidJson,
            CheckSpec::JsonSchema(schema) => Check::JsonSchema(Box::new(jsonschema::validator_for(schema).map_err(|e| format!("is not a valid JSON schema: {e}"))?)),
            CheckSpec::MaxLatencyMs(ms) => Check::MaxLatencyMs(*ms),
            CheckSpec::MaxCostUsd(usd) if !usd.is_finite() || *usd < 0.0 => return Err("give a cost in USD ≥ 0".into()),
            CheckSpec::MaxCostUsd(usd) => Check::MaxCostUsd(*usd),
            CheckSpec::Judge { rubric, .. } if rubric.trim().is_empty() => return Err("give the judge a rubric: what a good answer does".into()),
            CheckSpec::Judge { min_score, .. } if !(0.0..=1.0).contains(min_score) => return Err("min_score is 0–1".into()),
            CheckSpec::Judge { rubric, min_score } => Check::Judge { rubric: rubric.clone(), min_score: *min_score },
        })
    }

    pub fn name(&self) -> String {
        match self {
            Check::Equals(s) => format!("equals {s:?}"),
            Check::Contains(s) => format!("contains {s:?}"),
            Check::Regex(r) => format!("matches /{r}/"),
            Check::ValidJson => "valid JSON".into(),
            Check::JsonSchema(_) => "matches the JSON schema".into(),
            Check::MaxLatencyMs(ms) => format!("within {ms} ms"),
            Check::MaxCostUsd(usd) => format!("costs at most ${usd}"),
            Check::Judge { min_score, .. } => format!("judge scores ≥ {min_score}"),
        }
    }

    /// The local verdict; `None` for the judge, which a model decides.
    pub fn run(&self, a: &Answer) -> Option<CheckOutcome> {
        let (passed, detail) = match self {
            Check::Equals(s) => (a.text.trim() == s, None),
            Check::Contains(s) => (a.text.to_lowercase().contains(s), None),
            Check::Regex(r) => (r.is_match(a.text), None),
            Check::ValidJson => match parse_json(a.text) {
                Ok(_) => (true, None),
                Err(e) => (false, Some(e)),
            },
            Check::JsonSchema(v) => match parse_json(a.text) {
                Ok(value) => match v.iter_errors(&value).next() {
                    None => (true, None),
                    Some(e) => (false, Some(format!("{e} (at {})", e.instance_path()))),
                },
                Err(e) => (false, Some(e)),
            },
            Check::MaxLatencyMs(ms) => (a.latency_ms <= *ms as f64, Some(format!("{:.0} ms", a.latency_ms))),
            Check::MaxCostUsd(usd) => (a.cost_usd <= *usd, Some(format!("${:.6}", a.cost_usd))),
            Check::Judge { .. } => return None,
        };
        Some(CheckOutcome { check: self.name(), passed, detail })
    }
}

/// The answer as JSON, allowing the ```json fence models like to add.
fn parse_json(text: &str) -> Result<Value, String> {
    let t = text.trim();
    let inner = t.strip_prefix("```json").or_else(|| t.strip_prefix("```")).and_then(|r| r.strip_suffix("```")).unwrap_or(t);
    serde_json::from_str(inner.trim()).map_err(|e| format!("not JSON: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn verdict(spec: Value, text: &str, latency_ms: f64, cost_usd: f64) -> bool {
        let check = Check::compile(&serde_json::from_value(spec).unwrap()).unwrap();
        check.run(&Answer { text, latency_ms, cost_usd }).unwrap().passed
    }

    #[test]
    fn each_kind_decides() {
        assert!(verdict(json!({"equals": "Paris"}), " Paris\n", 0.0, 0.0));
        assert!(!verdict(json!({"equals": "Paris"}), "Paris, France", 0.0, 0.0));
        assert!(verdict(json!({"contains": "paris"}), "It is PARIS.", 0.0, 0.0));
        assert!(verdict(json!({"regex": "^\\d{4}$"}), "1889", 0.0, 0.0));
        assert!(!verdict(json!({"regex": "^\\d{4}$"}), "in 1889", 0.0, 0.0));
        assert!(verdict(json!({"valid_json": true}), "```json\n{\"a\": 1}\n```", 0.0, 0.0));
        assert!(!verdict(json!({"valid_json": true}), "{a: 1}", 0.0, 0.0));
        let schema = json!({"json_schema": {"type": "object", "required": ["city"], "properties": {"city": {"type": "string"}}}});
        assert!(verdict(schema.clone(), "{\"city\": \"Paris\"}", 0.0, 0.0));
        assert!(!verdict(schema, "{\"city\": 3}", 0.0, 0.0));
        assert!(verdict(json!({"max_latency_ms": 100}), "", 99.0, 0.0));
        assert!(!verdict(json!({"max_latency_ms": 100}), "", 101.0, 0.0));
        assert!(!verdict(json!({"max_cost_usd": 0.001}), "", 0.0, 0.002));
    }

    #[test]
    fn bad_checks_say_what_is_wrong() {
        let err = |spec: Value| Check::compile(&serde_json::from_value(spec).unwrap()).err().unwrap();
        assert!(err(json!({"regex": "(("})).contains("does not compile"));
        assert!(err(json!({"json_schema": {"type": 12}})).contains("not a valid JSON schema"));
        assert!(err(json!({"judge": {"rubric": " "}})).contains("rubric"));
        assert!(serde_json::from_value::<CheckSpec>(json!({"containz": "x"})).is_err());
    }
}
