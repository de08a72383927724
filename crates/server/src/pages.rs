//! The two pages a person reaches from a link before any app is involved:
//! first-run setup (`/setup?token=…`, printed by `wayfinder serve`) and
//! invitation acceptance (`/invite/{token}`, handed out by an admin). They
//! are self-contained HTML embedded in the binary and talk to the JSON API.

use axum::{
    http::{HeaderValue, header},
    response::{Html, IntoResponse, Response},
};

const SETUP: &str = include_str!("pages/setup.html");
const INVITE: &str = include_str!("pages/invite.html");

// The pages load nothing from elsewhere and only call this server's API.
const CSP: &str = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; \
                   connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

fn page(html: &'static str) -> Response {
    let mut response = Html(html).into_response();
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// `GET /setup`
pub async fn setup() -> Response {
    page(SETUP)
}

/// `GET /invite/{token}`
pub async fn invite() -> Response {
    page(INVITE)
}
