//! Retrieval quality metrics over graded relevance judgements (BEIR qrels):
//! nDCG@k, recall@k and MRR@k, computed the way the BEIR/pytrec_eval
//! reference computes them so figures compare with published ones.

use std::collections::HashMap;

/// Relevance judgements of one query: document id → grade (> 0 is relevant).
pub type Judgements = HashMap<String, u32>;

/// nDCG@k with the linear gain (`grade / log2(rank + 1)`) pytrec_eval uses.
pub fn ndcg_at(ranked: &[String], judged: &Judgements, k: usize) -> f64 {
    let dcg: f64 = ranked
        .iter()
        .take(k)
        .enumerate()
        .map(|(i, doc)| judged.get(doc).copied().unwrap_or(0) as f64 / ((i + 2) as f64).log2())
        .sum();
    let mut ideal: Vec<u32> = judged.values().copied().filter(|g| *g > 0).collect();
    ideal.sort_unstable_by(|a, b| b.cmp(a));
    let idcg: f64 = ideal.iter().take(k).enumerate().map(|(i, g)| *g as f64 / ((i + 2) as f64).log2()).sum();
    if idcg == 0.0 { 0.0 } else { dcg / idcg }
}

/// Share of the relevant documents found in the first `k`.
pub fn recall_at(ranked: &[String], judged: &Judgements, k: usize) -> f64 {
    let relevant = judged.values().filter(|g| **g > 0).count();
    if relevant == 0 {
        return 0.0;
    }
    let found = ranked.iter().take(k).filter(|d| judged.get(*d).is_some_and(|g| *g > 0)).count();
    found as f64 / relevant as f64
}

/// Reciprocal rank of the first relevant document within `k` (0 if none).
pub fn mrr_at(ranked: &[String], judged: &Judgements, k: usize) -> f64 {
    ranked.iter().take(k).position(|d| judged.get(d).is_some_and(|g| *g > 0)).map_or(0.0, |i| 1.0 / (i + 1) as f64)
}

/// The value at percentile `p` (0–100) of `values`, nearest-rank.
pub fn percentile(values: &mut [f64], p: f64) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(|a, b| a.total_cmp(b));
    let rank = ((p / 100.0) * values.len() as f64).ceil().max(1.0) as usize;
    values[rank.min(values.len()) - 1]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judged(pairs: &[(&str, u32)]) -> Judgements {
        pairs.iter().map(|(d, g)| (d.to_string(), *g)).collect()
    }

    fn ranked(ids: &[&str]) -> Vec<String> {
        ids.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn perfect_and_empty_rankings() {
        let j = judged(&[("a", 1), ("b", 1)]);
        assert!((ndcg_at(&ranked(&["a", "b", "c"]), &j, 10) - 1.0).abs() < 1e-12);
        assert_eq!(ndcg_at(&ranked(&["x", "y"]), &j, 10), 0.0);
        assert_eq!(recall_at(&ranked(&["a", "x"]), &j, 10), 0.5);
        assert_eq!(mrr_at(&ranked(&["x", "b"]), &j, 10), 0.5);
        assert_eq!(mrr_at(&ranked(&["x", "b"]), &j, 1), 0.0);
    }

    #[test]
    fn ndcg_matches_a_hand_computation() {
        // One relevant document at rank 2: DCG = 1/log2(3), IDCG = 1.
        let j = judged(&[("a", 1)]);
        let expected = 1.0 / 3f64.log2();
        assert!((ndcg_at(&ranked(&["x", "a"]), &j, 10) - expected).abs() < 1e-12);
    }

    #[test]
    fn percentiles_use_nearest_rank() {
        let mut v: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&mut v, 50.0), 50.0);
        assert_eq!(percentile(&mut v, 95.0), 95.0);
        assert_eq!(percentile(&mut v, 99.0), 99.0);
    }
}
