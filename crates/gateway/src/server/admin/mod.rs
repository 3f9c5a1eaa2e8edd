//! The admin API under `/api`, used by the UI in the desktop window and in a browser.

pub mod cache;
pub mod feedback;
pub mod keys;
pub mod providers;
pub mod quality;
pub mod routing;
pub mod settings;
pub mod suites;

use super::body::read_body;
use super::error::ApiError;
use crate::config::Config;
use crate::store;
use crate::{ConfigUpdateError, Engine};
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Instant;

type ApiResult = Result<Json<Value>, ApiError>;

fn db_error(e: store::StoreError) -> ApiError {
    ApiError::internal(format!("could not read the database: {e}"))
}

pub async fn stats(State(engine): State<Arc<Engine>>) -> ApiResult {
    let stats = engine.store.read_logged(store::stats).await.map_err(db_error)?;
    Ok(Json(serde_json::to_value(stats).expect("stats serialize")))
}

#[derive(Deserialize)]
pub struct RequestsQuery {
    limit: Option<u32>,
}

/// Two extractors over one query string: `serde(flatten)` cannot parse numbers from a URL.
pub async fn requests(State(engine): State<Arc<Engine>>, Query(q): Query<RequestsQuery>, Query(filter): Query<store::RequestFilter>) -> ApiResult {
    let limit = q.limit.unwrap_or(100).clamp(1, 1000);
    let rows = engine.store.read_logged(move |c| store::recent_requests(c, limit, &filter)).await.map_err(db_error)?;
    Ok(Json(json!({ "requests": rows })))
}

#[derive(Deserialize)]
pub struct UsageQuery {
    /// Unix ms; the period starts here.
    since: i64,
    /// The viewer's offset from UTC in minutes, east positive (JavaScript's
    /// `-getTimezoneOffset()`), so days break at the viewer's midnight.
    #[serde(default)]
    tz_offset_min: i64,
}

pub async fn usage(State(engine): State<Arc<Engine>>, Query(q): Query<UsageQuery>) -> ApiResult {
    if q.tz_offset_min.abs() > 14 * 60 {
        return Err(ApiError::invalid_param("tz_offset_min", "must be between -840 and 840 minutes"));
    }
    let report = engine.store.read_logged(move |c| store::usage(c, q.since, q.tz_offset_min * 60_000)).await.map_err(db_error)?;
    Ok(Json(serde_json::to_value(report).expect("usage serializes")))
}

pub async fn request_detail(State(engine): State<Arc<Engine>>, Path(id): Path<String>) -> ApiResult {
    let lookup = id.clone();
    let detail = engine.store.read_logged(move |c| store::request_detail(c, &lookup)).await.map_err(db_error)?;
    match detail {
        Some(d) => Ok(Json(serde_json::to_value(d).expect("detail serializes"))),
        None => Err(ApiError::not_found(format!("no request with id `{id}` in the log"))),
    }
}

/// Each target's health, and the request log's: `log.problem` says why it is degraded.
pub async fn health(State(engine): State<Arc<Engine>>) -> Json<Value> {
    let problem = engine.store.problem();
    Json(json!({ "targets": engine.health.snapshot(Instant::now()), "log": { "ok": problem.is_none(), "problem": problem } }))
}

pub async fn get_config(State(engine): State<Arc<Engine>>) -> Json<Value> {
    Json(json!({
        "config": engine.runtime().config,
        "path": engine.config_path.display().to_string(),
        "reload_error": engine.reload_error(),
    }))
}

/// Takes the same `config` object `GET` returns; invalid → 400 naming the field, and the old
/// config stays in force and on disk.
pub async fn put_config(State(engine): State<Arc<Engine>>, headers: HeaderMap, body: Body) -> ApiResult {
    let rt = engine.runtime();
    let bytes = read_body(body, &headers, rt.config.server.max_body_bytes).await?;
    let wrapper: Value = serde_json::from_slice(&bytes).map_err(|e| ApiError::invalid(format!("request body is not valid JSON: {e}")))?;
    let Some(inner) = wrapper.get("config") else {
        return Err(ApiError::invalid_param("config", "send {\"config\": {...}} with the whole config, as GET /api/config returns it"));
    };
    let config = Config::parse_json(inner.to_string().as_bytes()).map_err(|e| ApiError::invalid_param(format!("config.{}", e.field), format!("config.{e}")))?;
    let restart_required = config.server.listen != rt.config.server.listen;
    engine.update_config(config).map_err(|e| match e {
        ConfigUpdateError::Invalid(e) => ApiError::invalid_param(format!("config.{}", e.field), format!("config.{e}")),
        other => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "server_error", other.to_string()),
    })?;
    Ok(Json(json!({ "saved": true, "restart_required": restart_required })))
}
