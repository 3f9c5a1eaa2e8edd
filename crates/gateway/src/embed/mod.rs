//! Sentence embeddings for the semantic cache: all-MiniLM-L6-v2 on the CPU through candle,
//! computed the way sentence-transformers does (WordPiece, BERT, mean pooling over the real
//! tokens, L2 normalisation). Tokens are not padded to the tokenizer file's fixed length:
//! padding a 24-token query to 128 costs ~3× the time for the same vector.

mod attention;
mod bert;
mod dense;
pub mod download;
mod gelu;
mod remote;

pub use remote::Remote;

use bert::{Config, Encoder};
use candle_core::safetensors::MmapedSafetensors;
use candle_core::{DType, Device};
use candle_nn::VarBuilder;
use std::path::{Path, PathBuf};
use tokenizers::Tokenizer;

#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    #[error("embedding model in {dir}: {what}")]
    Load { dir: PathBuf, what: String },
    #[error("embedding failed: {0}")]
    Run(String),
    /// Longer than the model reads: two texts that differ only past its window would embed
    /// alike, so such texts get no vector at all.
    #[error("the text is longer than the embedding model's {0} tokens")]
    TooLong(usize),
}

/// Turns texts into unit vectors whose dot product is their cosine similarity.
pub trait Embedder: Send + Sync {
    /// Names the vector space: vectors of different names are never compared.
    fn name(&self) -> &str;
    fn embed(&self, text: &str) -> Result<Vec<f32>, EmbedError>;
    /// The vector of as much of the text as the model reads, and whether that was all of it:
    /// what routing needs, where the semantic cache needs the whole text or nothing.
    fn embed_head(&self, text: &str) -> Result<(Vec<f32>, bool), EmbedError> {
        self.embed(text).map(|v| (v, true))
    }
}

/// The local model's name, and its folder's name under `<data dir>/models`.
pub const MINILM: &str = "all-MiniLM-L6-v2";

/// The window all-MiniLM-L6-v2 was trained with (sentence-transformers' max_seq_length).
const MAX_TOKENS: usize = 256;

pub struct MiniLm {
    model: Encoder,
    tokenizer: Tokenizer,
}

impl MiniLm {
    /// Loads `config.json`, `tokenizer.json` and `model.safetensors` from `dir`.
    pub fn load(dir: &Path) -> Result<MiniLm, EmbedError> {
        let fail = |what: String| EmbedError::Load { dir: dir.to_owned(), what };
        let config: Config = std::fs::read_to_string(dir.join("config.json"))
            .map_err(|e| fail(format!("cannot read config.json: {e}")))
            .and_then(|t| serde_json::from_str(&t).map_err(|e| fail(format!("config.json: {e}"))))?;
        let mut tokenizer = Tokenizer::from_file(dir.join("tokenizer.json")).map_err(|e| fail(format!("tokenizer.json: {e}")))?;
        tokenizer.with_padding(None);
        tokenizer.with_truncation(Some(tokenizers::TruncationParams { max_length: MAX_TOKENS, ..Default::default() })).map_err(|e| fail(format!("tokenizer truncation: {e}")))?;
        let weights = dir.join("model.safetensors");
        // SAFETY: the weights file is memory-mapped read-only; Sluice never writes a model file
        // in place (downloads and imports are moved in whole).
        let mapped = || unsafe { MmapedSafetensors::new(&weights) }.map_err(|e| fail(format!("model.safetensors: {e}")));
        let vb = VarBuilder::from_backend(Box::new(mapped()?), DType::F32, Device::Cpu);
        let model = Encoder::load(vb, mapped()?, &config).map_err(|e| fail(format!("model.safetensors does not fit config.json: {e}")))?;
        Ok(MiniLm { model, tokenizer })
    }
}

impl Embedder for MiniLm {
    fn name(&self) -> &str {
        MINILM
    }

    fn embed(&self, text: &str) -> Result<Vec<f32>, EmbedError> {
        match self.embed_head(text)? {
            (v, true) => Ok(v),
            (_, false) => Err(EmbedError::TooLong(MAX_TOKENS)),
        }
    }

    fn embed_head(&self, text: &str) -> Result<(Vec<f32>, bool), EmbedError> {
        let run = |e: candle_core::Error| EmbedError::Run(e.to_string());
        let encoding = self.tokenizer.encode(text, true).map_err(|e| EmbedError::Run(e.to_string()))?;
        let whole = encoding.get_overflowing().is_empty();
        let pooled = self.model.mean_pooled(encoding.get_ids()).map_err(run)?;
        let norm = pooled.sqr().and_then(|t| t.sum_all()).and_then(|t| t.sqrt()).map_err(run)?;
        Ok((pooled.broadcast_div(&norm).and_then(|t| t.to_vec1::<f32>()).map_err(run)?, whole))
    }
}

/// Cosine similarity of two unit vectors.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    /// The test copy of the model, beside the checkout (../shared), or where the env points.
    pub fn model_dir() -> PathBuf {
        std::env::var_os("SLUICE_EMBED_MODEL_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/models/all-MiniLM-L6-v2"))
    }

    #[derive(Deserialize)]
    struct Reference {
        text: String,
        embedding: Vec<f32>,
    }

    /// Reference vectors from tests/tools/minilm_reference.py, an independent numpy forward pass.
    #[test]
    fn matches_the_reference_vectors() {
        let model = MiniLm::load(&model_dir()).unwrap();
        let refs: Vec<Reference> = serde_json::from_str(include_str!("../../tests/fixtures/minilm-reference.json")).unwrap();
        for r in &refs {
            let v = model.embed(&r.text).unwrap();
            assert_eq!(v.len(), 384);
            let sim = cosine(&v, &r.embedding);
            assert!(sim >= 0.999, "{:?}: cosine {sim} against the reference", r.text);
        }
    }

    #[test]
    fn texts_past_the_window_get_no_vector() {
        let model = MiniLm::load(&model_dir()).unwrap();
        let long = "Summarize this report. ".repeat(100);
        assert!(matches!(model.embed(&long), Err(EmbedError::TooLong(256))));
    }

    #[test]
    fn a_missing_model_says_where_it_looked() {
        let err = MiniLm::load(Path::new("/nonexistent/model")).err().unwrap().to_string();
        assert!(err.contains("/nonexistent/model") && err.contains("config.json"), "{err}");
    }
}
