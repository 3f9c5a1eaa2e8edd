//! The semantic cache's part in a chat request that missed the exact cache: embed the question,
//! look for a stored rephrasing, and keep the vector so the upstream's answer can be stored
//! for later rephrasings.

use crate::cache::semantic::{SemanticQuery, SemanticSettings};
use crate::store::{SemanticMatch, SemanticRow, StoredAnswer};
use crate::Engine;
use std::sync::Arc;

pub enum Outcome {
    Hit(Arc<StoredAnswer>, SemanticMatch),
    /// Go upstream; store the answer with this row (none while the model is not ready, or for
    /// a text the model cannot read whole).
    Miss(Option<SemanticRow>),
}

/// `lookup` is false for `Cache-Control: no-cache`: no search, but a retry of a question a
/// semantic hit just answered counts against that hit.
pub async fn consult(engine: &Engine, settings: SemanticSettings, query: SemanticQuery, lookup: bool, now_ms: i64, request_id: &str) -> Outcome {
    if !lookup {
        engine.semantic.retried(&query).await;
    }
    let Some(vector) = engine.semantic.embed(&query.text).await else { return Outcome::Miss(None) };
    let found = match lookup {
        true => engine.semantic.lookup(settings, &query, vector.clone(), now_ms).await,
        false => None,
    };
    if let Some(found) = found {
        if let Some(hit) = engine.cache.get(found.key, now_ms).await {
            engine.semantic.note_hit(query.clone(), found.key, request_id.to_owned());
            return Outcome::Hit(hit, SemanticMatch { key: found.key, matched_question: found.question, question: query.text });
        }
    }
    Outcome::Miss(Some(SemanticRow { partition: query.partition, question: query.text, embedding: vector }))
}
