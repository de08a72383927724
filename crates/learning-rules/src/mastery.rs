//! The learner model: for every learner and concept, the probability that the learner has
//! mastered the concept, estimated online from evidence.
//!
//! The model is a logistic regression over named features of the learner's history ("Best-LR"
//! style, Gervet et al. 2020) with per-concept adjustments of the weights: `logit p = concept bias
//! + Σ (weight + concept's adjustment) · feature`. It was chosen by measurement with
//! `wayfinder eval mastery` (AUC on held-out students; deep models as cited by Zhang et al. 2017):
//!
//! | model | ASSIST2009 | ASSIST2015 | Statics |
//! |---|---|---|---|
//! | per-skill correct rate | 0.620 | 0.643 | 0.796 |
//! | PFA-style logistic | 0.715 | 0.704 | 0.796 |
//! | these features, global weights | 0.774 | 0.716 | 0.828 |
//! | these features, per-concept adjustments (the default) | 0.806 | 0.727 | 0.833 |
//! | DKT / DKVMN (cited) | 0.805 / 0.816 | 0.725 / 0.727 | 0.802 / 0.828 |
//!
//! On ASSIST2009 much of the per-concept gain is the log's own: a problem tagged with two skills
//! is logged once per skill, in a row, with the same outcome, so for some concepts the previous
//! answer on another concept all but gives the answer away (deep models profit from it too).
//!
//! Because the prediction is a sum, it decomposes into named [`Contribution`]s, which is what
//! [`explain`] tells a coach. A prediction takes a fraction of a microsecond, an update less.
//!
//! - State is two small serde structs, [`LearnerState`] (org-wide history of one learner) and
//!   [`ConceptState`] (one learner × concept), each updated in O(1) by [`update`].
//! - Parameters are [`MasteryParams`] (global weights and hyper-parameters; `Default` is usable
//!   before any fit) and one [`ConceptParams`] per concept (its bias: easy > 0 > hard). [`fit`]
//!   estimates both from an organisation's own replayed evidence, in the background.
//! - Forgetting: the evidence of practice on a concept (the contributions of the features that
//!   [`Feature::fades`]: successes, failures, recent and last outcome, exposures, demonstration),
//!   when it adds up to a gain, is scaled by a retention `2^(−elapsed / half-life)`; the half-life
//!   grows with each success (spaced practice lasts longer). Mastery therefore falls towards what
//!   the learner's overall record alone predicts as time passes, never rises; a net loss (more
//!   failures than the successes make up for) is not forgotten.

mod fit;
pub mod metrics;
#[cfg(test)]
mod tests;

pub use fit::{FitOptions, FittedModel, LearnerSequence, MIN_ANSWERS_TO_FIT, Observation, fit, fit_with};

use serde::{Deserialize, Serialize};
use std::{collections::BTreeMap, fmt::Write as _};
use strum::{EnumCount, VariantArray};

/// Seconds in a day, for half-lives given in days.
const DAY_SECONDS: f64 = 86_400.0;

/// How many of a concept's latest outcomes [`ConceptState`] keeps for explanations.
pub const RECENT_OUTCOMES_KEPT: u8 = 16;

/// How many of the latest outcomes the explanation counts ("5 of the last 6").
pub const EXPLAINED_OUTCOMES: u8 = 6;

/// What a piece of evidence is.
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
pub enum EvidenceKind {
    /// A graded answer (practice or placement), with its outcome.
    GradedAnswer,
    /// A graded answer given during a scheduled review; counts as a graded answer.
    Review,
    /// A coach or admin marked the concept as demonstrated: strong positive evidence.
    Demonstrated,
    /// A conversation turn retrieved passages of the concept: weak evidence of exposure, never a
    /// success.
    Exposure,
}

impl EvidenceKind {
    /// Whether this evidence is a graded answer, i.e. a prediction target.
    pub fn is_graded(self) -> bool {
        matches!(self, Self::GradedAnswer | Self::Review)
    }
}

/// One piece of evidence about a learner and a concept.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Evidence {
    pub kind: EvidenceKind,
    /// The graded outcome, 0 (wrong) to 1 (right); ignored for `demonstrated` and `exposure`.
    pub outcome: Option<f64>,
    /// When it happened, in Unix seconds.
    pub at: i64,
}

impl Evidence {
    /// A graded answer, right or wrong.
    pub fn answer(correct: bool, at: i64) -> Self {
        Self { kind: EvidenceKind::GradedAnswer, outcome: Some(if correct { 1.0 } else { 0.0 }), at }
    }

    /// Evidence of a kind that carries no outcome (`demonstrated`, `exposure`).
    pub fn of_kind(kind: EvidenceKind, at: i64) -> Self {
        Self { kind, outcome: None, at }
    }

    /// The outcome a graded answer counts with (0..1), `None` for other kinds.
    pub fn graded_outcome(&self) -> Option<f64> {
        if self.kind.is_graded() { Some(self.outcome.unwrap_or(0.0).clamp(0.0, 1.0)) } else { None }
    }
}

/// A named input of the model; its contribution to the logit is `weight × value`.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
    strum::Display,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::EnumCount,
    strum::VariantArray,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Feature {
    /// Always 1: the base rate of a concept of average difficulty.
    Intercept,
    /// The concept's own bias, from [`ConceptParams`] (its weight is 1).
    ConceptDifficulty,
    /// Logit of the learner's smoothed success rate over all concepts.
    LearnerSuccessRate,
    /// log(1 + the learner's graded answers over all concepts).
    LearnerAnswers,
    /// The learner's recent outcomes over all concepts (exponentially weighted average).
    LearnerRecent,
    /// The outcome of the learner's previous answer when it was on another concept.
    PreviousAnswerElsewhere,
    /// The outcome of the previous answer when it came right after one on this concept
    /// (interleaved practice: this concept, another, this one again).
    PreviousAnswerInterleaved,
    /// 1 when the previous answer was on this same concept (a run of practice).
    ContinuesPractice,
    /// 1 when the learner has never answered on this concept.
    FirstAttempt,
    /// log(1 + successes on this concept).
    ConceptSuccesses,
    /// log(1 + failures on this concept).
    ConceptFailures,
    /// Recent outcomes on this concept (exponentially weighted average).
    ConceptRecent,
    /// The last outcome on this concept.
    ConceptLastOutcome,
    /// log(1 + the learner's answers on other concepts since this one was last answered).
    AnswersSinceSeen,
    /// log(1 + conversation exposures to this concept).
    ConceptExposures,
    /// 1 when a coach marked the concept as demonstrated.
    Demonstrated,
    /// Logit of the mean mastery of the concept's prerequisites until the learner answers on the
    /// concept itself (0 after that, or when it has none): a prior that the concept's own answers
    /// replace, so strong prerequisites never outweigh a wrong answer on the concept.
    Prerequisites,
}

impl Feature {
    /// Every feature, in the order of their weights.
    pub const ALL: &'static [Feature] = Self::VARIANTS;

    /// What the feature means, for a coach.
    pub fn describe(self) -> &'static str {
        match self {
            Self::Intercept => "base rate",
            Self::ConceptDifficulty => "difficulty of this concept",
            Self::LearnerSuccessRate => "overall success rate",
            Self::LearnerAnswers => "amount of practice overall",
            Self::LearnerRecent => "recent answers on all concepts",
            Self::PreviousAnswerElsewhere => "previous answer on another concept",
            Self::PreviousAnswerInterleaved => "answer on the concept practised alongside",
            Self::ContinuesPractice => "practising this concept right now",
            Self::FirstAttempt => "no answer on this concept yet",
            Self::ConceptSuccesses => "right answers on this concept",
            Self::ConceptFailures => "wrong answers on this concept",
            Self::ConceptRecent => "recent answers on this concept",
            Self::ConceptLastOutcome => "last answer on this concept",
            Self::AnswersSinceSeen => "time away from this concept",
            Self::ConceptExposures => "conversations about this concept",
            Self::Demonstrated => "marked as demonstrated",
            Self::Prerequisites => "mastery of its prerequisites",
        }
    }

    /// Whether the feature is evidence of practice on the concept, which forgetting fades.
    pub fn fades(self) -> bool {
        matches!(
            self,
            Self::ConceptSuccesses
                | Self::ConceptFailures
                | Self::ConceptRecent
                | Self::ConceptLastOutcome
                | Self::ConceptExposures
                | Self::Demonstrated
        )
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// One weight per [`Feature`]; serialised as a map from feature name to weight, so stored
/// parameters survive features being added (a missing feature keeps its default weight).
#[derive(Clone, Debug, PartialEq)]
pub struct FeatureWeights(pub [f64; Feature::COUNT]);

impl FeatureWeights {
    /// The weight of one feature.
    pub fn get(&self, feature: Feature) -> f64 {
        self.0[feature.index()]
    }

    /// Sets the weight of one feature.
    pub fn set(&mut self, feature: Feature, weight: f64) {
        self.0[feature.index()] = weight;
    }
}

impl Default for FeatureWeights {
    /// Weights that make sense before any fit: rounded from fits on the ASSISTments 2009 and
    /// 2015 logs (skills practised on a platform, the closest to an organisation's concepts);
    /// the features those logs lack (exposures, demonstrations, prerequisites) set by judgement.
    fn default() -> Self {
        let mut w = Self([0.0; Feature::COUNT]);
        for (feature, weight) in [
            (Feature::Intercept, 0.0),
            (Feature::ConceptDifficulty, 1.0),
            (Feature::LearnerSuccessRate, 0.5),
            (Feature::LearnerAnswers, -0.05),
            (Feature::LearnerRecent, 0.6),
            (Feature::PreviousAnswerElsewhere, 0.2),
            (Feature::PreviousAnswerInterleaved, 0.2),
            (Feature::ContinuesPractice, 0.25),
            (Feature::FirstAttempt, -0.3),
            (Feature::ConceptSuccesses, 0.3),
            (Feature::ConceptFailures, -0.2),
            (Feature::ConceptRecent, 0.1),
            (Feature::ConceptLastOutcome, 0.2),
            (Feature::AnswersSinceSeen, -0.07),
            (Feature::ConceptExposures, 0.15),
            (Feature::Demonstrated, 2.0),
            (Feature::Prerequisites, 0.4),
        ] {
            w.set(feature, weight);
        }
        w
    }
}

impl Serialize for FeatureWeights {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(Feature::COUNT))?;
        for &feature in Feature::ALL {
            map.serialize_entry(&feature, &self.get(feature))?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for FeatureWeights {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let given = BTreeMap::<Feature, f64>::deserialize(deserializer)?;
        let mut weights = Self::default();
        for (feature, weight) in given {
            weights.set(feature, weight);
        }
        Ok(weights)
    }
}

/// The model's global parameters: the fitted weights and the hyper-parameters chosen by
/// measurement. `Default` is usable before an organisation has enough data to fit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MasteryParams {
    pub weights: FeatureWeights,
    /// Bias of a concept with no fitted parameters (added to the intercept).
    pub default_concept_bias: f64,
    /// How much the latest answer on a concept counts in its recent average (0..1).
    pub concept_recent_rate: f64,
    /// How much the latest answer counts in the learner's recent average over all concepts.
    pub learner_recent_rate: f64,
    /// Pseudo-answers (half right) that smooth the learner's success rate.
    pub learner_prior_answers: f64,
    /// Days after which practice evidence counts half, for a concept with no success yet. The
    /// answer logs the model was measured on carry no times, so this is a documented default,
    /// not a fit: about a week, the scale of the forgetting curves in spaced-practice studies.
    pub half_life_days: f64,
    /// How much each success lengthens the half-life (`half-life × (1 + gain × successes)`).
    pub half_life_gain_per_success: f64,
    /// How many successes a `demonstrated` mark counts as.
    pub demonstrated_successes: f64,
    /// Features whose weight the fit adjusts per concept (on top of the global weight, held
    /// back towards it by [`FitOptions::concept_weight_penalty`]), for concepts where, say, the
    /// previous answer or past successes say more than on others. By default every feature the
    /// answer logs carry: that gained 0.03 AUC on ASSIST2009, 0.01 on ASSIST2015, 0.005 on Statics.
    pub per_concept: Vec<Feature>,
}

impl Default for MasteryParams {
    fn default() -> Self {
        Self {
            weights: FeatureWeights::default(),
            default_concept_bias: 0.0,
            concept_recent_rate: 0.4,
            learner_recent_rate: 0.3,
            learner_prior_answers: 4.0,
            half_life_days: 7.0,
            half_life_gain_per_success: 0.5,
            demonstrated_successes: 3.0,
            per_concept: vec![
                Feature::LearnerSuccessRate,
                Feature::LearnerAnswers,
                Feature::LearnerRecent,
                Feature::PreviousAnswerElsewhere,
                Feature::PreviousAnswerInterleaved,
                Feature::ContinuesPractice,
                Feature::FirstAttempt,
                Feature::ConceptSuccesses,
                Feature::ConceptFailures,
                Feature::ConceptRecent,
                Feature::ConceptLastOutcome,
                Feature::AnswersSinceSeen,
            ],
        }
    }
}

/// The fitted parameters of one concept.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConceptParams {
    /// Added to the logit: > 0 for an easier concept than average, < 0 for a harder one.
    pub bias: f64,
    /// Adjustments of global weights for this concept (see [`MasteryParams::per_concept`]).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub weights: BTreeMap<Feature, f64>,
    /// How many graded answers the fit saw on this concept.
    #[serde(default)]
    pub answers: u64,
}

impl ConceptParams {
    /// The parameters of a concept the fit has not seen.
    pub fn unseen(params: &MasteryParams) -> Self {
        Self { bias: params.default_concept_bias, weights: BTreeMap::new(), answers: 0 }
    }

    /// The weight of `feature` for this concept: the global weight plus this concept's adjustment.
    pub fn weight(&self, params: &MasteryParams, feature: Feature) -> f64 {
        if feature == Feature::ConceptDifficulty {
            return 1.0;
        }
        params.weights.get(feature) + self.weights.get(&feature).copied().unwrap_or(0.0)
    }
}

/// What the model keeps about one learner across all concepts of an organisation.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct LearnerState {
    /// Graded answers so far; also the step counter that [`ConceptState::last_step`] refers to.
    pub answers: u64,
    /// Sum of graded outcomes.
    pub score: f64,
    /// Exponentially weighted sum of outcomes and of weights (the recent average is their ratio).
    pub recent_sum: f64,
    pub recent_weight: f64,
    /// Outcome of the latest graded answer.
    pub last_outcome: Option<f64>,
    /// Time of the latest evidence of any kind.
    pub last_at: Option<i64>,
}

/// What the model keeps about one learner and one concept.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConceptState {
    /// Graded answers on this concept.
    pub answers: u32,
    /// Sum of graded outcomes (plus demonstrations, as successes).
    pub successes: f64,
    /// Sum of (1 − outcome) over graded answers.
    pub failures: f64,
    /// Exponentially weighted sum of outcomes and of weights on this concept.
    pub recent_sum: f64,
    pub recent_weight: f64,
    /// Outcome of the latest graded answer on this concept.
    pub last_outcome: Option<f64>,
    /// The latest outcomes, newest in bit 0 (1 = right), and how many bits are valid.
    pub recent_bits: u16,
    pub recent_len: u8,
    /// Conversation turns that exposed the learner to this concept.
    pub exposures: u32,
    /// Times a coach or admin marked it demonstrated.
    pub demonstrated: u32,
    /// The learner's answer count ([`LearnerState::answers`]) right after the latest answer here.
    pub last_step: u64,
    /// Time of the latest graded answer or demonstration (what forgetting counts from).
    pub last_practised_at: Option<i64>,
}

impl ConceptState {
    /// Of the latest `n` graded answers (at most [`RECENT_OUTCOMES_KEPT`]): how many were
    /// counted, and how many of those were right.
    pub fn recent_right(&self, n: u8) -> (u8, u8) {
        let n = n.min(self.recent_len).min(RECENT_OUTCOMES_KEPT);
        let mask = if n >= 16 { u16::MAX } else { (1u16 << n) - 1 };
        (n, (self.recent_bits & mask).count_ones() as u8)
    }

    /// The share of practice evidence still remembered at `now` (1 right after practice).
    pub fn retention(&self, params: &MasteryParams, now: i64) -> f64 {
        let Some(at) = self.last_practised_at else { return 1.0 };
        let elapsed_days = (now - at).max(0) as f64 / DAY_SECONDS;
        let half_life = params.half_life_days * (1.0 + params.half_life_gain_per_success * self.successes.max(0.0));
        if half_life <= 0.0 { 1.0 } else { (-elapsed_days / half_life * std::f64::consts::LN_2).exp() }
    }
}

/// One feature's part in a prediction.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Contribution {
    pub feature: Feature,
    /// The feature's value for this learner and concept.
    pub input: f64,
    /// Its contribution to the logit: `weight × input`, times the retention for a fading
    /// feature when the practice evidence adds up to a gain.
    pub value: f64,
}

/// A mastery estimate with the reasons behind it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Prediction {
    /// Probability that the learner answers right now, i.e. the mastery estimate.
    pub probability: f64,
    /// Every feature's contribution to the logit; their sum is `logit(probability)`.
    pub contributions: Vec<Contribution>,
    /// The share of practice evidence still remembered (1: practised just now); the
    /// contributions of fading features are already scaled by it when they add up to a gain.
    pub retention: f64,
    /// Days since the concept was last practised, if ever.
    pub days_since_practice: Option<f64>,
}

fn logit(p: f64) -> f64 {
    let p = p.clamp(1e-4, 1.0 - 1e-4);
    (p / (1.0 - p)).ln()
}

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// The feature values (inputs) for a learner and concept; the concept bias is the
/// [`Feature::ConceptDifficulty`] input. This is the one definition the fit and the predictions
/// share. Time does not enter here but through the retention in [`predict`].
pub fn feature_values(
    params: &MasteryParams,
    concept: &ConceptParams,
    learner: &LearnerState,
    state: &ConceptState,
    prerequisite_mastery: Option<f64>,
) -> [f64; Feature::COUNT] {
    let mut x = [0.0; Feature::COUNT];
    let seen = state.answers > 0;
    let prior = params.learner_prior_answers.max(0.0);
    x[Feature::Intercept.index()] = 1.0;
    x[Feature::ConceptDifficulty.index()] = concept.bias;
    x[Feature::LearnerSuccessRate.index()] =
        logit((learner.score + 0.5 * prior + 0.5) / (learner.answers as f64 + prior + 1.0));
    x[Feature::LearnerAnswers.index()] = (learner.answers as f64).ln_1p();
    x[Feature::LearnerRecent.index()] =
        if learner.recent_weight > 0.0 { learner.recent_sum / learner.recent_weight } else { 0.5 };
    let continues = seen && state.last_step == learner.answers;
    if !continues {
        x[Feature::PreviousAnswerElsewhere.index()] = learner.last_outcome.map_or(0.0, |o| 2.0 * o - 1.0);
    }
    if seen && state.last_step + 1 == learner.answers {
        x[Feature::PreviousAnswerInterleaved.index()] = learner.last_outcome.map_or(0.0, |o| 2.0 * o - 1.0);
    }
    x[Feature::ContinuesPractice.index()] = f64::from(u8::from(continues));
    x[Feature::FirstAttempt.index()] = f64::from(u8::from(!seen));
    x[Feature::ConceptSuccesses.index()] = state.successes.max(0.0).ln_1p();
    x[Feature::ConceptFailures.index()] = state.failures.max(0.0).ln_1p();
    if state.recent_weight > 0.0 {
        x[Feature::ConceptRecent.index()] = state.recent_sum / state.recent_weight;
    }
    x[Feature::ConceptLastOutcome.index()] = state.last_outcome.unwrap_or(0.0);
    if seen {
        x[Feature::AnswersSinceSeen.index()] = (learner.answers.saturating_sub(state.last_step) as f64).ln_1p();
    }
    x[Feature::ConceptExposures.index()] = f64::from(state.exposures).ln_1p();
    x[Feature::Demonstrated.index()] = f64::from(u8::from(state.demonstrated > 0));
    if !seen {
        x[Feature::Prerequisites.index()] = prerequisite_mastery.map_or(0.0, logit);
    }
    x
}

/// What [`predict`] takes as `prerequisite_mastery`: the mean stored mastery of a concept's
/// direct prerequisites that have any evidence; `None` when it has no prerequisites or none
/// has evidence yet (no evidence is no information, not failure).
pub fn prerequisite_mastery(stored: impl IntoIterator<Item = Option<f64>>) -> Option<f64> {
    let (sum, n) = stored.into_iter().flatten().fold((0.0, 0usize), |(sum, n), m| (sum + m, n + 1));
    (n > 0).then(|| sum / n as f64)
}

/// The mastery estimate for a learner and concept at `now` (Unix seconds), with its reasons.
/// `prerequisite_mastery` is the mean mastery of the concept's prerequisites, if it has any
/// ([`prerequisite_mastery`]).
pub fn predict(
    params: &MasteryParams,
    concept: &ConceptParams,
    learner: &LearnerState,
    state: &ConceptState,
    prerequisite_mastery: Option<f64>,
    now: i64,
) -> Prediction {
    let x = feature_values(params, concept, learner, state, prerequisite_mastery);
    let mut contributions: Vec<Contribution> = Feature::ALL
        .iter()
        .map(|&feature| {
            let input = x[feature.index()];
            Contribution { feature, input, value: concept.weight(params, feature) * input }
        })
        .collect();
    let retention = state.retention(params, now);
    let practice: f64 = contributions.iter().filter(|c| c.feature.fades()).map(|c| c.value).sum();
    if practice > 0.0 {
        contributions.iter_mut().filter(|c| c.feature.fades()).for_each(|c| c.value *= retention);
    }
    let z: f64 = contributions.iter().map(|c| c.value).sum();
    Prediction {
        probability: sigmoid(z),
        contributions,
        retention,
        days_since_practice: state.last_practised_at.map(|at| (now - at).max(0) as f64 / DAY_SECONDS),
    }
}

/// Folds one piece of evidence into the learner's and the concept's state, in O(1).
pub fn update(params: &MasteryParams, learner: &mut LearnerState, state: &mut ConceptState, evidence: Evidence) {
    learner.last_at = Some(learner.last_at.map_or(evidence.at, |t| t.max(evidence.at)));
    match evidence.kind {
        EvidenceKind::GradedAnswer | EvidenceKind::Review => {
            let y = evidence.graded_outcome().unwrap_or(0.0);
            learner.answers += 1;
            learner.score += y;
            let rate = params.learner_recent_rate.clamp(0.0, 1.0);
            learner.recent_sum = (1.0 - rate) * learner.recent_sum + rate * y;
            learner.recent_weight = (1.0 - rate) * learner.recent_weight + rate;
            learner.last_outcome = Some(y);

            state.answers += 1;
            state.successes += y;
            state.failures += 1.0 - y;
            let rate = params.concept_recent_rate.clamp(0.0, 1.0);
            state.recent_sum = (1.0 - rate) * state.recent_sum + rate * y;
            state.recent_weight = (1.0 - rate) * state.recent_weight + rate;
            state.last_outcome = Some(y);
            state.recent_bits = (state.recent_bits << 1) | u16::from(y >= 0.5);
            state.recent_len = (state.recent_len + 1).min(RECENT_OUTCOMES_KEPT);
            state.last_step = learner.answers;
            state.last_practised_at = Some(state.last_practised_at.map_or(evidence.at, |t| t.max(evidence.at)));
        }
        EvidenceKind::Demonstrated => {
            // Counts as several successes and resets the recent average towards right, but is
            // not an answer: the learner's answer counts and the explanation's ring stay as they are.
            let n = params.demonstrated_successes.max(0.0);
            state.demonstrated += 1;
            state.successes += n;
            let keep = (1.0 - params.concept_recent_rate.clamp(0.0, 1.0)).powf(n);
            state.recent_sum = keep * state.recent_sum + (1.0 - keep);
            state.recent_weight = keep * state.recent_weight + (1.0 - keep);
            state.last_practised_at = Some(state.last_practised_at.map_or(evidence.at, |t| t.max(evidence.at)));
        }
        EvidenceKind::Exposure => {
            // Weak: only the exposure count moves; no success, no refresh of retention.
            state.exposures = state.exposures.saturating_add(1);
        }
    }
}

/// The coach-facing sentence for a prediction, e.g. "Mastery 82 % because 5 of the last 6
/// answers on this concept were right; …".
pub fn explain(prediction: &Prediction, state: &ConceptState) -> String {
    let mut text = format!("Mastery {:.0} %", prediction.probability * 100.0);
    let (n, right) = state.recent_right(EXPLAINED_OUTCOMES);
    if n == 0 {
        text.push_str(" with no answer on this concept yet");
    } else if u32::from(n) == state.answers {
        let _ = write!(text, " because {right} of {n} answer{} on this concept {} right", plural(n), were(n));
    } else {
        let _ = write!(text, " because {right} of the last {n} answers on this concept were right");
    }
    if state.demonstrated > 0 {
        text.push_str(", marked as demonstrated");
    }
    if state.exposures > 0 {
        let _ = write!(text, ", met in {} conversation{}", state.exposures, plural(state.exposures.min(255) as u8));
    }
    if let Some(days) = prediction.days_since_practice.filter(|d| *d >= 1.0) {
        let _ = write!(
            text,
            ", last practised {days:.0} day{} ago (recent evidence counts {:.0}%)",
            if days.round() == 1.0 { "" } else { "s" },
            100.0 * prediction.retention
        );
    }
    let mut main: Vec<&Contribution> =
        prediction.contributions.iter().filter(|c| c.feature != Feature::Intercept && c.value.abs() >= 0.05).collect();
    main.sort_by(|a, b| b.value.abs().total_cmp(&a.value.abs()));
    if !main.is_empty() {
        text.push_str("; main factors: ");
        let parts: Vec<String> =
            main.iter().take(3).map(|c| format!("{} ({:+.2})", c.feature.describe(), c.value)).collect();
        text.push_str(&parts.join(", "));
    }
    text
}

fn plural(n: u8) -> &'static str {
    if n == 1 { "" } else { "s" }
}

fn were(n: u8) -> &'static str {
    if n == 1 { "was" } else { "were" }
}
