//! The semantic cache: answers near-duplicate questions with an answer stored for another
//! wording, when `decide` is sure they ask the same thing.
//!
//! The embedding model loads in the background; until it is ready (or when it is missing)
//! requests embed nothing and only the exact cache answers. Entries live in the exact cache's
//! table (the answer is served the same way) with their question and vector beside them.

mod decide;
mod query;
mod words;

pub use decide::{best_match, decide, verify, Refusal, SemanticSettings, CANDIDATES, DEFAULT_THRESHOLD};
pub use query::{shown_question, SemanticQuery};

use crate::embed::{download, Embedder, MiniLm};
use crate::store::{Candidate, Feedback, Store};
use lru::LruCache;
use serde::Serialize;
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

/// Tags of Sluice's own templated calls, which the semantic cache stays out of: two judge
/// prompts that differ only in the order of the answers embed alike, and one must never answer
/// the other. (The exact cache still serves a judge asked the very same thing again.)
const TEMPLATED: [&str; 3] = [crate::suites::JUDGE_TAG, crate::quality::QUALITY_JUDGE_TAG, crate::compress::SUMMARY_TAG];

/// Whether a request with these tags may use the semantic cache.
pub fn applies(tags: &[String]) -> bool {
    !tags.iter().any(|t| TEMPLATED.contains(&t.as_str()))
}

/// A retry with `Cache-Control: no-cache` this soon after a semantic hit counts as a sign the
/// hit was wrong.
const RETRY_WINDOW: Duration = Duration::from_secs(120);

/// Where the embedding model stands, for the UI and `/api/cache/status`.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ModelStatus {
    /// Semantic caching is switched off in the config.
    Off,
    /// No model files where Sluice looks for them.
    Missing { dir: PathBuf },
    /// Fetching or importing the model (`total` is 0 until known).
    Downloading { dir: PathBuf, done: u64, total: u64 },
    Loading { dir: PathBuf },
    Ready { dir: PathBuf },
    Failed { dir: PathBuf, error: String },
    /// `[cache] embedder` names a provider's model (`provider/model`).
    Remote { embedder: String },
    /// The configured remote embedder's provider is disabled or gone.
    Unavailable { embedder: String, error: String },
}

#[derive(Debug, thiserror::Error)]
pub enum FetchRefused {
    #[error("semantic caching is off; switch it on under [cache] or for a route first")]
    Off,
    #[error("the model is already there, loading or being fetched")]
    Busy,
    #[error("a remote embedder is configured ([cache] embedder); remove it to use the local model")]
    Remote,
}

struct RecentHit {
    key: [u8; 32],
    request_id: String,
    at: Instant,
}

pub struct SemanticCache {
    store: Arc<Store>,
    embedder: RwLock<Option<Arc<dyn Embedder>>>,
    status: Mutex<ModelStatus>,
    /// Recent semantic hits by the query they answered, to notice a client asking again.
    recent: Mutex<LruCache<SemanticQuery, RecentHit>>,
}

impl SemanticCache {
    pub fn new(store: Arc<Store>) -> SemanticCache {
        SemanticCache {
            store,
            embedder: RwLock::new(None),
            status: Mutex::new(ModelStatus::Off),
            recent: Mutex::new(LruCache::new(NonZeroUsize::new(4096).expect("non-zero"))),
        }
    }

    pub fn status(&self) -> ModelStatus {
        self.status.lock().expect("model status lock").clone()
    }

    fn set_status(&self, status: ModelStatus) {
        *self.status.lock().expect("model status lock") = status;
    }

    /// Loads the model from `dir` on the blocking pool unless it is loaded (or being fetched)
    /// there already; `None` switches semantic caching off.
    pub fn load_model(self: &Arc<Self>, dir: Option<PathBuf>) {
        let busy = match self.status() {
            ModelStatus::Downloading { dir: d, .. } | ModelStatus::Loading { dir: d } | ModelStatus::Ready { dir: d } => Some(d),
            _ => None,
        };
        if dir.is_some() && busy == dir {
            return;
        }
        let Some(dir) = dir else {
            *self.embedder.write().expect("embedder lock") = None;
            return self.set_status(ModelStatus::Off);
        };
        if !dir.join("model.safetensors").is_file() {
            *self.embedder.write().expect("embedder lock") = None;
            return self.set_status(ModelStatus::Missing { dir });
        }
        self.set_status(ModelStatus::Loading { dir: dir.clone() });
        let this = self.clone();
        tokio::task::spawn_blocking(move || {
            let started = Instant::now();
            match MiniLm::load(&dir) {
                Ok(model) => {
                    *this.embedder.write().expect("embedder lock") = Some(Arc::new(model));
                    release_freed_memory();
                    tracing::info!(dir = %dir.display(), ms = started.elapsed().as_millis() as u64, "embedding model ready; semantic caching on");
                    this.set_status(ModelStatus::Ready { dir });
                }
                Err(e) => {
                    tracing::error!("semantic caching off: {e}");
                    this.set_status(ModelStatus::Failed { dir, error: e.to_string() });
                }
            }
        });
    }

    /// Uses a provider's embedding model instead of the local one (`Err`: why it cannot).
    pub fn use_remote(&self, remote: Result<crate::embed::Remote, (String, String)>) {
        let (embedder, status) = match remote {
            Ok(r) => {
                let status = ModelStatus::Remote { embedder: r.name().to_owned() };
                (Some(Arc::new(r) as Arc<dyn Embedder>), status)
            }
            Err((embedder, error)) => (None, ModelStatus::Unavailable { embedder, error }),
        };
        *self.embedder.write().expect("embedder lock") = embedder;
        self.set_status(status);
    }

    /// The name of the vector space queries are embedded in, for their partition; `None` while
    /// no model is ready, when requests skip the semantic cache without further work.
    pub fn embedder_name(&self) -> Option<String> {
        self.embedder.read().expect("embedder lock").as_ref().map(|e| e.name().to_owned())
    }

    /// The embedder in use, for others that embed in the same space (compression).
    pub fn embedder(&self) -> Option<Arc<dyn Embedder>> {
        self.embedder.read().expect("embedder lock").clone()
    }

    /// Fetches the missing model in the background (from `from` if given, else downloads it),
    /// then loads it. Refused unless the model is missing or failed.
    pub fn fetch_model(self: &Arc<Self>, from: Option<PathBuf>, client: reqwest::Client) -> Result<(), FetchRefused> {
        let dir = match self.status() {
            ModelStatus::Missing { dir } | ModelStatus::Failed { dir, .. } => dir,
            ModelStatus::Off => return Err(FetchRefused::Off),
            ModelStatus::Remote { .. } | ModelStatus::Unavailable { .. } => return Err(FetchRefused::Remote),
            _ => return Err(FetchRefused::Busy),
        };
        self.set_status(ModelStatus::Downloading { dir: dir.clone(), done: 0, total: 0 });
        let this = self.clone();
        tokio::spawn(async move {
            let result = match &from {
                Some(from) => download::import(from, &dir).await,
                None => download::download(&client, &dir, |done, total| this.set_status(ModelStatus::Downloading { dir: dir.clone(), done, total })).await,
            };
            match result {
                Ok(()) => {
                    tracing::info!(dir = %dir.display(), "embedding model installed");
                    this.set_status(ModelStatus::Missing { dir: dir.clone() });
                    this.load_model(Some(dir));
                }
                Err(e) => {
                    tracing::error!("could not fetch the embedding model: {e}");
                    this.set_status(ModelStatus::Failed { dir, error: e.to_string() });
                }
            }
        });
        Ok(())
    }

    /// The query's embedding, or `None` while no model is ready (or embedding failed).
    pub async fn embed(&self, text: &str) -> Option<Vec<f32>> {
        self.embed_head(text).await.and_then(|(v, whole)| whole.then_some(v))
    }

    /// The vector of the text's head (as much as the model reads), and whether that was all
    /// of it.
    pub async fn embed_head(&self, text: &str) -> Option<(Vec<f32>, bool)> {
        let embedder = self.embedder.read().expect("embedder lock").clone()?;
        let text = text.to_owned();
        match tokio::task::spawn_blocking(move || embedder.embed_head(&text)).await {
            Ok(Ok(v)) => Some(v),
            Ok(Err(e)) => {
                tracing::warn!("{e}; answering without the embedding");
                None
            }
            Err(e) => {
                tracing::error!("embedding task failed: {e}");
                None
            }
        }
    }

    /// The stored entry that may answer `query`, if any (see `best_match`), with its similarity.
    pub async fn lookup(&self, settings: SemanticSettings, query: &SemanticQuery, vector: Vec<f32>, now_ms: i64) -> Option<(Candidate, f32)> {
        match self.store.nearest(query.partition.clone(), vector.clone(), now_ms).await {
            Ok(mut candidates) => {
                let pick = best_match(&settings, &query.text, &vector, candidates.iter().enumerate().map(|(i, c)| (i, c.question.as_str(), c.embedding.as_slice())));
                pick.map(|(i, similarity)| (candidates.swap_remove(i), similarity))
            }
            Err(e) => {
                tracing::warn!("semantic cache lookup failed; answering from upstream: {e}");
                None
            }
        }
    }

    /// Remembers a semantic hit, so a quick `no-cache` retry of the same question counts against it.
    pub fn note_hit(&self, query: SemanticQuery, key: [u8; 32], request_id: String) {
        self.recent.lock().expect("recent hits lock").put(query, RecentHit { key, request_id, at: Instant::now() });
    }

    /// Called for a request that skipped the lookup (`no-cache`): if it repeats a question a
    /// semantic hit answered moments ago, the hit was likely wrong.
    pub async fn retried(&self, query: &SemanticQuery) {
        let recent = self.recent.lock().expect("recent hits lock").pop(query);
        let Some(hit) = recent.filter(|h| h.at.elapsed() <= RETRY_WINDOW) else { return };
        tracing::info!(request = %hit.request_id, "a semantic hit was retried with no-cache; counted as likely wrong");
        if let Err(e) = self.store.cache_feedback(hit.key, Feedback::LikelyWrong, Some(hit.request_id), false).await {
            tracing::warn!("could not record a likely wrong hit: {e}");
        }
    }
}

/// Hands the model load's freed temporaries back to the OS. glibc's malloc keeps freed pages in
/// its arenas until told otherwise; in the desktop app (which allocates with it) that was ~4 MB
/// for the life of the process. mimalloc, which `sluice serve` uses, returns them itself.
fn release_freed_memory() {
    // SAFETY: malloc_trim only gives unused pages back; it is thread-safe.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    unsafe {
        libc::malloc_trim(0);
    }
}
