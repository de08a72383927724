//! Practice over HTTP: the question bank (coaches and admins) — items made from
//! a concept's cited material, items written by hand, and the review queue —
//! and learners' practice sessions, read by whoever may read their progress.

use crate::routes::learning::{LearnerAccess, require_learner};
use crate::{
    auth::{ClientIp, Principal},
    authz::OrgScope,
    error::{ApiError, ApiResult, ErrorBody},
    json::{JsonBody, PathIds},
    routes::audit,
    state::AppState,
};
use axum::{
    Json,
    extract::{Query, State, rejection::QueryRejection},
    http::StatusCode,
};
use chrono::Utc;
use serde::Deserialize;
use serde::Serialize;
use utoipa::ToSchema;
use wayfinder_accounts_rules::PersonId;
use wayfinder_accounts_rules::{
    OrgId,
    policy::{self, OrgAction},
};
use wayfinder_learning::{
    AnswerOutcome, AnswerSpec, AwaitingAnswer, GeneratedQuestions, MAX_GENERATED_PER_REQUEST, PracticeSession,
    PracticeSessionSummary, PracticeSettings, Question, QuestionPage, QuestionPatch, QuestionSpec, ReviewSpec,
    SessionSpec,
};
use wayfinder_learning_rules::practice::PracticeSessionId;
use wayfinder_learning_rules::program::ConceptId;
use wayfinder_learning_rules::question_writing::QuestionWriter;
use wayfinder_learning_rules::questions::{QuestionId, QuestionStatus};
use wayfinder_store::QuestionFilter;

/// How many questions to make, and who writes them.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GenerateBody {
    /// 1 to 50 (default 10).
    pub max_items: Option<usize>,
    /// `model` (the configured chat model) or `text` (made from the cited sentences); by
    /// default the model when one is configured.
    pub writer: Option<QuestionWriter>,
}

/// Make practice questions for a concept from its cited material: written by the chat model
/// when one is configured (structured output, asked again when malformed), else made from the
/// text (cloze, multiple choice, true/false). Each is checked against its passage; new items
/// wait in review as drafts (coaches and admins).
#[utoipa::path(post, path = "/orgs/{org_id}/concepts/{concept_id}/questions/generate", tag = "practice",
    params(("org_id" = OrgId, Path), ("concept_id" = String, Path)), request_body = GenerateBody,
    responses((status = 201, body = GeneratedQuestions), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 502, body = ErrorBody)))]
pub async fn generate_questions(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    PathIds((org_id, concept)): PathIds<(OrgId, ConceptId)>,
    JsonBody(body): JsonBody<GenerateBody>,
) -> ApiResult<(StatusCode, Json<GeneratedQuestions>)> {
    let max_items = body.max_items.unwrap_or(10);
    if !(1..=MAX_GENERATED_PER_REQUEST).contains(&max_items) {
        return Err(ApiError::invalid("max_items", format!("must be 1 to {MAX_GENERATED_PER_REQUEST}")));
    }
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    scope.require(OrgAction::ManageQuestions)?;
    let made = state.learning.generate_questions(org_id, principal.person.id, concept, max_items, body.writer).await?;
    let detail = serde_json::json!({
        "concept": concept, "added": made.questions.len(), "duplicates": made.duplicates, "failed_check": made.failed_check,
    });
    audit(
        &state,
        Some(org_id),
        Some(principal.person.id),
        "questions.generated",
        Some(concept.to_string()),
        detail,
        &ip,
    )
    .await;
    Ok((StatusCode::CREATED, Json(made)))
}

/// Which questions to list.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct QuestionQuery {
    /// Only this concept's questions.
    #[param(value_type = Option<String>)]
    pub concept_id: Option<ConceptId>,
    /// Only questions in this state (`draft` is the review queue).
    pub status: Option<QuestionStatus>,
    /// 1 to 200 (default 50).
    pub limit: Option<i64>,
    /// Questions to skip, oldest first (default 0).
    pub offset: Option<i64>,
}

/// Most questions one page holds.
const MAX_QUESTION_PAGE: i64 = 200;

/// The organisation's questions, oldest first, with answers and the check against their
/// cited text (coaches and admins).
#[utoipa::path(get, path = "/orgs/{org_id}/questions", tag = "practice",
    params(("org_id" = OrgId, Path), QuestionQuery),
    responses((status = 200, body = QuestionPage), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn list_questions(
    State(state): State<AppState>,
    principal: Principal,
    PathIds(org_id): PathIds<OrgId>,
    query: Result<Query<QuestionQuery>, QueryRejection>,
) -> ApiResult<Json<QuestionPage>> {
    let Query(query) = query.map_err(|e| ApiError::invalid("query", e.body_text()))?;
    let limit = query.limit.unwrap_or(50);
    if !(1..=MAX_QUESTION_PAGE).contains(&limit) {
        return Err(ApiError::invalid("limit", format!("must be 1 to {MAX_QUESTION_PAGE}")));
    }
    let offset = query.offset.unwrap_or(0);
    if offset < 0 {
        return Err(ApiError::invalid("offset", "must not be negative"));
    }
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    scope.require(OrgAction::ManageQuestions)?;
    let filter = QuestionFilter { concept: query.concept_id, status: query.status };
    Ok(Json(state.learning.questions(org_id, filter, limit, offset).await?))
}

/// Write a question by hand; it is approved as written (coaches and admins).
#[utoipa::path(post, path = "/orgs/{org_id}/questions", tag = "practice",
    params(("org_id" = OrgId, Path)), request_body = QuestionSpec,
    responses((status = 201, body = Question), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn author_question(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    PathIds(org_id): PathIds<OrgId>,
    JsonBody(spec): JsonBody<QuestionSpec>,
) -> ApiResult<(StatusCode, Json<Question>)> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    scope.require(OrgAction::ManageQuestions)?;
    let question = state.learning.author_question(org_id, principal.person.id, spec).await?;
    let detail = serde_json::json!({ "kind": question.body.kind() });
    audit(
        &state,
        Some(org_id),
        Some(principal.person.id),
        "question.authored",
        Some(question.id.to_string()),
        detail,
        &ip,
    )
    .await;
    Ok((StatusCode::CREATED, Json(question)))
}

/// One question (coaches and admins).
#[utoipa::path(get, path = "/orgs/{org_id}/questions/{question_id}", tag = "practice",
    params(("org_id" = OrgId, Path), ("question_id" = String, Path)),
    responses((status = 200, body = Question), (status = 404, body = ErrorBody)))]
pub async fn get_question(
    State(state): State<AppState>,
    principal: Principal,
    PathIds((org_id, id)): PathIds<(OrgId, QuestionId)>,
) -> ApiResult<Json<Question>> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    scope.require_or_hide(OrgAction::ManageQuestions, "question")?;
    Ok(Json(state.learning.question(org_id, id).await?))
}

/// Review a question: approve, reject or retire it, or correct its text (coaches and admins).
#[utoipa::path(patch, path = "/orgs/{org_id}/questions/{question_id}", tag = "practice",
    params(("org_id" = OrgId, Path), ("question_id" = String, Path)), request_body = QuestionPatch,
    responses((status = 200, body = Question), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn review_question(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    PathIds((org_id, id)): PathIds<(OrgId, QuestionId)>,
    JsonBody(patch): JsonBody<QuestionPatch>,
) -> ApiResult<Json<Question>> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    scope.require_or_hide(OrgAction::ManageQuestions, "question")?;
    let status = patch.status;
    let question = state.learning.review_question(org_id, id, patch).await?;
    let detail = serde_json::json!({ "status": status });
    audit(&state, Some(org_id), Some(principal.person.id), "question.reviewed", Some(id.to_string()), detail, &ip)
        .await;
    Ok(Json(question))
}

/// Start a practice session: a concept of the learner's programs, their next best step, or
/// their due reviews; answers the session with its first question (the learner only).
#[utoipa::path(post, path = "/orgs/{org_id}/learners/{person_id}/practice-sessions", tag = "practice",
    params(("org_id" = OrgId, Path), ("person_id" = String, Path)), request_body = SessionSpec,
    responses((status = 201, body = PracticeSession), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn start_practice(
    State(state): State<AppState>,
    principal: Principal,
    PathIds((org_id, learner)): PathIds<(OrgId, PersonId)>,
    JsonBody(spec): JsonBody<SessionSpec>,
) -> ApiResult<(StatusCode, Json<PracticeSession>)> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    require_learner(&state, &scope, learner, LearnerAccess::Practise).await?;
    Ok((StatusCode::CREATED, Json(state.learning.start_practice(org_id, learner, spec, Utc::now()).await?)))
}

/// A learner's practice sessions.
#[derive(Serialize, ToSchema)]
pub struct PracticeSessions {
    /// The most recent 100, newest first.
    pub sessions: Vec<PracticeSessionSummary>,
}

/// A learner's recent practice sessions (the learner and whoever may read their progress).
#[utoipa::path(get, path = "/orgs/{org_id}/learners/{person_id}/practice-sessions", tag = "practice",
    params(("org_id" = OrgId, Path), ("person_id" = String, Path)),
    responses((status = 200, body = PracticeSessions), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_practice_sessions(
    State(state): State<AppState>,
    principal: Principal,
    PathIds((org_id, learner)): PathIds<(OrgId, PersonId)>,
) -> ApiResult<Json<PracticeSessions>> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    require_learner(&state, &scope, learner, LearnerAccess::Read).await?;
    Ok(Json(PracticeSessions { sessions: state.learning.practice_sessions(org_id, learner).await? }))
}

/// The learner of a session, once the caller may do `access` about them: 404 unless the caller
/// may read the learner's progress.
async fn session_learner(
    state: &AppState,
    principal: &Principal,
    org_id: OrgId,
    id: PracticeSessionId,
    access: LearnerAccess,
) -> ApiResult<PersonId> {
    let scope = OrgScope::load(state, principal, org_id).await?;
    let learner = state.learning.practice_session_learner(org_id, id).await?;
    require_learner(state, &scope, learner, access).await.map_err(|e| {
        if access == LearnerAccess::Read || e.status() == StatusCode::NOT_FOUND {
            ApiError::not_found("session")
        } else {
            e
        }
    })?;
    Ok(learner)
}

/// One practice session with its answered questions, their feedback, and the question waiting
/// (the learner and whoever may read their progress).
#[utoipa::path(get, path = "/orgs/{org_id}/practice-sessions/{session_id}", tag = "practice",
    params(("org_id" = OrgId, Path), ("session_id" = String, Path)),
    responses((status = 200, body = PracticeSession), (status = 404, body = ErrorBody)))]
pub async fn get_practice_session(
    State(state): State<AppState>,
    principal: Principal,
    PathIds((org_id, id)): PathIds<(OrgId, PracticeSessionId)>,
) -> ApiResult<Json<PracticeSession>> {
    session_learner(&state, &principal, org_id, id, LearnerAccess::Read).await?;
    Ok(Json(state.learning.practice_session(org_id, id).await?))
}

/// Answer the session's current question: graded at once with feedback quoting the material,
/// recorded as evidence, and the next question chosen; answering a question again returns the
/// first answer's outcome (the learner only).
#[utoipa::path(post, path = "/orgs/{org_id}/practice-sessions/{session_id}/answers", tag = "practice",
    params(("org_id" = OrgId, Path), ("session_id" = String, Path)), request_body = AnswerSpec,
    responses((status = 200, body = AnswerOutcome), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn answer_practice(
    State(state): State<AppState>,
    principal: Principal,
    PathIds((org_id, id)): PathIds<(OrgId, PracticeSessionId)>,
    JsonBody(spec): JsonBody<AnswerSpec>,
) -> ApiResult<Json<AnswerOutcome>> {
    let learner = session_learner(&state, &principal, org_id, id, LearnerAccess::Practise).await?;
    Ok(Json(state.learning.answer_practice(org_id, learner, id, spec, Utc::now()).await?))
}

/// How the organisation runs its question bank (coaches and admins).
#[utoipa::path(get, path = "/orgs/{org_id}/practice-settings", tag = "practice", params(("org_id" = OrgId, Path)),
    responses((status = 200, body = PracticeSettings), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_practice_settings(
    State(state): State<AppState>,
    principal: Principal,
    PathIds(org_id): PathIds<OrgId>,
) -> ApiResult<Json<PracticeSettings>> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    scope.require(OrgAction::ManageQuestions)?;
    Ok(Json(state.learning.practice_settings(org_id).await?))
}

/// Change how the organisation runs its question bank, e.g. approve generated questions that
/// pass their check without review (admins).
#[utoipa::path(put, path = "/orgs/{org_id}/practice-settings", tag = "practice", params(("org_id" = OrgId, Path)),
    request_body = PracticeSettings,
    responses((status = 200, body = PracticeSettings), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn set_practice_settings(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    PathIds(org_id): PathIds<OrgId>,
    JsonBody(settings): JsonBody<PracticeSettings>,
) -> ApiResult<Json<PracticeSettings>> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    scope.require(OrgAction::ManagePrograms)?;
    let detail = serde_json::json!({ "auto_approve_generated": settings.auto_approve_generated });
    let saved = state.learning.set_practice_settings(org_id, settings).await?;
    audit(&state, Some(org_id), Some(principal.person.id), "practice.settings_changed", None, detail, &ip).await;
    Ok(Json(saved))
}

/// Grade an answer that could not be graded automatically (a short answer between right and
/// wrong): recorded as evidence, with a comment the learner sees (the learner's coaches and
/// admins).
#[utoipa::path(post, path = "/orgs/{org_id}/practice-sessions/{session_id}/reviews", tag = "practice",
    params(("org_id" = OrgId, Path), ("session_id" = String, Path)), request_body = ReviewSpec,
    responses((status = 200, body = PracticeSession), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn review_practice_answer(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    PathIds((org_id, id)): PathIds<(OrgId, PracticeSessionId)>,
    JsonBody(spec): JsonBody<ReviewSpec>,
) -> ApiResult<Json<PracticeSession>> {
    session_learner(&state, &principal, org_id, id, LearnerAccess::Guide).await?;
    let question = spec.question_id;
    let session = state.learning.review_practice_answer(org_id, principal.person.id, id, spec).await?;
    let detail = serde_json::json!({ "question": question });
    audit(
        &state,
        Some(org_id),
        Some(principal.person.id),
        "practice.answer_reviewed",
        Some(id.to_string()),
        detail,
        &ip,
    )
    .await;
    Ok(Json(session))
}

/// Answers waiting for a coach, oldest first: administrators see every learner's, coaches their
/// learners'; nobody else grades answers.
#[utoipa::path(get, path = "/orgs/{org_id}/practice-reviews", tag = "practice",
    params(("org_id" = OrgId, Path)),
    responses((status = 200, body = [AwaitingAnswer]), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn awaiting_review(
    State(state): State<AppState>,
    principal: Principal,
    PathIds(org_id): PathIds<OrgId>,
) -> ApiResult<Json<Vec<AwaitingAnswer>>> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    scope.require(OrgAction::ViewPrograms)?;
    let waiting = if scope.actor.is_admin() {
        state.learning.awaiting_review(org_id, None).await?
    } else {
        let supervised = scope.supervised(&state).await?;
        let guided: Vec<PersonId> =
            supervised.iter().copied().filter(|p| policy::may_guide_learner(&scope.actor, *p, &supervised)).collect();
        state.learning.awaiting_review(org_id, Some(&guided)).await?
    };
    Ok(Json(waiting))
}
