//! Compression in the request path, after the cache missed: the deciding rule's policy, else
//! `[compress]`; `x-sluice-compress: off` on a request leaves it alone.

use super::decide::Embedded;
use crate::compress::{Compressed, Context};
use crate::config::Then;
use crate::router::Route;
use crate::{Engine, Runtime};
use axum::http::HeaderMap;
use serde_json::{Map, Value};

pub enum Outcome {
    /// Not switched on for this request.
    Off,
    /// Switched on, but nothing to compress, or the client said no.
    Unchanged,
    Compressed(Map<String, Value>, Compressed),
    /// Left as it came, and why (for the log).
    Untouched(String),
}

pub async fn compress(engine: &Engine, rt: &Runtime, headers: &HeaderMap, then: Option<&Then>, route: &Route, body: &Map<String, Value>, embedded: Option<&Embedded>) -> Outcome {
    let policy = then.and_then(|t| t.compress.as_ref()).unwrap_or(&rt.config.compress);
    let refused = headers.get("x-sluice-compress").is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"off"));
    if !policy.enabled() {
        return Outcome::Off;
    }
    if refused {
        return Outcome::Unchanged;
    }
    let first = route.targets.first();
    let price = first.and_then(|t| rt.prices.lookup(&t.provider, &t.model));
    let cx = Context {
        price: price.as_ref(),
        embedder: engine.semantic.embedder(),
        question_vector: embedded.filter(|e| e.whole).map(|e| (e.text.as_str(), e.vector.as_slice())),
        loopback: policy.summary_model.is_some().then(|| engine.loopback_client()),
        now_ms: crate::now_ms(),
    };
    let mut compressed = body.clone();
    match engine.compressor.apply(policy, &mut compressed, &cx).await {
        Ok(Some(done)) => Outcome::Compressed(compressed, done),
        Ok(None) => Outcome::Unchanged,
        Err(why) => Outcome::Untouched(why),
    }
}
