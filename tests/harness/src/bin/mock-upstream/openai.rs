//! OpenAI's chat completions, embeddings and model list.

use super::{flag, has, header, sse, words, Api, Mock, Reply, Shared, Turn};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use std::time::Duration;

fn error(status: StatusCode, message: &str) -> Response {
    let kind = if status.is_client_error() { "invalid_request_error" } else { "server_error" };
    (status, Json(json!({"error": {"message": message, "type": kind, "param": null, "code": null}}))).into_response()
}

fn bearer(headers: &HeaderMap) -> String {
    let auth = header(headers, "authorization");
    auth.strip_prefix("Bearer ").unwrap_or(&auth).to_owned()
}

const CHAT: Api = Api { path: "/v1/chat/completions", key_of: bearer, error };

fn text(content: Option<&Value>) -> String {
    match content {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(parts)) => parts.iter().filter_map(|p| p.get("text").and_then(Value::as_str)).collect::<Vec<_>>().join(" "),
        _ => String::new(),
    }
}

fn turn(body: &Value) -> Turn {
    let messages = body.get("messages").and_then(Value::as_array).cloned().unwrap_or_default();
    let last_user = messages.iter().rev().find(|m| m.get("role").and_then(Value::as_str) == Some("user"));
    let last = messages.last().filter(|m| m.get("role").and_then(Value::as_str) == Some("tool"));
    Turn {
        last_user_text: text(last_user.and_then(|m| m.get("content"))),
        tool_result: last.map(|m| text(m.get("content"))),
        has_tools: body.get("tools").and_then(Value::as_array).is_some_and(|t| !t.is_empty()),
    }
}

fn prompt_words(body: &Value) -> u64 {
    body.get("messages").and_then(Value::as_array).into_iter().flatten().map(|m| m.get("content").and_then(Value::as_str).map(words).unwrap_or(1)).sum()
}

pub async fn chat(State(mock): Shared, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    let model = body.get("model").and_then(Value::as_str).unwrap_or("").to_owned();
    let count = match mock.admit(&CHAT, &headers, &model, &body) {
        Ok(n) => n,
        Err(r) => return r,
    };
    mock.event(format!("chat {model}"));
    let _in_flight = super::InFlight::start(&mock, &model);
    if let Some((_, r)) = Mock::failure(&CHAT, &model, count) {
        return r;
    }
    if has(&model, "hang") {
        std::future::pending::<()>().await;
    }
    let delay = Duration::from_millis(flag(&model, "delay").unwrap_or(0));
    let reply = turn(&body).reply(&model);
    let content = match &reply {
        Reply::Text(t) => t.clone(),
        Reply::Tool { input, .. } => input.to_string(),
    };
    let usage = (!has(&model, "nousage")).then(|| {
        let prompt = prompt_words(&body) + 5;
        json!({"prompt_tokens": prompt, "completion_tokens": words(&content), "total_tokens": prompt + words(&content),
               "prompt_tokens_details": {"cached_tokens": flag(&model, "cached").unwrap_or(0).min(prompt)}})
    });
    let finish = if matches!(reply, Reply::Tool { .. }) { "tool_calls" } else { "stop" };
    let stream = body.get("stream").and_then(Value::as_bool).unwrap_or(false);
    if !stream {
        // Even a zero sleep waits for the timer's next 1 ms tick.
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        let message = match &reply {
            Reply::Tool { name, input } => json!({"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": name, "arguments": input.to_string()}}]}),
            Reply::Text(t) => json!({"role": "assistant", "content": t}),
        };
        let mut out = json!({"id": format!("chatcmpl-{count}"), "object": "chat.completion", "created": 1_700_000_000, "model": model,
            "choices": [{"index": 0, "message": message, "finish_reason": finish}]});
        if let Some(u) = usage {
            out["usage"] = u;
        }
        return Json(out).into_response();
    }
    let include_usage = body.pointer("/stream_options/include_usage").and_then(Value::as_bool).unwrap_or(false);
    let head = |delta: Value, finish: Value| {
        json!({"id": format!("chatcmpl-{count}"), "object": "chat.completion.chunk", "created": 1_700_000_000, "model": model,
               "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
    };
    let mut events = vec![head(json!({"role": "assistant", "content": ""}), Value::Null)];
    match &reply {
        Reply::Tool { name, input } => {
            events.push(head(json!({"tool_calls": [{"index": 0, "id": "call_1", "type": "function", "function": {"name": name, "arguments": ""}}]}), Value::Null));
            let args = input.to_string();
            let (a, b) = args.split_at(args.len() / 2);
            for piece in [a, b] {
                events.push(head(json!({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]}), Value::Null));
            }
        }
        Reply::Text(t) => events.extend(super::word_pieces(t).into_iter().map(|p| head(json!({"content": p}), Value::Null))),
    }
    events.push(head(json!({}), json!(finish)));
    if let (true, Some(u)) = (include_usage, usage) {
        events.push(json!({"id": format!("chatcmpl-{count}"), "object": "chat.completion.chunk", "created": 1_700_000_000, "model": model, "choices": [], "usage": u}));
    }
    let mut frames: Vec<String> = events.into_iter().map(|e| format!("data: {e}\n\n")).collect();
    frames.push("data: [DONE]\n\n".into());
    sse(mock, frames, delay, flag(&model, "cut"))
}

const EMBEDDINGS: Api = Api { path: "/v1/embeddings", key_of: bearer, error };

pub async fn embeddings(State(mock): Shared, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    let model = body["model"].as_str().unwrap_or("").to_owned();
    if let Err(r) = mock.admit(&EMBEDDINGS, &headers, &model, &body) {
        return r;
    }
    let inputs: Vec<String> = match body.get("input") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a.iter().map(|v| v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string())).collect(),
        _ => return error(StatusCode::BAD_REQUEST, "input is required"),
    };
    let data: Vec<Value> = inputs
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let seed = text.bytes().fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(b as u32));
            let v: Vec<f32> = (0..8).map(|k| ((seed.rotate_left(k * 4) % 1000) as f32) / 1000.0).collect();
            json!({"object": "embedding", "index": i, "embedding": v})
        })
        .collect();
    let tokens: u64 = inputs.iter().map(|t| words(t)).sum();
    tokio::time::sleep(Duration::from_millis(flag(&model, "delay").unwrap_or(0))).await;
    mock.event(format!("embedded {model}"));
    Json(json!({"object": "list", "data": data, "model": body["model"], "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})).into_response()
}

const MODELS: Api = Api { path: "/v1/models", key_of: models_key, error };

/// The model list answers both families' clients: a bearer token or Anthropic's `x-api-key`.
fn models_key(headers: &HeaderMap) -> String {
    Some(header(headers, "x-api-key")).filter(|k| !k.is_empty()).unwrap_or_else(|| bearer(headers))
}

pub async fn models(State(mock): Shared, headers: HeaderMap) -> Response {
    if let Err(r) = mock.admit(&MODELS, &headers, "_models", &json!({})) {
        return r;
    }
    Json(json!({"object": "list", "data": [{"id": "mock-a", "object": "model"}, {"id": "mock-b", "object": "model"}]})).into_response()
}

const RESPONSES: Api = Api { path: "/v1/responses", key_of: bearer, error };

/// The last user text and tool output of a Responses `input`.
fn responses_turn(body: &Value) -> Turn {
    let items = match &body["input"] {
        Value::String(s) => vec![json!({"role": "user", "content": s})],
        Value::Array(items) => items.clone(),
        _ => Vec::new(),
    };
    let last_user = items.iter().rev().find(|i| i["role"] == "user");
    let last = items.last().filter(|i| i["type"] == "function_call_output");
    Turn {
        last_user_text: last_user.map(|m| text(m.get("content"))).unwrap_or_default(),
        tool_result: last.map(|i| i["output"].as_str().map(str::to_owned).unwrap_or_else(|| i["output"].to_string())),
        has_tools: body["tools"].as_array().is_some_and(|t| t.iter().any(|t| t["type"] == "function")),
    }
}

/// OpenAI's Responses API (stateless, as Codex uses it): events from `response.created` to
/// `response.completed`, each with its `sequence_number`.
pub async fn responses(State(mock): Shared, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    let model = body.get("model").and_then(Value::as_str).unwrap_or("").to_owned();
    let count = match mock.admit(&RESPONSES, &headers, &model, &body) {
        Ok(n) => n,
        Err(r) => return r,
    };
    if let Some((_, r)) = Mock::failure(&RESPONSES, &model, count) {
        return r;
    }
    let item = match responses_turn(&body).reply(&model) {
        Reply::Text(t) => json!({"type": "message", "id": format!("msg_{count}"), "status": "completed", "role": "assistant", "content": [{"type": "output_text", "text": t, "annotations": []}]}),
        Reply::Tool { name, input } => json!({"type": "function_call", "id": format!("fc_{count}"), "status": "completed", "call_id": format!("call_{count}"), "name": name, "arguments": input.to_string()}),
    };
    let usage = json!({"input_tokens": 20, "input_tokens_details": {"cached_tokens": flag(&model, "cached").unwrap_or(0)}, "output_tokens": 7, "output_tokens_details": {"reasoning_tokens": 0}, "total_tokens": 27});
    let response = |status: &str, output: Value| json!({"id": format!("resp_{count}"), "object": "response", "created_at": 1_700_000_000, "status": status, "model": model, "output": output, "usage": usage});
    if !body["stream"].as_bool().unwrap_or(false) {
        return Json(response("completed", json!([item]))).into_response();
    }
    let mut events = vec![json!({"type": "response.created", "response": response("in_progress", json!([]))})];
    let mut added = item.clone();
    if item["type"] == "message" {
        added["content"] = json!([]);
        events.push(json!({"type": "response.output_item.added", "output_index": 0, "item": added}));
        let part = |text: &str| json!({"type": "output_text", "text": text, "annotations": []});
        events.push(json!({"type": "response.content_part.added", "item_id": item["id"], "output_index": 0, "content_index": 0, "part": part("")}));
        let text = item["content"][0]["text"].as_str().unwrap_or("");
        events.extend(super::word_pieces(text).into_iter().map(|p| json!({"type": "response.output_text.delta", "item_id": item["id"], "output_index": 0, "content_index": 0, "delta": p})));
        events.push(json!({"type": "response.output_text.done", "item_id": item["id"], "output_index": 0, "content_index": 0, "text": text}));
        events.push(json!({"type": "response.content_part.done", "item_id": item["id"], "output_index": 0, "content_index": 0, "part": part(text)}));
    } else {
        added["arguments"] = json!("");
        events.push(json!({"type": "response.output_item.added", "output_index": 0, "item": added}));
        events.push(json!({"type": "response.function_call_arguments.delta", "item_id": item["id"], "output_index": 0, "delta": item["arguments"]}));
    }
    events.push(json!({"type": "response.output_item.done", "output_index": 0, "item": item}));
    events.push(json!({"type": "response.completed", "response": response("completed", json!([item]))}));
    let frames = events.into_iter().enumerate().map(|(n, mut e)| {
        e["sequence_number"] = json!(n);
        format!("event: {}\ndata: {e}\n\n", e["type"].as_str().unwrap())
    });
    sse(mock, frames.collect(), Duration::from_millis(flag(&model, "delay").unwrap_or(0)), flag(&model, "cut"))
}

/// Azure OpenAI: the deployment in the path, `api-version` in the query, the key in `api-key`;
/// then the same chat API (the event log says which deployment and version were asked for).
pub async fn azure_chat(State(mock): Shared, axum::extract::Path(deployment): axum::extract::Path<String>, axum::extract::RawQuery(query): axum::extract::RawQuery, headers: HeaderMap, Json(mut body): Json<Value>) -> Response {
    let Some(version) = query.as_deref().and_then(|q| q.split('&').find_map(|p| p.strip_prefix("api-version="))) else {
        return error(StatusCode::NOT_FOUND, "Resource not found: api-version is missing");
    };
    mock.event(format!("azure {deployment} {version}"));
    let mut as_openai = HeaderMap::new();
    if let Ok(v) = format!("Bearer {}", header(&headers, "api-key")).parse() {
        as_openai.insert("authorization", v);
    }
    body["model"] = json!(deployment);
    chat(State(mock), as_openai, Json(body)).await
}
