//! `POST /api/requests/{id}/feedback`: a person (the UI's thumbs) or a tool (echoing the
//! `x-sluice-request-id` it was given) says whether an answer was right. A wrong answer that
//! came from the cache takes its entry out, so the next identical or similar question asks the
//! model. On a semantic hit, the verdict counts for its partition's threshold as a judge's
//! would (`quality::tune`).

use super::super::body::read_body;
use super::super::error::ApiError;
use super::{db_error, ApiResult};
use crate::quality::{self, tune, Hit};
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
    let lookup = id.clone();
    let detail = engine.store.read_logged(move |c| store::request_detail(c, &lookup)).await.map_err(db_error)?;
    let detail = detail.ok_or_else(|| ApiError::not_found(format!("no request with id `{id}` in the log")))?;
    let key = detail.cache_entry.as_deref().and_then(store::parse_entry_id);
    if let Some(key) = key.filter(|_| detail.request.cache == "hit-semantic") {
        tune(&engine, key, &detail.request.rule, ask.verdict, &id).await?;
    }
    let mut removed = None;
    if ask.verdict == Verdict::Bad {
        if let Some(key) = key {
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

/// Counts a person's verdict on a semantic hit for the partition of the entry that answered.
async fn tune(engine: &Arc<Engine>, key: [u8; 32], rule: &str, verdict: Verdict, request_id: &str) -> Result<(), ApiError> {
    let rt = engine.runtime();
    let quality = &rt.config.quality;
    if !quality.tune {
        return Ok(());
    }
    let Some(partition) = engine.store.read(move |c| store::entry_partition(c, &key)).await.map_err(db_error)? else { return Ok(()) };
    // The similarity of a logged hit is not kept, so a wrong one raises by a step.
    let hit = Hit { partition, similarity: None, key, configured: rt.config.cache.threshold as f32 };
    let verdict = match verdict {
        Verdict::Good => quality::Verdict::Agree,
        Verdict::Bad => quality::Verdict::Disagree,
    };
    engine.quality.tune(&engine.store, tune::Bounds::of(quality), &hit, rule, verdict, request_id).await.map_err(db_error)?;
    Ok(())
}
