//! The config file (TOML): its shape, defaults and validation.
//!
//! Keys never live here: a provider names the env var (or, in the desktop app, the keychain
//! entry) its key comes from. Validation errors name the field (`routes[1].targets[0]`) and say
//! what to write instead, because a person reads them after a hand edit.

mod compress;
mod quality;
mod file;
mod presets;
mod rules;

pub use compress::CompressConfig;
pub use quality::QualityConfig;
pub use file::{edit_in_place, load_file, write_atomic, ConfigWatcher, LoadError, WATCH_INTERVAL};
pub use presets::{preset, Preset, PRESETS};
pub use rules::{BudgetConfig, BudgetUse, IntentConfig, OnExceed, Period, Range, RuleConfig, TextMatch, TextScope, Then, TimeWindow, When};

use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::net::SocketAddr;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[derive(Default)]
pub struct Config {
    pub server: ServerConfig,
    pub providers: Vec<ProviderConfig>,
    pub routes: Vec<RouteConfig>,
    pub rules: Vec<RuleConfig>,
    pub intents: Vec<IntentConfig>,
    pub budgets: Vec<BudgetConfig>,
    pub prices: Vec<PriceConfig>,
    pub cache: CacheConfig,
    pub compress: CompressConfig,
    pub quality: QualityConfig,
    pub router: RouterConfig,
    pub log: LogConfig,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    pub listen: SocketAddr,
    /// Host names accepted besides loopback ones (for a server behind a name of its own).
    pub allowed_hosts: Vec<String>,
    /// Browser origins accepted besides the UI's own.
    pub allowed_origins: Vec<String>,
    pub max_body_bytes: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProviderKind {
    Openai,
    OpenaiCompatible,
    Anthropic,
    Gemini,
    /// Azure OpenAI: deployments under `base_url` (`https://NAME.openai.azure.com/openai`),
    /// the key in `api-key`, and an `api_version`.
    Azure,
}

/// The Azure OpenAI API version used when a provider names none (the latest GA one).
pub const AZURE_API_VERSION: &str = "2024-10-21";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProviderConfig {
    pub id: String,
    /// Defaults to the preset named by `id`, else `openai-compatible`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<ProviderKind>,
    /// Defaults to the preset's URL when `id` names a preset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// Env var holding the key; defaults to the preset's. Local servers need none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_key_env: Option<String>,
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub enabled: bool,
    /// Models to list in `/v1/models` even when the upstream cannot list them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub models: Vec<String>,
    /// Azure OpenAI only: the `api-version` query parameter (default `AZURE_API_VERSION`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteConfig {
    pub model: String,
    pub targets: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_secs: Option<u64>,
    /// Per-route cache settings; unset fields follow `[cache]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache: Option<RouteCacheConfig>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteCacheConfig {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exact: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl_secs: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub semantic: Option<bool>,
    /// Minimum cosine similarity for a semantic hit on this route.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceConfig {
    pub model: String,
    pub input: f64,
    pub output: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cached_input: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_write: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_input: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_output: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CacheConfig {
    pub exact: bool,
    pub semantic: bool,
    /// 0 = no expiry.
    pub ttl_secs: u64,
    /// Requests sampled hotter than this want variety, so they bypass the cache.
    pub max_temperature: f64,
    /// `n > 1` asks for several different samples; replaying one set defeats that by default.
    pub cache_multiple_choices: bool,
    /// Minimum cosine similarity of two questions for a semantic hit (then the checks run).
    /// f64 like every number in the file: an f32 would print as 0.9800000190734863.
    pub threshold: f64,
    /// The embedding model's folder; `SLUICE_EMBED_MODEL_DIR` overrides it, and without
    /// either Sluice looks in `<data dir>/models/all-MiniLM-L6-v2`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub embed_model_dir: Option<std::path::PathBuf>,
    /// A provider's embedding model ("provider/model", e.g. "ollama/nomic-embed-text") instead
    /// of the local one. Thresholds were calibrated on the local model; re-check them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub embedder: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RouterConfig {
    /// Per attempt, until the first byte of the answer, for routes without `timeout_secs`
    /// and for models addressed directly.
    pub timeout_secs: u64,
    /// Consecutive failures that open a target's circuit.
    pub failure_threshold: u32,
    pub cooldown_secs: u64,
    /// A `Retry-After` up to this long is waited out on the last target; longer ones fail over.
    pub max_retry_after_secs: u64,
    /// A stream whose upstream sends no event for this long is ended with an error (the client
    /// gets keep-alives meanwhile); an upstream that trickles bytes without events counts as
    /// silent.
    pub stream_idle_secs: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// Keep request and response bodies in the request log.
    pub store_bodies: bool,
    /// Requests older than this are deleted from the log; 0 keeps them forever.
    pub retention_days: u32,
}

impl Default for LogConfig {
    fn default() -> Self {
        LogConfig { store_bodies: false, retention_days: 90 }
    }
}

impl ProviderConfig {
    /// The env var the key comes from when the keychain has none: configured, else the preset's.
    pub fn key_env(&self) -> Option<&str> {
        self.api_key_env.as_deref().or_else(|| preset(&self.id).and_then(|p| p.key_env))
    }
}

fn yes() -> bool {
    true
}
fn is_true(b: &bool) -> bool {
    *b
}

/// Semantic thresholds that make sense: below 0.5 nearly anything "matches".
pub(crate) const THRESHOLDS: std::ops::RangeInclusive<f64> = 0.5..=1.0;
pub(crate) const THRESHOLD_HINT: &str = "0.5–1 (the cosine similarity two questions need; 0.95 is the default)";

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8990";

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            listen: DEFAULT_LISTEN.parse().expect("valid default address"),
            allowed_hosts: vec![],
            allowed_origins: vec![],
            max_body_bytes: 32 * 1024 * 1024,
        }
    }
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig {
            exact: true,
            semantic: true,
            ttl_secs: 0,
            max_temperature: 1.0,
            cache_multiple_choices: false,
            threshold: crate::cache::semantic::DEFAULT_THRESHOLD,
            embed_model_dir: None,
            embedder: None,
        }
    }
}

impl Default for RouterConfig {
    fn default() -> Self {
        RouterConfig { timeout_secs: 60, failure_threshold: 3, cooldown_secs: 30, max_retry_after_secs: 2, stream_idle_secs: 300 }
    }
}



/// A config problem: which field, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

fn bad(field: impl Into<String>, message: impl Into<String>) -> FieldError {
    FieldError { field: field.into(), message: message.into() }
}

impl Config {
    /// The config used when no file exists: every preset whose key env var is set (or its
    /// alternative, which the provider then reads its key from).
    pub fn from_env() -> Config {
        let set = |var: &&str| std::env::var_os(var).is_some_and(|v| !v.is_empty());
        let providers = PRESETS
            .iter()
            .filter_map(|p| match (p.key_env.filter(set), p.alt_key_env.filter(set)) {
                (Some(_), _) => Some((p, None)),
                (None, Some(alt)) => Some((p, Some(alt.to_owned()))),
                (None, None) => None,
            })
            .map(|(p, api_key_env)| ProviderConfig {
                id: p.id.to_string(),
                kind: None,
                base_url: None,
                api_key_env,
                enabled: true,
                models: vec![],
                api_version: None,
            })
            .collect();
        Config { providers, ..Config::default() }
    }

    pub fn parse_toml(text: &str) -> Result<Config, FieldError> {
        let config: Config = toml::from_str(text).map_err(|e| {
            let field = e.span().map(|s| field_at(text, s.start)).unwrap_or_else(|| "file".into());
            bad(field, e.message().to_string())
        })?;
        config.validate()?;
        Ok(config)
    }

    pub fn parse_json(bytes: &[u8]) -> Result<Config, FieldError> {
        let de = &mut serde_json::Deserializer::from_slice(bytes);
        let config: Config = serde_path_to_error::deserialize(de).map_err(|e| {
            let path = e.path().to_string();
            bad(if path == "." { "body".into() } else { path }, e.inner().to_string())
        })?;
        config.validate()?;
        Ok(config)
    }

    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).expect("config always serializes to TOML")
    }

    /// Everything serde cannot check: references between sections, URLs, ranges.
    pub fn validate(&self) -> Result<(), FieldError> {
        if self.server.max_body_bytes < 1024 {
            return Err(bad("server.max_body_bytes", "must be at least 1024 bytes"));
        }
        let mut ids = HashSet::new();
        for (i, p) in self.providers.iter().enumerate() {
            let at = |f: &str| format!("providers[{i}].{f}");
            if p.id.is_empty() || !p.id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
                return Err(bad(at("id"), format!("`{}` must be non-empty and use only letters, digits, `-` and `_`", p.id)));
            }
            if !ids.insert(p.id.as_str()) {
                return Err(bad(at("id"), format!("`{}` is used by two providers; ids must be unique", p.id)));
            }
            match (&p.base_url, preset(&p.id)) {
                (Some(url), _) => check_url(url).map_err(|m| bad(at("base_url"), m))?,
                (None, Some(_)) => {}
                (None, None) => {
                    return Err(bad(at("base_url"), format!("missing: `{}` is not a preset ({}), so it needs a base_url", p.id, preset_names())))
                }
            }
            let kind = p.kind.or(preset(&p.id).map(|x| x.kind));
            match (&p.api_version, kind) {
                (Some(v), Some(ProviderKind::Azure)) if v.is_empty() || !v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') => {
                    return Err(bad(at("api_version"), "must look like 2024-10-21 (or 2025-04-01-preview)"));
                }
                (Some(_), Some(ProviderKind::Azure)) | (None, _) => {}
                (Some(_), _) => return Err(bad(at("api_version"), "only Azure OpenAI providers (kind = \"azure\") take an api_version")),
            }
            if kind == Some(ProviderKind::Azure) && p.base_url.is_none() {
                return Err(bad(at("base_url"), "an Azure OpenAI provider needs its resource's base_url, like https://NAME.openai.azure.com/openai"));
            }
            if let Some(var) = &p.api_key_env {
                if var.is_empty() || var.contains('=') || var.starts_with("sk-") {
                    return Err(bad(at("api_key_env"), "must be the *name* of an env var (like OPENAI_API_KEY), never the key itself"));
                }
            }
        }
        let mut names = HashSet::new();
        for (i, r) in self.routes.iter().enumerate() {
            if r.model.is_empty() {
                return Err(bad(format!("routes[{i}].model"), "must not be empty"));
            }
            if !names.insert(r.model.as_str()) {
                return Err(bad(format!("routes[{i}].model"), format!("`{}` is routed twice; merge the two routes", r.model)));
            }
            if r.targets.is_empty() {
                return Err(bad(format!("routes[{i}].targets"), "needs at least one \"provider/model\" target"));
            }
            crate::router::check_targets(&r.targets, &format!("routes[{i}].targets"), &ids.iter().copied().collect::<Vec<_>>())?;
            if r.timeout_secs == Some(0) {
                return Err(bad(format!("routes[{i}].timeout_secs"), "must be at least 1"));
            }
            crate::router::check_cache(r.cache.as_ref(), &format!("routes[{i}].cache"))?;
        }
        self.validate_policy(&ids)?;
        for (i, p) in self.prices.iter().enumerate() {
            for (name, v) in [("input", Some(p.input)), ("output", Some(p.output)), ("cached_input", p.cached_input),
                ("cache_write", p.cache_write), ("batch_input", p.batch_input), ("batch_output", p.batch_output)]
            {
                if v.is_some_and(|v| !v.is_finite() || v < 0.0) {
                    return Err(bad(format!("prices[{i}].{name}"), "must be a price ≥ 0 in USD per 1M tokens"));
                }
            }
        }
        if !(0.0..=2.0).contains(&self.cache.max_temperature) {
            return Err(bad("cache.max_temperature", "must be between 0 and 2"));
        }
        if let Some(e) = &self.cache.embedder {
            match e.split_once('/') {
                Some((provider, model)) if ids.contains(provider) && !model.is_empty() => {}
                _ => return Err(bad("cache.embedder", format!("`{e}` must be \"provider/model\" with a configured provider, e.g. \"ollama/nomic-embed-text\""))),
            }
        }
        self.compress.check("compress")?;
        self.quality.check()?;
        if !THRESHOLDS.contains(&self.cache.threshold) {
            return Err(bad("cache.threshold", format!("{} is outside {THRESHOLD_HINT}", self.cache.threshold)));
        }
        if self.router.timeout_secs == 0 {
            return Err(bad("router.timeout_secs", "must be at least 1"));
        }
        if self.router.stream_idle_secs == 0 {
            return Err(bad("router.stream_idle_secs", "must be at least 1"));
        }
        if self.router.failure_threshold == 0 {
            return Err(bad("router.failure_threshold", "must be at least 1"));
        }
        Ok(())
    }
}

impl Config {
    /// Intents, budgets and rules (rules compile against both).
    fn validate_policy(&self, providers: &HashSet<&str>) -> Result<(), FieldError> {
        let mut seen = HashSet::new();
        for (i, intent) in self.intents.iter().enumerate() {
            if intent.name.trim().is_empty() || !seen.insert(intent.name.as_str()) {
                return Err(bad(format!("intents[{i}].name"), format!("`{}` must be non-empty and unique", intent.name)));
            }
            if intent.examples.iter().filter(|e| !e.trim().is_empty()).count() < 2 {
                return Err(bad(format!("intents[{i}].examples"), "give at least two example prompts of this kind"));
            }
        }
        let mut seen = HashSet::new();
        for (i, b) in self.budgets.iter().enumerate() {
            let at = |f: &str| format!("budgets[{i}].{f}");
            if b.name.trim().is_empty() || !seen.insert(b.name.as_str()) {
                return Err(bad(at("name"), format!("`{}` must be non-empty and unique", b.name)));
            }
            if !b.usd.is_finite() || b.usd < 0.0 {
                return Err(bad(at("usd"), format!("{} is not a budget; give USD ≥ 0 per {}", b.usd, if b.period == Period::Day { "day" } else { "month" })));
            }
            match (&b.provider, &b.rule) {
                (Some(_), Some(_)) => return Err(bad(at("rule"), "a budget counts one provider's spend or one rule's, not both; make two budgets")),
                (Some(p), None) if !providers.contains(p.as_str()) => return Err(bad(at("provider"), format!("no provider has id `{p}`"))),
                (None, Some(r)) if !self.rules.iter().any(|x| &x.name == r) => return Err(bad(at("rule"), format!("no rule is named `{r}`"))),
                (None, None) if b.on_exceed == OnExceed::FallThrough => {
                    return Err(bad(at("on_exceed"), "a budget over all spend has nothing to fall through to; use \"reject\", or give it a provider or a rule"))
                }
                _ => {}
            }
        }
        crate::router::Rules::compile(self).map(drop)
    }
}

fn check_url(url: &str) -> Result<(), String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("`{url}` is not a URL ({e})"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(format!("`{url}` must start with http:// or https://"));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() || parsed.query().is_some() {
        return Err("must not carry credentials or a query string; keys belong in api_key_env".into());
    }
    Ok(())
}

fn preset_names() -> String {
    PRESETS.iter().map(|p| p.id).collect::<Vec<_>>().join(", ")
}

/// Names the TOML key at a byte offset as `[section] key (line N)`, since toml's own errors
/// point at the value and a person fixing the file thinks in keys.
fn field_at(text: &str, offset: usize) -> String {
    let before = &text[..offset.min(text.len())];
    let line_no = before.matches('\n').count() + 1;
    let line = text.lines().nth(line_no - 1).unwrap_or("");
    let key = line.split_once('=').map(|(k, _)| k.trim()).filter(|k| !k.is_empty() && !k.starts_with('['));
    let section = before.lines().rev().map(str::trim).find(|l| l.starts_with('['));
    match (section, key) {
        (Some(s), Some(k)) => format!("{s} {k} (line {line_no})"),
        (None, Some(k)) => format!("{k} (line {line_no})"),
        (Some(_), None) if line.trim_start().starts_with('[') => format!("{} (line {line_no})", line.trim()),
        (Some(s), None) => format!("{s} (line {line_no})"),
        (None, None) => format!("line {line_no}"),
    }
}

#[cfg(test)]
mod tests;
