//! The coach's records as the API shows them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use wayfinder_accounts_rules::{OrgId, PersonId};
use wayfinder_channels_rules::Channel;
use wayfinder_coach_rules::{
    AnswerKind, AnswerMode, CoachId, CoachStyle, ConfidenceLevel, ConversationId, FeedbackRating, FeedbackReason,
    MessageId, RelevanceDecision, TurnRole,
};
use wayfinder_knowledge_rules::CollectionId;
use wayfinder_store::{CoachRecord, ConversationRecord, FeedbackRecord, MessageRecord};

/// A coach profile.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Coach {
    #[schema(value_type = String)]
    pub id: CoachId,
    #[schema(value_type = String)]
    pub org_id: OrgId,
    pub name: String,
    pub instructions: String,
    pub style: CoachStyle,
    pub answer_mode: AnswerMode,
    /// Collections the coach answers from (empty: all of the organisation's).
    #[schema(value_type = Vec<String>)]
    pub collections: Vec<CollectionId>,
    /// Domains the coach routes questions to (empty: no routing).
    pub domains: Vec<String>,
    /// Passages given to the model per answer.
    pub retrieval_depth: i64,
    /// Model name (the configured default when null).
    pub model: Option<String>,
    pub temperature: Option<f64>,
    pub max_output_tokens: Option<i64>,
    /// Below this relevance score (0..1) the material is judged not to hold the answer, and a
    /// grounded coach refuses; null: the default, measured on a development set (see
    /// docs/ANSWERS.md).
    pub relevance_threshold: Option<f64>,
    pub is_default: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<CoachRecord> for Coach {
    fn from(r: CoachRecord) -> Self {
        Coach {
            id: r.id,
            org_id: r.org,
            name: r.name,
            instructions: r.instructions,
            style: r.style,
            answer_mode: r.answer_mode,
            collections: r.collections,
            domains: r.domains,
            retrieval_depth: r.retrieval_depth,
            model: r.model,
            temperature: r.temperature,
            max_output_tokens: r.max_output_tokens,
            relevance_threshold: r.relevance_threshold,
            is_default: r.is_default,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// A conversation.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Conversation {
    #[schema(value_type = String)]
    pub id: ConversationId,
    #[schema(value_type = String)]
    pub org_id: OrgId,
    #[schema(value_type = String)]
    pub owner_id: PersonId,
    pub owner_name: String,
    #[schema(value_type = Option<String>)]
    pub coach_id: Option<CoachId>,
    pub coach_name: Option<String>,
    pub title: String,
    pub archived: bool,
    /// Whether a read-only share link is active.
    pub shared: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// A coach or admin who joined and holds the conversation: the AI does not answer meanwhile.
    #[schema(value_type = Option<String>)]
    pub held_by: Option<PersonId>,
}

impl From<ConversationRecord> for Conversation {
    fn from(r: ConversationRecord) -> Self {
        Conversation {
            id: r.id,
            org_id: r.org,
            owner_id: r.owner,
            owner_name: r.owner_name,
            coach_id: r.coach,
            coach_name: r.coach_name,
            title: r.title,
            archived: r.archived,
            shared: r.shared,
            held_by: r.held_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// A cited passage: what `[number]` in an answer points to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Citation {
    pub number: usize,
    pub chunk_id: i64,
    pub document_id: String,
    pub document_title: String,
    pub section: Option<String>,
    pub page_start: Option<u32>,
    pub page_end: Option<u32>,
    pub text: String,
}

/// Feedback on an answer.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Feedback {
    pub rating: FeedbackRating,
    pub reasons: Vec<FeedbackReason>,
    pub comment: String,
    pub updated_at: DateTime<Utc>,
}

impl From<FeedbackRecord> for Feedback {
    fn from(r: FeedbackRecord) -> Self {
        Feedback { rating: r.rating, reasons: r.reasons, comment: r.comment, updated_at: r.updated_at }
    }
}

/// A message of a conversation.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Message {
    #[schema(value_type = String)]
    pub id: MessageId,
    #[schema(value_type = String)]
    pub conversation_id: ConversationId,
    pub role: TurnRole,
    pub content: String,
    /// How an assistant message's answer came about.
    pub kind: Option<AnswerKind>,
    pub citations: Vec<Citation>,
    /// Domains the question was routed to.
    pub domains: Vec<String>,
    pub confidence: Option<f64>,
    pub confidence_level: Option<ConfidenceLevel>,
    /// For an answer: whether the retrieved material was judged to hold the answer, with the
    /// score and the coach's threshold (a refusal means the score fell below it).
    pub relevance: Option<RelevanceDecision>,
    pub model: Option<String>,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cost: f64,
    pub latency_ms: i64,
    /// False when the answer broke off (model failure or stopped by the person).
    pub complete: bool,
    pub created_at: DateTime<Utc>,
    /// Where a question was written, or where an answer was sent.
    pub channel: Channel,
    /// Its place in the conversation: 1, 2, … (a reconnecting client resumes after the last it saw).
    pub seq: i64,
    /// Who wrote a message of kind `human` (a coach or admin who joined).
    #[schema(value_type = Option<String>)]
    pub author_id: Option<PersonId>,
    pub author_name: Option<String>,
    pub feedback: Option<Feedback>,
    /// For a learner's answer that cites a concept of their programs with practice questions:
    /// "practise this" — the concept to practise.
    pub practice: Option<PracticeOffer>,
    /// The check question a Socratic coach posed under this answer.
    pub check: Option<PosedCheck>,
    /// For the coach's verdict on a reply to its check question: how it was graded.
    pub check_reply: Option<CheckReply>,
}

/// A question from the bank the coach posed under its answer to check understanding; the
/// learner's next message answers it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PosedCheck {
    pub question_id: String,
    pub concept_id: String,
    /// The question as posed (also at the end of the answer's text).
    pub text: String,
}

/// How the learner's reply to a check question was graded (recorded as evidence).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CheckReply {
    pub question_id: String,
    pub correct: bool,
    pub correct_answer: String,
}

/// A concept the learner may practise now, offered under an answer that taught it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PracticeOffer {
    pub concept_id: String,
    pub concept_name: String,
}

/// Confidence level stored beside the citations (the store keeps them as one JSON value).
#[derive(Serialize, Deserialize)]
pub(crate) struct StoredCitations {
    pub citations: Vec<Citation>,
    pub confidence_level: Option<ConfidenceLevel>,
    #[serde(default)]
    pub relevance: Option<RelevanceDecision>,
    #[serde(default)]
    pub practice: Option<PracticeOffer>,
    #[serde(default)]
    pub check: Option<PosedCheck>,
    #[serde(default)]
    pub check_reply: Option<CheckReply>,
}

/// A stored message as the API shows it (without feedback).
pub fn message_view(record: MessageRecord) -> Message {
    Message::from_record(record, None)
}

impl Message {
    pub(crate) fn from_record(r: MessageRecord, feedback: Option<FeedbackRecord>) -> Self {
        let stored: StoredCitations = serde_json::from_value(r.citations).unwrap_or(StoredCitations {
            citations: Vec::new(),
            confidence_level: None,
            relevance: None,
            practice: None,
            check: None,
            check_reply: None,
        });
        Message {
            id: r.id,
            conversation_id: r.conversation,
            role: r.role,
            content: r.content,
            kind: r.kind,
            citations: stored.citations,
            domains: r.domains,
            confidence: r.confidence,
            confidence_level: stored.confidence_level,
            relevance: stored.relevance,
            model: r.model,
            input_tokens: r.input_tokens,
            output_tokens: r.output_tokens,
            cost: r.cost,
            latency_ms: r.latency_ms,
            complete: r.complete,
            created_at: r.created_at,
            channel: r.channel,
            seq: r.seq,
            author_id: r.author,
            author_name: r.author_name,
            feedback: feedback.map(Feedback::from),
            practice: stored.practice,
            check: stored.check,
            check_reply: stored.check_reply,
        }
    }
}
