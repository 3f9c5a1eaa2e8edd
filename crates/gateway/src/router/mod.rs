//! Which upstream targets serve a request, in what order, and how they are tried: rules
//! (`rules`), the difficulty router (`difficulty`), budgets, fallbacks and health.

mod budget;
pub mod difficulty;
mod fallback;
mod health;
mod intent;
pub mod rules;

pub use budget::{BudgetState, Budgets, Cost, Scope, Spend};
pub use fallback::{call_chat, Answer, Ask, Served};
pub use health::{Health, TargetHealth};
pub use intent::{Intent, Intents};
pub use rules::{check_cache, check_targets, Rule, Rules, DEFAULT_RULE, ROUTE_PREFIX};

use crate::cache::semantic::SemanticSettings;
use crate::cache::CachePolicy;
use crate::config::{Config, RouteCacheConfig, Then};
use crate::pricing::PriceTable;
use std::fmt;
use std::time::Duration;

/// One upstream model on one configured provider.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Target {
    pub provider: String,
    pub model: String,
}

impl Target {
    fn parse(spec: &str) -> Option<Target> {
        let (provider, model) = spec.split_once('/')?;
        (!provider.is_empty() && !model.is_empty()).then(|| Target { provider: provider.into(), model: model.into() })
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.provider, self.model)
    }
}

/// What a requested model name resolved to.
#[derive(Debug, Clone)]
pub struct Route {
    /// Tried in order.
    pub targets: Vec<Target>,
    /// What the call would have used without Sluice, for savings: the route's first target.
    pub baseline: Target,
    pub timeout: Duration,
    pub cache: CachePolicy,
    /// Names the resolution in the cache key, so changing a route never reuses old answers.
    pub identity: String,
    /// The rule that decided it (`route:<model>` for a `[[routes]]` entry, else `default`).
    pub rule: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    #[error("model `{model}` is not a route or a \"provider/model\" name, and no provider is configured; add a [[providers]] entry or set a key such as OPENAI_API_KEY")]
    NoProviders { model: String },
    #[error("provider `{provider}` is disabled; enable it in the config or use another provider")]
    Disabled { provider: String },
    #[error("rule `{rule}` has no enabled target; enable one of its providers")]
    NoEnabledTarget { rule: String },
    #[error("rule `{rule}`'s targets are all on providers whose budget is used up ({budgets}); raise the budget or add a target on another provider")]
    BudgetsUsedUp { rule: String, budgets: String },
}

/// The routing policy built from one config.
pub struct Routes {
    pub rules: Rules,
    /// Enabled provider ids in config order.
    enabled: Vec<String>,
    /// Model-name prefixes and the enabled provider of their vendor's API that serves them
    /// (`claude-` → the first Anthropic provider), in config order.
    vendors: Vec<(&'static str, String)>,
    disabled: Vec<String>,
    default_timeout: Duration,
    cache: CachePolicy,
    /// `[cache] threshold`, for routes that switch semantic caching on themselves.
    threshold: f64,
}

impl Routes {
    pub fn new(config: &Config) -> Routes {
        let cache = CachePolicy {
            exact: config.cache.exact,
            ttl: (config.cache.ttl_secs > 0).then(|| Duration::from_secs(config.cache.ttl_secs)),
            max_temperature: config.cache.max_temperature,
            cache_multiple_choices: config.cache.cache_multiple_choices,
            semantic: config.cache.semantic.then_some(SemanticSettings { threshold: config.cache.threshold as f32 }),
        };
        let (enabled, disabled): (Vec<_>, Vec<_>) = config.providers.iter().partition(|p| p.enabled);
        Routes {
            rules: Rules::compile(config).expect("a validated config compiles"),
            vendors: enabled.iter().filter_map(|p| Some((vendor_prefix(p.kind.or(crate::config::preset(&p.id).map(|x| x.kind))?)?, p.id.clone()))).collect(),
            enabled: enabled.into_iter().map(|p| p.id.clone()).collect(),
            disabled: disabled.into_iter().map(|p| p.id.clone()).collect(),
            default_timeout: Duration::from_secs(config.router.timeout_secs),
            cache,
            threshold: config.cache.threshold,
        }
    }

    pub fn route_names(&self) -> impl Iterator<Item = &str> {
        self.rules.iter().filter_map(|r| r.name.strip_prefix(ROUTE_PREFIX))
    }

    /// By model name alone — a `[[routes]]` entry, else as `route` resolves it — for calls rules
    /// do not govern (embeddings, token counts).
    pub fn resolve(&self, model: &str, prices: &PriceTable) -> Result<Route, ResolveError> {
        let route = self.rules.iter().find(|r| r.name.strip_prefix(ROUTE_PREFIX) == Some(model));
        self.route(route.map(|r| (r.name.as_str(), &r.then)), model, prices, &|_| None)
    }

    /// The route a rule's action gives; without targets (or without a rule) the model name
    /// decides: `provider/model` with a configured provider, else a bare model name goes to the
    /// provider whose price table knows it, else the first provider of the model's vendor
    /// (`claude-…`, the names Claude Code sends, to Anthropic; `gemini-…` to Gemini), else the
    /// first enabled provider. `used_up` names the budget that rules a provider's targets out.
    pub fn route(&self, rule: Option<(&str, &Then)>, model: &str, prices: &PriceTable, used_up: &(dyn Fn(&str) -> Option<String> + Sync)) -> Result<Route, ResolveError> {
        let name = rule.map_or(DEFAULT_RULE, |(name, _)| name);
        let then = rule.map(|(_, then)| then);
        let mut route = match then.filter(|t| !t.targets.is_empty()) {
            Some(t) => {
                let parsed: Vec<Target> = t.targets.iter().filter_map(|t| Target::parse(t)).collect();
                let baseline = parsed.first().cloned().ok_or_else(|| ResolveError::NoEnabledTarget { rule: name.into() })?;
                let enabled: Vec<Target> = parsed.into_iter().filter(|t| self.enabled.contains(&t.provider)).collect();
                if enabled.is_empty() {
                    return Err(ResolveError::NoEnabledTarget { rule: name.into() });
                }
                Route {
                    identity: format!("{name}={}", t.targets.join(",")),
                    targets: enabled,
                    baseline,
                    timeout: self.default_timeout,
                    cache: self.cache,
                    rule: name.into(),
                }
            }
            None => self.by_name(model, prices)?,
        };
        route.rule = name.into();
        if let Some(t) = then {
            route.cache = self.cache_policy(t.cache.as_ref());
            route.timeout = t.timeout_secs.map(Duration::from_secs).unwrap_or(route.timeout);
        }
        let mut budgets = Vec::new();
        route.targets.retain(|t| match used_up(&t.provider) {
            Some(b) => {
                budgets.push(b);
                false
            }
            None => true,
        });
        if route.targets.is_empty() {
            budgets.dedup();
            return Err(ResolveError::BudgetsUsedUp { rule: name.into(), budgets: budgets.join(", ") });
        }
        Ok(route)
    }

    /// `[cache]`, with what a rule sets instead.
    fn cache_policy(&self, c: Option<&RouteCacheConfig>) -> CachePolicy {
        let mut cache = self.cache;
        if let Some(c) = c {
            cache.exact = c.exact.unwrap_or(cache.exact);
            if let Some(ttl) = c.ttl_secs {
                cache.ttl = (ttl > 0).then(|| Duration::from_secs(ttl));
            }
            let threshold = c.threshold.unwrap_or(self.threshold);
            cache.semantic = c.semantic.unwrap_or(cache.semantic.is_some()).then_some(SemanticSettings { threshold: threshold as f32 });
        }
        cache
    }

    fn by_name(&self, model: &str, prices: &PriceTable) -> Result<Route, ResolveError> {
        if let Some(t) = Target::parse(model) {
            if self.disabled.contains(&t.provider) {
                return Err(ResolveError::Disabled { provider: t.provider });
            }
            if self.enabled.contains(&t.provider) {
                return Ok(self.direct(t));
            }
        }
        let provider = self
            .enabled
            .iter()
            .find(|p| prices.lists(p, model))
            .or_else(|| self.vendors.iter().find(|(prefix, _)| model.starts_with(prefix)).map(|(_, id)| id))
            .or_else(|| self.enabled.first())
            .ok_or_else(|| ResolveError::NoProviders { model: model.into() })?;
        Ok(self.direct(Target { provider: provider.clone(), model: model.into() }))
    }

    fn direct(&self, target: Target) -> Route {
        Route { identity: format!("direct:{target}"), targets: vec![target.clone()], baseline: target, timeout: self.default_timeout, cache: self.cache, rule: DEFAULT_RULE.into() }
    }
}

/// The model-name prefix of the vendor whose API a provider kind speaks.
fn vendor_prefix(kind: crate::config::ProviderKind) -> Option<&'static str> {
    match kind {
        crate::config::ProviderKind::Anthropic => Some("claude-"),
        crate::config::ProviderKind::Gemini => Some("gemini-"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn routes(toml: &str) -> Routes {
        Routes::new(&Config::parse_toml(toml).unwrap())
    }

    #[test]
    fn resolution_order() {
        let r = routes(
            r#"
            [[providers]]
            id = "local"
            base_url = "http://127.0.0.1:1/v1"
            [[providers]]
            id = "openai"
            [[providers]]
            id = "groq"
            enabled = false
            [[providers]]
            id = "claude"
            kind = "anthropic"
            base_url = "http://127.0.0.1:2/v1"
            [[routes]]
            model = "fast"
            targets = ["groq/llama-3.1-8b-instant", "openai/gpt-4o-mini"]
            timeout_secs = 5
            "#,
        );
        let prices = PriceTable::new(&[]);
        let fast = r.resolve("fast", &prices).unwrap();
        assert_eq!(fast.targets, vec![Target { provider: "openai".into(), model: "gpt-4o-mini".into() }], "disabled targets are skipped");
        assert_eq!(fast.baseline.to_string(), "groq/llama-3.1-8b-instant");
        assert_eq!(fast.timeout, Duration::from_secs(5));
        assert_eq!(r.resolve("openai/gpt-4.1", &prices).unwrap().targets[0].to_string(), "openai/gpt-4.1");
        assert_eq!(r.resolve("gpt-4.1", &prices).unwrap().targets[0].provider, "openai", "bare names go where they are priced");
        assert_eq!(r.resolve("qwen3", &prices).unwrap().targets[0].to_string(), "local/qwen3", "else to the first provider");
        assert_eq!(r.resolve("claude-opus-4-9-20270101", &prices).unwrap().targets[0].to_string(), "claude/claude-opus-4-9-20270101", "Claude names go to an Anthropic provider");
        assert!(matches!(r.resolve("groq/x", &prices), Err(ResolveError::Disabled { .. })));
        assert_eq!(r.resolve("meta/llama", &prices).unwrap().targets[0].to_string(), "local/meta/llama", "slashes in model names survive");
    }
}
