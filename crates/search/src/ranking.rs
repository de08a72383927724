//! What the rankings (BM25 and the vector scan) share: the chunk filter, its
//! check per chunk, and a bounded best-k selection.

use std::{cmp::Ordering, collections::HashSet};
use wayfinder_knowledge_rules::{CollectionId, DocumentId};

/// Which chunks a search may return (always inside one organisation).
#[derive(Clone, Debug, Default)]
pub struct ChunkFilter {
    /// Only these collections (`None`: all of the organisation's).
    pub collections: Option<Vec<CollectionId>>,
    /// Only these documents (`None`: all); domain filters arrive resolved to documents.
    pub documents: Option<Vec<DocumentId>>,
}

/// A chunk filter as sets, for checking many chunks.
pub(crate) struct FilterSets {
    collections: Option<HashSet<CollectionId>>,
    documents: Option<HashSet<DocumentId>>,
}

impl FilterSets {
    pub(crate) fn new(filter: &ChunkFilter) -> Self {
        FilterSets {
            collections: filter.collections.as_ref().map(|c| c.iter().copied().collect()),
            documents: filter.documents.as_ref().map(|d| d.iter().copied().collect()),
        }
    }

    /// Whether a chunk of this collection and document may be returned.
    pub(crate) fn allows(&self, collection: &CollectionId, document: &DocumentId) -> bool {
        self.collections.as_ref().is_none_or(|c| c.contains(collection))
            && self.documents.as_ref().is_none_or(|d| d.contains(document))
    }
}

/// A scored chunk, ordered best first (higher score, then lower id).
pub struct Scored {
    /// The ranking's score (higher is better).
    pub score: f32,
    /// The chunk's id.
    pub id: i64,
}
impl PartialEq for Scored {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Scored {}
impl PartialOrd for Scored {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Scored {
    fn cmp(&self, other: &Self) -> Ordering {
        other.score.total_cmp(&self.score).then(self.id.cmp(&other.id))
    }
}

/// The best `k` chunks offered to it. Candidates collect in a buffer of up to
/// 2k that is cut back to the best k (a linear selection) whenever it fills;
/// a binary heap paid a logarithmic pop for every admitted candidate, which
/// was a sixth of a hybrid search's time at 100k chunks (k = 200 candidates
/// per vector-scan task).
pub struct TopK {
    kept: Vec<Scored>,
    k: usize,
    /// The k-th best score at the last cut: anything lower cannot make the best k.
    floor: f32,
}

impl TopK {
    /// An empty selection of at most `k`.
    pub fn new(k: usize) -> Self {
        TopK { kept: Vec::with_capacity(2 * k), k, floor: f32::NEG_INFINITY }
    }

    /// Whether `score` could enter (cheap check before any further work).
    pub fn admits(&self, score: f32) -> bool {
        self.k > 0 && score >= self.floor
    }

    /// Offers a chunk.
    pub fn push(&mut self, score: f32, id: i64) {
        if !self.admits(score) {
            return;
        }
        self.kept.push(Scored { score, id });
        if self.kept.len() >= 2 * self.k {
            self.cut();
        }
    }

    /// Keeps the best k.
    fn cut(&mut self) {
        if self.kept.len() > self.k {
            self.kept.select_nth_unstable(self.k - 1);
            self.kept.truncate(self.k);
            self.floor = self.kept[self.k - 1].score;
        }
    }

    /// The kept chunks, best first.
    pub fn into_sorted(mut self) -> Vec<Scored> {
        self.kept.sort_unstable();
        self.kept.truncate(self.k);
        self.kept
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_best_k_by_score_then_lower_id() {
        let mut best = TopK::new(3);
        // Many candidates, with ties, in an order that makes the buffer cut several times.
        for i in 0..50i64 {
            best.push(((i * 37) % 11) as f32, i);
        }
        let kept: Vec<(f32, i64)> = best.into_sorted().into_iter().map(|s| (s.score, s.id)).collect();
        // The top score, 10, is reached by i = 8, 19, 30 and 41: ties go to the lower ids.
        assert_eq!(kept, vec![(10.0, 8), (10.0, 19), (10.0, 30)]);
        let mut none = TopK::new(0);
        none.push(1.0, 1);
        assert!(none.into_sorted().is_empty());
    }

    #[test]
    fn filter_sets_allow_only_the_listed_collections_and_documents() {
        let (c1, c2) = (CollectionId::new(), CollectionId::new());
        let (d1, d2) = (DocumentId::new(), DocumentId::new());
        assert!(FilterSets::new(&ChunkFilter::default()).allows(&c2, &d2));
        let filter = ChunkFilter { collections: Some(vec![c1]), documents: Some(vec![d1]) };
        let sets = FilterSets::new(&filter);
        assert!(sets.allows(&c1, &d1));
        assert!(!sets.allows(&c2, &d1));
        assert!(!sets.allows(&c1, &d2));
    }
}
