//! Where one learner stands, as the learner model sees it: their
//! organisation-wide state and their state on each concept with evidence,
//! read once per request, and the mastery the model gives each concept at a
//! moment. Every view (the learner's own, a path, the next step, a coach's
//! overview) computes mastery here, so they agree.

use crate::graph_cache::{OrgGraph, OrgModel};
use std::collections::HashMap;
use wayfinder_learning_rules::mastery::{self, ConceptState, LearnerState, Prediction};
use wayfinder_learning_rules::program::ConceptId;
use wayfinder_learning_rules::review::ReviewCard;
use wayfinder_store::{ConceptStanding, LearnerConceptRecord};

pub(crate) struct Standing {
    pub learner: LearnerState,
    pub concepts: HashMap<ConceptId, ConceptStanding>,
    /// Review cards of the concepts that have one (read only by the views that schedule).
    pub reviews: HashMap<ConceptId, ReviewCard>,
}

impl Standing {
    pub fn new(learner: Option<LearnerState>, concepts: impl IntoIterator<Item = ConceptStanding>) -> Standing {
        Standing {
            learner: learner.unwrap_or_default(),
            concepts: concepts.into_iter().map(|c| (c.concept, c)).collect(),
            reviews: HashMap::new(),
        }
    }

    /// From full records, review cards included.
    pub fn from_records(learner: Option<LearnerState>, records: Vec<LearnerConceptRecord>) -> Standing {
        let mut standing = Standing::new(learner, []);
        for r in records {
            if let Some(card) = r.review {
                standing.reviews.insert(r.concept, card);
            }
            let concept = ConceptStanding {
                concept: r.concept,
                state: r.state,
                mastery: r.mastery,
                evidence_count: r.evidence_count,
            };
            standing.concepts.insert(r.concept, concept);
        }
        standing
    }

    /// The model's prediction for one concept at `at` (Unix seconds), and the evidence count.
    /// Prerequisites count by their stored mastery ([`mastery::prerequisite_mastery`]).
    pub fn predict(&self, model: &OrgModel, graph: &OrgGraph, id: ConceptId, at: i64) -> (Prediction, i64) {
        let default = ConceptState::default();
        let (state, count) = match self.concepts.get(&id) {
            Some(c) => (&c.state, c.evidence_count),
            None => (&default, 0),
        };
        let prerequisites = mastery::prerequisite_mastery(
            graph.graph.prerequisites(id).iter().map(|p| self.concepts.get(p).map(|c| c.mastery)),
        );
        (mastery::predict(&model.params, &model.concept(id), &self.learner, state, prerequisites, at), count)
    }

    /// Mastery: the prediction once there is evidence, 0 before.
    pub fn mastery(&self, model: &OrgModel, graph: &OrgGraph, id: ConceptId, at: i64) -> f64 {
        match self.concepts.get(&id) {
            Some(c) if c.evidence_count > 0 => self.predict(model, graph, id, at).0.probability,
            _ => 0.0,
        }
    }

    /// Mastery at `at` of every concept with evidence, each predicted once, for the walks over
    /// the graph that ask about many concepts (the others have mastery 0).
    pub fn masteries(&self, model: &OrgModel, graph: &OrgGraph, at: i64) -> HashMap<ConceptId, f64> {
        self.concepts.keys().map(|&id| (id, self.mastery(model, graph, id, at))).collect()
    }
}
