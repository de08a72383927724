//! Coach provisioning over HTTP: an administrator invites a coach with a
//! training program and a manager; the coach completes a profile (their intake
//! is the program's placement, a practice session); administrators, the
//! manager and the coach follow the result.

use crate::routes::invitations::{InvitationCreated, invite};
use crate::{
    auth::{ClientIp, Principal},
    authz::OrgScope,
    error::{ApiError, ApiResult, ErrorBody},
    json::{JsonBody, PathIds},
    routes::audit,
    state::AppState,
};
use axum::{Json, extract::State, http::StatusCode};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use wayfinder_accounts_rules::{OrgId, PersonId, Role, normalise_email, policy::OrgAction};
use wayfinder_interviews_rules::InterviewFlowId;
use wayfinder_learning::{CoachProvision, CoachProvisionSpec};
use wayfinder_learning_rules::program::ProgramId;
use wayfinder_learning_rules::provisioning::{CoachProfile, CoachProvisionId, may_see};
use wayfinder_store::CoachProvisionRecord;

/// A coach to bring in.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProvisionCoachBody {
    /// Where the invitation goes.
    pub email: String,
    /// The published program that trains them; accepting enrols them and sets it as their goal.
    #[schema(value_type = String)]
    pub program_id: ProgramId,
    /// A manager of the organisation who follows their training.
    #[schema(value_type = Option<String>)]
    pub manager_id: Option<PersonId>,
    /// One of the organisation's coach-intake interview flows, started with the coach when they
    /// accept; its self-rating decides whether the placement is needed.
    #[schema(value_type = Option<String>)]
    pub intake_flow_id: Option<InterviewFlowId>,
}

/// A provisioned coach and the invitation to send them (its secret shown this once).
#[derive(Serialize, ToSchema)]
pub struct CoachProvisioned {
    pub provision: CoachProvision,
    pub invitation: InvitationCreated,
}

/// Bring in a coach: an invitation with the coach role, a training program and, optionally, the
/// manager who follows them (admins).
#[utoipa::path(post, path = "/orgs/{org_id}/coach-provisions", tag = "provisioning",
    params(("org_id" = OrgId, Path)), request_body = ProvisionCoachBody,
    responses((status = 201, body = CoachProvisioned), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn provision_coach(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    PathIds(org_id): PathIds<OrgId>,
    JsonBody(body): JsonBody<ProvisionCoachBody>,
) -> ApiResult<(StatusCode, Json<CoachProvisioned>)> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    scope.require(OrgAction::ProvisionCoaches)?;
    let email = normalise_email(&body.email)?;
    let spec =
        CoachProvisionSpec { program: body.program_id, manager: body.manager_id, intake_flow: body.intake_flow_id };
    state.learning.check_coach_provision(org_id, spec).await?;
    let by = principal.person.id;
    let invitation = invite(&state, org_id, by, email, Role::Coach, &ip).await?;
    let provision = match state.learning.record_coach_provision(org_id, spec, invitation.invitation.id, by).await {
        Ok(provision) => provision,
        Err(error) => {
            // No coach invitation without its training: take the invitation back.
            if let Err(revoke) = state.store.revoke_invitation(org_id, invitation.invitation.id).await {
                tracing::error!(error = %revoke, "an unrecorded provisioning's invitation could not be revoked");
            }
            return Err(error.into());
        }
    };
    let detail =
        serde_json::json!({ "program": spec.program, "manager": spec.manager, "intake_flow": spec.intake_flow });
    audit(&state, Some(org_id), Some(by), "coach.provisioned", Some(provision.id.to_string()), detail, &ip).await;
    Ok((StatusCode::CREATED, Json(CoachProvisioned { provision, invitation })))
}

/// The provisionings the caller may see, newest first: administrators all, managers those they
/// follow, a coach their own.
#[utoipa::path(get, path = "/orgs/{org_id}/coach-provisions", tag = "provisioning",
    params(("org_id" = OrgId, Path)),
    responses((status = 200, body = [CoachProvision]), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_coach_provisions(
    State(state): State<AppState>,
    principal: Principal,
    PathIds(org_id): PathIds<OrgId>,
) -> ApiResult<Json<Vec<CoachProvision>>> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    scope.require(OrgAction::ViewOrganisation)?;
    let supervised = scope.supervised(&state).await?;
    let visible = |r: &CoachProvisionRecord| may_see(&scope.actor, r.coach, r.manager, &supervised);
    Ok(Json(state.learning.coach_provisions(org_id, visible).await?))
}

/// One provisioning: the coach's stage, profile, intake, score per domain and training progress.
#[utoipa::path(get, path = "/orgs/{org_id}/coach-provisions/{provision_id}", tag = "provisioning",
    params(("org_id" = OrgId, Path), ("provision_id" = String, Path)),
    responses((status = 200, body = CoachProvision), (status = 404, body = ErrorBody)))]
pub async fn get_coach_provision(
    State(state): State<AppState>,
    principal: Principal,
    PathIds((org_id, id)): PathIds<(OrgId, CoachProvisionId)>,
) -> ApiResult<Json<CoachProvision>> {
    let record = visible_provision(&state, &principal, org_id, id).await?;
    Ok(Json(state.learning.coach_provision(org_id, record).await?))
}

/// Complete (or correct) the coach's profile: experience, subjects and goals (the coach only).
#[utoipa::path(put, path = "/orgs/{org_id}/coach-provisions/{provision_id}/profile", tag = "provisioning",
    params(("org_id" = OrgId, Path), ("provision_id" = String, Path)), request_body = CoachProfile,
    responses((status = 200, body = CoachProvision), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn complete_coach_profile(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    PathIds((org_id, id)): PathIds<(OrgId, CoachProvisionId)>,
    JsonBody(profile): JsonBody<CoachProfile>,
) -> ApiResult<Json<CoachProvision>> {
    let record = visible_provision(&state, &principal, org_id, id).await?;
    if record.coach != Some(principal.person.id) {
        return Err(ApiError::forbidden());
    }
    let provision = state.learning.complete_coach_profile(org_id, id, profile).await?;
    let detail = serde_json::json!({});
    audit(
        &state,
        Some(org_id),
        Some(principal.person.id),
        "coach.profile_completed",
        Some(id.to_string()),
        detail,
        &ip,
    )
    .await;
    Ok(Json(provision))
}

/// The provisioning, or 404 when the caller may not see it (whether or not it exists).
async fn visible_provision(
    state: &AppState,
    principal: &Principal,
    org_id: OrgId,
    id: CoachProvisionId,
) -> ApiResult<CoachProvisionRecord> {
    let scope = OrgScope::load(state, principal, org_id).await?;
    scope.require_or_hide(OrgAction::ViewOrganisation, "provisioning")?;
    let record = state.learning.coach_provision_record(org_id, id).await?;
    let supervised = scope.supervised(state).await?;
    if !may_see(&scope.actor, record.coach, record.manager, &supervised) {
        return Err(ApiError::not_found("provisioning"));
    }
    Ok(record)
}
