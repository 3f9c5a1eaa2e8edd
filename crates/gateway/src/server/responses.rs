//! OpenAI's Responses API (`POST /v1/responses`), the stateless subset Codex CLI uses
//! (`wire_api = "responses"`): converted to the internal request at the edge
//! (`wire::responses`), then the one pipeline. OpenAI's own API gets the request as it came;
//! other targets answer through translation, written back as Responses items and events.

use super::body::{parse_object, read_body};
use super::error::ApiError;
use super::pipeline::{self, edge, Client, Inbound};
use crate::providers::NativeRequest;
use crate::wire::responses::request::{custom_tools, to_internal, WISHES};
use crate::wire::ClientApi;
use crate::Engine;
use axum::body::Body;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use serde_json::Value;
use std::sync::Arc;
use std::time::Instant;

const API: ClientApi = ClientApi::OpenaiResponses;

pub async fn responses(State(engine): State<Arc<Engine>>, headers: HeaderMap, body: Body) -> Response {
    let started = Instant::now();
    let read = async {
        let raw = read_body(body, &headers, engine.runtime().config.server.max_body_bytes).await?;
        let native = parse_object(&raw)?;
        let internal = to_internal(&native).map_err(|e| ApiError::invalid_param(e.path, e.message))?;
        Ok::<_, ApiError>((raw, native, internal))
    };
    match read.await {
        Ok((raw, native, internal)) => {
            let model = internal.body["model"].as_str().unwrap_or_default().to_owned();
            let stream = native.get("stream").and_then(Value::as_bool).unwrap_or(false);
            let client = Client { custom_tools: custom_tools(&native), ..Client::new(API) };
            let native = NativeRequest { api: API, body: native, headers: Vec::new(), untranslatable: internal.untranslatable, wishes: WISHES };
            pipeline::run(engine, &headers, Inbound { client, body: internal.body, native: Some(native), model, stream, raw, started }).await
        }
        Err(e) => edge::error(API, e),
    }
}
