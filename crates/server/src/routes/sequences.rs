//! Sequences over HTTP: coaches and administrators write programs of scheduled
//! steps and enrol people (a coach: their own learners); the organisation's
//! due steps can be taken at once (they are also taken every five minutes);
//! each member answers their open check-ins.

use crate::{
    auth::{ClientIp, Principal},
    authz::OrgScope,
    error::{ApiResult, ErrorBody},
    json::{JsonBody, PathIds},
    routes::{
        audit,
        channels::member_scope,
        learning::{LearnerAccess, require_learner},
    },
    state::AppState,
};
use axum::{Json, extract::State, http::StatusCode};
use chrono::Utc;
use wayfinder_accounts_rules::policy::{OrgAction, Visibility};
use wayfinder_accounts_rules::{OrgId, PersonId};
use wayfinder_channels::sequences::{
    CheckInAnswer, NewSequenceEnrolment, OpenCheckIn, Sequence, SequenceEnrolment, SequenceRun, SequenceSpec,
};
use wayfinder_channels_rules::{SequenceId, StepTakenId};

async fn author(state: &AppState, principal: &Principal, org_id: OrgId) -> ApiResult<OrgScope> {
    let scope = OrgScope::load(state, principal, org_id).await?;
    scope.require(OrgAction::ManageSequences)?;
    Ok(scope)
}

/// The organisation's sequences (coaches and administrators).
#[utoipa::path(get, path = "/orgs/{org_id}/sequences", tag = "sequences", params(("org_id" = OrgId, Path)),
    responses((status = 200, body = Vec<Sequence>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_sequences(
    State(state): State<AppState>,
    principal: Principal,
    PathIds(org_id): PathIds<OrgId>,
) -> ApiResult<Json<Vec<Sequence>>> {
    author(&state, &principal, org_id).await?;
    Ok(Json(state.channels.sequences(org_id).await?))
}

/// Write a sequence: steps (message, check-in, practice, reflection) with delays and
/// conditions on earlier check-ins.
#[utoipa::path(post, path = "/orgs/{org_id}/sequences", tag = "sequences", params(("org_id" = OrgId, Path)),
    request_body = SequenceSpec,
    responses((status = 201, body = Sequence), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_sequence(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    PathIds(org_id): PathIds<OrgId>,
    JsonBody(body): JsonBody<SequenceSpec>,
) -> ApiResult<(StatusCode, Json<Sequence>)> {
    author(&state, &principal, org_id).await?;
    let sequence = state.channels.create_sequence(org_id, principal.person.id, body).await?;
    let detail = serde_json::json!({ "name": sequence.name, "steps": sequence.steps.len() });
    let (actor, target) = (Some(principal.person.id), Some(sequence.id.to_string()));
    audit(&state, Some(org_id), actor, "sequence.created", target, detail, &ip).await;
    Ok((StatusCode::CREATED, Json(sequence)))
}

/// One sequence.
#[utoipa::path(get, path = "/orgs/{org_id}/sequences/{sequence_id}", tag = "sequences",
    params(("org_id" = OrgId, Path), ("sequence_id" = String, Path)),
    responses((status = 200, body = Sequence), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_sequence(
    State(state): State<AppState>,
    principal: Principal,
    PathIds((org_id, id)): PathIds<(OrgId, SequenceId)>,
) -> ApiResult<Json<Sequence>> {
    author(&state, &principal, org_id).await?;
    Ok(Json(state.channels.sequence(org_id, id).await?))
}

/// Replace a sequence; enrolments keep their place.
#[utoipa::path(put, path = "/orgs/{org_id}/sequences/{sequence_id}", tag = "sequences",
    params(("org_id" = OrgId, Path), ("sequence_id" = String, Path)), request_body = SequenceSpec,
    responses((status = 200, body = Sequence), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_sequence(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    PathIds((org_id, id)): PathIds<(OrgId, SequenceId)>,
    JsonBody(body): JsonBody<SequenceSpec>,
) -> ApiResult<Json<Sequence>> {
    author(&state, &principal, org_id).await?;
    let sequence = state.channels.update_sequence(org_id, id, body).await?;
    let detail = serde_json::json!({ "name": sequence.name, "active": sequence.active });
    audit(&state, Some(org_id), Some(principal.person.id), "sequence.changed", Some(id.to_string()), detail, &ip).await;
    Ok(Json(sequence))
}

/// Delete a sequence with its enrolments.
#[utoipa::path(delete, path = "/orgs/{org_id}/sequences/{sequence_id}", tag = "sequences",
    params(("org_id" = OrgId, Path), ("sequence_id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_sequence(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    PathIds((org_id, id)): PathIds<(OrgId, SequenceId)>,
) -> ApiResult<StatusCode> {
    author(&state, &principal, org_id).await?;
    state.channels.delete_sequence(org_id, id).await?;
    let detail = serde_json::json!({});
    audit(&state, Some(org_id), Some(principal.person.id), "sequence.deleted", Some(id.to_string()), detail, &ip).await;
    Ok(StatusCode::NO_CONTENT)
}

/// Who is enrolled and where each stands, with every step taken (administrators: everyone;
/// coaches: their learners).
#[utoipa::path(get, path = "/orgs/{org_id}/sequences/{sequence_id}/enrolments", tag = "sequences",
    params(("org_id" = OrgId, Path), ("sequence_id" = String, Path)),
    responses((status = 200, body = Vec<SequenceEnrolment>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_sequence_enrolments(
    State(state): State<AppState>,
    principal: Principal,
    PathIds((org_id, id)): PathIds<(OrgId, SequenceId)>,
) -> ApiResult<Json<Vec<SequenceEnrolment>>> {
    let scope = author(&state, &principal, org_id).await?;
    let people: Option<Vec<PersonId>> = match scope.visibility(&state).await? {
        Visibility::Everyone => None,
        _ => Some(scope.supervised(&state).await?.into_iter().collect()),
    };
    Ok(Json(state.channels.sequence_enrolments(org_id, id, people.as_deref()).await?))
}

/// Enrol a learner (a coach: one of theirs); enrolling again after a stop starts over.
#[utoipa::path(post, path = "/orgs/{org_id}/sequences/{sequence_id}/enrolments", tag = "sequences",
    params(("org_id" = OrgId, Path), ("sequence_id" = String, Path)), request_body = NewSequenceEnrolment,
    responses((status = 201, body = SequenceEnrolment), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn enrol_in_sequence(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    PathIds((org_id, id)): PathIds<(OrgId, SequenceId)>,
    JsonBody(body): JsonBody<NewSequenceEnrolment>,
) -> ApiResult<(StatusCode, Json<SequenceEnrolment>)> {
    let scope = author(&state, &principal, org_id).await?;
    state.channels.sequence(org_id, id).await?;
    require_learner(&state, &scope, body.person_id, LearnerAccess::Guide).await?;
    let enrolment =
        state.channels.enrol_in_sequence(org_id, id, body.person_id, principal.person.id, Utc::now()).await?;
    let detail = serde_json::json!({ "sequence": id.to_string() });
    let target = Some(body.person_id.to_string());
    audit(&state, Some(org_id), Some(principal.person.id), "sequence.enrolled", target, detail, &ip).await;
    Ok((StatusCode::CREATED, Json(enrolment)))
}

/// Stop a learner's enrolment.
#[utoipa::path(delete, path = "/orgs/{org_id}/sequences/{sequence_id}/enrolments/{person_id}", tag = "sequences",
    params(("org_id" = OrgId, Path), ("sequence_id" = String, Path), ("person_id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn stop_sequence_enrolment(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    PathIds((org_id, id, person)): PathIds<(OrgId, SequenceId, PersonId)>,
) -> ApiResult<StatusCode> {
    let scope = author(&state, &principal, org_id).await?;
    require_learner(&state, &scope, person, LearnerAccess::Guide).await?;
    state.channels.stop_enrolment(org_id, id, person).await?;
    let detail = serde_json::json!({ "sequence": id.to_string() });
    let target = Some(person.to_string());
    audit(&state, Some(org_id), Some(principal.person.id), "sequence.stopped", target, detail, &ip).await;
    Ok(StatusCode::NO_CONTENT)
}

/// Take every step due now across the organisation's sequences (administrators; it also
/// happens every five minutes).
#[utoipa::path(post, path = "/orgs/{org_id}/sequences/advance", tag = "sequences", params(("org_id" = OrgId, Path)),
    responses((status = 200, body = SequenceRun), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn advance_sequences(
    State(state): State<AppState>,
    principal: Principal,
    PathIds(org_id): PathIds<OrgId>,
) -> ApiResult<Json<SequenceRun>> {
    OrgScope::load(&state, &principal, org_id).await?.require(OrgAction::ManageNudges)?;
    Ok(Json(state.channels.advance_sequences(org_id, Utc::now()).await?))
}

/// The caller's check-ins still waiting for an answer (sent within the last seven days).
#[utoipa::path(get, path = "/orgs/{org_id}/check-ins", tag = "sequences", params(("org_id" = OrgId, Path)),
    responses((status = 200, body = Vec<OpenCheckIn>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_open_check_ins(
    State(state): State<AppState>,
    principal: Principal,
    PathIds(org_id): PathIds<OrgId>,
) -> ApiResult<Json<Vec<OpenCheckIn>>> {
    member_scope(&state, &principal, org_id).await?;
    Ok(Json(state.channels.open_check_ins(org_id, principal.person.id).await?))
}

/// Answer one of the caller's check-ins, 1 to 5 (once).
#[utoipa::path(put, path = "/orgs/{org_id}/check-ins/{check_in_id}/answer", tag = "sequences",
    params(("org_id" = OrgId, Path), ("check_in_id" = String, Path)), request_body = CheckInAnswer,
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn answer_check_in(
    State(state): State<AppState>,
    principal: Principal,
    PathIds((org_id, id)): PathIds<(OrgId, StepTakenId)>,
    JsonBody(body): JsonBody<CheckInAnswer>,
) -> ApiResult<StatusCode> {
    member_scope(&state, &principal, org_id).await?;
    state.channels.answer_check_in(org_id, principal.person.id, id, body.answer).await?;
    Ok(StatusCode::NO_CONTENT)
}
