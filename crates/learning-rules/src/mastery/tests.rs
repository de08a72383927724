use super::*;

const T0: i64 = 1_700_000_000;

fn p(params: &MasteryParams, learner: &LearnerState, state: &ConceptState, now: i64) -> f64 {
    predict(params, &ConceptParams::unseen(params), learner, state, None, now).probability
}

fn answered(params: &MasteryParams, outcomes: &[bool]) -> (LearnerState, ConceptState) {
    let mut learner = LearnerState::default();
    let mut state = ConceptState::default();
    for &right in outcomes {
        update(params, &mut learner, &mut state, Evidence::answer(right, T0));
    }
    (learner, state)
}

#[test]
fn auc_matches_a_hand_computed_case() {
    // Right answers predicted 0.35, 0.8, 0.4; wrong ones 0.1, 0.4. Of the 6 (right, wrong)
    // pairs: 0.35>0.1 yes, 0.35>0.4 no, 0.8>0.1 yes, 0.8>0.4 yes, 0.4>0.1 yes, 0.4=0.4 half
    // → (1+0+1+1+1+0.5)/6 = 4.5/6 = 0.75.
    let predictions = [0.1, 0.4, 0.35, 0.8, 0.4];
    let outcomes = [false, false, true, true, true];
    let auc = metrics::auc(&predictions, &outcomes).unwrap();
    assert!((auc - 0.75).abs() < 1e-12, "{auc}");
    assert_eq!(metrics::auc(&[0.3, 0.6], &[true, true]), None, "one class only");
    // Errors 0.5 and 1 → sqrt((0.25 + 1) / 2).
    assert!((metrics::rmse(&[0.5, 1.0], &[true, false]) - 0.625f64.sqrt()).abs() < 1e-12);
    // 0.8 → right (hit), 0.3 → wrong (hit), 0.6 → right (miss) → 2/3.
    assert!((metrics::accuracy(&[0.8, 0.3, 0.6], &[true, false, false], 0.5) - 2.0 / 3.0).abs() < 1e-12);
}

#[test]
fn right_answers_raise_mastery_and_wrong_ones_lower_it() {
    let params = MasteryParams::default();
    let (learner, state) = answered(&params, &[true, false, true]);
    let before = p(&params, &learner, &state, T0);
    let (mut l, mut s) = (learner.clone(), state.clone());
    update(&params, &mut l, &mut s, Evidence::answer(true, T0));
    assert!(p(&params, &l, &s, T0) > before);
    let (mut l, mut s) = (learner.clone(), state.clone());
    update(&params, &mut l, &mut s, Evidence::answer(false, T0));
    assert!(p(&params, &l, &s, T0) < before);
    // A run of right answers ends far above a run of wrong ones.
    let (l_right, s_right) = answered(&params, &[true; 5]);
    let (l_wrong, s_wrong) = answered(&params, &[false; 5]);
    assert!(p(&params, &l_right, &s_right, T0) > 0.8);
    assert!(p(&params, &l_wrong, &s_wrong, T0) < 0.4);
}

#[test]
fn exposure_moves_mastery_less_than_a_right_answer_and_demonstration_more() {
    let params = MasteryParams::default();
    let (learner, state) = answered(&params, &[false, true]);
    let before = p(&params, &learner, &state, T0);
    let after = |kind: EvidenceKind| {
        let (mut l, mut s) = (learner.clone(), state.clone());
        let evidence =
            if kind.is_graded() { Evidence { kind, outcome: Some(1.0), at: T0 } } else { Evidence::of_kind(kind, T0) };
        update(&params, &mut l, &mut s, evidence);
        p(&params, &l, &s, T0)
    };
    let exposed = after(EvidenceKind::Exposure);
    let answered_right = after(EvidenceKind::GradedAnswer);
    assert!(exposed > before, "an exposure nudges mastery up");
    assert!(exposed - before < answered_right - before, "but less than a right answer");
    assert_eq!(after(EvidenceKind::Review), answered_right, "a review counts as an answer");
    assert!(after(EvidenceKind::Demonstrated) > answered_right, "a demonstration is strong evidence");
    // An exposure is not a success: the counts of answers do not move.
    let (mut l, mut s) = (learner.clone(), state.clone());
    update(&params, &mut l, &mut s, Evidence::of_kind(EvidenceKind::Exposure, T0));
    assert_eq!((s.answers, s.successes, l.answers), (state.answers, state.successes, learner.answers));
}

#[test]
fn mastery_decays_without_practice() {
    let params = MasteryParams::default();
    let (learner, state) = answered(&params, &[true, true, false, true, true]);
    let day = 86_400;
    let series: Vec<f64> = [0, 1, 7, 30, 365].iter().map(|d| p(&params, &learner, &state, T0 + d * day)).collect();
    assert!(series.windows(2).all(|w| w[1] < w[0]), "{series:?}");
    // What is forgotten is a gain: a record of failures does not improve with time.
    let (l_wrong, s_wrong) = answered(&params, &[false; 5]);
    assert!(p(&params, &l_wrong, &s_wrong, T0 + 30 * day) <= p(&params, &l_wrong, &s_wrong, T0));
    // More successes forget more slowly.
    let (l_more, s_more) = answered(&params, &[true; 10]);
    assert!(s_more.retention(&params, T0 + 7 * day) > state.retention(&params, T0 + 7 * day));
    let prediction = predict(&params, &ConceptParams::unseen(&params), &l_more, &s_more, None, T0 + 7 * day);
    assert!((prediction.days_since_practice.unwrap() - 7.0).abs() < 1e-9);
}

#[test]
fn contributions_add_up_to_the_prediction() {
    let params = MasteryParams::default();
    let (learner, state) = answered(&params, &[true, false, true, true]);
    let concept = ConceptParams { bias: -0.7, weights: [(Feature::ConceptRecent, 0.5)].into(), answers: 100 };
    let prediction = predict(&params, &concept, &learner, &state, Some(0.9), T0 + 3 * 86_400);
    let z: f64 = prediction.contributions.iter().map(|c| c.value).sum();
    assert!((1.0 / (1.0 + (-z).exp()) - prediction.probability).abs() < 1e-12);
    let difficulty = prediction.contributions.iter().find(|c| c.feature == Feature::ConceptDifficulty).unwrap();
    assert_eq!(difficulty.value, -0.7);
    // Prerequisites are a prior for a concept not yet answered; its own answers replace it.
    let prerequisites = prediction.contributions.iter().find(|c| c.feature == Feature::Prerequisites).unwrap();
    assert_eq!(prerequisites.value, 0.0, "answered: the concept's own answers speak");
    let unseen = ConceptState::default();
    let before = predict(&params, &concept, &learner, &unseen, Some(0.9), T0 + 3 * 86_400);
    let prerequisites = before.contributions.iter().find(|c| c.feature == Feature::Prerequisites).unwrap();
    assert!(prerequisites.value > 0.0, "mastered prerequisites raise a concept not yet answered");
    let weak = predict(&params, &concept, &learner, &unseen, Some(0.2), T0 + 3 * 86_400);
    assert!(weak.probability < before.probability);
    // The concept's own adjustment adds to the global weight; three days fade the practice.
    let recent = prediction.contributions.iter().find(|c| c.feature == Feature::ConceptRecent).unwrap();
    let weight = params.weights.get(Feature::ConceptRecent) + 0.5;
    assert!(prediction.retention < 1.0);
    assert!((recent.value - weight * recent.input * prediction.retention).abs() < 1e-12);
    let json = serde_json::to_string(&concept).unwrap();
    assert!(json.contains(r#""weights":{"concept_recent":0.5}"#), "{json}");
    assert_eq!(serde_json::from_str::<ConceptParams>(&json).unwrap(), concept);
}

#[test]
fn the_explanation_counts_match_the_evidence() {
    let params = MasteryParams::default();
    // Last six: right, right, wrong, right, right, right → 5 of the last 6.
    let (learner, mut state) = answered(&params, &[false, true, true, false, true, true, true]);
    assert_eq!(state.recent_right(EXPLAINED_OUTCOMES), (6, 5));
    update(&params, &mut LearnerState::default(), &mut state, Evidence::of_kind(EvidenceKind::Exposure, T0));
    let prediction = predict(&params, &ConceptParams::unseen(&params), &learner, &state, None, T0 + 10 * 86_400);
    let text = explain(&prediction, &state);
    assert!(
        text.starts_with(&format!("Mastery {:.0} % because 5 of the last 6 answers", prediction.probability * 100.0)),
        "{text}"
    );
    assert!(text.contains("met in 1 conversation,"), "{text}");
    assert!(text.contains("last practised 10 days ago"), "{text}");
    assert!(text.contains("main factors: "), "{text}");

    let (learner, state) = answered(&params, &[true, false, true]);
    let text = explain(&predict(&params, &ConceptParams::unseen(&params), &learner, &state, None, T0), &state);
    assert!(text.contains("because 2 of 3 answers on this concept were right"), "{text}");
    let text = explain(
        &predict(&params, &ConceptParams::unseen(&params), &learner, &ConceptState::default(), None, T0),
        &ConceptState::default(),
    );
    assert!(text.contains("with no answer on this concept yet"), "{text}");
}

#[test]
fn states_and_params_survive_a_serde_round_trip() {
    let params = MasteryParams::default();
    let (learner, mut state) = answered(&params, &[true, false, true]);
    update(&params, &mut LearnerState::default(), &mut state, Evidence::of_kind(EvidenceKind::Demonstrated, T0 + 5));
    // serde_json may read a float back one unit in the last place off, so floats are compared
    // through what matters: the prediction.
    let learner_back: LearnerState = serde_json::from_str(&serde_json::to_string(&learner).unwrap()).unwrap();
    let state_back: ConceptState = serde_json::from_str(&serde_json::to_string(&state).unwrap()).unwrap();
    assert_eq!(
        (learner_back.answers, learner_back.last_outcome, learner_back.last_at),
        (learner.answers, learner.last_outcome, learner.last_at)
    );
    assert_eq!(
        (
            state_back.answers,
            state_back.recent_bits,
            state_back.recent_len,
            state_back.demonstrated,
            state_back.last_step
        ),
        (state.answers, state.recent_bits, state.recent_len, state.demonstrated, state.last_step)
    );
    assert_eq!(state_back.last_practised_at, Some(T0 + 5));
    let now = T0 + 86_400;
    assert!((p(&params, &learner_back, &state_back, now) - p(&params, &learner, &state, now)).abs() < 1e-12);
    let json = serde_json::to_string(&params).unwrap();
    assert!(json.contains("\"concept_recent\":"), "weights travel by feature name: {json}");
    assert_eq!(serde_json::from_str::<MasteryParams>(&json).unwrap(), params);
    // A stored set of weights that lacks a feature keeps that feature's default weight.
    let partial: MasteryParams = serde_json::from_str(r#"{"weights":{"intercept":0.25}}"#).unwrap();
    assert_eq!(partial.weights.get(Feature::Intercept), 0.25);
    assert_eq!(partial.weights.get(Feature::ConceptRecent), params.weights.get(Feature::ConceptRecent));
    assert_eq!(serde_json::to_string(&EvidenceKind::GradedAnswer).unwrap(), "\"graded_answer\"");
    assert_eq!("demonstrated".parse::<EvidenceKind>().unwrap(), EvidenceKind::Demonstrated);
}

/// Deterministic pseudo-random numbers for the synthetic learners.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Learners with an ability, concepts with a difficulty, each answer learnt from: a process the
/// defaults know nothing about (concept difficulties from −2 to +2).
fn synthetic(learners: usize, rng: &mut Rng) -> Vec<LearnerSequence<u32>> {
    let difficulty = |c: u32| -2.0 + 4.0 * f64::from(c) / 9.0;
    (0..learners)
        .map(|_| {
            let ability = 2.0 * rng.next() - 1.0;
            let mut practice = [0.0f64; 10];
            let observations = (0..60)
                .map(|_| {
                    let c = (rng.next() * 10.0) as u32;
                    let z = ability - difficulty(c) + 0.4 * practice[c as usize];
                    let right = rng.next() < 1.0 / (1.0 + (-z).exp());
                    practice[c as usize] += 1.0;
                    Observation { concept: c, evidence: Evidence::answer(right, T0), prerequisite_mastery: None }
                })
                .collect();
            LearnerSequence { observations }
        })
        .collect()
}

fn held_out_log_loss(model: &FittedModel<u32>, sequences: &[LearnerSequence<u32>]) -> f64 {
    let (mut predictions, mut outcomes) = (Vec::new(), Vec::new());
    for sequence in sequences {
        let mut learner = LearnerState::default();
        let mut states = std::collections::HashMap::new();
        for o in &sequence.observations {
            let state: &mut ConceptState = states.entry(o.concept).or_default();
            predictions.push(predict(&model.params, &model.concept(&o.concept), &learner, state, None, T0).probability);
            outcomes.push(o.evidence.outcome == Some(1.0));
            update(&model.params, &mut learner, state, o.evidence);
        }
    }
    metrics::log_loss(&predictions, &outcomes)
}

#[test]
fn fitting_beats_the_defaults_on_held_out_learners() {
    let mut rng = Rng(42);
    let train = synthetic(150, &mut rng);
    let test = synthetic(100, &mut rng);
    let defaults = MasteryParams::default();
    let model = fit(&train, &defaults);
    assert!(model.fitted && model.answers == 150 * 60);
    assert!(model.log_loss < model.initial_log_loss);
    let unfitted = FittedModel {
        params: defaults,
        concepts: Default::default(),
        answers: 0,
        fitted: false,
        initial_log_loss: 0.0,
        log_loss: 0.0,
    };
    let (fitted_loss, default_loss) = (held_out_log_loss(&model, &test), held_out_log_loss(&unfitted, &test));
    assert!(fitted_loss < default_loss - 0.01, "fitted {fitted_loss} vs defaults {default_loss}");
    // The recovered biases order the concepts by their true difficulty, easiest first.
    let biases: Vec<f64> = (0..10).map(|c| model.concept(&c).bias).collect();
    assert!(biases[0] > biases[4] && biases[4] > biases[9], "{biases:?}");
}

#[test]
fn too_little_data_keeps_the_defaults() {
    let train = synthetic(2, &mut Rng(1));
    assert!(train.iter().map(|s| s.observations.len()).sum::<usize>() < MIN_ANSWERS_TO_FIT);
    let model = fit(&train, &MasteryParams::default());
    assert!(!model.fitted);
    assert_eq!(model.params, MasteryParams::default());
}

#[test]
fn mastered_prerequisites_do_not_outweigh_a_wrong_answer_on_the_concept() {
    // A learner right on six other concepts, then wrong on this one, whose prerequisites are
    // mastered (0.95): after an intake, the concept is still to be learned.
    let params = MasteryParams::default();
    let mut learner = LearnerState::default();
    for _ in 0..6 {
        update(&params, &mut learner, &mut ConceptState::default(), Evidence::answer(true, T0));
    }
    let mut state = ConceptState::default();
    update(&params, &mut learner, &mut state, Evidence::answer(false, T0));
    let concept = ConceptParams::unseen(&params);
    let wrong = predict(&params, &concept, &learner, &state, Some(0.95), T0).probability;
    assert!(wrong < crate::path::MASTERED_AT, "{wrong}");
    // The same prerequisites still raise the concept before any answer on it.
    let unseen = predict(&params, &concept, &learner, &ConceptState::default(), Some(0.95), T0).probability;
    let no_prerequisites = predict(&params, &concept, &learner, &ConceptState::default(), None, T0).probability;
    assert!(unseen > no_prerequisites, "{unseen} vs {no_prerequisites}");
}
