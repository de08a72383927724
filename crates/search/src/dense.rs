//! Nearest-vector search by an exhaustive scan of one organisation's vectors
//! of one model: no graph to rebuild on delete, no recall lost to an
//! approximate index. The scan is memory-bound (100k × 384 f32 is 150 MB per
//! query: ~21 ms measured), so a [`VectorIndex`] holds each vector as 8-bit
//! codes with one scale (a quarter of the bytes, and of the RSS), and the
//! query is quantised the same way; rows are scored by integer dot products
//! on every core with the instructions this CPU has; the best candidates are
//! then re-scored exactly from the full f32 vectors ([`rank_exactly`]), so
//! the returned order and scores are those of the full vectors.

use crate::{
    ranking::{ChunkFilter, FilterSets, Scored, TopK},
    saved::{CorruptSavedCopy, Reader, Writer},
};
use std::collections::{HashMap, HashSet};
use wayfinder_knowledge_rules::{ChunkId, CollectionId, DocumentId};

/// One organisation's vectors of one model, in memory, as 8-bit codes.
#[derive(Default)]
pub struct VectorIndex {
    dims: usize,
    ids: Vec<i64>,
    collections: Vec<CollectionId>,
    documents: Vec<DocumentId>,
    /// `dims` signed 8-bit codes per vector: component ≈ code × scale.
    codes: Vec<i8>,
    scales: Vec<f32>,
}

impl VectorIndex {
    /// An empty index of `dims`-dimension vectors with room for `rows`.
    pub fn with_capacity(dims: usize, rows: usize) -> Self {
        VectorIndex {
            dims,
            ids: Vec::with_capacity(rows),
            collections: Vec::with_capacity(rows),
            documents: Vec::with_capacity(rows),
            codes: Vec::with_capacity(rows * dims),
            scales: Vec::with_capacity(rows),
        }
    }

    /// The dimension every vector here has.
    pub fn dims(&self) -> usize {
        self.dims
    }

    /// Adds a chunk's vector (of [`VectorIndex::dims`] components).
    pub fn push(&mut self, id: i64, collection: CollectionId, document: DocumentId, vector: &[f32]) {
        let scale = quantise_into(vector, &mut self.codes);
        self.ids.push(id);
        self.collections.push(collection);
        self.documents.push(document);
        self.scales.push(scale);
    }

    /// Adds the vectors of one collection's chunks that `stored` names with
    /// their document; false, changing nothing, when one is already present
    /// or of another dimension (then the copy must be reloaded).
    pub fn insert(
        &mut self,
        collection: CollectionId,
        vectors: &[(ChunkId, Vec<f32>)],
        stored: &[(ChunkId, DocumentId)],
    ) -> bool {
        let documents: HashMap<ChunkId, DocumentId> = stored.iter().copied().collect();
        let present: HashSet<i64> = self.ids.iter().copied().collect();
        if vectors.iter().any(|(c, v)| present.contains(&c.0) || v.len() != self.dims) {
            return false;
        }
        for (chunk, vector) in vectors {
            if let Some(document) = documents.get(chunk) {
                self.push(chunk.0, collection, *document, vector);
            }
        }
        true
    }

    /// Drops the rows of `ids` (chunks without a vector here are no error),
    /// keeping the others in order.
    pub fn remove(&mut self, ids: &HashSet<i64>) {
        let dims = self.dims;
        let mut kept = 0;
        for row in 0..self.ids.len() {
            if ids.contains(&self.ids[row]) {
                continue;
            }
            if kept != row {
                self.ids[kept] = self.ids[row];
                self.collections[kept] = self.collections[row];
                self.documents[kept] = self.documents[row];
                self.scales[kept] = self.scales[row];
                self.codes.copy_within(row * dims..(row + 1) * dims, kept * dims);
            }
            kept += 1;
        }
        self.ids.truncate(kept);
        self.collections.truncate(kept);
        self.documents.truncate(kept);
        self.scales.truncate(kept);
        self.codes.truncate(kept * dims);
    }

    /// The chunks worth re-scoring exactly for the best `k` within the filter:
    /// the best few times `k` by quantised score. Each core scans its share of
    /// the rows into its own selection, and the selections merge.
    pub fn candidates(&self, query: &[f32], filter: &ChunkFilter, k: usize) -> Vec<i64> {
        use rayon::prelude::*;
        let pool = rescore_pool(k);
        let allowed = FilterSets::new(filter);
        let dims = self.dims;
        let mut query_codes = Vec::with_capacity(dims);
        quantise_into(query, &mut query_codes);
        let query = query_codes.as_slice();
        let best: Vec<TopK> = self
            .codes
            .par_chunks(dims * ROWS_PER_TASK)
            .enumerate()
            .map(|(task, rows)| {
                let first = task * ROWS_PER_TASK;
                let n = rows.len() / dims;
                let mut scores = vec![0f32; n];
                score_codes(rows, &self.scales[first..first + n], query, &mut scores);
                let mut best = TopK::new(pool);
                for (offset, score) in scores.into_iter().enumerate() {
                    let i = first + offset;
                    if best.admits(score) && allowed.allows(&self.collections[i], &self.documents[i]) {
                        best.push(score, self.ids[i]);
                    }
                }
                best
            })
            .collect();
        let mut all: Vec<Scored> = best.into_iter().flat_map(TopK::into_sorted).collect();
        all.sort();
        all.truncate(pool);
        all.into_iter().map(|s| s.id).collect()
    }
}

impl VectorIndex {
    /// The copy in its saved form (see [`crate::saved`]): the 8-bit codes,
    /// a quarter of the stored f32 vectors' bytes, to be read back by
    /// [`VectorIndex::restore`] in another process at the same epoch.
    pub fn saved(&self) -> Vec<u8> {
        let mut w = Writer::new(VECTORS_TAG, self.codes.len() + self.ids.len() * 44);
        w.value(self.dims as u64);
        w.array(self.ids.iter().copied());
        w.array(self.collections.iter().copied());
        w.array(self.documents.iter().copied());
        w.array(self.scales.iter().copied());
        w.array(self.codes.iter().copied());
        w.finish()
    }

    /// A copy read back from [`VectorIndex::saved`], its lengths checked.
    pub fn restore(bytes: &[u8]) -> Result<VectorIndex, CorruptSavedCopy> {
        let mut r = Reader::new(VECTORS_TAG, bytes)?;
        let dims = usize::try_from(r.value::<u64>()?).map_err(|_| CorruptSavedCopy)?;
        let ids: Vec<i64> = r.array()?;
        let n = ids.len();
        let collections = r.array_of(n)?;
        let documents = r.array_of(n)?;
        let scales = r.array_of(n)?;
        let codes = r.array_of(n.checked_mul(dims).ok_or(CorruptSavedCopy)?)?;
        r.end()?;
        if dims == 0 && n > 0 {
            return Err(CorruptSavedCopy);
        }
        Ok(VectorIndex { dims, ids, collections, documents, codes, scales })
    }
}

/// The tag of a saved [`VectorIndex`].
const VECTORS_TAG: &[u8; 4] = b"WFVC";

/// Exact scores (dot products with `query`) of full vectors, the best `k`,
/// best first (ties by chunk id); vectors of another dimension are left out.
pub fn rank_exactly(
    query: &[f32],
    vectors: impl IntoIterator<Item = (ChunkId, Vec<f32>)>,
    k: usize,
) -> Vec<(ChunkId, f32)> {
    let mut out: Vec<(ChunkId, f32)> = vectors
        .into_iter()
        .filter(|(_, vector)| vector.len() == query.len())
        .map(|(id, vector)| (id, dot(&vector, query)))
        .collect();
    out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    out.truncate(k);
    out
}

/// Appends `vector` as symmetric 8-bit codes and returns its scale
/// (largest magnitude / 127); the rounding error per component is at most scale / 2.
fn quantise_into(vector: &[f32], codes: &mut Vec<i8>) -> f32 {
    let largest = vector.iter().fold(0f32, |m, x| m.max(x.abs()));
    let scale = if largest > 0.0 { largest / 127.0 } else { 1.0 };
    codes.extend(vector.iter().map(|x| (x / scale).round().clamp(-127.0, 127.0) as i8));
    scale
}

/// Candidates kept from the quantised scan for exact re-scoring: the codes'
/// error (vectors and query both quantised: ≲ 0.003 in cosine for 384-dimension
/// unit vectors, at most 0.0022 over 400k random pairs) only reorders near-ties,
/// so a few times `k` is plenty.
fn rescore_pool(k: usize) -> usize {
    (k * 4).max(k + 32)
}

/// Rows scored by one task of the parallel scan.
const ROWS_PER_TASK: usize = 4096;

/// Scores `rows` (8-bit codes, `dims` each) against the query's own 8-bit
/// codes into `out` (each row's scale times the integer dot product; the
/// query's scale is left out, as it does not change the order), compiled for
/// the best instruction set this CPU has (AVX-512 / AVX2, else baseline) by
/// pulp's run-time dispatch; the binary itself targets plain x86-64.
fn score_codes(rows: &[i8], scales: &[f32], query: &[i8], out: &mut [f32]) {
    struct Scan<'a> {
        rows: &'a [i8],
        scales: &'a [f32],
        query: &'a [i8],
        out: &'a mut [f32],
    }
    impl pulp::WithSimd for Scan<'_> {
        type Output = ();
        #[inline(always)]
        fn with_simd<S: pulp::Simd>(self, _: S) {
            let dims = self.query.len();
            for ((row, scale), out) in self.rows.chunks_exact(dims).zip(self.scales).zip(self.out.iter_mut()) {
                *out = scale * dot_codes(row, self.query) as f32;
            }
        }
    }
    pulp::Arch::new().dispatch(Scan { rows, scales, query, out })
}

/// Lanes of partial sums, wide enough for the compiler to use whole vector
/// registers of 16-bit products summed pairwise into 32-bit lanes.
const LANES: usize = 32;

/// Integer dot product of two code vectors. Quantising the query too turns
/// the scan into 8-bit multiplies summed in 32 bits instead of widening every
/// code to f32 (measured on this scan, 100k × 384 codes on two cores: p50
/// 0.7 ms instead of 2.7 ms). No overflow: |sum| ≤ 127² × dims fits i32 for
/// any dims below 133,000.
#[inline(always)]
fn dot_codes(a: &[i8], b: &[i8]) -> i32 {
    let mut acc = [0i32; LANES];
    let (ca, cb) = (a.chunks_exact(LANES), b.chunks_exact(LANES));
    let tail: i32 = ca.remainder().iter().zip(cb.remainder()).map(|(x, y)| i32::from(*x) * i32::from(*y)).sum();
    for (x, y) in ca.zip(cb) {
        for i in 0..LANES {
            acc[i] += i32::from(x[i]) * i32::from(y[i]);
        }
    }
    acc.iter().sum::<i32>() + tail
}

/// Dot product with eight independent accumulators, so the compiler can keep
/// them in SIMD registers (a single running sum cannot be reordered).
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    let tail: f32 = ra.iter().zip(rb).map(|(x, y)| x * y).sum();
    acc.iter().sum::<f32>() + tail
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(v: Vec<f32>) -> Vec<f32> {
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.into_iter().map(|x| x / n).collect()
    }

    #[test]
    fn dot_matches_a_plain_sum() {
        let a: Vec<f32> = (0..389).map(|i| (i as f32 * 0.37).sin()).collect();
        let b: Vec<f32> = (0..389).map(|i| (i as f32 * 0.11).cos()).collect();
        let plain: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert!((dot(&a, &b) - plain).abs() < 1e-3);
    }

    #[test]
    fn quantised_scores_stay_close_to_exact_ones() {
        let rows: Vec<Vec<f32>> =
            (0..50).map(|r| norm((0..384).map(|i| ((i * 7 + r * 13) as f32 * 0.31).sin()).collect())).collect();
        let query = norm((0..384).map(|i| (i as f32 * 0.05).cos()).collect());
        let (mut codes, mut scales) = (Vec::new(), Vec::new());
        for row in &rows {
            scales.push(quantise_into(row, &mut codes));
        }
        let mut query_codes = Vec::new();
        let query_scale = quantise_into(&query, &mut query_codes);
        let mut approx = vec![0f32; rows.len()];
        score_codes(&codes, &scales, &query_codes, &mut approx);
        for (row, a) in rows.iter().zip(&approx) {
            let (exact, a) = (dot(row, &query), a * query_scale);
            assert!((exact - a).abs() < 0.01, "{exact} vs {a}");
        }
    }

    #[test]
    fn candidates_hold_the_exact_best_within_the_filter_and_removals_stick() {
        let rows: Vec<Vec<f32>> =
            (0..300).map(|r| norm((0..24).map(|i| ((i * 5 + r * 11) as f32 * 0.23).sin()).collect())).collect();
        let query = norm((0..24).map(|i| (i as f32 * 0.4).cos()).collect());
        let (kept, other) = (CollectionId::new(), CollectionId::new());
        let document = DocumentId::new();
        let mut index = VectorIndex::with_capacity(24, rows.len());
        for (r, row) in rows.iter().enumerate() {
            index.push(r as i64, if r % 2 == 0 { kept } else { other }, document, row);
        }
        index.remove(&[0, 2, 4].into_iter().collect());
        let filter = ChunkFilter { collections: Some(vec![kept]), documents: None };
        // The best 5 by plain f32 dot products, among even rows not removed.
        let mut expected: Vec<(i64, f32)> = (6..300)
            .step_by(2)
            .map(|r| (r as i64, rows[r].iter().zip(&query).map(|(x, y)| x * y).sum::<f32>()))
            .collect();
        expected.sort_by(|a, b| b.1.total_cmp(&a.1));
        let candidates = index.candidates(&query, &filter, 5);
        assert_eq!(candidates.len(), rescore_pool(5));
        assert!(candidates.iter().all(|id| id % 2 == 0 && *id > 4), "{candidates:?}");
        let exact = rank_exactly(&query, candidates.iter().map(|id| (ChunkId(*id), rows[*id as usize].clone())), 5);
        let ids: Vec<i64> = exact.iter().map(|(c, _)| c.0).collect();
        assert_eq!(ids, expected[..5].iter().map(|(id, _)| *id).collect::<Vec<_>>());
        assert!(exact.iter().zip(&expected).all(|((_, a), (_, b))| (a - b).abs() < 1e-5));
    }

    #[test]
    fn a_saved_copy_restores_to_the_same_candidates() {
        let rows: Vec<Vec<f32>> =
            (0..200).map(|r| norm((0..24).map(|i| ((i * 3 + r * 7) as f32 * 0.19).sin()).collect())).collect();
        let (kept, other) = (CollectionId::new(), CollectionId::new());
        let mut index = VectorIndex::with_capacity(24, rows.len());
        for (r, row) in rows.iter().enumerate() {
            index.push(r as i64, if r % 3 == 0 { other } else { kept }, DocumentId::new(), row);
        }
        let saved = index.saved();
        let restored = VectorIndex::restore(&saved).unwrap();
        assert_eq!(restored.dims(), 24);
        let query = norm((0..24).map(|i| (i as f32 * 0.7).cos()).collect());
        for filter in [ChunkFilter::default(), ChunkFilter { collections: Some(vec![kept]), documents: None }] {
            assert_eq!(restored.candidates(&query, &filter, 5), index.candidates(&query, &filter, 5));
        }
        assert!(VectorIndex::restore(&saved[..saved.len() - 3]).is_err(), "cut short");
        let mut longer = saved.clone();
        longer.push(0);
        assert!(VectorIndex::restore(&longer).is_err(), "trailing bytes");
    }
}
