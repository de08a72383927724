//! SQLite's knowledge-base writes: chunks one row at a time, terms looked up
//! through `json_each`, and the vector epoch that keeps this process's copy
//! of the vectors current.

use super::{
    BUMP_LEXICAL_EPOCH, ChangeEpochs, ChunksWritten, DOCUMENT_POSTINGS, KnowledgeWrites, KnownTerms, NewChunk,
    TermNumbers, known_from_stored, to_json,
};
use sqlx::SqliteConnection;
use wayfinder_search::encode_terms;

impl KnowledgeWrites for SqliteConnection {
    async fn insert_chunks(
        &mut self,
        org: &str,
        collection: &str,
        document: &str,
        chunks: &[NewChunk],
        distinct: &[&str],
        known: Option<KnownTerms>,
    ) -> Result<ChunksWritten, sqlx::Error> {
        let numbers = number_terms(self, org, distinct, known).await?;
        let mut written = ChunksWritten::default();
        for chunk in chunks {
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO chunks (org_id, collection_id, document_id, position, text, section_path, page_start, page_end, token_count, term_count)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
            )
            .bind(org)
            .bind(collection)
            .bind(document)
            .bind(chunk.position)
            .bind(&chunk.text)
            .bind(to_json(&chunk.section_path))
            .bind(chunk.page_start)
            .bind(chunk.page_end)
            .bind(chunk.token_count)
            .bind(chunk.terms.len() as i64)
            .fetch_one(&mut *self)
            .await?;
            let terms = numbers.of(chunk);
            sqlx::query(
                "INSERT INTO chunk_postings (chunk_id, org_id, collection_id, document_id, terms) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(id)
            .bind(org)
            .bind(collection)
            .bind(document)
            .bind(encode_terms(&terms))
            .execute(&mut *self)
            .await?;
            written.ids.push(id);
            written.terms.push(terms);
        }
        written.new_terms = numbers.new_terms;
        Ok(written)
    }

    async fn delete_document(&mut self, document: &str) -> Result<Vec<(i64, String)>, sqlx::Error> {
        let removed = sqlx::query_as(DOCUMENT_POSTINGS).bind(document).fetch_all(&mut *self).await?;
        sqlx::query("DELETE FROM chunks WHERE document_id = $1").bind(document).execute(&mut *self).await?;
        sqlx::query("DELETE FROM documents WHERE id = $1").bind(document).execute(&mut *self).await?;
        Ok(removed)
    }

    async fn chunks_changed(&mut self, org: &str, removed: bool) -> Result<ChangeEpochs, sqlx::Error> {
        let (lexical,): (i64,) = sqlx::query_as(BUMP_LEXICAL_EPOCH).bind(org).fetch_one(&mut *self).await?;
        let vectors = if removed { Some(bump_vector_epoch(self, org).await?) } else { None };
        Ok(ChangeEpochs { lexical, vectors })
    }

    async fn vectors_changed(&mut self, org: &str) -> Result<Option<i64>, sqlx::Error> {
        bump_vector_epoch(self, org).await.map(Some)
    }
}

/// Numbers the distinct terms, looking up those `known` does not cover and
/// storing the new ones.
async fn number_terms(
    conn: &mut SqliteConnection,
    org: &str,
    distinct: &[&str],
    known: Option<KnownTerms>,
) -> Result<TermNumbers, sqlx::Error> {
    let known = match known {
        Some(known) => known,
        None => {
            // One row back, not one per term: the numbers in list order.
            let (stored, largest): (Option<String>, i64) = sqlx::query_as(
                "SELECT group_concat(COALESCE(t.id, 0), ' ' ORDER BY j.key),
                        (SELECT COALESCE(MAX(id), 0) FROM lexical_terms WHERE org_id = $1)
                 FROM json_each($2) AS j LEFT JOIN lexical_terms t ON t.org_id = $1 AND t.term = j.value",
            )
            .bind(org)
            .bind(to_json(distinct))
            .fetch_one(&mut *conn)
            .await?;
            known_from_stored(stored, largest, distinct.len())
        }
    };
    let numbers = TermNumbers::new(distinct, known);
    if !numbers.new_terms.is_empty() {
        sqlx::query(
            "INSERT INTO lexical_terms (org_id, term, id) SELECT $1, value ->> 0, value ->> 1 FROM json_each($2)",
        )
        .bind(org)
        .bind(to_json(&numbers.new_terms))
        .execute(&mut *conn)
        .await?;
    }
    Ok(numbers)
}

/// Records that an organisation's vectors changed; returns the new epoch.
pub(crate) async fn bump_vector_epoch(conn: &mut SqliteConnection, org: &str) -> Result<i64, sqlx::Error> {
    let (epoch,): (i64,) = sqlx::query_as(
        "INSERT INTO vector_epochs (org_id, epoch) VALUES ($1, 1)
         ON CONFLICT (org_id) DO UPDATE SET epoch = vector_epochs.epoch + 1 RETURNING epoch",
    )
    .bind(org)
    .fetch_one(&mut *conn)
    .await?;
    Ok(epoch)
}
