//! Guided interviews over HTTP. Coaches and administrators write flows (a
//! saved flow is a new version; its spec is the JSON exported and imported)
//! and may start from the built-in templates; every member sees the flows. A
//! learner starts an interview for themselves, or a coach or administrator
//! sends one to a learner they guide; only the learner answers, pauses,
//! resumes and corrects the summary; those who may read the learner's
//! conversations may read the interview.

use crate::{
    auth::{ClientIp, Principal},
    authz::OrgScope,
    error::{ApiError, ApiResult, ErrorBody},
    json::{JsonBody, PathIds},
    routes::{
        audit,
        coach::may_read_conversation,
        learning::{LearnerAccess, require_learner},
    },
    state::AppState,
};
use axum::{
    Json,
    extract::{Query, State, rejection::QueryRejection},
    http::StatusCode,
};
use serde::Deserialize;
use utoipa::ToSchema;
use wayfinder_accounts_rules::policy::{OrgAction, Visibility};
use wayfinder_accounts_rules::{OrgId, PersonId};
use wayfinder_channels_rules::Channel;
use wayfinder_interviews::{
    Interview, InterviewFlow, InterviewListing, InterviewsError, ProgramSuggestion, SummaryCorrection,
};
use wayfinder_interviews_rules::{InterviewFlowId, InterviewId, flow::FlowSpec};
use wayfinder_learning::StartingPath;

impl From<InterviewsError> for ApiError {
    fn from(e: InterviewsError) -> Self {
        match e {
            InterviewsError::Invalid { field, message } => ApiError::invalid(field, message),
            InterviewsError::NotFound => ApiError::not_found("interview"),
            InterviewsError::Conflict(why) => ApiError::new(crate::error::ErrorCode::Conflict, why),
            InterviewsError::Store(e) => e.into(),
        }
    }
}

async fn author(state: &AppState, principal: &Principal, org_id: OrgId) -> ApiResult<OrgScope> {
    let scope = OrgScope::load(state, principal, org_id).await?;
    scope.require(OrgAction::ManageInterviewFlows)?;
    Ok(scope)
}

/// The built-in flows to start from: interest discovery, mock job interview, weekly reflection,
/// coach intake and program check-in (coaches and administrators).
#[utoipa::path(get, path = "/orgs/{org_id}/interview-templates", tag = "interviews", params(("org_id" = OrgId, Path)),
    responses((status = 200, body = Vec<FlowSpec>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_interview_templates(
    State(state): State<AppState>,
    principal: Principal,
    PathIds(org_id): PathIds<OrgId>,
) -> ApiResult<Json<Vec<FlowSpec>>> {
    author(&state, &principal, org_id).await?;
    Ok(Json(state.interviews.templates()))
}

/// The organisation's flows at their current versions (every member).
#[utoipa::path(get, path = "/orgs/{org_id}/interview-flows", tag = "interviews", params(("org_id" = OrgId, Path)),
    responses((status = 200, body = Vec<InterviewFlow>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_interview_flows(
    State(state): State<AppState>,
    principal: Principal,
    PathIds(org_id): PathIds<OrgId>,
) -> ApiResult<Json<Vec<InterviewFlow>>> {
    OrgScope::load(&state, &principal, org_id).await?.require(OrgAction::UseCoach)?;
    Ok(Json(state.interviews.flows(org_id).await?))
}

/// Save a flow — written, imported (another flow's exported `spec`) or copied from a template.
/// Steps that cannot be reached and branches that loop are refused, naming the step.
#[utoipa::path(post, path = "/orgs/{org_id}/interview-flows", tag = "interviews", params(("org_id" = OrgId, Path)),
    request_body = FlowSpec,
    responses((status = 201, body = InterviewFlow), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_interview_flow(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    PathIds(org_id): PathIds<OrgId>,
    JsonBody(spec): JsonBody<FlowSpec>,
) -> ApiResult<(StatusCode, Json<InterviewFlow>)> {
    author(&state, &principal, org_id).await?;
    let flow = state.interviews.create_flow(org_id, spec, principal.person.id).await?;
    let detail = serde_json::json!({ "name": flow.spec.name, "steps": flow.spec.steps.len() });
    let (actor, target) = (Some(principal.person.id), Some(flow.id.to_string()));
    audit(&state, Some(org_id), actor, "interview_flow.created", target, detail, &ip).await;
    Ok((StatusCode::CREATED, Json(flow)))
}

/// Which version of a flow to read.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FlowVersionQuery {
    /// A saved version (default: the current one).
    #[param(minimum = 1)]
    pub version: Option<i64>,
}

/// A flow at its current version or the one asked for; its `spec` is the flow's export.
#[utoipa::path(get, path = "/orgs/{org_id}/interview-flows/{flow_id}", tag = "interviews",
    params(("org_id" = OrgId, Path), ("flow_id" = String, Path), FlowVersionQuery),
    responses((status = 200, body = InterviewFlow), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn get_interview_flow(
    State(state): State<AppState>,
    principal: Principal,
    PathIds((org_id, id)): PathIds<(OrgId, InterviewFlowId)>,
    query: Result<Query<FlowVersionQuery>, QueryRejection>,
) -> ApiResult<Json<InterviewFlow>> {
    let Query(query) = query.map_err(|e| ApiError::invalid("query", e.body_text()))?;
    OrgScope::load(&state, &principal, org_id).await?.require(OrgAction::UseCoach)?;
    let flow = state.interviews.flow(org_id, id, query.version).await.map_err(|e| match e {
        InterviewsError::NotFound => ApiError::not_found("interview flow"),
        other => other.into(),
    })?;
    Ok(Json(flow))
}

/// Save a flow's next version; interviews under way keep the version they started on.
#[utoipa::path(put, path = "/orgs/{org_id}/interview-flows/{flow_id}", tag = "interviews",
    params(("org_id" = OrgId, Path), ("flow_id" = String, Path)), request_body = FlowSpec,
    responses((status = 200, body = InterviewFlow), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_interview_flow(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    PathIds((org_id, id)): PathIds<(OrgId, InterviewFlowId)>,
    JsonBody(spec): JsonBody<FlowSpec>,
) -> ApiResult<Json<InterviewFlow>> {
    author(&state, &principal, org_id).await?;
    let flow = state.interviews.update_flow(org_id, id, spec, principal.person.id).await?;
    let detail = serde_json::json!({ "name": flow.spec.name, "version": flow.version });
    audit(&state, Some(org_id), Some(principal.person.id), "interview_flow.changed", Some(id.to_string()), detail, &ip)
        .await;
    Ok(Json(flow))
}

/// Delete a flow no interview has run on (409 otherwise: its interviews keep it).
#[utoipa::path(delete, path = "/orgs/{org_id}/interview-flows/{flow_id}", tag = "interviews",
    params(("org_id" = OrgId, Path), ("flow_id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete_interview_flow(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    PathIds((org_id, id)): PathIds<(OrgId, InterviewFlowId)>,
) -> ApiResult<StatusCode> {
    author(&state, &principal, org_id).await?;
    state.interviews.delete_flow(org_id, id).await?;
    let detail = serde_json::json!({});
    audit(&state, Some(org_id), Some(principal.person.id), "interview_flow.deleted", Some(id.to_string()), detail, &ip)
        .await;
    Ok(StatusCode::NO_CONTENT)
}

/// Starts an interview.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewInterviewBody {
    #[schema(value_type = String)]
    pub flow_id: InterviewFlowId,
    /// The learner it is for (default: the caller). A coach or administrator sends one to a
    /// learner they guide.
    #[schema(value_type = Option<String>)]
    pub person_id: Option<PersonId>,
}

/// Start an interview on a flow's current version, for oneself or (coaches, administrators)
/// for a learner one guides. The first question is in `question`.
#[utoipa::path(post, path = "/orgs/{org_id}/interviews", tag = "interviews", params(("org_id" = OrgId, Path)),
    request_body = NewInterviewBody,
    responses((status = 201, body = Interview), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn start_interview(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    PathIds(org_id): PathIds<OrgId>,
    JsonBody(body): JsonBody<NewInterviewBody>,
) -> ApiResult<(StatusCode, Json<Interview>)> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    scope.require(OrgAction::UseCoach)?;
    let person = body.person_id.unwrap_or(principal.person.id);
    if person != principal.person.id {
        require_learner(&state, &scope, person, LearnerAccess::Guide).await?;
    }
    let interview =
        state.interviews.start(org_id, body.flow_id, person, principal.person.id).await.map_err(|e| match e {
            InterviewsError::NotFound => ApiError::not_found("interview flow"),
            other => other.into(),
        })?;
    let detail = serde_json::json!({ "flow": body.flow_id.to_string(), "person": person.to_string() });
    audit(
        &state,
        Some(org_id),
        Some(principal.person.id),
        "interview.started",
        Some(interview.id.to_string()),
        detail,
        &ip,
    )
    .await;
    Ok((StatusCode::CREATED, Json(interview)))
}

/// Whose interviews to list.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct InterviewsQuery {
    /// One person's (default: everyone's the caller may read, their own included).
    pub person_id: Option<String>,
}

/// Interviews, newest first: one's own and those of the learners whose conversations one may read
/// (administrators: everyone's).
#[utoipa::path(get, path = "/orgs/{org_id}/interviews", tag = "interviews", params(("org_id" = OrgId, Path), InterviewsQuery),
    responses((status = 200, body = Vec<InterviewListing>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_interviews(
    State(state): State<AppState>,
    principal: Principal,
    PathIds(org_id): PathIds<OrgId>,
    query: Result<Query<InterviewsQuery>, QueryRejection>,
) -> ApiResult<Json<Vec<InterviewListing>>> {
    let Query(query) = query.map_err(|e| ApiError::invalid("query", e.body_text()))?;
    let person: Option<PersonId> = query
        .person_id
        .map(|p| p.parse().map_err(|_| ApiError::invalid("person_id", "must be a person id")))
        .transpose()?;
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    scope.require(OrgAction::UseCoach)?;
    let everyone = matches!(scope.visibility(&state).await?, Visibility::Everyone);
    let mut candidates: Vec<PersonId> = match person {
        Some(p) => vec![p],
        None if everyone => return Ok(Json(state.interviews.interviews(org_id, None).await?)),
        None => std::iter::once(principal.person.id).chain(scope.supervised(&state).await?).collect(),
    };
    let mut readable = Vec::with_capacity(candidates.len());
    for p in candidates.drain(..) {
        if p == principal.person.id || may_read_conversation(&state, &scope, p).await? {
            readable.push(p);
        }
    }
    Ok(Json(state.interviews.interviews(org_id, Some(&readable)).await?))
}

/// Whether the caller may read the interview (404 otherwise), and whether it is theirs.
pub(crate) async fn readable(
    state: &AppState,
    principal: &Principal,
    org_id: OrgId,
    id: InterviewId,
) -> ApiResult<bool> {
    let hidden = || ApiError::not_found("interview");
    let scope = OrgScope::load(state, principal, org_id).await?;
    scope.require_or_hide(OrgAction::UseCoach, "interview")?;
    let learner = state.interviews.learner_of(org_id, id).await.map_err(|_| hidden())?;
    let own = learner == principal.person.id;
    if own || may_read_conversation(state, &scope, learner).await? { Ok(own) } else { Err(hidden()) }
}

/// Only the learner answers, speaks, pauses, resumes and corrects: 404 for those who may not read
/// the interview, 403 for those who may only read it.
pub(crate) async fn own_interview(
    state: &AppState,
    principal: &Principal,
    org_id: OrgId,
    id: InterviewId,
) -> ApiResult<()> {
    if readable(state, principal, org_id, id).await? { Ok(()) } else { Err(ApiError::forbidden()) }
}

/// An interview with its transcript and, once it ended, its summary.
#[utoipa::path(get, path = "/orgs/{org_id}/interviews/{interview_id}", tag = "interviews",
    params(("org_id" = OrgId, Path), ("interview_id" = String, Path)),
    responses((status = 200, body = Interview), (status = 404, body = ErrorBody)))]
pub async fn get_interview(
    State(state): State<AppState>,
    principal: Principal,
    PathIds((org_id, id)): PathIds<(OrgId, InterviewId)>,
) -> ApiResult<Json<Interview>> {
    readable(&state, &principal, org_id, id).await?;
    Ok(Json(state.interviews.interview(org_id, id).await?))
}

/// A typed (or confirmed spoken) answer.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InterviewAnswerBody {
    #[schema(min_length = 1, max_length = 4000)]
    pub content: String,
}

/// The learner's answer; the interviewer probes, moves on or ends (then the summary is there).
#[utoipa::path(post, path = "/orgs/{org_id}/interviews/{interview_id}/answers", tag = "interviews",
    params(("org_id" = OrgId, Path), ("interview_id" = String, Path)), request_body = InterviewAnswerBody,
    responses((status = 200, body = Interview), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn answer_interview(
    State(state): State<AppState>,
    principal: Principal,
    PathIds((org_id, id)): PathIds<(OrgId, InterviewId)>,
    JsonBody(body): JsonBody<InterviewAnswerBody>,
) -> ApiResult<Json<Interview>> {
    own_interview(&state, &principal, org_id, id).await?;
    Ok(Json(state.interviews.answer(org_id, id, &body.content, Channel::Web).await?))
}

/// Pause a running interview; paused time does not count against the flow's time limit.
#[utoipa::path(post, path = "/orgs/{org_id}/interviews/{interview_id}/pause", tag = "interviews",
    params(("org_id" = OrgId, Path), ("interview_id" = String, Path)),
    responses((status = 200, body = Interview), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn pause_interview(
    State(state): State<AppState>,
    principal: Principal,
    PathIds((org_id, id)): PathIds<(OrgId, InterviewId)>,
) -> ApiResult<Json<Interview>> {
    own_interview(&state, &principal, org_id, id).await?;
    Ok(Json(state.interviews.set_paused(org_id, id, true).await?))
}

/// Resume a paused interview where it stopped.
#[utoipa::path(post, path = "/orgs/{org_id}/interviews/{interview_id}/resume", tag = "interviews",
    params(("org_id" = OrgId, Path), ("interview_id" = String, Path)),
    responses((status = 200, body = Interview), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn resume_interview(
    State(state): State<AppState>,
    principal: Principal,
    PathIds((org_id, id)): PathIds<(OrgId, InterviewId)>,
) -> ApiResult<Json<Interview>> {
    own_interview(&state, &principal, org_id, id).await?;
    Ok(Json(state.interviews.set_paused(org_id, id, false).await?))
}

/// The learner's corrections to the summary of their finished interview, each checked against its
/// field's type.
#[utoipa::path(put, path = "/orgs/{org_id}/interviews/{interview_id}/summary", tag = "interviews",
    params(("org_id" = OrgId, Path), ("interview_id" = String, Path)), request_body = SummaryCorrection,
    responses((status = 200, body = Interview), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn correct_interview_summary(
    State(state): State<AppState>,
    principal: Principal,
    PathIds((org_id, id)): PathIds<(OrgId, InterviewId)>,
    JsonBody(body): JsonBody<SummaryCorrection>,
) -> ApiResult<Json<Interview>> {
    own_interview(&state, &principal, org_id, id).await?;
    Ok(Json(state.interviews.correct_summary(org_id, id, &body).await?))
}

/// The published programs the interview's summary points to (its learner's words matched against
/// the programs' titles, descriptions and concepts), best first; none before it ends.
#[utoipa::path(get, path = "/orgs/{org_id}/interviews/{interview_id}/suggested-programs", tag = "interviews",
    params(("org_id" = OrgId, Path), ("interview_id" = String, Path)),
    responses((status = 200, body = Vec<ProgramSuggestion>), (status = 404, body = ErrorBody)))]
pub async fn suggested_programs(
    State(state): State<AppState>,
    principal: Principal,
    PathIds((org_id, id)): PathIds<(OrgId, InterviewId)>,
) -> ApiResult<Json<Vec<ProgramSuggestion>>> {
    readable(&state, &principal, org_id, id).await?;
    Ok(Json(state.interviews.suggested_programs(org_id, id).await?))
}

/// Where a completed coach intake interview starts its learner: a self-rating of 2 or less at the
/// beginning of each program they are enrolled in (its first concepts listed), anything else where
/// the program's placement finds it (409 for another kind of interview, or one not ended).
#[utoipa::path(get, path = "/orgs/{org_id}/interviews/{interview_id}/starting-path", tag = "interviews",
    params(("org_id" = OrgId, Path), ("interview_id" = String, Path)),
    responses((status = 200, body = StartingPath), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn starting_path(
    State(state): State<AppState>,
    principal: Principal,
    PathIds((org_id, id)): PathIds<(OrgId, InterviewId)>,
) -> ApiResult<Json<StartingPath>> {
    readable(&state, &principal, org_id, id).await?;
    Ok(Json(state.learning.starting_path(org_id, id, chrono::Utc::now()).await?))
}
