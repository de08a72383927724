//! Fitting each organisation's learner model to its own evidence, in the
//! background: once an organisation has enough graded answers, and again
//! whenever they have grown by a quarter, every learner's evidence is replayed
//! through the model and its weights and concept difficulties are fitted
//! (`wayfinder_learning_rules::mastery::fit`). Requests keep using the model
//! they have; a fit only replaces the stored parameters. Several instances may
//! fit the same organisation at once: each fit is a pure function of the same
//! evidence, so the last write wins with the same result.

use crate::{Learning, LearningResult};
use chrono::Utc;
use std::collections::HashMap;
use std::time::Duration;
use wayfinder_accounts_rules::{OrgId, PersonId};
use wayfinder_learning_rules::mastery::{
    Evidence, EvidenceKind, LearnerSequence, MIN_ANSWERS_TO_FIT, MasteryParams, Observation, fit,
};
use wayfinder_learning_rules::program::ConceptId;
use wayfinder_store::MasteryModelRecord;

/// What a fit did.
#[derive(Clone, Debug, PartialEq)]
pub struct FitReport {
    /// Graded answers replayed.
    pub answers: usize,
    /// False when there were too few answers and the defaults stay.
    pub fitted: bool,
    /// Mean log-loss of the answers before (defaults) and after the fit.
    pub initial_log_loss: f64,
    pub log_loss: f64,
}

/// A new fit pays once the answers have grown by this share since the last one.
const REFIT_GROWTH: f64 = 0.25;

impl Learning {
    /// Fits the organisation's learner model to its evidence and stores it
    /// (when there are at least `MIN_ANSWERS_TO_FIT` graded answers).
    pub async fn fit_model(&self, org: OrgId) -> LearningResult<FitReport> {
        let evidence = self.store.evidence_for_fit(org).await?;
        let mut sequences: Vec<LearnerSequence<ConceptId>> = Vec::new();
        let mut current: Option<PersonId> = None;
        for record in evidence {
            let Ok(kind) = record.kind.parse::<EvidenceKind>() else { continue };
            if current != Some(record.person) {
                sequences.push(LearnerSequence::default());
                current = Some(record.person);
            }
            let evidence = Evidence { kind, outcome: record.outcome, at: record.occurred_at.timestamp() };
            // Past prerequisite standings are not kept, so the fit sees none; the weight of
            // that input keeps its default.
            let observation = Observation { concept: record.concept, evidence, prerequisite_mastery: None };
            sequences.last_mut().expect("pushed above").observations.push(observation);
        }
        let fitted = tokio::task::spawn_blocking(move || fit(&sequences, &MasteryParams::default()))
            .await
            .map_err(|e| crate::LearningError::Conflict(format!("the fit stopped: {e}")))?;
        let report = FitReport {
            answers: fitted.answers,
            fitted: fitted.fitted,
            initial_log_loss: fitted.initial_log_loss,
            log_loss: fitted.log_loss,
        };
        if fitted.fitted {
            let concepts: HashMap<String, _> =
                fitted.concepts.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
            let record = MasteryModelRecord {
                params: serde_json::to_value(&fitted.params).unwrap_or_default(),
                concepts: serde_json::to_value(&concepts).unwrap_or_default(),
                answers: fitted.answers as i64,
                fitted_at: Utc::now(),
            };
            self.store.save_mastery_model(org, &record).await?;
            self.forget_model(org);
        }
        Ok(report)
    }

    /// Fits every organisation whose answers grew enough since its last fit,
    /// every `every`, until the task is dropped.
    pub async fn fit_periodically(self, every: Duration) {
        let mut tick = tokio::time::interval(every);
        loop {
            tick.tick().await;
            let counts = match self.store.graded_answer_counts().await {
                Ok(counts) => counts,
                Err(e) => {
                    tracing::warn!(error = %e, "could not count answers for the learner model");
                    continue;
                }
            };
            for (org, answers, fitted_on) in counts {
                let due = match fitted_on {
                    None => answers as usize >= MIN_ANSWERS_TO_FIT,
                    Some(previous) => answers as f64 >= previous as f64 * (1.0 + REFIT_GROWTH),
                };
                if !due {
                    continue;
                }
                match self.fit_model(org).await {
                    Ok(report) => tracing::info!(%org, answers = report.answers, log_loss = report.log_loss,
                        before = report.initial_log_loss, "fitted the learner model"),
                    Err(e) => tracing::warn!(%org, error = %e, "could not fit the learner model"),
                }
            }
        }
    }
}
