//! Multi-factor sign-in over HTTP: one's own authenticator app (enrol, confirm, recovery codes,
//! turn off), the second step of signing in (with "remember this device"), an admin resetting a
//! member's factor, and whether an organisation requires its admins to use one.

use crate::error::ErrorCode;
use crate::{
    auth::{ClientIp, Principal, cookie_value, http_only_cookie, start_session, user_agent},
    authz::OrgScope,
    error::{ApiError, ApiResult, ErrorBody},
    json::{JsonBody, PathIds},
    routes::{audit, auth::SessionStarted, with_session_cookie},
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
use wayfinder_accounts::SecondFactor;
use wayfinder_accounts_rules::mfa::REMEMBER_DEVICE_DAYS;
use wayfinder_accounts_rules::policy::OrgAction;
use wayfinder_accounts_rules::{OrgId, Person, PersonId};

/// The cookie of a device that skips the second step.
pub const DEVICE_COOKIE: &str = "wayfinder_device";
/// The name authenticator apps show for Wayfinder accounts.
const ISSUER: &str = "Wayfinder";

/// One's second factor.
#[derive(Serialize, ToSchema)]
pub struct MfaStatus {
    /// An authenticator app is confirmed: sign-in asks for its code.
    pub enabled: bool,
    /// An app was added but no code from it has been confirmed yet.
    pub enrolling: bool,
    /// A second factor is required for this account (operators; admins where the organisation
    /// requires it): it cannot be turned off, and until it is on the account reaches only this.
    pub required: bool,
    /// Unused recovery codes.
    pub recovery_codes_left: i64,
}

/// The password, for people who have one.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MfaEnrolRequest {
    #[serde(default)]
    pub password: Option<String>,
}

/// What to put into the authenticator app.
#[derive(Serialize, ToSchema)]
pub struct MfaEnrolment {
    /// The secret in base32, to type in.
    pub secret: String,
    /// The same as an `otpauth://` URI, for a QR code.
    pub otpauth_uri: String,
}

/// A code from the authenticator app.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MfaCode {
    pub code: String,
}

/// New recovery codes: shown this once, each works once.
#[derive(Serialize, ToSchema)]
pub struct RecoveryCodes {
    pub recovery_codes: Vec<String>,
}

/// A second factor: a code from the app, or a recovery code.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SecondFactorInput {
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub recovery_code: Option<String>,
}

/// Turning the second factor off: the password (for people who have one) and a second factor.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MfaDisableRequest {
    #[serde(default)]
    pub password: Option<String>,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub recovery_code: Option<String>,
}

/// A right password for an account with a second factor: finish with `POST /auth/login/mfa`.
#[derive(Serialize, ToSchema)]
pub struct MfaChallengeView {
    /// Always true.
    pub mfa_required: bool,
    pub challenge_token: String,
    pub expires_at: DateTime<Utc>,
}

/// The second step of signing in.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MfaLoginRequest {
    pub challenge_token: String,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub recovery_code: Option<String>,
    /// Skip the second step on this browser for 30 days.
    #[serde(default)]
    pub remember_device: bool,
}

fn second_factor(code: Option<String>, recovery_code: Option<String>) -> ApiResult<SecondFactor> {
    match (code, recovery_code) {
        (Some(code), None) => Ok(SecondFactor::Code(code)),
        (None, Some(code)) => Ok(SecondFactor::RecoveryCode(code)),
        _ => Err(ApiError::invalid("code", "give either `code` (from the app) or `recovery_code`")),
    }
}

async fn status_of(state: &AppState, person: &Person) -> ApiResult<MfaStatus> {
    let standing = state.store.mfa_standing(person.id).await?;
    let factor = state.store.mfa_factor(person.id).await?;
    Ok(MfaStatus {
        enabled: standing.enabled,
        enrolling: factor.is_some_and(|f| f.confirmed_at.is_none()),
        required: state.accounts.mfa_required(person, standing),
        recovery_codes_left: state.store.recovery_codes_left(person.id).await?,
    })
}

/// One's second factor.
#[utoipa::path(get, path = "/me/mfa", tag = "auth", responses((status = 200, body = MfaStatus)))]
pub async fn my_mfa(State(state): State<AppState>, principal: Principal) -> ApiResult<Json<MfaStatus>> {
    Ok(Json(status_of(&state, &principal.person).await?))
}

/// Start adding an authenticator app: its secret (confirm with a code from it).
#[utoipa::path(post, path = "/me/mfa/totp", tag = "auth", request_body = MfaEnrolRequest,
    responses((status = 200, body = MfaEnrolment), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
pub async fn enrol_authenticator(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    JsonBody(req): JsonBody<MfaEnrolRequest>,
) -> ApiResult<Json<MfaEnrolment>> {
    let person = &principal.person;
    let enrolment =
        state.accounts.begin_mfa_enrolment(person, req.password.as_deref(), ip.0.as_deref(), ISSUER).await?;
    Ok(Json(MfaEnrolment { secret: enrolment.secret, otpauth_uri: enrolment.otpauth_uri }))
}

/// Confirm the authenticator app with a code from it: the second factor is on; answers the
/// recovery codes (shown once).
#[utoipa::path(post, path = "/me/mfa/totp/confirm", tag = "auth", request_body = MfaCode,
    responses((status = 200, body = RecoveryCodes), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn confirm_authenticator(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    JsonBody(req): JsonBody<MfaCode>,
) -> ApiResult<Json<RecoveryCodes>> {
    let recovery_codes = state.accounts.confirm_mfa_enrolment(&principal.person, &req.code).await?;
    audit(
        &state,
        None,
        Some(principal.person.id),
        "mfa.enabled",
        Some(principal.person.id.to_string()),
        serde_json::json!({}),
        &ip,
    )
    .await;
    Ok(Json(RecoveryCodes { recovery_codes }))
}

/// New recovery codes (the old ones stop working); confirmed with a second factor.
#[utoipa::path(post, path = "/me/mfa/recovery-codes", tag = "auth", request_body = SecondFactorInput,
    responses((status = 200, body = RecoveryCodes), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn replace_recovery_codes(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    JsonBody(req): JsonBody<SecondFactorInput>,
) -> ApiResult<Json<RecoveryCodes>> {
    let factor = second_factor(req.code, req.recovery_code)?;
    let recovery_codes = state.accounts.regenerate_recovery_codes(&principal.person, &factor).await?;
    audit(
        &state,
        None,
        Some(principal.person.id),
        "mfa.recovery_codes_replaced",
        Some(principal.person.id.to_string()),
        serde_json::json!({}),
        &ip,
    )
    .await;
    Ok(Json(RecoveryCodes { recovery_codes }))
}

/// Turn one's second factor off (not while it is required).
#[utoipa::path(post, path = "/me/mfa/disable", tag = "auth", request_body = MfaDisableRequest,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
pub async fn disable_mfa(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    JsonBody(req): JsonBody<MfaDisableRequest>,
) -> ApiResult<StatusCode> {
    let factor = second_factor(req.code, req.recovery_code)?;
    state.accounts.disable_mfa(&principal.person, req.password.as_deref(), &factor, ip.0.as_deref()).await?;
    audit(
        &state,
        None,
        Some(principal.person.id),
        "mfa.disabled",
        Some(principal.person.id.to_string()),
        serde_json::json!({}),
        &ip,
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}

/// After a right password: a session, or — for an account with a second factor, on a device not
/// remembered for it — a second step (`202`).
pub(crate) async fn session_or_second_step(
    state: &AppState,
    person: Person,
    ip: &ClientIp,
    headers: &HeaderMap,
) -> ApiResult<Response> {
    let standing = state.store.mfa_standing(person.id).await?;
    if standing.enabled {
        let remembered = match cookie_value(headers, DEVICE_COOKIE) {
            Some(secret) => state.accounts.is_device_remembered(&person, &secret).await?,
            None => false,
        };
        if !remembered {
            let challenge = state.accounts.start_mfa_challenge(&person).await?;
            let body = MfaChallengeView {
                mfa_required: true,
                challenge_token: challenge.token,
                expires_at: challenge.expires_at,
            };
            return Ok((StatusCode::ACCEPTED, Json(body)).into_response());
        }
    }
    signed_in(state, person, ip, headers, serde_json::json!({})).await
}

async fn signed_in(
    state: &AppState,
    person: Person,
    ip: &ClientIp,
    headers: &HeaderMap,
    detail: serde_json::Value,
) -> ApiResult<Response> {
    let (session, cookie) = start_session(state, &person, ip.0.clone(), user_agent(headers)).await?;
    audit(state, None, Some(person.id), "auth.login", Some(session.id.to_string()), detail, ip).await;
    let body = SessionStarted { person: person.into(), csrf_token: session.csrf_token, expires_at: session.expires_at };
    Ok(with_session_cookie(StatusCode::OK, cookie, body))
}

/// The second step of signing in: a code from the authenticator app or a recovery code.
#[utoipa::path(post, path = "/auth/login/mfa", tag = "auth", request_body = MfaLoginRequest,
    responses((status = 200, body = SessionStarted), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
pub async fn login_second_step(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    JsonBody(req): JsonBody<MfaLoginRequest>,
) -> ApiResult<Response> {
    let factor = second_factor(req.code, req.recovery_code)?;
    let used_recovery_code = matches!(factor, SecondFactor::RecoveryCode(_));
    let person = state.accounts.finish_mfa_challenge(&req.challenge_token, &factor, ip.0.as_deref()).await?;
    let device = if req.remember_device { Some(state.accounts.remember_device(&person).await?) } else { None };
    let detail = serde_json::json!({ "second_factor": if used_recovery_code { "recovery_code" } else { "totp" },
        "device_remembered": device.is_some() });
    let mut response = signed_in(&state, person, &ip, &headers, detail).await?;
    if let Some(device) = device {
        let max_age = REMEMBER_DEVICE_DAYS * 24 * 3600;
        let cookie =
            http_only_cookie(DEVICE_COOKIE, &device.secret, "/api/v1/auth", max_age, state.settings.cookie_secure);
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    Ok(response)
}

/// Reset a member's second factor (admins; not one's own): their app, recovery codes and
/// remembered devices are removed, and they enrol again.
#[utoipa::path(post, path = "/orgs/{org_id}/members/{person_id}/mfa/reset", tag = "members",
    params(("org_id" = OrgId, Path), ("person_id" = PersonId, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn reset_member_mfa(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    PathIds((org_id, person_id)): PathIds<(OrgId, PersonId)>,
) -> ApiResult<StatusCode> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    scope.require(OrgAction::ManageMembers)?;
    if state.store.role_in(org_id, person_id).await?.is_none() {
        return Err(ApiError::not_found("member"));
    }
    if person_id == principal.person.id {
        return Err(ApiError::new(ErrorCode::Conflict, "another admin resets your second factor, not you"));
    }
    let removed = state.store.remove_mfa(person_id).await?;
    audit(
        &state,
        Some(org_id),
        Some(principal.person.id),
        "mfa.reset",
        Some(person_id.to_string()),
        serde_json::json!({ "had_factor": removed }),
        &ip,
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}
