//! Sign-in, sign-out, sessions, the caller's own profile and password, and
//! the one-time setup that creates the first instance operator.

use crate::error::ErrorCode;
use crate::{
    auth::{ClientIp, Credential, Principal, session_cookie, start_session, user_agent},
    error::{ApiError, ApiResult, ErrorBody},
    json::{JsonBody, PathIds},
    routes::{MembershipView, PersonView, audit, credentials_in, with_session_cookie},
    state::AppState,
};
use axum::{
    Json,
    extract::State,
    http::{HeaderMap, StatusCode, header},
    response::{IntoResponse, Response},
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use wayfinder_accounts::AccountsError;
use wayfinder_accounts_rules::{SessionId, normalise_email};

/// Sign-in credentials.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

/// A new session: the cookie is set; `csrf_token` must accompany cookie-authenticated changes.
#[derive(Serialize, ToSchema)]
pub struct SessionStarted {
    pub person: PersonView,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
}

/// The caller, their organisations and (for cookie sessions) the CSRF token.
#[derive(Serialize, ToSchema)]
pub struct Me {
    pub person: PersonView,
    pub memberships: Vec<MembershipView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub csrf_token: Option<String>,
    /// `session`, `token` (a personal API token) or `access_token` (an app signed in through OAuth).
    pub authenticated_by: &'static str,
}

/// One of the caller's sessions.
#[derive(Serialize, ToSchema)]
pub struct SessionView {
    pub id: SessionId,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    /// True for the session making this request.
    pub current: bool,
}

/// A password change.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current_password: String,
    pub new_password: String,
}

/// Whether the instance still needs its first operator.
#[derive(Serialize, ToSchema)]
pub struct SetupStatus {
    pub needed: bool,
}

/// Creates the first operator with the token from the setup link.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SetupRequest {
    pub token: String,
    pub email: String,
    pub display_name: String,
    pub password: String,
}

/// Sign in with email and password. An account with a second factor, on a device not remembered
/// for it, answers `202` with a challenge to finish at `POST /auth/login/mfa`.
#[utoipa::path(post, path = "/auth/login", tag = "auth", request_body = LoginRequest,
    responses((status = 200, body = SessionStarted), (status = 202, body = crate::routes::mfa::MfaChallengeView),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    JsonBody(req): JsonBody<LoginRequest>,
) -> ApiResult<Response> {
    let email = normalise_email(&req.email)?;
    let person = match state.accounts.verify_credentials(&email, &req.password, ip.0.as_deref()).await {
        Ok(person) => person,
        Err(e) => {
            if matches!(e, AccountsError::InvalidCredentials) {
                audit(&state, None, None, "auth.login_failed", None, serde_json::json!({ "email": email }), &ip).await;
            }
            return Err(e.into());
        }
    };
    crate::routes::mfa::session_or_second_step(&state, person, &ip, &headers).await
}

/// End the current session.
#[utoipa::path(post, path = "/auth/logout", tag = "auth", responses((status = 204), (status = 400, body = ErrorBody)))]
pub async fn logout(State(state): State<AppState>, principal: Principal) -> ApiResult<Response> {
    let Some(id) = principal.session_id() else {
        return Err(ApiError::new(ErrorCode::NotASession, "API tokens are revoked, not logged out"));
    };
    state.store.delete_session(principal.person.id, id).await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert(header::SET_COOKIE, session_cookie("", chrono::Duration::zero(), state.settings.cookie_secure));
    Ok(response)
}

/// Ends every session of the caller, on every device, at once.
#[utoipa::path(post, path = "/auth/logout-all", tag = "auth", responses((status = 200, body = serde_json::Value)))]
pub async fn logout_all(State(state): State<AppState>, principal: Principal, ip: ClientIp) -> ApiResult<Response> {
    let ended = state.store.delete_sessions_of(principal.person.id).await?;
    audit(
        &state,
        None,
        Some(principal.person.id),
        "auth.logout_all",
        None,
        serde_json::json!({ "sessions": ended }),
        &ip,
    )
    .await;
    let cookie = session_cookie("", chrono::Duration::zero(), state.settings.cookie_secure);
    Ok(with_session_cookie(StatusCode::OK, cookie, serde_json::json!({ "sessions_ended": ended })))
}

/// The caller's sessions.
#[utoipa::path(get, path = "/auth/sessions", tag = "auth", responses((status = 200, body = [SessionView])))]
pub async fn list_sessions(State(state): State<AppState>, principal: Principal) -> ApiResult<Json<Vec<SessionView>>> {
    let current = principal.session_id();
    let sessions = state.store.list_sessions(principal.person.id).await?;
    Ok(Json(
        sessions
            .into_iter()
            .map(|s| SessionView {
                current: Some(s.id) == current,
                id: s.id,
                created_at: s.created_at,
                last_seen_at: s.last_seen_at,
                expires_at: s.expires_at,
                ip: s.ip,
                user_agent: s.user_agent,
            })
            .collect(),
    ))
}

/// End one of the caller's sessions.
#[utoipa::path(delete, path = "/auth/sessions/{session_id}", tag = "auth",
    params(("session_id" = SessionId, Path)), responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn revoke_session(
    State(state): State<AppState>,
    principal: Principal,
    PathIds(id): PathIds<SessionId>,
) -> ApiResult<StatusCode> {
    state.store.delete_session(principal.person.id, id).await.map_err(|_| ApiError::not_found("session"))?;
    Ok(StatusCode::NO_CONTENT)
}

/// Who the caller is, and their organisations.
#[utoipa::path(get, path = "/me", tag = "auth", responses((status = 200, body = Me), (status = 401, body = ErrorBody)))]
pub async fn me(State(state): State<AppState>, principal: Principal) -> ApiResult<Json<Me>> {
    let memberships = state.store.orgs_of(principal.person.id).await?;
    let (csrf_token, authenticated_by) = match principal.credential {
        Credential::Session { csrf_token, .. } => (Some(csrf_token), "session"),
        Credential::Token { .. } => (None, "token"),
        Credential::AccessToken { .. } => (None, "access_token"),
    };
    Ok(Json(Me {
        person: principal.person.into(),
        memberships: memberships.into_iter().map(|(org, role)| MembershipView { organisation: org, role }).collect(),
        csrf_token,
        authenticated_by,
    }))
}

/// Change the caller's password; every session ends and the caller gets a fresh one.
#[utoipa::path(post, path = "/me/password", tag = "auth", request_body = PasswordChange,
    responses((status = 200, body = SessionStarted), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 429, body = ErrorBody, description = "`login_locked`: too many wrong current passwords")))]
pub async fn change_password(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    headers: HeaderMap,
    JsonBody(req): JsonBody<PasswordChange>,
) -> ApiResult<Response> {
    let person = principal.person;
    state
        .accounts
        .change_password(&person, &req.current_password, &req.new_password, ip.0.as_deref())
        .await
        .map_err(credentials_in("current_password"))?;
    audit(&state, None, Some(person.id), "auth.password_changed", None, serde_json::json!({}), &ip).await;
    let (session, cookie) = start_session(&state, &person, ip.0.clone(), user_agent(&headers)).await?;
    let body = SessionStarted { person: person.into(), csrf_token: session.csrf_token, expires_at: session.expires_at };
    Ok(with_session_cookie(StatusCode::OK, cookie, body))
}

/// Whether the first operator still has to be created.
#[utoipa::path(get, path = "/setup", tag = "setup", responses((status = 200, body = SetupStatus)))]
pub async fn setup_status(State(state): State<AppState>) -> ApiResult<Json<SetupStatus>> {
    Ok(Json(SetupStatus { needed: !state.store.operator_exists().await? }))
}

/// Create the first instance operator with the one-time token printed by `wayfinder serve`.
#[utoipa::path(post, path = "/setup", tag = "setup", request_body = SetupRequest,
    responses((status = 201, body = SessionStarted), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn complete_setup(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    JsonBody(req): JsonBody<SetupRequest>,
) -> ApiResult<Response> {
    let person =
        state.accounts.complete_setup(&req.token, &req.email, &req.display_name, &req.password).await.map_err(|e| {
            match e {
                AccountsError::NotFound(what) => ApiError::not_found(what).with_field("token"),
                other => other.into(),
            }
        })?;
    audit(
        &state,
        None,
        Some(person.id),
        "instance.operator_created",
        Some(person.id.to_string()),
        serde_json::json!({}),
        &ip,
    )
    .await;
    let (session, cookie) = start_session(&state, &person, ip.0.clone(), user_agent(&headers)).await?;
    let body = SessionStarted { person: person.into(), csrf_token: session.csrf_token, expires_at: session.expires_at };
    Ok(with_session_cookie(StatusCode::CREATED, cookie, body))
}
