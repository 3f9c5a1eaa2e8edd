//! Self-attention for one unpadded text, straight from the fused query/key/value projection.
//!
//! Through candle this took a reshape, a permute and a copy, two batched matmuls, a softmax and
//! a transpose per layer; and candle's matmul asks the operating system for the number of CPU
//! cores on every call (`/proc/cpuinfo`, parsed each time: ~1 ms of a ~9 ms embedding, measured
//! with `RAYON_NUM_THREADS` set, which skips it). Here each head's two products read and write
//! their parts of the rows in place, through the same gemm kernels candle uses, on one thread:
//! a head's matrices are a few dozen rows, too small to be worth handing to another core.

use candle_core::{CpuStorage, CustomOp1, Layout, Result, Shape};

/// Takes the `tokens × 3·hidden` projection (each row: queries, keys, values, head after head;
/// the queries already scaled by 1/√head_size) and gives the `tokens × hidden` context.
pub struct Attention {
    pub heads: usize,
}

impl CustomOp1 for Attention {
    fn name(&self) -> &'static str {
        "attention"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let (values, tokens, width) = super::dense::matrix(self.name(), storage, layout)?;
        if width % (3 * self.heads) != 0 {
            candle_core::bail!("attention: {width} columns do not split into queries, keys and values of {} heads", self.heads);
        }
        Ok((CpuStorage::F32(attend(values, tokens, width / 3, self.heads)), Shape::from((tokens, width / 3))))
    }
}

fn attend(qkv: &[f32], tokens: usize, hidden: usize, heads: usize) -> Vec<f32> {
    let size = hidden / heads;
    let row = 3 * hidden as isize;
    let mut context = vec![0.0f32; tokens * hidden];
    let mut scores = vec![0.0f32; tokens * tokens];
    for head in 0..heads {
        let (q, k, v) = (head * size, hidden + head * size, 2 * hidden + head * size);
        // SAFETY (both products): every matrix lies inside its buffer — `qkv` is tokens × row,
        // and head `head`'s queries, keys and values are `size` columns from q, k and v within
        // each row; `scores` is tokens × tokens; the context's columns are within `hidden`.
        unsafe {
            // scores = Q·Kᵀ: Kᵀ is read from the key rows with its strides swapped.
            gemm::gemm(tokens, tokens, size, scores.as_mut_ptr(), 1, tokens as isize, false, qkv[q..].as_ptr(), 1, row, qkv[k..].as_ptr(), row, 1, 0.0, 1.0, false, false, false, gemm::Parallelism::None);
        }
        scores.chunks_exact_mut(tokens).for_each(softmax);
        unsafe {
            // context's columns of this head = softmax(scores)·V
            gemm::gemm(tokens, size, tokens, context[head * size..].as_mut_ptr(), 1, hidden as isize, false, scores.as_ptr(), 1, tokens as isize, qkv[v..].as_ptr(), 1, row, 0.0, 1.0, false, false, false, gemm::Parallelism::None);
        }
    }
    context
}

fn softmax(row: &mut [f32]) {
    let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for x in row.iter_mut() {
        *x = (*x - max).exp();
        sum += *x;
    }
    row.iter_mut().for_each(|x| *x /= sum);
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::{Device, Tensor};

    #[test]
    fn matches_candles_attention() {
        let (tokens, heads, size) = (7, 3, 4);
        let hidden = heads * size;
        let values: Vec<f32> = (0..tokens * 3 * hidden).map(|i| ((i * 7919 % 997) as f32 / 997.0) - 0.5).collect();
        let qkv = Tensor::from_vec(values, (tokens, 3 * hidden), &Device::Cpu).unwrap();
        let got = qkv.apply_op1_no_bwd(&Attention { heads }).unwrap();

        let split = qkv.reshape((tokens, 3, heads, size)).unwrap().permute((1, 2, 0, 3)).unwrap().contiguous().unwrap();
        let (q, k, v) = (split.get(0).unwrap(), split.get(1).unwrap(), split.get(2).unwrap());
        let weights = candle_nn::ops::softmax_last_dim(&q.matmul(&k.t().unwrap()).unwrap()).unwrap();
        let want = weights.matmul(&v).unwrap().transpose(0, 1).unwrap().reshape((tokens, hidden)).unwrap();

        let diff: f32 = (got - want).unwrap().abs().unwrap().max_all().unwrap().to_scalar().unwrap();
        assert!(diff < 1e-6, "largest difference {diff}");
    }
}
