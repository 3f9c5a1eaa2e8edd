//! Input-token counts for the client APIs that have an endpoint for them (Anthropic's
//! `count_tokens`, Gemini's `countTokens`): the route's first target counts them when it speaks
//! the client's API, else Sluice estimates them (tiktoken's o200k, like the request log).

use crate::pricing::estimate_usage;
use crate::providers::{NativeRequest, UpstreamRequest};
use crate::server::error::ApiError;
use crate::Engine;
use axum::http::StatusCode;
use serde_json::{Map, Value};
use std::sync::Arc;

/// `body` is the request in the internal form, `native` as the client sent it.
pub async fn count_tokens(engine: &Arc<Engine>, model: &str, body: Map<String, Value>, native: NativeRequest) -> Result<u64, ApiError> {
    let rt = engine.runtime();
    let route = rt.routes.resolve(model, &rt.prices).map_err(|e| ApiError::not_found(e.to_string()).code("model_not_found"))?;
    let target = &route.targets[0];
    if let Some(provider) = rt.providers.get(&target.provider).filter(|p| p.passes_through(native.api)) {
        let request = UpstreamRequest { body: &body, model: &target.model, native: Some(&native) };
        return provider.count_tokens(request).await.map_err(|e| ApiError::new(StatusCode::from_u16(e.client_status()).unwrap_or(StatusCode::BAD_GATEWAY), "upstream_error", e.to_string()));
    }
    let tools = body.get("tools").map(Value::to_string).unwrap_or_default();
    let messages = body.get("messages").cloned().unwrap_or(Value::Null);
    let estimate = tokio::task::spawn_blocking(move || estimate_usage(&messages, "").prompt + estimate_usage(&Value::Null, &tools).completion);
    Ok(estimate.await.unwrap_or_default())
}
