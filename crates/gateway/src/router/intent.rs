//! Intent classes named by example prompts (`[[intents]]`): a request belongs to the class
//! whose examples it is closest to, if it is close enough to any. The examples are embedded
//! once, on first use, by the same model as the request.

use crate::cache::semantic::SemanticCache;
use crate::config::IntentConfig;
use crate::embed::cosine;
use tokio::sync::OnceCell;

/// Below this cosine similarity to a class's nearest examples a request is of no class:
/// unrelated MiniLM texts score about 0–0.2, a request for the same kind of task (a Rust
/// function against examples about Python and JavaScript code) about 0.3.
pub const MIN_SIMILARITY: f32 = 0.25;

#[derive(Default)]
pub struct Intents {
    config: Vec<IntentConfig>,
    /// Each class's example vectors; `None` when the examples could not be embedded.
    vectors: OnceCell<Option<Vec<Class>>>,
}

/// A class's name and its examples' vectors.
type Class = (String, Vec<Vec<f32>>);

/// The closest class and how close the request came to it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Intent {
    pub name: String,
    pub similarity: f32,
}

impl Intent {
    /// Whether the request is of class `name`: closest to it, and close enough.
    pub fn is(&self, name: &str) -> bool {
        self.name == name && self.similarity >= MIN_SIMILARITY
    }
}

impl Intents {
    pub fn new(config: &[IntentConfig]) -> Intents {
        Intents { config: config.to_vec(), vectors: OnceCell::new() }
    }

    /// The closest class, by the mean of its two most similar examples (`None` with no
    /// classes); `Err` when the model cannot embed the examples.
    pub async fn classify(&self, semantic: &SemanticCache, vector: &[f32]) -> Result<Option<Intent>, ()> {
        let classes = self
            .vectors
            .get_or_init(|| async {
                let mut classes = Vec::new();
                for c in &self.config {
                    let mut vs = Vec::new();
                    for e in c.examples.iter().filter(|e| !e.trim().is_empty()) {
                        vs.push(semantic.embed_head(e).await?.0);
                    }
                    classes.push((c.name.clone(), vs));
                }
                Some(classes)
            })
            .await
            .as_ref()
            .ok_or(())?;
        let best = classes
            .iter()
            .map(|(name, examples)| {
                let mut sims: Vec<f32> = examples.iter().map(|e| cosine(e, vector)).collect();
                sims.sort_by(|a, b| b.total_cmp(a));
                let top = &sims[..sims.len().min(2)];
                Intent { name: name.clone(), similarity: top.iter().sum::<f32>() / top.len().max(1) as f32 }
            })
            .max_by(|a, b| a.similarity.total_cmp(&b.similarity));
        Ok(best)
    }
}
