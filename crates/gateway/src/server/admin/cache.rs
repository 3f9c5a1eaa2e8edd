//! `/api/cache`: the cache page's entries, feedback on wrong answers, clearing, model status.

use super::{db_error, ApiResult};
use crate::server::error::ApiError;
use crate::store::{self, Feedback};
use crate::Engine;
use axum::extract::{Path, Query, State};
use axum::Json;
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

#[derive(Deserialize)]
pub struct EntriesQuery {
    q: Option<String>,
    limit: Option<u32>,
}

pub async fn entries(State(engine): State<Arc<Engine>>, Query(query): Query<EntriesQuery>) -> ApiResult {
    let limit = query.limit.unwrap_or(100).clamp(1, 1000);
    let search = query.q.map(|q| q.trim().to_owned()).filter(|q| !q.is_empty());
    let now = crate::now_ms();
    let entries = engine.store.read_logged(move |c| store::cache_entries(c, search.as_deref(), limit, now)).await.map_err(db_error)?;
    Ok(Json(json!({ "entries": entries })))
}

/// The embedding model's state and the semantic cache's counters.
pub async fn status(State(engine): State<Arc<Engine>>) -> ApiResult {
    let counts = engine.store.read_logged(store::cache_counts).await.map_err(db_error)?;
    Ok(Json(json!({
        "model": engine.semantic.status(),
        "entries": counts.cache_entries,
        "semantic_hits": counts.semantic_hits,
        "likely_wrong_hits": counts.likely_wrong_hits,
        "invalidated": counts.invalidated,
    })))
}

#[derive(Deserialize, Default)]
pub struct InvalidateBody {
    /// The request that was answered wrongly, if the feedback came from one.
    request_id: Option<String>,
}

/// Removes an entry whose answer was wrong, and counts it.
pub async fn invalidate(State(engine): State<Arc<Engine>>, Path(id): Path<String>, body: Option<Json<InvalidateBody>>) -> ApiResult {
    let key = store::parse_entry_id(&id).ok_or_else(|| ApiError::invalid_param("id", format!("`{id}` is not a cache entry id (64 hex digits, as /api/cache lists them)")))?;
    if !engine.store.read_logged(move |c| store::cache_entry_exists(c, &key)).await.map_err(db_error)? {
        return Err(ApiError::not_found(format!("no cache entry `{id}`; it may have expired or been removed already")));
    }
    engine.cache.remove(&key);
    let request_id = body.and_then(|Json(b)| b.request_id);
    engine.store.cache_feedback(key, Feedback::Invalidated, request_id, true).await.map_err(db_error)?;
    engine.store.flush().await.map_err(db_error)?;
    Ok(Json(json!({ "removed": id })))
}

#[derive(Deserialize, Default)]
pub struct FetchBody {
    /// A folder holding the model, to import instead of downloading.
    from: Option<std::path::PathBuf>,
}

/// Starts downloading (or importing) the embedding model; `/api/cache/status` follows it.
pub async fn fetch_model(State(engine): State<Arc<Engine>>, body: Option<Json<FetchBody>>) -> Result<(axum::http::StatusCode, Json<serde_json::Value>), ApiError> {
    let from = body.and_then(|Json(b)| b.from);
    if let Some(from) = from.as_ref().filter(|f| !f.is_dir()) {
        return Err(ApiError::invalid_param("from", format!("{} is not a folder", from.display())));
    }
    engine.semantic.fetch_model(from, engine.http_client()).map_err(|e| ApiError::new(axum::http::StatusCode::CONFLICT, "invalid_request_error", e.to_string()).code("model_not_missing"))?;
    Ok((axum::http::StatusCode::ACCEPTED, Json(json!({ "model": engine.semantic.status() }))))
}

/// Empties the cache (exact and semantic).
pub async fn clear(State(engine): State<Arc<Engine>>) -> ApiResult {
    let before = engine.store.read_logged(store::cache_counts).await.map_err(db_error)?.cache_entries;
    engine.cache.clear();
    engine.store.cache_clear().await.map_err(db_error)?;
    engine.store.flush().await.map_err(db_error)?;
    Ok(Json(json!({ "removed": before })))
}
