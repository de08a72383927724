//! The interviewer's next move after an answer: probe (the answer falls short
//! and probes remain), go to a branch's step (the answer mentions its words),
//! go on to the next step, or end (no step left, or a limit reached). Without
//! a model the rules decide everything; with one, the model judges whether the
//! answer is complete and writes the follow-up, and the rules still take
//! branches, keep the probe budget and the limits.

use crate::flow::{FlowSpec, FlowStep};
use crate::words::{mentions, words};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Follow-ups a model may ask within one step, when the step has fewer scripted probes.
pub const MODEL_FOLLOW_UPS: u32 = 2;

wayfinder_accounts_rules::closed_set! {
/// Why an interview ended.
pub enum EndReason {
    /// Every step it went through was answered.
    Completed,
    /// The learner gave the flow's most answers.
    TurnLimit,
    /// The flow's time ran out.
    TimeLimit,
}
}

/// Where an interview stands before an answer is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Progress {
    /// The index of the step being answered.
    pub step: usize,
    /// Follow-ups asked in this step so far.
    pub probes_used: u32,
    /// Answers given so far, this one included.
    pub answers: u32,
    /// Milliseconds the interview has run, paused time excluded.
    pub active_ms: i64,
}

/// A model's judgement of one answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Judgement {
    /// The answer does what the step asks.
    Complete,
    /// It falls short (or strays from the step's purpose): ask this.
    FollowUp(String),
}

/// What the interviewer does next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Move {
    /// Ask a follow-up within the same step.
    Probe(String),
    /// Ask the question of this step (by index).
    Ask(usize),
    /// End the interview.
    End(EndReason),
}

/// How many follow-ups a step allows: its scripted probes, or with a model at least `MODEL_FOLLOW_UPS`.
pub fn probe_budget(step: &FlowStep, with_model: bool) -> u32 {
    let scripted = step.probes.len() as u32;
    if with_model { scripted.max(MODEL_FOLLOW_UPS) } else { scripted }
}

/// Whether an answer is shorter than the step asks.
pub fn falls_short(step: &FlowStep, answer: &str) -> bool {
    (words(answer).len() as u32) < step.min_words
}

/// The move after `answer` to the step at `progress.step`; `judgement` is the model's, when one judged.
pub fn next_move(flow: &FlowSpec, progress: Progress, answer: &str, judgement: Option<Judgement>) -> Move {
    if progress.answers >= flow.limits.max_turns {
        return Move::End(EndReason::TurnLimit);
    }
    if progress.active_ms >= i64::from(flow.limits.max_minutes) * 60_000 {
        return Move::End(EndReason::TimeLimit);
    }
    let step = &flow.steps[progress.step];
    let budget_left = progress.probes_used < probe_budget(step, judgement.is_some());
    match judgement {
        Some(Judgement::FollowUp(text)) if budget_left => return Move::Probe(text),
        None if budget_left && falls_short(step, answer) => {
            return Move::Probe(step.probes[progress.probes_used as usize].clone());
        }
        _ => {}
    }
    let said = words(answer);
    let branch = step.branches.iter().find(|b| b.mentions.iter().any(|m| mentions(&said, &words(m))));
    match branch.and_then(|b| flow.step_index(&b.goto)).or_else(|| flow.default_next(progress.step)) {
        Some(next) => Move::Ask(next),
        None => Move::End(EndReason::Completed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::{Branch, FieldKind, FlowLimits, FlowPurpose, SummaryField};

    fn flow() -> FlowSpec {
        let step = |key: &str| FlowStep::new(key, &format!("{key}?"));
        let mut hobbies = step("hobbies");
        hobbies.min_words = 4;
        hobbies.probes = vec!["Tell me more?".into(), "What else?".into()];
        hobbies.branches = vec![
            Branch { mentions: vec!["music".into(), "play an instrument".into()], goto: "music".into() },
            Branch { mentions: vec!["sport".into()], goto: "sport".into() },
        ];
        let mut music = step("music");
        music.next = Some("wrap".into());
        let sport = step("sport");
        let mut wrap = step("wrap");
        wrap.end = true;
        FlowSpec {
            name: "Interests".into(),
            description: String::new(),
            purpose: FlowPurpose::InterestDiscovery,
            context: String::new(),
            steps: vec![hobbies, music, sport, wrap],
            limits: FlowLimits { max_turns: 6, max_minutes: 10 },
            summary: vec![SummaryField {
                key: "interests".into(),
                kind: FieldKind::TextList,
                description: String::new(),
            }],
        }
    }

    const AT_START: Progress = Progress { step: 0, probes_used: 0, answers: 1, active_ms: 0 };

    #[test]
    fn short_answers_get_the_probes_in_turn_then_the_interview_moves_on() {
        let f = flow();
        crate::flow::check_flow(&f).unwrap();
        assert_eq!(next_move(&f, AT_START, "Not sure", None), Move::Probe("Tell me more?".into()));
        let second = Progress { probes_used: 1, answers: 2, ..AT_START };
        assert_eq!(next_move(&f, second, "Hmm", None), Move::Probe("What else?".into()));
        let spent = Progress { probes_used: 2, answers: 3, ..AT_START };
        // Probes spent: on to the next step in order (sport is index 2 but music, index 1, is next).
        assert_eq!(next_move(&f, spent, "Hmm", None), Move::Ask(1));
    }

    #[test]
    fn a_mention_takes_the_first_matching_branch() {
        let f = flow();
        assert_eq!(next_move(&f, AT_START, "I mostly do sport with my friends", None), Move::Ask(2));
        assert_eq!(next_move(&f, AT_START, "I want to play an instrument someday", None), Move::Ask(1));
        assert_eq!(next_move(&f, AT_START, "Musicals and sport, honestly", None), Move::Ask(1), "music first");
        // A short answer that mentions a branch's word is probed first all the same.
        assert_eq!(next_move(&f, AT_START, "sport", None), Move::Probe("Tell me more?".into()));
    }

    #[test]
    fn next_and_end_steer_and_finish() {
        let f = flow();
        let at_music = Progress { step: 1, probes_used: 0, answers: 2, active_ms: 0 };
        assert_eq!(next_move(&f, at_music, "Guitar", None), Move::Ask(3), "music names wrap as next");
        let at_sport = Progress { step: 2, ..at_music };
        assert_eq!(next_move(&f, at_sport, "Football", None), Move::Ask(3));
        let at_wrap = Progress { step: 3, ..at_music };
        assert_eq!(next_move(&f, at_wrap, "Thanks", None), Move::End(EndReason::Completed));
    }

    #[test]
    fn limits_end_the_interview_first() {
        let f = flow();
        let six = Progress { answers: 6, ..AT_START };
        assert_eq!(next_move(&f, six, "Not sure", None), Move::End(EndReason::TurnLimit));
        let late = Progress { active_ms: 10 * 60_000, ..AT_START };
        assert_eq!(next_move(&f, late, "Not sure", None), Move::End(EndReason::TimeLimit));
    }

    #[test]
    fn a_model_judges_completeness_within_the_budget() {
        let f = flow();
        let follow = || Some(Judgement::FollowUp("Which sport?".into()));
        assert_eq!(next_move(&f, AT_START, "sport", Some(Judgement::Complete)), Move::Ask(2), "judged complete");
        assert_eq!(next_move(&f, AT_START, "I do a lot of sport", follow()), Move::Probe("Which sport?".into()));
        let spent = Progress { probes_used: 2, answers: 3, ..AT_START };
        assert_eq!(next_move(&f, spent, "I do a lot of sport", follow()), Move::Ask(2), "budget spent");
        // A step without scripted probes still allows the model's follow-ups.
        let at_sport = Progress { step: 2, probes_used: 1, answers: 2, active_ms: 0 };
        assert_eq!(next_move(&f, at_sport, "Yes", follow()), Move::Probe("Which sport?".into()));
        assert_eq!(probe_budget(&f.steps[2], false), 0);
    }
}
