//! Fusing a lexical and a dense ranking into one. Two methods, chosen by
//! measurement (`wayfinder eval retrieval`): reciprocal-rank fusion, which
//! uses only ranks, and a convex combination of min-max normalised scores,
//! which also uses how far apart the scores are.

use crate::ChunkId;
use std::collections::HashMap;

/// How to combine two rankings.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Fusion {
    /// Reciprocal-rank fusion: Σ 1 / (k + rank).
    Rrf { k: f32 },
    /// `weight × dense + (1 − weight) × lexical`, each min-max normalised over its list.
    Convex { dense_weight: f32 },
}

impl Default for Fusion {
    fn default() -> Self {
        Fusion::Convex { dense_weight: 0.5 }
    }
}

/// Fuses rankings (each best first) into one, best first, at most `k`.
pub fn fuse(lexical: &[(ChunkId, f32)], dense: &[(ChunkId, f32)], fusion: Fusion, k: usize) -> Vec<(ChunkId, f32)> {
    let mut scores: HashMap<ChunkId, f32> = HashMap::new();
    match fusion {
        Fusion::Rrf { k: constant } => {
            for list in [lexical, dense] {
                for (rank, (id, _)) in list.iter().enumerate() {
                    *scores.entry(*id).or_default() += 1.0 / (constant + rank as f32 + 1.0);
                }
            }
        }
        Fusion::Convex { dense_weight } => {
            for (list, weight) in [(lexical, 1.0 - dense_weight), (dense, dense_weight)] {
                let (lo, hi) =
                    list.iter().fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), (_, s)| (lo.min(*s), hi.max(*s)));
                let span = hi - lo;
                for (id, score) in list {
                    let normalised = if span > f32::EPSILON { (score - lo) / span } else { 1.0 };
                    *scores.entry(*id).or_default() += weight * normalised;
                }
            }
        }
    }
    let mut fused: Vec<(ChunkId, f32)> = scores.into_iter().collect();
    fused.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
    fused.truncate(k);
    fused
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(list: &[(ChunkId, f32)]) -> Vec<i64> {
        list.iter().map(|(c, _)| c.0).collect()
    }

    #[test]
    fn agreement_ranks_first_and_k_limits() {
        let lexical = [(ChunkId(1), 9.0), (ChunkId(2), 5.0), (ChunkId(3), 1.0)];
        let dense = [(ChunkId(2), 0.9), (ChunkId(4), 0.8), (ChunkId(1), 0.1)];
        for fusion in [Fusion::Rrf { k: 60.0 }, Fusion::Convex { dense_weight: 0.5 }] {
            let fused = fuse(&lexical, &dense, fusion, 3);
            assert_eq!(fused.len(), 3);
            assert!(ids(&fused)[..2].contains(&2) && ids(&fused)[..2].contains(&1), "{fusion:?}: {fused:?}");
        }
    }

    #[test]
    fn one_sided_input_keeps_its_order() {
        let lexical = [(ChunkId(7), 3.0), (ChunkId(8), 2.0), (ChunkId(9), 1.0)];
        assert_eq!(ids(&fuse(&lexical, &[], Fusion::default(), 10)), vec![7, 8, 9]);
        assert_eq!(ids(&fuse(&[], &lexical, Fusion::Rrf { k: 60.0 }, 2)), vec![7, 8]);
    }

    #[test]
    fn convex_weight_decides_between_disagreeing_lists() {
        let lexical = [(ChunkId(1), 10.0), (ChunkId(2), 0.0)];
        let dense = [(ChunkId(2), 1.0), (ChunkId(1), 0.0)];
        assert_eq!(ids(&fuse(&lexical, &dense, Fusion::Convex { dense_weight: 0.8 }, 1)), vec![2]);
        assert_eq!(ids(&fuse(&lexical, &dense, Fusion::Convex { dense_weight: 0.2 }, 1)), vec![1]);
    }
}
