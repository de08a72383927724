//! Learning in storage: programs and their versions, concepts, prerequisite
//! edges, enrolments, evidence, each learner's model state and review
//! schedule, fitted model parameters and goals.
//!
//! Versions are rows' lifetimes: a concept or edge row is live in versions
//! `since_version <= v < until_version`. Authors change a program's
//! `latest_version`; when that is the published one, the first change opens a
//! draft (`latest_version + 1`) so learners keep seeing what was published.

use crate::insights::{Tally, TallyScope, add_tally};
use crate::{Store, StoreError, StoreResult, duplicate_as, in_tx, on_pool, rows::*};
use chrono::{DateTime, Utc};
use wayfinder_accounts_rules::{OrgId, PersonId};
use wayfinder_learning_rules::mastery::{ConceptState, LearnerState};
use wayfinder_learning_rules::path::MASTERED_AT;
use wayfinder_learning_rules::program::{
    ConceptId, EnrolmentId, EnrolmentStatus, EvidenceId, GoalId, GoalKind, MaterialRef, ProgramId, ProgramStatus,
};
use wayfinder_learning_rules::review::ReviewCard;

/// A program as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct ProgramRecord {
    pub id: ProgramId,
    pub org: OrgId,
    pub title: String,
    pub description: String,
    pub status: ProgramStatus,
    pub self_enrolment: bool,
    /// The version learners see (`None`: never published).
    pub published_version: Option<i64>,
    /// The version authors edit; a draft when newer than `published_version`.
    pub latest_version: i64,
    pub concept_count: i64,
    pub enrolled_count: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ProgramRecord {
    /// Whether a draft newer than the published version exists.
    pub fn has_draft(&self) -> bool {
        self.published_version != Some(self.latest_version)
    }
}

/// A program to create.
#[derive(Clone, Debug)]
pub struct NewProgram {
    pub id: ProgramId,
    pub org: OrgId,
    pub title: String,
    pub description: String,
    pub self_enrolment: bool,
    pub created_by: Option<PersonId>,
}

/// A concept's content in one version.
#[derive(Clone, Debug, PartialEq)]
pub struct ConceptRecord {
    pub id: ConceptId,
    pub program: ProgramId,
    pub name: String,
    pub description: String,
    pub tags: Vec<String>,
    pub estimated_minutes: i64,
    pub material: Vec<MaterialRef>,
    /// Order inside the program (authoring order).
    pub position: i64,
}

/// Which version of a program to read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProgramVersion {
    /// What learners see (nothing when never published).
    Published,
    /// What authors edit.
    Latest,
}

impl ProgramVersion {
    fn column(self) -> &'static str {
        match self {
            ProgramVersion::Published => "p.published_version",
            ProgramVersion::Latest => "p.latest_version",
        }
    }
}

/// A prerequisite edge: `concept` requires `requires`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Prerequisite {
    pub concept: ConceptId,
    pub requires: ConceptId,
}

/// An enrolment with the learner's name.
#[derive(Clone, Debug, PartialEq)]
pub struct EnrolmentRecord {
    pub id: EnrolmentId,
    pub program: ProgramId,
    pub program_title: String,
    pub person: PersonId,
    pub person_name: String,
    pub status: EnrolmentStatus,
    pub enrolled_by: Option<PersonId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// One piece of evidence as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct EvidenceRecord {
    pub id: EvidenceId,
    pub person: PersonId,
    pub concept: ConceptId,
    /// The evidence kind's stored name (a closed set of the learner model).
    pub kind: String,
    /// 0..1 for graded evidence; `None` for exposure.
    pub outcome: Option<f64>,
    pub source: String,
    pub recorded_by: Option<PersonId>,
    pub idempotency_key: Option<String>,
    pub occurred_at: DateTime<Utc>,
}

/// A learner's standing on one concept: the model's state and the review card.
#[derive(Clone, Debug, PartialEq)]
pub struct LearnerConceptRecord {
    pub person: PersonId,
    pub concept: ConceptId,
    pub state: ConceptState,
    /// Mastery at the last update (before forgetting since then).
    pub mastery: f64,
    pub evidence_count: i64,
    pub review: Option<ReviewCard>,
    pub review_due: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

/// What the learner model reads before an update, inside the write's transaction.
#[derive(Clone, Debug)]
pub struct ModelInputs {
    /// The learner's organisation-wide state (`None`: no evidence yet).
    pub learner: Option<LearnerState>,
    /// The learner's state on the concept (`None`: no evidence yet).
    pub concept: Option<LearnerConceptRecord>,
    /// The learner's records on the concept's prerequisites that have any.
    pub prerequisites: Vec<LearnerConceptRecord>,
}

/// What the learner model writes back after an update.
#[derive(Clone, Debug)]
pub struct ModelOutputs {
    pub learner: LearnerState,
    pub concept_state: ConceptState,
    pub mastery: f64,
    pub review: Option<ReviewCard>,
    pub review_due: Option<DateTime<Utc>>,
}

/// What an evidence write left: the learner's new state and record on the
/// concept, and their records on its prerequisites as the update read them.
#[derive(Clone, Debug)]
pub struct WrittenEvidence {
    pub learner: LearnerState,
    pub concept: LearnerConceptRecord,
    pub prerequisites: Vec<LearnerConceptRecord>,
}

/// A fitted learner model of an organisation.
#[derive(Clone, Debug, PartialEq)]
pub struct MasteryModelRecord {
    pub params: serde_json::Value,
    pub concepts: serde_json::Value,
    pub answers: i64,
    pub fitted_at: DateTime<Utc>,
}

/// A goal as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct GoalRecord {
    pub id: GoalId,
    pub person: PersonId,
    pub kind: GoalKind,
    pub title: String,
    pub targets: Vec<ConceptId>,
    pub set_by: Option<PersonId>,
    pub created_at: DateTime<Utc>,
    /// The day it should be reached by.
    pub deadline: Option<chrono::NaiveDate>,
}

/// A whole program written at once (import, or a reviewed draft).
#[derive(Clone, Debug)]
pub struct ProgramContent {
    pub concepts: Vec<ConceptRecord>,
    pub prerequisites: Vec<Prerequisite>,
    /// Questions that come with it (an imported program's); those the bank holds already are skipped.
    pub questions: Vec<crate::QuestionRecord>,
}

/// The organisation's concept graph as learners see it (published versions).
#[derive(Clone, Debug, Default)]
pub struct PublishedGraph {
    pub concepts: Vec<ConceptRecord>,
    pub prerequisites: Vec<Prerequisite>,
}

#[derive(sqlx::FromRow)]
struct ProgramRow {
    id: String,
    org_id: String,
    title: String,
    description: String,
    status: String,
    self_enrolment: bool,
    published_version: Option<i64>,
    latest_version: i64,
    concept_count: i64,
    enrolled_count: i64,
    created_at: i64,
    updated_at: i64,
}

impl ProgramRow {
    fn into_record(self) -> StoreResult<ProgramRecord> {
        Ok(ProgramRecord {
            id: parse(&self.id, "program id")?,
            org: parse(&self.org_id, "organisation id")?,
            title: self.title,
            description: self.description,
            status: parse(&self.status, "program status")?,
            self_enrolment: self.self_enrolment,
            published_version: self.published_version,
            latest_version: self.latest_version,
            concept_count: self.concept_count,
            enrolled_count: self.enrolled_count,
            created_at: time(self.created_at),
            updated_at: time(self.updated_at),
        })
    }
}

const PROGRAM_SELECT: &str = "SELECT p.id, p.org_id, p.title, p.description, p.status, p.self_enrolment,
    p.published_version, p.latest_version,
    (SELECT COUNT(*) FROM concepts c WHERE c.program_id = p.id AND c.since_version <= p.latest_version
        AND (c.until_version IS NULL OR c.until_version > p.latest_version)) AS concept_count,
    (SELECT COUNT(*) FROM enrolments e WHERE e.program_id = p.id AND e.status = 'active') AS enrolled_count,
    p.created_at, p.updated_at
    FROM programs p";

#[derive(sqlx::FromRow)]
struct ConceptRow {
    id: String,
    program_id: String,
    name: String,
    description: String,
    tags: String,
    estimated_minutes: i64,
    material: String,
    position: i64,
}

impl ConceptRow {
    fn into_record(self) -> StoreResult<ConceptRecord> {
        Ok(ConceptRecord {
            id: parse(&self.id, "concept id")?,
            program: parse(&self.program_id, "program id")?,
            name: self.name,
            description: self.description,
            tags: json_list(&self.tags),
            estimated_minutes: self.estimated_minutes,
            material: serde_json::from_str(&self.material)
                .map_err(|e| StoreError::Corrupt(format!("concept material: {e}")))?,
            position: self.position,
        })
    }
}

/// Concept rows live in the given version of their program (`p` joined).
fn live(alias: &str, version: &str) -> String {
    format!(
        "{alias}.since_version <= {version} AND ({alias}.until_version IS NULL OR {alias}.until_version > {version})"
    )
}

/// Matches the edge whose `concept_id || ' ' || requires_id` is `$1`.
const EDGE_KEY_MATCHES: &str = "concept_id || ' ' || requires_id = $1";

const CONCEPT_COLUMNS: &str =
    "c.id, c.program_id, c.name, c.description, c.tags, c.estimated_minutes, c.material, c.position";

#[derive(sqlx::FromRow)]
struct EnrolmentRow {
    id: String,
    program_id: String,
    program_title: String,
    person_id: String,
    person_name: String,
    status: String,
    enrolled_by: Option<String>,
    created_at: i64,
    updated_at: i64,
}

impl EnrolmentRow {
    fn into_record(self) -> StoreResult<EnrolmentRecord> {
        Ok(EnrolmentRecord {
            id: parse(&self.id, "enrolment id")?,
            program: parse(&self.program_id, "program id")?,
            program_title: self.program_title,
            person: parse(&self.person_id, "person id")?,
            person_name: self.person_name,
            status: parse(&self.status, "enrolment status")?,
            enrolled_by: self.enrolled_by.as_deref().map(|p| parse(p, "person id")).transpose()?,
            created_at: time(self.created_at),
            updated_at: time(self.updated_at),
        })
    }
}

const ENROLMENT_SELECT: &str = "SELECT e.id, e.program_id, p.title AS program_title, e.person_id,
    u.display_name AS person_name, e.status, e.enrolled_by, e.created_at, e.updated_at
    FROM enrolments e JOIN programs p ON p.id = e.program_id JOIN people u ON u.id = e.person_id";

#[derive(sqlx::FromRow)]
struct EvidenceRow {
    id: String,
    person_id: String,
    concept_id: String,
    kind: String,
    outcome: Option<f64>,
    source: String,
    recorded_by: Option<String>,
    idempotency_key: Option<String>,
    occurred_at: i64,
}

impl EvidenceRow {
    fn into_record(self) -> StoreResult<EvidenceRecord> {
        Ok(EvidenceRecord {
            id: parse(&self.id, "evidence id")?,
            person: parse(&self.person_id, "person id")?,
            concept: parse(&self.concept_id, "concept id")?,
            kind: self.kind,
            outcome: self.outcome,
            source: self.source,
            recorded_by: self.recorded_by.as_deref().map(|p| parse(p, "person id")).transpose()?,
            idempotency_key: self.idempotency_key,
            occurred_at: time(self.occurred_at),
        })
    }
}

const EVIDENCE_COLUMNS: &str =
    "id, person_id, concept_id, kind, outcome, source, recorded_by, idempotency_key, occurred_at";

#[derive(sqlx::FromRow)]
struct LearnerConceptRow {
    person_id: String,
    concept_id: String,
    state: String,
    mastery: f64,
    evidence_count: i64,
    review: Option<String>,
    review_due: Option<i64>,
    updated_at: i64,
}

impl LearnerConceptRow {
    fn into_record(self) -> StoreResult<LearnerConceptRecord> {
        Ok(LearnerConceptRecord {
            person: parse(&self.person_id, "person id")?,
            concept: parse(&self.concept_id, "concept id")?,
            state: from_json(&self.state, "learner concept state")?,
            mastery: self.mastery,
            evidence_count: self.evidence_count,
            review: self.review.as_deref().map(|r| from_json(r, "review card")).transpose()?,
            review_due: opt_time(self.review_due),
            updated_at: time(self.updated_at),
        })
    }
}

const LEARNER_CONCEPT_COLUMNS: &str =
    "person_id, concept_id, state, mastery, evidence_count, review, review_due, updated_at";

#[derive(sqlx::FromRow)]
pub(crate) struct GoalRow {
    id: String,
    person_id: String,
    kind: String,
    title: String,
    targets: String,
    set_by: Option<String>,
    created_at: i64,
    deadline_day: Option<i64>,
}

impl GoalRow {
    pub(crate) fn into_record(self) -> StoreResult<GoalRecord> {
        Ok(GoalRecord {
            id: parse(&self.id, "goal id")?,
            person: parse(&self.person_id, "person id")?,
            kind: parse(&self.kind, "goal kind")?,
            title: self.title,
            targets: json_list(&self.targets).iter().map(|c| parse(c, "concept id")).collect::<StoreResult<_>>()?,
            set_by: self.set_by.as_deref().map(|p| parse(p, "person id")).transpose()?,
            created_at: time(self.created_at),
            deadline: self.deadline_day.map(|d| wayfinder_insights_rules::days::Day(d).date()),
        })
    }
}

/// Ids as stored JSON text.
fn id_list<T: ToString>(ids: &[T]) -> String {
    to_json(&ids.iter().map(ToString::to_string).collect::<Vec<_>>())
}

/// Opens a draft version of a program when its latest version is the
/// published one, and bumps the organisation's learning epoch. Returns the
/// version to write into. Written once: both drivers' connections run it.
macro_rules! open_draft {
    ($tx:expr, $org:expr, $program:expr) => {{
        let row: Option<(Option<i64>, i64, String)> = sqlx::query_as(
            "SELECT published_version, latest_version, status FROM programs WHERE org_id = $1 AND id = $2",
        )
        .bind($org.to_string())
        .bind($program.to_string())
        .fetch_optional(&mut *$tx)
        .await?;
        let (published, latest, status) = row.ok_or(StoreError::NotFound)?;
        if status == <&str>::from(ProgramStatus::Archived) {
            return Err(StoreError::Conflict("an archived program cannot change"));
        }
        let version = if published == Some(latest) { latest + 1 } else { latest };
        sqlx::query("UPDATE programs SET latest_version = $3, updated_at = $4 WHERE org_id = $1 AND id = $2")
            .bind($org.to_string())
            .bind($program.to_string())
            .bind(version)
            .bind(now_ms())
            .execute(&mut *$tx)
            .await?;
        bump_epoch!($tx, $org);
        version
    }};
}

/// Bumps an organisation's learning epoch inside a transaction.
macro_rules! bump_epoch {
    ($tx:expr, $org:expr) => {
        sqlx::query(
            "INSERT INTO learning_epochs (org_id, epoch) VALUES ($1, 1)
             ON CONFLICT (org_id) DO UPDATE SET epoch = learning_epochs.epoch + 1",
        )
        .bind($org.to_string())
        .execute(&mut *$tx)
        .await?
    };
}

/// Closes (or, when it was born in this draft, deletes) the live concept row
/// of `concept` in `version`; returns its content.
macro_rules! close_concept_row {
    ($tx:expr, $concept:expr, $version:expr) => {{
        let row: Option<(i64,)> =
            sqlx::query_as(&format!("SELECT c.since_version FROM concepts c WHERE c.id = $1 AND {}", live("c", "$2")))
                .bind($concept.to_string())
                .bind($version)
                .fetch_optional(&mut *$tx)
                .await?;
        let (since,) = row.ok_or(StoreError::NotFound)?;
        if since == $version {
            sqlx::query("DELETE FROM concepts WHERE id = $1 AND since_version = $2")
                .bind($concept.to_string())
                .bind(since)
                .execute(&mut *$tx)
                .await?;
        } else {
            sqlx::query("UPDATE concepts SET until_version = $3 WHERE id = $1 AND since_version = $2")
                .bind($concept.to_string())
                .bind(since)
                .bind($version)
                .execute(&mut *$tx)
                .await?;
        }
    }};
}

/// Inserts a concept row live from `version`.
macro_rules! insert_concept_row {
    ($tx:expr, $org:expr, $concept:expr, $version:expr) => {
        sqlx::query(
            "INSERT INTO concepts (id, since_version, org_id, program_id, name, description, tags, estimated_minutes, material, position)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind($concept.id.to_string())
        .bind($version)
        .bind($org.to_string())
        .bind($concept.program.to_string())
        .bind(&$concept.name)
        .bind(&$concept.description)
        .bind(to_json(&$concept.tags))
        .bind($concept.estimated_minutes)
        .bind(to_json(&$concept.material))
        .bind($concept.position)
        .execute(&mut *$tx)
        .await?
    };
}

/// Closes (or deletes, when born in this draft) the live edge rows matching
/// `$filter` (a condition on `concept_id`/`requires_id` with `$1`) in `version`
/// of `program`.
macro_rules! close_edges {
    ($tx:expr, $program:expr, $version:expr, $filter:expr, $bind:expr) => {{
        sqlx::query(&format!(
            "DELETE FROM prerequisites WHERE program_id = $2 AND since_version = $3 AND until_version IS NULL AND ({})",
            $filter
        ))
        .bind($bind)
        .bind($program.to_string())
        .bind($version)
        .execute(&mut *$tx)
        .await?;
        sqlx::query(&format!(
            "UPDATE prerequisites SET until_version = $3 WHERE program_id = $2 AND since_version < $3
             AND until_version IS NULL AND ({})",
            $filter
        ))
        .bind($bind)
        .bind($program.to_string())
        .bind($version)
        .execute(&mut *$tx)
        .await?
    }};
}

impl Store {
    /// Stores a new draft program (version 1, nothing published).
    pub async fn create_program(&self, program: &NewProgram) -> StoreResult<ProgramRecord> {
        let now = now_ms();
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO programs (id, org_id, title, description, status, self_enrolment, published_version, latest_version,
             created_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, NULL, 1, $7, $8, $8)")
            .bind(program.id.to_string()).bind(program.org.to_string()).bind(&program.title).bind(&program.description)
            .bind(<&str>::from(ProgramStatus::Draft)).bind(program.self_enrolment)
            .bind(program.created_by.map(|p| p.to_string())).bind(now)
            .execute(pool).await?.rows_affected());
        self.program(program.org, program.id).await
    }

    /// One program of an organisation.
    pub async fn program(&self, org: OrgId, id: ProgramId) -> StoreResult<ProgramRecord> {
        let sql = format!("{PROGRAM_SELECT} WHERE p.org_id = $1 AND p.id = $2");
        let row: Option<ProgramRow> = on_pool!(self, pool => sqlx::query_as(&sql)
            .bind(org.to_string()).bind(id.to_string()).fetch_optional(pool).await?);
        row.ok_or(StoreError::NotFound)?.into_record()
    }

    /// An organisation's programs by title.
    pub async fn programs(&self, org: OrgId) -> StoreResult<Vec<ProgramRecord>> {
        let sql = format!("{PROGRAM_SELECT} WHERE p.org_id = $1 ORDER BY p.title, p.id");
        let rows: Vec<ProgramRow> =
            on_pool!(self, pool => sqlx::query_as(&sql).bind(org.to_string()).fetch_all(pool).await?);
        rows.into_iter().map(ProgramRow::into_record).collect()
    }

    /// Changes a program's title, description and self-enrolment (not versioned:
    /// they describe the program, not what is learned).
    pub async fn update_program(
        &self,
        org: OrgId,
        id: ProgramId,
        title: &str,
        description: &str,
        self_enrolment: bool,
    ) -> StoreResult<ProgramRecord> {
        let done = on_pool!(self, pool => sqlx::query(
            "UPDATE programs SET title = $3, description = $4, self_enrolment = $5, updated_at = $6
             WHERE org_id = $1 AND id = $2 AND status <> 'archived'")
            .bind(org.to_string()).bind(id.to_string()).bind(title).bind(description).bind(self_enrolment).bind(now_ms())
            .execute(pool).await?.rows_affected());
        if done == 0 {
            let program = self.program(org, id).await?;
            if program.status == ProgramStatus::Archived {
                return Err(StoreError::Conflict("an archived program cannot change"));
            }
        }
        self.program(org, id).await
    }

    /// Publishes a program's latest version: learners now see it. Enrolments
    /// follow the program, so they move forward with it.
    pub async fn publish_program(&self, org: OrgId, id: ProgramId) -> StoreResult<ProgramRecord> {
        in_tx!(self, tx => {
            let done = sqlx::query(
                "UPDATE programs SET published_version = latest_version, status = $3, updated_at = $4
                 WHERE org_id = $1 AND id = $2 AND status <> 'archived'")
                .bind(org.to_string()).bind(id.to_string()).bind(<&str>::from(ProgramStatus::Published)).bind(now_ms())
                .execute(&mut *tx).await?.rows_affected();
            if done == 0 {
                let exists: Option<(String,)> = sqlx::query_as("SELECT status FROM programs WHERE org_id = $1 AND id = $2")
                    .bind(org.to_string()).bind(id.to_string()).fetch_optional(&mut *tx).await?;
                return Err(match exists {
                    Some(_) => StoreError::Conflict("an archived program cannot be published"),
                    None => StoreError::NotFound,
                });
            }
            bump_epoch!(tx, org);
        });
        self.program(org, id).await
    }

    /// Throws a program's unpublished draft away: its rows go, what it closed reopens.
    pub async fn discard_draft(&self, org: OrgId, id: ProgramId) -> StoreResult<ProgramRecord> {
        let program = self.program(org, id).await?;
        let Some(published) = program.published_version.filter(|p| *p != program.latest_version) else {
            return Err(StoreError::Conflict("the program has no draft newer than its published version"));
        };
        let draft = program.latest_version;
        in_tx!(self, tx => {
            for table in ["concepts", "prerequisites"] {
                sqlx::query(&format!("DELETE FROM {table} WHERE program_id = $1 AND since_version = $2"))
                    .bind(id.to_string()).bind(draft).execute(&mut *tx).await?;
                sqlx::query(&format!("UPDATE {table} SET until_version = NULL WHERE program_id = $1 AND until_version = $2"))
                    .bind(id.to_string()).bind(draft).execute(&mut *tx).await?;
            }
            sqlx::query("UPDATE programs SET latest_version = $3, updated_at = $4 WHERE org_id = $1 AND id = $2")
                .bind(org.to_string()).bind(id.to_string()).bind(published).bind(now_ms()).execute(&mut *tx).await?;
            bump_epoch!(tx, org);
        });
        self.program(org, id).await
    }

    /// Deletes a program nobody was ever enrolled in; otherwise archives it
    /// (its enrolments and their evidence stay). Returns whether it was archived.
    pub async fn delete_or_archive_program(&self, org: OrgId, id: ProgramId) -> StoreResult<bool> {
        Ok(in_tx!(self, tx => {
            let (enrolled,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM enrolments e JOIN programs p ON p.id = e.program_id WHERE p.org_id = $1 AND p.id = $2")
                .bind(org.to_string()).bind(id.to_string()).fetch_one(&mut *tx).await?;
            let (required,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM prerequisites r JOIN concepts c ON c.id = r.requires_id
                 WHERE c.program_id = $1 AND r.program_id <> $1 AND r.until_version IS NULL")
                .bind(id.to_string()).fetch_one(&mut *tx).await?;
            let archived = enrolled > 0 || required > 0;
            let done = if archived {
                sqlx::query("UPDATE programs SET status = $3, updated_at = $4 WHERE org_id = $1 AND id = $2")
                    .bind(org.to_string()).bind(id.to_string()).bind(<&str>::from(ProgramStatus::Archived)).bind(now_ms())
                    .execute(&mut *tx).await?.rows_affected()
            } else {
                sqlx::query("DELETE FROM programs WHERE org_id = $1 AND id = $2")
                    .bind(org.to_string()).bind(id.to_string()).execute(&mut *tx).await?.rows_affected()
            };
            if done == 0 {
                return Err(StoreError::NotFound);
            }
            bump_epoch!(tx, org);
            archived
        }))
    }

    /// A program's concepts in one version, in authoring order.
    pub async fn concepts(
        &self,
        org: OrgId,
        program: ProgramId,
        version: ProgramVersion,
    ) -> StoreResult<Vec<ConceptRecord>> {
        let sql = format!(
            "SELECT {CONCEPT_COLUMNS} FROM concepts c JOIN programs p ON p.id = c.program_id
             WHERE p.org_id = $1 AND p.id = $2 AND {} ORDER BY c.position, c.name",
            live("c", version.column())
        );
        let rows: Vec<ConceptRow> = on_pool!(self, pool => sqlx::query_as(&sql)
            .bind(org.to_string()).bind(program.to_string()).fetch_all(pool).await?);
        rows.into_iter().map(ConceptRow::into_record).collect()
    }

    /// One concept in its program's latest version (`Published`: as learners see it).
    pub async fn concept(&self, org: OrgId, id: ConceptId, version: ProgramVersion) -> StoreResult<ConceptRecord> {
        let sql = format!(
            "SELECT {CONCEPT_COLUMNS} FROM concepts c JOIN programs p ON p.id = c.program_id
             WHERE p.org_id = $1 AND c.id = $2 AND {}",
            live("c", version.column())
        );
        let row: Option<ConceptRow> = on_pool!(self, pool => sqlx::query_as(&sql)
            .bind(org.to_string()).bind(id.to_string()).fetch_optional(pool).await?);
        row.ok_or(StoreError::NotFound)?.into_record()
    }

    /// Adds a concept to a program's draft (opening one when needed).
    pub async fn add_concept(&self, org: OrgId, concept: &ConceptRecord) -> StoreResult<ConceptRecord> {
        in_tx!(self, tx => {
            let version = open_draft!(tx, org, concept.program);
            let mut concept = concept.clone();
            if concept.position < 0 {
                let (next,): (i64,) = sqlx::query_as("SELECT COALESCE(MAX(position) + 1, 0) FROM concepts WHERE program_id = $1")
                    .bind(concept.program.to_string()).fetch_one(&mut *tx).await?;
                concept.position = next;
            }
            let taken: Option<(String,)> = sqlx::query_as(&format!(
                "SELECT c.id FROM concepts c WHERE c.program_id = $1 AND lower(c.name) = lower($2) AND {}", live("c", "$3")))
                .bind(concept.program.to_string()).bind(&concept.name).bind(version).fetch_optional(&mut *tx).await?;
            if taken.is_some() {
                return Err(StoreError::Duplicate("name"));
            }
            insert_concept_row!(tx, org, concept, version);
        });
        self.concept(org, concept.id, ProgramVersion::Latest).await
    }

    /// Saves a concept's changed content into its program's draft.
    pub async fn update_concept(&self, org: OrgId, concept: &ConceptRecord) -> StoreResult<ConceptRecord> {
        in_tx!(self, tx => {
            let version = open_draft!(tx, org, concept.program);
            let taken: Option<(String,)> = sqlx::query_as(&format!(
                "SELECT c.id FROM concepts c WHERE c.program_id = $1 AND lower(c.name) = lower($2) AND c.id <> $4 AND {}",
                live("c", "$3")))
                .bind(concept.program.to_string()).bind(&concept.name).bind(version).bind(concept.id.to_string())
                .fetch_optional(&mut *tx).await?;
            if taken.is_some() {
                return Err(StoreError::Duplicate("name"));
            }
            close_concept_row!(tx, concept.id, version);
            insert_concept_row!(tx, org, concept, version);
        });
        self.concept(org, concept.id, ProgramVersion::Latest).await
    }

    /// Removes a concept from its program's draft, with its own prerequisite
    /// edges and the edges of the same program that require it. Refused while
    /// another program's concept requires it.
    pub async fn remove_concept(&self, org: OrgId, program: ProgramId, id: ConceptId) -> StoreResult<()> {
        in_tx!(self, tx => {
            let (outside,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM prerequisites WHERE requires_id = $1 AND program_id <> $2 AND until_version IS NULL")
                .bind(id.to_string()).bind(program.to_string()).fetch_one(&mut *tx).await?;
            if outside > 0 {
                return Err(StoreError::Conflict("a concept of another program requires this concept"));
            }
            let version = open_draft!(tx, org, program);
            close_concept_row!(tx, id, version);
            close_edges!(tx, program, version, "concept_id = $1 OR requires_id = $1", id.to_string());
        });
        Ok(())
    }

    /// Every prerequisite edge of the organisation that is live in any
    /// program's published or latest version: the graph a new edge must not
    /// close a cycle in, whichever versions learners end up combining.
    pub async fn prerequisites_for_check(&self, org: OrgId) -> StoreResult<Vec<Prerequisite>> {
        let sql = format!(
            "SELECT DISTINCT r.concept_id, r.requires_id FROM prerequisites r JOIN programs p ON p.id = r.program_id
             WHERE p.org_id = $1 AND (({}) OR (p.published_version IS NOT NULL AND {}))",
            live("r", "p.latest_version"),
            live("r", "p.published_version")
        );
        self.edges(&sql, org, None).await
    }

    async fn edges(&self, sql: &str, org: OrgId, program: Option<ProgramId>) -> StoreResult<Vec<Prerequisite>> {
        let rows: Vec<(String, String)> = on_pool!(self, pool => {
            let mut q = sqlx::query_as(sql).bind(org.to_string());
            if let Some(program) = program {
                q = q.bind(program.to_string());
            }
            q.fetch_all(pool).await?
        });
        rows.into_iter()
            .map(|(c, r)| Ok(Prerequisite { concept: parse(&c, "concept id")?, requires: parse(&r, "concept id")? }))
            .collect()
    }

    /// A program's prerequisite edges in one version (edges whose concept is in it).
    pub async fn program_prerequisites(
        &self,
        org: OrgId,
        program: ProgramId,
        version: ProgramVersion,
    ) -> StoreResult<Vec<Prerequisite>> {
        let sql = format!(
            "SELECT r.concept_id, r.requires_id FROM prerequisites r JOIN programs p ON p.id = r.program_id
             WHERE p.org_id = $1 AND p.id = $2 AND {} ORDER BY r.concept_id, r.requires_id",
            live("r", version.column())
        );
        self.edges(&sql, org, Some(program)).await
    }

    /// Adds `concept requires requires` to the draft of `concept`'s program.
    /// Both concepts must be live in their programs' latest versions.
    pub async fn add_prerequisite(&self, org: OrgId, program: ProgramId, edge: Prerequisite) -> StoreResult<()> {
        in_tx!(self, tx => {
            let version = open_draft!(tx, org, program);
            let live_sql = format!(
                "SELECT COUNT(*) FROM concepts c JOIN programs p ON p.id = c.program_id
                 WHERE p.org_id = $1 AND c.id = $2 AND {}", live("c", "p.latest_version"));
            for id in [edge.concept, edge.requires] {
                let (n,): (i64,) = sqlx::query_as(&live_sql).bind(org.to_string()).bind(id.to_string())
                    .fetch_one(&mut *tx).await?;
                if n == 0 {
                    return Err(StoreError::MissingReference);
                }
            }
            let exists: Option<(i64,)> = sqlx::query_as(&format!(
                "SELECT r.since_version FROM prerequisites r WHERE r.concept_id = $1 AND r.requires_id = $2 AND {}",
                live("r", "$3")))
                .bind(edge.concept.to_string()).bind(edge.requires.to_string()).bind(version)
                .fetch_optional(&mut *tx).await?;
            if exists.is_some() {
                return Err(StoreError::Duplicate("prerequisite"));
            }
            sqlx::query("INSERT INTO prerequisites (org_id, program_id, concept_id, requires_id, since_version)
                         VALUES ($1, $2, $3, $4, $5)")
                .bind(org.to_string()).bind(program.to_string()).bind(edge.concept.to_string())
                .bind(edge.requires.to_string()).bind(version).execute(&mut *tx).await.map_err(duplicate_as("prerequisite"))?;
        });
        Ok(())
    }

    /// Removes a prerequisite edge from the draft of `concept`'s program.
    pub async fn remove_prerequisite(&self, org: OrgId, program: ProgramId, edge: Prerequisite) -> StoreResult<()> {
        in_tx!(self, tx => {
            let version = open_draft!(tx, org, program);
            let found: Option<(i64,)> = sqlx::query_as(&format!(
                "SELECT r.since_version FROM prerequisites r WHERE r.program_id = $3 AND r.concept_id = $1 AND r.requires_id = $2 AND {}",
                live("r", "$4")))
                .bind(edge.concept.to_string()).bind(edge.requires.to_string()).bind(program.to_string()).bind(version)
                .fetch_optional(&mut *tx).await?;
            if found.is_none() {
                return Err(StoreError::NotFound);
            }
            // `$1` names the edge as `concept requires` joined by a space: one bound value.
            close_edges!(tx, program, version, EDGE_KEY_MATCHES, format!("{} {}", edge.concept, edge.requires));
        });
        Ok(())
    }

    /// Replaces a program's draft content with `content` in one transaction
    /// (import): concepts not in it leave the draft, the rest are written anew.
    pub async fn replace_program_content(
        &self,
        org: OrgId,
        program: ProgramId,
        content: &ProgramContent,
    ) -> StoreResult<()> {
        in_tx!(self, tx => {
            let version = open_draft!(tx, org, program);
            for table in ["concepts", "prerequisites"] {
                sqlx::query(&format!("DELETE FROM {table} WHERE program_id = $1 AND since_version = $2"))
                    .bind(program.to_string()).bind(version).execute(&mut *tx).await?;
                sqlx::query(&format!(
                    "UPDATE {table} SET until_version = $2 WHERE program_id = $1 AND until_version IS NULL AND since_version < $2"))
                    .bind(program.to_string()).bind(version).execute(&mut *tx).await?;
            }
            for concept in &content.concepts {
                insert_concept_row!(tx, org, concept, version);
            }
            for edge in &content.prerequisites {
                sqlx::query("INSERT INTO prerequisites (org_id, program_id, concept_id, requires_id, since_version)
                             VALUES ($1, $2, $3, $4, $5)")
                    .bind(org.to_string()).bind(program.to_string()).bind(edge.concept.to_string())
                    .bind(edge.requires.to_string()).bind(version).execute(&mut *tx).await?;
            }
            for question in &content.questions {
                crate::questions::insert_question!(tx, org, question);
            }
        });
        Ok(())
    }

    /// The organisation's learning epoch: it changes whenever its concept graph does.
    pub async fn learning_epoch(&self, org: OrgId) -> StoreResult<i64> {
        let row: Option<(i64,)> = on_pool!(self, pool => sqlx::query_as("SELECT epoch FROM learning_epochs WHERE org_id = $1")
            .bind(org.to_string()).fetch_optional(pool).await?);
        Ok(row.map(|(e,)| e).unwrap_or(0))
    }

    /// The organisation's concepts and edges as learners see them: every
    /// published program's published version (archived ones included, so
    /// their learners keep their paths).
    pub async fn published_graph(&self, org: OrgId) -> StoreResult<PublishedGraph> {
        let concepts_sql = format!(
            "SELECT {CONCEPT_COLUMNS} FROM concepts c JOIN programs p ON p.id = c.program_id
             WHERE p.org_id = $1 AND p.published_version IS NOT NULL AND {} ORDER BY c.program_id, c.position",
            live("c", "p.published_version")
        );
        let rows: Vec<ConceptRow> =
            on_pool!(self, pool => sqlx::query_as(&concepts_sql).bind(org.to_string()).fetch_all(pool).await?);
        let concepts = rows.into_iter().map(ConceptRow::into_record).collect::<StoreResult<Vec<_>>>()?;
        let edges_sql = format!(
            "SELECT r.concept_id, r.requires_id FROM prerequisites r JOIN programs p ON p.id = r.program_id
             WHERE p.org_id = $1 AND p.published_version IS NOT NULL AND {}",
            live("r", "p.published_version")
        );
        let prerequisites = self.edges(&edges_sql, org, None).await?;
        Ok(PublishedGraph { concepts, prerequisites })
    }

    /// Enrols a learner (again, when withdrawn).
    pub async fn enrol(
        &self,
        org: OrgId,
        program: ProgramId,
        person: PersonId,
        by: Option<PersonId>,
    ) -> StoreResult<EnrolmentRecord> {
        let now = now_ms();
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO enrolments (id, org_id, program_id, person_id, status, enrolled_by, created_at, updated_at)
             VALUES ($1, $2, $3, $4, 'active', $5, $6, $6)
             ON CONFLICT (program_id, person_id) DO UPDATE SET status = 'active', enrolled_by = $5, updated_at = $6")
            .bind(EnrolmentId::new().to_string()).bind(org.to_string()).bind(program.to_string()).bind(person.to_string())
            .bind(by.map(|p| p.to_string())).bind(now).execute(pool).await?.rows_affected());
        self.enrolment_of(org, program, person).await
    }

    /// A learner's enrolment in a program.
    pub async fn enrolment_of(&self, org: OrgId, program: ProgramId, person: PersonId) -> StoreResult<EnrolmentRecord> {
        let sql = format!("{ENROLMENT_SELECT} WHERE e.org_id = $1 AND e.program_id = $2 AND e.person_id = $3");
        let row: Option<EnrolmentRow> = on_pool!(self, pool => sqlx::query_as(&sql)
            .bind(org.to_string()).bind(program.to_string()).bind(person.to_string()).fetch_optional(pool).await?);
        row.ok_or(StoreError::NotFound)?.into_record()
    }

    /// Marks an enrolment withdrawn (its evidence stays).
    pub async fn withdraw(&self, org: OrgId, program: ProgramId, person: PersonId) -> StoreResult<EnrolmentRecord> {
        let done = on_pool!(self, pool => sqlx::query(
            "UPDATE enrolments SET status = 'withdrawn', updated_at = $4 WHERE org_id = $1 AND program_id = $2 AND person_id = $3")
            .bind(org.to_string()).bind(program.to_string()).bind(person.to_string()).bind(now_ms())
            .execute(pool).await?.rows_affected());
        if done == 0 {
            return Err(StoreError::NotFound);
        }
        self.enrolment_of(org, program, person).await
    }

    /// A program's enrolments, or a learner's, by name / title.
    pub async fn enrolments(
        &self,
        org: OrgId,
        program: Option<ProgramId>,
        person: Option<PersonId>,
    ) -> StoreResult<Vec<EnrolmentRecord>> {
        let sql = format!(
            "{ENROLMENT_SELECT} WHERE e.org_id = $1 AND ($2 = '' OR e.program_id = $2) AND ($3 = '' OR e.person_id = $3)
             ORDER BY u.display_name, p.title"
        );
        let rows: Vec<EnrolmentRow> = on_pool!(self, pool => sqlx::query_as(&sql)
            .bind(org.to_string()).bind(program.map(|p| p.to_string()).unwrap_or_default())
            .bind(person.map(|p| p.to_string()).unwrap_or_default()).fetch_all(pool).await?);
        rows.into_iter().map(EnrolmentRow::into_record).collect()
    }

    /// Everyone actively enrolled in a program of the organisation, in id order.
    pub async fn enrolled_people(&self, org: OrgId) -> StoreResult<Vec<PersonId>> {
        let rows: Vec<(String,)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT DISTINCT person_id FROM enrolments WHERE org_id = $1 AND status = 'active' ORDER BY person_id")
            .bind(org.to_string()).fetch_all(pool).await?);
        rows.into_iter().map(|(p,)| parse(&p, "person id")).collect()
    }

    /// The programs a learner is actively enrolled in.
    pub async fn enrolled_programs(&self, org: OrgId, person: PersonId) -> StoreResult<Vec<ProgramId>> {
        let rows: Vec<(String,)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT program_id FROM enrolments WHERE org_id = $1 AND person_id = $2 AND status = 'active'")
            .bind(org.to_string()).bind(person.to_string()).fetch_all(pool).await?);
        rows.into_iter().map(|(p,)| parse(&p, "program id")).collect()
    }

    /// Records one piece of evidence and the learner model's update in one
    /// transaction: `update` reads the learner's current state (with their
    /// records on the concept's `prerequisites`) and returns the new one. The
    /// learner's row is locked (PostgreSQL) or the database is (SQLite), so
    /// concurrent evidence for one learner applies in turn. A repeated
    /// idempotency key is `Duplicate("idempotency_key")` and writes nothing.
    /// Answers what was written, with the prerequisites' records as read.
    /// The learner's day and their day on `program` (the concept's) are tallied: the evidence,
    /// a graded answer's score, and the change of the stored mastery.
    pub async fn record_evidence(
        &self,
        org: OrgId,
        evidence: &EvidenceRecord,
        program: ProgramId,
        prerequisites: &[ConceptId],
        update: impl FnOnce(&ModelInputs) -> ModelOutputs,
    ) -> StoreResult<WrittenEvidence> {
        let now = now_ms();
        let person = evidence.person.to_string();
        let marks: Vec<String> = (0..=prerequisites.len()).map(|i| format!("${}", i + 2)).collect();
        let standing_sql = format!(
            "SELECT {LEARNER_CONCEPT_COLUMNS} FROM learner_concepts WHERE person_id = $1 AND concept_id IN ({})",
            marks.join(", ")
        );
        in_tx!(self, tx => {
            // Creating or touching the learner's row takes its lock first (on SQLite: the write lock).
            let (learner,): (String,) = sqlx::query_as(
                "INSERT INTO learner_states (org_id, person_id, state, updated_at) VALUES ($1, $2, 'null', $3)
                 ON CONFLICT (org_id, person_id) DO UPDATE SET updated_at = learner_states.updated_at RETURNING state")
                .bind(org.to_string()).bind(&person).bind(now).fetch_one(&mut *tx).await?;
            // A repeated idempotency key fails here, before anything else is written.
            sqlx::query("INSERT INTO evidence (id, org_id, person_id, concept_id, kind, outcome, source, recorded_by,
                         idempotency_key, occurred_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
                .bind(evidence.id.to_string()).bind(org.to_string()).bind(&person)
                .bind(evidence.concept.to_string()).bind(&evidence.kind).bind(evidence.outcome).bind(&evidence.source)
                .bind(evidence.recorded_by.map(|p| p.to_string())).bind(&evidence.idempotency_key)
                .bind(evidence.occurred_at.timestamp_millis()).bind(now)
                .execute(&mut *tx).await.map_err(duplicate_as("idempotency_key"))?;
            let rows: Vec<LearnerConceptRow> = {
                let mut q = sqlx::query_as(&standing_sql).bind(&person).bind(evidence.concept.to_string());
                for p in prerequisites {
                    q = q.bind(p.to_string());
                }
                q.fetch_all(&mut *tx).await?
            };
            let mut concept = None;
            let mut prerequisite_records = Vec::new();
            for row in rows {
                let record = row.into_record()?;
                if record.concept == evidence.concept {
                    concept = Some(record);
                } else {
                    prerequisite_records.push(record);
                }
            }
            let inputs = ModelInputs {
                learner: from_json::<Option<LearnerState>>(&learner, "learner state")?,
                concept,
                prerequisites: prerequisite_records,
            };
            let count = inputs.concept.as_ref().map(|c| c.evidence_count).unwrap_or(0) + 1;
            let out = update(&inputs);
            let before = inputs.concept.as_ref().map(|c| c.mastery);
            let mastered = |m: Option<f64>| i64::from(m.is_some_and(|m| m >= MASTERED_AT));
            let tally = Tally {
                activity: evidence.recorded_by.is_none_or(|by| by == evidence.person),
                evidence: 1,
                answers: i64::from(evidence.outcome.is_some()),
                correct: evidence.outcome.unwrap_or(0.0),
                wrong: i64::from(evidence.outcome.is_some_and(|o| o < 0.5)),
                mastery_gain: out.mastery - before.unwrap_or(0.0),
                mastered_gain: mastered(Some(out.mastery)) - mastered(before),
                ..Tally::default()
            };
            let program = program.to_string();
            let scope = TallyScope { person: Some(&person), coach: None, program: Some(&program) };
            add_tally!(self, tx, org, scope, evidence.occurred_at.timestamp_millis(), &tally);
            sqlx::query("UPDATE learner_states SET state = $3, updated_at = $4 WHERE org_id = $1 AND person_id = $2")
                .bind(org.to_string()).bind(&person).bind(to_json(&out.learner)).bind(now)
                .execute(&mut *tx).await?;
            sqlx::query("INSERT INTO learner_concepts (org_id, person_id, concept_id, state, mastery, evidence_count,
                         review, review_due, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                         ON CONFLICT (person_id, concept_id) DO UPDATE SET state = $4, mastery = $5, evidence_count = $6,
                         review = $7, review_due = $8, updated_at = $9")
                .bind(org.to_string()).bind(&person).bind(evidence.concept.to_string())
                .bind(to_json(&out.concept_state)).bind(out.mastery).bind(count)
                .bind(out.review.as_ref().map(to_json))
                .bind(out.review_due.map(|d| d.timestamp_millis())).bind(now)
                .execute(&mut *tx).await?;
            Ok(WrittenEvidence {
                learner: out.learner,
                concept: LearnerConceptRecord {
                    person: evidence.person,
                    concept: evidence.concept,
                    state: out.concept_state,
                    mastery: out.mastery,
                    evidence_count: count,
                    review: out.review,
                    review_due: out.review_due,
                    updated_at: time(now),
                },
                prerequisites: inputs.prerequisites,
            })
        })
    }

    /// A learner's organisation-wide model state (`None`: no evidence yet).
    pub async fn learner_state(&self, org: OrgId, person: PersonId) -> StoreResult<Option<LearnerState>> {
        let row: Option<(String,)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT state FROM learner_states WHERE org_id = $1 AND person_id = $2")
            .bind(org.to_string()).bind(person.to_string()).fetch_optional(pool).await?);
        Ok(row.map(|(s,)| from_json::<Option<LearnerState>>(&s, "learner state")).transpose()?.flatten())
    }

    /// A learner's standing on every concept they have evidence on.
    pub async fn learner_concepts(&self, org: OrgId, person: PersonId) -> StoreResult<Vec<LearnerConceptRecord>> {
        let sql =
            format!("SELECT {LEARNER_CONCEPT_COLUMNS} FROM learner_concepts WHERE org_id = $1 AND person_id = $2");
        let rows: Vec<LearnerConceptRow> = on_pool!(self, pool => sqlx::query_as(&sql)
            .bind(org.to_string()).bind(person.to_string()).fetch_all(pool).await?);
        rows.into_iter().map(LearnerConceptRow::into_record).collect()
    }

    /// A learner's evidence on one concept (or all), newest first.
    pub async fn evidence(
        &self,
        org: OrgId,
        person: PersonId,
        concept: Option<ConceptId>,
        limit: i64,
    ) -> StoreResult<Vec<EvidenceRecord>> {
        let sql = format!(
            "SELECT {EVIDENCE_COLUMNS} FROM evidence WHERE org_id = $1 AND person_id = $2 AND ($3 = '' OR concept_id = $3)
             ORDER BY occurred_at DESC, id DESC LIMIT $4"
        );
        let rows: Vec<EvidenceRow> = on_pool!(self, pool => sqlx::query_as(&sql)
            .bind(org.to_string()).bind(person.to_string()).bind(concept.map(|c| c.to_string()).unwrap_or_default())
            .bind(limit).fetch_all(pool).await?);
        rows.into_iter().map(EvidenceRow::into_record).collect()
    }

    /// Every piece of evidence of an organisation, by learner then time: what
    /// the learner model is fitted on (graded answers are its targets; the rest
    /// shape the state before them).
    pub async fn evidence_for_fit(&self, org: OrgId) -> StoreResult<Vec<EvidenceRecord>> {
        let sql =
            format!("SELECT {EVIDENCE_COLUMNS} FROM evidence WHERE org_id = $1 ORDER BY person_id, occurred_at, id");
        let rows: Vec<EvidenceRow> =
            on_pool!(self, pool => sqlx::query_as(&sql).bind(org.to_string()).fetch_all(pool).await?);
        rows.into_iter().map(EvidenceRow::into_record).collect()
    }

    /// Graded answers per organisation that has any, with the count its
    /// fitted model (if any) was fitted on: where a new fit may pay.
    pub async fn graded_answer_counts(&self) -> StoreResult<Vec<(OrgId, i64, Option<i64>)>> {
        let rows: Vec<(String, i64, Option<i64>)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT e.org_id, COUNT(*), MAX(m.answers) FROM evidence e LEFT JOIN mastery_models m ON m.org_id = e.org_id
             WHERE e.outcome IS NOT NULL GROUP BY e.org_id")
            .fetch_all(pool).await?);
        rows.into_iter().map(|(org, n, fitted)| Ok((parse(&org, "organisation id")?, n, fitted))).collect()
    }

    /// The organisation's fitted learner model, if one was fitted.
    pub async fn mastery_model(&self, org: OrgId) -> StoreResult<Option<MasteryModelRecord>> {
        let row: Option<(String, String, i64, i64)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT params, concepts, answers, fitted_at FROM mastery_models WHERE org_id = $1")
            .bind(org.to_string()).fetch_optional(pool).await?);
        row.map(|(params, concepts, answers, fitted_at)| {
            let json =
                |raw: &str| serde_json::from_str(raw).map_err(|e| StoreError::Corrupt(format!("mastery model: {e}")));
            Ok(MasteryModelRecord {
                params: json(&params)?,
                concepts: json(&concepts)?,
                answers,
                fitted_at: time(fitted_at),
            })
        })
        .transpose()
    }

    /// Saves an organisation's fitted learner model.
    pub async fn save_mastery_model(&self, org: OrgId, model: &MasteryModelRecord) -> StoreResult<()> {
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO mastery_models (org_id, params, concepts, answers, fitted_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (org_id) DO UPDATE SET params = $2, concepts = $3, answers = $4, fitted_at = $5")
            .bind(org.to_string()).bind(model.params.to_string()).bind(model.concepts.to_string()).bind(model.answers)
            .bind(model.fitted_at.timestamp_millis()).execute(pool).await?.rows_affected());
        Ok(())
    }

    /// Stores a goal.
    pub async fn create_goal(&self, org: OrgId, goal: &GoalRecord) -> StoreResult<GoalRecord> {
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO goals (id, org_id, person_id, kind, title, targets, set_by, created_at, deadline_day)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
            .bind(goal.id.to_string()).bind(org.to_string()).bind(goal.person.to_string()).bind(<&str>::from(goal.kind))
            .bind(&goal.title).bind(id_list(&goal.targets)).bind(goal.set_by.map(|p| p.to_string()))
            .bind(goal.created_at.timestamp_millis())
            .bind(goal.deadline.map(|d| wayfinder_insights_rules::days::Day::from_date(d).0))
            .execute(pool).await?.rows_affected());
        self.goal(org, goal.id).await
    }

    /// One goal of an organisation.
    pub async fn goal(&self, org: OrgId, id: GoalId) -> StoreResult<GoalRecord> {
        let row: Option<GoalRow> = on_pool!(self, pool => sqlx::query_as(
            "SELECT id, person_id, kind, title, targets, set_by, created_at, deadline_day FROM goals WHERE org_id = $1 AND id = $2")
            .bind(org.to_string()).bind(id.to_string()).fetch_optional(pool).await?);
        row.ok_or(StoreError::NotFound)?.into_record()
    }

    /// A learner's goals, oldest first.
    pub async fn goals(&self, org: OrgId, person: PersonId) -> StoreResult<Vec<GoalRecord>> {
        let rows: Vec<GoalRow> = on_pool!(self, pool => sqlx::query_as(
            "SELECT id, person_id, kind, title, targets, set_by, created_at, deadline_day FROM goals WHERE org_id = $1 AND person_id = $2
             ORDER BY created_at, id")
            .bind(org.to_string()).bind(person.to_string()).fetch_all(pool).await?);
        rows.into_iter().map(GoalRow::into_record).collect()
    }

    /// Deletes a goal.
    pub async fn delete_goal(&self, org: OrgId, id: GoalId) -> StoreResult<()> {
        let done = on_pool!(self, pool => sqlx::query("DELETE FROM goals WHERE org_id = $1 AND id = $2")
            .bind(org.to_string()).bind(id.to_string()).execute(pool).await?.rows_affected());
        if done == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}
