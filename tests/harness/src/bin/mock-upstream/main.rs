//! A mock upstream for Sluice's tests and benchmarks, speaking OpenAI's chat and Responses APIs
//! (`openai.rs`),
//! Anthropic's Messages API (`anthropic.rs`) and Gemini's API (`gemini.rs`), each written from
//! the providers' documented wire formats, independently of Sluice's own translation code.
//!
//! Behaviour is chosen by words in the requested model name, so one mock serves every case:
//! `status-503`, `status-429-ra-1` (429 with `Retry-After: 1`), `status-400`, `hang`,
//! `cut-3` (stream 3 chunks, then drop the connection), `delay-50` (ms per chunk, or before a
//! whole answer), `nousage`, `cached-40` (40 provider-cached prompt tokens), `tool` (answer
//! with a tool call), `flaky-2` (the first 2 calls for this model fail with 503, or `flakystatus-N`). Anything else
//! echoes the last user message. Embedding models take `delay-N` too (ms before the answer).
//! Anthropic only: `overloaded` (529), `thinking` (a signed thinking block first), `cachewrite-N`,
//! `errorevent` (an `error` event mid-stream). All: a request with tools whose last user text
//! has `CALLTOOL <name> <json>` on a line is answered with that tool call, and a request whose last
//! turn is a tool result is answered "Tool said: <result>" — one real agent turn.
//! `/_mock/stats` reports counts and the order of recent events (a chat request arrived, an
//! embedding was answered); `/_mock/requests` the recent paths, bodies and auth headers;
//! `POST /_mock/reset` clears them.

use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::serve::ListenerExt;
use axum::{Json, Router};

mod anthropic;
mod gemini;
mod openai;
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
    /// Chat requests being answered, and the most at once, per model.
    in_flight: HashMap<String, u64>,
    max_in_flight: HashMap<String, u64>,
}

/// Counts a chat request as in flight while it lives.
pub struct InFlight {
    mock: Arc<Mock>,
    model: String,
}

impl InFlight {
    fn start(mock: &Arc<Mock>, model: &str) -> InFlight {
        let mut c = mock.counters.lock().unwrap();
        let n = c.in_flight.entry(model.to_owned()).or_default();
        *n += 1;
        let now = *n;
        let max = c.max_in_flight.entry(model.to_owned()).or_default();
        *max = (*max).max(now);
        InFlight { mock: mock.clone(), model: model.to_owned() }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Some(n) = self.mock.counters.lock().unwrap().in_flight.get_mut(&self.model) {
            *n -= 1;
        }
    }
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
        .route("/v1/chat/completions", post(openai::chat))
        .route("/v1/responses", post(openai::responses))
        .route("/openai/deployments/{deployment}/chat/completions", post(openai::azure_chat))
        .route("/v1/embeddings", post(openai::embeddings))
        .route("/v1/models", get(openai::models))
        .route("/v1/messages", post(anthropic::messages))
        .route("/v1/messages/count_tokens", post(anthropic::count_tokens))
        .route("/v1beta/models/{*rest}", post(gemini::call))
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

/// An error body in one API's shape.
type ErrorShape = fn(StatusCode, &str) -> Response;

/// Which headers carry the key, and how an error looks, for one API family.
pub struct Api {
    pub path: &'static str,
    pub key_of: fn(&HeaderMap) -> String,
    pub error: ErrorShape,
}

fn header(headers: &HeaderMap, name: &str) -> String {
    headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned()
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

    /// Records the call (counted per model); returns an error response when auth fails.
    #[allow(clippy::result_large_err)] // a test double answers with whole responses
    fn admit(&self, api: &Api, headers: &HeaderMap, model: &str, body: &Value) -> Result<u64, Response> {
        let key = (api.key_of)(headers);
        let mut c = self.counters.lock().unwrap();
        let n = c.requests.entry(model.to_owned()).or_default();
        *n += 1;
        let count = *n;
        if self.keep > 0 {
            let seen: serde_json::Map<String, Value> =
                ["authorization", "x-api-key", "anthropic-version", "anthropic-beta", "x-goog-api-key"].iter().map(|h| (h.to_string(), json!(header(headers, h)))).collect();
            c.recent.push(json!({"path": api.path, "authorization": header(headers, "authorization"), "headers": seen, "body": body}));
            let excess = c.recent.len().saturating_sub(self.keep);
            c.recent.drain(..excess);
        }
        drop(c);
        if let Some(expected) = &self.key {
            if key != *expected {
                return Err((api.error)(StatusCode::UNAUTHORIZED, &format!("Incorrect API key provided: {key}.")));
            }
        }
        Ok(count)
    }

    /// The failure a model name asks for, if any (after `count` calls to it): the status,
    /// and the error in the API's shape with a `Retry-After` when the name has `ra-N`.
    fn failure(api: &Api, model: &str, count: u64) -> Option<(u64, Response)> {
        let code = match (flag(model, "status"), flag(model, "flaky")) {
            (Some(code), _) => code,
            (None, Some(k)) if count <= k => flag(model, "flakystatus").unwrap_or(503),
            _ if has(model, "overloaded") => 529,
            _ => return None,
        };
        let status = StatusCode::from_u16(code as u16).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let message = if code == 529 { "Overloaded".to_owned() } else { format!("mock failure {code} for {model}") };
        let mut r = (api.error)(status, &message);
        if let Some(ra) = flag(model, "ra") {
            r.headers_mut().insert("retry-after", ra.to_string().parse().unwrap());
        }
        Some((code, r))
    }
}

/// What the conversation so far asks of the model.
pub struct Turn {
    pub last_user_text: String,
    /// The content of a tool result, when that is the last turn.
    pub tool_result: Option<String>,
    pub has_tools: bool,
}

pub enum Reply {
    Text(String),
    Tool { name: String, input: Value },
}

/// The text between `<tag>` and `</tag>`.
fn between<'t>(text: &'t str, tag: &str) -> Option<&'t str> {
    let start = text.find(&format!("<{tag}>"))? + tag.len() + 2;
    let end = text[start..].find(&format!("</{tag}>"))? + start;
    Some(&text[start..end])
}

/// A judge (model names with `judge`): an answer with GOOD in it scores 9 and wins a
/// comparison; `first` always prefers answer A (a position bias, for the swapped-order logic);
/// `echo` prefers the answer this mock gives to the question (`Echo: <question>`), the judge
/// of a wrong cache hit.
fn judge_reply(model: &str, text: &str) -> Option<String> {
    if !has(model, "judge") {
        return None;
    }
    let echoed = between(text, "question").map(|q| format!("Echo: {}", q.trim()));
    let good = |t: &str| if has(model, "echo") { echoed.as_deref() == Some(t.trim()) } else { t.contains("GOOD") };
    if let (Some(a), Some(b)) = (between(text, "answer_a"), between(text, "answer_b")) {
        let better = match (has(model, "first"), good(a), good(b)) {
            (true, ..) | (false, true, false) => "A",
            (false, false, true) => "B",
            _ => "tie",
        };
        return Some(json!({"better": better, "reason": "mock judge"}).to_string());
    }
    let answer = between(text, "answer")?;
    Some(json!({"score": if good(answer) { 9 } else { 2 }, "reason": "mock judge"}).to_string())
}

impl Turn {
    fn reply(&self, model: &str) -> Reply {
        if let Some(verdict) = judge_reply(model, &self.last_user_text) {
            return Reply::Text(verdict);
        }
        if let Some(result) = &self.tool_result {
            return Reply::Text(format!("Tool said: {result}"));
        }
        if self.has_tools {
            let asked = self.last_user_text.lines().find_map(|l| l.split_once("CALLTOOL ").map(|(_, rest)| rest)).and_then(|rest| {
                let (name, input) = rest.split_once(' ')?;
                Some(Reply::Tool { name: name.to_owned(), input: serde_json::from_str(input).ok()? })
            });
            if let Some(r) = asked {
                return r;
            }
            if has(model, "tool") {
                return Reply::Tool { name: "get_weather".into(), input: json!({"city": "Paris"}) };
            }
        }
        if let Some(kib) = flag(model, "size") {
            // A huge answer in one piece (one SSE event when streamed), for Sluice's limits.
            return Reply::Text("x".repeat(kib as usize * 1024));
        }
        Reply::Text(format!("Echo: {}", self.last_user_text))
    }
}

/// Pieces a text streams in: its words, each after the first with its leading space.
fn word_pieces(text: &str) -> Vec<String> {
    text.split(' ').enumerate().map(|(i, w)| if i == 0 { w.to_owned() } else { format!(" {w}") }).collect()
}

fn words(text: &str) -> u64 {
    text.split_whitespace().count() as u64
}

/// SSE frames (each a whole event's text) sent with `delay` before each, the connection
/// dropped at `cut_after`; counted as completed or cancelled by the guard.
fn sse(mock: Arc<Mock>, frames: Vec<String>, delay: Duration, cut_after: Option<u64>) -> Response {
    let guard = StreamGuard { mock, done: false };
    let total = frames.len();
    let body = futures::stream::unfold((frames.into_iter().enumerate(), guard), move |(mut it, mut guard)| async move {
        let (i, frame) = it.next()?;
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
        guard.done = i + 1 == total;
        Some((Ok::<_, std::io::Error>(frame), (it, guard)))
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

async fn stats(State(mock): Shared) -> Json<Value> {
    let c = mock.counters.lock().unwrap();
    Json(json!({"requests": c.requests, "streams_cancelled": c.streams_cancelled, "streams_completed": c.streams_completed, "events": c.events, "max_in_flight": c.max_in_flight}))
}

async fn requests(State(mock): Shared) -> Json<Value> {
    Json(json!({"requests": mock.counters.lock().unwrap().recent}))
}

async fn reset(State(mock): Shared) -> StatusCode {
    *mock.counters.lock().unwrap() = Counters::default();
    StatusCode::NO_CONTENT
}
