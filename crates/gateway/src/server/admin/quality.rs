//! The Quality page's data: agreement per rule, target and cache partition with a 95 %
//! interval, a rule's agreement day by day, the latest disagreements, what sampling spent
//! today against its cap, and every threshold move, each of which can be undone.

use super::routing::StatsQuery;
use super::{db_error, ApiResult};
use crate::quality::UndoError;
use crate::server::error::ApiError;
use crate::store::{self, Agreement};
use crate::suites::report::wilson;
use crate::Engine;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};
use std::sync::Arc;

/// Fewer judged verdicts than this never raise an alert: one early disagreement is noise.
const MIN_JUDGED: u64 = 5;

pub async fn overview(State(engine): State<Arc<Engine>>, Query(q): Query<StatsQuery>) -> ApiResult {
    let days = q.days.unwrap_or(30).clamp(1, 366);
    let since = crate::now_ms() - days as i64 * 86_400_000;
    let records = engine.store.read_logged(move |c| store::quality_records(c, since)).await.map_err(db_error)?;
    let rt = engine.runtime();
    let floor = rt.config.quality.floor;
    let rate = |a: &Agreement| {
        let judged = a.agree + a.disagree;
        let (low, high) = wilson(a.agree as usize, judged as usize);
        let rate = (judged > 0).then(|| a.agree as f64 / judged as f64);
        let alert = judged >= MIN_JUDGED && rate.is_some_and(|r| r < floor);
        let mut v = serde_json::to_value(a).unwrap_or_default();
        v["rate"] = json!(rate);
        v["low"] = json!(low);
        v["high"] = json!(high);
        v["alert"] = json!(alert);
        v
    };
    let thresholds: std::collections::HashMap<String, (String, f32)> = engine.quality.tuned_partitions().into_iter().map(|(p, rule, t)| (p, (rule, t))).collect();
    // Partitions moved by feedback alone have no verdicts in the period, but a threshold.
    let quiet = thresholds.iter().filter(|(p, _)| !records.partitions.iter().any(|a| &a.name == *p));
    let quiet: Vec<Agreement> = quiet.map(|(p, (rule, _))| Agreement { name: p.clone(), rule: Some(rule.clone()), agree: 0, disagree: 0, unknown: 0, cost_usd: 0.0, saved_usd: 0.0 }).collect();
    let partitions: Vec<Value> = records.partitions.iter().chain(&quiet).map(|a| {
        let mut v = rate(a);
        v["threshold"] = json!(thresholds.get(&a.name).map(|(_, t)| *t));
        v
    }).collect();
    let rules: Vec<Value> = records.rules.iter().map(rate).collect();
    let alerts: Vec<Value> = rules.iter().filter(|r| r["alert"] == json!(true)).map(|r| json!({ "rule": r["name"], "rate": r["rate"], "floor": floor })).collect();
    Ok(Json(json!({
        "days": days,
        "config": rt.config.quality,
        "today": engine.quality.today(),
        "labelled_prompts": engine.quality.labelled(),
        "alerts": alerts,
        "rules": rules,
        "targets": records.targets.iter().map(rate).collect::<Vec<_>>(),
        "partitions": partitions,
        "series": records.days,
        "disagreements": records.disagreements,
        "changes": records.changes,
    })))
}

pub async fn undo(State(engine): State<Arc<Engine>>, Path(id): Path<String>) -> ApiResult {
    let id: i64 = id.parse().map_err(|_| ApiError::invalid_param("id", format!("`{id}` is not a change number")))?;
    match engine.quality.undo(&engine.store, id).await {
        Ok(change) => Ok(Json(json!(change))),
        Err(e @ UndoError::NotFound(_)) => Err(ApiError::not_found(e.to_string())),
        Err(e @ (UndoError::Undone(_) | UndoError::IsUndo(_))) => Err(ApiError::new(StatusCode::CONFLICT, "invalid_request_error", e.to_string()).code("conflict")),
        Err(UndoError::Store(e)) => Err(db_error(e)),
    }
}
