//! Read queries for the admin API and the cache.

use crate::wire::Usage;
use bytes::Bytes;
use rusqlite::{Connection, OptionalExtension, Row};
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct Stats {
    #[serde(flatten)]
    pub totals: super::Totals,
    pub upstream_calls: u64,
    pub cache_entries: u64,
    pub likely_wrong_hits: u64,
    pub invalidated: u64,
}

#[derive(Debug, Serialize)]
pub struct RequestRow {
    pub id: String,
    pub ts: i64,
    pub model_requested: String,
    pub provider: Option<String>,
    pub model: Option<String>,
    pub cache: String,
    pub status: u16,
    pub latency_ms: f64,
    pub ttft_ms: Option<f64>,
    pub stream: bool,
    pub prompt_tokens: Option<u64>,
    pub completion_tokens: Option<u64>,
    pub cached_tokens: Option<u64>,
    pub cache_write_tokens: Option<u64>,
    pub tokens_estimated: bool,
    pub cost_usd: Option<f64>,
    pub saved_usd: Option<f64>,
    pub error: Option<String>,
    /// `openai-chat`, `anthropic-messages`, …: the API the client called.
    pub client_api: String,
    /// The rule that decided the request.
    pub rule: String,
    /// The difficulty router's score, when a rule asked for it.
    pub difficulty: Option<f64>,
    /// Comma-separated: `x-sluice-tags` and the rule's tags.
    pub tags: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct AttemptRow {
    pub provider: String,
    pub model: String,
    pub status: Option<u16>,
    pub error: Option<String>,
    pub latency_ms: f64,
}

#[derive(Debug, Serialize)]
pub struct RequestDetail {
    #[serde(flatten)]
    pub request: RequestRow,
    pub attempts: Vec<AttemptRow>,
    pub request_body: Option<String>,
    pub response_body: Option<String>,
    /// The cache entry that answered (hex), for "wrong answer" feedback.
    pub cache_entry: Option<String>,
    /// For a semantic hit: the question asked and the stored question it matched.
    pub question: Option<String>,
    pub matched_question: Option<String>,
    /// Fields of the client's request a target of another API answered without.
    pub left_out: Option<String>,
    /// What compression did: tokens before and after, levers, the parts kept and dropped.
    pub compressed: Option<crate::compress::Compressed>,
    /// Why compression, switched on, left the request as it was.
    pub compress_note: Option<String>,
    /// What a person or a tool said of the answer.
    pub feedback: Option<super::RequestFeedback>,
}

/// A stored answer, as the cache serves it.
#[derive(Debug, Clone)]
pub struct StoredAnswer {
    pub provider: String,
    pub model: String,
    pub response: Bytes,
    pub chunks: Option<Vec<Bytes>>,
    pub usage: Usage,
    pub expires_ms: Option<i64>,
}

impl StoredAnswer {
    /// Approximate bytes held, for the in-memory cache's budget.
    pub fn size(&self) -> usize {
        self.response.len() + self.chunks.iter().flatten().map(|c| c.len() + 16).sum::<usize>() + self.provider.len() + self.model.len() + 64
    }
}

pub fn stats(conn: &Connection) -> rusqlite::Result<Stats> {
    // Semantic hits come with the totals; the rest of the cache's counters from cache_counts.
    let counts = super::cache_counts(conn)?;
    Ok(Stats {
        totals: super::totals(conn, i64::MIN)?,
        upstream_calls: conn.query_row("SELECT COUNT(*) FROM attempts", [], |r| r.get(0))?,
        cache_entries: counts.cache_entries,
        likely_wrong_hits: counts.likely_wrong_hits,
        invalidated: counts.invalidated,
    })
}

const REQUEST_COLUMNS: &str = "id, ts, model_requested, provider, model, cache, status, latency_ms, ttft_ms, stream,
    prompt_tokens, completion_tokens, cached_tokens, tokens_estimated, cost_usd, saved_usd, error, client_api, cache_write_tokens,
    rule, difficulty, tags";

fn request_row(r: &Row) -> rusqlite::Result<RequestRow> {
    Ok(RequestRow {
        id: r.get(0)?,
        ts: r.get(1)?,
        model_requested: r.get(2)?,
        provider: r.get(3)?,
        model: r.get(4)?,
        cache: r.get(5)?,
        status: r.get(6)?,
        latency_ms: r.get(7)?,
        ttft_ms: r.get(8)?,
        stream: r.get(9)?,
        prompt_tokens: r.get(10)?,
        completion_tokens: r.get(11)?,
        cached_tokens: r.get(12)?,
        tokens_estimated: r.get(13)?,
        cost_usd: r.get(14)?,
        saved_usd: r.get(15)?,
        error: r.get(16)?,
        client_api: r.get(17)?,
        cache_write_tokens: r.get(18)?,
        rule: r.get(19)?,
        difficulty: r.get(20)?,
        tags: r.get(21)?,
    })
}

/// Which requests a log page shows; unset fields don't filter.
#[derive(Debug, Default, serde::Deserialize)]
pub struct RequestFilter {
    /// Timestamp in ms; only older requests (paging back).
    pub before: Option<i64>,
    /// `ok` (status < 400) or `error`.
    pub status: Option<String>,
    /// `hit` (exact or semantic), or one `x-sluice-cache` value.
    pub cache: Option<String>,
    pub provider: Option<String>,
    pub model: Option<String>,
    pub rule: Option<String>,
}

/// Newest first.
pub fn recent_requests(conn: &Connection, limit: u32, filter: &RequestFilter) -> rusqlite::Result<Vec<RequestRow>> {
    let mut sql = format!("SELECT {REQUEST_COLUMNS} FROM requests WHERE ts < ?1");
    let mut values: Vec<&dyn rusqlite::ToSql> = Vec::new();
    match filter.status.as_deref() {
        Some("ok") => sql.push_str(" AND status < 400"),
        Some("error") => sql.push_str(" AND status >= 400"),
        _ => {}
    }
    let hit_filter = filter.cache.as_deref() == Some("hit");
    if hit_filter {
        sql.push_str(" AND cache LIKE 'hit-%'");
    }
    let exact_filters = [("cache", filter.cache.as_ref().filter(|_| !hit_filter)), ("provider", filter.provider.as_ref()), ("model", filter.model.as_ref()), ("rule", filter.rule.as_ref())];
    for (column, value) in exact_filters {
        if let Some(value) = value {
            values.push(value);
            sql.push_str(&format!(" AND {column} = ?{}", values.len() + 2));
        }
    }
    sql.push_str(" ORDER BY ts DESC, id DESC LIMIT ?2");
    let before = filter.before.unwrap_or(i64::MAX);
    let mut all: Vec<&dyn rusqlite::ToSql> = vec![&before, &limit];
    all.extend(values);
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(all.as_slice(), request_row)?;
    rows.collect()
}

pub fn request_detail(conn: &Connection, id: &str) -> rusqlite::Result<Option<RequestDetail>> {
    let sql = format!(
        "SELECT {REQUEST_COLUMNS}, request_body, response_body, question, matched_question,
            CASE cache WHEN 'hit-semantic' THEN matched_key WHEN 'hit-exact' THEN cache_key END, left_out, compress_detail, compress_note
         FROM requests WHERE id = ?1"
    );
    let found = conn
        .query_row(&sql, [id], |r| {
            let entry: Option<Vec<u8>> = r.get(26)?;
            let compressed: Option<String> = r.get(28)?;
            let compressed = compressed.and_then(|c| serde_json::from_str(&c).ok());
            Ok((request_row(r)?, r.get(22)?, r.get(23)?, r.get(24)?, r.get(25)?, entry.map(|k| crate::hex(&k)), r.get(27)?, compressed, r.get(29)?))
        })
        .optional()?;
    let Some((request, request_body, response_body, question, matched_question, cache_entry, left_out, compressed, compress_note)) = found else { return Ok(None) };
    let mut stmt = conn.prepare_cached("SELECT provider, model, status, error, latency_ms FROM attempts WHERE request_id = ?1 ORDER BY seq")?;
    let attempts = stmt
        .query_map([id], |r| Ok(AttemptRow { provider: r.get(0)?, model: r.get(1)?, status: r.get(2)?, error: r.get(3)?, latency_ms: r.get(4)? }))?
        .collect::<rusqlite::Result<_>>()?;
    let feedback = super::feedback_of(conn, id)?;
    Ok(Some(RequestDetail { request, attempts, request_body, response_body, cache_entry, question, matched_question, left_out, compressed, compress_note, feedback }))
}

pub fn cache_get(conn: &Connection, key: &[u8; 32]) -> rusqlite::Result<Option<StoredAnswer>> {
    conn.prepare_cached("SELECT provider, model, response, chunks, prompt_tokens, completion_tokens, cached_tokens, expires_at, cache_write_tokens FROM cache_entries WHERE key = ?1")?
        .query_row([&key[..]], |r| {
            let chunks: Option<Vec<u8>> = r.get(3)?;
            let chunks = chunks
                .and_then(|c| serde_json::from_slice::<Vec<String>>(&c).ok())
                .map(|c| c.into_iter().map(Bytes::from).collect());
            Ok(StoredAnswer {
                provider: r.get(0)?,
                model: r.get(1)?,
                response: Bytes::from(r.get::<_, Vec<u8>>(2)?),
                chunks,
                usage: Usage { prompt: r.get(4)?, completion: r.get(5)?, cached: r.get(6)?, cache_write: r.get(8)? },
                expires_ms: r.get(7)?,
            })
        })
        .optional()
}

/// Keys of entries alive at `now_ms`, with their expiry, to index them in memory.
pub fn live_cache_keys(conn: &Connection, now_ms: i64) -> rusqlite::Result<Vec<([u8; 32], Option<i64>)>> {
    let mut stmt = conn.prepare("SELECT key, expires_at FROM cache_entries WHERE expires_at IS NULL OR expires_at > ?1")?;
    let rows = stmt.query_map([now_ms], |r| {
        let key: Vec<u8> = r.get(0)?;
        Ok((key, r.get(1)?))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (key, expires) = row?;
        if let Ok(key) = <[u8; 32]>::try_from(key.as_slice()) {
            out.push((key, expires));
        }
    }
    Ok(out)
}

/// A logged cost: time (ms), USD, provider, rule.
pub type LoggedCost = (i64, f64, Option<String>, String);

/// Costs logged since `since_ms`, for the budgets' counters.
pub fn spend_since(conn: &Connection, since_ms: i64) -> rusqlite::Result<Vec<LoggedCost>> {
    let mut stmt = conn.prepare("SELECT ts, cost_usd, provider, rule FROM requests WHERE ts >= ?1 AND cost_usd > 0")?;
    let rows = stmt.query_map([since_ms], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
    rows.collect()
}

/// One rule's figures over a window of days.
#[derive(Debug, Serialize)]
pub struct RuleStats {
    pub rule: String,
    pub requests: u64,
    pub errors: u64,
    pub cost_usd: f64,
    pub saved_usd: f64,
    pub p50_latency_ms: Option<f64>,
}

/// Every rule's figures for requests since `since_ms`.
pub fn rule_stats(conn: &Connection, since_ms: i64) -> rusqlite::Result<Vec<RuleStats>> {
    let mut stmt = conn.prepare(
        "SELECT rule, COUNT(*), SUM(status >= 400), COALESCE(SUM(cost_usd), 0), COALESCE(SUM(saved_usd), 0) FROM requests WHERE ts >= ?1 GROUP BY rule ORDER BY rule",
    )?;
    let mut out: Vec<RuleStats> = stmt
        .query_map([since_ms], |r| Ok(RuleStats { rule: r.get(0)?, requests: r.get(1)?, errors: r.get(2)?, cost_usd: r.get(3)?, saved_usd: r.get(4)?, p50_latency_ms: None }))?
        .collect::<rusqlite::Result<_>>()?;
    let mut median = conn.prepare("SELECT latency_ms FROM requests WHERE ts >= ?1 AND rule = ?2 ORDER BY latency_ms LIMIT 1 OFFSET (SELECT COUNT(*) FROM requests WHERE ts >= ?1 AND rule = ?2) / 2")?;
    for s in &mut out {
        s.p50_latency_ms = median.query_row(rusqlite::params![since_ms, s.rule], |r| r.get(0)).optional()?;
    }
    Ok(out)
}
