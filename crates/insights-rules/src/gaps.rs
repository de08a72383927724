//! Knowledge gaps: the questions the knowledge base could not answer, grouped
//! into topics. With embeddings a question joins the group whose centroid is
//! nearest by cosine; without them, the group sharing the most content words
//! (Jaccard over stemmed terms). Greedy, in the order given (newest first), so
//! the result is deterministic and linear in groups × questions.

use std::collections::{BTreeMap, BTreeSet};
use wayfinder_knowledge_rules::lexical_terms;

/// Cosine to a group's centroid at or above which a question belongs to it.
pub const SAME_TOPIC_COSINE: f32 = 0.5;
/// Jaccard similarity of content terms at or above which a question belongs to a group.
pub const SAME_TOPIC_JACCARD: f64 = 0.25;

/// A question to group: its embedding when there is one, and its text.
#[derive(Clone, Debug)]
pub struct TopicItem {
    pub vector: Option<Vec<f32>>,
    pub terms: BTreeSet<String>,
}

impl TopicItem {
    pub fn new(text: &str, vector: Option<Vec<f32>>) -> TopicItem {
        TopicItem { vector: vector.map(normalised), terms: lexical_terms(text).into_iter().collect() }
    }
}

fn normalised(mut v: Vec<f32>) -> Vec<f32> {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
    v
}

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    let dot: f32 = a.iter().zip(b).map(|(x, y)| x * y).sum();
    let nb = b.iter().map(|x| x * x).sum::<f32>().sqrt();
    if nb == 0.0 { 0.0 } else { dot / nb }
}

fn jaccard(a: &BTreeSet<String>, b: &BTreeSet<String>) -> f64 {
    let union = a.union(b).count();
    if union == 0 { 0.0 } else { a.intersection(b).count() as f64 / union as f64 }
}

/// A topic being built: the members' indices, the sum of their vectors, their terms.
#[derive(Clone, Debug, Default)]
pub struct Topic {
    pub members: Vec<usize>,
    centroid: Vec<f32>,
    terms: BTreeSet<String>,
    term_counts: BTreeMap<String, usize>,
}

impl Topic {
    fn similarity(&self, item: &TopicItem) -> f64 {
        match &item.vector {
            Some(v) if !self.centroid.is_empty() => f64::from(cosine(v, &self.centroid)),
            _ => jaccard(&item.terms, &self.terms),
        }
    }

    fn threshold(&self, item: &TopicItem) -> f64 {
        if item.vector.is_some() && !self.centroid.is_empty() {
            f64::from(SAME_TOPIC_COSINE)
        } else {
            SAME_TOPIC_JACCARD
        }
    }

    fn add(&mut self, index: usize, item: &TopicItem) {
        self.members.push(index);
        if let Some(v) = &item.vector {
            if self.centroid.is_empty() {
                self.centroid = v.clone();
            } else {
                self.centroid.iter_mut().zip(v).for_each(|(c, x)| *c += x);
            }
        }
        // The group's words: those of its first question, widened by words several members share.
        for t in &item.terms {
            *self.term_counts.entry(t.clone()).or_default() += 1;
        }
        if self.members.len() == 1 {
            self.terms = item.terms.clone();
        } else {
            self.terms.extend(self.term_counts.iter().filter(|(_, n)| **n >= 2).map(|(t, _)| t.clone()));
        }
    }

    /// The group's most shared stemmed terms, most frequent first.
    pub fn keywords(&self, n: usize) -> Vec<String> {
        let mut counted: Vec<(&String, &usize)> = self.term_counts.iter().collect();
        counted.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        counted.into_iter().take(n).map(|(t, _)| t.clone()).collect()
    }
}

/// The topic an item falls into, if any is close enough.
pub fn nearest(topics: &[Topic], item: &TopicItem) -> Option<usize> {
    topics
        .iter()
        .enumerate()
        .map(|(i, t)| (i, t.similarity(item), t.threshold(item)))
        .filter(|(_, s, threshold)| s >= threshold)
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(i, _, _)| i)
}

/// Groups the items into topics, each item in exactly one.
pub fn group(items: &[TopicItem]) -> Vec<Topic> {
    let mut topics: Vec<Topic> = Vec::new();
    for (i, item) in items.iter().enumerate() {
        match nearest(&topics, item) {
            Some(t) => topics[t].add(i, item),
            None => {
                let mut topic = Topic::default();
                topic.add(i, item);
                topics.push(topic);
            }
        }
    }
    topics
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lexical(texts: &[&str]) -> Vec<TopicItem> {
        texts.iter().map(|t| TopicItem::new(t, None)).collect()
    }

    #[test]
    fn questions_sharing_their_words_form_one_topic() {
        let items = lexical(&[
            "How do I apply for student loan forgiveness?",
            "What is the weather on Mars?",
            "Can my student loan be forgiven after ten years?",
            "Is there forgiveness for a student loan when I teach?",
            "How cold is the weather on Mars at night?",
        ]);
        let topics = group(&items);
        let members: Vec<Vec<usize>> = topics.iter().map(|t| t.members.clone()).collect();
        assert_eq!(members, vec![vec![0, 2, 3], vec![1, 4]]);
        assert_eq!(topics[0].keywords(2), ["loan", "student"]);
    }

    #[test]
    fn with_vectors_the_centroid_decides() {
        let items = vec![
            TopicItem::new("a", Some(vec![1.0, 0.0, 0.0])),
            TopicItem::new("b", Some(vec![0.0, 1.0, 0.0])),
            TopicItem::new("c", Some(vec![0.9, 0.1, 0.0])),
            TopicItem::new("d", Some(vec![0.1, 0.9, 0.1])),
            TopicItem::new("e", Some(vec![0.0, 0.0, 1.0])),
        ];
        let members: Vec<Vec<usize>> = group(&items).iter().map(|t| t.members.clone()).collect();
        assert_eq!(members, vec![vec![0, 2], vec![1, 3], vec![4]]);
        let topics = group(&items[..2]);
        assert_eq!(nearest(&topics, &TopicItem::new("x", Some(vec![0.2, 0.8, 0.0]))), Some(1));
        assert_eq!(nearest(&topics, &TopicItem::new("x", Some(vec![0.0, 0.0, 1.0]))), None);
    }
}

wayfinder_accounts_rules::closed_set! {
/// What became of a question put to a coach.
pub enum QuestionOutcome {
    /// Answered with medium or high confidence.
    Answered,
    /// Answered, but with low confidence.
    LowConfidence,
    /// The coach said the material does not answer it.
    Refused,
    /// The model failed before answering.
    Failed,
}
}

impl QuestionOutcome {
    /// Whether the question counts as one the knowledge base could not answer (a rating of
    /// "missing source" makes an answered one count too).
    pub fn is_gap(self, missing_source: bool) -> bool {
        matches!(self, QuestionOutcome::Refused | QuestionOutcome::LowConfidence) || missing_source
    }
}
