//! Relationships between members: coach→learner, parent→learner,
//! manager→coach. They decide who sees whom (see the permission policy).

use crate::{
    auth::{ClientIp, Principal},
    authz::OrgScope,
    error::{ApiError, ApiResult, ErrorBody},
    json::{JsonBody, PathIds},
    routes::audit,
    state::AppState,
};
use axum::{Json, extract::State, http::StatusCode};
use serde::Deserialize;
use utoipa::ToSchema;
use wayfinder_accounts_rules::{
    OrgId, PersonId, Relationship, RelationshipId, RelationshipKind,
    policy::{OrgAction, may_view_relationship},
};

/// A new relationship: `from_person` (coach, parent or manager) to `to_person`.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateRelationship {
    pub kind: RelationshipKind,
    pub from_person: PersonId,
    pub to_person: PersonId,
}

/// Relationships the caller may see (admins: all).
#[utoipa::path(get, path = "/orgs/{org_id}/relationships", tag = "relationships", params(("org_id" = OrgId, Path)),
    responses((status = 200, body = [Relationship]), (status = 404, body = ErrorBody)))]
pub async fn list_relationships(
    State(state): State<AppState>,
    principal: Principal,
    PathIds(org_id): PathIds<OrgId>,
) -> ApiResult<Json<Vec<Relationship>>> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    scope.require(OrgAction::ViewRelationships)?;
    let visibility = scope.visibility(&state).await?;
    let all = if scope.actor.is_admin() {
        state.store.list_relationships(org_id).await?
    } else {
        state.store.relationships_near(org_id, principal.person.id).await?
    };
    Ok(Json(all.into_iter().filter(|r| may_view_relationship(&visibility, r)).collect()))
}

/// Create a relationship (admins). Both people must be members holding the
/// roles the kind needs (a coach and a learner for `coach_learner`, …).
#[utoipa::path(post, path = "/orgs/{org_id}/relationships", tag = "relationships", params(("org_id" = OrgId, Path)),
    request_body = CreateRelationship,
    responses((status = 201, body = Relationship), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_relationship(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    PathIds(org_id): PathIds<OrgId>,
    JsonBody(req): JsonBody<CreateRelationship>,
) -> ApiResult<(StatusCode, Json<Relationship>)> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    let visibility = scope.visibility(&state).await?;
    // Someone the caller may not see, or who is not a member, is 404 before any 403.
    for (field, person) in [("from_person", req.from_person), ("to_person", req.to_person)] {
        if !visibility.includes(person) || state.store.role_in(org_id, person).await?.is_none() {
            return Err(ApiError::not_found("member of this organisation").with_field(field));
        }
    }
    scope.require(OrgAction::ManageRelationships)?;
    let rel = state.accounts.create_relationship(org_id, req.kind, req.from_person, req.to_person).await?;
    audit(
        &state,
        Some(org_id),
        Some(principal.person.id),
        "relationship.created",
        Some(rel.id.to_string()),
        serde_json::json!({ "kind": rel.kind, "from": rel.from_person, "to": rel.to_person }),
        &ip,
    )
    .await;
    Ok((StatusCode::CREATED, Json(rel)))
}

/// Delete a relationship (admins).
#[utoipa::path(delete, path = "/orgs/{org_id}/relationships/{relationship_id}", tag = "relationships",
    params(("org_id" = OrgId, Path), ("relationship_id" = RelationshipId, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_relationship(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    PathIds((org_id, id)): PathIds<(OrgId, RelationshipId)>,
) -> ApiResult<StatusCode> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    let relationship = state.store.relationship(org_id, id).await.map_err(|_| ApiError::not_found("relationship"))?;
    if !may_view_relationship(&scope.visibility(&state).await?, &relationship) {
        return Err(ApiError::not_found("relationship"));
    }
    scope.require(OrgAction::ManageRelationships)?;
    state.store.delete_relationship(org_id, id).await.map_err(|_| ApiError::not_found("relationship"))?;
    audit(
        &state,
        Some(org_id),
        Some(principal.person.id),
        "relationship.deleted",
        Some(id.to_string()),
        serde_json::json!({}),
        &ip,
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}
