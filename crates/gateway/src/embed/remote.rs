//! An embedding model behind a configured provider's OpenAI-compatible `/embeddings` (Ollama,
//! OpenAI, …), chosen with `[cache] embedder = "provider/model"`. The provider's base URL and
//! key (keychain or env) are the ones the proxy uses.

use super::{EmbedError, Embedder};
use crate::providers::{Provider, UpstreamRequest};
use serde_json::{json, Map, Value};
use std::sync::Arc;
use std::time::Duration;

/// A remote model that takes longer than this is treated as down; the request goes on
/// without the semantic cache.
const TIMEOUT: Duration = Duration::from_secs(10);

pub struct Remote {
    provider: Arc<dyn Provider>,
    model: String,
    name: String,
    runtime: tokio::runtime::Handle,
}

impl Remote {
    /// Must be created inside the Tokio runtime; `embed` runs on its blocking pool.
    pub fn new(provider: Arc<dyn Provider>, model: &str) -> Remote {
        let name = format!("{}/{model}", provider.id());
        Remote { provider, model: model.to_owned(), name, runtime: tokio::runtime::Handle::current() }
    }
}

impl Embedder for Remote {
    fn name(&self) -> &str {
        &self.name
    }

    fn embed(&self, text: &str) -> Result<Vec<f32>, EmbedError> {
        let fail = |what: String| EmbedError::Run(format!("{}: {what}", self.name));
        let body: Map<String, Value> = json!({ "input": text }).as_object().cloned().expect("an object");
        let call = self.provider.embeddings(UpstreamRequest { body: &body, model: &self.model, native: None });
        let bytes = self.runtime.block_on(async { tokio::time::timeout(TIMEOUT, call).await }).map_err(|_| fail(format!("no answer within {} s", TIMEOUT.as_secs())))?.map_err(|e| fail(e.to_string()))?;
        let reply: Value = serde_json::from_slice(&bytes).map_err(|e| fail(format!("the answer is not JSON: {e}")))?;
        let vector: Vec<f32> = reply
            .pointer("/data/0/embedding")
            .and_then(Value::as_array)
            .map(|v| v.iter().filter_map(Value::as_f64).map(|x| x as f32).collect())
            .ok_or_else(|| fail("the answer has no data[0].embedding".into()))?;
        let norm = vector.iter().map(|x| x * x).sum::<f32>().sqrt();
        if vector.is_empty() || norm == 0.0 || !norm.is_finite() {
            return Err(fail("the embedding is empty or zero".into()));
        }
        Ok(vector.into_iter().map(|x| x / norm).collect())
    }
}
