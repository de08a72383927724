//! Questions written by a chat model: the prompt that asks for them, the JSON
//! schema the reply must follow (sent as the request's structured-output
//! format), and the parse of a reply into items. A reply that is not the JSON
//! asked for is malformed and asked again; an item that is malformed on its
//! own is dropped. Every parsed item is then checked against its passage with
//! [`check_against_passage`](crate::questions::check_against_passage), exactly
//! like the items made without a model.

use crate::questions::{BLANK, QuestionBody};
use serde_json::{Value, json};

wayfinder_accounts_rules::closed_set! {
/// Who writes a concept's generated questions.
pub enum QuestionWriter {
    /// The configured chat model, from the cited material.
    Model,
    /// Wayfinder itself, from the cited text's sentences (no model needed).
    Text,
}
}

/// How many times a model is asked before its malformed replies are given up on.
pub const MAX_WRITING_ATTEMPTS: usize = 3;
/// Most characters of cited material put in one prompt.
pub const MAX_PROMPT_MATERIAL_CHARS: usize = 12_000;
/// Longest explanation kept from a model, in characters.
pub const MAX_WRITTEN_EXPLANATION_CHARS: usize = 400;

/// The two messages that ask a model for questions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WritingPrompt {
    pub system: String,
    pub user: String,
}

/// The prompt for up to `max_items` questions on `concept` from `passages`, numbered from 1 in
/// the order given. Passages past [`MAX_PROMPT_MATERIAL_CHARS`] are left out; the answer
/// carries how many were included.
pub fn writing_prompt(concept: &str, description: &str, passages: &[&str], max_items: usize) -> (WritingPrompt, usize) {
    let system = format!(
        "You write practice questions for learners from course material. Every question must be \
answerable from one numbered passage alone, and you say which. Rules by kind:\n\
- multiple_choice: a question or a sentence with one blank ({BLANK}); four short options; exactly one \
correct option, copied word for word from the passage (with a blank, the sentence with the correct option \
filled in must appear word for word in the passage); three plausible wrong options that do not appear \
anywhere in the passage.\n\
- true_false: a true statement is one sentence copied word for word from the passage; a false statement is \
such a sentence with its one verb negated (\"is\" → \"is not\") or its negation removed.\n\
- cloze: one sentence copied word for word from the passage with one key term replaced by {BLANK}; \
\"answers\" holds that term.\n\
- short_answer: a question whose reference answer uses only words that appear in the passage.\n\
Give each question a one-sentence explanation of why the answer is right. Test understanding of the \
concept, not trivia such as names or numbers. Reply with JSON only, following the schema."
    );
    let mut included = 0;
    let mut material = String::new();
    for (i, passage) in passages.iter().enumerate() {
        let block = format!("[{}] {}\n\n", i + 1, passage.trim());
        if included > 0 && material.len() + block.len() > MAX_PROMPT_MATERIAL_CHARS {
            break;
        }
        material.push_str(&block);
        included += 1;
    }
    let about = if description.trim().is_empty() { String::new() } else { format!(" ({})", description.trim()) };
    let user = format!(
        "Concept: {concept}{about}\n\nWrite up to {max_items} questions on this concept, mixing the kinds, from \
these passages:\n\n{material}Reply as {{\"questions\": [...]}}."
    );
    (WritingPrompt { system, user }, included)
}

/// The JSON schema of a reply: `{"questions": [item, …]}`, each item one of the four kinds with
/// the passage it comes from and an explanation. Strict: every property required, no others.
pub fn written_questions_schema() -> Value {
    let item = |kind: &str, fields: Value| {
        let mut properties = json!({
            "kind": { "type": "string", "enum": [kind] },
            "passage": { "type": "integer", "description": "The number of the passage it comes from." },
            "explanation": { "type": "string" },
        });
        let mut required = vec![json!("kind"), json!("passage"), json!("explanation")];
        for (name, schema) in fields.as_object().into_iter().flatten() {
            properties[name] = schema.clone();
            required.push(json!(name));
        }
        json!({ "type": "object", "properties": properties, "required": required, "additionalProperties": false })
    };
    let text = json!({ "type": "string" });
    let texts = json!({ "type": "array", "items": { "type": "string" } });
    json!({
        "type": "object",
        "properties": {
            "questions": {
                "type": "array",
                "items": { "anyOf": [
                    item("multiple_choice", json!({
                        "stem": text, "options": texts,
                        "correct": { "type": "array", "items": { "type": "integer" } },
                    })),
                    item("true_false", json!({ "statement": text, "answer": { "type": "boolean" } })),
                    item("cloze", json!({ "text": text, "answers": texts })),
                    item("short_answer", json!({ "prompt": text, "reference": text })),
                ] },
            },
        },
        "required": ["questions"],
        "additionalProperties": false,
    })
}

/// One question as a model wrote it, well formed (not yet checked against its passage).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WrittenQuestion {
    pub body: QuestionBody,
    pub explanation: String,
    /// Index of the passage it cites (0-based).
    pub passage: usize,
}

/// What a usable reply held.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WrittenReply {
    pub questions: Vec<WrittenQuestion>,
    /// Items dropped because they were malformed on their own (unknown kind, missing or
    /// empty fields, a passage that was not given).
    pub malformed_items: usize,
}

/// Why a reply could not be used at all.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MalformedReply {
    #[error("the reply is not JSON: {0}")]
    NotJson(String),
    #[error("the reply has no \"questions\" list")]
    NoQuestionList,
    #[error("none of the {0} questions in the reply is well formed")]
    NoUsableQuestion(usize),
}

/// Parses a reply to [`writing_prompt`] given `passages` passages. A Markdown code fence
/// around the JSON is tolerated; an empty list is a usable reply with nothing in it.
pub fn parse_written_questions(reply: &str, passages: usize) -> Result<WrittenReply, MalformedReply> {
    let value: Value = serde_json::from_str(unfenced(reply)).map_err(|e| MalformedReply::NotJson(e.to_string()))?;
    let items = value.get("questions").and_then(Value::as_array).ok_or(MalformedReply::NoQuestionList)?;
    let mut parsed = WrittenReply::default();
    for item in items {
        match written_question(item, passages) {
            Some(question) => parsed.questions.push(question),
            None => parsed.malformed_items += 1,
        }
    }
    if parsed.questions.is_empty() && !items.is_empty() {
        return Err(MalformedReply::NoUsableQuestion(items.len()));
    }
    Ok(parsed)
}

/// A model's JSON reply without the Markdown code fence some models put around it.
pub(crate) fn unfenced(reply: &str) -> &str {
    let trimmed = reply.trim();
    trimmed
        .strip_prefix("```json")
        .or_else(|| trimmed.strip_prefix("```"))
        .and_then(|rest| rest.trim_end().strip_suffix("```"))
        .unwrap_or(trimmed)
}

fn written_question(item: &Value, passages: usize) -> Option<WrittenQuestion> {
    let passage = item.get("passage")?.as_u64()? as usize;
    if passage == 0 || passage > passages {
        return None;
    }
    let explanation = item.get("explanation").and_then(Value::as_str).unwrap_or_default().trim();
    if explanation.chars().count() > MAX_WRITTEN_EXPLANATION_CHARS {
        return None;
    }
    let body: QuestionBody = serde_json::from_value(item.clone()).ok()?;
    let body = body.validated().ok()?;
    Some(WrittenQuestion { body, explanation: explanation.to_string(), passage: passage - 1 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prompt_numbers_the_passages_and_stops_at_the_budget() {
        let long = "word ".repeat(MAX_PROMPT_MATERIAL_CHARS / 5 - 10);
        let third = format!("Third. {}", "x".repeat(100));
        let (prompt, included) = writing_prompt("Sleep", "Why rest helps", &["First passage.", &long, &third], 4);
        assert_eq!(included, 2);
        assert!(prompt.user.contains("[1] First passage.") && prompt.user.contains("[2] word"));
        assert!(!prompt.user.contains("Third."));
        assert!(prompt.user.contains("Concept: Sleep (Why rest helps)") && prompt.user.contains("up to 4 questions"));
        assert!(prompt.system.contains(BLANK));
        // The first passage is always included, however long.
        let (_, included) = writing_prompt("Sleep", "", &[&long, &long], 4);
        assert_eq!(included, 1);
    }

    #[test]
    fn the_schema_names_every_kind_strictly() {
        let schema = written_questions_schema();
        let kinds: Vec<&str> = schema["properties"]["questions"]["items"]["anyOf"]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| {
                assert_eq!(item["additionalProperties"], false);
                let required = item["required"].as_array().unwrap().len();
                assert_eq!(required, item["properties"].as_object().unwrap().len(), "every property required");
                item["properties"]["kind"]["enum"][0].as_str().unwrap()
            })
            .collect();
        assert_eq!(kinds, ["multiple_choice", "true_false", "cloze", "short_answer"]);
    }

    #[test]
    fn a_reply_is_parsed_item_by_item() {
        let reply = r#"```json
        {"questions": [
          {"kind": "true_false", "passage": 1, "explanation": "Said in [1].", "statement": "Sleep helps memory.", "answer": true},
          {"kind": "cloze", "passage": 2, "explanation": "", "text": "Naps last _____ minutes.", "answers": ["twenty"]},
          {"kind": "cloze", "passage": 3, "explanation": "", "text": "No such passage _____.", "answers": ["x"]},
          {"kind": "essay", "passage": 1, "explanation": "", "prompt": "Discuss."},
          {"kind": "multiple_choice", "passage": 1, "explanation": "", "stem": "Which?", "options": ["a", "b"], "correct": []}
        ]}
        ```"#;
        let parsed = parse_written_questions(reply, 2).unwrap();
        assert_eq!(parsed.malformed_items, 3);
        assert_eq!(parsed.questions.len(), 2);
        assert_eq!(parsed.questions[0].passage, 0);
        assert_eq!(parsed.questions[0].explanation, "Said in [1].");
        assert_eq!(
            parsed.questions[1].body,
            QuestionBody::Cloze { text: "Naps last _____ minutes.".into(), answers: vec!["twenty".into()] }
        );
    }

    #[test]
    fn unusable_replies_are_malformed() {
        assert!(matches!(
            parse_written_questions("Sure! Here are some questions:", 1),
            Err(MalformedReply::NotJson(_))
        ));
        assert_eq!(parse_written_questions(r#"{"items": []}"#, 1), Err(MalformedReply::NoQuestionList));
        assert_eq!(
            parse_written_questions(r#"{"questions": [{"kind": "cloze", "passage": 1}]}"#, 1),
            Err(MalformedReply::NoUsableQuestion(1))
        );
        assert_eq!(parse_written_questions(r#"{"questions": []}"#, 1), Ok(WrittenReply::default()));
        // Cut off mid-way (a reply that ran out of tokens).
        assert!(matches!(
            parse_written_questions(r#"{"questions": [{"kind": "cl"#, 1),
            Err(MalformedReply::NotJson(_))
        ));
    }
}
