//! Chunk vectors and nearest-neighbour search. On PostgreSQL, pgvector with
//! an HNSW index (inner product on unit vectors). On SQLite, vectors are
//! blobs in `chunk_vectors` and search runs over an in-process copy kept in
//! step with the table: every transaction that changes an organisation's
//! vectors bumps `vector_epochs`, and a process whose copy is from another
//! epoch reloads it (its own inserts and deletions are applied in place).
//!
//! The SQLite search scans every vector of the organisation — no graph to
//! rebuild on delete, no recall lost to an approximate index. The scan is
//! memory-bound (100k × 384 f32 is 150 MB per query: ~21 ms measured), so the
//! copy holds each vector as 8-bit codes with one scale (a quarter of the
//! bytes, and of the RSS), and the query is quantised the same way; rows are
//! scored by integer dot products on every core with the instructions this
//! CPU has; the best candidates are then re-scored exactly from the stored
//! f32 blobs, so the returned order and scores are those of the full vectors.

use crate::{
    ChunkFilter, Pool, Store, StoreError, StoreResult,
    knowledge::{KnowledgeWrites, sqlite::bump_vector_epoch},
    ranking::{FilterSets, Scored, TopK},
    rows::parse,
};
use std::{
    collections::{HashMap, HashSet},
    sync::{Arc, Mutex, RwLock},
};
use wayfinder_accounts_rules::OrgId;
use wayfinder_knowledge_rules::{ChunkId, CollectionId, DocumentId};

/// One organisation's vectors of one model, in memory (SQLite backend).
struct OrgVectors {
    epoch: i64,
    dims: usize,
    ids: Vec<i64>,
    collections: Vec<CollectionId>,
    documents: Vec<DocumentId>,
    /// `dims` signed 8-bit codes per vector: component ≈ code × scale.
    codes: Vec<i8>,
    scales: Vec<f32>,
}

impl OrgVectors {
    fn push(&mut self, id: i64, collection: CollectionId, document: DocumentId, vector: &[f32]) {
        let scale = quantise_into(vector, &mut self.codes);
        self.ids.push(id);
        self.collections.push(collection);
        self.documents.push(document);
        self.scales.push(scale);
    }

    /// Drops the rows of `ids` (chunks without a vector here are no error),
    /// keeping the others in order.
    fn remove(&mut self, ids: &HashSet<i64>) {
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

/// A shared, updatable copy of one organisation's vectors of one model.
type SharedVectors = Arc<RwLock<OrgVectors>>;

/// The in-process vector copies, per (organisation, model).
#[derive(Default)]
pub(crate) struct VectorCache {
    entries: Mutex<HashMap<(OrgId, String), SharedVectors>>,
    /// PostgreSQL: dimensions that already have an HNSW index.
    indexed_dims: Mutex<HashSet<usize>>,
}

impl std::fmt::Debug for VectorCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("VectorCache")
    }
}

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

fn to_blob(vector: &[f32]) -> Vec<u8> {
    vector.iter().flat_map(|v| v.to_le_bytes()).collect()
}

fn from_blob(blob: &[u8]) -> Vec<f32> {
    blob.chunks_exact(4).map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect()
}

fn pg_vector_text(vector: &[f32]) -> String {
    let mut out = String::with_capacity(vector.len() * 10 + 2);
    out.push('[');
    for (i, v) in vector.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&v.to_string());
    }
    out.push(']');
    out
}

/// The `pool` best rows by their quantised score, within the filter: each
/// core scans its share of the rows into its own heap, and the heaps merge.
fn nearest_codes(copy: &OrgVectors, query: &[f32], filter: &ChunkFilter, pool: usize) -> Vec<i64> {
    use rayon::prelude::*;
    let allowed = FilterSets::new(filter);
    let dims = copy.dims;
    let mut query_codes = Vec::with_capacity(dims);
    quantise_into(query, &mut query_codes);
    let query = query_codes.as_slice();
    let best: Vec<TopK> = copy
        .codes
        .par_chunks(dims * ROWS_PER_TASK)
        .enumerate()
        .map(|(task, rows)| {
            let first = task * ROWS_PER_TASK;
            let n = rows.len() / dims;
            let mut scores = vec![0f32; n];
            score_codes(rows, &copy.scales[first..first + n], query, &mut scores);
            let mut best = TopK::new(pool);
            for (offset, score) in scores.into_iter().enumerate() {
                let i = first + offset;
                if best.admits(score) && allowed.allows(&copy.collections[i], &copy.documents[i]) {
                    best.push(score, copy.ids[i]);
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

impl Store {
    /// Exact scores of `candidates` from their stored f32 vectors; the best `k`, best first.
    async fn rescore_exactly(
        &self,
        pool: &sqlx::SqlitePool,
        query: &[f32],
        candidates: Vec<i64>,
        k: usize,
    ) -> StoreResult<Vec<(ChunkId, f32)>> {
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        let rows: Vec<(i64, Vec<u8>)> = sqlx::query_as(
            "SELECT chunk_id, embedding FROM chunk_vectors WHERE chunk_id IN (SELECT value FROM json_each($1))",
        )
        .bind(serde_json::to_string(&candidates).unwrap_or_default())
        .fetch_all(pool)
        .await?;
        let mut out: Vec<(ChunkId, f32)> = rows
            .into_iter()
            .filter(|(_, blob)| blob.len() == query.len() * 4)
            .map(|(id, blob)| (ChunkId(id), dot(&from_blob(&blob), query)))
            .collect();
        out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        out.truncate(k);
        Ok(out)
    }

    /// Forgets in-memory vectors of an organisation after a change this
    /// process cannot apply in place (deletes, replacements).
    pub(crate) fn vectors_changed(&self, org: OrgId) {
        if let Ok(mut entries) = self.vectors.entries.lock() {
            entries.retain(|(o, _), _| *o != org);
        }
    }

    /// Takes chunks this process removed (committed at vector `epoch`) out of
    /// its copies when nothing else changed in between; otherwise they are dropped.
    pub(crate) fn vectors_removed(&self, org: OrgId, epoch: i64, ids: &[i64]) {
        let Ok(mut entries) = self.vectors.entries.lock() else { return };
        let ids: HashSet<i64> = ids.iter().copied().collect();
        let mut stale = false;
        for ((o, _), entry) in entries.iter() {
            if *o != org {
                continue;
            }
            match entry.write() {
                Ok(mut copy) if copy.epoch == epoch - 1 => {
                    copy.epoch = epoch;
                    copy.remove(&ids);
                }
                _ => stale = true,
            }
        }
        if stale {
            entries.retain(|(o, _), _| *o != org);
        }
    }

    /// Chunks of a collection that have no vector yet, oldest first, at most `limit`.
    pub async fn chunks_without_vectors(
        &self,
        org: OrgId,
        collection: CollectionId,
        limit: i64,
    ) -> StoreResult<Vec<(ChunkId, String, Vec<String>, String)>> {
        let sql = "SELECT c.id, c.text, c.section_path, d.title FROM chunks c JOIN documents d ON d.id = c.document_id
                   LEFT JOIN chunk_vectors v ON v.chunk_id = c.id
                   WHERE c.org_id = $1 AND c.collection_id = $2 AND v.chunk_id IS NULL ORDER BY c.id LIMIT $3";
        let rows: Vec<(i64, String, String, String)> = crate::on_pool!(self, pool => sqlx::query_as(sql)
            .bind(org.to_string()).bind(collection.to_string()).bind(limit).fetch_all(pool).await?);
        Ok(rows
            .into_iter()
            .map(|(id, text, section, title)| {
                (ChunkId(id), text, serde_json::from_str(&section).unwrap_or_default(), title)
            })
            .collect())
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
        let (org_s, coll_s) = (org.to_string(), collection.to_string());
        match &self.pool {
            Pool::Sqlite(pool) => {
                let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
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
                self.apply_inserted(org, collection, model, epoch, vectors, &stored);
            }
            Pool::Postgres(pool) => {
                self.ensure_hnsw_index(pool, dims).await?;
                let ids: Vec<i64> = vectors.iter().map(|(c, _)| c.0).collect();
                let texts: Vec<String> = vectors.iter().map(|(_, v)| pg_vector_text(v)).collect();
                let sql = "INSERT INTO chunk_vectors (chunk_id, org_id, collection_id, model, dims, embedding)
                           SELECT c.id, c.org_id, c.collection_id, $3, $4, x.v::vector
                           FROM UNNEST($5::bigint[], $6::text[]) AS x(id, v) JOIN chunks c ON c.id = x.id
                           WHERE c.org_id = $1 AND c.collection_id = $2
                           ON CONFLICT (chunk_id) DO UPDATE SET model = EXCLUDED.model, dims = EXCLUDED.dims, embedding = EXCLUDED.embedding";
                sqlx::query(sql)
                    .bind(&org_s)
                    .bind(&coll_s)
                    .bind(model)
                    .bind(dims as i32)
                    .bind(&ids)
                    .bind(&texts)
                    .execute(pool)
                    .await?;
            }
        }
        Ok(())
    }

    async fn ensure_hnsw_index(&self, pool: &sqlx::PgPool, dims: usize) -> StoreResult<()> {
        if self.vectors.indexed_dims.lock().map(|s| s.contains(&dims)).unwrap_or(false) {
            return Ok(());
        }
        // pgvector indexes need a fixed dimension: one partial expression index per size.
        let sql = format!(
            "CREATE INDEX IF NOT EXISTS chunk_vectors_hnsw_{dims} ON chunk_vectors
             USING hnsw ((embedding::vector({dims})) vector_ip_ops) WHERE dims = {dims}"
        );
        sqlx::query(&sql).execute(pool).await?;
        if let Ok(mut set) = self.vectors.indexed_dims.lock() {
            set.insert(dims);
        }
        Ok(())
    }

    /// Applies this process's own inserts to its in-memory copy when nothing
    /// else changed in between; otherwise the copy is dropped and reloaded later.
    fn apply_inserted(
        &self,
        org: OrgId,
        collection: CollectionId,
        model: &str,
        epoch: i64,
        vectors: &[(ChunkId, Vec<f32>)],
        stored: &[(ChunkId, DocumentId)],
    ) {
        let Ok(mut entries) = self.vectors.entries.lock() else { return };
        let mut stale = false;
        for ((o, m), entry) in entries.iter() {
            if *o != org {
                continue;
            }
            let Ok(mut copy) = entry.write() else {
                stale = true;
                continue;
            };
            if copy.epoch != epoch - 1 {
                stale = true;
                continue;
            }
            copy.epoch = epoch;
            if m == model {
                let documents: HashMap<ChunkId, DocumentId> = stored.iter().copied().collect();
                let present: HashSet<i64> = copy.ids.iter().copied().collect();
                if vectors.iter().any(|(c, v)| present.contains(&c.0) || v.len() != copy.dims) {
                    stale = true;
                    continue;
                }
                for (chunk, vector) in vectors {
                    if let Some(document) = documents.get(chunk) {
                        copy.push(chunk.0, collection, *document, vector);
                    }
                }
            }
        }
        if stale {
            entries.retain(|(o, _), _| *o != org);
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
            Pool::Sqlite(pool) => {
                let copy = self.sqlite_vectors(pool, org, model).await?;
                let candidates = {
                    let copy = copy.read().map_err(|_| StoreError::Corrupt("vector index lock poisoned".into()))?;
                    if copy.dims != query.len() {
                        return Ok(Vec::new());
                    }
                    nearest_codes(&copy, query, filter, rescore_pool(k))
                };
                self.rescore_exactly(pool, query, candidates, k).await
            }
            Pool::Postgres(pool) => {
                let dims = query.len();
                let collections: Option<Vec<String>> =
                    filter.collections.as_ref().map(|c| c.iter().map(|c| c.to_string()).collect());
                let documents: Option<Vec<String>> =
                    filter.documents.as_ref().map(|d| d.iter().map(|d| d.to_string()).collect());
                let mut tx = pool.begin().await?;
                // Filters are applied while walking the graph, so a filtered search still fills k.
                sqlx::query("SET LOCAL hnsw.iterative_scan = relaxed_order").execute(&mut *tx).await?;
                sqlx::query(&format!("SET LOCAL hnsw.ef_search = {}", (k * 4).clamp(40, 1000)))
                    .execute(&mut *tx)
                    .await?;
                let sql = format!(
                    "SELECT v.chunk_id, -((v.embedding::vector({dims})) <#> $1::vector({dims}))::float8 AS score
                     FROM chunk_vectors v
                     WHERE v.dims = {dims} AND v.org_id = $2 AND v.model = $3
                       AND ($4::text[] IS NULL OR v.collection_id = ANY($4))
                       AND ($5::text[] IS NULL OR v.chunk_id IN (SELECT id FROM chunks WHERE org_id = $2 AND document_id = ANY($5)))
                     ORDER BY (v.embedding::vector({dims})) <#> $1::vector({dims}) LIMIT $6"
                );
                let rows: Vec<(i64, f64)> = sqlx::query_as(&sql)
                    .bind(pg_vector_text(query))
                    .bind(org.to_string())
                    .bind(model)
                    .bind(collections)
                    .bind(documents)
                    .bind(k as i64)
                    .fetch_all(&mut *tx)
                    .await?;
                tx.commit().await?;
                let mut out: Vec<(ChunkId, f32)> = rows.into_iter().map(|(id, s)| (ChunkId(id), s as f32)).collect();
                out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
                Ok(out)
            }
        }
    }

    /// This process's copy of an organisation's vectors, reloaded when the
    /// database's epoch says another writer changed them.
    async fn sqlite_vectors(&self, pool: &sqlx::SqlitePool, org: OrgId, model: &str) -> StoreResult<SharedVectors> {
        let org_s = org.to_string();
        let (epoch,): (i64,) =
            sqlx::query_as("SELECT COALESCE((SELECT epoch FROM vector_epochs WHERE org_id = $1), 0)")
                .bind(&org_s)
                .fetch_one(pool)
                .await?;
        let key = (org, model.to_string());
        if let Some(entry) = self.vectors.entries.lock().ok().and_then(|e| e.get(&key).cloned())
            && entry.read().is_ok_and(|c| c.epoch == epoch)
        {
            return Ok(entry);
        }
        // Read the epoch and the vectors in one snapshot.
        let mut tx = pool.begin().await?;
        let (epoch,): (i64,) =
            sqlx::query_as("SELECT COALESCE((SELECT epoch FROM vector_epochs WHERE org_id = $1), 0)")
                .bind(&org_s)
                .fetch_one(&mut *tx)
                .await?;
        let rows: Vec<(i64, String, String, Vec<u8>)> = sqlx::query_as(
            "SELECT v.chunk_id, v.collection_id, c.document_id, v.embedding FROM chunk_vectors v JOIN chunks c ON c.id = v.chunk_id
             WHERE v.org_id = $1 AND v.model = $2 ORDER BY v.chunk_id",
        )
        .bind(&org_s)
        .bind(model)
        .fetch_all(&mut *tx)
        .await?;
        tx.commit().await?;
        let dims = rows.first().map(|r| r.3.len() / 4).unwrap_or(0);
        let mut copy = OrgVectors {
            epoch,
            dims,
            ids: Vec::with_capacity(rows.len()),
            collections: Vec::with_capacity(rows.len()),
            documents: Vec::with_capacity(rows.len()),
            codes: Vec::with_capacity(rows.len() * dims),
            scales: Vec::with_capacity(rows.len()),
        };
        for (id, collection, document, blob) in rows {
            if blob.len() / 4 != dims {
                continue;
            }
            copy.push(id, parse(&collection, "collection id")?, parse(&document, "document id")?, &from_blob(&blob));
        }
        let entry = Arc::new(RwLock::new(copy));
        if let Ok(mut entries) = self.vectors.entries.lock() {
            entries.insert(key, entry.clone());
        }
        Ok(entry)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_matches_a_plain_sum() {
        let a: Vec<f32> = (0..389).map(|i| (i as f32 * 0.37).sin()).collect();
        let b: Vec<f32> = (0..389).map(|i| (i as f32 * 0.11).cos()).collect();
        let plain: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert!((dot(&a, &b) - plain).abs() < 1e-3);
        assert_eq!(from_blob(&to_blob(&a)), a);
    }

    #[test]
    fn quantised_scores_stay_close_to_exact_ones() {
        let norm = |v: Vec<f32>| {
            let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            v.into_iter().map(|x| x / n).collect::<Vec<f32>>()
        };
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
}
