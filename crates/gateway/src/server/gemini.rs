//! Google's Gemini API (`POST /v1beta/models/{model}:generateContent`,
//! `:streamGenerateContent?alt=sse`, `:countTokens`, the same under `/v1/models/`, and
//! `GET /v1beta/models`), for Gemini CLI
//! (`GOOGLE_GEMINI_BASE_URL`) and the google-genai SDKs, which send the Sluice token as
//! `x-goog-api-key`. Converted to the internal request at the edge (`wire::gemini`), then the
//! one pipeline; a Gemini target gets the client's own body.

use super::body::{parse_object, read_body};
use super::error::ApiError;
use super::pipeline::{self, edge, Client, Inbound};
use crate::providers::NativeRequest;
use crate::wire::gemini::request::{to_internal, WISHES};
use crate::wire::ClientApi;
use crate::Engine;
use axum::body::Body;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Instant;

const API: ClientApi = ClientApi::Gemini;

/// `{model}:{method}`, the model possibly `provider/model`.
pub async fn call(State(engine): State<Arc<Engine>>, Path(rest): Path<String>, RawQuery(query): RawQuery, headers: HeaderMap, body: Body) -> Response {
    let started = Instant::now();
    let Some((model, method)) = rest.rsplit_once(':') else {
        return edge::error(API, ApiError::not_found(format!("no such endpoint: models/{rest}; Sluice answers models/{{model}}:generateContent, :streamGenerateContent and :countTokens")));
    };
    let model = model.to_owned();
    let stream = match method {
        "generateContent" => false,
        "streamGenerateContent" if query.as_deref().is_some_and(|q| q.split('&').any(|p| p == "alt=sse")) => true,
        "streamGenerateContent" => return edge::error(API, ApiError::invalid_param("alt", "Sluice streams Gemini answers as server-sent events: add ?alt=sse (the google-genai SDKs do)")),
        "countTokens" => return count(engine, headers, body, model).await,
        other => return edge::error(API, ApiError::not_found(format!("no such method: {other}; Sluice answers generateContent, streamGenerateContent and countTokens"))),
    };
    let read = async {
        let raw = read_body(body, &headers, engine.runtime().config.server.max_body_bytes).await?;
        let native = parse_object(&raw)?;
        let internal = to_internal(&native, &model).map_err(|e| ApiError::invalid_param(e.path, e.message))?;
        Ok::<_, ApiError>((raw, native, internal))
    };
    match read.await {
        Ok((raw, native, internal)) => {
            let native = NativeRequest { api: API, body: native, headers: Vec::new(), untranslatable: internal.untranslatable, wishes: WISHES };
            let inbound = Inbound { client: Client::new(API), body: internal.body, native: Some(native), model, stream, raw, started };
            pipeline::run(engine, &headers, inbound).await
        }
        Err(e) => edge::error(API, e),
    }
}

/// `countTokens` takes `contents` or a whole `generateContentRequest`.
async fn count(engine: Arc<Engine>, headers: HeaderMap, body: Body, model: String) -> Response {
    let counted = async {
        let raw = read_body(body, &headers, engine.runtime().config.server.max_body_bytes).await?;
        let mut native = parse_object(&raw)?;
        if let Some(Value::Object(inner)) = native.remove("generateContentRequest") {
            native = inner;
            native.remove("model");
        }
        let internal = to_internal(&native, &model).map_err(|e| ApiError::invalid_param(e.path, e.message))?;
        let native = NativeRequest { api: API, body: native, headers: Vec::new(), untranslatable: internal.untranslatable, wishes: WISHES };
        pipeline::count_tokens(&engine, &model, internal.body, native).await
    };
    match counted.await {
        Ok(n) => axum::Json(json!({ "totalTokens": n })).into_response(),
        Err(e) => edge::error(API, e),
    }
}

/// `GET /v1beta/models`: the same models as `/v1/models`, in Gemini's shape.
pub async fn list(state: State<Arc<Engine>>) -> Response {
    let axum::Json(list) = super::models::list_models(state, HeaderMap::new()).await;
    let models: Vec<Value> = list["data"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|m| json!({"name": format!("models/{}", m["id"].as_str().unwrap_or("")), "displayName": m["id"], "supportedGenerationMethods": ["generateContent", "streamGenerateContent", "countTokens"]}))
        .collect();
    axum::Json(json!({ "models": models })).into_response()
}
