//! Tries a route's targets in order until one starts answering.
//!
//! A target fails over on connect errors, timeouts (per attempt, until the first byte), 429
//! and 5xx; any other 4xx is the request's fault and goes back to the client as it is. A
//! stream counts as started only once its first chunk arrived, so a stream that breaks before
//! any byte reached the client still fails over. A short `Retry-After` on the last target is
//! waited out once; longer ones, and any with targets left, move on.

use super::{Health, Route, Target};
use crate::config::RouterConfig;
use crate::providers::{ChatReply, Frame, FrameStream, NativeRequest, Provider, ProviderError, UpstreamRequest};
use crate::store::AttemptRecord;
use bytes::Bytes;
use futures::StreamExt;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub enum Answer {
    /// The completion (internal form), and the upstream's own body when it differs.
    Complete { completion: Bytes, native: Option<Bytes> },
    /// The first frame (already received) and the rest.
    Stream { first: Option<Frame>, rest: FrameStream },
}

pub struct Served {
    pub target: Target,
    /// The upstream got the client's own request and answered in the client's API
    /// (`Frame::native`, the complete answer's `native`).
    pub passthrough: bool,
    pub answer: Answer,
}

/// What is asked of every target: the internal request, the client's own, and whether to stream.
#[derive(Clone, Copy)]
pub struct Ask<'a> {
    pub body: &'a Map<String, Value>,
    pub native: Option<&'a NativeRequest>,
    pub stream: bool,
}

pub async fn call_chat(
    providers: &HashMap<String, Arc<dyn Provider>>,
    health: &Health,
    router: &RouterConfig,
    route: &Route,
    ask: Ask<'_>,
    attempts: &mut Vec<AttemptRecord>,
) -> Result<Served, ProviderError> {
    let Ask { body, native, stream } = ask;
    let order = health.order(&route.targets, Instant::now());
    let cooldown = Duration::from_secs(router.cooldown_secs);
    let max_wait = Duration::from_secs(router.max_retry_after_secs);
    let mut last_error = None;
    let mut waited = false;
    let mut i = 0;
    while i < order.len() {
        let target = &route.targets[order[i]];
        let Some(provider) = providers.get(&target.provider) else {
            i += 1;
            continue;
        };
        let request = UpstreamRequest { body, model: &target.model, native };
        let started = Instant::now();
        let result = match tokio::time::timeout(route.timeout, start(provider.as_ref(), request, stream)).await {
            Ok(r) => r,
            Err(_) => Err(ProviderError::Timeout { provider: target.provider.clone(), secs: route.timeout.as_secs() }),
        };
        let latency_ms = crate::elapsed_ms(started);
        match result {
            Ok(answer) => {
                health.success(target);
                attempts.push(AttemptRecord { provider: target.provider.clone(), model: target.model.clone(), status: Some(200), error: None, latency_ms });
                let passthrough = native.is_some_and(|n| provider.passes_through(n.api));
                return Ok(Served { target: target.clone(), passthrough, answer });
            }
            Err(e) => {
                let status = match &e {
                    ProviderError::Status { status, .. } => Some(*status),
                    _ => None,
                };
                attempts.push(AttemptRecord { provider: target.provider.clone(), model: target.model.clone(), status, error: Some(e.to_string()), latency_ms });
                if !e.fails_over() {
                    return Err(e);
                }
                health.failure(target, &e.to_string(), e.retry_after(), router.failure_threshold, cooldown, Instant::now());
                let last = i + 1 == order.len();
                match e.retry_after() {
                    Some(wait) if last && !waited && wait <= max_wait => {
                        tracing::debug!(target = %target, ?wait, "waiting out Retry-After on the last target");
                        tokio::time::sleep(wait).await;
                        waited = true;
                    }
                    _ => i += 1,
                }
                last_error = Some(e);
            }
        }
    }
    Err(last_error.unwrap_or_else(|| ProviderError::Connect {
        provider: route.baseline.provider.clone(),
        detail: "no configured provider serves this route".into(),
    }))
}

/// One attempt, up to the first chunk of a stream.
async fn start(provider: &dyn Provider, request: UpstreamRequest<'_>, stream: bool) -> Result<Answer, ProviderError> {
    match provider.chat(request, stream).await? {
        ChatReply::Complete { completion, native } => Ok(Answer::Complete { completion, native }),
        ChatReply::Stream(mut rest) => match rest.next().await {
            Some(Ok(first)) => Ok(Answer::Stream { first: Some(first), rest }),
            Some(Err(e)) => Err(e),
            None => Ok(Answer::Stream { first: None, rest }),
        },
    }
}
