//! Single sign-on: an organisation's identity providers (admins), whether its members may still
//! use passwords, the providers a person can sign in with, and the sign-in itself — a redirect
//! to the provider and its answer coming back to the callback.

use crate::error::ErrorCode;
use crate::{
    auth::{ClientIp, Principal, cookie_value, http_only_cookie, start_session, user_agent},
    authz::OrgScope,
    error::{ApiError, ApiResult, ErrorBody},
    json::{JsonBody, PathIds},
    routes::audit,
    state::AppState,
};
use axum::{
    Json,
    extract::{Query, State, rejection::QueryRejection},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::{IntoParams, ToSchema};
use wayfinder_accounts::{AccountsError, SSO_LOGIN_TTL_MINUTES, SsoFailure};
use wayfinder_accounts_rules::policy::OrgAction;
use wayfinder_accounts_rules::sso::{IdentityProviderKind, SsoPolicy, check_policy, email_domain, normalise_domains};
use wayfinder_accounts_rules::{
    IdentityProviderId, OrgId, Role, ValidationError, constant_time_eq, normalise_email, validate_display_name,
};
use wayfinder_store::{IdentityProviderRecord, IdentityProviderWrite};

/// The cookie that ties a sign-in under way to the browser that started it.
const SSO_STATE_COOKIE: &str = "wayfinder_sso_state";
const SSO_COOKIE_PATH: &str = "/api/v1/auth/sso";

/// An identity provider's settings as an admin writes them.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IdentityProviderInput {
    pub kind: IdentityProviderKind,
    /// Shown on the sign-in button ("Sign in with …").
    pub name: String,
    /// The provider's issuer (its discovery document is at `<issuer>/.well-known/openid-configuration`);
    /// Google and Clever have theirs by default. `https`, or `http` on this machine only.
    #[serde(default)]
    pub issuer_url: Option<String>,
    pub client_id: String,
    /// Required when adding a provider; when changing one, leave it out to keep the current secret.
    /// Never shown again.
    #[serde(default)]
    pub client_secret: Option<String>,
    /// E-mail domains (Google: Workspace domains) whose people may sign in; an existing account is
    /// linked only when the provider verifies its address in one of them.
    #[serde(default)]
    pub allowed_domains: Vec<String>,
    /// Clever: the district whose people may sign in.
    #[serde(default)]
    pub district_id: Option<String>,
    /// The ID-token claim whose values choose a new member's role (Clever: `user_type`).
    #[serde(default)]
    pub role_claim: Option<String>,
    /// Claim values and the roles they give (Clever: student, teacher, staff, school_admin,
    /// district_admin by default).
    #[serde(default)]
    pub role_map: Option<BTreeMap<String, Role>>,
    /// The role of a new member whose claims map to none.
    #[serde(default = "learner")]
    pub default_role: Role,
    #[serde(default = "enabled")]
    pub enabled: bool,
}

fn learner() -> Role {
    Role::Learner
}

fn enabled() -> bool {
    true
}

/// An organisation's identity provider (its client secret is never shown).
#[derive(Serialize, ToSchema)]
pub struct IdentityProviderView {
    pub id: IdentityProviderId,
    pub kind: IdentityProviderKind,
    pub name: String,
    pub issuer_url: String,
    pub client_id: String,
    pub allowed_domains: Vec<String>,
    pub district_id: Option<String>,
    pub role_claim: Option<String>,
    pub role_map: BTreeMap<String, Role>,
    pub default_role: Role,
    pub enabled: bool,
    /// The address to register at the provider as this client's redirect URI.
    pub redirect_uri: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// How the organisation's members sign in.
#[derive(Serialize, ToSchema)]
pub struct SignInSettings {
    /// Members sign in only through the organisation's identity providers; their passwords are
    /// refused (instance operators excepted).
    pub sso_only: bool,
    /// The organisation's admins must use a second factor (an authenticator app).
    pub mfa_required_for_admins: bool,
}

/// A change to how the organisation's members sign in (what is left out stays).
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInSettingsChange {
    #[serde(default)]
    pub sso_only: Option<bool>,
    #[serde(default)]
    pub mfa_required_for_admins: Option<bool>,
}

/// A provider a person can sign in with.
#[derive(Serialize, ToSchema)]
pub struct SsoChoice {
    pub provider_id: IdentityProviderId,
    pub name: String,
    pub kind: IdentityProviderKind,
    pub org_name: String,
    /// Where the browser starts the sign-in.
    pub start_url: String,
}

/// Whose providers to list: an organisation's (by its slug) or those of an e-mail's domain.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SsoChoiceQuery {
    /// An organisation's slug.
    #[serde(default)]
    pub org: Option<String>,
    /// An e-mail address: the providers of organisations that accept its domain.
    #[serde(default)]
    pub email: Option<String>,
}

/// Where the web app goes after signing in.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SsoStartQuery {
    /// A path of the web app (default `/`).
    #[serde(default)]
    pub return_to: Option<String>,
}

/// The provider's answer.
#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SsoCallbackQuery {
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub code: Option<String>,
    /// Set by the provider when it did not sign the person in.
    #[serde(default)]
    pub error: Option<String>,
    #[serde(default)]
    pub error_description: Option<String>,
}

fn redirect_uri(state: &AppState) -> String {
    format!("{}/api/v1/auth/sso/callback", state.settings.public_url.trim_end_matches('/'))
}

fn view(state: &AppState, p: IdentityProviderRecord) -> IdentityProviderView {
    IdentityProviderView {
        id: p.id,
        kind: p.policy.kind,
        name: p.name,
        issuer_url: p.issuer_url,
        client_id: p.client_id,
        allowed_domains: p.policy.allowed_domains,
        district_id: p.policy.district_id,
        role_claim: p.policy.role_claim,
        role_map: p.policy.role_map,
        default_role: p.policy.default_role,
        enabled: p.enabled,
        redirect_uri: redirect_uri(state),
        created_at: p.created_at,
        updated_at: p.updated_at,
    }
}

fn bounded(value: &str, field: &str, max: usize) -> Result<String, ValidationError> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > max || value.chars().any(char::is_control) {
        return Err(ValidationError::new(field, format!("must be 1 to {max} characters without control characters")));
    }
    Ok(value.to_string())
}

/// An issuer: an absolute `https` URL, or `http` to this machine (a provider beside the server).
fn check_issuer(raw: &str) -> Result<String, ValidationError> {
    let invalid = |why: &str| ValidationError::new("issuer_url", why);
    let url = url::Url::parse(raw.trim()).map_err(|_| invalid("must be an absolute URL"))?;
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        _ => return Err(invalid("must be an https URL (http only on this machine)")),
    }
    if url.query().is_some() || url.fragment().is_some() || !url.username().is_empty() {
        return Err(invalid("must not carry a query, fragment or credentials"));
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

fn to_write(input: IdentityProviderInput, creating: bool) -> Result<IdentityProviderWrite, ValidationError> {
    let kind = input.kind;
    let issuer = match input.issuer_url.as_deref().or(kind.default_issuer()) {
        Some(issuer) => check_issuer(issuer)?,
        None => return Err(ValidationError::new("issuer_url", "an OpenID Connect provider needs its issuer")),
    };
    let client_secret = match input.client_secret {
        Some(secret) => Some(bounded(&secret, "client_secret", 500)?),
        None if creating => return Err(ValidationError::new("client_secret", "is required")),
        None => None,
    };
    let role_map = input.role_map.unwrap_or_else(|| kind.default_role_map());
    if role_map.len() > 50 || role_map.keys().any(|k| k.is_empty() || k.chars().count() > 100) {
        return Err(ValidationError::new("role_map", "at most 50 claim values of 1 to 100 characters"));
    }
    let role_claim = match input.role_claim.as_deref().or(kind.default_role_claim()) {
        Some(claim) => Some(bounded(claim, "role_claim", 100)?),
        None => None,
    };
    let district_id = input.district_id.as_deref().map(|d| bounded(d, "district_id", 100)).transpose()?;
    let policy = SsoPolicy {
        kind,
        allowed_domains: normalise_domains(&input.allowed_domains)?,
        district_id,
        role_claim,
        role_map,
        default_role: input.default_role,
    };
    check_policy(&policy)?;
    Ok(IdentityProviderWrite {
        name: validate_display_name(&input.name, "name")?,
        issuer_url: issuer,
        client_id: bounded(&input.client_id, "client_id", 300)?,
        client_secret,
        policy,
        enabled: input.enabled,
    })
}

/// A provider that does not exist, or is another organisation's, is not found as such.
fn provider_missing(e: wayfinder_store::StoreError) -> ApiError {
    match e {
        wayfinder_store::StoreError::NotFound => ApiError::not_found("identity provider"),
        other => other.into(),
    }
}

async fn require_org_admin(state: &AppState, principal: &Principal, org: OrgId) -> ApiResult<()> {
    OrgScope::load(state, principal, org).await?.require(OrgAction::UpdateOrganisation)?;
    Ok(())
}

/// The organisation's identity providers (admins).
#[utoipa::path(get, path = "/orgs/{org_id}/identity-providers", tag = "sso", params(("org_id" = OrgId, Path)),
    responses((status = 200, body = [IdentityProviderView]), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn list_providers(
    State(state): State<AppState>,
    principal: Principal,
    PathIds(org_id): PathIds<OrgId>,
) -> ApiResult<Json<Vec<IdentityProviderView>>> {
    require_org_admin(&state, &principal, org_id).await?;
    let providers = state.store.identity_providers(org_id).await?;
    Ok(Json(providers.into_iter().map(|p| view(&state, p)).collect()))
}

/// Add an identity provider (admins).
#[utoipa::path(post, path = "/orgs/{org_id}/identity-providers", tag = "sso", params(("org_id" = OrgId, Path)),
    request_body = IdentityProviderInput,
    responses((status = 201, body = IdentityProviderView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn create_provider(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    PathIds(org_id): PathIds<OrgId>,
    JsonBody(input): JsonBody<IdentityProviderInput>,
) -> ApiResult<(StatusCode, Json<IdentityProviderView>)> {
    require_org_admin(&state, &principal, org_id).await?;
    let write = to_write(input, true)?;
    let created = state.store.create_identity_provider(org_id, &write).await?;
    let detail =
        serde_json::json!({ "kind": created.policy.kind, "name": created.name, "issuer_url": created.issuer_url });
    audit(
        &state,
        Some(org_id),
        Some(principal.person.id),
        "sso.provider_added",
        Some(created.id.to_string()),
        detail,
        &ip,
    )
    .await;
    Ok((StatusCode::CREATED, Json(view(&state, created))))
}

/// Change an identity provider (admins); leave `client_secret` out to keep it.
#[utoipa::path(put, path = "/orgs/{org_id}/identity-providers/{provider_id}", tag = "sso",
    params(("org_id" = OrgId, Path), ("provider_id" = IdentityProviderId, Path)),
    request_body = IdentityProviderInput,
    responses((status = 200, body = IdentityProviderView), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn update_provider(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    PathIds((org_id, provider_id)): PathIds<(OrgId, IdentityProviderId)>,
    JsonBody(input): JsonBody<IdentityProviderInput>,
) -> ApiResult<Json<IdentityProviderView>> {
    require_org_admin(&state, &principal, org_id).await?;
    let write = to_write(input, false)?;
    let secret_changed = write.client_secret.is_some();
    let updated = state.store.update_identity_provider(org_id, provider_id, &write).await.map_err(provider_missing)?;
    let detail =
        serde_json::json!({ "name": updated.name, "enabled": updated.enabled, "secret_changed": secret_changed });
    audit(
        &state,
        Some(org_id),
        Some(principal.person.id),
        "sso.provider_changed",
        Some(provider_id.to_string()),
        detail,
        &ip,
    )
    .await;
    Ok(Json(view(&state, updated)))
}

/// Remove an identity provider with the accounts linked through it (admins). The people stay.
#[utoipa::path(delete, path = "/orgs/{org_id}/identity-providers/{provider_id}", tag = "sso",
    params(("org_id" = OrgId, Path), ("provider_id" = IdentityProviderId, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_provider(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    PathIds((org_id, provider_id)): PathIds<(OrgId, IdentityProviderId)>,
) -> ApiResult<StatusCode> {
    require_org_admin(&state, &principal, org_id).await?;
    state.store.delete_identity_provider(org_id, provider_id).await.map_err(provider_missing)?;
    audit(
        &state,
        Some(org_id),
        Some(principal.person.id),
        "sso.provider_removed",
        Some(provider_id.to_string()),
        serde_json::json!({}),
        &ip,
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}

async fn sign_in_settings(state: &AppState, org: OrgId) -> ApiResult<SignInSettings> {
    Ok(SignInSettings {
        sso_only: state.store.org_sso_only(org).await?,
        mfa_required_for_admins: state.store.org_mfa_required_for_admins(org).await?,
    })
}

/// How the organisation's members sign in (admins).
#[utoipa::path(get, path = "/orgs/{org_id}/sign-in-settings", tag = "sso", params(("org_id" = OrgId, Path)),
    responses((status = 200, body = SignInSettings), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn get_sign_in_settings(
    State(state): State<AppState>,
    principal: Principal,
    PathIds(org_id): PathIds<OrgId>,
) -> ApiResult<Json<SignInSettings>> {
    require_org_admin(&state, &principal, org_id).await?;
    Ok(Json(sign_in_settings(&state, org_id).await?))
}

/// Change how the organisation's members sign in (admins): SSO-only (needs an enabled identity
/// provider), and whether its admins must use a second factor.
#[utoipa::path(put, path = "/orgs/{org_id}/sign-in-settings", tag = "sso", params(("org_id" = OrgId, Path)),
    request_body = SignInSettingsChange,
    responses((status = 200, body = SignInSettings), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn put_sign_in_settings(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    PathIds(org_id): PathIds<OrgId>,
    JsonBody(body): JsonBody<SignInSettingsChange>,
) -> ApiResult<Json<SignInSettings>> {
    require_org_admin(&state, &principal, org_id).await?;
    if body.sso_only == Some(true) && !state.store.identity_providers(org_id).await?.iter().any(|p| p.enabled) {
        return Err(ApiError::new(
            ErrorCode::Conflict,
            "add and enable an identity provider before making sign-in SSO-only",
        ));
    }
    if let Some(sso_only) = body.sso_only {
        state.store.set_org_sso_only(org_id, sso_only).await?;
    }
    if let Some(required) = body.mfa_required_for_admins {
        state.store.set_org_mfa_required_for_admins(org_id, required).await?;
    }
    let settings = sign_in_settings(&state, org_id).await?;
    audit(&state, Some(org_id), Some(principal.person.id), "sso.settings_changed", None,
        serde_json::json!({ "sso_only": settings.sso_only, "mfa_required_for_admins": settings.mfa_required_for_admins }), &ip)
        .await;
    Ok(Json(settings))
}

/// The identity providers a person can sign in with: an organisation's (`org`, its slug) or those
/// of organisations that accept an e-mail address's domain (`email`). Unknown organisations and
/// domains list none.
#[utoipa::path(get, path = "/auth/sso/providers", tag = "sso", params(SsoChoiceQuery),
    responses((status = 200, body = [SsoChoice]), (status = 422, body = ErrorBody)))]
pub async fn sso_choices(
    State(state): State<AppState>,
    query: Result<Query<SsoChoiceQuery>, QueryRejection>,
) -> ApiResult<Json<Vec<SsoChoice>>> {
    let Query(query) = query.map_err(|e| ApiError::invalid("query", e.body_text()))?;
    let providers = match (query.org.as_deref(), query.email.as_deref()) {
        (Some(slug), None) => match state.store.org_by_slug(slug.trim()).await {
            Ok(org) => state.store.identity_providers(org.id).await?,
            Err(wayfinder_store::StoreError::NotFound) => Vec::new(),
            Err(e) => return Err(e.into()),
        },
        (None, Some(email)) => {
            let email = normalise_email(email)?;
            match email_domain(&email) {
                Some(domain) => state.store.identity_providers_for_domain(&domain).await?,
                None => Vec::new(),
            }
        }
        _ => return Err(ApiError::invalid("query", "give either `org` or `email`")),
    };
    let mut choices = Vec::new();
    for p in providers.into_iter().filter(|p| p.enabled) {
        let org = state.store.org(p.org).await?;
        choices.push(SsoChoice {
            provider_id: p.id,
            start_url: format!("/api/v1/auth/sso/{}/start", p.id),
            name: p.name,
            kind: p.policy.kind,
            org_name: org.name,
        });
    }
    Ok(Json(choices))
}

/// A path of the web app to return to: relative, on this site.
fn safe_return_to(raw: Option<&str>) -> String {
    match raw {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.starts_with("/\\")
                && !path.starts_with("/api/")
                && path.len() <= 500
                && !path.chars().any(|c| c.is_control() || c == '\\') =>
        {
            path.to_string()
        }
        _ => "/".to_string(),
    }
}

fn sso_cookie(state: &AppState, value: &str, max_age_secs: i64) -> HeaderValue {
    http_only_cookie(SSO_STATE_COOKIE, value, SSO_COOKIE_PATH, max_age_secs, state.settings.cookie_secure)
}

fn see_other(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

/// Start signing in through an identity provider: redirects the browser to the provider. A browser
/// (`Accept: text/html`) that cannot start goes to `/signin?sso_error=<code>`; other clients get
/// the error.
#[utoipa::path(get, path = "/auth/sso/{provider_id}/start", tag = "sso",
    params(("provider_id" = IdentityProviderId, Path), SsoStartQuery),
    responses((status = 303, description = "to the identity provider; or a browser to the sign-in page with `sso_error`"),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 502, body = ErrorBody)))]
pub async fn start(
    State(state): State<AppState>,
    headers: HeaderMap,
    PathIds(provider_id): PathIds<IdentityProviderId>,
    query: Result<Query<SsoStartQuery>, QueryRejection>,
) -> Response {
    match begin(&state, provider_id, query).await {
        Ok(response) => response,
        Err(error) if wants_html(&headers) => {
            let code: &'static str = error.code.into();
            see_other(&format!("/signin?sso_error={code}"))
        }
        Err(error) => error.into_response(),
    }
}

async fn begin(
    state: &AppState,
    provider_id: IdentityProviderId,
    query: Result<Query<SsoStartQuery>, QueryRejection>,
) -> ApiResult<Response> {
    let Query(query) = query.map_err(|e| ApiError::invalid("query", e.body_text()))?;
    let provider =
        state.store.identity_provider(provider_id).await?.ok_or_else(|| ApiError::not_found("identity provider"))?;
    let return_to = safe_return_to(query.return_to.as_deref());
    let started = state.accounts.begin_sso(&provider, &redirect_uri(state), &return_to).await?;
    let mut response = see_other(&started.authorize_url);
    response.headers_mut().insert(header::SET_COOKIE, sso_cookie(state, &started.state, SSO_LOGIN_TTL_MINUTES * 60));
    Ok(response)
}

fn wants_html(headers: &HeaderMap) -> bool {
    headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("text/html"))
}

/// The identity provider's answer: signs the person in (creating their account and membership
/// when the organisation's rules allow) and sends the browser on into the web app. A browser
/// (`Accept: text/html`) that cannot be signed in goes to `/signin?sso_error=<code>`; other
/// clients get the error.
#[utoipa::path(get, path = "/auth/sso/callback", tag = "sso", params(SsoCallbackQuery),
    responses((status = 303, description = "signed in (session cookie set), on into the web app; or a browser to the sign-in page with `sso_error`"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 502, body = ErrorBody)))]
pub async fn callback(
    State(state): State<AppState>,
    ip: ClientIp,
    headers: HeaderMap,
    query: Result<Query<SsoCallbackQuery>, QueryRejection>,
) -> Response {
    let html = wants_html(&headers);
    let outcome = finish(&state, &ip, &headers, query).await;
    let mut response = match outcome {
        Ok(response) => response,
        Err(error) => {
            let code: &'static str = error.code.into();
            audit(
                &state,
                None,
                None,
                "auth.sso_failed",
                None,
                serde_json::json!({ "code": code, "message": error.message }),
                &ip,
            )
            .await;
            if html { see_other(&format!("/signin?sso_error={code}")) } else { error.into_response() }
        }
    };
    // The sign-in under way is over, whichever way it went.
    response.headers_mut().append(header::SET_COOKIE, sso_cookie(&state, "", 0));
    response
}

async fn finish(
    state: &AppState,
    ip: &ClientIp,
    headers: &HeaderMap,
    query: Result<Query<SsoCallbackQuery>, QueryRejection>,
) -> ApiResult<Response> {
    let invalid_state = || ApiError::from(AccountsError::Sso(SsoFailure::StateInvalid));
    let Ok(Query(query)) = query else { return Err(invalid_state()) };
    let state_param = query.state.as_deref().ok_or_else(invalid_state)?;
    // Taken only in the browser that started it (a login link sent to someone else fails here).
    let cookie = cookie_value(headers, SSO_STATE_COOKIE).ok_or_else(invalid_state)?;
    if !constant_time_eq(cookie.as_bytes(), state_param.as_bytes()) {
        return Err(invalid_state());
    }
    if let Some(error) = query.error.as_deref() {
        let why = query.error_description.as_deref().unwrap_or(error);
        let why: String = why.chars().filter(|c| !c.is_control()).take(200).collect();
        // The sign-in under way is used up either way.
        let _ = state.store.take_sso_login(&wayfinder_accounts_rules::hash_secret(state_param)).await;
        return Err(AccountsError::Sso(SsoFailure::Rejected(format!("the provider answered `{why}`"))).into());
    }
    let code = query.code.as_deref().ok_or_else(invalid_state)?;
    let done = state.accounts.finish_sso(state_param, code, &redirect_uri(state)).await?;
    let (session, cookie) = start_session(state, &done.person, ip.0.clone(), user_agent(headers)).await?;
    let actor = Some(done.person.id);
    let org = Some(done.org);
    if done.signed_in.created {
        audit(state, org, actor, "sso.account_created", Some(done.person.id.to_string()), serde_json::json!({}), ip)
            .await;
    } else if done.signed_in.linked {
        audit(state, org, actor, "sso.account_linked", Some(done.person.id.to_string()), serde_json::json!({}), ip)
            .await;
    }
    if let Some(role) = done.signed_in.joined {
        audit(
            state,
            org,
            actor,
            "sso.member_joined",
            Some(done.person.id.to_string()),
            serde_json::json!({ "role": role }),
            ip,
        )
        .await;
    }
    audit(state, org, actor, "auth.login", Some(session.id.to_string()), serde_json::json!({ "via": "sso" }), ip).await;
    let mut response = see_other(&done.return_to);
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    Ok(response)
}
