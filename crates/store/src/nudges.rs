//! Nudge rules, the people they find, and what they decided: each decision is
//! written once per episode with its outbox row in the same transaction, so a
//! rule evaluated again (or by another instance) never nudges twice.

use crate::{NewOutbound, Store, StoreError, StoreResult, in_tx, on_pool, rows::*};
use chrono::{DateTime, Utc};
use wayfinder_accounts_rules::{OrgId, PersonId};
use wayfinder_channels_rules::{
    NudgeRuleId,
    holdout::Arm,
    nudge::{Audience, MASTERY_FALL, Trigger},
};

/// A nudge rule as stored.
#[derive(Clone, Debug, PartialEq)]
pub struct NudgeRuleRecord {
    pub id: NudgeRuleId,
    pub org: OrgId,
    pub name: String,
    pub trigger: Trigger,
    pub days: i64,
    pub message: String,
    pub audience: Audience,
    /// What the learner's coaches and parents get, when the audience includes them.
    pub alert_message: Option<String>,
    pub holdout_share: f64,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct RuleRow {
    id: String,
    org_id: String,
    name: String,
    trigger_kind: String,
    days: i64,
    message: String,
    audience: String,
    alert_message: Option<String>,
    holdout_share: f64,
    active: bool,
    created_at: i64,
    updated_at: i64,
}

impl RuleRow {
    fn into_record(self) -> StoreResult<NudgeRuleRecord> {
        Ok(NudgeRuleRecord {
            id: parse(&self.id, "nudge rule id")?,
            org: parse(&self.org_id, "org id")?,
            name: self.name,
            trigger: parse(&self.trigger_kind, "nudge trigger")?,
            days: self.days,
            message: self.message,
            audience: parse(&self.audience, "nudge audience")?,
            alert_message: self.alert_message,
            holdout_share: self.holdout_share,
            active: self.active,
            created_at: time(self.created_at),
            updated_at: time(self.updated_at),
        })
    }
}

const RULE_COLUMNS: &str = "id, org_id, name, trigger_kind, days, message, audience, alert_message, holdout_share, active, created_at, updated_at";

/// Someone a rule found, and the episode that makes it (one decision per episode).
#[derive(Clone, Debug, PartialEq)]
pub struct NudgeCandidate {
    pub person: PersonId,
    pub display_name: String,
    pub episode: String,
}

/// What became of a rule's decision about a person.
#[derive(Clone, Copy, Debug, PartialEq, Eq, strum::Display, strum::EnumString)]
#[strum(serialize_all = "snake_case")]
pub enum NudgeOutcome {
    Queued,
    HeldOut,
    OptedOut,
    CapReached,
    NoChannel,
}

/// A decision to record.
#[derive(Clone, Debug)]
pub struct NewNudgeDecision {
    pub org: OrgId,
    pub rule: NudgeRuleId,
    pub person: PersonId,
    pub episode: String,
    pub arm: Arm,
    pub outcome: NudgeOutcome,
    pub decided_at: DateTime<Utc>,
    /// The nudge and alerts to queue with it (each `send_at` after its recipient's quiet
    /// hours); the first one addressed to the learner, if any, is the decision's own.
    pub outbound: Vec<NewOutbound>,
}

/// A recorded decision, for the effect view.
#[derive(Clone, Debug, PartialEq)]
pub struct NudgeDecisionRecord {
    pub person: PersonId,
    pub arm: Arm,
    pub outcome: NudgeOutcome,
    pub decided_at: DateTime<Utc>,
    pub send_at: Option<DateTime<Utc>>,
    /// Whether the person was active (asked, answered, practised) within the return window.
    pub returned: bool,
}

/// Candidates from `(person, display name, key)` rows, each episode named from its key.
fn candidates(rows: Vec<(String, String, i64)>, episode: impl Fn(i64) -> String) -> StoreResult<Vec<NudgeCandidate>> {
    rows.into_iter()
        .map(|(person, display_name, key)| {
            Ok(NudgeCandidate { person: parse(&person, "person id")?, display_name, episode: episode(key) })
        })
        .collect()
}

impl Store {
    pub async fn create_nudge_rule(&self, rule: &NudgeRuleRecord) -> StoreResult<()> {
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO nudge_rules (id, org_id, name, trigger_kind, days, message, holdout_share, active, created_at, updated_at,
               audience, alert_message)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)")
            .bind(rule.id.to_string()).bind(rule.org.to_string()).bind(&rule.name).bind(rule.trigger.to_string())
            .bind(rule.days).bind(&rule.message).bind(rule.holdout_share).bind(rule.active)
            .bind(rule.created_at.timestamp_millis()).bind(rule.updated_at.timestamp_millis())
            .bind(rule.audience.to_string()).bind(&rule.alert_message)
            .execute(pool).await.map(|_| ())?);
        Ok(())
    }

    pub async fn update_nudge_rule(&self, rule: &NudgeRuleRecord) -> StoreResult<()> {
        let done = on_pool!(self, pool => sqlx::query(
            "UPDATE nudge_rules SET name = $3, trigger_kind = $4, days = $5, message = $6, holdout_share = $7, active = $8,
               updated_at = $9, audience = $10, alert_message = $11 WHERE id = $1 AND org_id = $2")
            .bind(rule.id.to_string()).bind(rule.org.to_string()).bind(&rule.name).bind(rule.trigger.to_string())
            .bind(rule.days).bind(&rule.message).bind(rule.holdout_share).bind(rule.active)
            .bind(rule.updated_at.timestamp_millis()).bind(rule.audience.to_string()).bind(&rule.alert_message)
            .execute(pool).await?.rows_affected());
        if done == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }

    pub async fn delete_nudge_rule(&self, org: OrgId, id: NudgeRuleId) -> StoreResult<()> {
        let done = on_pool!(self, pool => sqlx::query("DELETE FROM nudge_rules WHERE id = $1 AND org_id = $2")
            .bind(id.to_string()).bind(org.to_string()).execute(pool).await?.rows_affected());
        if done == 0 { Err(StoreError::NotFound) } else { Ok(()) }
    }

    pub async fn nudge_rule(&self, org: OrgId, id: NudgeRuleId) -> StoreResult<NudgeRuleRecord> {
        let sql = format!("SELECT {RULE_COLUMNS} FROM nudge_rules WHERE id = $1 AND org_id = $2");
        let row: Option<RuleRow> = on_pool!(self, pool => sqlx::query_as(&sql)
            .bind(id.to_string()).bind(org.to_string()).fetch_optional(pool).await?);
        row.ok_or(StoreError::NotFound)?.into_record()
    }

    /// An organisation's rules (all, or only the active ones), oldest first.
    pub async fn nudge_rules(&self, org: OrgId, active_only: bool) -> StoreResult<Vec<NudgeRuleRecord>> {
        let sql = format!(
            "SELECT {RULE_COLUMNS} FROM nudge_rules WHERE org_id = $1 AND (active OR NOT $2) ORDER BY created_at, id"
        );
        let rows: Vec<RuleRow> = on_pool!(self, pool => sqlx::query_as(&sql)
            .bind(org.to_string()).bind(active_only).fetch_all(pool).await?);
        rows.into_iter().map(RuleRow::into_record).collect()
    }

    /// Learners whose last active local day is `cutoff_day` or earlier (the episode is that
    /// day), and learners never active who joined before `joined_before` (episode `never`).
    pub async fn inactive_learners(
        &self,
        org: OrgId,
        cutoff_day: i64,
        joined_before: DateTime<Utc>,
    ) -> StoreResult<Vec<NudgeCandidate>> {
        let rows: Vec<(String, String, Option<i64>)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT m.person_id, p.display_name, a.day FROM memberships m
               JOIN people p ON p.id = m.person_id
               LEFT JOIN person_last_active a ON a.org_id = m.org_id AND a.person_id = m.person_id
             WHERE m.org_id = $1 AND m.role = 'learner'
               AND ((a.day IS NOT NULL AND a.day <= $2) OR (a.day IS NULL AND m.created_at <= $3))
             ORDER BY m.person_id")
            .bind(org.to_string()).bind(cutoff_day).bind(joined_before.timestamp_millis()).fetch_all(pool).await?);
        rows.into_iter()
            .map(|(person, display_name, day)| {
                Ok(NudgeCandidate {
                    person: parse(&person, "person id")?,
                    display_name,
                    episode: day.map_or("never".to_string(), |d| format!("active:{d}")),
                })
            })
            .collect()
    }

    /// Learners who rated an answer down since `since` (one episode per rated answer).
    pub async fn learners_who_rated_down(&self, org: OrgId, since: DateTime<Utc>) -> StoreResult<Vec<NudgeCandidate>> {
        let rows: Vec<(String, String, String)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT f.person_id, p.display_name, f.message_id FROM message_feedback f
               JOIN people p ON p.id = f.person_id
               JOIN memberships m ON m.org_id = f.org_id AND m.person_id = f.person_id AND m.role = 'learner'
             WHERE f.org_id = $1 AND f.rating = 'down' AND f.updated_at >= $2
             ORDER BY f.updated_at, f.message_id")
            .bind(org.to_string()).bind(since.timestamp_millis()).fetch_all(pool).await?);
        rows.into_iter()
            .map(|(person, display_name, message)| {
                Ok(NudgeCandidate {
                    person: parse(&person, "person id")?,
                    display_name,
                    episode: format!("rating:{message}"),
                })
            })
            .collect()
    }

    /// Learners with a concept review overdue since `due_before` or earlier (the episode is
    /// their earliest due review, so reviewing it ends the episode).
    pub async fn learners_with_reviews_due(
        &self,
        org: OrgId,
        due_before: DateTime<Utc>,
    ) -> StoreResult<Vec<NudgeCandidate>> {
        let rows: Vec<(String, String, i64)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT c.person_id, p.display_name, MIN(c.review_due) FROM learner_concepts c
               JOIN people p ON p.id = c.person_id
               JOIN memberships m ON m.org_id = c.org_id AND m.person_id = c.person_id AND m.role = 'learner'
             WHERE c.org_id = $1 AND c.review_due IS NOT NULL AND c.review_due <= $2
             GROUP BY c.person_id, p.display_name ORDER BY c.person_id")
            .bind(org.to_string()).bind(due_before.timestamp_millis()).fetch_all(pool).await?);
        candidates(rows, |due| format!("review:{due}"))
    }

    /// Learners whose stored mastery fell by more than [`MASTERY_FALL`] (summed over concepts)
    /// over the local days `from_day..=to_day` (one episode per such window).
    pub async fn learners_losing_mastery(
        &self,
        org: OrgId,
        from_day: i64,
        to_day: i64,
    ) -> StoreResult<Vec<NudgeCandidate>> {
        let rows: Vec<(String, String, i64)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT d.person_id, p.display_name, MIN(d.day) FROM person_days d
               JOIN people p ON p.id = d.person_id
               JOIN memberships m ON m.org_id = d.org_id AND m.person_id = d.person_id AND m.role = 'learner'
             WHERE d.org_id = $1 AND d.day >= $2 AND d.day <= $3
             GROUP BY d.person_id, p.display_name HAVING SUM(d.mastery_gain) < $4 ORDER BY d.person_id")
            .bind(org.to_string()).bind(from_day).bind(to_day).bind(-MASTERY_FALL).fetch_all(pool).await?);
        let window = to_day - from_day + 1;
        candidates(rows, |_| format!("falling:{}", to_day.div_euclid(window)))
    }

    /// Learners with a goal due between the local days `from_day` and `to_day` of which some
    /// concept is not mastered, i.e. has no review schedule yet (the episode is the goal).
    pub async fn learners_with_goals_due(
        &self,
        org: OrgId,
        from_day: i64,
        to_day: i64,
    ) -> StoreResult<Vec<NudgeCandidate>> {
        let rows: Vec<(String, String, String, String)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT g.person_id, p.display_name, g.id, g.targets FROM goals g
               JOIN people p ON p.id = g.person_id
               JOIN memberships m ON m.org_id = g.org_id AND m.person_id = g.person_id AND m.role = 'learner'
             WHERE g.org_id = $1 AND g.deadline_day >= $2 AND g.deadline_day <= $3 ORDER BY g.person_id, g.id")
            .bind(org.to_string()).bind(from_day).bind(to_day).fetch_all(pool).await?);
        // What the people with a goal due have mastered, in one read.
        let mastered: Vec<(String, String)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT person_id, concept_id FROM learner_concepts
             WHERE review IS NOT NULL AND person_id IN (
               SELECT person_id FROM goals WHERE org_id = $1 AND deadline_day >= $2 AND deadline_day <= $3)")
            .bind(org.to_string()).bind(from_day).bind(to_day).fetch_all(pool).await?);
        let mastered: std::collections::HashSet<(String, String)> = mastered.into_iter().collect();
        let mut found = Vec::new();
        for (person, display_name, goal, targets) in rows {
            let targets = json_list(&targets);
            if targets.into_iter().all(|t| mastered.contains(&(person.clone(), t))) {
                continue;
            }
            found.push(NudgeCandidate {
                person: parse(&person, "person id")?,
                display_name,
                episode: format!("goal:{goal}"),
            });
        }
        Ok(found)
    }

    /// Each learner's coaches and parents in the organisation.
    pub async fn supervisors_of_org(
        &self,
        org: OrgId,
    ) -> StoreResult<std::collections::HashMap<PersonId, Vec<PersonId>>> {
        let rows: Vec<(String, String)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT to_person, from_person FROM relationships
             WHERE org_id = $1 AND kind IN ('coach_learner', 'parent_learner') ORDER BY to_person, from_person")
            .bind(org.to_string()).fetch_all(pool).await?);
        let mut of = std::collections::HashMap::<PersonId, Vec<PersonId>>::new();
        for (learner, supervisor) in rows {
            of.entry(parse(&learner, "person id")?).or_default().push(parse(&supervisor, "person id")?);
        }
        Ok(of)
    }

    /// The (person, episode) pairs a rule has decided about.
    pub async fn nudge_episodes(
        &self,
        rule: NudgeRuleId,
    ) -> StoreResult<std::collections::HashSet<(PersonId, String)>> {
        let rows: Vec<(String, String)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT person_id, episode FROM nudge_decisions WHERE rule_id = $1")
            .bind(rule.to_string()).fetch_all(pool).await?);
        rows.into_iter().map(|(p, e)| Ok((parse(&p, "person id")?, e))).collect()
    }

    /// Nudges queued per person in the organisation since `since`.
    pub async fn nudges_queued_per_person(
        &self,
        org: OrgId,
        since: DateTime<Utc>,
    ) -> StoreResult<std::collections::HashMap<PersonId, u32>> {
        let rows: Vec<(String, i64)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT person_id, COUNT(*) FROM nudge_decisions WHERE org_id = $1 AND outcome = 'queued' AND decided_at >= $2
             GROUP BY person_id")
            .bind(org.to_string()).bind(since.timestamp_millis()).fetch_all(pool).await?);
        rows.into_iter().map(|(p, n)| Ok((parse(&p, "person id")?, u32::try_from(n).unwrap_or(u32::MAX)))).collect()
    }

    /// Every member's reach preferences in the organisation.
    pub async fn reach_preferences_of_org(
        &self,
        org: OrgId,
    ) -> StoreResult<std::collections::HashMap<PersonId, ReachPreferences>> {
        let rows: Vec<OrgPreferencesRow> = on_pool!(self, pool => sqlx::query_as(
                "SELECT person_id, time_zone, quiet_start, quiet_end, weekly_cap, preferred_channel FROM reach_preferences
                 WHERE org_id = $1")
                .bind(org.to_string()).fetch_all(pool).await?);
        rows.into_iter()
            .map(
                |OrgPreferencesRow {
                     person_id: person,
                     time_zone,
                     quiet_start,
                     quiet_end,
                     weekly_cap,
                     preferred_channel,
                 }| {
                    let preferred_channel = preferred_channel.as_deref().map(|c| parse(c, "channel")).transpose()?;
                    Ok((
                        parse(&person, "person id")?,
                        ReachPreferences { time_zone, quiet_start, quiet_end, weekly_cap, preferred_channel },
                    ))
                },
            )
            .collect()
    }

    /// Records decisions and queues their nudges, all in one transaction; a decision whose
    /// episode was decided before writes nothing. Returns, per decision, whether it was new.
    pub async fn record_nudge_decisions(&self, decisions: &[NewNudgeDecision]) -> StoreResult<Vec<bool>> {
        if decisions.is_empty() {
            return Ok(Vec::new());
        }
        // Ids for each decision and its outbox rows; the learner's own row is the decision's.
        let planned: Vec<(String, Vec<String>)> = decisions
            .iter()
            .map(|d| {
                let outbound = d.outbound.iter().map(|_| wayfinder_channels_rules::OutboundId::new().to_string());
                (uuid::Uuid::now_v7().to_string(), outbound.collect())
            })
            .collect();
        let inserted: std::collections::HashSet<String> = in_tx!(self, tx => {
            // One statement for the decisions; those decided before are skipped and not returned.
            let mut insert = sqlx::QueryBuilder::new(
                "INSERT INTO nudge_decisions (id, org_id, rule_id, person_id, episode, arm, outcome, decided_at, send_at, outbound_id) ");
            insert.push_values(decisions.iter().zip(&planned), |mut row, (d, (id, outbound_ids))| {
                let own = d.outbound.iter().position(|o| o.person == Some(d.person));
                row.push_bind(id.clone()).push_bind(d.org.to_string()).push_bind(d.rule.to_string())
                    .push_bind(d.person.to_string()).push_bind(d.episode.clone()).push_bind(d.arm.to_string())
                    .push_bind(d.outcome.to_string()).push_bind(d.decided_at.timestamp_millis())
                    .push_bind(own.map(|i| d.outbound[i].send_at.timestamp_millis()))
                    .push_bind(own.map(|i| outbound_ids[i].clone()));
            });
            insert.push(" ON CONFLICT (rule_id, person_id, episode) DO NOTHING RETURNING id");
            let inserted: Vec<(String,)> = insert.build_query_as().fetch_all(&mut *tx).await?;
            let inserted: std::collections::HashSet<String> = inserted.into_iter().map(|(id,)| id).collect();
            // One statement for the outbox rows of the new decisions.
            let rows: Vec<(&String, &NewOutbound)> = decisions
                .iter()
                .zip(&planned)
                .filter(|(_, (id, _))| inserted.contains(id))
                .flat_map(|(d, (_, outbound_ids))| outbound_ids.iter().zip(&d.outbound))
                .collect();
            if !rows.is_empty() {
                let now = now_ms();
                let mut outbox = sqlx::QueryBuilder::new(
                    "INSERT INTO outbox (id, org_id, person_id, channel, destination, payload, idempotency_key, state, attempts,
                       next_attempt_at, created_at) ");
                outbox.push_values(rows, |mut row, (id, out)| {
                    row.push_bind(id.clone()).push_bind(out.org.to_string()).push_bind(out.person.map(|p| p.to_string()))
                        .push_bind(out.channel.to_string()).push_bind(out.destination.clone())
                        .push_bind(out.payload.to_string()).push_bind(out.idempotency_key.clone()).push_bind("queued")
                        .push_bind(0_i64).push_bind(out.send_at.timestamp_millis()).push_bind(now);
                });
                outbox.build().execute(&mut *tx).await?;
            }
            inserted
        });
        Ok(planned.iter().map(|(id, _)| inserted.contains(id)).collect())
    }

    /// A rule's decisions, each with whether the person came back within `window` of it: a
    /// question in the coach, or learning evidence (an answer, practice).
    pub async fn nudge_decisions(
        &self,
        rule: NudgeRuleId,
        window: chrono::Duration,
    ) -> StoreResult<Vec<NudgeDecisionRecord>> {
        let rows: Vec<(String, String, String, i64, Option<i64>, bool)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT d.person_id, d.arm, d.outcome, d.decided_at, d.send_at,
                    (EXISTS (SELECT 1 FROM messages g JOIN conversations c ON c.id = g.conversation_id
                             WHERE c.org_id = d.org_id AND c.owner_id = d.person_id AND g.role = 'user'
                               AND g.created_at > d.decided_at AND g.created_at <= d.decided_at + $2)
                     OR EXISTS (SELECT 1 FROM evidence e
                             WHERE e.org_id = d.org_id AND e.person_id = d.person_id
                               AND e.occurred_at > d.decided_at AND e.occurred_at <= d.decided_at + $2)) AS returned
             FROM nudge_decisions d WHERE d.rule_id = $1 ORDER BY d.decided_at, d.person_id")
            .bind(rule.to_string()).bind(window.num_milliseconds()).fetch_all(pool).await?);
        rows.into_iter()
            .map(|(person, arm, outcome, decided_at, send_at, returned)| {
                Ok(NudgeDecisionRecord {
                    person: parse(&person, "person id")?,
                    arm: parse(&arm, "arm")?,
                    outcome: parse(&outcome, "nudge outcome")?,
                    decided_at: time(decided_at),
                    send_at: send_at.map(time),
                    returned,
                })
            })
            .collect()
    }

    /// A person's reach preferences: time zone, quiet hours (`HH:MM`), weekly cap, channel.
    pub async fn reach_preferences(&self, org: OrgId, person: PersonId) -> StoreResult<Option<ReachPreferences>> {
        let row: Option<PreferencesRow> = on_pool!(self, pool => sqlx::query_as(
                "SELECT time_zone, quiet_start, quiet_end, weekly_cap, preferred_channel FROM reach_preferences
                 WHERE org_id = $1 AND person_id = $2")
                .bind(org.to_string()).bind(person.to_string()).fetch_optional(pool).await?);
        row.map(|PreferencesRow { time_zone, quiet_start, quiet_end, weekly_cap, preferred_channel }| {
            Ok(ReachPreferences {
                time_zone,
                quiet_start,
                quiet_end,
                weekly_cap,
                preferred_channel: preferred_channel.as_deref().map(|c| parse(c, "channel")).transpose()?,
            })
        })
        .transpose()
    }

    /// Replaces a person's reach preferences.
    pub async fn put_reach_preferences(&self, org: OrgId, person: PersonId, p: &ReachPreferences) -> StoreResult<()> {
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO reach_preferences (org_id, person_id, time_zone, quiet_start, quiet_end, weekly_cap, preferred_channel, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (org_id, person_id) DO UPDATE SET time_zone = excluded.time_zone, quiet_start = excluded.quiet_start,
               quiet_end = excluded.quiet_end, weekly_cap = excluded.weekly_cap, preferred_channel = excluded.preferred_channel,
               updated_at = excluded.updated_at")
            .bind(org.to_string()).bind(person.to_string()).bind(&p.time_zone).bind(&p.quiet_start).bind(&p.quiet_end)
            .bind(p.weekly_cap).bind(p.preferred_channel.map(|c| c.to_string())).bind(now_ms())
            .execute(pool).await.map(|_| ())?);
        Ok(())
    }
}

#[derive(sqlx::FromRow)]
struct OrgPreferencesRow {
    person_id: String,
    time_zone: Option<String>,
    quiet_start: Option<String>,
    quiet_end: Option<String>,
    weekly_cap: Option<i64>,
    preferred_channel: Option<String>,
}

#[derive(sqlx::FromRow)]
struct PreferencesRow {
    time_zone: Option<String>,
    quiet_start: Option<String>,
    quiet_end: Option<String>,
    weekly_cap: Option<i64>,
    preferred_channel: Option<String>,
}

/// How a person wants to be reached (unset fields follow the organisation's defaults).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ReachPreferences {
    pub time_zone: Option<String>,
    pub quiet_start: Option<String>,
    pub quiet_end: Option<String>,
    pub weekly_cap: Option<i64>,
    pub preferred_channel: Option<wayfinder_channels_rules::Channel>,
}

/// What a learner did over a span of days, for a digest.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LearnerSpan {
    pub active_days: i64,
    pub questions: i64,
    /// Graded answers, and the sum of their scores.
    pub answers: i64,
    pub correct: f64,
    /// Change of stored mastery, summed over concepts.
    pub mastery_gain: f64,
}

impl Store {
    /// Each learner's figures over the local days `from_day..=to_day` (learners with no row
    /// in the span are absent).
    pub async fn learner_spans(
        &self,
        org: OrgId,
        from_day: i64,
        to_day: i64,
    ) -> StoreResult<std::collections::HashMap<PersonId, LearnerSpan>> {
        let rows: Vec<(String, i64, i64, i64, f64, f64)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT person_id, CAST(SUM(CASE WHEN activity > 0 THEN 1 ELSE 0 END) AS BIGINT),
                    CAST(SUM(questions) AS BIGINT), CAST(SUM(answers) AS BIGINT), SUM(correct), SUM(mastery_gain)
               FROM person_days WHERE org_id = $1 AND day >= $2 AND day <= $3 GROUP BY person_id")
            .bind(org.to_string()).bind(from_day).bind(to_day).fetch_all(pool).await?);
        rows.into_iter()
            .map(|(person, active_days, questions, answers, correct, mastery_gain)| {
                Ok((
                    parse(&person, "person id")?,
                    LearnerSpan { active_days, questions, answers, correct, mastery_gain },
                ))
            })
            .collect()
    }
}
