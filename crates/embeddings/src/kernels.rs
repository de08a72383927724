//! The element-wise parts of the encoder, fused and written on plain slices.
//!
//! candle's generic ops each make a pass over memory and, on two cores, spend
//! much of their time synchronising threads; fusing bias, activation, residual
//! and normalisation into one pass per row removed that. Rows are independent,
//! so every kernel splits its output by rows with rayon: in a single-threaded
//! worker pool that runs inline, on the global pool it uses every core.

use rayon::prelude::*;

/// Rows handed to one rayon task; small enough to balance, large enough to amortise.
const ROWS_PER_TASK: usize = 16;

/// A loop over slices that `vectorised` compiles once per instruction set.
trait Kernel {
    /// Runs the loop; `FMA` says whether fused multiply-add is available.
    fn run<const FMA: bool>(self);
}

/// Runs `kernel` compiled for the best instruction set this CPU has (AVX-512 or
/// AVX2, both with FMA, else the baseline without): the binary targets plain
/// x86-64, where these loops would get 4-wide SSE and no fused multiply-add.
/// pulp's `WithSimd` is what guarantees the loop is inlined into the function
/// carrying the target features; everything `run` calls must be `#[inline(always)]`.
#[inline(always)]
fn vectorised<K: Kernel>(kernel: K) {
    struct Dispatch<K>(K);
    impl<K: Kernel> pulp::WithSimd for Dispatch<K> {
        type Output = ();
        #[inline(always)]
        fn with_simd<S: pulp::Simd>(self, _: S) {
            // Folded at compile time: every instruction set but the baseline has FMA.
            if std::any::TypeId::of::<S>() == std::any::TypeId::of::<pulp::Scalar>() {
                self.0.run::<false>()
            } else {
                self.0.run::<true>()
            }
        }
    }
    pulp::Arch::new().dispatch(Dispatch(kernel))
}

/// `a · b + c`, fused where the CPU has FMA: without it `mul_add` is a libm call
/// per element (that made the softmax ten times slower), so it is not used there.
#[inline(always)]
fn madd<const FMA: bool>(a: f32, b: f32, c: f32) -> f32 {
    if FMA { a.mul_add(b, c) } else { a * b + c }
}

/// Lanes of the partial sums in reductions: floating-point addition does not
/// reassociate, so a single accumulator would serialise on its latency.
const LANES: usize = 16;

#[inline(always)]
fn sum(xs: &[f32]) -> f32 {
    let mut acc = [0f32; LANES];
    let chunks = xs.chunks_exact(LANES);
    let tail: f32 = chunks.remainder().iter().sum();
    for chunk in chunks {
        acc.iter_mut().zip(chunk).for_each(|(a, &x)| *a += x);
    }
    acc.iter().sum::<f32>() + tail
}

#[inline(always)]
fn max(xs: &[f32]) -> f32 {
    let mut acc = [f32::NEG_INFINITY; LANES];
    let chunks = xs.chunks_exact(LANES);
    let tail = chunks.remainder().iter().fold(f32::NEG_INFINITY, |m, &x| m.max(x));
    for chunk in chunks {
        acc.iter_mut().zip(chunk).for_each(|(a, &x)| *a = a.max(x));
    }
    acc.iter().fold(tail, |m, &x| m.max(x))
}

/// Row-wise `x ← layer_norm(x + bias + residual)`: the end of each BERT sub-layer,
/// written over the sub-layer's product.
pub(crate) fn bias_residual_layer_norm(x: &mut [f32], bias: &[f32], residual: &[f32], norm: &LayerNormParams) {
    let h = bias.len();
    x.par_chunks_mut(h * ROWS_PER_TASK)
        .zip(residual.par_chunks(h * ROWS_PER_TASK))
        .for_each(|(x, residual)| vectorised(ResidualNormRows { x, bias, residual, norm }));
}

struct ResidualNormRows<'a> {
    x: &'a mut [f32],
    bias: &'a [f32],
    residual: &'a [f32],
    norm: &'a LayerNormParams,
}

impl Kernel for ResidualNormRows<'_> {
    #[inline(always)]
    fn run<const FMA: bool>(self) {
        let h = self.bias.len();
        for (x, residual) in self.x.chunks_exact_mut(h).zip(self.residual.chunks_exact(h)) {
            for ((x, &b), &r) in x.iter_mut().zip(self.bias).zip(residual) {
                *x += b + r;
            }
            layer_norm_row::<FMA>(x, self.norm);
        }
    }
}

/// A layer norm's learned scale and shift.
pub(crate) struct LayerNormParams {
    pub weight: Vec<f32>,
    pub bias: Vec<f32>,
    pub eps: f32,
}

impl LayerNormParams {
    /// Normalises one row in place.
    pub fn apply(&self, row: &mut [f32]) {
        vectorised(NormRow { row, norm: self })
    }
}

struct NormRow<'a> {
    row: &'a mut [f32],
    norm: &'a LayerNormParams,
}

impl Kernel for NormRow<'_> {
    #[inline(always)]
    fn run<const FMA: bool>(self) {
        layer_norm_row::<FMA>(self.row, self.norm)
    }
}

#[inline(always)]
fn layer_norm_row<const FMA: bool>(row: &mut [f32], norm: &LayerNormParams) {
    let n = row.len() as f32;
    let mean = sum(row) / n;
    row.iter_mut().for_each(|v| *v -= mean);
    let mut squares = [0f32; LANES];
    let chunks = row.chunks_exact(LANES);
    let tail: f32 = chunks.remainder().iter().map(|v| v * v).sum();
    for chunk in chunks {
        squares.iter_mut().zip(chunk).for_each(|(a, &v)| *a = madd::<FMA>(v, v, *a));
    }
    let var = (squares.iter().sum::<f32>() + tail) / n;
    let inv = 1.0 / (var + norm.eps).sqrt();
    for ((v, &w), &b) in row.iter_mut().zip(&norm.weight).zip(&norm.bias) {
        *v = madd::<FMA>(*v * inv, w, b);
    }
}

/// `x ← gelu(x + bias)` with BERT's exact (erf) GELU.
pub(crate) fn bias_gelu(x: &mut [f32], bias: &[f32]) {
    let n = bias.len();
    x.par_chunks_mut(n * ROWS_PER_TASK).for_each(|x| vectorised(GeluRows { x, bias }));
}

struct GeluRows<'a> {
    x: &'a mut [f32],
    bias: &'a [f32],
}

impl Kernel for GeluRows<'_> {
    #[inline(always)]
    fn run<const FMA: bool>(self) {
        let n = self.bias.len();
        for x in self.x.chunks_exact_mut(n) {
            for (x, &b) in x.iter_mut().zip(self.bias) {
                let v = *x + b;
                *x = 0.5 * v * (1.0 + erf::<FMA>(v * std::f32::consts::FRAC_1_SQRT_2));
            }
        }
    }
}

/// `x ← x + bias`, row by row.
pub(crate) fn add_bias(x: &mut [f32], bias: &[f32]) {
    let n = bias.len();
    x.par_chunks_mut(n * ROWS_PER_TASK).for_each(|x| {
        for row in x.chunks_exact_mut(n) {
            row.iter_mut().zip(bias).for_each(|(x, &b)| *x += b);
        }
    });
}

/// Softmax of each `width`-long row, in place.
pub(crate) fn softmax_rows(scores: &mut [f32], width: usize) {
    let rows_per_task = (4096 / width).max(1);
    scores.par_chunks_mut(width * rows_per_task).for_each(|scores| vectorised(SoftmaxRows { scores, width }));
}

struct SoftmaxRows<'a> {
    scores: &'a mut [f32],
    width: usize,
}

impl Kernel for SoftmaxRows<'_> {
    #[inline(always)]
    fn run<const FMA: bool>(self) {
        let width = self.width;
        // Simple passes, each of which vectorises. The exponentials run over the whole
        // chunk at once: row by row, the scalar tail of each row (width is rarely a
        // multiple of the vector width) cost as much as the rest of the row.
        for row in self.scores.chunks_exact_mut(width) {
            let max = max(row);
            row.iter_mut().for_each(|s| *s -= max);
        }
        self.scores.iter_mut().for_each(|s| *s = exp::<FMA>(*s));
        for row in self.scores.chunks_exact_mut(width) {
            let inv = 1.0 / sum(row);
            row.iter_mut().for_each(|s| *s *= inv);
        }
    }
}

/// `e^x` for `x ≤ 88`, within 2 ulp; branch-free so the compiler vectorises loops over it.
#[inline(always)]
pub(crate) fn exp<const FMA: bool>(x: f32) -> f32 {
    // e^x = 2^k · e^r with k = round(x / ln 2), |r| ≤ ln2 / 2; e^r by a degree-6 polynomial.
    // 1.5 · 2^23: adding it rounds to an integer, which lands in the low mantissa bits.
    const ROUND: f32 = 12_582_912.0;
    let x = x.clamp(-87.0, 88.0);
    let shifted = madd::<FMA>(x, std::f32::consts::LOG2_E, ROUND);
    let k = shifted - ROUND;
    // ln 2 split in two so k · ln2_hi is exact.
    let r = madd::<FMA>(k, -0.693_145_75, x);
    let r = madd::<FMA>(k, -1.428_606_8e-6, r);
    let p = madd::<FMA>(1.0 / 720.0, r, 1.0 / 120.0);
    let p = madd::<FMA>(p, r, 1.0 / 24.0);
    let p = madd::<FMA>(p, r, 1.0 / 6.0);
    let p = madd::<FMA>(p, r, 0.5);
    let p = madd::<FMA>(p, r, 1.0);
    let p = madd::<FMA>(p, r, 1.0);
    // 2^k built from k's bits directly: a float-to-int cast (saturating in Rust) does
    // not vectorise well and made this three times slower.
    let exponent = shifted.to_bits().wrapping_sub(ROUND.to_bits()).wrapping_add(127);
    p * f32::from_bits(exponent << 23)
}

/// The error function within 4e-7 absolute (a few ulp); a rational approximation with no branches.
#[inline(always)]
pub(crate) fn erf<const FMA: bool>(x: f32) -> f32 {
    // Beyond ±4, erf is ±1 in single precision.
    let x = x.clamp(-4.0, 4.0);
    let x2 = x * x;
    let p = madd::<FMA>(x2, -2.726_142_3e-10, 2.770_681_4e-8);
    let p = madd::<FMA>(x2, p, -2.101_024e-6);
    let p = madd::<FMA>(x2, p, -5.692_506_4e-5);
    let p = madd::<FMA>(x2, p, -7.349_906_3e-4);
    let p = madd::<FMA>(x2, p, -2.954_6e-3);
    let p = madd::<FMA>(x2, p, -1.609_603_3e-2);
    let q = madd::<FMA>(x2, -1.456_607_2e-5, -2.133_740_6e-4);
    let q = madd::<FMA>(x2, q, -1.682_827e-3);
    let q = madd::<FMA>(x2, q, -7.373_329e-3);
    let q = madd::<FMA>(x2, q, -1.426_474e-2);
    x * p / q
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exp_matches_the_standard_library() {
        for exp in [exp::<true>, exp::<false>] {
            let mut worst = 0f32;
            for i in -87_000..88_000 {
                let x = i as f32 / 1000.0;
                let (got, want) = (exp(x), x.exp());
                worst = worst.max(((got - want) / want).abs());
            }
            assert!(worst < 3e-7, "worst relative error {worst}");
            assert!(exp(-1000.0) < 1e-37);
        }
    }

    #[test]
    fn erf_matches_a_double_precision_reference() {
        for erf in [erf::<true>, erf::<false>] {
            let mut worst = 0f64;
            for i in -6_000..6_000 {
                let x = i as f64 / 1000.0;
                worst = worst.max((erf(x as f32) as f64 - erf_reference(x)).abs());
            }
            assert!(worst < 4e-7, "worst absolute error {worst}");
        }
    }

    /// erf by its Maclaurin series (|x| < 3) or continued fraction (beyond), in f64.
    fn erf_reference(x: f64) -> f64 {
        if x.abs() < 3.0 {
            let (mut term, mut sum, mut n) = (x, x, 0.0);
            while term.abs() > 1e-17 {
                n += 1.0;
                term *= -x * x / n;
                sum += term / (2.0 * n + 1.0);
            }
            sum * 2.0 / std::f64::consts::PI.sqrt()
        } else {
            // erfc(x) = e^{-x²}/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + …))))
            let a = x.abs();
            let mut f = a;
            for k in (1..60).rev() {
                f = a + (k as f64 / 2.0) / f;
            }
            let erfc = (-a * a).exp() / std::f64::consts::PI.sqrt() / f;
            (1.0 - erfc).copysign(x)
        }
    }

    #[test]
    fn softmax_rows_sum_to_one_and_keep_order() {
        let scores: Vec<f32> = (0..3 * 37).map(|i| ((i * 7919) % 23) as f32 - 11.0).collect();
        let mut out = scores.clone();
        softmax_rows(&mut out, 37);
        for (row, probs) in out.chunks_exact(37).enumerate() {
            let expect: Vec<f64> = scores[row * 37..(row + 1) * 37].iter().map(|&s| (s as f64).exp()).collect();
            let total: f64 = expect.iter().sum();
            for (&p, e) in probs.iter().zip(&expect) {
                assert!((p as f64 - e / total).abs() < 1e-6, "{p} vs {}", e / total);
            }
        }
    }
}
