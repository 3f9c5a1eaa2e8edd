//! Anthropic's Messages API, with streams shaped like the documented examples (message_start,
//! content blocks with their deltas, ping, message_delta, message_stop) and requests checked
//! the way Anthropic checks them, so a bad translation fails here as it would there.

use super::{flag, has, header, sse, word_pieces, words, Api, Mock, Reply, Shared, Turn};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use std::time::Duration;

fn error(status: StatusCode, message: &str) -> Response {
    let kind = match status.as_u16() {
        400 => "invalid_request_error",
        401 => "authentication_error",
        404 => "not_found_error",
        429 => "rate_limit_error",
        529 => "overloaded_error",
        _ => "api_error",
    };
    (status, Json(json!({"type": "error", "error": {"type": kind, "message": message}, "request_id": "req_mock"}))).into_response()
}

fn api_key(headers: &HeaderMap) -> String {
    header(headers, "x-api-key")
}

const MESSAGES: Api = Api { path: "/v1/messages", key_of: api_key, error };
const COUNT: Api = Api { path: "/v1/messages/count_tokens", key_of: api_key, error };

/// The checks Anthropic makes that a translation could fail.
fn check(body: &Value, counting: bool) -> Result<(), String> {
    if !counting && body.get("max_tokens").and_then(Value::as_u64).is_none() {
        return Err("max_tokens: Field required".into());
    }
    let messages = body.get("messages").and_then(Value::as_array).filter(|m| !m.is_empty()).ok_or("messages: Field required")?;
    if let Some(system) = body.get("system") {
        let ok = system.is_string() || system.as_array().is_some_and(|b| b.iter().all(|b| b["type"] == "text" && b["text"].is_string()));
        if !ok {
            return Err("system: Input should be a valid string or a list of text blocks".into());
        }
    }
    let mut tool_ids: Vec<&str> = Vec::new();
    for (i, m) in messages.iter().enumerate() {
        let role = m["role"].as_str().unwrap_or("");
        if !matches!(role, "user" | "assistant" | "system") {
            return Err(format!("messages.{i}.role: Input should be 'user', 'assistant' or 'system'"));
        }
        let Some(blocks) = m["content"].as_array() else {
            if m["content"].is_string() {
                continue;
            }
            return Err(format!("messages.{i}.content: Input should be a valid string or list"));
        };
        for (j, b) in blocks.iter().enumerate() {
            match (role, b["type"].as_str().unwrap_or("")) {
                (_, "text") if b["text"].is_string() => {}
                ("user", "image") if b["source"]["type"] == "base64" || b["source"]["type"] == "url" => {}
                ("user", "document") => {}
                ("user", "tool_result") => {
                    let id = b["tool_use_id"].as_str().unwrap_or("");
                    if !tool_ids.contains(&id) {
                        return Err(format!("messages.{i}.content.{j}: unexpected `tool_use_id` found in `tool_result` blocks: {id}"));
                    }
                }
                ("assistant", "tool_use") if b["input"].is_object() => tool_ids.push(b["id"].as_str().unwrap_or("")),
                ("assistant", "thinking" | "redacted_thinking") => {}
                (_, kind) => return Err(format!("messages.{i}.content.{j}: unexpected block type `{kind}` in a {role} turn")),
            }
        }
    }
    for (i, t) in body.get("tools").and_then(Value::as_array).into_iter().flatten().enumerate() {
        if t.get("type").is_none() && (!t["name"].is_string() || !t["input_schema"].is_object()) {
            return Err(format!("tools.{i}: a custom tool needs `name` and an `input_schema` object"));
        }
    }
    Ok(())
}

fn block_text(content: &Value) -> String {
    match content {
        Value::String(s) => s.clone(),
        Value::Array(blocks) => blocks.iter().filter(|b| b["type"] == "text").filter_map(|b| b["text"].as_str()).collect::<Vec<_>>().join("\n"),
        _ => String::new(),
    }
}

fn turn(body: &Value) -> Turn {
    let messages = body["messages"].as_array().cloned().unwrap_or_default();
    let last_user = messages.iter().rev().find(|m| m["role"] == "user").cloned().unwrap_or(Value::Null);
    // A tool result answers the assistant's last turn; system turns may follow it.
    let answered = messages.iter().rev().find(|m| m["role"] != "system").is_some_and(|m| m["role"] == "user");
    let tool_result = last_user["content"].as_array().filter(|_| answered).and_then(|blocks| blocks.iter().find(|b| b["type"] == "tool_result")).map(|b| block_text(&b["content"]));
    Turn { last_user_text: block_text(&last_user["content"]), tool_result, has_tools: body["tools"].as_array().is_some_and(|t| !t.is_empty()) }
}

fn prompt_words(body: &Value) -> u64 {
    let system = body.get("system").map(block_text).map(|s| words(&s)).unwrap_or(0);
    system + body["messages"].as_array().into_iter().flatten().map(|m| words(&block_text(&m["content"])).max(1)).sum::<u64>()
}

pub async fn count_tokens(State(mock): Shared, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    if let Err(r) = mock.admit(&COUNT, &headers, "_count_tokens", &body) {
        return r;
    }
    if body.get("max_tokens").is_some() {
        return error(StatusCode::BAD_REQUEST, "max_tokens: Extra inputs are not permitted");
    }
    match check(&body, true) {
        Ok(()) => Json(json!({"input_tokens": prompt_words(&body) + 3})).into_response(),
        Err(e) => error(StatusCode::BAD_REQUEST, &e),
    }
}

pub async fn messages(State(mock): Shared, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    let model = body["model"].as_str().unwrap_or("").to_owned();
    let count = match mock.admit(&MESSAGES, &headers, &model, &body) {
        Ok(n) => n,
        Err(r) => return r,
    };
    mock.event(format!("messages {model}"));
    if header(&headers, "anthropic-version").is_empty() {
        return error(StatusCode::BAD_REQUEST, "anthropic-version: header is required");
    }
    if let Err(e) = check(&body, false) {
        return error(StatusCode::BAD_REQUEST, &e);
    }
    if let Some((_, r)) = Mock::failure(&MESSAGES, &model, count) {
        return r;
    }
    if has(&model, "hang") {
        std::future::pending::<()>().await;
    }
    let delay = Duration::from_millis(flag(&model, "delay").unwrap_or(0));
    let reply = turn(&body).reply(&model);
    let mut blocks = Vec::new();
    if has(&model, "thinking") {
        blocks.push(json!({"type": "thinking", "thinking": "The user wants an answer.", "signature": "EqQBCkYIBxgCKkAmock+sig/=="}));
    }
    blocks.push(match &reply {
        Reply::Text(t) => json!({"type": "text", "text": t}),
        Reply::Tool { name, input } => json!({"type": "tool_use", "id": format!("toolu_mock{count}"), "name": name, "input": input}),
    });
    let output = blocks.iter().map(|b| words(&b.to_string())).sum::<u64>();
    let usage = json!({"input_tokens": prompt_words(&body) + 5, "output_tokens": output,
        "cache_creation_input_tokens": flag(&model, "cachewrite").unwrap_or(0), "cache_read_input_tokens": flag(&model, "cached").unwrap_or(0)});
    let stop_reason = if matches!(reply, Reply::Tool { .. }) { "tool_use" } else { "end_turn" };
    let id = format!("msg_mock{count}");
    if !body["stream"].as_bool().unwrap_or(false) {
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        return Json(json!({"id": id, "type": "message", "role": "assistant", "model": model, "content": blocks,
            "stop_reason": stop_reason, "stop_sequence": null, "usage": usage}))
        .into_response();
    }
    let mut start_usage = usage.clone();
    start_usage["output_tokens"] = json!(1);
    let mut events = vec![json!({"type": "message_start", "message": {"id": id, "type": "message", "role": "assistant", "model": model, "content": [],
        "stop_reason": null, "stop_sequence": null, "usage": start_usage}})];
    for (index, b) in blocks.iter().enumerate() {
        let (start, deltas): (Value, Vec<Value>) = match b["type"].as_str().unwrap() {
            "thinking" => (
                json!({"type": "thinking", "thinking": ""}),
                vec![json!({"type": "thinking_delta", "thinking": b["thinking"]}), json!({"type": "signature_delta", "signature": b["signature"]})],
            ),
            "tool_use" => {
                let args = b["input"].to_string();
                let (x, y) = args.split_at(args.len() / 2);
                (json!({"type": "tool_use", "id": b["id"], "name": b["name"], "input": {}}), [x, y].iter().map(|p| json!({"type": "input_json_delta", "partial_json": p})).collect())
            }
            _ => (json!({"type": "text", "text": ""}), word_pieces(b["text"].as_str().unwrap()).into_iter().map(|p| json!({"type": "text_delta", "text": p})).collect()),
        };
        events.push(json!({"type": "content_block_start", "index": index, "content_block": start}));
        if index == 0 {
            events.push(json!({"type": "ping"}));
        }
        for (n, d) in deltas.into_iter().enumerate() {
            events.push(json!({"type": "content_block_delta", "index": index, "delta": d}));
            if n == 0 && has(&model, "errorevent") {
                events.push(json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}));
            }
        }
        events.push(json!({"type": "content_block_stop", "index": index}));
    }
    events.push(json!({"type": "message_delta", "delta": {"stop_reason": stop_reason, "stop_sequence": null}, "usage": {"output_tokens": output}}));
    events.push(json!({"type": "message_stop"}));
    let frames = events.into_iter().map(|e| format!("event: {}\ndata: {e}\n\n", e["type"].as_str().unwrap())).collect();
    sse(mock, frames, delay, flag(&model, "cut"))
}
