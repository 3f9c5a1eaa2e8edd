//! `GET /v1/models`: every provider's models as `provider/model`, plus the route names, in
//! OpenAI's shape, or in Anthropic's for its clients (they send `anthropic-version`); and
//! `GET /api/models`, the same models with their prices, for picking rule targets.
//! Upstream lists are fetched concurrently, remembered for a few minutes, and a provider that
//! cannot answer is left out rather than failing the whole list.

use crate::Engine;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::Json;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

const FRESH_FOR: Duration = Duration::from_secs(300);
const LIST_TIMEOUT: Duration = Duration::from_secs(5);

/// Every enabled provider's models (upstream lists and `models` in the config), as
/// (provider, model), sorted.
async fn catalog(engine: &Engine, rt: &crate::Runtime) -> BTreeSet<(String, String)> {
    let now = Instant::now();
    let cached = engine.model_lists.lock().expect("model list lock").clone();
    let stale: Vec<_> = rt.providers.iter().filter(|(id, _)| cached.get(*id).is_none_or(|(at, _)| now.duration_since(*at) >= FRESH_FOR)).collect();
    let fetched = futures::future::join_all(stale.into_iter().map(|(id, provider)| async move {
        match tokio::time::timeout(LIST_TIMEOUT, provider.models()).await {
            Ok(Ok(models)) => Some((id.clone(), models)),
            Ok(Err(e)) => {
                tracing::debug!(provider = %id, "model list unavailable: {e}");
                None
            }
            Err(_) => None,
        }
    }))
    .await;
    let mut lists = engine.model_lists.lock().expect("model list lock");
    for (id, models) in fetched.into_iter().flatten() {
        lists.insert(id, (now, models));
    }
    let mut entries = BTreeSet::new();
    for p in rt.config.providers.iter().filter(|p| p.enabled) {
        let listed = lists.get(&p.id).map(|(_, m)| m.as_slice()).unwrap_or(&[]);
        for m in listed.iter().chain(&p.models) {
            entries.insert((p.id.clone(), m.clone()));
        }
    }
    entries
}

/// `GET /api/models`: `[{target, input, output}]`, USD per 1M tokens where known; the
/// price table's models of each provider too, since many upstreams cannot list theirs.
pub async fn priced(State(engine): State<Arc<Engine>>) -> Json<Value> {
    let rt = engine.runtime();
    let mut all = catalog(&engine, &rt).await;
    for p in rt.config.providers.iter().filter(|p| p.enabled) {
        all.extend(rt.prices.models_of(&p.id).map(|m| (p.id.clone(), m)));
    }
    let models: Vec<Value> = all
        .into_iter()
        .map(|(p, m)| {
            let price = rt.prices.lookup(&p, &m);
            json!({ "target": format!("{p}/{m}"), "input": price.map(|x| x.input), "output": price.map(|x| x.output) })
        })
        .collect();
    Json(json!({ "models": models }))
}

pub async fn list_models(State(engine): State<Arc<Engine>>, headers: HeaderMap) -> Json<Value> {
    let rt = engine.runtime();
    let mut entries: BTreeSet<(String, String)> = catalog(&engine, &rt).await.into_iter().map(|(p, m)| (format!("{p}/{m}"), p)).collect();
    for route in rt.routes.route_names() {
        entries.insert((route.to_owned(), "sluice".to_owned()));
    }
    if headers.contains_key("anthropic-version") {
        let data: Vec<Value> = entries.iter().map(|(id, _)| json!({ "type": "model", "id": id, "display_name": id, "created_at": "1970-01-01T00:00:00Z" })).collect();
        let (first, last) = (data.first().map(|m| m["id"].clone()), data.last().map(|m| m["id"].clone()));
        return Json(json!({ "data": data, "has_more": false, "first_id": first, "last_id": last }));
    }
    let data: Vec<Value> = entries.into_iter().map(|(id, owner)| json!({ "id": id, "object": "model", "created": 0, "owned_by": owner })).collect();
    Json(json!({ "object": "list", "data": data }))
}
