//! BM25 ranking over an in-process copy of an organisation's postings.
//!
//! The postings live in the database (`lexical_terms` numbers each
//! organisation's terms; `chunk_postings` holds one row per chunk, its terms
//! as those numbers with their frequencies). Ranking in SQL was too slow at
//! scale: FTS5's `bm25()` costs about 1 µs per matching row and a query with a
//! common word matches most of a large collection (measured at 100k chunks:
//! p50 105 ms, p95 171 ms for 2–6-word queries); summing postings in
//! PostgreSQL is slower still. So a [`Bm25Index`] holds a copy of the postings
//! (term number → chunk positions and tfs) and scores term-at-a-time into an
//! array of one score per chunk, reused across queries: a few hundred thousand
//! additions, under a millisecond at 100k chunks, exact, and the same code and
//! numbers on both backends. A [`Bm25Loader`] builds a copy from the stored
//! rows with no lookup per posting.
//!
//! A removed chunk stays in the copy as a dead position (left out of the
//! statistics, its score never returned) until dead positions are a fifth of
//! the copy, which is then compacted; statistics and scores stay exactly
//! those of a fresh load.

use crate::{
    ranking::{ChunkFilter, FilterSets, TopK},
    saved::{CorruptSavedCopy, Reader, Writer},
};
use std::{cell::RefCell, collections::HashMap};
use wayfinder_knowledge_rules::{ChunkId, CollectionId, DocumentId};

/// BM25 parameters, the usual ones (and FTS5's).
const K1: f32 = 1.2;
const B: f32 = 0.75;

/// One term's postings: chunk positions in the copy, ascending, and term frequencies.
#[derive(Default)]
struct Postings {
    chunks: Vec<u32>,
    tfs: Vec<u16>,
    /// How many of `chunks` are live: the term's document frequency.
    live: u32,
}

/// One organisation's chunks and postings, in memory. Per-chunk vectors are
/// indexed by position; a removed chunk keeps its position until compaction.
#[derive(Default)]
pub struct Bm25Index {
    ids: Vec<i64>,
    collections: Vec<CollectionId>,
    documents: Vec<DocumentId>,
    /// Terms per chunk (with repeats): the BM25 document length.
    lengths: Vec<u32>,
    /// BM25's length normalisation per chunk, k1 · (1 − b + b · length / average
    /// length), kept current for the live chunks so scoring only adds.
    norms: Vec<f32>,
    live: Vec<bool>,
    /// Live chunk id → position.
    positions: HashMap<i64, u32>,
    /// Terms in the live chunks.
    total_terms: u64,
    /// Term → its number in `lexical_terms`, which indexes `postings`.
    term_ids: HashMap<String, u32>,
    postings: Vec<Postings>,
}

/// A chunk written by this process: its terms as (term number, tf).
pub struct ChunkTerms {
    /// The chunk's id.
    pub id: i64,
    /// The collection it belongs to.
    pub collection: CollectionId,
    /// The document it belongs to.
    pub document: DocumentId,
    /// Its terms as (term number, tf), sorted by number.
    pub terms: Vec<(u32, u32)>,
}

/// What one committed transaction did to an organisation's chunks.
pub struct LexicalChange<'a> {
    /// Removed chunks with their stored postings.
    pub removed: &'a [(i64, String)],
    /// Terms numbered by the transaction.
    pub new_terms: &'a [(String, u32)],
    /// Inserted chunks with their terms.
    pub inserted: Vec<ChunkTerms>,
}

impl Bm25Index {
    /// The number `term` has in `lexical_terms`, if the copy knows it.
    pub fn term_number(&self, term: &str) -> Option<u32> {
        self.term_ids.get(term).copied()
    }

    /// The largest term number the copy knows.
    pub fn largest_term_number(&self) -> u32 {
        self.postings.len().saturating_sub(1) as u32
    }

    /// Applies a change; false when the copy turned out not to match what the
    /// change describes (then it must be reloaded).
    pub fn apply(&mut self, change: LexicalChange<'_>) -> bool {
        for (term, id) in change.new_terms {
            self.add_term(term, *id);
        }
        let mut consistent = true;
        for (id, stored) in change.removed {
            consistent &= self.remove_chunk(*id, decode_terms(stored));
        }
        for chunk in change.inserted {
            consistent &= self.add_chunk(chunk.id, chunk.collection, chunk.document, chunk.terms);
        }
        self.refresh_norms();
        self.compact_if_sparse();
        consistent
    }

    /// Registers a term's number.
    fn add_term(&mut self, term: &str, id: u32) {
        self.term_ids.insert(term.to_string(), id);
        if self.postings.len() <= id as usize {
            self.postings.resize_with(id as usize + 1, Postings::default);
        }
    }

    /// Adds a chunk with its (term number, tf) pairs at a new position; false
    /// when its id is already present or a term number is unknown.
    fn add_chunk(
        &mut self,
        id: i64,
        collection: CollectionId,
        document: DocumentId,
        terms: impl IntoIterator<Item = (u32, u32)>,
    ) -> bool {
        let Some(at) = self.new_position(id, collection, document) else { return false };
        let mut length = 0u32;
        let mut known = true;
        for (term, tf) in terms {
            let Some(postings) = self.postings.get_mut(term as usize).filter(|_| term > 0) else {
                known = false;
                continue;
            };
            postings.chunks.push(at);
            postings.tfs.push(clamp_tf(tf));
            postings.live += 1;
            length += tf;
        }
        self.set_length(at, length);
        known
    }

    /// A position for a new chunk (length still 0); `None` when its id is already present.
    fn new_position(&mut self, id: i64, collection: CollectionId, document: DocumentId) -> Option<u32> {
        let at = self.ids.len() as u32;
        if self.positions.insert(id, at).is_some() {
            return None;
        }
        self.ids.push(id);
        self.collections.push(collection);
        self.documents.push(document);
        self.lengths.push(0);
        self.norms.push(0.0);
        self.live.push(true);
        Some(at)
    }

    fn set_length(&mut self, at: u32, length: u32) {
        self.lengths[at as usize] = length;
        self.total_terms += u64::from(length);
    }

    /// Marks a chunk removed; false when it is not in the copy as described.
    fn remove_chunk(&mut self, id: i64, terms: impl IntoIterator<Item = (u32, u32)>) -> bool {
        let Some(at) = self.positions.remove(&id) else { return false };
        let at = at as usize;
        self.live[at] = false;
        self.total_terms -= u64::from(self.lengths[at]);
        let mut known = true;
        for (term, _) in terms {
            match self.postings.get_mut(term as usize) {
                Some(postings) if postings.live > 0 => postings.live -= 1,
                _ => known = false,
            }
        }
        known
    }

    /// Recomputes the length normalisations after the average length changed.
    fn refresh_norms(&mut self) {
        let n = self.positions.len();
        if n == 0 {
            return;
        }
        let avg_length = (self.total_terms as f32 / n as f32).max(1.0);
        for (norm, &length) in self.norms.iter_mut().zip(&self.lengths) {
            *norm = K1 * (1.0 - B + B * length as f32 / avg_length);
        }
    }

    /// Drops dead positions once they are a fifth of the copy, renumbering the
    /// rest in order.
    fn compact_if_sparse(&mut self) {
        let dead = self.ids.len() - self.positions.len();
        if dead == 0 || dead * 5 < self.ids.len() {
            return;
        }
        let live = std::mem::take(&mut self.live);
        let mut renumbered = vec![u32::MAX; live.len()];
        for (next, (at, _)) in live.iter().enumerate().filter(|(_, live)| **live).enumerate() {
            renumbered[at] = next as u32;
        }
        fn keep<T: Copy>(values: &[T], live: &[bool]) -> Vec<T> {
            values.iter().zip(live).filter(|(_, live)| **live).map(|(v, _)| *v).collect()
        }
        self.ids = keep(&self.ids, &live);
        self.collections = keep(&self.collections, &live);
        self.documents = keep(&self.documents, &live);
        self.lengths = keep(&self.lengths, &live);
        self.norms = keep(&self.norms, &live);
        self.live = vec![true; self.ids.len()];
        self.positions = self.ids.iter().enumerate().map(|(at, id)| (*id, at as u32)).collect();
        for postings in &mut self.postings {
            let mut kept = 0;
            for read in 0..postings.chunks.len() {
                let at = renumbered[postings.chunks[read] as usize];
                if at != u32::MAX {
                    postings.chunks[kept] = at;
                    postings.tfs[kept] = postings.tfs[read];
                    kept += 1;
                }
            }
            postings.chunks.truncate(kept);
            postings.tfs.truncate(kept);
        }
    }

    /// The best `k` chunks for `terms` (distinct) within `filter`, best first
    /// (ties by chunk id).
    pub fn rank(&self, terms: &[&str], filter: &ChunkFilter, k: usize) -> Vec<(ChunkId, f32)> {
        let n = self.positions.len();
        if n == 0 {
            return Vec::new();
        }
        SCORES.with_borrow_mut(|scores| {
            scores.clear();
            scores.resize(self.ids.len(), 0.0);
            for term in terms {
                let Some(postings) = self.term_ids.get(*term).map(|id| &self.postings[*id as usize]) else { continue };
                if postings.live == 0 {
                    continue;
                }
                let df = postings.live as f32;
                // As FTS5 does: a term in more than half the chunks still counts a little.
                let idf = (((n as f32) - df + 0.5) / (df + 0.5)).ln().max(1e-6);
                for (&chunk, &tf) in postings.chunks.iter().zip(&postings.tfs) {
                    let (at, tf) = (chunk as usize, f32::from(tf));
                    scores[at] += idf * tf * (K1 + 1.0) / (tf + self.norms[at]);
                }
            }
            let allowed = FilterSets::new(filter);
            let mut best = TopK::new(k);
            for (at, &score) in scores.iter().enumerate() {
                if score > 0.0
                    && best.admits(score)
                    && self.live[at]
                    && allowed.allows(&self.collections[at], &self.documents[at])
                {
                    best.push(score, self.ids[at]);
                }
            }
            best.into_sorted().into_iter().map(|r| (ChunkId(r.id), r.score)).collect()
        })
    }
}

impl Bm25Index {
    /// The copy in its saved form (see [`crate::saved`]), to be read back by
    /// [`Bm25Index::restore`] in another process at the same epoch.
    pub fn saved(&self) -> Vec<u8> {
        let postings: usize = self.postings.iter().map(|p| p.chunks.len()).sum();
        let mut w = Writer::new(LEXICAL_TAG, self.ids.len() * 45 + postings * 6 + self.term_ids.len() * 16);
        w.array(self.ids.iter().copied());
        w.array(self.collections.iter().copied());
        w.array(self.documents.iter().copied());
        w.array(self.lengths.iter().copied());
        w.array(self.live.iter().map(|live| u8::from(*live)));
        let mut terms: Vec<(&String, &u32)> = self.term_ids.iter().collect();
        terms.sort_unstable_by_key(|(_, id)| **id);
        w.array(terms.iter().flat_map(|(term, _)| term.bytes()));
        w.array(terms.iter().map(|(term, _)| term.len() as u32));
        w.array(terms.iter().map(|(_, id)| **id));
        w.array(self.postings.iter().map(|p| p.chunks.len() as u32));
        w.array(self.postings.iter().map(|p| p.live));
        w.array(self.postings.iter().flat_map(|p| p.chunks.iter().copied()));
        w.array(self.postings.iter().flat_map(|p| p.tfs.iter().copied()));
        w.finish()
    }

    /// A copy read back from [`Bm25Index::saved`]; every length, position and
    /// term number is checked against the rest.
    pub fn restore(bytes: &[u8]) -> Result<Bm25Index, CorruptSavedCopy> {
        let mut r = Reader::new(LEXICAL_TAG, bytes)?;
        let ids: Vec<i64> = r.array()?;
        let n = ids.len();
        let collections = r.array_of(n)?;
        let documents = r.array_of(n)?;
        let lengths: Vec<u32> = r.array_of(n)?;
        let live: Vec<bool> = r.array_of::<u8>(n)?.into_iter().map(|b| b != 0).collect();
        let text: Vec<u8> = r.array()?;
        let term_lengths: Vec<u32> = r.array()?;
        let numbers: Vec<u32> = r.array_of(term_lengths.len())?;
        let sizes: Vec<u32> = r.array()?;
        let lives: Vec<u32> = r.array_of(sizes.len())?;
        let total: usize = sizes.iter().map(|s| *s as usize).sum();
        let chunks = r.raw_array_of::<u32>(total)?;
        let tfs = r.raw_array_of::<u16>(total)?;
        r.end()?;
        let text = String::from_utf8(text).map_err(|_| CorruptSavedCopy)?;
        // The postings on one core, the two maps on the other.
        let (postings, maps) = rayon::join(
            || -> Result<Vec<Postings>, CorruptSavedCopy> {
                let mut postings = Vec::with_capacity(sizes.len());
                let mut start = 0usize;
                for (size, live) in sizes.iter().zip(&lives) {
                    let end = start + *size as usize;
                    let chunks = chunks.values(start..end);
                    if *live > *size || chunks.iter().any(|at| *at as usize >= n) {
                        return Err(CorruptSavedCopy);
                    }
                    postings.push(Postings { chunks, tfs: tfs.values(start..end), live: *live });
                    start = end;
                }
                Ok(postings)
            },
            || -> Result<_, CorruptSavedCopy> {
                let mut term_ids = HashMap::with_capacity(numbers.len());
                let mut start = 0usize;
                for (length, number) in term_lengths.iter().zip(&numbers) {
                    let end = start.checked_add(*length as usize).ok_or(CorruptSavedCopy)?;
                    let term = text.get(start..end).ok_or(CorruptSavedCopy)?;
                    if *number as usize >= sizes.len() || term_ids.insert(term.to_string(), *number).is_some() {
                        return Err(CorruptSavedCopy);
                    }
                    start = end;
                }
                if start != text.len() {
                    return Err(CorruptSavedCopy);
                }
                let mut positions = HashMap::with_capacity(n);
                for (at, (id, live)) in ids.iter().zip(&live).enumerate() {
                    if *live && positions.insert(*id, at as u32).is_some() {
                        return Err(CorruptSavedCopy);
                    }
                }
                Ok((term_ids, positions))
            },
        );
        let (postings, (term_ids, positions)) = (postings?, maps?);
        let total_terms = lengths.iter().zip(&live).filter(|(_, live)| **live).map(|(l, _)| u64::from(*l)).sum();
        let mut copy = Bm25Index {
            ids,
            collections,
            documents,
            lengths,
            norms: vec![0.0; n],
            live,
            positions,
            total_terms,
            term_ids,
            postings,
        };
        copy.refresh_norms();
        Ok(copy)
    }
}

/// The tag of a saved [`Bm25Index`].
const LEXICAL_TAG: &[u8; 4] = b"WFLX";

/// Term frequencies are kept in 16 bits; a term repeated more often in one chunk saturates.
fn clamp_tf(tf: u32) -> u16 {
    tf.min(u32::from(u16::MAX)) as u16
}

thread_local! {
    /// One score per chunk position, reused by every query ranked on this
    /// thread instead of allocating and zeroing a fresh array (400 kB at
    /// 100k chunks) per query.
    static SCORES: RefCell<Vec<f32>> = const { RefCell::new(Vec::new()) };
}

/// Counts each term of a chunk once, with its frequency (sorted by term).
pub fn term_frequencies(terms: &[String]) -> Vec<(&str, u32)> {
    let mut counts: HashMap<&str, u32> = HashMap::new();
    for term in terms {
        *counts.entry(term.as_str()).or_default() += 1;
    }
    let mut out: Vec<(&str, u32)> = counts.into_iter().collect();
    out.sort_unstable();
    out
}

/// A chunk's postings in their stored form: `~`, then per term in ascending order
/// its distance from the previous term (doubled, plus one when its frequency is
/// above 1), then that frequency when it is, each number in base-32 digits, least
/// significant first, written with one alphabet for digits that more digits follow
/// and another for a number's last digit. About three characters a posting, where
/// decimal `term tf` pairs took eight: the text a copy's load reads and parses is
/// less than half as long.
pub fn encode_terms(terms: &[(u32, u32)]) -> String {
    let mut sorted = terms.to_vec();
    sorted.sort_unstable();
    let mut out = String::with_capacity(1 + sorted.len() * 4);
    out.push(COMPACT_MARK);
    let mut previous = 0u32;
    for (term, tf) in sorted {
        let gap = u64::from(term - previous);
        push_number(&mut out, gap << 1 | u64::from(tf > 1));
        if tf > 1 {
            push_number(&mut out, u64::from(tf));
        }
        previous = term;
    }
    out
}

/// The first character of the compact stored form; the older form (decimal
/// `term tf` pairs) starts with a digit, and both are read.
const COMPACT_MARK: char = '~';
/// Base-32 digits that more digits follow, and a number's last digit (both
/// plain ASCII, nothing SQL or JSON escapes).
const MORE_DIGITS: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz!#$%&*";
const LAST_DIGITS: &[u8; 32] = b"0123456789ABCDEFGHIJKLMNOPQRSTUV";

fn push_number(out: &mut String, mut value: u64) {
    while value >= 32 {
        out.push(MORE_DIGITS[(value & 31) as usize] as char);
        value >>= 5;
    }
    out.push(LAST_DIGITS[value as usize] as char);
}

/// Per byte: its digit value, `LAST` when it ends a number, `INVALID` when it is no digit.
const DIGITS: [u8; 256] = {
    let mut table = [INVALID; 256];
    let mut d = 0;
    while d < 32 {
        table[MORE_DIGITS[d] as usize] = d as u8;
        table[LAST_DIGITS[d] as usize] = d as u8 | LAST;
        d += 1;
    }
    table
};
const LAST: u8 = 0x40;
const INVALID: u8 = 0x80;

/// The stored form back as (term number, tf) pairs; a malformed pair is
/// reported as term 0, which no term has, so the copy is found inconsistent.
/// Parsed byte by byte: this runs for every posting of a load, and `str`
/// splitting and parsing cost several times more.
pub fn decode_terms(stored: &str) -> impl Iterator<Item = (u32, u32)> {
    StoredTerms { bytes: stored.as_bytes(), at: usize::from(stored.starts_with(COMPACT_MARK)), previous: 0 }
        .compact(stored.starts_with(COMPACT_MARK))
}

/// A cursor over a stored postings string.
struct StoredTerms<'a> {
    bytes: &'a [u8],
    at: usize,
    previous: u32,
}

impl<'a> StoredTerms<'a> {
    fn compact(mut self, compact: bool) -> impl Iterator<Item = (u32, u32)> + 'a {
        std::iter::from_fn(move || if compact { self.next_compact() } else { self.next_decimal() })
    }

    /// The next pair of the compact form.
    fn next_compact(&mut self) -> Option<(u32, u32)> {
        if self.at >= self.bytes.len() {
            return None;
        }
        let pair = self.base32().and_then(|coded| {
            let term = u32::try_from(u64::from(self.previous) + (coded >> 1)).ok()?;
            let tf = if coded & 1 == 1 { u32::try_from(self.base32()?).ok()? } else { 1 };
            self.previous = term;
            Some((term, tf))
        });
        match pair {
            Some(pair) => Some(pair),
            None => {
                self.at = self.bytes.len();
                Some((0, 0))
            }
        }
    }

    fn base32(&mut self) -> Option<u64> {
        let (mut value, mut shift) = (0u64, 0u32);
        loop {
            let digit = DIGITS[*self.bytes.get(self.at)? as usize];
            self.at += 1;
            if digit & INVALID != 0 || shift > 35 {
                return None;
            }
            value |= u64::from(digit & 31) << shift;
            if digit & LAST != 0 {
                return Some(value);
            }
            shift += 5;
        }
    }

    /// The next pair of the decimal form.
    fn next_decimal(&mut self) -> Option<(u32, u32)> {
        let term = self.decimal()?;
        Some(match (term, self.decimal().flatten()) {
            (Some(term), Some(tf)) => (term, tf),
            _ => (0, 0),
        })
    }

    fn decimal(&mut self) -> Option<Option<u32>> {
        while self.bytes.get(self.at) == Some(&b' ') {
            self.at += 1;
        }
        self.bytes.get(self.at)?;
        let mut value: Option<u32> = Some(0);
        while let Some(&byte) = self.bytes.get(self.at).filter(|b| **b != b' ') {
            self.at += 1;
            let digit = byte.wrapping_sub(b'0');
            value = value.filter(|_| digit < 10).and_then(|v| v.checked_mul(10)?.checked_add(u32::from(digit)));
        }
        Some(value)
    }
}

/// A chunk's stored postings that do not fit the copy being loaded: a repeated
/// chunk id, or a term number `lexical_terms` does not have.
#[derive(Debug, PartialEq, Eq)]
pub struct CorruptPostings;

/// A copy being loaded from the stored rows, page by page. Rows come chunk by
/// chunk, postings are kept term by term: appending each posting to its term's
/// list touched a different list, out of cache, per posting (most of the load
/// time). So each page's postings are first grouped by term (a counting sort)
/// and then appended one run per term.
pub struct Bm25Loader {
    copy: Bm25Index,
    /// The page's postings in row order, then grouped by term.
    page: Vec<(u32, u32, u16)>,
    grouped: Vec<(u32, u16)>,
    /// Per term number: the page's postings of the term, then where its run ends; zero between pages.
    counts: Vec<u32>,
    /// The term numbers the page uses.
    used: Vec<u32>,
}

impl Bm25Loader {
    /// Starts a copy of an organisation whose terms are numbered as `terms` says.
    pub fn new(terms: Vec<(String, i64)>) -> Self {
        let mut copy = Bm25Index::default();
        let largest = terms.iter().map(|(_, id)| *id).max().unwrap_or(0).max(0) as usize;
        copy.postings.resize_with(largest + 1, Postings::default);
        copy.term_ids = terms.into_iter().map(|(term, id)| (term, id as u32)).collect();
        let (page, grouped, counts, used) = (Vec::new(), Vec::new(), vec![0; largest + 1], Vec::new());
        Bm25Loader { copy, page, grouped, counts, used }
    }

    /// Adds one stored chunk row (its postings in the stored form) to the
    /// current page.
    pub fn add_chunk(
        &mut self,
        id: i64,
        collection: CollectionId,
        document: DocumentId,
        stored: &str,
    ) -> Result<(), CorruptPostings> {
        let at = self.copy.new_position(id, collection, document).ok_or(CorruptPostings)?;
        let mut length = 0;
        for (term, tf) in decode_terms(stored) {
            let count = self.counts.get_mut(term as usize).filter(|_| term > 0).ok_or(CorruptPostings)?;
            if *count == 0 {
                self.used.push(term);
            }
            *count += 1;
            self.page.push((term, at, clamp_tf(tf)));
            length += tf;
        }
        self.copy.set_length(at, length);
        Ok(())
    }

    /// Moves the page's postings into the copy, one run per term, positions
    /// still ascending within each run.
    pub fn end_page(&mut self) {
        // Runs are laid out in the order the terms were first used; each
        // term's count becomes where its run ends…
        let mut end = 0;
        for &term in &self.used {
            end += self.counts[term as usize];
            self.counts[term as usize] = end;
        }
        // …and, filled from the back so rows keep their order, where it starts.
        self.grouped.clear();
        self.grouped.resize(self.page.len(), (0, 0));
        for &(term, at, tf) in self.page.iter().rev() {
            let slot = &mut self.counts[term as usize];
            *slot -= 1;
            self.grouped[*slot as usize] = (at, tf);
        }
        for (i, &term) in self.used.iter().enumerate() {
            let start = self.counts[term as usize] as usize;
            let end = self.used.get(i + 1).map_or(self.grouped.len(), |next| self.counts[*next as usize] as usize);
            let postings = &mut self.copy.postings[term as usize];
            postings.chunks.extend(self.grouped[start..end].iter().map(|(at, _)| *at));
            postings.tfs.extend(self.grouped[start..end].iter().map(|(_, tf)| *tf));
            postings.live += (end - start) as u32;
        }
        for &term in &self.used {
            self.counts[term as usize] = 0;
        }
        self.page.clear();
        self.used.clear();
    }

    /// The finished copy (a page not ended is ended first).
    pub fn finish(mut self) -> Bm25Index {
        self.end_page();
        self.copy.refresh_norms();
        self.copy
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A copy under construction from chunks given as words; terms are numbered on first sight.
    #[derive(Default)]
    struct Corpus {
        copy: Bm25Index,
        chunks: Vec<(i64, Vec<(u32, u32)>)>,
    }

    impl Corpus {
        fn add(&mut self, id: i64, words: &[&str]) {
            let words: Vec<String> = words.iter().map(|w| w.to_string()).collect();
            let mut terms = Vec::new();
            for (word, tf) in term_frequencies(&words) {
                let next = self.copy.term_ids.len() as u32 + 1;
                let term = *self.copy.term_ids.get(word).unwrap_or(&next);
                if term == next {
                    self.copy.add_term(word, term);
                }
                terms.push((term, tf));
            }
            assert!(self.copy.add_chunk(id, CollectionId::default(), DocumentId::default(), terms.clone()));
            self.copy.refresh_norms();
            self.chunks.push((id, terms));
        }

        fn remove(&mut self, id: i64) {
            let (_, terms) = self.chunks.iter().find(|(c, _)| *c == id).unwrap();
            assert!(self.copy.remove_chunk(id, terms.clone()));
            self.copy.refresh_norms();
            self.copy.compact_if_sparse();
        }
    }

    fn words(i: usize) -> Vec<&'static str> {
        const WORDS: [&str; 8] = ["memori", "sleep", "review", "note", "space", "recal", "test", "card"];
        (0..3 + i % 7).map(|j| WORDS[(i * 3 + j * j) % WORDS.len()]).collect()
    }

    #[test]
    fn ranks_by_bm25_with_rarer_and_repeated_terms_first() {
        let mut corpus = Corpus::default();
        corpus.add(1, &["memori", "sleep", "review"]);
        corpus.add(2, &["memori", "memori", "memori", "review"]);
        corpus.add(3, &["review", "note"]);
        corpus.add(4, &["note", "sleep"]);
        let copy = &corpus.copy;
        let ranked = copy.rank(&["memori", "review"], &ChunkFilter::default(), 10);
        let ids: Vec<i64> = ranked.iter().map(|(c, _)| c.0).collect();
        // "review" is in 3 of 4 chunks (idf clamped near zero); "memori" decides, tf 3 beats tf 1.
        assert_eq!(ids, vec![2, 1, 3]);
        assert!(ranked[0].1 > ranked[1].1 && ranked[1].1 > ranked[2].1);
        assert_eq!(copy.rank(&["absent"], &ChunkFilter::default(), 10), vec![]);
        assert_eq!(copy.rank(&["memori", "review"], &ChunkFilter::default(), 1).len(), 1);
    }

    #[test]
    fn stored_postings_round_trip() {
        let stored = encode_terms(&[(3, 1), (12, 2), (7, 1), (40_000, 1), (40_031, 300)]);
        // 3: gap 3 → 6 ("6"); 7: gap 4 → 8; 12: gap 5, tf 2 → 11 ("B"), 2 ("2");
        // 40,000: gap 39,988 → 79,976 = 8 + 3·32 + 14·32² + 2·32³ ("ido2");
        // 40,031: gap 31, tf 300 → 63 = 31 + 1·32 ("*1"), 300 = 12 + 9·32 ("m9").
        assert_eq!(stored, "~68B2ido2*1m9");
        let pairs = vec![(3, 1), (7, 1), (12, 2), (40_000, 1), (40_031, 300)];
        assert_eq!(decode_terms(&stored).collect::<Vec<_>>(), pairs);
        assert_eq!(decode_terms(&encode_terms(&[])).count(), 0);
        assert_eq!(
            decode_terms(&encode_terms(&[(u32::MAX, u32::MAX)])).collect::<Vec<_>>(),
            vec![(u32::MAX, u32::MAX)]
        );
        // A stray character, a number cut short, a missing tf, a term past u32, a number past 64 bits.
        for malformed in ["~6x", "~6b", "~7", "~*******V1", "~kkkkkkkkkkkk0"] {
            assert!(decode_terms(malformed).any(|pair| pair == (0, 0)), "{malformed:?} is reported, not dropped");
        }
    }

    /// Postings written before the compact form are read as they were.
    #[test]
    fn decimal_stored_postings_still_read() {
        assert_eq!(decode_terms("3 1 12 2 7 1").collect::<Vec<_>>(), vec![(3, 1), (12, 2), (7, 1)]);
        assert_eq!(decode_terms("").count(), 0);
        for malformed in ["3 x", "3", "3 1 -4 1", "99999999999 1"] {
            assert!(decode_terms(malformed).any(|pair| pair == (0, 0)), "{malformed:?} is reported, not dropped");
        }
    }

    #[test]
    fn removals_in_place_rank_exactly_like_a_fresh_copy() {
        let mut in_place = Corpus::default();
        for i in 0..40 {
            in_place.add(i as i64 + 1, &words(i));
        }
        let queries: [&[&str]; 4] =
            [&["memori"], &["card", "sleep"], &["note", "review", "test"], &["absent", "space"]];
        // Every third chunk goes: three of them (below the compaction threshold), then the rest (past it).
        let removed: Vec<usize> = (0..40).filter(|i| i % 3 == 0).collect();
        for gone in [&removed[..3], &removed[..]] {
            for id in gone.iter().map(|i| *i as i64 + 1) {
                if in_place.copy.positions.contains_key(&id) {
                    in_place.remove(id);
                }
            }
            let mut fresh = Corpus::default();
            for i in (0..40).filter(|i| !gone.contains(i)) {
                fresh.add(i as i64 + 1, &words(i));
            }
            for query in queries {
                let filter = ChunkFilter::default();
                assert_eq!(in_place.copy.rank(query, &filter, 50), fresh.copy.rank(query, &filter, 50), "{query:?}");
            }
        }
        let (positions, live) = (in_place.copy.ids.len(), in_place.copy.positions.len());
        assert_eq!(live, 40 - removed.len());
        assert!(positions < 40 && (positions - live) * 5 < positions, "compacted whenever a fifth was dead");
        assert!(!in_place.copy.remove_chunk(1, Vec::new()), "already removed");
    }

    #[test]
    fn a_loaded_copy_ranks_like_one_built_chunk_by_chunk() {
        let mut built = Corpus::default();
        for i in 0..30 {
            built.add(i as i64 + 1, &words(i));
        }
        let terms: Vec<(String, i64)> = built.copy.term_ids.iter().map(|(t, id)| (t.clone(), i64::from(*id))).collect();
        let mut loader = Bm25Loader::new(terms);
        // Pages of 7 rows, the last one short and left to `finish`.
        for (i, (id, chunk_terms)) in built.chunks.iter().enumerate() {
            let stored = encode_terms(chunk_terms);
            loader.add_chunk(*id, CollectionId::default(), DocumentId::default(), &stored).unwrap();
            if i % 7 == 6 {
                loader.end_page();
            }
        }
        let loaded = loader.finish();
        for query in [&["memori"][..], &["card", "sleep"], &["note", "review", "test"]] {
            let filter = ChunkFilter::default();
            assert_eq!(loaded.rank(query, &filter, 50), built.copy.rank(query, &filter, 50), "{query:?}");
        }
        let mut corrupt = Bm25Loader::new(vec![("memori".into(), 1)]);
        assert_eq!(corrupt.add_chunk(1, CollectionId::default(), DocumentId::default(), "1 2"), Ok(()));
        assert_eq!(corrupt.add_chunk(1, CollectionId::default(), DocumentId::default(), "1 1"), Err(CorruptPostings));
        assert_eq!(corrupt.add_chunk(2, CollectionId::default(), DocumentId::default(), "5 1"), Err(CorruptPostings));
    }

    #[test]
    fn a_saved_copy_restores_to_one_that_ranks_and_changes_alike() {
        let mut corpus = Corpus::default();
        for i in 0..30 {
            corpus.add(i as i64 + 1, &words(i));
        }
        // Two removals, below the compaction threshold: dead positions are saved too.
        corpus.remove(4);
        corpus.remove(9);
        let saved = corpus.copy.saved();
        let mut restored = Bm25Index::restore(&saved).unwrap();
        let queries: [&[&str]; 3] = [&["memori"], &["card", "sleep"], &["note", "review", "test"]];
        for query in queries {
            let filter = ChunkFilter::default();
            assert_eq!(restored.rank(query, &filter, 50), corpus.copy.rank(query, &filter, 50), "{query:?}");
        }
        assert_eq!(restored.term_number("sleep"), corpus.copy.term_number("sleep"));
        assert_eq!(restored.largest_term_number(), corpus.copy.largest_term_number());
        // The restored copy takes later changes like the original.
        let (_, terms) = corpus.chunks.iter().find(|(id, _)| *id == 7).unwrap().clone();
        let stored = encode_terms(&terms);
        let removal = [(7i64, stored)];
        let change = || LexicalChange { removed: &removal, new_terms: &[], inserted: Vec::new() };
        assert!(restored.apply(change()));
        assert!(corpus.copy.apply(change()));
        for query in queries {
            let filter = ChunkFilter::default();
            assert_eq!(restored.rank(query, &filter, 50), corpus.copy.rank(query, &filter, 50), "{query:?}");
        }

        // Damage anywhere is reported: cut short, a byte flipped in the tag, a posting past the chunks.
        assert!(Bm25Index::restore(&saved[..saved.len() - 1]).is_err());
        let mut bad_tag = saved.clone();
        bad_tag[0] ^= 1;
        assert!(Bm25Index::restore(&bad_tag).is_err());
        let mut past = corpus.copy.saved();
        // The tfs array is last (2 bytes each), after the chunk positions (4 bytes each).
        let total: usize = corpus.copy.postings.iter().map(|p| p.chunks.len()).sum();
        let last_chunk = past.len() - total * 2 - 8 - 4;
        past[last_chunk..last_chunk + 4].copy_from_slice(&1000u32.to_le_bytes());
        assert!(Bm25Index::restore(&past).is_err());
    }
}
