//! Programs an interview's summary suggests: the organisation's published
//! programs whose title, description or concepts speak of what the learner
//! said, best first (see `wayfinder_interviews_rules::profile`).

use crate::{Interviews, InterviewsResult};
use serde::Serialize;
use std::collections::HashMap;
use utoipa::ToSchema;
use wayfinder_accounts_rules::OrgId;
use wayfinder_interviews_rules::{InterviewId, profile::suggest};
use wayfinder_learning_rules::program::{ProgramId, ProgramStatus};

/// A program the learner's answers point to.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ProgramSuggestion {
    #[schema(value_type = String)]
    pub program_id: ProgramId,
    pub title: String,
    pub description: String,
    /// Learners may enrol themselves.
    pub self_enrolment: bool,
    /// The learner's words (from the summary) the program speaks of.
    pub matched: Vec<String>,
}

impl Interviews {
    /// The published programs the interview's summary points to, best first (none before it ends).
    pub async fn suggested_programs(&self, org: OrgId, id: InterviewId) -> InterviewsResult<Vec<ProgramSuggestion>> {
        let record = self.store.interview(org, id).await?;
        let Some(summary) = record.summary else { return Ok(Vec::new()) };
        let flow = self.store.interview_flow(org, record.flow, Some(record.flow_version)).await?.spec;
        let programs: Vec<_> =
            self.store.programs(org).await?.into_iter().filter(|p| p.status == ProgramStatus::Published).collect();
        let mut concepts: HashMap<ProgramId, Vec<String>> = HashMap::new();
        for concept in self.store.published_graph(org).await?.concepts {
            let texts = concepts.entry(concept.program).or_default();
            texts.push(concept.name);
            texts.push(concept.description);
            texts.extend(concept.tags);
        }
        let candidates: Vec<(usize, Vec<String>)> = programs
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let mut texts = vec![p.title.clone(), p.description.clone()];
                texts.extend(concepts.remove(&p.id).unwrap_or_default());
                (i, texts)
            })
            .collect();
        Ok(suggest(&flow.summary, &summary, &candidates)
            .into_iter()
            .map(|(i, matched)| {
                let p = &programs[i];
                ProgramSuggestion {
                    program_id: p.id,
                    title: p.title.clone(),
                    description: p.description.clone(),
                    self_enrolment: p.self_enrolment,
                    matched,
                }
            })
            .collect())
    }
}
