//! The summary an interview ends in: one value per field of the flow's schema,
//! each citing the learner's turns (message seqs) it came from. A model's
//! summary is read from its structured output and checked here; without a
//! model each step's answers fill the step's field. The learner may correct
//! values; a correction is checked against the field's type too.

use crate::flow::{FieldKind, FlowSpec, SummaryField};
use crate::interviewer::falls_short;
use crate::words::words;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::collections::{HashMap, HashSet};
use utoipa::ToSchema;

/// The most items in a list field, and characters in a text field or list item.
pub const MAX_LIST_ITEMS: usize = 20;
pub const MAX_TEXT_CHARS: usize = 2000;

wayfinder_accounts_rules::closed_set! {
/// Who wrote a summary.
pub enum SummarySource {
    /// The chat model, as structured output checked against the schema.
    Model,
    /// The rules: each step's answers mapped to its field.
    Scripted,
}
}

/// One field's value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SummaryValue {
    pub key: String,
    /// A string (text), a list of strings (text_list), 1 to 5 (scale), true or false (yes_no), or
    /// null when the interview did not tell.
    #[schema(value_type = Object)]
    pub value: Value,
    /// The learner's turns (message seqs in the interview's conversation) it came from.
    pub turns: Vec<i64>,
    /// The learner changed it.
    #[serde(default)]
    pub corrected: bool,
}

/// A learner's answer, as the summary reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer<'a> {
    /// The step it answered.
    pub step: &'a str,
    /// Its message's seq.
    pub seq: i64,
    pub text: &'a str,
}

/// Why a summary (or a correction) is refused: the field and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SummaryError {
    pub field: String,
    pub message: String,
}

fn refuse<T>(field: impl Into<String>, message: impl Into<String>) -> Result<T, SummaryError> {
    Err(SummaryError { field: field.into(), message: message.into() })
}

/// The JSON schema of the model's output: an object with one property per field, each
/// `{"value": …, "turns": [seq, …]}`.
pub fn output_schema(fields: &[SummaryField]) -> Value {
    let mut properties = Map::new();
    for f in fields {
        let value = match f.kind {
            FieldKind::Text => json!({ "type": ["string", "null"] }),
            FieldKind::TextList => json!({ "type": "array", "items": { "type": "string" } }),
            FieldKind::Scale => json!({ "type": ["integer", "null"], "minimum": 1, "maximum": 5 }),
            FieldKind::YesNo => json!({ "type": ["boolean", "null"] }),
        };
        properties.insert(
            f.key.clone(),
            json!({
                "type": "object",
                "description": f.description,
                "properties": { "value": value, "turns": { "type": "array", "items": { "type": "integer" } } },
                "required": ["value", "turns"],
                "additionalProperties": false,
            }),
        );
    }
    let required: Vec<&str> = fields.iter().map(|f| f.key.as_str()).collect();
    json!({ "type": "object", "properties": properties, "required": required, "additionalProperties": false })
}

/// Checks a value against its field's type; answers it in its stored form (texts trimmed).
pub fn check_value(field: &SummaryField, value: &Value) -> Result<Value, SummaryError> {
    let at = &field.key;
    let text = |s: &str| -> Result<String, SummaryError> {
        let s = s.trim();
        if s.chars().count() > MAX_TEXT_CHARS {
            return refuse(at, format!("is longer than {MAX_TEXT_CHARS} characters"));
        }
        Ok(s.to_string())
    };
    match (field.kind, value) {
        (_, Value::Null) => Ok(Value::Null),
        (FieldKind::Text, Value::String(s)) => Ok(Value::String(text(s)?)),
        (FieldKind::TextList, Value::Array(items)) => {
            if items.len() > MAX_LIST_ITEMS {
                return refuse(at, format!("has more than {MAX_LIST_ITEMS} items"));
            }
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                let Value::String(s) = item else { return refuse(at, "must be a list of texts") };
                let s = text(s)?;
                if !s.is_empty() {
                    out.push(Value::String(s));
                }
            }
            Ok(Value::Array(out))
        }
        (FieldKind::Scale, Value::Number(n)) => match n.as_i64() {
            Some(v @ 1..=5) => Ok(json!(v)),
            _ => refuse(at, "must be a whole number from 1 to 5"),
        },
        (FieldKind::YesNo, Value::Bool(b)) => Ok(Value::Bool(*b)),
        (FieldKind::Text, _) => refuse(at, "must be a text"),
        (FieldKind::TextList, _) => refuse(at, "must be a list of texts"),
        (FieldKind::Scale, _) => refuse(at, "must be a whole number from 1 to 5"),
        (FieldKind::YesNo, _) => refuse(at, "must be true or false"),
    }
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// Reads a model's output against the schema: every field once and nothing else, each value of
/// its type, each citing only the learner's turns, and a value that says something citing one.
pub fn read_model_summary(
    fields: &[SummaryField],
    output: &Value,
    learner_turns: &[i64],
) -> Result<Vec<SummaryValue>, SummaryError> {
    let Value::Object(object) = output else { return refuse("summary", "must be a JSON object") };
    let known: HashSet<&str> = fields.iter().map(|f| f.key.as_str()).collect();
    if let Some(extra) = object.keys().find(|k| !known.contains(k.as_str())) {
        return refuse(extra.as_str(), "is not a field of this summary");
    }
    let turns_allowed: HashSet<i64> = learner_turns.iter().copied().collect();
    let mut out = Vec::with_capacity(fields.len());
    for field in fields {
        let Some(entry) = object.get(&field.key) else { return refuse(&field.key, "is missing") };
        let (Some(value), Some(Value::Array(turns))) = (entry.get("value"), entry.get("turns")) else {
            return refuse(&field.key, "must be an object with `value` and `turns`");
        };
        let value = check_value(field, value)?;
        let mut cited = Vec::with_capacity(turns.len());
        for turn in turns {
            match turn.as_i64() {
                Some(seq) if turns_allowed.contains(&seq) => {
                    if !cited.contains(&seq) {
                        cited.push(seq);
                    }
                }
                _ => return refuse(&field.key, format!("cites {turn}, which is not one of the learner's turns")),
            }
        }
        if !is_empty(&value) && cited.is_empty() {
            return refuse(&field.key, "says something but cites no turn it came from");
        }
        cited.sort_unstable();
        out.push(SummaryValue { key: field.key.clone(), value, turns: cited, corrected: false });
    }
    Ok(out)
}

/// The summary without a model: each field holds the answers of the steps that name it. An
/// answer that fell short of its step (and so was probed) counts only when the step has no
/// fuller answer: "Not sure", followed by "I love drawing", is not an interest.
pub fn scripted_summary(flow: &FlowSpec, answers: &[Answer<'_>]) -> Vec<SummaryValue> {
    let steps: HashMap<&str, &crate::flow::FlowStep> = flow.steps.iter().map(|s| (s.key.as_str(), s)).collect();
    let short = |a: &Answer<'_>| steps.get(a.step).is_some_and(|s| falls_short(s, a.text));
    let fuller: HashSet<&str> = answers.iter().filter(|a| !short(a)).map(|a| a.step).collect();
    let counted: Vec<&Answer<'_>> = answers.iter().filter(|a| !short(a) || !fuller.contains(a.step)).collect();
    flow.summary
        .iter()
        .map(|field| {
            let mine: Vec<&Answer<'_>> = counted
                .iter()
                .copied()
                .filter(|a| steps.get(a.step).and_then(|s| s.field.as_deref()) == Some(field.key.as_str()))
                .collect();
            let (value, turns) = fill(field.kind, &mine);
            SummaryValue { key: field.key.clone(), value, turns, corrected: false }
        })
        .collect()
}

/// A field's value from its answers, with the turns that gave it.
fn fill(kind: FieldKind, answers: &[&Answer<'_>]) -> (Value, Vec<i64>) {
    match kind {
        FieldKind::Text => {
            let texts: Vec<&str> = answers.iter().map(|a| a.text.trim()).filter(|t| !t.is_empty()).collect();
            if texts.is_empty() {
                return (Value::Null, vec![]);
            }
            let joined: String = texts.join(" ").chars().take(MAX_TEXT_CHARS).collect();
            (Value::String(joined), answers.iter().map(|a| a.seq).collect())
        }
        FieldKind::TextList => {
            let mut items: Vec<String> = Vec::new();
            let mut turns = Vec::new();
            for a in answers {
                let before = items.len();
                for item in list_items(a.text) {
                    if items.len() < MAX_LIST_ITEMS && !items.iter().any(|i| i.eq_ignore_ascii_case(&item)) {
                        items.push(item);
                    }
                }
                if items.len() > before {
                    turns.push(a.seq);
                }
            }
            (json!(items), turns)
        }
        FieldKind::Scale => answers
            .iter()
            .rev()
            .find_map(|a| read_scale(a.text).map(|v| (json!(v), vec![a.seq])))
            .unwrap_or((Value::Null, vec![])),
        FieldKind::YesNo => answers
            .iter()
            .rev()
            .find_map(|a| read_yes_no(a.text).map(|v| (json!(v), vec![a.seq])))
            .unwrap_or((Value::Null, vec![])),
    }
}

/// The items of a listing answer: split at commas, semicolons, new lines and "and"/"or".
pub fn list_items(text: &str) -> Vec<String> {
    let mut items = Vec::new();
    for part in text.split([',', ';', '\n', '.', '!', '?']) {
        let mut current: Vec<&str> = Vec::new();
        for word in part.split_whitespace() {
            if matches!(word.to_lowercase().as_str(), "and" | "or" | "also") {
                if !current.is_empty() {
                    items.push(current.join(" "));
                }
                current.clear();
            } else {
                current.push(word);
            }
        }
        if !current.is_empty() {
            items.push(current.join(" "));
        }
    }
    items
        .into_iter()
        .map(|i| i.trim_matches(|c: char| !c.is_alphanumeric()).chars().take(200).collect::<String>())
        .filter(|i| !i.is_empty())
        .collect()
}

/// A 1-to-5 score in an answer: the first such digit or number word.
pub fn read_scale(text: &str) -> Option<i64> {
    words(text).iter().find_map(|w| match w.as_str() {
        "1" | "one" => Some(1),
        "2" | "two" => Some(2),
        "3" | "three" => Some(3),
        "4" | "four" => Some(4),
        "5" | "five" => Some(5),
        _ => None,
    })
}

/// Yes or no in an answer: its first word that says one.
pub fn read_yes_no(text: &str) -> Option<bool> {
    words(text).iter().find_map(|w| match w.as_str() {
        "yes" | "yeah" | "yep" | "sure" | "definitely" | "absolutely" => Some(true),
        "no" | "nope" | "not" | "never" => Some(false),
        _ => None,
    })
}

/// Applies a learner's corrections (field key → new value) to a summary; each is checked against
/// its field's type and marked corrected. An unknown key is refused and nothing changes.
pub fn correct(
    fields: &[SummaryField],
    summary: &[SummaryValue],
    corrections: &Map<String, Value>,
) -> Result<Vec<SummaryValue>, SummaryError> {
    let mut out = summary.to_vec();
    for (key, value) in corrections {
        let Some(field) = fields.iter().find(|f| &f.key == key) else {
            return refuse(key.as_str(), "is not a field of this summary");
        };
        let value = check_value(field, value)?;
        match out.iter_mut().find(|v| &v.key == key) {
            Some(existing) => {
                existing.value = value;
                existing.corrected = true;
            }
            None => out.push(SummaryValue { key: key.clone(), value, turns: vec![], corrected: true }),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::{FlowLimits, FlowPurpose, FlowStep};

    fn field(key: &str, kind: FieldKind) -> SummaryField {
        SummaryField { key: key.into(), kind, description: format!("the {key}") }
    }

    fn schema() -> Vec<SummaryField> {
        vec![
            field("interests", FieldKind::TextList),
            field("confidence", FieldKind::Scale),
            field("notes", FieldKind::Text),
        ]
    }

    /// A flow of `steps` with the test schema.
    fn flow_of(steps: Vec<FlowStep>) -> FlowSpec {
        FlowSpec {
            name: "x".into(),
            description: String::new(),
            purpose: FlowPurpose::InterestDiscovery,
            context: String::new(),
            steps,
            limits: FlowLimits::default(),
            summary: schema(),
        }
    }

    #[test]
    fn a_model_summary_is_checked_field_by_field() {
        let ok = json!({
            "interests": { "value": ["drawing", "music"], "turns": [2, 4] },
            "confidence": { "value": 4, "turns": [6] },
            "notes": { "value": null, "turns": [] },
        });
        let read = read_model_summary(&schema(), &ok, &[2, 4, 6]).unwrap();
        assert_eq!(read[0].value, json!(["drawing", "music"]));
        assert_eq!(read[1].turns, vec![6]);

        let wrong = |output: Value| read_model_summary(&schema(), &output, &[2, 4, 6]).unwrap_err().field;
        let mut missing = ok.clone();
        missing.as_object_mut().unwrap().remove("notes");
        assert_eq!(wrong(missing), "notes");
        let mut extra = ok.clone();
        extra["mood"] = json!({ "value": "ok", "turns": [2] });
        assert_eq!(wrong(extra), "mood");
        let mut out_of_range = ok.clone();
        out_of_range["confidence"]["value"] = json!(9);
        assert_eq!(wrong(out_of_range), "confidence");
        let mut not_a_learner_turn = ok.clone();
        not_a_learner_turn["interests"]["turns"] = json!([3]);
        assert_eq!(wrong(not_a_learner_turn), "interests");
        let mut uncited = ok.clone();
        uncited["notes"] = json!({ "value": "keen", "turns": [] });
        assert_eq!(wrong(uncited), "notes");
        assert_eq!(wrong(json!("a string")), "summary");
    }

    #[test]
    fn the_output_schema_names_every_field() {
        let s = output_schema(&schema());
        assert_eq!(s["required"], json!(["interests", "confidence", "notes"]));
        assert_eq!(s["properties"]["confidence"]["properties"]["value"]["maximum"], json!(5));
    }

    #[test]
    fn without_a_model_each_steps_answers_fill_its_field() {
        let step = |key: &str, field: &str| FlowStep { field: Some(field.into()), ..FlowStep::new(key, "?") };
        let flow = flow_of(vec![step("likes", "interests"), step("sure", "confidence"), step("else", "notes")]);
        let answers = [
            Answer { step: "likes", seq: 2, text: "Drawing, music and long walks" },
            Answer { step: "likes", seq: 4, text: "music. Also cooking!" },
            Answer { step: "sure", seq: 6, text: "Maybe a three out of five" },
        ];
        let summary = scripted_summary(&flow, &answers);
        assert_eq!(summary[0].value, json!(["Drawing", "music", "long walks", "cooking"]));
        assert_eq!(summary[0].turns, vec![2, 4]);
        assert_eq!((summary[1].value.clone(), summary[1].turns.clone()), (json!(3), vec![6]));
        assert_eq!((summary[2].value.clone(), summary[2].turns.clone()), (Value::Null, vec![]));
        // What the rules write passes the same checks as a model's output.
        let as_output: Map<String, Value> =
            summary.iter().map(|v| (v.key.clone(), json!({ "value": v.value, "turns": v.turns }))).collect();
        assert_eq!(read_model_summary(&flow.summary, &Value::Object(as_output), &[2, 4, 6]).unwrap(), summary);
    }

    #[test]
    fn a_short_answer_that_was_probed_gives_way_to_the_fuller_one() {
        let likes = FlowStep { field: Some("interests".into()), min_words: 3, ..FlowStep::new("likes", "?") };
        let notes = FlowStep { field: Some("notes".into()), min_words: 3, ..FlowStep::new("else", "?") };
        let flow = flow_of(vec![likes, notes]);
        let answers = [
            Answer { step: "likes", seq: 2, text: "Not sure" },
            Answer { step: "likes", seq: 4, text: "I love drawing and music" },
            // Short, probed, and short again: all the learner said is kept.
            Answer { step: "else", seq: 6, text: "Nothing" },
            Answer { step: "else", seq: 8, text: "Really nothing" },
        ];
        let summary = scripted_summary(&flow, &answers);
        assert_eq!((summary[0].value.clone(), summary[0].turns.clone()), (json!(["I love drawing", "music"]), vec![4]));
        assert_eq!(summary[2].value, json!("Nothing Really nothing"));
        assert_eq!(summary[2].turns, vec![6, 8]);
    }

    #[test]
    fn corrections_are_typed_and_marked() {
        let summary =
            vec![SummaryValue { key: "confidence".into(), value: json!(2), turns: vec![6], corrected: false }];
        let fixed = correct(&schema(), &summary, json!({ "confidence": 4 }).as_object().unwrap()).unwrap();
        assert_eq!((fixed[0].value.clone(), fixed[0].corrected, fixed[0].turns.clone()), (json!(4), true, vec![6]));
        assert_eq!(
            correct(&schema(), &summary, json!({ "confidence": "high" }).as_object().unwrap()).unwrap_err().field,
            "confidence"
        );
        assert_eq!(correct(&schema(), &summary, json!({ "mood": 1 }).as_object().unwrap()).unwrap_err().field, "mood");
        assert_eq!(read_yes_no("Not really, no"), Some(false));
        assert_eq!(read_scale("I'd say 4"), Some(4));
    }
}
