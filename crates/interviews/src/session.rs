//! Running an interview: starting it (its conversation opens with the first
//! question), each answer (judged, then probed, branched, moved on or ended —
//! written in one transaction with the interviewer's next words), pausing and
//! resuming (paused time does not count against the flow's limit), and the
//! summary it ends in, which the learner may correct.

use crate::views::{Interview, InterviewListing};
use crate::{Interviews, InterviewsError, InterviewsResult, model};
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;
use wayfinder_accounts_rules::{OrgId, PersonId};
use wayfinder_channels_rules::Channel;
use wayfinder_coach_rules::{AnswerKind, ConversationId, TurnRole};
use wayfinder_interviews_rules::{
    InterviewFlowId, InterviewId,
    flow::FlowSpec,
    interviewer::{EndReason, Move, Progress, next_move},
    summary::{Answer, SummarySource, SummaryValue, correct, scripted_summary},
};
use wayfinder_store::{
    InterviewAnswer, InterviewFlowRecord, InterviewPlace, InterviewRecord, InterviewStatus, MessageRecord, NewInterview,
};

/// The longest answer, in characters.
pub const MAX_ANSWER_CHARS: usize = 4000;

/// A learner's corrections to their summary: field key → new value.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SummaryCorrection {
    #[schema(value_type = Object)]
    pub fields: Map<String, Value>,
}

fn message(conversation: ConversationId, role: TurnRole, content: String, channel: Channel) -> MessageRecord {
    let kind = (role == TurnRole::Assistant).then_some(AnswerKind::Interviewer);
    MessageRecord { kind, ..MessageRecord::plain(conversation, role, content, channel) }
}

/// The interviewer's closing words.
fn closing(reason: EndReason) -> &'static str {
    match reason {
        EndReason::Completed => "Thank you, that's everything I wanted to ask. Here is a summary of what you told me.",
        EndReason::TurnLimit => {
            "Thank you, we have reached the most questions this interview asks. Here is a summary of what you told me."
        }
        EndReason::TimeLimit => "Thank you, our time is up. Here is a summary of what you told me.",
    }
}

/// An interview about to start on a flow's version: its conversation opens with the first
/// question. Started on its own (`Interviews::start`) or with something else in one write (a
/// sequence's interview step).
#[derive(Clone, Debug)]
pub struct StartingInterview {
    pub id: InterviewId,
    org: OrgId,
    flow: InterviewFlowId,
    flow_version: i64,
    person: PersonId,
    started_by: Option<PersonId>,
    title: String,
    conversation: ConversationId,
    opening: MessageRecord,
}

impl StartingInterview {
    pub fn of(flow: &InterviewFlowRecord, person: PersonId, started_by: Option<PersonId>) -> StartingInterview {
        let conversation = ConversationId::new();
        StartingInterview {
            id: InterviewId::new(),
            org: flow.org,
            flow: flow.id,
            flow_version: flow.version,
            person,
            started_by,
            title: flow.spec.name.clone(),
            conversation,
            opening: message(conversation, TurnRole::Assistant, flow.spec.steps[0].question.clone(), Channel::Web),
        }
    }

    /// What the store writes.
    pub fn as_new(&self) -> NewInterview<'_> {
        NewInterview {
            id: self.id,
            org: self.org,
            flow: self.flow,
            flow_version: self.flow_version,
            person: self.person,
            started_by: self.started_by,
            title: &self.title,
            conversation: self.conversation,
            opening: &self.opening,
        }
    }
}

impl Interviews {
    /// Starts `flow` (its current version) for `person`; `started_by` is whoever sent it (the
    /// person themselves, or their coach).
    pub async fn start(
        &self,
        org: OrgId,
        flow: InterviewFlowId,
        person: PersonId,
        started_by: PersonId,
    ) -> InterviewsResult<Interview> {
        let flow = self.store.interview_flow(org, flow, None).await?;
        let starting = StartingInterview::of(&flow, person, Some(started_by));
        self.store.start_interview(&starting.as_new()).await.map_err(|e| match e {
            wayfinder_store::StoreError::MissingReference => InterviewsError::NotFound,
            other => other.into(),
        })?;
        self.interview(org, starting.id).await
    }

    /// The learner an interview is for.
    pub async fn learner_of(&self, org: OrgId, id: InterviewId) -> InterviewsResult<PersonId> {
        Ok(self.store.interview(org, id).await?.person)
    }

    /// An interview with its transcript.
    pub async fn interview(&self, org: OrgId, id: InterviewId) -> InterviewsResult<Interview> {
        let record = self.store.interview(org, id).await?;
        let flow = self.store.interview_flow(org, record.flow, Some(record.flow_version)).await?.spec;
        self.view(record, &flow).await
    }

    async fn view(&self, record: InterviewRecord, flow: &FlowSpec) -> InterviewsResult<Interview> {
        let messages = self.store.messages(record.conversation, None).await?;
        let answered = self.store.interview_answers(record.id).await?;
        Ok(Interview::new(record, flow, &messages, &answered))
    }

    /// The organisation's interviews, newest first (`people`: only theirs).
    pub async fn interviews(&self, org: OrgId, people: Option<&[PersonId]>) -> InterviewsResult<Vec<InterviewListing>> {
        Ok(self.store.interviews(org, people).await?.into_iter().map(InterviewListing::from).collect())
    }

    /// The learner's answer to what the interviewer asked; answers the interview as it stands after it.
    pub async fn answer(
        &self,
        org: OrgId,
        id: InterviewId,
        content: &str,
        channel: Channel,
    ) -> InterviewsResult<Interview> {
        let content = content.trim();
        if content.is_empty() || content.chars().count() > MAX_ANSWER_CHARS {
            let message = format!("an answer is 1 to {MAX_ANSWER_CHARS} characters");
            return Err(InterviewsError::Invalid { field: "content".into(), message });
        }
        let record = self.store.interview(org, id).await?;
        match record.place.status {
            InterviewStatus::Active => {}
            InterviewStatus::Paused => {
                return Err(InterviewsError::Conflict("the interview is paused: resume it first".into()));
            }
            InterviewStatus::Completed => return Err(InterviewsError::Conflict("the interview has ended".into())),
        }
        let flow = self.store.interview_flow(org, record.flow, Some(record.flow_version)).await?.spec;
        let messages = self.store.messages(record.conversation, None).await?;
        let seq = messages.iter().map(|m| m.seq).max().unwrap_or(0) + 1;
        let now = Utc::now();
        let from = record.place;
        let step_index = usize::try_from(from.step_index).ok().filter(|i| *i < flow.steps.len()).ok_or_else(|| {
            InterviewsError::Store(wayfinder_store::StoreError::Corrupt(format!("interview step {}", from.step_index)))
        })?;
        let step = &flow.steps[step_index];
        let progress = Progress {
            step: step_index,
            probes_used: u32::try_from(from.probes_used).unwrap_or(u32::MAX),
            answers: u32::try_from(from.answers + 1).unwrap_or(u32::MAX),
            active_ms: from.active_ms + (now - record.resumed_at).num_milliseconds().max(0),
        };
        let model = self.chat_model_for(org).await;
        let judgement = match &model {
            Some(model) => {
                let exchange = step_exchange(&messages, &step.question, content);
                model::judge(model.as_ref(), &flow, step, &exchange).await
            }
            None => None,
        };
        let mut answer = message(record.conversation, TurnRole::User, content.to_string(), channel);
        answer.seq = seq;
        let (to, words, end) = match next_move(&flow, progress, content, judgement) {
            Move::Probe(text) => (
                InterviewPlace { probes_used: from.probes_used + 1, ..place(InterviewStatus::Active, from, progress) },
                text,
                None,
            ),
            Move::Ask(next) => (
                InterviewPlace {
                    step_index: next as i64,
                    probes_used: 0,
                    ..place(InterviewStatus::Active, from, progress)
                },
                flow.steps[next].question.clone(),
                None,
            ),
            Move::End(reason) => {
                (place(InterviewStatus::Completed, from, progress), closing(reason).to_string(), Some(reason))
            }
        };
        let summary = match end {
            Some(_) => {
                let mut transcript = messages.clone();
                transcript.push(answer.clone());
                Some(self.summary(&flow, model.as_deref(), record.id, &transcript, step.key.as_str(), seq).await?)
            }
            None => None,
        };
        let next = message(record.conversation, TurnRole::Assistant, words, channel);
        self.store
            .answer_interview(
                org,
                &InterviewAnswer {
                    interview: id,
                    from,
                    to,
                    messages: vec![&answer, &next],
                    seq,
                    step_key: &step.key,
                    end_reason: end,
                    summary: summary.as_ref().map(|(values, source)| (values.as_slice(), *source)),
                },
            )
            .await?;
        self.interview(org, id).await
    }

    /// The summary: the model's when it writes one that checks, else the rules'.
    async fn summary(
        &self,
        flow: &FlowSpec,
        model: Option<&dyn wayfinder_llm::ChatModel>,
        id: InterviewId,
        transcript: &[MessageRecord],
        last_step: &str,
        last_seq: i64,
    ) -> InterviewsResult<(Vec<SummaryValue>, SummarySource)> {
        if let Some(model) = model
            && let Some(values) = model::summarise(model, flow, transcript).await
        {
            return Ok((values, SummarySource::Model));
        }
        let mut answered = self.store.interview_answers(id).await?;
        answered.push((last_seq, last_step.to_string()));
        let texts: std::collections::HashMap<i64, &str> =
            transcript.iter().map(|m| (m.seq, m.content.as_str())).collect();
        let answers: Vec<Answer<'_>> = answered
            .iter()
            .filter_map(|(seq, step)| texts.get(seq).map(|text| Answer { step, seq: *seq, text }))
            .collect();
        Ok((scripted_summary(flow, &answers), SummarySource::Scripted))
    }

    /// Pauses a running interview, or resumes a paused one.
    pub async fn set_paused(&self, org: OrgId, id: InterviewId, paused: bool) -> InterviewsResult<Interview> {
        if !self.store.set_interview_paused(org, id, paused).await? {
            self.store.interview(org, id).await?;
            let why = if paused {
                "only a running interview can be paused"
            } else {
                "only a paused interview can be resumed"
            };
            return Err(InterviewsError::Conflict(why.into()));
        }
        self.interview(org, id).await
    }

    /// The learner's corrections to the summary of their finished interview.
    pub async fn correct_summary(
        &self,
        org: OrgId,
        id: InterviewId,
        correction: &SummaryCorrection,
    ) -> InterviewsResult<Interview> {
        let record = self.store.interview(org, id).await?;
        let (InterviewStatus::Completed, Some(summary)) = (record.place.status, record.summary.as_ref()) else {
            return Err(InterviewsError::Conflict("the summary comes when the interview ends".into()));
        };
        let flow = self.store.interview_flow(org, record.flow, Some(record.flow_version)).await?.spec;
        let corrected = correct(&flow.summary, summary, &correction.fields)
            .map_err(|e| InterviewsError::Invalid { field: format!("fields.{}", e.field), message: e.message })?;
        self.store.set_interview_summary(org, id, &corrected).await?;
        self.interview(org, id).await
    }
}

/// The interview's place after an answer, before the move sets its step.
fn place(status: InterviewStatus, from: InterviewPlace, progress: Progress) -> InterviewPlace {
    InterviewPlace { status, answers: i64::from(progress.answers), active_ms: progress.active_ms, ..from }
}

/// The current step's exchange for the model: from the step's question (its last asking) on,
/// with the new answer last.
fn step_exchange<'a>(messages: &'a [MessageRecord], question: &str, answer: &'a str) -> Vec<(TurnRole, &'a str)> {
    let start = messages
        .iter()
        .rposition(|m| m.role == TurnRole::Assistant && m.content == question)
        .or_else(|| messages.iter().rposition(|m| m.role == TurnRole::Assistant))
        .unwrap_or(0);
    let mut exchange: Vec<(TurnRole, &str)> = messages[start..].iter().map(|m| (m.role, m.content.as_str())).collect();
    exchange.push((TurnRole::User, answer));
    exchange
}
