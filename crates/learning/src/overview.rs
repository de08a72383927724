//! A coach's overview: for many learners at once, how far each is through
//! their programs and towards each goal. Read in a fixed number of queries
//! whatever the number of learners (their per-concept records, enrolments,
//! goals and model states, one query each), then computed over the cached
//! published graph.

use crate::graph_cache::OrgGraph;
use crate::standing::Standing;
use crate::{Learning, LearningResult};
use chrono::{DateTime, Utc};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use utoipa::ToSchema;
use wayfinder_accounts_rules::{OrgId, PersonId};
use wayfinder_learning_rules::mastery::LearnerState;
use wayfinder_learning_rules::path::MASTERED_AT;
use wayfinder_learning_rules::program::{ConceptId, GoalId, ProgramId};

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

/// A goal's concepts and everything they transitively require, numbered so
/// each learner's walk over it runs on arrays: built once per overview for
/// every distinct goal (a cohort often shares one).
struct Closure {
    position: HashMap<ConceptId, usize>,
    /// The positions of each concept's direct prerequisites.
    prerequisites: Vec<Vec<usize>>,
    /// The positions of the goal's own concepts.
    targets: Vec<usize>,
}

impl Closure {
    fn new(graph: &OrgGraph, targets: &[ConceptId]) -> Closure {
        let mut concepts: Vec<ConceptId> = targets.to_vec();
        concepts.extend(graph.graph.ancestors(targets));
        let mut position = HashMap::with_capacity(concepts.len());
        for &c in &concepts {
            let next = position.len();
            position.entry(c).or_insert(next);
        }
        let mut prerequisites = vec![Vec::new(); position.len()];
        for (&c, &i) in &position {
            prerequisites[i] = graph.graph.prerequisites(c).iter().filter_map(|p| position.get(p).copied()).collect();
        }
        let targets = targets.iter().map(|t| position[t]).collect();
        Closure { position, prerequisites, targets }
    }

    fn len(&self) -> usize {
        self.prerequisites.len()
    }

    /// How many concepts the path to the goal holds for a learner with these masteries: the
    /// unmastered targets and the unmastered prerequisites reached through unmastered
    /// concepts, which are the concepts `path::plan_path` would place, counted without
    /// putting them in order (an overview needs the number).
    fn remaining(&self, masteries: &HashMap<ConceptId, f64>) -> usize {
        let mut mastered = vec![false; self.len()];
        for (concept, m) in masteries {
            if *m >= MASTERED_AT
                && let Some(&i) = self.position.get(concept)
            {
                mastered[i] = true;
            }
        }
        // A concept is queued once, when first met unmastered; mastered ones are not descended.
        let mut met = vec![false; self.len()];
        let mut queue: Vec<usize> = Vec::new();
        for &t in &self.targets {
            if !met[t] && !mastered[t] {
                met[t] = true;
                queue.push(t);
            }
        }
        let mut next = 0;
        while next < queue.len() {
            let concept = queue[next];
            next += 1;
            for &p in &self.prerequisites[concept] {
                if !met[p] && !mastered[p] {
                    met[p] = true;
                    queue.push(p);
                }
            }
        }
        queue.len()
    }
}

impl Learning {
    /// Everyone actively enrolled in a program of the organisation, in id order.
    pub async fn enrolled_learners(&self, org: OrgId) -> LearningResult<Vec<PersonId>> {
        Ok(self.store.enrolled_people(org).await?)
    }

    /// Those of `people` actively enrolled in a program of the organisation, in id order.
    pub async fn enrolled_among(&self, org: OrgId, people: &[PersonId]) -> LearningResult<Vec<PersonId>> {
        let mut enrolled: Vec<PersonId> =
            self.store.enrolled_programs_of(org, people).await?.into_iter().map(|(person, _)| person).collect();
        enrolled.sort_unstable();
        enrolled.dedup();
        Ok(enrolled)
    }

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
        let mut states: HashMap<PersonId, LearnerState> =
            self.store.learner_states_of(org, learners).await?.into_iter().collect();
        let mut standings: HashMap<PersonId, Standing> = HashMap::with_capacity(learners.len());
        for (person, concepts) in self.store.concept_standings_of(org, learners).await? {
            standings.insert(person, Standing::new(states.remove(&person), concepts));
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
        let mut closures: HashMap<Vec<ConceptId>, Closure> = HashMap::new();
        let mut overview = Vec::with_capacity(learners.len());
        for person in learners {
            let standing = standings.remove(person).unwrap_or_else(|| Standing::new(states.remove(person), []));
            let masteries = standing.masteries(&model, &graph, now);
            let enrolled: HashSet<ProgramId> = programs.get(person).into_iter().flatten().copied().collect();
            let enrolled_concepts = enrolled.iter().map(|p| graph.by_program.get(p).map_or(0, Vec::len)).sum();
            // Only concepts with evidence can be mastered.
            let mastered = masteries
                .iter()
                .filter(|(c, m)| {
                    **m >= MASTERED_AT && graph.concepts.get(c).is_some_and(|c| enrolled.contains(&c.program))
                })
                .count();
            let mut progress = Vec::new();
            for goal in goals.get(person).into_iter().flatten() {
                let targets: Vec<ConceptId> =
                    goal.targets.iter().copied().filter(|t| graph.concepts.contains_key(t)).collect();
                let closure = closures.entry(targets).or_insert_with_key(|targets| Closure::new(&graph, targets));
                let concepts = closure.len();
                let remaining = closure.remaining(&masteries);
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
                last_evidence_at: standing.learner.last_at.and_then(|s| DateTime::from_timestamp(s, 0)),
            });
        }
        Ok(overview)
    }
}
