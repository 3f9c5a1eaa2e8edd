//! `[compress]` and a rule's `then.compress`: which levers apply, and the budget.

use super::FieldError;
use serde::{Deserialize, Serialize};

/// Written out without its defaults, so a rule's policy reads back as it was written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CompressConfig {
    /// Keep only the parts of a long system prompt the latest user message needs.
    #[serde(skip_serializing_if = "is_false")]
    pub retrieval: bool,
    /// Drop earlier turns the latest user message does not need.
    #[serde(skip_serializing_if = "is_false")]
    pub pruning: bool,
    /// The budget as a share of the tokens of what is compressed (0–1)…
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ratio: Option<f64>,
    /// …or in tokens; with both, the smaller.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u32>,
    /// Below this many tokens (of the system prompt, or of the conversation) nothing is touched.
    #[serde(skip_serializing_if = "is_default_min")]
    pub min_tokens: u32,
    /// Pruning always keeps this many of the latest messages.
    #[serde(skip_serializing_if = "is_default_recent")]
    pub recent_messages: usize,
    /// Requests that offer tools (agents) are left alone unless this is on: not measured yet.
    #[serde(skip_serializing_if = "is_false")]
    pub with_tools: bool,
    /// Pruned turns are summarised by this model ("provider/model" or a route) and the summary
    /// sent in their place; once per pruned prefix, then reused.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary_model: Option<String>,
    /// A summary that takes longer is given up on, and the request goes out uncompressed.
    #[serde(skip_serializing_if = "is_default_timeout")]
    pub summary_timeout_secs: u64,
}

const MIN_TOKENS: u32 = 1000;
const RECENT: usize = 4;
const SUMMARY_TIMEOUT_SECS: u64 = 20;

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_default_min(n: &u32) -> bool {
    *n == MIN_TOKENS
}

fn is_default_recent(n: &usize) -> bool {
    *n == RECENT
}

fn is_default_timeout(n: &u64) -> bool {
    *n == SUMMARY_TIMEOUT_SECS
}

/// The share kept when neither `ratio` nor `max_tokens` is given.
pub const DEFAULT_RATIO: f64 = 0.25;

impl Default for CompressConfig {
    fn default() -> Self {
        CompressConfig { retrieval: false, pruning: false, ratio: None, max_tokens: None, min_tokens: MIN_TOKENS, recent_messages: RECENT, with_tools: false, summary_model: None, summary_timeout_secs: SUMMARY_TIMEOUT_SECS }
    }
}

impl CompressConfig {
    pub fn enabled(&self) -> bool {
        self.retrieval || self.pruning
    }

    /// The budget for `tokens` tokens.
    pub fn budget(&self, tokens: u32) -> u32 {
        let by_ratio = self.ratio.or(self.max_tokens.is_none().then_some(DEFAULT_RATIO)).map(|r| (tokens as f64 * r).floor() as u32);
        by_ratio.into_iter().chain(self.max_tokens).min().unwrap_or(tokens)
    }

    pub fn check(&self, at: &str) -> Result<(), FieldError> {
        let bad = |field: &str, message: &str| Err(FieldError { field: format!("{at}.{field}"), message: message.into() });
        if self.ratio.is_some_and(|r| !(r > 0.0 && r <= 1.0)) {
            return bad("ratio", "is the share of tokens kept: more than 0, at most 1");
        }
        if self.max_tokens == Some(0) {
            return bad("max_tokens", "must be at least 1");
        }
        if self.summary_model.as_ref().is_some_and(|m| m.trim().is_empty()) {
            return bad("summary_model", "name a model (\"provider/model\" or a route), or leave it out");
        }
        if self.summary_model.is_some() && !self.pruning {
            return bad("summary_model", "summarises what pruning drops; turn on `pruning` too");
        }
        if self.summary_timeout_secs == 0 {
            return bad("summary_timeout_secs", "must be at least 1");
        }
        if self.recent_messages == 0 {
            return bad("recent_messages", "must be at least 1 (the latest message always stays)");
        }
        Ok(())
    }
}
