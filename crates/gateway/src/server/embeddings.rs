//! `POST /v1/embeddings`. Vectors from different models live in different spaces, so there is
//! no fallback to another model here: the first usable target of the route answers, or the
//! call fails.

use super::body::{parse_object, read_body};
use super::respond::{json_response, new_request_id, sluice_headers, Money};
use super::error::ApiError;
use super::pipeline::edge::provider_error;
use crate::wire::ClientApi;
use crate::cache::CacheStatus;
use crate::providers::{ProviderError, UpstreamRequest};
use crate::store::{AttemptRecord, RequestRecord};
use crate::wire::Usage;
use crate::Engine;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use std::sync::Arc;
use std::time::Instant;

pub async fn embeddings(State(engine): State<Arc<Engine>>, headers: HeaderMap, body: Body) -> Response {
    match handle(engine, headers, body).await {
        Ok(r) | Err(r) => r,
    }
}

async fn handle(engine: Arc<Engine>, headers: HeaderMap, body: Body) -> Result<Response, Response> {
    let started = Instant::now();
    let rt = engine.runtime();
    let bytes = read_body(body, &headers, rt.config.server.max_body_bytes).await.map_err(IntoResponse::into_response)?;
    let body = parse_object(&bytes).map_err(IntoResponse::into_response)?;
    let model = match body.get("model") {
        Some(Value::String(m)) if !m.is_empty() => m.clone(),
        _ => return Err(ApiError::invalid_param("model", "`model` is required: an embedding model name or \"provider/model\"").into_response()),
    };
    if !body.get("input").is_some_and(|i| i.is_string() || i.is_array()) {
        return Err(ApiError::invalid_param("input", "`input` is required: a string or an array of strings or token arrays").into_response());
    }
    let route = rt.routes.resolve(&model, &rt.prices).map_err(|e| ApiError::not_found(e.to_string()).code("model_not_found").into_response())?;
    let order = engine.health.order(&route.targets, Instant::now());
    let target = route.targets[order[0]].clone();
    let provider = rt.providers.get(&target.provider).cloned().ok_or_else(|| ApiError::internal(format!("provider `{}` is not running", target.provider)).into_response())?;

    let id = new_request_id();
    let ts_ms = crate::now_ms();
    let attempt_started = Instant::now();
    let result = match tokio::time::timeout(route.timeout, provider.embeddings(UpstreamRequest { body: &body, model: &target.model, native: None })).await {
        Ok(r) => r,
        Err(_) => Err(ProviderError::Timeout { provider: target.provider.clone(), secs: route.timeout.as_secs() }),
    };
    let attempt_ms = crate::elapsed_ms(attempt_started);
    let (status, error, usage) = match &result {
        Ok(b) => (200, None, serde_json::from_slice::<Value>(b).ok().and_then(|v| v.get("usage").and_then(Usage::from_json))),
        Err(e) => (e.client_status(), Some(e.to_string()), None),
    };
    let cost = usage.and_then(|u| rt.prices.cost(&target.provider, &target.model, u));
    let record = RequestRecord {
        semantic: None,
        left_out: Vec::new(),
        id: id.clone(),
        ts_ms,
        model_requested: model,
        client_api: crate::wire::ClientApi::OpenaiChat,
        provider: Some(target.provider.clone()),
        model: Some(target.model.clone()),
        cache: CacheStatus::Bypass,
        status,
        latency_ms: crate::elapsed_ms(started),
        ttft_ms: None,
        stream: false,
        usage,
        tokens_estimated: false,
        cost_usd: cost,
        saved_usd: cost.map(|_| 0.0),
        error: error.clone(),
        cache_key: None,
        attempts: vec![AttemptRecord { provider: target.provider.clone(), model: target.model.clone(), status: Some(status), error, latency_ms: attempt_ms }],
        request_body: None,
        response_body: None,
        rule: route.rule.clone(),
        difficulty: None,
        tags: Vec::new(),
        compressed: None,
        compress_note: None,
    };
    if let Err(e) = engine.log(record, None).await {
        tracing::error!(request = %id, "request log write failed: {e}");
    }
    let mut response = match result {
        Ok(bytes) => json_response(StatusCode::OK, bytes),
        Err(e) => provider_error(ClientApi::OpenaiChat, &e, e.to_string()),
    };
    sluice_headers(&mut response, &id, CacheStatus::Bypass, Some(&target), Some(Money { cost, saved: cost.map(|_| 0.0) }));
    Ok(response)
}
