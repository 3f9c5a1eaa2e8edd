//! `/api/keys`: provider keys in the OS keychain. The API takes keys in and never gives one
//! back: a listing says only whether a key is set, where it comes from and its last four
//! characters.

use super::super::body::read_body;
use super::super::error::ApiError;
use crate::secrets::{KeyError, KeyOrigin, KeychainError};
use crate::Engine;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::Serialize;
use serde_json::{json, Value};
use std::sync::Arc;

#[derive(Serialize)]
struct KeyInfo {
    provider: String,
    set: bool,
    last4: Option<String>,
    /// `keychain` or `env`; none when unset.
    source: Option<KeyOrigin>,
    /// The variable read when the keychain has no key.
    env_var: Option<String>,
}

pub async fn list(State(engine): State<Arc<Engine>>) -> Result<Json<Value>, ApiError> {
    let rt = engine.runtime();
    let providers: Vec<(String, Option<String>)> = rt.config.providers.iter().map(|p| (p.id.clone(), p.key_env().map(str::to_owned))).collect();
    let infos = blocking(move || {
        providers
            .into_iter()
            .map(|(provider, env_var)| {
                let found = engine.keys.key(&provider, env_var.as_deref());
                KeyInfo { set: found.is_some(), last4: found.as_ref().and_then(|(k, _)| k.last4()), source: found.map(|(_, o)| o), provider, env_var }
            })
            .collect::<Vec<_>>()
    })
    .await?;
    Ok(Json(serde_json::to_value(infos).expect("key infos serialize")))
}

pub async fn put(State(engine): State<Arc<Engine>>, Path(provider): Path<String>, headers: HeaderMap, body: Body) -> Result<Json<Value>, ApiError> {
    known_provider(&engine, &provider)?;
    let bytes = read_body(body, &headers, 64 * 1024).await?;
    // The parser's own message could quote the body, and the body is a key.
    let parsed: Value = serde_json::from_slice(&bytes).map_err(|_| ApiError::invalid("the body must be JSON like {\"key\": \"sk-...\"}"))?;
    let Some(key) = parsed.get("key").and_then(Value::as_str).map(str::to_owned) else {
        return Err(ApiError::invalid_param("key", "send {\"key\": \"...\"} with the provider's API key as a string"));
    };
    let e = engine.clone();
    let id = provider.clone();
    blocking(move || e.keys.set(&id, &key)).await?.map_err(key_error)?;
    engine.keys_changed();
    tracing::info!(provider = %provider, "key stored in the keychain");
    Ok(Json(json!({ "provider": provider, "set": true })))
}

pub async fn delete(State(engine): State<Arc<Engine>>, Path(provider): Path<String>) -> Result<Json<Value>, ApiError> {
    known_provider(&engine, &provider)?;
    let e = engine.clone();
    let id = provider.clone();
    let removed = blocking(move || e.keys.remove(&id)).await?.map_err(key_error)?;
    engine.keys_changed();
    Ok(Json(json!({ "provider": provider, "removed": removed })))
}

fn known_provider(engine: &Engine, provider: &str) -> Result<(), ApiError> {
    if engine.runtime().config.providers.iter().any(|p| p.id == provider) {
        Ok(())
    } else {
        Err(ApiError::not_found(format!("no provider `{provider}` in the config: add it on the Providers page (or as [[providers]] in the config file) first")))
    }
}

fn key_error(e: KeyError) -> ApiError {
    match e {
        KeyError::Invalid(message) => ApiError::invalid_param("key", message),
        KeyError::Keychain(e @ KeychainError::Unavailable(_)) => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "keychain_unavailable", e.to_string()).code("keychain_unavailable"),
        KeyError::Keychain(e) => ApiError::internal(e.to_string()),
    }
}

/// Keychain calls block (D-Bus round trips, OS prompts): keep them off the async workers.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| ApiError::internal(format!("keychain task failed: {e}")))
}
