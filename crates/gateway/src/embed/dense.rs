//! The encoder's linear layers, `x · Wᵀ + b`, with an activation applied as they go.
//!
//! A question is a few dozen tokens, so each product has few rows and the weights dominate:
//! gemm (candle's matmul) re-packs all of them on every call, which cost more than the
//! arithmetic (docs/semantic-cache.md, "Embedding"). On x86-64 with AVX2 the weights are
//! therefore stored the way an AVX2 kernel reads them — panels of 16 output columns, one row of
//! 16 per input — and a block of up to 6 token rows × 16 columns accumulates in 12 vector
//! registers across the whole input. They are kept as f16, converted to f32 as they are read
//! (F16C): half the memory (21 MB instead of 42), no slower, and the vectors stay within cosine
//! 0.9999996 of sentence-transformers' (f32: 0.99999994). Elsewhere gemm does the product,
//! called directly: candle's matmul would parse `/proc/cpuinfo` on every call to count cores.

use candle_core::{CpuStorage, CustomOp1, Layout, Result, Shape, Storage, Tensor};

/// What a layer applies to each of its outputs.
#[derive(Clone, Copy, PartialEq)]
pub enum Activation {
    None,
    Gelu,
}

pub struct Linear {
    weights: Weights,
    bias: Vec<f32>,
    inputs: usize,
    outputs: usize,
    activation: Activation,
}

enum Weights {
    /// Panel `p` holds `W[16p..16p+16][k]` for every input `k`, input-major, as f16.
    #[cfg(target_arch = "x86_64")]
    Packed(Vec<half::f16>),
    /// `outputs × inputs` as loaded (PyTorch's layout), for gemm.
    Plain(Tensor),
}

impl Linear {
    /// `weight` is `outputs × inputs` (PyTorch's layout), `bias` has `outputs` values.
    pub fn new(weight: Tensor, bias: Tensor, activation: Activation) -> Result<Linear> {
        let (outputs, inputs) = weight.dims2()?;
        #[cfg(target_arch = "x86_64")]
        let weights = if packed_kernel_runs_here() && outputs % COLUMNS == 0 {
            Weights::Packed(with_values(&weight, |w| pack(w, inputs, outputs))?)
        } else {
            Weights::Plain(weight)
        };
        #[cfg(not(target_arch = "x86_64"))]
        let weights = Weights::Plain(weight);
        Ok(Linear { weights, bias: bias.to_vec1()?, inputs, outputs, activation })
    }

    pub fn forward(&self, x: &Tensor) -> Result<Tensor> {
        x.apply_op1_no_bwd(self)
    }

    /// `x` is `rows × inputs`, row-major; returns `rows × outputs`.
    fn compute(&self, x: &[f32]) -> Result<Vec<f32>> {
        match &self.weights {
            #[cfg(target_arch = "x86_64")]
            Weights::Packed(panels) => Ok(self.packed(panels, x)),
            Weights::Plain(weight) => with_values(weight, |w| self.plain(w, x)),
        }
    }

    #[cfg(target_arch = "x86_64")]
    fn packed(&self, panels: &[half::f16], x: &[f32]) -> Vec<f32> {
        use rayon::prelude::*;
        let rows = x.len() / self.inputs;
        // Each panel's results go to their own slice (panel-major), so threads share nothing.
        let mut by_panel = vec![0.0f32; rows * self.outputs];
        by_panel.par_chunks_mut(rows * COLUMNS).enumerate().for_each(|(p, out)| {
            let panel = &panels[p * self.inputs * COLUMNS..(p + 1) * self.inputs * COLUMNS];
            let bias = &self.bias[p * COLUMNS..(p + 1) * COLUMNS];
            for (x, out) in x.chunks(ROWS * self.inputs).zip(out.chunks_mut(ROWS * COLUMNS)) {
                // SAFETY: `Linear::new` packs only when the CPU has AVX2, FMA and F16C.
                unsafe { avx2::block(x, panel, bias, out) }
                self.activate(out);
            }
        });
        let mut out = vec![0.0f32; rows * self.outputs];
        for (p, panel) in by_panel.chunks_exact(rows * COLUMNS).enumerate() {
            for (r, values) in panel.chunks_exact(COLUMNS).enumerate() {
                out[r * self.outputs + p * COLUMNS..][..COLUMNS].copy_from_slice(values);
            }
        }
        out
    }

    fn plain(&self, weight: &[f32], x: &[f32]) -> Vec<f32> {
        let rows = x.len() / self.inputs;
        let mut out: Vec<f32> = self.bias.iter().copied().cycle().take(rows * self.outputs).collect();
        // SAFETY: `out` is rows × outputs, `x` rows × inputs and `weight` outputs × inputs, all
        // row-major; Wᵀ is read from `weight` with its strides swapped.
        unsafe {
            gemm::gemm(rows, self.outputs, self.inputs, out.as_mut_ptr(), 1, self.outputs as isize, true, x.as_ptr(), 1, self.inputs as isize, weight.as_ptr(), self.inputs as isize, 1, 1.0, 1.0, false, false, false, gemm::Parallelism::Rayon(rayon::current_num_threads()));
        }
        self.activate(&mut out);
        out
    }

    fn activate(&self, values: &mut [f32]) {
        if self.activation == Activation::Gelu {
            values.iter_mut().for_each(|v| *v = super::gelu::gelu(*v));
        }
    }
}

impl CustomOp1 for Linear {
    fn name(&self) -> &'static str {
        "linear"
    }

    fn cpu_fwd(&self, storage: &CpuStorage, layout: &Layout) -> Result<(CpuStorage, Shape)> {
        let (values, rows, inputs) = matrix(self.name(), storage, layout)?;
        if inputs != self.inputs {
            candle_core::bail!("linear: {inputs} inputs given, {} expected", self.inputs);
        }
        Ok((CpuStorage::F32(self.compute(values)?), Shape::from((rows, self.outputs))))
    }
}

/// A custom op's input as a row-major matrix: its values, rows and columns.
pub(super) fn matrix<'a>(op: &str, storage: &'a CpuStorage, layout: &Layout) -> Result<(&'a [f32], usize, usize)> {
    match (storage, layout.contiguous_offsets(), layout.dims()) {
        (CpuStorage::F32(values), Some((start, end)), &[rows, columns]) => Ok((&values[start..end], rows, columns)),
        _ => candle_core::bail!("{op}: expects a contiguous 2-d f32 tensor"),
    }
}

/// Runs `f` on a tensor's f32 values where they lie, without a copy: loading must not leave
/// copies of the weights behind (docs/semantic-cache.md, "Memory").
fn with_values<T>(tensor: &Tensor, f: impl FnOnce(&[f32]) -> T) -> Result<T> {
    let (storage, layout) = tensor.storage_and_layout();
    let Storage::Cpu(storage) = &*storage else { candle_core::bail!("linear: expects weights on the CPU") };
    let (values, _, _) = matrix("linear", storage, layout)?;
    Ok(f(values))
}

/// Whether this CPU has what the packed kernel needs (x86-64 CPUs with AVX2 also have FMA and
/// F16C; the check is for the odd one out).
#[cfg(target_arch = "x86_64")]
fn packed_kernel_runs_here() -> bool {
    std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") && std::arch::is_x86_feature_detected!("f16c")
}

/// Output columns per panel: two 8-lane AVX vectors.
#[cfg(target_arch = "x86_64")]
const COLUMNS: usize = 16;
/// Token rows per block: 6 × 2 accumulators leave 4 of the 16 AVX registers for the operands.
#[cfg(target_arch = "x86_64")]
const ROWS: usize = 6;

#[cfg(target_arch = "x86_64")]
fn pack(weight: &[f32], inputs: usize, outputs: usize) -> Vec<half::f16> {
    let mut panels = Vec::with_capacity(weight.len());
    for panel in 0..outputs / COLUMNS {
        for k in 0..inputs {
            panels.extend((0..COLUMNS).map(|j| half::f16::from_f32(weight[(panel * COLUMNS + j) * inputs + k])));
        }
    }
    panels
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use super::{COLUMNS, ROWS};
    use std::arch::x86_64::*;

    /// Up to 6 token rows of `x` against one panel: `out` gets their 16 columns each.
    #[target_feature(enable = "avx2,fma,f16c")]
    pub unsafe fn block(x: &[f32], panel: &[half::f16], bias: &[f32], out: &mut [f32]) {
        match out.len() / COLUMNS {
            6 => rows::<6>(x, panel, bias, out),
            5 => rows::<5>(x, panel, bias, out),
            4 => rows::<4>(x, panel, bias, out),
            3 => rows::<3>(x, panel, bias, out),
            2 => rows::<2>(x, panel, bias, out),
            _ => rows::<1>(x, panel, bias, out),
        }
    }

    #[target_feature(enable = "avx2,fma,f16c")]
    unsafe fn rows<const B: usize>(x: &[f32], panel: &[half::f16], bias: &[f32], out: &mut [f32]) {
        const { assert!(B <= ROWS) };
        let inputs = panel.len() / COLUMNS;
        assert!(x.len() == B * inputs && out.len() == B * COLUMNS && bias.len() == COLUMNS);
        let (mut low, mut high) = ([_mm256_setzero_ps(); B], [_mm256_setzero_ps(); B]);
        let (x, w) = (x.as_ptr(), panel.as_ptr());
        for k in 0..inputs {
            // SAFETY (all pointer reads): k < inputs, r < B, and the lengths are asserted above.
            let (w_low, w_high) = unsafe { (_mm_loadu_si128(w.add(k * COLUMNS).cast()), _mm_loadu_si128(w.add(k * COLUMNS + 8).cast())) };
            let (w_low, w_high) = (_mm256_cvtph_ps(w_low), _mm256_cvtph_ps(w_high));
            for r in 0..B {
                let a = _mm256_set1_ps(unsafe { *x.add(r * inputs + k) });
                low[r] = _mm256_fmadd_ps(a, w_low, low[r]);
                high[r] = _mm256_fmadd_ps(a, w_high, high[r]);
            }
        }
        let (b_low, b_high) = unsafe { (_mm256_loadu_ps(bias.as_ptr()), _mm256_loadu_ps(bias.as_ptr().add(8))) };
        for r in 0..B {
            let o = out[r * COLUMNS..].as_mut_ptr();
            unsafe {
                _mm256_storeu_ps(o, _mm256_add_ps(low[r], b_low));
                _mm256_storeu_ps(o.add(8), _mm256_add_ps(high[r], b_high));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use candle_core::Device;

    /// Both kernels this CPU can run, against a plain product of the weights each one stores.
    #[test]
    fn matches_a_plain_product_for_every_row_count_with_and_without_gelu() {
        let (inputs, outputs) = (40, 32);
        let weight: Vec<f32> = (0..inputs * outputs).map(|i| ((i * 7919 % 997) as f32 / 997.0) - 0.5).collect();
        let bias: Vec<f32> = (0..outputs).map(|j| j as f32 / 10.0).collect();
        let tensor = |values: &[f32], shape: (usize, usize)| Tensor::from_vec(values.to_vec(), shape, &Device::Cpu).unwrap();
        for activation in [Activation::None, Activation::Gelu] {
            let chosen = Linear::new(tensor(&weight, (outputs, inputs)), Tensor::new(bias.as_slice(), &Device::Cpu).unwrap(), activation).unwrap();
            let plain = Linear { weights: Weights::Plain(tensor(&weight, (outputs, inputs))), bias: bias.clone(), inputs, outputs, activation };
            #[cfg(target_arch = "x86_64")]
            assert_eq!(matches!(chosen.weights, Weights::Packed(_)), packed_kernel_runs_here(), "the packed kernel is used where it runs");
            for layer in [&chosen, &plain] {
                // Packed weights are kept in f16; the reference uses the same rounded weights then.
                let stored = |w: f32| match layer.weights {
                    #[cfg(target_arch = "x86_64")]
                    Weights::Packed(_) => half::f16::from_f32(w).to_f32(),
                    Weights::Plain(_) => w,
                };
                let then = |v: f32| if activation == Activation::Gelu { crate::embed::gelu::gelu(v) } else { v };
                for rows in 1..=13 {
                    let x: Vec<f32> = (0..rows * inputs).map(|i| ((i * 104_729 % 991) as f32 / 991.0) - 0.5).collect();
                    let got: Vec<f32> = layer.forward(&tensor(&x, (rows, inputs))).unwrap().flatten_all().unwrap().to_vec1().unwrap();
                    for r in 0..rows {
                        for j in 0..outputs {
                            let want = then(bias[j] + (0..inputs).map(|k| x[r * inputs + k] * stored(weight[j * inputs + k])).sum::<f32>());
                            assert!((got[r * outputs + j] - want).abs() < 1e-4, "rows {rows}, [{r}][{j}]: {} vs {want}", got[r * outputs + j]);
                        }
                    }
                }
            }
        }
    }
}
