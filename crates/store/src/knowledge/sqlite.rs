//! SQLite's knowledge-base writes: a document's chunks, postings and new terms
//! each in one statement over a JSON array (`json_each`), and the vector epoch
//! that keeps this process's copy of the vectors current.

use super::{
    BUMP_LEXICAL_EPOCH, ChangeEpochs, ChunksWritten, DOCUMENT_POSTINGS, KnowledgeWrites, KnownTerms, NewChunk,
    TermNumbers, known_from_stored, to_json,
};
use sqlx::SqliteConnection;
use std::collections::HashMap;
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
        // One statement for all the chunks and one for their postings: each row goes in as an
        // element of a JSON array, so a document costs two round trips to the database thread
        // rather than two per chunk.
        let rows: Vec<serde_json::Value> = chunks
            .iter()
            .map(|c| {
                serde_json::json!([
                    c.position,
                    c.text,
                    to_json(&c.section_path),
                    c.page_start,
                    c.page_end,
                    c.token_count,
                    c.terms.len()
                ])
            })
            .collect();
        let ids: Vec<(i64, i64)> = sqlx::query_as(
            "INSERT INTO chunks (org_id, collection_id, document_id, position, text, section_path, page_start, page_end, token_count, term_count)
             SELECT $1, $2, $3, j.value ->> 0, j.value ->> 1, j.value ->> 2, j.value ->> 3, j.value ->> 4, j.value ->> 5, j.value ->> 6
             FROM json_each($4) AS j ORDER BY j.key
             RETURNING id, position",
        )
        .bind(org)
        .bind(collection)
        .bind(document)
        .bind(serde_json::Value::Array(rows).to_string())
        .fetch_all(&mut *self)
        .await?;
        let id_of: HashMap<i64, i64> = ids.into_iter().map(|(id, position)| (position, id)).collect();
        let ids: Vec<i64> = chunks.iter().map(|c| id_of[&c.position]).collect();
        let terms: Vec<Vec<(u32, u32)>> = chunks.iter().map(|c| numbers.of(c)).collect();
        let postings: Vec<serde_json::Value> =
            ids.iter().zip(&terms).map(|(id, t)| serde_json::json!([id, encode_terms(t)])).collect();
        sqlx::query(
            "INSERT INTO chunk_postings (chunk_id, org_id, collection_id, document_id, terms)
             SELECT j.value ->> 0, $1, $2, $3, j.value ->> 1 FROM json_each($4) AS j",
        )
        .bind(org)
        .bind(collection)
        .bind(document)
        .bind(serde_json::Value::Array(postings).to_string())
        .execute(&mut *self)
        .await?;
        Ok(ChunksWritten { ids, terms, new_terms: numbers.new_terms })
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
