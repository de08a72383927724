//! The built-in flows an author starts from: interest discovery, a mock job
//! interview, a weekly reflection, a coach's intake and a program check-in.
//! Each passes `check_flow` and runs to its summary without a model.

use crate::flow::{Branch, FieldKind, FlowLimits, FlowPurpose, FlowSpec, FlowStep, SummaryField};

fn step(key: &str, question: &str, purpose: &str, field: &str) -> FlowStep {
    FlowStep { purpose: purpose.into(), field: Some(field.into()), ..FlowStep::new(key, question) }
}

impl FlowStep {
    fn complete_when(mut self, words: u32, what: &str, probes: &[&str]) -> Self {
        self.min_words = words;
        self.complete_when = what.into();
        self.probes = probes.iter().map(|p| p.to_string()).collect();
        self
    }

    fn branch(mut self, mentions: &[&str], goto: &str) -> Self {
        self.branches.push(Branch { mentions: mentions.iter().map(|m| m.to_string()).collect(), goto: goto.into() });
        self
    }

    fn then(mut self, next: &str) -> Self {
        self.next = Some(next.into());
        self
    }

    fn ends(mut self) -> Self {
        self.end = true;
        self
    }
}

fn field(key: &str, kind: FieldKind, description: &str) -> SummaryField {
    SummaryField { key: key.into(), kind, description: description.into() }
}

fn interest_discovery() -> FlowSpec {
    FlowSpec {
        name: "Interest discovery".into(),
        description: "A short conversation about what the learner enjoys and is good at, ending in interests and strengths that suggest programs.".into(),
        purpose: FlowPurpose::InterestDiscovery,
        context: String::new(),
        steps: vec![
            step("enjoy", "What do you enjoy doing when nobody is telling you what to do?", "Find the activities the learner is drawn to.", "interests")
                .complete_when(6, "Names at least two activities and says something about them.", &[
                    "Could you tell me a bit more? What do you like about it?",
                    "Is there anything else you find yourself doing for fun?",
                ])
                .branch(&["build", "code", "program", "fix", "engineer", "computer"], "making")
                .branch(&["people", "friends", "help", "teach", "volunteer"], "people"),
            step("topics", "Which subjects or topics make you lose track of time?", "Find subjects the learner is curious about.", "interests")
                .complete_when(4, "Names a subject and why it appeals.", &["What is it about that topic that draws you in?"])
                .then("strengths"),
            step("making", "You mentioned making things work. What is something you built or fixed that you were proud of?", "Explore practical, technical interests.", "interests")
                .complete_when(8, "Describes one concrete thing and their part in it.", &["What was the hardest part, and how did you get past it?"])
                .then("strengths"),
            step("people", "You mentioned other people. When have you helped someone learn or do something?", "Explore social and helping interests.", "interests")
                .complete_when(8, "Describes one concrete time and what they did.", &["How did it feel, and what did you learn about yourself?"]),
            step("strengths", "What do friends or teachers say you are good at?", "Find the learner's strengths as others see them.", "strengths")
                .complete_when(4, "Names at least one strength.", &["If you had to pick one thing you do better than most, what would it be?"]),
            step("hopes", "If you could get much better at one thing this year, what would it be?", "Find a goal to build a program around.", "next_steps")
                .complete_when(3, "Names one thing.", &["Why that one?"])
                .ends(),
        ],
        limits: FlowLimits { max_turns: 20, max_minutes: 20 },
        summary: vec![
            field("interests", FieldKind::TextList, "Activities and topics the learner enjoys."),
            field("strengths", FieldKind::TextList, "What the learner is good at, in their words or others'."),
            field("next_steps", FieldKind::TextList, "What the learner wants to get better at."),
        ],
    }
}

fn mock_interview() -> FlowSpec {
    FlowSpec {
        name: "Mock job interview".into(),
        description: "Practice for a job interview: the interviewer asks what a hiring manager for the role would, and the summary says what went well and what to practise.".into(),
        purpose: FlowPurpose::MockInterview,
        context: "Role: junior customer support specialist. Answers customers by chat and email, logs issues, works in a team of six, some weekend shifts.".into(),
        steps: vec![
            step("intro", "Thanks for coming in. Could you tell me a little about yourself and why this role appeals to you?", "An opening answer that links the candidate's background to the role.", "strengths")
                .complete_when(25, "Covers background, a relevant strength and motivation for this role.", &[
                    "What in your background prepares you for this role in particular?",
                ]),
            step("situation", "Tell me about a time you dealt with someone who was upset. What happened, what did you do, and how did it end?", "A situation-task-action-result answer.", "examples")
                .complete_when(30, "Gives the situation, their action and the result.", &[
                    "What exactly did you do, step by step?",
                    "How did it turn out in the end?",
                ]),
            step("weakness", "What is something you are working on getting better at?", "Honest self-assessment with a plan.", "to_practise")
                .complete_when(12, "Names a real weakness and what they do about it.", &["What are you doing about it at the moment?"]),
            step("questions", "Is there anything you would like to ask me about the role or the team?", "The candidate's own questions.", "examples"),
            step("confidence", "Before we finish: on a scale of 1 to 5, how confident do you feel about a real interview now?", "The candidate's confidence.", "confidence")
                .ends(),
        ],
        limits: FlowLimits { max_turns: 16, max_minutes: 30 },
        summary: vec![
            field("strengths", FieldKind::TextList, "What the candidate did well in their answers."),
            field("examples", FieldKind::Text, "The examples and questions the candidate gave."),
            field("to_practise", FieldKind::TextList, "What to work on before a real interview."),
            field("confidence", FieldKind::Scale, "The candidate's own confidence, 1 to 5."),
        ],
    }
}

fn weekly_reflection() -> FlowSpec {
    FlowSpec {
        name: "Weekly reflection".into(),
        description:
            "A few minutes looking back on the week: what went well, what was hard, and one thing to do next week."
                .into(),
        purpose: FlowPurpose::WeeklyReflection,
        context: String::new(),
        steps: vec![
            step("went_well", "What went well for you this week?", "Notice progress.", "went_well").complete_when(
                4,
                "Names at least one thing.",
                &["Even something small counts. What is one thing you are glad you did?"],
            ),
            step("hard", "What was hard, or did not go the way you wanted?", "Name obstacles.", "hard")
                .complete_when(4, "Names at least one difficulty.", &["What got in the way?"])
                .branch(&["stress", "stressed", "overwhelmed", "anxious", "tired", "exhausted"], "support"),
            step("next", "What is one thing you will do differently next week?", "A concrete next step.", "next_steps")
                .complete_when(4, "Names one concrete action.", &["When exactly will you do it?"])
                .ends(),
            step(
                "support",
                "That sounds like a lot. Who or what could help you with that next week?",
                "Find support when the learner is struggling.",
                "hard",
            )
            .then("next"),
        ],
        limits: FlowLimits { max_turns: 10, max_minutes: 15 },
        summary: vec![
            field("went_well", FieldKind::TextList, "What went well this week."),
            field("hard", FieldKind::TextList, "What was hard, and who could help."),
            field("next_steps", FieldKind::TextList, "What the learner will do next week."),
        ],
    }
}

fn coach_intake() -> FlowSpec {
    FlowSpec {
        name: "Coach intake".into(),
        description: "A coach's first conversation with a new learner: goals, where they stand, how they like to learn; the scores suggest where their path starts.".into(),
        purpose: FlowPurpose::CoachIntake,
        context: String::new(),
        steps: vec![
            step("goal", "What would you like to get out of working with a coach?", "The learner's goal in their words.", "goals")
                .complete_when(6, "States a goal.", &["What would be different for you if that happened?"]),
            step("experience", "How much do you already know about this, from 1 (just starting) to 5 (I could teach it)?", "Where the learner starts.", "experience"),
            step("time", "How much time can you give to learning each week?", "Time available.", "time_per_week"),
            step("style", "How do you like to learn: reading, watching, doing exercises, or talking it through?", "Learning preferences.", "learning_style"),
            step("worries", "Is there anything that worries you about getting started?", "Concerns to address early.", "concerns")
                .ends(),
        ],
        limits: FlowLimits { max_turns: 14, max_minutes: 20 },
        summary: vec![
            field("goals", FieldKind::TextList, "What the learner wants to achieve."),
            field("experience", FieldKind::Scale, "Self-rated knowledge, 1 to 5."),
            field("time_per_week", FieldKind::Text, "Time available each week."),
            field("learning_style", FieldKind::TextList, "How the learner likes to learn."),
            field("concerns", FieldKind::TextList, "Worries about getting started."),
        ],
    }
}

fn program_check_in() -> FlowSpec {
    FlowSpec {
        name: "Program check-in".into(),
        description:
            "A check-in partway through a program: how it is going, what is unclear, and whether the pace is right."
                .into(),
        purpose: FlowPurpose::ProgramCheckIn,
        context: String::new(),
        steps: vec![
            step(
                "progress",
                "How is the program going for you, from 1 (struggling) to 5 (going great)?",
                "How the learner feels about their progress.",
                "progress",
            ),
            step(
                "unclear",
                "Is there anything in the material that is still unclear?",
                "Find concepts to revisit.",
                "unclear",
            )
            .complete_when(
                3,
                "Names a topic or says nothing is unclear.",
                &["Which part would you like explained another way?"],
            ),
            step("pace", "Is the pace right for you?", "Whether to change the pace.", "pace_ok").ends(),
        ],
        limits: FlowLimits { max_turns: 8, max_minutes: 10 },
        summary: vec![
            field("progress", FieldKind::Scale, "How it is going, 1 to 5."),
            field("unclear", FieldKind::TextList, "What is still unclear."),
            field("pace_ok", FieldKind::YesNo, "Whether the pace is right."),
        ],
    }
}

/// The built-in flows, one per purpose other than `custom`.
pub fn templates() -> Vec<FlowSpec> {
    vec![interest_discovery(), mock_interview(), weekly_reflection(), coach_intake(), program_check_in()]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flow::check_flow;
    use crate::interviewer::{Move, Progress, next_move};
    use crate::summary::{Answer, scripted_summary};

    #[test]
    fn every_template_passes_the_checks_and_runs_to_a_summary_without_a_model() {
        for flow in templates() {
            check_flow(&flow).unwrap_or_else(|e| panic!("{}: {} {}", flow.name, e.field, e.message));
            // Answer every question fully; the interview ends, every field that a step names is filled.
            let mut progress = Progress { step: 0, probes_used: 0, answers: 0, active_ms: 0 };
            let mut answers = Vec::new();
            // Long enough for the step asking the most words.
            let longest = flow.steps.iter().map(|s| s.min_words).max().unwrap_or(0) as usize;
            let reply = format!("Yes, three: drawing, music and helping friends{}", " again".repeat(longest));
            let reply = reply.as_str();
            loop {
                progress.answers += 1;
                answers.push((flow.steps[progress.step].key.clone(), i64::from(progress.answers) * 2));
                match next_move(&flow, progress, reply, None) {
                    Move::Ask(next) => progress = Progress { step: next, probes_used: 0, ..progress },
                    Move::Probe(_) => panic!("{}: a full answer was probed", flow.name),
                    Move::End(_) => break,
                }
            }
            let read: Vec<Answer<'_>> =
                answers.iter().map(|(s, seq)| Answer { step: s, seq: *seq, text: reply }).collect();
            let summary = scripted_summary(&flow, &read);
            assert_eq!(summary.len(), flow.summary.len());
        }
    }
}
