//! Coach provisioning: an administrator invites a new coach with a training
//! program (and, optionally, the manager who follows them); the coach
//! completes a profile, has an intake interview when the provisioning names
//! a coach-intake flow, takes the program's placement (unless the interview's
//! self-rating starts them at the beginning), and trains along the path it
//! leaves. These are the rules: what a profile may hold, where a provisioned
//! coach stands, where the training starts, and the intake's score per domain.

use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use utoipa::ToSchema;
use wayfinder_accounts_rules::PersonId;
use wayfinder_accounts_rules::policy::{OrgActor, may_read_progress};

wayfinder_accounts_rules::id_type!(
    /// Identifies a coach's provisioning.
    CoachProvisionId,
);

/// Most years of experience a profile may state.
pub const MAX_EXPERIENCE_YEARS: u32 = 70;
/// Most subjects a profile may list.
pub const MAX_SUBJECTS: usize = 20;
/// Longest subject, in characters.
pub const MAX_SUBJECT_CHARS: usize = 80;
/// Longest statement of goals, in characters.
pub const MAX_GOALS_CHARS: usize = 2000;

/// What a new coach says about themself.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CoachProfile {
    /// Years of coaching or teaching experience (0 to 70).
    pub experience_years: u32,
    /// What they coach: 1 to 20 subjects of up to 80 characters, each named once.
    pub subjects: Vec<String>,
    /// What they want from the training (up to 2,000 characters; may be empty).
    #[serde(default)]
    pub goals: String,
}

/// A profile field that breaks its rule.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileError {
    pub field: &'static str,
    pub message: String,
}

impl CoachProfile {
    /// The profile with its text trimmed, or the first field that breaks a rule.
    pub fn validated(self) -> Result<CoachProfile, ProfileError> {
        let error = |field: &'static str, message: String| Err(ProfileError { field, message });
        if self.experience_years > MAX_EXPERIENCE_YEARS {
            return error("experience_years", format!("must be 0 to {MAX_EXPERIENCE_YEARS}"));
        }
        let subjects: Vec<String> =
            self.subjects.iter().map(|s| s.split_whitespace().collect::<Vec<_>>().join(" ")).collect();
        if subjects.is_empty() || subjects.len() > MAX_SUBJECTS {
            return error("subjects", format!("list 1 to {MAX_SUBJECTS} subjects"));
        }
        if subjects.iter().any(|s| s.is_empty() || s.chars().count() > MAX_SUBJECT_CHARS) {
            return error("subjects", format!("each subject is 1 to {MAX_SUBJECT_CHARS} characters"));
        }
        let mut seen = HashSet::new();
        if !subjects.iter().all(|s| seen.insert(s.to_lowercase())) {
            return error("subjects", "each subject is named once".into());
        }
        let goals = self.goals.trim().to_string();
        if goals.chars().count() > MAX_GOALS_CHARS {
            return error("goals", format!("must be at most {MAX_GOALS_CHARS} characters"));
        }
        Ok(CoachProfile { experience_years: self.experience_years, subjects, goals })
    }
}

wayfinder_accounts_rules::closed_set! {
/// Where a provisioned coach stands, in the order they go through it.
pub enum ProvisionStage {
    /// The invitation waits to be accepted.
    Invited,
    /// The invitation was revoked or expired before anyone accepted it.
    Lapsed,
    /// Accepted; the coach has not completed their profile yet.
    Profile,
    /// The profile is done; the intake (the program's placement) is not.
    Intake,
    /// The intake is done; concepts of the training path remain.
    Training,
    /// Every concept of the training program is mastered.
    Trained,
}
}

/// What decides a provisioned coach's stage.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProvisionFacts {
    pub accepted: bool,
    /// The invitation was revoked or has expired (only matters before acceptance).
    pub invitation_closed: bool,
    pub profile_completed: bool,
    pub intake_completed: bool,
    /// Every concept of the training program is mastered now.
    pub program_mastered: bool,
}

impl ProvisionStage {
    /// The stage the facts put a coach in.
    pub fn of(facts: ProvisionFacts) -> ProvisionStage {
        match facts {
            ProvisionFacts { accepted: false, invitation_closed: true, .. } => ProvisionStage::Lapsed,
            ProvisionFacts { accepted: false, .. } => ProvisionStage::Invited,
            ProvisionFacts { profile_completed: false, .. } => ProvisionStage::Profile,
            ProvisionFacts { intake_completed: false, .. } => ProvisionStage::Intake,
            ProvisionFacts { program_mastered: false, .. } => ProvisionStage::Training,
            _ => ProvisionStage::Trained,
        }
    }
}

/// Self-rated knowledge (1 to 5) at or below which the training starts at the beginning of the
/// path without a placement: to someone who says they are just starting, the placement would
/// only confirm it, one question after another.
pub const BEGINNER_RATING_AT_MOST: i64 = 2;

wayfinder_accounts_rules::closed_set! {
/// Where a coach's training starts.
pub enum StartingPoint {
    /// At the beginning of the path: the first concepts whose prerequisites are known.
    Beginning,
    /// Where the placement finds it: the concepts it does not settle as known.
    Placement,
}
}

/// Where the intake interview's self-rating starts the training (none: the placement decides).
pub fn starting_point(self_rating: Option<i64>) -> StartingPoint {
    match self_rating {
        Some(rating) if rating <= BEGINNER_RATING_AT_MOST => StartingPoint::Beginning,
        _ => StartingPoint::Placement,
    }
}

/// The intake interview, as far as the intake's end is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IntakeInterviewState {
    /// The provisioning runs no interview.
    NotRun,
    /// Started, not finished.
    Running,
    Completed {
        self_rating: Option<i64>,
    },
}

/// Whether the intake is done: the interview first (when there is one), then the placement —
/// which a self-rated beginner does not need.
pub fn intake_completed(interview: IntakeInterviewState, placement_completed: bool) -> bool {
    match interview {
        IntakeInterviewState::Running => false,
        IntakeInterviewState::Completed { self_rating } if starting_point(self_rating) == StartingPoint::Beginning => {
            true
        }
        IntakeInterviewState::NotRun | IntakeInterviewState::Completed { .. } => placement_completed,
    }
}

/// One concept as the intake left it: its domains (the concept's tags) and the probability the
/// coach knows it.
#[derive(Clone, Debug, PartialEq)]
pub struct IntakeConcept<'a> {
    pub domains: &'a [String],
    pub probability: f64,
    /// Settled as known by the intake.
    pub known: bool,
}

/// The intake's score in one domain.
#[derive(Clone, Debug, PartialEq, Serialize, ToSchema)]
pub struct DomainScore {
    /// A tag of the program's concepts, or the program's title for untagged concepts.
    pub domain: String,
    /// Concepts in the domain.
    pub concepts: usize,
    /// Of those, the ones the intake settled as known.
    pub known: usize,
    /// The mean probability that the coach knows the domain's concepts, 0 to 100.
    pub score: f64,
}

/// The intake's score per domain, in the order domains first appear: a concept counts towards
/// each of its tags, and untagged concepts towards `untagged` (the program's title).
pub fn domain_scores(concepts: &[IntakeConcept<'_>], untagged: &str) -> Vec<DomainScore> {
    use std::collections::HashMap;
    // Domains are told apart without regard to case; each keeps its first spelling.
    let mut order: Vec<(String, String)> = Vec::new();
    let mut sums: HashMap<String, (usize, usize, f64)> = HashMap::new();
    let fallback = [untagged.to_string()];
    for concept in concepts {
        let domains = if concept.domains.is_empty() { &fallback[..] } else { concept.domains };
        let mut counted = HashSet::new();
        for domain in domains {
            let key = domain.to_lowercase();
            if !counted.insert(key.clone()) {
                continue;
            }
            let entry = sums.entry(key.clone()).or_insert_with(|| {
                order.push((key, domain.clone()));
                (0, 0, 0.0)
            });
            entry.0 += 1;
            entry.1 += usize::from(concept.known);
            entry.2 += concept.probability;
        }
    }
    order
        .into_iter()
        .map(|(key, domain)| {
            let (concepts, known, sum) = sums[&key];
            DomainScore { domain, concepts, known, score: (1000.0 * sum / concepts as f64).round() / 10.0 }
        })
        .collect()
}

/// Whether `actor` may see a provisioning: administrators, the manager it names, and whoever
/// may read the coach's progress (the coach, and managers who follow them). `supervised` is
/// whom the actor supervises.
pub fn may_see(
    actor: &OrgActor,
    coach: Option<PersonId>,
    manager: Option<PersonId>,
    supervised: &HashSet<PersonId>,
) -> bool {
    actor.is_admin()
        || manager == Some(actor.person)
        || coach.is_some_and(|coach| may_read_progress(actor, coach, supervised))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_interview_comes_first_and_a_beginner_needs_no_placement() {
        use IntakeInterviewState::*;
        assert_eq!(starting_point(Some(1)), StartingPoint::Beginning);
        assert_eq!(starting_point(Some(2)), StartingPoint::Beginning);
        assert_eq!(starting_point(Some(3)), StartingPoint::Placement);
        assert_eq!(starting_point(None), StartingPoint::Placement);
        for placed in [false, true] {
            assert!(!intake_completed(Running, placed), "the interview is not over");
            assert!(intake_completed(Completed { self_rating: Some(2) }, placed), "a beginner starts at once");
            assert_eq!(intake_completed(Completed { self_rating: Some(4) }, placed), placed);
            assert_eq!(intake_completed(Completed { self_rating: None }, placed), placed);
            assert_eq!(intake_completed(NotRun, placed), placed);
        }
    }

    fn profile(years: u32, subjects: &[&str], goals: &str) -> CoachProfile {
        CoachProfile {
            experience_years: years,
            subjects: subjects.iter().map(|s| s.to_string()).collect(),
            goals: goals.into(),
        }
    }

    #[test]
    fn a_profile_is_trimmed_and_checked_field_by_field() {
        let ok = profile(4, &["  time   management ", "Study skills"], "  lead a cohort ").validated().unwrap();
        assert_eq!(ok.subjects, ["time management", "Study skills"]);
        assert_eq!(ok.goals, "lead a cohort");
        let field = |p: CoachProfile| p.validated().unwrap_err().field;
        assert_eq!(field(profile(71, &["a"], "")), "experience_years");
        assert_eq!(field(profile(1, &[], "")), "subjects");
        assert_eq!(field(profile(1, &["a", " "], "")), "subjects");
        assert_eq!(field(profile(1, &["Maths", "maths"], "")), "subjects");
        assert_eq!(field(profile(1, &[&"x".repeat(81)], "")), "subjects");
        assert_eq!(field(profile(1, &["a"; 21], "")), "subjects");
        assert_eq!(field(profile(1, &["a"], &"g".repeat(2001))), "goals");
        assert!(profile(70, &["a"; 1], &"g".repeat(2000)).validated().is_ok());
    }

    #[test]
    fn the_stage_follows_the_first_step_not_done() {
        let facts = |accepted, closed, profile, intake, mastered| ProvisionFacts {
            accepted,
            invitation_closed: closed,
            profile_completed: profile,
            intake_completed: intake,
            program_mastered: mastered,
        };
        assert_eq!(ProvisionStage::of(facts(false, false, false, false, false)), ProvisionStage::Invited);
        assert_eq!(ProvisionStage::of(facts(false, true, false, false, false)), ProvisionStage::Lapsed);
        // Once accepted, the invitation's later state does not matter.
        assert_eq!(ProvisionStage::of(facts(true, true, false, false, false)), ProvisionStage::Profile);
        assert_eq!(ProvisionStage::of(facts(true, false, true, false, false)), ProvisionStage::Intake);
        assert_eq!(ProvisionStage::of(facts(true, false, true, true, false)), ProvisionStage::Training);
        assert_eq!(ProvisionStage::of(facts(true, false, true, true, true)), ProvisionStage::Trained);
    }

    #[test]
    fn domain_scores_average_each_tags_concepts() {
        let listening = vec!["Listening".to_string()];
        let both = vec!["Listening".to_string(), "Feedback".to_string(), "listening".to_string()];
        let none: Vec<String> = Vec::new();
        let concepts = [
            IntakeConcept { domains: &listening, probability: 0.9, known: true },
            IntakeConcept { domains: &both, probability: 0.5, known: false },
            IntakeConcept { domains: &none, probability: 0.2, known: false },
        ];
        let feedback = vec!["feedback".to_string()];
        let concepts =
            [&concepts[..], &[IntakeConcept { domains: &feedback, probability: 0.3, known: false }]].concat();
        let scores = domain_scores(&concepts, "Coach training");
        assert_eq!(
            scores,
            [
                DomainScore { domain: "Listening".into(), concepts: 2, known: 1, score: 70.0 },
                DomainScore { domain: "Feedback".into(), concepts: 2, known: 0, score: 40.0 },
                DomainScore { domain: "Coach training".into(), concepts: 1, known: 0, score: 20.0 },
            ]
        );
        assert!(domain_scores(&[], "x").is_empty());
    }

    #[test]
    fn a_provisioning_is_seen_by_admins_its_manager_and_those_following_the_coach() {
        use wayfinder_accounts_rules::{OrgId, Role};
        let org = OrgId::new();
        let (coach, manager, other) = (PersonId::new(), PersonId::new(), PersonId::new());
        let actor = |person, role| OrgActor { org, person, role: Some(role), is_operator: false };
        let none = HashSet::new();
        assert!(may_see(&actor(other, Role::Admin), Some(coach), None, &none));
        assert!(may_see(&actor(manager, Role::Manager), None, Some(manager), &none), "before acceptance too");
        assert!(may_see(&actor(coach, Role::Coach), Some(coach), Some(manager), &none));
        assert!(may_see(&actor(other, Role::Manager), Some(coach), Some(manager), &HashSet::from([coach])));
        assert!(!may_see(&actor(other, Role::Manager), Some(coach), Some(manager), &none));
        assert!(!may_see(&actor(other, Role::Coach), Some(coach), None, &none));
        assert!(!may_see(&actor(other, Role::Learner), None, Some(manager), &none));
    }
}
