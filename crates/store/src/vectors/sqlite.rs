//! SQLite's dense index: vectors as little-endian f32 blobs, searched by
//! scanning this process's 8-bit copy and re-scoring the best candidates
//! exactly from the blobs.

use super::DenseIndex;
use crate::{
    ChunkFilter, Store, StoreError, StoreResult,
    knowledge::sqlite::bump_vector_epoch,
    rows::{ChunkOwners, parse},
    saved_copies::{SavedCopy, read_saved},
};
use sqlx::SqlitePool;
use std::sync::atomic::{AtomicBool, Ordering};
use wayfinder_accounts_rules::OrgId;
use wayfinder_knowledge_rules::{ChunkId, CollectionId, DocumentId};
use wayfinder_search::{Loader, Stamped, VectorIndex, rank_exactly};

/// The dense index of a store on SQLite.
pub(super) struct SqliteVectors<'a> {
    pub store: &'a Store,
    pub pool: &'a SqlitePool,
}

impl DenseIndex for SqliteVectors<'_> {
    async fn put(
        &self,
        org: OrgId,
        collection: CollectionId,
        model: &str,
        _dims: usize,
        vectors: &[(ChunkId, Vec<f32>)],
    ) -> StoreResult<()> {
        let (org_s, coll_s) = (org.to_string(), collection.to_string());
        let mut tx = self.pool.begin_with("BEGIN IMMEDIATE").await?;
        let mut stored = Vec::with_capacity(vectors.len());
        for (chunk, vector) in vectors {
            let document: Option<(String,)> = sqlx::query_as(
                "INSERT INTO chunk_vectors (chunk_id, org_id, collection_id, model, embedding)
                 SELECT id, org_id, collection_id, $2, $3 FROM chunks WHERE id = $1 AND org_id = $4 AND collection_id = $5
                 ON CONFLICT (chunk_id) DO UPDATE SET model = excluded.model, embedding = excluded.embedding
                 RETURNING (SELECT document_id FROM chunks WHERE id = $1)",
            )
            .bind(chunk.0)
            .bind(model)
            .bind(to_blob(vector))
            .bind(&org_s)
            .bind(&coll_s)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some((document,)) = document {
                stored.push((*chunk, parse::<DocumentId>(&document, "document id")?));
            }
        }
        let epoch = bump_vector_epoch(&mut tx, &org_s).await?;
        tx.commit().await?;
        // This process's own inserts go into its copies of the organisation's
        // vectors in place (only the model's copy gains rows) when nothing else
        // changed in between; otherwise the copies are dropped and reloaded later.
        self.store.vectors.apply(
            |(o, _)| *o == org,
            epoch,
            |(_, m), copy| m != model || copy.insert(collection, vectors, &stored),
        );
        self.store.copy_changed(org, SavedCopy::Vectors(model.to_string()));
        Ok(())
    }

    async fn nearest(
        &self,
        org: OrgId,
        model: &str,
        query: &[f32],
        filter: &ChunkFilter,
        k: usize,
    ) -> StoreResult<Vec<(ChunkId, f32)>> {
        let loader = VectorsOf { pool: self.pool, org, model, rebuilt: AtomicBool::new(false) };
        let copy = self.store.vectors.get((org, model.to_string()), &loader).await?;
        if loader.rebuilt.load(Ordering::Relaxed) {
            self.store.copy_changed(org, SavedCopy::Vectors(model.to_string()));
        }
        let candidates = {
            let copy = copy.read().map_err(|_| StoreError::Corrupt("vector index lock poisoned".into()))?;
            if copy.index.dims() != query.len() {
                return Ok(Vec::new());
            }
            copy.index.candidates(query, filter, k)
        };
        self.rescore_exactly(query, candidates, k).await
    }
}

impl SqliteVectors<'_> {
    /// Exact scores of `candidates` from their stored f32 vectors; the best `k`, best first.
    async fn rescore_exactly(&self, query: &[f32], candidates: Vec<i64>, k: usize) -> StoreResult<Vec<(ChunkId, f32)>> {
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<(i64, Vec<u8>)> = sqlx::query_as(
            "SELECT chunk_id, embedding FROM chunk_vectors WHERE chunk_id IN (SELECT value FROM json_each($1))",
        )
        .bind(serde_json::to_string(&candidates).unwrap_or_default())
        .fetch_all(self.pool)
        .await?;
        let vectors = rows
            .into_iter()
            .filter(|(_, blob)| blob.len() == query.len() * 4)
            .map(|(id, blob)| (ChunkId(id), from_blob(&blob)));
        Ok(rank_exactly(query, vectors, k))
    }
}

/// Where an organisation's copy of one model's vectors is loaded from.
struct VectorsOf<'a> {
    pool: &'a SqlitePool,
    org: OrgId,
    model: &'a str,
    /// Set when the copy was rebuilt from the rows rather than read from a saved copy.
    rebuilt: AtomicBool,
}

const EPOCH_SQL: &str = "SELECT COALESCE((SELECT epoch FROM vector_epochs WHERE org_id = $1), 0)";

impl Loader<VectorIndex> for VectorsOf<'_> {
    type Error = StoreError;

    async fn epoch(&self) -> StoreResult<i64> {
        let (epoch,): (i64,) = sqlx::query_as(EPOCH_SQL).bind(self.org.to_string()).fetch_one(self.pool).await?;
        Ok(epoch)
    }

    /// The epoch and the copy saved at that epoch, or else the vectors, read in
    /// one snapshot, page by page: the next page is fetched (on SQLite's worker
    /// thread) while the last one is added to the copy.
    async fn load(&self) -> StoreResult<Stamped<VectorIndex>> {
        let org_s = self.org.to_string();
        let mut tx = self.pool.begin().await?;
        let (epoch,): (i64,) = sqlx::query_as(EPOCH_SQL).bind(&org_s).fetch_one(&mut *tx).await?;
        let saved = SavedCopy::Vectors(self.model.to_string());
        if let Some(index) = read_saved!(&mut *tx, self.org, &saved, epoch, VectorIndex::restore) {
            tx.commit().await?;
            return Ok(Stamped { epoch, index });
        }
        self.rebuilt.store(true, Ordering::Relaxed);
        let fetch = |after: i64| {
            sqlx::query_as::<_, VectorRow>(VECTORS_PAGE_SQL).bind(&org_s).bind(self.model).bind(after).bind(LOAD_PAGE)
        };
        let mut pages = VectorPages::default();
        let mut page = fetch(i64::MIN).fetch_all(&mut *tx).await?;
        loop {
            let next = match page.last() {
                Some((last, ..)) if page.len() as i64 == LOAD_PAGE => Some(fetch(*last)),
                _ => None,
            };
            let next = async {
                match next {
                    Some(query) => query.fetch_all(&mut *tx).await.map(Some),
                    None => Ok(None),
                }
            };
            let (next, added) = futures_util::join!(next, async { pages.add(page) });
            added?;
            match next? {
                Some(rows) => page = rows,
                None => break,
            }
        }
        tx.commit().await?;
        Ok(Stamped { epoch, index: pages.index.unwrap_or_else(|| VectorIndex::with_capacity(0, 0)) })
    }
}

/// Rows per page when loading a copy.
const LOAD_PAGE: i64 = 4096;

/// A row of [`VECTORS_PAGE_SQL`]: chunk, collection, document, vector.
type VectorRow = (i64, String, String, Vec<u8>);

/// A page of an organisation's vectors of one model, in chunk id order.
const VECTORS_PAGE_SQL: &str = "SELECT v.chunk_id, v.collection_id, c.document_id, v.embedding
     FROM chunk_vectors v JOIN chunks c ON c.id = v.chunk_id
     WHERE v.org_id = $1 AND v.model = $2 AND v.chunk_id > $3 ORDER BY v.chunk_id LIMIT $4";

/// Stored vector rows going into a copy, page by page.
#[derive(Default)]
struct VectorPages {
    /// Started with the first row's dimension; rows of another are left out.
    index: Option<VectorIndex>,
    owners: ChunkOwners,
    vector: Vec<f32>,
}

impl VectorPages {
    fn add(&mut self, rows: Vec<VectorRow>) -> StoreResult<()> {
        for (id, collection, document, blob) in rows {
            let index = self.index.get_or_insert_with(|| VectorIndex::with_capacity(blob.len() / 4, 0));
            if blob.len() / 4 != index.dims() {
                continue;
            }
            let (collection, document) = self.owners.parse(collection, document)?;
            self.vector.clear();
            self.vector.extend(blob.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])));
            index.push(id, collection, document, &self.vector);
        }
        Ok(())
    }
}

fn to_blob(vector: &[f32]) -> Vec<u8> {
    vector.iter().flat_map(|v| v.to_le_bytes()).collect()
}

fn from_blob(blob: &[u8]) -> Vec<f32> {
    blob.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blobs_round_trip() {
        let a: Vec<f32> = (0..389).map(|i| (i as f32 * 0.37).sin()).collect();
        assert_eq!(from_blob(&to_blob(&a)), a);
    }
}
