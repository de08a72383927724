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
use axum::body::Body;
use axum::extract::Path;
use axum::extract::rejection::QueryRejection;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{
    Json,
    extract::{Query, State},
};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::{IntoParams, ToSchema};
use wayfinder_accounts_rules::policy::{self, OrgAction};
use wayfinder_accounts_rules::{OrgId, PersonId, Relationship, RelationshipKind, Role};
use wayfinder_insights::{
    Alert, AlertRule, InsightSettings, InsightSettingsChange, InsightsError, KnowledgeGaps, LearnerDashboard,
    LearnerGlance, Notification, OrgOverview, Outcomes, TeamInsights,
};
use wayfinder_insights::{Cell, CsvTable};
use wayfinder_insights_rules::alerts::AlertRuleSpec;
use wayfinder_insights_rules::{AlertRuleId, NotificationId};

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
    /// Whether topics may be shown to this caller at all (for a parent: the organisation lets
    /// parents read conversations; each learner's own consent is in their `topics_visible`).
    pub topics_visible: bool,
    /// The organisation's local date today, which `last_active` is counted against.
    pub today: chrono::NaiveDate,
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
    let offset = query.offset.unwrap_or(0);
    let (page, total): (Vec<PersonId>, usize) = if scope.actor.is_admin() && coach.is_none() {
        // Every learner of the organisation: the page is read in name order by the database.
        scope.require(OrgAction::ViewPrograms)?;
        let (page, total) = state.store.members_page(org_id, Role::Learner, offset as i64, limit as i64).await?;
        (page.into_iter().map(|(p, _)| p).collect(), total as usize)
    } else {
        let learners = glance_learners(&state, &scope, coach).await?;
        let mut named = state.store.display_names(org_id, &learners).await?;
        named.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
        let total = named.len();
        (named.into_iter().skip(offset).take(limit).map(|(p, _)| p).collect(), total)
    };
    let topics_visible =
        scope.actor.role != Some(Role::Parent) || state.store.parents_may_read_conversations(org_id).await?;
    let now = Utc::now();
    let mut learners = state.insights.learners(org_id, &page, true, now).await?;
    hide_topics_from_parents(&state, &scope, &mut learners).await?;
    let today = state.store.org_time_zone(org_id).await?.day_of(now).date();
    Ok(Json(LearnersAtAGlance { learners, total, topics_visible, today }))
}

/// The learners a caller's glance lists: an admin every learner, a coach their learners, a
/// parent their linked learners, a manager their coaches' learners; with `coach`, only that
/// coach's (admins and managers).
async fn glance_learners(state: &AppState, scope: &OrgScope, coach: Option<PersonId>) -> ApiResult<Vec<PersonId>> {
    scope.require(OrgAction::ViewPrograms)?;
    let relationships = state.store.relationships_near(scope.org.id, scope.actor.person).await?;
    let learners: Vec<PersonId> = match coach {
        Some(coach) => {
            scope.require_visible(state, coach).await?;
            if !scope.actor.is_admin() && scope.actor.role != Some(Role::Manager) {
                return Err(ApiError::forbidden());
            }
            let theirs = state.store.relationships_near(scope.org.id, coach).await?;
            let supervised = scope.supervised(state).await?;
            theirs
                .iter()
                .filter(|r| r.kind == RelationshipKind::CoachLearner && r.from_person == coach)
                .map(|r| r.to_person)
                .filter(|l| scope.actor.is_admin() || supervised.contains(l))
                .collect()
        }
        None if scope.actor.is_admin() => state.store.members_with_role(scope.org.id, Role::Learner).await?,
        None => {
            let supervised = policy::supervised_people(&scope.actor, &relationships);
            let mut learners: Vec<PersonId> = supervised.into_iter().collect();
            let roles = state.store.roles_of(scope.org.id, &learners).await?;
            learners.retain(|p| roles.get(p) == Some(&Role::Learner));
            learners
        }
    };
    Ok(learners)
}

/// A parent sees what a learner asked about only where both the organisation and the learner let
/// parents read conversations.
async fn hide_topics_from_parents(state: &AppState, scope: &OrgScope, learners: &mut [LearnerGlance]) -> ApiResult<()> {
    if scope.actor.role != Some(Role::Parent) {
        return Ok(());
    }
    let allowed = state.store.parents_may_read_conversations(scope.org.id).await?;
    for glance in learners {
        let person: PersonId = glance.person_id.parse().map_err(|_| ApiError::not_found("member"))?;
        if !(allowed && state.store.shares_conversations_with_parents(scope.org.id, person).await?) {
            glance.topics.clear();
            glance.topics_visible = false;
        }
    }
    Ok(())
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

/// The period of a report.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PeriodQuery {
    /// Days back from now (knowledge gaps: 1 to 365, default 30; outcomes: 7 to 366, default 90).
    pub days: Option<i64>,
}

/// The topics the knowledge base could not answer, grouped by meaning (or shared words without an
/// embedding model), with counts, examples and a weekly trend (administrators).
#[utoipa::path(get, path = "/orgs/{org_id}/insights/gaps", tag = "insights",
    params(("org_id" = OrgId, Path), PeriodQuery),
    responses((status = 200, body = KnowledgeGaps), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn knowledge_gaps(
    State(state): State<AppState>,
    principal: Principal,
    PathIds(org_id): PathIds<OrgId>,
    query: Result<Query<PeriodQuery>, QueryRejection>,
) -> ApiResult<Json<KnowledgeGaps>> {
    let Query(query) = query.map_err(|e| ApiError::invalid("query", e.body_text()))?;
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    scope.require(OrgAction::ViewOrgInsights)?;
    Ok(Json(state.insights.gaps(org_id, query.days.unwrap_or(30), Utc::now()).await?))
}

/// Did coaching work? Per program, learners who used the coach against those who did not, on
/// mastery gained and return rate, with sample sizes and a 95 % interval (administrators).
#[utoipa::path(get, path = "/orgs/{org_id}/insights/outcomes", tag = "insights",
    params(("org_id" = OrgId, Path), PeriodQuery),
    responses((status = 200, body = Outcomes), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn outcomes(
    State(state): State<AppState>,
    principal: Principal,
    PathIds(org_id): PathIds<OrgId>,
    query: Result<Query<PeriodQuery>, QueryRejection>,
) -> ApiResult<Json<Outcomes>> {
    let Query(query) = query.map_err(|e| ApiError::invalid("query", e.body_text()))?;
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    scope.require(OrgAction::ViewOrgInsights)?;
    Ok(Json(state.insights.outcomes(org_id, query.days.unwrap_or(90), Utc::now()).await?))
}

/// The coaches the caller oversees (a manager: theirs; an admin: every coach) with their learners'
/// engagement, outcomes, feedback and risk, and their own onboarding.
#[utoipa::path(get, path = "/orgs/{org_id}/insights/team", tag = "insights",
    params(("org_id" = OrgId, Path)),
    responses((status = 200, body = TeamInsights), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn team(
    State(state): State<AppState>,
    principal: Principal,
    PathIds(org_id): PathIds<OrgId>,
) -> ApiResult<Json<TeamInsights>> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    Ok(Json(coaches_teams(&state, &scope, Utc::now()).await?))
}

/// The teams of the coaches a manager oversees (every coach's for an admin); 403 for anyone else.
async fn coaches_teams(state: &AppState, scope: &OrgScope, now: chrono::DateTime<Utc>) -> ApiResult<TeamInsights> {
    let org = scope.org.id;
    let (coaches, relationships): (Vec<PersonId>, Vec<Relationship>) = if scope.actor.is_admin() {
        (state.store.members_with_role(org, Role::Coach).await?, state.store.list_relationships(org).await?)
    } else if scope.actor.role == Some(Role::Manager) {
        let near = state.store.relationships_near(org, scope.actor.person).await?;
        let coaches = near
            .iter()
            .filter(|r| r.kind == RelationshipKind::ManagerCoach && r.from_person == scope.actor.person)
            .map(|r| r.to_person)
            .collect();
        (coaches, near)
    } else {
        return Err(ApiError::forbidden());
    };
    let mut learners_of: HashMap<PersonId, Vec<PersonId>> = HashMap::new();
    for r in
        relationships.iter().filter(|r| r.kind == RelationshipKind::CoachLearner && coaches.contains(&r.from_person))
    {
        learners_of.entry(r.from_person).or_default().push(r.to_person);
    }
    Ok(state.insights.team(org, &coaches, &learners_of, now).await?)
}

/// The organisation's alert rules (administrators).
#[utoipa::path(get, path = "/orgs/{org_id}/alert-rules", tag = "insights",
    params(("org_id" = OrgId, Path)),
    responses((status = 200, body = [AlertRule]), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_alert_rules(
    State(state): State<AppState>,
    principal: Principal,
    PathIds(org_id): PathIds<OrgId>,
) -> ApiResult<Json<Vec<AlertRule>>> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    scope.require(OrgAction::ViewOrgInsights)?;
    Ok(Json(state.insights.alert_rules(org_id).await?))
}

/// Add an alert rule: a share of unhelpful ratings or of refusals in the last hour, the day's
/// cost, a person's cost today, or a learner at risk (administrators).
#[utoipa::path(post, path = "/orgs/{org_id}/alert-rules", tag = "insights",
    params(("org_id" = OrgId, Path)), request_body = AlertRuleSpec,
    responses((status = 201, body = AlertRule), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn add_alert_rule(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    PathIds(org_id): PathIds<OrgId>,
    JsonBody(spec): JsonBody<AlertRuleSpec>,
) -> ApiResult<(StatusCode, Json<AlertRule>)> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    scope.require(OrgAction::ViewOrgInsights)?;
    let rule = state.insights.add_alert_rule(org_id, spec, principal.person.id).await?;
    let detail = serde_json::json!({ "kind": rule.kind, "threshold": rule.threshold, "min_count": rule.min_count });
    audit(&state, Some(org_id), Some(principal.person.id), "alert_rule.added", Some(rule.id.clone()), detail, &ip)
        .await;
    Ok((StatusCode::CREATED, Json(rule)))
}

/// Remove an alert rule with its alerts (administrators).
#[utoipa::path(delete, path = "/orgs/{org_id}/alert-rules/{rule_id}", tag = "insights",
    params(("org_id" = OrgId, Path), ("rule_id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn remove_alert_rule(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    PathIds((org_id, rule)): PathIds<(OrgId, AlertRuleId)>,
) -> ApiResult<StatusCode> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    scope.require_or_hide(OrgAction::ViewOrgInsights, "alert rule")?;
    state.insights.remove_alert_rule(org_id, rule).await.map_err(|e| match e {
        InsightsError::Store(wayfinder_store::StoreError::NotFound) => ApiError::not_found("alert rule"),
        e => e.into(),
    })?;
    let detail = serde_json::json!({});
    audit(&state, Some(org_id), Some(principal.person.id), "alert_rule.removed", Some(rule.to_string()), detail, &ip)
        .await;
    Ok(StatusCode::NO_CONTENT)
}

/// The organisation's alerts, newest first (administrators).
#[utoipa::path(get, path = "/orgs/{org_id}/alerts", tag = "insights",
    params(("org_id" = OrgId, Path)),
    responses((status = 200, body = [Alert]), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_alerts(
    State(state): State<AppState>,
    principal: Principal,
    PathIds(org_id): PathIds<OrgId>,
) -> ApiResult<Json<Vec<Alert>>> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    scope.require(OrgAction::ViewOrgInsights)?;
    Ok(Json(state.insights.alerts(org_id).await?))
}

/// Evaluate the alert rules now (they are also evaluated every minute); answers what fired
/// (administrators).
#[utoipa::path(post, path = "/orgs/{org_id}/alerts/evaluate", tag = "insights",
    params(("org_id" = OrgId, Path)),
    responses((status = 200, body = [Alert]), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn evaluate_alerts(
    State(state): State<AppState>,
    principal: Principal,
    PathIds(org_id): PathIds<OrgId>,
) -> ApiResult<Json<Vec<Alert>>> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    scope.require(OrgAction::ViewOrgInsights)?;
    Ok(Json(state.insights.evaluate_alerts(org_id, Utc::now()).await?))
}

/// The alerts delivered to the caller in the app, newest first.
#[utoipa::path(get, path = "/orgs/{org_id}/notifications", tag = "insights",
    params(("org_id" = OrgId, Path)),
    responses((status = 200, body = [Notification]), (status = 404, body = ErrorBody)))]
pub async fn list_notifications(
    State(state): State<AppState>,
    principal: Principal,
    PathIds(org_id): PathIds<OrgId>,
) -> ApiResult<Json<Vec<Notification>>> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    scope.require(OrgAction::ViewOrganisation)?;
    Ok(Json(state.insights.notifications(org_id, principal.person.id).await?))
}

/// Mark one of the caller's notifications read.
#[utoipa::path(post, path = "/orgs/{org_id}/notifications/{notification_id}/read", tag = "insights",
    params(("org_id" = OrgId, Path), ("notification_id" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn read_notification(
    State(state): State<AppState>,
    principal: Principal,
    PathIds((org_id, id)): PathIds<(OrgId, NotificationId)>,
) -> ApiResult<StatusCode> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    scope.require(OrgAction::ViewOrganisation)?;
    state.insights.mark_notification_read(org_id, principal.person.id, id).await.map_err(|e| match e {
        InsightsError::Store(wayfinder_store::StoreError::NotFound) => ApiError::not_found("notification"),
        e => e.into(),
    })?;
    Ok(StatusCode::NO_CONTENT)
}

wayfinder_accounts_rules::closed_set! {
/// A table to export as CSV.
pub enum ExportTable {
    /// The learners the caller supervises at a glance (everyone who may list them).
    Learners,
    /// The coaches the caller oversees and their teams (managers, admins).
    Team,
    /// The organisation's days (admins).
    Activity,
    /// Use and cost per coach profile (admins).
    Coaches,
    /// Use and cost per person (admins).
    People,
    /// Knowledge-gap topics (admins).
    Gaps,
    /// Fired alerts (admins).
    Alerts,
    /// Every message of the organisation, streamed (admins).
    Messages,
}
}

/// The period of an export (activity, coaches, people: 1 to 366 days, default 90; gaps: 1 to
/// 365, default 30).
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    pub days: Option<i64>,
}

/// Download a table as CSV (quoted, with cells that would start a spreadsheet formula prefixed
/// by an apostrophe). Each table follows the permissions of the view it comes from; `messages`
/// is streamed a page at a time.
#[utoipa::path(get, path = "/orgs/{org_id}/exports/{table}", tag = "insights",
    params(("org_id" = OrgId, Path), ("table" = inline(ExportTable), Path), ExportQuery),
    responses((status = 200, content_type = "text/csv", body = String), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn export_table(
    State(state): State<AppState>,
    principal: Principal,
    Path((org_id, table)): Path<(String, String)>,
    query: Result<Query<ExportQuery>, QueryRejection>,
) -> ApiResult<Response> {
    let org_id: OrgId = org_id.parse().map_err(|_| ApiError::not_found("organisation"))?;
    let table: ExportTable = table.parse().map_err(|_| ApiError::not_found("export"))?;
    let Query(query) = query.map_err(|e| ApiError::invalid("query", e.body_text()))?;
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    let now = Utc::now();
    let days = query.days.unwrap_or(if table == ExportTable::Gaps { 30 } else { 90 });
    if !matches!(table, ExportTable::Learners | ExportTable::Team) {
        scope.require(OrgAction::ViewOrgInsights)?;
    }
    let csv = |body: Body| {
        let name = format!("attachment; filename=\"{table}.csv\"");
        ([(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, name)], body)
            .into_response()
    };
    let bytes = match table {
        ExportTable::Messages => {
            let chunks = state.insights.messages_csv(org_id);
            let stream = futures::stream::unfold(chunks, |mut chunks| async move {
                let chunk = chunks.recv().await?;
                Some((chunk.map(bytes::Bytes::from).map_err(std::io::Error::other), chunks))
            });
            return Ok(csv(Body::from_stream(stream)));
        }
        ExportTable::Learners => {
            let learners = glance_learners(&state, &scope, None).await?;
            // A few hundred learners at a time, so each read names a bounded set of people.
            let mut glances = Vec::with_capacity(learners.len());
            for chunk in learners.chunks(500) {
                glances.extend(state.insights.learners(org_id, chunk, true, now).await?);
            }
            hide_topics_from_parents(&state, &scope, &mut glances).await?;
            glances.sort_by(|a, b| a.name.cmp(&b.name));
            let mut t = CsvTable::new(&[
                "person_id",
                "name",
                "last_active",
                "enrolled_concepts",
                "mastered_concepts",
                "goal_progress",
                "mastery_change_7d",
                "questions_7d",
                "answers_7d",
                "wrong_7d",
                "at_risk",
                "topics",
            ]);
            for g in glances {
                let risks: Vec<String> = g.at_risk.iter().map(|f| format!("{}: {}", f.reason, f.detail)).collect();
                let topics: Vec<String> = g.topics.iter().map(|t| format!("{} ({})", t.topic, t.questions)).collect();
                t.row::<_, Cell>([
                    g.person_id.into(),
                    g.name.into(),
                    g.last_active.map(|d| d.to_string()).unwrap_or_default().into(),
                    g.enrolled_concepts.into(),
                    g.mastered_concepts.into(),
                    g.goal_progress.into(),
                    g.mastery_change_7d.into(),
                    g.questions_7d.into(),
                    g.answers_7d.into(),
                    g.wrong_7d.into(),
                    risks.join("; ").into(),
                    topics.join("; ").into(),
                ]);
            }
            t.finish()
        }
        ExportTable::Team => {
            let team = coaches_teams(&state, &scope, now).await?;
            let mut t = CsvTable::new(&[
                "person_id",
                "name",
                "learners",
                "active_learners_7d",
                "questions",
                "answers",
                "mastery_gained",
                "active_learner_weeks",
                "mastery_per_active_week",
                "helpful",
                "unhelpful",
                "learners_at_risk",
                "training_stage",
            ]);
            for c in team.coaches {
                t.row::<_, Cell>([
                    c.person_id.into(),
                    c.name.into(),
                    c.learners.into(),
                    c.active_learners_7d.into(),
                    c.questions.into(),
                    c.answers.into(),
                    c.mastery_gained.into(),
                    c.active_learner_weeks.into(),
                    c.mastery_per_active_week.into(),
                    c.helpful.into(),
                    c.unhelpful.into(),
                    c.learners_at_risk.into(),
                    c.training.map(|p| p.stage.to_string()).unwrap_or_default().into(),
                ]);
            }
            t.finish()
        }
        ExportTable::Activity | ExportTable::Coaches | ExportTable::People => {
            let overview = state.insights.overview(org_id, days, now).await?;
            let people = if table == ExportTable::People {
                state.insights.people_usage(org_id, days, now).await?
            } else {
                Vec::new()
            };
            match table {
                ExportTable::Activity => {
                    let mut t = CsvTable::new(&[
                        "date",
                        "active_people",
                        "conversations",
                        "questions",
                        "generated",
                        "extractive",
                        "refused",
                        "failed",
                        "helpful",
                        "unhelpful",
                        "tokens",
                        "cost",
                        "evidence",
                    ]);
                    for d in overview.days {
                        t.row::<_, Cell>([
                            d.date.to_string().into(),
                            d.active_people.into(),
                            d.conversations.into(),
                            d.questions.into(),
                            d.generated.into(),
                            d.extractive.into(),
                            d.refused.into(),
                            d.failed.into(),
                            d.helpful.into(),
                            d.unhelpful.into(),
                            d.tokens.into(),
                            d.cost.into(),
                            d.evidence.into(),
                        ]);
                    }
                    t.finish()
                }
                ExportTable::Coaches => {
                    let mut t = CsvTable::new(&[
                        "coach_id",
                        "name",
                        "questions",
                        "generated",
                        "extractive",
                        "refused",
                        "helpful",
                        "unhelpful",
                        "tokens",
                        "cost",
                    ]);
                    for c in overview.cost_by_coach {
                        t.row::<_, Cell>([
                            c.coach_id.into(),
                            c.name.unwrap_or_default().into(),
                            c.questions.into(),
                            c.generated.into(),
                            c.extractive.into(),
                            c.refused.into(),
                            c.helpful.into(),
                            c.unhelpful.into(),
                            c.tokens.into(),
                            c.cost.into(),
                        ]);
                    }
                    t.finish()
                }
                _ => {
                    let mut t = CsvTable::new(&["person_id", "name", "questions", "tokens", "cost"]);
                    for p in people {
                        t.row::<_, Cell>([
                            p.person_id.into(),
                            p.name.into(),
                            p.questions.into(),
                            p.tokens.into(),
                            p.cost.into(),
                        ]);
                    }
                    t.finish()
                }
            }
        }
        ExportTable::Gaps => {
            let gaps = state.insights.gaps(org_id, days, now).await?;
            let mut t = CsvTable::new(&[
                "label",
                "keywords",
                "unanswered",
                "refused",
                "low_confidence",
                "missing_source",
                "answered",
                "refusal_rate",
                "first_asked",
                "last_asked",
            ]);
            for g in gaps.topics {
                t.row::<_, Cell>([
                    g.label.into(),
                    g.keywords.join(" ").into(),
                    g.unanswered.into(),
                    g.refused.into(),
                    g.low_confidence.into(),
                    g.missing_source.into(),
                    g.answered.into(),
                    g.refusal_rate.into(),
                    g.first_asked.to_rfc3339().into(),
                    g.last_asked.to_rfc3339().into(),
                ]);
            }
            t.finish()
        }
        ExportTable::Alerts => {
            let mut t = CsvTable::new(&["id", "kind", "person_id", "message", "value", "fired_at", "cleared_at"]);
            for a in state.insights.alerts(org_id).await? {
                t.row::<_, Cell>([
                    a.id.into(),
                    a.kind.to_string().into(),
                    a.person_id.unwrap_or_default().into(),
                    a.message.into(),
                    a.value.into(),
                    a.fired_at.to_rfc3339().into(),
                    a.cleared_at.map(|c| c.to_rfc3339()).unwrap_or_default().into(),
                ]);
            }
            t.finish()
        }
    };
    Ok(csv(Body::from(bytes)))
}
