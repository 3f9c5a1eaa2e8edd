//! The one path every chat request takes, whichever client API it came in through: resolve the
//! route, answer from the cache or from the first target that answers, then log, price and
//! cache the answer, and write it in the client's API (`edge`). Routing, cache, fallbacks, log
//! and pricing see only the internal request (OpenAI chat).

mod call;
mod compress;
mod count;
pub mod decide;
pub mod edge;
mod semantic;
mod stream;

use super::error::ApiError;
use super::respond::new_request_id;
use crate::cache::semantic::SemanticQuery;
use crate::cache::{cache_key, CachePlan};
use crate::providers::NativeRequest;
use crate::router::{call_chat, Answer, Ask, Served};
use crate::Engine;
use axum::http::{HeaderMap, HeaderValue};
use axum::response::Response;
use bytes::Bytes;
use call::Call;
pub use count::count_tokens;
use decide::Refused;
pub use edge::Client;
use serde_json::{json, Map, Value};
use std::sync::Arc;
use std::time::Instant;

/// The longest model name accepted (routes, `provider/model`, tuned models' long ids fit).
const MAX_MODEL_NAME: usize = 256;
/// `x-sluice-tags` is kept with every logged request and shown in the UI: a few short words.
const MAX_TAGS: usize = 16;
const MAX_TAG: usize = 64;

/// A chat request converted at the edge.
pub struct Inbound {
    pub client: Client,
    /// The internal form.
    pub body: Map<String, Value>,
    /// The client's own request, when its API is not the internal one.
    pub native: Option<NativeRequest>,
    pub model: String,
    pub stream: bool,
    /// The body as received, for the log when `log.store_bodies` is on.
    pub raw: Bytes,
    pub started: Instant,
}

pub async fn run(engine: Arc<Engine>, headers: &HeaderMap, inbound: Inbound) -> Response {
    let api = inbound.client.api;
    match handle(engine, headers, inbound).await {
        Ok(response) => response,
        Err(Refused { rule, error }) => {
            let mut response = edge::error(api, error);
            if let Some(v) = rule.and_then(|r| HeaderValue::from_str(&r).ok()) {
                response.headers_mut().insert("x-sluice-rule", v);
            }
            response
        }
    }
}

/// What is wrong with `x-sluice-tags`, if anything: too many tags, or one too long.
fn tags_error(headers: &HeaderMap) -> Option<ApiError> {
    let tags = headers.get("x-sluice-tags")?.to_str().unwrap_or("");
    let tags: Vec<&str> = tags.split(',').map(str::trim).filter(|t| !t.is_empty()).collect();
    let why = if tags.len() > MAX_TAGS {
        format!("{} tags were sent; at most {MAX_TAGS} are kept", tags.len())
    } else {
        let long = tags.iter().find(|t| t.len() > MAX_TAG)?;
        format!("a tag is {} bytes long; at most {MAX_TAG} are kept", long.len())
    };
    Some(ApiError::invalid_param("x-sluice-tags", why))
}

async fn handle(engine: Arc<Engine>, headers: &HeaderMap, inbound: Inbound) -> Result<Response, Refused> {
    let rt = engine.runtime();
    let Inbound { client, mut body, mut native, model, stream, raw, started } = inbound;
    if model.len() > MAX_MODEL_NAME {
        // It would be echoed into `x-sluice-model` and the log; real names are far shorter.
        let error = ApiError::invalid_param("model", format!("the model name is {} bytes long; at most {MAX_MODEL_NAME} are accepted", model.len()));
        return Err(Refused { rule: None, error });
    }
    if let Some(error) = tags_error(headers) {
        return Err(Refused { rule: None, error });
    }
    let decision = decide::decide(&engine, &rt, headers, client.api, &body, &model, stream).await?;
    if let Some(then) = &decision.then {
        decide::apply_caps(then, &mut body, native.as_mut().map(|n| (n.api, &mut n.body)));
    }
    let route = decision.route;
    // A client of another API is answered from the exact cache only for exactly what it sent:
    // the internal form leaves out what it cannot hold (earlier thinking, untranslatable
    // blocks), and two requests differing only there must not share an answer.
    let plan = CachePlan::new(&route.cache, headers, &body, || match &native {
        Some(n) => cache_key(&format!("{}|{}", route.identity, n.api.as_str()), &n.body),
        None => cache_key(&route.identity, &body),
    });
    // Nor may a rephrasing match a question the internal form does not wholly hold.
    let whole = native.as_ref().is_none_or(|n| n.untranslatable.is_empty());
    // The embedder's name is asked for only when the route would use it (not on every request).
    let semantic = plan.filter(|_| whole && crate::cache::semantic::applies(&decision.tags)).and(route.cache.semantic).and_then(|settings| {
        let embedder = engine.semantic.embedder_name()?;
        SemanticQuery::from_request(&route.identity, &embedder, &body).map(|query| (settings, query))
    });
    if stream {
        // Gemini says "stream" in its URL, not its body.
        body.insert("stream".into(), json!(true));
        // Ask for usage even when the client did not, to price the call; the usage-only chunk
        // is withheld from clients that did not ask for it.
        body.insert("stream_options".into(), json!({ "include_usage": true }));
    }
    let body = Arc::new(body);
    let mut call = Call {
        request_body: rt.config.log.store_bodies.then(|| String::from_utf8_lossy(&raw).into_owned()),
        body: body.clone(),
        engine: engine.clone(),
        rt: rt.clone(),
        id: new_request_id(),
        started,
        ts_ms: crate::now_ms(),
        client,
        model,
        stream,
        route,
        plan,
        semantic: semantic::PendingRow::None,
        left_out: Vec::new(),
        difficulty: decision.difficulty,
        tags: decision.tags,
        budget_warning: decision.warning,
        compressed: None,
        uncompressed: None,
        compress_note: None,
        compression_on: false,
    };
    let lookup = call.plan.is_some_and(|p| p.lookup);
    if let Some(plan) = call.plan.filter(|_| lookup) {
        if let Some(hit) = engine.cache.get(plan.key, call.ts_ms).await {
            return Ok(call.serve_hit(hit, None).await);
        }
    }
    let embedded = decision.embedded;
    if let Some((settings, query)) = semantic {
        // The vector a rule's difficulty or intent condition made, if it is of the same text.
        let known = embedded.as_ref().filter(|e| e.whole && e.text == query.text).map(|e| e.vector.clone());
        match semantic::consult(&engine, settings, query, known, lookup, call.ts_ms, &call.id).await {
            semantic::Outcome::Hit(hit, matched) => return Ok(call.serve_hit(hit, Some(matched)).await),
            semantic::Outcome::Miss(pending) => call.semantic = pending,
        }
    }
    let mut body = body;
    let compressing = compress::compress(&engine, &rt, headers, decision.then.as_ref(), &call.route, &body, embedded.as_ref()).await;
    call.compression_on = !matches!(compressing, compress::Outcome::Off);
    match compressing {
        compress::Outcome::Off | compress::Outcome::Unchanged => {}
        compress::Outcome::Untouched(why) => call.compress_note = Some(why),
        compress::Outcome::Compressed(compressed, done) => {
            // Every target gets the compressed request translated from the internal form, so
            // the client's own-API wishes go unanswered: said in the log, as for translation.
            if let Some(n) = native.take() {
                call.left_out = n.wishes.iter().filter(|w| body.contains_key(**w)).map(|w| w.to_string()).collect();
            }
            call.uncompressed = Some(body);
            body = Arc::new(compressed);
            call.body = body.clone();
            call.compressed = Some(done);
        }
    }
    let mut attempts = Vec::new();
    let ask = Ask { body: &body, native: native.as_ref(), stream };
    let result = call_chat(&rt.providers, &engine.health, &rt.config.router, &call.route, ask, &mut attempts).await;
    // Said in the log, never silent: the client's wishes a translated target answered without.
    if let (Some(n), Ok(served)) = (&native, &result) {
        if !served.passthrough {
            call.left_out = n.wishes.iter().filter(|w| body.contains_key(**w)).map(|w| w.to_string()).collect();
        }
    }
    Ok(match result {
        Err(e) => call.fail(e, attempts).await,
        Ok(Served { target, passthrough, answer: Answer::Complete { completion, native } }) => call.complete(target, passthrough, completion, native, attempts).await,
        Ok(Served { target, passthrough, answer: Answer::Stream { first, rest } }) => stream::respond(call, target, passthrough, first, rest, attempts),
    })
}
