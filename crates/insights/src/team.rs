//! A manager's view of the coaches they oversee (an administrator's of every
//! coach): each coach's learners' engagement, outcomes (mastery gained per
//! active learner-week), feedback and risk, and the coach's own onboarding.

use crate::{Insights, InsightsResult};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use utoipa::ToSchema;
use wayfinder_accounts_rules::{OrgId, PersonId};
use wayfinder_insights_rules::Day;
use wayfinder_learning::CoachProvision;

/// Days a team's figures cover: the recent days the risk flags read.
pub const TEAM_DAYS: i64 = crate::RECENT_DAYS;

/// One coach and their learners over the last four weeks.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CoachTeam {
    pub person_id: String,
    pub name: String,
    pub learners: usize,
    /// Learners active in the last 7 days.
    pub active_learners_7d: usize,
    pub questions: i64,
    pub answers: i64,
    /// Summed mastery their learners gained.
    pub mastery_gained: f64,
    /// Weeks in which a learner of theirs was active, summed over learners.
    pub active_learner_weeks: i64,
    /// `mastery_gained / active_learner_weeks` (`null`: no active week).
    pub mastery_per_active_week: Option<f64>,
    pub helpful: i64,
    pub unhelpful: i64,
    /// Learners with at least one at-risk flag now.
    pub learners_at_risk: usize,
    /// The coach's own onboarding, when they were provisioned.
    pub training: Option<CoachProvision>,
}

/// The coaches a caller oversees.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct TeamInsights {
    pub days: i64,
    /// By name.
    pub coaches: Vec<CoachTeam>,
}

impl Insights {
    /// Each of `coaches` with their learners (`learners_of`), in name order.
    pub async fn team(
        &self,
        org: OrgId,
        coaches: &[PersonId],
        learners_of: &HashMap<PersonId, Vec<PersonId>>,
        now: DateTime<Utc>,
    ) -> InsightsResult<TeamInsights> {
        let learners: Vec<PersonId> = {
            let mut all: Vec<PersonId> = learners_of.values().flatten().copied().collect();
            all.sort_unstable();
            all.dedup();
            all
        };
        // The four weeks the risk flags read are the team's days: one read serves both.
        let recent = self.recent_activity(org, &learners, now).await?;
        let today = recent.today;
        let coach_set: HashSet<PersonId> = coaches.iter().copied().collect();
        let training: HashMap<PersonId, CoachProvision> = self
            .learning
            .coach_provisions(org, |r| r.coach.is_some_and(|c| coach_set.contains(&c)))
            .await?
            .into_iter()
            .filter_map(|p| p.coach_id.map(|c| (c, p)))
            .collect();
        let names: HashMap<PersonId, String> = self.store.display_names(org, coaches).await?.into_iter().collect();
        let mut team = Vec::with_capacity(coaches.len());
        for coach in coaches {
            let theirs = learners_of.get(coach).map(Vec::as_slice).unwrap_or_default();
            let mut t = CoachTeam {
                person_id: coach.to_string(),
                name: names.get(coach).cloned().unwrap_or_default(),
                learners: theirs.len(),
                active_learners_7d: 0,
                questions: 0,
                answers: 0,
                mastery_gained: 0.0,
                active_learner_weeks: 0,
                mastery_per_active_week: None,
                helpful: 0,
                unhelpful: 0,
                learners_at_risk: theirs.iter().filter(|l| recent.at_risk(**l)).count(),
                training: training.get(coach).cloned(),
            };
            for learner in theirs {
                let days = recent.days_of(*learner);
                let mut weeks = HashSet::new();
                let mut active_last_7_days = false;
                for r in days {
                    t.questions += r.questions;
                    t.answers += r.answers;
                    t.mastery_gained += r.mastery_gain;
                    t.helpful += r.helpful;
                    t.unhelpful += r.unhelpful;
                    if r.activity > 0 {
                        weeks.insert(Day(r.day).week());
                        active_last_7_days |= r.day > today.0 - 7;
                    }
                }
                t.active_learner_weeks += weeks.len() as i64;
                t.active_learners_7d += usize::from(active_last_7_days);
            }
            t.mastery_per_active_week =
                (t.active_learner_weeks > 0).then(|| t.mastery_gained / t.active_learner_weeks as f64);
            team.push(t);
        }
        team.sort_by(|a, b| a.name.cmp(&b.name).then(a.person_id.cmp(&b.person_id)));
        Ok(TeamInsights { days: TEAM_DAYS, coaches: team })
    }
}
