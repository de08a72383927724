//! Did coaching work? For each published program, its enrolled learners in two
//! groups — those who asked the coach something in the period and those who
//! did not — compared on mastery gained in the program and on coming back
//! (active in at least two different weeks), with the sample sizes and what
//! the numbers support (`wayfinder_insights_rules::outcomes`).

use crate::{Insights, InsightsError, InsightsResult};
use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use utoipa::ToSchema;
use wayfinder_accounts_rules::{OrgId, PersonId};
use wayfinder_insights_rules::Day;
use wayfinder_insights_rules::outcomes::{Comparison, compare_means, compare_shares};

/// One program's outcome.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ProgramOutcome {
    pub program_id: String,
    pub title: String,
    /// Learners actively enrolled.
    pub learners: usize,
    /// Summed mastery gained in the program over the period, per learner.
    pub mastery_gained: Comparison,
    /// Learners active in at least two different weeks of the period.
    pub return_rate: Comparison,
}

/// Outcomes per program over a period.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct Outcomes {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// When the report was aggregated (reused until today's activity or the enrolments change,
    /// or for ten minutes).
    pub computed_at: DateTime<Utc>,
    pub programs: Vec<ProgramOutcome>,
}

impl Insights {
    /// Coach users against the rest, per program, over the last `days` local days; reused while
    /// today's questions and evidence and the enrolments are unchanged (for up to ten minutes).
    pub async fn outcomes(&self, org: OrgId, days: i64, now: DateTime<Utc>) -> InsightsResult<Outcomes> {
        if !(7..=366).contains(&days) {
            return Err(InsightsError::Invalid { field: "days", message: "must be 7 to 366".into() });
        }
        let zone = self.store.org_time_zone(org).await?;
        let today = zone.day_of(now);
        let fingerprint = self.store.outcomes_fingerprint(org, today).await?;
        if let Some(report) = self.outcomes.get((org, days), &fingerprint) {
            return Ok(report);
        }
        let report = self.compute_outcomes(org, days, today, now).await?;
        self.outcomes.put((org, days), fingerprint, report.clone());
        Ok(report)
    }

    async fn compute_outcomes(
        &self,
        org: OrgId,
        days: i64,
        today: Day,
        now: DateTime<Utc>,
    ) -> InsightsResult<Outcomes> {
        let from = today.minus(days - 1);
        let enrolled = self.store.active_enrolments(org).await?;
        let askers: HashSet<PersonId> = self.store.people_who_asked(org, from, today).await?.into_iter().collect();
        let weeks: HashMap<PersonId, i64> =
            self.store.active_weeks(org, from.week(), today.week()).await?.into_iter().collect();
        let gains: HashMap<(String, String), f64> = self
            .store
            .program_gains(org, from, today)
            .await?
            .into_iter()
            .map(|(program, person, gain)| ((program, person), gain))
            .collect();
        let mut programs = Vec::new();
        for program in self.learning.programs(org, false).await? {
            let learners: Vec<PersonId> =
                enrolled.iter().filter(|(p, _)| *p == program.id).map(|(_, person)| *person).collect();
            let (mut gained_with, mut gained_without) = (Vec::new(), Vec::new());
            let (mut back_with, mut back_without) = (Vec::new(), Vec::new());
            for person in &learners {
                let gain = gains.get(&(program.id.to_string(), person.to_string())).copied().unwrap_or(0.0);
                let returned = weeks.get(person).copied().unwrap_or(0) >= 2;
                if askers.contains(person) {
                    gained_with.push(gain);
                    back_with.push(returned);
                } else {
                    gained_without.push(gain);
                    back_without.push(returned);
                }
            }
            programs.push(ProgramOutcome {
                program_id: program.id.to_string(),
                title: program.title,
                learners: learners.len(),
                mastery_gained: compare_means("mastery gained", &gained_with, &gained_without),
                return_rate: compare_shares("return rate", &back_with, &back_without),
            });
        }
        Ok(Outcomes { from: from.date(), to: today.date(), computed_at: now, programs })
    }
}
