//! Invitations: admins invite an email address with a role; the invitee opens
//! the link, sets a password (or confirms their existing one) and is signed in.

use crate::error::ErrorCode;
use crate::{
    auth::Principal,
    auth::{ClientIp, start_session, user_agent},
    authz::OrgScope,
    error::{ApiError, ApiResult, ErrorBody, password_error},
    json::{JsonBody, PathIds},
    routes::{PersonView, audit, hash_password_async, with_session_cookie},
    state::AppState,
};
use axum::{
    Json,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::Response,
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use wayfinder_accounts_rules::{
    InvitationId, OrgId, Organisation, PersonId, Role, check_password_strength, hash_secret, new_secret,
    normalise_email, policy::OrgAction, validate_display_name,
};
use wayfinder_store::{Invitation, InvitationAcceptance, NewInvitation, StoreError};

/// A new invitation.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateInvitation {
    pub email: String,
    pub role: Role,
}

/// An invitation as its organisation's admins see it.
#[derive(Serialize, ToSchema)]
pub struct InvitationView {
    pub id: InvitationId,
    pub email: String,
    pub role: Role,
    /// `pending`, `accepted`, `revoked` or `expired`.
    pub status: &'static str,
    pub invited_by: Option<PersonId>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
}

impl From<Invitation> for InvitationView {
    fn from(i: Invitation) -> Self {
        let status = if i.accepted_at.is_some() {
            "accepted"
        } else if i.revoked_at.is_some() {
            "revoked"
        } else if i.expires_at <= Utc::now() {
            "expired"
        } else {
            "pending"
        };
        Self {
            id: i.id,
            email: i.email,
            role: i.role,
            status,
            invited_by: i.invited_by,
            created_at: i.created_at,
            expires_at: i.expires_at,
            accepted_at: i.accepted_at,
        }
    }
}

/// A created invitation with its secret link, shown this once: pass it to the invitee.
#[derive(Serialize, ToSchema)]
pub struct InvitationCreated {
    pub invitation: InvitationView,
    /// The secret the invitee presents to accept.
    pub token: String,
    /// The link to send to the invitee.
    pub accept_url: String,
}

/// What the holder of an invitation link may learn about it.
#[derive(Serialize, ToSchema)]
pub struct InvitationPreview {
    pub organisation: Organisation,
    pub email: String,
    pub role: Role,
    pub expires_at: DateTime<Utc>,
    /// True when the email already has an account: accept with its current password.
    pub account_exists: bool,
}

/// Accepting an invitation. New accounts give a display name and a new
/// password; existing accounts give their current password.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInvitation {
    pub token: String,
    pub password: String,
    pub display_name: Option<String>,
}

/// The outcome of accepting: the new membership and a signed-in session.
#[derive(Serialize, ToSchema)]
pub struct InvitationAccepted {
    pub person: PersonView,
    pub organisation: Organisation,
    pub role: Role,
    pub csrf_token: String,
    pub expires_at: DateTime<Utc>,
}

/// Invite someone by email with a role (admins).
#[utoipa::path(post, path = "/orgs/{org_id}/invitations", tag = "invitations", params(("org_id" = OrgId, Path)),
    request_body = CreateInvitation,
    responses((status = 201, body = InvitationCreated), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody)))]
pub async fn create_invitation(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    PathIds(org_id): PathIds<OrgId>,
    JsonBody(req): JsonBody<CreateInvitation>,
) -> ApiResult<(StatusCode, Json<InvitationCreated>)> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    scope.require(OrgAction::ManageInvitations)?;
    let email = normalise_email(&req.email)?;
    if let Some((existing, _)) = state.store.person_with_password(&email).await?
        && state.store.role_in(org_id, existing.id).await?.is_some()
    {
        return Err(ApiError::new(ErrorCode::AlreadyMember, "this person is already a member").with_field("email"));
    }
    let secret = new_secret("wfi");
    let invitation = state
        .store
        .create_invitation(&NewInvitation {
            org: org_id,
            email,
            role: req.role,
            secret_digest: secret.digest,
            invited_by: Some(principal.person.id),
            expires_at: Utc::now() + state.settings.invitation_ttl,
        })
        .await?;
    audit(
        &state,
        Some(org_id),
        Some(principal.person.id),
        "invitation.created",
        Some(invitation.id.to_string()),
        serde_json::json!({ "email": invitation.email, "role": invitation.role }),
        &ip,
    )
    .await;
    let accept_url = format!("{}/invite/{}", state.settings.public_url.trim_end_matches('/'), secret.plaintext);
    Ok((
        StatusCode::CREATED,
        Json(InvitationCreated { invitation: invitation.into(), token: secret.plaintext, accept_url }),
    ))
}

/// The organisation's invitations, newest first (admins).
#[utoipa::path(get, path = "/orgs/{org_id}/invitations", tag = "invitations", params(("org_id" = OrgId, Path)),
    responses((status = 200, body = [InvitationView]), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_invitations(
    State(state): State<AppState>,
    principal: Principal,
    PathIds(org_id): PathIds<OrgId>,
) -> ApiResult<Json<Vec<InvitationView>>> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    scope.require(OrgAction::ManageInvitations)?;
    Ok(Json(state.store.list_invitations(org_id).await?.into_iter().map(Into::into).collect()))
}

/// Revoke a pending invitation (admins).
#[utoipa::path(delete, path = "/orgs/{org_id}/invitations/{invitation_id}", tag = "invitations",
    params(("org_id" = OrgId, Path), ("invitation_id" = InvitationId, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn revoke_invitation(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    PathIds((org_id, id)): PathIds<(OrgId, InvitationId)>,
) -> ApiResult<StatusCode> {
    let scope = OrgScope::load(&state, &principal, org_id).await?;
    scope.require_or_hide(OrgAction::ManageInvitations, "pending invitation")?;
    state.store.revoke_invitation(org_id, id).await.map_err(|_| ApiError::not_found("pending invitation"))?;
    audit(
        &state,
        Some(org_id),
        Some(principal.person.id),
        "invitation.revoked",
        Some(id.to_string()),
        serde_json::json!({}),
        &ip,
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}

/// Looks up an open invitation by its secret; anything else is 404.
async fn open_invitation(state: &AppState, token: &str) -> ApiResult<Invitation> {
    match state.store.invitation_by_digest(&hash_secret(token.trim())).await? {
        Some(i) if i.is_open(Utc::now()) => Ok(i),
        _ => Err(ApiError::not_found("invitation (it may have expired, been used or been revoked)")),
    }
}

/// What an invitation link is for (no sign-in needed; the token is the proof).
#[utoipa::path(get, path = "/invitations/{token}", tag = "invitations", params(("token" = String, Path)),
    responses((status = 200, body = InvitationPreview), (status = 404, body = ErrorBody)))]
pub async fn preview_invitation(
    State(state): State<AppState>,
    PathIds(token): PathIds<String>,
) -> ApiResult<Json<InvitationPreview>> {
    let invitation = open_invitation(&state, &token).await?;
    let organisation = state.store.org(invitation.org).await?;
    let account_exists = state.store.person_with_password(&invitation.email).await?.is_some();
    Ok(Json(InvitationPreview {
        organisation,
        email: invitation.email,
        role: invitation.role,
        expires_at: invitation.expires_at,
        account_exists,
    }))
}

/// Accept an invitation and sign in.
#[utoipa::path(post, path = "/invitations/accept", tag = "invitations", request_body = AcceptInvitation,
    responses((status = 200, body = InvitationAccepted), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn accept_invitation(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    JsonBody(req): JsonBody<AcceptInvitation>,
) -> ApiResult<Response> {
    let invitation = open_invitation(&state, &req.token).await?;
    let acceptance = match state.store.person_with_password(&invitation.email).await? {
        Some(_) => {
            let person =
                crate::routes::auth::verify_credentials(&state, &invitation.email, &req.password, &ip)
                    .await
                    .map_err(|e| if e.code == ErrorCode::InvalidCredentials { e.with_field("password") } else { e })?;
            InvitationAcceptance::Existing(person.id)
        }
        None => {
            let display_name = validate_display_name(req.display_name.as_deref().unwrap_or(""), "display_name")?;
            check_password_strength(&req.password, &[&invitation.email, &display_name])
                .map_err(|e| password_error(e, "password"))?;
            let password_hash = hash_password_async(&req.password, "password").await?;
            InvitationAcceptance::NewAccount { display_name, password_hash }
        }
    };
    let (invitation, person_id) =
        state.store.accept_invitation(&hash_secret(req.token.trim()), &acceptance).await.map_err(|e| match e {
            StoreError::NotFound => ApiError::not_found("invitation"),
            StoreError::Duplicate("membership") => ApiError::new(ErrorCode::AlreadyMember, "you are already a member"),
            other => other.into(),
        })?;
    let person = state.store.person(person_id).await?;
    audit(
        &state,
        Some(invitation.org),
        Some(person.id),
        "invitation.accepted",
        Some(invitation.id.to_string()),
        serde_json::json!({ "role": invitation.role }),
        &ip,
    )
    .await;
    let organisation = state.store.org(invitation.org).await?;
    let (session, cookie) = start_session(&state, &person, ip.0.clone(), user_agent(&headers)).await?;
    let body = InvitationAccepted {
        person: person.into(),
        organisation,
        role: invitation.role,
        csrf_token: session.csrf_token,
        expires_at: session.expires_at,
    };
    Ok(with_session_cookie(StatusCode::OK, cookie, body))
}
