//! Nudge rules: what triggers a nudge, the message it carries, and whether
//! the nudges of a rule work — people nudged against the rule's holdout, on
//! coming back within 48 hours, with a 95 % interval of the difference.

use serde::Serialize;
use utoipa::ToSchema;

wayfinder_accounts_rules::closed_set! {
/// What makes a rule nudge a learner.
pub enum Trigger {
    /// No activity (a question, an answer, practice) for `days` days.
    Inactive,
    /// A thumbs-down on an answer in the last `days` days: the coach checks in.
    NegativeFeedback,
    /// A concept's review (the FSRS schedule) overdue by `days` days or more.
    ReviewDue,
    /// Stored mastery fell over the last `days` days (wrong answers outweighing right ones by
    /// more than [`MASTERY_FALL`], summed over concepts).
    MasteryFalling,
    /// A goal's deadline within the next `days` days while some of its concepts are not
    /// mastered yet.
    GoalDeadline,
    /// A sequence's check-in left unanswered for `days` days.
    MissedCheckIn,
}
}

wayfinder_accounts_rules::closed_set! {
/// Whom a rule's message goes to about the learner it found.
pub enum Audience {
    /// The learner.
    Learner,
    /// The learner's coaches and parents (an alert about them).
    Supervisors,
    /// Both: the learner gets the message, their coaches and parents the alert.
    Both,
}
}

impl Audience {
    pub fn reaches_learner(self) -> bool {
        matches!(self, Audience::Learner | Audience::Both)
    }

    pub fn reaches_supervisors(self) -> bool {
        matches!(self, Audience::Supervisors | Audience::Both)
    }
}

/// How much stored mastery (summed over concepts) a learner must lose within a rule's window
/// for [`Trigger::MasteryFalling`] to find them: a tenth of one concept's whole range.
pub const MASTERY_FALL: f64 = 0.1;

/// A rule's message with its placeholders filled: `{name}` (the learner's first name),
/// `{learner}` (their whole name, for alerts to their coaches and parents) and `{days}` (the
/// rule's days).
pub fn compose(template: &str, display_name: &str, days: i64) -> String {
    let first = display_name.split_whitespace().next().unwrap_or(display_name);
    template.replace("{name}", first).replace("{learner}", display_name).replace("{days}", &days.to_string())
}

/// The placeholders a rule's messages may use.
pub const PLACEHOLDERS: [&str; 3] = ["{name}", "{learner}", "{days}"];

/// The first `{…}` in `template` that is not one of [`PLACEHOLDERS`].
pub fn unknown_placeholder(template: &str) -> Option<&str> {
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let tail = &rest[start..];
        let end = tail.find('}')?;
        let candidate = &tail[..=end];
        if !PLACEHOLDERS.contains(&candidate) {
            return Some(candidate);
        }
        rest = &tail[end + 1..];
    }
    None
}

/// Hours after a nudge (or the holdout's decision) within which a person counts as back.
pub const RETURN_WINDOW_HOURS: i64 = 48;

/// The normal quantile of a two-sided 95 % interval.
const Z95: f64 = 1.959_964;

/// One arm's figures.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, ToSchema)]
pub struct ArmFigure {
    /// People the rule decided about in this arm.
    pub people: usize,
    /// Of them, those active again within 48 hours.
    pub returned: usize,
    /// `returned / people`, `null` for an empty arm.
    pub return_rate: Option<f64>,
}

impl ArmFigure {
    pub fn new(people: usize, returned: usize) -> ArmFigure {
        ArmFigure { people, returned, return_rate: (people > 0).then(|| returned as f64 / people as f64) }
    }
}

/// Nudged against holdout on coming back.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct ReturnEffect {
    pub nudged: ArmFigure,
    pub holdout: ArmFigure,
    /// Nudged rate − holdout rate, when both arms have people.
    pub difference: Option<f64>,
    /// The 95 % Wald interval of the difference, when both arms have people.
    pub interval: Option<[f64; 2]>,
    /// What the figures support, in a sentence with the counts.
    pub statement: String,
}

/// Compares the arms' return rates (difference of proportions, Wald interval).
pub fn compare_returns(nudged: ArmFigure, holdout: ArmFigure) -> ReturnEffect {
    let (difference, interval) = match (nudged.return_rate, holdout.return_rate) {
        (Some(p1), Some(p2)) => {
            let se = (p1 * (1.0 - p1) / nudged.people as f64 + p2 * (1.0 - p2) / holdout.people as f64).sqrt();
            let d = p1 - p2;
            // A difference of two rates lies within ±1; so does its interval.
            (Some(d), Some([(d - Z95 * se).max(-1.0), (d + Z95 * se).min(1.0)]))
        }
        _ => (None, None),
    };
    let counts = format!(
        "{} of {} nudged and {} of {} held out came back within {RETURN_WINDOW_HOURS} hours",
        nudged.returned, nudged.people, holdout.returned, holdout.people
    );
    let statement = match interval {
        None => format!("{counts}: both groups need people before they can be compared."),
        Some([low, _]) if low > 0.0 => format!("{counts}: the nudge brought more people back, beyond chance at 95 %."),
        Some([_, high]) if high < 0.0 => format!("{counts}: fewer nudged people came back, beyond chance at 95 %."),
        Some(_) => format!("{counts}: no clear difference yet; the interval includes zero."),
    };
    ReturnEffect { nudged, holdout, difference, interval, statement }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_fill_their_placeholders() {
        assert_eq!(compose("Hi {name}, it has been {days} days.", "Lena Ortiz", 3), "Hi Lena, it has been 3 days.");
        assert_eq!(
            compose("{learner} has not practised in {days} days.", "Lena Ortiz", 5),
            "Lena Ortiz has not practised in 5 days."
        );
        assert!(Audience::Both.reaches_learner() && Audience::Both.reaches_supervisors());
        assert_eq!(unknown_placeholder("Hi {name}, {days} days"), None);
        assert_eq!(unknown_placeholder("Hi {foo} and {name}"), Some("{foo}"));
        assert_eq!(unknown_placeholder("{learner} {nme}"), Some("{nme}"));
        assert_eq!(unknown_placeholder("a { b"), None);
        assert!(!Audience::Supervisors.reaches_learner() && !Audience::Learner.reaches_supervisors());
    }

    #[test]
    fn returns_are_compared_with_a_wald_interval() {
        let effect = compare_returns(ArmFigure::new(40, 20), ArmFigure::new(10, 2));
        let d = 0.5 - 0.2;
        let se: f64 = (0.5 * 0.5 / 40.0 + 0.2 * 0.8 / 10.0_f64).sqrt();
        assert!((effect.difference.unwrap() - d).abs() < 1e-12);
        let [low, high] = effect.interval.unwrap();
        assert!((low - (d - 1.959_964 * se)).abs() < 1e-9 && (high - (d + 1.959_964 * se)).abs() < 1e-9);
        assert!(effect.statement.contains("20 of 40 nudged and 2 of 10 held out"), "{}", effect.statement);
        // Small arms far apart: the interval stops at the possible range.
        let wide = compare_returns(ArmFigure::new(7, 2), ArmFigure::new(3, 2));
        let [low, high] = wide.interval.unwrap();
        assert!(low >= -1.0 && high <= 1.0 && low == -1.0, "{low} {high}");
        let empty = compare_returns(ArmFigure::new(3, 1), ArmFigure::new(0, 0));
        assert_eq!((empty.difference, empty.interval), (None, None));
        assert_eq!(empty.holdout.return_rate, None);
    }
}
