//! Insights: the rollups every dashboard reads, added to by the writes that
//! create what they count (in the same transaction), the question log the
//! knowledge-gap report reads, alert rules and alerts, in-app notifications,
//! and the parent-access settings. Days are the organisation's local days,
//! computed here from its stored time zone so every writer agrees.

use crate::rows::{from_json, now_ms, parse, time};
use crate::{Pool, Store, StoreError, StoreResult, in_tx, on_pool};
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use wayfinder_accounts_rules::{OrgId, PersonId, Role};
use wayfinder_coach_rules::CoachId;
use wayfinder_insights_rules::alerts::AlertKind;
use wayfinder_insights_rules::gaps::QuestionOutcome;
use wayfinder_insights_rules::{AlertId, AlertRuleId, Day, NotificationId, OrgTimeZone};
use wayfinder_learning_rules::program::ProgramId;

/// What one event adds to the rollups of its day.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tally {
    /// The person did it themselves (it makes the day one of their active days).
    pub activity: bool,
    pub conversations: i64,
    pub questions: i64,
    pub generated: i64,
    pub extractive: i64,
    pub refused: i64,
    pub failed: i64,
    pub helpful: i64,
    pub unhelpful: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cost: f64,
    pub evidence: i64,
    pub answers: i64,
    pub correct: f64,
    pub wrong: i64,
    pub mastery_gain: f64,
    pub mastered_gain: i64,
}

/// Where an event's tally goes besides the organisation's day.
#[derive(Clone, Copy, Debug, Default)]
pub struct TallyScope<'a> {
    pub person: Option<&'a str>,
    /// `Some("")`: model use outside any coach profile.
    pub coach: Option<&'a str>,
    pub program: Option<&'a str>,
}

/// Adds a tally to the rollups of the day `$at_ms` falls on in the organisation's time zone,
/// inside the transaction `$tx`.
macro_rules! add_tally {
    ($store:expr, $tx:ident, $org:expr, $scope:expr, $at_ms:expr, $t:expr) => {{
        let org_id: wayfinder_accounts_rules::OrgId = $org;
        let org: String = org_id.to_string();
        let scope: $crate::insights::TallyScope<'_> = $scope;
        let t: &$crate::insights::Tally = $t;
        let zone = match $store.zones.get(org_id) {
            Some(zone) => zone,
            None => {
                let (zone,): (String,) = sqlx::query_as("SELECT time_zone FROM organisations WHERE id = $1")
                    .bind(&org).fetch_one(&mut *$tx).await?;
                $store.zones.put(org_id, wayfinder_insights_rules::OrgTimeZone::from_stored(&zone))
            }
        };
        let day = zone.day_of_millis($at_ms).0;
        let activity = i64::from(t.activity);
        let (mut new_day, mut week_starter) = (0i64, 0i64);
        if let Some(person) = scope.person {
            let (count,): (i64,) = sqlx::query_as(
                "INSERT INTO person_days (org_id, person_id, day, activity, questions, generated, extractive, refused,
                   helpful, unhelpful, input_tokens, output_tokens, cost, evidence, answers, correct, wrong, mastery_gain, mastered_gain)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
                 ON CONFLICT (org_id, person_id, day) DO UPDATE SET activity = person_days.activity + excluded.activity,
                   questions = person_days.questions + excluded.questions, generated = person_days.generated + excluded.generated,
                   extractive = person_days.extractive + excluded.extractive, refused = person_days.refused + excluded.refused,
                   helpful = person_days.helpful + excluded.helpful, unhelpful = person_days.unhelpful + excluded.unhelpful,
                   input_tokens = person_days.input_tokens + excluded.input_tokens,
                   output_tokens = person_days.output_tokens + excluded.output_tokens, cost = person_days.cost + excluded.cost,
                   evidence = person_days.evidence + excluded.evidence, answers = person_days.answers + excluded.answers,
                   correct = person_days.correct + excluded.correct, wrong = person_days.wrong + excluded.wrong,
                   mastery_gain = person_days.mastery_gain + excluded.mastery_gain,
                   mastered_gain = person_days.mastered_gain + excluded.mastered_gain
                 RETURNING activity")
                .bind(&org).bind(person).bind(day).bind(activity).bind(t.questions).bind(t.generated).bind(t.extractive)
                .bind(t.refused).bind(t.helpful).bind(t.unhelpful).bind(t.input_tokens).bind(t.output_tokens).bind(t.cost)
                .bind(t.evidence).bind(t.answers).bind(t.correct).bind(t.wrong).bind(t.mastery_gain).bind(t.mastered_gain)
                .fetch_one(&mut *$tx).await?;
            // The first thing they did that day makes it an active day (and maybe an active week).
            if t.activity && count == 1 {
                new_day = 1;
                sqlx::query(
                    "INSERT INTO person_last_active (org_id, person_id, day) VALUES ($1, $2, $3)
                     ON CONFLICT (org_id, person_id) DO UPDATE SET day = CASE WHEN excluded.day > person_last_active.day
                       THEN excluded.day ELSE person_last_active.day END")
                    .bind(&org).bind(person).bind(day).execute(&mut *$tx).await?;
                let week = wayfinder_insights_rules::Day(day).week();
                week_starter = sqlx::query(
                    "INSERT INTO person_weeks (org_id, person_id, week) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
                    .bind(&org).bind(person).bind(week).execute(&mut *$tx).await?.rows_affected() as i64;
            }
        }
        sqlx::query(
            "INSERT INTO org_days (org_id, day, active_people, week_starters, conversations, questions, generated, extractive,
               refused, failed, helpful, unhelpful, input_tokens, output_tokens, cost, evidence, answers, correct)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
             ON CONFLICT (org_id, day) DO UPDATE SET active_people = org_days.active_people + excluded.active_people,
               week_starters = org_days.week_starters + excluded.week_starters,
               conversations = org_days.conversations + excluded.conversations,
               questions = org_days.questions + excluded.questions, generated = org_days.generated + excluded.generated,
               extractive = org_days.extractive + excluded.extractive, refused = org_days.refused + excluded.refused,
               failed = org_days.failed + excluded.failed, helpful = org_days.helpful + excluded.helpful,
               unhelpful = org_days.unhelpful + excluded.unhelpful, input_tokens = org_days.input_tokens + excluded.input_tokens,
               output_tokens = org_days.output_tokens + excluded.output_tokens, cost = org_days.cost + excluded.cost,
               evidence = org_days.evidence + excluded.evidence, answers = org_days.answers + excluded.answers,
               correct = org_days.correct + excluded.correct")
            .bind(&org).bind(day).bind(new_day).bind(week_starter).bind(t.conversations).bind(t.questions).bind(t.generated)
            .bind(t.extractive).bind(t.refused).bind(t.failed).bind(t.helpful).bind(t.unhelpful).bind(t.input_tokens)
            .bind(t.output_tokens).bind(t.cost).bind(t.evidence).bind(t.answers).bind(t.correct)
            .execute(&mut *$tx).await?;
        if let Some(coach) = scope.coach {
            sqlx::query(
                "INSERT INTO coach_days (org_id, coach_id, day, questions, generated, extractive, refused, helpful, unhelpful,
                   input_tokens, output_tokens, cost) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
                 ON CONFLICT (org_id, coach_id, day) DO UPDATE SET questions = coach_days.questions + excluded.questions,
                   generated = coach_days.generated + excluded.generated, extractive = coach_days.extractive + excluded.extractive,
                   refused = coach_days.refused + excluded.refused, helpful = coach_days.helpful + excluded.helpful,
                   unhelpful = coach_days.unhelpful + excluded.unhelpful, input_tokens = coach_days.input_tokens + excluded.input_tokens,
                   output_tokens = coach_days.output_tokens + excluded.output_tokens, cost = coach_days.cost + excluded.cost")
                .bind(&org).bind(coach).bind(day).bind(t.questions).bind(t.generated).bind(t.extractive).bind(t.refused)
                .bind(t.helpful).bind(t.unhelpful).bind(t.input_tokens).bind(t.output_tokens).bind(t.cost)
                .execute(&mut *$tx).await?;
        }
        if let (Some(program), Some(person)) = (scope.program, scope.person) {
            sqlx::query(
                "INSERT INTO program_days (org_id, program_id, person_id, day, evidence, answers, correct, mastery_gain, mastered_gain)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                 ON CONFLICT (org_id, program_id, person_id, day) DO UPDATE SET evidence = program_days.evidence + excluded.evidence,
                   answers = program_days.answers + excluded.answers, correct = program_days.correct + excluded.correct,
                   mastery_gain = program_days.mastery_gain + excluded.mastery_gain,
                   mastered_gain = program_days.mastered_gain + excluded.mastered_gain")
                .bind(&org).bind(program).bind(person).bind(day).bind(t.evidence).bind(t.answers).bind(t.correct)
                .bind(t.mastery_gain).bind(t.mastered_gain)
                .execute(&mut *$tx).await?;
        }
        day
    }};
}
pub(crate) use add_tally;

/// How long this process trusts its copy of an organisation's time zone: another instance's
/// change reaches its rollups within this time (the instance that changed it, at once).
const ZONE_TTL: std::time::Duration = std::time::Duration::from_secs(60);

/// The organisations' time zones this process read lately, so a rollup write does not read
/// them again.
#[derive(Debug, Default)]
pub(crate) struct ZoneCache(std::sync::Mutex<HashMap<OrgId, (OrgTimeZone, std::time::Instant)>>);

impl ZoneCache {
    pub(crate) fn get(&self, org: OrgId) -> Option<OrgTimeZone> {
        let zones = self.0.lock().expect("zone cache lock");
        zones.get(&org).filter(|(_, at)| at.elapsed() < ZONE_TTL).map(|(zone, _)| *zone)
    }

    pub(crate) fn put(&self, org: OrgId, zone: OrgTimeZone) -> OrgTimeZone {
        self.0.lock().expect("zone cache lock").insert(org, (zone, std::time::Instant::now()));
        zone
    }
}

/// A question as the coach left it, for the question log.
#[derive(Clone, Debug)]
pub struct AskedQuestion {
    pub person: PersonId,
    pub coach: Option<CoachId>,
    /// The standalone question retrieval ran with.
    pub question: String,
    /// What became of it; `None` when the turn was no question (a reply to a check question).
    pub outcome: Option<QuestionOutcome>,
    /// The section the first cited passage came from (`Document › Section`).
    pub topic: Option<String>,
}

/// One day of an organisation.
#[derive(Clone, Debug, Default, PartialEq, sqlx::FromRow)]
pub struct OrgDay {
    pub day: i64,
    pub active_people: i64,
    pub week_starters: i64,
    pub conversations: i64,
    pub questions: i64,
    pub generated: i64,
    pub extractive: i64,
    pub refused: i64,
    pub failed: i64,
    pub helpful: i64,
    pub unhelpful: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cost: f64,
    pub evidence: i64,
    pub answers: i64,
    pub correct: f64,
}

/// One day of one person (or their sums over a range, with `day` the last active day).
/// SQLite hands pages of them over packed as JSON arrays of the fields in this order.
#[derive(Clone, Debug, Default, PartialEq, sqlx::FromRow, serde::Deserialize)]
pub struct PersonDay {
    pub person_id: String,
    pub day: i64,
    pub activity: i64,
    pub questions: i64,
    pub generated: i64,
    pub extractive: i64,
    pub refused: i64,
    pub helpful: i64,
    pub unhelpful: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cost: f64,
    pub evidence: i64,
    pub answers: i64,
    pub correct: f64,
    pub wrong: i64,
    pub mastery_gain: f64,
    pub mastered_gain: i64,
}

/// One person's use over a range.
#[derive(Clone, Debug, Default, PartialEq, sqlx::FromRow)]
pub struct PersonCost {
    pub person_id: String,
    pub questions: i64,
    pub tokens: i64,
    pub cost: f64,
}

/// A coach profile's sums over a range.
#[derive(Clone, Debug, Default, PartialEq, sqlx::FromRow)]
pub struct CoachSums {
    pub coach_id: String,
    pub coach_name: Option<String>,
    pub questions: i64,
    pub generated: i64,
    pub extractive: i64,
    pub refused: i64,
    pub helpful: i64,
    pub unhelpful: i64,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cost: f64,
}

/// A logged question.
#[derive(Clone, Debug, PartialEq)]
pub struct LoggedQuestion {
    pub question_id: String,
    pub person: PersonId,
    pub question: String,
    pub outcome: QuestionOutcome,
    pub missing_source: bool,
    pub topic: Option<String>,
    pub vector: Option<Vec<u8>>,
    pub asked_at: DateTime<Utc>,
}

/// An alert rule.
#[derive(Clone, Debug, PartialEq)]
pub struct AlertRuleRecord {
    pub id: AlertRuleId,
    pub kind: AlertKind,
    pub threshold: f64,
    pub min_count: i64,
    pub created_at: DateTime<Utc>,
}

/// A fired alert.
#[derive(Clone, Debug, PartialEq)]
pub struct AlertRecord {
    pub id: AlertId,
    pub rule: AlertRuleId,
    pub kind: AlertKind,
    pub condition_key: String,
    pub person: Option<PersonId>,
    pub message: String,
    pub value: f64,
    pub fired_at: DateTime<Utc>,
    pub cleared_at: Option<DateTime<Utc>>,
}

/// One alert delivered to one person in the app.
#[derive(Clone, Debug, PartialEq)]
pub struct NotificationRecord {
    pub id: NotificationId,
    pub alert: AlertRecord,
    pub created_at: DateTime<Utc>,
    pub read_at: Option<DateTime<Utc>>,
}

/// A condition that holds now, as the evaluation hands it to the store.
#[derive(Clone, Debug)]
pub struct HeldCondition {
    pub key: String,
    pub person: Option<PersonId>,
    pub value: f64,
    pub message: String,
}

type AlertRow = (String, String, String, String, Option<String>, String, f64, i64, Option<i64>);

fn alert_from(row: AlertRow) -> StoreResult<AlertRecord> {
    let (id, rule, kind, key, person, message, value, fired, cleared) = row;
    Ok(AlertRecord {
        id: parse(&id, "alert id")?,
        rule: parse(&rule, "alert rule id")?,
        kind: parse(&kind, "alert kind")?,
        condition_key: key,
        person: person.map(|p| parse(&p, "person id")).transpose()?,
        message,
        value,
        fired_at: time(fired),
        cleared_at: cleared.map(time),
    })
}

const ALERT_COLUMNS: &str =
    "a.id, a.rule_id, a.kind, a.condition_key, a.person_id, a.message, a.value, a.fired_at, a.cleared_at";

fn in_list(first: usize, n: usize) -> String {
    (0..n).map(|i| format!("${}", first + i)).collect::<Vec<_>>().join(", ")
}

impl Store {
    /// The organisation's time zone.
    pub async fn org_time_zone(&self, org: OrgId) -> StoreResult<OrgTimeZone> {
        if let Some(zone) = self.zones.get(org) {
            return Ok(zone);
        }
        let (zone,): (String,) = on_pool!(self, pool => sqlx::query_as("SELECT time_zone FROM organisations WHERE id = $1")
            .bind(org.to_string()).fetch_one(pool).await?);
        Ok(self.zones.put(org, OrgTimeZone::from_stored(&zone)))
    }

    /// Sets the organisation's time zone (days already rolled up keep the zone they were counted in).
    pub async fn set_org_time_zone(&self, org: OrgId, zone: OrgTimeZone) -> StoreResult<()> {
        let changed = on_pool!(self, pool => sqlx::query("UPDATE organisations SET time_zone = $2 WHERE id = $1")
            .bind(org.to_string()).bind(zone.name()).execute(pool).await?.rows_affected());
        if changed == 0 {
            return Err(StoreError::NotFound);
        }
        self.zones.put(org, zone);
        Ok(())
    }

    /// A person's mastery rolled up before `day`: the summed mastery and mastered concepts.
    pub async fn person_totals_before(&self, org: OrgId, person: PersonId, day: Day) -> StoreResult<(f64, i64)> {
        Ok(on_pool!(self, pool => sqlx::query_as(
            "SELECT CAST(COALESCE(SUM(mastery_gain), 0) AS DOUBLE PRECISION), CAST(COALESCE(SUM(mastered_gain), 0) AS BIGINT)
             FROM person_days WHERE org_id = $1 AND person_id = $2 AND day < $3")
            .bind(org.to_string()).bind(person.to_string()).bind(day.0).fetch_one(pool).await?))
    }

    /// When each of `people` joined the organisation.
    pub async fn memberships_since(
        &self,
        org: OrgId,
        people: &[PersonId],
    ) -> StoreResult<Vec<(PersonId, DateTime<Utc>)>> {
        if people.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT person_id, created_at FROM memberships WHERE org_id = $1 AND person_id IN ({})",
            in_list(2, people.len())
        );
        let rows: Vec<(String, i64)> = on_pool!(self, pool => {
            let mut q = sqlx::query_as(&sql).bind(org.to_string());
            for p in people {
                q = q.bind(p.to_string());
            }
            q.fetch_all(pool).await?
        });
        rows.into_iter().map(|(p, at)| Ok((parse(&p, "person id")?, time(at)))).collect()
    }

    /// The display names of those of `people` who are members of the organisation.
    pub async fn display_names(&self, org: OrgId, people: &[PersonId]) -> StoreResult<Vec<(PersonId, String)>> {
        if people.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT p.id, p.display_name FROM people p JOIN memberships m ON m.person_id = p.id AND m.org_id = $1
             WHERE p.id IN ({})",
            in_list(2, people.len())
        );
        let rows: Vec<(String, String)> = on_pool!(self, pool => {
            let mut q = sqlx::query_as(&sql).bind(org.to_string());
            for p in people {
                q = q.bind(p.to_string());
            }
            q.fetch_all(pool).await?
        });
        rows.into_iter().map(|(p, name)| Ok((parse(&p, "person id")?, name))).collect()
    }

    /// Each program with its status and active enrolments, by title.
    pub async fn program_enrolment_counts(&self, org: OrgId) -> StoreResult<Vec<(String, String, String, i64)>> {
        Ok(on_pool!(self, pool => sqlx::query_as(
            "SELECT p.id, p.title, p.status, CAST(COUNT(e.program_id) AS BIGINT) FROM programs p
             LEFT JOIN enrolments e ON e.program_id = p.id AND e.status = 'active'
             WHERE p.org_id = $1 GROUP BY p.id, p.title, p.status ORDER BY p.title, p.id")
            .bind(org.to_string()).fetch_all(pool).await?))
    }

    /// The knowledge base's size: collections, documents, chunks, and ingestion jobs waiting or running.
    pub async fn knowledge_size(&self, org: OrgId) -> StoreResult<(i64, i64, i64, i64)> {
        Ok(on_pool!(self, pool => sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM collections WHERE org_id = $1),
                    (SELECT COUNT(*) FROM documents WHERE org_id = $1),
                    (SELECT CAST(COALESCE(SUM(chunk_count), 0) AS BIGINT) FROM documents WHERE org_id = $1),
                    (SELECT COUNT(*) FROM jobs WHERE org_id = $1 AND state IN ('queued', 'running'))")
            .bind(org.to_string()).fetch_one(pool).await?))
    }

    /// The members holding `role`.
    pub async fn members_with_role(&self, org: OrgId, role: Role) -> StoreResult<Vec<PersonId>> {
        let rows: Vec<(String,)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT person_id FROM memberships WHERE org_id = $1 AND role = $2 ORDER BY person_id")
            .bind(org.to_string()).bind(role.to_string()).fetch_all(pool).await?);
        rows.into_iter().map(|(p,)| parse(&p, "person id")).collect()
    }

    /// The roles of those of `people` who are members.
    pub async fn roles_of(&self, org: OrgId, people: &[PersonId]) -> StoreResult<HashMap<PersonId, Role>> {
        if people.is_empty() {
            return Ok(HashMap::new());
        }
        let sql = format!(
            "SELECT person_id, role FROM memberships WHERE org_id = $1 AND person_id IN ({})",
            in_list(2, people.len())
        );
        let rows: Vec<(String, String)> = on_pool!(self, pool => {
            let mut q = sqlx::query_as(&sql).bind(org.to_string());
            for p in people {
                q = q.bind(p.to_string());
            }
            q.fetch_all(pool).await?
        });
        rows.into_iter().map(|(p, r)| Ok((parse(&p, "person id")?, parse(&r, "role")?))).collect()
    }

    /// Every active enrolment: (program, learner).
    pub async fn active_enrolments(&self, org: OrgId) -> StoreResult<Vec<(ProgramId, PersonId)>> {
        let rows: Vec<(String, String)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT program_id, person_id FROM enrolments WHERE org_id = $1 AND status = 'active'")
            .bind(org.to_string()).fetch_all(pool).await?);
        rows.into_iter().map(|(p, l)| Ok((parse(&p, "program id")?, parse(&l, "person id")?))).collect()
    }

    /// Everyone who asked a coach a question on a day of `from..=to`.
    pub async fn people_who_asked(&self, org: OrgId, from: Day, to: Day) -> StoreResult<Vec<PersonId>> {
        let rows: Vec<(String,)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT DISTINCT person_id FROM person_days WHERE org_id = $1 AND day BETWEEN $2 AND $3 AND questions > 0")
            .bind(org.to_string()).bind(from.0).bind(to.0).fetch_all(pool).await?);
        rows.into_iter().map(|(p,)| parse(&p, "person id")).collect()
    }

    /// How many of the weeks `from..=to` each person was active in (only those active in any).
    pub async fn active_weeks(&self, org: OrgId, from: i64, to: i64) -> StoreResult<Vec<(PersonId, i64)>> {
        let rows: Vec<(String, i64)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT person_id, COUNT(*) FROM person_weeks WHERE org_id = $1 AND week BETWEEN $2 AND $3 GROUP BY person_id")
            .bind(org.to_string()).bind(from).bind(to).fetch_all(pool).await?);
        rows.into_iter().map(|(p, n)| Ok((parse(&p, "person id")?, n))).collect()
    }

    /// The organisations that have alert rules.
    pub async fn orgs_with_alert_rules(&self) -> StoreResult<Vec<OrgId>> {
        let rows: Vec<(String,)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT DISTINCT org_id FROM alert_rules ORDER BY org_id").fetch_all(pool).await?);
        rows.into_iter().map(|(o,)| parse(&o, "organisation id")).collect()
    }

    /// Sessions still valid at `now`, and ingestion jobs waiting and running, across the instance.
    pub async fn operational_counts(&self, now: DateTime<Utc>) -> StoreResult<OperationalCounts> {
        let (active_sessions, queued_jobs, running_jobs): (i64, i64, i64) = on_pool!(self, pool => sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM sessions WHERE expires_at > $1),
                    (SELECT COUNT(*) FROM jobs WHERE state = 'queued'),
                    (SELECT COUNT(*) FROM jobs WHERE state = 'running')")
            .bind(now.timestamp_millis()).fetch_one(pool).await?);
        Ok(OperationalCounts { active_sessions, queued_jobs, running_jobs })
    }

    /// The connection pool's open and idle connections.
    pub fn pool_use(&self) -> (u32, usize) {
        match &self.pool {
            crate::Pool::Sqlite(pool) => (pool.size(), pool.num_idle()),
            crate::Pool::Postgres(pool) => (pool.size(), pool.num_idle()),
        }
    }

    /// What the knowledge-gap report depends on changes these: the newest question and rating.
    pub async fn gaps_fingerprint(&self, org: OrgId) -> StoreResult<Vec<i64>> {
        let (asked, rated): (i64, i64) = on_pool!(self, pool => sqlx::query_as(
            "SELECT (SELECT COALESCE(MAX(asked_at), 0) FROM question_log WHERE org_id = $1),
                    (SELECT COALESCE(MAX(updated_at), 0) FROM message_feedback WHERE org_id = $1)")
            .bind(org.to_string()).fetch_one(pool).await?);
        Ok(vec![asked, rated])
    }

    /// What the outcomes report depends on changes these: today's questions and evidence, and
    /// the active enrolments.
    pub async fn outcomes_fingerprint(&self, org: OrgId, today: Day) -> StoreResult<Vec<i64>> {
        let (questions, evidence, enrolments): (i64, i64, i64) = on_pool!(self, pool => sqlx::query_as(
            "SELECT (SELECT COALESCE(MAX(questions), 0) FROM org_days WHERE org_id = $1 AND day = $2),
                    (SELECT COALESCE(MAX(evidence), 0) FROM org_days WHERE org_id = $1 AND day = $2),
                    (SELECT COUNT(*) FROM enrolments WHERE org_id = $1 AND status = 'active')")
            .bind(org.to_string()).bind(today.0).fetch_one(pool).await?);
        Ok(vec![questions, evidence, enrolments])
    }

    /// The organisation's days `from..=to`, oldest first (days without a row are absent).
    pub async fn org_days(&self, org: OrgId, from: Day, to: Day) -> StoreResult<Vec<OrgDay>> {
        Ok(on_pool!(self, pool => sqlx::query_as(
            "SELECT day, active_people, week_starters, conversations, questions, generated, extractive, refused, failed, helpful,
               unhelpful, input_tokens, output_tokens, cost, evidence, answers, correct
             FROM org_days WHERE org_id = $1 AND day BETWEEN $2 AND $3 ORDER BY day")
            .bind(org.to_string()).bind(from.0).bind(to.0).fetch_all(pool).await?))
    }

    /// The days `from..=to` of each of `people` that have a row, by person then day.
    pub async fn person_days(
        &self,
        org: OrgId,
        people: &[PersonId],
        from: Day,
        to: Day,
    ) -> StoreResult<Vec<PersonDay>> {
        if people.is_empty() {
            return Ok(Vec::new());
        }
        self.read_person_days(&format!("person_id IN ({})", in_list(4, people.len())), org, people, from, to).await
    }

    /// Each of `people`'s last active day, if any (`None` for `people`: everyone's).
    pub async fn last_active_days(&self, org: OrgId, people: Option<&[PersonId]>) -> StoreResult<Vec<(PersonId, Day)>> {
        let rows: Vec<(String, i64)> = match people {
            Some([]) => return Ok(Vec::new()),
            Some(people) => {
                let sql = format!(
                    "SELECT person_id, day FROM person_last_active WHERE org_id = $1 AND person_id IN ({})",
                    in_list(2, people.len())
                );
                on_pool!(self, pool => {
                    let mut q = sqlx::query_as(&sql).bind(org.to_string());
                    for p in people {
                        q = q.bind(p.to_string());
                    }
                    q.fetch_all(pool).await?
                })
            }
            None => {
                on_pool!(self, pool => sqlx::query_as("SELECT person_id, day FROM person_last_active WHERE org_id = $1")
                .bind(org.to_string()).fetch_all(pool).await?)
            }
        };
        rows.into_iter().map(|(p, d)| Ok((parse(&p, "person id")?, Day(d)))).collect()
    }

    /// Everyone's days `from..=to` that have a row (for evaluations over a whole organisation).
    pub async fn all_person_days(&self, org: OrgId, from: Day, to: Day) -> StoreResult<Vec<PersonDay>> {
        self.read_person_days("TRUE", org, &[], from, to).await
    }

    /// The person days `from..=to` that match `filter` (binding `people` from `$4`), ordered by
    /// person and day. SQLite packs them into one JSON text (its driver hands rows over one at a
    /// time, which costs more than reading them); floats are written with 17 digits, so they
    /// read back exactly.
    async fn read_person_days(
        &self,
        filter: &str,
        org: OrgId,
        people: &[PersonId],
        from: Day,
        to: Day,
    ) -> StoreResult<Vec<PersonDay>> {
        match &self.pool {
            Pool::Sqlite(pool) => {
                let sql = format!(
                    "SELECT '[' || COALESCE(group_concat('[' || json_quote(person_id) || ',' || day || ',' || activity || ','
                       || questions || ',' || generated || ',' || extractive || ',' || refused || ',' || helpful || ','
                       || unhelpful || ',' || input_tokens || ',' || output_tokens || ',' || printf('%!.17g', cost) || ','
                       || evidence || ',' || answers || ',' || printf('%!.17g', correct) || ',' || wrong || ','
                       || printf('%!.17g', mastery_gain) || ',' || mastered_gain || ']', ',' ORDER BY person_id, day), '') || ']'
                     FROM person_days WHERE org_id = $1 AND day BETWEEN $2 AND $3 AND {filter}"
                );
                let mut q = sqlx::query_as(&sql).bind(org.to_string()).bind(from.0).bind(to.0);
                for p in people {
                    q = q.bind(p.to_string());
                }
                let (packed,): (String,) = q.fetch_one(pool).await?;
                from_json(&packed, "person days")
            }
            Pool::Postgres(pool) => {
                let sql = format!(
                    "SELECT person_id, day, activity, questions, generated, extractive, refused, helpful, unhelpful,
                       input_tokens, output_tokens, cost, evidence, answers, correct, wrong, mastery_gain, mastered_gain
                     FROM person_days WHERE org_id = $1 AND day BETWEEN $2 AND $3 AND {filter} ORDER BY person_id, day"
                );
                let mut q = sqlx::query_as(&sql).bind(org.to_string()).bind(from.0).bind(to.0);
                for p in people {
                    q = q.bind(p.to_string());
                }
                Ok(q.fetch_all(pool).await?)
            }
        }
    }

    /// Members holding `role`, by display name, a page at a time, and how many there are.
    pub async fn members_page(
        &self,
        org: OrgId,
        role: Role,
        offset: i64,
        limit: i64,
    ) -> StoreResult<(Vec<(PersonId, String)>, i64)> {
        let rows: Vec<(String, String)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT p.id, p.display_name FROM memberships m JOIN people p ON p.id = m.person_id
             WHERE m.org_id = $1 AND m.role = $2 ORDER BY p.display_name, p.id LIMIT $3 OFFSET $4")
            .bind(org.to_string()).bind(role.to_string()).bind(limit).bind(offset).fetch_all(pool).await?);
        let (total,): (i64,) = on_pool!(self, pool => sqlx::query_as(
            "SELECT COUNT(*) FROM memberships WHERE org_id = $1 AND role = $2")
            .bind(org.to_string()).bind(role.to_string()).fetch_one(pool).await?);
        let page = rows.into_iter().map(|(p, n)| Ok((parse(&p, "person id")?, n))).collect::<StoreResult<_>>()?;
        Ok((page, total))
    }

    /// When each member joined (`None` for `people`: every member).
    pub async fn all_memberships_since(&self, org: OrgId) -> StoreResult<Vec<(PersonId, DateTime<Utc>)>> {
        let rows: Vec<(String, i64)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT person_id, created_at FROM memberships WHERE org_id = $1")
            .bind(org.to_string()).fetch_all(pool).await?);
        rows.into_iter().map(|(p, at)| Ok((parse(&p, "person id")?, time(at)))).collect()
    }

    /// Each person's questions, tokens and cost over `from..=to`, the most expensive first
    /// (`limit` people; read from the covering index of the days).
    pub async fn top_people_by_cost(&self, org: OrgId, from: Day, to: Day, limit: i64) -> StoreResult<Vec<PersonCost>> {
        Ok(on_pool!(self, pool => sqlx::query_as(
            "SELECT person_id, CAST(SUM(questions) AS BIGINT) AS questions,
               CAST(SUM(input_tokens + output_tokens) AS BIGINT) AS tokens, SUM(cost) AS cost
             FROM person_days WHERE org_id = $1 AND day BETWEEN $2 AND $3 AND (cost > 0 OR input_tokens + output_tokens > 0)
             GROUP BY person_id ORDER BY SUM(cost) DESC, SUM(input_tokens + output_tokens) DESC, person_id LIMIT $4")
            .bind(org.to_string()).bind(from.0).bind(to.0).bind(limit).fetch_all(pool).await?))
    }

    /// Each coach profile's sums over `from..=to` (model use outside a profile as `''`).
    pub async fn coach_sums(&self, org: OrgId, from: Day, to: Day) -> StoreResult<Vec<CoachSums>> {
        Ok(on_pool!(self, pool => sqlx::query_as(
            "SELECT d.coach_id, MAX(c.name) AS coach_name, CAST(SUM(d.questions) AS BIGINT) AS questions, CAST(SUM(d.generated) AS BIGINT) AS generated,
               CAST(SUM(d.extractive) AS BIGINT) AS extractive, CAST(SUM(d.refused) AS BIGINT) AS refused, CAST(SUM(d.helpful) AS BIGINT) AS helpful,
               CAST(SUM(d.unhelpful) AS BIGINT) AS unhelpful, CAST(SUM(d.input_tokens) AS BIGINT) AS input_tokens, CAST(SUM(d.output_tokens) AS BIGINT) AS output_tokens,
               SUM(d.cost) AS cost
             FROM coach_days d LEFT JOIN coaches c ON c.id = d.coach_id
             WHERE d.org_id = $1 AND d.day BETWEEN $2 AND $3 GROUP BY d.coach_id ORDER BY SUM(d.cost) DESC, d.coach_id")
            .bind(org.to_string()).bind(from.0).bind(to.0).fetch_all(pool).await?))
    }

    /// Each learner's mastery gained per program over `from..=to` (read from the covering index).
    pub async fn program_gains(&self, org: OrgId, from: Day, to: Day) -> StoreResult<Vec<(String, String, f64)>> {
        Ok(on_pool!(self, pool => sqlx::query_as(
            "SELECT program_id, person_id, SUM(mastery_gain) FROM program_days
             WHERE org_id = $1 AND day BETWEEN $2 AND $3 GROUP BY program_id, person_id")
            .bind(org.to_string()).bind(from.0).bind(to.0).fetch_all(pool).await?))
    }

    /// Distinct people active in each week overlapping `from..=to`: the sums of `week_starters`.
    pub async fn feedback_reasons(&self, org: OrgId, from: Day, to: Day) -> StoreResult<Vec<(String, String, i64)>> {
        Ok(on_pool!(self, pool => sqlx::query_as(
            "SELECT rating, reason, CAST(SUM(count) AS BIGINT) FROM feedback_reason_days
             WHERE org_id = $1 AND day BETWEEN $2 AND $3 GROUP BY rating, reason ORDER BY SUM(count) DESC, rating, reason")
            .bind(org.to_string()).bind(from.0).bind(to.0).fetch_all(pool).await?))
    }

    /// For each of `people`, how many questions they asked about each topic since `since`.
    pub async fn topics_asked(
        &self,
        org: OrgId,
        people: &[PersonId],
        since: DateTime<Utc>,
    ) -> StoreResult<Vec<(PersonId, String, i64)>> {
        if people.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT person_id, topic, COUNT(*) FROM question_log WHERE org_id = $1 AND asked_at >= $2 AND topic IS NOT NULL
             AND person_id IN ({}) GROUP BY person_id, topic ORDER BY person_id, COUNT(*) DESC, topic",
            in_list(3, people.len())
        );
        let rows: Vec<(String, String, i64)> = on_pool!(self, pool => {
            let mut q = sqlx::query_as(&sql).bind(org.to_string()).bind(since.timestamp_millis());
            for p in people {
                q = q.bind(p.to_string());
            }
            q.fetch_all(pool).await?
        });
        rows.into_iter().map(|(p, t, n)| Ok((parse(&p, "person id")?, t, n))).collect()
    }

    /// Ratings and questions in `[from, to)`: (helpful, unhelpful), (asked, refused).
    pub async fn recent_ratings_and_refusals(
        &self,
        org: OrgId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> StoreResult<((i64, i64), (i64, i64))> {
        let (from, to) = (from.timestamp_millis(), to.timestamp_millis());
        let ratings: (i64, i64) = on_pool!(self, pool => sqlx::query_as(
            "SELECT CAST(COALESCE(SUM(CASE WHEN rating = 'up' THEN 1 ELSE 0 END), 0) AS BIGINT),
                    CAST(COALESCE(SUM(CASE WHEN rating = 'down' THEN 1 ELSE 0 END), 0) AS BIGINT)
             FROM message_feedback WHERE org_id = $1 AND updated_at >= $2 AND updated_at < $3")
            .bind(org.to_string()).bind(from).bind(to).fetch_one(pool).await?);
        let questions: (i64, i64) = on_pool!(self, pool => sqlx::query_as(
            "SELECT COUNT(*), CAST(COALESCE(SUM(CASE WHEN outcome = 'refused' THEN 1 ELSE 0 END), 0) AS BIGINT)
             FROM question_log WHERE org_id = $1 AND asked_at >= $2 AND asked_at < $3")
            .bind(org.to_string()).bind(from).bind(to).fetch_one(pool).await?);
        Ok((ratings, questions))
    }

    /// Each person's cost on one day (only those with any).
    pub async fn person_costs_on(&self, org: OrgId, day: Day) -> StoreResult<Vec<(PersonId, f64)>> {
        let rows: Vec<(String, f64)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT person_id, cost FROM person_days WHERE org_id = $1 AND day = $2 AND cost > 0")
            .bind(org.to_string()).bind(day.0).fetch_all(pool).await?);
        rows.into_iter().map(|(p, c)| Ok((parse(&p, "person id")?, c))).collect()
    }

    /// The most recent logged questions since `since` (newest first): those the knowledge base
    /// could not answer when `gaps`, the answered ones otherwise.
    pub async fn logged_questions(
        &self,
        org: OrgId,
        since: DateTime<Utc>,
        gaps: bool,
        limit: i64,
    ) -> StoreResult<Vec<LoggedQuestion>> {
        let filter = if gaps {
            "(outcome IN ('refused', 'low_confidence') OR missing_source)"
        } else {
            "outcome = 'answered' AND NOT missing_source"
        };
        let sql = format!(
            "SELECT question_id, person_id, question, outcome, missing_source, topic, vector, asked_at FROM question_log
             WHERE org_id = $1 AND asked_at >= $2 AND {filter} ORDER BY asked_at DESC, question_id DESC LIMIT $3"
        );
        type Row = (String, String, String, String, bool, Option<String>, Option<Vec<u8>>, i64);
        let rows: Vec<Row> = on_pool!(self, pool => sqlx::query_as(&sql)
            .bind(org.to_string()).bind(since.timestamp_millis()).bind(limit).fetch_all(pool).await?);
        rows.into_iter()
            .map(|(id, person, question, outcome, missing_source, topic, vector, at)| {
                Ok(LoggedQuestion {
                    question_id: id,
                    person: parse(&person, "person id")?,
                    question,
                    outcome: parse(&outcome, "question outcome")?,
                    missing_source,
                    topic,
                    vector,
                    asked_at: time(at),
                })
            })
            .collect()
    }

    /// Keeps the embeddings computed for logged questions.
    pub async fn set_question_vectors(&self, vectors: &[(String, Vec<u8>)]) -> StoreResult<()> {
        if vectors.is_empty() {
            return Ok(());
        }
        in_tx!(self, tx => {
            for (id, vector) in vectors {
                sqlx::query("UPDATE question_log SET vector = $2 WHERE question_id = $1")
                    .bind(id).bind(vector).execute(&mut *tx).await?;
            }
        });
        Ok(())
    }

    /// The organisation's alert rules, oldest first.
    pub async fn alert_rules(&self, org: OrgId) -> StoreResult<Vec<AlertRuleRecord>> {
        let rows: Vec<(String, String, f64, i64, i64)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT id, kind, threshold, min_count, created_at FROM alert_rules WHERE org_id = $1 ORDER BY created_at, id")
            .bind(org.to_string()).fetch_all(pool).await?);
        rows.into_iter()
            .map(|(id, kind, threshold, min_count, at)| {
                Ok(AlertRuleRecord {
                    id: parse(&id, "alert rule id")?,
                    kind: parse(&kind, "alert kind")?,
                    threshold,
                    min_count,
                    created_at: time(at),
                })
            })
            .collect()
    }

    /// Adds an alert rule.
    pub async fn add_alert_rule(
        &self,
        org: OrgId,
        kind: AlertKind,
        threshold: f64,
        min_count: i64,
        by: PersonId,
    ) -> StoreResult<AlertRuleRecord> {
        let id = AlertRuleId::new();
        let now = now_ms();
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO alert_rules (id, org_id, kind, threshold, min_count, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
            .bind(id.to_string()).bind(org.to_string()).bind(<&str>::from(kind)).bind(threshold).bind(min_count)
            .bind(by.to_string()).bind(now).execute(pool).await?.rows_affected());
        Ok(AlertRuleRecord { id, kind, threshold, min_count, created_at: time(now) })
    }

    /// Removes an alert rule with its alerts.
    pub async fn remove_alert_rule(&self, org: OrgId, rule: AlertRuleId) -> StoreResult<()> {
        let removed = on_pool!(self, pool => sqlx::query("DELETE FROM alert_rules WHERE org_id = $1 AND id = $2")
            .bind(org.to_string()).bind(rule.to_string()).execute(pool).await?.rows_affected());
        if removed == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }

    /// Records what one rule's evaluation found at `now`: a condition without an open alert
    /// fires (and is delivered to `recipients(condition)` in the app), an open alert whose
    /// condition no longer holds clears. The partial unique index on open alerts makes a
    /// condition fire once even when two instances evaluate at the same moment. Answers the
    /// alerts that fired.
    pub async fn settle_alerts(
        &self,
        org: OrgId,
        rule: &AlertRuleRecord,
        held: &[HeldCondition],
        now: DateTime<Utc>,
        recipients: impl Fn(&HeldCondition) -> Vec<PersonId>,
    ) -> StoreResult<Vec<AlertRecord>> {
        let now_ms = now.timestamp_millis();
        let org_id = org.to_string();
        let rule_id = rule.id.to_string();
        let fired = in_tx!(self, tx => {
            let open: Vec<(String, String)> = sqlx::query_as(
                "SELECT id, condition_key FROM alerts WHERE rule_id = $1 AND cleared_at IS NULL")
                .bind(&rule_id).fetch_all(&mut *tx).await?;
            for (id, key) in &open {
                if !held.iter().any(|c| &c.key == key) {
                    sqlx::query("UPDATE alerts SET cleared_at = $2 WHERE id = $1").bind(id).bind(now_ms)
                        .execute(&mut *tx).await?;
                }
            }
            let mut fired = Vec::new();
            for condition in held {
                if open.iter().any(|(_, key)| key == &condition.key) {
                    continue;
                }
                let id = AlertId::new();
                let inserted = sqlx::query(
                    "INSERT INTO alerts (id, org_id, rule_id, kind, condition_key, person_id, message, value, fired_at)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                     ON CONFLICT (rule_id, condition_key) WHERE cleared_at IS NULL DO NOTHING")
                    .bind(id.to_string()).bind(&org_id).bind(&rule_id).bind(<&str>::from(rule.kind)).bind(&condition.key)
                    .bind(condition.person.map(|p| p.to_string())).bind(&condition.message).bind(condition.value).bind(now_ms)
                    .execute(&mut *tx).await?.rows_affected();
                if inserted == 0 {
                    continue;
                }
                for person in recipients(condition) {
                    sqlx::query(
                        "INSERT INTO notifications (id, org_id, person_id, alert_id, created_at) VALUES ($1, $2, $3, $4, $5)
                         ON CONFLICT (alert_id, person_id) DO NOTHING")
                        .bind(NotificationId::new().to_string()).bind(&org_id).bind(person.to_string())
                        .bind(id.to_string()).bind(now_ms).execute(&mut *tx).await?;
                }
                fired.push(AlertRecord {
                    id,
                    rule: rule.id,
                    kind: rule.kind,
                    condition_key: condition.key.clone(),
                    person: condition.person,
                    message: condition.message.clone(),
                    value: condition.value,
                    fired_at: now,
                    cleared_at: None,
                });
            }
            fired
        });
        Ok(fired)
    }

    /// The organisation's alerts, newest first.
    pub async fn alerts(&self, org: OrgId, limit: i64) -> StoreResult<Vec<AlertRecord>> {
        let sql = format!(
            "SELECT {ALERT_COLUMNS} FROM alerts a WHERE a.org_id = $1 ORDER BY a.fired_at DESC, a.id DESC LIMIT $2"
        );
        let rows: Vec<AlertRow> = on_pool!(self, pool => sqlx::query_as(&sql)
            .bind(org.to_string()).bind(limit).fetch_all(pool).await?);
        rows.into_iter().map(alert_from).collect()
    }

    /// The alerts delivered to a person in the app, newest first.
    pub async fn notifications(
        &self,
        org: OrgId,
        person: PersonId,
        limit: i64,
    ) -> StoreResult<Vec<NotificationRecord>> {
        let sql = format!(
            "SELECT n.id, n.created_at, n.read_at, {ALERT_COLUMNS} FROM notifications n JOIN alerts a ON a.id = n.alert_id
             WHERE n.org_id = $1 AND n.person_id = $2 ORDER BY n.created_at DESC, n.id DESC LIMIT $3"
        );
        type Row =
            (String, i64, Option<i64>, String, String, String, String, Option<String>, String, f64, i64, Option<i64>);
        let rows: Vec<Row> = on_pool!(self, pool => sqlx::query_as(&sql)
            .bind(org.to_string()).bind(person.to_string()).bind(limit).fetch_all(pool).await?);
        rows.into_iter()
            .map(|(id, created, read, a, b, c, d, e, f, g, h, i)| {
                Ok(NotificationRecord {
                    id: parse(&id, "notification id")?,
                    created_at: time(created),
                    read_at: read.map(time),
                    alert: alert_from((a, b, c, d, e, f, g, h, i))?,
                })
            })
            .collect()
    }

    /// Marks a person's notification read; `NotFound` when it is not theirs.
    pub async fn mark_notification_read(&self, org: OrgId, person: PersonId, id: NotificationId) -> StoreResult<()> {
        let changed = on_pool!(self, pool => sqlx::query(
            "UPDATE notifications SET read_at = COALESCE(read_at, $4) WHERE org_id = $1 AND person_id = $2 AND id = $3")
            .bind(org.to_string()).bind(person.to_string()).bind(id.to_string()).bind(now_ms())
            .execute(pool).await?.rows_affected());
        if changed == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }

    /// Whether the organisation lets parents read the conversations of learners who agree.
    pub async fn parents_may_read_conversations(&self, org: OrgId) -> StoreResult<bool> {
        let row: Option<(bool,)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT parents_may_read_conversations FROM insight_settings WHERE org_id = $1")
            .bind(org.to_string()).fetch_optional(pool).await?);
        Ok(row.is_some_and(|(allowed,)| allowed))
    }

    pub async fn set_parents_may_read_conversations(&self, org: OrgId, allowed: bool) -> StoreResult<()> {
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO insight_settings (org_id, parents_may_read_conversations, updated_at) VALUES ($1, $2, $3)
             ON CONFLICT (org_id) DO UPDATE SET parents_may_read_conversations = excluded.parents_may_read_conversations,
               updated_at = excluded.updated_at")
            .bind(org.to_string()).bind(allowed).bind(now_ms()).execute(pool).await?.rows_affected());
        Ok(())
    }

    /// Whether a learner agrees to their parents reading their conversations.
    pub async fn shares_conversations_with_parents(&self, org: OrgId, person: PersonId) -> StoreResult<bool> {
        let row: Option<(bool,)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT share_with_parents FROM conversation_sharing WHERE org_id = $1 AND person_id = $2")
            .bind(org.to_string()).bind(person.to_string()).fetch_optional(pool).await?);
        Ok(row.is_some_and(|(shared,)| shared))
    }

    pub async fn set_shares_conversations_with_parents(
        &self,
        org: OrgId,
        person: PersonId,
        shared: bool,
    ) -> StoreResult<()> {
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO conversation_sharing (org_id, person_id, share_with_parents, updated_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (org_id, person_id) DO UPDATE SET share_with_parents = excluded.share_with_parents,
               updated_at = excluded.updated_at")
            .bind(org.to_string()).bind(person.to_string()).bind(shared).bind(now_ms()).execute(pool).await?.rows_affected());
        Ok(())
    }

    /// A page of the organisation's messages in (time, id) order after `after`, for a CSV export
    /// that walks them page by page and so holds one page at a time. The row comparison lets both
    /// databases start the page by seeking the `(org_id, created_at, id)` index. SQLite packs the
    /// page into one JSON text (its driver hands rows over one at a time, which would cost more
    /// than the reading); floats are written with 17 digits, so they read back exactly.
    pub async fn messages_page(
        &self,
        org: OrgId,
        after: Option<(i64, &str)>,
        limit: i64,
    ) -> StoreResult<Vec<MessageExportRow>> {
        const PAGE: &str =
            "SELECT m.id, m.conversation_id, c.owner_id AS person_id, COALESCE(c.coach_id, '') AS coach_id,
               m.role, COALESCE(m.kind, '') AS kind, m.confidence, m.input_tokens, m.output_tokens, m.cost,
               m.latency_ms, m.created_at, m.content
             FROM messages m JOIN conversations c ON c.id = m.conversation_id
             WHERE m.org_id = $1 AND (m.created_at, m.id) > ($2, $3)
             ORDER BY m.created_at, m.id LIMIT $4";
        let (at, id) = after.unwrap_or((i64::MIN, ""));
        match &self.pool {
            Pool::Sqlite(pool) => {
                let sql = format!(
                    "SELECT '[' || COALESCE(group_concat('[' || json_quote(id) || ',' || json_quote(conversation_id) || ','
                       || json_quote(person_id) || ',' || json_quote(coach_id) || ',' || json_quote(role) || ','
                       || json_quote(kind) || ',' || CASE WHEN confidence IS NULL THEN 'null' ELSE printf('%!.17g', confidence) END
                       || ',' || input_tokens
                       || ',' || output_tokens || ',' || printf('%!.17g', cost) || ',' || latency_ms || ',' || created_at
                       || ',' || json_quote(content) || ']', ',' ORDER BY created_at, id), '') || ']'
                     FROM ({PAGE})"
                );
                let (packed,): (String,) =
                    sqlx::query_as(&sql).bind(org.to_string()).bind(at).bind(id).bind(limit).fetch_one(pool).await?;
                from_json(&packed, "messages page")
            }
            Pool::Postgres(pool) => {
                Ok(sqlx::query_as(PAGE).bind(org.to_string()).bind(at).bind(id).bind(limit).fetch_all(pool).await?)
            }
        }
    }
}

/// Counts the metrics endpoint reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OperationalCounts {
    pub active_sessions: i64,
    pub queued_jobs: i64,
    pub running_jobs: i64,
}

/// One message as the CSV export writes it. SQLite hands pages of them over packed as JSON
/// arrays of the fields in this order.
#[derive(Clone, Debug, sqlx::FromRow, serde::Deserialize)]
pub struct MessageExportRow {
    pub id: String,
    pub conversation_id: String,
    pub person_id: String,
    pub coach_id: String,
    pub role: String,
    pub kind: String,
    pub confidence: Option<f64>,
    pub input_tokens: i64,
    pub output_tokens: i64,
    pub cost: f64,
    pub latency_ms: i64,
    pub created_at: i64,
    pub content: String,
}
