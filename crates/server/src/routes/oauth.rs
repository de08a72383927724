//! OAuth 2.1 for native and integration clients over HTTP.
//!
//! In the JSON API: operators register clients and rotate the signing key; the web app's consent
//! page (`/oauth/authorize`) checks a request and records the person's answer; people list and
//! sign out the apps signed in as them. Beside the API, in the protocol's own form: the token and
//! revocation endpoints (form-encoded, RFC 6749 errors), the JWKS and the server's metadata.

use crate::{
    auth::{ClientIp, Principal},
    authz::require_operator,
    error::{ApiError, ApiResult, ErrorBody, ErrorCode},
    json::{JsonBody, PathIds},
    state::AppState,
};
use axum::{
    Form, Json,
    extract::{Query, State, rejection::FormRejection, rejection::QueryRejection},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use base64::{Engine, engine::general_purpose::STANDARD};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use wayfinder_accounts::{
    AccountsError, AuthorizationCheck, AuthorizationRequest, ClientCredentials, ClientRegistration, IssuedTokens,
};
use wayfinder_accounts_rules::{
    OAuthClientId, OAuthGrantId,
    oauth::{OAuthClientKind, OAuthError, OAuthErrorCode, SCOPE_API},
};
use wayfinder_store::{OAuthClient, OAuthGrant};

/// A registered client (never its secret).
#[derive(Serialize, ToSchema)]
pub struct OAuthClientView {
    /// The `client_id`.
    pub id: OAuthClientId,
    pub name: String,
    pub kind: OAuthClientKind,
    pub redirect_uris: Vec<String>,
    pub created_at: DateTime<Utc>,
}

impl From<OAuthClient> for OAuthClientView {
    fn from(c: OAuthClient) -> Self {
        Self { id: c.id, name: c.name, kind: c.kind, redirect_uris: c.redirect_uris, created_at: c.created_at }
    }
}

/// A client to register.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OAuthClientCreate {
    /// Shown to people when they are asked to approve it.
    pub name: String,
    /// `public` for a native app (no secret), `confidential` for a server-side integration.
    pub kind: OAuthClientKind,
    /// Where the browser returns with the code: https, a loopback http address (any port), or a
    /// private-use scheme such as `com.example.app:/oauth`.
    pub redirect_uris: Vec<String>,
}

/// A registered client, with its secret (confidential clients) shown this once.
#[derive(Serialize, ToSchema)]
pub struct OAuthClientCreated {
    pub client: OAuthClientView,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
}

/// A new signing key.
#[derive(Serialize, ToSchema)]
pub struct SigningKeyRotated {
    /// Its key id (`kid`), published in the JWKS.
    pub kid: String,
}

/// An authorization request, as the client sent it to `/oauth/authorize`.
#[derive(Deserialize, IntoParams, ToSchema)]
#[into_params(parameter_in = Query)]
pub struct AuthorizationParams {
    pub response_type: Option<String>,
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
}

impl From<AuthorizationParams> for AuthorizationRequest {
    fn from(p: AuthorizationParams) -> Self {
        AuthorizationRequest {
            response_type: p.response_type,
            client_id: p.client_id,
            redirect_uri: p.redirect_uri,
            code_challenge: p.code_challenge,
            code_challenge_method: p.code_challenge_method,
            scope: p.scope,
            state: p.state,
        }
    }
}

wayfinder_accounts_rules::closed_set! {
    /// What the consent page does with a request.
    pub enum AuthorizationStep {
        /// Ask the person.
        Consent,
        /// The request is wrong: send the browser back to the client with the error.
        Redirect,
    }
}

/// The checked request: whom to ask about, or where to send the browser.
#[derive(Serialize, ToSchema)]
pub struct AuthorizationPrompt {
    pub step: AuthorizationStep,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client: Option<OAuthClientView>,
    /// What the app may do: `api`, the API as you.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redirect_to: Option<String>,
}

wayfinder_accounts_rules::closed_set! {
    /// The person's answer.
    pub enum AuthorizationDecision {
        Allow,
        Deny,
    }
}

/// The person's answer to an authorization request.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthorizationAnswer {
    pub decision: AuthorizationDecision,
    #[serde(default)]
    pub response_type: Option<String>,
    #[serde(default)]
    pub client_id: Option<String>,
    #[serde(default)]
    pub redirect_uri: Option<String>,
    #[serde(default)]
    pub code_challenge: Option<String>,
    #[serde(default)]
    pub code_challenge_method: Option<String>,
    #[serde(default)]
    pub scope: Option<String>,
    #[serde(default)]
    pub state: Option<String>,
}

/// Where to send the browser: back to the client, with a code or an error.
#[derive(Serialize, ToSchema)]
pub struct AuthorizationRedirect {
    pub redirect_to: String,
}

/// An app signed in as you.
#[derive(Serialize, ToSchema)]
pub struct AppGrantView {
    pub id: OAuthGrantId,
    pub client_id: OAuthClientId,
    pub client_name: String,
    pub scope: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: DateTime<Utc>,
}

impl From<OAuthGrant> for AppGrantView {
    fn from(g: OAuthGrant) -> Self {
        Self {
            id: g.id,
            client_id: g.client,
            client_name: g.client_name,
            scope: g.scope,
            created_at: g.created_at,
            last_used_at: g.last_used_at,
        }
    }
}

/// The registered OAuth clients (operators).
#[utoipa::path(get, path = "/oauth/clients", tag = "oauth",
    responses((status = 200, body = [OAuthClientView]), (status = 403, body = ErrorBody)))]
pub async fn list_clients(
    State(state): State<AppState>,
    principal: Principal,
) -> ApiResult<Json<Vec<OAuthClientView>>> {
    require_operator(&principal)?;
    Ok(Json(state.accounts.oauth_clients().await?.into_iter().map(Into::into).collect()))
}

/// Register an OAuth client (operators); a confidential client's secret is shown this once.
#[utoipa::path(post, path = "/oauth/clients", tag = "oauth", request_body = OAuthClientCreate,
    responses((status = 201, body = OAuthClientCreated), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn create_client(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    JsonBody(req): JsonBody<OAuthClientCreate>,
) -> ApiResult<(StatusCode, Json<OAuthClientCreated>)> {
    require_operator(&principal)?;
    let registration = ClientRegistration { name: req.name, kind: req.kind, redirect_uris: req.redirect_uris };
    let (client, client_secret) = state.accounts.register_oauth_client(principal.person.id, registration, ip.0).await?;
    Ok((StatusCode::CREATED, Json(OAuthClientCreated { client: client.into(), client_secret })))
}

/// Remove an OAuth client (operators): every app signed in through it is signed out.
#[utoipa::path(delete, path = "/oauth/clients/{client_id}", tag = "oauth", params(("client_id" = OAuthClientId, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)))]
pub async fn delete_client(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
    PathIds(id): PathIds<OAuthClientId>,
) -> ApiResult<StatusCode> {
    require_operator(&principal)?;
    state.accounts.remove_oauth_client(principal.person.id, id, ip.0).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Rotate the key access tokens are signed with (operators). Tokens signed with the previous
/// key stay valid until they expire; the JWKS publishes both meanwhile.
#[utoipa::path(post, path = "/oauth/signing-keys/rotate", tag = "oauth",
    responses((status = 200, body = SigningKeyRotated), (status = 403, body = ErrorBody)))]
pub async fn rotate_signing_key(
    State(state): State<AppState>,
    principal: Principal,
    ip: ClientIp,
) -> ApiResult<Json<SigningKeyRotated>> {
    require_operator(&principal)?;
    let kid = state.accounts.rotate_signing_key(principal.person.id, ip.0).await?;
    Ok(Json(SigningKeyRotated { kid }))
}

/// Check an authorization request before asking the signed-in person about it. An unknown
/// client or an unregistered redirect address is `400 oauth_client_invalid`: show it, never
/// redirect.
#[utoipa::path(get, path = "/oauth/authorization", tag = "oauth", params(AuthorizationParams),
    responses((status = 200, body = AuthorizationPrompt), (status = 400, body = ErrorBody), (status = 422, body = ErrorBody)))]
pub async fn check_authorization(
    State(state): State<AppState>,
    _principal: Principal,
    params: Result<Query<AuthorizationParams>, QueryRejection>,
) -> ApiResult<Json<AuthorizationPrompt>> {
    let Query(params) = params.map_err(|e| ApiError::invalid("query", e.body_text()))?;
    let prompt = match state.accounts.check_authorization(&params.into()).await? {
        AuthorizationCheck::Consent { client, scope, .. } => AuthorizationPrompt {
            step: AuthorizationStep::Consent,
            client: Some(client.into()),
            scope: Some(scope.to_string()),
            redirect_to: None,
        },
        AuthorizationCheck::RedirectError { redirect_to } => AuthorizationPrompt {
            step: AuthorizationStep::Redirect,
            client: None,
            scope: None,
            redirect_to: Some(redirect_to),
        },
    };
    Ok(Json(prompt))
}

/// The signed-in person allows or denies an authorization request: where to send the browser.
/// Only from a browser session (an app cannot approve another app).
#[utoipa::path(post, path = "/oauth/authorization", tag = "oauth", request_body = AuthorizationAnswer,
    responses((status = 200, body = AuthorizationRedirect), (status = 400, body = ErrorBody), (status = 403, body = ErrorBody)))]
pub async fn answer_authorization(
    State(state): State<AppState>,
    principal: Principal,
    JsonBody(req): JsonBody<AuthorizationAnswer>,
) -> ApiResult<Json<AuthorizationRedirect>> {
    if principal.session_id().is_none() {
        return Err(ApiError::new(ErrorCode::Forbidden, "apps are approved by a person signed in in the browser"));
    }
    let request = AuthorizationRequest {
        response_type: req.response_type,
        client_id: req.client_id,
        redirect_uri: req.redirect_uri,
        code_challenge: req.code_challenge,
        code_challenge_method: req.code_challenge_method,
        scope: req.scope,
        state: req.state,
    };
    let allow = req.decision == AuthorizationDecision::Allow;
    let redirect_to = state.accounts.decide_authorization(principal.person.id, &request, allow).await?;
    Ok(Json(AuthorizationRedirect { redirect_to }))
}

/// The apps signed in as you (through OAuth), most recently used first.
#[utoipa::path(get, path = "/me/apps", tag = "oauth", responses((status = 200, body = [AppGrantView])))]
pub async fn my_apps(State(state): State<AppState>, principal: Principal) -> ApiResult<Json<Vec<AppGrantView>>> {
    Ok(Json(state.accounts.person_grants(principal.person.id).await?.into_iter().map(Into::into).collect()))
}

/// Sign an app out of your account: its refresh and access tokens stop working at once.
#[utoipa::path(delete, path = "/me/apps/{grant_id}", tag = "oauth", params(("grant_id" = OAuthGrantId, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)))]
pub async fn revoke_my_app(
    State(state): State<AppState>,
    principal: Principal,
    PathIds(grant): PathIds<OAuthGrantId>,
) -> ApiResult<StatusCode> {
    state.accounts.revoke_person_grant(principal.person.id, grant).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The token endpoint's form (RFC 6749 §4.1.3 and §6).
#[derive(Deserialize)]
pub struct TokenForm {
    grant_type: Option<String>,
    code: Option<String>,
    redirect_uri: Option<String>,
    code_verifier: Option<String>,
    refresh_token: Option<String>,
    scope: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

/// The revocation endpoint's form (RFC 7009).
#[derive(Deserialize)]
pub struct RevocationForm {
    token: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

#[derive(Serialize)]
struct TokenResponse {
    access_token: String,
    token_type: &'static str,
    expires_in: i64,
    refresh_token: String,
    scope: String,
}

#[derive(Serialize)]
struct OAuthErrorBody<'a> {
    error: &'a str,
    error_description: &'a str,
}

/// An OAuth refusal in RFC 6749's form: `401` with a challenge for client authentication, `400` otherwise.
fn oauth_error(error: &OAuthError) -> Response {
    let status =
        if error.code == OAuthErrorCode::InvalidClient { StatusCode::UNAUTHORIZED } else { StatusCode::BAD_REQUEST };
    let body = OAuthErrorBody { error: error.code.into(), error_description: &error.description };
    let mut response = (status, Json(body)).into_response();
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic realm=\"wayfinder\""));
    }
    response
}

fn protocol_failure(error: AccountsError) -> Response {
    match error {
        AccountsError::OAuth(error) => oauth_error(&error),
        other => ApiError::from(other).into_response(),
    }
}

/// The client's credentials: HTTP Basic (RFC 6749 §2.3.1, form-encoded id and secret) or form fields.
fn client_credentials(
    headers: &HeaderMap,
    client_id: Option<String>,
    client_secret: Option<String>,
) -> Result<ClientCredentials, OAuthError> {
    let malformed = || OAuthError::new(OAuthErrorCode::InvalidClient, "malformed HTTP Basic client authentication");
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(ClientCredentials { client_id, client_secret });
    };
    let encoded = value.to_str().ok().and_then(|v| v.strip_prefix("Basic ")).ok_or_else(malformed)?;
    let decoded = STANDARD.decode(encoded.trim()).ok().and_then(|b| String::from_utf8(b).ok()).ok_or_else(malformed)?;
    let (id, secret) = decoded.split_once(':').ok_or_else(malformed)?;
    let unescape =
        |s: &str| url::form_urlencoded::parse(format!("v={s}").as_bytes()).next().map(|(_, v)| v.into_owned());
    if client_secret.is_some() || client_id.as_deref().is_some_and(|given| Some(given.to_string()) != unescape(id)) {
        return Err(OAuthError::new(OAuthErrorCode::InvalidRequest, "authenticate the client one way, not two"));
    }
    Ok(ClientCredentials { client_id: unescape(id), client_secret: unescape(secret).filter(|s| !s.is_empty()) })
}

fn required(value: Option<String>, name: &str) -> Result<String, OAuthError> {
    value
        .filter(|v| !v.is_empty())
        .ok_or_else(|| OAuthError::new(OAuthErrorCode::InvalidRequest, format!("{name} is required")))
}

/// `POST /oauth/token`: an authorization code or a refresh token for new tokens.
pub async fn token(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<TokenForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return oauth_error(&OAuthError::new(
            OAuthErrorCode::InvalidRequest,
            "send the request as application/x-www-form-urlencoded",
        ));
    };
    let credentials = match client_credentials(&headers, form.client_id, form.client_secret) {
        Ok(credentials) => credentials,
        Err(error) => return oauth_error(&error),
    };
    let issuer = state.settings.public_url.as_str();
    let issued: Result<IssuedTokens, AccountsError> = match form.grant_type.as_deref() {
        Some("authorization_code") => match required(form.code, "code") {
            Ok(code) => {
                state
                    .accounts
                    .exchange_authorization_code(
                        &credentials,
                        &code,
                        form.redirect_uri.as_deref(),
                        form.code_verifier.as_deref(),
                        issuer,
                    )
                    .await
            }
            Err(error) => Err(AccountsError::OAuth(error)),
        },
        Some("refresh_token") => match required(form.refresh_token, "refresh_token") {
            Ok(refresh) => state.accounts.refresh_tokens(&credentials, &refresh, form.scope.as_deref(), issuer).await,
            Err(error) => Err(AccountsError::OAuth(error)),
        },
        Some(_) => Err(AccountsError::OAuth(OAuthError::new(
            OAuthErrorCode::UnsupportedGrantType,
            "grant_type is authorization_code or refresh_token",
        ))),
        None => Err(AccountsError::OAuth(OAuthError::new(OAuthErrorCode::InvalidRequest, "grant_type is required"))),
    };
    match issued {
        Ok(tokens) => {
            let body = TokenResponse {
                access_token: tokens.access_token,
                token_type: "Bearer",
                expires_in: tokens.expires_in,
                refresh_token: tokens.refresh_token,
                scope: tokens.scope,
            };
            ([(header::PRAGMA, "no-cache")], Json(body)).into_response()
        }
        Err(error) => protocol_failure(error),
    }
}

/// `POST /oauth/revoke`: a client signs out (its refresh token's whole grant ends).
pub async fn revoke(
    State(state): State<AppState>,
    headers: HeaderMap,
    form: Result<Form<RevocationForm>, FormRejection>,
) -> Response {
    let Ok(Form(form)) = form else {
        return oauth_error(&OAuthError::new(OAuthErrorCode::InvalidRequest, "send token as a form field"));
    };
    let credentials = match client_credentials(&headers, form.client_id, form.client_secret) {
        Ok(credentials) => credentials,
        Err(error) => return oauth_error(&error),
    };
    let token = match required(form.token, "token") {
        Ok(token) => token,
        Err(error) => return oauth_error(&error),
    };
    match state.accounts.revoke_refresh_token(&credentials, &token).await {
        Ok(()) => StatusCode::OK.into_response(),
        Err(error) => protocol_failure(error),
    }
}

/// `GET /.well-known/jwks.json`: the keys access tokens are signed with.
pub async fn jwks(State(state): State<AppState>) -> Response {
    match state.accounts.published_keys().await {
        Ok(keys) => {
            let keys: Vec<serde_json::Value> = keys
                .into_iter()
                .map(|(kid, key)| {
                    serde_json::json!({"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid, "n": key.n, "e": key.e})
                })
                .collect();
            ([(header::CACHE_CONTROL, "public, max-age=300")], Json(serde_json::json!({ "keys": keys })))
                .into_response()
        }
        Err(error) => ApiError::from(error).into_response(),
    }
}

/// `GET /.well-known/oauth-authorization-server`: where the endpoints are (RFC 8414).
pub async fn metadata(State(state): State<AppState>) -> Json<serde_json::Value> {
    let base = state.settings.public_url.trim_end_matches('/');
    Json(serde_json::json!({
        "issuer": base,
        "authorization_endpoint": format!("{base}/oauth/authorize"),
        "token_endpoint": format!("{base}/oauth/token"),
        "revocation_endpoint": format!("{base}/oauth/revoke"),
        "jwks_uri": format!("{base}/.well-known/jwks.json"),
        "response_types_supported": ["code"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "code_challenge_methods_supported": ["S256"],
        "token_endpoint_auth_methods_supported": ["none", "client_secret_basic", "client_secret_post"],
        "revocation_endpoint_auth_methods_supported": ["none", "client_secret_basic", "client_secret_post"],
        "scopes_supported": [SCOPE_API],
    }))
}
