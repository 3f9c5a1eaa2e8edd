//! `POST /api/providers/{id}/test`: can Sluice reach this provider with its key? Lists the
//! provider's models and how long that took, or shows the upstream's own error.

use super::super::error::ApiError;
use crate::providers::ProviderError;
use crate::Engine;
use axum::extract::{Path, State};
use axum::Json;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::{Duration, Instant};

const TEST_TIMEOUT: Duration = Duration::from_secs(15);

pub async fn test(State(engine): State<Arc<Engine>>, Path(id): Path<String>) -> Result<Json<Value>, ApiError> {
    let rt = engine.runtime();
    let Some(provider) = rt.providers.get(&id) else {
        return Err(match rt.config.providers.iter().any(|p| p.id == id) {
            true => ApiError::invalid(format!("provider `{id}` is disabled: enable it to test it")),
            false => ApiError::not_found(format!("no provider `{id}` in the config")),
        });
    };
    let started = Instant::now();
    let outcome = tokio::time::timeout(TEST_TIMEOUT, provider.models()).await;
    let latency_ms = crate::elapsed_ms(started);
    Ok(Json(match outcome {
        Ok(Ok(models)) => json!({ "ok": true, "latency_ms": latency_ms, "models": models }),
        Ok(Err(e)) => json!({ "ok": false, "latency_ms": latency_ms, "status": status_of(&e), "error": describe(&e) }),
        Err(_) => json!({ "ok": false, "latency_ms": latency_ms, "status": null, "error": format!("{id} did not answer within {} s", TEST_TIMEOUT.as_secs()) }),
    }))
}

fn status_of(e: &ProviderError) -> Option<u16> {
    match e {
        ProviderError::Status { status, .. } => Some(*status),
        _ => None,
    }
}

/// The upstream's own message when it sent one (bodies are already redacted of the key).
fn describe(e: &ProviderError) -> String {
    let ProviderError::Status { body, .. } = e else { return e.to_string() };
    let upstream = serde_json::from_slice::<Value>(body)
        .ok()
        .and_then(|v| v.pointer("/error/message").or_else(|| v.pointer("/message")).or_else(|| v.get("error")).and_then(Value::as_str).map(str::to_owned))
        .unwrap_or_else(|| String::from_utf8_lossy(&body[..body.len().min(300)]).trim().to_owned());
    if upstream.is_empty() {
        e.to_string()
    } else {
        format!("{e}: {upstream}")
    }
}
