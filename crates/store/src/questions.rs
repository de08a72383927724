//! The question bank in storage: items with their concepts and cited chunks,
//! filtered for the review queue and for practice.

use crate::{Store, StoreError, StoreResult, duplicate_as, in_tx, on_pool, rows::*};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use wayfinder_accounts_rules::{OrgId, PersonId};
use wayfinder_knowledge_rules::ChunkId;
use wayfinder_learning_rules::practice::ItemStatistics;
use wayfinder_learning_rules::program::ConceptId;
use wayfinder_learning_rules::questions::{QuestionBody, QuestionId, QuestionOrigin, QuestionStatus};

/// A question as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct QuestionRecord {
    pub id: QuestionId,
    pub concepts: Vec<ConceptId>,
    pub body: QuestionBody,
    pub explanation: String,
    pub citations: Vec<ChunkId>,
    pub status: QuestionStatus,
    pub origin: QuestionOrigin,
    /// What the item has learned from its answers (kept by practice, not written here).
    pub statistics: ItemStatistics,
    pub created_by: Option<PersonId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Which questions to list.
#[derive(Clone, Copy, Debug, Default)]
pub struct QuestionFilter {
    /// Only questions of this concept.
    pub concept: Option<ConceptId>,
    /// Only questions in this state.
    pub status: Option<QuestionStatus>,
}

#[derive(sqlx::FromRow)]
struct QuestionRow {
    id: String,
    body: String,
    explanation: String,
    citations: String,
    status: String,
    origin: String,
    statistics: String,
    created_by: Option<String>,
    created_at: i64,
    updated_at: i64,
}

impl QuestionRow {
    fn into_record(self, concepts: Vec<ConceptId>) -> StoreResult<QuestionRecord> {
        Ok(QuestionRecord {
            id: parse(&self.id, "question id")?,
            concepts,
            body: from_json(&self.body, "question body")?,
            explanation: self.explanation,
            citations: from_json::<Vec<i64>>(&self.citations, "citations")?.into_iter().map(ChunkId).collect(),
            status: parse(&self.status, "question status")?,
            origin: parse(&self.origin, "question origin")?,
            statistics: from_json(&self.statistics, "question statistics")?,
            created_by: self.created_by.as_deref().map(|p| parse(p, "person id")).transpose()?,
            created_at: time(self.created_at),
            updated_at: time(self.updated_at),
        })
    }
}

const QUESTION_COLUMNS: &str = "q.id, q.body, q.explanation, q.citations, q.status, q.origin, q.statistics, \
                                q.created_by, q.created_at, q.updated_at";

/// The filter as SQL over `questions q`, with `$1` the organisation and the
/// optional values bound next in this order: concept, status.
fn filter_sql(filter: &QuestionFilter) -> String {
    let mut sql = String::from("q.org_id = $1");
    let mut next = 2;
    if filter.concept.is_some() {
        sql.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM question_concepts qc WHERE qc.question_id = q.id AND qc.org_id = $1 \
             AND qc.concept_id = ${next})"
        ));
        next += 1;
    }
    if filter.status.is_some() {
        sql.push_str(&format!(" AND q.status = ${next}"));
    }
    sql
}

/// Inserts a question and its concepts inside the transaction `$tx`; `false` (and nothing
/// written) when the bank already holds its duplicate key.
macro_rules! insert_question {
    ($tx:ident, $org:expr, $q:expr) => {{
        let q: &crate::QuestionRecord = $q;
        let inserted = sqlx::query(
            "INSERT INTO questions (id, org_id, kind, body, explanation, citations, status, origin, duplicate_key,
                 created_by, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11)
             ON CONFLICT (org_id, duplicate_key) DO NOTHING",
        )
        .bind(q.id.to_string())
        .bind($org.to_string())
        .bind(q.body.kind().to_string())
        .bind(crate::rows::to_json(&q.body))
        .bind(&q.explanation)
        .bind(crate::rows::to_json(&q.citations.iter().map(|c| c.0).collect::<Vec<_>>()))
        .bind(q.status.to_string())
        .bind(q.origin.to_string())
        .bind(q.body.duplicate_key())
        .bind(q.created_by.map(|p| p.to_string()))
        .bind(q.created_at.timestamp_millis())
        .execute(&mut *$tx)
        .await?
        .rows_affected()
            > 0;
        if inserted {
            for concept in &q.concepts {
                sqlx::query("INSERT INTO question_concepts (question_id, org_id, concept_id) VALUES ($1, $2, $3)")
                    .bind(q.id.to_string())
                    .bind($org.to_string())
                    .bind(concept.to_string())
                    .execute(&mut *$tx)
                    .await?;
            }
        }
        inserted
    }};
}
pub(crate) use insert_question;

impl Store {
    /// Adds questions to an organisation's bank in one transaction, skipping any whose
    /// duplicate key the bank already holds (in any state); returns the ids added.
    pub async fn add_questions(&self, org: OrgId, questions: &[QuestionRecord]) -> StoreResult<Vec<QuestionId>> {
        let mut added = Vec::new();
        in_tx!(self, tx => {
            for q in questions {
                if insert_question!(tx, org, q) {
                    added.push(q.id);
                }
            }
        });
        Ok(added)
    }

    /// One question of an organisation.
    pub async fn question(&self, org: OrgId, id: QuestionId) -> StoreResult<QuestionRecord> {
        self.questions_by_id(org, &[id]).await?.pop().ok_or(StoreError::NotFound)
    }

    /// A page of an organisation's questions, oldest first, and how many match in all.
    pub async fn questions(
        &self,
        org: OrgId,
        filter: &QuestionFilter,
        limit: i64,
        offset: i64,
    ) -> StoreResult<(Vec<QuestionRecord>, i64)> {
        let condition = filter_sql(filter);
        let page_sql = format!(
            "SELECT {QUESTION_COLUMNS} FROM questions q WHERE {condition} ORDER BY q.created_at, q.id LIMIT {limit} OFFSET {offset}"
        );
        let count_sql = format!("SELECT COUNT(*) FROM questions q WHERE {condition}");
        let (rows, total): (Vec<QuestionRow>, i64) = on_pool!(self, pool => {
            let mut page = sqlx::query_as(&page_sql).bind(org.to_string());
            let mut count = sqlx::query_as::<_, (i64,)>(&count_sql).bind(org.to_string());
            if let Some(concept) = filter.concept {
                page = page.bind(concept.to_string());
                count = count.bind(concept.to_string());
            }
            if let Some(status) = filter.status {
                page = page.bind(status.to_string());
                count = count.bind(status.to_string());
            }
            (page.fetch_all(pool).await?, count.fetch_one(pool).await?.0)
        });
        Ok((self.with_concepts(org, rows).await?, total))
    }

    /// The questions in state `status` of any of `concepts`, oldest first, each with the first of
    /// `concepts` it belongs to (one query for the questions, one for their concepts).
    pub async fn questions_of_concepts(
        &self,
        org: OrgId,
        concepts: &[ConceptId],
        status: QuestionStatus,
    ) -> StoreResult<Vec<(ConceptId, QuestionRecord)>> {
        if concepts.is_empty() {
            return Ok(Vec::new());
        }
        let mut rows: Vec<QuestionRow> = Vec::new();
        for batch in concepts.chunks(500) {
            let marks: Vec<String> = (0..batch.len()).map(|i| format!("${}", i + 3)).collect();
            // Driven from the concepts' index: a concept has a handful of questions, the
            // organisation thousands.
            let sql = format!(
                "SELECT {QUESTION_COLUMNS} FROM question_concepts qc JOIN questions q ON q.id = qc.question_id
                 WHERE qc.org_id = $1 AND qc.concept_id IN ({}) AND q.org_id = $1 AND q.status = $2
                 ORDER BY q.created_at, q.id",
                marks.join(", ")
            );
            let found: Vec<QuestionRow> = on_pool!(self, pool => {
                let mut q = sqlx::query_as(&sql).bind(org.to_string()).bind(status.to_string());
                for concept in batch {
                    q = q.bind(concept.to_string());
                }
                q.fetch_all(pool).await?
            });
            rows.extend(found);
        }
        let mut out = Vec::with_capacity(rows.len());
        for record in self.with_concepts(org, rows).await? {
            if let Some(concept) = concepts.iter().copied().find(|c| record.concepts.contains(c)) {
                out.push((concept, record));
            }
        }
        Ok(out)
    }

    /// The questions with these ids (those of the organisation; in no particular order).
    pub async fn questions_by_id(&self, org: OrgId, ids: &[QuestionId]) -> StoreResult<Vec<QuestionRecord>> {
        let mut rows: Vec<QuestionRow> = Vec::new();
        for batch in ids.chunks(500) {
            let marks: Vec<String> = (0..batch.len()).map(|i| format!("${}", i + 2)).collect();
            let sql = format!(
                "SELECT {QUESTION_COLUMNS} FROM questions q WHERE q.org_id = $1 AND q.id IN ({})",
                marks.join(", ")
            );
            let found: Vec<QuestionRow> = on_pool!(self, pool => {
                let mut q = sqlx::query_as(&sql).bind(org.to_string());
                for id in batch {
                    q = q.bind(id.to_string());
                }
                q.fetch_all(pool).await?
            });
            rows.extend(found);
        }
        self.with_concepts(org, rows).await
    }

    /// Rows as records with their concepts (one query for all), each question once, in order.
    async fn with_concepts(&self, org: OrgId, rows: Vec<QuestionRow>) -> StoreResult<Vec<QuestionRecord>> {
        let mut seen = std::collections::HashSet::new();
        let mut unique = Vec::with_capacity(rows.len());
        for row in rows {
            let id: QuestionId = parse(&row.id, "question id")?;
            if seen.insert(id) {
                unique.push((id, row));
            }
        }
        let ids: Vec<QuestionId> = unique.iter().map(|(id, _)| *id).collect();
        let mut concepts = self.question_concepts(org, &ids).await?;
        unique.into_iter().map(|(id, row)| row.into_record(concepts.remove(&id).unwrap_or_default())).collect()
    }

    async fn question_concepts(
        &self,
        org: OrgId,
        ids: &[QuestionId],
    ) -> StoreResult<HashMap<QuestionId, Vec<ConceptId>>> {
        let mut out: HashMap<QuestionId, Vec<ConceptId>> = HashMap::new();
        for batch in ids.chunks(500) {
            let marks: Vec<String> = (0..batch.len()).map(|i| format!("${}", i + 2)).collect();
            let sql = format!(
                "SELECT question_id, concept_id FROM question_concepts WHERE org_id = $1 AND question_id IN ({})
                 ORDER BY question_id, concept_id",
                marks.join(", ")
            );
            let rows: Vec<(String, String)> = on_pool!(self, pool => {
                let mut q = sqlx::query_as(&sql).bind(org.to_string());
                for id in batch {
                    q = q.bind(id.to_string());
                }
                q.fetch_all(pool).await?
            });
            for (question, concept) in rows {
                out.entry(parse(&question, "question id")?).or_default().push(parse(&concept, "concept id")?);
            }
        }
        Ok(out)
    }

    /// Replaces a question's content and state (its concepts and citations stay).
    pub async fn update_question(
        &self,
        org: OrgId,
        id: QuestionId,
        body: &QuestionBody,
        explanation: &str,
        status: QuestionStatus,
    ) -> StoreResult<QuestionRecord> {
        let done = on_pool!(self, pool => sqlx::query(
            "UPDATE questions SET kind = $3, body = $4, explanation = $5, status = $6, duplicate_key = $7, updated_at = $8
             WHERE org_id = $1 AND id = $2")
            .bind(org.to_string()).bind(id.to_string()).bind(body.kind().to_string()).bind(to_json(body))
            .bind(explanation).bind(status.to_string()).bind(body.duplicate_key()).bind(now_ms())
            .execute(pool).await.map_err(duplicate_as("body"))?.rows_affected());
        if done == 0 {
            return Err(StoreError::NotFound);
        }
        self.question(org, id).await
    }

    /// Whether the organisation approves generated questions that pass their check without review
    /// (no by default).
    pub async fn auto_approves_generated(&self, org: OrgId) -> StoreResult<bool> {
        let row: Option<(bool,)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT auto_approve_generated FROM practice_settings WHERE org_id = $1")
            .bind(org.to_string()).fetch_optional(pool).await?);
        Ok(row.is_some_and(|(on,)| on))
    }

    /// Sets whether generated questions that pass their check are approved without review.
    pub async fn set_auto_approve_generated(&self, org: OrgId, on: bool) -> StoreResult<()> {
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO practice_settings (org_id, auto_approve_generated, updated_at) VALUES ($1, $2, $3)
             ON CONFLICT (org_id) DO UPDATE SET auto_approve_generated = $2, updated_at = $3")
            .bind(org.to_string()).bind(on).bind(now_ms()).execute(pool).await?.rows_affected());
        Ok(())
    }
}
