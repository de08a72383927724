//! Rate limits on the expensive and abusable endpoints — asking a coach, searching, uploading,
//! signing in, inviting, exporting — per caller (their token or session) and per address, in
//! one-minute windows counted in the database, so every instance on it enforces the same limit.
//! Over the limit: `429 rate_limited` with `Retry-After` (the seconds to the next window).

use crate::{
    auth::{ClientIp, SESSION_COOKIE, cookie_value},
    error::{ApiError, ErrorCode},
    state::AppState,
};
use axum::{
    extract::{FromRequestParts, Request, State},
    http::{Method, header},
    middleware::Next,
    response::{IntoResponse, Response},
};
use serde::{Deserialize, Serialize};

wayfinder_accounts_rules::closed_set! {
/// The endpoints limited together.
pub enum RateClass {
    /// A question to a coach (`/conversations/{id}/messages`, `/v1/chat/completions`, a widget's).
    Ask,
    /// Knowledge-base search.
    Search,
    /// Document uploads.
    Upload,
    /// Signing in, completing setup, accepting an invitation, OAuth tokens.
    SignIn,
    /// Invitations and coach provisionings.
    Invitation,
    /// Exports of personal data and of an organisation's tables.
    Export,
}
}

/// Requests a minute per caller and per address; 0 lifts that limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateLimit {
    pub per_caller: u32,
    pub per_ip: u32,
}

/// The limit of each class.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimits {
    pub ask: RateLimit,
    pub search: RateLimit,
    pub upload: RateLimit,
    pub sign_in: RateLimit,
    pub invitation: RateLimit,
    pub export: RateLimit,
}

impl Default for RateLimits {
    /// Generous for people, tight for scripts: a person asks a few questions a minute, a school
    /// behind one address has many people.
    fn default() -> Self {
        let limit = |per_caller, per_ip| RateLimit { per_caller, per_ip };
        RateLimits {
            ask: limit(30, 300),
            search: limit(120, 1200),
            upload: limit(30, 120),
            sign_in: limit(10, 60),
            invitation: limit(60, 240),
            export: limit(10, 60),
        }
    }
}

impl RateLimits {
    pub fn of(&self, class: RateClass) -> RateLimit {
        match class {
            RateClass::Ask => self.ask,
            RateClass::Search => self.search,
            RateClass::Upload => self.upload,
            RateClass::SignIn => self.sign_in,
            RateClass::Invitation => self.invitation,
            RateClass::Export => self.export,
        }
    }
}

/// The class a request falls in, if it is limited.
pub fn classify(method: &Method, path: &str) -> Option<RateClass> {
    let segments: Vec<&str> = path.trim_end_matches('/').split('/').skip(1).collect();
    let api = match segments.as_slice() {
        ["api", "v1", rest @ ..] => rest,
        ["v1", "chat", "completions"] if method == Method::POST => return Some(RateClass::Ask),
        ["oauth", "token" | "revoke"] if method == Method::POST => return Some(RateClass::SignIn),
        _ => return None,
    };
    match (method, api) {
        (&Method::POST, ["conversations", _, "messages"] | ["widgets", _, "messages"]) => Some(RateClass::Ask),
        (&Method::POST, ["search"]) => Some(RateClass::Search),
        (&Method::POST, ["orgs", _, "collections", _, "documents"]) => Some(RateClass::Upload),
        (&Method::POST, ["auth", "login"] | ["auth", "login", "mfa"] | ["setup"] | ["invitations", "accept"]) => {
            Some(RateClass::SignIn)
        }
        (&Method::GET, ["auth", "sso", _, "start"] | ["auth", "sso", "callback"]) => Some(RateClass::SignIn),
        (&Method::POST, ["orgs", _, "invitations"] | ["orgs", _, "coach-provisions"]) => Some(RateClass::Invitation),
        (&Method::GET, ["me", "export"] | ["orgs", _, "members", _, "export"] | ["orgs", _, "exports", _]) => {
            Some(RateClass::Export)
        }
        _ => None,
    }
}

const WINDOW_MS: i64 = 60_000;

/// Counts a limited request against its caller and its address; refuses it over either limit.
pub async fn limit_rates(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let Some(class) = classify(request.method(), request.uri().path()) else {
        return next.run(request).await;
    };
    let limit = state.settings.rate_limits.of(class);
    let (mut parts, body) = request.into_parts();
    let Ok(ClientIp(ip)) = ClientIp::from_request_parts(&mut parts, &state).await;
    // The caller by their credential (never stored as such: its digest).
    let credential = parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
        .or_else(|| cookie_value(&parts.headers, SESSION_COOKIE));
    let now = chrono::Utc::now().timestamp_millis();
    let window = now - now.rem_euclid(WINDOW_MS);
    let mut counted = Vec::new();
    if let Some(credential) = credential.filter(|_| limit.per_caller > 0) {
        let digest = wayfinder_accounts_rules::hash_secret(&credential);
        counted.push((format!("{class}:caller:{}", &digest[..22]), limit.per_caller));
    }
    // An address on this machine is a reverse proxy in front of everyone (without
    // `trust_forwarded_for`) or the operator: not one client to limit.
    let loopback = |ip: &String| ip.parse::<std::net::IpAddr>().is_ok_and(|a| a.is_loopback());
    if let Some(ip) = ip.filter(|ip| limit.per_ip > 0 && !loopback(ip)) {
        counted.push((format!("{class}:ip:{ip}"), limit.per_ip));
    }
    for (key, max) in counted {
        match state.store.hit_rate_counter(&key, window).await {
            Ok(hits) if hits > i64::from(max) => {
                metrics::counter!("wayfinder_rate_limited_total", "class" => class.to_string()).increment(1);
                let mut refusal = ApiError::new(
                    ErrorCode::RateLimited,
                    format!("too many requests of this kind; at most {max} a minute"),
                );
                refusal.retry_after = Some(((window + WINDOW_MS - now) as u64).div_ceil(1000).max(1));
                return refusal.into_response();
            }
            Ok(_) => {}
            // The database is the shared counter; when it fails, the request is not the one to refuse.
            Err(error) => tracing::warn!(%error, "a rate limit could not be counted"),
        }
    }
    next.run(Request::from_parts(parts, body)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_fall_in_their_class() {
        let cases = [
            (Method::POST, "/api/v1/conversations/x/messages", Some(RateClass::Ask)),
            (Method::GET, "/api/v1/conversations/x/messages", None),
            (Method::POST, "/v1/chat/completions", Some(RateClass::Ask)),
            (Method::POST, "/api/v1/search", Some(RateClass::Search)),
            (Method::POST, "/api/v1/orgs/o/collections/c/documents", Some(RateClass::Upload)),
            (Method::DELETE, "/api/v1/orgs/o/documents/d", None),
            (Method::POST, "/api/v1/auth/login", Some(RateClass::SignIn)),
            (Method::POST, "/api/v1/invitations/accept", Some(RateClass::SignIn)),
            (Method::POST, "/api/v1/orgs/o/invitations", Some(RateClass::Invitation)),
            (Method::GET, "/api/v1/orgs/o/invitations", None),
            (Method::GET, "/api/v1/me/export", Some(RateClass::Export)),
            (Method::GET, "/api/v1/orgs/o/exports/messages", Some(RateClass::Export)),
            (Method::GET, "/api/v1/me", None),
            (Method::POST, "/search", None),
            (Method::POST, "/oauth/token", Some(RateClass::SignIn)),
            (Method::GET, "/.well-known/jwks.json", None),
        ];
        for (method, path, class) in cases {
            assert_eq!(classify(&method, path), class, "{method} {path}");
        }
    }
}
