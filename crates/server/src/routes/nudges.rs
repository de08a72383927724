//! Nudges over HTTP: an organisation's rules (admins), their evaluation now,
//! each rule's measured effect, and each person's own reach settings (time
//! zone, quiet hours, weekly cap, preferred channel).

use crate::{
    auth::{ClientIp, Principal},
    authz::OrgScope,
    error::{ApiResult, ErrorBody},
    json::{JsonBody, PathIds},
    routes::{audit, channels::member_scope},
    state::AppState,
};
use axum::{Json, extract::State, http::StatusCode};
use chrono::Utc;
use wayfinder_accounts_rules::OrgId;
use wayfinder_accounts_rules::policy::OrgAction;
use wayfinder_channels::nudges::{NudgeEffect, NudgeRule, NudgeRuleSpec, NudgeRun, ReachSettings};
use wayfinder_channels_rules::NudgeRuleId;

async fn admin(state: &AppState, principal: &Principal, org_id: OrgId) -> ApiResult<()> {
    OrgScope::load(state, principal, org_id).await?.require(OrgAction::ManageNudges)
}

/// The organisation's nudge rules (admins).
#[utoipa::path(get, path = "/orgs/{org_id}/nudge-rules", tag = "nudges", params(("org_id" = OrgId, Path)),
    responses((status = 200, body = Vec<NudgeRule>), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_nudge_rules(
    State(state): State<AppState>,
    principal: Principal,
    PathIds(org_id): PathIds<OrgId>,
) -> ApiResult<Json<Vec<NudgeRule>>> {
    admin(&state, &principal, org_id).await?;
    Ok(Json(state.channels.nudge_rules(org_id).await?))
}

/// Add a nudge rule (admins): a trigger, the message, and the share held out to measure it.
#[utoipa::path(post, path = "/orgs/{org_id}/nudge-rules", tag = "nudges", params(("org_id" = OrgId, Path)),
    request_body = NudgeRuleSpec,
    responses((status = 201, body = NudgeRule), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_nudge_rule(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    PathIds(org_id): PathIds<OrgId>,
    JsonBody(body): JsonBody<NudgeRuleSpec>,
) -> ApiResult<(StatusCode, Json<NudgeRule>)> {
    admin(&state, &principal, org_id).await?;
    let rule = state.channels.create_nudge_rule(org_id, body).await?;
    let detail = serde_json::json!({ "name": rule.name, "trigger": rule.trigger });
    audit(
        &state,
        Some(org_id),
        Some(principal.person.id),
        "nudge_rule.created",
        Some(rule.id.to_string()),
        detail,
        &ip,
    )
    .await;
    Ok((StatusCode::CREATED, Json(rule)))
}

/// Replace a nudge rule (admins).
#[utoipa::path(put, path = "/orgs/{org_id}/nudge-rules/{rule_id}", tag = "nudges",
    params(("org_id" = OrgId, Path), ("rule_id" = String, Path)), request_body = NudgeRuleSpec,
    responses((status = 200, body = NudgeRule), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_nudge_rule(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    PathIds((org_id, rule_id)): PathIds<(OrgId, NudgeRuleId)>,
    JsonBody(body): JsonBody<NudgeRuleSpec>,
) -> ApiResult<Json<NudgeRule>> {
    admin(&state, &principal, org_id).await?;
    let rule = state.channels.update_nudge_rule(org_id, rule_id, body).await?;
    let detail = serde_json::json!({ "name": rule.name, "active": rule.active });
    audit(
        &state,
        Some(org_id),
        Some(principal.person.id),
        "nudge_rule.changed",
        Some(rule.id.to_string()),
        detail,
        &ip,
    )
    .await;
    Ok(Json(rule))
}

/// Delete a nudge rule and its decisions (admins).
#[utoipa::path(delete, path = "/orgs/{org_id}/nudge-rules/{rule_id}", tag = "nudges",
    params(("org_id" = OrgId, Path), ("rule_id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_nudge_rule(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    PathIds((org_id, rule_id)): PathIds<(OrgId, NudgeRuleId)>,
) -> ApiResult<StatusCode> {
    admin(&state, &principal, org_id).await?;
    state.channels.delete_nudge_rule(org_id, rule_id).await?;
    let detail = serde_json::json!({});
    audit(
        &state,
        Some(org_id),
        Some(principal.person.id),
        "nudge_rule.deleted",
        Some(rule_id.to_string()),
        detail,
        &ip,
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}

/// Evaluate the organisation's rules now (they are also evaluated every five minutes); answers
/// what was decided (admins).
#[utoipa::path(post, path = "/orgs/{org_id}/nudge-rules/evaluate", tag = "nudges", params(("org_id" = OrgId, Path)),
    responses((status = 200, body = NudgeRun), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn evaluate_nudges(
    State(state): State<AppState>,
    principal: Principal,
    PathIds(org_id): PathIds<OrgId>,
) -> ApiResult<Json<NudgeRun>> {
    admin(&state, &principal, org_id).await?;
    Ok(Json(state.channels.evaluate_nudges(org_id, Utc::now()).await?))
}

/// Whether a rule works: people it nudged against its holdout, on coming back within 48 hours,
/// with counts and a 95 % interval of the difference (admins).
#[utoipa::path(get, path = "/orgs/{org_id}/nudge-rules/{rule_id}/effect", tag = "nudges",
    params(("org_id" = OrgId, Path), ("rule_id" = String, Path)),
    responses((status = 200, body = NudgeEffect), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn nudge_effect(
    State(state): State<AppState>,
    principal: Principal,
    PathIds((org_id, rule_id)): PathIds<(OrgId, NudgeRuleId)>,
) -> ApiResult<Json<NudgeEffect>> {
    OrgScope::load(&state, &principal, org_id).await?.require(OrgAction::ViewOrgInsights)?;
    Ok(Json(state.channels.nudge_effect(org_id, rule_id).await?))
}

/// How the caller wants to be reached in the organisation: time zone, quiet hours, weekly cap
/// of nudges, preferred channel.
#[utoipa::path(get, path = "/orgs/{org_id}/reach-settings", tag = "nudges", params(("org_id" = OrgId, Path)),
    responses((status = 200, body = ReachSettings), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_reach_settings(
    State(state): State<AppState>,
    principal: Principal,
    PathIds(org_id): PathIds<OrgId>,
) -> ApiResult<Json<ReachSettings>> {
    member_scope(&state, &principal, org_id).await?;
    Ok(Json(state.channels.reach_settings(org_id, principal.person.id).await?))
}

/// Replace the caller's reach settings (unset fields follow the organisation's defaults).
#[utoipa::path(put, path = "/orgs/{org_id}/reach-settings", tag = "nudges", params(("org_id" = OrgId, Path)),
    request_body = ReachSettings,
    responses((status = 200, body = ReachSettings), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_reach_settings(
    State(state): State<AppState>,
    principal: Principal,
    PathIds(org_id): PathIds<OrgId>,
    JsonBody(body): JsonBody<ReachSettings>,
) -> ApiResult<Json<ReachSettings>> {
    member_scope(&state, &principal, org_id).await?;
    Ok(Json(state.channels.set_reach_settings(org_id, principal.person.id, body).await?))
}
