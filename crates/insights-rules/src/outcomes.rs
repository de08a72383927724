//! Did coaching work? Two groups of learners of one program — those who asked
//! the coach something in the period and those who did not — compared on
//! mastery gained and on coming back, with the sample sizes and a 95 %
//! interval of the difference, and a verdict that claims no more than that
//! interval supports.

use serde::Serialize;
use utoipa::ToSchema;

/// Fewer learners than this in either group: no comparison is made.
pub const MIN_GROUP: usize = 5;
/// The normal quantile of a two-sided 95 % interval.
const Z95: f64 = 1.959_964;

/// One group's figure.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, ToSchema)]
pub struct GroupFigure {
    /// Learners in the group.
    pub learners: usize,
    /// The group's mean (mastery gained) or share (returned), `null` for an empty group.
    pub value: Option<f64>,
}

wayfinder_accounts_rules::closed_set! {
/// What the numbers support.
pub enum Verdict {
    /// A group has fewer than five learners.
    TooFewLearners,
    /// The interval of the difference includes zero.
    NoClearDifference,
    /// Learners who used the coach did better, beyond the interval.
    CoachUsersHigher,
    /// Learners who used the coach did worse, beyond the interval.
    CoachUsersLower,
}
}

/// The two groups compared on one measure.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct Comparison {
    pub with_coach: GroupFigure,
    pub without_coach: GroupFigure,
    /// `with − without`, when both groups have learners.
    pub difference: Option<f64>,
    /// The 95 % interval of the difference, when both groups are large enough.
    pub interval: Option<[f64; 2]>,
    pub verdict: Verdict,
    /// The verdict in a sentence, sample sizes included.
    pub statement: String,
}

fn mean_and_variance(values: &[f64]) -> Option<(f64, f64)> {
    if values.is_empty() {
        return None;
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let variance =
        if values.len() > 1 { values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0) } else { 0.0 };
    Some((mean, variance))
}

fn verdict(interval: Option<[f64; 2]>, enough: bool) -> Verdict {
    match interval {
        _ if !enough => Verdict::TooFewLearners,
        Some([low, _]) if low > 0.0 => Verdict::CoachUsersHigher,
        Some([_, high]) if high < 0.0 => Verdict::CoachUsersLower,
        _ => Verdict::NoClearDifference,
    }
}

fn statement(what: &str, v: Verdict, with: usize, without: usize) -> String {
    let learners = |n: usize| if n == 1 { "1 learner".to_string() } else { format!("{n} learners") };
    let sizes = format!("{} used the coach, {without} did not", learners(with));
    match v {
        Verdict::TooFewLearners => {
            format!("{sizes}: too few to compare {what} (each group needs at least {MIN_GROUP}).")
        }
        Verdict::NoClearDifference => {
            format!("{sizes}: no clear difference in {what}; the interval of the difference includes zero.")
        }
        Verdict::CoachUsersHigher => format!(
            "{sizes}: those who used it had higher {what}, beyond chance at 95 %. This shows an association, not that the coach caused it."
        ),
        Verdict::CoachUsersLower => format!(
            "{sizes}: those who used it had lower {what}, beyond chance at 95 %. This shows an association, not that the coach caused it."
        ),
    }
}

/// Compares a per-learner measure (e.g. mastery gained) between the groups
/// with Welch's interval for the difference of means (normal quantile).
pub fn compare_means(what: &str, with: &[f64], without: &[f64]) -> Comparison {
    let a = mean_and_variance(with);
    let b = mean_and_variance(without);
    let difference = a.zip(b).map(|((ma, _), (mb, _))| ma - mb);
    let enough = with.len() >= MIN_GROUP && without.len() >= MIN_GROUP;
    let interval = match (a, b, enough) {
        (Some((ma, va)), Some((mb, vb)), true) => {
            let se = (va / with.len() as f64 + vb / without.len() as f64).sqrt();
            Some([ma - mb - Z95 * se, ma - mb + Z95 * se])
        }
        _ => None,
    };
    let v = verdict(interval, enough);
    Comparison {
        with_coach: GroupFigure { learners: with.len(), value: a.map(|(m, _)| m) },
        without_coach: GroupFigure { learners: without.len(), value: b.map(|(m, _)| m) },
        difference,
        interval,
        verdict: v,
        statement: statement(what, v, with.len(), without.len()),
    }
}

/// Compares a yes/no outcome (e.g. came back) between the groups: the
/// difference of the two shares with its Wald interval.
pub fn compare_shares(what: &str, with: &[bool], without: &[bool]) -> Comparison {
    let share = |v: &[bool]| (!v.is_empty()).then(|| v.iter().filter(|x| **x).count() as f64 / v.len() as f64);
    let (a, b) = (share(with), share(without));
    let difference = a.zip(b).map(|(pa, pb)| pa - pb);
    let enough = with.len() >= MIN_GROUP && without.len() >= MIN_GROUP;
    let interval = match (a, b, enough) {
        (Some(pa), Some(pb), true) => {
            let se = (pa * (1.0 - pa) / with.len() as f64 + pb * (1.0 - pb) / without.len() as f64).sqrt();
            Some([pa - pb - Z95 * se, pa - pb + Z95 * se])
        }
        _ => None,
    };
    let v = verdict(interval, enough);
    Comparison {
        with_coach: GroupFigure { learners: with.len(), value: a },
        without_coach: GroupFigure { learners: without.len(), value: b },
        difference,
        interval,
        verdict: v,
        statement: statement(what, v, with.len(), without.len()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_groups_are_not_compared() {
        let c = compare_means("mastery gained", &[1.0, 2.0], &[0.0; 10]);
        assert_eq!(c.verdict, Verdict::TooFewLearners);
        assert_eq!(c.interval, None);
        assert_eq!(c.difference, Some(1.5));
        assert!(c.statement.starts_with("2 learners used the coach, 10 did not"));
    }

    #[test]
    fn a_clear_difference_of_means_and_a_noisy_one() {
        // with: mean 2, sample variance 0.025; without: mean 1, variance 0.025 → se = 0.1.
        let with = [1.8, 1.9, 2.0, 2.1, 2.2];
        let without = [0.8, 0.9, 1.0, 1.1, 1.2];
        let c = compare_means("mastery gained", &with, &without);
        assert_eq!(c.verdict, Verdict::CoachUsersHigher);
        let [low, high] = c.interval.unwrap();
        assert!((low - (1.0 - 1.959_964 * 0.1)).abs() < 1e-9 && (high - (1.0 + 1.959_964 * 0.1)).abs() < 1e-9);
        let noisy = compare_means("mastery gained", &[0.0, 4.0, 0.0, 4.0, 2.0], &[1.0, 1.5, 2.0, 1.0, 1.5]);
        assert_eq!(noisy.verdict, Verdict::NoClearDifference);
        let lower = compare_means("mastery gained", &without, &with);
        assert_eq!(lower.verdict, Verdict::CoachUsersLower);
    }

    #[test]
    fn shares_use_the_wald_interval() {
        let with = [true, true, true, true, true, true, true, true, false, false]; // 0.8
        let without = [true, false, false, false, false, false, false, false, false, false]; // 0.1
        let c = compare_shares("return rate", &with, &without);
        let se = (0.8f64 * 0.2 / 10.0 + 0.1 * 0.9 / 10.0).sqrt();
        let [low, _] = c.interval.unwrap();
        assert!((low - (0.7 - 1.959_964 * se)).abs() < 1e-9);
        assert_eq!(c.verdict, Verdict::CoachUsersHigher);
        assert_eq!(c.with_coach, GroupFigure { learners: 10, value: Some(0.8) });
    }
}
