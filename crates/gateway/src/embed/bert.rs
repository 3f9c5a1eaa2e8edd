//! The BERT encoder behind all-MiniLM-L6-v2, for one unpadded text, on candle tensors.
//!
//! candle-transformers' `BertModel` computes the same vectors (cosine ≥ 0.9999998 on our test
//! texts) but ~25 % slower on this path (docs/semantic-cache.md): most of the difference is its
//! GELU, which calls libm's `erf` per element, the rest separate q/k/v projections and an
//! attention mask that one unpadded text does not need. It was also the only thing we used
//! from that crate, which compiles every model candle knows.

use candle_core::safetensors::MmapedSafetensors;
use super::attention::Attention;
use super::dense::{Activation, Linear};
use candle_core::{Device, Result, Tensor, D};
use candle_nn::VarBuilder;
use serde::Deserialize;

/// The fields of a BERT `config.json` this encoder reads.
#[derive(Debug, Deserialize)]
pub struct Config {
    vocab_size: usize,
    hidden_size: usize,
    num_hidden_layers: usize,
    num_attention_heads: usize,
    intermediate_size: usize,
    max_position_embeddings: usize,
    layer_norm_eps: f64,
    hidden_act: String,
}

struct Norm {
    weight: Tensor,
    bias: Tensor,
    eps: f32,
}

impl Norm {
    fn load(vb: VarBuilder, config: &Config) -> Result<Norm> {
        Ok(Norm { weight: vb.get(config.hidden_size, "weight")?, bias: vb.get(config.hidden_size, "bias")?, eps: config.layer_norm_eps as f32 })
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        candle_nn::ops::layer_norm(x, &self.weight, &self.bias, self.eps)
    }
}

struct Layer {
    /// Query, key and value projections in one matrix; the query part carries the
    /// 1/√head_size score scaling.
    qkv: Linear,
    attention_out: Linear,
    attention_norm: Norm,
    /// Applies GELU to its outputs.
    up: Linear,
    down: Linear,
    norm: Norm,
}

pub struct Encoder {
    words: WordTable,
    positions: Tensor,
    /// Every token is of type 0 (one text, no second segment).
    token_type: Tensor,
    norm: Norm,
    layers: Vec<Layer>,
    heads: usize,
}

/// A linear layer's weight (`outputs × inputs`) and bias.
fn weights(vb: VarBuilder, inputs: usize, outputs: usize) -> Result<(Tensor, Tensor)> {
    Ok((vb.get((outputs, inputs), "weight")?, vb.get(outputs, "bias")?))
}

fn linear(vb: VarBuilder, inputs: usize, outputs: usize, activation: Activation) -> Result<Linear> {
    let (weight, bias) = weights(vb, inputs, outputs)?;
    Linear::new(weight, bias, activation)
}

/// The word-embedding table, left in the memory-mapped weights file: it is 43 % of
/// all-MiniLM-L6-v2 (47 MB) and a text reads only its own tokens' rows, so copying it into
/// memory like the other weights would cost RSS for nothing.
struct WordTable {
    file: MmapedSafetensors,
    hidden: usize,
}

const WORDS: &str = "embeddings.word_embeddings.weight";

impl WordTable {
    fn open(file: MmapedSafetensors, config: &Config) -> Result<WordTable> {
        let view = file.get(WORDS)?;
        if view.dtype() != safetensors::Dtype::F32 || view.shape() != [config.vocab_size, config.hidden_size] {
            candle_core::bail!("{WORDS}: expected f32 [{}, {}], found {:?} {:?}", config.vocab_size, config.hidden_size, view.dtype(), view.shape());
        }
        Ok(WordTable { file, hidden: config.hidden_size })
    }

    fn rows(&self, ids: &[u32]) -> Result<Tensor> {
        let view = self.file.get(WORDS)?;
        let row_bytes = self.hidden * 4;
        let mut out = Vec::with_capacity(ids.len() * self.hidden);
        for &id in ids {
            let start = id as usize * row_bytes;
            let Some(row) = view.data().get(start..start + row_bytes) else { candle_core::bail!("token id {id} is outside the vocabulary") };
            out.extend(row.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])));
        }
        Tensor::from_vec(out, (ids.len(), self.hidden), &Device::Cpu)
    }
}

impl Encoder {
    /// Loads the weights from `vb`, except the word embeddings, read from `words` (the same file).
    pub fn load(vb: VarBuilder, words: MmapedSafetensors, config: &Config) -> Result<Encoder> {
        if config.hidden_act != "gelu" {
            candle_core::bail!("hidden_act {:?} is not supported (only \"gelu\")", config.hidden_act);
        }
        let (hidden, heads) = (config.hidden_size, config.num_attention_heads);
        let scale = 1.0 / ((hidden / heads) as f64).sqrt();
        let mut layers = Vec::with_capacity(config.num_hidden_layers);
        for i in 0..config.num_hidden_layers {
            let vb = vb.pp(format!("encoder.layer.{i}"));
            let attention = vb.pp("attention.self");
            let [q, k, v] = ["query", "key", "value"].map(|name| weights(attention.pp(name), hidden, hidden));
            let ((q_weight, q_bias), (k_weight, k_bias), (v_weight, v_bias)) = (q?, k?, v?);
            let weight = Tensor::cat(&[(q_weight * scale)?, k_weight, v_weight], 0)?;
            let bias = Tensor::cat(&[(q_bias * scale)?, k_bias, v_bias], 0)?;
            layers.push(Layer {
                qkv: Linear::new(weight, bias, Activation::None)?,
                attention_out: linear(vb.pp("attention.output.dense"), hidden, hidden, Activation::None)?,
                attention_norm: Norm::load(vb.pp("attention.output.LayerNorm"), config)?,
                up: linear(vb.pp("intermediate.dense"), hidden, config.intermediate_size, Activation::Gelu)?,
                down: linear(vb.pp("output.dense"), config.intermediate_size, hidden, Activation::None)?,
                norm: Norm::load(vb.pp("output.LayerNorm"), config)?,
            });
        }
        let embeddings = vb.pp("embeddings");
        Ok(Encoder {
            words: WordTable::open(words, config)?,
            positions: embeddings.get((config.max_position_embeddings, hidden), "position_embeddings.weight")?,
            token_type: embeddings.get((2, hidden), "token_type_embeddings.weight")?.get(0)?,
            norm: Norm::load(embeddings.pp("LayerNorm"), config)?,
            layers,
            heads,
        })
    }

    /// The mean of the last layer's token vectors for `ids` (one text, every token real).
    pub fn mean_pooled(&self, ids: &[u32]) -> Result<Tensor> {
        let x = (self.words.rows(ids)? + self.positions.narrow(0, 0, ids.len())?)?.broadcast_add(&self.token_type)?;
        let mut x = self.norm.forward(&x)?;
        let attention = Attention { heads: self.heads };
        for layer in &self.layers {
            let context = layer.qkv.forward(&x)?.apply_op1_no_bwd(&attention)?;
            x = layer.attention_norm.forward(&(layer.attention_out.forward(&context)? + &x)?)?;
            let up = layer.up.forward(&x)?;
            x = layer.norm.forward(&(layer.down.forward(&up)? + &x)?)?;
        }
        x.mean(D::Minus2)
    }
}
