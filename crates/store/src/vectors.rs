//! Chunk vectors in storage and nearest-neighbour search. The two backends
//! run dense search differently, behind [`DenseIndex`]: PostgreSQL asks
//! pgvector's HNSW index (`vectors/postgres.rs`); SQLite keeps the vectors as
//! blobs in `chunk_vectors` and scans an in-process copy with
//! [`wayfinder_search::VectorIndex`], re-scoring the best candidates exactly
//! from the blobs (`vectors/sqlite.rs`). The copy is kept in step with the
//! table: every transaction that changes an organisation's vectors bumps
//! `vector_epochs`, and a process whose copy is from another epoch reloads it
//! (its own inserts and deletions are applied in place).

mod postgres;
mod sqlite;

use crate::{ChunkFilter, Pool, Store, StoreError, StoreResult, knowledge::KnowledgeWrites, saved_copies::SavedCopy};
use postgres::PgVectors;
use sqlite::SqliteVectors;
use std::collections::HashSet;
use wayfinder_accounts_rules::OrgId;
use wayfinder_knowledge_rules::{ChunkId, CollectionId};

/// How one backend stores vectors and finds the nearest ones: the part of
/// dense search that differs between the backends, one implementation each.
pub(crate) trait DenseIndex {
    /// Stores vectors (all of `model`, all of `dims` components) for chunks of
    /// one collection; chunks that no longer exist are skipped.
    async fn put(
        &self,
        org: OrgId,
        collection: CollectionId,
        model: &str,
        dims: usize,
        vectors: &[(ChunkId, Vec<f32>)],
    ) -> StoreResult<()>;

    /// The nearest chunks to `query` (a non-empty unit vector of `model`),
    /// best first, at most `k` (at least 1).
    async fn nearest(
        &self,
        org: OrgId,
        model: &str,
        query: &[f32],
        filter: &ChunkFilter,
        k: usize,
    ) -> StoreResult<Vec<(ChunkId, f32)>>;
}

/// How a batch of vector writes reaches PostgreSQL's search index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VectorLoad {
    /// Each vector joins the organisation's HNSW graph as it is written.
    Incremental,
    /// The organisation's graph was dropped for the load and is built once at its end
    /// ([`Store::finish_vector_load`]); meanwhile its searches scan exactly.
    IndexDeferred,
}

/// A load defers the index only when it is at least this large...
pub const DEFER_INDEX_MIN_VECTORS: i64 = 2_000;

/// ...and at least as large as what the organisation already holds: one build over
/// everything then costs less than inserting the new vectors one by one (pgvector's
/// build is several times faster per vector than its inserts, and runs in parallel).
pub fn defers_index(existing: i64, incoming: i64) -> bool {
    incoming >= DEFER_INDEX_MIN_VECTORS && incoming >= existing
}

/// PostgreSQL's HNSW indexes as this process knows them: one per organisation and
/// vector size, so one organisation's bulk load never touches another's graph.
#[derive(Debug, Default)]
pub(crate) struct HnswIndexes {
    /// Known to exist.
    pub built: HashSet<(OrgId, usize)>,
    /// Dropped for a load this process is running; not re-created by writes.
    pub deferred: HashSet<(OrgId, usize)>,
}

impl Store {
    /// Call before writing `incoming` vectors of `dims` dimensions for an organisation.
    /// On PostgreSQL a load that at least doubles the organisation's vectors (see
    /// [`defers_index`]) drops its HNSW index, so rows go in without graph inserts;
    /// [`Store::finish_vector_load`] must follow, also when the load fails. SQLite keeps
    /// its vectors in each process's copy and has nothing to defer.
    pub async fn begin_vector_load(&self, org: OrgId, dims: usize, incoming: i64) -> StoreResult<VectorLoad> {
        match &self.pool {
            Pool::Sqlite(_) => Ok(VectorLoad::Incremental),
            Pool::Postgres(pool) => PgVectors { store: self, pool }.begin_load(org, dims, incoming).await,
        }
    }

    /// Ends a load begun with [`Store::begin_vector_load`]: builds the organisation's
    /// index if the load deferred it (or a failed build left none).
    pub async fn finish_vector_load(&self, org: OrgId, dims: usize) -> StoreResult<()> {
        match &self.pool {
            Pool::Sqlite(_) => Ok(()),
            Pool::Postgres(pool) => PgVectors { store: self, pool }.finish_load(org, dims).await,
        }
    }

    /// Forgets in-memory vectors of an organisation after a change this
    /// process cannot apply in place (deletes, replacements).
    pub(crate) fn vectors_changed(&self, org: OrgId) {
        self.vectors.forget(|(o, _)| *o == org);
    }

    /// Takes chunks this process removed (committed at vector `epoch`) out of
    /// its copies when nothing else changed in between; otherwise they are dropped.
    pub(crate) fn vectors_removed(&self, org: OrgId, epoch: i64, ids: &[i64]) {
        let ids: HashSet<i64> = ids.iter().copied().collect();
        let mut models = Vec::new();
        self.vectors.apply(
            |(o, _)| *o == org,
            epoch,
            |(_, model), copy| {
                copy.remove(&ids);
                models.push(model.clone());
                true
            },
        );
        for model in models {
            self.copy_changed(org, SavedCopy::Vectors(model));
        }
    }

    /// The next page of a collection's chunks after `after`, at most `limit` of them in id order,
    /// and of those the ones that have no vector yet; `None` when no chunk follows `after`.
    /// Paging over the chunks by id, then filtering within the page, keeps every read bounded:
    /// an anti-join over the whole collection let PostgreSQL read all of `chunk_vectors` for
    /// each batch when its statistics were stale (2.8 s a batch at 100k vectors).
    pub async fn chunks_without_vectors(
        &self,
        org: OrgId,
        collection: CollectionId,
        after: Option<ChunkId>,
        limit: i64,
    ) -> StoreResult<Option<(ChunkId, Vec<(ChunkId, String, Vec<String>, String)>)>> {
        let (org_s, coll_s) = (org.to_string(), collection.to_string());
        let after = after.map_or(i64::MIN, |c| c.0);
        let page_end = "SELECT MAX(id) FROM (SELECT id FROM chunks WHERE org_id = $1 AND collection_id = $2 AND id > $3
                        ORDER BY id LIMIT $4) AS page";
        let (last,): (Option<i64>,) = crate::on_pool!(self, pool => sqlx::query_as(page_end)
            .bind(&org_s).bind(&coll_s).bind(after).bind(limit).fetch_one(pool).await?);
        let Some(last) = last else { return Ok(None) };
        let sql = "SELECT c.id, c.text, c.section_path, d.title FROM chunks c JOIN documents d ON d.id = c.document_id
                   WHERE c.org_id = $1 AND c.collection_id = $2 AND c.id > $3 AND c.id <= $4
                     AND NOT EXISTS (SELECT 1 FROM chunk_vectors v WHERE v.chunk_id = c.id)
                   ORDER BY c.id";
        let rows: Vec<(i64, String, String, String)> = crate::on_pool!(self, pool => sqlx::query_as(sql)
            .bind(&org_s).bind(&coll_s).bind(after).bind(last).fetch_all(pool).await?);
        let missing = rows
            .into_iter()
            .map(|(id, text, section, title)| {
                (ChunkId(id), text, serde_json::from_str(&section).unwrap_or_default(), title)
            })
            .collect();
        Ok(Some((ChunkId(last), missing)))
    }

    /// How many chunks of a collection have no vector yet.
    pub async fn count_chunks_without_vectors(&self, org: OrgId, collection: CollectionId) -> StoreResult<i64> {
        let sql = "SELECT COUNT(*) FROM chunks c LEFT JOIN chunk_vectors v ON v.chunk_id = c.id
                   WHERE c.org_id = $1 AND c.collection_id = $2 AND v.chunk_id IS NULL";
        let (n,): (i64,) = crate::on_pool!(self, pool => sqlx::query_as(sql)
            .bind(org.to_string()).bind(collection.to_string()).fetch_one(pool).await?);
        Ok(n)
    }

    /// Removes every vector of a collection (before re-embedding with another model).
    pub async fn delete_collection_vectors(&self, org: OrgId, collection: CollectionId) -> StoreResult<u64> {
        let (org_s, coll_s) = (org.to_string(), collection.to_string());
        let removed = crate::in_tx!(self, tx => {
            let done = sqlx::query("DELETE FROM chunk_vectors WHERE org_id = $1 AND collection_id = $2")
                .bind(&org_s).bind(&coll_s).execute(&mut *tx).await?.rows_affected();
            tx.vectors_changed(&org_s).await?;
            done
        });
        self.vectors_changed(org);
        Ok(removed)
    }

    /// Stores vectors for chunks of one collection (all of `model`). Chunks
    /// that no longer exist are skipped (a document deleted meanwhile).
    pub async fn put_vectors(
        &self,
        org: OrgId,
        collection: CollectionId,
        model: &str,
        vectors: &[(ChunkId, Vec<f32>)],
    ) -> StoreResult<()> {
        let Some(dims) = vectors.first().map(|(_, v)| v.len()) else { return Ok(()) };
        if vectors.iter().any(|(_, v)| v.len() != dims) {
            return Err(StoreError::Corrupt("vectors of different dimensions in one batch".into()));
        }
        match &self.pool {
            Pool::Sqlite(pool) => SqliteVectors { store: self, pool }.put(org, collection, model, dims, vectors).await,
            Pool::Postgres(pool) => PgVectors { store: self, pool }.put(org, collection, model, dims, vectors).await,
        }
    }

    /// The nearest chunks to `query` (a unit vector of `model`), best first, at most `k`.
    pub async fn dense_search(
        &self,
        org: OrgId,
        model: &str,
        query: &[f32],
        filter: &ChunkFilter,
        k: usize,
    ) -> StoreResult<Vec<(ChunkId, f32)>> {
        if k == 0 || query.is_empty() {
            return Ok(Vec::new());
        }
        match &self.pool {
            Pool::Sqlite(pool) => SqliteVectors { store: self, pool }.nearest(org, model, query, filter, k).await,
            Pool::Postgres(pool) => PgVectors { store: self, pool }.nearest(org, model, query, filter, k).await,
        }
    }
}
