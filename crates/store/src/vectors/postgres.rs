//! PostgreSQL's dense index: a pgvector `vector` column holding the exact
//! vectors, and one HNSW index per organisation and vector size over their
//! half-precision copies (inner product on unit vectors). Per organisation, so a
//! search walks only its own graph and a bulk load can drop and rebuild one
//! graph without touching another's; half precision, so the graph is half the
//! memory and its distances cost half the reads. Scores are computed exactly
//! from the `vector` column.

use super::{DenseIndex, VectorLoad, defers_index};
use crate::{ChunkFilter, Store, StoreResult};
use sqlx::PgPool;
use wayfinder_accounts_rules::OrgId;
use wayfinder_knowledge_rules::{ChunkId, CollectionId};

/// The dense index of a store on PostgreSQL.
pub(super) struct PgVectors<'a> {
    pub store: &'a Store,
    pub pool: &'a PgPool,
}

impl DenseIndex for PgVectors<'_> {
    async fn put(
        &self,
        org: OrgId,
        collection: CollectionId,
        model: &str,
        dims: usize,
        vectors: &[(ChunkId, Vec<f32>)],
    ) -> StoreResult<()> {
        self.ensure_hnsw_index(org, dims).await?;
        // Binary COPY into a staging table, then one insert: no text formatting or parsing
        // of floats, and the chunks' organisation and collection checked in the same statement.
        let mut tx = self.pool.begin().await?;
        sqlx::query("CREATE TEMPORARY TABLE vector_staging (chunk_id bigint NOT NULL, embedding vector NOT NULL) ON COMMIT DROP")
            .execute(&mut *tx)
            .await?;
        let mut copy = tx.copy_in_raw("COPY vector_staging (chunk_id, embedding) FROM STDIN (FORMAT binary)").await?;
        copy.send(binary_copy_rows(vectors)).await?;
        copy.finish().await?;
        let sql = "INSERT INTO chunk_vectors (chunk_id, org_id, collection_id, model, dims, embedding)
                   SELECT c.id, c.org_id, c.collection_id, $3, $4, x.embedding
                   FROM vector_staging x JOIN chunks c ON c.id = x.chunk_id
                   WHERE c.org_id = $1 AND c.collection_id = $2
                   ON CONFLICT (chunk_id) DO UPDATE SET model = EXCLUDED.model, dims = EXCLUDED.dims, embedding = EXCLUDED.embedding";
        sqlx::query(sql)
            .bind(org.to_string())
            .bind(collection.to_string())
            .bind(model)
            .bind(dims as i32)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
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
        let dims = query.len();
        let collections: Option<Vec<String>> =
            filter.collections.as_ref().map(|c| c.iter().map(|c| c.to_string()).collect());
        let documents: Option<Vec<String>> =
            filter.documents.as_ref().map(|d| d.iter().map(|d| d.to_string()).collect());
        let mut tx = self.pool.begin().await?;
        // Filters are applied while walking the graph, so a filtered search still fills k (the
        // iterative scan goes on when filters drop some). Both settings in one round trip.
        sqlx::query(
            "SELECT set_config('hnsw.iterative_scan', 'relaxed_order', true), set_config('hnsw.ef_search', $1, true)",
        )
        .bind(walk_width(k).to_string())
        .execute(&mut *tx)
        .await?;
        // The organisation is written into the statement: the planner can use a partial
        // index only for a predicate it can prove, and a bound parameter proves nothing
        // to a generic plan. An organisation id is a UUID, so the literal is safe.
        let org_literal = org.0.hyphenated();
        // The graph orders by half-precision distance; the candidates are re-ranked by their
        // exact scores, so rounding never decides the order, and ten more than asked for are
        // fetched so it hardly decides who is in.
        let sql = format!(
            "SELECT chunk_id, score FROM (
                 SELECT v.chunk_id, -((v.embedding::vector({dims})) <#> $1::vector({dims}))::float8 AS score
                 FROM chunk_vectors v
                 WHERE v.org_id = '{org_literal}' AND v.dims = {dims} AND v.model = $2
                   AND ($3::text[] IS NULL OR v.collection_id = ANY($3))
                   AND ($4::text[] IS NULL OR v.chunk_id IN
                        (SELECT id FROM chunks WHERE org_id = '{org_literal}' AND document_id = ANY($4)))
                 ORDER BY (v.embedding::halfvec({dims})) <#> $1::halfvec({dims}) LIMIT $5
             ) candidates ORDER BY score DESC, chunk_id LIMIT $6"
        );
        let rows: Vec<(i64, f64)> = sqlx::query_as(&sql)
            .bind(vector_text(query))
            .bind(model)
            .bind(collections)
            .bind(documents)
            .bind(candidates(k) as i64)
            .bind(k as i64)
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;
        let mut out: Vec<(ChunkId, f32)> = rows.into_iter().map(|(id, s)| (ChunkId(id), s as f32)).collect();
        out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        Ok(out)
    }
}

impl PgVectors<'_> {
    /// Before a load of `incoming` vectors: drops the organisation's index when the
    /// load is large enough that one build afterwards is cheaper ([`defers_index`]).
    pub(super) async fn begin_load(&self, org: OrgId, dims: usize, incoming: i64) -> StoreResult<VectorLoad> {
        let sql = "SELECT COUNT(*) FROM chunk_vectors WHERE org_id = $1 AND dims = $2";
        let (existing,): (i64,) =
            sqlx::query_as(sql).bind(org.to_string()).bind(dims as i32).fetch_one(self.pool).await?;
        if !defers_index(existing, incoming) {
            return Ok(VectorLoad::Incremental);
        }
        if let Ok(mut hnsw) = self.store.hnsw.lock() {
            hnsw.deferred.insert((org, dims));
            hnsw.built.remove(&(org, dims));
        }
        sqlx::query(&format!("DROP INDEX CONCURRENTLY IF EXISTS {}", index_name(org, dims))).execute(self.pool).await?;
        Ok(VectorLoad::IndexDeferred)
    }

    /// After a load: builds the organisation's index unless it exists (and is valid).
    pub(super) async fn finish_load(&self, org: OrgId, dims: usize) -> StoreResult<()> {
        if let Ok(mut hnsw) = self.store.hnsw.lock() {
            hnsw.deferred.remove(&(org, dims));
        }
        self.build_hnsw_index(org, dims).await
    }

    /// Makes sure the organisation's index exists before a write, unless a load deferred it.
    async fn ensure_hnsw_index(&self, org: OrgId, dims: usize) -> StoreResult<()> {
        let known = self.store.hnsw.lock().map(|h| h.built.contains(&(org, dims)) || h.deferred.contains(&(org, dims)));
        if known.unwrap_or(false) {
            return Ok(());
        }
        self.build_hnsw_index(org, dims).await
    }

    /// Builds the index on a connection of its own, with memory enough for the graph and
    /// without blocking other organisations' writes (`CONCURRENTLY`). A build that failed
    /// half-way leaves an invalid index behind; it is dropped and built again.
    async fn build_hnsw_index(&self, org: OrgId, dims: usize) -> StoreResult<()> {
        let name = index_name(org, dims);
        let valid: Option<(bool,)> = sqlx::query_as(
            "SELECT i.indisvalid FROM pg_class c JOIN pg_index i ON i.indexrelid = c.oid WHERE c.relname = $1",
        )
        .bind(&name)
        .fetch_optional(self.pool)
        .await?;
        if valid == Some((false,)) {
            sqlx::query(&format!("DROP INDEX CONCURRENTLY IF EXISTS {name}")).execute(self.pool).await?;
        }
        if valid != Some((true,)) {
            let mut conn = self.pool.acquire().await?;
            // The session setting goes with the connection: it is closed, not pooled.
            conn.close_on_drop();
            sqlx::query(BUILD_MEMORY).execute(&mut *conn).await?;
            sqlx::query(&format!(
                "CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON chunk_vectors
                 USING hnsw ((embedding::halfvec({dims})) halfvec_ip_ops)
                 WHERE org_id = '{}' AND dims = {dims}",
                org.0.hyphenated()
            ))
            .execute(&mut *conn)
            .await?;
        }
        if let Ok(mut hnsw) = self.store.hnsw.lock() {
            hnsw.built.insert((org, dims));
        }
        Ok(())
    }
}

/// Memory for one index build: pgvector builds fastest when the whole graph fits
/// (about 1 kB per 384-dimension vector in half precision).
const BUILD_MEMORY: &str = "SET maintenance_work_mem = '256MB'";

/// The organisation's index for vectors of `dims` dimensions (63 characters at most).
fn index_name(org: OrgId, dims: usize) -> String {
    format!("chunk_vectors_hnsw_{dims}_{}", org.0.simple())
}

/// Rows `(chunk_id bigint, embedding vector)` in PostgreSQL's binary COPY format: a header,
/// each row as its field count and length-prefixed fields in network byte order (pgvector's
/// binary form is the dimension, a reserved zero, then the floats), and the end marker.
fn binary_copy_rows(vectors: &[(ChunkId, Vec<f32>)]) -> Vec<u8> {
    let floats: usize = vectors.iter().map(|(_, v)| v.len()).sum();
    let mut out = Vec::with_capacity(21 + vectors.len() * 22 + floats * 4);
    out.extend_from_slice(b"PGCOPY\n\xff\r\n\0");
    out.extend_from_slice(&0i32.to_be_bytes()); // flags
    out.extend_from_slice(&0i32.to_be_bytes()); // header extension length
    for (id, vector) in vectors {
        out.extend_from_slice(&2i16.to_be_bytes());
        out.extend_from_slice(&8i32.to_be_bytes());
        out.extend_from_slice(&id.0.to_be_bytes());
        out.extend_from_slice(&((4 + 4 * vector.len()) as i32).to_be_bytes());
        out.extend_from_slice(&(vector.len() as i16).to_be_bytes());
        out.extend_from_slice(&0i16.to_be_bytes());
        for x in vector {
            out.extend_from_slice(&x.to_be_bytes());
        }
    }
    out.extend_from_slice(&(-1i16).to_be_bytes());
    out
}

/// A vector in pgvector's text form, `[x,y,…]`.
fn vector_text(vector: &[f32]) -> String {
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

/// Candidates fetched from the graph and re-ranked by their exact scores for `k` results:
/// ten more than asked for, so half-precision rounding hardly decides who is in.
fn candidates(k: usize) -> usize {
    k + 10
}

/// How many candidates the graph walk keeps (`hnsw.ef_search`) for `k` results. Recall is
/// set by the walk's width, not by how many are re-ranked: on 100k real MiniLM embeddings
/// (SciFact and OpenStax in 50-token chunks, 974 questions, exact top 30 as the truth),
/// recall@30 was 0.77 walking 40, 0.88 walking 100 and 0.93 walking 200, at 0.44, 0.66 and
/// 1.2 ms a query; the same for any number re-ranked from 40 to 60.
fn walk_width(k: usize) -> usize {
    candidates(k).clamp(100, 1000)
}
