//! The semantic cache's part in a chat request that missed the exact cache: embed the question,
//! look for a stored rephrasing, and keep the vector so the upstream's answer can be stored
//! for later rephrasings.

use crate::cache::semantic::{SemanticQuery, SemanticSettings};
use crate::store::{SemanticMatch, SemanticRow, StoredAnswer};
use crate::Engine;
use std::sync::Arc;
use tokio::task::JoinHandle;

pub enum Outcome {
    Hit(Arc<StoredAnswer>, SemanticMatch),
    /// Go upstream; store the answer with this row.
    Miss(PendingRow),
}

/// The question and vector a missed request's answer is stored with, so later rephrasings can
/// find it.
pub enum PendingRow {
    /// Embedded already: the lookup needed the vector.
    Ready(SemanticRow),
    /// Being embedded beside the upstream call: a `no-cache` request skips the lookup, so it
    /// need not wait for its vector before asking upstream.
    Embedding(JoinHandle<Option<SemanticRow>>),
    /// Nothing to store: the model is not ready, or the text is more than it can read whole.
    None,
}

impl PendingRow {
    pub async fn resolve(self) -> Option<SemanticRow> {
        match self {
            PendingRow::Ready(row) => Some(row),
            PendingRow::Embedding(task) => task.await.unwrap_or_else(|e| {
                tracing::error!("embedding task failed: {e}");
                None
            }),
            PendingRow::None => None,
        }
    }
}

/// `lookup` is false for `Cache-Control: no-cache`: no search, but a retry of a question a
/// semantic hit just answered counts against that hit. `known` is the question's vector when
/// routing embedded it already. Verdicts may have moved the partition's threshold from the
/// route's.
pub async fn consult(engine: &Arc<Engine>, mut settings: SemanticSettings, query: SemanticQuery, known: Option<Vec<f32>>, lookup: bool, now_ms: i64, request_id: &str) -> Outcome {
    if !lookup {
        engine.semantic.retried(&query).await;
        if let Some(embedding) = known {
            return Outcome::Miss(PendingRow::Ready(SemanticRow { partition: query.partition, question: query.text, embedding }));
        }
        let engine = engine.clone();
        return Outcome::Miss(PendingRow::Embedding(tokio::spawn(async move {
            let embedding = engine.semantic.embed(&query.text).await?;
            Some(SemanticRow { partition: query.partition, question: query.text, embedding })
        })));
    }
    let vector = match known {
        Some(v) => v,
        None => match engine.semantic.embed(&query.text).await {
            Some(v) => v,
            None => return Outcome::Miss(PendingRow::None),
        },
    };
    if let Some(tuned) = engine.quality.threshold(&query.partition) {
        settings.threshold = tuned;
    }
    if let Some((found, similarity)) = engine.semantic.lookup(settings, &query, vector.clone(), now_ms).await {
        if let Some(hit) = engine.cache.get(found.key, now_ms).await {
            engine.semantic.note_hit(query.clone(), found.key, request_id.to_owned());
            let matched = SemanticMatch { key: found.key, matched_question: found.question, question: query.text, partition: query.partition, similarity };
            return Outcome::Hit(hit, matched);
        }
    }
    Outcome::Miss(PendingRow::Ready(SemanticRow { partition: query.partition, question: query.text, embedding: vector }))
}
