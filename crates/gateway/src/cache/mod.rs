//! The exact cache: answers to requests identical in everything that decides the answer.
//!
//! What is unsafe to cache, and so bypasses it (each configurable under `[cache]`):
//! - errors and incomplete answers (cut streams, hang-ups): never stored;
//! - `temperature` above `max_temperature` (default 1.0, the API's default): a caller who
//!   turns sampling up wants a different answer each time;
//! - `n > 1` unless `cache_multiple_choices`: the caller asked for several different samples.
//!
//! Clients may send `Cache-Control: no-cache` (skip the lookup, still store) or `no-store`.

mod key;
pub mod semantic;

pub use key::cache_key;

use crate::store::{cache_get, Store, StoredAnswer};
use lru::LruCache;
use http::HeaderMap;
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The `x-sluice-cache` header value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CacheStatus {
    HitExact,
    HitSemantic,
    Miss,
    Bypass,
}

impl CacheStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            CacheStatus::HitExact => "hit-exact",
            CacheStatus::HitSemantic => "hit-semantic",
            CacheStatus::Miss => "miss",
            CacheStatus::Bypass => "bypass",
        }
    }
}

/// The cache settings in force for one request (global, then the route's overrides).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CachePolicy {
    pub exact: bool,
    pub ttl: Option<Duration>,
    pub max_temperature: f64,
    pub cache_multiple_choices: bool,
    /// `None`: exact hits only.
    pub semantic: Option<semantic::SemanticSettings>,
}

/// What the cache does for one request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CachePlan {
    pub key: [u8; 32],
    pub lookup: bool,
    pub store: bool,
    pub ttl: Option<Duration>,
}

impl CachePlan {
    /// `None` when the cache stays out of this request entirely. `body` is the internal
    /// request, judged for what may be cached; `key` hashes what identifies it (computed only
    /// when the cache takes part).
    pub fn new(policy: &CachePolicy, headers: &HeaderMap, body: &Map<String, Value>, key: impl FnOnce() -> [u8; 32]) -> Option<CachePlan> {
        if !policy.exact || !cacheable(policy, body) {
            return None;
        }
        let directives: Vec<String> = headers
            .get_all(http::header::CACHE_CONTROL)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(|d| d.trim().to_ascii_lowercase())
            .collect();
        if directives.iter().any(|d| d == "no-store") {
            return None;
        }
        let lookup = !directives.iter().any(|d| d == "no-cache");
        Some(CachePlan { key: key(), lookup, store: true, ttl: policy.ttl })
    }
}

fn cacheable(policy: &CachePolicy, body: &Map<String, Value>) -> bool {
    let temperature = body.get("temperature").and_then(Value::as_f64).unwrap_or(1.0);
    let n = body.get("n").and_then(Value::as_u64).unwrap_or(1);
    temperature <= policy.max_temperature && (n <= 1 || policy.cache_multiple_choices)
}

/// Answers kept in memory, most recently used first; the rest are read from SQLite.
const HOT_BYTES: usize = 32 << 20;

/// Exact-cache lookups. An in-memory index of live keys (8 bytes each) answers misses without
/// touching the database; recent answers are served from memory; older ones are read on the
/// blocking pool. Hit counts are gathered in memory and written in batches.
pub struct ExactCache {
    store: Arc<Store>,
    /// Key prefix → expiry (ms), `None` for entries that never expire.
    index: Mutex<HashMap<u64, Option<i64>>>,
    hot: Mutex<Hot>,
    hits: Mutex<HashMap<[u8; 32], (u64, i64)>>,
}

struct Hot {
    answers: LruCache<[u8; 32], Arc<StoredAnswer>>,
    bytes: usize,
}

impl Hot {
    fn put(&mut self, key: [u8; 32], answer: Arc<StoredAnswer>) {
        self.bytes += answer.size();
        if let Some(old) = self.answers.put(key, answer) {
            self.bytes -= old.size();
        }
        while self.bytes > HOT_BYTES {
            match self.answers.pop_lru() {
                Some((_, old)) => self.bytes -= old.size(),
                None => break,
            }
        }
    }
}

fn prefix(key: &[u8; 32]) -> u64 {
    u64::from_le_bytes(key[..8].try_into().expect("8 bytes"))
}

impl ExactCache {
    pub async fn load(store: Arc<Store>, now_ms: i64) -> Result<ExactCache, crate::store::StoreError> {
        let keys = store.read(move |c| crate::store::live_cache_keys(c, now_ms)).await?;
        let index = keys.into_iter().map(|(k, e)| (prefix(&k), e)).collect();
        Ok(ExactCache {
            store,
            index: Mutex::new(index),
            hot: Mutex::new(Hot { answers: LruCache::unbounded(), bytes: 0 }),
            hits: Mutex::new(HashMap::new()),
        })
    }

    pub async fn get(&self, key: [u8; 32], now_ms: i64) -> Option<Arc<StoredAnswer>> {
        {
            let mut index = self.index.lock().expect("cache index lock");
            match index.get(&prefix(&key)) {
                None => return None,
                Some(Some(expires)) if *expires <= now_ms => {
                    index.remove(&prefix(&key));
                    return None;
                }
                Some(_) => {}
            }
        }
        let hot = self.hot.lock().expect("hot cache lock").answers.get(&key).cloned();
        let answer = match hot {
            Some(a) => a,
            None => match self.store.read(move |c| cache_get(c, &key)).await {
                Ok(Some(a)) => {
                    let a = Arc::new(a);
                    self.hot.lock().expect("hot cache lock").put(key, a.clone());
                    a
                }
                Ok(None) => return None,
                Err(e) => {
                    tracing::warn!(error = %e, "cache lookup failed; answering from upstream");
                    return None;
                }
            },
        };
        if answer.expires_ms.is_some_and(|e| e <= now_ms) {
            return None;
        }
        let mut hits = self.hits.lock().expect("hit count lock");
        let entry = hits.entry(key).or_insert((0, now_ms));
        entry.0 += 1;
        entry.1 = now_ms;
        Some(answer)
    }

    /// Makes a new answer visible to lookups at once; the database copy follows in the
    /// writer's next batch.
    pub fn insert(&self, key: [u8; 32], answer: Arc<StoredAnswer>) {
        self.index.lock().expect("cache index lock").insert(prefix(&key), answer.expires_ms);
        self.hot.lock().expect("hot cache lock").put(key, answer);
    }

    /// Forgets an entry at once; the database copy goes in the writer's next batch.
    pub fn remove(&self, key: &[u8; 32]) {
        self.index.lock().expect("cache index lock").remove(&prefix(key));
        let mut hot = self.hot.lock().expect("hot cache lock");
        if let Some(old) = hot.answers.pop(key) {
            hot.bytes -= old.size();
        }
    }

    pub fn clear(&self) {
        self.index.lock().expect("cache index lock").clear();
        let mut hot = self.hot.lock().expect("hot cache lock");
        hot.answers.clear();
        hot.bytes = 0;
    }

    /// Hit counts since the last call, for the database.
    pub fn take_hits(&self) -> Vec<([u8; 32], u64, i64)> {
        self.hits.lock().expect("hit count lock").drain().map(|(k, (n, ts))| (k, n, ts)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn policy() -> CachePolicy {
        CachePolicy { exact: true, ttl: None, max_temperature: 1.0, cache_multiple_choices: false, semantic: None }
    }

    fn body(v: Value) -> Map<String, Value> {
        v.as_object().unwrap().clone()
    }

    #[test]
    fn hot_sampling_and_multiple_choices_bypass() {
        let h = HeaderMap::new();
        assert!(CachePlan::new(&policy(), &h, &body(json!({"messages": [], "temperature": 0.2})), || [0; 32]).is_some());
        assert!(CachePlan::new(&policy(), &h, &body(json!({"messages": [], "temperature": 1.5})), || [0; 32]).is_none());
        assert!(CachePlan::new(&policy(), &h, &body(json!({"messages": [], "n": 3})), || [0; 32]).is_none());
        let mut p = policy();
        p.cache_multiple_choices = true;
        assert!(CachePlan::new(&p, &h, &body(json!({"messages": [], "n": 3})), || [0; 32]).is_some());
    }

    #[test]
    fn cache_control_directives() {
        let mut h = HeaderMap::new();
        h.insert("cache-control", "max-age=0, No-Cache".parse().unwrap());
        let plan = CachePlan::new(&policy(), &h, &body(json!({"messages": []})), || [0; 32]).unwrap();
        assert!(!plan.lookup && plan.store);
        h.insert("cache-control", "no-store".parse().unwrap());
        assert!(CachePlan::new(&policy(), &h, &body(json!({"messages": []})), || [0; 32]).is_none());
    }
}
