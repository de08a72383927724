//! PostgreSQL's knowledge-base writes: a document's chunks, postings and new
//! terms each in one statement over arrays (`UNNEST`). Vectors need no epoch
//! here: their index lives in the database.

use super::{
    BUMP_LEXICAL_EPOCH, ChangeEpochs, ChunksWritten, DOCUMENT_POSTINGS, KnowledgeWrites, KnownTerms, NewChunk,
    TermNumbers, known_from_stored, to_json,
};
use sqlx::PgConnection;
use std::collections::HashMap;
use wayfinder_search::encode_terms;

impl KnowledgeWrites for PgConnection {
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
        let positions: Vec<i64> = chunks.iter().map(|c| c.position).collect();
        let texts: Vec<&str> = chunks.iter().map(|c| c.text.as_str()).collect();
        let sections: Vec<String> = chunks.iter().map(|c| to_json(&c.section_path)).collect();
        let page_starts: Vec<Option<i64>> = chunks.iter().map(|c| c.page_start).collect();
        let page_ends: Vec<Option<i64>> = chunks.iter().map(|c| c.page_end).collect();
        let token_counts: Vec<i64> = chunks.iter().map(|c| c.token_count).collect();
        let term_counts: Vec<i64> = chunks.iter().map(|c| c.terms.len() as i64).collect();
        let ids: Vec<(i64, i64)> = sqlx::query_as(
            "INSERT INTO chunks (org_id, collection_id, document_id, position, text, section_path, page_start, page_end, token_count, term_count)
             SELECT $1, $2, $3, * FROM UNNEST($4::bigint[], $5::text[], $6::text[], $7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[])
             RETURNING id, position",
        )
        .bind(org)
        .bind(collection)
        .bind(document)
        .bind(&positions)
        .bind(&texts)
        .bind(&sections)
        .bind(&page_starts)
        .bind(&page_ends)
        .bind(&token_counts)
        .bind(&term_counts)
        .fetch_all(&mut *self)
        .await?;
        let id_of: HashMap<i64, i64> = ids.into_iter().map(|(id, pos)| (pos, id)).collect();
        let ids: Vec<i64> = chunks.iter().map(|c| id_of[&c.position]).collect();
        let terms: Vec<Vec<(u32, u32)>> = chunks.iter().map(|c| numbers.of(c)).collect();
        let stored: Vec<String> = terms.iter().map(|t| encode_terms(t)).collect();
        sqlx::query(
            "INSERT INTO chunk_postings (chunk_id, org_id, collection_id, document_id, terms)
             SELECT c, $1, $2, $3, t FROM UNNEST($4::bigint[], $5::text[]) AS x(c, t)",
        )
        .bind(org)
        .bind(collection)
        .bind(document)
        .bind(&ids)
        .bind(&stored)
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

    async fn chunks_changed(&mut self, org: &str, _removed: bool) -> Result<ChangeEpochs, sqlx::Error> {
        let (lexical,): (i64,) = sqlx::query_as(BUMP_LEXICAL_EPOCH).bind(org).fetch_one(&mut *self).await?;
        Ok(ChangeEpochs { lexical, vectors: None })
    }

    async fn vectors_changed(&mut self, _org: &str) -> Result<Option<i64>, sqlx::Error> {
        Ok(None)
    }
}

/// Numbers the distinct terms, looking up those `known` does not cover and
/// storing the new ones.
async fn number_terms(
    conn: &mut PgConnection,
    org: &str,
    distinct: &[&str],
    known: Option<KnownTerms>,
) -> Result<TermNumbers, sqlx::Error> {
    let known = match known {
        Some(known) => known,
        None => {
            // One row back, not one per term: the numbers in list order.
            let (stored, largest): (Option<String>, i64) = sqlx::query_as(
                "SELECT string_agg(COALESCE(t.id, 0)::text, ' ' ORDER BY j.n),
                        (SELECT COALESCE(MAX(id), 0) FROM lexical_terms WHERE org_id = $1)
                 FROM UNNEST($2::text[]) WITH ORDINALITY AS j(term, n)
                 LEFT JOIN lexical_terms t ON t.org_id = $1 AND t.term = j.term",
            )
            .bind(org)
            .bind(distinct)
            .fetch_one(&mut *conn)
            .await?;
            known_from_stored(stored, largest, distinct.len())
        }
    };
    let numbers = TermNumbers::new(distinct, known);
    if !numbers.new_terms.is_empty() {
        let (terms, ids): (Vec<&str>, Vec<i64>) =
            numbers.new_terms.iter().map(|(t, id)| (t.as_str(), i64::from(*id))).unzip();
        sqlx::query("INSERT INTO lexical_terms (org_id, term, id) SELECT $1, * FROM UNNEST($2::text[], $3::bigint[])")
            .bind(org)
            .bind(&terms)
            .bind(&ids)
            .execute(&mut *conn)
            .await?;
    }
    Ok(numbers)
}
