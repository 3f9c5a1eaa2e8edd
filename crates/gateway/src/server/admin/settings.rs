//! What the Connect and Settings pages show and change: where Sluice listens and keeps its
//! data, the keychain's state, the token, and whether the proxy is paused.

use super::super::body::read_body;
use super::super::error::ApiError;
use crate::config::PRESETS;
use crate::Engine;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde_json::{json, Value};
use std::sync::Arc;

pub async fn info(State(engine): State<Arc<Engine>>) -> Json<Value> {
    let unavailable = engine.keys.keychain_unavailable();
    Json(json!({
        "version": env!("CARGO_PKG_VERSION"),
        "listen": engine.listen.to_string(),
        "base_url": format!("http://{}/v1", engine.listen),
        "data_dir": engine.data_dir.display().to_string(),
        "config_path": engine.config_path.display().to_string(),
        "token_fixed": engine.token_fixed(),
        "paused": engine.paused(),
        "keychain": {
            "available": unavailable.is_none(),
            "service": engine.keys.keychain_service(),
            "problem": unavailable,
        },
        "presets": PRESETS,
    }))
}

pub async fn rotate_token(State(engine): State<Arc<Engine>>) -> Result<Json<Value>, ApiError> {
    if engine.token_fixed() {
        return Err(ApiError::new(StatusCode::CONFLICT, "invalid_request_error", "the token is set by SLUICE_TOKEN (or by the app that started Sluice); change it there").code("token_fixed"));
    }
    let token = engine.rotate_token().map_err(|e| ApiError::internal(format!("could not write the new token: {e:#}")))?;
    Ok(Json(json!({ "token": *token })))
}

/// `PUT /api/proxy {"paused": bool}`.
pub async fn set_proxy(State(engine): State<Arc<Engine>>, headers: HeaderMap, body: Body) -> Result<Json<Value>, ApiError> {
    let bytes = read_body(body, &headers, 4096).await?;
    let paused = serde_json::from_slice::<Value>(&bytes)
        .ok()
        .and_then(|v| v.get("paused").and_then(Value::as_bool))
        .ok_or_else(|| ApiError::invalid_param("paused", "send {\"paused\": true} or {\"paused\": false}"))?;
    engine.set_paused(paused);
    Ok(Json(json!({ "paused": paused })))
}
