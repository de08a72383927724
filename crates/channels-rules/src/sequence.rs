//! Sequences: programs of scheduled steps ("drip" coaching). Each step is a
//! message, a check-in question answered 1 to 5, a practice prompt or a
//! reflection prompt, sent a delay after the step before it (or after
//! enrolment), and may depend on an earlier check-in's answer ("if the check-in
//! answer is low, send step 4b"). This module holds the steps' validation and
//! the decision of what an enrolment does next; the service sends and records.

use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use utoipa::ToSchema;
use wayfinder_interviews_rules::InterviewFlowId;

wayfinder_accounts_rules::closed_set! {
/// What a step sends.
pub enum StepKind {
    /// A message.
    Message,
    /// A question answered with a number from 1 to 5; later steps may depend on the answer.
    CheckIn,
    /// A prompt to practise, with a link to practice in the app.
    Practice,
    /// A question to reflect on; the reply goes into the conversation with the coach.
    Reflection,
    /// A guided interview on the step's flow (a weekly reflection, a check-in), started for the
    /// person when the step falls due; the message links to it.
    Interview,
}
}

wayfinder_accounts_rules::closed_set! {
/// How a condition compares a check-in's answer.
pub enum AnswerComparison {
    /// The answer is below the value.
    Below,
    /// The answer is the value or more.
    AtLeast,
}
}

/// A step sent only when an earlier check-in's answer compares so with `value`; a check-in
/// left unanswered meets no condition.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StepCondition {
    /// The key of an earlier check-in step.
    pub step: String,
    pub answer: AnswerComparison,
    #[schema(minimum = 1, maximum = 5)]
    pub value: i64,
}

impl StepCondition {
    pub fn holds(&self, answer: Option<i64>) -> bool {
        match (answer, self.answer) {
            (None, _) => false,
            (Some(a), AnswerComparison::Below) => a < self.value,
            (Some(a), AnswerComparison::AtLeast) => a >= self.value,
        }
    }
}

/// One step of a sequence.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Names the step within its sequence (letters, digits, `-` and `_`; 1 to 40).
    #[schema(min_length = 1, max_length = 40)]
    pub key: String,
    pub kind: StepKind,
    /// What is sent, with `{name}` (the learner's first name) filled in.
    #[schema(min_length = 1, max_length = 1000)]
    pub text: String,
    /// Hours after the step before it was taken (or after enrolment, for the first).
    #[schema(minimum = 0, maximum = 8760)]
    pub delay_hours: i64,
    pub condition: Option<StepCondition>,
    /// The interview flow an `interview` step starts (its current version when the step falls
    /// due); only interview steps name one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub flow_id: Option<InterviewFlowId>,
}

/// The most steps a sequence holds.
pub const MAX_STEPS: usize = 50;
/// How long after it was sent a check-in still takes its answer.
pub const CHECK_IN_OPEN_DAYS: i64 = 7;

/// Why a sequence's steps are refused: the field (`steps[i].text`) and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepsError {
    pub field: String,
    pub message: String,
}

/// Checks a sequence's steps: keys unique and well formed, texts and delays within bounds, and
/// every condition on an earlier check-in step.
pub fn check_steps(steps: &[Step]) -> Result<(), StepsError> {
    let error = |field: String, message: &str| Err(StepsError { field, message: message.into() });
    if steps.is_empty() || steps.len() > MAX_STEPS {
        return error("steps".into(), "a sequence has 1 to 50 steps");
    }
    let mut check_ins = HashSet::new();
    let mut keys = HashSet::new();
    for (i, step) in steps.iter().enumerate() {
        let field = |name: &str| format!("steps[{i}].{name}");
        let well_formed = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
        if step.key.is_empty() || step.key.len() > 40 || !step.key.chars().all(well_formed) {
            return error(field("key"), "must be 1 to 40 letters, digits, - or _");
        }
        if !keys.insert(step.key.as_str()) {
            return error(field("key"), "is used by another step");
        }
        let length = step.text.trim().chars().count();
        if length == 0 || length > 1000 {
            return error(field("text"), "must be 1 to 1000 characters");
        }
        if !(0..=8760).contains(&step.delay_hours) {
            return error(field("delay_hours"), "must be between 0 and 8760 (a year)");
        }
        match (step.kind, step.flow_id) {
            (StepKind::Interview, None) => return error(field("flow_id"), "an interview step names its flow"),
            (StepKind::Interview, Some(_)) | (_, None) => {}
            (_, Some(_)) => return error(field("flow_id"), "only an interview step names a flow"),
        }
        if let Some(condition) = &step.condition {
            if !check_ins.contains(condition.step.as_str()) {
                return error(field("condition.step"), "must name an earlier check-in step");
            }
            if !(1..=5).contains(&condition.value) {
                return error(field("condition.value"), "must be between 1 and 5");
            }
        }
        if step.kind == StepKind::CheckIn {
            check_ins.insert(step.key.as_str());
        }
    }
    Ok(())
}

/// What an enrolment does at its step `position`, given the check-in answers it has.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NextStep<'a> {
    /// Send this step.
    Send(&'a Step),
    /// Pass over this step: its condition does not hold.
    Skip(&'a Step),
    /// No steps are left.
    Done,
}

pub fn next_step<'a>(steps: &'a [Step], position: usize, answers: &HashMap<String, i64>) -> NextStep<'a> {
    match steps.get(position) {
        None => NextStep::Done,
        Some(step) => match &step.condition {
            Some(condition) if !condition.holds(answers.get(&condition.step).copied()) => NextStep::Skip(step),
            _ => NextStep::Send(step),
        },
    }
}

/// A check-in's answer read from a reply: a number from 1 to 5 alone, or leading the reply
/// ("4", "4/5", "3 - so-so"); anything else is not an answer.
pub fn read_check_in_answer(reply: &str) -> Option<i64> {
    let reply = reply.trim();
    let mut chars = reply.chars();
    let digit = chars.next()?.to_digit(10)?;
    let rest = chars.as_str();
    let ends = rest.is_empty() || rest.starts_with(|c: char| !c.is_ascii_digit() && c != '.' && c != ',');
    ((1..=5).contains(&digit) && ends).then_some(i64::from(digit))
}

/// What a check-in step sends: its question and how to answer.
pub fn check_in_text(question: &str) -> String {
    format!("{question}\n\nReply with a number from 1 (low) to 5 (high).")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(key: &str, kind: StepKind, condition: Option<(&str, AnswerComparison, i64)>) -> Step {
        Step {
            key: key.into(),
            kind,
            text: format!("Step {key}"),
            delay_hours: 24,
            condition: condition.map(|(step, answer, value)| StepCondition { step: step.into(), answer, value }),
            flow_id: (kind == StepKind::Interview).then(InterviewFlowId::new),
        }
    }

    #[test]
    fn steps_are_checked() {
        let good = [
            step("1", StepKind::Message, None),
            step("mood", StepKind::CheckIn, None),
            step("4a", StepKind::Practice, Some(("mood", AnswerComparison::AtLeast, 3))),
            step("4b", StepKind::Reflection, Some(("mood", AnswerComparison::Below, 3))),
        ];
        assert_eq!(check_steps(&good), Ok(()));
        let field = |steps: &[Step]| check_steps(steps).unwrap_err().field;
        assert_eq!(field(&[]), "steps");
        assert_eq!(field(&[good[0].clone(), good[0].clone()]), "steps[1].key");
        assert_eq!(field(&[good[2].clone()]), "steps[0].condition.step", "a condition needs an earlier check-in");
        assert_eq!(
            field(&[good[0].clone(), step("x", StepKind::Message, Some(("1", AnswerComparison::Below, 3)))]),
            "steps[1].condition.step"
        );
        let mut bad = good.clone();
        bad[3].condition.as_mut().unwrap().value = 6;
        assert_eq!(field(&bad), "steps[3].condition.value");
        bad = good.clone();
        bad[0].key = "no spaces".into();
        assert_eq!(field(&bad), "steps[0].key");
        // An interview step names its flow; no other step does.
        let interview = step("reflect", StepKind::Interview, None);
        assert_eq!(check_steps(std::slice::from_ref(&interview)), Ok(()));
        assert_eq!(field(&[Step { flow_id: None, ..interview.clone() }]), "steps[0].flow_id");
        assert_eq!(field(&[Step { flow_id: interview.flow_id, ..good[0].clone() }]), "steps[0].flow_id");
        bad = good.clone();
        bad[1].delay_hours = -1;
        assert_eq!(field(&bad), "steps[1].delay_hours");
        bad = good.clone();
        bad[1].text = "  ".into();
        assert_eq!(field(&bad), "steps[1].text");
    }

    #[test]
    fn conditions_choose_the_branch_and_unanswered_check_ins_meet_none() {
        let steps = [
            step("mood", StepKind::CheckIn, None),
            step("high", StepKind::Message, Some(("mood", AnswerComparison::AtLeast, 3))),
            step("low", StepKind::Message, Some(("mood", AnswerComparison::Below, 3))),
        ];
        let low = HashMap::from([("mood".to_string(), 2)]);
        assert_eq!(next_step(&steps, 0, &low), NextStep::Send(&steps[0]));
        assert_eq!(next_step(&steps, 1, &low), NextStep::Skip(&steps[1]));
        assert_eq!(next_step(&steps, 2, &low), NextStep::Send(&steps[2]));
        assert_eq!(next_step(&steps, 3, &low), NextStep::Done);
        let high = HashMap::from([("mood".to_string(), 3)]);
        assert_eq!(next_step(&steps, 1, &high), NextStep::Send(&steps[1]));
        assert_eq!(next_step(&steps, 2, &high), NextStep::Skip(&steps[2]));
        let none = HashMap::new();
        assert_eq!(next_step(&steps, 1, &none), NextStep::Skip(&steps[1]));
        assert_eq!(next_step(&steps, 2, &none), NextStep::Skip(&steps[2]));
    }

    #[test]
    fn answers_are_read_from_replies() {
        for (reply, answer) in [
            ("4", Some(4)),
            (" 5 ", Some(5)),
            ("4/5", Some(4)),
            ("3 - so-so", Some(3)),
            ("1!", Some(1)),
            ("0", None),
            ("6", None),
            ("12", None),
            ("3.5", None),
            ("four", None),
            ("", None),
            ("How do I take notes?", None),
        ] {
            assert_eq!(read_check_in_answer(reply), answer, "{reply:?}");
        }
    }
}
