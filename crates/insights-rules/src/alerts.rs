//! Alert rules and the conditions they watch. Evaluation is a pure function of
//! measured figures: each rule yields the conditions true now, each with a key
//! that names the condition (the organisation's hour-long window, a day, a day
//! and a person, a learner). The service keeps one open alert per rule and
//! key, so a condition fires once, stays quiet while it holds, and may fire
//! again only after it cleared.

use crate::days::Day;
use crate::risk::RiskReason;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use wayfinder_accounts_rules::PersonId;

wayfinder_accounts_rules::closed_set! {
/// What a rule watches.
pub enum AlertKind {
    /// The share of answers rated unhelpful in the last hour exceeds `threshold` (0–1), once at
    /// least `min_count` ratings were given.
    NegativeFeedbackShare,
    /// The share of questions refused in the last hour exceeds `threshold` (0–1), once at least
    /// `min_count` questions were asked.
    RefusalRate,
    /// The organisation's model cost today exceeds `threshold`.
    DailyCost,
    /// One person's model cost today exceeds `threshold`.
    PersonDailyCost,
    /// A learner is at risk for at least `threshold` reasons (1 to 5).
    LearnerAtRisk,
}
}

/// A rule as an administrator sets it.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertRuleSpec {
    pub kind: AlertKind,
    /// A share 0–1 (feedback, refusals), an amount of money (costs) or a number of reasons (at risk).
    pub threshold: f64,
    /// The fewest ratings or questions in the hour before a share counts (shares only; default 5).
    #[serde(default)]
    pub min_count: Option<i64>,
}

impl AlertRuleSpec {
    /// The rule with its defaults filled in, or the field that is wrong and why.
    pub fn checked(self) -> Result<(AlertKind, f64, i64), (&'static str, String)> {
        let t = self.threshold;
        let threshold_ok = match self.kind {
            AlertKind::NegativeFeedbackShare | AlertKind::RefusalRate => t > 0.0 && t < 1.0,
            AlertKind::DailyCost | AlertKind::PersonDailyCost => t > 0.0 && t.is_finite(),
            AlertKind::LearnerAtRisk => (1.0..=5.0).contains(&t) && t.fract() == 0.0,
        };
        if !threshold_ok {
            let why = match self.kind {
                AlertKind::NegativeFeedbackShare | AlertKind::RefusalRate => "a share between 0 and 1, exclusive",
                AlertKind::DailyCost | AlertKind::PersonDailyCost => "an amount greater than 0",
                AlertKind::LearnerAtRisk => "a whole number of reasons from 1 to 5",
            };
            return Err(("threshold", format!("must be {why}")));
        }
        let min_count = self.min_count.unwrap_or(5);
        if !(1..=100_000).contains(&min_count) {
            return Err(("min_count", "must be between 1 and 100000".into()));
        }
        Ok((self.kind, t, min_count))
    }
}

/// What the rules are evaluated against, measured at one instant.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Measurements {
    pub today: Day,
    /// Ratings in the last hour: helpful, unhelpful.
    pub hour_ratings: (i64, i64),
    /// Questions in the last hour: asked, refused.
    pub hour_questions: (i64, i64),
    pub cost_today: f64,
    /// Each person's cost today (only those with any).
    pub person_cost_today: Vec<(PersonId, f64)>,
    /// Learners at risk now, with their reasons.
    pub at_risk: Vec<(PersonId, Vec<RiskReason>)>,
}

/// A condition that holds now.
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    pub key: String,
    pub person: Option<PersonId>,
    pub value: f64,
    pub message: String,
}

/// The conditions of one rule that hold now.
pub fn conditions(kind: AlertKind, threshold: f64, min_count: i64, m: &Measurements) -> Vec<Condition> {
    let share = |part: i64, whole: i64| if whole > 0 { part as f64 / whole as f64 } else { 0.0 };
    match kind {
        AlertKind::NegativeFeedbackShare => {
            let (up, down) = m.hour_ratings;
            let s = share(down, up + down);
            (up + down >= min_count && s > threshold)
                .then(|| Condition {
                    key: "hour".into(),
                    person: None,
                    value: s,
                    message: format!(
                        "{:.0} % of the answers rated in the last hour were unhelpful ({down} of {}), over {:.0} %",
                        s * 100.0,
                        up + down,
                        threshold * 100.0
                    ),
                })
                .into_iter()
                .collect()
        }
        AlertKind::RefusalRate => {
            let (asked, refused) = m.hour_questions;
            let s = share(refused, asked);
            (asked >= min_count && s > threshold)
                .then(|| Condition {
                    key: "hour".into(),
                    person: None,
                    value: s,
                    message: format!(
                        "{:.0} % of the questions in the last hour were refused ({refused} of {asked}), over {:.0} %",
                        s * 100.0,
                        threshold * 100.0
                    ),
                })
                .into_iter()
                .collect()
        }
        AlertKind::DailyCost => (m.cost_today > threshold)
            .then(|| Condition {
                key: format!("day:{}", m.today.0),
                person: None,
                value: m.cost_today,
                message: format!("model cost today is {:.2}, over the limit of {threshold:.2}", m.cost_today),
            })
            .into_iter()
            .collect(),
        AlertKind::PersonDailyCost => m
            .person_cost_today
            .iter()
            .filter(|(_, cost)| *cost > threshold)
            .map(|(person, cost)| Condition {
                key: format!("day:{}:person:{person}", m.today.0),
                person: Some(*person),
                value: *cost,
                message: format!("one person's model cost today is {cost:.2}, over the limit of {threshold:.2}"),
            })
            .collect(),
        AlertKind::LearnerAtRisk => m
            .at_risk
            .iter()
            .filter(|(_, reasons)| reasons.len() as f64 >= threshold)
            .map(|(person, reasons)| Condition {
                key: format!("person:{person}"),
                person: Some(*person),
                value: reasons.len() as f64,
                message: format!(
                    "a learner is at risk: {}",
                    reasons.iter().map(|r| r.to_string().replace('_', " ")).collect::<Vec<_>>().join(", ")
                ),
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_need_enough_events_and_must_exceed_the_threshold() {
        let m = Measurements { hour_ratings: (2, 2), hour_questions: (10, 3), ..Default::default() };
        assert!(conditions(AlertKind::NegativeFeedbackShare, 0.3, 5, &m).is_empty(), "4 ratings < 5");
        let fired = conditions(AlertKind::NegativeFeedbackShare, 0.3, 4, &m);
        assert_eq!(fired.len(), 1);
        assert_eq!(fired[0].value, 0.5);
        assert!(conditions(AlertKind::RefusalRate, 0.3, 5, &m).is_empty(), "exactly 30 % is not over 30 %");
        assert_eq!(conditions(AlertKind::RefusalRate, 0.25, 5, &m)[0].key, "hour");
    }

    #[test]
    fn costs_are_keyed_by_day_and_person() {
        let a = PersonId::new();
        let b = PersonId::new();
        let m = Measurements {
            today: Day(20_000),
            cost_today: 12.5,
            person_cost_today: vec![(a, 6.0), (b, 1.0)],
            ..Default::default()
        };
        assert_eq!(conditions(AlertKind::DailyCost, 10.0, 5, &m)[0].key, "day:20000");
        let people = conditions(AlertKind::PersonDailyCost, 5.0, 5, &m);
        assert_eq!(people.len(), 1);
        assert_eq!(people[0].person, Some(a));
        assert_eq!(people[0].key, format!("day:20000:person:{a}"));
    }

    #[test]
    fn specs_are_checked_per_kind() {
        let spec = |kind, threshold| AlertRuleSpec { kind, threshold, min_count: None };
        assert!(spec(AlertKind::RefusalRate, 1.5).checked().is_err());
        assert!(spec(AlertKind::DailyCost, 0.0).checked().is_err());
        assert!(spec(AlertKind::LearnerAtRisk, 1.5).checked().is_err());
        assert_eq!(spec(AlertKind::LearnerAtRisk, 2.0).checked(), Ok((AlertKind::LearnerAtRisk, 2.0, 5)));
    }
}
