//! A coach's overview: for many learners at once, how far each is through
//! their programs and towards each goal. Read in a fixed number of queries
//! whatever the number of learners (their per-concept records, enrolments,
//! goals and model states, one query each), then computed over the cached
//! published graph.

use crate::graph_cache::{OrgGraph, OrgModel};
use crate::{Learning, LearningResult};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::{HashMap, HashSet, hash_map::Entry};
use utoipa::ToSchema;
use wayfinder_accounts_rules::{OrgId, PersonId};
use wayfinder_learning_rules::mastery::{self, ConceptState, LearnerState};
use wayfinder_learning_rules::path::MASTERED_AT;
use wayfinder_learning_rules::program::{ConceptId, GoalId, ProgramId};
use wayfinder_store::LearnerConceptRecord;

/// One learner's progress, as a coach's overview lists it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct LearnerProgress {
    #[schema(value_type = String)]
    pub person_id: PersonId,
    /// Concepts of the published programs the learner is actively enrolled in.
    pub enrolled_concepts: usize,
    /// Of those, the ones mastered now (forgetting included).
    pub mastered_concepts: usize,
    /// Progress towards each goal, oldest goal first.
    pub goals: Vec<GoalProgress>,
    /// When the latest evidence of any kind happened (null: none yet).
    pub last_evidence_at: Option<DateTime<Utc>>,
}

/// How far a learner is towards one goal.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct GoalProgress {
    #[schema(value_type = String)]
    pub goal_id: GoalId,
    pub title: String,
    /// The goal's concepts and everything they transitively require.
    pub concepts: usize,
    /// Concepts still on the path (unmastered and not skipped below a mastered concept).
    pub remaining: usize,
    /// `1 − remaining / concepts`: the share of the path behind the learner.
    pub progress: f64,
}

/// One learner's model state and per-concept records.
struct Records {
    learner: LearnerState,
    concepts: HashMap<ConceptId, (ConceptState, f64, i64)>,
}

impl Records {
    /// Mastery at `at` as the learner's own views compute it: the model's prediction once
    /// there is evidence (prerequisites counted by their stored mastery), 0 before.
    fn mastery(&self, model: &OrgModel, graph: &OrgGraph, id: ConceptId, at: i64) -> f64 {
        let Some((state, _, count)) = self.concepts.get(&id) else { return 0.0 };
        if *count == 0 {
            return 0.0;
        }
        let prerequisites = graph.graph.prerequisites(id);
        let prerequisite_mastery = (!prerequisites.is_empty()).then(|| {
            prerequisites.iter().map(|p| self.concepts.get(p).map_or(0.0, |(_, stored, _)| *stored)).sum::<f64>()
                / prerequisites.len() as f64
        });
        mastery::predict(&model.params, &model.concept(id), &self.learner, state, prerequisite_mastery, at).probability
    }
}

/// How many concepts the path to `targets` holds: the unmastered targets and the unmastered
/// prerequisites reached through unmastered concepts, which are the concepts
/// `path::plan_path` would place, counted without putting them in order (an overview needs
/// the number, and ordering 200 paths was most of its time).
fn remaining(graph: &OrgGraph, targets: &[ConceptId], mastery: impl Fn(ConceptId) -> f64) -> usize {
    // Whether each concept met so far is needed (unmastered); mastered ones are not descended.
    let mut needed: HashMap<ConceptId, bool> = HashMap::new();
    let mut queue: Vec<ConceptId> = Vec::new();
    for &concept in targets {
        if let Entry::Vacant(slot) = needed.entry(concept) {
            let unmastered = mastery(concept) < MASTERED_AT;
            slot.insert(unmastered);
            if unmastered {
                queue.push(concept);
            }
        }
    }
    let mut next = 0;
    while next < queue.len() {
        let concept = queue[next];
        next += 1;
        for &prerequisite in graph.graph.prerequisites(concept) {
            if let Entry::Vacant(slot) = needed.entry(prerequisite) {
                let unmastered = mastery(prerequisite) < MASTERED_AT;
                slot.insert(unmastered);
                if unmastered {
                    queue.push(prerequisite);
                }
            }
        }
    }
    queue.len()
}

impl Learning {
    /// Each learner's progress at `at`, in the order given: enrolled and
    /// mastered concepts, progress towards each goal, and the latest evidence.
    /// Four queries whatever the number of learners, plus the graph's epoch
    /// check (the graph and the model come from this process's caches).
    pub async fn coach_overview(
        &self,
        org: OrgId,
        learners: &[PersonId],
        at: DateTime<Utc>,
    ) -> LearningResult<Vec<LearnerProgress>> {
        let graph = self.published(org).await?;
        let model = self.model(org).await?;
        let mut records: HashMap<PersonId, Records> = learners
            .iter()
            .map(|p| (*p, Records { learner: LearnerState::default(), concepts: HashMap::new() }))
            .collect();
        for (person, state) in self.store.learner_states_of(org, learners).await? {
            if let Some(r) = records.get_mut(&person) {
                r.learner = serde_json::from_value(state).unwrap_or_default();
            }
        }
        for LearnerConceptRecord { person, concept, state, mastery, evidence_count, .. } in
            self.store.learner_concepts(org, learners).await?
        {
            if let Some(r) = records.get_mut(&person) {
                let state = serde_json::from_value(state).unwrap_or_default();
                r.concepts.insert(concept, (state, mastery, evidence_count));
            }
        }
        let mut programs: HashMap<PersonId, Vec<ProgramId>> = HashMap::new();
        for (person, program) in self.store.enrolled_programs_of(org, learners).await? {
            programs.entry(person).or_default().push(program);
        }
        let mut goals: HashMap<PersonId, Vec<_>> = HashMap::new();
        for goal in self.store.goals_of(org, learners).await? {
            goals.entry(goal.person).or_default().push(goal);
        }

        let now = at.timestamp();
        // Goals are often shared (a cohort's target): each closure is counted once.
        let mut closures: HashMap<Vec<ConceptId>, usize> = HashMap::new();
        let mut overview = Vec::with_capacity(learners.len());
        for person in learners {
            let Some(r) = records.get(person) else { continue };
            let mastery_of = |id: ConceptId| r.mastery(&model, &graph, id, now);
            let enrolled: HashSet<ProgramId> = programs.get(person).into_iter().flatten().copied().collect();
            let enrolled_concepts = enrolled.iter().map(|p| graph.by_program.get(p).map_or(0, Vec::len)).sum();
            // Only concepts with evidence can be mastered.
            let mastered = r
                .concepts
                .keys()
                .filter(|c| graph.concepts.get(c).is_some_and(|c| enrolled.contains(&c.program)))
                .filter(|c| mastery_of(**c) >= MASTERED_AT)
                .count();
            let mut progress = Vec::new();
            for goal in goals.get(person).into_iter().flatten() {
                let targets: Vec<ConceptId> =
                    goal.targets.iter().copied().filter(|t| graph.concepts.contains_key(t)).collect();
                let concepts = *closures
                    .entry(targets.clone())
                    .or_insert_with(|| targets.len() + graph.graph.ancestors(&targets).len());
                let remaining = remaining(&graph, &targets, mastery_of);
                progress.push(GoalProgress {
                    goal_id: goal.id,
                    title: goal.title.clone(),
                    concepts,
                    remaining,
                    progress: if concepts == 0 { 1.0 } else { 1.0 - remaining as f64 / concepts as f64 },
                });
            }
            overview.push(LearnerProgress {
                person_id: *person,
                enrolled_concepts,
                mastered_concepts: mastered,
                goals: progress,
                last_evidence_at: r.learner.last_at.and_then(|s| DateTime::from_timestamp(s, 0)),
            });
        }
        Ok(overview)
    }
}
