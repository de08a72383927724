//! Sequences of scheduled steps, enrolments in them, and the steps each
//! enrolment took. Taking a step moves the enrolment on only from the position
//! it was read at, in one transaction with the step's record and its outbox
//! row — so two instances advancing the same enrolment never send a step twice.

use crate::{
    NewInterview, NewOutbound, Store, StoreError, StoreResult, channels::insert_outbound, in_tx,
    interviews::insert_interview, on_pool, rows::*,
};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use wayfinder_accounts_rules::{OrgId, PersonId};
use wayfinder_channels_rules::{
    OutboundId, SequenceEnrolmentId, SequenceId, StepTakenId,
    sequence::{Step, StepKind},
};

/// A sequence as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct SequenceRecord {
    pub id: SequenceId,
    pub org: OrgId,
    pub name: String,
    pub description: String,
    pub steps: Vec<Step>,
    pub active: bool,
    pub created_by: Option<PersonId>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Enrolments still under way (read with the sequence).
    pub active_enrolments: i64,
}

type SequenceRow = (String, String, String, String, String, bool, Option<String>, i64, i64, i64);

fn sequence_record(row: SequenceRow) -> StoreResult<SequenceRecord> {
    let (id, org, name, description, steps, active, created_by, created_at, updated_at, active_enrolments) = row;
    Ok(SequenceRecord {
        id: parse(&id, "sequence id")?,
        org: parse(&org, "org id")?,
        name,
        description,
        steps: from_json(&steps, "sequence steps")?,
        active,
        created_by: created_by.as_deref().map(|p| parse(p, "person id")).transpose()?,
        created_at: time(created_at),
        updated_at: time(updated_at),
        active_enrolments,
    })
}

const SEQUENCE_SELECT: &str = "SELECT s.id, s.org_id, s.name, s.description, s.steps, s.active, s.created_by,
       s.created_at, s.updated_at,
       (SELECT COUNT(*) FROM sequence_enrolments e WHERE e.sequence_id = s.id AND e.status = 'active')
     FROM sequences s";

wayfinder_accounts_rules::closed_set! {
/// Where an enrolment stands.
pub enum SequenceEnrolmentStatus {
    /// Steps are still to come.
    Active,
    /// Every step was taken.
    Completed,
    /// Stopped by a coach or an administrator.
    Stopped,
}
}

wayfinder_accounts_rules::closed_set! {
/// What became of a step an enrolment reached.
pub enum StepOutcome {
    /// Queued to the person's channel (at `send_at`, after their quiet hours).
    Sent,
    /// Passed over: its condition did not hold.
    Skipped,
    /// The person had no channel to reach them on.
    NoChannel,
    /// The person had stopped messages on their channel.
    OptedOut,
}
}

/// A step an enrolment took.
#[derive(Clone, Debug, PartialEq)]
pub struct StepTaken {
    pub id: StepTakenId,
    pub step_key: String,
    pub kind: StepKind,
    pub outcome: StepOutcome,
    pub taken_at: DateTime<Utc>,
    pub send_at: Option<DateTime<Utc>>,
    /// A check-in's answer, 1 to 5.
    pub answer: Option<i64>,
    pub answered_at: Option<DateTime<Utc>>,
}

/// An enrolment with the steps it took.
#[derive(Clone, Debug, PartialEq)]
pub struct SequenceEnrolmentRecord {
    pub id: SequenceEnrolmentId,
    pub sequence: SequenceId,
    pub person: PersonId,
    pub display_name: String,
    pub status: SequenceEnrolmentStatus,
    /// The index of the next step.
    pub position: i64,
    pub next_due_at: Option<DateTime<Utc>>,
    pub enrolled_at: DateTime<Utc>,
    pub enrolled_by: Option<PersonId>,
    pub taken: Vec<StepTaken>,
}

/// An enrolment whose next step is due.
#[derive(Clone, Debug, PartialEq)]
pub struct DueEnrolment {
    pub id: SequenceEnrolmentId,
    pub sequence: SequenceId,
    pub person: PersonId,
    pub display_name: String,
    pub position: i64,
    pub due_at: DateTime<Utc>,
}

/// A step to record as taken, and where the enrolment goes after it.
#[derive(Clone, Debug)]
pub struct TakeStep<'a> {
    pub enrolment: SequenceEnrolmentId,
    /// The position the enrolment was read at; another taker moved it on when it differs.
    pub from_position: i64,
    pub step_key: String,
    pub kind: StepKind,
    pub outcome: StepOutcome,
    pub taken_at: DateTime<Utc>,
    pub outbound: Option<NewOutbound>,
    /// The interview an interview step starts, written with the step.
    pub interview: Option<NewInterview<'a>>,
    pub next_due_at: Option<DateTime<Utc>>,
    pub status: SequenceEnrolmentStatus,
}

/// A check-in sent and not answered yet.
#[derive(Clone, Debug, PartialEq)]
pub struct OpenCheckIn {
    pub id: StepTakenId,
    pub sequence: SequenceId,
    pub sequence_name: String,
    pub step_key: String,
    pub sent_at: DateTime<Utc>,
}

type TakenRow = (String, String, String, String, String, i64, Option<i64>, Option<i64>, Option<i64>);

fn taken_record(row: TakenRow) -> StoreResult<(String, StepTaken)> {
    let (enrolment, id, step_key, kind, outcome, taken_at, send_at, answer, answered_at) = row;
    Ok((
        enrolment,
        StepTaken {
            id: parse(&id, "step taken id")?,
            step_key,
            kind: parse(&kind, "step kind")?,
            outcome: parse(&outcome, "step outcome")?,
            taken_at: time(taken_at),
            send_at: send_at.map(time),
            answer,
            answered_at: answered_at.map(time),
        },
    ))
}

impl Store {
    pub async fn create_sequence(&self, s: &SequenceRecord) -> StoreResult<()> {
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO sequences (id, org_id, name, description, steps, active, created_by, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
            .bind(s.id.to_string()).bind(s.org.to_string()).bind(&s.name).bind(&s.description).bind(to_json(&s.steps))
            .bind(s.active).bind(s.created_by.map(|p| p.to_string())).bind(s.created_at.timestamp_millis())
            .bind(s.updated_at.timestamp_millis()).execute(pool).await.map(|_| ())?);
        Ok(())
    }

    pub async fn update_sequence(&self, s: &SequenceRecord) -> StoreResult<()> {
        let done = on_pool!(self, pool => sqlx::query(
            "UPDATE sequences SET name = $3, description = $4, steps = $5, active = $6, updated_at = $7
             WHERE id = $1 AND org_id = $2")
            .bind(s.id.to_string()).bind(s.org.to_string()).bind(&s.name).bind(&s.description).bind(to_json(&s.steps))
            .bind(s.active).bind(s.updated_at.timestamp_millis()).execute(pool).await?.rows_affected());
        if done == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }

    /// Deletes a sequence with its enrolments and their record.
    pub async fn delete_sequence(&self, org: OrgId, id: SequenceId) -> StoreResult<()> {
        let done = on_pool!(self, pool => sqlx::query("DELETE FROM sequences WHERE id = $1 AND org_id = $2")
            .bind(id.to_string()).bind(org.to_string()).execute(pool).await?.rows_affected());
        if done == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }

    pub async fn sequence(&self, org: OrgId, id: SequenceId) -> StoreResult<SequenceRecord> {
        let sql = format!("{SEQUENCE_SELECT} WHERE s.id = $1 AND s.org_id = $2");
        let row: Option<SequenceRow> = on_pool!(self, pool => sqlx::query_as(&sql)
            .bind(id.to_string()).bind(org.to_string()).fetch_optional(pool).await?);
        sequence_record(row.ok_or(StoreError::NotFound)?)
    }

    /// An organisation's sequences, oldest first.
    pub async fn sequences(&self, org: OrgId) -> StoreResult<Vec<SequenceRecord>> {
        let sql = format!("{SEQUENCE_SELECT} WHERE s.org_id = $1 ORDER BY s.created_at, s.id");
        let rows: Vec<SequenceRow> =
            on_pool!(self, pool => sqlx::query_as(&sql).bind(org.to_string()).fetch_all(pool).await?);
        rows.into_iter().map(sequence_record).collect()
    }

    /// Enrols a member, first step due at `first_due`; a stopped or completed enrolment starts
    /// over (its record cleared). An active enrolment is `Conflict`; a non-member is
    /// `MissingReference`.
    pub async fn enrol_in_sequence(
        &self,
        org: OrgId,
        sequence: SequenceId,
        person: PersonId,
        by: Option<PersonId>,
        first_due: DateTime<Utc>,
    ) -> StoreResult<SequenceEnrolmentId> {
        let now = now_ms();
        let id = SequenceEnrolmentId::new().to_string();
        Ok(in_tx!(self, tx => {
            let existing: Option<(String, String)> = sqlx::query_as(
                "SELECT id, status FROM sequence_enrolments WHERE sequence_id = $1 AND person_id = $2")
                .bind(sequence.to_string()).bind(person.to_string()).fetch_optional(&mut *tx).await?;
            match existing {
                Some((_, status)) if status == "active" => return Err(StoreError::Conflict("already enrolled")),
                Some((old, _)) => {
                    sqlx::query("DELETE FROM sequence_enrolments WHERE id = $1").bind(old).execute(&mut *tx).await?;
                }
                None => {}
            }
            sqlx::query(
                "INSERT INTO sequence_enrolments (id, org_id, sequence_id, person_id, enrolled_by, status, position,
                   next_due_at, enrolled_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, 'active', 0, $6, $7, $7)")
                .bind(&id).bind(org.to_string()).bind(sequence.to_string()).bind(person.to_string())
                .bind(by.map(|p| p.to_string())).bind(first_due.timestamp_millis()).bind(now)
                .execute(&mut *tx).await.map_err(|e| match &e {
                    sqlx::Error::Database(db) if db.is_foreign_key_violation() => StoreError::MissingReference,
                    _ => StoreError::from(e),
                })?;
            parse(&id, "enrolment id")?
        }))
    }

    /// Stops a person's active enrolment.
    pub async fn stop_enrolment(&self, org: OrgId, sequence: SequenceId, person: PersonId) -> StoreResult<()> {
        let done = on_pool!(self, pool => sqlx::query(
            "UPDATE sequence_enrolments SET status = 'stopped', next_due_at = NULL, updated_at = $4
             WHERE org_id = $1 AND sequence_id = $2 AND person_id = $3 AND status = 'active'")
            .bind(org.to_string()).bind(sequence.to_string()).bind(person.to_string()).bind(now_ms())
            .execute(pool).await?.rows_affected());
        if done == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }

    /// A sequence's enrolments (optionally one person's), with the steps each took.
    pub async fn sequence_enrolments(
        &self,
        org: OrgId,
        sequence: SequenceId,
        person: Option<PersonId>,
    ) -> StoreResult<Vec<SequenceEnrolmentRecord>> {
        type Row = (String, String, String, String, i64, Option<i64>, i64, Option<String>);
        let rows: Vec<Row> = on_pool!(self, pool => sqlx::query_as(
            "SELECT e.id, e.person_id, p.display_name, e.status, e.position, e.next_due_at, e.enrolled_at, e.enrolled_by
               FROM sequence_enrolments e JOIN people p ON p.id = e.person_id
             WHERE e.org_id = $1 AND e.sequence_id = $2 AND (e.person_id = $3 OR $3 IS NULL)
             ORDER BY e.enrolled_at, e.id")
            .bind(org.to_string()).bind(sequence.to_string()).bind(person.map(|p| p.to_string()))
            .fetch_all(pool).await?);
        let taken: Vec<TakenRow> = on_pool!(self, pool => sqlx::query_as(
            "SELECT t.enrolment_id, t.id, t.step_key, t.kind, t.outcome, t.taken_at, t.send_at, t.answer, t.answered_at
               FROM sequence_steps_taken t JOIN sequence_enrolments e ON e.id = t.enrolment_id
             WHERE e.org_id = $1 AND e.sequence_id = $2 AND (e.person_id = $3 OR $3 IS NULL)
             ORDER BY t.taken_at, t.id")
            .bind(org.to_string()).bind(sequence.to_string()).bind(person.map(|p| p.to_string()))
            .fetch_all(pool).await?);
        let mut taken_by: HashMap<String, Vec<StepTaken>> = HashMap::new();
        for row in taken {
            let (enrolment, step) = taken_record(row)?;
            taken_by.entry(enrolment).or_default().push(step);
        }
        rows.into_iter()
            .map(|(id, person, display_name, status, position, next_due_at, enrolled_at, enrolled_by)| {
                Ok(SequenceEnrolmentRecord {
                    taken: taken_by.remove(&id).unwrap_or_default(),
                    id: parse(&id, "enrolment id")?,
                    sequence,
                    person: parse(&person, "person id")?,
                    display_name,
                    status: parse(&status, "enrolment status")?,
                    position,
                    next_due_at: next_due_at.map(time),
                    enrolled_at: time(enrolled_at),
                    enrolled_by: enrolled_by.as_deref().map(|p| parse(p, "person id")).transpose()?,
                })
            })
            .collect()
    }

    /// Active enrolments of active sequences whose next step is due at `now`, oldest due first.
    pub async fn due_enrolments(&self, org: OrgId, now: DateTime<Utc>, limit: i64) -> StoreResult<Vec<DueEnrolment>> {
        type Row = (String, String, String, String, i64, i64);
        let rows: Vec<Row> = on_pool!(self, pool => sqlx::query_as(
            "SELECT e.id, e.sequence_id, e.person_id, p.display_name, e.position, e.next_due_at
               FROM sequence_enrolments e JOIN sequences s ON s.id = e.sequence_id JOIN people p ON p.id = e.person_id
             WHERE e.org_id = $1 AND e.status = 'active' AND e.next_due_at <= $2 AND s.active
             ORDER BY e.next_due_at, e.id LIMIT $3")
            .bind(org.to_string()).bind(now.timestamp_millis()).bind(limit).fetch_all(pool).await?);
        rows.into_iter()
            .map(|(id, sequence, person, display_name, position, due_at)| {
                Ok(DueEnrolment {
                    id: parse(&id, "enrolment id")?,
                    sequence: parse(&sequence, "sequence id")?,
                    person: parse(&person, "person id")?,
                    display_name,
                    position,
                    due_at: time(due_at),
                })
            })
            .collect()
    }

    /// The check-in answers each of `enrolments` has, by step key (one query for a batch).
    pub async fn check_in_answers(
        &self,
        enrolments: &[SequenceEnrolmentId],
    ) -> StoreResult<HashMap<SequenceEnrolmentId, HashMap<String, i64>>> {
        let mut answers = HashMap::<SequenceEnrolmentId, HashMap<String, i64>>::new();
        if enrolments.is_empty() {
            return Ok(answers);
        }
        let sql = format!(
            "SELECT enrolment_id, step_key, answer FROM sequence_steps_taken
             WHERE answer IS NOT NULL AND enrolment_id IN ({})",
            placeholders(1, enrolments.len())
        );
        let rows: Vec<(String, String, i64)> = on_pool!(self, pool => {
            let mut query = sqlx::query_as(&sql);
            for enrolment in enrolments {
                query = query.bind(enrolment.to_string());
            }
            query.fetch_all(pool).await?
        });
        for (enrolment, step_key, answer) in rows {
            answers.entry(parse(&enrolment, "enrolment id")?).or_default().insert(step_key, answer);
        }
        Ok(answers)
    }

    /// Records a step taken, queues its message and moves the enrolment on, all at once —
    /// only if the enrolment is still active at `from_position` (false: another taker was first).
    pub async fn take_step(&self, take: &TakeStep<'_>) -> StoreResult<bool> {
        let now = now_ms();
        Ok(in_tx!(self, tx => {
            let moved = sqlx::query(
                "UPDATE sequence_enrolments SET position = position + 1, next_due_at = $3, status = $4, updated_at = $5
                 WHERE id = $1 AND position = $2 AND status = 'active'")
                .bind(take.enrolment.to_string()).bind(take.from_position)
                .bind(take.next_due_at.map(|d| d.timestamp_millis())).bind(take.status.to_string()).bind(now)
                .execute(&mut *tx).await?.rows_affected();
            if moved == 1 {
                let (org, person): (String, String) = sqlx::query_as(
                    "SELECT org_id, person_id FROM sequence_enrolments WHERE id = $1")
                    .bind(take.enrolment.to_string()).fetch_one(&mut *tx).await?;
                let outbound_id = take.outbound.as_ref().map(|_| OutboundId::new().to_string());
                sqlx::query(
                    "INSERT INTO sequence_steps_taken (id, enrolment_id, org_id, person_id, step_key, kind, outcome, taken_at,
                       send_at, outbound_id)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (enrolment_id, step_key) DO NOTHING")
                    .bind(StepTakenId::new().to_string()).bind(take.enrolment.to_string()).bind(&org).bind(&person)
                    .bind(&take.step_key).bind(take.kind.to_string()).bind(take.outcome.to_string())
                    .bind(take.taken_at.timestamp_millis())
                    .bind(take.outbound.as_ref().map(|o| o.send_at.timestamp_millis())).bind(&outbound_id)
                    .execute(&mut *tx).await?;
                if let (Some(out), Some(outbound_id)) = (&take.outbound, &outbound_id) {
                    insert_outbound!(tx, outbound_id, out);
                }
                if let Some(interview) = &take.interview {
                    insert_interview!(self, tx, interview, now);
                }
            }
            moved == 1
        }))
    }

    /// Marks an enrolment with no step left at `position` complete (false: it moved on).
    pub async fn finish_enrolment(&self, id: SequenceEnrolmentId, position: i64) -> StoreResult<bool> {
        let done = on_pool!(self, pool => sqlx::query(
            "UPDATE sequence_enrolments SET status = 'completed', next_due_at = NULL, updated_at = $3
             WHERE id = $1 AND position = $2 AND status = 'active'")
            .bind(id.to_string()).bind(position).bind(now_ms()).execute(pool).await?.rows_affected());
        Ok(done == 1)
    }

    /// A person's check-ins sent since `since` and not answered, newest first.
    pub async fn open_check_ins(
        &self,
        org: OrgId,
        person: PersonId,
        since: DateTime<Utc>,
    ) -> StoreResult<Vec<OpenCheckIn>> {
        let rows: Vec<(String, String, String, String, i64)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT t.id, s.id, s.name, t.step_key, COALESCE(t.send_at, t.taken_at)
               FROM sequence_steps_taken t
               JOIN sequence_enrolments e ON e.id = t.enrolment_id JOIN sequences s ON s.id = e.sequence_id
             WHERE t.org_id = $1 AND t.person_id = $2 AND t.kind = 'check_in' AND t.outcome = 'sent'
               AND t.answered_at IS NULL AND COALESCE(t.send_at, t.taken_at) >= $3 AND COALESCE(t.send_at, t.taken_at) <= $4
             ORDER BY COALESCE(t.send_at, t.taken_at) DESC, t.id DESC")
            .bind(org.to_string()).bind(person.to_string()).bind(since.timestamp_millis()).bind(now_ms())
            .fetch_all(pool).await?);
        rows.into_iter()
            .map(|(id, sequence, sequence_name, step_key, sent_at)| {
                Ok(OpenCheckIn {
                    id: parse(&id, "step taken id")?,
                    sequence: parse(&sequence, "sequence id")?,
                    sequence_name,
                    step_key,
                    sent_at: time(sent_at),
                })
            })
            .collect()
    }

    /// Keeps a check-in's answer (once: an answered check-in is `Conflict`).
    pub async fn answer_check_in(
        &self,
        org: OrgId,
        person: PersonId,
        id: StepTakenId,
        answer: i64,
        at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let done = on_pool!(self, pool => sqlx::query(
            "UPDATE sequence_steps_taken SET answer = $4, answered_at = $5
             WHERE id = $1 AND org_id = $2 AND person_id = $3 AND kind = 'check_in' AND outcome = 'sent'
               AND answered_at IS NULL")
            .bind(id.to_string()).bind(org.to_string()).bind(person.to_string()).bind(answer)
            .bind(at.timestamp_millis()).execute(pool).await?.rows_affected());
        if done == 1 {
            return Ok(());
        }
        let exists: Option<(String,)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT id FROM sequence_steps_taken WHERE id = $1 AND org_id = $2 AND person_id = $3 AND kind = 'check_in'")
            .bind(id.to_string()).bind(org.to_string()).bind(person.to_string()).fetch_optional(pool).await?);
        Err(if exists.is_some() { StoreError::Conflict("the check-in was answered") } else { StoreError::NotFound })
    }

    /// Learners with a check-in sent at `sent_before` or earlier and never answered (the
    /// episode is the check-in).
    pub async fn learners_who_missed_check_ins(
        &self,
        org: OrgId,
        sent_before: DateTime<Utc>,
    ) -> StoreResult<Vec<crate::NudgeCandidate>> {
        let rows: Vec<(String, String, String)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT t.person_id, p.display_name, t.id FROM sequence_steps_taken t JOIN people p ON p.id = t.person_id
             WHERE t.org_id = $1 AND t.kind = 'check_in' AND t.outcome = 'sent' AND t.answered_at IS NULL
               AND COALESCE(t.send_at, t.taken_at) <= $2
             ORDER BY t.person_id, t.id")
            .bind(org.to_string()).bind(sent_before.timestamp_millis()).fetch_all(pool).await?);
        rows.into_iter()
            .map(|(person, display_name, id)| {
                Ok(crate::NudgeCandidate {
                    person: parse(&person, "person id")?,
                    display_name,
                    episode: format!("check_in:{id}"),
                })
            })
            .collect()
    }
}
