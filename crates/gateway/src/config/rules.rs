//! `[[rules]]`, `[[intents]]` and `[[budgets]]`: the config's routing policy, as written.
//! The router compiles it (`router::rules`), and compiling is also how it is validated, so a
//! regex or glob that would fail at request time is refused when the file is loaded.

use super::{is_true, yes, RouteCacheConfig};
use serde::{Deserialize, Serialize};

/// Ordered; the first rule whose `when` matches decides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleConfig {
    /// Shown in `x-sluice-rule`, the log and the Routing page; unique.
    pub name: String,
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub enabled: bool,
    /// Every condition given must hold; none given matches every request.
    #[serde(default)]
    pub when: When,
    #[serde(default)]
    pub then: Then,
}

/// Conditions, all of which must hold. `all`, `any` and `not` nest further conditions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct When {
    /// Glob on the model name the client asked for (`gpt-4*`, `claude-*`, `auto`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    /// The API the client spoke: openai-chat, openai-responses, anthropic-messages, gemini.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_api: Option<String>,
    /// Glob on the User-Agent, case-insensitive (`claude-cli/*`, `*aider*`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client: Option<String>,
    /// Tags the request must carry in `x-sluice-tags` (comma-separated), all of them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Estimated input tokens (text length / 4): `{ min = 0, max = 2000 }`, max exclusive.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_tokens: Option<Range>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tools: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub images: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub json_schema: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stream: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<TextMatch>,
    /// The difficulty router's score, 0–1: the share of typical prompts that need the strong
    /// model less than this one. `{ min = 0.7 }` is the hardest 30 %.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub difficulty: Option<Range>,
    /// An `[[intents]]` class name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub intent: Option<String>,
    /// Local time of day, `{ from = "09:00", to = "18:00" }`; a window past midnight wraps.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<TimeWindow>,
    /// The share of a budget spent in its current period: `{ name = "daily", max = 0.5 }`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub budget: Option<BudgetUse>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub all: Vec<When>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub any: Vec<When>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not: Option<Box<When>>,
}

/// `min` inclusive, `max` exclusive; either may be left out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Range {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TextMatch {
    /// Matches when the text contains any of these, ignoring case.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub contains: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub regex: Option<String>,
    /// Which text: the last user message (default), the system prompt, or either.
    #[serde(rename = "in")]
    pub scope: TextScope,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum TextScope {
    #[default]
    User,
    System,
    Any,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TimeWindow {
    pub from: String,
    pub to: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BudgetUse {
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
}

/// What a matching rule does. Without `targets` the requested model resolves as it would
/// without the rule (a rule may only cap, tag or set the cache).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Then {
    /// "provider/model", tried in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<String>,
    /// Lowers a request's max_tokens to this (and sets it when the request has none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_tokens: Option<u64>,
    /// Lowers a request's temperature to this.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache: Option<RouteCacheConfig>,
    /// Compression for the requests this rule decides, instead of `[compress]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub compress: Option<super::CompressConfig>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout_secs: Option<u64>,
    /// Refuse the request with this message (to the client, in its API's error shape).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reject: Option<String>,
    /// Added to the request's tags in the log.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

/// A class of requests named by example prompts, usable as `when.intent`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntentConfig {
    pub name: String,
    pub examples: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BudgetConfig {
    pub name: String,
    /// USD per period.
    pub usd: f64,
    pub period: Period,
    /// Counts one provider's spend; with neither this nor `rule`, all spend.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    /// Counts the spend of requests one rule decided.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    #[serde(default)]
    pub on_exceed: OnExceed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Period {
    Day,
    Month,
}

/// At 100 %: refuse with a 429 naming the budget, or let the request go on without what the
/// budget covers (a rule's budget: the next rule decides; a provider's: its targets are
/// skipped) — "switch to a cheaper rule".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OnExceed {
    #[default]
    Reject,
    FallThrough,
}
