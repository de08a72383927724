//! Learning over HTTP: programs, concepts and prerequisites (authors), import
//! and export, enrolments, and each learner's evidence, mastery, goals, paths,
//! next step and reviews (the learner and those who follow them).

use crate::routes::{DataRead, note_data_read};
use crate::{
    auth::{ClientIp, Principal},
    authz::OrgScope,
    error::{ApiError, ApiResult, ErrorBody, ErrorCode},
    json::{JsonBody, PathIds},
    routes::audit,
    state::AppState,
};
use axum::{
    Json,
    extract::{Query, State, rejection::QueryRejection},
    http::StatusCode,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use wayfinder_accounts_rules::{OrgId, PersonId, policy, policy::OrgAction};
use wayfinder_learning::{
    Concept, ConceptMastery, ConceptMasteryDetail, ConceptSpec, DueReview, Enrolment, EvidenceSpec, EvidenceView, Goal,
    GoalSpec, LearnerMastery, LearnerProgress, LearningError, LearningPath, NextStep, Program, ProgramDetail,
    ProgramDocument, ProgramSpec,
};
use wayfinder_learning_rules::mastery::EvidenceKind;
use wayfinder_learning_rules::program::{ConceptId, GoalId, GoalKind, MaterialRef, ProgramId};

impl From<LearningError> for ApiError {
    fn from(e: LearningError) -> Self {
        match e {
            LearningError::NotFound(what) => ApiError::not_found(what),
            LearningError::Invalid { field, message } => ApiError::invalid(field, message),
            LearningError::Cycle(cycle) => {
                let message = LearningError::Cycle(cycle.clone()).to_string();
                let mut error = ApiError::invalid_as(ErrorCode::PrerequisiteCycle, "requires", message.clone());
                error.message = message;
                error.cycle = Some(cycle);
                error
            }
            LearningError::NotEnrolled(sentence) => ApiError::new(ErrorCode::NotEnrolled, sentence),
            LearningError::DuplicateEvidence => ApiError::invalid_as(
                ErrorCode::DuplicateEvidence,
                "idempotency_key",
                "this evidence was already recorded",
            ),
            LearningError::DuplicateQuestion => ApiError::invalid_as(
                ErrorCode::DuplicateQuestion,
                "body",
                "the question bank already holds this question",
            ),
            LearningError::NoQuestions => {
                ApiError::invalid_as(ErrorCode::NoQuestions, "target", "no approved question practises this yet")
            }
            LearningError::Import(rows) => {
                let mut error = ApiError::new(
                    ErrorCode::ImportInvalid,
                    format!("the program has {} error(s); nothing was imported", rows.len()),
                );
                error.rows = Some(rows);
                error
            }
            LearningError::Conflict(message) => ApiError::new(ErrorCode::Conflict, message),
            LearningError::Knowledge(inner) => inner.into(),
            LearningError::Store(inner) => inner.into(),
            LearningError::Model(inner) => ApiError::new(inner.code().into(), inner.user_message()),
        }
    }
}

/// What a caller wants to do about a learner.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum LearnerAccess {
    /// Read progress.
    Read,
    /// Enrol, record evidence.
    Guide,
    /// Set and remove goals.
    SetGoals,
    /// Practise as the learner.
    Practise,
}

/// 404 unless `learner` is a member whose progress the caller may see at all
/// (someone they may not even see is 404, whether or not they exist); 403 when
/// they may see the learner but not do `access`.
pub(crate) async fn require_learner(
    state: &AppState,
    scope: &OrgScope,
    learner: PersonId,
    access: LearnerAccess,
) -> ApiResult<()> {
    let hidden = || ApiError::not_found("member");
    if state.store.role_in(scope.org.id, learner).await?.is_none() {
        return Err(hidden());
    }
    let supervised = scope.supervised(state).await?;
    if !policy::may_read_progress(&scope.actor, learner, &supervised) {
        let visible = scope.visibility(state).await?.includes(learner);
        return Err(if visible { ApiError::forbidden() } else { hidden() });
    }
    let allowed = match access {
        LearnerAccess::Read => {
            note_data_read(state, scope.org.id, scope.actor.person, learner, DataRead::Progress).await;
            true
        }
        LearnerAccess::Guide => policy::may_guide_learner(&scope.actor, learner, &supervised),
        LearnerAccess::SetGoals => policy::may_set_goals(&scope.actor, learner, &supervised),
        LearnerAccess::Practise => policy::may_practise_as(&scope.actor, learner),
    };
    if allowed { Ok(()) } else { Err(ApiError::forbidden()) }
}

/// A program to create or change.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgramBody {
    pub title: Option<String>,
    pub description: Option<String>,
    /// Learners may enrol themselves once it is published.
    pub self_enrolment: Option<bool>,
}

impl From<ProgramBody> for ProgramSpec {
    fn from(b: ProgramBody) -> Self {
        ProgramSpec { title: b.title, description: b.description, self_enrolment: b.self_enrolment }
    }
}

/// A concept to add or change.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConceptBody {
    pub name: Option<String>,
    pub description: Option<String>,
    pub tags: Option<Vec<String>>,
    pub estimated_minutes: Option<i64>,
    pub material: Option<Vec<MaterialRef>>,
}

impl From<ConceptBody> for ConceptSpec {
    fn from(b: ConceptBody) -> Self {
        ConceptSpec {
            name: b.name,
            description: b.description,
            tags: b.tags,
            estimated_minutes: b.estimated_minutes,
            material: b.material,
        }
    }
}

/// A prerequisite to add.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrerequisiteBody {
    /// The concept required first (of any program of the organisation).
    #[schema(value_type = String)]
    pub requires: ConceptId,
}

/// A learner to enrol.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EnrolBody {
    #[schema(value_type = String)]
    pub person_id: PersonId,
}

/// The programs one may see.
#[derive(Serialize, ToSchema)]
pub struct ProgramList {
    pub programs: Vec<Program>,
}

/// A program as spreadsheets.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgramCsv {
    /// Columns `key,name,description,tags,estimated_minutes` (tags separated by `;`).
    pub concepts_csv: String,
    /// Columns `concept,requires` (keys of the concepts sheet, or ids of other programs' concepts).
    pub edges_csv: String,
    /// Columns `concepts,kind,prompt,options,answer,explanation`: concept keys and options
    /// separated by `;`; the answer is the correct options, the accepted fillings, `true` or
    /// `false`, or the reference answer.
    pub questions_csv: String,
}

/// A program to import from spreadsheets.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgramCsvImport {
    pub title: String,
    pub concepts_csv: String,
    pub edges_csv: String,
    /// The questions sheet, as the export writes it (optional).
    pub questions_csv: Option<String>,
}

/// Which version of a program to read.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ProgramQuery {
    /// `latest` (authors: the draft when there is one) or `published` (default).
    #[param(inline)]
    pub version: Option<VersionChoice>,
}

/// A program version to read.
#[derive(Clone, Copy, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum VersionChoice {
    Latest,
    Published,
}

/// The moment to evaluate at (default: now), for planning ahead or looking back.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AtQuery {
    /// An RFC 3339 time.
    pub at: Option<DateTime<Utc>>,
}

/// Evidence about a learner.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvidenceBody {
    #[schema(value_type = String)]
    pub concept_id: ConceptId,
    pub kind: EvidenceKind,
    /// `graded_answer` and `review`: right or wrong (or give `score`).
    pub correct: Option<bool>,
    /// `graded_answer` and `review`: a partial score 0..1.
    pub score: Option<f64>,
    /// What produced it (a question, a session id).
    pub source: Option<String>,
    /// A key unique per learner; a repeat is refused with `duplicate_evidence`.
    pub idempotency_key: Option<String>,
    /// When it happened (default: now; not in the future).
    pub occurred_at: Option<DateTime<Utc>>,
}

/// A goal to set.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GoalBody {
    /// `concept`, `program` or `text`.
    pub kind: GoalKind,
    #[schema(value_type = Option<String>)]
    pub concept_id: Option<ConceptId>,
    #[schema(value_type = Option<String>)]
    pub program_id: Option<ProgramId>,
    /// What the learner wants to be able to do, in their words.
    pub text: Option<String>,
    /// The day it should be reached by (`YYYY-MM-DD`); a nudge rule can remind the learner
    /// as it approaches.
    pub deadline: Option<chrono::NaiveDate>,
}

fn at(query: Result<Query<AtQuery>, QueryRejection>) -> ApiResult<DateTime<Utc>> {
    let Query(query) = query.map_err(|e| ApiError::invalid("query", e.body_text()))?;
    Ok(query.at.unwrap_or_else(Utc::now))
}

/// The organisation's programs: authors see drafts too.
#[utoipa::path(get, path = "/orgs/{org_id}/programs", tag = "learning", params(("org_id" = OrgId, Path)),
    responses((status = 200, body = ProgramList), (status = 404, body = ErrorBody)))]
pub async fn list_programs(
    State(state): State<AppState>,
    principal: Principal,
    PathIds(org_id): PathIds<OrgId>,
) -> ApiResult<Json<ProgramList>> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    scope.require(OrgAction::ViewPrograms)?;
    let drafts = policy::permits(&scope.actor, OrgAction::ManagePrograms);
    Ok(Json(ProgramList { programs: state.learning.programs(org_id, drafts).await? }))
}

/// Create a draft program (admins).
#[utoipa::path(post, path = "/orgs/{org_id}/programs", tag = "learning", params(("org_id" = OrgId, Path)),
    request_body = ProgramBody,
    responses((status = 201, body = Program), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create_program(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    PathIds(org_id): PathIds<OrgId>,
    JsonBody(body): JsonBody<ProgramBody>,
) -> ApiResult<(StatusCode, Json<Program>)> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    scope.require(OrgAction::ManagePrograms)?;
    let program = state.learning.create_program(org_id, principal.person.id, body.into()).await?;
    let detail = serde_json::json!({ "title": program.title });
    audit(
        &state,
        Some(org_id),
        Some(principal.person.id),
        "program.created",
        Some(program.id.to_string()),
        detail,
        &ip,
    )
    .await;
    Ok((StatusCode::CREATED, Json(program)))
}

/// A program with its concepts: the published version, or (authors) the latest.
#[utoipa::path(get, path = "/orgs/{org_id}/programs/{program_id}", tag = "learning",
    params(("org_id" = OrgId, Path), ("program_id" = String, Path), ProgramQuery),
    responses((status = 200, body = ProgramDetail), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn get_program(
    State(state): State<AppState>,
    principal: Principal,
    PathIds((org_id, id)): PathIds<(OrgId, ProgramId)>,
    query: Result<Query<ProgramQuery>, QueryRejection>,
) -> ApiResult<Json<ProgramDetail>> {
    let Query(query) = query.map_err(|e| ApiError::invalid("query", e.body_text()))?;
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    scope.require(OrgAction::ViewPrograms)?;
    let author = policy::permits(&scope.actor, OrgAction::ManagePrograms);
    let latest = author && query.version != Some(VersionChoice::Published);
    if !author && query.version == Some(VersionChoice::Latest) {
        return Err(ApiError::forbidden());
    }
    Ok(Json(state.learning.program(org_id, id, latest).await?))
}

/// Change a program's title, description or self-enrolment (admins).
#[utoipa::path(patch, path = "/orgs/{org_id}/programs/{program_id}", tag = "learning",
    params(("org_id" = OrgId, Path), ("program_id" = String, Path)), request_body = ProgramBody,
    responses((status = 200, body = Program), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_program(
    State(state): State<AppState>,
    principal: Principal,
    PathIds((org_id, id)): PathIds<(OrgId, ProgramId)>,
    JsonBody(body): JsonBody<ProgramBody>,
) -> ApiResult<Json<Program>> {
    authoring(&state, &principal, org_id, id).await?;
    Ok(Json(state.learning.update_program(org_id, id, body.into()).await?))
}

/// Loads the scope of an author acting on a program: 404 for a program the
/// caller cannot see (a draft, for non-authors), then 403 for non-authors.
async fn authoring(state: &AppState, principal: &Principal, org_id: OrgId, id: ProgramId) -> ApiResult<OrgScope> {
    let scope = OrgScope::load(state, principal, org_id).await?;
    scope.require(OrgAction::ViewPrograms)?;
    let author = policy::permits(&scope.actor, OrgAction::ManagePrograms);
    state.learning.program(org_id, id, author).await?;
    scope.require(OrgAction::ManagePrograms)?;
    Ok(scope)
}

/// Delete a program; one that learners were enrolled in (or that other programs build on) is archived instead (admins).
#[utoipa::path(delete, path = "/orgs/{org_id}/programs/{program_id}", tag = "learning",
    params(("org_id" = OrgId, Path), ("program_id" = String, Path)),
    responses((status = 200, description = "archived", body = Program), (status = 204, description = "deleted"),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_program(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    PathIds((org_id, id)): PathIds<(OrgId, ProgramId)>,
) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse;
    authoring(&state, &principal, org_id, id).await?;
    let archived = state.learning.delete_program(org_id, id).await?;
    let action = if archived.is_some() { "program.archived" } else { "program.deleted" };
    audit(&state, Some(org_id), Some(principal.person.id), action, Some(id.to_string()), serde_json::json!({}), &ip)
        .await;
    Ok(match archived {
        Some(program) => Json(program).into_response(),
        None => StatusCode::NO_CONTENT.into_response(),
    })
}

/// Publish the program's latest version: learners see it, enrolments move forward with it (admins).
#[utoipa::path(post, path = "/orgs/{org_id}/programs/{program_id}/publish", tag = "learning",
    params(("org_id" = OrgId, Path), ("program_id" = String, Path)),
    responses((status = 200, body = Program), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn publish_program(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    PathIds((org_id, id)): PathIds<(OrgId, ProgramId)>,
) -> ApiResult<Json<Program>> {
    authoring(&state, &principal, org_id, id).await?;
    let program = state.learning.publish(org_id, id).await?;
    let detail = serde_json::json!({ "version": program.published_version });
    audit(&state, Some(org_id), Some(principal.person.id), "program.published", Some(id.to_string()), detail, &ip)
        .await;
    Ok(Json(program))
}

/// Throw away the unpublished draft of a published program (admins).
#[utoipa::path(delete, path = "/orgs/{org_id}/programs/{program_id}/draft", tag = "learning",
    params(("org_id" = OrgId, Path), ("program_id" = String, Path)),
    responses((status = 200, body = Program), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)))]
pub async fn discard_draft(
    State(state): State<AppState>,
    principal: Principal,
    PathIds((org_id, id)): PathIds<(OrgId, ProgramId)>,
) -> ApiResult<Json<Program>> {
    authoring(&state, &principal, org_id, id).await?;
    Ok(Json(state.learning.discard_draft(org_id, id).await?))
}

/// The program as one JSON document (authors: the latest version; others: the published one).
#[utoipa::path(get, path = "/orgs/{org_id}/programs/{program_id}/export", tag = "learning",
    params(("org_id" = OrgId, Path), ("program_id" = String, Path)),
    responses((status = 200, body = ProgramDocument), (status = 404, body = ErrorBody)))]
pub async fn export_program(
    State(state): State<AppState>,
    principal: Principal,
    PathIds((org_id, id)): PathIds<(OrgId, ProgramId)>,
) -> ApiResult<Json<ProgramDocument>> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    scope.require(OrgAction::ViewPrograms)?;
    let author = policy::permits(&scope.actor, OrgAction::ManagePrograms);
    Ok(Json(state.learning.export_program(org_id, id, author).await?))
}

/// The program as spreadsheets (concepts, edges, its approved questions).
#[utoipa::path(get, path = "/orgs/{org_id}/programs/{program_id}/export/csv", tag = "learning",
    params(("org_id" = OrgId, Path), ("program_id" = String, Path)),
    responses((status = 200, body = ProgramCsv), (status = 404, body = ErrorBody)))]
pub async fn export_program_csv(
    State(state): State<AppState>,
    principal: Principal,
    PathIds((org_id, id)): PathIds<(OrgId, ProgramId)>,
) -> ApiResult<Json<ProgramCsv>> {
    let Json(document) = export_program(State(state), principal, PathIds((org_id, id))).await?;
    let (concepts_csv, edges_csv, questions_csv) = document.to_csv();
    Ok(Json(ProgramCsv { concepts_csv, edges_csv, questions_csv }))
}

/// Import a program document as a new draft program; all or nothing, every row's errors reported (admins).
#[utoipa::path(post, path = "/orgs/{org_id}/programs/import", tag = "learning", params(("org_id" = OrgId, Path)),
    request_body = ProgramDocument,
    responses((status = 201, body = ProgramDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn import_program(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    PathIds(org_id): PathIds<OrgId>,
    JsonBody(document): JsonBody<ProgramDocument>,
) -> ApiResult<(StatusCode, Json<ProgramDetail>)> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    scope.require(OrgAction::ManagePrograms)?;
    let detail = state.learning.import_program(org_id, principal.person.id, document, None).await?;
    let audit_detail = serde_json::json!({ "concepts": detail.concepts.len() });
    let subject = Some(detail.program.id.to_string());
    audit(&state, Some(org_id), Some(principal.person.id), "program.imported", subject, audit_detail, &ip).await;
    Ok((StatusCode::CREATED, Json(detail)))
}

/// Import a program from its spreadsheets (concepts, edges and, optionally, questions) as a new draft program (admins).
#[utoipa::path(post, path = "/orgs/{org_id}/programs/import/csv", tag = "learning", params(("org_id" = OrgId, Path)),
    request_body = ProgramCsvImport,
    responses((status = 201, body = ProgramDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn import_program_csv(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    PathIds(org_id): PathIds<OrgId>,
    JsonBody(body): JsonBody<ProgramCsvImport>,
) -> ApiResult<(StatusCode, Json<ProgramDetail>)> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    scope.require(OrgAction::ManagePrograms)?;
    let document =
        ProgramDocument::from_csv(&body.title, &body.concepts_csv, &body.edges_csv, body.questions_csv.as_deref())
            .map_err(|rows| ApiError::from(LearningError::Import(rows)))?;
    import_program(State(state), principal, ip, PathIds(org_id), JsonBody(document)).await
}

/// A program to draft from a collection.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DraftBody {
    #[schema(value_type = String)]
    pub collection_id: wayfinder_knowledge_rules::CollectionId,
    /// Default: the collection's name.
    pub title: Option<String>,
}

/// Draft a program from a collection: a concept per section with its material cited, prerequisites
/// from document order and cross-references; unpublished, for review (admins).
#[utoipa::path(post, path = "/orgs/{org_id}/programs/draft", tag = "learning", params(("org_id" = OrgId, Path)),
    request_body = DraftBody,
    responses((status = 201, body = ProgramDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn draft_program(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    PathIds(org_id): PathIds<OrgId>,
    JsonBody(body): JsonBody<DraftBody>,
) -> ApiResult<(StatusCode, Json<ProgramDetail>)> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    scope.require(OrgAction::ManagePrograms)?;
    let detail =
        state.learning.draft_from_collection(org_id, principal.person.id, body.collection_id, body.title).await?;
    let audit_detail = serde_json::json!({ "collection": body.collection_id, "concepts": detail.concepts.len() });
    let subject = Some(detail.program.id.to_string());
    audit(&state, Some(org_id), Some(principal.person.id), "program.drafted", subject, audit_detail, &ip).await;
    Ok((StatusCode::CREATED, Json(detail)))
}

/// Replace the program's draft with a document (concepts keep their ids, and so learners' mastery,
/// when the document uses them as keys); all or nothing (admins).
#[utoipa::path(put, path = "/orgs/{org_id}/programs/{program_id}/content", tag = "learning",
    params(("org_id" = OrgId, Path), ("program_id" = String, Path)), request_body = ProgramDocument,
    responses((status = 200, body = ProgramDetail), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn replace_program_content(
    State(state): State<AppState>,
    principal: Principal,
    PathIds((org_id, id)): PathIds<(OrgId, ProgramId)>,
    JsonBody(document): JsonBody<ProgramDocument>,
) -> ApiResult<Json<ProgramDetail>> {
    authoring(&state, &principal, org_id, id).await?;
    Ok(Json(state.learning.import_program(org_id, principal.person.id, document, Some(id)).await?))
}

/// Add a concept to the program's draft (admins).
#[utoipa::path(post, path = "/orgs/{org_id}/programs/{program_id}/concepts", tag = "learning",
    params(("org_id" = OrgId, Path), ("program_id" = String, Path)), request_body = ConceptBody,
    responses((status = 201, body = Concept), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn add_concept(
    State(state): State<AppState>,
    principal: Principal,
    PathIds((org_id, id)): PathIds<(OrgId, ProgramId)>,
    JsonBody(body): JsonBody<ConceptBody>,
) -> ApiResult<(StatusCode, Json<Concept>)> {
    authoring(&state, &principal, org_id, id).await?;
    Ok((StatusCode::CREATED, Json(state.learning.add_concept(org_id, id, body.into()).await?)))
}

/// Loads an author's scope for a concept (404 for non-authors: concepts are read through their program).
async fn concept_author(state: &AppState, principal: &Principal, org_id: OrgId) -> ApiResult<OrgScope> {
    let scope = OrgScope::load(state, principal, org_id).await?;
    scope.require_or_hide(OrgAction::ManagePrograms, "concept")?;
    Ok(scope)
}

/// One concept in its program's latest version (admins).
#[utoipa::path(get, path = "/orgs/{org_id}/concepts/{concept_id}", tag = "learning",
    params(("org_id" = OrgId, Path), ("concept_id" = String, Path)),
    responses((status = 200, body = Concept), (status = 404, body = ErrorBody)))]
pub async fn get_concept(
    State(state): State<AppState>,
    principal: Principal,
    PathIds((org_id, id)): PathIds<(OrgId, ConceptId)>,
) -> ApiResult<Json<Concept>> {
    concept_author(&state, &principal, org_id).await?;
    Ok(Json(state.learning.concept(org_id, id).await?))
}

/// Change a concept in its program's draft (admins).
#[utoipa::path(patch, path = "/orgs/{org_id}/concepts/{concept_id}", tag = "learning",
    params(("org_id" = OrgId, Path), ("concept_id" = String, Path)), request_body = ConceptBody,
    responses((status = 200, body = Concept), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn update_concept(
    State(state): State<AppState>,
    principal: Principal,
    PathIds((org_id, id)): PathIds<(OrgId, ConceptId)>,
    JsonBody(body): JsonBody<ConceptBody>,
) -> ApiResult<Json<Concept>> {
    concept_author(&state, &principal, org_id).await?;
    Ok(Json(state.learning.update_concept(org_id, id, body.into()).await?))
}

/// Remove a concept from its program's draft (admins).
#[utoipa::path(delete, path = "/orgs/{org_id}/concepts/{concept_id}", tag = "learning",
    params(("org_id" = OrgId, Path), ("concept_id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn remove_concept(
    State(state): State<AppState>,
    principal: Principal,
    PathIds((org_id, id)): PathIds<(OrgId, ConceptId)>,
) -> ApiResult<StatusCode> {
    concept_author(&state, &principal, org_id).await?;
    state.learning.remove_concept(org_id, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Require another concept first (admins); refused with `prerequisite_cycle` when it would close a cycle.
#[utoipa::path(post, path = "/orgs/{org_id}/concepts/{concept_id}/prerequisites", tag = "learning",
    params(("org_id" = OrgId, Path), ("concept_id" = String, Path)), request_body = PrerequisiteBody,
    responses((status = 201, body = Concept), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn add_prerequisite(
    State(state): State<AppState>,
    principal: Principal,
    PathIds((org_id, id)): PathIds<(OrgId, ConceptId)>,
    JsonBody(body): JsonBody<PrerequisiteBody>,
) -> ApiResult<(StatusCode, Json<Concept>)> {
    concept_author(&state, &principal, org_id).await?;
    Ok((StatusCode::CREATED, Json(state.learning.add_prerequisite(org_id, id, body.requires).await?)))
}

/// Stop requiring a concept first (admins).
#[utoipa::path(delete, path = "/orgs/{org_id}/concepts/{concept_id}/prerequisites/{requires_id}", tag = "learning",
    params(("org_id" = OrgId, Path), ("concept_id" = String, Path), ("requires_id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn remove_prerequisite(
    State(state): State<AppState>,
    principal: Principal,
    PathIds((org_id, id, requires)): PathIds<(OrgId, ConceptId, ConceptId)>,
) -> ApiResult<StatusCode> {
    concept_author(&state, &principal, org_id).await?;
    state.learning.remove_prerequisite(org_id, id, requires).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A program's enrolments: admins see all, others the learners they follow.
#[utoipa::path(get, path = "/orgs/{org_id}/programs/{program_id}/enrolments", tag = "learning",
    params(("org_id" = OrgId, Path), ("program_id" = String, Path)),
    responses((status = 200, body = [Enrolment]), (status = 404, body = ErrorBody)))]
pub async fn list_enrolments(
    State(state): State<AppState>,
    principal: Principal,
    PathIds((org_id, id)): PathIds<(OrgId, ProgramId)>,
) -> ApiResult<Json<Vec<Enrolment>>> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    scope.require(OrgAction::ViewPrograms)?;
    let author = policy::permits(&scope.actor, OrgAction::ManagePrograms);
    state.learning.program(org_id, id, author).await?;
    let supervised = scope.supervised(&state).await?;
    let all = state.learning.enrolments(org_id, Some(id), None).await?;
    Ok(Json(all.into_iter().filter(|e| policy::may_read_progress(&scope.actor, e.person_id, &supervised)).collect()))
}

/// Enrol a learner: admins and the learner's coaches, or the learner themself when the program is open for it.
#[utoipa::path(post, path = "/orgs/{org_id}/programs/{program_id}/enrolments", tag = "learning",
    params(("org_id" = OrgId, Path), ("program_id" = String, Path)), request_body = EnrolBody,
    responses((status = 201, body = Enrolment), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn enrol(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    PathIds((org_id, id)): PathIds<(OrgId, ProgramId)>,
    JsonBody(body): JsonBody<EnrolBody>,
) -> ApiResult<(StatusCode, Json<Enrolment>)> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    scope.require(OrgAction::ViewPrograms)?;
    let author = policy::permits(&scope.actor, OrgAction::ManagePrograms);
    state.learning.program(org_id, id, author).await?;
    let learner = body.person_id;
    let own_choice = learner == principal.person.id && state.learning.open_for_self_enrolment(org_id, id).await?;
    if !own_choice {
        require_learner(&state, &scope, learner, LearnerAccess::Guide).await?;
    }
    let enrolment = state.learning.enrol(org_id, id, learner, principal.person.id).await?;
    let detail = serde_json::json!({ "program": id, "learner": learner });
    audit(&state, Some(org_id), Some(principal.person.id), "enrolment.created", Some(id.to_string()), detail, &ip)
        .await;
    Ok((StatusCode::CREATED, Json(enrolment)))
}

/// Withdraw a learner from a program (their evidence stays): those who may enrol them, and the learner.
#[utoipa::path(delete, path = "/orgs/{org_id}/programs/{program_id}/enrolments/{person_id}", tag = "learning",
    params(("org_id" = OrgId, Path), ("program_id" = String, Path), ("person_id" = String, Path)),
    responses((status = 200, body = Enrolment), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn withdraw(
    State(state): State<AppState>,
    principal: Principal,
    PathIds((org_id, id, learner)): PathIds<(OrgId, ProgramId, PersonId)>,
) -> ApiResult<Json<Enrolment>> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    scope.require(OrgAction::ViewPrograms)?;
    if learner != principal.person.id {
        require_learner(&state, &scope, learner, LearnerAccess::Guide).await?;
    }
    Ok(Json(state.learning.withdraw(org_id, id, learner).await?))
}

/// A learner's enrolments.
#[utoipa::path(get, path = "/orgs/{org_id}/learners/{person_id}/enrolments", tag = "learning",
    params(("org_id" = OrgId, Path), ("person_id" = String, Path)),
    responses((status = 200, body = [Enrolment]), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn learner_enrolments(
    State(state): State<AppState>,
    principal: Principal,
    PathIds((org_id, learner)): PathIds<(OrgId, PersonId)>,
) -> ApiResult<Json<Vec<Enrolment>>> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    require_learner(&state, &scope, learner, LearnerAccess::Read).await?;
    Ok(Json(state.learning.enrolments(org_id, None, Some(learner)).await?))
}

/// Record evidence about a learner and update their mastery: admins and the learner's coaches.
#[utoipa::path(post, path = "/orgs/{org_id}/learners/{person_id}/evidence", tag = "learning",
    params(("org_id" = OrgId, Path), ("person_id" = String, Path)), request_body = EvidenceBody,
    responses((status = 201, body = ConceptMastery), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn record_evidence(
    State(state): State<AppState>,
    principal: Principal,
    PathIds((org_id, learner)): PathIds<(OrgId, PersonId)>,
    JsonBody(body): JsonBody<EvidenceBody>,
) -> ApiResult<(StatusCode, Json<ConceptMastery>)> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    require_learner(&state, &scope, learner, LearnerAccess::Guide).await?;
    let spec = EvidenceSpec {
        concept: body.concept_id,
        kind: body.kind,
        correct: body.correct,
        score: body.score,
        source: body.source,
        idempotency_key: body.idempotency_key,
        occurred_at: body.occurred_at,
    };
    let recorded = state.learning.record_evidence(org_id, learner, Some(principal.person.id), spec, Utc::now()).await?;
    Ok((StatusCode::CREATED, Json(recorded.standing)))
}

/// A learner's evidence, newest first.
#[utoipa::path(get, path = "/orgs/{org_id}/learners/{person_id}/evidence", tag = "learning",
    params(("org_id" = OrgId, Path), ("person_id" = String, Path)),
    responses((status = 200, body = [EvidenceView]), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_evidence(
    State(state): State<AppState>,
    principal: Principal,
    PathIds((org_id, learner)): PathIds<(OrgId, PersonId)>,
) -> ApiResult<Json<Vec<EvidenceView>>> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    require_learner(&state, &scope, learner, LearnerAccess::Read).await?;
    Ok(Json(state.learning.evidence(org_id, learner, 200).await?))
}

/// A learner's mastery of every concept of their programs, at `at` (default now).
#[utoipa::path(get, path = "/orgs/{org_id}/learners/{person_id}/mastery", tag = "learning",
    params(("org_id" = OrgId, Path), ("person_id" = String, Path), AtQuery),
    responses((status = 200, body = LearnerMastery), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn learner_mastery(
    State(state): State<AppState>,
    principal: Principal,
    PathIds((org_id, learner)): PathIds<(OrgId, PersonId)>,
    query: Result<Query<AtQuery>, QueryRejection>,
) -> ApiResult<Json<LearnerMastery>> {
    let at = at(query)?;
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    require_learner(&state, &scope, learner, LearnerAccess::Read).await?;
    Ok(Json(state.learning.mastery(org_id, learner, at).await?))
}

/// One concept's mastery with the model's reasons and the evidence.
#[utoipa::path(get, path = "/orgs/{org_id}/learners/{person_id}/mastery/{concept_id}", tag = "learning",
    params(("org_id" = OrgId, Path), ("person_id" = String, Path), ("concept_id" = String, Path), AtQuery),
    responses((status = 200, body = ConceptMasteryDetail), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn concept_mastery(
    State(state): State<AppState>,
    principal: Principal,
    PathIds((org_id, learner, concept)): PathIds<(OrgId, PersonId, ConceptId)>,
    query: Result<Query<AtQuery>, QueryRejection>,
) -> ApiResult<Json<ConceptMasteryDetail>> {
    let at = at(query)?;
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    require_learner(&state, &scope, learner, LearnerAccess::Read).await?;
    Ok(Json(state.learning.concept_mastery(org_id, learner, concept, at).await?))
}

/// A learner's goals.
#[utoipa::path(get, path = "/orgs/{org_id}/learners/{person_id}/goals", tag = "learning",
    params(("org_id" = OrgId, Path), ("person_id" = String, Path)),
    responses((status = 200, body = [Goal]), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_goals(
    State(state): State<AppState>,
    principal: Principal,
    PathIds((org_id, learner)): PathIds<(OrgId, PersonId)>,
) -> ApiResult<Json<Vec<Goal>>> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    require_learner(&state, &scope, learner, LearnerAccess::Read).await?;
    Ok(Json(state.learning.goals(org_id, learner).await?))
}

/// Set a goal: a concept, a program, or free text resolved to concepts (the learner, their coaches, admins).
#[utoipa::path(post, path = "/orgs/{org_id}/learners/{person_id}/goals", tag = "learning",
    params(("org_id" = OrgId, Path), ("person_id" = String, Path)), request_body = GoalBody,
    responses((status = 201, body = Goal), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn set_goal(
    State(state): State<AppState>,
    principal: Principal,
    PathIds((org_id, learner)): PathIds<(OrgId, PersonId)>,
    JsonBody(body): JsonBody<GoalBody>,
) -> ApiResult<(StatusCode, Json<Goal>)> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    require_learner(&state, &scope, learner, LearnerAccess::SetGoals).await?;
    let spec = GoalSpec {
        kind: body.kind,
        concept: body.concept_id,
        program: body.program_id,
        text: body.text,
        deadline: body.deadline,
    };
    Ok((StatusCode::CREATED, Json(state.learning.set_goal(org_id, learner, principal.person.id, spec).await?)))
}

/// Loads a goal's learner after checking the caller may `access` them; a goal of another learner is 404.
async fn goal_of(
    state: &AppState,
    scope: &OrgScope,
    learner: PersonId,
    goal: GoalId,
    access: LearnerAccess,
) -> ApiResult<()> {
    require_learner(state, scope, learner, access).await?;
    if state.learning.goal_owner(scope.org.id, goal).await? != learner {
        return Err(ApiError::not_found("goal"));
    }
    Ok(())
}

/// Remove a goal.
#[utoipa::path(delete, path = "/orgs/{org_id}/learners/{person_id}/goals/{goal_id}", tag = "learning",
    params(("org_id" = OrgId, Path), ("person_id" = String, Path), ("goal_id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_goal(
    State(state): State<AppState>,
    principal: Principal,
    PathIds((org_id, learner, goal)): PathIds<(OrgId, PersonId, GoalId)>,
) -> ApiResult<StatusCode> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    goal_of(&state, &scope, learner, goal, LearnerAccess::SetGoals).await?;
    state.learning.delete_goal(org_id, goal).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The path to a goal from where the learner stands at `at`: unmastered concepts in prerequisite order.
#[utoipa::path(get, path = "/orgs/{org_id}/learners/{person_id}/goals/{goal_id}/path", tag = "learning",
    params(("org_id" = OrgId, Path), ("person_id" = String, Path), ("goal_id" = String, Path), AtQuery),
    responses((status = 200, body = LearningPath), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn goal_path(
    State(state): State<AppState>,
    principal: Principal,
    PathIds((org_id, learner, goal)): PathIds<(OrgId, PersonId, GoalId)>,
    query: Result<Query<AtQuery>, QueryRejection>,
) -> ApiResult<Json<LearningPath>> {
    let at = at(query)?;
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    goal_of(&state, &scope, learner, goal, LearnerAccess::Read).await?;
    Ok(Json(state.learning.path(org_id, goal, at).await?))
}

/// Which learners' progress to list, and when.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ProgressQuery {
    /// Learners per page, 1 to 500 (default 100).
    pub limit: Option<usize>,
    /// Learners to skip, in id order (default 0).
    pub offset: Option<usize>,
    /// An RFC 3339 time (default: now).
    pub at: Option<DateTime<Utc>>,
}

/// Most learners one page of progress holds.
const MAX_PROGRESS_PAGE: usize = 500;

/// One page of learners' progress.
#[derive(Serialize, ToSchema)]
pub struct LearnersProgress {
    /// In id order.
    pub learners: Vec<LearnerProgress>,
    /// Learners on every page.
    pub total: usize,
}

/// The progress of the enrolled learners whose progress the caller may read
/// (administrators: everyone enrolled; coaches, parents and managers: the
/// learners they supervise; a learner: themself), a page at a time.
#[utoipa::path(get, path = "/orgs/{org_id}/learners/progress", tag = "learning",
    params(("org_id" = OrgId, Path), ProgressQuery),
    responses((status = 200, body = LearnersProgress), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn learners_progress(
    State(state): State<AppState>,
    principal: Principal,
    PathIds(org_id): PathIds<OrgId>,
    query: Result<Query<ProgressQuery>, QueryRejection>,
) -> ApiResult<Json<LearnersProgress>> {
    let Query(query) = query.map_err(|e| ApiError::invalid("query", e.body_text()))?;
    let limit = query.limit.unwrap_or(100);
    if !(1..=MAX_PROGRESS_PAGE).contains(&limit) {
        return Err(ApiError::invalid("limit", format!("must be 1 to {MAX_PROGRESS_PAGE}")));
    }
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    scope.require(OrgAction::ViewPrograms)?;
    let learners = if scope.actor.is_admin() {
        state.learning.enrolled_learners(org_id).await?
    } else {
        let supervised = scope.supervised(&state).await?;
        let readable: Vec<PersonId> = supervised
            .iter()
            .copied()
            .chain([principal.person.id])
            .filter(|p| policy::may_read_progress(&scope.actor, *p, &supervised))
            .collect();
        state.learning.enrolled_among(org_id, &readable).await?
    };
    let total = learners.len();
    let page: Vec<PersonId> = learners.into_iter().skip(query.offset.unwrap_or(0)).take(limit).collect();
    let at = query.at.unwrap_or_else(Utc::now);
    Ok(Json(LearnersProgress { learners: state.learning.coach_overview(org_id, &page, at).await?, total }))
}

/// The next best step: what to learn or review now.
#[derive(Serialize, ToSchema)]
pub struct NextStepView {
    /// Null when nothing is left to learn or review.
    pub next: Option<NextStep>,
}

/// The learner's next best step at `at`: a frontier concept or a due review in the productive band.
#[utoipa::path(get, path = "/orgs/{org_id}/learners/{person_id}/next-step", tag = "learning",
    params(("org_id" = OrgId, Path), ("person_id" = String, Path), AtQuery),
    responses((status = 200, body = NextStepView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn next_step(
    State(state): State<AppState>,
    principal: Principal,
    PathIds((org_id, learner)): PathIds<(OrgId, PersonId)>,
    query: Result<Query<AtQuery>, QueryRejection>,
) -> ApiResult<Json<NextStepView>> {
    let at = at(query)?;
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    require_learner(&state, &scope, learner, LearnerAccess::Read).await?;
    Ok(Json(NextStepView { next: state.learning.next_step(org_id, learner, at).await? }))
}

/// Reviews due by the end of `at`'s day (UTC).
#[utoipa::path(get, path = "/orgs/{org_id}/learners/{person_id}/reviews", tag = "learning",
    params(("org_id" = OrgId, Path), ("person_id" = String, Path), AtQuery),
    responses((status = 200, body = [DueReview]), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn due_reviews(
    State(state): State<AppState>,
    principal: Principal,
    PathIds((org_id, learner)): PathIds<(OrgId, PersonId)>,
    query: Result<Query<AtQuery>, QueryRejection>,
) -> ApiResult<Json<Vec<DueReview>>> {
    let at = at(query)?;
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    require_learner(&state, &scope, learner, LearnerAccess::Read).await?;
    Ok(Json(state.learning.due_reviews(org_id, learner, at).await?))
}

/// An organisation's learner model: fitted to its own evidence, or the defaults.
#[derive(Serialize, ToSchema)]
pub struct LearnerModelView {
    /// False until a fit had enough graded answers.
    pub fitted: bool,
    /// Graded answers the stored fit used.
    pub answers: i64,
    pub fitted_at: Option<DateTime<Utc>>,
    /// The model's parameters (feature weights, forgetting half-life…).
    #[schema(value_type = Object)]
    pub params: serde_json::Value,
}

/// A fit just run.
#[derive(Serialize, ToSchema)]
pub struct FitView {
    pub answers: usize,
    /// False when there were too few graded answers; the defaults stay.
    pub fitted: bool,
    /// Mean log-loss of the answers with the default parameters and with the fitted ones.
    pub initial_log_loss: f64,
    pub log_loss: f64,
}

/// The organisation's learner model (admins).
#[utoipa::path(get, path = "/orgs/{org_id}/learner-model", tag = "learning", params(("org_id" = OrgId, Path)),
    responses((status = 200, body = LearnerModelView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_learner_model(
    State(state): State<AppState>,
    principal: Principal,
    PathIds(org_id): PathIds<OrgId>,
) -> ApiResult<Json<LearnerModelView>> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    scope.require(OrgAction::ManagePrograms)?;
    let view = match state.store.mastery_model(org_id).await? {
        Some(m) => {
            LearnerModelView { fitted: true, answers: m.answers, fitted_at: Some(m.fitted_at), params: m.params }
        }
        None => LearnerModelView {
            fitted: false,
            answers: 0,
            fitted_at: None,
            params: serde_json::to_value(wayfinder_learning_rules::mastery::MasteryParams::default())
                .unwrap_or_default(),
        },
    };
    Ok(Json(view))
}

/// Fit the learner model to the organisation's evidence now, instead of waiting for the
/// background fit (admins).
#[utoipa::path(post, path = "/orgs/{org_id}/learner-model/fit", tag = "learning", params(("org_id" = OrgId, Path)),
    responses((status = 200, body = FitView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn fit_learner_model(
    State(state): State<AppState>,
    principal: Principal,
    PathIds(org_id): PathIds<OrgId>,
) -> ApiResult<Json<FitView>> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    scope.require(OrgAction::ManagePrograms)?;
    let report = state.learning.fit_model(org_id).await?;
    Ok(Json(FitView {
        answers: report.answers,
        fitted: report.fitted,
        initial_log_loss: report.initial_log_loss,
        log_loss: report.log_loss,
    }))
}
