//! Organisations, their members and their audit log.

use crate::{
    auth::{ClientIp, Principal},
    authz::{OrgScope, require_operator},
    error::{ApiError, ApiResult, ErrorBody},
    json::{JsonBody, PathIds},
    routes::{MemberView, MembershipView, audit},
    state::AppState,
};
use axum::{
    Json,
    extract::{Query, State},
    http::StatusCode,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use wayfinder_accounts_rules::{
    AuditId, OrgId, Organisation, PersonId, Role, policy::OrgAction, validate_display_name, validate_slug,
};

/// A new organisation.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrg {
    /// 2–48 characters of a-z, 0-9 and hyphens.
    pub slug: String,
    pub name: String,
}

/// Changes to an organisation.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateOrg {
    pub name: String,
}

/// An organisation with the caller's role in it (`null` for an operator who is not a member).
#[derive(Serialize, ToSchema)]
pub struct OrgView {
    pub organisation: Organisation,
    pub role: Option<Role>,
}

/// A role change.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMember {
    pub role: Role,
}

/// Paging of the audit log.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// At most this many events (1–500, default 100).
    pub limit: Option<i64>,
    /// Only events older than this time.
    pub before: Option<DateTime<Utc>>,
}

/// One audit event.
#[derive(Serialize, ToSchema)]
pub struct AuditView {
    pub id: AuditId,
    pub actor: Option<PersonId>,
    pub action: String,
    pub subject: Option<String>,
    pub detail: serde_json::Value,
    pub ip: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// Organisations the caller belongs to (operators: every organisation).
#[utoipa::path(get, path = "/orgs", tag = "organisations", responses((status = 200, body = [OrgView])))]
pub async fn list_orgs(State(state): State<AppState>, principal: Principal) -> ApiResult<Json<Vec<OrgView>>> {
    let mine = state.store.orgs_of(principal.person.id).await?;
    if !principal.person.is_operator {
        return Ok(Json(
            mine.into_iter().map(|(organisation, role)| OrgView { organisation, role: Some(role) }).collect(),
        ));
    }
    let all = state.store.list_orgs().await?;
    Ok(Json(
        all.into_iter()
            .map(|organisation| {
                let role = mine.iter().find(|(o, _)| o.id == organisation.id).map(|(_, r)| *r);
                OrgView { organisation, role }
            })
            .collect(),
    ))
}

/// Create an organisation (operators only); the creator becomes its admin.
#[utoipa::path(post, path = "/orgs", tag = "organisations", request_body = CreateOrg,
    responses((status = 201, body = MembershipView), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_org(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    JsonBody(req): JsonBody<CreateOrg>,
) -> ApiResult<(StatusCode, Json<MembershipView>)> {
    require_operator(&principal)?;
    let slug = validate_slug(&req.slug)?;
    let name = validate_display_name(&req.name, "name")?;
    let org = state.accounts.create_org(&slug, &name, principal.person.id).await?;
    audit(
        &state,
        Some(org.id),
        Some(principal.person.id),
        "org.created",
        Some(org.id.to_string()),
        serde_json::json!({ "slug": org.slug }),
        &ip,
    )
    .await;
    Ok((StatusCode::CREATED, Json(MembershipView { organisation: org, role: Role::Admin })))
}

/// One organisation.
#[utoipa::path(get, path = "/orgs/{org_id}", tag = "organisations", params(("org_id" = OrgId, Path)),
    responses((status = 200, body = OrgView), (status = 404, body = ErrorBody)))]
pub async fn get_org(
    State(state): State<AppState>,
    principal: Principal,
    PathIds(org_id): PathIds<OrgId>,
) -> ApiResult<Json<OrgView>> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    scope.require(OrgAction::ViewOrganisation)?;
    Ok(Json(OrgView { organisation: scope.org, role: scope.actor.role }))
}

/// Rename an organisation (admins).
#[utoipa::path(patch, path = "/orgs/{org_id}", tag = "organisations", params(("org_id" = OrgId, Path)),
    request_body = UpdateOrg, responses((status = 200, body = OrgView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn update_org(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    PathIds(org_id): PathIds<OrgId>,
    JsonBody(req): JsonBody<UpdateOrg>,
) -> ApiResult<Json<OrgView>> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    scope.require(OrgAction::UpdateOrganisation)?;
    let name = validate_display_name(&req.name, "name")?;
    let org = state.store.rename_org(org_id, &name).await?;
    audit(
        &state,
        Some(org_id),
        Some(principal.person.id),
        "org.renamed",
        Some(org_id.to_string()),
        serde_json::json!({ "name": name }),
        &ip,
    )
    .await;
    Ok(Json(OrgView { organisation: org, role: scope.actor.role }))
}

/// Members the caller may see (admins: everyone).
#[utoipa::path(get, path = "/orgs/{org_id}/members", tag = "members", params(("org_id" = OrgId, Path)),
    responses((status = 200, body = [MemberView]), (status = 404, body = ErrorBody)))]
pub async fn list_members(
    State(state): State<AppState>,
    principal: Principal,
    PathIds(org_id): PathIds<OrgId>,
) -> ApiResult<Json<Vec<MemberView>>> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    scope.require(OrgAction::ListMembers)?;
    let visibility = scope.visibility(&state).await?;
    let members = state.store.list_members(org_id).await?;
    Ok(Json(members.into_iter().filter(|m| visibility.includes(m.person.id)).map(MemberView::from).collect()))
}

/// One member, if the caller may see them.
#[utoipa::path(get, path = "/orgs/{org_id}/members/{person_id}", tag = "members",
    params(("org_id" = OrgId, Path), ("person_id" = PersonId, Path)),
    responses((status = 200, body = MemberView), (status = 404, body = ErrorBody)))]
pub async fn get_member(
    State(state): State<AppState>,
    principal: Principal,
    PathIds((org_id, person_id)): PathIds<(OrgId, PersonId)>,
) -> ApiResult<Json<MemberView>> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    scope.require(OrgAction::ListMembers)?;
    scope.require_visible(&state, person_id).await?;
    Ok(Json(state.accounts.member(org_id, person_id).await?.into()))
}

/// Change a member's role (admins). Relationships that no longer fit the role end.
#[utoipa::path(patch, path = "/orgs/{org_id}/members/{person_id}", tag = "members",
    params(("org_id" = OrgId, Path), ("person_id" = PersonId, Path)), request_body = UpdateMember,
    responses((status = 200, body = MemberView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn update_member(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    PathIds((org_id, person_id)): PathIds<(OrgId, PersonId)>,
    JsonBody(req): JsonBody<UpdateMember>,
) -> ApiResult<Json<MemberView>> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    scope.require_visible(&state, person_id).await?;
    // A member the caller may see but who is not there is 404 before any 403.
    state.accounts.member(org_id, person_id).await?;
    scope.require(OrgAction::ManageMembers)?;
    if let Some(change) = state.accounts.change_role(org_id, person_id, req.role).await? {
        audit(
            &state,
            Some(org_id),
            Some(principal.person.id),
            "member.role_changed",
            Some(person_id.to_string()),
            serde_json::json!({ "from": change.from, "to": change.to, "relationships_ended": change.relationships_ended }),
            &ip,
        )
        .await;
    }
    Ok(Json(state.accounts.member(org_id, person_id).await?.into()))
}

/// Remove a member from the organisation (admins).
#[utoipa::path(delete, path = "/orgs/{org_id}/members/{person_id}", tag = "members",
    params(("org_id" = OrgId, Path), ("person_id" = PersonId, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn remove_member(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    PathIds((org_id, person_id)): PathIds<(OrgId, PersonId)>,
) -> ApiResult<StatusCode> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    scope.require_visible(&state, person_id).await?;
    state.accounts.member(org_id, person_id).await?;
    scope.require(OrgAction::ManageMembers)?;
    state.accounts.remove_member(org_id, person_id).await?;
    audit(
        &state,
        Some(org_id),
        Some(principal.person.id),
        "member.removed",
        Some(person_id.to_string()),
        serde_json::json!({}),
        &ip,
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}

/// The organisation's audit log, newest first (admins).
#[utoipa::path(get, path = "/orgs/{org_id}/audit", tag = "organisations", params(("org_id" = OrgId, Path), AuditQuery),
    responses((status = 200, body = [AuditView]), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_audit(
    State(state): State<AppState>,
    principal: Principal,
    PathIds(org_id): PathIds<OrgId>,
    query: Result<Query<AuditQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Vec<AuditView>>> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    scope.require(OrgAction::ViewAuditLog)?;
    let Query(query) = query.map_err(|e| ApiError::invalid("query", e.body_text()))?;
    let limit = query.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(ApiError::invalid("limit", "must be between 1 and 500"));
    }
    let events = state.store.list_audit(org_id, limit, query.before).await?;
    Ok(Json(
        events
            .into_iter()
            .map(|e| AuditView {
                id: e.id,
                actor: e.actor,
                action: e.action,
                subject: e.subject,
                detail: e.detail,
                ip: e.ip,
                created_at: e.created_at,
            })
            .collect(),
    ))
}
