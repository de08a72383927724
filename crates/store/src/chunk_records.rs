//! Chunk records a search returns, kept in memory between searches.
//!
//! A search ranks over this process's BM25 copy in microseconds; reading the
//! hundred chunks it returns from the database took longer than the ranking
//! (a statement on SQLite's worker thread and a JSON array of the rows). The
//! records are kept here, bounded by their size, under the lexical epoch the
//! ranking was checked at: a chunk's row never changes once written (a new
//! version of a document is new chunks), and every transaction that adds or
//! removes chunks bumps that epoch, so a record found under the epoch a
//! search has just seen is what the database holds. Records of older epochs
//! are never asked for again and make way as newer ones arrive.

use crate::{ChunkRecord, Store, StoreResult};
use quick_cache::{Weighter, sync::Cache};
use std::sync::Arc;
use wayfinder_accounts_rules::OrgId;
use wayfinder_knowledge_rules::ChunkId;

/// The most memory the kept records take, text and fields counted.
const BUDGET_BYTES: u64 = 16 * 1024 * 1024;

/// About how many records fit in the budget (the cache sizes its tables from it).
const EXPECTED_RECORDS: usize = 12_000;

/// The lexical epoch a ranking was checked at: records kept under it are
/// current for that search. Only [`Store::lexical_search`] makes one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LexicalEpoch(pub(crate) i64);

/// Where a record is kept: its organisation, the epoch it was read at, its id.
type RecordKey = (OrgId, i64, i64);

/// The records themselves, weighed by their size.
pub(crate) struct ChunkRecords {
    cache: Cache<RecordKey, Arc<ChunkRecord>, RecordSize>,
}

impl Default for ChunkRecords {
    fn default() -> Self {
        ChunkRecords { cache: Cache::with_weighter(EXPECTED_RECORDS, BUDGET_BYTES, RecordSize) }
    }
}

impl std::fmt::Debug for ChunkRecords {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ChunkRecords({} kept, {} bytes)", self.cache.len(), self.cache.weight())
    }
}

/// A record's weight: its strings' bytes and the struct around them.
#[derive(Clone)]
struct RecordSize;

impl Weighter<RecordKey, Arc<ChunkRecord>> for RecordSize {
    fn weight(&self, _key: &RecordKey, record: &Arc<ChunkRecord>) -> u64 {
        let strings = record.text.len()
            + record.document_title.len()
            + record.source_name.len()
            + record.section_path.iter().chain(&record.domains).map(String::len).sum::<usize>();
        (strings + std::mem::size_of::<ChunkRecord>() + 64) as u64
    }
}

impl Store {
    /// Chunks by id in the order asked, as [`Store::chunks`], for a search
    /// whose lexical ranking saw the database at `seen`: records kept under
    /// that epoch come from memory, the others from the database (and are
    /// kept for the next search).
    pub async fn chunks_seen_at(
        &self,
        org: OrgId,
        seen: LexicalEpoch,
        ids: &[ChunkId],
    ) -> StoreResult<Vec<ChunkRecord>> {
        let kept: Vec<Option<Arc<ChunkRecord>>> =
            ids.iter().map(|id| self.chunk_records.cache.get(&(org, seen.0, id.0))).collect();
        let missing: Vec<ChunkId> = ids.iter().zip(&kept).filter(|(_, k)| k.is_none()).map(|(id, _)| *id).collect();
        let mut read = self.chunks(org, &missing).await?.into_iter().peekable();
        let mut records = Vec::with_capacity(ids.len());
        for (id, kept) in ids.iter().zip(kept) {
            match kept {
                Some(record) => records.push(ChunkRecord::clone(&record)),
                // `chunks` keeps the order asked and leaves out ids that are gone.
                None => {
                    if let Some(record) = read.next_if(|r| r.id == *id) {
                        self.chunk_records.cache.insert((org, seen.0, id.0), Arc::new(record.clone()));
                        records.push(record);
                    }
                }
            }
        }
        Ok(records)
    }
}
