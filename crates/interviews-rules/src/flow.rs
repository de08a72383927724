//! A flow: an ordered set of steps, each a question with its purpose, what
//! counts as a complete answer, follow-up probes and branches ("if the learner
//! mentions X, go to step Y"); limits on turns and time; and the schema of the
//! summary it ends in. `check_flow` refuses a flow whose steps cannot all be
//! reached or whose branches loop, naming the step at fault.

use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use utoipa::ToSchema;

wayfinder_accounts_rules::closed_set! {
/// What a flow is for; it decides what its summary may update on the learner's profile.
pub enum FlowPurpose {
    /// Finds what a learner is drawn to; `interests` suggest programs.
    InterestDiscovery,
    /// Practises a job interview for a described role.
    MockInterview,
    /// A weekly look back: what went well, what was hard, what next.
    WeeklyReflection,
    /// A coach's first conversation with a new learner; scores suggest where to start.
    CoachIntake,
    /// A check-in on a program under way.
    ProgramCheckIn,
    /// Anything else an author writes.
    Custom,
}
}

wayfinder_accounts_rules::closed_set! {
/// The type of one summary field.
pub enum FieldKind {
    /// Free text.
    Text,
    /// A list of short texts (interests, strengths, next steps).
    TextList,
    /// A whole number from 1 to 5.
    Scale,
    /// Yes or no.
    YesNo,
}
}

/// One field of the summary a flow ends in.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SummaryField {
    /// Names the field (letters, digits, `-` and `_`; 1 to 40).
    #[schema(min_length = 1, max_length = 40)]
    pub key: String,
    pub kind: FieldKind,
    /// What the field holds, for the person reading it and for the model filling it.
    #[schema(max_length = 500)]
    #[serde(default)]
    pub description: String,
}

/// "If the learner mentions X, ask Y": any of `mentions` in an answer sends the interview to step `goto`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Branch {
    /// Words or phrases (1 to 10, each up to 60 characters); matched as whole words, ignoring case,
    /// a word of four letters or more also as the start of a longer one ("draw" in "drawing").
    pub mentions: Vec<String>,
    /// The key of the step to go to.
    pub goto: String,
}

/// One step: a question and what to do with its answer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FlowStep {
    /// Names the step within its flow (letters, digits, `-` and `_`; 1 to 40).
    #[schema(min_length = 1, max_length = 40)]
    pub key: String,
    /// What the interviewer asks.
    #[schema(min_length = 1, max_length = 1000)]
    pub question: String,
    /// What the step is for; follow-ups stay within it.
    #[schema(max_length = 500)]
    #[serde(default)]
    pub purpose: String,
    /// What counts as a complete answer, in words (for the model).
    #[schema(max_length = 500)]
    #[serde(default)]
    pub complete_when: String,
    /// Answers shorter than this many words get the next probe (0: any answer will do).
    #[schema(maximum = 200)]
    #[serde(default)]
    pub min_words: u32,
    /// Follow-up questions asked in turn while an answer falls short (up to 5).
    #[serde(default)]
    pub probes: Vec<String>,
    /// Checked in order after a complete answer; the first that matches is taken.
    #[serde(default)]
    pub branches: Vec<Branch>,
    /// The step after this one when no branch is taken (default: the next in order).
    #[serde(default)]
    pub next: Option<String>,
    /// The interview ends after this step when no branch is taken.
    #[serde(default)]
    pub end: bool,
    /// The summary field this step's answers fill when no model writes the summary.
    #[serde(default)]
    pub field: Option<String>,
}

/// When an interview ends even if steps remain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FlowLimits {
    /// The most answers the learner gives (1 to 200).
    #[schema(minimum = 1, maximum = 200)]
    pub max_turns: u32,
    /// The most minutes the interview runs, paused time excluded (1 to 240).
    #[schema(minimum = 1, maximum = 240)]
    pub max_minutes: u32,
}

impl Default for FlowLimits {
    fn default() -> Self {
        FlowLimits { max_turns: 40, max_minutes: 30 }
    }
}

/// A flow as its author writes it (and as it is exported and imported).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FlowSpec {
    #[schema(min_length = 1, max_length = 120)]
    pub name: String,
    #[schema(max_length = 2000)]
    #[serde(default)]
    pub description: String,
    pub purpose: FlowPurpose,
    /// Background the interviewer works from (for a mock interview, the role's description);
    /// shown to the learner when the interview starts.
    #[schema(max_length = 4000)]
    #[serde(default)]
    pub context: String,
    /// 1 to 30 steps; the interview starts with the first.
    pub steps: Vec<FlowStep>,
    #[serde(default)]
    pub limits: FlowLimits,
    /// The summary's fields (1 to 30).
    pub summary: Vec<SummaryField>,
}

/// Why a flow is refused: the field at fault (`steps[2].branches[0].goto`) and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FlowError {
    pub field: String,
    pub message: String,
}

/// The most steps a flow holds.
pub const MAX_STEPS: usize = 30;
/// The most summary fields.
pub const MAX_FIELDS: usize = 30;

fn well_formed_key(key: &str) -> bool {
    !key.is_empty() && key.len() <= 40 && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn within(text: &str, min: usize, max: usize) -> bool {
    (min..=max).contains(&text.trim().chars().count())
}

impl FlowStep {
    /// A step asking `question`, with nothing else set: any answer will do, no probes or
    /// branches, the next step in order after it.
    pub fn new(key: &str, question: &str) -> FlowStep {
        FlowStep {
            key: key.into(),
            question: question.into(),
            purpose: String::new(),
            complete_when: String::new(),
            min_words: 0,
            probes: vec![],
            branches: vec![],
            next: None,
            end: false,
            field: None,
        }
    }
}

impl FlowSpec {
    /// The index of the step with this key.
    pub fn step_index(&self, key: &str) -> Option<usize> {
        self.steps.iter().position(|s| s.key == key)
    }

    /// Where a step goes when no branch is taken: the named or following step, or the end.
    pub fn default_next(&self, index: usize) -> Option<usize> {
        let step = &self.steps[index];
        if step.end {
            return None;
        }
        match &step.next {
            Some(key) => self.step_index(key),
            None => (index + 1 < self.steps.len()).then_some(index + 1),
        }
    }

    /// Every step a step can lead to: its branches' targets, then its default next.
    fn successors(&self, index: usize) -> Vec<usize> {
        let step = &self.steps[index];
        let mut out: Vec<usize> = step.branches.iter().filter_map(|b| self.step_index(&b.goto)).collect();
        out.extend(self.default_next(index));
        out
    }
}

/// Checks a flow: its fields within bounds, keys unique, every reference to a step or field
/// real, every step reachable from the first, and no way round in a loop.
pub fn check_flow(flow: &FlowSpec) -> Result<(), FlowError> {
    let error = |field: String, message: String| Err(FlowError { field, message });
    if !within(&flow.name, 1, 120) {
        return error("name".into(), "must be 1 to 120 characters".into());
    }
    if flow.description.chars().count() > 2000 {
        return error("description".into(), "must be at most 2000 characters".into());
    }
    if flow.context.chars().count() > 4000 {
        return error("context".into(), "must be at most 4000 characters".into());
    }
    if !(1..=200).contains(&flow.limits.max_turns) {
        return error("limits.max_turns".into(), "must be between 1 and 200".into());
    }
    if !(1..=240).contains(&flow.limits.max_minutes) {
        return error("limits.max_minutes".into(), "must be between 1 and 240".into());
    }
    if flow.summary.is_empty() || flow.summary.len() > MAX_FIELDS {
        return error("summary".into(), format!("a summary has 1 to {MAX_FIELDS} fields"));
    }
    let mut fields = HashSet::new();
    for (i, f) in flow.summary.iter().enumerate() {
        if !well_formed_key(&f.key) {
            return error(format!("summary[{i}].key"), "must be 1 to 40 letters, digits, - or _".into());
        }
        if !fields.insert(f.key.as_str()) {
            return error(format!("summary[{i}].key"), format!("`{}` is used by another field", f.key));
        }
        if f.description.chars().count() > 500 {
            return error(format!("summary[{i}].description"), "must be at most 500 characters".into());
        }
    }
    if flow.steps.is_empty() || flow.steps.len() > MAX_STEPS {
        return error("steps".into(), format!("a flow has 1 to {MAX_STEPS} steps"));
    }
    let mut keys = HashSet::new();
    for (i, step) in flow.steps.iter().enumerate() {
        if !well_formed_key(&step.key) {
            return error(format!("steps[{i}].key"), "must be 1 to 40 letters, digits, - or _".into());
        }
        if !keys.insert(step.key.as_str()) {
            return error(format!("steps[{i}].key"), format!("`{}` is used by another step", step.key));
        }
    }
    for (i, step) in flow.steps.iter().enumerate() {
        let at = |name: &str| format!("steps[{i}].{name}");
        if !within(&step.question, 1, 1000) {
            return error(at("question"), "must be 1 to 1000 characters".into());
        }
        if step.purpose.chars().count() > 500 || step.complete_when.chars().count() > 500 {
            return error(at("purpose"), "purpose and complete_when are at most 500 characters each".into());
        }
        if step.min_words > 200 {
            return error(at("min_words"), "must be at most 200".into());
        }
        if step.probes.len() > 5 {
            return error(at("probes"), "a step has at most 5 probes".into());
        }
        if let Some(p) = step.probes.iter().position(|p| !within(p, 1, 500)) {
            return error(at(&format!("probes[{p}]")), "must be 1 to 500 characters".into());
        }
        if step.branches.len() > 10 {
            return error(at("branches"), "a step has at most 10 branches".into());
        }
        for (b, branch) in step.branches.iter().enumerate() {
            let at = |name: &str| format!("steps[{i}].branches[{b}].{name}");
            if branch.mentions.is_empty() || branch.mentions.len() > 10 {
                return error(at("mentions"), "a branch has 1 to 10 words or phrases".into());
            }
            if branch.mentions.iter().any(|m| !within(m, 1, 60) || crate::words::words(m).is_empty()) {
                return error(at("mentions"), "each is 1 to 60 characters with at least one word".into());
            }
            if flow.step_index(&branch.goto).is_none() {
                return error(at("goto"), format!("names no step of this flow (`{}`)", branch.goto));
            }
            if branch.goto == step.key {
                return error(at("goto"), format!("step `{}` cannot branch to itself", step.key));
            }
        }
        if let Some(next) = &step.next {
            if step.end {
                return error(at("next"), "a step that ends the interview has no next step".into());
            }
            if flow.step_index(next).is_none() {
                return error(at("next"), format!("names no step of this flow (`{next}`)"));
            }
            if next == &step.key {
                return error(at("next"), format!("step `{}` cannot lead to itself", step.key));
            }
        }
        if let Some(field) = &step.field
            && !fields.contains(field.as_str())
        {
            return error(at("field"), format!("names no summary field (`{field}`)"));
        }
    }
    check_graph(flow)
}

/// Every step reachable from the first, and no cycle (named along its path).
fn check_graph(flow: &FlowSpec) -> Result<(), FlowError> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        OnPath,
        Done,
    }
    let mut marks = vec![Mark::New; flow.steps.len()];
    // Depth-first from the first step, with an explicit stack of (step, next successor to try).
    let mut path: Vec<(usize, usize)> = vec![(0, 0)];
    marks[0] = Mark::OnPath;
    let successors: HashMap<usize, Vec<usize>> = (0..flow.steps.len()).map(|i| (i, flow.successors(i))).collect();
    while let Some(&mut (step, ref mut tried)) = path.last_mut() {
        let next = successors[&step].get(*tried).copied();
        *tried += 1;
        match next {
            None => {
                marks[step] = Mark::Done;
                path.pop();
            }
            Some(to) if marks[to] == Mark::OnPath => {
                let start = path.iter().position(|&(s, _)| s == to).unwrap_or(0);
                let mut names: Vec<&str> = path[start..].iter().map(|&(s, _)| flow.steps[s].key.as_str()).collect();
                names.push(&flow.steps[to].key);
                return Err(FlowError {
                    field: format!("steps[{step}]"),
                    message: format!(
                        "step `{}` leads back to step `{}`, so the interview could go round for ever: {}",
                        flow.steps[step].key,
                        flow.steps[to].key,
                        names.join(" → ")
                    ),
                });
            }
            Some(to) if marks[to] == Mark::New => {
                marks[to] = Mark::OnPath;
                path.push((to, 0));
            }
            Some(_) => {}
        }
    }
    if let Some(i) = marks.iter().position(|m| *m == Mark::New) {
        return Err(FlowError {
            field: format!("steps[{i}]"),
            message: format!(
                "step `{}` can never be reached: no step before it leads there (give a step `next` or a branch to it, or remove it)",
                flow.steps[i].key
            ),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn step(key: &str) -> FlowStep {
        FlowStep::new(key, &format!("Question {key}?"))
    }

    fn flow(steps: Vec<FlowStep>) -> FlowSpec {
        FlowSpec {
            name: "Test".into(),
            description: String::new(),
            purpose: FlowPurpose::Custom,
            context: String::new(),
            steps,
            limits: FlowLimits::default(),
            summary: vec![SummaryField { key: "notes".into(), kind: FieldKind::Text, description: String::new() }],
        }
    }

    fn branch(to: &str, mention: &str) -> Branch {
        Branch { mentions: vec![mention.into()], goto: to.into() }
    }

    #[test]
    fn a_straight_flow_and_a_diamond_pass() {
        assert_eq!(check_flow(&flow(vec![step("a"), step("b"), step("c")])), Ok(()));
        // a branches to c (skipping b) or goes on to b; b goes to d; c ends after d too.
        let mut a = step("a");
        a.branches.push(branch("c", "music"));
        let mut b = step("b");
        b.next = Some("d".into());
        assert_eq!(check_flow(&flow(vec![a, b, step("c"), step("d")])), Ok(()));
    }

    #[test]
    fn an_unreachable_step_is_named() {
        let mut a = step("a");
        a.end = true;
        let err = check_flow(&flow(vec![a, step("orphan")])).unwrap_err();
        assert_eq!(err.field, "steps[1]");
        assert!(err.message.contains("`orphan` can never be reached"), "{}", err.message);

        // Skipped over by `next`, with nothing else leading there.
        let mut a = step("a");
        a.next = Some("c".into());
        let err = check_flow(&flow(vec![a, step("b"), step("c")])).unwrap_err();
        assert_eq!(err.field, "steps[1]");
    }

    #[test]
    fn a_cyclic_branch_is_named_with_its_path() {
        let mut c = step("c");
        c.branches.push(branch("a", "again"));
        let err = check_flow(&flow(vec![step("a"), step("b"), c])).unwrap_err();
        assert_eq!(err.field, "steps[2]");
        assert!(err.message.contains("`c` leads back to step `a`"), "{}", err.message);
        assert!(err.message.ends_with("a → b → c → a"), "{}", err.message);

        // A `next` loop is a cycle too.
        let mut b = step("b");
        b.next = Some("a".into());
        assert_eq!(check_flow(&flow(vec![step("a"), b])).unwrap_err().field, "steps[1]");
    }

    #[test]
    fn references_and_bounds_are_checked() {
        let mut a = step("a");
        a.branches.push(branch("nowhere", "x"));
        assert_eq!(check_flow(&flow(vec![a])).unwrap_err().field, "steps[0].branches[0].goto");
        let mut a = step("a");
        a.branches.push(branch("a", "x"));
        assert!(check_flow(&flow(vec![a])).unwrap_err().message.contains("itself"));
        let mut a = step("a");
        a.field = Some("missing".into());
        assert_eq!(check_flow(&flow(vec![a])).unwrap_err().field, "steps[0].field");
        assert_eq!(check_flow(&flow(vec![step("a"), step("a")])).unwrap_err().field, "steps[1].key");
        assert_eq!(check_flow(&flow(vec![])).unwrap_err().field, "steps");
        let mut f = flow(vec![step("a")]);
        f.summary.clear();
        assert_eq!(check_flow(&f).unwrap_err().field, "summary");
        let mut f = flow(vec![step("a")]);
        f.limits.max_turns = 0;
        assert_eq!(check_flow(&f).unwrap_err().field, "limits.max_turns");
        let mut a = step("a");
        a.branches.push(branch("b", "  "));
        assert_eq!(check_flow(&flow(vec![a, step("b")])).unwrap_err().field, "steps[0].branches[0].mentions");
        let mut a = step("a");
        a.probes = vec!["".into()];
        assert_eq!(check_flow(&flow(vec![a])).unwrap_err().field, "steps[0].probes[0]");
    }

    #[test]
    fn unknown_fields_are_refused_when_read() {
        let text =
            r#"{"name":"x","purpose":"custom","steps":[{"key":"a","question":"q","colour":"red"}],"summary":[]}"#;
        assert!(serde_json::from_str::<FlowSpec>(text).is_err());
    }
}
