//! Personal data on request: a person downloads everything Wayfinder holds about them or erases
//! it; an organisation's admins do the same for a member on their request (the export holding
//! what the organisation holds, the erasure only for someone who belongs to no other one).

use crate::{
    auth::{ClientIp, Principal, session_cookie},
    authz::OrgScope,
    error::{ApiError, ApiResult, ErrorBody, ErrorCode},
    json::{JsonBody, PathIds},
    routes::audit,
    state::AppState,
};
use axum::{
    Json,
    extract::State,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::ToSchema;
use wayfinder_accounts::{Archive, ArchiveScope};
use wayfinder_accounts_rules::{OrgId, PersonId, policy::OrgAction};
use wayfinder_store::Erasure;

/// The erasure asked for, confirmed by the e-mail address of the person erased.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ErasureRequest {
    /// The e-mail address of the person to erase, typed out as a confirmation.
    pub confirm: String,
}

/// What an erasure removed.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErasureView {
    /// The id that stands for the person in the audit entries that remain.
    #[schema(value_type = String)]
    pub pseudonym: PersonId,
    /// Rows deleted, by table.
    pub deleted: BTreeMap<String, u64>,
    /// Records of others that named the person and now do not (documents pass to an admin).
    pub unnamed: BTreeMap<String, u64>,
    /// Audit entries now naming the pseudonym.
    pub audit_entries: u64,
}

impl From<Erasure> for ErasureView {
    fn from(e: Erasure) -> Self {
        let owned = |m: BTreeMap<&'static str, u64>| m.into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        ErasureView {
            pseudonym: e.pseudonym,
            deleted: owned(e.deleted),
            unnamed: owned(e.unnamed),
            audit_entries: e.audit_entries,
        }
    }
}

fn zip_response(archive: Archive) -> Response {
    let mut response = (StatusCode::OK, archive.bytes).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/zip"));
    if let Ok(value) = HeaderValue::from_str(&format!("attachment; filename=\"{}\"", archive.file_name)) {
        headers.insert(header::CONTENT_DISPOSITION, value);
    }
    response
}

fn tables_detail(archive: &Archive) -> serde_json::Value {
    serde_json::json!({ "tables": archive.tables.iter().map(|(t, n)| (t.clone(), *n)).collect::<BTreeMap<_, _>>() })
}

fn check_confirmation(given: &str, email: &str) -> ApiResult<()> {
    if given.trim().eq_ignore_ascii_case(email) {
        Ok(())
    } else {
        Err(ApiError::invalid("confirm", "type the e-mail address of the account to erase"))
    }
}

/// Download everything Wayfinder holds about the caller, as a ZIP of JSON files.
#[utoipa::path(get, path = "/me/export", tag = "privacy",
    responses((status = 200, content_type = "application/zip", body = Vec<u8>), (status = 401, body = ErrorBody)))]
pub async fn export_me(State(state): State<AppState>, principal: Principal, ip: ClientIp) -> ApiResult<Response> {
    let archive = state.accounts.personal_archive(principal.person.id, ArchiveScope::Everything).await?;
    let who = Some(principal.person.id);
    audit(&state, None, who, "person.exported", Some(principal.person.id.to_string()), tables_detail(&archive), &ip)
        .await;
    Ok(zip_response(archive))
}

/// Erase the caller's account and everything that is theirs; the session ends with it.
#[utoipa::path(post, path = "/me/erase", tag = "privacy", request_body = ErasureRequest,
    responses((status = 200, body = ErasureView), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn erase_me(
    State(state): State<AppState>,
    principal: Principal,
    JsonBody(req): JsonBody<ErasureRequest>,
) -> ApiResult<Response> {
    check_confirmation(&req.confirm, &principal.person.email)?;
    let erasure = state.accounts.erase_self(principal.person.id).await?;
    let detail = serde_json::json!({ "deleted": erasure.deleted.values().sum::<u64>(), "by": "themselves" });
    // Recorded under the pseudonym and without an address: the entry must not name them again.
    let (pseudonym, actor) = (erasure.pseudonym.to_string(), Some(erasure.pseudonym));
    audit(&state, None, actor, "person.erased", Some(pseudonym), detail, &ClientIp(None)).await;
    let mut response = Json(ErasureView::from(erasure)).into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, session_cookie("", chrono::Duration::zero(), state.settings.cookie_secure));
    Ok(response)
}

/// Download what the organisation holds about a member, on their request (admins).
#[utoipa::path(get, path = "/orgs/{org_id}/members/{person_id}/export", tag = "privacy",
    params(("org_id" = OrgId, Path), ("person_id" = PersonId, Path)),
    responses((status = 200, content_type = "application/zip", body = Vec<u8>), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody)))]
pub async fn export_member(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    PathIds((org_id, person_id)): PathIds<(OrgId, PersonId)>,
) -> ApiResult<Response> {
    member_in_reach(&state, &principal, org_id, person_id).await?;
    let archive = state.accounts.personal_archive(person_id, ArchiveScope::Organisation(org_id)).await?;
    let detail = tables_detail(&archive);
    audit(&state, Some(org_id), Some(principal.person.id), "member.exported", Some(person_id.to_string()), detail, &ip)
        .await;
    Ok(zip_response(archive))
}

/// Erase a member who belongs to no other organisation, on their request (admins); confirmed
/// with their e-mail address.
#[utoipa::path(post, path = "/orgs/{org_id}/members/{person_id}/erase", tag = "privacy",
    params(("org_id" = OrgId, Path), ("person_id" = PersonId, Path)), request_body = ErasureRequest,
    responses((status = 200, body = ErasureView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn erase_member(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    PathIds((org_id, person_id)): PathIds<(OrgId, PersonId)>,
    JsonBody(req): JsonBody<ErasureRequest>,
) -> ApiResult<Json<ErasureView>> {
    member_in_reach(&state, &principal, org_id, person_id).await?;
    if person_id == principal.person.id {
        return Err(ApiError::new(ErrorCode::Conflict, "erase your own account from your profile"));
    }
    let member = state.accounts.member(org_id, person_id).await?;
    check_confirmation(&req.confirm, &member.person.email)?;
    let erasure = state.accounts.erase_member(principal.person.id, org_id, person_id).await?;
    let detail = serde_json::json!({ "deleted": erasure.deleted.values().sum::<u64>(), "by": "admin" });
    let pseudonym = Some(erasure.pseudonym.to_string());
    audit(&state, Some(org_id), Some(principal.person.id), "member.erased", pseudonym, detail, &ip).await;
    Ok(Json(erasure.into()))
}

/// The member is one the caller may see in the organisation, and the caller manages personal
/// data there (a member the caller may not see is not found, before any refusal).
async fn member_in_reach(state: &AppState, principal: &Principal, org: OrgId, person: PersonId) -> ApiResult<()> {
    let scope = OrgScope::load(state, principal, org).await?;
    scope.require_visible(state, person).await?;
    state.accounts.member(org, person).await?;
    scope.require(OrgAction::ManagePersonalData)?;
    Ok(())
}

/// How long the organisation keeps conversations and inactive accounts.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RetentionSpec {
    /// Conversations quiet for longer than this many days are deleted with their messages
    /// (1–36,500; null keeps them).
    #[schema(minimum = 1, maximum = 36500)]
    pub conversation_days: Option<i64>,
    /// Members inactive for longer than this many days, who belong to no other organisation, are
    /// erased (1–36,500; null keeps them). Admins and operators never are.
    #[schema(minimum = 1, maximum = 36500)]
    pub inactive_account_days: Option<i64>,
    /// Keep the audio of spoken interview answers with their interview (under the conversation
    /// limit above and erasure) instead of dropping it once transcribed; left out, unchanged.
    pub keep_interview_audio: Option<bool>,
}

/// The organisation's retention policy.
#[derive(Debug, Serialize, ToSchema)]
pub struct RetentionView {
    pub conversation_days: Option<i64>,
    pub inactive_account_days: Option<i64>,
    /// Spoken interview answers' audio is kept with the interview (default: dropped once
    /// transcribed).
    pub keep_interview_audio: bool,
    /// When it was last applied (every hour, or on request).
    pub last_applied_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl From<wayfinder_store::RetentionPolicy> for RetentionView {
    fn from(p: wayfinder_store::RetentionPolicy) -> Self {
        RetentionView {
            conversation_days: p.conversation_days,
            inactive_account_days: p.inactive_account_days,
            keep_interview_audio: p.keep_interview_audio,
            last_applied_at: p.last_applied_at,
        }
    }
}

/// What applying the policy removed.
#[derive(Debug, Serialize, ToSchema)]
pub struct RetentionRunView {
    pub conversations: u64,
    pub messages: u64,
    pub accounts: u64,
}

async fn personal_data_admin(state: &AppState, principal: &Principal, org: OrgId) -> ApiResult<()> {
    OrgScope::load(state, principal, org).await?.require(OrgAction::ManagePersonalData)?;
    Ok(())
}

/// The organisation's retention policy (admins).
#[utoipa::path(get, path = "/orgs/{org_id}/retention", tag = "privacy", params(("org_id" = OrgId, Path)),
    responses((status = 200, body = RetentionView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_retention(
    State(state): State<AppState>,
    principal: Principal,
    PathIds(org_id): PathIds<OrgId>,
) -> ApiResult<Json<RetentionView>> {
    personal_data_admin(&state, &principal, org_id).await?;
    Ok(Json(state.accounts.retention_policy(org_id).await?.into()))
}

/// Set the organisation's retention policy (admins); applied every hour.
#[utoipa::path(put, path = "/orgs/{org_id}/retention", tag = "privacy", params(("org_id" = OrgId, Path)),
    request_body = RetentionSpec,
    responses((status = 200, body = RetentionView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn put_retention(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    PathIds(org_id): PathIds<OrgId>,
    JsonBody(spec): JsonBody<RetentionSpec>,
) -> ApiResult<Json<RetentionView>> {
    personal_data_admin(&state, &principal, org_id).await?;
    let policy = state
        .accounts
        .set_retention_policy(org_id, spec.conversation_days, spec.inactive_account_days, spec.keep_interview_audio)
        .await?;
    let detail = serde_json::json!({ "conversation_days": policy.conversation_days,
        "inactive_account_days": policy.inactive_account_days, "keep_interview_audio": policy.keep_interview_audio });
    audit(&state, Some(org_id), Some(principal.person.id), "retention.changed", None, detail, &ip).await;
    Ok(Json(policy.into()))
}

/// Apply the organisation's retention policy now (admins).
#[utoipa::path(post, path = "/orgs/{org_id}/retention/apply", tag = "privacy", params(("org_id" = OrgId, Path)),
    responses((status = 200, body = RetentionRunView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn apply_retention(
    State(state): State<AppState>,
    principal: Principal,
    PathIds(org_id): PathIds<OrgId>,
) -> ApiResult<Json<RetentionRunView>> {
    personal_data_admin(&state, &principal, org_id).await?;
    let run = state.accounts.apply_retention(org_id, chrono::Utc::now()).await?;
    Ok(Json(RetentionRunView { conversations: run.conversations, messages: run.messages, accounts: run.accounts }))
}

/// What was looked at.
#[derive(Clone, Copy, Debug, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum DataAccessKind {
    /// Progress: mastery, evidence, goals, paths, practice, the dashboard.
    Progress,
    /// One of the person's conversations.
    Conversation,
    /// An archive of their data, exported by an admin.
    Export,
}

/// Someone else looking at the caller's data (noted once an hour per reader and kind).
#[derive(Debug, Serialize, ToSchema)]
pub struct DataAccessView {
    pub at: chrono::DateTime<chrono::Utc>,
    #[schema(value_type = Option<String>)]
    pub org_id: Option<OrgId>,
    #[schema(value_type = Option<String>)]
    pub reader_id: Option<PersonId>,
    /// The reader's name (null once they have been erased).
    pub reader_name: Option<String>,
    pub what: DataAccessKind,
    pub conversation_id: Option<String>,
}

/// Who looked at the caller's data — their coaches, parents, managers and admins reading their
/// progress or conversations, and admins exporting it — newest first (the last 200).
#[utoipa::path(get, path = "/me/data-access", tag = "privacy",
    responses((status = 200, body = [DataAccessView]), (status = 401, body = ErrorBody)))]
pub async fn my_data_access(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<Json<Vec<DataAccessView>>> {
    let events =
        state.store.audit_about(&principal.person.id.to_string(), &["data.read", "member.exported"], 200).await?;
    let mut names: std::collections::HashMap<PersonId, Option<String>> = std::collections::HashMap::new();
    let mut views = Vec::with_capacity(events.len());
    for event in events {
        let reader_name = match event.actor {
            Some(reader) => match names.get(&reader) {
                Some(name) => name.clone(),
                None => {
                    let name = state.store.person(reader).await.ok().map(|p| p.display_name);
                    names.insert(reader, name.clone());
                    name
                }
            },
            None => None,
        };
        let what = match (event.action.as_str(), event.detail["what"].as_str()) {
            ("member.exported", _) => DataAccessKind::Export,
            (_, Some("conversation")) => DataAccessKind::Conversation,
            _ => DataAccessKind::Progress,
        };
        views.push(DataAccessView {
            at: event.created_at,
            org_id: event.org,
            reader_id: event.actor,
            reader_name,
            what,
            conversation_id: event.detail["conversation_id"].as_str().map(str::to_string),
        });
    }
    Ok(Json(views))
}

/// What a chat model may see of the organisation's people.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PromptPrivacyView {
    /// E-mail addresses, phone numbers and the names of the organisation's people are replaced
    /// by placeholders before anything goes to a chat model, and put back in its answer.
    pub redact_personal_data: bool,
    /// No learner record (goals, mastery, next step) goes into the coach's prompt, and learners'
    /// answers are graded by the rules rather than by the model: the coach answers from the
    /// knowledge base alone.
    pub no_learner_data: bool,
}

/// What chat models may see of the organisation's people (admins).
#[utoipa::path(get, path = "/orgs/{org_id}/prompt-privacy", tag = "privacy", params(("org_id" = OrgId, Path)),
    responses((status = 200, body = PromptPrivacyView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_prompt_privacy(
    State(state): State<AppState>,
    principal: Principal,
    PathIds(org_id): PathIds<OrgId>,
) -> ApiResult<Json<PromptPrivacyView>> {
    personal_data_admin(&state, &principal, org_id).await?;
    let p = state.store.prompt_privacy(org_id).await?;
    Ok(Json(PromptPrivacyView { redact_personal_data: p.redact_personal_data, no_learner_data: p.no_learner_data }))
}

/// Set what chat models may see of the organisation's people (admins).
#[utoipa::path(put, path = "/orgs/{org_id}/prompt-privacy", tag = "privacy", params(("org_id" = OrgId, Path)),
    request_body = PromptPrivacyView,
    responses((status = 200, body = PromptPrivacyView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn put_prompt_privacy(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    PathIds(org_id): PathIds<OrgId>,
    JsonBody(body): JsonBody<PromptPrivacyView>,
) -> ApiResult<Json<PromptPrivacyView>> {
    personal_data_admin(&state, &principal, org_id).await?;
    let privacy = wayfinder_store::PromptPrivacy {
        redact_personal_data: body.redact_personal_data,
        no_learner_data: body.no_learner_data,
    };
    state.store.put_prompt_privacy(org_id, privacy).await?;
    let detail = serde_json::json!({ "redact_personal_data": body.redact_personal_data,
        "no_learner_data": body.no_learner_data });
    audit(&state, Some(org_id), Some(principal.person.id), "prompt_privacy.changed", None, detail, &ip).await;
    Ok(Json(body))
}
