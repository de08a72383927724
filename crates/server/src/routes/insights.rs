//! Insights over HTTP: the administrator's overview of the organisation, a
//! learner's own dashboard (which their coaches, parents and managers read
//! too), the learners a caller supervises at a glance, and the settings the
//! dashboards follow (time zone, what parents may read).

use crate::routes::learning::{LearnerAccess, require_learner};
use crate::{
    auth::{ClientIp, Principal},
    authz::OrgScope,
    error::{ApiError, ApiResult, ErrorBody},
    json::{JsonBody, PathIds},
    routes::audit,
    state::AppState,
};
use axum::extract::rejection::QueryRejection;
use axum::{
    Json,
    extract::{Query, State},
};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use wayfinder_accounts_rules::policy::{self, OrgAction};
use wayfinder_accounts_rules::{OrgId, PersonId, RelationshipKind, Role};
use wayfinder_insights::{
    InsightSettings, InsightSettingsChange, InsightsError, LearnerDashboard, LearnerGlance, OrgOverview,
};

impl From<InsightsError> for ApiError {
    fn from(e: InsightsError) -> Self {
        match e {
            InsightsError::Invalid { field, message } => ApiError::invalid(field, message),
            InsightsError::Learning(e) => e.into(),
            InsightsError::Store(e) => e.into(),
        }
    }
}

/// The range an overview covers.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OverviewQuery {
    /// Local days up to today, 1 to 366 (default 30).
    pub days: Option<i64>,
}

/// The organisation at a glance: active people by day and week, conversations and answers by
/// kind, feedback and its reasons, tokens and cost by day, coach profile and person, the
/// knowledge base's size, programs and enrolment (administrators).
#[utoipa::path(get, path = "/orgs/{org_id}/insights/overview", tag = "insights",
    params(("org_id" = OrgId, Path), OverviewQuery),
    responses((status = 200, body = OrgOverview), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn overview(
    State(state): State<AppState>,
    principal: Principal,
    PathIds(org_id): PathIds<OrgId>,
    query: Result<Query<OverviewQuery>, QueryRejection>,
) -> ApiResult<Json<OrgOverview>> {
    let Query(query) = query.map_err(|e| ApiError::invalid("query", e.body_text()))?;
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    scope.require(OrgAction::ViewOrgInsights)?;
    Ok(Json(state.insights.overview(org_id, query.days.unwrap_or(30), Utc::now()).await?))
}

/// A learner's dashboard: activity and streak, progress on each program, mastery over time and
/// the reviews coming up (the learner, their coaches, parents, their coaches' managers, admins).
#[utoipa::path(get, path = "/orgs/{org_id}/insights/learners/{person_id}", tag = "insights",
    params(("org_id" = OrgId, Path), ("person_id" = String, Path)),
    responses((status = 200, body = LearnerDashboard), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn learner_dashboard(
    State(state): State<AppState>,
    principal: Principal,
    PathIds((org_id, learner)): PathIds<(OrgId, PersonId)>,
) -> ApiResult<Json<LearnerDashboard>> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    require_learner(&state, &scope, learner, LearnerAccess::Read).await?;
    Ok(Json(state.insights.learner(org_id, learner, Utc::now()).await?))
}

/// Which learners to list.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct GlanceQuery {
    /// Only this coach's learners (administrators and managers).
    pub coach: Option<String>,
    /// Learners per page, 1 to 200 (default 50).
    pub limit: Option<usize>,
    /// Learners to skip, in name order (default 0).
    pub offset: Option<usize>,
}

/// Most learners one page of the glance holds.
const MAX_GLANCE_PAGE: usize = 200;

/// One page of learners at a glance.
#[derive(Serialize, ToSchema)]
pub struct LearnersAtAGlance {
    /// In name order.
    pub learners: Vec<LearnerGlance>,
    /// Learners in all pages.
    pub total: usize,
    /// Whether `topics` may be shown to this caller (parents see them only where the
    /// organisation and the learner allow them to read conversations).
    pub topics_visible: bool,
}

/// The learners the caller supervises at a glance: last active, progress, mastery trend, at-risk
/// flags with reasons, the topics they asked about (a coach: their learners; a parent: their
/// linked learners; a manager: their coaches' learners; an admin: every learner).
#[utoipa::path(get, path = "/orgs/{org_id}/insights/learners", tag = "insights",
    params(("org_id" = OrgId, Path), GlanceQuery),
    responses((status = 200, body = LearnersAtAGlance), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn learners_at_a_glance(
    State(state): State<AppState>,
    principal: Principal,
    PathIds(org_id): PathIds<OrgId>,
    query: Result<Query<GlanceQuery>, QueryRejection>,
) -> ApiResult<Json<LearnersAtAGlance>> {
    let Query(query) = query.map_err(|e| ApiError::invalid("query", e.body_text()))?;
    let limit = query.limit.unwrap_or(50);
    if !(1..=MAX_GLANCE_PAGE).contains(&limit) {
        return Err(ApiError::invalid("limit", format!("must be 1 to {MAX_GLANCE_PAGE}")));
    }
    let coach = match &query.coach {
        Some(raw) => Some(raw.parse::<PersonId>().map_err(|_| ApiError::not_found("member"))?),
        None => None,
    };
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    scope.require(OrgAction::ViewPrograms)?;
    let relationships = state.store.relationships_near(org_id, principal.person.id).await?;
    let learners: Vec<PersonId> = match coach {
        Some(coach) => {
            scope.require_visible(&state, coach).await?;
            if !scope.actor.is_admin() && scope.actor.role != Some(Role::Manager) {
                return Err(ApiError::forbidden());
            }
            let theirs = state.store.relationships_near(org_id, coach).await?;
            let supervised = scope.supervised(&state).await?;
            theirs
                .iter()
                .filter(|r| r.kind == RelationshipKind::CoachLearner && r.from_person == coach)
                .map(|r| r.to_person)
                .filter(|l| scope.actor.is_admin() || supervised.contains(l))
                .collect()
        }
        None if scope.actor.is_admin() => state.store.members_with_role(org_id, Role::Learner).await?,
        None => {
            let supervised = policy::supervised_people(&scope.actor, &relationships);
            let mut learners: Vec<PersonId> = supervised.into_iter().collect();
            let roles = state.store.roles_of(org_id, &learners).await?;
            learners.retain(|p| roles.get(p) == Some(&Role::Learner));
            learners
        }
    };
    let mut named = state.store.display_names(org_id, &learners).await?;
    named.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
    let total = named.len();
    let page: Vec<PersonId> = named.into_iter().skip(query.offset.unwrap_or(0)).take(limit).map(|(p, _)| p).collect();
    let topics_visible = scope.actor.role != Some(Role::Parent);
    let mut learners = state.insights.learners(org_id, &page, true, Utc::now()).await?;
    if !topics_visible {
        // A parent sees what a learner asked about only where both the organisation and the
        // learner let parents read conversations.
        let allowed = state.store.parents_may_read_conversations(org_id).await?;
        for glance in &mut learners {
            let person: PersonId = glance.person_id.parse().map_err(|_| ApiError::not_found("member"))?;
            if !(allowed && state.store.shares_conversations_with_parents(org_id, person).await?) {
                glance.topics.clear();
            }
        }
    }
    Ok(Json(LearnersAtAGlance { learners, total, topics_visible }))
}

/// The organisation's dashboard settings: its time zone, and whether parents may read the
/// conversations of learners who agree (every member reads them).
#[utoipa::path(get, path = "/orgs/{org_id}/insight-settings", tag = "insights",
    params(("org_id" = OrgId, Path)),
    responses((status = 200, body = InsightSettings), (status = 404, body = ErrorBody)))]
pub async fn get_insight_settings(
    State(state): State<AppState>,
    principal: Principal,
    PathIds(org_id): PathIds<OrgId>,
) -> ApiResult<Json<InsightSettings>> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    scope.require(OrgAction::ViewOrganisation)?;
    Ok(Json(state.insights.settings(org_id).await?))
}

/// Change the dashboard settings (administrators).
#[utoipa::path(put, path = "/orgs/{org_id}/insight-settings", tag = "insights",
    params(("org_id" = OrgId, Path)), request_body = InsightSettingsChange,
    responses((status = 200, body = InsightSettings), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn put_insight_settings(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    PathIds(org_id): PathIds<OrgId>,
    JsonBody(change): JsonBody<InsightSettingsChange>,
) -> ApiResult<Json<InsightSettings>> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    scope.require(OrgAction::UpdateOrganisation)?;
    let settings = state.insights.update_settings(org_id, change).await?;
    let detail = serde_json::json!({
        "time_zone": settings.time_zone,
        "parents_may_read_conversations": settings.parents_may_read_conversations,
    });
    audit(&state, Some(org_id), Some(principal.person.id), "insights.settings_changed", None, detail, &ip).await;
    Ok(Json(settings))
}

/// Whether a learner lets the parents who follow them read their conversations.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConversationSharing {
    /// Parents read them only when the organisation allows it too (off by default).
    pub share_with_parents: bool,
}

/// The caller's own choice: may their parents read their conversations?
#[utoipa::path(get, path = "/orgs/{org_id}/conversation-sharing", tag = "insights",
    params(("org_id" = OrgId, Path)),
    responses((status = 200, body = ConversationSharing), (status = 404, body = ErrorBody)))]
pub async fn get_conversation_sharing(
    State(state): State<AppState>,
    principal: Principal,
    PathIds(org_id): PathIds<OrgId>,
) -> ApiResult<Json<ConversationSharing>> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    scope.require(OrgAction::UseCoach)?;
    let share_with_parents = state.store.shares_conversations_with_parents(org_id, principal.person.id).await?;
    Ok(Json(ConversationSharing { share_with_parents }))
}

/// Let (or stop letting) the caller's parents read their conversations.
#[utoipa::path(put, path = "/orgs/{org_id}/conversation-sharing", tag = "insights",
    params(("org_id" = OrgId, Path)), request_body = ConversationSharing,
    responses((status = 200, body = ConversationSharing), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_conversation_sharing(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    PathIds(org_id): PathIds<OrgId>,
    JsonBody(body): JsonBody<ConversationSharing>,
) -> ApiResult<Json<ConversationSharing>> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    scope.require(OrgAction::UseCoach)?;
    let person = principal.person.id;
    state.store.set_shares_conversations_with_parents(org_id, person, body.share_with_parents).await?;
    let detail = serde_json::json!({ "share_with_parents": body.share_with_parents });
    audit(&state, Some(org_id), Some(person), "conversations.sharing_changed", None, detail, &ip).await;
    Ok(Json(body))
}
