//! Insights: how learners are doing and what the coach costs, for everyone
//! around a learner. Every view reads the rollups the writes keep (see
//! `wayfinder_store::Tally`), a bounded number of queries whatever the size of
//! the organisation's history; what each person may see is decided by the
//! caller (the HTTP layer's policy) before a view is asked for.

mod alerts;
mod exports;
mod gaps;
mod outcomes;
mod team;
mod views;

pub use alerts::{Alert, AlertOutlet, AlertRule, Notification};
pub use exports::{Cell, CsvTable};
pub use gaps::{GapExample, GapGrouping, GapTopic, GapWeek, KnowledgeGaps};
pub use outcomes::{Outcomes, ProgramOutcome};
pub use team::{CoachTeam, TEAM_DAYS, TeamInsights};
pub use views::*;

use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap};
use wayfinder_accounts_rules::{OrgId, PersonId};
use wayfinder_insights_rules::risk::{RiskFlag, RiskPolicy, RiskSignals, risk_flags, streak};
use wayfinder_insights_rules::{Day, OrgTimeZone};
use wayfinder_knowledge::KnowledgeBase;
use wayfinder_learning::{Learning, LearningError};
use wayfinder_store::{PersonDay, Store, StoreError};

/// Days a learner's activity chart covers.
pub const ACTIVITY_DAYS: i64 = 30;
/// Days a mastery timeline covers.
pub const TIMELINE_DAYS: i64 = 90;
/// Most days an overview may cover.
pub const MAX_OVERVIEW_DAYS: i64 = 366;
/// Days the overview's most expensive people are counted over.
pub const TOP_PEOPLE_DAYS: i64 = 7;
/// Days of activity a glance, a team and the risk flags read: four weeks.
const RECENT_DAYS: i64 = 4 * 7;
/// Above this many people, their days are read by range rather than by name.
const MANY_PEOPLE: usize = 1_000;
/// Topics listed per learner.
const TOPICS_SHOWN: usize = 3;

/// What can go wrong.
#[derive(Debug, thiserror::Error)]
pub enum InsightsError {
    #[error("{field}: {message}")]
    Invalid { field: &'static str, message: String },
    #[error(transparent)]
    Learning(#[from] LearningError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub type InsightsResult<T> = Result<T, InsightsError>;

/// The insights service.
#[derive(Clone)]
pub struct Insights {
    store: Store,
    learning: Learning,
    knowledge: KnowledgeBase,
    outlets: Vec<std::sync::Arc<dyn AlertOutlet>>,
    gaps: ReportCache<KnowledgeGaps>,
    outcomes: ReportCache<Outcomes>,
}

/// How long a report aggregated over a period is reused while what it depends on is unchanged.
const REPORT_TTL: std::time::Duration = std::time::Duration::from_secs(600);

/// Reports over a period that are costly to aggregate (knowledge gaps, outcomes), kept per
/// organisation and period while their fingerprint — a few indexed maxima and counts that move
/// when what they read changes — stays the same, for at most [`REPORT_TTL`].
struct ReportCache<T> {
    entries: std::sync::Arc<std::sync::Mutex<ReportsByPeriod<T>>>,
}

/// Reports by organisation and period (days).
type ReportsByPeriod<T> = HashMap<(OrgId, i64), CachedReport<T>>;

impl<T> Clone for ReportCache<T> {
    fn clone(&self) -> Self {
        ReportCache { entries: self.entries.clone() }
    }
}

struct CachedReport<T> {
    fingerprint: Vec<i64>,
    made: std::time::Instant,
    report: T,
}

impl<T: Clone> ReportCache<T> {
    fn new() -> Self {
        ReportCache { entries: Default::default() }
    }

    fn get(&self, key: (OrgId, i64), fingerprint: &[i64]) -> Option<T> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .get(&key)
            .filter(|c| c.fingerprint == fingerprint && c.made.elapsed() < REPORT_TTL)
            .map(|c| c.report.clone())
    }

    fn put(&self, key: (OrgId, i64), fingerprint: Vec<i64>, report: T) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.retain(|_, c| c.made.elapsed() < REPORT_TTL);
        entries.insert(key, CachedReport { fingerprint, made: std::time::Instant::now(), report });
    }
}

impl Insights {
    pub fn new(store: Store, learning: Learning, knowledge: KnowledgeBase) -> Insights {
        Insights {
            store,
            learning,
            knowledge,
            outlets: Vec::new(),
            gaps: ReportCache::new(),
            outcomes: ReportCache::new(),
        }
    }

    /// The organisation's settings for its dashboards.
    pub async fn settings(&self, org: OrgId) -> InsightsResult<InsightSettings> {
        Ok(InsightSettings {
            time_zone: self.store.org_time_zone(org).await?.name().to_string(),
            parents_may_read_conversations: self.store.parents_may_read_conversations(org).await?,
        })
    }

    /// Changes the settings given; a time zone must be an IANA name.
    pub async fn update_settings(&self, org: OrgId, change: InsightSettingsChange) -> InsightsResult<InsightSettings> {
        let zone = match &change.time_zone {
            Some(name) => Some(
                OrgTimeZone::parse(name).map_err(|message| InsightsError::Invalid { field: "time_zone", message })?,
            ),
            None => None,
        };
        if let Some(zone) = zone {
            self.store.set_org_time_zone(org, zone).await?;
        }
        if let Some(allowed) = change.parents_may_read_conversations {
            self.store.set_parents_may_read_conversations(org, allowed).await?;
        }
        self.settings(org).await
    }

    /// The organisation at a glance over its last `days` local days (today included).
    pub async fn overview(&self, org: OrgId, days: i64, now: DateTime<Utc>) -> InsightsResult<OrgOverview> {
        if !(1..=MAX_OVERVIEW_DAYS).contains(&days) {
            return Err(InsightsError::Invalid { field: "days", message: format!("must be 1 to {MAX_OVERVIEW_DAYS}") });
        }
        let zone = self.store.org_time_zone(org).await?;
        let today = zone.day_of(now);
        let from = today.minus(days - 1);
        // Whole weeks: from the Monday of the first day's week.
        let rows = self.store.org_days(org, from.week_start(), today).await?;
        let by_day: HashMap<i64, &wayfinder_store::OrgDay> = rows.iter().map(|r| (r.day, r)).collect();
        let mut series = Vec::with_capacity(days as usize);
        let mut totals = OrgTotals::default();
        for d in from.0..=today.0 {
            let row = by_day.get(&d).copied().cloned().unwrap_or_default();
            totals.add(&row);
            series.push(OrgDayView::new(Day(d), &row));
        }
        let mut weeks: BTreeMap<i64, i64> = BTreeMap::new();
        for r in &rows {
            *weeks.entry(Day(r.day).week_start().0).or_default() += r.week_starters;
        }
        let weeks = weeks
            .into_iter()
            .map(|(start, active_people)| WeekActivity { week_start: Day(start).date(), active_people })
            .collect();
        let rated = totals.helpful + totals.unhelpful;
        let reasons = self
            .store
            .feedback_reasons(org, from, today)
            .await?
            .into_iter()
            .filter(|(_, _, n)| *n > 0)
            .map(|(rating, reason, count)| ReasonCount { rating, reason, count })
            .collect();
        let coaches = self.store.coach_sums(org, from, today).await?.into_iter().map(CoachUsage::from).collect();
        // Who costs most lately: the last week of the range.
        let people = self.store.top_people_by_cost(org, today.minus(TOP_PEOPLE_DAYS.min(days) - 1), today, 20).await?;
        let names = self.names(org, people.iter().map(|p| p.person_id.as_str())).await?;
        let top_people = people
            .into_iter()
            .map(|p| PersonUsage {
                name: names.get(&p.person_id).cloned().unwrap_or_default(),
                person_id: p.person_id,
                questions: p.questions,
                tokens: p.tokens,
                cost: p.cost,
            })
            .collect();
        let programs = self.store.program_enrolment_counts(org).await?;
        let knowledge = self.store.knowledge_size(org).await?;
        Ok(OrgOverview {
            time_zone: zone.name().to_string(),
            from: from.date(),
            to: today.date(),
            positive_feedback_rate: (rated > 0).then(|| totals.helpful as f64 / rated as f64),
            totals,
            days: series,
            weeks,
            feedback_reasons: reasons,
            cost_by_coach: coaches,
            top_people_by_cost: top_people,
            programs: programs
                .into_iter()
                .map(|(program_id, title, status, enrolled)| ProgramEnrolment { program_id, title, status, enrolled })
                .collect(),
            knowledge: KnowledgeSize {
                collections: knowledge.0,
                documents: knowledge.1,
                chunks: knowledge.2,
                queued_jobs: knowledge.3,
            },
        })
    }

    /// One learner's own view: activity and streak, progress per program, mastery over time and
    /// the reviews coming up.
    pub async fn learner(&self, org: OrgId, person: PersonId, now: DateTime<Utc>) -> InsightsResult<LearnerDashboard> {
        let zone = self.store.org_time_zone(org).await?;
        let today = zone.day_of(now);
        let first = today.minus(TIMELINE_DAYS - 1);
        let rows = self.store.person_days(org, &[person], first, today).await?;
        let before = self.store.person_totals_before(org, person, first).await?;
        let by_day: HashMap<i64, &PersonDay> = rows.iter().map(|r| (r.day, r)).collect();
        let active: Vec<Day> = rows.iter().filter(|r| r.activity > 0).map(|r| Day(r.day)).collect();
        // The streak may reach back before the timeline; the last active day before it is enough
        // to know whether it does.
        let streak = streak(&active, today);
        let mut activity = Vec::new();
        let mut timeline = Vec::new();
        let (mut mastery, mut mastered) = before;
        for d in first.0..=today.0 {
            let row = by_day.get(&d).copied().cloned().unwrap_or_default();
            mastery += row.mastery_gain;
            mastered += row.mastered_gain;
            timeline.push(MasteryPoint { date: Day(d).date(), mastery, mastered });
            if d > today.0 - ACTIVITY_DAYS {
                activity.push(ActivityDay {
                    date: Day(d).date(),
                    active: row.activity > 0,
                    questions: row.questions,
                    answers: row.answers,
                    correct: row.correct,
                    evidence: row.evidence,
                });
            }
        }
        let standing = self.learning.mastery(org, person, now).await?;
        let titles: HashMap<_, _> =
            self.learning.programs(org, false).await?.into_iter().map(|p| (p.id, p.title)).collect();
        let mut programs: BTreeMap<String, ProgramProgress> = BTreeMap::new();
        for c in &standing.concepts {
            let entry = programs.entry(c.program_id.to_string()).or_insert_with(|| ProgramProgress {
                program_id: c.program_id.to_string(),
                title: titles.get(&c.program_id).cloned().unwrap_or_default(),
                concepts: 0,
                mastered: 0,
                mean_mastery: 0.0,
            });
            entry.concepts += 1;
            entry.mastered += usize::from(c.mastered);
            entry.mean_mastery += c.mastery;
        }
        let mut programs: Vec<ProgramProgress> = programs.into_values().collect();
        for p in &mut programs {
            p.mean_mastery /= p.concepts.max(1) as f64;
        }
        programs.sort_by(|a, b| a.title.cmp(&b.title));
        // Reviews due within the coming week.
        let reviews = self.learning.due_reviews(org, person, now + chrono::Duration::days(7)).await?;
        let name =
            self.store.display_names(org, &[person]).await?.into_iter().next().map(|(_, n)| n).unwrap_or_default();
        Ok(LearnerDashboard {
            person_id: person.to_string(),
            name,
            time_zone: zone.name().to_string(),
            today: today.date(),
            streak,
            activity,
            mastery_timeline: timeline,
            programs,
            upcoming_reviews: reviews
                .into_iter()
                .map(|r| UpcomingReview {
                    concept_id: r.concept.id.to_string(),
                    name: r.concept.name,
                    due: r.due,
                    retrievability: r.retrievability,
                })
                .collect(),
        })
    }

    /// Learners at a glance, in the order given: last active, progress, mastery trend, at-risk
    /// flags with reasons and (when `with_topics`) the topics they asked about.
    pub async fn learners(
        &self,
        org: OrgId,
        people: &[PersonId],
        with_topics: bool,
        now: DateTime<Utc>,
    ) -> InsightsResult<Vec<LearnerGlance>> {
        let recent = self.recent_activity(org, people, now).await?;
        let progress: HashMap<PersonId, _> =
            self.learning.coach_overview(org, people, now).await?.into_iter().map(|p| (p.person_id, p)).collect();
        let mut topics: HashMap<PersonId, Vec<TopicCount>> = HashMap::new();
        if with_topics {
            let since = recent.zone.start_of(recent.today.minus(29));
            for (person, topic, questions) in self.store.topics_asked(org, people, since).await? {
                let list = topics.entry(person).or_default();
                if list.len() < TOPICS_SHOWN {
                    list.push(TopicCount { topic, questions });
                }
            }
        }
        let names = self
            .names(org, people.iter().map(|p| p.to_string()).collect::<Vec<_>>().iter().map(String::as_str))
            .await?;
        let mut glances = Vec::with_capacity(people.len());
        for person in people {
            let key = person.to_string();
            let (s, questions) = recent.signals(*person);
            // Mastery gained in each of the last four weeks, oldest first.
            let mut weekly = [0.0; 4];
            for r in recent.days_of(*person) {
                let week = ((r.day - recent.first.0) / 7).clamp(0, 3) as usize;
                weekly[week] += r.mastery_gain;
            }
            let p = progress.get(person);
            glances.push(LearnerGlance {
                person_id: key.clone(),
                name: names.get(&key).cloned().unwrap_or_default(),
                last_active: recent.last_active.get(person).map(|d| d.date()),
                enrolled_concepts: p.map_or(0, |p| p.enrolled_concepts),
                mastered_concepts: p.map_or(0, |p| p.mastered_concepts),
                goal_progress: p.and_then(|p| {
                    (!p.goals.is_empty())
                        .then(|| p.goals.iter().map(|g| g.progress).sum::<f64>() / p.goals.len() as f64)
                }),
                mastery_change_7d: s.mastery_change,
                mastery_by_week: weekly.to_vec(),
                questions_7d: questions,
                answers_7d: s.answers,
                wrong_7d: s.wrong,
                at_risk: risk_flags(&s, &recent.policy),
                topics: if with_topics { topics.remove(person).unwrap_or_default() } else { Vec::new() },
                topics_visible: with_topics,
            });
        }
        Ok(glances)
    }

    /// The at-risk flags of each of `people` who has any (from the rollups alone: no progress
    /// computed), for the alerts.
    pub async fn risks(
        &self,
        org: OrgId,
        people: &[PersonId],
        now: DateTime<Utc>,
    ) -> InsightsResult<HashMap<PersonId, Vec<RiskFlag>>> {
        let recent = self.recent_activity(org, people, now).await?;
        Ok(people
            .iter()
            .filter_map(|p| {
                let flags = recent.risk_flags(*p);
                (!flags.is_empty()).then_some((*p, flags))
            })
            .collect())
    }

    /// The last four weeks of `people`'s days, their last active days and when they joined.
    pub(crate) async fn recent_activity(
        &self,
        org: OrgId,
        people: &[PersonId],
        now: DateTime<Utc>,
    ) -> InsightsResult<RecentActivity> {
        let zone = self.store.org_time_zone(org).await?;
        let today = zone.day_of(now);
        let first = today.minus(RECENT_DAYS - 1);
        // Many people (an organisation's every learner, for the alerts) are read by range and
        // filtered here rather than named one by one in the query.
        let many = people.len() > MANY_PEOPLE;
        let wanted: std::collections::HashSet<PersonId> = people.iter().copied().collect();
        let rows = if many {
            self.store.all_person_days(org, first, today).await?
        } else {
            self.store.person_days(org, people, first, today).await?
        };
        let mut days: HashMap<PersonId, Vec<PersonDay>> = HashMap::new();
        for r in rows {
            if let Ok(person) = r.person_id.parse()
                && wanted.contains(&person)
            {
                days.entry(person).or_default().push(r);
            }
        }
        let (last_active, joined) = if many {
            (self.store.last_active_days(org, None).await?, self.store.all_memberships_since(org).await?)
        } else {
            (self.store.last_active_days(org, Some(people)).await?, self.store.memberships_since(org, people).await?)
        };
        Ok(RecentActivity {
            policy: RiskPolicy::default(),
            zone,
            today,
            first,
            days,
            last_active: last_active.into_iter().filter(|(p, d)| wanted.contains(p) && *d <= today).collect(),
            joined: joined.into_iter().filter(|(p, _)| wanted.contains(p)).collect(),
        })
    }

    /// Every person's use and cost over the last `days` local days, the most expensive first.
    pub async fn people_usage(&self, org: OrgId, days: i64, now: DateTime<Utc>) -> InsightsResult<Vec<PersonUsage>> {
        if !(1..=MAX_OVERVIEW_DAYS).contains(&days) {
            return Err(InsightsError::Invalid { field: "days", message: format!("must be 1 to {MAX_OVERVIEW_DAYS}") });
        }
        let zone = self.store.org_time_zone(org).await?;
        let today = zone.day_of(now);
        let people = self.store.top_people_by_cost(org, today.minus(days - 1), today, i64::MAX).await?;
        let names = self.names(org, people.iter().map(|p| p.person_id.as_str())).await?;
        Ok(people
            .into_iter()
            .map(|p| PersonUsage {
                name: names.get(&p.person_id).cloned().unwrap_or_default(),
                person_id: p.person_id,
                questions: p.questions,
                tokens: p.tokens,
                cost: p.cost,
            })
            .collect())
    }

    async fn names<'a>(
        &self,
        org: OrgId,
        people: impl Iterator<Item = &'a str>,
    ) -> InsightsResult<HashMap<String, String>> {
        let ids: Vec<PersonId> = people.filter_map(|p| p.parse().ok()).collect();
        Ok(self.store.display_names(org, &ids).await?.into_iter().map(|(id, name)| (id.to_string(), name)).collect())
    }
}

/// Learners' recent days, read once for a glance, a team or the alerts.
pub(crate) struct RecentActivity {
    policy: RiskPolicy,
    zone: OrgTimeZone,
    pub(crate) today: Day,
    /// The first day read (four weeks back).
    first: Day,
    days: HashMap<PersonId, Vec<PersonDay>>,
    last_active: HashMap<PersonId, Day>,
    joined: HashMap<PersonId, DateTime<Utc>>,
}

impl RecentActivity {
    pub(crate) fn days_of(&self, person: PersonId) -> &[PersonDay] {
        self.days.get(&person).map(Vec::as_slice).unwrap_or_default()
    }

    /// The person's at-risk flags now.
    pub(crate) fn risk_flags(&self, person: PersonId) -> Vec<RiskFlag> {
        risk_flags(&self.signals(person).0, &self.policy)
    }

    /// Whether the person has any at-risk flag now.
    pub(crate) fn at_risk(&self, person: PersonId) -> bool {
        !self.risk_flags(person).is_empty()
    }

    /// The signals the at-risk flags read, over the policy's window, and the questions asked in it.
    fn signals(&self, person: PersonId) -> (RiskSignals, i64) {
        let window_start = self.today.minus(self.policy.window_days - 1);
        let mut s = RiskSignals {
            days_inactive: self.last_active.get(&person).map(|d| self.today.0 - d.0),
            days_enrolled: self.joined.get(&person).map_or(0, |at| self.today.0 - self.zone.day_of(*at).0),
            ..RiskSignals::default()
        };
        let mut questions = 0;
        for r in self.days_of(person).iter().filter(|r| Day(r.day) >= window_start) {
            s.mastery_change += r.mastery_gain;
            s.answers += r.answers;
            s.wrong += r.wrong;
            s.helpful += r.helpful;
            s.unhelpful += r.unhelpful;
            s.refused += r.refused;
            questions += r.questions;
        }
        (s, questions)
    }
}
