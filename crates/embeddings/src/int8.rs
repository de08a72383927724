//! Int8 matrix products for the encoder's dense layers, on AVX-512 VNNI.
//!
//! Weights are quantised once, at load, to i8 with one scale per output column
//! (symmetric: the column's largest magnitude maps to 127). Each input row is
//! quantised as it arrives to u8, block by block of 128 inputs, each block over
//! its own range, which always includes zero, with a scale and a zero point of
//! its own: per-block ranges keep small values as precise as large ones nearby
//! in other blocks (an outlier coarsens only its own block), and the asymmetric
//! range gives the mostly-positive rows after GELU all 256 levels. `vpdpbusd`
//! multiplies four u8·i8 pairs per 32-bit lane and adds them to the lane exactly
//! (no saturation), so a 512-bit instruction does 64 multiply-adds where an f32
//! FMA does 16. Each block's part of the product is then
//! `(Σ q_x·q_w − zero_x·Σ q_w) · scale_x · scale_w`, the column sums per block
//! being computed at load, and the blocks' parts are added in f32.
//!
//! The f32 path (candle's gemm) stays the reference: it is used where the CPU
//! lacks these instructions, and when asked for (`EmbeddingKernel::F32`).

// The intrinsics take raw pointers and run only behind a run-time CPU check;
// every unsafe block states why it is sound, and the slices' bounds are asserted
// before any pointer is formed.
#![allow(unsafe_code)]

use rayon::prelude::*;

/// i32 lanes of a 512-bit register: output columns per block.
const LANES: usize = 16;
/// Column blocks one tile computes: 8 rows × 3 blocks = 24 accumulator registers
/// of the 32, leaving room for the three weight blocks and the broadcast input.
const PANEL_BLOCKS: usize = 3;
/// Rows one tile computes.
const TILE_ROWS: usize = 8;
/// Rows one rayon task quantises and multiplies: its quantised input stays in
/// cache while every panel of weights passes over it.
const ROWS_PER_TASK: usize = 32;
/// Groups of four inputs quantised together: each input row is quantised in
/// blocks of this many groups, each block over its own range, so an outlier
/// coarsens only its own block (the feed-forward output layer's 1,536 inputs
/// after GELU have a few large ones). The sums of a block are dequantised and
/// added up in f32.
const BLOCK_GROUPS: usize = 32;

/// Whether this CPU runs the int8 kernel.
pub(crate) fn available() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512bw")
            && std::arch::is_x86_feature_detected!("avx512vnni")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// A dense layer's weight, quantised and packed for the kernel.
pub(crate) struct Int8Dense {
    /// Inputs per row.
    k: usize,
    /// Groups of four inputs (`k` rounded up): one `vpdpbusd` step each.
    groups: usize,
    /// Blocks of `BLOCK_GROUPS` groups (the last may be shorter).
    blocks: usize,
    /// Outputs per row.
    n: usize,
    /// Panel by panel; within a panel, for each group of four inputs, each of the
    /// panel's columns' four weights (zero beyond `k` and beyond `n`).
    packed: Vec<i8>,
    panels: Vec<Panel>,
    /// Per block of inputs, per column (padded to whole column blocks): the sum of
    /// the column's quantised weights over the block's inputs.
    col_sums: Vec<i32>,
    /// Columns padded to whole column blocks: the stride of `col_sums`.
    padded_n: usize,
    /// Per column (padded): what one unit of its quantised weights is worth.
    col_scales: Vec<f32>,
}

/// Up to `PANEL_BLOCKS` consecutive column blocks, packed together.
#[derive(Clone, Copy, Debug)]
struct Panel {
    first_col: usize,
    blocks: usize,
    offset: usize,
}

impl Int8Dense {
    /// Quantises a `(k, n)` row-major weight (inputs by outputs), or `None` when this
    /// CPU cannot run the kernel.
    pub fn for_this_cpu(weight: &[f32], k: usize, n: usize) -> Option<Self> {
        assert_eq!(weight.len(), k * n, "weight is not {k} × {n}");
        if !available() || k == 0 || n == 0 {
            return None;
        }
        let groups = k.div_ceil(4);
        let blocks = n.div_ceil(LANES);
        let padded_n = blocks * LANES;
        let mut quantised = vec![0i8; groups * 4 * padded_n];
        let input_blocks = groups.div_ceil(BLOCK_GROUPS);
        let mut col_scales = vec![0f32; padded_n];
        let mut col_sums = vec![0i32; input_blocks * padded_n];
        for col in 0..n {
            let largest = (0..k).map(|row| weight[row * n + col].abs()).fold(0f32, f32::max);
            let scale = if largest > 0.0 { largest / 127.0 } else { 1.0 };
            col_scales[col] = scale;
            for row in 0..k {
                let q = (weight[row * n + col] / scale).round().clamp(-127.0, 127.0) as i8;
                quantised[row * padded_n + col] = q;
                col_sums[row / (BLOCK_GROUPS * 4) * padded_n + col] += i32::from(q);
            }
        }
        let mut packed = Vec::with_capacity(quantised.len());
        let mut panels = Vec::new();
        let mut block = 0;
        while block < blocks {
            let width = PANEL_BLOCKS.min(blocks - block);
            let first_col = block * LANES;
            panels.push(Panel { first_col, blocks: width, offset: packed.len() });
            for group in 0..groups {
                for col in first_col..first_col + width * LANES {
                    packed.extend((0..4).map(|i| quantised[(group * 4 + i) * padded_n + col]));
                }
            }
            block += width;
        }
        Some(Int8Dense { k, groups, blocks: input_blocks, n, packed, panels, col_sums, padded_n, col_scales })
    }

    /// `x · W` for `x` of `rows × k`, as `rows × n` f32 values; rows split across the
    /// current rayon pool (run inline in a single-threaded one).
    pub fn matmul(&self, x: &[f32]) -> Vec<f32> {
        assert!(x.len().is_multiple_of(self.k), "input is not rows of {}", self.k);
        let len = x.len() / self.k * self.n;
        // Not zeroed first: every element is written below, and zeroing a fresh buffer
        // per product cost a tenth of the forward pass.
        let mut out: Vec<f32> = Vec::with_capacity(len);
        out.spare_capacity_mut()[..len]
            .par_chunks_mut(self.n * ROWS_PER_TASK)
            .zip(x.par_chunks(self.k * ROWS_PER_TASK))
            .for_each(|(out, x)| {
                #[cfg(target_arch = "x86_64")]
                // SAFETY: an `Int8Dense` exists only where `available()` found the features
                // `rows` is compiled for (see `for_this_cpu`).
                unsafe {
                    self.rows(x, out)
                }
                #[cfg(not(target_arch = "x86_64"))]
                unreachable!("built only where the kernel runs ({} inputs, {} outputs)", x.len(), out.len())
            });
        // SAFETY: `rows` wrote every one of the `len` elements: each row of its chunk,
        // each column of each panel (the panels cover `0..n`).
        unsafe { out.set_len(len) };
        out
    }

    /// Quantises up to `ROWS_PER_TASK` rows and multiplies them by every panel.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
    fn rows(&self, x: &[f32], out: &mut [std::mem::MaybeUninit<f32>]) {
        let rows = x.len() / self.k;
        let tiles = rows.div_ceil(TILE_ROWS);
        let stride = self.groups * 4;
        // Rows past the end stay zero; their products are computed and never written.
        let mut quantised = vec![0u8; tiles * TILE_ROWS * stride];
        // Per row, per block of inputs.
        let mut zeros = vec![0i32; rows * self.blocks];
        let mut scales = vec![0f32; rows * self.blocks];
        for (r, row) in x.chunks_exact(self.k).enumerate() {
            let out = &mut quantised[r * stride..r * stride + self.k];
            for (b, (row, out)) in row.chunks(BLOCK_GROUPS * 4).zip(out.chunks_mut(BLOCK_GROUPS * 4)).enumerate() {
                (scales[r * self.blocks + b], zeros[r * self.blocks + b]) = quantise_row(row, out);
            }
        }
        for panel in &self.panels {
            let width = panel.blocks * LANES;
            let weights = &self.packed[panel.offset..panel.offset + self.groups * width * 4];
            let cols = width.min(self.n - panel.first_col);
            let columns = ColumnParams {
                sums: &self.col_sums[panel.first_col..(self.blocks - 1) * self.padded_n + panel.first_col + width],
                sums_stride: self.padded_n,
                scales: &self.col_scales[panel.first_col..panel.first_col + width],
                count: cols,
            };
            for tile in 0..tiles {
                let first = tile * TILE_ROWS;
                let count = TILE_ROWS.min(rows - first);
                let input = TileInput {
                    quantised: &quantised[first * stride..(first + TILE_ROWS) * stride],
                    stride,
                    blocks: self.blocks,
                    zeros: &zeros[first * self.blocks..(first + count) * self.blocks],
                    scales: &scales[first * self.blocks..(first + count) * self.blocks],
                };
                let out = &mut out[first * self.n + panel.first_col..];
                match panel.blocks {
                    3 => tile_product::<3>(&input, weights, &columns, out, self.n),
                    2 => tile_product::<2>(&input, weights, &columns, out, self.n),
                    _ => tile_product::<1>(&input, weights, &columns, out, self.n),
                }
            }
        }
    }
}

/// `TILE_ROWS` quantised rows and the scale and zero point of each block of the real ones.
struct TileInput<'a> {
    quantised: &'a [u8],
    stride: usize,
    /// Blocks of inputs per row.
    blocks: usize,
    /// Per real row, per block.
    zeros: &'a [i32],
    scales: &'a [f32],
}

/// A panel's column sums (per block of inputs, `sums_stride` apart) and scales,
/// and how many of its columns are real.
struct ColumnParams<'a> {
    sums: &'a [i32],
    sums_stride: usize,
    scales: &'a [f32],
    count: usize,
}

/// Quantises one row to u8 over its range (zero included); returns its scale and zero point.
#[inline(always)]
fn quantise_row(row: &[f32], out: &mut [u8]) -> (f32, i32) {
    // Sixteen running minima and maxima, so the comparisons vectorise (one running
    // pair would be a chain of scalar comparisons).
    let (mut lows, mut highs) = ([0f32; LANES], [0f32; LANES]);
    let chunks = row.chunks_exact(LANES);
    for &v in chunks.remainder() {
        (lows[0], highs[0]) = (lows[0].min(v), highs[0].max(v));
    }
    for chunk in chunks {
        for ((low, high), &v) in lows.iter_mut().zip(highs.iter_mut()).zip(chunk) {
            (*low, *high) = (low.min(v), high.max(v));
        }
    }
    let low = lows.iter().fold(0f32, |a, &b| a.min(b));
    let high = highs.iter().fold(0f32, |a, &b| a.max(b));
    if high - low <= 0.0 {
        out.fill(0);
        return (0.0, 0);
    }
    let scale = (high - low) / 255.0;
    let zero = (-low / scale).round_ties_even();
    let inverse = 1.0 / scale;
    // Adding 1.5 · 2²³ rounds to the nearest integer, which lands in the low mantissa
    // bits: taking those bits vectorises, where a float-to-u8 cast went lane by lane.
    const ROUND: f32 = 12_582_912.0;
    for (q, &v) in out.iter_mut().zip(row) {
        *q = ((v * inverse + zero).clamp(0.0, 255.0) + ROUND).to_bits() as u8;
    }
    (scale, zero as i32)
}

/// One tile: `TILE_ROWS` rows by `NB` column blocks over every input, then
/// dequantised into `out` (row `r`, panel column `c` at `r · n + c`).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vnni")]
fn tile_product<const NB: usize>(
    input: &TileInput<'_>,
    weights: &[i8],
    columns: &ColumnParams<'_>,
    out: &mut [std::mem::MaybeUninit<f32>],
    n: usize,
) {
    use std::arch::x86_64::*;
    let groups = input.stride / 4;
    let blocks = input.blocks;
    let rows = input.zeros.len() / blocks;
    assert!(input.quantised.len() >= TILE_ROWS * input.stride && input.stride.is_multiple_of(4));
    assert!(weights.len() >= groups * NB * 64);
    assert!(blocks == groups.div_ceil(BLOCK_GROUPS) && input.zeros.len() == rows * blocks);
    assert!(columns.sums.len() >= (blocks - 1) * columns.sums_stride + NB * LANES);
    assert!(columns.scales.len() >= NB * LANES);
    assert!((1..=TILE_ROWS).contains(&rows) && input.scales.len() == rows * blocks);
    assert!((1..=NB * LANES).contains(&columns.count));
    assert!(out.len() >= (rows - 1) * n + columns.count);

    let (a, b) = (input.quantised.as_ptr(), weights.as_ptr());
    for block in 0..blocks {
        let mut acc = [[_mm512_setzero_si512(); NB]; TILE_ROWS];
        for group in block * BLOCK_GROUPS..groups.min((block + 1) * BLOCK_GROUPS) {
            let mut w = [_mm512_setzero_si512(); NB];
            for (j, w) in w.iter_mut().enumerate() {
                // SAFETY: `(group · NB + j) · 64 + 64 ≤ groups · NB · 64 ≤ weights.len()`.
                *w = unsafe { _mm512_loadu_si512(b.add((group * NB + j) * 64).cast()) };
            }
            for (r, acc) in acc.iter_mut().enumerate() {
                // SAFETY: `r · stride + 4 · group + 4 ≤ TILE_ROWS · stride ≤ quantised.len()`.
                let four = unsafe { a.add(r * input.stride + group * 4).cast::<i32>().read_unaligned() };
                let x = _mm512_set1_epi32(four);
                for (acc, &w) in acc.iter_mut().zip(&w) {
                    *acc = _mm512_dpbusd_epi32(*acc, x, w);
                }
            }
        }

        let sums = &columns.sums[block * columns.sums_stride..];
        for (r, acc) in acc.iter().enumerate().take(rows) {
            let zero = _mm512_set1_epi32(input.zeros[r * blocks + block]);
            let scale = _mm512_set1_ps(input.scales[r * blocks + block]);
            for (j, &acc) in acc.iter().enumerate() {
                let first = j * LANES;
                if first >= columns.count {
                    break;
                }
                // SAFETY: `first + LANES ≤ NB · LANES ≤` both column slices' lengths (the
                // sums from this block's start on).
                let (sums, col_scales) = unsafe {
                    (
                        _mm512_loadu_si512(sums.as_ptr().add(first).cast()),
                        _mm512_loadu_ps(columns.scales.as_ptr().add(first)),
                    )
                };
                let exact = _mm512_sub_epi32(acc, _mm512_mullo_epi32(zero, sums));
                let mut value = _mm512_mul_ps(_mm512_cvtepi32_ps(exact), _mm512_mul_ps(scale, col_scales));
                let real = (columns.count - first).min(LANES);
                let mask: __mmask16 = if real == LANES { !0 } else { (1u16 << real) - 1 };
                // SAFETY: the lanes read and written are `r · n + first .. r · n + first + real`,
                // within `(rows − 1) · n + columns.count ≤ out.len()`; the first block wrote
                // them before any later block reads them.
                unsafe {
                    let at = out.as_mut_ptr().add(r * n + first).cast::<f32>();
                    if block > 0 {
                        value = _mm512_add_ps(value, _mm512_maskz_loadu_ps(mask, at));
                    }
                    _mm512_mask_storeu_ps(at, mask, value);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Deterministic values in `[-1, 1)`.
    fn values(n: usize, seed: u64) -> Vec<f32> {
        let mut state = seed;
        (0..n)
            .map(|_| {
                state = state.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
                ((state >> 40) as f32 / (1u64 << 24) as f32) * 2.0 - 1.0
            })
            .collect()
    }

    fn f64_product(x: &[f32], w: &[f32], k: usize, n: usize) -> Vec<f64> {
        let rows = x.len() / k;
        let mut out = vec![0f64; rows * n];
        for r in 0..rows {
            for c in 0..n {
                out[r * n + c] = (0..k).map(|i| f64::from(x[r * k + i]) * f64::from(w[i * n + c])).sum();
            }
        }
        out
    }

    /// Inputs and weights that quantise without rounding (a row spanning 0..=255 has
    /// scale 1 and zero point 0; a column reaching ±127 has scale 1) multiply exactly:
    /// every packing, padding and tail path is checked value for value.
    #[test]
    fn exactly_representable_values_multiply_exactly() {
        if !available() {
            return;
        }
        for (rows, k, n) in [(13, 10, 37), (1, 3, 1), (32, 384, 48), (41, 1536, 80), (8, 4, 16), (5, 300, 20)] {
            // Each block of a row spans 0..=255 exactly (scale 1, zero point 0).
            let x: Vec<f32> = (0..rows * k)
                .map(|i| match (i % k) % (BLOCK_GROUPS * 4) {
                    0 => 255.0,
                    1 => 0.0,
                    _ => ((i * 7919) % 256) as f32,
                })
                .collect();
            let w: Vec<f32> = (0..k * n)
                .map(|i| {
                    if i / n == 0 {
                        if i % 2 == 0 { 127.0 } else { -127.0 }
                    } else {
                        ((i * 104_729) % 255) as f32 - 127.0
                    }
                })
                .collect();
            let dense = Int8Dense::for_this_cpu(&w, k, n).expect("kernel available");
            let got = dense.matmul(&x);
            let want = f64_product(&x, &w, k, n);
            for (i, (&g, &e)) in got.iter().zip(&want).enumerate() {
                assert_eq!(f64::from(g), e, "({rows}×{k}·{k}×{n}) row {} column {}", i / n, i % n);
            }
        }
    }

    /// General values: the error stays within what 8-bit rounding of both operands allows.
    #[test]
    fn general_values_agree_with_the_exact_product() {
        if !available() {
            return;
        }
        let (rows, k, n) = (37, 384, 100);
        let x = values(rows * k, 3);
        let w = values(k * n, 5);
        let got = Int8Dense::for_this_cpu(&w, k, n).expect("kernel available").matmul(&x);
        let want = f64_product(&x, &w, k, n);
        let error: f64 = got.iter().zip(&want).map(|(&g, &e)| (f64::from(g) - e).powi(2)).sum::<f64>().sqrt();
        let norm: f64 = want.iter().map(|e| e * e).sum::<f64>().sqrt();
        // Each operand is off by at most half a step (1/255 of a row's range, 1/127 of a
        // column's largest); independent errors over 384 terms give about 0.3 % here.
        assert!(error / norm < 0.01, "relative error {}", error / norm);
    }

    #[test]
    fn a_row_of_zeros_gives_zeros() {
        if !available() {
            return;
        }
        let w = values(8 * 20, 9);
        let got = Int8Dense::for_this_cpu(&w, 8, 20).expect("kernel available").matmul(&[0.0; 16]);
        assert_eq!(got, vec![0.0; 40]);
    }
}
