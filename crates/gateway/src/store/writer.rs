//! The writer thread: drains the queue into batched transactions and acknowledges commits.

use crate::wire::Usage;
use bytes::Bytes;
use rusqlite::{params, Connection, Transaction};
use std::path::PathBuf;
use tokio::sync::{mpsc, oneshot};

/// At most this many records share one transaction.
const BATCH: usize = 512;

#[derive(Debug, Clone)]
pub struct RequestRecord {
    pub id: String,
    pub ts_ms: i64,
    pub model_requested: String,
    pub provider: Option<String>,
    pub model: Option<String>,
    pub cache: &'static str,
    pub status: u16,
    pub latency_ms: f64,
    pub ttft_ms: Option<f64>,
    pub stream: bool,
    pub usage: Option<Usage>,
    pub tokens_estimated: bool,
    pub cost_usd: Option<f64>,
    pub saved_usd: Option<f64>,
    pub error: Option<String>,
    pub cache_key: Option<[u8; 32]>,
    pub attempts: Vec<AttemptRecord>,
    pub request_body: Option<String>,
    pub response_body: Option<String>,
}

#[derive(Debug, Clone)]
pub struct AttemptRecord {
    pub provider: String,
    pub model: String,
    pub status: Option<u16>,
    pub error: Option<String>,
    pub latency_ms: f64,
}

#[derive(Debug, Clone)]
pub struct CacheInsert {
    pub key: [u8; 32],
    pub model_requested: String,
    pub provider: String,
    pub model: String,
    /// The whole `chat.completion` JSON.
    pub response: Bytes,
    /// The original chunk payloads when the answer was streamed, for faithful replay.
    pub chunks: Option<Vec<Bytes>>,
    pub usage: Usage,
    pub created_ms: i64,
    pub expires_ms: Option<i64>,
}

pub(super) enum Op {
    Request(Box<RequestRecord>),
    CacheInsert(Box<CacheInsert>),
    CacheHit { key: [u8; 32], ts_ms: i64 },
    PurgeExpired { now_ms: i64 },
    /// Writes nothing; its acknowledgement means everything before it is committed.
    Barrier,
}

pub(super) type Ack = oneshot::Sender<Result<(), rusqlite::Error>>;
pub(super) type Msg = (Op, Option<Ack>);

pub(super) fn spawn(mut conn: Connection, mut rx: mpsc::Receiver<Msg>, path: PathBuf) {
    std::thread::Builder::new()
        .name("sluice-db-writer".into())
        .spawn(move || {
            while let Some(first) = rx.blocking_recv() {
                let mut batch = vec![first];
                while batch.len() < BATCH {
                    match rx.try_recv() {
                        Ok(msg) => batch.push(msg),
                        Err(_) => break,
                    }
                }
                let result = write_batch(&mut conn, &batch);
                if let Err(e) = &result {
                    tracing::error!(db = %path.display(), error = %e, records = batch.len(), "could not write to the database");
                }
                for (_, ack) in batch {
                    if let Some(ack) = ack {
                        let _ = ack.send(result.as_ref().map(|_| ()).map_err(clone_error));
                    }
                }
            }
        })
        .expect("spawn the database writer thread");
}

fn clone_error(e: &rusqlite::Error) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(e.to_string().into())
}

fn write_batch(conn: &mut Connection, batch: &[Msg]) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    for (op, _) in batch {
        write_op(&tx, op)?;
    }
    tx.commit()
}

fn write_op(tx: &Transaction, op: &Op) -> rusqlite::Result<()> {
    match op {
        Op::Request(r) => {
            tx.prepare_cached(
                "INSERT OR REPLACE INTO requests (id, ts, model_requested, provider, model, cache, status, latency_ms, ttft_ms,
                    stream, prompt_tokens, completion_tokens, cached_tokens, tokens_estimated, cost_usd, saved_usd, error,
                    cache_key, request_body, response_body)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)",
            )?
            .execute(params![
                r.id, r.ts_ms, r.model_requested, r.provider, r.model, r.cache, r.status, r.latency_ms, r.ttft_ms,
                r.stream, r.usage.map(|u| u.prompt), r.usage.map(|u| u.completion), r.usage.map(|u| u.cached),
                r.tokens_estimated, r.cost_usd, r.saved_usd, r.error, r.cache_key.as_ref().map(|k| &k[..]),
                r.request_body, r.response_body
            ])?;
            let mut insert = tx.prepare_cached(
                "INSERT OR REPLACE INTO attempts (request_id, seq, provider, model, status, error, latency_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            for (seq, a) in r.attempts.iter().enumerate() {
                insert.execute(params![r.id, seq, a.provider, a.model, a.status, a.error, a.latency_ms])?;
            }
        }
        Op::CacheInsert(e) => {
            let chunks = e.chunks.as_ref().map(|c| {
                let strings: Vec<&str> = c.iter().map(|b| std::str::from_utf8(b).unwrap_or("")).collect();
                serde_json::to_vec(&strings).expect("strings serialize")
            });
            tx.prepare_cached(
                "INSERT OR REPLACE INTO cache_entries (key, model_requested, provider, model, response, chunks, prompt_tokens,
                    completion_tokens, cached_tokens, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )?
            .execute(params![
                &e.key[..], e.model_requested, e.provider, e.model, &e.response[..], chunks, e.usage.prompt,
                e.usage.completion, e.usage.cached, e.created_ms, e.expires_ms
            ])?;
        }
        Op::CacheHit { key, ts_ms } => {
            tx.prepare_cached("UPDATE cache_entries SET hits = hits + 1, last_hit_at = ?2 WHERE key = ?1")?.execute(params![&key[..], ts_ms])?;
        }
        Op::PurgeExpired { now_ms } => {
            tx.prepare_cached("DELETE FROM cache_entries WHERE expires_at IS NOT NULL AND expires_at <= ?1")?.execute(params![now_ms])?;
        }
        Op::Barrier => {}
    }
    Ok(())
}
