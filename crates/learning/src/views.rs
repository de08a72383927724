//! Learning records as the API shows them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use wayfinder_accounts_rules::PersonId;
use wayfinder_learning_rules::program::{
    ConceptId, EnrolmentStatus, GoalId, GoalKind, MaterialRef, ProgramId, ProgramStatus,
};
use wayfinder_store::{ConceptRecord, EnrolmentRecord, ProgramRecord};

/// A program.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Program {
    #[schema(value_type = String)]
    pub id: ProgramId,
    pub title: String,
    pub description: String,
    pub status: ProgramStatus,
    /// Learners may enrol themselves.
    pub self_enrolment: bool,
    /// The version learners see (null: never published).
    pub published_version: Option<i64>,
    /// The version authors edit.
    pub latest_version: i64,
    /// A draft newer than the published version exists.
    pub has_draft: bool,
    /// Concepts in the latest version.
    pub concept_count: i64,
    /// Learners actively enrolled.
    pub enrolled_count: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<ProgramRecord> for Program {
    fn from(r: ProgramRecord) -> Self {
        Program {
            has_draft: r.has_draft(),
            id: r.id,
            title: r.title,
            description: r.description,
            status: r.status,
            self_enrolment: r.self_enrolment,
            published_version: r.published_version,
            latest_version: r.latest_version,
            concept_count: r.concept_count,
            enrolled_count: r.enrolled_count,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// A concept with its direct prerequisites.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Concept {
    #[schema(value_type = String)]
    pub id: ConceptId,
    #[schema(value_type = String)]
    pub program_id: ProgramId,
    pub name: String,
    pub description: String,
    pub tags: Vec<String>,
    pub estimated_minutes: i64,
    /// The documents (or sections) it is learned from.
    pub material: Vec<MaterialRef>,
    /// Concepts it requires (possibly of other programs).
    #[schema(value_type = Vec<String>)]
    pub prerequisites: Vec<ConceptId>,
}

impl Concept {
    pub(crate) fn from_record(r: ConceptRecord, prerequisites: Vec<ConceptId>) -> Self {
        Concept {
            id: r.id,
            program_id: r.program,
            name: r.name,
            description: r.description,
            tags: r.tags,
            estimated_minutes: r.estimated_minutes,
            material: r.material,
            prerequisites,
        }
    }
}

/// A program with its concepts in one version.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ProgramDetail {
    pub program: Program,
    /// The version shown.
    pub version: i64,
    pub concepts: Vec<Concept>,
}

/// A concept named, for messages and paths.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ConceptName {
    #[schema(value_type = String)]
    pub id: ConceptId,
    pub name: String,
}

/// A learner's enrolment.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Enrolment {
    #[schema(value_type = String)]
    pub program_id: ProgramId,
    pub program_title: String,
    #[schema(value_type = String)]
    pub person_id: PersonId,
    pub person_name: String,
    pub status: EnrolmentStatus,
    #[schema(value_type = Option<String>)]
    pub enrolled_by: Option<PersonId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<EnrolmentRecord> for Enrolment {
    fn from(r: EnrolmentRecord) -> Self {
        Enrolment {
            program_id: r.program,
            program_title: r.program_title,
            person_id: r.person,
            person_name: r.person_name,
            status: r.status,
            enrolled_by: r.enrolled_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// A goal.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Goal {
    #[schema(value_type = String)]
    pub id: GoalId,
    #[schema(value_type = String)]
    pub person_id: PersonId,
    pub kind: GoalKind,
    pub title: String,
    /// The concepts the goal resolved to.
    pub targets: Vec<ConceptName>,
    #[schema(value_type = Option<String>)]
    pub set_by: Option<PersonId>,
    pub created_at: DateTime<Utc>,
    /// The day it should be reached by.
    pub deadline: Option<chrono::NaiveDate>,
}
