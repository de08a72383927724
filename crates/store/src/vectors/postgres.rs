//! PostgreSQL's dense index: a pgvector `vector` column with one HNSW index
//! per dimension (inner product on unit vectors), filtered while the graph is
//! walked.

use super::DenseIndex;
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
        self.ensure_hnsw_index(dims).await?;
        let ids: Vec<i64> = vectors.iter().map(|(c, _)| c.0).collect();
        let texts: Vec<String> = vectors.iter().map(|(_, v)| vector_text(v)).collect();
        let sql = "INSERT INTO chunk_vectors (chunk_id, org_id, collection_id, model, dims, embedding)
                   SELECT c.id, c.org_id, c.collection_id, $3, $4, x.v::vector
                   FROM UNNEST($5::bigint[], $6::text[]) AS x(id, v) JOIN chunks c ON c.id = x.id
                   WHERE c.org_id = $1 AND c.collection_id = $2
                   ON CONFLICT (chunk_id) DO UPDATE SET model = EXCLUDED.model, dims = EXCLUDED.dims, embedding = EXCLUDED.embedding";
        sqlx::query(sql)
            .bind(org.to_string())
            .bind(collection.to_string())
            .bind(model)
            .bind(dims as i32)
            .bind(&ids)
            .bind(&texts)
            .execute(self.pool)
            .await?;
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
        // Filters are applied while walking the graph, so a filtered search still fills k.
        sqlx::query("SET LOCAL hnsw.iterative_scan = relaxed_order").execute(&mut *tx).await?;
        sqlx::query(&format!("SET LOCAL hnsw.ef_search = {}", (k * 4).clamp(40, 1000))).execute(&mut *tx).await?;
        let sql = format!(
            "SELECT v.chunk_id, -((v.embedding::vector({dims})) <#> $1::vector({dims}))::float8 AS score
             FROM chunk_vectors v
             WHERE v.dims = {dims} AND v.org_id = $2 AND v.model = $3
               AND ($4::text[] IS NULL OR v.collection_id = ANY($4))
               AND ($5::text[] IS NULL OR v.chunk_id IN (SELECT id FROM chunks WHERE org_id = $2 AND document_id = ANY($5)))
             ORDER BY (v.embedding::vector({dims})) <#> $1::vector({dims}) LIMIT $6"
        );
        let rows: Vec<(i64, f64)> = sqlx::query_as(&sql)
            .bind(vector_text(query))
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

impl PgVectors<'_> {
    async fn ensure_hnsw_index(&self, dims: usize) -> StoreResult<()> {
        if self.store.hnsw_dims.lock().map(|s| s.contains(&dims)).unwrap_or(false) {
            return Ok(());
        }
        // pgvector indexes need a fixed dimension: one partial expression index per size.
        let sql = format!(
            "CREATE INDEX IF NOT EXISTS chunk_vectors_hnsw_{dims} ON chunk_vectors
             USING hnsw ((embedding::vector({dims})) vector_ip_ops) WHERE dims = {dims}"
        );
        sqlx::query(&sql).execute(self.pool).await?;
        if let Ok(mut set) = self.store.hnsw_dims.lock() {
            set.insert(dims);
        }
        Ok(())
    }
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
