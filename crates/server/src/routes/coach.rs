//! The coach over HTTP: coach profiles, budgets, conversations, messages
//! (streamed as server-sent events or answered whole), feedback and shared links.

use crate::error::ErrorCode;
use crate::routes::{DataRead, note_data_read};
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
    extract::{Query, State},
    http::{HeaderMap, StatusCode, header},
    response::{
        IntoResponse, Response,
        sse::{Event, KeepAlive, Sse},
    },
};
use serde::{Deserialize, Serialize};
use std::convert::Infallible;
use tokio::sync::mpsc;
use utoipa::ToSchema;
use wayfinder_accounts_rules::{OrgId, PersonId, Role, policy, policy::OrgAction};
use wayfinder_channels_rules::Channel;
use wayfinder_coach::{Coach, CoachSpec, CoachingError, Conversation, Feedback, Message, TurnEvent};
use wayfinder_coach_rules::{
    AnswerMode, CoachId, CoachStyle, ConversationId, FeedbackRating, FeedbackReason, MessageId,
};
use wayfinder_knowledge_rules::CollectionId;
use wayfinder_store::{BudgetRecord, ConversationQuery};

impl From<CoachingError> for ApiError {
    fn from(e: CoachingError) -> Self {
        match e {
            CoachingError::NotFound(what) => ApiError::not_found(what),
            CoachingError::Invalid { field, message } => ApiError::invalid(field, message),
            CoachingError::Conflict(message) => ApiError::new(ErrorCode::Conflict, message),
            CoachingError::OverBudget(over) => ApiError::new(ErrorCode::BudgetExceeded, over.message()),
            CoachingError::Knowledge(inner) => inner.into(),
            CoachingError::Store(inner) => inner.into(),
        }
    }
}

/// A coach profile to create.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CoachBody {
    pub name: Option<String>,
    pub instructions: Option<String>,
    /// `direct` or `socratic`.
    #[schema(value_type = Option<String>)]
    pub style: Option<CoachStyle>,
    /// `grounded` (only the knowledge base) or `open` (may add marked general knowledge).
    #[schema(value_type = Option<String>)]
    pub answer_mode: Option<AnswerMode>,
    #[schema(value_type = Option<Vec<String>>)]
    pub collections: Option<Vec<CollectionId>>,
    pub domains: Option<Vec<String>>,
    pub retrieval_depth: Option<i64>,
    #[serde(default, deserialize_with = "double_option")]
    pub model: Option<Option<String>>,
    #[serde(default, deserialize_with = "double_option")]
    pub temperature: Option<Option<f64>>,
    #[serde(default, deserialize_with = "double_option")]
    pub max_output_tokens: Option<Option<i64>>,
    /// 0..1; `null` returns to the default.
    #[serde(default, deserialize_with = "double_option")]
    pub relevance_threshold: Option<Option<f64>>,
}

/// `null` given → `Some(None)` (clear), absent → `None` (keep).
fn double_option<'de, T: Deserialize<'de>, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

impl From<CoachBody> for CoachSpec {
    fn from(b: CoachBody) -> Self {
        CoachSpec {
            name: b.name,
            instructions: b.instructions,
            style: b.style,
            answer_mode: b.answer_mode,
            collections: b.collections,
            domains: b.domains,
            retrieval_depth: b.retrieval_depth,
            model: b.model,
            temperature: b.temperature,
            max_output_tokens: b.max_output_tokens,
            relevance_threshold: b.relevance_threshold,
        }
    }
}

/// An organisation's coaches.
#[derive(Serialize, ToSchema)]
pub struct CoachList {
    pub coaches: Vec<Coach>,
}

/// The organisation's coaches (every member; the default coach first).
#[utoipa::path(get, path = "/orgs/{org_id}/coaches", tag = "coach", params(("org_id" = OrgId, Path)),
    responses((status = 200, body = CoachList), (status = 404, body = ErrorBody)))]
pub async fn list_coaches(
    State(state): State<AppState>,
    principal: Principal,
    PathIds(org_id): PathIds<OrgId>,
) -> ApiResult<Json<CoachList>> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    scope.require(OrgAction::UseCoach)?;
    Ok(Json(CoachList { coaches: state.coaching.coaches(org_id).await? }))
}

/// Create a coach (admins).
#[utoipa::path(post, path = "/orgs/{org_id}/coaches", tag = "coach", params(("org_id" = OrgId, Path)),
    request_body = CoachBody,
    responses((status = 201, body = Coach), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_coach(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    PathIds(org_id): PathIds<OrgId>,
    JsonBody(body): JsonBody<CoachBody>,
) -> ApiResult<(StatusCode, Json<Coach>)> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    scope.require(OrgAction::ManageCoaches)?;
    let coach = state.coaching.create_coach(org_id, body.into()).await?;
    let details = serde_json::json!({ "name": coach.name });
    audit(&state, Some(org_id), Some(principal.person.id), "coach.created", Some(coach.id.to_string()), details, &ip)
        .await;
    Ok((StatusCode::CREATED, Json(coach)))
}

/// One coach.
#[utoipa::path(get, path = "/orgs/{org_id}/coaches/{coach_id}", tag = "coach",
    params(("org_id" = OrgId, Path), ("coach_id" = String, Path)),
    responses((status = 200, body = Coach), (status = 404, body = ErrorBody)))]
pub async fn get_coach(
    State(state): State<AppState>,
    principal: Principal,
    PathIds((org_id, id)): PathIds<(OrgId, CoachId)>,
) -> ApiResult<Json<Coach>> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    scope.require(OrgAction::UseCoach)?;
    Ok(Json(state.coaching.coach(org_id, id).await?))
}

/// Change a coach (admins).
#[utoipa::path(patch, path = "/orgs/{org_id}/coaches/{coach_id}", tag = "coach",
    params(("org_id" = OrgId, Path), ("coach_id" = String, Path)), request_body = CoachBody,
    responses((status = 200, body = Coach), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_coach(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    PathIds((org_id, id)): PathIds<(OrgId, CoachId)>,
    JsonBody(body): JsonBody<CoachBody>,
) -> ApiResult<Json<Coach>> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    state.coaching.coach(org_id, id).await?;
    scope.require(OrgAction::ManageCoaches)?;
    let coach = state.coaching.update_coach(org_id, id, body.into()).await?;
    let details = serde_json::json!({ "name": coach.name });
    audit(&state, Some(org_id), Some(principal.person.id), "coach.updated", Some(id.to_string()), details, &ip).await;
    Ok(Json(coach))
}

/// Delete a coach (admins; not the default one).
#[utoipa::path(delete, path = "/orgs/{org_id}/coaches/{coach_id}", tag = "coach",
    params(("org_id" = OrgId, Path), ("coach_id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn delete_coach(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    PathIds((org_id, id)): PathIds<(OrgId, CoachId)>,
) -> ApiResult<StatusCode> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    let coach = state.coaching.coach(org_id, id).await?;
    scope.require(OrgAction::ManageCoaches)?;
    state.coaching.delete_coach(org_id, id).await?;
    let details = serde_json::json!({ "name": coach.name });
    audit(&state, Some(org_id), Some(principal.person.id), "coach.deleted", Some(id.to_string()), details, &ip).await;
    Ok(StatusCode::NO_CONTENT)
}

/// Make a coach the organisation's default (admins).
#[utoipa::path(post, path = "/orgs/{org_id}/coaches/{coach_id}/default", tag = "coach",
    params(("org_id" = OrgId, Path), ("coach_id" = String, Path)),
    responses((status = 200, body = Coach), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn make_default_coach(
    State(state): State<AppState>,
    principal: Principal,
    PathIds((org_id, id)): PathIds<(OrgId, CoachId)>,
) -> ApiResult<Json<Coach>> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    state.coaching.coach(org_id, id).await?;
    scope.require(OrgAction::ManageCoaches)?;
    Ok(Json(state.coaching.make_default(org_id, id).await?))
}

/// Daily limits for model use; `null` means unlimited.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BudgetBody {
    pub org_daily_tokens: Option<i64>,
    pub org_daily_cost: Option<f64>,
    pub person_daily_tokens: Option<i64>,
    pub person_daily_cost: Option<f64>,
}

impl From<BudgetRecord> for BudgetBody {
    fn from(b: BudgetRecord) -> Self {
        BudgetBody {
            org_daily_tokens: b.org_daily_tokens,
            org_daily_cost: b.org_daily_cost,
            person_daily_tokens: b.person_daily_tokens,
            person_daily_cost: b.person_daily_cost,
        }
    }
}

/// The organisation's daily token and cost budgets (admins).
#[utoipa::path(get, path = "/orgs/{org_id}/budget", tag = "coach", params(("org_id" = OrgId, Path)),
    responses((status = 200, body = BudgetBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_budget(
    State(state): State<AppState>,
    principal: Principal,
    PathIds(org_id): PathIds<OrgId>,
) -> ApiResult<Json<BudgetBody>> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    scope.require(OrgAction::ManageCoaches)?;
    Ok(Json(state.coaching.budget(org_id).await?.into()))
}

/// Set the organisation's daily budgets (admins).
#[utoipa::path(put, path = "/orgs/{org_id}/budget", tag = "coach", params(("org_id" = OrgId, Path)),
    request_body = BudgetBody,
    responses((status = 200, body = BudgetBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_budget(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    PathIds(org_id): PathIds<OrgId>,
    JsonBody(body): JsonBody<BudgetBody>,
) -> ApiResult<Json<BudgetBody>> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    scope.require(OrgAction::ManageCoaches)?;
    let record = BudgetRecord {
        org_daily_tokens: body.org_daily_tokens,
        org_daily_cost: body.org_daily_cost,
        person_daily_tokens: body.person_daily_tokens,
        person_daily_cost: body.person_daily_cost,
    };
    let saved = state.coaching.set_budget(org_id, record).await?;
    let details = serde_json::to_value(BudgetBody::from(saved.clone())).unwrap_or_default();
    audit(&state, Some(org_id), Some(principal.person.id), "budget.updated", None, details, &ip).await;
    Ok(Json(saved.into()))
}

/// Which conversations to list.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ConversationParams {
    /// At most this many (default 30, at most 100).
    pub limit: Option<i64>,
    /// The `next_before` of the previous page.
    pub before: Option<String>,
    /// Only archived (`true`) or only active (`false`) ones; both when absent.
    pub archived: Option<bool>,
    /// Search in titles.
    pub q: Option<String>,
    /// Another person's conversations (their coach, manager or an admin); the caller's own by default.
    pub owner: Option<String>,
}

/// A page of conversations.
#[derive(Serialize, ToSchema)]
pub struct ConversationPage {
    pub conversations: Vec<Conversation>,
    /// Pass as `before` for the next page; `null` on the last page.
    pub next_before: Option<String>,
}

/// Whom the caller supervises (their learners, a manager's coaches and learners).
async fn supervised(state: &AppState, scope: &OrgScope) -> ApiResult<std::collections::HashSet<PersonId>> {
    scope.supervised(state).await
}

/// The caller's conversations (or, for whom they supervise, another person's), newest first.
#[utoipa::path(get, path = "/orgs/{org_id}/conversations", tag = "coach",
    params(("org_id" = OrgId, Path), ConversationParams),
    responses((status = 200, body = ConversationPage), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn list_conversations(
    State(state): State<AppState>,
    principal: Principal,
    PathIds(org_id): PathIds<OrgId>,
    params: Result<Query<ConversationParams>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<ConversationPage>> {
    let Query(params) = params.map_err(|e| ApiError::invalid("query", e.body_text()))?;
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    scope.require(OrgAction::UseCoach)?;
    let owner = match params.owner.as_deref() {
        None => principal.person.id,
        Some(raw) => {
            let owner: PersonId = raw.parse().map_err(|_| ApiError::not_found("member"))?;
            // Admins may read every member's conversations, but someone outside the organisation is
            // no member of it: 404, as for their membership.
            let member = owner == principal.person.id || state.store.role_in(org_id, owner).await?.is_some();
            if !member || !may_read_conversation(&state, &scope, owner).await? {
                return Err(ApiError::not_found("member"));
            }
            owner
        }
    };
    let before = match params.before.as_deref() {
        Some(raw) => {
            Some(raw.parse::<ConversationId>().map_err(|_| ApiError::invalid("before", "not a conversation id"))?)
        }
        None => None,
    };
    let limit = params.limit.unwrap_or(30);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::invalid("limit", "must be between 1 and 100"));
    }
    let query = ConversationQuery {
        owner: Some(owner),
        archived: params.archived,
        title_contains: params.q.filter(|q| !q.trim().is_empty()),
        before,
        limit: limit + 1,
    };
    let mut conversations = state.coaching.conversations(org_id, &query).await?;
    let next_before = if conversations.len() as i64 > limit {
        conversations.truncate(limit as usize);
        conversations.last().map(|c| c.id.to_string())
    } else {
        None
    };
    Ok(Json(ConversationPage { conversations, next_before }))
}

/// A conversation to start.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartConversation {
    /// The coach to talk to (the organisation's default when absent).
    #[schema(value_type = Option<String>)]
    pub coach_id: Option<CoachId>,
    pub title: Option<String>,
}

/// Start a conversation.
#[utoipa::path(post, path = "/orgs/{org_id}/conversations", tag = "coach", params(("org_id" = OrgId, Path)),
    request_body = StartConversation,
    responses((status = 201, body = Conversation), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn start_conversation(
    State(state): State<AppState>,
    principal: Principal,
    PathIds(org_id): PathIds<OrgId>,
    JsonBody(body): JsonBody<StartConversation>,
) -> ApiResult<(StatusCode, Json<Conversation>)> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    scope.require(OrgAction::UseCoach)?;
    let conversation =
        state.coaching.start_conversation(org_id, principal.person.id, body.coach_id, body.title.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(conversation)))
}

/// What a caller may do with a conversation.
pub(crate) enum Access {
    Read,
    Own,
}

/// Loads a conversation the caller may read (404 otherwise) and says whether it is theirs.
pub(crate) async fn open_conversation(
    state: &AppState,
    principal: &Principal,
    id: ConversationId,
) -> ApiResult<(Conversation, OrgScope, Access)> {
    let hidden = || ApiError::not_found("conversation");
    let conversation = state.coaching.conversation(id).await.map_err(|_| hidden())?;
    let scope = OrgScope::load(state, principal, conversation.org_id).await.map_err(|_| hidden())?;
    scope.require_or_hide(OrgAction::UseCoach, "conversation")?;
    if conversation.owner_id == principal.person.id {
        return Ok((conversation, scope, Access::Own));
    }
    if may_read_conversation(state, &scope, conversation.owner_id).await? {
        return Ok((conversation, scope, Access::Read));
    }
    Err(hidden())
}

/// Whether the caller may read `owner`'s conversations; for a parent this also asks the
/// organisation's setting and the learner's consent.
pub(crate) async fn may_read_conversation(state: &AppState, scope: &OrgScope, owner: PersonId) -> ApiResult<bool> {
    let supervised = supervised(state, scope).await?;
    let parents_allowed = scope.actor.role == Some(Role::Parent)
        && supervised.contains(&owner)
        && state.store.parents_may_read_conversations(scope.org.id).await?
        && state.store.shares_conversations_with_parents(scope.org.id, owner).await?;
    Ok(policy::may_read_conversation(&scope.actor, owner, &supervised, parents_allowed))
}

/// Loads a conversation the caller owns: 404 when they may not read it, 403 when they may only read it.
async fn own_conversation(
    state: &AppState,
    principal: &Principal,
    id: ConversationId,
) -> ApiResult<(Conversation, OrgScope)> {
    match open_conversation(state, principal, id).await? {
        (conversation, scope, Access::Own) => Ok((conversation, scope)),
        (_, _, Access::Read) => Err(ApiError::forbidden()),
    }
}

/// A conversation with its messages.
#[derive(Serialize, ToSchema)]
pub struct ConversationDetail {
    pub conversation: Conversation,
    pub messages: Vec<Message>,
}

/// A conversation and its messages (its owner, their coaches and managers, admins).
#[utoipa::path(get, path = "/conversations/{conversation_id}", tag = "coach",
    params(("conversation_id" = String, Path)),
    responses((status = 200, body = ConversationDetail), (status = 404, body = ErrorBody)))]
pub async fn get_conversation(
    State(state): State<AppState>,
    principal: Principal,
    PathIds(id): PathIds<ConversationId>,
) -> ApiResult<Json<ConversationDetail>> {
    let (conversation, _, _) = open_conversation(&state, &principal, id).await?;
    note_read(&state, &principal, &conversation).await;
    let messages = state.coaching.messages(id).await?;
    Ok(Json(ConversationDetail { conversation, messages }))
}

/// Changes to a conversation.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateConversation {
    pub title: Option<String>,
    pub archived: Option<bool>,
}

/// Rename or archive a conversation (its owner).
#[utoipa::path(patch, path = "/conversations/{conversation_id}", tag = "coach",
    params(("conversation_id" = String, Path)), request_body = UpdateConversation,
    responses((status = 200, body = Conversation), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn update_conversation(
    State(state): State<AppState>,
    principal: Principal,
    PathIds(id): PathIds<ConversationId>,
    JsonBody(body): JsonBody<UpdateConversation>,
) -> ApiResult<Json<Conversation>> {
    own_conversation(&state, &principal, id).await?;
    Ok(Json(state.coaching.update_conversation(id, body.title.as_deref(), body.archived).await?))
}

/// Delete a conversation with its messages (its owner).
#[utoipa::path(delete, path = "/conversations/{conversation_id}", tag = "coach",
    params(("conversation_id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_conversation(
    State(state): State<AppState>,
    principal: Principal,
    PathIds(id): PathIds<ConversationId>,
) -> ApiResult<StatusCode> {
    own_conversation(&state, &principal, id).await?;
    state.coaching.delete_conversation(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A read-only link to a conversation.
#[derive(Serialize, ToSchema)]
pub struct ShareLink {
    /// Shown once; anyone with it can read the conversation until it is revoked.
    pub token: String,
    pub url: String,
}

/// Share a conversation as a read-only link (its owner; replaces an earlier link).
#[utoipa::path(post, path = "/conversations/{conversation_id}/share", tag = "coach",
    params(("conversation_id" = String, Path)),
    responses((status = 200, body = ShareLink), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn share_conversation(
    State(state): State<AppState>,
    principal: Principal,
    PathIds(id): PathIds<ConversationId>,
) -> ApiResult<Json<ShareLink>> {
    own_conversation(&state, &principal, id).await?;
    let token = state.coaching.share(id).await?;
    let url = format!("{}/shared/{token}", state.settings.public_url.trim_end_matches('/'));
    Ok(Json(ShareLink { token, url }))
}

/// Revoke a conversation's share link (its owner).
#[utoipa::path(delete, path = "/conversations/{conversation_id}/share", tag = "coach",
    params(("conversation_id" = String, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn unshare_conversation(
    State(state): State<AppState>,
    principal: Principal,
    PathIds(id): PathIds<ConversationId>,
) -> ApiResult<StatusCode> {
    own_conversation(&state, &principal, id).await?;
    state.coaching.unshare(id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A shared conversation, read-only, without signing in.
#[utoipa::path(get, path = "/shared/{token}", tag = "coach", params(("token" = String, Path)),
    responses((status = 200, body = ConversationDetail), (status = 404, body = ErrorBody)))]
pub async fn get_shared(
    State(state): State<AppState>,
    axum::extract::Path(token): axum::extract::Path<String>,
) -> ApiResult<Json<ConversationDetail>> {
    let (conversation, messages) = state.coaching.shared(&token).await?;
    Ok(Json(ConversationDetail { conversation, messages }))
}

/// A message to the coach.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PostMessage {
    pub content: String,
}

/// The stored question and its answer.
#[derive(Serialize, ToSchema)]
pub struct Exchange {
    pub user_message: Message,
    /// `null` while a coach holds the conversation: they answer, not the AI.
    pub assistant_message: Option<Message>,
}

fn sse_event(event: TurnEvent) -> Event {
    let (name, data) = match event {
        TurnEvent::User(m) => ("user", serde_json::json!({ "message": m })),
        TurnEvent::Sources(c) => ("sources", serde_json::json!({ "citations": c })),
        TurnEvent::Delta(text) => ("delta", serde_json::json!({ "text": text })),
        TurnEvent::Done(m) => ("done", serde_json::json!({ "message": m })),
        TurnEvent::Held(m) => ("held", serde_json::json!({ "message": m })),
        TurnEvent::Failed { failure, message, partial } => {
            let code = ErrorCode::from(failure);
            ("error", serde_json::json!({ "error": { "code": code, "message": message }, "message": partial }))
        }
    };
    Event::default().event(name).data(data.to_string())
}

/// Ask the coach (the conversation's owner). With `Accept: text/event-stream`
/// the answer streams as events `user`, `sources`, `delta`…, then `done` or
/// `error`; otherwise both stored messages come back when the answer is complete.
#[utoipa::path(post, path = "/conversations/{conversation_id}/messages", tag = "coach",
    params(("conversation_id" = String, Path)), request_body = PostMessage,
    responses((status = 200, body = Exchange, description = "or a text/event-stream"), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody),
        (status = 502, body = ErrorBody)))]
pub async fn post_message(
    State(state): State<AppState>,
    principal: Principal,
    headers: HeaderMap,
    PathIds(id): PathIds<ConversationId>,
    JsonBody(body): JsonBody<PostMessage>,
) -> ApiResult<Response> {
    let (conversation, _) = own_conversation(&state, &principal, id).await?;
    let (org, learner) = (conversation.org_id, principal.person.id);
    let events = state.coaching.ask(conversation, learner, body.content, Channel::Web).await?;
    let wants_stream =
        headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("text/event-stream"));
    if wants_stream {
        let stream = futures::stream::unfold(
            (events, state),
            move |(mut rx, state): (mpsc::Receiver<TurnEvent>, AppState)| async move {
                let event = rx.recv().await?;
                if let TurnEvent::Done(answer) = &event {
                    record_exposure(&state, org, learner, answer);
                }
                Some((Ok::<_, Infallible>(sse_event(event)), (rx, state)))
            },
        );
        return Ok(Sse::new(stream).keep_alive(KeepAlive::default()).into_response());
    }
    let (user, assistant) = collect_turn(events).await?;
    if let Some(assistant) = &assistant {
        record_exposure(&state, org, learner, assistant);
    }
    Ok(Json(Exchange { user_message: user, assistant_message: assistant }).into_response())
}

/// An answer that cites a concept's material counts as exposure to that concept for the
/// learner (in the background: the answer does not wait for it).
fn record_exposure(state: &AppState, org: OrgId, learner: PersonId, answer: &Message) {
    let chunks: Vec<wayfinder_knowledge_rules::ChunkId> =
        answer.citations.iter().map(|c| wayfinder_knowledge_rules::ChunkId(c.chunk_id)).collect();
    if chunks.is_empty() {
        return;
    }
    let (learning, source) = (state.learning.clone(), format!("message:{}", answer.id));
    tokio::spawn(async move {
        if let Err(e) = learning.record_exposure(org, learner, &chunks, &source, chrono::Utc::now()).await {
            tracing::warn!(error = %e, "could not record the conversation's exposure to concepts");
        }
    });
}

/// Waits for a turn to end; a failure becomes its error code's status with the friendly message.
async fn collect_turn(mut events: mpsc::Receiver<TurnEvent>) -> ApiResult<(Message, Option<Message>)> {
    let mut user = None;
    while let Some(event) = events.recv().await {
        match event {
            TurnEvent::User(m) => user = Some(m),
            TurnEvent::Done(m) => {
                return user.map(|u| (u, Some(m))).ok_or_else(|| ApiError::internal("turn without a question"));
            }
            TurnEvent::Held(m) => return Ok((m, None)),
            TurnEvent::Failed { failure, message, .. } => return Err(ApiError::new(failure.into(), message)),
            TurnEvent::Sources(_) | TurnEvent::Delta(_) => {}
        }
    }
    Err(ApiError::internal("the answer ended without a result"))
}

/// Feedback on an answer.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FeedbackBody {
    pub rating: FeedbackRating,
    #[serde(default)]
    pub reasons: Vec<FeedbackReason>,
    #[serde(default)]
    pub comment: String,
}

/// Rate an answer (the conversation's owner; rating again replaces it).
#[utoipa::path(put, path = "/messages/{message_id}/feedback", tag = "coach",
    params(("message_id" = String, Path)), request_body = FeedbackBody,
    responses((status = 200, body = Feedback), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_feedback(
    State(state): State<AppState>,
    principal: Principal,
    PathIds(id): PathIds<MessageId>,
    JsonBody(body): JsonBody<FeedbackBody>,
) -> ApiResult<Json<Feedback>> {
    let message = state.coaching.message(id).await.map_err(|_| ApiError::not_found("message"))?;
    let (conversation, _) = match own_conversation(&state, &principal, message.conversation_id).await {
        Err(e) if e.code == ErrorCode::NotFound => return Err(ApiError::not_found("message")),
        other => other?,
    };
    let feedback = state
        .coaching
        .give_feedback(conversation.org_id, id, principal.person.id, body.rating, body.reasons, body.comment)
        .await?;
    Ok(Json(feedback))
}

/// Notes who opened a conversation they do not own (coaches reading a learner's chat).
async fn note_read(state: &AppState, principal: &Principal, conversation: &Conversation) {
    let what = DataRead::Conversation(conversation.id);
    note_data_read(state, conversation.org_id, principal.person.id, conversation.owner_id, what).await;
}
