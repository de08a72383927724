//! Learning: what an organisation teaches and where each learner stands.
//! Programs of concepts with prerequisite edges (a DAG across the
//! organisation, versioned so edits never disturb learners until published),
//! enrolments, evidence and the learner model's online updates, goals and the
//! paths to them, the next best step and spaced review. The rules (graph,
//! model, scheduling) live in `wayfinder-learning-rules`; this crate runs them
//! over the store, one transaction per change.

mod drafting;
mod fitting;
mod graph_cache;
mod import;
mod programs;
mod progress;
mod questions;
mod standing;
mod views;

pub use fitting::FitReport;
pub use import::{ConceptRow, EdgeRow, ProgramDocument, RowError};
pub use programs::{ConceptSpec, ProgramSpec};
pub use progress::{
    CoachBriefing, ConceptMastery, ConceptMasteryDetail, DueReview, EvidenceSpec, EvidenceView, GoalSpec,
    LearnerMastery, LearningPath, MaterialView, NextStep, PathStepView, RecordedEvidence,
};
pub use questions::{
    GeneratedQuestions, MAX_GENERATED_PER_REQUEST, PracticeSettings, Question, QuestionCitation, QuestionPage,
    QuestionPatch, QuestionSpec,
};
pub use views::*;

use graph_cache::GraphCache;
use std::sync::Arc;
use wayfinder_knowledge::KnowledgeBase;
use wayfinder_llm::{ChatError, ChatModel};
use wayfinder_store::{Store, StoreError};

/// Everything that can go wrong in learning, in terms the API can report.
#[derive(Debug, thiserror::Error)]
pub enum LearningError {
    /// A referenced record does not exist (or may not be seen).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// An input broke a rule; names the field.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    /// A prerequisite edge would close a cycle; the concepts in order, the first repeated last.
    #[error("this prerequisite would close a cycle: {}", .0.iter().map(|c| c.name.as_str()).collect::<Vec<_>>().join(" → "))]
    Cycle(Vec<ConceptName>),
    /// Evidence, a goal or a practice session names a concept or a program the learner is not
    /// enrolled in; the sentence says which (see [`LearningError::concept_not_enrolled`]).
    #[error("{0}")]
    NotEnrolled(String),
    /// The same idempotency key was used before for this learner.
    #[error("evidence with this idempotency key was already recorded")]
    DuplicateEvidence,
    /// The question bank already holds a question of this kind with this prompt.
    #[error("the question bank already holds this question")]
    DuplicateQuestion,
    /// No approved question practises what a session asks for.
    #[error("no approved question practises this yet")]
    NoQuestions,
    /// An imported program has errors; nothing was written.
    #[error("the program has {} error(s); nothing was imported", .0.len())]
    Import(Vec<RowError>),
    /// The change conflicts with the record's state.
    #[error("{0}")]
    Conflict(String),
    /// Searching the knowledge base failed.
    #[error(transparent)]
    Knowledge(wayfinder_knowledge::KnowledgeError),
    /// Storage failed.
    #[error(transparent)]
    Store(StoreError),
    /// The chat model failed.
    #[error(transparent)]
    Model(ChatError),
}

impl From<StoreError> for LearningError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => LearningError::NotFound("record"),
            StoreError::Duplicate(field) => {
                LearningError::Invalid { field: field.into(), message: "already exists".into() }
            }
            StoreError::Conflict(message) => LearningError::Conflict(message.into()),
            other => LearningError::Store(other),
        }
    }
}

impl From<wayfinder_learning_rules::program::FieldError> for LearningError {
    fn from(e: wayfinder_learning_rules::program::FieldError) -> Self {
        LearningError::Invalid { field: e.field, message: e.message }
    }
}

impl LearningError {
    /// The concept named `name` is in no published program the learner is enrolled in.
    pub fn concept_not_enrolled(name: &str) -> Self {
        LearningError::NotEnrolled(format!("concept {name:?} is not in a published program the learner is enrolled in"))
    }

    /// The learner is not enrolled in the program a goal or a placement names.
    pub fn program_not_enrolled() -> Self {
        LearningError::NotEnrolled("the learner is not enrolled in this program".into())
    }
}

/// Result alias for learning calls.
pub type LearningResult<T> = Result<T, LearningError>;

/// The learning service. Cloning is cheap and shares the caches.
#[derive(Clone)]
pub struct Learning {
    store: Store,
    knowledge: KnowledgeBase,
    graphs: Arc<GraphCache>,
    /// The chat model that writes practice questions and grades short answers (none: questions
    /// are made from the text, and short answers graded by their words).
    chat_model: Option<Arc<dyn ChatModel>>,
    /// Organisations' own chat endpoints, used before `chat_model`.
    org_endpoints: Option<wayfinder_providers::Providers>,
}

impl Learning {
    /// A learning service over `store`, resolving free-text goals with `knowledge`.
    pub fn new(store: Store, knowledge: KnowledgeBase) -> Self {
        Self { store, knowledge, graphs: Arc::default(), chat_model: None, org_endpoints: None }
    }

    /// The same service with a chat model to write practice questions and grade short answers.
    pub fn with_chat_model(self, model: Option<Arc<dyn ChatModel>>) -> Self {
        Self { chat_model: model, ..self }
    }

    /// The same service, using an organisation's own chat endpoint when it has one.
    pub fn with_org_endpoints(self, providers: wayfinder_providers::Providers) -> Self {
        Self { org_endpoints: Some(providers), ..self }
    }

    /// The chat model for `org`: its own endpoint's, else the instance's. An organisation whose
    /// own endpoint cannot be used gets none (its data never goes to the instance's model instead).
    pub(crate) async fn chat_model_for(&self, org: wayfinder_accounts_rules::OrgId) -> Option<Arc<dyn ChatModel>> {
        wayfinder_providers::org_chat_model(self.org_endpoints.as_ref(), org, self.chat_model.clone()).await
    }
}

mod overview;
mod practice;
mod provisioning;
mod starting;
pub use overview::{GoalProgress, LearnerProgress};
pub use practice::{
    AnswerFeedback, AnswerOutcome, AnswerSpec, AttemptReviewView, AwaitingAnswer, CheckOutcome, CheckQuestion,
    DEFAULT_SESSION_SIZE, MAX_REVIEW_COMMENT_CHARS, MAX_SESSION_SIZE, PlacedConcept, PlacementResult, PracticeAttempt,
    PracticePrompt, PracticeQuestion, PracticeSession, PracticeSessionSummary, ReviewSpec, SessionSpec,
};
pub use provisioning::{CoachIntake, CoachProvision, CoachProvisionSpec, IntakeInterview};
pub use starting::{ProgramStart, StartingPath};
