//! Where a learner stands: evidence and the learner model's online update,
//! mastery with its explanation, goals, the path to them, the next best step
//! and spaced review.

use crate::graph_cache::{OrgGraph, OrgModel};
use crate::programs::not_found;
use crate::standing::Standing;
use crate::{ConceptName, Goal, Learning, LearningError, LearningResult};
use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use std::collections::{HashMap, HashSet};
use utoipa::ToSchema;
use wayfinder_accounts_rules::{OrgId, PersonId};
use wayfinder_knowledge::{SearchMode, SearchRequest};
use wayfinder_learning_rules::mastery::{self, ConceptState, Contribution, Evidence, EvidenceKind};
use wayfinder_learning_rules::path::{self, Candidate, CandidateKind, MASTERED_AT, StepReason};
use wayfinder_learning_rules::program::{
    ConceptId, EvidenceId, GoalId, GoalKind, MAX_GOAL_CHARS, MaterialRef, ProgramId,
};
use wayfinder_learning_rules::questions::QuestionStatus;
use wayfinder_learning_rules::review::{self, ReviewCard};
use wayfinder_store::{ChunkRecord, EvidenceRecord, GoalRecord, ModelOutputs, QuestionFilter, StoreError};

/// Evidence to record about a learner.
#[derive(Clone, Debug)]
pub struct EvidenceSpec {
    pub concept: ConceptId,
    pub kind: EvidenceKind,
    /// Graded kinds: right or wrong…
    pub correct: Option<bool>,
    /// …or a partial score 0..1.
    pub score: Option<f64>,
    /// What produced it (a question, a session), for the record.
    pub source: Option<String>,
    /// The same key twice for one learner is refused the second time.
    pub idempotency_key: Option<String>,
    /// When it happened (default: now; never in the future).
    pub occurred_at: Option<DateTime<Utc>>,
}

/// A goal to set: a concept, a program, or free text.
#[derive(Clone, Debug)]
pub struct GoalSpec {
    pub kind: GoalKind,
    pub concept: Option<ConceptId>,
    pub program: Option<ProgramId>,
    pub text: Option<String>,
    /// The day it should be reached by.
    pub deadline: Option<chrono::NaiveDate>,
}

/// A learner's standing on one concept.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ConceptMastery {
    #[schema(value_type = String)]
    pub concept_id: ConceptId,
    pub name: String,
    #[schema(value_type = String)]
    pub program_id: ProgramId,
    /// The learner model's estimate that the learner knows the concept now (forgetting
    /// included); 0 until there is evidence.
    pub mastery: f64,
    /// Mastery at or above the threshold, from evidence.
    pub mastered: bool,
    /// Probability of answering a question on it right now (the model's prediction, also
    /// without evidence: from the learner's record elsewhere and the prerequisites).
    pub predicted_success: f64,
    pub evidence_count: i64,
    /// Why, in a sentence a coach can read.
    pub explanation: String,
    /// When the concept is next due for review (null: not mastered yet).
    pub review_due: Option<DateTime<Utc>>,
}

/// One concept's standing with the model's reasons and the evidence.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ConceptMasteryDetail {
    pub standing: ConceptMastery,
    /// Each input of the model and what it added to the estimate's log-odds.
    pub contributions: Vec<Contribution>,
    /// The review schedule (FSRS), once mastered.
    pub review: Option<ReviewCard>,
    /// The most recent evidence, newest first.
    pub evidence: Vec<EvidenceView>,
}

/// A piece of evidence.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct EvidenceView {
    #[schema(value_type = String)]
    pub id: EvidenceId,
    #[schema(value_type = String)]
    pub concept_id: ConceptId,
    pub kind: EvidenceKind,
    pub outcome: Option<f64>,
    pub source: String,
    #[schema(value_type = Option<String>)]
    pub recorded_by: Option<PersonId>,
    pub idempotency_key: Option<String>,
    pub occurred_at: DateTime<Utc>,
}

/// A learner's standing on every concept of their programs.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct LearnerMastery {
    #[schema(value_type = String)]
    pub person_id: PersonId,
    pub concepts: Vec<ConceptMastery>,
}

/// One step of a learning path.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct PathStepView {
    pub concept: ConceptName,
    /// `goal`, or `prerequisite` of the steps in `needed_by`.
    pub reason: String,
    pub needed_by: Vec<ConceptName>,
    /// Why, in a sentence.
    pub why: String,
    pub mastery: f64,
    /// Mean mastery of its direct prerequisites (1 when it has none).
    pub prerequisite_strength: f64,
    pub estimated_minutes: i64,
    /// Where to learn it: the knowledge base's documents and sections.
    pub material: Vec<MaterialView>,
}

/// A concept's material, named.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct MaterialView {
    #[serde(flatten)]
    pub reference: MaterialRef,
    pub document_title: String,
}

/// The path from where a learner stands to a goal.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct LearningPath {
    pub goal: Goal,
    /// Unmastered concepts in an order that respects every prerequisite.
    pub steps: Vec<PathStepView>,
    /// The goal's concepts and prerequisites already mastered (skipped).
    pub mastered: Vec<ConceptName>,
    pub total_minutes: i64,
    pub computed_at: DateTime<Utc>,
}

/// What a coach is told about the learner it talks to (see [`Learning::coach_briefing`]).
#[derive(Clone, Debug)]
pub struct CoachBriefing {
    /// The learner's goals, by title.
    pub goals: Vec<String>,
    pub next_step: Option<NextStep>,
    /// The learner's standing on the concepts the coach's passages teach.
    pub concepts: Vec<ConceptMastery>,
}

/// The concepts among `enrolled` whose material holds one of `passages`, each once.
fn teaching(graph: &OrgGraph, enrolled: Vec<ConceptId>, passages: &[ChunkRecord]) -> Vec<ConceptId> {
    let mut taught: Vec<ConceptId> = Vec::new();
    for id in enrolled {
        let Some(concept) = graph.concepts.get(&id) else { continue };
        let covers = passages.iter().any(|p| {
            concept.material.iter().any(|m| m.document == p.document && p.section_path.starts_with(&m.section))
        });
        if covers && !taught.contains(&id) {
            taught.push(id);
        }
    }
    taught
}

/// What to do next.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct NextStep {
    pub concept: ConceptName,
    /// `learn` (a frontier concept) or `review` (a due review).
    pub kind: String,
    pub predicted_success: f64,
    pub why: String,
}

/// What recording evidence did: the standing right after it, and the predicted success on the
/// concept just before it (read in the same transaction).
#[derive(Clone, Debug)]
pub struct RecordedEvidence {
    pub standing: ConceptMastery,
    pub predicted_before: f64,
}

/// A review that is due.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct DueReview {
    pub concept: ConceptName,
    pub due: DateTime<Utc>,
    pub mastery: f64,
    /// Probability of recalling it now (FSRS's forgetting curve).
    pub retrievability: f64,
}

/// Most evidence rows a concept's detail shows.
const EVIDENCE_SHOWN: i64 = 20;
/// Most concepts a free-text goal resolves to.
const TEXT_GOAL_CONCEPTS: usize = 3;
/// Evidence may be dated this far ahead of the server's clock (clients' clocks drift).
const CLOCK_SKEW: Duration = Duration::minutes(5);

fn seconds(at: DateTime<Utc>) -> i64 {
    at.timestamp()
}

pub(crate) fn named(graph: &OrgGraph, id: ConceptId) -> ConceptName {
    ConceptName { id, name: graph.concepts.get(&id).map(|c| c.name.clone()).unwrap_or_else(|| id.to_string()) }
}

impl Learning {
    async fn standing(&self, org: OrgId, person: PersonId) -> LearningResult<Standing> {
        let learner = self.store.learner_state(org, person).await?;
        Ok(Standing::from_records(learner, self.store.learner_concepts(org, person).await?))
    }

    /// The concepts of the published programs the learner is actively enrolled in.
    async fn enrolled_concepts(
        &self,
        org: OrgId,
        person: PersonId,
        graph: &OrgGraph,
    ) -> LearningResult<Vec<ConceptId>> {
        let programs = self.store.enrolled_programs(org, person).await?;
        Ok(programs.iter().flat_map(|p| graph.by_program.get(p).cloned().unwrap_or_default()).collect())
    }

    /// The learner model's predicted success on each of `concepts` now (published ones only).
    pub(crate) async fn predictions(
        &self,
        org: OrgId,
        person: PersonId,
        concepts: &[ConceptId],
        at: DateTime<Utc>,
    ) -> LearningResult<HashMap<ConceptId, f64>> {
        let graph = self.published(org).await?;
        let model = self.model(org).await?;
        let standing = self.standing(org, person).await?;
        Ok(concepts
            .iter()
            .filter(|c| graph.concepts.contains_key(c))
            .map(|&c| (c, standing.predict(&model, &graph, c, seconds(at)).0.probability))
            .collect())
    }

    /// Records evidence and updates the learner's mastery in one transaction;
    /// answers the learner's standing on the concept right after it (as of
    /// the evidence's time) and the predicted success just before it.
    pub async fn record_evidence(
        &self,
        org: OrgId,
        person: PersonId,
        by: Option<PersonId>,
        spec: EvidenceSpec,
        now: DateTime<Utc>,
    ) -> LearningResult<RecordedEvidence> {
        let outcome = match (spec.kind.is_graded(), spec.correct, spec.score) {
            (true, Some(_), Some(_)) => return Err(invalid("score", "give either correct or score, not both")),
            (true, Some(correct), None) => Some(if correct { 1.0 } else { 0.0 }),
            (true, None, Some(score)) if (0.0..=1.0).contains(&score) => Some(score),
            (true, None, Some(_)) => return Err(invalid("score", "must be between 0 and 1")),
            (true, None, None) => return Err(invalid("correct", "a graded answer needs correct or score")),
            (false, None, None) => None,
            (false, _, _) => return Err(invalid("correct", "only graded answers and reviews carry an outcome")),
        };
        let occurred_at = spec.occurred_at.unwrap_or(now);
        if occurred_at > now + CLOCK_SKEW {
            return Err(invalid("occurred_at", "must not be in the future"));
        }
        if let Some(key) = &spec.idempotency_key
            && (key.is_empty() || key.chars().count() > 200)
        {
            return Err(invalid("idempotency_key", "must be 1 to 200 characters"));
        }
        let source = spec.source.unwrap_or_default();
        if source.chars().count() > 200 {
            return Err(invalid("source", "must be at most 200 characters"));
        }
        let graph = self.published(org).await?;
        let Some(concept) = graph.concepts.get(&spec.concept) else {
            return Err(LearningError::Invalid {
                field: "concept_id".into(),
                message: "no such published concept".into(),
            });
        };
        if !self.store.enrolled_programs(org, person).await?.contains(&concept.program) {
            return Err(LearningError::concept_not_enrolled(&concept.name));
        }
        let model = self.model(org).await?;
        let at = seconds(occurred_at);
        let record = EvidenceRecord {
            id: EvidenceId::new(),
            person,
            concept: spec.concept,
            kind: spec.kind.to_string(),
            outcome,
            source,
            recorded_by: by,
            idempotency_key: spec.idempotency_key,
            occurred_at,
        };
        let evidence = Evidence { kind: spec.kind, outcome, at };
        let concept_params = model.concept(spec.concept);
        let prerequisites = graph.graph.prerequisites(spec.concept);
        let mut prior = 0.0;
        let written = self
            .store
            .record_evidence(org, &record, concept.program, prerequisites, |inputs| {
                let prerequisites = mastery::prerequisite_mastery(inputs.prerequisites.iter().map(|r| Some(r.mastery)));
                let mut learner = inputs.learner.clone().unwrap_or_default();
                let (mut state, card) = match &inputs.concept {
                    Some(c) => (c.state.clone(), c.review.clone()),
                    None => (ConceptState::default(), None),
                };
                let before =
                    mastery::predict(&model.params, &concept_params, &learner, &state, prerequisites, at).probability;
                prior = before;
                mastery::update(&model.params, &mut learner, &mut state, evidence);
                let after =
                    mastery::predict(&model.params, &concept_params, &learner, &state, prerequisites, at).probability;
                let card = review::card_after(card, spec.kind, outcome, before, after, at);
                ModelOutputs {
                    learner,
                    concept_state: state,
                    mastery: after,
                    review_due: card.as_ref().and_then(|c| DateTime::from_timestamp(c.due, 0)),
                    review: card,
                }
            })
            .await
            .map_err(|e| match e {
                StoreError::Duplicate("idempotency_key") => LearningError::DuplicateEvidence,
                e => e.into(),
            })?;
        // The answer needs only what the write read and wrote: the concept and its prerequisites.
        let mut records = written.prerequisites;
        records.push(written.concept);
        let standing = Standing::from_records(Some(written.learner), records);
        let standing = self.concept_mastery_of(&model, &graph, &standing, spec.concept, at);
        Ok(RecordedEvidence { standing, predicted_before: prior })
    }

    fn concept_mastery_of(
        &self,
        model: &OrgModel,
        graph: &OrgGraph,
        standing: &Standing,
        id: ConceptId,
        at: i64,
    ) -> ConceptMastery {
        let (prediction, count) = standing.predict(model, graph, id, at);
        let mastery = if count > 0 { prediction.probability } else { 0.0 };
        let explanation = match standing.concepts.get(&id) {
            Some(c) if count > 0 => mastery::explain(&prediction, &c.state),
            _ => format!(
                "no evidence yet; the model expects a {:.0} % chance of a right first answer",
                prediction.probability * 100.0
            ),
        };
        ConceptMastery {
            concept_id: id,
            name: graph.concepts.get(&id).map(|c| c.name.clone()).unwrap_or_default(),
            program_id: graph.concepts.get(&id).map(|c| c.program).unwrap_or_default(),
            mastery,
            mastered: count > 0 && mastery >= MASTERED_AT,
            predicted_success: prediction.probability,
            evidence_count: count,
            explanation,
            review_due: standing.reviews.get(&id).and_then(|card| DateTime::from_timestamp(card.due, 0)),
        }
    }

    /// A learner's standing on every concept of the programs they are enrolled in.
    pub async fn mastery(&self, org: OrgId, person: PersonId, at: DateTime<Utc>) -> LearningResult<LearnerMastery> {
        let graph = self.published(org).await?;
        let model = self.model(org).await?;
        let standing = self.standing(org, person).await?;
        let concepts = self.enrolled_concepts(org, person, &graph).await?;
        let concepts =
            concepts.into_iter().map(|c| self.concept_mastery_of(&model, &graph, &standing, c, seconds(at))).collect();
        Ok(LearnerMastery { person_id: person, concepts })
    }

    /// One concept's standing with the model's reasons and recent evidence.
    pub async fn concept_mastery(
        &self,
        org: OrgId,
        person: PersonId,
        concept: ConceptId,
        at: DateTime<Utc>,
    ) -> LearningResult<ConceptMasteryDetail> {
        let graph = self.published(org).await?;
        if !graph.concepts.contains_key(&concept) {
            return Err(LearningError::NotFound("concept"));
        }
        let model = self.model(org).await?;
        let standing = self.standing(org, person).await?;
        let (prediction, _) = standing.predict(&model, &graph, concept, seconds(at));
        let evidence = self.store.evidence(org, person, Some(concept), EVIDENCE_SHOWN).await?;
        Ok(ConceptMasteryDetail {
            standing: self.concept_mastery_of(&model, &graph, &standing, concept, seconds(at)),
            contributions: prediction.contributions,
            review: standing.reviews.get(&concept).cloned(),
            evidence: evidence.into_iter().filter_map(evidence_view).collect(),
        })
    }

    /// A learner's evidence, newest first.
    pub async fn evidence(&self, org: OrgId, person: PersonId, limit: i64) -> LearningResult<Vec<EvidenceView>> {
        Ok(self.store.evidence(org, person, None, limit).await?.into_iter().filter_map(evidence_view).collect())
    }

    /// Sets a goal for a learner. Its concepts must be in programs the learner is enrolled in.
    pub async fn set_goal(&self, org: OrgId, person: PersonId, by: PersonId, spec: GoalSpec) -> LearningResult<Goal> {
        let graph = self.published(org).await?;
        let enrolled: HashSet<ProgramId> = self.store.enrolled_programs(org, person).await?.into_iter().collect();
        let (title, targets) = match spec.kind {
            GoalKind::Concept => {
                let id = spec.concept.ok_or_else(|| invalid("concept_id", "a concept goal names its concept"))?;
                let concept =
                    graph.concepts.get(&id).ok_or_else(|| invalid("concept_id", "no such published concept"))?;
                if !enrolled.contains(&concept.program) {
                    return Err(LearningError::concept_not_enrolled(&concept.name));
                }
                (concept.name.clone(), vec![id])
            }
            GoalKind::Program => {
                let id = spec.program.ok_or_else(|| invalid("program_id", "a program goal names its program"))?;
                let concepts = graph.by_program.get(&id).cloned().unwrap_or_default();
                if concepts.is_empty() {
                    return Err(invalid("program_id", "no such published program"));
                }
                if !enrolled.contains(&id) {
                    return Err(LearningError::program_not_enrolled());
                }
                let title = self.store.program(org, id).await.map_err(|e| not_found(e, "program"))?.title;
                (title, concepts)
            }
            GoalKind::Text => {
                let text = spec.text.as_deref().map(str::trim).unwrap_or_default();
                if text.is_empty() || text.chars().count() > MAX_GOAL_CHARS {
                    return Err(invalid("text", &format!("must be 1 to {MAX_GOAL_CHARS} characters")));
                }
                let candidates: Vec<ConceptId> =
                    enrolled.iter().flat_map(|p| graph.by_program.get(p).cloned().unwrap_or_default()).collect();
                let targets = self.resolve_text(org, &graph, &candidates, text).await?;
                if targets.is_empty() {
                    return Err(invalid("text", "no concept of the learner's programs matches this goal"));
                }
                (text.to_string(), targets)
            }
        };
        let goal = GoalRecord {
            id: GoalId::new(),
            person,
            kind: spec.kind,
            title,
            targets,
            set_by: Some(by),
            created_at: Utc::now(),
            deadline: spec.deadline,
        };
        let stored = self.store.create_goal(org, &goal).await?;
        Ok(goal_view(&graph, stored))
    }

    /// Concepts a free-text goal points at: the knowledge base is searched
    /// for the text, and each concept scores by the reciprocal rank of the hits
    /// inside its material, plus the share of the text's words in its name,
    /// description and tags.
    async fn resolve_text(
        &self,
        org: OrgId,
        graph: &OrgGraph,
        candidates: &[ConceptId],
        text: &str,
    ) -> LearningResult<Vec<ConceptId>> {
        let request = SearchRequest {
            query: text.to_string(),
            collections: None,
            domains: None,
            documents: None,
            k: 20,
            mode: SearchMode::Hybrid,
        };
        let hits = match self.knowledge.search(org, &request).await {
            Ok(results) => results.hits,
            Err(e) => {
                tracing::warn!(error = %e, "goal search failed; matching concept names only");
                Vec::new()
            }
        };
        let words = wayfinder_knowledge_rules::lexical_terms(text);
        let mut scored: Vec<(f64, ConceptId)> = Vec::new();
        for id in candidates {
            let Some(concept) = graph.concepts.get(id) else { continue };
            let mut score = 0.0;
            for (rank, hit) in hits.iter().enumerate() {
                let inside = concept
                    .material
                    .iter()
                    .any(|m| m.document == hit.chunk.document && hit.chunk.section_path.starts_with(&m.section));
                if inside {
                    score += 1.0 / (rank as f64 + 1.0);
                }
            }
            if !words.is_empty() {
                let own: HashSet<String> = wayfinder_knowledge_rules::lexical_terms(&format!(
                    "{} {} {}",
                    concept.name,
                    concept.description,
                    concept.tags.join(" ")
                ))
                .into_iter()
                .collect();
                score += words.iter().filter(|w| own.contains(*w)).count() as f64 / words.len() as f64;
            }
            if score > 0.0 {
                scored.push((score, *id));
            }
        }
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let best = scored.first().map(|s| s.0).unwrap_or_default();
        // Concepts scoring well below the best are noise, not part of the goal.
        Ok(scored.into_iter().take_while(|s| s.0 > best / 2.0).take(TEXT_GOAL_CONCEPTS).map(|s| s.1).collect())
    }

    /// A learner's goals.
    pub async fn goals(&self, org: OrgId, person: PersonId) -> LearningResult<Vec<Goal>> {
        let graph = self.published(org).await?;
        Ok(self.store.goals(org, person).await?.into_iter().map(|g| goal_view(&graph, g)).collect())
    }

    /// One goal (for permission checks: its learner).
    pub async fn goal_owner(&self, org: OrgId, goal: GoalId) -> LearningResult<PersonId> {
        Ok(self.store.goal(org, goal).await.map_err(|e| not_found(e, "goal"))?.person)
    }

    /// Deletes a goal.
    pub async fn delete_goal(&self, org: OrgId, goal: GoalId) -> LearningResult<()> {
        self.store.delete_goal(org, goal).await.map_err(|e| not_found(e, "goal"))
    }

    /// The path to a goal from where the learner stands at `at`.
    pub async fn path(&self, org: OrgId, goal: GoalId, at: DateTime<Utc>) -> LearningResult<LearningPath> {
        let goal = self.store.goal(org, goal).await.map_err(|e| not_found(e, "goal"))?;
        let graph = self.published(org).await?;
        let model = self.model(org).await?;
        let standing = self.standing(org, goal.person).await?;
        let now = seconds(at);
        let targets: Vec<ConceptId> = goal.targets.iter().copied().filter(|t| graph.concepts.contains_key(t)).collect();
        let masteries = standing.masteries(&model, &graph, now);
        let steps = path::plan_path(&graph.graph, &targets, |id| masteries.get(&id).copied().unwrap_or(0.0));
        let on_path: HashSet<ConceptId> = steps.iter().map(|s| s.concept).collect();
        let mut mastered: Vec<ConceptId> = targets.iter().copied().filter(|t| !on_path.contains(t)).collect();
        for step in &steps {
            for p in graph.graph.prerequisites(step.concept) {
                if !on_path.contains(p) && !mastered.contains(p) {
                    mastered.push(*p);
                }
            }
        }
        // The titles of every document the steps cite, in one query; material whose
        // document was deleted since is not shown.
        let mut documents: Vec<wayfinder_knowledge_rules::DocumentId> = steps
            .iter()
            .flat_map(|s| graph.concepts.get(&s.concept).map(|c| c.material.as_slice()).unwrap_or_default())
            .map(|m| m.document)
            .collect();
        documents.sort_unstable();
        documents.dedup();
        let titles = self.store.document_titles(org, &documents).await?;
        let views: Vec<PathStepView> = steps.into_iter().map(|step| step_view(&graph, &titles, step)).collect();
        Ok(LearningPath {
            total_minutes: views.iter().map(|s| s.estimated_minutes).sum(),
            goal: goal_view(&graph, goal),
            steps: views,
            mastered: mastered.into_iter().map(|m| named(&graph, m)).collect(),
            computed_at: at,
        })
    }

    /// Where a learner's path to `targets` begins at `at`: its first concepts whose
    /// prerequisites are all known (at most five, in path order).
    pub(crate) async fn first_concepts(
        &self,
        org: OrgId,
        person: PersonId,
        targets: &[ConceptId],
        at: DateTime<Utc>,
    ) -> LearningResult<Vec<ConceptName>> {
        let graph = self.published(org).await?;
        let model = self.model(org).await?;
        let masteries = self.standing(org, person).await?.masteries(&model, &graph, seconds(at));
        let targets: Vec<ConceptId> = targets.iter().copied().filter(|t| graph.concepts.contains_key(t)).collect();
        let steps = path::plan_path(&graph.graph, &targets, |id| masteries.get(&id).copied().unwrap_or(0.0));
        let on_path: HashSet<ConceptId> = steps.iter().map(|s| s.concept).collect();
        Ok(steps
            .iter()
            .map(|s| s.concept)
            .filter(|&c| graph.graph.prerequisites(c).iter().all(|p| !on_path.contains(p)))
            .take(5)
            .map(|c| named(&graph, c))
            .collect())
    }

    /// The next best step: a frontier concept of the learner's goals (of all
    /// their programs without goals) or a due review, chosen so the predicted
    /// success is in the productive band.
    pub async fn next_step(&self, org: OrgId, person: PersonId, at: DateTime<Utc>) -> LearningResult<Option<NextStep>> {
        let graph = self.published(org).await?;
        let model = self.model(org).await?;
        let standing = self.standing(org, person).await?;
        let now = seconds(at);
        let enrolled = self.enrolled_concepts(org, person, &graph).await?;
        let goals = self.store.goals(org, person).await?;
        let targets: Vec<ConceptId> = if goals.is_empty() {
            enrolled.clone()
        } else {
            goals.iter().flat_map(|g| g.targets.iter().copied()).filter(|t| graph.concepts.contains_key(t)).collect()
        };
        let masteries = standing.masteries(&model, &graph, now);
        let mastery_of = |id: ConceptId| masteries.get(&id).copied().unwrap_or(0.0);
        let mut candidates: Vec<Candidate<ConceptId>> = path::frontier(&graph.graph, &targets, mastery_of)
            .into_iter()
            .map(|c| Candidate {
                concept: c,
                predicted_success: standing.predict(&model, &graph, c, now).0.probability,
                kind: CandidateKind::Frontier,
            })
            .collect();
        let enrolled: HashSet<ConceptId> = enrolled.into_iter().collect();
        for (id, card) in &standing.reviews {
            if card.due <= now && enrolled.contains(id) {
                candidates.push(Candidate {
                    concept: *id,
                    predicted_success: standing.predict(&model, &graph, *id, now).0.probability,
                    kind: CandidateKind::DueReview { overdue_days: (now - card.due) as f64 / 86_400.0 },
                });
            }
        }
        Ok(path::next_best_step(&candidates).map(|c| {
            let (kind, why) = match c.kind {
                CandidateKind::Frontier => (
                    "learn",
                    format!(
                        "Everything it builds on is mastered; you should get about {:.0} % of its questions right.",
                        c.predicted_success * 100.0
                    ),
                ),
                CandidateKind::DueReview { overdue_days } => (
                    "review",
                    format!(
                        "A review is due{}; you should recall about {:.0} % of it.",
                        match overdue_days.floor() as i64 {
                            days if days < 1 => String::new(),
                            1 => " (a day overdue)".to_string(),
                            days => format!(" ({days} days overdue)"),
                        },
                        c.predicted_success * 100.0
                    ),
                ),
            };
            NextStep {
                concept: named(&graph, c.concept),
                kind: kind.into(),
                predicted_success: c.predicted_success,
                why,
            }
        }))
    }

    /// Reviews due by the end of `at`'s day (UTC), most overdue first.
    pub async fn due_reviews(&self, org: OrgId, person: PersonId, at: DateTime<Utc>) -> LearningResult<Vec<DueReview>> {
        let graph = self.published(org).await?;
        let model = self.model(org).await?;
        let standing = self.standing(org, person).await?;
        let end_of_day = at.date_naive().and_hms_opt(23, 59, 59).map(|t| t.and_utc()).unwrap_or(at);
        let mut due: Vec<DueReview> = standing
            .reviews
            .iter()
            .filter(|(id, _)| graph.concepts.contains_key(id))
            .filter_map(|(id, card)| {
                let due = DateTime::from_timestamp(card.due, 0).filter(|d| *d <= end_of_day)?;
                Some(DueReview {
                    concept: named(&graph, *id),
                    due,
                    mastery: standing.mastery(&model, &graph, *id, seconds(at)),
                    retrievability: review::retrievability(card, seconds(at)),
                })
            })
            .collect();
        due.sort_by(|a, b| a.due.cmp(&b.due).then(a.concept.name.cmp(&b.concept.name)));
        Ok(due)
    }
}

fn evidence_view(r: EvidenceRecord) -> Option<EvidenceView> {
    Some(EvidenceView {
        id: r.id,
        concept_id: r.concept,
        kind: r.kind.parse().ok()?,
        outcome: r.outcome,
        source: r.source,
        recorded_by: r.recorded_by,
        idempotency_key: r.idempotency_key,
        occurred_at: r.occurred_at,
    })
}

fn goal_view(graph: &OrgGraph, g: GoalRecord) -> Goal {
    Goal {
        id: g.id,
        person_id: g.person,
        kind: g.kind,
        title: g.title,
        targets: g.targets.iter().map(|t| named(graph, *t)).collect(),
        set_by: g.set_by,
        created_at: g.created_at,
        deadline: g.deadline,
    }
}

fn invalid(field: &str, message: &str) -> LearningError {
    LearningError::Invalid { field: field.into(), message: message.into() }
}

impl Learning {
    /// Records that a coach's answer drew on the material of concepts the
    /// learner is enrolled in: one `exposure` per concept whose material holds
    /// a cited passage (weak evidence, never a success). `source` names the
    /// answer, so a repeated call records nothing twice. Returns the concepts.
    /// What a coach may know of the person it talks to, from their own record alone: their
    /// goals, their next step, and their mastery of the concepts of their programs that
    /// `chunks` (the passages the coach is given) teach. `None` when they are enrolled in no
    /// published program.
    pub async fn coach_briefing(
        &self,
        org: OrgId,
        person: PersonId,
        chunks: &[wayfinder_knowledge_rules::ChunkId],
        at: DateTime<Utc>,
    ) -> LearningResult<Option<CoachBriefing>> {
        let graph = self.published(org).await?;
        let enrolled = self.enrolled_concepts(org, person, &graph).await?;
        if enrolled.is_empty() {
            return Ok(None);
        }
        let passages = if chunks.is_empty() { Vec::new() } else { self.store.chunks(org, chunks).await? };
        let taught = teaching(&graph, enrolled, &passages);
        let model = self.model(org).await?;
        let standing = self.standing(org, person).await?;
        let concepts =
            taught.into_iter().map(|c| self.concept_mastery_of(&model, &graph, &standing, c, seconds(at))).collect();
        let goals = self.store.goals(org, person).await?.into_iter().map(|g| g.title).collect();
        let next_step = self.next_step(org, person, at).await?;
        Ok(Some(CoachBriefing { goals, next_step, concepts }))
    }

    /// The concept to offer for practice under an answer that cites `chunks`: of the concepts of
    /// the person's programs that the chunks teach, the least mastered with approved questions to
    /// practise. `None` when there is none.
    pub async fn practice_offer(
        &self,
        org: OrgId,
        person: PersonId,
        chunks: &[wayfinder_knowledge_rules::ChunkId],
        at: DateTime<Utc>,
    ) -> LearningResult<Option<ConceptName>> {
        let graph = self.published(org).await?;
        let enrolled = self.enrolled_concepts(org, person, &graph).await?;
        if enrolled.is_empty() || chunks.is_empty() {
            return Ok(None);
        }
        let passages = self.store.chunks(org, chunks).await?;
        let taught = teaching(&graph, enrolled, &passages);
        if taught.is_empty() {
            return Ok(None);
        }
        let model = self.model(org).await?;
        let standing = self.standing(org, person).await?;
        let mut ranked: Vec<(f64, ConceptId)> = taught
            .into_iter()
            .map(|c| (self.concept_mastery_of(&model, &graph, &standing, c, seconds(at)).mastery, c))
            .collect();
        ranked.sort_by(|a, b| a.0.total_cmp(&b.0));
        for (_, concept) in ranked {
            let approved = QuestionFilter { concept: Some(concept), status: Some(QuestionStatus::Approved) };
            if self.store.questions(org, &approved, 1, 0).await?.1 > 0 {
                return Ok(Some(named(&graph, concept)));
            }
        }
        Ok(None)
    }

    pub async fn record_exposure(
        &self,
        org: OrgId,
        person: PersonId,
        chunks: &[wayfinder_knowledge_rules::ChunkId],
        source: &str,
        at: DateTime<Utc>,
    ) -> LearningResult<Vec<ConceptId>> {
        if chunks.is_empty() {
            return Ok(Vec::new());
        }
        let graph = self.published(org).await?;
        let enrolled = self.enrolled_concepts(org, person, &graph).await?;
        if enrolled.is_empty() {
            return Ok(Vec::new());
        }
        let passages = self.store.chunks(org, chunks).await?;
        let mut exposed = Vec::new();
        for id in teaching(&graph, enrolled, &passages) {
            let spec = EvidenceSpec {
                concept: id,
                kind: EvidenceKind::Exposure,
                correct: None,
                score: None,
                source: Some(source.chars().take(200).collect()),
                idempotency_key: Some(format!("exposure:{source}:{id}")),
                occurred_at: Some(at),
            };
            match self.record_evidence(org, person, None, spec, at).await {
                Ok(_) | Err(LearningError::DuplicateEvidence) => exposed.push(id),
                Err(e) => return Err(e),
            }
        }
        Ok(exposed)
    }
}

/// One step of a path as shown, its material named by `titles` (a deleted document: left out).
fn step_view(
    graph: &OrgGraph,
    titles: &HashMap<wayfinder_knowledge_rules::DocumentId, String>,
    step: path::PathStep<ConceptId>,
) -> PathStepView {
    let concept = graph.concepts.get(&step.concept);
    let (reason, needed_by) = match step.reason {
        StepReason::Goal => ("goal".to_string(), Vec::new()),
        StepReason::PrerequisiteOf { needed_by } => {
            ("prerequisite".to_string(), needed_by.into_iter().map(|n| named(graph, n)).collect::<Vec<_>>())
        }
    };
    let why = if needed_by.is_empty() {
        format!("Part of your goal; mastery {:.0} %.", step.mastery * 100.0)
    } else {
        let names: Vec<&str> = needed_by.iter().map(|n| n.name.as_str()).collect();
        format!("Needed for {}; mastery {:.0} %.", names.join(", "), step.mastery * 100.0)
    };
    let material = concept
        .map(|c| c.material.as_slice())
        .unwrap_or_default()
        .iter()
        .filter_map(|reference| {
            let document_title = titles.get(&reference.document).cloned()?;
            Some(MaterialView { reference: reference.clone(), document_title })
        })
        .collect();
    PathStepView {
        concept: named(graph, step.concept),
        reason,
        needed_by,
        why,
        mastery: step.mastery,
        prerequisite_strength: step.prerequisite_strength,
        estimated_minutes: concept.map(|c| c.estimated_minutes).unwrap_or_default(),
        material,
    }
}
