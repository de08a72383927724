//! Self-attention over the query, key and value projections as they come out of
//! their product: each head's columns are read in place through strides and each
//! head's context is written straight into its columns of the output, so no
//! per-head copies are made, and one score buffer per sequence serves every head.

use rayon::prelude::*;

use crate::kernels;
use crate::matmul::{Strided, Threads, product};

/// The heads' layout inside a row.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Heads {
    pub count: usize,
    pub dim: usize,
}

/// `softmax(q · kᵀ) · v` per sequence and head.
///
/// `qkv` holds one row per token, the sequences of `lens` one after another (no
/// padding): queries (already scaled by 1/√head_dim), keys, then values, each
/// `heads × head_dim` wide, bias included. Returns one `heads × head_dim` row per token.
pub(crate) fn attention(qkv: &[f32], lens: &[usize], heads: Heads) -> Vec<f32> {
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
            kernels::softmax_rows(&mut scores, len);
            // context = probabilities · v, into this head's columns.
            let values = Strided { offset: 2 * h + column, row: 3 * h, col: 1 };
            let head_columns = Strided { offset: column, row: h, col: 1 };
            product(context, head_columns, &scores, dense, qkv, values, (len, heads.dim, len), Threads::One);
        }
    });
    context
}
