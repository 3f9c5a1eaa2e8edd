//! Cache entries as the cache page lists them: what each answered, how often, what it saved.

use rusqlite::{params, Connection};
use serde::Serialize;

#[derive(Debug, Serialize)]
pub struct CacheEntryRow {
    /// The entry's key in hex: the id the admin API takes.
    pub id: String,
    /// The question the entry answers: the text it was embedded with, or for an entry that
    /// answers identical requests only, its last user turn (cut at 500 characters).
    pub question: Option<String>,
    /// Whether rephrasings may be answered with it (it has a vector).
    pub semantic: bool,
    pub model_requested: String,
    pub provider: String,
    pub model: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub hits: u64,
    pub last_hit_at: Option<i64>,
    pub saved_usd: f64,
}

/// An entry id from the URL: 64 hex digits.
pub fn parse_entry_id(id: &str) -> Option<[u8; 32]> {
    if id.len() != 64 || !id.is_ascii() {
        return None;
    }
    let mut key = [0u8; 32];
    for (i, b) in key.iter_mut().enumerate() {
        *b = u8::from_str_radix(&id[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(key)
}

/// Live entries, most used first; `search` filters by the question's text.
pub fn cache_entries(conn: &Connection, search: Option<&str>, limit: u32, now_ms: i64) -> rusqlite::Result<Vec<CacheEntryRow>> {
    let pattern = search.map(|s| format!("%{}%", s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")));
    let mut stmt = conn.prepare_cached(
        "SELECT e.key, e.question, e.model_requested, e.provider, e.model, e.created_at, e.expires_at, e.hits, e.last_hit_at,
            e.embedding IS NOT NULL,
            COALESCE((SELECT SUM(saved_usd) FROM requests WHERE cache = 'hit-exact' AND cache_key = e.key), 0)
              + COALESCE((SELECT SUM(saved_usd) FROM requests WHERE matched_key = e.key), 0)
         FROM cache_entries e
         WHERE (e.expires_at IS NULL OR e.expires_at > ?1) AND (?2 IS NULL OR e.question LIKE ?2 ESCAPE '\\')
         ORDER BY e.hits DESC, e.created_at DESC LIMIT ?3",
    )?;
    let rows = stmt.query_map(params![now_ms, pattern, limit], |r| {
        Ok(CacheEntryRow {
            id: crate::hex(&r.get::<_, Vec<u8>>(0)?),
            question: r.get(1)?,
            model_requested: r.get(2)?,
            provider: r.get(3)?,
            model: r.get(4)?,
            created_at: r.get(5)?,
            expires_at: r.get(6)?,
            hits: r.get(7)?,
            last_hit_at: r.get(8)?,
            semantic: r.get(9)?,
            saved_usd: r.get(10)?,
        })
    })?;
    rows.collect()
}

/// The cache's own counters. Cheap enough for the Cache page's 2-s refresh: no pass over the
/// request log (semantic hits are the rows the partial index `requests_semantic_hits` holds).
#[derive(Debug, Serialize)]
pub struct CacheCounts {
    pub cache_entries: u64,
    pub semantic_hits: u64,
    /// Semantic hits a client retried at once with `no-cache`.
    pub likely_wrong_hits: u64,
    /// Entries removed as wrong (admin API, the UI).
    pub invalidated: u64,
}

pub fn cache_counts(conn: &Connection) -> rusqlite::Result<CacheCounts> {
    conn.prepare_cached(
        "SELECT (SELECT COUNT(*) FROM cache_entries), (SELECT COUNT(*) FROM requests WHERE matched_key IS NOT NULL),
            (SELECT COUNT(*) FROM cache_feedback WHERE kind = 'likely_wrong'), (SELECT COUNT(*) FROM cache_feedback WHERE kind = 'invalidated')",
    )?
    .query_row([], |r| Ok(CacheCounts { cache_entries: r.get(0)?, semantic_hits: r.get(1)?, likely_wrong_hits: r.get(2)?, invalidated: r.get(3)? }))
}

pub fn cache_entry_exists(conn: &Connection, key: &[u8; 32]) -> rusqlite::Result<bool> {
    conn.prepare_cached("SELECT EXISTS (SELECT 1 FROM cache_entries WHERE key = ?1)")?.query_row([&key[..]], |r| r.get(0))
}

/// The semantic partition an entry is filed under, if it is embedded.
pub fn entry_partition(conn: &Connection, key: &[u8; 32]) -> rusqlite::Result<Option<String>> {
    use rusqlite::OptionalExtension;
    conn.prepare_cached("SELECT partition FROM cache_entries WHERE key = ?1")?.query_row([&key[..]], |r| r.get(0)).optional().map(Option::flatten)
}
