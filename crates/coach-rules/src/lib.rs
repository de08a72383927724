//! The coach's rules as pure functions: no I/O, no HTTP, no database, no async. For each learner
//! message the server rewrites a follow-up into a standalone question ([`rewrite`]), routes it to
//! the coach's domains ([`routing`]), retrieves passages (elsewhere), decides whether anything
//! relevant came back ([`relevance`]), builds the prompt with numbered sources ([`prompt`]), keeps
//! only the citations that point to a source the model was given ([`citations`]) and scores how far
//! the answer can be trusted ([`mod@confidence`]). Without a model it answers extractively from the
//! passages ([`extractive`]); with nothing relevant in grounded mode it refuses plainly
//! ([`refusal`]). Daily token and cost limits are checked by [`budget`]. Terms are analysed with
//! `wayfinder_knowledge_rules::lexical_terms`, the same stems the BM25 index holds.

pub mod budget;
pub mod citations;
pub mod confidence;
pub mod extractive;
mod ids;
pub mod privacy;
pub mod prompt;
pub mod refusal;
pub mod relevance;
pub mod rewrite;
pub mod routing;
mod text;

use serde::{Deserialize, Serialize};

pub use budget::{BudgetCheck, BudgetExceeded, BudgetKind, BudgetScope, DailyLimit, DailyUsage};
pub use citations::{CitationMark, CitedAnswer, cited_sources, parse_citations, strip_citations, validate_citations};
pub use confidence::{Confidence, ConfidenceLevel, citation_coverage, confidence};
pub use extractive::{ExtractedSentence, ExtractiveAnswer, ExtractiveOptions, extract_answer, extractive_answer};
pub use ids::{CoachId, ConversationId, MessageId};
pub use privacy::{Redactor, StreamRestorer};
pub use prompt::{LearnerStanding, NextStepBrief, PromptInput, build_prompt, render_source};
pub use refusal::refusal_text;
pub use relevance::{
    CLOSEST_KEPT, Relevance, RelevanceDecision, RelevanceSignals, SourceRelevance, assess_relevance, is_relevant,
    judge_relevance, kept_sources, relevant_sources,
};
pub use rewrite::{clean_rewrite, needs_rewrite, rewrite_prompt, standalone_question};
pub use routing::{Routing, parse_routing, route_domains, routing_prompt};

/// One retrieved passage as numbered for the model; `number` is what `[n]` citations refer to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Source {
    /// 1-based number shown to the model, `[1]` for the first source.
    pub number: usize,
    /// The chunk's row id.
    pub chunk_id: i64,
    /// The document the chunk belongs to.
    pub document_id: String,
    /// The document's title.
    pub document_title: String,
    /// The heading path, already joined for people (`"Chapter 3 › Note-taking"`).
    pub section: Option<String>,
    /// First page of the chunk (PDF).
    pub page_start: Option<u32>,
    /// Last page of the chunk (PDF).
    pub page_end: Option<u32>,
    /// Domain tags of the chunk's document.
    pub domains: Vec<String>,
    /// The chunk's text.
    pub text: String,
    /// Fused retrieval score: comparable within one search only, not an absolute measure.
    pub score: f32,
    /// 1-based rank in the lexical (BM25) list, if the chunk was there.
    pub lexical_rank: Option<usize>,
    /// 1-based rank in the dense (vector) list, if the chunk was there.
    pub dense_rank: Option<usize>,
    /// Cosine similarity of question and passage, if the chunk was in the dense list: absolute
    /// for one embedding model, so it can say "nothing here is about this".
    pub dense_score: Option<f32>,
    /// BM25 score, if the chunk was in the lexical list: comparable within one search only.
    pub lexical_score: Option<f32>,
}

wayfinder_accounts_rules::closed_set! {
/// How the coach talks.
#[derive(Default)]
pub enum CoachStyle {
    /// Answers the question directly.
    #[default]
    Direct,
    /// Hints and guiding questions instead of the answer ("hint, don't tell").
    Socratic,
}
}

wayfinder_accounts_rules::closed_set! {
/// What the coach may draw on.
#[derive(Default)]
pub enum AnswerMode {
    /// Only the knowledge base; refuses when it has nothing relevant.
    #[default]
    Grounded,
    /// The knowledge base first, general knowledge allowed when marked as such.
    Open,
}
}

wayfinder_accounts_rules::closed_set! {
/// Who said a turn of the conversation (a stored message's `role`).
pub enum TurnRole {
    /// The learner.
    User,
    /// The coach.
    Assistant,
}
}

wayfinder_accounts_rules::closed_set! {
/// How an answer came about (a stored assistant message's `kind`).
pub enum AnswerKind {
    /// Written by the chat model from the retrieved passages.
    Generated,
    /// Drawn directly from the passages, without a model.
    Extractive,
    /// Nothing relevant was found, so the coach said so.
    Refusal,
    /// The model failed before saying anything.
    Error,
    /// The coach's verdict on the learner's reply to the check question it posed.
    CheckFeedback,
    /// Written by a person who joined the conversation (a coach or an admin), not the AI.
    Human,
    /// Asked by a guided interview's interviewer (a question, a follow-up, its closing words).
    Interviewer,
}
}

wayfinder_accounts_rules::closed_set! {
/// A person's verdict on an answer.
pub enum FeedbackRating {
    /// Helpful.
    Up,
    /// Not helpful.
    Down,
}
}

wayfinder_accounts_rules::closed_set! {
/// Why an answer was not helpful.
pub enum FeedbackReason {
    /// Says something wrong.
    Inaccurate,
    /// Does not help with the question.
    NotHelpful,
    /// A claim without a source, or a wrong source.
    MissingSource,
    /// Harmful or inappropriate.
    Harmful,
    /// Something else (see the comment).
    Other,
}
}

/// One earlier message of the conversation, oldest first in a history slice.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Turn {
    /// Who said it.
    pub role: TurnRole,
    /// What was said.
    pub content: String,
}

impl Turn {
    /// A learner's turn.
    pub fn user(content: impl Into<String>) -> Self {
        Turn { role: TurnRole::User, content: content.into() }
    }

    /// A coach's turn.
    pub fn assistant(content: impl Into<String>) -> Self {
        Turn { role: TurnRole::Assistant, content: content.into() }
    }
}

/// The role of a chat message sent to a model (OpenAI-compatible names when serialised).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Instructions and rules.
    System,
    /// The learner (or the server speaking for the learner).
    User,
    /// The model.
    Assistant,
}

impl Role {
    /// The name OpenAI-compatible chat APIs expect: `"system"`, `"user"`, `"assistant"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
        }
    }
}

impl From<TurnRole> for Role {
    fn from(role: TurnRole) -> Self {
        match role {
            TurnRole::User => Role::User,
            TurnRole::Assistant => Role::Assistant,
        }
    }
}
