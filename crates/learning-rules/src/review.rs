//! Spaced review of mastered concepts, scheduled by FSRS (the Free Spaced Repetition Scheduler,
//! version 5, default weights) through the `rs-fsrs` crate of the Open Spaced Repetition project.
//!
//! The store keeps one [`ReviewCard`] per learner × mastered concept. [`start_card`] opens it when
//! the concept is first mastered, [`review`] moves it after each review answer (graded by
//! [`grade_for`]), [`is_due`] and [`retrievability`] tell what to review and how likely it is
//! remembered. Reviews are day-scale: FSRS's long-term scheduler is used, without the minutes-long
//! learning steps flash-card apps add, because a concept comes back in a later session, not later
//! in the same one. Time is always passed in (Unix seconds), so tests move the clock by hand.

use chrono::{DateTime, Utc};
use rs_fsrs::{Card, FSRS, Parameters, Rating, State};
use serde::{Deserialize, Serialize};

const DAY_SECONDS: i64 = 86_400;

/// Where a card is in FSRS's life cycle (mirrors FSRS's states so stored cards stay valid if the
/// short-term learning steps are ever enabled).
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
    strum::Display,
    strum::EnumString,
    strum::IntoStaticStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum ReviewState {
    /// Never reviewed.
    #[default]
    New,
    /// In FSRS's short-term learning steps (unused by the day-scale scheduler).
    Learning,
    /// On a day-scale review schedule.
    Review,
    /// Forgotten and in short-term relearning steps (unused by the day-scale scheduler).
    Relearning,
}

/// How a review went, on FSRS's four-point scale.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
    strum::Display,
    strum::EnumString,
    strum::IntoStaticStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum ReviewGrade {
    /// Forgotten: the answer was wrong.
    Again,
    /// Recalled with effort.
    Hard,
    /// Recalled.
    Good,
    /// Recalled without effort.
    Easy,
}

/// The review schedule of one learner × concept: FSRS's memory state plus the bookkeeping it needs.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ReviewCard {
    /// When the next review is due, Unix seconds.
    pub due: i64,
    /// FSRS stability: days until recall probability falls to 90%.
    pub stability: f64,
    /// FSRS difficulty, 1 (easy) to 10 (hard).
    pub difficulty: f64,
    /// Whole days between the last two reviews.
    pub elapsed_days: i64,
    /// Whole days from the last review to `due`.
    pub scheduled_days: i64,
    /// Reviews so far (the opening one included).
    pub reps: u32,
    /// Reviews answered wrong after the card was on a review schedule.
    pub lapses: u32,
    pub state: ReviewState,
    /// When the card was last reviewed, Unix seconds; `None` before the first review.
    pub last_review: Option<i64>,
}

/// FSRS with its published default weights, the default desired retention of 0.9 (at which the
/// interval equals the stability in days), no fuzz (so schedules are reproducible) and day-scale
/// scheduling only.
fn scheduler() -> FSRS {
    FSRS::new(Parameters { enable_short_term: false, enable_fuzz: false, ..Parameters::default() })
}

/// The grade of a review answer when the learner does not rate their own recall: a wrong answer is
/// a lapse (Again); a right answer the learner model found unlikely (predicted success < 0.6) took
/// effort (Hard); one it found near-certain (> 0.95) was effortless (Easy); anything else is Good.
/// The cut-offs sit just above the productive band's floor and well above its ceiling, so ordinary
/// in-band answers are Good and only clear surprises change the grade.
pub fn grade_for(correct: bool, predicted_success: f64) -> ReviewGrade {
    match (correct, predicted_success) {
        (false, _) => ReviewGrade::Again,
        (true, p) if p < 0.6 => ReviewGrade::Hard,
        (true, p) if p > 0.95 => ReviewGrade::Easy,
        (true, _) => ReviewGrade::Good,
    }
}

/// The card of a concept mastered at `now`. Reaching mastery counts as a first review graded Good
/// — it is evidence of recall — so the first review falls after FSRS's initial Good stability
/// (≈ 3 days), not immediately.
pub fn start_card(now: i64) -> ReviewCard {
    review(&ReviewCard::default(), ReviewGrade::Good, now)
}

/// The card after a review graded `grade` at `now`: FSRS's new stability, difficulty and due date.
/// A `now` earlier than the last review (clock skew) is treated as the last review's time.
pub fn review(card: &ReviewCard, grade: ReviewGrade, now: i64) -> ReviewCard {
    let now = card.last_review.map_or(now, |last| now.max(last));
    let next = scheduler().next(to_fsrs(card, now), instant(now), rating(grade)).card;
    from_fsrs(&next)
}

/// Whether the card is due at `now`; pass the end of the learner's day to ask "due today".
pub fn is_due(card: &ReviewCard, now: i64) -> bool {
    now >= card.due
}

/// FSRS's forgetting curve: the probability the learner still recalls the concept at `now`,
/// `(1 + 19/81 · t / S)^−0.5` for `t` days (fractional) since the last review and stability `S`.
/// A card never reviewed has retrievability 0.
pub fn retrievability(card: &ReviewCard, now: i64) -> f64 {
    match (card.state, card.last_review) {
        (ReviewState::New, _) | (_, None) => 0.0,
        _ if card.stability <= 0.0 => 0.0,
        (_, Some(last)) => {
            let elapsed_days = (now - last).max(0) as f64 / DAY_SECONDS as f64;
            Parameters::forgetting_curve(elapsed_days, card.stability)
        }
    }
}

fn rating(grade: ReviewGrade) -> Rating {
    match grade {
        ReviewGrade::Again => Rating::Again,
        ReviewGrade::Hard => Rating::Hard,
        ReviewGrade::Good => Rating::Good,
        ReviewGrade::Easy => Rating::Easy,
    }
}

/// Unix seconds as chrono time; values outside chrono's ±262,000-year range (never produced by
/// a real clock) become the epoch rather than a panic.
fn instant(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, 0).unwrap_or(DateTime::UNIX_EPOCH)
}

fn to_fsrs(card: &ReviewCard, now: i64) -> Card {
    Card {
        due: instant(card.due),
        stability: card.stability,
        difficulty: card.difficulty,
        elapsed_days: card.elapsed_days,
        scheduled_days: card.scheduled_days,
        reps: i32::try_from(card.reps).unwrap_or(i32::MAX),
        lapses: i32::try_from(card.lapses).unwrap_or(i32::MAX),
        state: match card.state {
            ReviewState::New => State::New,
            ReviewState::Learning => State::Learning,
            ReviewState::Review => State::Review,
            ReviewState::Relearning => State::Relearning,
        },
        // FSRS reads the last review only for cards already reviewed.
        last_review: instant(card.last_review.unwrap_or(now)),
    }
}

fn from_fsrs(card: &Card) -> ReviewCard {
    ReviewCard {
        due: card.due.timestamp(),
        stability: card.stability,
        difficulty: card.difficulty,
        elapsed_days: card.elapsed_days,
        scheduled_days: card.scheduled_days,
        reps: u32::try_from(card.reps).unwrap_or(0),
        lapses: u32::try_from(card.lapses).unwrap_or(0),
        state: match card.state {
            State::New => ReviewState::New,
            State::Learning => ReviewState::Learning,
            State::Review => ReviewState::Review,
            State::Relearning => ReviewState::Relearning,
        },
        last_review: Some(card.last_review.timestamp()),
    }
}

/// The review card after one piece of evidence on a concept: a graded answer or review on a
/// scheduled concept is a review of its card, graded from correctness and the success the learner
/// model predicted before it (`before`); reaching mastery (`after` at or above
/// [`MASTERED_AT`](crate::path::MASTERED_AT)) or being marked as demonstrated starts the schedule.
pub fn card_after(
    card: Option<ReviewCard>,
    kind: crate::mastery::EvidenceKind,
    outcome: Option<f64>,
    before: f64,
    after: f64,
    at: i64,
) -> Option<ReviewCard> {
    use crate::mastery::EvidenceKind;
    match (card, kind) {
        (Some(card), EvidenceKind::GradedAnswer | EvidenceKind::Review) => {
            let correct = outcome.unwrap_or(0.0) >= 0.5;
            Some(review(&card, grade_for(correct, before), at))
        }
        (Some(card), _) => Some(card),
        (None, EvidenceKind::Demonstrated) => Some(start_card(at)),
        (None, _) if after >= crate::path::MASTERED_AT => Some(start_card(at)),
        (None, _) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-01-05 00:00:00 UTC, an arbitrary fixed clock.
    const T0: i64 = 1_767_571_200;
    const DAY: i64 = DAY_SECONDS;

    /// FSRS-5 default weights w0..w18 as published by the FSRS project (the values rs-fsrs 1.2
    /// ships), written out here so the expected intervals are computed independently of the crate.
    const W: [f64; 19] = [
        0.4072, 1.1829, 3.1262, 15.4722, 7.2102, 0.5316, 1.0651, 0.0234, 1.616, 0.1544, 1.0824, 1.9813, 0.0953, 0.2975,
        2.2042, 0.2407, 2.9466, 0.5034, 0.6567,
    ];

    fn interval_days(card: &ReviewCard) -> i64 {
        (card.due - card.last_review.unwrap()) / DAY
    }

    #[test]
    fn grades_follow_correctness_and_surprise() {
        assert_eq!(grade_for(false, 0.99), ReviewGrade::Again);
        assert_eq!(grade_for(true, 0.59), ReviewGrade::Hard);
        assert_eq!(grade_for(true, 0.6), ReviewGrade::Good);
        assert_eq!(grade_for(true, 0.95), ReviewGrade::Good);
        assert_eq!(grade_for(true, 0.96), ReviewGrade::Easy);
    }

    #[test]
    fn a_mastered_concept_first_comes_back_after_the_initial_good_stability() {
        let card = start_card(T0);
        // S0(Good) = w2 = 3.1262 days; at retention 0.9 the interval is S rounded: 3 days.
        assert!((card.stability - W[2]).abs() < 1e-9);
        // D0(Good) = w4 − e^(w5·(3−1)) + 1 = 7.2102 − e^1.0632 + 1 ≈ 5.3146.
        assert!((card.difficulty - (W[4] - (2.0 * W[5]).exp() + 1.0)).abs() < 1e-9);
        assert_eq!(card.due, T0 + 3 * DAY);
        assert_eq!((card.reps, card.lapses, card.state), (1, 0, ReviewState::Review));
        assert!(!is_due(&card, T0 + 3 * DAY - 1));
        assert!(is_due(&card, T0 + 3 * DAY));
    }

    #[test]
    fn the_second_good_interval_is_what_the_fsrs_formula_gives() {
        // By hand, with the FSRS-5 formulas (t days elapsed, S stability, D difficulty):
        //   R = (1 + 19/81 · t/S)^−0.5                                   forgetting curve
        //   S' = S · (1 + e^w8 · (11 − D) · S^−w9 · (e^(w10·(1 − R)) − 1)) recall stability (Good)
        //   interval = round(S / (19/81) · (0.9^(1/−0.5) − 1)) = round(S)   at retention 0.9
        // Opening card: S = 3.1262, D = 5.3146; reviewed Good on its due date, t = 3:
        //   R = (1 + 0.2346 · 0.9596)^−0.5 = 0.90347, S' = 11.388, interval = 11 days.
        let card = start_card(T0);
        let (s, d, t) = (card.stability, card.difficulty, 3.0);
        let r = (1.0 + 19.0 / 81.0 * t / s).powf(-0.5);
        let expected_stability =
            s * (1.0 + W[8].exp() * (11.0 - d) * s.powf(-W[9]) * ((W[10] * (1.0 - r)).exp() - 1.0));
        let expected_interval = (expected_stability / (19.0 / 81.0) * (0.9f64.powf(1.0 / -0.5) - 1.0)).round() as i64;
        assert_eq!(expected_interval, 11);

        let next = review(&card, ReviewGrade::Good, card.due);
        assert!((next.stability - expected_stability).abs() < 1e-9, "{} vs {expected_stability}", next.stability);
        assert_eq!(interval_days(&next), expected_interval);
        assert_eq!(next.due, T0 + (3 + 11) * DAY);
        assert_eq!(next.elapsed_days, 3);
    }

    #[test]
    fn each_good_review_lengthens_the_interval() {
        let mut card = start_card(T0);
        let mut intervals = vec![interval_days(&card)];
        for _ in 0..5 {
            card = review(&card, ReviewGrade::Good, card.due);
            intervals.push(interval_days(&card));
        }
        assert!(intervals.windows(2).all(|w| w[1] > w[0]), "{intervals:?}");
        // 3, 11 from the formula above; the third interval (S ≈ 36.4) is 36 days.
        assert_eq!(&intervals[..3], &[3, 11, 36]);
        assert_eq!((card.reps, card.lapses), (6, 0));
    }

    #[test]
    fn again_shortens_the_interval_and_counts_a_lapse() {
        let card = review(&start_card(T0), ReviewGrade::Good, T0 + 3 * DAY);
        assert_eq!(interval_days(&card), 11);
        let forgotten = review(&card, ReviewGrade::Again, card.due);
        assert_eq!(forgotten.lapses, 1);
        assert!(forgotten.stability < card.stability);
        // Post-lapse stability w11 · D^−w12 · ((S+1)^w13 − 1) · e^(w14·(1−R)) with S = 11.388,
        // D = 5.267, R = (1 + 19/81 · 11/11.388)^−0.5 = 0.9035 is 2.334: back in 2 days.
        assert_eq!(interval_days(&forgotten), 2);
        // Difficulty rises after a lapse.
        assert!(forgotten.difficulty > card.difficulty);
    }

    #[test]
    fn hard_and_easy_bracket_good() {
        let card = start_card(T0);
        let hard = review(&card, ReviewGrade::Hard, card.due);
        let good = review(&card, ReviewGrade::Good, card.due);
        let easy = review(&card, ReviewGrade::Easy, card.due);
        assert!(interval_days(&hard) < interval_days(&good));
        assert!(interval_days(&good) < interval_days(&easy));
    }

    #[test]
    fn the_schedule_moves_with_the_injected_clock() {
        // The same review a week later than due starts the next interval from that later moment,
        // and a later (harder) recall earns a longer stability.
        let card = start_card(T0);
        let on_time = review(&card, ReviewGrade::Good, card.due);
        let late = review(&card, ReviewGrade::Good, card.due + 7 * DAY);
        assert_eq!(late.last_review, Some(card.due + 7 * DAY));
        assert_eq!(late.elapsed_days, 10);
        assert!(late.stability > on_time.stability);
        // R = (1 + 19/81 · 10/3.1262)^−0.5 = 0.756 gives S' = 25.8: 26 days, against 11 on time.
        assert_eq!(interval_days(&late), 26);
        assert_eq!(interval_days(&on_time), 11);
        // A clock that went backwards is treated as the last review's time, not as negative days.
        let skewed = review(&card, ReviewGrade::Good, T0 - DAY);
        assert_eq!(skewed.last_review, Some(T0));
    }

    #[test]
    fn retrievability_follows_the_forgetting_curve() {
        let card = start_card(T0);
        assert_eq!(retrievability(&card, T0), 1.0);
        // After exactly S days recall is 90% by construction of the curve.
        let at_stability = T0 + (card.stability * DAY as f64) as i64;
        assert!((retrievability(&card, at_stability) - 0.9).abs() < 1e-4);
        // Half a day in: (1 + 19/81 · 0.5/3.1262)^−0.5 ≈ 0.98175 — fractional days count.
        assert!((retrievability(&card, T0 + DAY / 2) - 0.98175).abs() < 1e-4);
        assert_eq!(retrievability(&ReviewCard::default(), T0), 0.0);
    }

    #[test]
    fn cards_round_trip_through_json() {
        let card = start_card(T0);
        let json = serde_json::to_value(&card).unwrap();
        assert_eq!(json["state"], "review");
        assert_eq!(json["last_review"], T0);
        let back: ReviewCard = serde_json::from_value(json).unwrap();
        assert_eq!(back, card);
    }
}
