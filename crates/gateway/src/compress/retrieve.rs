//! Keeping the parts of a long text that a question needs, within a token budget.
//!
//! Each chunk (a sentence, see `chunk`) is scored by BM25 against the question, plus a share of
//! its whole block's BM25 (a sentence in the paragraph about the subject counts for more), plus
//! a share of its neighbours' (the answer often sits in the sentence after the one that names
//! the subject), plus, once the chunks' embeddings are known, the cosine similarity with the
//! question's embedding (which finds what shares meaning but not words). Chunks are then taken
//! best first while they fit, and rendered in their original order with their original
//! separators; `…` stands for what was left out between them.

use super::chunk::{self, Chunk};
use bm25::{Embedder as Lexical, EmbedderBuilder, Language, Scorer};
use std::collections::BTreeSet;

/// How the signals add up; every score is scaled to 0–1 over the document first.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Weights {
    pub block: f32,
    pub neighbour: f32,
    pub meaning: f32,
}

/// Chosen on the development articles by cross-validation over articles (docs/compression.md).
pub const WEIGHTS: Weights = Weights { block: 0.3, neighbour: 0.3, meaning: 1.0 };

/// A text prepared once for any number of questions: its chunks with their token counts and
/// the BM25 index over chunks and over blocks.
pub struct Document {
    pub text: String,
    pub chunks: Vec<Chunk>,
    pub tokens: Vec<u32>,
    pub total_tokens: u32,
    lexical: Lexical,
    by_chunk: Scorer<usize>,
    by_block: Scorer<usize>,
    blocks: usize,
}

/// What to keep, and the text that keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct Selection {
    /// Chunk indices, in order.
    pub kept: Vec<usize>,
    pub text: String,
    pub tokens: u32,
}

impl Document {
    pub fn new(text: String) -> Document {
        let chunks = chunk::split(&text);
        let tokens: Vec<u32> = chunks.iter().map(|c| crate::pricing::count_tokens(&text[c.range.clone()]) as u32).collect();
        let pieces: Vec<&str> = chunks.iter().map(|c| &text[c.range.clone()]).collect();
        let lexical = EmbedderBuilder::<u32>::with_fit_to_corpus(Language::English, &pieces).build();
        let mut by_chunk = Scorer::new();
        for (i, p) in pieces.iter().enumerate() {
            by_chunk.upsert(&i, lexical.embed(p));
        }
        let blocks = chunks.last().map_or(0, |c| c.block + 1);
        let mut by_block = Scorer::new();
        for b in 0..blocks {
            let joined: Vec<&str> = chunks.iter().filter(|c| c.block == b).map(|c| &text[c.range.clone()]).collect();
            by_block.upsert(&b, lexical.embed(&joined.join(" ")));
        }
        let total_tokens = tokens.iter().sum();
        Document { text, chunks, tokens, total_tokens, lexical, by_chunk, by_block, blocks }
    }

    /// Each chunk's relevance to the question; `meaning` holds each chunk's cosine similarity
    /// with the question when the embeddings are known.
    pub fn scores(&self, question: &str, meaning: Option<&[f32]>, w: Weights) -> Vec<f32> {
        let q = self.lexical.embed(question);
        let chunk = scaled((0..self.chunks.len()).map(|i| self.by_chunk.score(&i, &q).unwrap_or(0.0)).collect());
        let block = scaled((0..self.blocks).map(|b| self.by_block.score(&b, &q).unwrap_or(0.0)).collect());
        let meaning = meaning.map(|m| scaled(m.to_vec()));
        let own: Vec<f32> = (0..self.chunks.len()).map(|i| chunk[i] + w.block * block[self.chunks[i].block] + meaning.as_ref().map_or(0.0, |m| w.meaning * m[i])).collect();
        (0..own.len())
            .map(|i| {
                let same_block = |j: usize| self.chunks[j].block == self.chunks[i].block;
                let best_neighbour = [i.checked_sub(1), Some(i + 1)].into_iter().flatten().filter(|&j| j < own.len() && same_block(j)).map(|j| own[j]).fold(0.0, f32::max);
                own[i] + w.neighbour * best_neighbour
            })
            .collect()
    }

    /// The chunks to keep within `budget` tokens: the always-kept ones, then the best scored
    /// while they fit.
    pub fn select(&self, scores: &[f32], budget: u32) -> Selection {
        let mut kept = BTreeSet::new();
        let mut used = 0;
        for i in (0..self.chunks.len()).filter(|&i| self.chunks[i].keep) {
            kept.insert(i);
            used += self.tokens[i];
        }
        let mut order: Vec<usize> = (0..self.chunks.len()).filter(|i| !kept.contains(i)).collect();
        order.sort_by(|&a, &b| scores[b].total_cmp(&scores[a]).then(a.cmp(&b)));
        for i in order {
            if used + self.tokens[i] <= budget {
                kept.insert(i);
                used += self.tokens[i];
            }
        }
        let kept: Vec<usize> = kept.into_iter().collect();
        Selection { text: self.render(&kept), tokens: used, kept }
    }

    /// The kept chunks with the text between neighbours as it was; a gap becomes `\n…\n`.
    fn render(&self, kept: &[usize]) -> String {
        let mut out = String::new();
        for (n, &i) in kept.iter().enumerate() {
            let range = &self.chunks[i].range;
            if n > 0 {
                let prev = kept[n - 1];
                if prev + 1 == i {
                    let between = &self.text[self.chunks[prev].range.end..range.start];
                    out.push_str(&between.replace(chunk::KEEP_OPEN, "").replace(chunk::KEEP_CLOSE, ""));
                } else {
                    out.push_str("\n…\n");
                }
            }
            out.push_str(&self.text[range.clone()]);
        }
        out
    }

    /// The chunks' texts, for their embeddings.
    pub fn pieces(&self) -> impl Iterator<Item = &str> {
        self.chunks.iter().map(|c| &self.text[c.range.clone()])
    }
}

/// Scaled to 0–1 by the largest (all zero stays zero).
fn scaled(mut v: Vec<f32>) -> Vec<f32> {
    let (lo, hi) = v.iter().fold((f32::MAX, f32::MIN), |(lo, hi), &x| (lo.min(x), hi.max(x)));
    let span = hi - lo.min(0.0);
    if span > 0.0 {
        v.iter_mut().for_each(|x| *x = (*x - lo.min(0.0)) / span);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "# Rivers\n\nThe Rhine rises in the Swiss Alps and flows north to the sea.\n\nThe Danube is longer than the Rhine and flows east across Europe.\n\n<sluice:keep>Answer in one sentence.</sluice:keep>\n\nLakes store water in winter for the dry summer months ahead.";

    #[test]
    fn keeps_the_relevant_chunks_in_order_within_the_budget() {
        let doc = Document::new(TEXT.to_owned());
        let scores = doc.scores("Which river is longer than the Rhine?", None, WEIGHTS);
        assert_eq!(doc.pieces().next(), Some("# Rivers\n\nThe Rhine rises in the Swiss Alps and flows north to the sea."), "a heading goes with what follows it");
        let danube = doc.pieces().position(|p| p.starts_with("The Danube")).unwrap();
        assert_eq!(scores.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).unwrap().0, danube);
        let keep = doc.pieces().position(|p| p.starts_with("Answer")).unwrap();
        let budget = doc.tokens[danube] + doc.tokens[keep];
        let s = doc.select(&scores, budget);
        assert_eq!(s.kept, [danube, keep]);
        assert_eq!(s.text, "The Danube is longer than the Rhine and flows east across Europe.\n\nAnswer in one sentence.", "neighbours keep their separator, markers gone");
        let apart = doc.select(&[1.0, 0.0, 0.0, 0.0], doc.tokens[0] + doc.tokens[keep]);
        assert_eq!(apart.text, "# Rivers\n\nThe Rhine rises in the Swiss Alps and flows north to the sea.\n…\nAnswer in one sentence.", "a gap is marked");
        assert!(s.tokens <= budget);
        let all = doc.select(&scores, doc.total_tokens);
        assert_eq!(all.kept.len(), doc.chunks.len());
        assert!(!all.text.contains("sluice:keep"), "markers are not sent");
    }
}
