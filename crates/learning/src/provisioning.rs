//! Coach provisioning: an administrator brings in a coach with a training
//! program and, optionally, their manager and a coach-intake interview flow.
//! Accepting the invitation enrols the coach, sets the program as their goal
//! and starts the intake interview; the coach completes a profile and the
//! interview, then takes the program's placement — whose result is a score per
//! domain and a training path that skips what they already know — unless the
//! interview's self-rating starts them at the beginning of the path.
//! The rules (profile, stage, domain scores) are in
//! `wayfinder_learning_rules::provisioning`.

use crate::{GoalProgress, Learning, LearningError, LearningResult, programs::not_found};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use wayfinder_accounts_rules::{InvitationId, OrgId, PersonId, Role};
use wayfinder_interviews::StartingInterview;
use wayfinder_interviews_rules::{InterviewFlowId, InterviewId, flow::FlowPurpose};
use wayfinder_learning_rules::practice::{PracticeSessionId, PracticeTarget, SessionStatus};
use wayfinder_learning_rules::program::{GoalId, GoalKind, ProgramId, ProgramStatus};
use wayfinder_learning_rules::provisioning::{
    CoachProfile, CoachProvisionId, DomainScore, IntakeConcept, IntakeInterviewState, ProvisionFacts, ProvisionStage,
    StartingPoint, domain_scores, intake_completed, starting_point,
};
use wayfinder_store::{CoachProvisionRecord, GoalRecord, InterviewStatus, NewCoachProvision, StoreError};

/// What a coach is provisioned with, besides their invitation.
#[derive(Clone, Copy, Debug)]
pub struct CoachProvisionSpec {
    /// The published program that trains them.
    pub program: ProgramId,
    /// The manager who follows their training.
    pub manager: Option<PersonId>,
    /// The coach-intake flow run with the coach once they accept.
    pub intake_flow: Option<InterviewFlowId>,
}

/// The coach's intake interview.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct IntakeInterview {
    #[schema(value_type = String)]
    pub interview_id: InterviewId,
    #[schema(value_type = String)]
    pub flow_id: InterviewFlowId,
    pub flow_name: String,
    /// `active`, `paused` or `completed`.
    #[schema(value_type = String)]
    pub status: InterviewStatus,
    pub completed_at: Option<DateTime<Utc>>,
    /// The coach's self-rating, 1 to 5 (the summary's first scale field), once completed.
    pub self_rating: Option<i64>,
    /// Where the training starts, once completed: at the beginning (a self-rated beginner) or
    /// where the placement finds it.
    pub starting_point: Option<StartingPoint>,
    /// For a training that starts at the beginning: the first concepts of the path.
    pub start_with: Vec<crate::ConceptName>,
}

/// The coach's intake: the training program's placement.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CoachIntake {
    #[schema(value_type = String)]
    pub session_id: PracticeSessionId,
    pub status: SessionStatus,
    pub answered: i64,
    pub completed_at: Option<DateTime<Utc>>,
    /// Where the intake proposes the training starts (empty until it is completed).
    pub start_with: Vec<crate::ConceptName>,
}

/// A provisioned coach: who, with what, and how far they are.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CoachProvision {
    #[schema(value_type = String)]
    pub id: CoachProvisionId,
    /// The address the invitation went to.
    pub email: String,
    /// The coach, once they accepted.
    #[schema(value_type = Option<String>)]
    pub coach_id: Option<PersonId>,
    pub coach_name: Option<String>,
    #[schema(value_type = String)]
    pub program_id: ProgramId,
    pub program_title: String,
    #[schema(value_type = Option<String>)]
    pub manager_id: Option<PersonId>,
    pub manager_name: Option<String>,
    pub stage: ProvisionStage,
    pub invitation_expires_at: DateTime<Utc>,
    pub profile: Option<CoachProfile>,
    pub profile_completed_at: Option<DateTime<Utc>>,
    /// The intake interview (null when the provisioning names no intake flow, or before the
    /// coach accepts).
    pub intake_interview: Option<IntakeInterview>,
    /// The latest intake started (null before the first).
    pub intake: Option<CoachIntake>,
    /// The completed intake's score per domain (a domain is a tag of the program's concepts).
    pub domain_scores: Vec<DomainScore>,
    /// Progress along the training path: the goal set on the program when the coach accepted.
    pub training: Option<GoalProgress>,
    pub created_at: DateTime<Utc>,
}

impl Learning {
    /// Checks that a coach can be provisioned with `spec` before their invitation is made: the
    /// program is published with concepts, and the manager is a manager of the organisation.
    pub async fn check_coach_provision(&self, org: OrgId, spec: CoachProvisionSpec) -> LearningResult<()> {
        let program = self.store.program(org, spec.program).await.map_err(|e| not_found(e, "program"))?;
        if program.status != ProgramStatus::Published {
            return Err(LearningError::Conflict("the training program is not published".into()));
        }
        if let Some(manager) = spec.manager
            && self.store.role_in(org, manager).await? != Some(Role::Manager)
        {
            return Err(invalid("manager_id", "must be a manager of the organisation"));
        }
        if let Some(flow) = spec.intake_flow {
            match self.store.interview_flow(org, flow, None).await {
                Ok(flow) if flow.purpose == FlowPurpose::CoachIntake => {}
                Ok(_) => return Err(invalid("intake_flow_id", "must be a coach intake flow")),
                Err(StoreError::NotFound) => {
                    return Err(invalid("intake_flow_id", "must be one of the organisation's interview flows"));
                }
                Err(other) => return Err(other.into()),
            }
        }
        Ok(())
    }

    /// Records a coach's provisioning for the invitation just made.
    pub async fn record_coach_provision(
        &self,
        org: OrgId,
        spec: CoachProvisionSpec,
        invitation: InvitationId,
        by: PersonId,
    ) -> LearningResult<CoachProvision> {
        let provision = NewCoachProvision {
            id: CoachProvisionId::new(),
            invitation,
            program: spec.program,
            manager: spec.manager,
            provisioned_by: by,
            intake_flow: spec.intake_flow,
        };
        let record = self.store.create_coach_provision(org, &provision).await?;
        Ok(self.provision_views(org, vec![record]).await?.remove(0))
    }

    /// Starts the training of the coach who accepted `invitation`, if it provisioned one:
    /// enrolment in the program, the manager's relationship and the program as a goal. Safe to
    /// run again. Answers the provisioning, or `None` for an ordinary invitation.
    pub async fn start_coach_training(
        &self,
        org: OrgId,
        invitation: InvitationId,
        coach: PersonId,
    ) -> LearningResult<Option<CoachProvision>> {
        let Some(record) = self.store.coach_provision_of_invitation(org, invitation).await? else {
            return Ok(None);
        };
        self.ensure_training(org, &record, coach).await?;
        let record = self.store.coach_provision(org, record.id).await?;
        Ok(Some(self.provision_views(org, vec![record]).await?.remove(0)))
    }

    async fn ensure_training(&self, org: OrgId, record: &CoachProvisionRecord, coach: PersonId) -> LearningResult<()> {
        let graph = self.published(org).await?;
        let targets = graph.by_program.get(&record.program).cloned().unwrap_or_default();
        if targets.is_empty() {
            return Err(LearningError::Conflict("the training program has no published concepts".into()));
        }
        let goal = GoalRecord {
            id: GoalId::new(),
            person: coach,
            kind: GoalKind::Program,
            title: record.program_title.clone(),
            targets,
            set_by: record.provisioned_by,
            created_at: Utc::now(),
            deadline: None,
        };
        let intake = match (record.intake_flow, record.intake_interview) {
            (Some(flow), None) => {
                let flow = self.store.interview_flow(org, flow, None).await?;
                Some(StartingInterview::of(&flow, coach, record.provisioned_by))
            }
            _ => None,
        };
        let intake = intake.as_ref().map(StartingInterview::as_new);
        Ok(self.store.start_coach_training(org, record, coach, &goal, intake.as_ref()).await?)
    }

    /// The coach completes (or corrects) their profile; their training is started if it was not.
    pub async fn complete_coach_profile(
        &self,
        org: OrgId,
        id: CoachProvisionId,
        profile: CoachProfile,
    ) -> LearningResult<CoachProvision> {
        let profile = profile.validated().map_err(|e| invalid(e.field, &e.message))?;
        let record = self.store.coach_provision(org, id).await.map_err(|e| not_found(e, "provisioning"))?;
        let coach = record.coach.ok_or(LearningError::NotFound("provisioning"))?;
        self.ensure_training(org, &record, coach).await?;
        let record = self.store.save_coach_profile(org, id, &profile).await?;
        Ok(self.provision_views(org, vec![record]).await?.remove(0))
    }

    /// The coach a provisioning brought in (none before they accept).
    pub async fn coach_provision_record(
        &self,
        org: OrgId,
        id: CoachProvisionId,
    ) -> LearningResult<CoachProvisionRecord> {
        self.store.coach_provision(org, id).await.map_err(|e| not_found(e, "provisioning"))
    }

    /// One provisioning as shown.
    pub async fn coach_provision(&self, org: OrgId, record: CoachProvisionRecord) -> LearningResult<CoachProvision> {
        Ok(self.provision_views(org, vec![record]).await?.remove(0))
    }

    /// The organisation's provisionings (newest first) for which `keep` holds, as shown.
    pub async fn coach_provisions(
        &self,
        org: OrgId,
        keep: impl Fn(&CoachProvisionRecord) -> bool,
    ) -> LearningResult<Vec<CoachProvision>> {
        let records = self.store.coach_provisions(org).await?.into_iter().filter(|r| keep(r)).collect();
        self.provision_views(org, records).await
    }

    /// Provisionings as shown: each coach's intake and training progress (one overview for all).
    async fn provision_views(
        &self,
        org: OrgId,
        records: Vec<CoachProvisionRecord>,
    ) -> LearningResult<Vec<CoachProvision>> {
        let now = Utc::now();
        let coaches: Vec<PersonId> = records.iter().filter_map(|r| r.coach).collect();
        let overview = if coaches.is_empty() { Vec::new() } else { self.coach_overview(org, &coaches, now).await? };
        let graph = self.published(org).await?;
        let mut views = Vec::with_capacity(records.len());
        for record in records {
            let training = record.goal.and_then(|goal| {
                let progress = overview.iter().find(|p| Some(p.person_id) == record.coach)?;
                progress.goals.iter().find(|g| g.goal_id == goal).cloned()
            });
            let (intake, domain_scores) = match record.coach {
                Some(coach) => self.intake(org, coach, &record, &graph).await?,
                None => (None, Vec::new()),
            };
            let intake_interview = self.intake_interview(org, &record, &graph, now).await?;
            let interview_state = match &intake_interview {
                None => IntakeInterviewState::NotRun,
                Some(i) if i.status == InterviewStatus::Completed => {
                    IntakeInterviewState::Completed { self_rating: i.self_rating }
                }
                Some(_) => IntakeInterviewState::Running,
            };
            let placement_completed = intake.as_ref().is_some_and(|i| i.status == SessionStatus::Completed);
            let stage = ProvisionStage::of(ProvisionFacts {
                accepted: record.coach.is_some(),
                invitation_closed: record.invitation_revoked || record.invitation_expires_at <= now,
                profile_completed: record.profile_completed_at.is_some(),
                intake_completed: intake_completed(interview_state, placement_completed),
                program_mastered: training.as_ref().is_some_and(|t| t.remaining == 0),
            });
            views.push(CoachProvision {
                id: record.id,
                email: record.email,
                coach_id: record.coach,
                coach_name: record.coach_name,
                program_id: record.program,
                program_title: record.program_title,
                manager_id: record.manager,
                manager_name: record.manager_name,
                stage,
                invitation_expires_at: record.invitation_expires_at,
                profile: record.profile,
                profile_completed_at: record.profile_completed_at,
                intake_interview,
                intake,
                domain_scores,
                training,
                created_at: record.created_at,
            });
        }
        Ok(views)
    }

    /// The coach's intake interview, with where it starts the training once completed.
    async fn intake_interview(
        &self,
        org: OrgId,
        record: &CoachProvisionRecord,
        graph: &crate::graph_cache::OrgGraph,
        now: DateTime<Utc>,
    ) -> LearningResult<Option<IntakeInterview>> {
        let Some(id) = record.intake_interview else { return Ok(None) };
        let interview = match self.store.interview(org, id).await {
            Ok(interview) => interview,
            Err(StoreError::NotFound) => return Ok(None),
            Err(other) => return Err(other.into()),
        };
        let completed = interview.place.status == InterviewStatus::Completed;
        let self_rating = if completed { self.self_rating(org, &interview).await? } else { None };
        let starting_point = completed.then(|| starting_point(self_rating));
        let start_with = match (starting_point, record.coach) {
            (Some(StartingPoint::Beginning), Some(coach)) => {
                let targets = graph.by_program.get(&record.program).cloned().unwrap_or_default();
                self.first_concepts(org, coach, &targets, now).await?
            }
            _ => Vec::new(),
        };
        Ok(Some(IntakeInterview {
            interview_id: interview.id,
            flow_id: interview.flow,
            flow_name: interview.flow_name,
            status: interview.place.status,
            completed_at: interview.completed_at,
            self_rating,
            starting_point,
            start_with,
        }))
    }

    /// The coach's latest intake on the training program (the latest completed one if any) and,
    /// once completed, its score per domain.
    async fn intake(
        &self,
        org: OrgId,
        coach: PersonId,
        record: &CoachProvisionRecord,
        graph: &crate::graph_cache::OrgGraph,
    ) -> LearningResult<(Option<CoachIntake>, Vec<DomainScore>)> {
        let placements: Vec<_> = self
            .store
            .practice_sessions(org, coach, 100)
            .await?
            .into_iter()
            .filter(|s| s.target == PracticeTarget::Placement { program_id: record.program })
            .collect();
        // Newest first: the latest completed intake counts; otherwise the one under way.
        let Some(latest) =
            placements.iter().find(|s| s.status == SessionStatus::Completed).or(placements.first()).cloned()
        else {
            return Ok((None, Vec::new()));
        };
        let session = self.practice_session(org, latest.id).await?;
        let completed = session.status == SessionStatus::Completed;
        let (start_with, scores) = match (&session.placement, completed) {
            (Some(placement), true) => {
                let concepts: Vec<IntakeConcept<'_>> = placement
                    .concepts
                    .iter()
                    .map(|c| IntakeConcept {
                        domains: graph.concepts.get(&c.concept.id).map(|r| r.tags.as_slice()).unwrap_or(&[]),
                        probability: c.probability,
                        known: c.known == Some(true),
                    })
                    .collect();
                (placement.start_with.clone(), domain_scores(&concepts, &record.program_title))
            }
            _ => (Vec::new(), Vec::new()),
        };
        let intake = CoachIntake {
            session_id: session.id,
            status: session.status,
            answered: session.answered,
            completed_at: session.completed_at,
            start_with,
        };
        Ok((Some(intake), scores))
    }
}

fn invalid(field: &str, message: &str) -> LearningError {
    LearningError::Invalid { field: field.into(), message: message.into() }
}
