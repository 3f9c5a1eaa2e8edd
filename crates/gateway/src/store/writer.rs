//! The writer thread: drains the queue into batched transactions and acknowledges commits.

use super::bit_index::{Change, SharedIndex};
use super::degraded::Problems;
use super::journal::Segment;
use super::vectors::{self, SemanticRow};
use crate::cache::CacheStatus;
use crate::wire::{ClientApi, Usage};
use bytes::Bytes;
use rusqlite::{params, Connection, Transaction};
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use tokio::sync::{mpsc, oneshot};

/// At most this many records share one transaction.
const BATCH: usize = 512;

/// How long the writer lets records gather after a commit.
const LINGER: std::time::Duration = std::time::Duration::from_millis(2);

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RequestRecord {
    pub id: String,
    pub ts_ms: i64,
    pub model_requested: String,
    /// The API the client called; journals written before there was a choice were OpenAI chat.
    #[serde(default)]
    pub client_api: ClientApi,
    pub provider: Option<String>,
    pub model: Option<String>,
    pub cache: CacheStatus,
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
    /// For a semantic hit: the entry that answered, the question it was stored for, and the
    /// question asked (so the log can show what was matched to what).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub semantic: Option<SemanticMatch>,
    /// Fields of the client's request a target of another API answered without.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub left_out: Vec<String>,
    /// The rule that decided the request.
    #[serde(default = "default_rule")]
    pub rule: String,
    /// The difficulty router's score, when a rule asked for it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub difficulty: Option<f32>,
    /// `x-sluice-tags` and the rule's tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// What compression did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compressed: Option<crate::compress::Compressed>,
    /// Why compression, switched on, left the request as it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub compress_note: Option<String>,
}

fn default_rule() -> String {
    crate::router::DEFAULT_RULE.into()
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SemanticMatch {
    pub key: [u8; 32],
    pub matched_question: String,
    pub question: String,
    /// Not logged (nor journaled): for the quality loop, which may move this partition's
    /// threshold.
    #[serde(skip)]
    pub partition: String,
    #[serde(skip)]
    pub similarity: f32,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
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
    /// The last user turn, for the Cache page; `semantic`'s question replaces it.
    pub question: Option<String>,
    /// Set when the entry may also answer near-duplicates.
    pub semantic: Option<SemanticRow>,
}

/// Why cache entries go before they expire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Feedback {
    /// Someone marked the answer wrong (admin API or the UI).
    Invalidated,
    /// A client asked again with `Cache-Control: no-cache` right after a semantic hit.
    LikelyWrong,
}

impl Feedback {
    fn as_str(self) -> &'static str {
        match self {
            Feedback::Invalidated => "invalidated",
            Feedback::LikelyWrong => "likely_wrong",
        }
    }
}

pub(super) enum Op {
    /// A record and the journal segment holding it (none for records replayed at start-up).
    Request(Box<RequestRecord>, Option<Arc<Segment>>),
    /// A journal segment that takes no more records; removed once all of them are committed.
    Close(Arc<Segment>),
    CacheInsert(Box<CacheInsert>),
    /// Hit counts gathered since the last flush: key, hits, last hit time.
    CacheHits(Vec<([u8; 32], u64, i64)>),
    /// Removes one entry and records why (with the request that was answered from it, if known).
    CacheFeedback { key: [u8; 32], feedback: Feedback, request_id: Option<String>, ts_ms: i64, remove: bool },
    /// Removes every cache entry.
    CacheClear,
    /// Drops expired cache entries and, when `requests_before_ms` is set, older log records.
    Purge { now_ms: i64, requests_before_ms: Option<i64> },
    /// Writes nothing; its acknowledgement means everything before it is committed.
    Barrier,
    /// Work that makes its own transaction and answers for itself (prompt suites). It runs
    /// between batches, so its failure (a name already taken) never fails a batch of log
    /// records.
    Own(Box<dyn FnOnce(&mut Connection) + Send>),
}

pub(super) type Ack = oneshot::Sender<Result<(), rusqlite::Error>>;
pub(super) type Msg = (Op, Option<Ack>);

pub(super) fn spawn(mut conn: Connection, mut rx: mpsc::Receiver<Msg>, path: PathBuf, index: Arc<SharedIndex>, unsettled: Arc<AtomicUsize>, problems: Arc<Problems>) {
    std::thread::Builder::new()
        .name("sluice-db-writer".into())
        .spawn(move || {
            let mut next = None;
            while let Some(first) = next.take().or_else(|| rx.blocking_recv()) {
                if let (Op::Own(work), _) = first {
                    work(&mut conn);
                    unsettled.fetch_sub(1, Ordering::AcqRel);
                    continue;
                }
                let mut batch = vec![first];
                while batch.len() < BATCH {
                    match rx.try_recv() {
                        Ok(msg @ (Op::Own(_), _)) => {
                            next = Some(msg);
                            break;
                        }
                        Ok(msg) => batch.push(msg),
                        Err(_) => break,
                    }
                }
                let result = write_batch(&mut conn, &batch).map(|changes| {
                    // Committed records leave the journal; on failure they stay for replay.
                    settle_journal(&batch);
                    if !changes.is_empty() {
                        index.apply(changes);
                    }
                });
                if let Err(e) = &result {
                    tracing::error!(db = %path.display(), error = %e, records = batch.len(), "could not write to the database");
                }
                // Only a batch that wrote something says whether writes work again.
                if batch.iter().any(|(op, _)| !matches!(op, Op::Barrier | Op::Close(_))) {
                    *problems.last_write.lock().expect("log problem lock") = result.as_ref().err().map(|e| format!("the last write to {} failed: {e}", path.display()));
                }
                unsettled.fetch_sub(batch.len(), Ordering::AcqRel);
                for (_, ack) in batch {
                    if let Some(ack) = ack {
                        let _ = ack.send(result.as_ref().map(|_| ()).map_err(clone_error));
                    }
                }
                // Let the next records gather. A sender wakes the writer only when it waits on
                // the queue; waking it for each request cost the request path a futex wake and
                // the writer a transaction per record (docs/benchmarks.md, "The proxy hop").
                // Records are durable in the journal meanwhile; `read_logged` waits this out.
                std::thread::sleep(LINGER);
            }
        })
        .expect("spawn the database writer thread");
}

fn settle_journal(batch: &[Msg]) {
    let mut touched: Vec<&Arc<Segment>> = Vec::new();
    for (op, _) in batch {
        match op {
            Op::Request(_, Some(segment)) => {
                segment.committed(1);
                touched.push(segment);
            }
            Op::Close(segment) => touched.push(segment),
            _ => {}
        }
    }
    touched.dedup_by(|a, b| Arc::ptr_eq(a, b));
    touched.into_iter().for_each(|s| s.settle());
}

fn clone_error(e: &rusqlite::Error) -> rusqlite::Error {
    rusqlite::Error::ToSqlConversionFailure(e.to_string().into())
}

/// Writes records an earlier run left in the journal (already logged ones are kept as they are).
pub(super) fn replay(conn: &mut Connection, records: Vec<RequestRecord>) -> rusqlite::Result<()> {
    if records.is_empty() {
        return Ok(());
    }
    tracing::info!(records = records.len(), "replaying the request journal of an earlier run");
    let batch: Vec<Msg> = records.into_iter().map(|r| (Op::Request(Box::new(r), None), None)).collect();
    write_batch(conn, &batch).map(drop)
}

/// Writes `batch` in one transaction; returns what it did to the vectors.
pub(super) fn write_batch(conn: &mut Connection, batch: &[Msg]) -> rusqlite::Result<Vec<Change>> {
    let tx = conn.transaction()?;
    let mut changes = Vec::new();
    for (op, _) in batch {
        write_op(&tx, op, &mut changes)?;
    }
    tx.commit()?;
    Ok(changes)
}

/// Runs a `DELETE … RETURNING rowid` on `cache_entries`. The trigger removes the entries'
/// vectors; the index learns of them through the rowids.
fn delete_entries(tx: &Transaction, sql: &str, param: impl rusqlite::ToSql, changes: &mut Vec<Change>) -> rusqlite::Result<()> {
    let mut delete = tx.prepare_cached(sql)?;
    for rowid in delete.query_map([param], |r| r.get(0))? {
        changes.push(Change::Remove(rowid?));
    }
    Ok(())
}

fn write_op(tx: &Transaction, op: &Op, changes: &mut Vec<Change>) -> rusqlite::Result<()> {
    match op {
        Op::Request(r, _) => {
            // A record replayed from the journal is already here as it was; replacing it would
            // delete (by cascade) the feedback and verdicts given on it since.
            tx.prepare_cached(
                "INSERT INTO requests (id, ts, model_requested, provider, model, cache, status, latency_ms, ttft_ms,
                    stream, prompt_tokens, completion_tokens, cached_tokens, tokens_estimated, cost_usd, saved_usd, error,
                    cache_key, request_body, response_body, matched_key, matched_question, question, client_api, cache_write_tokens, left_out,
                    rule, difficulty, tags, compressed_from, compressed_to, compress_saved_usd, compress_detail, compress_note)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33, ?34)
                 ON CONFLICT (id) DO NOTHING",
            )?
            .execute(params![
                r.id, r.ts_ms, r.model_requested, r.provider, r.model, r.cache.as_str(), r.status, r.latency_ms, r.ttft_ms,
                r.stream, r.usage.map(|u| u.prompt), r.usage.map(|u| u.completion), r.usage.map(|u| u.cached),
                r.tokens_estimated, r.cost_usd, r.saved_usd, r.error, r.cache_key.as_ref().map(|k| &k[..]),
                r.request_body, r.response_body, r.semantic.as_ref().map(|m| &m.key[..]),
                r.semantic.as_ref().map(|m| &m.matched_question), r.semantic.as_ref().map(|m| &m.question),
                r.client_api.as_str(), r.usage.map(|u| u.cache_write), (!r.left_out.is_empty()).then(|| r.left_out.join(", ")),
                r.rule, r.difficulty, (!r.tags.is_empty()).then(|| r.tags.join(",")),
                r.compressed.as_ref().map(|c| c.before), r.compressed.as_ref().map(|c| c.after),
                r.compressed.as_ref().and_then(|c| c.usd).map(|(unchanged, compressed)| unchanged - compressed),
                r.compressed.as_ref().map(|c| serde_json::to_string(c).expect("compression detail serializes")), r.compress_note
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
            // An upsert, not INSERT OR REPLACE: the rowid must stay, it names the entry's vector.
            // An embedded entry keeps the question it was embedded with (the checks read it).
            tx.prepare_cached(
                "INSERT INTO cache_entries (key, model_requested, provider, model, response, chunks, prompt_tokens,
                    completion_tokens, cached_tokens, created_at, expires_at, question, cache_write_tokens)
                    VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
                 ON CONFLICT (key) DO UPDATE SET model_requested = excluded.model_requested, provider = excluded.provider,
                    model = excluded.model, response = excluded.response, chunks = excluded.chunks,
                    prompt_tokens = excluded.prompt_tokens, completion_tokens = excluded.completion_tokens,
                    cached_tokens = excluded.cached_tokens, cache_write_tokens = excluded.cache_write_tokens, created_at = excluded.created_at, expires_at = excluded.expires_at,
                    question = CASE WHEN embedding IS NULL THEN excluded.question ELSE question END",
            )?
            .execute(params![
                &e.key[..], e.model_requested, e.provider, e.model, &e.response[..], chunks, e.usage.prompt,
                e.usage.completion, e.usage.cached, e.created_ms, e.expires_ms, e.question, e.usage.cache_write
            ])?;
            if let Some(row) = &e.semantic {
                changes.push(vectors::insert(tx, &e.key, row)?);
            }
        }
        Op::CacheFeedback { key, feedback, request_id, ts_ms, remove } => {
            tx.prepare_cached("INSERT INTO cache_feedback (ts, kind, key, request_id) VALUES (?1, ?2, ?3, ?4)")?
                .execute(params![ts_ms, feedback.as_str(), &key[..], request_id])?;
            if *remove {
                delete_entries(tx, "DELETE FROM cache_entries WHERE key = ?1 RETURNING rowid", &key[..], changes)?;
            }
        }
        Op::CacheClear => {
            tx.execute("DELETE FROM cache_entries", [])?;
            changes.push(Change::Clear);
        }
        Op::CacheHits(hits) => {
            let mut update = tx.prepare_cached("UPDATE cache_entries SET hits = hits + ?2, last_hit_at = max(coalesce(last_hit_at, 0), ?3) WHERE key = ?1")?;
            for (key, n, ts_ms) in hits {
                update.execute(params![&key[..], n, ts_ms])?;
            }
        }
        Op::Purge { now_ms, requests_before_ms } => {
            delete_entries(tx, "DELETE FROM cache_entries WHERE expires_at IS NOT NULL AND expires_at <= ?1 RETURNING rowid", now_ms, changes)?;
            if let Some(before) = requests_before_ms {
                tx.prepare_cached("DELETE FROM requests WHERE ts < ?1")?.execute(params![before])?;
            }
        }
        Op::Barrier | Op::Close(_) | Op::Own(_) => {}
    }
    Ok(())
}
