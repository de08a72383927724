//! Where a learner's path starts after a coach intake interview: the summary's
//! self-rating (its first scale field) starts a self-rated beginner at the
//! beginning of each program they are enrolled in — the first concepts whose
//! prerequisites they know — and anyone else where the program's placement
//! finds it. Coach provisioning applies the same rule to a new coach's
//! training (`provisioning`).

use crate::{ConceptName, Learning, LearningError, LearningResult};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use wayfinder_accounts_rules::OrgId;
use wayfinder_interviews_rules::{InterviewId, flow::FlowPurpose, profile::self_rating};
use wayfinder_learning_rules::program::{EnrolmentStatus, ProgramId};
use wayfinder_learning_rules::provisioning::{StartingPoint, starting_point};
use wayfinder_store::{InterviewRecord, InterviewStatus, StoreError};

/// Where the learner starts in one program they are enrolled in.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ProgramStart {
    #[schema(value_type = String)]
    pub program_id: ProgramId,
    pub program_title: String,
    /// The first concepts of the path, for a training that starts at the beginning (empty when
    /// the placement decides).
    pub start_with: Vec<ConceptName>,
}

/// Where a coach intake interview starts the learner.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct StartingPath {
    /// The learner's self-rating, 1 to 5 (null when the interview did not tell).
    pub self_rating: Option<i64>,
    pub starting_point: StartingPoint,
    /// The programs the learner is enrolled in, by title.
    pub programs: Vec<ProgramStart>,
}

impl Learning {
    /// The self-rating a completed interview's summary holds (its flow version's first scale
    /// field).
    pub(crate) async fn self_rating(&self, org: OrgId, interview: &InterviewRecord) -> LearningResult<Option<i64>> {
        let Some(summary) = &interview.summary else { return Ok(None) };
        let flow = self.store.interview_flow(org, interview.flow, Some(interview.flow_version)).await?;
        Ok(self_rating(&flow.spec.summary, summary))
    }

    /// Where a completed coach intake interview starts its learner, in each program they are
    /// enrolled in (`Conflict` for another kind of interview, or one not ended).
    pub async fn starting_path(
        &self,
        org: OrgId,
        interview: InterviewId,
        at: DateTime<Utc>,
    ) -> LearningResult<StartingPath> {
        let record = self.store.interview(org, interview).await.map_err(|e| match e {
            StoreError::NotFound => LearningError::NotFound("interview"),
            other => other.into(),
        })?;
        if record.purpose != FlowPurpose::CoachIntake {
            return Err(LearningError::Conflict("only a coach intake interview says where a path starts".into()));
        }
        if record.place.status != InterviewStatus::Completed {
            return Err(LearningError::Conflict("the interview has not ended yet".into()));
        }
        let rating = self.self_rating(org, &record).await?;
        let point = starting_point(rating);
        let graph = self.published(org).await?;
        let mut programs = Vec::new();
        for enrolment in self.store.enrolments(org, None, Some(record.person)).await? {
            if enrolment.status != EnrolmentStatus::Active {
                continue;
            }
            let Some(targets) = graph.by_program.get(&enrolment.program) else { continue };
            let start_with = match point {
                StartingPoint::Beginning => self.first_concepts(org, record.person, targets, at).await?,
                StartingPoint::Placement => Vec::new(),
            };
            programs.push(ProgramStart {
                program_id: enrolment.program,
                program_title: enrolment.program_title,
                start_with,
            });
        }
        Ok(StartingPath { self_rating: rating, starting_point: point, programs })
    }
}
