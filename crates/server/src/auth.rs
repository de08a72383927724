//! Authentication: who is calling. A request carries either a session cookie
//! (browsers) or `Authorization: Bearer <token>`: a personal API token (scripts) or an OAuth
//! access token (apps signed in through `/oauth/authorize`). Sessions end
//! on idle or absolute expiry and at once when revoked; cookie-authenticated
//! mutations must echo the session's CSRF token in `X-CSRF-Token`.

use crate::error::ErrorCode;
use crate::{error::ApiError, state::AppState};
use axum::{
    extract::{ConnectInfo, FromRequestParts},
    http::{HeaderMap, HeaderValue, Method, header, request::Parts},
};
use chrono::{Duration, Utc};
use std::net::SocketAddr;
use wayfinder_accounts_rules::{
    OAuthClientId, OAuthGrantId, Person, SessionId, TokenId, constant_time_eq, hash_secret, new_secret,
    oauth::looks_like_jwt,
};
use wayfinder_store::{NewSession, Session};

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "wayfinder_session";
/// Header carrying the CSRF token on cookie-authenticated mutations.
pub const CSRF_HEADER: &str = "x-csrf-token";

/// How the caller proved who they are.
#[derive(Clone, Debug)]
pub enum Credential {
    /// A browser session (carries its CSRF token).
    Session { id: SessionId, csrf_token: String },
    /// A personal API token.
    Token { id: TokenId },
    /// An OAuth access token of an app the person approved.
    AccessToken { grant: OAuthGrantId, client: OAuthClientId },
}

/// An authenticated caller.
#[derive(Clone, Debug)]
pub struct Principal {
    pub person: Person,
    pub credential: Credential,
}

impl Principal {
    /// The session id, when authenticated by cookie.
    pub fn session_id(&self) -> Option<SessionId> {
        match &self.credential {
            Credential::Session { id, .. } => Some(*id),
            Credential::Token { .. } | Credential::AccessToken { .. } => None,
        }
    }
}

// Activity is written back at most this often, so steady traffic does not
// turn every read into a write.
const TOUCH_EVERY_SECONDS: i64 = 60;

impl FromRequestParts<AppState> for Principal {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if let Some(principal) = parts.extensions.get::<Principal>() {
            return Ok(principal.clone());
        }
        let principal = authenticate(parts, state).await?;
        parts.extensions.insert(principal.clone());
        Ok(principal)
    }
}

async fn authenticate(parts: &Parts, state: &AppState) -> Result<Principal, ApiError> {
    let now = Utc::now();
    if let Some(auth) = parts.headers.get(header::AUTHORIZATION) {
        let bearer = auth
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim)
            .ok_or_else(|| ApiError::new(ErrorCode::InvalidToken, "use Authorization: Bearer <API token>"))?;
        if looks_like_jwt(bearer) {
            let granted = state.accounts.authenticate_access_token(bearer, &state.settings.public_url).await?;
            require_enrolled_factor(state, &granted.auth.person, granted.auth.mfa, parts)?;
            let credential = Credential::AccessToken { grant: granted.grant, client: granted.client };
            return Ok(Principal { person: granted.auth.person, credential });
        }
        let found = state.store.token_by_digest(&hash_secret(bearer)).await?;
        let Some(found) = found else {
            return Err(ApiError::new(ErrorCode::InvalidToken, "the API token is not valid"));
        };
        if found.token.revoked_at.is_some() {
            return Err(ApiError::new(ErrorCode::TokenRevoked, "the API token has been revoked"));
        }
        if found.token.expires_at <= now {
            return Err(ApiError::new(ErrorCode::TokenExpired, "the API token has expired"));
        }
        let stale = found.token.last_used_at.is_none_or(|t| (now - t).num_seconds() >= TOUCH_EVERY_SECONDS);
        if stale {
            state.store.touch_token(found.token.id, now).await?;
        }
        require_enrolled_factor(state, &found.person, found.mfa, parts)?;
        return Ok(Principal { person: found.person, credential: Credential::Token { id: found.token.id } });
    }

    let Some(secret) = cookie_value(&parts.headers, SESSION_COOKIE) else {
        return Err(ApiError::new(ErrorCode::Unauthenticated, "sign in, or send an API token"));
    };
    let Some(found) = state.store.session_by_digest(&hash_secret(&secret)).await? else {
        return Err(ApiError::new(ErrorCode::SessionInvalid, "your session has ended; sign in again"));
    };
    let session = found.session;
    if session.expires_at <= now || now - session.last_seen_at > state.settings.session_idle {
        state.store.delete_session(session.person, session.id).await.ok();
        return Err(ApiError::new(ErrorCode::SessionExpired, "your session has expired; sign in again"));
    }
    if is_mutation(&parts.method) {
        let sent = parts.headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or("");
        if !constant_time_eq(sent.as_bytes(), session.csrf_token.as_bytes()) {
            return Err(ApiError::new(
                ErrorCode::CsrfFailed,
                "missing or wrong X-CSRF-Token header for a cookie-authenticated change",
            ));
        }
    }
    if (now - session.last_seen_at).num_seconds() >= TOUCH_EVERY_SECONDS {
        state.store.touch_session(session.id, now).await?;
    }
    require_enrolled_factor(state, &found.person, found.mfa, parts)?;
    Ok(Principal {
        person: found.person,
        credential: Credential::Session { id: session.id, csrf_token: session.csrf_token },
    })
}

/// Someone required to use a second factor who has none yet reaches only their profile, enrolling
/// one, and signing out.
fn require_enrolled_factor(
    state: &AppState,
    person: &Person,
    mfa: wayfinder_store::MfaStanding,
    parts: &Parts,
) -> Result<(), ApiError> {
    if mfa.enabled || !state.accounts.mfa_required(person, mfa) {
        return Ok(());
    }
    // The full path (inside the API router the `/api/v1` prefix is already taken off).
    let full = parts.extensions.get::<axum::extract::OriginalUri>().map_or(&parts.uri, |o| &o.0);
    let allowed =
        full.path().strip_prefix("/api/v1").is_some_and(|path| reachable_while_enrolling(&parts.method, path));
    if allowed {
        Ok(())
    } else {
        Err(ApiError::new(
            ErrorCode::MfaEnrollmentRequired,
            "a second factor is required for your account: set up an authenticator app first",
        ))
    }
}

/// What someone required to use a second factor reaches before they have one (`path` inside
/// `/api/v1`): their profile, enrolling, signing out.
pub(crate) fn reachable_while_enrolling(method: &Method, path: &str) -> bool {
    (method == Method::GET && path == "/me")
        || path == "/me/mfa"
        || path.starts_with("/me/mfa/")
        || path == "/auth/logout"
}

fn is_mutation(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Reads one cookie from the request headers.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// The client's address: the socket peer, or the first `X-Forwarded-For`
/// entry when the deployment says a trusted proxy sets it.
#[derive(Clone, Debug)]
pub struct ClientIp(pub Option<String>);

impl FromRequestParts<AppState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        if state.settings.trust_forwarded_for {
            let forwarded = parts
                .headers
                .get("x-forwarded-for")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.split(',').next())
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty());
            if forwarded.is_some() {
                return Ok(ClientIp(forwarded));
            }
        }
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|ci| ci.0.ip().to_string());
        Ok(ClientIp(peer))
    }
}

/// A new session for `person`: stored, and the `Set-Cookie` value to send.
pub async fn start_session(
    state: &AppState,
    person: &Person,
    ip: Option<String>,
    user_agent: Option<String>,
) -> Result<(Session, HeaderValue), ApiError> {
    let secret = new_secret("wfs");
    let csrf = new_secret("wfc").plaintext;
    let expires_at = Utc::now() + state.settings.session_absolute;
    let session = state
        .store
        .create_session(&NewSession {
            person: person.id,
            secret_digest: secret.digest,
            csrf_token: csrf,
            expires_at,
            ip,
            user_agent: user_agent.map(|ua| ua.chars().take(300).collect()),
        })
        .await?;
    let cookie = session_cookie(&secret.plaintext, state.settings.session_absolute, state.settings.cookie_secure);
    Ok((session, cookie))
}

/// The `Set-Cookie` value for a session secret (empty secret and zero age clear it).
pub fn session_cookie(secret: &str, max_age: Duration, secure: bool) -> HeaderValue {
    http_only_cookie(SESSION_COOKIE, secret, "/", max_age.num_seconds(), secure)
}

/// A `Set-Cookie` value the page's scripts cannot read, sent on top-level navigations from other
/// sites (`SameSite=Lax`), `Secure` over https; an empty value and zero age clear it.
pub fn http_only_cookie(name: &str, value: &str, path: &str, max_age_secs: i64, secure: bool) -> HeaderValue {
    let secure = if secure { "; Secure" } else { "" };
    let cookie =
        format!("{name}={value}; Path={path}; HttpOnly; SameSite=Lax; Max-Age={}{secure}", max_age_secs.max(0));
    HeaderValue::from_str(&cookie).expect("cookie values are URL-safe secrets")
}

/// The `User-Agent` header, if any.
pub fn user_agent(headers: &HeaderMap) -> Option<String> {
    headers.get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(str::to_string)
}
