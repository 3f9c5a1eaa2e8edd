//! A mock OpenAI-compatible upstream for Sluice's tests and benchmarks.
//!
//! Behaviour is chosen by words in the requested model name, so one mock serves every case:
//! `status-503`, `status-429-ra-1` (429 with `Retry-After: 1`), `status-400`, `hang`,
//! `cut-3` (stream 3 chunks, then drop the connection), `delay-50` (ms per chunk, or before a
//! whole answer), `nousage`, `cached-40` (40 provider-cached prompt tokens), `tool` (answer
//! with a tool call), `flaky-2` (the first 2 calls for this model fail with 503, or `flakystatus-N`). Anything else
//! echoes the last user message. Embedding models take `delay-N` too (ms before the answer).
//! `/_mock/stats` reports counts and the order of recent events (a chat request arrived, an
//! embedding was answered); `/_mock/requests` the recent bodies and auth headers;
//! `POST /_mock/reset` clears them.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::serve::ListenerExt;
use axum::{Json, Router};
use clap::Parser;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

#[derive(Parser)]
struct Args {
    /// Address to listen on; port 0 picks a free one (printed on stdout).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: String,
    /// When set, requests must carry `Authorization: Bearer KEY`.
    #[arg(long)]
    key: Option<String>,
    /// Keep the last N request bodies for `/_mock/requests` (0 for benchmarks).
    #[arg(long, default_value_t = 200)]
    keep: usize,
}

#[derive(Default)]
struct Counters {
    requests: HashMap<String, u64>,
    streams_cancelled: u64,
    streams_completed: u64,
    recent: Vec<Value>,
    /// `chat <model>` when a chat request arrives, `embedded <model>` when an embedding is
    /// answered: tells whether the gateway waited for one before sending the other.
    events: Vec<String>,
}

struct Mock {
    key: Option<String>,
    keep: usize,
    counters: Mutex<Counters>,
}

type Shared = State<Arc<Mock>>;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let mock = Arc::new(Mock { key: args.key, keep: args.keep, counters: Mutex::default() });
    let app = Router::new()
        .route("/v1/chat/completions", post(chat))
        .route("/v1/embeddings", post(embeddings))
        .route("/v1/models", get(models))
        .route("/_mock/stats", get(stats))
        .route("/_mock/requests", get(requests))
        .route("/_mock/reset", post(reset))
        .with_state(mock);
    let listener = tokio::net::TcpListener::bind(&args.listen).await?;
    println!("mock-upstream listening on http://{}", listener.local_addr()?);
    // Like real API servers: without TCP_NODELAY, a chunk written after the headers on a
    // pooled connection waits for the peer's delayed ACK.
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, app).await?;
    Ok(())
}

fn error(status: StatusCode, message: &str, kind: &str) -> Response {
    (status, Json(json!({"error": {"message": message, "type": kind, "param": null, "code": null}}))).into_response()
}

/// The number after `word-` in the model name.
fn flag(model: &str, word: &str) -> Option<u64> {
    let parts: Vec<&str> = model.split(['-', '/', ':']).collect();
    parts.windows(2).find(|w| w[0] == word).and_then(|w| w[1].parse().ok())
}

fn has(model: &str, word: &str) -> bool {
    model.split(['-', '/', ':']).any(|p| p == word)
}

impl Mock {
    fn event(&self, event: String) {
        let mut c = self.counters.lock().unwrap();
        c.events.push(event);
        let excess = c.events.len().saturating_sub(self.keep);
        c.events.drain(..excess);
    }

    /// Records the call; returns an error response when auth fails.
    #[allow(clippy::result_large_err)] // a test double answers with whole responses
    fn admit(&self, headers: &HeaderMap, body: &Value) -> Result<u64, Response> {
        let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("").to_owned();
        let model = body.get("model").and_then(Value::as_str).unwrap_or("").to_owned();
        let mut c = self.counters.lock().unwrap();
        let n = c.requests.entry(model).or_default();
        *n += 1;
        let count = *n;
        if self.keep > 0 {
            c.recent.push(json!({"authorization": auth, "body": body}));
            let excess = c.recent.len().saturating_sub(self.keep);
            c.recent.drain(..excess);
        }
        drop(c);
        if let Some(key) = &self.key {
            if auth != format!("Bearer {key}") {
                let shown = auth.strip_prefix("Bearer ").unwrap_or(&auth);
                return Err(error(StatusCode::UNAUTHORIZED, &format!("Incorrect API key provided: {shown}."), "invalid_request_error"));
            }
        }
        Ok(count)
    }
}

fn words(text: &str) -> u64 {
    text.split_whitespace().count() as u64
}

fn last_user_text(body: &Value) -> String {
    let messages = body.get("messages").and_then(Value::as_array).cloned().unwrap_or_default();
    let last = messages.iter().rev().find(|m| m.get("role").and_then(Value::as_str) == Some("user"));
    match last.and_then(|m| m.get("content")) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(parts)) => parts.iter().filter_map(|p| p.get("text").and_then(Value::as_str)).collect::<Vec<_>>().join(" "),
        _ => String::new(),
    }
}

fn prompt_words(body: &Value) -> u64 {
    body.get("messages").and_then(Value::as_array).into_iter().flatten().map(|m| m.get("content").and_then(Value::as_str).map(words).unwrap_or(1)).sum()
}

async fn chat(State(mock): Shared, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    let count = match mock.admit(&headers, &body) {
        Ok(n) => n,
        Err(r) => return r,
    };
    let model = body.get("model").and_then(Value::as_str).unwrap_or("").to_owned();
    mock.event(format!("chat {model}"));
    let failure = match (flag(&model, "status"), flag(&model, "flaky")) {
        (Some(code), _) => Some(code),
        (None, Some(k)) if count <= k => Some(flag(&model, "flakystatus").unwrap_or(503)),
        _ => None,
    };
    if let Some(code) = failure {
        let status = StatusCode::from_u16(code as u16).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut r = error(status, &format!("mock failure {code} for {model}"), if code == 400 { "invalid_request_error" } else { "server_error" });
        if let Some(ra) = flag(&model, "ra") {
            r.headers_mut().insert("retry-after", ra.to_string().parse().unwrap());
        }
        return r;
    }
    if has(&model, "hang") {
        std::future::pending::<()>().await;
    }
    let delay = Duration::from_millis(flag(&model, "delay").unwrap_or(0));
    let content = format!("Echo: {}", last_user_text(&body));
    let tool = has(&model, "tool") && body.get("tools").is_some();
    let usage = (!has(&model, "nousage")).then(|| {
        let prompt = prompt_words(&body) + 5;
        json!({"prompt_tokens": prompt, "completion_tokens": words(&content), "total_tokens": prompt + words(&content),
               "prompt_tokens_details": {"cached_tokens": flag(&model, "cached").unwrap_or(0).min(prompt)}})
    });
    let stream = body.get("stream").and_then(Value::as_bool).unwrap_or(false);
    if !stream {
        // Even a zero sleep waits for the timer's next 1 ms tick.
        if !delay.is_zero() {
            tokio::time::sleep(delay).await;
        }
        let message = if tool {
            json!({"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}]})
        } else {
            json!({"role": "assistant", "content": content})
        };
        let mut out = json!({"id": format!("chatcmpl-{count}"), "object": "chat.completion", "created": 1_700_000_000, "model": model,
            "choices": [{"index": 0, "message": message, "finish_reason": if tool { "tool_calls" } else { "stop" }}]});
        if let Some(u) = usage {
            out["usage"] = u;
        }
        return Json(out).into_response();
    }
    let include_usage = body.pointer("/stream_options/include_usage").and_then(Value::as_bool).unwrap_or(false);
    let cut_after = flag(&model, "cut");
    let head = |delta: Value, finish: Value| {
        json!({"id": format!("chatcmpl-{count}"), "object": "chat.completion.chunk", "created": 1_700_000_000, "model": model,
               "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]})
    };
    let mut events = vec![head(json!({"role": "assistant", "content": ""}), Value::Null)];
    if tool {
        events.push(head(json!({"tool_calls": [{"index": 0, "id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": ""}}]}), Value::Null));
        for piece in ["{\"city\"", ":\"Paris\"}"] {
            events.push(head(json!({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]}), Value::Null));
        }
    } else {
        for (i, w) in content.split(' ').enumerate() {
            let piece = if i == 0 { w.to_owned() } else { format!(" {w}") };
            events.push(head(json!({"content": piece}), Value::Null));
        }
    }
    events.push(head(json!({}), json!(if tool { "tool_calls" } else { "stop" })));
    if let (true, Some(u)) = (include_usage, usage) {
        events.push(json!({"id": format!("chatcmpl-{count}"), "object": "chat.completion.chunk", "created": 1_700_000_000, "model": model, "choices": [], "usage": u}));
    }
    let guard = StreamGuard { mock: mock.clone(), done: false };
    let body = futures::stream::unfold((events.into_iter().enumerate(), guard), move |(mut it, mut guard)| async move {
        match it.next() {
            Some((i, event)) => {
                if cut_after.is_some_and(|n| i as u64 >= n) {
                    // Let what was sent reach the client, then abort the connection mid-body.
                    if i > 0 {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    return Some((Err(std::io::Error::other("mock: cut")), (it, guard)));
                }
                if !delay.is_zero() {
                    tokio::time::sleep(delay).await;
                }
                Some((Ok::<_, std::io::Error>(format!("data: {event}\n\n")), (it, guard)))
            }
            None if !guard.done => {
                guard.done = true;
                Some((Ok("data: [DONE]\n\n".to_owned()), (it, guard)))
            }
            None => None,
        }
    });
    Response::builder().header("content-type", "text/event-stream").body(Body::from_stream(body)).unwrap()
}

/// Counts streams that ended early: dropped before `[DONE]` was produced.
struct StreamGuard {
    mock: Arc<Mock>,
    done: bool,
}

impl Drop for StreamGuard {
    fn drop(&mut self) {
        let mut c = self.mock.counters.lock().unwrap();
        if self.done {
            c.streams_completed += 1;
        } else {
            c.streams_cancelled += 1;
        }
    }
}

async fn embeddings(State(mock): Shared, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    if let Err(r) = mock.admit(&headers, &body) {
        return r;
    }
    let inputs: Vec<String> = match body.get("input") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a.iter().map(|v| v.as_str().map(str::to_owned).unwrap_or_else(|| v.to_string())).collect(),
        _ => return error(StatusCode::BAD_REQUEST, "input is required", "invalid_request_error"),
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
    let model = body["model"].as_str().unwrap_or("");
    tokio::time::sleep(Duration::from_millis(flag(model, "delay").unwrap_or(0))).await;
    mock.event(format!("embedded {model}"));
    Json(json!({"object": "list", "data": data, "model": body["model"], "usage": {"prompt_tokens": tokens, "total_tokens": tokens}})).into_response()
}

async fn models(State(mock): Shared, headers: HeaderMap) -> Response {
    if let Err(r) = mock.admit(&headers, &json!({"model": "_models"})) {
        return r;
    }
    Json(json!({"object": "list", "data": [{"id": "mock-a", "object": "model"}, {"id": "mock-b", "object": "model"}]})).into_response()
}

async fn stats(State(mock): Shared) -> Json<Value> {
    let c = mock.counters.lock().unwrap();
    Json(json!({"requests": c.requests, "streams_cancelled": c.streams_cancelled, "streams_completed": c.streams_completed, "events": c.events}))
}

async fn requests(State(mock): Shared) -> Json<Value> {
    Json(json!({"requests": mock.counters.lock().unwrap().recent}))
}

async fn reset(State(mock): Shared) -> StatusCode {
    *mock.counters.lock().unwrap() = Counters::default();
    StatusCode::NO_CONTENT
}
