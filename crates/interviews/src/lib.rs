//! Guided interviews: scripted conversations that ask, follow up and end in a
//! structured summary. Authors (coaches and administrators) write flows or
//! start from the built-in templates (`flows`); a learner runs one, typed or
//! spoken, and may pause and resume it (`session`); with a chat model the
//! interviewer judges answers and writes follow-ups and the summary
//! (`model`), without one the rules do. The rules themselves live in
//! `wayfinder-interviews-rules`; the transcript is an ordinary conversation.

mod flows;
mod model;
mod recordings;
mod session;
mod suggestions;
mod views;

pub use flows::InterviewFlow;
pub use recordings::{InterviewRecording, SpokenAnswer};
pub use session::{MAX_ANSWER_CHARS, StartingInterview, SummaryCorrection};
pub use suggestions::ProgramSuggestion;
pub use views::{Interview, InterviewListing, InterviewTurn};

use std::sync::Arc;
use wayfinder_accounts_rules::OrgId;
use wayfinder_llm::ChatModel;
use wayfinder_store::{Store, StoreError};

/// What goes wrong with interviews.
#[derive(Debug, thiserror::Error)]
pub enum InterviewsError {
    /// A flow, an answer or a correction is refused: the field at fault and why.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error("not found")]
    NotFound,
    /// The interview is not where the request needs it (paused, finished, moved on).
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for InterviewsError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => InterviewsError::NotFound,
            StoreError::Conflict(message) => InterviewsError::Conflict(message.into()),
            other => InterviewsError::Store(other),
        }
    }
}

pub type InterviewsResult<T> = Result<T, InterviewsError>;

/// The interviews service; cheap to clone.
#[derive(Clone)]
pub struct Interviews {
    store: Store,
    /// The instance's chat model (none: the rules run every interview).
    chat_model: Option<Arc<dyn ChatModel>>,
    /// Organisations' own chat endpoints, used before `chat_model`.
    org_endpoints: Option<wayfinder_providers::Providers>,
}

impl Interviews {
    pub fn new(store: Store) -> Self {
        Interviews { store, chat_model: None, org_endpoints: None }
    }

    /// The same service with the instance's chat model.
    pub fn with_chat_model(self, chat_model: Option<Arc<dyn ChatModel>>) -> Self {
        Interviews { chat_model, ..self }
    }

    /// The same service using organisations' own chat endpoints first.
    pub fn with_org_endpoints(self, providers: wayfinder_providers::Providers) -> Self {
        Interviews { org_endpoints: Some(providers), ..self }
    }

    /// The chat model that interviews for `org`, if any.
    async fn chat_model_for(&self, org: OrgId) -> Option<Arc<dyn ChatModel>> {
        wayfinder_providers::org_chat_model(self.org_endpoints.as_ref(), org, self.chat_model.clone()).await
    }
}
