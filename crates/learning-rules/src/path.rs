//! Learning paths and the next best step. A path is what a learner still has to learn to reach a
//! goal, in an order that respects the prerequisite DAG; the next best step picks, among the
//! concepts the learner can start now and the reviews that are due, the one whose predicted
//! success is productive. Both run in time linear in the goal's unmastered ancestry (plus a log
//! factor for the ready queue), so a re-plan after every answer stays cheap.

use crate::graph::ConceptGraph;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap, HashSet};
use std::fmt::Debug;
use std::hash::Hash;

/// Mastery at or above which a concept counts as mastered. 0.8 is the conventional mastery
/// criterion of mastery learning (Bloom's 80–90% and the 0.8 bar mastery-based tutors use): high
/// enough that the learner usually answers right, low enough to be reached without over-practice.
pub const MASTERED_AT: f64 = 0.8;

/// Predicted success that makes practice productive, inclusive on both ends. Below 0.5 the learner
/// fails more often than not, which teaches little and discourages; above 0.9 success is near
/// certain and adds little. The upper end equals FSRS's default desired retention, so a review
/// taken on its due date (recall ≈ 0.9) still counts as productive; the "85% rule" optimum for
/// learning (Wilson et al. 2019, ≈ 0.85 success) lies inside the band.
pub const PRODUCTIVE_BAND: (f64, f64) = (0.5, 0.9);

/// Predicted success below which a concept is hopeless: not offered even when nothing is in band.
pub const HOPELESS_BELOW: f64 = 0.2;

/// How much each overdue day moves a due review towards the band's middle (in success units),
/// up to [`OVERDUE_DAYS_COUNTED`]: a review that keeps being skipped is ever more likely forgotten.
const OVERDUE_WEIGHT_PER_DAY: f64 = 0.01;
/// Overdue days beyond this add nothing more, so a long-ignored review cannot swamp the band.
const OVERDUE_DAYS_COUNTED: f64 = 10.0;

/// Why a concept is on the path.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StepReason<K> {
    /// The learner asked for it (it is one of the goals).
    Goal,
    /// Later steps need it directly; a struct variant because an internally tagged enum cannot
    /// carry a bare list.
    PrerequisiteOf {
        /// The steps (goals included) that directly require it, in key order.
        needed_by: Vec<K>,
    },
}

/// One concept on a learning path, with why it is there.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PathStep<K> {
    pub concept: K,
    pub reason: StepReason<K>,
    /// Mean mastery of the concept's direct prerequisites now (1.0 when it has none) — the same
    /// summary the mastery model's `prerequisites` feature uses, so a stronger value here means a
    /// higher predicted success there.
    pub prerequisite_strength: f64,
    /// The learner's current mastery of the concept (below [`MASTERED_AT`]).
    pub mastery: f64,
}

/// The learner's path to `goals`: every goal and transitive prerequisite whose mastery is below
/// [`MASTERED_AT`], each after the unmastered prerequisites it needs; when several concepts are
/// ready, the one with the strongest prerequisites comes first (ties by key).
///
/// A mastered concept is skipped and the walk does not descend below it: mastering a concept is
/// evidence that its prerequisites are known well enough, even if their own estimates lag (they
/// may have had little direct practice). `mastery` is called once per concept visited; values are
/// clamped to 0..=1 and NaN counts as 0. Concepts caught in a cycle (which the store refuses to
/// create, see [`ConceptGraph::cycle_if_added`]) never become ready and are left out.
pub fn plan_path<K: Copy + Eq + Hash + Ord + Debug>(
    graph: &ConceptGraph<K>,
    goals: &[K],
    mastery: impl Fn(K) -> f64,
) -> Vec<PathStep<K>> {
    let mut known: HashMap<K, f64> = HashMap::new();
    let mut mastery_of = |k: K| *known.entry(k).or_insert_with(|| clamp_mastery(mastery(k)));

    // 1. The concepts needed: unmastered goals and, below them, unmastered prerequisites only.
    let goal_set: HashSet<K> = goals.iter().copied().collect();
    let (needed, in_path) = needed_concepts(graph, goals, &mut mastery_of);

    // 2. The sub-DAG among needed concepts: for each, how many needed prerequisites it waits on,
    //    and which needed concepts require it (built from prerequisites so it is O(needed edges)).
    let mut waiting: HashMap<K, usize> = HashMap::with_capacity(needed.len());
    let mut needed_by: HashMap<K, Vec<K>> = HashMap::with_capacity(needed.len());
    let mut strength: HashMap<K, f64> = HashMap::with_capacity(needed.len());
    for &concept in &needed {
        let prerequisites = graph.prerequisites(concept);
        let mut count = 0;
        let mut sum = 0.0;
        for &prerequisite in prerequisites {
            // Every prerequisite of a needed concept was visited in step 1, so this is a lookup.
            sum += mastery_of(prerequisite);
            if in_path.contains(&prerequisite) {
                count += 1;
                needed_by.entry(prerequisite).or_default().push(concept);
            }
        }
        waiting.insert(concept, count);
        strength.insert(concept, if prerequisites.is_empty() { 1.0 } else { sum / prerequisites.len() as f64 });
    }

    // 3. Kahn's algorithm over the sub-DAG, the ready queue ordered by strength then key.
    let mut ready: BinaryHeap<Ready<K>> =
        needed.iter().filter(|k| waiting[k] == 0).map(|&k| Ready { strength: strength[&k], concept: k }).collect();
    let mut path = Vec::with_capacity(needed.len());
    while let Some(Ready { concept, strength: prerequisite_strength }) = ready.pop() {
        let dependents = needed_by.remove(&concept).unwrap_or_default();
        for &dependent in &dependents {
            let count = waiting.get_mut(&dependent).expect("dependents are needed concepts");
            *count -= 1;
            if *count == 0 {
                ready.push(Ready { strength: strength[&dependent], concept: dependent });
            }
        }
        let reason = if goal_set.contains(&concept) {
            StepReason::Goal
        } else {
            let mut dependents = dependents;
            dependents.sort_unstable();
            StepReason::PrerequisiteOf { needed_by: dependents }
        };
        path.push(PathStep { concept, reason, prerequisite_strength, mastery: mastery_of(concept) });
    }
    path
}

/// The concepts [`plan_path`] would place for `goals` that the learner can start now (every
/// direct prerequisite mastered), in key order. Found without ordering the path, so it costs one
/// walk of the goals' unmastered ancestry.
pub fn frontier<K: Copy + Eq + Hash + Ord + Debug>(
    graph: &ConceptGraph<K>,
    goals: &[K],
    mastery: impl Fn(K) -> f64,
) -> Vec<K> {
    let mut known: HashMap<K, f64> = HashMap::new();
    let mut mastery_of = |k: K| *known.entry(k).or_insert_with(|| clamp_mastery(mastery(k)));
    let (needed, _) = needed_concepts(graph, goals, &mut mastery_of);
    let mut ready: Vec<K> =
        needed.into_iter().filter(|&k| graph.prerequisites(k).iter().all(|&p| mastery_of(p) >= MASTERED_AT)).collect();
    ready.sort_unstable();
    ready
}

/// The unmastered goals and, reached through unmastered concepts only, their unmastered
/// prerequisites: in the order met, and as a set.
fn needed_concepts<K: Copy + Eq + Hash + Ord + Debug>(
    graph: &ConceptGraph<K>,
    goals: &[K],
    mastery_of: &mut impl FnMut(K) -> f64,
) -> (Vec<K>, HashSet<K>) {
    let mut needed: Vec<K> = Vec::new();
    let mut in_path: HashSet<K> = HashSet::new();
    for &goal in goals {
        if mastery_of(goal) < MASTERED_AT && in_path.insert(goal) {
            needed.push(goal);
        }
    }
    let mut next = 0;
    while next < needed.len() {
        let concept = needed[next];
        next += 1;
        for &prerequisite in graph.prerequisites(concept) {
            if !in_path.contains(&prerequisite) && mastery_of(prerequisite) < MASTERED_AT {
                in_path.insert(prerequisite);
                needed.push(prerequisite);
            }
        }
    }
    (needed, in_path)
}

/// What kind of work a candidate for the next step is.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CandidateKind {
    /// A concept on the frontier of the learner's path: new learning.
    Frontier,
    /// A spaced review that is due, `overdue_days` past its due date (0 when due today).
    DueReview { overdue_days: f64 },
}

/// A concept the learner could work on next, with the success the learner model predicts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Candidate<K> {
    pub concept: K,
    /// Probability that the learner answers right on this concept now (0..1).
    pub predicted_success: f64,
    pub kind: CandidateKind,
}

/// The next best step among `candidates`, in one pass:
/// 1. a candidate in [`PRODUCTIVE_BAND`], the one closest to the band's middle, where each
///    overdue day (up to ten) counts as 0.01 closer, so overdue reviews win close calls;
/// 2. otherwise the frontier concept with the highest predicted success, if not hopeless
///    ([`HOPELESS_BELOW`]) — an easy step still moves the learner forward;
/// 3. otherwise the most overdue due review, whatever its prediction: it is due by the schedule.
///
/// Ties go to the smallest key, so the choice does not depend on the candidates' order.
pub fn next_best_step<K: Copy + Ord>(candidates: &[Candidate<K>]) -> Option<&Candidate<K>> {
    let (low, high) = PRODUCTIVE_BAND;
    let middle = (low + high) / 2.0;
    let in_band = candidates.iter().filter(|c| (low..=high).contains(&c.predicted_success)).min_by(|a, b| {
        let distance = |c: &Candidate<K>| (c.predicted_success - middle).abs() - overdue_bonus(c.kind);
        distance(a).total_cmp(&distance(b)).then(a.concept.cmp(&b.concept))
    });
    if in_band.is_some() {
        return in_band;
    }
    let best_frontier = candidates
        .iter()
        .filter(|c| c.kind == CandidateKind::Frontier && c.predicted_success >= HOPELESS_BELOW)
        .max_by(|a, b| a.predicted_success.total_cmp(&b.predicted_success).then(b.concept.cmp(&a.concept)));
    if best_frontier.is_some() {
        return best_frontier;
    }
    candidates
        .iter()
        .filter_map(|c| match c.kind {
            CandidateKind::DueReview { overdue_days } => Some((c, overdue_days)),
            CandidateKind::Frontier => None,
        })
        .max_by(|(a, da), (b, db)| da.total_cmp(db).then(b.concept.cmp(&a.concept)))
        .map(|(c, _)| c)
}

fn overdue_bonus(kind: CandidateKind) -> f64 {
    match kind {
        CandidateKind::Frontier => 0.0,
        CandidateKind::DueReview { overdue_days } => {
            OVERDUE_WEIGHT_PER_DAY * overdue_days.clamp(0.0, OVERDUE_DAYS_COUNTED)
        }
    }
}

fn clamp_mastery(value: f64) -> f64 {
    if value.is_nan() { 0.0 } else { value.clamp(0.0, 1.0) }
}

/// A concept whose needed prerequisites are all placed; the max-heap pops the strongest first,
/// then the smallest key.
struct Ready<K> {
    strength: f64,
    concept: K,
}

impl<K: Ord> Ord for Ready<K> {
    fn cmp(&self, other: &Self) -> Ordering {
        self.strength.total_cmp(&other.strength).then_with(|| other.concept.cmp(&self.concept))
    }
}

impl<K: Ord> PartialOrd for Ready<K> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<K: Ord> PartialEq for Ready<K> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl<K: Ord> Eq for Ready<K> {}

#[cfg(test)]
mod tests {
    use super::*;

    fn mastery_from(table: &[(u32, f64)]) -> impl Fn(u32) -> f64 + '_ {
        move |k| table.iter().find(|(c, _)| *c == k).map_or(0.0, |(_, m)| *m)
    }

    fn concepts(path: &[PathStep<u32>]) -> Vec<u32> {
        path.iter().map(|s| s.concept).collect()
    }

    /// 10 requires 1 and 2; 2 requires 3; 1 requires 4; 4 requires 5.
    fn graph() -> ConceptGraph<u32> {
        ConceptGraph::new([(10, 1), (10, 2), (2, 3), (1, 4), (4, 5)])
    }

    #[test]
    fn path_orders_prerequisites_first_and_prefers_strong_prerequisites() {
        // Nothing mastered; leaves 3 and 5 are ready first (strength 1.0 each, 3 wins by key).
        // After 3 (mastery 0.1) and 5 (0.3): 2 has strength mean(0.1) = 0.1, 4 has mean(0.3) = 0.3,
        // so 4 comes before 2 although 2 is the smaller key; then 1 (mean(4) = 0.2) vs 2 (0.1): 1.
        let mastery = [(3, 0.1), (5, 0.3), (4, 0.2), (2, 0.0), (1, 0.0), (10, 0.0)];
        let path = plan_path(&graph(), &[10], mastery_from(&mastery));
        assert_eq!(concepts(&path), vec![3, 5, 4, 1, 2, 10]);
        assert_eq!(path[0].reason, StepReason::PrerequisiteOf { needed_by: vec![2] });
        assert_eq!(path[5].reason, StepReason::Goal);
        assert!((path[2].prerequisite_strength - 0.3).abs() < 1e-12);
        // 10's prerequisites 1 and 2 both have mastery 0.0.
        assert_eq!(path[5].prerequisite_strength, 0.0);
        assert_eq!(path[0].prerequisite_strength, 1.0);
    }

    #[test]
    fn mastered_concepts_are_skipped_and_not_descended() {
        // 1 is mastered: neither it nor 4 and 5 below it are on the path, although 4 and 5 are not.
        let mastery = [(1, 0.85), (4, 0.1), (5, 0.1), (3, 0.9)];
        let path = plan_path(&graph(), &[10], mastery_from(&mastery));
        assert_eq!(concepts(&path), vec![2, 10]);
        // 2's only prerequisite 3 is mastered (0.9); 10's are 1 (0.85) and 2 (0.0): mean 0.425.
        assert!((path[0].prerequisite_strength - 0.9).abs() < 1e-12);
        assert!((path[1].prerequisite_strength - 0.425).abs() < 1e-12);
        assert_eq!(path[0].reason, StepReason::PrerequisiteOf { needed_by: vec![10] });
        // A mastered goal yields an empty path.
        assert!(plan_path(&graph(), &[3], mastery_from(&mastery)).is_empty());
    }

    #[test]
    fn path_replans_when_mastery_changes() {
        let before = plan_path(&graph(), &[10], mastery_from(&[]));
        assert_eq!(before.len(), 6);
        let after = plan_path(&graph(), &[10], mastery_from(&[(3, 0.95), (5, 0.8)]));
        assert_eq!(concepts(&after), vec![2, 4, 1, 10]);
    }

    #[test]
    fn several_goals_share_prerequisites_and_list_who_needs_them() {
        // 20 and 21 both require 30; 21 also requires 20.
        let graph = ConceptGraph::new([(20, 30), (21, 30), (21, 20)]);
        let path = plan_path(&graph, &[21, 20, 21], |_| 0.0);
        assert_eq!(concepts(&path), vec![30, 20, 21]);
        assert_eq!(path[0].reason, StepReason::PrerequisiteOf { needed_by: vec![20, 21] });
        // 20 is a goal even though 21 needs it.
        assert_eq!(path[1].reason, StepReason::Goal);
    }

    #[test]
    fn a_cycle_in_stored_data_is_left_out_instead_of_looping() {
        let graph = ConceptGraph::new([(1, 2), (2, 1), (3, 4)]);
        assert_eq!(concepts(&plan_path(&graph, &[1, 3], |_| 0.0)), vec![4, 3]);
    }

    #[test]
    fn frontier_is_the_steps_whose_prerequisites_are_mastered() {
        let mastery = [(3, 0.9), (5, 0.8)];
        let path = plan_path(&graph(), &[10], mastery_from(&mastery));
        // 2 needs only 3 (mastered), 4 needs only 5 (mastered at exactly 0.8); 1 needs 4, 10 needs 1 and 2.
        assert_eq!(frontier(&graph(), &[10], mastery_from(&mastery)), vec![2, 4]);
        // They are the path's steps that wait on nothing, found without ordering the path.
        let first_steps: Vec<u32> = path
            .iter()
            .filter(|s| {
                graph().prerequisites(s.concept).iter().all(|p| mastery.iter().any(|m| m.0 == *p && m.1 >= 0.8))
            })
            .map(|s| s.concept)
            .collect();
        assert_eq!(first_steps, vec![2, 4]);
    }

    #[test]
    fn step_reason_serialises_with_a_kind_tag() {
        let reason = StepReason::PrerequisiteOf { needed_by: vec![7u32] };
        let json = serde_json::to_value(&reason).unwrap();
        assert_eq!(json, serde_json::json!({"kind": "prerequisite_of", "needed_by": [7]}));
        assert_eq!(serde_json::to_value(StepReason::<u32>::Goal).unwrap(), serde_json::json!({"kind": "goal"}));
    }

    fn frontier_candidate(concept: u32, predicted_success: f64) -> Candidate<u32> {
        Candidate { concept, predicted_success, kind: CandidateKind::Frontier }
    }

    fn review_candidate(concept: u32, predicted_success: f64, overdue_days: f64) -> Candidate<u32> {
        Candidate { concept, predicted_success, kind: CandidateKind::DueReview { overdue_days } }
    }

    #[test]
    fn next_step_prefers_the_middle_of_the_band() {
        // Band 0.5..=0.9, middle 0.7: 0.72 is 0.02 away, 0.6 is 0.1 away; 0.95 is trivial, 0.3 hard.
        let candidates = [
            frontier_candidate(1, 0.95),
            frontier_candidate(2, 0.6),
            frontier_candidate(3, 0.72),
            frontier_candidate(4, 0.3),
        ];
        assert_eq!(next_best_step(&candidates).unwrap().concept, 3);
    }

    #[test]
    fn overdue_reviews_win_close_calls_but_not_far_ones() {
        // The review at 0.8 is 0.1 from the middle; 5 overdue days bring it to 0.05, ahead of a
        // frontier concept 0.06 away (0.76) but not of one 0.04 away (0.74).
        let review = review_candidate(9, 0.8, 5.0);
        assert_eq!(next_best_step(&[frontier_candidate(1, 0.76), review.clone()]).unwrap().concept, 9);
        assert_eq!(next_best_step(&[frontier_candidate(1, 0.74), review.clone()]).unwrap().concept, 1);
        // Overdue days are capped at 10 (a bonus of 0.1): a review at the band's edge (0.2 from
        // the middle) 100 days overdue counts as 0.1 away, behind a frontier concept 0.05 away.
        let ancient = review_candidate(9, 0.9, 100.0);
        assert_eq!(next_best_step(&[frontier_candidate(1, 0.75), ancient]).unwrap().concept, 1);
        // Equal standing: the smaller key, whatever the order given.
        let twins = [frontier_candidate(8, 0.65), frontier_candidate(6, 0.65)];
        assert_eq!(next_best_step(&twins).unwrap().concept, 6);
    }

    #[test]
    fn outside_the_band_the_likeliest_frontier_concept_then_the_most_overdue_review() {
        // Nothing in band: the frontier concept most likely to succeed, even trivial.
        let candidates = [frontier_candidate(1, 0.3), frontier_candidate(2, 0.97), review_candidate(3, 0.99, 2.0)];
        assert_eq!(next_best_step(&candidates).unwrap().concept, 2);
        // Only hopeless frontier concepts: fall back to the most overdue review.
        let candidates = [frontier_candidate(1, 0.1), review_candidate(3, 0.99, 2.0), review_candidate(4, 0.95, 6.0)];
        assert_eq!(next_best_step(&candidates).unwrap().concept, 4);
        // Hopeless frontier concepts and no review: nothing.
        assert!(next_best_step(&[frontier_candidate(1, 0.1)]).is_none());
        assert!(next_best_step::<u32>(&[]).is_none());
    }
}
