//! What the Routing page shows and tries: "why this route" for a request (on the saved rules
//! or on an unsaved set), budgets' state, and each rule's figures.

use super::super::body::read_json;
use super::super::error::ApiError;
use super::{db_error, ApiResult};
use crate::config::Config;
use crate::server::pipeline::decide;
use crate::store;
use crate::wire::{self, ClientApi};
use crate::{Engine, Runtime};
use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::sync::Arc;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExplainBody {
    /// The request, in `api`'s own shape.
    request: Map<String, Value>,
    /// openai-chat (default), openai-responses, anthropic-messages, gemini.
    #[serde(default)]
    api: Option<String>,
    /// The model, for Gemini requests (which name it in the URL).
    #[serde(default)]
    model: Option<String>,
    /// Headers rules look at: `user-agent`, `x-sluice-tags`.
    #[serde(default)]
    headers: Map<String, Value>,
    /// An unsaved policy to try instead of the saved one; sections left out stay as saved.
    #[serde(default)]
    rules: Option<Value>,
    #[serde(default)]
    intents: Option<Value>,
    #[serde(default)]
    budgets: Option<Value>,
}

/// `POST /api/route/explain`.
pub async fn explain(State(engine): State<Arc<Engine>>, headers: HeaderMap, body: Body) -> ApiResult {
    let saved = engine.runtime();
    let ask: ExplainBody = read_json(body, &headers, saved.config.server.max_body_bytes).await?;
    let api_name = ask.api.as_deref().unwrap_or("openai-chat");
    let api = ClientApi::parse(api_name).ok_or_else(|| ApiError::invalid_param("api", format!("`{api_name}` is not a client API; use one of {}", ClientApi::ALL.map(ClientApi::as_str).join(", "))))?;
    let model = ask.model.clone().or_else(|| ask.request.get("model").and_then(Value::as_str).map(str::to_owned)).ok_or_else(|| ApiError::invalid_param("request.model", "the request needs a model (for Gemini, give `model` beside `request`)"))?;
    let internal = wire::to_internal(api, &ask.request, &model)
    .map_err(|e| ApiError::invalid_param(format!("request.{}", e.path), e.message))?;
    let mut facts_headers = HeaderMap::new();
    for (name, value) in &ask.headers {
        let (Ok(n), Some(Ok(v))) = (HeaderName::try_from(name.as_str()), value.as_str().map(HeaderValue::from_str)) else {
            return Err(ApiError::invalid_param(format!("headers.{name}"), "give header names and string values"));
        };
        facts_headers.insert(n, v);
    }
    let rt = match (&ask.rules, &ask.intents, &ask.budgets) {
        (None, None, None) => saved,
        _ => Arc::new(trial_runtime(&engine, &saved, ask.rules, ask.intents, ask.budgets)?),
    };
    Ok(Json(decide::explain(&engine, &rt, &facts_headers, api, &internal, &model).await))
}

/// The saved config with an unsaved policy in it, validated as `PUT /api/config` would.
fn trial_runtime(engine: &Engine, saved: &Runtime, rules: Option<Value>, intents: Option<Value>, budgets: Option<Value>) -> Result<Runtime, ApiError> {
    let mut config = serde_json::to_value(&saved.config).expect("config serializes");
    for (key, value) in [("rules", rules), ("intents", intents), ("budgets", budgets)] {
        if let Some(v) = value {
            config[key] = v;
        }
    }
    let config = Config::parse_json(config.to_string().as_bytes()).map_err(|e| ApiError::invalid_param(e.field.clone(), e.to_string()))?;
    Ok(Runtime::build(config, engine.keys.as_ref(), &engine.http_client()))
}

/// `GET /api/budgets`: each budget's spend in its current period.
pub async fn budgets(State(engine): State<Arc<Engine>>) -> Json<Value> {
    let rt = engine.runtime();
    Json(json!({ "budgets": rt.budgets.states(&engine.spend, crate::now_ms()) }))
}

#[derive(Deserialize)]
pub struct StatsQuery {
    /// The window, in days back from now (default 7).
    pub days: Option<u32>,
}

/// `GET /api/rules/stats?days=7`: requests, cost, saved, median latency and errors per rule.
pub async fn rule_stats(State(engine): State<Arc<Engine>>, Query(q): Query<StatsQuery>) -> ApiResult {
    let days = q.days.unwrap_or(7).clamp(1, 366);
    let since = crate::now_ms() - days as i64 * 86_400_000;
    let rows = engine.store.read_logged(move |c| store::rule_stats(c, since)).await.map_err(db_error)?;
    Ok(Json(json!({ "days": days, "rules": rows })))
}
