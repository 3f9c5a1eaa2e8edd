//! `POST /api/requests/{id}/feedback`: a person (the UI's thumbs) or a tool (echoing the
//! `x-sluice-request-id` it was given) says whether an answer was right. A wrong answer that
//! came from the cache takes its entry out, so the next identical or similar question asks the
//! model.

use super::super::body::read_body;
use super::super::error::ApiError;
use super::{db_error, ApiResult};
use crate::store::{self, Feedback, Verdict};
use crate::Engine;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::Json;
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

/// Notes longer than this are refused (they go to the database as they are).
const MAX_NOTE: usize = 2000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FeedbackBody {
    verdict: Verdict,
    #[serde(default)]
    note: Option<String>,
}

pub async fn feedback(State(engine): State<Arc<Engine>>, Path(id): Path<String>, headers: HeaderMap, body: Body) -> ApiResult {
    let bytes = read_body(body, &headers, engine.runtime().config.server.max_body_bytes).await?;
    let ask: FeedbackBody = serde_json::from_slice(&bytes).map_err(|e| ApiError::invalid_param("verdict", format!("send {{\"verdict\": \"good\" or \"bad\", \"note\"?: \"…\"}}: {e}")))?;
    if ask.note.as_ref().is_some_and(|n| n.len() > MAX_NOTE) {
        return Err(ApiError::invalid_param("note", format!("keep the note under {MAX_NOTE} bytes")));
    }
    // The request may still be on its way from the journal to the database.
    engine.store.flush().await.map_err(db_error)?;
    let lookup = id.clone();
    let detail = engine.store.read(move |c| store::request_detail(c, &lookup)).await.map_err(db_error)?;
    let detail = detail.ok_or_else(|| ApiError::not_found(format!("no request with id `{id}` in the log")))?;
    let mut removed = None;
    if ask.verdict == Verdict::Bad {
        if let Some(key) = detail.cache_entry.as_deref().and_then(store::parse_entry_id) {
            engine.cache.remove(&key);
            engine.store.cache_feedback(key, Feedback::Invalidated, Some(id.clone()), true).await.map_err(db_error)?;
            removed = detail.cache_entry.clone();
        }
    }
    let (request, note, now) = (id.clone(), ask.note.clone(), crate::now_ms());
    engine.store.write(move |c| store::record_feedback(c, &request, ask.verdict, note.as_deref(), now)).await.map_err(db_error)?;
    engine.store.flush().await.map_err(db_error)?;
    Ok(Json(json!({ "request": id, "verdict": ask.verdict, "removed_cache_entry": removed })))
}
