//! Rules: the first enabled rule whose `when` holds decides a request — its targets, parameter
//! caps, cache policy and tags, or a refusal. `[[routes]]` are the simplest rules ("model is
//! X → these targets") and come after the written ones; a request no rule matches resolves by
//! its model name alone (rule `default`).
//!
//! Compiling is also validating: every problem is named by its field path, and a rule that an
//! earlier catch-all hides is refused, since it could never match.

mod condition;
mod facts;

pub use condition::{Check, Condition, NeedsEmbedding};
pub use facts::{Facts, Signal};

use crate::config::{Config, FieldError, RouteCacheConfig, Then};
use condition::Names;

/// The name a request no rule matched is logged under.
pub const DEFAULT_RULE: &str = "default";

/// What a `[[routes]]` entry's rule is named: `route:<model>`.
pub const ROUTE_PREFIX: &str = "route:";

#[derive(Debug, Clone)]
pub struct Rule {
    pub name: String,
    pub when: Condition,
    pub then: Then,
}

/// The compiled, ordered rule set of one config.
#[derive(Debug, Clone, Default)]
pub struct Rules {
    list: Vec<Rule>,
}

/// One rule's evaluation, for "why this route".
#[derive(Debug, Clone, serde::Serialize)]
pub struct RuleTrace {
    pub rule: String,
    pub matched: bool,
    /// Why the rule was passed over although its conditions hold (a used-up budget).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    pub checks: Vec<Check>,
}

fn bad(field: String, message: impl Into<String>) -> FieldError {
    FieldError { field, message: message.into() }
}

impl Rules {
    pub fn compile(config: &Config) -> Result<Rules, FieldError> {
        let intents: Vec<&str> = config.intents.iter().map(|i| i.name.as_str()).collect();
        let budgets: Vec<&str> = config.budgets.iter().map(|b| b.name.as_str()).collect();
        let names = Names { intents: &intents, budgets: &budgets };
        let providers: Vec<&str> = config.providers.iter().map(|p| p.id.as_str()).collect();
        let mut list: Vec<Rule> = Vec::new();
        let mut catch_all: Option<String> = None;
        for (i, r) in config.rules.iter().enumerate() {
            let at = format!("rules[{i}]");
            if r.name.trim().is_empty() || r.name.len() > 100 {
                return Err(bad(format!("{at}.name"), "give the rule a name of 1–100 characters"));
            }
            if r.name == DEFAULT_RULE || r.name.starts_with(ROUTE_PREFIX) || list.iter().any(|x| x.name == r.name) {
                return Err(bad(format!("{at}.name"), format!("`{}` is taken (by another rule, or reserved: `{DEFAULT_RULE}`, `route:…`); rule names must be unique", r.name)));
            }
            let when = Condition::compile(&r.when, &format!("{at}.when"), &names)?;
            check_then(&r.then, &format!("{at}.then"), &providers)?;
            if !r.enabled {
                continue;
            }
            if let Some(first) = &catch_all {
                return Err(bad(format!("{at}.when"), format!("rule `{}` can never match: rule `{first}` before it matches every request (give it conditions, or move this rule above it)", r.name)));
            }
            // A rule whose budget lets requests fall through when it runs out can be passed over.
            let yields = config.budgets.iter().any(|b| b.rule.as_deref() == Some(r.name.as_str()) && b.on_exceed == crate::config::OnExceed::FallThrough);
            if when.always() && !yields {
                catch_all = Some(r.name.clone());
            }
            list.push(Rule { name: r.name.clone(), when, then: r.then.clone() });
        }
        for (i, r) in config.routes.iter().enumerate() {
            if let Some(first) = &catch_all {
                return Err(bad(format!("routes[{i}].model"), format!("route `{}` can never be used: rule `{first}` matches every request first", r.model)));
            }
            let when = Condition::compile(&crate::config::When { model: Some(globset::escape(&r.model)), ..Default::default() }, &format!("routes[{i}]"), &names)?;
            let then = Then { targets: r.targets.clone(), cache: r.cache.clone(), timeout_secs: r.timeout_secs, ..Default::default() };
            list.push(Rule { name: format!("{ROUTE_PREFIX}{}", r.model), when, then });
        }
        Ok(Rules { list })
    }

    /// The first rule that holds and that `passed_over` does not veto.
    pub fn first_match(&self, facts: &Facts, passed_over: &(dyn Fn(&Rule) -> Option<String> + Sync)) -> Result<Option<&Rule>, NeedsEmbedding> {
        for rule in &self.list {
            if rule.when.holds(facts)? && passed_over(rule).is_none() {
                return Ok(Some(rule));
            }
        }
        Ok(None)
    }

    /// Every rule's conditions and outcome, in order, up to and including the one that decides.
    pub fn explain(&self, facts: &Facts, passed_over: &(dyn Fn(&Rule) -> Option<String> + Sync)) -> (Option<&Rule>, Vec<RuleTrace>) {
        let mut traces = Vec::new();
        for rule in &self.list {
            let mut checks = Vec::new();
            let holds = rule.when.explain(facts, &mut checks);
            let skipped = holds.then(|| passed_over(rule)).flatten();
            let matched = holds && skipped.is_none();
            traces.push(RuleTrace { rule: rule.name.clone(), matched, skipped, checks });
            if matched {
                return (Some(rule), traces);
            }
        }
        (None, traces)
    }

    /// Whether any rule looks at difficulty or intent (and so needs the embedding model).
    pub fn use_embedding(&self) -> bool {
        self.list.iter().any(|r| r.when.uses_embedding())
    }

    pub fn iter(&self) -> impl Iterator<Item = &Rule> {
        self.list.iter()
    }
}

fn check_then(t: &Then, at: &str, providers: &[&str]) -> Result<(), FieldError> {
    if t.reject.is_some() && !t.targets.is_empty() {
        return Err(bad(format!("{at}.reject"), "a rule either refuses requests or routes them; remove `reject` or `targets`"));
    }
    if t.reject.as_ref().is_some_and(|m| m.trim().is_empty()) {
        return Err(bad(format!("{at}.reject"), "say why the request is refused; the client shows this message"));
    }
    check_targets(&t.targets, &format!("{at}.targets"), providers)?;
    if t.max_tokens == Some(0) {
        return Err(bad(format!("{at}.max_tokens"), "must be at least 1"));
    }
    if t.temperature.is_some_and(|v| !(0.0..=2.0).contains(&v)) {
        return Err(bad(format!("{at}.temperature"), "must be between 0 and 2"));
    }
    if t.timeout_secs == Some(0) {
        return Err(bad(format!("{at}.timeout_secs"), "must be at least 1"));
    }
    check_cache(t.cache.as_ref(), &format!("{at}.cache"))?;
    if let Some(c) = &t.compress {
        c.check(&format!("{at}.compress"))?;
    }
    if t.tags.iter().any(|x| x.trim().is_empty() || x.contains(',')) {
        return Err(bad(format!("{at}.tags"), "tags must be non-empty and contain no commas"));
    }
    Ok(())
}

/// "provider/model" with a configured provider, as `[[routes]]` targets are checked.
pub fn check_targets(targets: &[String], at: &str, providers: &[&str]) -> Result<(), FieldError> {
    for (j, t) in targets.iter().enumerate() {
        let field = format!("{at}[{j}]");
        let Some((provider, _)) = t.split_once('/').filter(|(p, m)| !p.is_empty() && !m.is_empty()) else {
            return Err(bad(field, format!("`{t}` must be \"provider/model\", e.g. \"openai/gpt-4o-mini\"")));
        };
        if !providers.contains(&provider) {
            return Err(bad(field, format!("unknown provider `{provider}` in `{t}`; add a [[providers]] entry with id = \"{provider}\"")));
        }
    }
    Ok(())
}

pub fn check_cache(cache: Option<&RouteCacheConfig>, at: &str) -> Result<(), FieldError> {
    match cache.and_then(|c| c.threshold) {
        Some(t) if !crate::config::THRESHOLDS.contains(&t) => Err(bad(format!("{at}.threshold"), format!("{t} is outside {}", crate::config::THRESHOLD_HINT))),
        _ => Ok(()),
    }
}
