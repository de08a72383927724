//! Knowledge gaps: the questions the knowledge base could not answer (refused,
//! answered with low confidence, or rated "missing source"), grouped into
//! topics, each with how often it was asked, how often it went unanswered,
//! examples and a weekly trend, so an administrator knows what material to
//! add. Answered questions of the same period are matched to the topics too:
//! when material is added, a topic's later questions are answered and its
//! refusal rate falls.

use crate::{Insights, InsightsError, InsightsResult};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;
use wayfinder_accounts_rules::OrgId;
use wayfinder_insights_rules::gaps::{QuestionOutcome, TopicItem, group, nearest};
use wayfinder_store::LoggedQuestion;

/// Most questions the knowledge base could not answer that one report groups (the newest).
pub const MAX_GAP_QUESTIONS: i64 = 1_000;
/// Most answered questions matched to the topics (the newest).
pub const MAX_ANSWERED_QUESTIONS: i64 = 2_000;
/// Most questions embedded for one report; the rest are grouped by their words until a later report.
const EMBED_PER_REPORT: usize = 256;
/// Examples shown per topic.
const EXAMPLES: usize = 5;

/// An example question of a topic.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct GapExample {
    pub question: String,
    pub outcome: QuestionOutcome,
    pub missing_source: bool,
    pub asked_at: DateTime<Utc>,
}

/// A topic's questions in one week.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct GapWeek {
    pub week_start: NaiveDate,
    /// Questions it could not answer.
    pub unanswered: i64,
    pub answered: i64,
}

/// A topic the knowledge base lacks.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct GapTopic {
    /// Its most recent unanswered question, as a name for it.
    pub label: String,
    /// The words its questions share most (stemmed).
    pub keywords: Vec<String>,
    /// Questions it could not answer, by why.
    pub unanswered: i64,
    pub refused: i64,
    pub low_confidence: i64,
    pub missing_source: i64,
    /// Questions on the same topic that were answered.
    pub answered: i64,
    /// `unanswered / (unanswered + answered)`.
    pub refusal_rate: f64,
    pub first_asked: DateTime<Utc>,
    pub last_asked: DateTime<Utc>,
    /// When it last went unanswered.
    pub last_unanswered: DateTime<Utc>,
    pub examples: Vec<GapExample>,
    /// Oldest week first.
    pub weeks: Vec<GapWeek>,
}

/// The knowledge-gap report.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct KnowledgeGaps {
    pub days: i64,
    /// When the report was aggregated (it is reused until a question is asked or rated, or for
    /// ten minutes).
    pub computed_at: DateTime<Utc>,
    /// Whether topics were found by meaning (an embedding model) or by shared words.
    pub grouped_by: GapGrouping,
    /// The period's unanswered questions that were grouped (the newest, up to 1,000).
    pub unanswered_questions: usize,
    /// The period's answered questions that were compared with the topics (the newest, up to
    /// 2,000); each topic's `answered` counts those near it.
    pub answered_questions: usize,
    /// Most unanswered first.
    pub topics: Vec<GapTopic>,
}

wayfinder_accounts_rules::closed_set! {
/// How questions were grouped into topics.
pub enum GapGrouping {
    /// By the cosine of their embeddings.
    Meaning,
    /// By the content words they share.
    Words,
}
}

fn quantised(v: &[f32]) -> Vec<u8> {
    v.iter().map(|x| ((x.clamp(-1.0, 1.0) * 127.0).round() as i8) as u8).collect()
}

fn dequantised(bytes: &[u8]) -> Vec<f32> {
    bytes.iter().map(|b| f32::from(*b as i8) / 127.0).collect()
}

impl Insights {
    /// The topics the knowledge base lacked in the last `days` days, most unanswered first;
    /// reused while no question was asked or rated since (for up to ten minutes).
    pub async fn gaps(&self, org: OrgId, days: i64, now: DateTime<Utc>) -> InsightsResult<KnowledgeGaps> {
        if !(1..=365).contains(&days) {
            return Err(InsightsError::Invalid { field: "days", message: "must be 1 to 365".into() });
        }
        let fingerprint = self.store.gaps_fingerprint(org).await?;
        if let Some(report) = self.gaps.get((org, days), &fingerprint) {
            return Ok(report);
        }
        let report = self.compute_gaps(org, days, now).await?;
        self.gaps.put((org, days), fingerprint, report.clone());
        Ok(report)
    }

    async fn compute_gaps(&self, org: OrgId, days: i64, now: DateTime<Utc>) -> InsightsResult<KnowledgeGaps> {
        let since = now - Duration::days(days);
        let mut gaps = self.store.logged_questions(org, since, true, MAX_GAP_QUESTIONS).await?;
        let mut answered = self.store.logged_questions(org, since, false, MAX_ANSWERED_QUESTIONS).await?;
        let by_meaning = self.embed_missing(&mut gaps, &mut answered).await;
        let zone = self.store.org_time_zone(org).await?;

        let items: Vec<TopicItem> = gaps.iter().map(item).collect();
        let topics = group(&items);
        let mut matched: Vec<Vec<&LoggedQuestion>> = vec![Vec::new(); topics.len()];
        for q in &answered {
            if let Some(t) = nearest(&topics, &item(q)) {
                matched[t].push(q);
            }
        }
        let mut report: Vec<GapTopic> = topics
            .iter()
            .zip(matched)
            .map(|(topic, answered)| {
                let members: Vec<&LoggedQuestion> = topic.members.iter().map(|&i| &gaps[i]).collect();
                let count = |o: QuestionOutcome| members.iter().filter(|q| q.outcome == o).count() as i64;
                let unanswered = members.len() as i64;
                let mut weeks: BTreeMap<NaiveDate, (i64, i64)> = BTreeMap::new();
                for q in &members {
                    weeks.entry(zone.day_of(q.asked_at).week_start().date()).or_default().0 += 1;
                }
                for q in &answered {
                    weeks.entry(zone.day_of(q.asked_at).week_start().date()).or_default().1 += 1;
                }
                let all = members.iter().chain(answered.iter());
                GapTopic {
                    label: members[0].question.clone(),
                    keywords: topic.keywords(5),
                    unanswered,
                    refused: count(QuestionOutcome::Refused),
                    low_confidence: count(QuestionOutcome::LowConfidence),
                    missing_source: members.iter().filter(|q| q.missing_source).count() as i64,
                    answered: answered.len() as i64,
                    refusal_rate: unanswered as f64 / (unanswered + answered.len() as i64) as f64,
                    first_asked: all.clone().map(|q| q.asked_at).min().unwrap_or(now),
                    last_asked: all.map(|q| q.asked_at).max().unwrap_or(now),
                    last_unanswered: members[0].asked_at,
                    examples: members
                        .iter()
                        .take(EXAMPLES)
                        .map(|q| GapExample {
                            question: q.question.clone(),
                            outcome: q.outcome,
                            missing_source: q.missing_source,
                            asked_at: q.asked_at,
                        })
                        .collect(),
                    weeks: weeks
                        .into_iter()
                        .map(|(week_start, (unanswered, answered))| GapWeek { week_start, unanswered, answered })
                        .collect(),
                }
            })
            .collect();
        report.sort_by(|a, b| b.unanswered.cmp(&a.unanswered).then(b.last_unanswered.cmp(&a.last_unanswered)));
        Ok(KnowledgeGaps {
            days,
            computed_at: now,
            grouped_by: if by_meaning { GapGrouping::Meaning } else { GapGrouping::Words },
            unanswered_questions: gaps.len(),
            answered_questions: answered.len(),
            topics: report,
        })
    }

    /// Embeds the questions that have no vector yet (a bounded number per report) and keeps the
    /// vectors; answers whether an embedding model is there.
    async fn embed_missing(&self, gaps: &mut [LoggedQuestion], answered: &mut [LoggedQuestion]) -> bool {
        let missing: Vec<&mut LoggedQuestion> =
            gaps.iter_mut().chain(answered.iter_mut()).filter(|q| q.vector.is_none()).take(EMBED_PER_REPORT).collect();
        if missing.is_empty() {
            return self.knowledge.embedding_model().is_some();
        }
        let texts: Vec<String> = missing.iter().map(|q| q.question.clone()).collect();
        let vectors = match self.knowledge.embed_queries(&texts).await {
            Ok(Some(vectors)) => vectors,
            Ok(None) => return false,
            Err(error) => {
                tracing::warn!(%error, "questions could not be embedded; the gap report groups them by their words");
                return false;
            }
        };
        let mut stored = Vec::with_capacity(vectors.len());
        for (q, v) in missing.into_iter().zip(vectors) {
            let bytes = quantised(&v);
            stored.push((q.question_id.clone(), bytes.clone()));
            q.vector = Some(bytes);
        }
        if let Err(error) = self.store.set_question_vectors(&stored).await {
            tracing::warn!(%error, "the questions' embeddings could not be kept");
        }
        true
    }
}

fn item(q: &LoggedQuestion) -> TopicItem {
    TopicItem::new(&q.question, q.vector.as_deref().map(dequantised))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantised_vectors_keep_their_direction() {
        let v = [0.6f32, -0.8, 0.0];
        let back = dequantised(&quantised(&v));
        let cos: f32 =
            v.iter().zip(&back).map(|(a, b)| a * b).sum::<f32>() / back.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!(cos > 0.9999, "{cos}");
    }
}
