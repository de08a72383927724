//! Sequences of scheduled steps ("drip" coaching): a coach or an administrator
//! writes the steps, enrols people, and the background loop sends each step
//! when it falls due — on the person's channel, after their quiet hours, never
//! after STOP — passing over steps whose condition on an earlier check-in does
//! not hold. Check-ins are answered by replying with a number on the channel,
//! or in the app.

use crate::nudges::{Known, Message, stored_now};
use crate::service::{Channels, ChannelsError, ChannelsResult};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, hash_map::Entry};
use utoipa::ToSchema;
use wayfinder_accounts_rules::{OrgId, PersonId};
use wayfinder_channels_rules::{
    SequenceId, StepTakenId,
    nudge::compose,
    sequence::{CHECK_IN_OPEN_DAYS, NextStep, Step, StepKind, check_in_text, check_steps, next_step},
};
use wayfinder_interviews::StartingInterview;
use wayfinder_interviews_rules::InterviewId;
use wayfinder_store::{
    DueEnrolment, NewOutbound, NudgeOutcome, SequenceEnrolmentRecord, SequenceEnrolmentStatus, SequenceRecord,
    StepOutcome, StepTaken, StoreError, TakeStep,
};

/// Enrolments advanced per batch.
const DUE_PER_BATCH: i64 = 500;

/// A sequence as written by its author.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SequenceSpec {
    #[schema(min_length = 1, max_length = 120)]
    pub name: String,
    #[schema(max_length = 2000)]
    pub description: Option<String>,
    /// 1 to 50 steps, in order.
    pub steps: Vec<Step>,
    /// Default true; a paused sequence's enrolments wait.
    pub active: Option<bool>,
}

/// A sequence as the API shows it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Sequence {
    #[schema(value_type = String)]
    pub id: SequenceId,
    pub name: String,
    pub description: String,
    pub steps: Vec<Step>,
    pub active: bool,
    /// People whose enrolment is under way.
    pub active_enrolments: i64,
    #[schema(value_type = Option<String>)]
    pub created_by: Option<PersonId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<SequenceRecord> for Sequence {
    fn from(r: SequenceRecord) -> Self {
        Sequence {
            id: r.id,
            name: r.name,
            description: r.description,
            steps: r.steps,
            active: r.active,
            active_enrolments: r.active_enrolments,
            created_by: r.created_by,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// A step an enrolment took.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TakenStep {
    pub step_key: String,
    pub kind: StepKind,
    /// `sent`, `skipped` (its condition did not hold), `no_channel` or `opted_out`.
    #[schema(value_type = String)]
    pub outcome: StepOutcome,
    pub taken_at: DateTime<Utc>,
    /// When it goes (or went) out: after the person's quiet hours.
    pub send_at: Option<DateTime<Utc>>,
    /// A check-in's answer, 1 to 5.
    pub answer: Option<i64>,
    pub answered_at: Option<DateTime<Utc>>,
}

impl From<StepTaken> for TakenStep {
    fn from(t: StepTaken) -> Self {
        TakenStep {
            step_key: t.step_key,
            kind: t.kind,
            outcome: t.outcome,
            taken_at: t.taken_at,
            send_at: t.send_at,
            answer: t.answer,
            answered_at: t.answered_at,
        }
    }
}

/// A person's enrolment in a sequence.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SequenceEnrolment {
    #[schema(value_type = String)]
    pub person_id: PersonId,
    pub display_name: String,
    /// `active`, `completed` or `stopped`.
    #[schema(value_type = String)]
    pub status: SequenceEnrolmentStatus,
    /// The key of the step that comes next (null once the sequence is done).
    pub next_step: Option<String>,
    pub next_due_at: Option<DateTime<Utc>>,
    pub enrolled_at: DateTime<Utc>,
    pub taken: Vec<TakenStep>,
}

/// Enrols a person.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSequenceEnrolment {
    #[schema(value_type = String)]
    pub person_id: PersonId,
}

/// What one pass over the due enrolments did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct SequenceRun {
    /// Steps queued to people's channels.
    pub sent: usize,
    /// Steps passed over because their condition did not hold.
    pub skipped: usize,
    pub no_channel: usize,
    pub opted_out: usize,
    /// Enrolments that took their last step.
    pub completed: usize,
}

/// A check-in waiting for the caller's answer.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct OpenCheckIn {
    #[schema(value_type = String)]
    pub id: StepTakenId,
    #[schema(value_type = String)]
    pub sequence_id: SequenceId,
    pub sequence_name: String,
    pub step_key: String,
    pub question: String,
    pub sent_at: DateTime<Utc>,
}

/// A check-in's answer.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckInAnswer {
    #[schema(minimum = 1, maximum = 5)]
    pub answer: i64,
}

impl Channels {
    pub async fn sequences(&self, org: OrgId) -> ChannelsResult<Vec<Sequence>> {
        Ok(self.store.sequences(org).await?.into_iter().map(Sequence::from).collect())
    }

    pub async fn sequence(&self, org: OrgId, id: SequenceId) -> ChannelsResult<Sequence> {
        Ok(self.store.sequence(org, id).await.map_err(not_found("sequence"))?.into())
    }

    pub async fn create_sequence(&self, org: OrgId, by: PersonId, spec: SequenceSpec) -> ChannelsResult<Sequence> {
        let now = stored_now();
        let record = checked(SequenceId::new(), org, Some(by), spec, now, now)?;
        self.check_flows(org, &record.steps).await?;
        self.store.create_sequence(&record).await?;
        Ok(record.into())
    }

    /// Replaces a sequence's name, steps and state; enrolments keep their position.
    pub async fn update_sequence(&self, org: OrgId, id: SequenceId, spec: SequenceSpec) -> ChannelsResult<Sequence> {
        let current = self.store.sequence(org, id).await.map_err(not_found("sequence"))?;
        let mut record = checked(id, org, current.created_by, spec, current.created_at, stored_now())?;
        record.active_enrolments = current.active_enrolments;
        self.check_flows(org, &record.steps).await?;
        self.store.update_sequence(&record).await.map_err(not_found("sequence"))?;
        Ok(record.into())
    }

    /// Refuses interview steps whose flow is not one of the organisation's.
    async fn check_flows(&self, org: OrgId, steps: &[Step]) -> ChannelsResult<()> {
        for (i, step) in steps.iter().enumerate() {
            let Some(flow) = step.flow_id else { continue };
            match self.store.interview_flow(org, flow, None).await {
                Ok(_) => {}
                Err(StoreError::NotFound) => {
                    let field = format!("steps[{i}].flow_id");
                    return Err(ChannelsError::Invalid { field, message: "names no interview flow here".into() });
                }
                Err(other) => return Err(other.into()),
            }
        }
        Ok(())
    }

    pub async fn delete_sequence(&self, org: OrgId, id: SequenceId) -> ChannelsResult<()> {
        self.store.delete_sequence(org, id).await.map_err(not_found("sequence"))
    }

    /// Enrols a member; the first step falls due its delay after `now`.
    pub async fn enrol_in_sequence(
        &self,
        org: OrgId,
        id: SequenceId,
        person: PersonId,
        by: PersonId,
        now: DateTime<Utc>,
    ) -> ChannelsResult<SequenceEnrolment> {
        let sequence = self.store.sequence(org, id).await.map_err(not_found("sequence"))?;
        let first = sequence.steps.first().map_or(0, |s| s.delay_hours);
        self.store.enrol_in_sequence(org, id, person, Some(by), now + Duration::hours(first)).await.map_err(
            |e| match e {
                StoreError::MissingReference => ChannelsError::NotFound("member"),
                other => other.into(),
            },
        )?;
        self.enrolment(org, &sequence, person).await
    }

    pub async fn stop_enrolment(&self, org: OrgId, id: SequenceId, person: PersonId) -> ChannelsResult<()> {
        self.store.stop_enrolment(org, id, person).await.map_err(not_found("enrolment"))
    }

    /// A sequence's enrolments, or only those of `people` when given.
    pub async fn sequence_enrolments(
        &self,
        org: OrgId,
        id: SequenceId,
        people: Option<&[PersonId]>,
    ) -> ChannelsResult<Vec<SequenceEnrolment>> {
        let sequence = self.store.sequence(org, id).await.map_err(not_found("sequence"))?;
        let records = self.store.sequence_enrolments(org, id, None).await?;
        Ok(records
            .into_iter()
            .filter(|r| people.is_none_or(|p| p.contains(&r.person)))
            .map(|r| enrolment_view(&sequence, r))
            .collect())
    }

    async fn enrolment(
        &self,
        org: OrgId,
        sequence: &SequenceRecord,
        person: PersonId,
    ) -> ChannelsResult<SequenceEnrolment> {
        let record = self.store.sequence_enrolments(org, sequence.id, Some(person)).await?.pop();
        Ok(enrolment_view(sequence, record.ok_or(ChannelsError::NotFound("enrolment"))?))
    }

    /// Takes every step due at `now` in the organisation: sends it, or passes over it when its
    /// condition does not hold, and moves each enrolment on.
    pub async fn advance_sequences(&self, org: OrgId, now: DateTime<Utc>) -> ChannelsResult<SequenceRun> {
        let mut run = SequenceRun::default();
        let zone = self.store.org_time_zone(org).await?;
        let mut pass = Pass { org, zone, now, known: None };
        let mut sequences = HashMap::new();
        loop {
            let due = self.store.due_enrolments(org, now, DUE_PER_BATCH).await?;
            if due.is_empty() {
                break;
            }
            let mut moved = 0;
            let answers = self.store.check_in_answers(&due.iter().map(|e| e.id).collect::<Vec<_>>()).await?;
            for enrolment in due {
                if let Entry::Vacant(entry) = sequences.entry(enrolment.sequence) {
                    entry.insert(self.store.sequence(org, enrolment.sequence).await?);
                }
                let steps = &sequences[&enrolment.sequence].steps;
                let position = usize::try_from(enrolment.position).unwrap_or(usize::MAX);
                let no_answers = HashMap::new();
                let answers = answers.get(&enrolment.id).unwrap_or(&no_answers);
                let mut interview = None;
                let (step, outcome, outbound) = match next_step(steps, position, answers) {
                    NextStep::Done => {
                        // Steps were removed under the enrolment: it is complete.
                        if self.store.finish_enrolment(enrolment.id, enrolment.position).await? {
                            run.completed += 1;
                        }
                        continue;
                    }
                    NextStep::Skip(step) => (step, StepOutcome::Skipped, None),
                    NextStep::Send(step) => {
                        let text = if step.kind == StepKind::Interview {
                            // The interview starts whatever happens to the message: the person
                            // finds it in the app even without a channel.
                            self.interview_for(org, step, enrolment.person).await?.map(|starting| {
                                let link = self.interview_link(starting.id);
                                interview = Some(starting);
                                format!("{}\n\n{link}", step.text)
                            })
                        } else {
                            Some(step_text(step, &self.settings.public_url))
                        };
                        match text {
                            // An interview step whose flow is gone is passed over.
                            None => (step, StepOutcome::Skipped, None),
                            Some(text) => {
                                let subject = &sequences[&enrolment.sequence].name;
                                let (outcome, outbound) =
                                    self.step_message(&mut pass, &enrolment, subject, &step.key, text).await?;
                                (step, outcome, outbound)
                            }
                        }
                    }
                };
                // The next step counts its delay from when this one goes out.
                let went = outbound.as_ref().map_or(now, |o| o.send_at);
                let next = steps.get(position + 1);
                let take = TakeStep {
                    enrolment: enrolment.id,
                    from_position: enrolment.position,
                    step_key: step.key.clone(),
                    kind: step.kind,
                    outcome,
                    taken_at: now,
                    outbound,
                    interview: interview.as_ref().map(StartingInterview::as_new),
                    next_due_at: next.map(|s| went + Duration::hours(s.delay_hours)),
                    status: if next.is_some() {
                        SequenceEnrolmentStatus::Active
                    } else {
                        SequenceEnrolmentStatus::Completed
                    },
                };
                if !self.store.take_step(&take).await? {
                    continue; // another instance took it
                }
                moved += 1;
                match outcome {
                    StepOutcome::Sent => run.sent += 1,
                    StepOutcome::Skipped => run.skipped += 1,
                    StepOutcome::NoChannel => run.no_channel += 1,
                    StepOutcome::OptedOut => run.opted_out += 1,
                }
                run.completed += usize::from(next.is_none());
            }
            if moved == 0 {
                break;
            }
        }
        if run.sent > 0 {
            self.outbox_ready.notify_one();
        }
        Ok(run)
    }

    /// Sends a step's message to the person on their channel: the outcome, and the outbox row
    /// when it goes out.
    async fn step_message(
        &self,
        pass: &mut Pass,
        enrolment: &DueEnrolment,
        subject: &str,
        step_key: &str,
        text: String,
    ) -> ChannelsResult<(StepOutcome, Option<NewOutbound>)> {
        if pass.known.is_none() {
            pass.known = Some(Known::load(self, pass.org).await?);
        }
        let Some(known) = pass.known.as_ref() else { return Ok((StepOutcome::NoChannel, None)) };
        let message = Message {
            subject,
            text: compose(&text, &enrolment.display_name, 0),
            key: format!("sequence:{}:{step_key}", enrolment.id),
            sent_this_week: None,
        };
        Ok(match self.address(pass.org, enrolment.person, message, known, pass.zone, pass.now).await? {
            Ok(outbound) => (StepOutcome::Sent, Some(outbound)),
            Err(NudgeOutcome::OptedOut) => (StepOutcome::OptedOut, None),
            Err(_) => (StepOutcome::NoChannel, None),
        })
    }

    /// The interview an interview step starts for `person` on its flow's current version (none
    /// when the flow is gone: the step is passed over).
    async fn interview_for(
        &self,
        org: OrgId,
        step: &Step,
        person: PersonId,
    ) -> ChannelsResult<Option<StartingInterview>> {
        let Some(flow) = step.flow_id else { return Ok(None) };
        match self.store.interview_flow(org, flow, None).await {
            Ok(flow) => Ok(Some(StartingInterview::of(&flow, person, None))),
            Err(StoreError::NotFound) => {
                tracing::warn!(%org, %flow, step = %step.key, "a sequence's interview step names a flow that is gone");
                Ok(None)
            }
            Err(other) => Err(other.into()),
        }
    }

    fn interview_link(&self, id: InterviewId) -> String {
        format!("{}/interviews/{id}", self.settings.public_url.trim_end_matches('/'))
    }

    /// The caller's check-ins still open for an answer, newest first.
    pub async fn open_check_ins(&self, org: OrgId, person: PersonId) -> ChannelsResult<Vec<OpenCheckIn>> {
        let open = self.store.open_check_ins(org, person, Utc::now() - Duration::days(CHECK_IN_OPEN_DAYS)).await?;
        let mut views = Vec::with_capacity(open.len());
        let name = if open.is_empty() { String::new() } else { self.store.person(person).await?.display_name };
        let mut sequences = HashMap::new();
        for c in open {
            if let Entry::Vacant(entry) = sequences.entry(c.sequence) {
                entry.insert(self.store.sequence(org, c.sequence).await?);
            }
            let step = sequences[&c.sequence].steps.iter().find(|s| s.key == c.step_key);
            let question = step.map(|s| compose(&s.text, &name, 0));
            views.push(OpenCheckIn {
                id: c.id,
                sequence_id: c.sequence,
                sequence_name: c.sequence_name,
                step_key: c.step_key,
                question: question.unwrap_or_default(),
                sent_at: c.sent_at,
            });
        }
        Ok(views)
    }

    /// Keeps the caller's answer to one of their check-ins.
    pub async fn answer_check_in(
        &self,
        org: OrgId,
        person: PersonId,
        id: StepTakenId,
        answer: i64,
    ) -> ChannelsResult<()> {
        if !(1..=5).contains(&answer) {
            return Err(ChannelsError::Invalid { field: "answer".into(), message: "must be between 1 and 5".into() });
        }
        self.store.answer_check_in(org, person, id, answer, Utc::now()).await.map_err(not_found("check-in"))
    }

    /// Takes a reply as the answer to the person's latest open check-in when it reads as one
    /// ("4", "4/5"); the answer kept, when it was.
    pub(crate) async fn reply_to_check_in(
        &self,
        org: OrgId,
        person: PersonId,
        reply: &str,
    ) -> ChannelsResult<Option<i64>> {
        let Some(answer) = wayfinder_channels_rules::sequence::read_check_in_answer(reply) else {
            return Ok(None);
        };
        let open = self.store.open_check_ins(org, person, Utc::now() - Duration::days(CHECK_IN_OPEN_DAYS)).await?;
        let Some(latest) = open.first() else {
            return Ok(None);
        };
        match self.store.answer_check_in(org, person, latest.id, answer, Utc::now()).await {
            Ok(()) => Ok(Some(answer)),
            Err(StoreError::Conflict(_) | StoreError::NotFound) => Ok(None),
            Err(other) => Err(other.into()),
        }
    }

    /// Advances every organisation's sequences every `every` until `stop` turns true.
    pub async fn run_sequences(self, every: std::time::Duration, stop: tokio::sync::watch::Receiver<bool>) {
        let work = |channels: Channels, org| async move { channels.advance_sequences(org, Utc::now()).await };
        self.every_organisation(every, stop, "sequences were not advanced", work).await;
    }
}

/// What one pass over the due enrolments shares: the organisation, its time zone, the time, and
/// the people's channels (loaded when the first step goes out).
struct Pass {
    org: OrgId,
    zone: wayfinder_insights_rules::days::OrgTimeZone,
    now: DateTime<Utc>,
    known: Option<Known>,
}

/// What a step sends: a check-in says how to answer; a practice prompt links to practice.
fn step_text(step: &Step, public_url: &str) -> String {
    match step.kind {
        StepKind::CheckIn => check_in_text(&step.text),
        StepKind::Practice => format!("{}\n\n{}/learning", step.text, public_url.trim_end_matches('/')),
        StepKind::Message | StepKind::Reflection | StepKind::Interview => step.text.clone(),
    }
}

fn enrolment_view(sequence: &SequenceRecord, r: SequenceEnrolmentRecord) -> SequenceEnrolment {
    let next_step = (r.status == SequenceEnrolmentStatus::Active)
        .then(|| usize::try_from(r.position).ok().and_then(|p| sequence.steps.get(p)).map(|s| s.key.clone()))
        .flatten();
    SequenceEnrolment {
        person_id: r.person,
        display_name: r.display_name,
        status: r.status,
        next_step,
        next_due_at: r.next_due_at,
        enrolled_at: r.enrolled_at,
        taken: r.taken.into_iter().map(TakenStep::from).collect(),
    }
}

fn checked(
    id: SequenceId,
    org: OrgId,
    created_by: Option<PersonId>,
    spec: SequenceSpec,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
) -> ChannelsResult<SequenceRecord> {
    let invalid = |field: &str, message: &str| ChannelsError::Invalid { field: field.into(), message: message.into() };
    let name = spec.name.trim().to_string();
    if name.is_empty() || name.chars().count() > 120 {
        return Err(invalid("name", "must be 1 to 120 characters"));
    }
    let description = spec.description.unwrap_or_default().trim().to_string();
    if description.chars().count() > 2000 {
        return Err(invalid("description", "must be at most 2000 characters"));
    }
    check_steps(&spec.steps).map_err(|e| ChannelsError::Invalid { field: e.field, message: e.message })?;
    let steps = spec.steps.into_iter().map(|s| Step { text: s.text.trim().to_string(), ..s }).collect();
    Ok(SequenceRecord {
        id,
        org,
        name,
        description,
        steps,
        active: spec.active.unwrap_or(true),
        created_by,
        created_at,
        updated_at,
        active_enrolments: 0,
    })
}

fn not_found(what: &'static str) -> impl Fn(StoreError) -> ChannelsError {
    move |e| match e {
        StoreError::NotFound => ChannelsError::NotFound(what),
        other => other.into(),
    }
}
