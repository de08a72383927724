//! Each process's copy of every organisation's published concept graph,
//! reloaded when the organisation's learning epoch moves (any instance's
//! change bumps it in the database), and of its fitted learner model.

use crate::{Learning, LearningResult};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use wayfinder_accounts_rules::OrgId;
use wayfinder_learning_rules::graph::ConceptGraph;
use wayfinder_learning_rules::mastery::{ConceptParams, MasteryParams};
use wayfinder_learning_rules::program::{ConceptId, ProgramId};
use wayfinder_store::ConceptRecord;

/// An organisation's concepts and prerequisites as learners see them.
pub(crate) struct OrgGraph {
    pub concepts: HashMap<ConceptId, ConceptRecord>,
    pub graph: ConceptGraph<ConceptId>,
    pub by_program: HashMap<ProgramId, Vec<ConceptId>>,
}

/// An organisation's learner model: fitted parameters, or the defaults.
pub(crate) struct OrgModel {
    pub params: MasteryParams,
    pub concepts: HashMap<ConceptId, ConceptParams>,
}

impl OrgModel {
    /// The concept's fitted parameters, or those of a concept never seen in the fit.
    pub fn concept(&self, id: ConceptId) -> ConceptParams {
        self.concepts.get(&id).cloned().unwrap_or_else(|| ConceptParams::unseen(&self.params))
    }
}

/// How long a process keeps a fitted model before reading it again: fits
/// happen in the background every few minutes at most, and a minute-old model
/// predicts as well as a fresh one.
const MODEL_KEPT_FOR: Duration = Duration::from_secs(60);

#[derive(Default)]
pub(crate) struct GraphCache {
    graphs: Mutex<HashMap<OrgId, (i64, Arc<OrgGraph>)>>,
    models: Mutex<HashMap<OrgId, (Instant, Arc<OrgModel>)>>,
}

impl Learning {
    /// The organisation's published graph, from this process's copy when it is current.
    pub(crate) async fn published(&self, org: OrgId) -> LearningResult<Arc<OrgGraph>> {
        let epoch = self.store.learning_epoch(org).await?;
        if let Some((seen, graph)) = self.graphs.graphs.lock().expect("graph cache").get(&org)
            && *seen == epoch
        {
            return Ok(graph.clone());
        }
        let published = self.store.published_graph(org).await?;
        let mut graph = ConceptGraph::new(published.prerequisites.iter().map(|e| (e.concept, e.requires)));
        let mut by_program: HashMap<ProgramId, Vec<ConceptId>> = HashMap::new();
        for concept in &published.concepts {
            graph.add_concept(concept.id);
            by_program.entry(concept.program).or_default().push(concept.id);
        }
        let concepts = published.concepts.into_iter().map(|c| (c.id, c)).collect();
        let graph = Arc::new(OrgGraph { concepts, graph, by_program });
        self.graphs.graphs.lock().expect("graph cache").insert(org, (epoch, graph.clone()));
        Ok(graph)
    }

    /// The organisation's learner model (the defaults until one is fitted).
    pub(crate) async fn model(&self, org: OrgId) -> LearningResult<Arc<OrgModel>> {
        if let Some((read, model)) = self.graphs.models.lock().expect("model cache").get(&org)
            && read.elapsed() < MODEL_KEPT_FOR
        {
            return Ok(model.clone());
        }
        let model = match self.store.mastery_model(org).await? {
            Some(record) => OrgModel {
                params: serde_json::from_value(record.params).unwrap_or_default(),
                concepts: serde_json::from_value(record.concepts).unwrap_or_default(),
            },
            None => OrgModel { params: MasteryParams::default(), concepts: HashMap::new() },
        };
        let model = Arc::new(model);
        self.graphs.models.lock().expect("model cache").insert(org, (Instant::now(), model.clone()));
        Ok(model)
    }

    /// Forgets this process's copy of an organisation's model (after a fit).
    pub(crate) fn forget_model(&self, org: OrgId) {
        self.graphs.models.lock().expect("model cache").remove(&org);
    }
}
