//! What the in-process rankings (BM25 and the vector scan) share: the
//! filter check per chunk and a bounded best-k selection.

use crate::ChunkFilter;
use std::{cmp::Ordering, collections::BinaryHeap, collections::HashSet};
use wayfinder_knowledge::{CollectionId, DocumentId};

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

/// A scored chunk, ordered best first (higher score, then lower id), so a
/// max-heap's top is the worst kept.
pub(crate) struct Scored {
    pub score: f32,
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

/// The best `k` chunks offered to it.
pub(crate) struct TopK {
    heap: BinaryHeap<Scored>,
    k: usize,
}

impl TopK {
    pub(crate) fn new(k: usize) -> Self {
        TopK { heap: BinaryHeap::with_capacity(k + 1), k }
    }

    /// Whether `score` could enter (cheap check before any further work).
    pub(crate) fn admits(&self, score: f32) -> bool {
        self.heap.len() < self.k || self.heap.peek().is_some_and(|worst| score >= worst.score)
    }

    pub(crate) fn push(&mut self, score: f32, id: i64) {
        self.heap.push(Scored { score, id });
        if self.heap.len() > self.k {
            self.heap.pop();
        }
    }

    /// The kept chunks, best first.
    pub(crate) fn into_sorted(self) -> Vec<Scored> {
        self.heap.into_sorted_vec()
    }
}
