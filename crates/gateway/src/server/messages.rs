//! Anthropic's Messages API (`POST /v1/messages`, `/v1/messages/count_tokens`), for Claude Code
//! and the Anthropic SDKs: converted to the internal request at the edge (`wire::anthropic`),
//! then the one pipeline. The client's own body and its `anthropic-beta` header travel along,
//! so an Anthropic target gets the request as it came. `?beta=true` is accepted as is.

use super::body::{parse_object, read_body};
use super::error::ApiError;
use super::pipeline::{self, edge, Inbound};
use crate::pricing::estimate_usage;
use crate::providers::{NativeRequest, UpstreamRequest};
use crate::wire::anthropic::request::{to_internal, Internal};
use crate::wire::ClientApi;
use crate::Engine;
use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};
use std::sync::Arc;
use std::time::Instant;

const API: ClientApi = ClientApi::AnthropicMessages;

/// Client headers an Anthropic upstream should see as they came.
const FORWARDED: &[&str] = &["anthropic-beta"];

pub async fn messages(State(engine): State<Arc<Engine>>, headers: HeaderMap, body: Body) -> Response {
    let started = Instant::now();
    match read(&engine, &headers, body, false).await {
        Ok((raw, native, internal)) => {
            let Internal { body, untranslatable } = internal;
            let model = body["model"].as_str().unwrap_or_default().to_owned();
            let stream = native.get("stream").and_then(Value::as_bool).unwrap_or(false);
            let native = NativeRequest { api: API, body: native, headers: forwarded(&headers), untranslatable };
            let inbound = Inbound { api: API, body, native: Some(native), model, stream, include_usage: false, raw, started };
            pipeline::run(engine, &headers, inbound).await
        }
        Err(e) => edge::error(API, e),
    }
}

/// Counts the request's input tokens: the route's first target counts them when it speaks
/// Anthropic's API, else Sluice estimates them (tiktoken's o200k, like the request log).
pub async fn count_tokens(State(engine): State<Arc<Engine>>, headers: HeaderMap, body: Body) -> Response {
    match count(&engine, &headers, body).await {
        Ok(n) => axum::Json(json!({ "input_tokens": n })).into_response(),
        Err(e) => edge::error(API, e),
    }
}

async fn count(engine: &Arc<Engine>, headers: &HeaderMap, body: Body) -> Result<u64, ApiError> {
    let (_, mut native, internal) = read(engine, headers, body, true).await?;
    let rt = engine.runtime();
    let model = internal.body["model"].as_str().unwrap_or_default();
    let route = rt.routes.resolve(model, &rt.prices).map_err(|e| ApiError::not_found(e.to_string()).code("model_not_found"))?;
    let target = &route.targets[0];
    if let Some(provider) = rt.providers.get(&target.provider).filter(|p| p.api() == API) {
        native.remove("max_tokens");
        let native = NativeRequest { api: API, body: native, headers: forwarded(headers), untranslatable: internal.untranslatable };
        let request = UpstreamRequest { body: &internal.body, model: &target.model, native: Some(&native) };
        return provider.count_tokens(request).await.map_err(|e| ApiError::new(axum::http::StatusCode::from_u16(e.client_status()).unwrap_or(axum::http::StatusCode::BAD_GATEWAY), "upstream_error", e.to_string()));
    }
    let tools = internal.body.get("tools").map(Value::to_string).unwrap_or_default();
    let messages = internal.body.get("messages").cloned().unwrap_or(Value::Null);
    let usage = tokio::task::spawn_blocking(move || estimate_usage(&messages, "").prompt + estimate_usage(&Value::Null, &tools).completion).await.unwrap_or_default();
    Ok(usage)
}

/// The body as received, as parsed, and in the internal form. count_tokens bodies have no
/// `max_tokens`; the conversion is given one so it reads them like any other.
async fn read(engine: &Arc<Engine>, headers: &HeaderMap, body: Body, counting: bool) -> Result<(bytes::Bytes, Map<String, Value>, Internal), ApiError> {
    let limit = engine.runtime().config.server.max_body_bytes;
    let raw = read_body(body, headers, limit).await?;
    let native = parse_object(&raw)?;
    let internal = if counting && !native.contains_key("max_tokens") {
        let mut with_max = native.clone();
        with_max.insert("max_tokens".into(), json!(1));
        to_internal(&with_max)
    } else {
        to_internal(&native)
    };
    let internal = internal.map_err(|e| ApiError::invalid_param(e.path, e.message))?;
    Ok((raw, native, internal))
}

fn forwarded(headers: &HeaderMap) -> Vec<(http::HeaderName, http::HeaderValue)> {
    FORWARDED.iter().filter_map(|name| headers.get(*name).map(|v| (http::HeaderName::from_static(name), v.clone()))).collect()
}
