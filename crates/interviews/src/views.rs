//! Interviews as the API shows them: where one stands, its transcript, and
//! its summary with the schema it follows.

use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::HashMap;
use utoipa::ToSchema;
use wayfinder_accounts_rules::PersonId;
use wayfinder_coach_rules::{ConversationId, TurnRole};
use wayfinder_interviews_rules::{
    InterviewFlowId, InterviewId,
    flow::{FlowPurpose, FlowSpec, SummaryField},
    interviewer::EndReason,
    summary::{SummarySource, SummaryValue},
};
use wayfinder_store::{InterviewRecord, InterviewStatus, MessageRecord};

/// One turn of the transcript.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct InterviewTurn {
    /// Its place in the interview's conversation (summary fields cite these).
    pub seq: i64,
    /// `assistant`: the interviewer; `user`: the learner.
    #[schema(value_type = String)]
    pub role: TurnRole,
    pub content: String,
    /// For the learner's answers, the step answered.
    pub step: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// An interview: where it stands, its transcript and, once it ended, its summary.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Interview {
    #[schema(value_type = String)]
    pub id: InterviewId,
    #[schema(value_type = String)]
    pub flow_id: InterviewFlowId,
    pub flow_version: i64,
    pub flow_name: String,
    pub purpose: FlowPurpose,
    /// What the interviewer works from (for a mock interview, the role), shown at the start.
    pub context: String,
    #[schema(value_type = String)]
    pub person_id: PersonId,
    pub person_name: String,
    /// The transcript's conversation (same history, export and erasure as any other).
    #[schema(value_type = String)]
    pub conversation_id: ConversationId,
    #[schema(value_type = Option<String>)]
    pub started_by: Option<PersonId>,
    /// `active`, `paused` or `completed`.
    #[schema(value_type = String)]
    pub status: InterviewStatus,
    /// The key of the step being asked (none once it ended).
    pub step: Option<String>,
    /// What the learner is asked now: the interviewer's last words while it runs.
    pub question: Option<String>,
    /// Answers given, and the most the flow takes.
    pub answers: i64,
    pub max_turns: u32,
    pub end_reason: Option<EndReason>,
    /// The schema the summary follows.
    pub summary_fields: Vec<SummaryField>,
    pub summary: Option<Vec<SummaryValue>>,
    pub summary_source: Option<SummarySource>,
    pub transcript: Vec<InterviewTurn>,
    pub started_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

impl Interview {
    /// The view of `record` on `flow` (its version), with its messages and which step each answer answered.
    pub(crate) fn new(
        record: InterviewRecord,
        flow: &FlowSpec,
        messages: &[MessageRecord],
        answered: &[(i64, String)],
    ) -> Interview {
        let steps: HashMap<i64, &str> = answered.iter().map(|(seq, step)| (*seq, step.as_str())).collect();
        let transcript: Vec<InterviewTurn> = messages
            .iter()
            .map(|m| InterviewTurn {
                seq: m.seq,
                role: m.role,
                content: m.content.clone(),
                step: steps.get(&m.seq).map(|s| s.to_string()),
                created_at: m.created_at,
            })
            .collect();
        let running = record.place.status != InterviewStatus::Completed;
        let step = usize::try_from(record.place.step_index).ok().and_then(|i| flow.steps.get(i));
        let question = transcript
            .iter()
            .rev()
            .find(|t| t.role == TurnRole::Assistant)
            .map(|t| t.content.clone())
            .filter(|_| running);
        Interview {
            id: record.id,
            flow_id: record.flow,
            flow_version: record.flow_version,
            flow_name: record.flow_name,
            purpose: record.purpose,
            context: flow.context.clone(),
            person_id: record.person,
            person_name: record.person_name,
            conversation_id: record.conversation,
            started_by: record.started_by,
            status: record.place.status,
            step: step.filter(|_| running).map(|s| s.key.clone()),
            question,
            answers: record.place.answers,
            max_turns: flow.limits.max_turns,
            end_reason: record.end_reason,
            summary_fields: flow.summary.clone(),
            summary: record.summary,
            summary_source: record.summary_source,
            transcript,
            started_at: record.started_at,
            updated_at: record.updated_at,
            completed_at: record.completed_at,
        }
    }
}

/// An interview in a list: where it stands, without its transcript.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct InterviewListing {
    #[schema(value_type = String)]
    pub id: InterviewId,
    #[schema(value_type = String)]
    pub flow_id: InterviewFlowId,
    pub flow_name: String,
    pub purpose: FlowPurpose,
    #[schema(value_type = String)]
    pub person_id: PersonId,
    pub person_name: String,
    #[schema(value_type = String)]
    pub status: InterviewStatus,
    pub answers: i64,
    pub end_reason: Option<EndReason>,
    /// The summary is there (the interview ended).
    pub summarised: bool,
    pub started_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

impl From<InterviewRecord> for InterviewListing {
    fn from(r: InterviewRecord) -> Self {
        InterviewListing {
            id: r.id,
            flow_id: r.flow,
            flow_name: r.flow_name,
            purpose: r.purpose,
            person_id: r.person,
            person_name: r.person_name,
            status: r.place.status,
            answers: r.place.answers,
            end_reason: r.end_reason,
            summarised: r.summary.is_some(),
            started_at: r.started_at,
            updated_at: r.updated_at,
            completed_at: r.completed_at,
        }
    }
}
