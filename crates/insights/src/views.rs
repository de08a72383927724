//! What the insights service answers, as the API serialises it.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use wayfinder_insights_rules::Day;
use wayfinder_insights_rules::risk::{RiskFlag, Streak};
use wayfinder_store::{CoachSums, OrgDay};

/// An organisation's settings for its dashboards.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct InsightSettings {
    /// The IANA time zone its days are counted in.
    pub time_zone: String,
    /// Parents may read the conversations of the learners they follow who agreed to it.
    pub parents_may_read_conversations: bool,
}

/// A change of the settings; absent fields stay as they are.
#[derive(Clone, Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InsightSettingsChange {
    /// An IANA time zone name, e.g. `Europe/Berlin`. Days already counted keep their zone.
    pub time_zone: Option<String>,
    pub parents_may_read_conversations: Option<bool>,
}

/// Sums over the overview's days.
#[derive(Clone, Debug, Default, Serialize, ToSchema)]
pub struct OrgTotals {
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
}

impl OrgTotals {
    pub(crate) fn add(&mut self, d: &OrgDay) {
        self.conversations += d.conversations;
        self.questions += d.questions;
        self.generated += d.generated;
        self.extractive += d.extractive;
        self.refused += d.refused;
        self.failed += d.failed;
        self.helpful += d.helpful;
        self.unhelpful += d.unhelpful;
        self.input_tokens += d.input_tokens;
        self.output_tokens += d.output_tokens;
        self.cost += d.cost;
        self.evidence += d.evidence;
        self.answers += d.answers;
    }
}

/// One local day of the organisation.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct OrgDayView {
    pub date: NaiveDate,
    pub active_people: i64,
    pub conversations: i64,
    pub questions: i64,
    pub generated: i64,
    pub extractive: i64,
    pub refused: i64,
    pub failed: i64,
    pub helpful: i64,
    pub unhelpful: i64,
    pub tokens: i64,
    pub cost: f64,
    pub evidence: i64,
}

impl OrgDayView {
    pub(crate) fn new(day: Day, d: &OrgDay) -> OrgDayView {
        OrgDayView {
            date: day.date(),
            active_people: d.active_people,
            conversations: d.conversations,
            questions: d.questions,
            generated: d.generated,
            extractive: d.extractive,
            refused: d.refused,
            failed: d.failed,
            helpful: d.helpful,
            unhelpful: d.unhelpful,
            tokens: d.input_tokens + d.output_tokens,
            cost: d.cost,
            evidence: d.evidence,
        }
    }
}

/// Distinct people active in a week (Monday to Sunday).
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct WeekActivity {
    pub week_start: NaiveDate,
    pub active_people: i64,
}

/// How often a feedback reason was given.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ReasonCount {
    /// `up` or `down`.
    pub rating: String,
    pub reason: String,
    pub count: i64,
}

/// A coach profile's use and cost.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CoachUsage {
    /// Empty for model use outside any coach profile.
    pub coach_id: String,
    /// `null` for use outside a profile or a deleted profile.
    pub name: Option<String>,
    pub questions: i64,
    pub generated: i64,
    pub extractive: i64,
    pub refused: i64,
    pub helpful: i64,
    pub unhelpful: i64,
    pub tokens: i64,
    pub cost: f64,
}

impl From<CoachSums> for CoachUsage {
    fn from(c: CoachSums) -> Self {
        CoachUsage {
            coach_id: c.coach_id,
            name: c.coach_name,
            questions: c.questions,
            generated: c.generated,
            extractive: c.extractive,
            refused: c.refused,
            helpful: c.helpful,
            unhelpful: c.unhelpful,
            tokens: c.input_tokens + c.output_tokens,
            cost: c.cost,
        }
    }
}

/// One person's model use.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PersonUsage {
    pub person_id: String,
    pub name: String,
    pub questions: i64,
    pub tokens: i64,
    pub cost: f64,
}

/// A program and how many learners are enrolled.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ProgramEnrolment {
    pub program_id: String,
    pub title: String,
    pub status: String,
    pub enrolled: i64,
}

/// The knowledge base's size.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct KnowledgeSize {
    pub collections: i64,
    pub documents: i64,
    pub chunks: i64,
    /// Ingestion jobs waiting or running.
    pub queued_jobs: i64,
}

/// The organisation at a glance: an administrator's dashboard.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct OrgOverview {
    pub time_zone: String,
    /// The first and last local day covered.
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub totals: OrgTotals,
    /// Helpful ratings among all ratings (`null`: none given).
    pub positive_feedback_rate: Option<f64>,
    /// Every day of the range, oldest first (days without activity as zeros).
    pub days: Vec<OrgDayView>,
    /// Distinct active people per week of the range.
    pub weeks: Vec<WeekActivity>,
    pub feedback_reasons: Vec<ReasonCount>,
    pub cost_by_coach: Vec<CoachUsage>,
    /// The 20 people whose use cost most in the last 7 days of the range (the `people` export
    /// covers the whole range).
    pub top_people_by_cost: Vec<PersonUsage>,
    pub programs: Vec<ProgramEnrolment>,
    pub knowledge: KnowledgeSize,
}

/// One day of a learner's activity.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ActivityDay {
    pub date: NaiveDate,
    /// They did something themselves that day.
    pub active: bool,
    pub questions: i64,
    /// Graded answers (practice, reviews) and the sum of their scores.
    pub answers: i64,
    pub correct: f64,
    pub evidence: i64,
}

/// A learner's mastery at the end of a day: the learner model's mastery summed over the concepts
/// they have evidence on, and how many of those are mastered.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct MasteryPoint {
    pub date: NaiveDate,
    pub mastery: f64,
    pub mastered: i64,
}

/// A learner's standing on one program.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ProgramProgress {
    pub program_id: String,
    pub title: String,
    pub concepts: usize,
    pub mastered: usize,
    pub mean_mastery: f64,
}

/// A review coming up.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct UpcomingReview {
    pub concept_id: String,
    pub name: String,
    pub due: DateTime<Utc>,
    /// Probability of recalling it now.
    pub retrievability: f64,
}

/// A learner's own dashboard.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct LearnerDashboard {
    pub person_id: String,
    pub name: String,
    pub time_zone: String,
    pub today: NaiveDate,
    pub streak: Streak,
    /// The last 30 days, oldest first.
    pub activity: Vec<ActivityDay>,
    /// The last 90 days, oldest first. Each point is the learner model's mastery as stored at the
    /// learner's last evidence on each concept (forgetting since then is not subtracted), so the
    /// line moves only when evidence arrives; `programs` shows mastery now, forgetting included.
    pub mastery_timeline: Vec<MasteryPoint>,
    pub programs: Vec<ProgramProgress>,
    /// Reviews due within the coming week, most overdue first.
    pub upcoming_reviews: Vec<UpcomingReview>,
}

/// How often a learner asked about a topic (a section of the material) in the last 30 days.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TopicCount {
    pub topic: String,
    pub questions: i64,
}

/// A learner at a glance.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct LearnerGlance {
    pub person_id: String,
    pub name: String,
    /// Their last active day (`null`: never).
    pub last_active: Option<NaiveDate>,
    pub enrolled_concepts: usize,
    pub mastered_concepts: usize,
    /// Mean progress towards their goals (`null`: no goals).
    pub goal_progress: Option<f64>,
    /// Change of their summed mastery over the last 7 days.
    pub mastery_change_7d: f64,
    /// Mastery gained in each of the last four weeks, oldest first.
    pub mastery_by_week: Vec<f64>,
    pub questions_7d: i64,
    pub answers_7d: i64,
    pub wrong_7d: i64,
    pub at_risk: Vec<RiskFlag>,
    /// The topics they asked about most in the last 30 days (empty where the viewer may not see
    /// what they asked).
    pub topics: Vec<TopicCount>,
    /// Whether the viewer may see what they asked about (a parent only where the organisation
    /// and the learner allow it).
    pub topics_visible: bool,
}
