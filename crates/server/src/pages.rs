//! The pages a person reaches from a link when the binary has no web app to
//! serve: first-run setup (`/setup?token=…`, printed by `wayfinder serve`),
//! invitation acceptance (`/invite/{token}`, handed out by an admin), and at
//! `/` a page that says how to build the app. When the app is there, its own
//! setup and invitation screens answer these links instead, so the setup link
//! works with either build. The pages are self-contained HTML embedded in the
//! binary and talk to the JSON API.

use crate::{state::AppState, web_app};
use axum::{
    extract::State,
    http::{HeaderMap, HeaderValue, header},
    response::{Html, IntoResponse, Response},
};

const SETUP: &str = include_str!("pages/setup.html");
const INVITE: &str = include_str!("pages/invite.html");
const NO_WEB_APP: &str = include_str!("pages/no-web-app.html");

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

/// `GET /setup`: the app's setup screen, or the built-in page.
pub async fn setup(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match web_app::app_page(&state.settings.web_app, &headers).await {
        Some(app) => app,
        None => page(SETUP),
    }
}

/// `GET /invite/{token}`: the app's invitation screen, or the built-in page.
pub async fn invite(State(state): State<AppState>, headers: HeaderMap) -> Response {
    match web_app::app_page(&state.settings.web_app, &headers).await {
        Some(app) => app,
        None => page(INVITE),
    }
}

/// What a page of the app shows when this binary has no app to serve.
pub fn no_web_app() -> Response {
    page(NO_WEB_APP)
}
