//! Streams an upstream answer to the client frame by frame, as it arrives, in the client's API
//! (`edge::StreamOut`), while its internal chunks are folded for the log and the cache.
//!
//! A task pumps upstream chunks into a small channel that feeds the response body. When the
//! client hangs up the channel closes, the task drops the upstream response (which closes that
//! connection, cancelling the call) and logs the request as 499. An upstream that breaks off
//! mid-stream ends the client's stream with an error event in its API, never a silent end.

use super::call::{cacheable_completion, Call};
use super::edge::StreamOut;
use crate::server::respond::sse_response;
use crate::providers::{Frame, FrameStream, ProviderError};
use crate::router::Target;
use crate::server::error::ApiError;
use crate::store::AttemptRecord;
use crate::wire::ChunkAccumulator;
use axum::body::Body;
use axum::http::StatusCode;
use axum::response::Response;
use bytes::Bytes;
use futures::StreamExt;
use std::convert::Infallible;
use tokio::sync::mpsc;

/// Chunks buffered between the upstream and a slow client.
const BUFFER: usize = 64;

/// Upstream silence after which the client gets a keep-alive (Anthropic's clients expect
/// `ping`s while a model thinks; idle-timeouts in proxies between count silence too).
const KEEPALIVE: std::time::Duration = std::time::Duration::from_secs(15);

enum End {
    Done,
    Cut(ProviderError),
    ClientGone,
}

/// `passthrough`: the upstream got the client's own request and answers in its API.
pub fn respond(call: Call, target: Target, passthrough: bool, first: Option<Frame>, rest: FrameStream, attempts: Vec<AttemptRecord>) -> Response {
    let (tx, rx) = mpsc::channel::<Result<Bytes, Infallible>>(BUFFER);
    let mut response = sse_response(Body::from_stream(futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) })));
    call.decorate(&mut response, call.cache_status(), Some(&target), None);
    let ttft_ms = crate::elapsed_ms(call.started);
    let out = StreamOut::new(&call.client, passthrough);
    tokio::spawn(pump(call, target, out, first, rest, attempts, tx, ttft_ms));
    response
}

#[allow(clippy::too_many_arguments)] // one task's whole state, handed over once
async fn pump(mut call: Call, target: Target, mut out: StreamOut, first: Option<Frame>, rest: FrameStream, attempts: Vec<AttemptRecord>, tx: mpsc::Sender<Result<Bytes, Infallible>>, ttft_ms: f64) {
    let mut upstream = futures::stream::iter(first.map(Ok)).chain(rest);
    let mut acc = ChunkAccumulator::default();
    let keep_chunks = call.plan.is_some_and(|p| p.store);
    let mut chunks = Vec::new();
    // One timer for the whole stream, pushed back as frames arrive (not one per chunk).
    let idle = std::time::Duration::from_secs(call.rt.config.router.stream_idle_secs);
    let quiet = tokio::time::sleep(KEEPALIVE.min(idle));
    tokio::pin!(quiet);
    let mut last_frame = tokio::time::Instant::now();
    let end = loop {
        let next = tokio::select! {
            _ = tx.closed() => break End::ClientGone,
            next = upstream.next() => next,
            _ = &mut quiet => {
                if last_frame.elapsed() >= idle {
                    break End::Cut(ProviderError::StreamCut { provider: target.provider.clone(), detail: format!("the upstream sent nothing for {} s ([router] stream_idle_secs)", idle.as_secs()) });
                }
                quiet.as_mut().reset(tokio::time::Instant::now() + KEEPALIVE.min(idle));
                if tx.send(Ok(out.keepalive())).await.is_err() {
                    break End::ClientGone;
                }
                continue;
            }
        };
        last_frame = tokio::time::Instant::now();
        quiet.as_mut().reset(last_frame + KEEPALIVE.min(idle));
        match next {
            None => break End::Done,
            Some(Err(e)) => break End::Cut(e),
            Some(Ok(mut frame)) => {
                frame.chunks.iter().for_each(|c| acc.push(&c.value));
                if keep_chunks {
                    // Written once, here, when both the cache and an OpenAI client want the text.
                    for c in &mut frame.chunks {
                        let json = c.json();
                        chunks.push(json.clone());
                        c.json = Some(json);
                    }
                }
                let bytes = out.frame(&frame);
                if !bytes.is_empty() && tx.send(Ok(bytes)).await.is_err() {
                    break End::ClientGone;
                }
            }
        }
    };
    // The upstream connection closes here, before logging: a client that left cancels the call.
    drop(upstream);

    let cache = call.cache_status();
    let (status, error) = match &end {
        End::Done => (200, None),
        End::Cut(e) => (502, Some(e.to_string())),
        End::ClientGone => (499, Some("the client closed the connection before the answer ended".to_owned())),
    };
    let (usage, estimated) = call.usage_or_estimate(acc.usage(), acc.output_text()).await;
    let (cost, saved) = call.account(&target, usage);
    let mut record = call.record(cache, status, Some(&target));
    record.ttft_ms = Some(ttft_ms);
    record.usage = Some(usage);
    record.tokens_estimated = estimated;
    record.cost_usd = cost;
    record.saved_usd = saved;
    record.error = error;
    record.attempts = attempts;
    let completion = acc.into_completion();
    if record.request_body.is_some() {
        record.response_body = Some(completion.to_string());
    }
    let insert = match &end {
        End::Done if cacheable_completion(&completion) => call.cache_insert(&target, Bytes::from(completion.to_string()), Some(chunks), usage).await,
        _ => None,
    };
    call.commit(record, insert, || Some(completion)).await;

    match end {
        End::Done => {
            let _ = tx.send(Ok(out.done())).await;
        }
        End::Cut(e) => {
            tracing::warn!(request = %call.id, "{e}");
            let error = ApiError::new(StatusCode::BAD_GATEWAY, "upstream_error", format!("{e}; the answer is incomplete")).code("stream_interrupted");
            let _ = tx.send(Ok(out.cut(&error))).await;
        }
        End::ClientGone => {}
    }
}
