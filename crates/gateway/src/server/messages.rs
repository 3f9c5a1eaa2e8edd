//! Anthropic's Messages API (`POST /v1/messages`, `/v1/messages/count_tokens`), for Claude Code
//! and the Anthropic SDKs: converted to the internal request at the edge (`wire::anthropic`),
//! then the one pipeline. The client's own body and its `anthropic-beta` header travel along,
//! so an Anthropic target gets the request as it came. `?beta=true` is accepted as is.

use super::body::{parse_object, read_body};
use super::error::ApiError;
use super::pipeline::{self, edge, Client, Inbound};
use crate::providers::{Header, NativeRequest};
use crate::wire::anthropic::request::{to_internal, WISHES};
use crate::wire::Internal;
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
            let native = NativeRequest { api: API, body: native, headers: forwarded(&headers), untranslatable, wishes: WISHES };
            let inbound = Inbound { client: Client::new(API), body, native: Some(native), model, stream, raw, started };
            pipeline::run(engine, &headers, inbound).await
        }
        Err(e) => edge::error(API, e),
    }
}

/// Counts the request's input tokens (see `pipeline::count_tokens`).
pub async fn count_tokens(State(engine): State<Arc<Engine>>, headers: HeaderMap, body: Body) -> Response {
    let counted = async {
        let (_, mut native, internal) = read(&engine, &headers, body, true).await?;
        native.remove("max_tokens");
        let Internal { body, untranslatable } = internal;
        let model = body["model"].as_str().unwrap_or_default().to_owned();
        let native = NativeRequest { api: API, body: native, headers: forwarded(&headers), untranslatable, wishes: WISHES };
        pipeline::count_tokens(&engine, &model, body, native).await
    };
    match counted.await {
        Ok(n) => axum::Json(json!({ "input_tokens": n })).into_response(),
        Err(e) => edge::error(API, e),
    }
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

fn forwarded(headers: &HeaderMap) -> Vec<Header> {
    FORWARDED.iter().filter_map(|name| headers.get(*name).map(|v| (http::HeaderName::from_static(name), v.clone()))).collect()
}
