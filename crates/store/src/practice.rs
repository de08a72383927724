//! Practice in storage: sessions, their graded attempts, and each question's
//! statistics, updated in the same transaction as the attempt that changes them.

use crate::{Store, StoreError, StoreResult, in_tx, on_pool, rows::*};
use chrono::{DateTime, Utc};
use wayfinder_accounts_rules::{OrgId, PersonId};
use wayfinder_learning_rules::practice::{
    Answer, Grade, ItemStatistics, PracticeSessionId, PracticeTarget, SessionStatus,
};
use wayfinder_learning_rules::program::ConceptId;
use wayfinder_learning_rules::questions::QuestionId;

/// A practice session as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct PracticeSessionRecord {
    pub id: PracticeSessionId,
    pub person: PersonId,
    pub target: PracticeTarget,
    /// The concepts its questions are drawn from.
    pub concepts: Vec<ConceptId>,
    /// Questions it asks at most.
    pub size: i64,
    pub status: SessionStatus,
    /// The question waiting for an answer (none once completed).
    pub current: Option<QuestionId>,
    pub answered: i64,
    pub correct: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

/// One answer in a session.
#[derive(Clone, Debug, PartialEq)]
pub struct AttemptRecord {
    pub session: PracticeSessionId,
    pub question: QuestionId,
    pub answer: Answer,
    pub grade: Grade,
    pub time_taken_ms: Option<i64>,
    pub created_at: DateTime<Utc>,
    /// The coach's review, for an answer that could not be graded automatically.
    pub review: Option<AttemptReview>,
}

/// A coach's grading of an answer.
#[derive(Clone, Debug, PartialEq)]
pub struct AttemptReview {
    pub by: PersonId,
    pub at: DateTime<Utc>,
    /// What the coach told the learner (may be empty).
    pub comment: String,
}

/// An answer waiting for a coach, with whose it is.
#[derive(Clone, Debug, PartialEq)]
pub struct AwaitingReview {
    pub person: PersonId,
    pub person_name: String,
    pub attempt: AttemptRecord,
}

/// What an answer changes: the attempt, the item's statistics, and where the session goes next.
#[derive(Clone, Debug)]
pub struct AnswerWrite {
    pub attempt: AttemptRecord,
    /// The learner's mastery of the item's concept before the answer (for the item's statistics);
    /// `None` when the answer was not graded automatically.
    pub mastery_before: Option<f64>,
    /// The next question, or `None` to complete the session.
    pub next: Option<QuestionId>,
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    id: String,
    person_id: String,
    target: String,
    concepts: String,
    size: i64,
    status: String,
    current_question_id: Option<String>,
    answered: i64,
    correct: i64,
    created_at: i64,
    updated_at: i64,
    completed_at: Option<i64>,
}

impl SessionRow {
    fn into_record(self) -> StoreResult<PracticeSessionRecord> {
        Ok(PracticeSessionRecord {
            id: parse(&self.id, "session id")?,
            person: parse(&self.person_id, "person id")?,
            target: from_json(&self.target, "practice target")?,
            concepts: json_list(&self.concepts).iter().map(|c| parse(c, "concept id")).collect::<StoreResult<_>>()?,
            size: self.size,
            status: parse(&self.status, "session status")?,
            current: self.current_question_id.as_deref().map(|q| parse(q, "question id")).transpose()?,
            answered: self.answered,
            correct: self.correct,
            created_at: time(self.created_at),
            updated_at: time(self.updated_at),
            completed_at: opt_time(self.completed_at),
        })
    }
}

#[derive(sqlx::FromRow)]
struct AttemptRow {
    session_id: String,
    question_id: String,
    answer: String,
    grade: String,
    time_taken_ms: Option<i64>,
    created_at: i64,
    reviewed_by: Option<String>,
    reviewed_at: Option<i64>,
    review_comment: Option<String>,
}

impl AttemptRow {
    fn into_record(self) -> StoreResult<AttemptRecord> {
        Ok(AttemptRecord {
            session: parse(&self.session_id, "session id")?,
            question: parse(&self.question_id, "question id")?,
            answer: from_json(&self.answer, "answer")?,
            grade: from_json(&self.grade, "grade")?,
            time_taken_ms: self.time_taken_ms,
            created_at: time(self.created_at),
            review: match (self.reviewed_by, self.reviewed_at) {
                (Some(by), Some(at)) => Some(AttemptReview {
                    by: parse(&by, "reviewer id")?,
                    at: time(at),
                    comment: self.review_comment.unwrap_or_default(),
                }),
                _ => None,
            },
        })
    }
}

const SESSION_COLUMNS: &str = "id, person_id, target, concepts, size, status, current_question_id, answered, correct, \
                               created_at, updated_at, completed_at";
const ATTEMPT_COLUMNS: &str =
    "session_id, question_id, answer, grade, time_taken_ms, created_at, reviewed_by, reviewed_at, review_comment";

/// Counts a graded answer in its question's statistics inside the transaction `$tx`: a
/// read-modify-write made safe by the row lock (PostgreSQL) or the write lock (SQLite).
macro_rules! record_answer_in_statistics {
    ($store:expr, $tx:ident, $org:expr, $question:expr, $mastery:expr, $score:expr) => {{
        let lock = if matches!($store.backend(), crate::Backend::Postgres) { " FOR UPDATE" } else { "" };
        let (raw,): (String,) =
            sqlx::query_as(&format!("SELECT statistics FROM questions WHERE org_id = $1 AND id = $2{lock}"))
                .bind($org.to_string())
                .bind($question.to_string())
                .fetch_one(&mut *$tx)
                .await?;
        let statistics: ItemStatistics = from_json(&raw, "question statistics")?;
        sqlx::query("UPDATE questions SET statistics = $3 WHERE org_id = $1 AND id = $2")
            .bind($org.to_string())
            .bind($question.to_string())
            .bind(to_json(&statistics.after($mastery, $score)))
            .execute(&mut *$tx)
            .await?;
    }};
}

impl Store {
    /// Starts a session.
    pub async fn create_practice_session(&self, org: OrgId, session: &PracticeSessionRecord) -> StoreResult<()> {
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO practice_sessions (id, org_id, person_id, target, concepts, size, status, current_question_id,
                 answered, correct, created_at, updated_at, completed_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 0, 0, $9, $9, NULL)")
            .bind(session.id.to_string()).bind(org.to_string()).bind(session.person.to_string())
            .bind(to_json(&session.target))
            .bind(to_json(&session.concepts.iter().map(ToString::to_string).collect::<Vec<_>>()))
            .bind(session.size).bind(session.status.to_string()).bind(session.current.map(|q| q.to_string()))
            .bind(session.created_at.timestamp_millis())
            .execute(pool).await?.rows_affected());
        Ok(())
    }

    /// One session of an organisation.
    pub async fn practice_session(&self, org: OrgId, id: PracticeSessionId) -> StoreResult<PracticeSessionRecord> {
        let sql = format!("SELECT {SESSION_COLUMNS} FROM practice_sessions WHERE org_id = $1 AND id = $2");
        let row: Option<SessionRow> = on_pool!(self, pool => sqlx::query_as(&sql)
            .bind(org.to_string()).bind(id.to_string()).fetch_optional(pool).await?);
        row.ok_or(StoreError::NotFound)?.into_record()
    }

    /// A learner's sessions, newest first.
    pub async fn practice_sessions(
        &self,
        org: OrgId,
        person: PersonId,
        limit: i64,
    ) -> StoreResult<Vec<PracticeSessionRecord>> {
        let sql = format!(
            "SELECT {SESSION_COLUMNS} FROM practice_sessions WHERE org_id = $1 AND person_id = $2
             ORDER BY created_at DESC, id DESC LIMIT {limit}"
        );
        let rows: Vec<SessionRow> = on_pool!(self, pool => sqlx::query_as(&sql)
            .bind(org.to_string()).bind(person.to_string()).fetch_all(pool).await?);
        rows.into_iter().map(SessionRow::into_record).collect()
    }

    /// A session's attempts, in order.
    pub async fn practice_attempts(&self, org: OrgId, session: PracticeSessionId) -> StoreResult<Vec<AttemptRecord>> {
        let sql = format!(
            "SELECT {ATTEMPT_COLUMNS} FROM practice_attempts WHERE org_id = $1 AND session_id = $2
             ORDER BY created_at, question_id"
        );
        let rows: Vec<AttemptRow> = on_pool!(self, pool => sqlx::query_as(&sql)
            .bind(org.to_string()).bind(session.to_string()).fetch_all(pool).await?);
        rows.into_iter().map(AttemptRow::into_record).collect()
    }

    /// How many times a learner has answered each of these questions before, in any session.
    pub async fn answer_counts(
        &self,
        org: OrgId,
        person: PersonId,
    ) -> StoreResult<std::collections::HashMap<QuestionId, i64>> {
        let rows: Vec<(String, i64)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT question_id, COUNT(*) FROM practice_attempts WHERE org_id = $1 AND person_id = $2
             GROUP BY question_id")
            .bind(org.to_string()).bind(person.to_string()).fetch_all(pool).await?);
        rows.into_iter().map(|(q, n)| Ok((parse(&q, "question id")?, n))).collect()
    }

    /// Records an answer: the attempt, the item's statistics (when graded) and the session's
    /// counts and next question, in one transaction. A second answer to the same question of the
    /// session is a duplicate and writes nothing.
    pub async fn record_attempt(&self, org: OrgId, person: PersonId, write: &AnswerWrite) -> StoreResult<()> {
        let attempt = &write.attempt;
        let now = now_ms();
        let correct = match attempt.grade {
            Grade::Graded { correct, .. } => i64::from(correct),
            Grade::NeedsReview => 0,
        };
        in_tx!(self, tx => {
            let inserted = sqlx::query(
                "INSERT INTO practice_attempts (session_id, question_id, org_id, person_id, answer, grade, time_taken_ms,
                     created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                 ON CONFLICT (session_id, question_id) DO NOTHING")
                .bind(attempt.session.to_string()).bind(attempt.question.to_string()).bind(org.to_string())
                .bind(person.to_string()).bind(to_json(&attempt.answer)).bind(to_json(&attempt.grade))
                .bind(attempt.time_taken_ms).bind(attempt.created_at.timestamp_millis())
                .execute(&mut *tx).await?.rows_affected();
            if inserted == 0 {
                return Err(StoreError::Duplicate("question_id"));
            }
            if let (Grade::Graded { score, .. }, Some(mastery)) = (attempt.grade, write.mastery_before) {
                record_answer_in_statistics!(self, tx, org, attempt.question, mastery, score);
            }
            let status = if write.next.is_some() { SessionStatus::Active } else { SessionStatus::Completed };
            sqlx::query(
                "UPDATE practice_sessions SET answered = answered + 1, correct = correct + $3, current_question_id = $4,
                     status = $5, updated_at = $6, completed_at = CASE WHEN $5 = 'completed' THEN $6 ELSE NULL END
                 WHERE org_id = $1 AND id = $2")
                .bind(org.to_string()).bind(attempt.session.to_string()).bind(correct)
                .bind(write.next.map(|q| q.to_string())).bind(status.to_string()).bind(now)
                .execute(&mut *tx).await?;
        });
        Ok(())
    }
    /// Grades an answer that waited for a coach: the attempt's grade and review, the item's
    /// statistics (`mastery_before`: the learner's standing on its concept before the grade) and
    /// the session's count of right answers, in one transaction. An answer that is not waiting
    /// (graded already, by the rules or another coach) is `Duplicate("review")` and changes nothing.
    pub async fn review_attempt(
        &self,
        org: OrgId,
        session: PracticeSessionId,
        question: QuestionId,
        grade: Grade,
        review: &AttemptReview,
        mastery_before: f64,
    ) -> StoreResult<()> {
        let Grade::Graded { score, correct } = grade else {
            return Err(StoreError::Corrupt("a review grades the answer".into()));
        };
        in_tx!(self, tx => {
            let changed = sqlx::query(
                "UPDATE practice_attempts SET grade = $4, reviewed_by = $5, reviewed_at = $6, review_comment = $7
                 WHERE org_id = $1 AND session_id = $2 AND question_id = $3 AND grade = $8 AND reviewed_at IS NULL")
                .bind(org.to_string()).bind(session.to_string()).bind(question.to_string()).bind(to_json(&grade))
                .bind(review.by.to_string()).bind(review.at.timestamp_millis()).bind(&review.comment)
                .bind(to_json(&Grade::NeedsReview))
                .execute(&mut *tx).await?.rows_affected();
            if changed == 0 {
                return Err(StoreError::Duplicate("review"));
            }
            record_answer_in_statistics!(self, tx, org, question, mastery_before, score);
            sqlx::query(
                "UPDATE practice_sessions SET correct = correct + $3, updated_at = $4 WHERE org_id = $1 AND id = $2")
                .bind(org.to_string()).bind(session.to_string()).bind(i64::from(correct)).bind(now_ms())
                .execute(&mut *tx).await?;
        });
        Ok(())
    }

    /// Answers waiting for a coach, oldest first: of `people` only, or of everyone when `None`.
    pub async fn awaiting_review(&self, org: OrgId, people: Option<&[PersonId]>) -> StoreResult<Vec<AwaitingReview>> {
        let columns: String = ATTEMPT_COLUMNS.split(", ").map(|c| format!("a.{c}")).collect::<Vec<_>>().join(", ");
        let only = match people {
            Some([]) => return Ok(Vec::new()),
            Some(people) => format!(
                " AND a.person_id IN ({})",
                (0..people.len()).map(|i| format!("${}", i + 3)).collect::<Vec<_>>().join(", ")
            ),
            None => String::new(),
        };
        let sql = format!(
            "SELECT a.person_id, p.display_name, {columns} FROM practice_attempts a JOIN people p ON p.id = a.person_id
             WHERE a.org_id = $1 AND a.grade = $2 AND a.reviewed_at IS NULL{only}
             ORDER BY a.created_at, a.question_id LIMIT 200"
        );
        #[derive(sqlx::FromRow)]
        struct Row {
            person_id: String,
            display_name: String,
            #[sqlx(flatten)]
            attempt: AttemptRow,
        }
        let rows: Vec<Row> = on_pool!(self, pool => {
            let mut query = sqlx::query_as(&sql).bind(org.to_string()).bind(to_json(&Grade::NeedsReview));
            for person in people.unwrap_or_default() {
                query = query.bind(person.to_string());
            }
            query.fetch_all(pool).await?
        });
        rows.into_iter()
            .map(|r| {
                Ok(AwaitingReview {
                    person: parse(&r.person_id, "person id")?,
                    person_name: r.display_name,
                    attempt: r.attempt.into_record()?,
                })
            })
            .collect()
    }
}
