//! Which rule decides a request and what follows from it: the route, the caps on its
//! parameters, its tags, or a refusal (the rule's own, or a used-up budget's). The embedding
//! is computed only when a rule reaches a difficulty or intent condition, and then handed on
//! to the semantic cache, so a request is embedded once.

use super::super::error::ApiError;
use crate::config::Then;
use crate::embed::MINILM;
use crate::router::difficulty::DifficultyModel;
use crate::router::rules::{Facts, RuleTrace, Signal};
use crate::router::{BudgetState, Route, Rule, Scope, Target};
use crate::wire::ClientApi;
use crate::{Engine, Runtime};
use axum::http::{HeaderMap, StatusCode};
use serde_json::{json, Map, Value};

/// The last user message's vector, kept for the semantic cache.
pub struct Embedded {
    pub text: String,
    pub vector: Vec<f32>,
    /// The model read all of the text (the semantic cache uses no other vectors).
    pub whole: bool,
}

pub struct Decision {
    pub route: Route,
    /// The deciding rule's action (none for `default`).
    pub then: Option<Then>,
    pub difficulty: Option<f32>,
    pub embedded: Option<Embedded>,
    /// The request's `x-sluice-tags` and the rule's, for the log.
    pub tags: Vec<String>,
    /// The fullest budget past its warning share that covers this request.
    pub warning: Option<BudgetState>,
}

/// A refusal that still names the rule that made it.
pub struct Refused {
    pub rule: Option<String>,
    pub error: ApiError,
}

fn header<'h>(headers: &'h HeaderMap, name: &str) -> &'h str {
    headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

/// What rules look at, from the request and the headers they read.
fn read<'a>(model: &'a str, api: ClientApi, body: &'a Map<String, Value>, stream: bool, headers: &'a HeaderMap, share: &'a (dyn Fn(&str) -> f64 + Sync)) -> Facts<'a> {
    Facts::read(model, api, body, stream, header(headers, "user-agent"), header(headers, "x-sluice-tags"), share)
}

/// Difficulty and intent, from one embedding of the last user message.
async fn signals(engine: &Engine, rt: &Runtime, facts: &mut Facts<'_>) -> Option<Embedded> {
    let unavailable = |facts: &mut Facts, why: &'static str| {
        facts.difficulty = Signal::Unavailable(why);
        facts.intent = Signal::Unavailable(why);
    };
    if facts.user_text.is_empty() {
        unavailable(facts, "the request has no user text");
        return None;
    }
    let Some(name) = engine.semantic.embedder_name() else {
        unavailable(facts, "the embedding model is not loaded");
        return None;
    };
    let Some((vector, whole)) = engine.semantic.embed_head(&facts.user_text).await else {
        unavailable(facts, "the embedding model failed on this text");
        return None;
    };
    facts.difficulty = if name == MINILM {
        Signal::Known(engine.quality.difficulty(DifficultyModel::shipped().score(&facts.user_text, &vector), &vector))
    } else {
        Signal::Unavailable("the difficulty model reads all-MiniLM-L6-v2 vectors, and [cache] embedder names another model")
    };
    facts.intent = match rt.intents.classify(&engine.semantic, &vector).await {
        Ok(found) => Signal::Known(found),
        Err(()) => Signal::Unavailable("the intent examples could not be embedded"),
    };
    Some(Embedded { text: facts.user_text.to_string(), vector, whole })
}

/// Budgets that take a rule or a provider out of play, by name.
fn passed_over<'a>(rt: &'a Runtime, engine: &'a Engine, now: i64) -> impl Fn(&Rule) -> Option<String> + Sync + 'a {
    move |rule: &Rule| rt.budgets.yielding(&Scope::Rule(rule.name.clone()), &engine.spend, now).map(|b| format!("budget `{}` is used up", b.name))
}

pub async fn decide(engine: &Engine, rt: &Runtime, headers: &HeaderMap, api: ClientApi, body: &Map<String, Value>, model: &str, stream: bool) -> Result<Decision, Refused> {
    let now = crate::now_ms();
    let share = |name: &str| rt.budgets.share(name, &engine.spend, now);
    let skip = passed_over(rt, engine, now);
    let mut facts = read(model, api, body, stream, headers, &share);
    let mut embedded = None;
    let rule = match rt.routes.rules.first_match(&facts, &skip) {
        Ok(rule) => rule,
        Err(_needs_embedding) => {
            embedded = signals(engine, rt, &mut facts).await;
            rt.routes.rules.first_match(&facts, &skip).expect("signals are known or unavailable now")
        }
    };
    let refuse = |error: ApiError| Refused { rule: rule.map(|r| r.name.clone()), error };
    let (route, covering) = resolve(engine, rt, rule, model, now).map_err(refuse)?;
    let warning = rt.budgets.warning(&covering, &engine.spend, now);
    if let Some(w) = &warning {
        engine.budget_warned(w);
    }
    let mut tags: Vec<String> = facts.tags.iter().map(|t| t.to_string()).collect();
    for t in rule.iter().flat_map(|r| &r.then.tags) {
        if !tags.contains(t) {
            tags.push(t.clone());
        }
    }
    let difficulty = match facts.difficulty {
        Signal::Known(d) => Some(d),
        _ => None,
    };
    Ok(Decision { route, then: rule.map(|r| r.then.clone()), difficulty, embedded, tags, warning })
}

/// The route a rule gives and the budget scopes it falls under, or why the request is refused:
/// the rule's own refusal, or a used-up budget that refuses (over all spend, the rule's, or a
/// target's provider's).
fn resolve(engine: &Engine, rt: &Runtime, rule: Option<&Rule>, model: &str, now: i64) -> Result<(Route, Vec<Scope>), ApiError> {
    if let Some(r) = rule {
        if let Some(message) = &r.then.reject {
            return Err(ApiError::invalid(format!("refused by Sluice rule `{}`: {message}", r.name)).code("rejected_by_rule"));
        }
    }
    let mut scopes = vec![Scope::All, Scope::Rule(rule.map_or(crate::router::DEFAULT_RULE, |r| &r.name).to_owned())];
    for scope in &scopes {
        if let Some(b) = rt.budgets.refusing(scope, &engine.spend, now) {
            return Err(budget_error(&b));
        }
    }
    let used_up = |provider: &str| rt.budgets.yielding(&Scope::Provider(provider.into()), &engine.spend, now).map(|b| b.name);
    let route = rt.routes.route(rule.map(|r| (r.name.as_str(), &r.then)), model, &rt.prices, &used_up).map_err(|e| match e {
        crate::router::ResolveError::BudgetsUsedUp { .. } => ApiError::new(StatusCode::TOO_MANY_REQUESTS, "budget_exceeded", e.to_string()).code("budget_exceeded"),
        _ => ApiError::not_found(e.to_string()).code("model_not_found"),
    })?;
    for Target { provider, .. } in &route.targets {
        let scope = Scope::Provider(provider.clone());
        if let Some(b) = rt.budgets.refusing(&scope, &engine.spend, now) {
            return Err(budget_error(&b));
        }
        scopes.push(scope);
    }
    Ok((route, scopes))
}

/// 429 in the client's shape, naming the budget and what to do.
fn budget_error(b: &BudgetState) -> ApiError {
    let period = match b.period {
        crate::config::Period::Day => "today",
        crate::config::Period::Month => "this month",
    };
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "budget_exceeded",
        format!("Sluice budget `{}` is used up: USD {:.2} of {:.2} spent {period}. Raise it in Sluice's Routing page or config, or wait for the next period.", b.name, b.spent_usd, b.usd),
    )
    .code("budget_exceeded")
}

/// Every rule's conditions for one request, the decision, and its targets' state and cost —
/// "why this route". Runs on `rt`, which may hold an unsaved rule set.
pub async fn explain(engine: &Engine, rt: &Runtime, headers: &HeaderMap, api: ClientApi, body: &Map<String, Value>, model: &str) -> Value {
    let now = crate::now_ms();
    let share = |name: &str| rt.budgets.share(name, &engine.spend, now);
    let skip = passed_over(rt, engine, now);
    let stream = body.get("stream").and_then(Value::as_bool).unwrap_or(false);
    let mut facts = read(model, api, body, stream, headers, &share);
    signals(engine, rt, &mut facts).await;
    let (rule, traces): (_, Vec<RuleTrace>) = rt.routes.rules.explain(&facts, &skip);
    let rule_name = rule.map_or(crate::router::DEFAULT_RULE, |r| r.name.as_str());
    let outcome = match resolve(engine, rt, rule, model, now) {
        Ok((route, _)) => {
            let tokens = crate::pricing::estimate_usage(body.get("messages").unwrap_or(&Value::Null), "");
            let targets: Vec<Value> = route
                .targets
                .iter()
                .map(|t| {
                    let price = rt.prices.lookup(&t.provider, &t.model);
                    json!({
                        "target": t.to_string(),
                        "health": engine.health.state(t, std::time::Instant::now()),
                        "input_usd_per_mtok": price.map(|p| p.input),
                        "output_usd_per_mtok": price.map(|p| p.output),
                        "estimated_input_usd": rt.prices.cost(&t.provider, &t.model, tokens),
                    })
                })
                .collect();
            json!({ "targets": targets, "estimated_input_tokens": tokens.prompt, "timeout_secs": route.timeout.as_secs() })
        }
        Err(e) => json!({ "refused": { "status": e.status.as_u16(), "code": e.code, "message": e.message } }),
    };
    json!({
        "rule": rule_name,
        "rules": traces,
        "difficulty": signal(&facts.difficulty),
        "intent": signal(&facts.intent),
        "input_tokens": facts.input_tokens,
        "tags": facts.tags,
        "outcome": outcome,
        "budgets": rt.budgets.states(&engine.spend, now),
    })
}

fn signal<T: serde::Serialize>(s: &Signal<T>) -> Value {
    match s {
        Signal::Known(v) => json!(v),
        Signal::Unavailable(why) => json!({ "unavailable": why }),
        Signal::Pending => Value::Null,
    }
}

/// Lowers the request's max_tokens and temperature to the rule's caps, in the internal body and
/// in the client's own body (which a target of the client's API receives as it came).
pub fn apply_caps(then: &Then, body: &mut Map<String, Value>, native: Option<(ClientApi, &mut Map<String, Value>)>) {
    if then.max_tokens.is_none() && then.temperature.is_none() {
        return;
    }
    cap(body, &["max_completion_tokens", "max_tokens"], "max_tokens", then.max_tokens.map(Value::from));
    cap(body, &["temperature"], "temperature", then.temperature.map(Value::from));
    let Some((api, native)) = native else { return };
    let (tokens, parent): (&str, Option<&str>) = match api {
        ClientApi::OpenaiChat => return,
        ClientApi::AnthropicMessages => ("max_tokens", None),
        ClientApi::OpenaiResponses => ("max_output_tokens", None),
        ClientApi::Gemini => ("maxOutputTokens", Some("generationConfig")),
    };
    let target = match parent {
        Some(p) => native.entry(p).or_insert_with(|| json!({})).as_object_mut(),
        None => Some(native),
    };
    if let Some(t) = target {
        cap(t, &[tokens], tokens, then.max_tokens.map(Value::from));
        cap(t, &["temperature"], "temperature", then.temperature.map(Value::from));
    }
}

/// The first of `fields` present is lowered to `limit`; with none present, `default_field` is
/// set to it.
fn cap(body: &mut Map<String, Value>, fields: &[&str], default_field: &str, limit: Option<Value>) {
    let Some(limit) = limit else { return };
    let max = limit.as_f64().unwrap_or(f64::MAX);
    match fields.iter().find(|f| body.get(**f).is_some_and(|v| !v.is_null())) {
        Some(f) if body[*f].as_f64().is_some_and(|v| v <= max) => {}
        Some(f) => {
            body.insert((*f).to_owned(), limit);
        }
        None => {
            body.insert(default_field.to_owned(), limit);
        }
    }
}
