//! What an interview's summary suggests for the learner's profile: the
//! programs whose title, description or concepts speak of what the learner
//! said (their interests, strengths, goals — every text field of the summary).
//! Words match when they share their first five letters ("robots" finds
//! "Robotics") or a word of four letters begins the other ("draw" and
//! "drawing"); common words are left out. A coach intake's self-rating (its
//! first scale field) says where the learner's path starts.

use crate::flow::{FieldKind, SummaryField};
use crate::summary::SummaryValue;
use crate::words::words;
use serde_json::Value;
use std::collections::BTreeSet;

/// Words too common to say what a learner is drawn to.
const COMMON: &[&str] = &[
    "about", "again", "also", "because", "being", "better", "could", "doing", "every", "from", "good", "have", "into",
    "just", "like", "love", "make", "more", "most", "much", "people", "really", "should", "some", "that", "their",
    "them", "then", "there", "they", "thing", "things", "this", "very", "want", "well", "what", "when", "with",
    "would", "your", "enjoy", "friends",
];

/// Whether two words are forms of one: five first letters in common, or one of four letters or
/// more beginning the other.
fn same_word(a: &str, b: &str) -> bool {
    let common = a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count();
    let shorter = a.chars().count().min(b.chars().count());
    if shorter < 5 { shorter >= 4 && common == shorter } else { common >= 5 }
}

/// The learner's own words in the summary's text fields, each once.
fn summary_terms(fields: &[SummaryField], summary: &[SummaryValue]) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let mut terms = Vec::new();
    for value in summary {
        let textual =
            fields.iter().any(|f| f.key == value.key && matches!(f.kind, FieldKind::Text | FieldKind::TextList));
        if !textual {
            continue;
        }
        let texts: Vec<&str> = match &value.value {
            Value::String(s) => vec![s.as_str()],
            Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        for word in texts.iter().flat_map(|t| words(t)) {
            if word.chars().count() >= 4 && !COMMON.contains(&word.as_str()) && seen.insert(word.clone()) {
                terms.push(word);
            }
        }
    }
    terms
}

/// The learner's self-rating in a summary: the value of the schema's first scale field, 1 to 5
/// (none when the schema has no scale or the interview did not tell).
pub fn self_rating(fields: &[SummaryField], summary: &[SummaryValue]) -> Option<i64> {
    let scale = fields.iter().find(|f| f.kind == FieldKind::Scale)?;
    summary.iter().find(|v| v.key == scale.key)?.value.as_i64().filter(|r| (1..=5).contains(r))
}

/// The candidates (`id` with its texts) that share words with the summary, best first, each with
/// the learner's words it matched; ties keep the candidates' order.
pub fn suggest<I: Clone>(
    fields: &[SummaryField],
    summary: &[SummaryValue],
    candidates: &[(I, Vec<String>)],
) -> Vec<(I, Vec<String>)> {
    let terms = summary_terms(fields, summary);
    let mut scored: Vec<(usize, I, Vec<String>)> = candidates
        .iter()
        .enumerate()
        .filter_map(|(order, (id, texts))| {
            let theirs: BTreeSet<String> = texts.iter().flat_map(|t| words(t)).collect();
            let matched: Vec<String> =
                terms.iter().filter(|term| theirs.iter().any(|w| same_word(term, w))).cloned().collect();
            (!matched.is_empty()).then(|| (order, id.clone(), matched))
        })
        .collect();
    scored.sort_by(|a, b| b.2.len().cmp(&a.2.len()).then(a.0.cmp(&b.0)));
    scored.into_iter().map(|(_, id, matched)| (id, matched)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_self_rating_is_the_first_scale_field() {
        let field = |key: &str, kind| SummaryField { key: key.into(), kind, description: String::new() };
        let value = |key: &str, value: Value| SummaryValue { key: key.into(), value, turns: vec![3], corrected: false };
        let fields = [
            field("goals", FieldKind::TextList),
            field("experience", FieldKind::Scale),
            field("time", FieldKind::Scale),
        ];
        let summary =
            [value("goals", serde_json::json!(["lead"])), value("experience", 2.into()), value("time", 5.into())];
        assert_eq!(self_rating(&fields, &summary), Some(2));
        assert_eq!(self_rating(&fields, &[value("experience", Value::Null)]), None);
        assert_eq!(self_rating(&fields[..1], &summary), None, "no scale field");
    }
    use serde_json::json;

    #[test]
    fn programs_that_speak_of_what_the_learner_said_come_first() {
        let fields = vec![
            SummaryField { key: "interests".into(), kind: FieldKind::TextList, description: String::new() },
            SummaryField { key: "confidence".into(), kind: FieldKind::Scale, description: String::new() },
        ];
        let summary = vec![
            SummaryValue {
                key: "interests".into(),
                value: json!(["building robots", "drawing comics", "friends"]),
                turns: vec![2],
                corrected: false,
            },
            SummaryValue { key: "confidence".into(), value: json!(4), turns: vec![4], corrected: false },
        ];
        let candidates = vec![
            ("cooking", vec!["Cooking basics".to_string(), "Knife skills and recipes".to_string()]),
            ("art", vec!["Draw every day".to_string(), "Comic strips, sketching".to_string()]),
            ("robotics", vec!["Intro to Robotics".to_string(), "Build a robot that can draw".to_string()]),
            ("social", vec!["Making friends at university".to_string()]),
        ];
        let suggested = suggest(&fields, &summary, &candidates);
        assert_eq!(
            suggested,
            vec![
                ("robotics", vec!["building".to_string(), "robots".to_string(), "drawing".to_string()]),
                ("art", vec!["drawing".to_string(), "comics".to_string()]),
            ]
        );
        assert!(suggest(&fields, &[], &candidates).is_empty());
    }
}
