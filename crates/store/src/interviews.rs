//! Guided interviews in storage: flows with every saved version, and the
//! interviews run on them. An interview's transcript is its conversation's
//! messages; each answer is written in one transaction with the interviewer's
//! next message and the interview's new place, and only from the place it was
//! read at — so an answer sent twice (two tabs, a retry) moves it on once.

use crate::coach::insert_message;
use crate::{MessageRecord, Store, StoreError, StoreResult, in_tx, on_pool, rows::*};
use chrono::{DateTime, Utc};
use wayfinder_accounts_rules::{OrgId, PersonId};
use wayfinder_coach_rules::ConversationId;
use wayfinder_interviews_rules::{
    InterviewFlowId, InterviewId, InterviewRecordingId,
    flow::{FlowPurpose, FlowSpec},
    interviewer::EndReason,
    summary::{SummarySource, SummaryValue},
};

/// Starts an interview (its conversation, the opening question and the interview's row) inside
/// the transaction `$tx`.
macro_rules! insert_interview {
    ($store:expr, $tx:ident, $new:expr, $now:expr) => {{
        let (new, now): (&$crate::NewInterview<'_>, i64) = ($new, $now);
        $crate::coach::insert_conversation!($store, $tx, new.conversation, new.org, new.person, None, new.title, now);
        $crate::coach::insert_message!($tx, new.org, 1, new.opening);
        sqlx::query(
            "INSERT INTO interviews (id, org_id, flow_id, flow_version, person_id, conversation_id, started_by, status,
               step_index, probes_used, answers, active_ms, resumed_at, started_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'active', 0, 0, 0, 0, $8, $8, $8)",
        )
        .bind(new.id.to_string())
        .bind(new.org.to_string())
        .bind(new.flow.to_string())
        .bind(new.flow_version)
        .bind(new.person.to_string())
        .bind(new.conversation.to_string())
        .bind(new.started_by.map(|p| p.to_string()))
        .bind(now)
        .execute(&mut *$tx)
        .await?;
    }};
}
pub(crate) use insert_interview;

/// A spoken answer's audio to keep.
#[derive(Clone, Debug)]
pub struct NewInterviewRecording<'a> {
    pub id: InterviewRecordingId,
    pub org: OrgId,
    pub interview: InterviewId,
    /// Whose voice it is: the interview's learner.
    pub person: PersonId,
    pub content_type: &'a str,
    pub duration_ms: i64,
    pub transcript: &'a str,
    pub audio: &'a [u8],
}

/// A kept recording, without its audio.
#[derive(Clone, Debug, PartialEq)]
pub struct InterviewRecording {
    pub id: InterviewRecordingId,
    pub content_type: String,
    pub duration_ms: i64,
    /// What the speech service heard (the answer sent may have been edited from it).
    pub transcript: String,
    /// The audio's size.
    pub bytes: i64,
    pub created_at: DateTime<Utc>,
}

/// A flow as stored, with the spec of the version asked for (the current one unless named).
#[derive(Clone, Debug, PartialEq)]
pub struct InterviewFlowRecord {
    pub id: InterviewFlowId,
    pub org: OrgId,
    pub purpose: FlowPurpose,
    pub current_version: i64,
    /// The version `spec` is.
    pub version: i64,
    pub spec: FlowSpec,
    pub created_by: Option<PersonId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Interviews run on any version of it.
    pub interviews: i64,
}

wayfinder_accounts_rules::closed_set! {
/// Where an interview stands.
pub enum InterviewStatus {
    /// Waiting for the learner's next answer.
    Active,
    /// Paused by the learner; resumes where it stopped.
    Paused,
    /// Ended, with its summary.
    Completed,
}
}

/// Where an interview is within its flow.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InterviewPlace {
    pub status: InterviewStatus,
    pub step_index: i64,
    pub probes_used: i64,
    pub answers: i64,
    pub active_ms: i64,
}

/// An interview as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct InterviewRecord {
    pub id: InterviewId,
    pub org: OrgId,
    pub flow: InterviewFlowId,
    pub flow_version: i64,
    pub flow_name: String,
    pub purpose: FlowPurpose,
    pub person: PersonId,
    pub person_name: String,
    pub conversation: ConversationId,
    pub started_by: Option<PersonId>,
    pub place: InterviewPlace,
    /// When it last started running (its start, or its last resume).
    pub resumed_at: DateTime<Utc>,
    pub end_reason: Option<EndReason>,
    pub summary: Option<Vec<SummaryValue>>,
    pub summary_source: Option<SummarySource>,
    pub started_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

/// An interview to start, with the interviewer's first message.
#[derive(Clone, Debug)]
pub struct NewInterview<'a> {
    pub id: InterviewId,
    pub org: OrgId,
    pub flow: InterviewFlowId,
    pub flow_version: i64,
    pub person: PersonId,
    pub started_by: Option<PersonId>,
    pub title: &'a str,
    pub conversation: ConversationId,
    /// The interviewer's opening (stored first in the conversation).
    pub opening: &'a MessageRecord,
}

/// An answer and what follows it, written together.
#[derive(Clone, Debug)]
pub struct InterviewAnswer<'a> {
    pub interview: InterviewId,
    /// The place the interview was read at; another answer moved it on when it differs.
    pub from: InterviewPlace,
    pub to: InterviewPlace,
    /// The learner's answer, then the interviewer's next message.
    pub messages: Vec<&'a MessageRecord>,
    /// The place the answer takes in the conversation (the one after the last message read).
    pub seq: i64,
    /// The step it answers.
    pub step_key: &'a str,
    pub end_reason: Option<EndReason>,
    pub summary: Option<(&'a [SummaryValue], SummarySource)>,
}

type FlowRow = (String, String, String, i64, i64, String, Option<String>, i64, i64, i64);

fn flow_record(row: FlowRow) -> StoreResult<InterviewFlowRecord> {
    let (id, org, purpose, current_version, version, spec, created_by, created_at, updated_at, interviews) = row;
    Ok(InterviewFlowRecord {
        id: parse(&id, "flow id")?,
        org: parse(&org, "org id")?,
        purpose: parse(&purpose, "flow purpose")?,
        current_version,
        version,
        spec: from_json(&spec, "flow spec")?,
        created_by: created_by.as_deref().map(|p| parse(p, "person id")).transpose()?,
        created_at: time(created_at),
        updated_at: time(updated_at),
        interviews,
    })
}

const FLOW_SELECT: &str = "SELECT f.id, f.org_id, f.purpose, f.current_version, v.version, v.spec, f.created_by,
       f.created_at, f.updated_at, (SELECT COUNT(*) FROM interviews i WHERE i.flow_id = f.id)
     FROM interview_flows f JOIN interview_flow_versions v ON v.flow_id = f.id";

#[derive(sqlx::FromRow)]
struct InterviewRow {
    id: String,
    org_id: String,
    flow_id: String,
    flow_version: i64,
    flow_name: String,
    purpose: String,
    person_id: String,
    person_name: String,
    conversation_id: String,
    started_by: Option<String>,
    status: String,
    step_index: i64,
    probes_used: i64,
    answers: i64,
    active_ms: i64,
    resumed_at: i64,
    end_reason: Option<String>,
    summary: Option<String>,
    summary_source: Option<String>,
    started_at: i64,
    updated_at: i64,
    completed_at: Option<i64>,
}

impl InterviewRow {
    fn into_record(self) -> StoreResult<InterviewRecord> {
        Ok(InterviewRecord {
            id: parse(&self.id, "interview id")?,
            org: parse(&self.org_id, "org id")?,
            flow: parse(&self.flow_id, "flow id")?,
            flow_version: self.flow_version,
            flow_name: self.flow_name,
            purpose: parse(&self.purpose, "flow purpose")?,
            person: parse(&self.person_id, "person id")?,
            person_name: self.person_name,
            conversation: parse(&self.conversation_id, "conversation id")?,
            started_by: self.started_by.as_deref().map(|p| parse(p, "person id")).transpose()?,
            place: InterviewPlace {
                status: parse(&self.status, "interview status")?,
                step_index: self.step_index,
                probes_used: self.probes_used,
                answers: self.answers,
                active_ms: self.active_ms,
            },
            resumed_at: time(self.resumed_at),
            end_reason: self.end_reason.as_deref().map(|r| parse(r, "end reason")).transpose()?,
            summary: self.summary.as_deref().map(|s| from_json(s, "interview summary")).transpose()?,
            summary_source: self.summary_source.as_deref().map(|s| parse(s, "summary source")).transpose()?,
            started_at: time(self.started_at),
            updated_at: time(self.updated_at),
            completed_at: opt_time(self.completed_at),
        })
    }
}

const INTERVIEW_SELECT: &str = "SELECT i.id, i.org_id, i.flow_id, i.flow_version, f.name AS flow_name, f.purpose,
       i.person_id, p.display_name AS person_name, i.conversation_id, i.started_by, i.status, i.step_index,
       i.probes_used, i.answers, i.active_ms, i.resumed_at, i.end_reason, i.summary, i.summary_source,
       i.started_at, i.updated_at, i.completed_at
     FROM interviews i JOIN interview_flows f ON f.id = i.flow_id JOIN people p ON p.id = i.person_id";

impl Store {
    /// Saves a new flow as its version 1.
    pub async fn create_interview_flow(
        &self,
        org: OrgId,
        id: InterviewFlowId,
        spec: &FlowSpec,
        by: Option<PersonId>,
    ) -> StoreResult<()> {
        let now = now_ms();
        in_tx!(self, tx => {
            sqlx::query(
                "INSERT INTO interview_flows (id, org_id, name, purpose, current_version, created_by, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, 1, $5, $6, $6)")
                .bind(id.to_string()).bind(org.to_string()).bind(&spec.name).bind(<&str>::from(spec.purpose))
                .bind(by.map(|p| p.to_string())).bind(now).execute(&mut *tx).await?;
            sqlx::query(
                "INSERT INTO interview_flow_versions (flow_id, version, spec, created_by, created_at)
                 VALUES ($1, 1, $2, $3, $4)")
                .bind(id.to_string()).bind(to_json(spec)).bind(by.map(|p| p.to_string())).bind(now)
                .execute(&mut *tx).await?;
        });
        Ok(())
    }

    /// Saves a flow's next version (interviews under way keep theirs); answers its number.
    pub async fn save_interview_flow_version(
        &self,
        org: OrgId,
        id: InterviewFlowId,
        spec: &FlowSpec,
        by: Option<PersonId>,
    ) -> StoreResult<i64> {
        let now = now_ms();
        Ok(in_tx!(self, tx => {
            let version: Option<(i64,)> = sqlx::query_as(
                "UPDATE interview_flows SET current_version = current_version + 1, name = $3, purpose = $4, updated_at = $5
                 WHERE id = $1 AND org_id = $2 RETURNING current_version")
                .bind(id.to_string()).bind(org.to_string()).bind(&spec.name).bind(<&str>::from(spec.purpose)).bind(now)
                .fetch_optional(&mut *tx).await?;
            let (version,) = version.ok_or(StoreError::NotFound)?;
            sqlx::query(
                "INSERT INTO interview_flow_versions (flow_id, version, spec, created_by, created_at)
                 VALUES ($1, $2, $3, $4, $5)")
                .bind(id.to_string()).bind(version).bind(to_json(spec)).bind(by.map(|p| p.to_string())).bind(now)
                .execute(&mut *tx).await?;
            version
        }))
    }

    /// A flow of the organisation, at `version` (its current one when `None`).
    pub async fn interview_flow(
        &self,
        org: OrgId,
        id: InterviewFlowId,
        version: Option<i64>,
    ) -> StoreResult<InterviewFlowRecord> {
        let sql =
            format!("{FLOW_SELECT} WHERE f.id = $1 AND f.org_id = $2 AND v.version = COALESCE($3, f.current_version)");
        let row: Option<FlowRow> = on_pool!(self, pool => sqlx::query_as(&sql)
            .bind(id.to_string()).bind(org.to_string()).bind(version).fetch_optional(pool).await?);
        flow_record(row.ok_or(StoreError::NotFound)?)
    }

    /// The organisation's flows at their current versions, oldest first.
    pub async fn interview_flows(&self, org: OrgId) -> StoreResult<Vec<InterviewFlowRecord>> {
        let sql =
            format!("{FLOW_SELECT} WHERE f.org_id = $1 AND v.version = f.current_version ORDER BY f.created_at, f.id");
        let rows: Vec<FlowRow> =
            on_pool!(self, pool => sqlx::query_as(&sql).bind(org.to_string()).fetch_all(pool).await?);
        rows.into_iter().map(flow_record).collect()
    }

    /// Deletes a flow no interview has run on (`Conflict` otherwise).
    pub async fn delete_interview_flow(&self, org: OrgId, id: InterviewFlowId) -> StoreResult<()> {
        in_tx!(self, tx => {
            let (used,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM interviews i JOIN interview_flows f ON f.id = i.flow_id
                 WHERE f.id = $1 AND f.org_id = $2")
                .bind(id.to_string()).bind(org.to_string()).fetch_one(&mut *tx).await?;
            if used > 0 {
                return Err(StoreError::Conflict("interviews have run on this flow; it stays so their summaries keep it"));
            }
            // Steps are stored as JSON; an interview step names its flow as `"flow_id":"<id>"`.
            let (steps,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM sequences WHERE org_id = $1 AND steps LIKE $2")
                .bind(org.to_string()).bind(format!("%\"flow_id\":\"{id}\"%")).fetch_one(&mut *tx).await?;
            if steps > 0 {
                return Err(StoreError::Conflict("a sequence's step starts this flow; change the step first"));
            }
            let (intakes,): (i64,) = sqlx::query_as(
                "SELECT COUNT(*) FROM coach_provisions WHERE org_id = $1 AND intake_flow_id = $2")
                .bind(org.to_string()).bind(id.to_string()).fetch_one(&mut *tx).await?;
            if intakes > 0 {
                return Err(StoreError::Conflict("a coach's provisioning runs this flow as its intake"));
            }
            let done = sqlx::query("DELETE FROM interview_flows WHERE id = $1 AND org_id = $2")
                .bind(id.to_string()).bind(org.to_string()).execute(&mut *tx).await?.rows_affected();
            if done == 0 {
                return Err(StoreError::NotFound);
            }
        });
        Ok(())
    }

    /// Starts an interview: its conversation, the interviewer's opening, and the interview at its
    /// first step, in one transaction.
    pub async fn start_interview(&self, new: &NewInterview<'_>) -> StoreResult<()> {
        let now = now_ms();
        in_tx!(self, tx => {
            insert_interview!(self, tx, new, now);
        });
        Ok(())
    }

    /// An interview of the organisation.
    pub async fn interview(&self, org: OrgId, id: InterviewId) -> StoreResult<InterviewRecord> {
        let sql = format!("{INTERVIEW_SELECT} WHERE i.id = $1 AND i.org_id = $2");
        let row: Option<InterviewRow> = on_pool!(self, pool => sqlx::query_as(&sql)
            .bind(id.to_string()).bind(org.to_string()).fetch_optional(pool).await?);
        row.ok_or(StoreError::NotFound)?.into_record()
    }

    /// The organisation's interviews, newest first: one person's, or those of the people listed
    /// (`None`: everyone's).
    pub async fn interviews(&self, org: OrgId, people: Option<&[PersonId]>) -> StoreResult<Vec<InterviewRecord>> {
        let people: Option<Vec<String>> = people.map(|p| p.iter().map(ToString::to_string).collect());
        if people.as_ref().is_some_and(Vec::is_empty) {
            return Ok(Vec::new());
        }
        let among =
            people.as_ref().map_or(String::new(), |p| format!(" AND i.person_id IN ({})", placeholders(2, p.len())));
        let sql = format!("{INTERVIEW_SELECT} WHERE i.org_id = $1{among} ORDER BY i.started_at DESC, i.id DESC");
        let rows: Vec<InterviewRow> = on_pool!(self, pool => {
            let mut query = sqlx::query_as(&sql).bind(org.to_string());
            for person in people.iter().flatten() {
                query = query.bind(person);
            }
            query.fetch_all(pool).await?
        });
        rows.into_iter().map(InterviewRow::into_record).collect()
    }

    /// Writes an answer with what follows it, from the place the interview was read at
    /// (`Conflict` when another answer moved it on first); the time it ran is banked in `to`.
    pub async fn answer_interview(&self, org: OrgId, answer: &InterviewAnswer<'_>) -> StoreResult<()> {
        let now = now_ms();
        let (from, to) = (answer.from, answer.to);
        let completed = (to.status == InterviewStatus::Completed).then_some(now);
        in_tx!(self, tx => {
            let moved = sqlx::query(
                "UPDATE interviews SET status = $3, step_index = $4, probes_used = $5, answers = $6, active_ms = $7,
                   end_reason = $8, summary = $9, summary_source = $10, completed_at = $11, updated_at = $12,
                   resumed_at = $12
                 WHERE id = $1 AND org_id = $2 AND status = 'active' AND answers = $13 AND step_index = $14 AND probes_used = $15")
                .bind(answer.interview.to_string()).bind(org.to_string()).bind(<&str>::from(to.status)).bind(to.step_index)
                .bind(to.probes_used).bind(to.answers).bind(to.active_ms).bind(answer.end_reason.map(<&str>::from))
                .bind(answer.summary.map(|(s, _)| to_json(s))).bind(answer.summary.map(|(_, source)| <&str>::from(source)))
                .bind(completed).bind(now).bind(from.answers).bind(from.step_index).bind(from.probes_used)
                .execute(&mut *tx).await?.rows_affected();
            if moved == 0 {
                return Err(StoreError::Conflict("the interview moved on before this answer"));
            }
            if let Some(first) = answer.messages.first() {
                let (next,): (i64,) =
                    sqlx::query_as("SELECT COALESCE(MAX(seq), 0) + 1 FROM messages WHERE conversation_id = $1")
                        .bind(first.conversation.to_string()).fetch_one(&mut *tx).await?;
                if next != answer.seq {
                    return Err(StoreError::Conflict("the interview moved on before this answer"));
                }
                for (i, m) in answer.messages.iter().enumerate() {
                    insert_message!(tx, org, next + i as i64, m);
                }
                sqlx::query("UPDATE conversations SET updated_at = $2 WHERE id = $1")
                    .bind(first.conversation.to_string()).bind(now).execute(&mut *tx).await?;
            }
            sqlx::query("INSERT INTO interview_answers (interview_id, seq, step_key) VALUES ($1, $2, $3)")
                .bind(answer.interview.to_string()).bind(answer.seq).bind(answer.step_key).execute(&mut *tx).await?;
        });
        Ok(())
    }

    /// The learner's answers so far: each one's seq and the step it answered, in order.
    pub async fn interview_answers(&self, id: InterviewId) -> StoreResult<Vec<(i64, String)>> {
        Ok(on_pool!(self, pool => sqlx::query_as(
            "SELECT seq, step_key FROM interview_answers WHERE interview_id = $1 ORDER BY seq")
            .bind(id.to_string()).fetch_all(pool).await?))
    }

    /// Pauses an active interview (banking the time it ran) or resumes a paused one; answers
    /// whether it changed.
    pub async fn set_interview_paused(&self, org: OrgId, id: InterviewId, paused: bool) -> StoreResult<bool> {
        let now = now_ms();
        let sql = if paused {
            "UPDATE interviews SET status = 'paused', active_ms = active_ms + ($3 - resumed_at), updated_at = $3
             WHERE id = $1 AND org_id = $2 AND status = 'active'"
        } else {
            "UPDATE interviews SET status = 'active', resumed_at = $3, updated_at = $3
             WHERE id = $1 AND org_id = $2 AND status = 'paused'"
        };
        let done = on_pool!(self, pool => sqlx::query(sql)
            .bind(id.to_string()).bind(org.to_string()).bind(now).execute(pool).await?.rows_affected());
        Ok(done > 0)
    }

    /// Replaces a completed interview's summary (the learner's corrections).
    pub async fn set_interview_summary(
        &self,
        org: OrgId,
        id: InterviewId,
        summary: &[SummaryValue],
    ) -> StoreResult<()> {
        let done = on_pool!(self, pool => sqlx::query(
            "UPDATE interviews SET summary = $3, updated_at = $4 WHERE id = $1 AND org_id = $2 AND status = 'completed'")
            .bind(id.to_string()).bind(org.to_string()).bind(to_json(summary)).bind(now_ms())
            .execute(pool).await?.rows_affected());
        if done == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }

    /// Keeps a spoken answer's audio when the organisation keeps interview audio (false: it does
    /// not, and nothing is written), in one statement so a policy changed meanwhile is obeyed.
    pub async fn keep_interview_recording(&self, new: &NewInterviewRecording<'_>) -> StoreResult<bool> {
        let kept = on_pool!(self, pool => sqlx::query(
            "INSERT INTO interview_recordings (id, org_id, interview_id, person_id, content_type, duration_ms, transcript,
               audio, created_at)
             SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9
             WHERE EXISTS (SELECT 1 FROM retention_policies WHERE org_id = $2 AND keep_interview_audio)")
            .bind(new.id.to_string()).bind(new.org.to_string()).bind(new.interview.to_string())
            .bind(new.person.to_string()).bind(new.content_type).bind(new.duration_ms).bind(new.transcript)
            .bind(new.audio).bind(now_ms()).execute(pool).await?.rows_affected());
        Ok(kept == 1)
    }

    /// An interview's kept recordings, oldest first (without their audio).
    pub async fn interview_recordings(
        &self,
        org: OrgId,
        interview: InterviewId,
    ) -> StoreResult<Vec<InterviewRecording>> {
        type Row = (String, String, i64, String, i64, i64);
        let rows: Vec<Row> = on_pool!(self, pool => sqlx::query_as(
            "SELECT id, content_type, duration_ms, transcript, CAST(LENGTH(audio) AS BIGINT), created_at
             FROM interview_recordings WHERE org_id = $1 AND interview_id = $2 ORDER BY created_at, id")
            .bind(org.to_string()).bind(interview.to_string()).fetch_all(pool).await?);
        rows.into_iter()
            .map(|(id, content_type, duration_ms, transcript, bytes, created_at)| {
                Ok(InterviewRecording {
                    id: parse(&id, "recording id")?,
                    content_type,
                    duration_ms,
                    transcript,
                    bytes,
                    created_at: time(created_at),
                })
            })
            .collect()
    }

    /// One kept recording's audio and its content type.
    pub async fn interview_recording_audio(
        &self,
        org: OrgId,
        interview: InterviewId,
        id: InterviewRecordingId,
    ) -> StoreResult<(String, Vec<u8>)> {
        let row: Option<(String, Vec<u8>)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT content_type, audio FROM interview_recordings WHERE org_id = $1 AND interview_id = $2 AND id = $3")
            .bind(org.to_string()).bind(interview.to_string()).bind(id.to_string()).fetch_optional(pool).await?);
        row.ok_or(StoreError::NotFound)
    }
}
