//! The HTTP handlers, grouped by what they manage, and the views they answer with.

pub mod auth;
pub mod channels;
pub mod coach;
pub mod health;
pub mod insights;
pub mod interview_voice;
pub mod interviews;
pub mod invitations;
pub mod knowledge;
pub mod learning;
pub mod mfa;
pub mod model_endpoints;
pub mod nudges;
pub mod oauth;
pub mod openai;
pub mod orgs;
pub mod practice;
pub mod privacy;
pub mod provisioning;
pub mod relationships;
mod route_table;
pub mod sequences;
pub mod sso;
pub mod tokens;
pub mod widgets;

use crate::{
    auth::ClientIp,
    error::{ApiError, ErrorCode, password_error},
    state::AppState,
};
use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use chrono::{DateTime, Utc};
pub use route_table::Descriptions;
use route_table::{ApiRouter, routes};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use wayfinder_accounts::{AccountsError, SsoFailure};
use wayfinder_accounts_rules::{Member, OrgId, Organisation, Person, PersonId, Role, oauth::AccessTokenError};
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

/// What someone other than the person read of their data.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DataRead {
    /// Their progress: mastery, evidence, goals, paths, practice, dashboard.
    Progress,
    /// One of their conversations.
    Conversation(wayfinder_coach_rules::ConversationId),
}

/// Notes that `reader` read `subject`'s data in `org` (nothing when they read their own): once
/// an hour per reader, subject and kind, so the person can see who looked without a row per
/// page load. A failure is logged, not returned.
pub(crate) async fn note_data_read(state: &AppState, org: OrgId, reader: PersonId, subject: PersonId, what: DataRead) {
    if reader == subject {
        return;
    }
    let detail = match what {
        DataRead::Progress => serde_json::json!({ "what": "progress" }),
        DataRead::Conversation(id) => serde_json::json!({ "what": "conversation", "conversation_id": id }),
    };
    let event = NewAuditEvent {
        org: Some(org),
        actor: Some(reader),
        action: "data.read".into(),
        subject: Some(subject.to_string()),
        detail,
        ip: None,
    };
    if let Err(e) = state.store.record_audit_once(&event, chrono::Utc::now() - chrono::Duration::hours(1)).await {
        tracing::error!(error = %e, "could not note a read of someone's data");
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

impl From<AccountsError> for ApiError {
    fn from(e: AccountsError) -> Self {
        match e {
            AccountsError::NotFound(what) => ApiError::not_found(what),
            AccountsError::Invalid(invalid) => invalid.into(),
            AccountsError::Password { field, error } => password_error(error, field),
            AccountsError::InvalidCredentials => {
                ApiError::new(ErrorCode::InvalidCredentials, "the email or password is wrong")
            }
            AccountsError::LoginLocked { retry_after_secs } => {
                let mut err = ApiError::new(
                    ErrorCode::LoginLocked,
                    format!("too many failed sign-ins; try again in {} minutes", retry_after_secs.div_ceil(60)),
                );
                err.retry_after = Some(retry_after_secs);
                err
            }
            AccountsError::AlreadyMember => ApiError::new(ErrorCode::AlreadyMember, "you are already a member"),
            AccountsError::MfaCodeInvalid => ApiError::new(ErrorCode::InvalidMfaCode, e.to_string()),
            AccountsError::MfaChallengeInvalid => ApiError::new(ErrorCode::MfaChallengeInvalid, e.to_string()),
            AccountsError::Conflict(why) => ApiError::new(ErrorCode::Conflict, why),
            AccountsError::LastAdmin => {
                ApiError::new(ErrorCode::LastAdmin, "an organisation must keep at least one admin")
            }
            AccountsError::RoleMismatch { field, message } => {
                ApiError::invalid_as(ErrorCode::RoleMismatch, field, message)
            }
            AccountsError::RelationshipExists => {
                ApiError::new(ErrorCode::AlreadyExists, "this relationship already exists")
            }
            AccountsError::Sso(failure) => {
                let code = match &failure {
                    SsoFailure::StateInvalid => ErrorCode::SsoStateInvalid,
                    SsoFailure::ProviderUnavailable(_) => ErrorCode::SsoProviderUnavailable,
                    SsoFailure::Rejected(_) => ErrorCode::SsoRejected,
                    SsoFailure::Disabled => ErrorCode::SsoProviderDisabled,
                    SsoFailure::Refused(_) => ErrorCode::SsoRefused,
                    SsoFailure::PasswordNotAllowed => ErrorCode::SsoRequired,
                };
                ApiError::new(code, failure.to_string())
            }
            AccountsError::OAuth(error) => ApiError::new(ErrorCode::OauthRequestInvalid, error.to_string()),
            AccountsError::OAuthClient(why) => ApiError::new(ErrorCode::OauthClientInvalid, why),
            AccountsError::AccessToken(AccessTokenError::Expired) => {
                ApiError::new(ErrorCode::TokenExpired, "the access token has expired; refresh it")
            }
            AccountsError::AccessToken(AccessTokenError::Invalid) => {
                ApiError::new(ErrorCode::InvalidToken, "the access token is not valid")
            }
            AccountsError::GrantEnded => ApiError::new(ErrorCode::TokenRevoked, e.to_string()),
            AccountsError::Sealed(e) => ApiError::internal(e),
            AccountsError::Blocking(e) => ApiError::internal(e),
            AccountsError::Store(e) => e.into(),
        }
    }
}

/// Names the field a wrong password was given in, for sign-in checks made on
/// behalf of another form (accepting an invitation, changing a password).
pub(crate) fn credentials_in(field: &'static str) -> impl Fn(AccountsError) -> ApiError {
    move |e| match e {
        AccountsError::InvalidCredentials => ApiError::from(e).with_field(field),
        other => other.into(),
    }
}

/// A JSON response that also sets the session cookie.
pub(crate) fn with_session_cookie(status: StatusCode, cookie: HeaderValue, body: impl Serialize) -> Response {
    let mut response = (status, Json(serde_json::to_value(body).unwrap_or_default())).into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    response
}

/// Every `/api/v1` route, with its OpenAPI description or without. Uploads get
/// their own, larger body limit.
pub fn api_routes(max_upload_bytes: usize, descriptions: Descriptions) -> OpenApiRouter<AppState> {
    let uploads = ApiRouter::new(descriptions)
        .routes(routes!(knowledge::upload_documents))
        .into_inner()
        .layer(axum::extract::DefaultBodyLimit::max(max_upload_bytes));
    ApiRouter::new(descriptions)
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
        .routes(routes!(channels::list_channels))
        .routes(routes!(channels::put_telegram, channels::delete_telegram))
        .routes(routes!(channels::put_whatsapp, channels::delete_whatsapp))
        .routes(routes!(channels::create_link_code))
        .routes(routes!(channels::list_channel_accounts))
        .routes(routes!(channels::unlink_channel_account))
        .routes(routes!(channels::telegram_hook))
        .routes(routes!(channels::email_hook))
        .routes(routes!(channels::whatsapp_hook, channels::whatsapp_handshake))
        .routes(routes!(nudges::list_nudge_rules, nudges::create_nudge_rule))
        .routes(routes!(nudges::update_nudge_rule, nudges::delete_nudge_rule))
        .routes(routes!(nudges::evaluate_nudges))
        .routes(routes!(nudges::nudge_effect))
        .routes(routes!(nudges::get_reach_settings, nudges::put_reach_settings))
        .routes(routes!(sequences::list_sequences, sequences::create_sequence))
        .routes(routes!(sequences::get_sequence, sequences::update_sequence, sequences::delete_sequence))
        .routes(routes!(sequences::list_sequence_enrolments, sequences::enrol_in_sequence))
        .routes(routes!(sequences::stop_sequence_enrolment))
        .routes(routes!(sequences::advance_sequences))
        .routes(routes!(sequences::list_open_check_ins))
        .routes(routes!(sequences::answer_check_in))
        .routes(routes!(interviews::list_interview_templates))
        .routes(routes!(interviews::list_interview_flows, interviews::create_interview_flow))
        .routes(routes!(
            interviews::get_interview_flow,
            interviews::update_interview_flow,
            interviews::delete_interview_flow
        ))
        .routes(routes!(interviews::list_interviews, interviews::start_interview))
        .routes(routes!(interviews::get_interview))
        .routes(routes!(interviews::answer_interview))
        .routes(routes!(interviews::pause_interview))
        .routes(routes!(interviews::resume_interview))
        .routes(routes!(interviews::correct_interview_summary))
        .routes(routes!(interviews::suggested_programs))
        .routes(routes!(interviews::starting_path))
        .routes(routes!(interview_voice::question_audio))
        .routes(routes!(interview_voice::list_recordings))
        .routes(routes!(interview_voice::recording_audio))
        .routes(routes!(mfa::my_mfa))
        .routes(routes!(mfa::enrol_authenticator))
        .routes(routes!(mfa::confirm_authenticator))
        .routes(routes!(mfa::replace_recovery_codes))
        .routes(routes!(mfa::disable_mfa))
        .routes(routes!(mfa::login_second_step))
        .routes(routes!(mfa::reset_member_mfa))
        .routes(routes!(sso::list_providers, sso::create_provider))
        .routes(routes!(sso::update_provider, sso::delete_provider))
        .routes(routes!(sso::get_sign_in_settings, sso::put_sign_in_settings))
        .routes(routes!(sso::sso_choices))
        .routes(routes!(sso::start))
        .routes(routes!(sso::callback))
        .routes(routes!(model_endpoints::list_model_endpoints))
        .routes(routes!(model_endpoints::put_model_endpoint, model_endpoints::delete_model_endpoint))
        .routes(routes!(oauth::list_clients, oauth::create_client))
        .routes(routes!(oauth::delete_client))
        .routes(routes!(oauth::rotate_signing_key))
        .routes(routes!(oauth::check_authorization, oauth::answer_authorization))
        .routes(routes!(oauth::my_apps))
        .routes(routes!(oauth::revoke_my_app))
        .routes(routes!(privacy::export_me))
        .routes(routes!(privacy::erase_me))
        .routes(routes!(privacy::my_data_access))
        .routes(routes!(privacy::export_member))
        .routes(routes!(privacy::erase_member))
        .routes(routes!(privacy::get_retention, privacy::put_retention))
        .routes(routes!(privacy::apply_retention))
        .routes(routes!(privacy::get_prompt_privacy, privacy::put_prompt_privacy))
        .routes(routes!(widgets::list_widgets, widgets::create_widget))
        .routes(routes!(widgets::get_widget, widgets::update_widget, widgets::delete_widget))
        .routes(routes!(widgets::widget_config))
        .routes(routes!(widgets::start_widget_session))
        .routes(routes!(widgets::widget_messages, widgets::ask_widget))
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
        .routes(routes!(learning::list_programs, learning::create_program))
        .routes(routes!(learning::get_program, learning::update_program, learning::delete_program))
        .routes(routes!(learning::publish_program))
        .routes(routes!(learning::discard_draft))
        .routes(routes!(learning::export_program))
        .routes(routes!(learning::export_program_csv))
        .routes(routes!(learning::import_program))
        .routes(routes!(learning::import_program_csv))
        .routes(routes!(learning::draft_program))
        .routes(routes!(learning::replace_program_content))
        .routes(routes!(learning::add_concept))
        .routes(routes!(learning::get_concept, learning::update_concept, learning::remove_concept))
        .routes(routes!(learning::add_prerequisite))
        .routes(routes!(learning::remove_prerequisite))
        .routes(routes!(learning::list_enrolments, learning::enrol))
        .routes(routes!(learning::withdraw))
        .routes(routes!(learning::learner_enrolments))
        .routes(routes!(learning::list_evidence, learning::record_evidence))
        .routes(routes!(learning::learners_progress))
        .routes(routes!(learning::learner_mastery))
        .routes(routes!(learning::concept_mastery))
        .routes(routes!(learning::list_goals, learning::set_goal))
        .routes(routes!(learning::delete_goal))
        .routes(routes!(learning::goal_path))
        .routes(routes!(learning::next_step))
        .routes(routes!(learning::due_reviews))
        .routes(routes!(learning::get_learner_model))
        .routes(routes!(learning::fit_learner_model))
        .routes(routes!(practice::generate_questions))
        .routes(routes!(practice::list_questions, practice::author_question))
        .routes(routes!(practice::get_question, practice::review_question))
        .routes(routes!(practice::list_practice_sessions, practice::start_practice))
        .routes(routes!(practice::get_practice_session))
        .routes(routes!(practice::answer_practice))
        .routes(routes!(practice::review_practice_answer))
        .routes(routes!(practice::awaiting_review))
        .routes(routes!(practice::get_practice_settings, practice::set_practice_settings))
        .routes(routes!(provisioning::list_coach_provisions, provisioning::provision_coach))
        .routes(routes!(provisioning::get_coach_provision))
        .routes(routes!(provisioning::complete_coach_profile))
        .routes(routes!(insights::overview))
        .routes(routes!(insights::learners_at_a_glance))
        .routes(routes!(insights::learner_dashboard))
        .routes(routes!(insights::get_insight_settings, insights::put_insight_settings))
        .routes(routes!(insights::get_conversation_sharing, insights::put_conversation_sharing))
        .routes(routes!(insights::knowledge_gaps))
        .routes(routes!(insights::outcomes))
        .routes(routes!(insights::team))
        .routes(routes!(insights::list_alert_rules, insights::add_alert_rule))
        .routes(routes!(insights::remove_alert_rule))
        .routes(routes!(insights::list_alerts))
        .routes(routes!(insights::evaluate_alerts))
        .routes(routes!(insights::list_notifications))
        .routes(routes!(insights::read_notification))
        .routes(routes!(insights::export_table))
        .into_inner()
}
