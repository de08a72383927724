//! A learner at a glance: their streak of active days, and the flags that say
//! a coach should look at them, each with its reason and the figures behind it.

use crate::days::Day;
use serde::Serialize;
use utoipa::ToSchema;

/// Consecutive active days.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct Streak {
    /// Active days in a row ending today, or yesterday when today has no activity yet.
    pub current: u32,
    /// The longest run among the days given.
    pub longest: u32,
}

/// The streaks of a set of active days (any order, duplicates allowed) as of `today`.
pub fn streak(active: &[Day], today: Day) -> Streak {
    let mut days: Vec<Day> = active.iter().copied().filter(|d| *d <= today).collect();
    days.sort_unstable();
    days.dedup();
    let mut longest = 0u32;
    let mut run = 0u32;
    let mut previous: Option<Day> = None;
    for &day in &days {
        run = if previous.is_some_and(|p| p.plus(1) == day) { run + 1 } else { 1 };
        longest = longest.max(run);
        previous = Some(day);
    }
    let current = match days.last() {
        Some(&last) if last == today || last == today.minus(1) => run,
        _ => 0,
    };
    Streak { current, longest }
}

wayfinder_accounts_rules::closed_set! {
/// Why a learner needs a coach's attention.
pub enum RiskReason {
    /// No activity for a while.
    Inactive,
    /// The learner model's mastery went down over the last week.
    MasteryFalling,
    /// Several wrong answers in the last week, most of their answers.
    RepeatedWrongAnswers,
    /// Rated the coach's answers unhelpful, more often than helpful.
    NegativeFeedback,
    /// The coach could not answer several of their questions.
    Refusals,
}
}

/// What the flags are computed from: a learner's figures over the last
/// [`RiskPolicy::window_days`] days and when they were last active.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RiskSignals {
    /// Whole days since their last active day (`None`: never active).
    pub days_inactive: Option<i64>,
    /// Whole days since they joined the program or organisation (for the never active).
    pub days_enrolled: i64,
    pub mastery_change: f64,
    pub answers: i64,
    pub wrong: i64,
    pub helpful: i64,
    pub unhelpful: i64,
    pub refused: i64,
}

/// The thresholds of the flags.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RiskPolicy {
    pub window_days: i64,
    pub inactive_days: i64,
    /// A fall of the summed mastery over the window at least this large.
    pub mastery_drop: f64,
    pub wrong_answers: i64,
    pub unhelpful_ratings: i64,
    pub refusals: i64,
}

impl Default for RiskPolicy {
    fn default() -> Self {
        RiskPolicy {
            window_days: 7,
            inactive_days: 7,
            mastery_drop: 0.1,
            wrong_answers: 3,
            unhelpful_ratings: 2,
            refusals: 3,
        }
    }
}

/// One flag with its reason in words, figures included.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct RiskFlag {
    pub reason: RiskReason,
    pub detail: String,
}

/// The flags a learner's signals raise, in the order of [`RiskReason`].
pub fn risk_flags(s: &RiskSignals, policy: &RiskPolicy) -> Vec<RiskFlag> {
    let mut flags = Vec::new();
    let window = policy.window_days;
    let mut flag = |reason, detail: String| flags.push(RiskFlag { reason, detail });
    match s.days_inactive {
        Some(days) if days >= policy.inactive_days => {
            flag(RiskReason::Inactive, format!("no activity for {days} days"));
        }
        None if s.days_enrolled >= policy.inactive_days => {
            flag(RiskReason::Inactive, format!("no activity since joining {} days ago", s.days_enrolled));
        }
        _ => {}
    }
    if s.mastery_change <= -policy.mastery_drop {
        flag(
            RiskReason::MasteryFalling,
            format!("mastery fell by {:.0} points in {window} days", -s.mastery_change * 100.0),
        );
    }
    if s.wrong >= policy.wrong_answers && s.wrong * 2 >= s.answers {
        flag(RiskReason::RepeatedWrongAnswers, format!("{} of {} answers wrong in {window} days", s.wrong, s.answers));
    }
    if s.unhelpful >= policy.unhelpful_ratings && s.unhelpful > s.helpful {
        flag(
            RiskReason::NegativeFeedback,
            format!("{} answers rated unhelpful, {} helpful, in {window} days", s.unhelpful, s.helpful),
        );
    }
    if s.refused >= policy.refusals {
        flag(RiskReason::Refusals, format!("{} questions the coach could not answer in {window} days", s.refused));
    }
    flags
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_streak_counts_up_to_yesterday_and_keeps_the_longest_run() {
        let today = Day(100);
        let days = [Day(90), Day(91), Day(92), Day(93), Day(97), Day(98), Day(99), Day(99)];
        assert_eq!(streak(&days, today), Streak { current: 3, longest: 4 });
        assert_eq!(streak(&[Day(97), Day(98)], today), Streak { current: 0, longest: 2 });
        assert_eq!(streak(&[Day(100)], today), Streak { current: 1, longest: 1 });
        assert_eq!(streak(&[], today), Streak::default());
        // A day after `today` (another time zone's tomorrow) does not count.
        assert_eq!(streak(&[Day(101)], today), Streak::default());
    }

    #[test]
    fn each_reason_fires_at_its_threshold_and_not_below() {
        let policy = RiskPolicy::default();
        let quiet = RiskSignals { days_inactive: Some(0), ..Default::default() };
        assert!(risk_flags(&quiet, &policy).is_empty());
        let reasons = |s: RiskSignals| risk_flags(&s, &policy).into_iter().map(|f| f.reason).collect::<Vec<_>>();
        assert_eq!(reasons(RiskSignals { days_inactive: Some(7), ..quiet }), [RiskReason::Inactive]);
        assert!(reasons(RiskSignals { days_inactive: Some(6), ..quiet }).is_empty());
        assert_eq!(reasons(RiskSignals { days_inactive: None, days_enrolled: 9, ..quiet }), [RiskReason::Inactive]);
        assert!(reasons(RiskSignals { days_inactive: None, days_enrolled: 2, ..quiet }).is_empty());
        assert_eq!(reasons(RiskSignals { mastery_change: -0.25, ..quiet }), [RiskReason::MasteryFalling]);
        assert!(reasons(RiskSignals { mastery_change: -0.05, ..quiet }).is_empty());
        assert_eq!(reasons(RiskSignals { answers: 5, wrong: 3, ..quiet }), [RiskReason::RepeatedWrongAnswers]);
        assert!(reasons(RiskSignals { answers: 10, wrong: 3, ..quiet }).is_empty(), "mostly right");
        assert_eq!(reasons(RiskSignals { unhelpful: 2, helpful: 1, ..quiet }), [RiskReason::NegativeFeedback]);
        assert!(reasons(RiskSignals { unhelpful: 2, helpful: 2, ..quiet }).is_empty());
        assert_eq!(reasons(RiskSignals { refused: 3, ..quiet }), [RiskReason::Refusals]);
        let all = RiskSignals {
            days_inactive: Some(8),
            days_enrolled: 30,
            mastery_change: -0.5,
            answers: 4,
            wrong: 4,
            helpful: 0,
            unhelpful: 3,
            refused: 4,
        };
        let flags = risk_flags(&all, &policy);
        assert_eq!(flags.len(), 5);
        assert_eq!(flags[1].detail, "mastery fell by 50 points in 7 days");
    }
}
