//! The HTTP handlers, grouped by what they manage, and the views they answer with.

pub mod auth;
pub mod coach;
pub mod health;
pub mod invitations;
pub mod knowledge;
pub mod openai;
pub mod orgs;
pub mod relationships;
pub mod tokens;

use crate::{
    auth::ClientIp,
    error::{ApiError, ApiResult, password_error},
    state::AppState,
};
use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use wayfinder_accounts_rules::{Member, OrgId, Organisation, Person, PersonId, Role, hash_password};
use wayfinder_store::NewAuditEvent;

/// A person as the API shows them.
#[derive(Serialize, ToSchema)]
pub struct PersonView {
    pub id: PersonId,
    pub email: String,
    pub display_name: String,
    pub is_operator: bool,
    pub created_at: DateTime<Utc>,
}

impl From<Person> for PersonView {
    fn from(p: Person) -> Self {
        Self {
            id: p.id,
            email: p.email,
            display_name: p.display_name,
            is_operator: p.is_operator,
            created_at: p.created_at,
        }
    }
}

/// An organisation with a role in it.
#[derive(Serialize, ToSchema)]
pub struct MembershipView {
    pub organisation: Organisation,
    pub role: Role,
}

/// A member of an organisation.
#[derive(Serialize, ToSchema)]
pub struct MemberView {
    pub person: PersonView,
    pub role: Role,
    pub joined_at: DateTime<Utc>,
}

impl From<Member> for MemberView {
    fn from(m: Member) -> Self {
        Self { person: m.person.into(), role: m.role, joined_at: m.joined_at }
    }
}

/// Records an audit event. A failure is logged rather than failing the
/// request whose change has already been committed.
pub(crate) async fn audit(
    state: &AppState,
    org: Option<OrgId>,
    actor: Option<PersonId>,
    action: &str,
    subject: Option<String>,
    detail: serde_json::Value,
    ip: &ClientIp,
) {
    let event = NewAuditEvent { org, actor, action: action.to_string(), subject, detail, ip: ip.0.clone() };
    if let Err(e) = state.store.record_audit(&event).await {
        tracing::error!(error = %e, action, "could not write audit event");
    }
}

/// Hashes a password off the async workers (Argon2 is deliberately slow).
pub(crate) async fn hash_password_async(password: &str, field: &str) -> ApiResult<String> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| password_error(e, field))
}

/// A JSON response that also sets the session cookie.
pub(crate) fn with_session_cookie(status: StatusCode, cookie: HeaderValue, body: impl Serialize) -> Response {
    let mut response = (status, Json(serde_json::to_value(body).unwrap_or_default())).into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    response
}

/// Every `/api/v1` route with its OpenAPI description. Uploads get their own,
/// larger body limit.
pub fn api_routes(max_upload_bytes: usize) -> OpenApiRouter<AppState> {
    let uploads = OpenApiRouter::new()
        .routes(routes!(knowledge::upload_documents))
        .layer(axum::extract::DefaultBodyLimit::max(max_upload_bytes));
    OpenApiRouter::new()
        .merge(uploads)
        .routes(routes!(auth::login))
        .routes(routes!(auth::logout))
        .routes(routes!(auth::logout_all))
        .routes(routes!(auth::list_sessions))
        .routes(routes!(auth::revoke_session))
        .routes(routes!(auth::me))
        .routes(routes!(auth::change_password))
        .routes(routes!(auth::setup_status, auth::complete_setup))
        .routes(routes!(orgs::list_orgs, orgs::create_org))
        .routes(routes!(orgs::get_org, orgs::update_org))
        .routes(routes!(orgs::list_members))
        .routes(routes!(orgs::get_member, orgs::update_member, orgs::remove_member))
        .routes(routes!(orgs::list_audit))
        .routes(routes!(invitations::create_invitation, invitations::list_invitations))
        .routes(routes!(invitations::revoke_invitation))
        .routes(routes!(invitations::preview_invitation))
        .routes(routes!(invitations::accept_invitation))
        .routes(routes!(relationships::list_relationships, relationships::create_relationship))
        .routes(routes!(relationships::delete_relationship))
        .routes(routes!(tokens::list_tokens, tokens::create_token))
        .routes(routes!(tokens::revoke_token))
        .routes(routes!(knowledge::list_collections, knowledge::create_collection))
        .routes(routes!(knowledge::get_collection, knowledge::update_collection, knowledge::delete_collection))
        .routes(routes!(knowledge::list_documents))
        .routes(routes!(knowledge::get_document, knowledge::delete_document))
        .routes(routes!(knowledge::document_chunks))
        .routes(routes!(knowledge::list_jobs))
        .routes(routes!(knowledge::get_job))
        .routes(routes!(knowledge::search))
        .routes(routes!(coach::list_coaches, coach::create_coach))
        .routes(routes!(coach::get_coach, coach::update_coach, coach::delete_coach))
        .routes(routes!(coach::make_default_coach))
        .routes(routes!(coach::get_budget, coach::put_budget))
        .routes(routes!(coach::list_conversations, coach::start_conversation))
        .routes(routes!(coach::get_conversation, coach::update_conversation, coach::delete_conversation))
        .routes(routes!(coach::share_conversation, coach::unshare_conversation))
        .routes(routes!(coach::get_shared))
        .routes(routes!(coach::post_message))
        .routes(routes!(coach::put_feedback))
}
