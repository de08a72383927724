//! Invitations: admins invite an email address with a role; the invitee opens
//! the link, sets a password (or confirms their existing one) and is signed in.

use crate::error::ErrorCode;
use crate::{
    auth::Principal,
    auth::{ClientIp, start_session, user_agent},
    authz::OrgScope,
    error::{ApiError, ApiResult, ErrorBody},
    json::{JsonBody, PathIds},
    routes::{PersonView, audit, credentials_in, with_session_cookie},
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
use wayfinder_accounts::AccountsError;
use wayfinder_accounts_rules::{
    InvitationId, InvitationStatus, OrgId, Organisation, PersonId, Role, normalise_email, policy::OrgAction,
};
use wayfinder_store::Invitation;

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
    pub status: InvitationStatus,
    pub invited_by: Option<PersonId>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
}

impl From<Invitation> for InvitationView {
    fn from(i: Invitation) -> Self {
        let status = i.status(Utc::now());
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
    /// Whether the link was e-mailed to the invitee (when the server sends e-mail).
    pub emailed: bool,
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
    Ok((StatusCode::CREATED, Json(invite(&state, org_id, principal.person.id, email, req.role, &ip).await?)))
}

/// Invites `email` into the organisation with `role` on behalf of `by`, audited; answers the
/// invitation with its secret link.
pub(crate) async fn invite(
    state: &AppState,
    org_id: OrgId,
    by: PersonId,
    email: String,
    role: Role,
    ip: &ClientIp,
) -> ApiResult<InvitationCreated> {
    let (invitation, secret) = state.accounts.invite(org_id, email, role, by).await.map_err(|e| match e {
        AccountsError::AlreadyMember => {
            ApiError::new(ErrorCode::AlreadyMember, "this person is already a member").with_field("email")
        }
        other => other.into(),
    })?;
    audit(
        state,
        Some(org_id),
        Some(by),
        "invitation.created",
        Some(invitation.id.to_string()),
        serde_json::json!({ "email": invitation.email, "role": invitation.role }),
        ip,
    )
    .await;
    let accept_url = format!("{}/invite/{secret}", state.settings.public_url.trim_end_matches('/'));
    let organisation = state.store.org(org_id).await.map(|o| o.name).unwrap_or_default();
    let emailed = match state
        .channels
        .email_invitation(org_id, &invitation.email, &organisation, &accept_url, &invitation.id.to_string())
        .await
    {
        Ok(emailed) => emailed,
        Err(error) => {
            tracing::warn!(%error, "the invitation was not e-mailed; hand the link over");
            false
        }
    };
    Ok(InvitationCreated { invitation: invitation.into(), token: secret, accept_url, emailed })
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

/// What an invitation link is for (no sign-in needed; the token is the proof).
#[utoipa::path(get, path = "/invitations/{token}", tag = "invitations", params(("token" = String, Path)),
    responses((status = 200, body = InvitationPreview), (status = 404, body = ErrorBody)))]
pub async fn preview_invitation(
    State(state): State<AppState>,
    PathIds(token): PathIds<String>,
) -> ApiResult<Json<InvitationPreview>> {
    let preview = state.accounts.preview_invitation(&token).await?;
    Ok(Json(InvitationPreview {
        organisation: preview.organisation,
        email: preview.invitation.email,
        role: preview.invitation.role,
        expires_at: preview.invitation.expires_at,
        account_exists: preview.account_exists,
    }))
}

/// Accept an invitation and sign in.
#[utoipa::path(post, path = "/invitations/accept", tag = "invitations", request_body = AcceptInvitation,
    responses((status = 200, body = InvitationAccepted), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub async fn accept_invitation(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    JsonBody(req): JsonBody<AcceptInvitation>,
) -> ApiResult<Response> {
    let accepted = state
        .accounts
        .accept_invitation(&req.token, &req.password, req.display_name.as_deref(), ip.0.as_deref())
        .await
        .map_err(credentials_in("password"))?;
    let (invitation, person) = (accepted.invitation, accepted.person);
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
    // A provisioned coach's training starts now; should that fail, it starts when they
    // complete their profile, so the acceptance itself stands.
    if invitation.role == Role::Coach
        && let Err(error) = state.learning.start_coach_training(invitation.org, invitation.id, person.id).await
    {
        tracing::warn!(%error, invitation = %invitation.id, "the provisioned coach's training did not start");
    }
    let (session, cookie) = start_session(&state, &person, ip.0.clone(), user_agent(&headers)).await?;
    let body = InvitationAccepted {
        person: person.into(),
        organisation: accepted.organisation,
        role: invitation.role,
        csrf_token: session.csrf_token,
        expires_at: session.expires_at,
    };
    Ok(with_session_cookie(StatusCode::OK, cookie, body))
}
