//! Self-attention over the query, key and value projections as they come out of
//! their product: each head's columns are read in place through strides and each
//! head's context is written straight into its columns of the output, so no
//! per-head copies are made, and one score buffer per sequence serves every head.
//! MPNet adds a learned bias per head to the scores by the keys' distance from
//! the query ([`RelativePositionBias`]).

use rayon::prelude::*;

use crate::kernels;
use crate::matmul::{Strided, Threads, product};

/// The heads' layout inside a row.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Heads {
    pub count: usize,
    pub dim: usize,
}

/// MPNet's learned bias on the attention scores, by how far a key stands from
/// the query: the distance falls into one of `buckets` buckets (exact up to
/// `buckets / 4` either way, then logarithmic up to [`MAX_DISTANCE`]), and each
/// bucket holds one value per head. Every layer adds the same bias, so it is laid
/// out once, at load, by head and signed distance: a query's row of biases is then
/// one contiguous run.
pub(crate) struct RelativePositionBias {
    /// `(heads, 2 · max_positions − 1)`: head `h`'s bias for a key `d` positions after
    /// the query (negative: before) at `h · span + max_positions − 1 + d`.
    by_distance: Vec<f32>,
    max_positions: usize,
}

/// Distances from here on share the farthest bucket (MPNet's, as T5's).
const MAX_DISTANCE: usize = 128;

/// The bucket of the key at `key` seen from the query at `query`, of `buckets`: keys
/// after the query take the upper half.
fn bucket(buckets: usize, query: usize, key: usize) -> usize {
    let half = buckets / 2;
    let (side, distance) = if key > query { (half, key - query) } else { (0, query - key) };
    let exact = half / 2;
    let within = if distance < exact {
        distance
    } else {
        // In single precision, as the reference implementation computes it, so that
        // distances on a bucket's edge fall into the same bucket.
        let ratio = (distance as f32 / exact as f32).ln() / ((MAX_DISTANCE as f64 / exact as f64).ln() as f32)
            * (half - exact) as f32;
        (exact + ratio as usize).min(half - 1)
    };
    side + within
}

impl RelativePositionBias {
    /// From the checkpoint's `(buckets, heads)` table, for sequences of up to `max_positions`.
    pub fn new(table: &[f32], buckets: usize, heads: usize, max_positions: usize) -> Self {
        let span = 2 * max_positions - 1;
        let mut by_distance = vec![0f32; heads * span];
        for (head, row) in by_distance.chunks_exact_mut(span).enumerate() {
            for (i, bias) in row.iter_mut().enumerate() {
                // Index i is the key at i seen from the query at max_positions − 1.
                *bias = table[bucket(buckets, max_positions - 1, i) * heads + head];
            }
        }
        RelativePositionBias { by_distance, max_positions }
    }

    /// Adds head `head`'s bias to the `(len, len)` scores of one sequence.
    fn add_to(&self, scores: &mut [f32], len: usize, head: usize) {
        let span = 2 * self.max_positions - 1;
        for (query, row) in scores.chunks_exact_mut(len).enumerate() {
            let start = head * span + self.max_positions - 1 - query;
            row.iter_mut().zip(&self.by_distance[start..start + len]).for_each(|(s, b)| *s += b);
        }
    }
}

/// `softmax(q · kᵀ + bias) · v` per sequence and head.
///
/// `qkv` holds one row per token, the sequences of `lens` one after another (no
/// padding): queries (already scaled by 1/√head_dim), keys, then values, each
/// `heads × head_dim` wide, bias included. Returns one `heads × head_dim` row per token.
pub(crate) fn attention(
    qkv: &[f32],
    lens: &[usize],
    heads: Heads,
    position_bias: Option<&RelativePositionBias>,
) -> Vec<f32> {
    let h = heads.count * heads.dim;
    let tokens: usize = lens.iter().sum();
    assert_eq!(qkv.len(), tokens * 3 * h, "qkv is not (tokens, 3 · hidden)");
    let mut context = vec![0f32; tokens * h];
    // Each sequence's rows of the output and of the input, split off in turn.
    let mut sequences = Vec::with_capacity(lens.len());
    let (mut rest_out, mut rest_in) = (context.as_mut_slice(), qkv);
    for &len in lens {
        let (out, more_out) = rest_out.split_at_mut(len * h);
        let (input, more_in) = rest_in.split_at(len * 3 * h);
        sequences.push((out, input, len));
        (rest_out, rest_in) = (more_out, more_in);
    }
    sequences.into_par_iter().filter(|(_, _, len)| *len > 0).for_each(|(context, qkv, len)| {
        let mut scores = vec![0f32; len * len];
        let dense = Strided::dense(len);
        for head in 0..heads.count {
            let column = head * heads.dim;
            // scores = q · kᵀ, q being (len, head_dim) at `column` and kᵀ read from the keys' rows.
            let queries = Strided { offset: column, row: 3 * h, col: 1 };
            let keys_transposed = Strided { offset: h + column, row: 1, col: 3 * h };
            product(&mut scores, dense, qkv, queries, qkv, keys_transposed, (len, len, heads.dim), Threads::One);
            if let Some(bias) = position_bias {
                bias.add_to(&mut scores, len, head);
            }
            kernels::softmax_rows(&mut scores, len);
            // context = probabilities · v, into this head's columns.
            let values = Strided { offset: 2 * h + column, row: 3 * h, col: 1 };
            let head_columns = Strided { offset: column, row: h, col: 1 };
            product(context, head_columns, &scores, dense, qkv, values, (len, heads.dim, len), Threads::One);
        }
    });
    context
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances_fall_into_mpnets_buckets() {
        // From Hugging Face's `MPNetEncoder.relative_position_bucket` for 32 buckets: the
        // first query's row (keys after it take buckets 16 to 31) and keys before it.
        let after: Vec<usize> = (0..40).map(|k| bucket(32, 0, k)).collect();
        let expected_after = [
            0, 17, 18, 19, 20, 21, 22, 23, 24, 24, 24, 24, 25, 25, 25, 25, 26, 26, 26, 26, 26, 26, 26, 27, 27, 27, 27,
            27, 27, 27, 27, 27, 28, 28, 28, 28, 28, 28, 28, 28,
        ];
        assert_eq!(after, expected_after);
        let before: Vec<usize> = (280..301).map(|k| bucket(32, 300, k)).collect();
        assert_eq!(before, [10, 10, 10, 10, 10, 9, 9, 9, 9, 8, 8, 8, 8, 7, 6, 5, 4, 3, 2, 1, 0]);
        assert_eq!(bucket(32, 300, 0), 15);
        assert_eq!(bucket(32, 0, 500), 31);
    }
}
