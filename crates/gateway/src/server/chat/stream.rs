//! Streams an upstream answer to the client chunk by chunk, as it arrives, while a copy is
//! folded for the log and the cache.
//!
//! A task pumps upstream chunks into a small channel that feeds the response body. When the
//! client hangs up the channel closes, the task drops the upstream response (which closes that
//! connection, cancelling the call) and logs the request as 499. An upstream that breaks off
//! mid-stream ends the client's stream with an SSE `error` event, never a silent end.

use super::call::{cacheable_completion, Call};
use crate::server::respond::sse_response;
use crate::providers::{ChunkStream, ProviderError};
use crate::router::Target;
use crate::server::error::ApiError;
use crate::store::AttemptRecord;
use crate::wire::{sse_data, ChunkAccumulator, SSE_DONE};
use axum::body::Body;
use axum::http::StatusCode;
use axum::response::Response;
use bytes::Bytes;
use futures::StreamExt;
use serde_json::Value;
use std::convert::Infallible;
use tokio::sync::mpsc;

/// Chunks buffered between the upstream and a slow client.
const BUFFER: usize = 64;

/// A `choices: []` chunk carrying only `usage`, sent because Sluice asked for it.
pub fn is_usage_only(chunk: &[u8]) -> bool {
    serde_json::from_slice::<Value>(chunk).is_ok_and(|v| usage_only(&v))
}

fn usage_only(chunk: &Value) -> bool {
    chunk.get("usage").is_some_and(Value::is_object) && chunk.get("choices").and_then(Value::as_array).is_some_and(Vec::is_empty)
}

enum End {
    Done,
    Cut(ProviderError),
    ClientGone,
}

pub fn respond(call: Call, target: Target, first: Option<Bytes>, rest: ChunkStream, attempts: Vec<AttemptRecord>) -> Response {
    let (tx, rx) = mpsc::channel::<Result<Bytes, Infallible>>(BUFFER);
    let mut response = sse_response(Body::from_stream(futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|item| (item, rx)) })));
    call.decorate(&mut response, call.cache_status(), Some(&target), None);
    let ttft_ms = crate::elapsed_ms(call.started);
    tokio::spawn(pump(call, target, first, rest, attempts, tx, ttft_ms));
    response
}

async fn pump(mut call: Call, target: Target, first: Option<Bytes>, rest: ChunkStream, attempts: Vec<AttemptRecord>, tx: mpsc::Sender<Result<Bytes, Infallible>>, ttft_ms: f64) {
    let mut upstream = futures::stream::iter(first.map(Ok)).chain(rest);
    let mut acc = ChunkAccumulator::default();
    let keep_chunks = call.plan.is_some_and(|p| p.store);
    let mut chunks = Vec::new();
    let end = loop {
        let next = tokio::select! {
            _ = tx.closed() => break End::ClientGone,
            next = upstream.next() => next,
        };
        match next {
            None => break End::Done,
            Some(Err(e)) => break End::Cut(e),
            Some(Ok(chunk)) => {
                let value: Value = serde_json::from_slice(&chunk).unwrap_or(Value::Null);
                acc.push(&value);
                let forward = call.params.include_usage || !usage_only(&value);
                if keep_chunks {
                    chunks.push(chunk.clone());
                }
                if forward && tx.send(Ok(sse_data(&chunk))).await.is_err() {
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
    call.commit(record, insert).await;

    match end {
        End::Done => {
            let _ = tx.send(Ok(Bytes::from_static(SSE_DONE))).await;
        }
        End::Cut(e) => {
            tracing::warn!(request = %call.id, "{e}");
            let event = ApiError::new(StatusCode::BAD_GATEWAY, "upstream_error", format!("{e}; the answer is incomplete")).code("stream_interrupted").body();
            let _ = tx.send(Ok(sse_data(event.to_string().as_bytes()))).await;
        }
        End::ClientGone => {}
    }
}
