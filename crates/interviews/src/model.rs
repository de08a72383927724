//! The chat model's part in an interview: judging an answer (complete, or a
//! follow-up within the step's purpose, bringing an off-track answer back
//! politely) and writing the summary as structured output. Output that does
//! not parse or check is asked for once more, with what was wrong; after that
//! the rules take over, so a broken model never stops an interview.

use serde::Deserialize;
use serde_json::{Value, json};
use wayfinder_coach_rules::TurnRole;
use wayfinder_interviews_rules::{
    flow::{FlowSpec, FlowStep},
    interviewer::Judgement,
    summary::{SummaryValue, read_model_summary},
};
use wayfinder_llm::{ChatMessage, ChatModel, ChatRequest, ResponseFormat};
use wayfinder_store::MessageRecord;

/// Tries per request: the first, and one more after malformed output.
const TRIES: usize = 2;
/// The longest follow-up a model may write, in characters.
const MAX_FOLLOW_UP_CHARS: usize = 500;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JudgementOutput {
    complete: bool,
    follow_up: String,
}

fn judgement_schema() -> Value {
    json!({
        "type": "object",
        "properties": {
            "complete": { "type": "boolean" },
            "follow_up": { "type": "string" },
        },
        "required": ["complete", "follow_up"],
        "additionalProperties": false,
    })
}

fn read_judgement(content: &str) -> Result<Judgement, String> {
    let output: JudgementOutput =
        serde_json::from_str(content.trim()).map_err(|e| format!("not the JSON asked for: {e}"))?;
    if output.complete {
        return Ok(Judgement::Complete);
    }
    let follow_up = output.follow_up.trim();
    if follow_up.is_empty() || follow_up.chars().count() > MAX_FOLLOW_UP_CHARS {
        return Err(format!("an incomplete answer needs a follow-up of 1 to {MAX_FOLLOW_UP_CHARS} characters"));
    }
    Ok(Judgement::FollowUp(follow_up.to_string()))
}

/// Asks the model for JSON, reading it with `read`; a second try is told what was wrong.
async fn ask<T>(
    model: &dyn ChatModel,
    messages: Vec<ChatMessage>,
    format: ResponseFormat,
    read: impl Fn(&str) -> Result<T, String>,
) -> Option<T> {
    let mut messages = messages;
    for attempt in 1..=TRIES {
        let request = ChatRequest::new(messages.clone()).with_temperature(0.2).with_response_format(format.clone());
        let content = match model.complete(&request).await {
            Ok(completion) => completion.content,
            Err(error) => {
                tracing::warn!(%error, attempt, "the interview's model failed; the rules go on");
                return None;
            }
        };
        match read(&content) {
            Ok(value) => return Some(value),
            Err(problem) => {
                tracing::warn!(%problem, attempt, "the interview's model gave output that does not check");
                messages.push(ChatMessage::assistant(content));
                messages.push(ChatMessage::user(format!(
                    "That output was refused ({problem}). Answer again with JSON that follows the schema exactly."
                )));
            }
        }
    }
    None
}

fn interviewer_brief(flow: &FlowSpec) -> String {
    let mut brief = format!("You are a friendly interviewer running a guided interview, \"{}\".", flow.name);
    if !flow.description.is_empty() {
        brief.push_str(&format!(" {}", flow.description));
    }
    if !flow.context.is_empty() {
        brief.push_str(&format!("\nBackground: {}", flow.context));
    }
    brief
}

/// The model's judgement of the latest answer to `step`, given the step's exchange so far
/// (`exchange`: the step's question, any follow-ups and the answers, the latest last).
pub(crate) async fn judge(
    model: &dyn ChatModel,
    flow: &FlowSpec,
    step: &FlowStep,
    exchange: &[(TurnRole, &str)],
) -> Option<Judgement> {
    let mut system = interviewer_brief(flow);
    system.push_str(&format!(
        "\nThis step's question: {}\nIts purpose: {}\nA complete answer: {}\n\
         Decide whether the learner's latest answer is complete for this step. If it is, set complete to true \
         and follow_up to an empty string. If not, set complete to false and write one short, warm follow-up \
         question that stays within the step's purpose; if the answer wandered off the topic, bring the learner \
         back to it politely. Never ask about anything outside the step's purpose.",
        step.question,
        if step.purpose.is_empty() { "(as the question says)" } else { &step.purpose },
        if step.complete_when.is_empty() { "answers the question" } else { &step.complete_when },
    ));
    let mut messages = vec![ChatMessage::system(system)];
    for (role, text) in exchange {
        messages.push(match role {
            TurnRole::Assistant => ChatMessage::assistant(*text),
            TurnRole::User => ChatMessage::user(*text),
        });
    }
    let format = ResponseFormat { name: "interview_judgement".into(), schema: judgement_schema() };
    ask(model, messages, format, read_judgement).await
}

/// The summary written by the model from the transcript, checked against the flow's schema
/// (each field citing learner turns by seq); `None` when it could not write one that checks.
pub(crate) async fn summarise(
    model: &dyn ChatModel,
    flow: &FlowSpec,
    transcript: &[MessageRecord],
) -> Option<Vec<SummaryValue>> {
    let learner_turns: Vec<i64> = transcript.iter().filter(|m| m.role == TurnRole::User).map(|m| m.seq).collect();
    let mut system = interviewer_brief(flow);
    system.push_str(
        "\nThe interview is over. Fill in its summary as JSON following the schema: for every field, its value \
         and the seq numbers of the learner's turns the value comes from. Use only what the learner said; when \
         the interview did not tell, use null (or an empty list) with no turns.\nFields:",
    );
    for field in &flow.summary {
        system.push_str(&format!("\n- {} ({}): {}", field.key, field.kind, field.description));
    }
    let lines: Vec<String> = transcript
        .iter()
        .map(|m| match m.role {
            TurnRole::User => format!("[seq {}] Learner: {}", m.seq, m.content),
            TurnRole::Assistant => format!("[seq {}] Interviewer: {}", m.seq, m.content),
        })
        .collect();
    let messages = vec![ChatMessage::system(system), ChatMessage::user(lines.join("\n"))];
    let schema = wayfinder_interviews_rules::summary::output_schema(&flow.summary);
    let format = ResponseFormat { name: "interview_summary".into(), schema };
    ask(model, messages, format, |content| {
        let output: Value = serde_json::from_str(content.trim()).map_err(|e| format!("not JSON: {e}"))?;
        read_model_summary(&flow.summary, &output, &learner_turns).map_err(|e| format!("{}: {}", e.field, e.message))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn judgements_are_read_strictly() {
        assert_eq!(read_judgement(r#"{"complete": true, "follow_up": ""}"#), Ok(Judgement::Complete));
        assert_eq!(
            read_judgement(r#" {"complete": false, "follow_up": " Which one? "} "#),
            Ok(Judgement::FollowUp("Which one?".into()))
        );
        assert!(read_judgement(r#"{"complete": false, "follow_up": ""}"#).is_err());
        assert!(read_judgement(r#"{"complete": "yes", "follow_up": ""}"#).is_err());
        assert!(read_judgement(r#"{"complete": true, "follow_up": "", "mood": 1}"#).is_err());
        assert!(read_judgement("Sure! Here is my answer.").is_err());
    }
}
