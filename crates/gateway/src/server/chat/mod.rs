//! `POST /v1/chat/completions`: validate, resolve the route, answer from the cache or from the
//! first target that answers, then log, price and cache the answer.

mod call;
mod request;
mod semantic;
mod stream;

use super::body::{parse_object, read_body};
use super::error::ApiError;
use super::respond::new_request_id;
use crate::cache::semantic::SemanticQuery;
use crate::cache::CachePlan;
use crate::router::{call_chat, Answer, Served};
use crate::Engine;
use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use call::Call;
use serde_json::json;
use std::sync::Arc;
use std::time::Instant;

pub async fn chat_completions(State(engine): State<Arc<Engine>>, headers: HeaderMap, body: Body) -> Response {
    match handle(engine, headers, body).await {
        Ok(response) => response,
        Err(e) => e.into_response(),
    }
}

async fn handle(engine: Arc<Engine>, headers: HeaderMap, body: Body) -> Result<Response, ApiError> {
    let started = Instant::now();
    let rt = engine.runtime();
    let bytes = read_body(body, &headers, rt.config.server.max_body_bytes).await?;
    let mut body = parse_object(&bytes)?;
    let params = request::validate(&body)?;
    let route = rt
        .routes
        .resolve(&params.model, &rt.prices)
        .map_err(|e| ApiError::not_found(e.to_string()).code("model_not_found"))?;
    let plan = CachePlan::new(&route.cache, &headers, &body, &route.identity);
    // The embedder's name is asked for only when the route would use it (not on every request).
    let semantic = plan.and(route.cache.semantic).and_then(|settings| {
        let embedder = engine.semantic.embedder_name()?;
        SemanticQuery::from_request(&route.identity, &embedder, &body).map(|query| (settings, query))
    });
    if params.stream {
        // Ask for usage even when the client did not, to price the call; the usage-only chunk
        // is withheld from clients that did not ask for it.
        body.insert("stream_options".into(), json!({ "include_usage": true }));
    }
    let body = Arc::new(body);
    let store_bodies = rt.config.log.store_bodies;
    let mut call = Call {
        request_body: store_bodies.then(|| String::from_utf8_lossy(&bytes).into_owned()),
        body: body.clone(),
        engine: engine.clone(),
        rt: rt.clone(),
        id: new_request_id(),
        started,
        ts_ms: crate::now_ms(),
        params,
        route,
        plan,
        semantic: semantic::PendingRow::None,
    };
    let lookup = call.plan.is_some_and(|p| p.lookup);
    if let Some(plan) = call.plan.filter(|_| lookup) {
        if let Some(hit) = engine.cache.get(plan.key, call.ts_ms).await {
            return Ok(call.serve_hit(hit, None).await);
        }
    }
    if let Some((settings, query)) = semantic {
        match semantic::consult(&engine, settings, query, lookup, call.ts_ms, &call.id).await {
            semantic::Outcome::Hit(hit, matched) => return Ok(call.serve_hit(hit, Some(matched)).await),
            semantic::Outcome::Miss(pending) => call.semantic = pending,
        }
    }
    let mut attempts = Vec::new();
    let result = call_chat(&rt.providers, &engine.health, &rt.config.router, &call.route, &body, call.params.stream, &mut attempts).await;
    Ok(match result {
        Err(e) => call.fail(e, attempts).await,
        Ok(Served { target, answer: Answer::Complete(bytes) }) => call.complete(target, bytes, attempts).await,
        Ok(Served { target, answer: Answer::Stream { first, rest } }) => stream::respond(call, target, first, rest, attempts),
    })
}
