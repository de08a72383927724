//! Coach provisioning in storage: the record that ties a coach's invitation
//! to their training program and manager, read with the invitation's state,
//! and the one transaction that starts the training once the coach accepts.

use crate::learning::GoalRecord;
use crate::{NewInterview, Store, StoreError, StoreResult, in_tx, interviews::insert_interview, on_pool, rows::*};
use chrono::{DateTime, Utc};
use wayfinder_accounts_rules::{InvitationId, OrgId, PersonId, RelationshipId};
use wayfinder_interviews_rules::{InterviewFlowId, InterviewId};
use wayfinder_learning_rules::program::{GoalId, ProgramId};
use wayfinder_learning_rules::provisioning::{CoachProfile, CoachProvisionId};

/// A coach's provisioning to store.
#[derive(Clone, Debug)]
pub struct NewCoachProvision {
    pub id: CoachProvisionId,
    pub invitation: InvitationId,
    pub program: ProgramId,
    pub manager: Option<PersonId>,
    pub provisioned_by: PersonId,
    /// The coach-intake flow run with the coach once they accept.
    pub intake_flow: Option<InterviewFlowId>,
}

/// A coach's provisioning as stored, with its invitation's state and the names it points at.
#[derive(Clone, Debug, PartialEq)]
pub struct CoachProvisionRecord {
    pub id: CoachProvisionId,
    pub invitation: InvitationId,
    pub email: String,
    /// The coach, once they accepted the invitation.
    pub coach: Option<PersonId>,
    pub coach_name: Option<String>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub invitation_expires_at: DateTime<Utc>,
    pub invitation_revoked: bool,
    pub program: ProgramId,
    pub program_title: String,
    pub manager: Option<PersonId>,
    pub manager_name: Option<String>,
    pub provisioned_by: Option<PersonId>,
    /// The goal set on the training program when the coach accepted.
    pub goal: Option<GoalId>,
    pub profile: Option<CoachProfile>,
    pub profile_completed_at: Option<DateTime<Utc>>,
    /// The coach-intake flow run with the coach, and the interview started on it.
    pub intake_flow: Option<InterviewFlowId>,
    pub intake_interview: Option<InterviewId>,
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct ProvisionRow {
    id: String,
    invitation_id: String,
    email: String,
    accepted_by: Option<String>,
    coach_name: Option<String>,
    accepted_at: Option<i64>,
    expires_at: i64,
    revoked_at: Option<i64>,
    program_id: String,
    program_title: String,
    manager_id: Option<String>,
    manager_name: Option<String>,
    provisioned_by: Option<String>,
    goal_id: Option<String>,
    profile: Option<String>,
    profile_completed_at: Option<i64>,
    intake_flow_id: Option<String>,
    intake_interview_id: Option<String>,
    created_at: i64,
}

impl ProvisionRow {
    fn into_record(self) -> StoreResult<CoachProvisionRecord> {
        let person = |raw: Option<String>| raw.as_deref().map(|p| parse(p, "person id")).transpose();
        Ok(CoachProvisionRecord {
            id: parse(&self.id, "provision id")?,
            invitation: parse(&self.invitation_id, "invitation id")?,
            email: self.email,
            coach: person(self.accepted_by)?,
            coach_name: self.coach_name,
            accepted_at: opt_time(self.accepted_at),
            invitation_expires_at: time(self.expires_at),
            invitation_revoked: self.revoked_at.is_some(),
            program: parse(&self.program_id, "program id")?,
            program_title: self.program_title,
            manager: person(self.manager_id)?,
            manager_name: self.manager_name,
            provisioned_by: person(self.provisioned_by)?,
            goal: self.goal_id.as_deref().map(|g| parse(g, "goal id")).transpose()?,
            profile: self.profile.as_deref().map(|p| from_json(p, "coach profile")).transpose()?,
            profile_completed_at: opt_time(self.profile_completed_at),
            intake_flow: self.intake_flow_id.as_deref().map(|f| parse(f, "interview flow id")).transpose()?,
            intake_interview: self.intake_interview_id.as_deref().map(|i| parse(i, "interview id")).transpose()?,
            created_at: time(self.created_at),
        })
    }
}

const PROVISION_SELECT: &str = "
    SELECT c.id, c.invitation_id, i.email, i.accepted_by, coach.display_name AS coach_name, i.accepted_at,
           i.expires_at, i.revoked_at, c.program_id, p.title AS program_title, c.manager_id,
           manager.display_name AS manager_name, c.provisioned_by, c.goal_id, c.profile, c.profile_completed_at,
           c.intake_flow_id, c.intake_interview_id, c.created_at
    FROM coach_provisions c
    JOIN invitations i ON i.id = c.invitation_id
    JOIN programs p ON p.id = c.program_id
    LEFT JOIN people coach ON coach.id = i.accepted_by
    LEFT JOIN people manager ON manager.id = c.manager_id";

impl Store {
    /// Stores a coach's provisioning (its invitation already exists).
    pub async fn create_coach_provision(
        &self,
        org: OrgId,
        provision: &NewCoachProvision,
    ) -> StoreResult<CoachProvisionRecord> {
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO coach_provisions (id, org_id, invitation_id, program_id, manager_id, provisioned_by, created_at,
               intake_flow_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind(provision.id.to_string()).bind(org.to_string()).bind(provision.invitation.to_string())
            .bind(provision.program.to_string()).bind(provision.manager.map(|m| m.to_string()))
            .bind(provision.provisioned_by.to_string()).bind(now_ms())
            .bind(provision.intake_flow.map(|f| f.to_string())).execute(pool).await?.rows_affected());
        self.coach_provision(org, provision.id).await
    }

    /// One provisioning of an organisation.
    pub async fn coach_provision(&self, org: OrgId, id: CoachProvisionId) -> StoreResult<CoachProvisionRecord> {
        let sql = format!("{PROVISION_SELECT} WHERE c.org_id = $1 AND c.id = $2");
        let row: Option<ProvisionRow> = on_pool!(self, pool => sqlx::query_as(&sql)
            .bind(org.to_string()).bind(id.to_string()).fetch_optional(pool).await?);
        row.ok_or(StoreError::NotFound)?.into_record()
    }

    /// The provisioning an invitation was made for, if any.
    pub async fn coach_provision_of_invitation(
        &self,
        org: OrgId,
        invitation: InvitationId,
    ) -> StoreResult<Option<CoachProvisionRecord>> {
        let sql = format!("{PROVISION_SELECT} WHERE c.org_id = $1 AND c.invitation_id = $2");
        let row: Option<ProvisionRow> = on_pool!(self, pool => sqlx::query_as(&sql)
            .bind(org.to_string()).bind(invitation.to_string()).fetch_optional(pool).await?);
        row.map(ProvisionRow::into_record).transpose()
    }

    /// The organisation's provisionings, newest first.
    pub async fn coach_provisions(&self, org: OrgId) -> StoreResult<Vec<CoachProvisionRecord>> {
        let sql = format!("{PROVISION_SELECT} WHERE c.org_id = $1 ORDER BY c.created_at DESC, c.id DESC");
        let rows: Vec<ProvisionRow> =
            on_pool!(self, pool => sqlx::query_as(&sql).bind(org.to_string()).fetch_all(pool).await?);
        rows.into_iter().map(ProvisionRow::into_record).collect()
    }

    /// Starts an accepted coach's training in one transaction: enrols them in the training
    /// program, puts them under their manager (while that person is still a manager of the
    /// organisation), sets `goal` unless the provisioning has one already, and starts `intake`
    /// unless an intake interview was started before. Running it again changes nothing.
    pub async fn start_coach_training(
        &self,
        org: OrgId,
        provision: &CoachProvisionRecord,
        coach: PersonId,
        goal: &GoalRecord,
        intake: Option<&NewInterview<'_>>,
    ) -> StoreResult<()> {
        let now = now_ms();
        let (org_id, coach_id) = (org.to_string(), coach.to_string());
        in_tx!(self, tx => {
            sqlx::query(
                "INSERT INTO enrolments (id, org_id, program_id, person_id, status, enrolled_by, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, 'active', $5, $6, $6)
                 ON CONFLICT (program_id, person_id) DO UPDATE SET status = 'active', updated_at = $6")
                .bind(wayfinder_learning_rules::program::EnrolmentId::new().to_string()).bind(&org_id)
                .bind(provision.program.to_string()).bind(&coach_id)
                .bind(provision.provisioned_by.map(|p| p.to_string())).bind(now)
                .execute(&mut *tx).await?;
            if let Some(manager) = provision.manager {
                sqlx::query(
                    "INSERT INTO relationships (id, org_id, kind, from_person, to_person, created_at)
                     SELECT $1, $2, 'manager_coach', $3, $4, $5
                     WHERE EXISTS (SELECT 1 FROM memberships WHERE org_id = $2 AND person_id = $3 AND role = 'manager')
                     ON CONFLICT (org_id, kind, from_person, to_person) DO NOTHING")
                    .bind(RelationshipId::new().to_string()).bind(&org_id).bind(manager.to_string()).bind(&coach_id)
                    .bind(now).execute(&mut *tx).await?;
            }
            let (existing, interview): (Option<String>, Option<String>) =
                sqlx::query_as("SELECT goal_id, intake_interview_id FROM coach_provisions WHERE id = $1")
                    .bind(provision.id.to_string()).fetch_one(&mut *tx).await?;
            if let (None, Some(intake)) = (interview, intake) {
                insert_interview!(self, tx, intake, now);
                sqlx::query("UPDATE coach_provisions SET intake_interview_id = $1 WHERE id = $2")
                    .bind(intake.id.to_string()).bind(provision.id.to_string()).execute(&mut *tx).await?;
            }
            if existing.is_none() {
                sqlx::query(
                    "INSERT INTO goals (id, org_id, person_id, kind, title, targets, set_by, created_at, deadline_day)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
                    .bind(goal.id.to_string()).bind(&org_id).bind(&coach_id).bind(<&str>::from(goal.kind))
                    .bind(&goal.title).bind(to_json(&goal.targets.iter().map(ToString::to_string).collect::<Vec<_>>()))
                    .bind(goal.set_by.map(|p| p.to_string())).bind(goal.created_at.timestamp_millis())
                    .bind(goal.deadline.map(|d| wayfinder_insights_rules::days::Day::from_date(d).0))
                    .execute(&mut *tx).await?;
                sqlx::query("UPDATE coach_provisions SET goal_id = $1 WHERE id = $2")
                    .bind(goal.id.to_string()).bind(provision.id.to_string()).execute(&mut *tx).await?;
            }
            Ok::<(), StoreError>(())
        })
    }

    /// Saves the coach's profile.
    pub async fn save_coach_profile(
        &self,
        org: OrgId,
        id: CoachProvisionId,
        profile: &CoachProfile,
    ) -> StoreResult<CoachProvisionRecord> {
        let changed = on_pool!(self, pool => sqlx::query(
            "UPDATE coach_provisions SET profile = $3, profile_completed_at = $4 WHERE org_id = $1 AND id = $2")
            .bind(org.to_string()).bind(id.to_string()).bind(to_json(profile)).bind(now_ms())
            .execute(pool).await?.rows_affected());
        if changed == 0 {
            return Err(StoreError::NotFound);
        }
        self.coach_provision(org, id).await
    }
}
