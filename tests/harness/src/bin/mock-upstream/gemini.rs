//! Google's Gemini API: `models/{model}:generateContent`, `:streamGenerateContent?alt=sse`
//! (whole responses as events, the last with `finishReason` and `usageMetadata`, no end
//! marker), `:countTokens` and `:batchEmbedContents`, with the key in `x-goog-api-key`. Every
//! function call carries a `thoughtSignature`, as Gemini's thinking models send them. A model
//! named with `blocked` has its prompt blocked (`promptFeedback`).

use super::{flag, has, header, sse, word_pieces, words, Api, Mock, Reply, Shared, Turn};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};
use std::time::Duration;

/// base64 of "signature": Gemini's signatures are bytes, sent as base64.
const SIGNATURE: &str = "c2lnbmF0dXJl";

fn error(status: StatusCode, message: &str) -> Response {
    let name = match status.as_u16() {
        400 => "INVALID_ARGUMENT",
        401 | 403 => "PERMISSION_DENIED",
        404 => "NOT_FOUND",
        429 => "RESOURCE_EXHAUSTED",
        503 => "UNAVAILABLE",
        _ => "INTERNAL",
    };
    (status, Json(json!({"error": {"code": status.as_u16(), "message": message, "status": name}}))).into_response()
}

fn goog_key(headers: &HeaderMap) -> String {
    header(headers, "x-goog-api-key")
}

const GENERATE: Api = Api { path: "/v1beta/models:generateContent", key_of: goog_key, error };
const OTHER: Api = Api { path: "/v1beta/models:other", key_of: goog_key, error };

fn parts_text(parts: &Value) -> String {
    parts.as_array().into_iter().flatten().filter(|p| p.get("thought").is_none()).filter_map(|p| p["text"].as_str()).collect::<Vec<_>>().join("\n")
}

fn turn(body: &Value) -> Turn {
    let contents = body["contents"].as_array().cloned().unwrap_or_default();
    let last_user = contents.iter().rev().find(|c| c["role"] == "user" || c.get("role").is_none()).cloned().unwrap_or(Value::Null);
    let tool_result = last_user["parts"].as_array().and_then(|parts| parts.iter().find_map(|p| p.get("functionResponse"))).map(|r| r["response"].to_string());
    let has_tools = body["tools"].as_array().is_some_and(|t| t.iter().any(|t| t.get("functionDeclarations").is_some()));
    Turn { last_user_text: parts_text(&last_user["parts"]), tool_result, has_tools }
}

/// The checks Gemini makes that a translation could fail.
fn check(body: &Value) -> Result<(), String> {
    let contents = body["contents"].as_array().filter(|c| !c.is_empty()).ok_or("contents is not specified")?;
    for (i, c) in contents.iter().enumerate() {
        if !matches!(c["role"].as_str(), Some("user" | "model") | None) {
            return Err(format!("Please use a valid role: user, model. (contents[{i}])"));
        }
        if c["parts"].as_array().is_none_or(|p| p.is_empty()) {
            return Err(format!("contents[{i}] must include at least one parts field"));
        }
    }
    Ok(())
}

pub async fn call(State(mock): Shared, Path(rest): Path<String>, RawQuery(query): RawQuery, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    let Some((model, method)) = rest.rsplit_once(':') else { return error(StatusCode::NOT_FOUND, "no method") };
    let model = model.to_owned();
    match method {
        "generateContent" => generate(mock, headers, body, model, false).await,
        "streamGenerateContent" if query.as_deref() == Some("alt=sse") => generate(mock, headers, body, model, true).await,
        "countTokens" => {
            if let Err(r) = mock.admit(&OTHER, &headers, "_count_tokens", &body) {
                return r;
            }
            let req = body.get("generateContentRequest").unwrap_or(&body);
            let n: u64 = req["contents"].as_array().into_iter().flatten().map(|c| words(&parts_text(&c["parts"]))).sum();
            Json(json!({"totalTokens": n + 2})).into_response()
        }
        "batchEmbedContents" => {
            if let Err(r) = mock.admit(&OTHER, &headers, &model, &body) {
                return r;
            }
            let embeddings: Vec<Value> = body["requests"].as_array().into_iter().flatten().map(|r| json!({"values": [words(&parts_text(&r["content"]["parts"])) as f32, 0.5, 0.25]})).collect();
            Json(json!({"embeddings": embeddings})).into_response()
        }
        other => error(StatusCode::NOT_FOUND, &format!("unknown method {other}")),
    }
}

async fn generate(mock: std::sync::Arc<Mock>, headers: HeaderMap, body: Value, model: String, stream: bool) -> Response {
    let count = match mock.admit(&GENERATE, &headers, &model, &body) {
        Ok(n) => n,
        Err(r) => return r,
    };
    mock.event(format!("generate {model}"));
    if let Err(e) = check(&body) {
        return error(StatusCode::BAD_REQUEST, &e);
    }
    if let Some((code, r)) = Mock::failure(&GENERATE, &model, count) {
        // Gemini has no 529: an overloaded model answers 503.
        return if code == 529 { error(StatusCode::SERVICE_UNAVAILABLE, "The model is overloaded.") } else { r };
    }
    let delay = Duration::from_millis(flag(&model, "delay").unwrap_or(0));
    let prompt: u64 = body["contents"].as_array().into_iter().flatten().map(|c| words(&parts_text(&c["parts"])).max(1)).sum::<u64>() + 4;
    let reply = turn(&body).reply(&model);
    let (parts, output) = match &reply {
        Reply::Text(t) => (word_pieces(t).into_iter().map(|p| json!({"text": p})).collect::<Vec<_>>(), words(t)),
        Reply::Tool { name, input } => (vec![json!({"functionCall": {"name": name, "args": input}, "thoughtSignature": SIGNATURE})], 3),
    };
    let usage = json!({"promptTokenCount": prompt, "candidatesTokenCount": output, "totalTokenCount": prompt + output,
                       "cachedContentTokenCount": flag(&model, "cached").unwrap_or(0)});
    let response = |parts: Vec<Value>, last: bool| {
        let mut c = json!({"content": {"role": "model", "parts": parts}, "index": 0});
        let mut r = json!({"modelVersion": model, "responseId": format!("resp-{count}")});
        if last {
            c["finishReason"] = json!("STOP");
            r["usageMetadata"] = usage.clone();
        }
        r["candidates"] = json!([c]);
        r
    };
    if has(&model, "blocked") {
        return Json(json!({"promptFeedback": {"blockReason": "SAFETY"}, "usageMetadata": {"promptTokenCount": prompt, "totalTokenCount": prompt}, "modelVersion": model})).into_response();
    }
    if !stream {
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        let whole = match &reply {
            Reply::Text(t) => vec![json!({"text": t})],
            Reply::Tool { .. } => parts,
        };
        return Json(response(whole, true)).into_response();
    }
    let n = parts.len();
    let frames = parts.into_iter().enumerate().map(|(i, p)| format!("data: {}\r\n\r\n", response(vec![p], i + 1 == n))).collect();
    sse(mock, frames, delay, flag(&model, "cut"))
}
