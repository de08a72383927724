//! The AI coach as a running service. Coach profiles, conversations and
//! their messages, the answer pipeline (rewrite → route → retrieve → prompt →
//! stream → validate citations → confidence → store), feedback, shared links
//! and daily budgets. The rules it applies live in `wayfinder-coach-rules`, the
//! passages come from `wayfinder-knowledge`, the data from
//! `wayfinder-store`, and models sit behind `wayfinder-llm`'s trait.

mod models;
mod pipeline;
mod redaction;
mod views;

pub use models::Models;
pub use pipeline::{Thread, TurnEvent, TurnFailure, TurnInput, TurnOutcome, source_of};
pub use views::{
    CheckReply, Citation, Coach, Conversation, Feedback, Message, PosedCheck, PracticeOffer, message_view,
};
// The closed sets the views carry, so callers of the service need not reach for the rules crate.
pub use wayfinder_coach_rules::{
    AnswerKind, AnswerMode, CoachStyle, ConfidenceLevel, FeedbackRating, FeedbackReason, TurnRole,
};

use std::collections::HashSet;
use std::sync::Arc;
use wayfinder_accounts_rules::{OrgId, PersonId, hash_secret, new_secret};
use wayfinder_coach_rules::{BudgetExceeded, CoachId, ConversationId, LearnerStanding, MessageId};
use wayfinder_knowledge::{KnowledgeBase, KnowledgeError};
use wayfinder_knowledge_rules::CollectionId;
use wayfinder_store::{
    BudgetRecord, CoachRecord, ConversationQuery, FeedbackRecord, Store, StoreError, start_of_day_ms,
};

/// What can go wrong in coach operations.
#[derive(Debug, thiserror::Error)]
pub enum CoachingError {
    /// A referenced record does not exist (or may not be seen).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// An input broke a rule; names the field.
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    /// The request conflicts with the current state (e.g. deleting the default coach).
    #[error("{0}")]
    Conflict(String),
    /// A daily token or cost budget is used up.
    #[error(transparent)]
    OverBudget(BudgetExceeded),
    /// Retrieval failed.
    #[error(transparent)]
    Knowledge(KnowledgeError),
    /// Storage failed.
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for CoachingError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => CoachingError::NotFound("record"),
            StoreError::Duplicate(field) => CoachingError::Invalid { field, message: "already exists".into() },
            other => CoachingError::Store(other),
        }
    }
}

impl From<KnowledgeError> for CoachingError {
    fn from(e: KnowledgeError) -> Self {
        match e {
            KnowledgeError::NotFound(what) => CoachingError::NotFound(what),
            KnowledgeError::Invalid { field, message } => CoachingError::Invalid { field, message },
            other => CoachingError::Knowledge(other),
        }
    }
}

/// A store error as the service reports it: a missing row is `what` not found; anything
/// else (a database failure) stays a storage error instead of posing as "not found".
fn missing(what: &'static str) -> impl Fn(StoreError) -> CoachingError {
    move |e| match e {
        StoreError::NotFound => CoachingError::NotFound(what),
        other => CoachingError::Store(other),
    }
}

/// Result alias.
pub type CoachingResult<T> = Result<T, CoachingError>;

/// Retrieval depth when a coach does not say.
pub const DEFAULT_RETRIEVAL_DEPTH: i64 = 7;

/// A coach profile to create or the fields to change (`None`: keep / default).
#[derive(Clone, Debug, Default)]
pub struct CoachSpec {
    pub name: Option<String>,
    pub instructions: Option<String>,
    pub style: Option<CoachStyle>,
    pub answer_mode: Option<AnswerMode>,
    pub collections: Option<Vec<CollectionId>>,
    pub domains: Option<Vec<String>>,
    pub retrieval_depth: Option<i64>,
    /// `Some(None)` clears the model (the configured default applies).
    pub model: Option<Option<String>>,
    pub temperature: Option<Option<f64>>,
    pub max_output_tokens: Option<Option<i64>>,
    /// `Some(None)` returns to the default threshold.
    pub relevance_threshold: Option<Option<f64>>,
}

/// The coach service.
#[derive(Clone)]
pub struct Coaching {
    store: Store,
    knowledge: KnowledgeBase,
    models: Models,
    /// Where the coach learns the standing of the learner it talks to (none: it does not).
    learners: Option<Arc<dyn LearnerRecords>>,
    /// Told about every turn in a stored conversation, whoever started it (the live chat).
    listener: Option<Arc<dyn TurnListener>>,
}

/// Hears what happens in stored conversations as it happens, in order: a question, the answer's
/// text as it is written, the messages once stored, a turn that failed. Implemented by the live
/// chat, which passes it to everyone following the conversation.
pub trait TurnListener: Send + Sync {
    fn question(&self, conversation: ConversationId, question: &Message);
    fn delta(&self, conversation: ConversationId, text: &str);
    fn stored(&self, conversation: ConversationId, message: MessageId);
    fn failed(&self, conversation: ConversationId, message: &str);
}

/// The learning records a coach may read about the person asking: their own goals, next step
/// and mastery of what the given passages teach. Implemented over the learning service; `None`
/// when the person follows no program (or the records cannot be read, which is logged).
#[async_trait::async_trait]
pub trait LearnerRecords: Send + Sync {
    async fn standing(&self, org: OrgId, person: PersonId, chunks: &[i64]) -> Option<LearnerStanding>;

    /// The concept to offer for practice under an answer citing `chunks`: one of the person's
    /// programs that the chunks teach and that has approved questions (the least mastered).
    async fn practice_offer(&self, org: OrgId, person: PersonId, chunks: &[i64]) -> Option<PracticeOffer>;

    /// A question from the bank on `concept_id` to check the person's understanding.
    async fn check_question(&self, org: OrgId, person: PersonId, concept_id: &str) -> Option<PosedCheck>;

    /// Grades the person's `reply` to `check` and records it as evidence (once per `key`, the
    /// message that posed it); `None` when the reply is no answer to it.
    async fn grade_check(
        &self,
        org: OrgId,
        person: PersonId,
        check: &PosedCheck,
        reply: &str,
        key: &str,
    ) -> Option<CheckReply>;
}

/// Titles longer than this are cut (a conversation's title comes from its first question).
const MAX_TITLE_CHARS: usize = 120;
/// Longest message a person may send.
pub const MAX_MESSAGE_CHARS: usize = 8_000;

fn invalid(field: &'static str, message: impl Into<String>) -> CoachingError {
    CoachingError::Invalid { field, message: message.into() }
}

/// A conversation title from free text: one line, trimmed, at most 120 characters.
pub fn title_from(text: &str) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= MAX_TITLE_CHARS {
        return line;
    }
    let cut: String = line.chars().take(MAX_TITLE_CHARS - 1).collect();
    format!("{}…", cut.trim_end())
}

impl Coaching {
    /// The service over `store`, retrieving with `knowledge`, generating with `models`.
    pub fn new(store: Store, knowledge: KnowledgeBase, models: Models) -> Self {
        Coaching { store, knowledge, models, learners: None, listener: None }
    }

    /// The same service, telling the model about the learner it answers from `learners`.
    pub fn with_learner_records(self, learners: Arc<dyn LearnerRecords>) -> Self {
        Coaching { learners: Some(learners), ..self }
    }

    /// The same coach, telling `listener` about every turn in a stored conversation.
    pub fn with_turn_listener(self, listener: Arc<dyn TurnListener>) -> Self {
        Coaching { listener: Some(listener), ..self }
    }

    /// The models in use.
    pub fn models(&self) -> &Models {
        &self.models
    }

    /// An organisation's coaches, the default first; the default is created
    /// on first use (all collections, grounded, direct).
    pub async fn coaches(&self, org: OrgId) -> CoachingResult<Vec<Coach>> {
        let mut found = self.store.list_coaches(org).await?;
        if found.is_empty() {
            let spec = CoachSpec {
                name: Some("Coach".into()),
                instructions: Some(
                    "You are a supportive learning coach. Help the learner understand and apply the material.".into(),
                ),
                ..CoachSpec::default()
            };
            match self.insert_coach(org, spec, true).await {
                Ok(_) | Err(CoachingError::Invalid { .. }) => {}
                Err(e) => return Err(e),
            }
            found = self.store.list_coaches(org).await?;
        }
        Ok(found.into_iter().map(Coach::from).collect())
    }

    /// One coach of an organisation.
    pub async fn coach(&self, org: OrgId, id: CoachId) -> CoachingResult<Coach> {
        Ok(self.store.coach(org, id).await.map_err(missing("coach"))?.into())
    }

    /// The organisation's default coach.
    pub async fn default_coach(&self, org: OrgId) -> CoachingResult<Coach> {
        let all = self.coaches(org).await?;
        all.iter().find(|c| c.is_default).or(all.first()).cloned().ok_or(CoachingError::NotFound("coach"))
    }

    /// Creates a coach profile.
    pub async fn create_coach(&self, org: OrgId, spec: CoachSpec) -> CoachingResult<Coach> {
        self.coaches(org).await?;
        self.insert_coach(org, spec, false).await
    }

    async fn insert_coach(&self, org: OrgId, spec: CoachSpec, is_default: bool) -> CoachingResult<Coach> {
        let now = chrono::Utc::now();
        let mut record = CoachRecord {
            id: CoachId::new(),
            org,
            name: String::new(),
            instructions: String::new(),
            style: CoachStyle::default(),
            answer_mode: AnswerMode::default(),
            collections: Vec::new(),
            domains: Vec::new(),
            retrieval_depth: DEFAULT_RETRIEVAL_DEPTH,
            model: None,
            temperature: None,
            max_output_tokens: None,
            relevance_threshold: None,
            is_default,
            created_at: now,
            updated_at: now,
        };
        if spec.name.is_none() {
            return Err(invalid("name", "is required"));
        }
        self.apply_spec(org, &mut record, spec).await?;
        Ok(self.store.create_coach(&record).await?.into())
    }

    /// Changes a coach profile.
    pub async fn update_coach(&self, org: OrgId, id: CoachId, spec: CoachSpec) -> CoachingResult<Coach> {
        let mut record = self.store.coach(org, id).await.map_err(missing("coach"))?;
        self.apply_spec(org, &mut record, spec).await?;
        Ok(self.store.update_coach(&record).await?.into())
    }

    /// Makes a coach the organisation's default.
    pub async fn make_default(&self, org: OrgId, id: CoachId) -> CoachingResult<Coach> {
        self.coach(org, id).await?;
        self.store.make_default_coach(org, id).await?;
        self.coach(org, id).await
    }

    /// Deletes a coach (not the default one).
    pub async fn delete_coach(&self, org: OrgId, id: CoachId) -> CoachingResult<()> {
        let coach = self.coach(org, id).await?;
        if coach.is_default {
            return Err(CoachingError::Conflict(
                "the default coach cannot be deleted; make another the default first".into(),
            ));
        }
        Ok(self.store.delete_coach(org, id).await?)
    }

    /// Validates `spec` and applies it to `record`.
    async fn apply_spec(&self, org: OrgId, record: &mut CoachRecord, spec: CoachSpec) -> CoachingResult<()> {
        if let Some(name) = spec.name {
            let name = name.trim().to_string();
            if name.is_empty() || name.chars().count() > 80 {
                return Err(invalid("name", "must be 1 to 80 characters"));
            }
            record.name = name;
        }
        if let Some(instructions) = spec.instructions {
            if instructions.chars().count() > 8_000 {
                return Err(invalid("instructions", "must be at most 8000 characters"));
            }
            record.instructions = instructions.trim().to_string();
        }
        if let Some(style) = spec.style {
            record.style = style;
        }
        if let Some(mode) = spec.answer_mode {
            record.answer_mode = mode;
        }
        if let Some(collections) = spec.collections {
            let known: HashSet<CollectionId> =
                self.store.list_collections(org).await?.into_iter().map(|c| c.id).collect();
            if collections.iter().any(|c| !known.contains(c)) {
                return Err(CoachingError::NotFound("collection"));
            }
            let mut unique = collections;
            unique.sort();
            unique.dedup();
            record.collections = unique;
        }
        if let Some(domains) = spec.domains {
            let mut clean: Vec<String> = Vec::new();
            for d in domains {
                let d = d.trim().to_lowercase();
                if d.is_empty() || d.len() > 60 || !d.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                {
                    return Err(invalid("domains", "tags are 1 to 60 letters, digits, '-' or '_'"));
                }
                if !clean.contains(&d) {
                    clean.push(d);
                }
            }
            record.domains = clean;
        }
        if let Some(depth) = spec.retrieval_depth {
            if !(1..=30).contains(&depth) {
                return Err(invalid("retrieval_depth", "must be between 1 and 30"));
            }
            record.retrieval_depth = depth;
        }
        if let Some(model) = spec.model {
            record.model = model.map(|m| m.trim().to_string()).filter(|m| !m.is_empty());
        }
        if let Some(temperature) = spec.temperature {
            if temperature.is_some_and(|t| !(0.0..=2.0).contains(&t)) {
                return Err(invalid("temperature", "must be between 0 and 2"));
            }
            record.temperature = temperature;
        }
        if let Some(max) = spec.max_output_tokens {
            if max.is_some_and(|m| !(16..=32_000).contains(&m)) {
                return Err(invalid("max_output_tokens", "must be between 16 and 32000"));
            }
            record.max_output_tokens = max;
        }
        if let Some(threshold) = spec.relevance_threshold {
            if threshold.is_some_and(|t| !(0.0..=1.0).contains(&t)) {
                return Err(invalid("relevance_threshold", "must be between 0 and 1"));
            }
            record.relevance_threshold = threshold;
        }
        Ok(())
    }

    /// Starts a conversation with a coach (the default when none is named).
    pub async fn start_conversation(
        &self,
        org: OrgId,
        owner: PersonId,
        coach: Option<CoachId>,
        title: Option<&str>,
    ) -> CoachingResult<Conversation> {
        let coach = match coach {
            Some(id) => self.coach(org, id).await?,
            None => self.default_coach(org).await?,
        };
        let title = title.map(title_from).filter(|t| !t.is_empty()).unwrap_or_else(|| NEW_CONVERSATION.into());
        Ok(self.store.create_conversation(org, owner, Some(coach.id), &title).await?.into())
    }

    /// Conversations of an organisation matching `query`.
    pub async fn conversations(&self, org: OrgId, query: &ConversationQuery) -> CoachingResult<Vec<Conversation>> {
        Ok(self.store.list_conversations(org, query).await?.into_iter().map(Conversation::from).collect())
    }

    /// A conversation (the caller decides who may see it).
    pub async fn conversation(&self, id: ConversationId) -> CoachingResult<Conversation> {
        Ok(self.store.conversation(id).await.map_err(missing("conversation"))?.into())
    }

    /// A conversation's messages with their feedback, oldest first.
    pub async fn messages(&self, id: ConversationId) -> CoachingResult<Vec<Message>> {
        let feedback = self.store.conversation_feedback(id).await?;
        Ok(self
            .store
            .messages(id, None)
            .await?
            .into_iter()
            .map(|m| {
                let f = feedback.get(&m.id).cloned();
                Message::from_record(m, f)
            })
            .collect())
    }

    /// Renames and/or archives a conversation.
    pub async fn update_conversation(
        &self,
        id: ConversationId,
        title: Option<&str>,
        archived: Option<bool>,
    ) -> CoachingResult<Conversation> {
        let title = match title {
            Some(t) => {
                let t = title_from(t);
                if t.is_empty() {
                    return Err(invalid("title", "must not be empty"));
                }
                Some(t)
            }
            None => None,
        };
        Ok(self.store.update_conversation(id, title.as_deref(), archived).await?.into())
    }

    /// Deletes a conversation with its messages.
    pub async fn delete_conversation(&self, id: ConversationId) -> CoachingResult<()> {
        Ok(self.store.delete_conversation(id).await?)
    }

    /// Creates a read-only share link token (replacing any earlier one).
    pub async fn share(&self, id: ConversationId) -> CoachingResult<String> {
        let secret = new_secret("wfc");
        self.store.set_conversation_share(id, Some(&secret.digest)).await?;
        Ok(secret.plaintext)
    }

    /// Revokes a conversation's share link.
    pub async fn unshare(&self, id: ConversationId) -> CoachingResult<()> {
        Ok(self.store.set_conversation_share(id, None).await?)
    }

    /// The conversation a share token opens.
    pub async fn shared(&self, token: &str) -> CoachingResult<(Conversation, Vec<Message>)> {
        if !token.starts_with("wfc_") || token.len() > 100 {
            return Err(CoachingError::NotFound("shared conversation"));
        }
        let conversation =
            self.store.conversation_by_share(&hash_secret(token)).await.map_err(missing("shared conversation"))?;
        let mut messages = self.messages(conversation.id).await?;
        for m in &mut messages {
            m.feedback = None;
        }
        Ok((conversation.into(), messages))
    }

    /// One message (the caller checks access through its conversation).
    pub async fn message(&self, id: MessageId) -> CoachingResult<Message> {
        let record = self.store.message(id).await.map_err(missing("message"))?;
        Ok(Message::from_record(record, None))
    }

    /// Sets a person's feedback on an assistant message.
    pub async fn give_feedback(
        &self,
        org: OrgId,
        message: MessageId,
        person: PersonId,
        rating: FeedbackRating,
        reasons: Vec<FeedbackReason>,
        comment: String,
    ) -> CoachingResult<Feedback> {
        let found = self.message(message).await?;
        if found.role != TurnRole::Assistant {
            return Err(invalid("message", "feedback is for the coach's answers"));
        }
        let mut clean = Vec::new();
        for r in reasons {
            if !clean.contains(&r) {
                clean.push(r);
            }
        }
        if comment.chars().count() > 2_000 {
            return Err(invalid("comment", "must be at most 2000 characters"));
        }
        let record = FeedbackRecord {
            message,
            person,
            rating,
            reasons: clean,
            comment: comment.trim().to_string(),
            updated_at: chrono::Utc::now(),
        };
        Ok(self.store.put_feedback(org, &record).await?.into())
    }

    /// An organisation's daily limits.
    pub async fn budget(&self, org: OrgId) -> CoachingResult<BudgetRecord> {
        Ok(self.store.budget(org).await?)
    }

    /// Sets an organisation's daily limits.
    pub async fn set_budget(&self, org: OrgId, budget: BudgetRecord) -> CoachingResult<BudgetRecord> {
        let negative = budget.org_daily_tokens.is_some_and(|v| v < 0)
            || budget.person_daily_tokens.is_some_and(|v| v < 0)
            || budget.org_daily_cost.is_some_and(|v| v < 0.0 || !v.is_finite())
            || budget.person_daily_cost.is_some_and(|v| v < 0.0 || !v.is_finite());
        if negative {
            return Err(invalid("budget", "limits must be zero or more"));
        }
        self.store.put_budget(org, &budget).await?;
        self.budget(org).await
    }

    /// Fails with [`CoachingError::OverBudget`] when today's usage has reached a limit.
    pub async fn check_budget(&self, org: OrgId, person: PersonId) -> CoachingResult<()> {
        let budget = self.store.budget(org).await?;
        if budget == BudgetRecord::default() {
            return Ok(());
        }
        let since = start_of_day_ms(chrono::Utc::now());
        let (org_tokens, org_cost) = self.store.usage_since(org, None, since).await?;
        let (person_tokens, person_cost) = self.store.usage_since(org, Some(person), since).await?;
        let micros = |cost: f64| (cost.max(0.0) * 1_000_000.0).round() as u64;
        let check = wayfinder_coach_rules::BudgetCheck {
            org_limit: wayfinder_coach_rules::DailyLimit {
                tokens: budget.org_daily_tokens.map(|v| v.max(0) as u64),
                cost_micros: budget.org_daily_cost.map(micros),
            },
            org_used: wayfinder_coach_rules::DailyUsage {
                tokens: org_tokens.max(0) as u64,
                cost_micros: micros(org_cost),
            },
            person_limit: wayfinder_coach_rules::DailyLimit {
                tokens: budget.person_daily_tokens.map(|v| v.max(0) as u64),
                cost_micros: budget.person_daily_cost.map(micros),
            },
            person_used: wayfinder_coach_rules::DailyUsage {
                tokens: person_tokens.max(0) as u64,
                cost_micros: micros(person_cost),
            },
        };
        check.check().map_err(CoachingError::OverBudget)
    }
}

/// The title a conversation has until its first question names it.
pub const NEW_CONVERSATION: &str = "New conversation";
