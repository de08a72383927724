//! Sessions, tokens, lockout and CSRF: credentials stop working the moment
//! they are revoked or expire.

use crate::helpers::*;
use reqwest::{Method, StatusCode, header::HeaderMap};
use serde_json::json;
use wayfinder_server::{AccountSettings, ServerSettings};

/// Replays a request with a raw cookie header, as a stolen or stale cookie would arrive.
async fn me_with_cookie(app: &TestApp, cookie: &str) -> (StatusCode, serde_json::Value) {
    let client = Client { http: reqwest::Client::new(), base: app.client().base, csrf: None, bearer: None };
    let mut headers = HeaderMap::new();
    headers.insert("cookie", cookie.parse().unwrap());
    let (status, _, body) = client.send_full(Method::GET, "/me", None, headers).await;
    (status, body)
}

/// Signs in twice: once as a cookie-jar client, once raw to capture the
/// `name=value` cookie and CSRF token of that second session.
async fn login_raw(app: &TestApp, email: &str) -> (String, Client) {
    let (cookie, _, client) = login_raw_with_csrf(app, email).await;
    (cookie, client)
}

async fn login_raw_with_csrf(app: &TestApp, email: &str) -> (String, String, Client) {
    let mut client = app.client();
    let (status, body) = client.login(email, PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let resp = reqwest::Client::new()
        .post(app.url("/api/v1/auth/login"))
        .json(&json!({ "email": email, "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    let set_cookie = resp.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"), "{set_cookie}");
    let body: serde_json::Value = resp.json().await.unwrap();
    let csrf = body["csrf_token"].as_str().unwrap().to_string();
    (set_cookie.split(';').next().unwrap().to_string(), csrf, client)
}

async fn logout_and_logout_everywhere_revoke_at_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let _operator = app.operator().await;
    let (cookie, client) = login_raw(&app, "operator@example.org").await;
    assert_eq!(me_with_cookie(&app, &cookie).await.0, StatusCode::OK);

    // Ending one session from another device.
    let (_, sessions) = client.get("/auth/sessions").await;
    assert!(sessions.as_array().unwrap().len() >= 3, "{sessions}");
    assert_eq!(sessions.as_array().unwrap().iter().filter(|s| s["current"] == true).count(), 1, "{sessions}");
    let (_, other_device) = login_raw(&app, "operator@example.org").await;
    let (_, theirs) = other_device.get("/auth/sessions").await;
    let other_id =
        theirs.as_array().unwrap().iter().find(|s| s["current"] == true).unwrap()["id"].as_str().unwrap().to_string();
    let (status, _) = client.delete(&format!("/auth/sessions/{other_id}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_error(other_device.get("/me").await, StatusCode::UNAUTHORIZED, "session_invalid");
    assert_eq!(me_with_cookie(&app, &cookie).await.0, StatusCode::OK, "other sessions are untouched");

    // Logout ends this session; its cookie is dead even if replayed.
    let (raw_cookie, raw_csrf, _) = login_raw_with_csrf(&app, "operator@example.org").await;
    let mut headers = HeaderMap::new();
    headers.insert("cookie", raw_cookie.parse().unwrap());
    headers.insert("x-csrf-token", raw_csrf.parse().unwrap());
    let bare = Client { http: reqwest::Client::new(), base: app.client().base, csrf: None, bearer: None };
    let (status, response_headers, _) = bare.send_full(Method::POST, "/auth/logout", Some(json!({})), headers).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(response_headers["set-cookie"].to_str().unwrap().contains("Max-Age=0"));
    assert_error(me_with_cookie(&app, &raw_cookie).await, StatusCode::UNAUTHORIZED, "session_invalid");
    let (status, _) = client.post("/auth/logout", json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_error(client.get("/me").await, StatusCode::UNAUTHORIZED, "unauthenticated");

    // Logout everywhere ends every other session too.
    let (cookie_a, client_a) = login_raw(&app, "operator@example.org").await;
    let (cookie_b, _) = login_raw(&app, "operator@example.org").await;
    assert_eq!(me_with_cookie(&app, &cookie_b).await.0, StatusCode::OK);
    let (status, body) = client_a.post("/auth/logout-all", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["sessions_ended"].as_u64().unwrap() >= 2);
    for c in [&cookie_a, &cookie_b, &cookie] {
        assert_error(me_with_cookie(&app, c).await, StatusCode::UNAUTHORIZED, "session_invalid");
    }
}

async fn sessions_expire_when_idle_and_absolutely(backend: Backend) {
    let settings = ServerSettings {
        session_idle: chrono::Duration::milliseconds(1500),
        session_absolute: chrono::Duration::seconds(60),
        ..test_settings()
    };
    let app = TestApp::spawn_with(backend, settings).await;
    let _ = app.operator().await;
    let (cookie, _) = login_raw(&app, "operator@example.org").await;
    assert_eq!(me_with_cookie(&app, &cookie).await.0, StatusCode::OK);
    tokio::time::sleep(std::time::Duration::from_millis(2000)).await;
    assert_error(me_with_cookie(&app, &cookie).await, StatusCode::UNAUTHORIZED, "session_expired");
    // The expired session is gone, not merely refused.
    assert_error(me_with_cookie(&app, &cookie).await, StatusCode::UNAUTHORIZED, "session_invalid");

    let settings = ServerSettings { session_absolute: chrono::Duration::seconds(1), ..test_settings() };
    let app = TestApp::spawn_with(backend, settings).await;
    let _ = app.operator().await;
    let (cookie, _) = login_raw(&app, "operator@example.org").await;
    assert_eq!(me_with_cookie(&app, &cookie).await.0, StatusCode::OK);
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    assert_error(me_with_cookie(&app, &cookie).await, StatusCode::UNAUTHORIZED, "session_expired");
}

async fn api_tokens_work_until_revoked_or_expired(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let operator = app.operator().await;
    let (status, created) =
        operator.post("/tokens", json!({ "name": "reporting script", "expires_in_days": 30 })).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let secret = created["secret"].as_str().unwrap();
    assert!(secret.starts_with("wft_"));
    let bearer = operator.with_bearer(secret);
    let (status, me) = bearer.get("/me").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["authenticated_by"], "token");
    assert!(me.get("csrf_token").is_none());
    // Bearer requests need no CSRF token.
    let (status, _) = bearer.post("/tokens", json!({ "name": "second" })).await;
    assert_eq!(status, StatusCode::CREATED);
    // The secret is never listed.
    let (_, list) = operator.get("/tokens").await;
    assert!(!list.to_string().contains(secret));
    assert!(list[1]["last_used_at"].is_string() || list[0]["last_used_at"].is_string(), "{list}");

    let id = created["token"]["id"].as_str().unwrap();
    let (status, _) = operator.delete(&format!("/tokens/{id}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_error(bearer.get("/me").await, StatusCode::UNAUTHORIZED, "token_revoked");

    // A token past its expiry (made directly in the store) is refused.
    let (_, me) = operator.get("/me").await;
    let person: wayfinder_accounts_rules::PersonId = me["person"]["id"].as_str().unwrap().parse().unwrap();
    let expired = wayfinder_accounts_rules::new_secret("wft");
    app.store
        .create_token(person, "old", &expired.digest, chrono::Utc::now() - chrono::Duration::seconds(1))
        .await
        .unwrap();
    assert_error(operator.with_bearer(&expired.plaintext).get("/me").await, StatusCode::UNAUTHORIZED, "token_expired");
    assert_error(operator.with_bearer("wft_made-up").get("/me").await, StatusCode::UNAUTHORIZED, "invalid_token");
    let mut headers = HeaderMap::new();
    headers.insert("authorization", "Basic b3A6cHc=".parse().unwrap());
    let (status, _, body) = app.client().send_full(Method::GET, "/me", None, headers).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    assert_eq!(body["error"]["code"], "invalid_token");
}

async fn repeated_failures_lock_the_account_and_the_address(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let _ = app.operator().await;
    let mut client = app.client();
    for _ in 0..5 {
        assert_error(
            client.login("operator@example.org", "not-the-password-at-all").await,
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
        );
    }
    // Locked: even the right password is refused for now, with a Retry-After.
    let (status, headers, body) = client
        .send_full(
            Method::POST,
            "/auth/login",
            Some(json!({ "email": "operator@example.org", "password": PASSWORD })),
            HeaderMap::new(),
        )
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert_eq!(body["error"]["code"], "login_locked");
    let retry: u64 = headers["retry-after"].to_str().unwrap().parse().unwrap();
    assert!(retry > 0 && retry <= 15 * 60);
    // Unknown accounts fail the same way (no hint that the email is unknown).
    assert_error(client.login("nobody@example.org", PASSWORD).await, StatusCode::UNAUTHORIZED, "invalid_credentials");

    // Per address: many accounts from one IP trip the address lock.
    let accounts = AccountSettings { login_max_failures_per_ip: 3, ..AccountSettings::default() };
    let settings = ServerSettings { accounts, ..test_settings() };
    let app = TestApp::spawn_with(backend, settings).await;
    let _ = app.operator().await;
    let mut client = app.client();
    for i in 0..3 {
        assert_error(
            client.login(&format!("guess{i}@example.org"), PASSWORD).await,
            StatusCode::UNAUTHORIZED,
            "invalid_credentials",
        );
    }
    assert_error(client.login("operator@example.org", PASSWORD).await, StatusCode::TOO_MANY_REQUESTS, "login_locked");
}

async fn cookie_mutations_need_the_csrf_token(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let operator = app.operator().await;
    let before = app.row_counts().await;
    let mut no_csrf = operator.clone();
    no_csrf.csrf = None;
    assert_error(
        no_csrf.post("/orgs", json!({ "slug": "csrf-test", "name": "CSRF" })).await,
        StatusCode::FORBIDDEN,
        "csrf_failed",
    );
    let mut wrong = operator.clone();
    wrong.csrf = Some("wfc_wrong".into());
    assert_error(
        wrong.post("/orgs", json!({ "slug": "csrf-test", "name": "CSRF" })).await,
        StatusCode::FORBIDDEN,
        "csrf_failed",
    );
    assert_error(no_csrf.post("/auth/logout-all", json!({})).await, StatusCode::FORBIDDEN, "csrf_failed");
    assert_eq!(app.row_counts().await, before, "refused requests changed nothing");
    // Reads need no token; with the right token the change goes through.
    assert_eq!(no_csrf.get("/me").await.0, StatusCode::OK);
    let (status, body) = operator.post("/orgs", json!({ "slug": "csrf-test", "name": "CSRF" })).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

async fn changing_the_password_ends_other_sessions(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let operator = app.operator().await;
    let (other_cookie, _) = login_raw(&app, "operator@example.org").await;
    assert_error(
        operator
            .post(
                "/me/password",
                json!({ "current_password": "wrong-password-here", "new_password": "a-brand-new-secret-phrase" }),
            )
            .await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    );
    assert_error(
        operator.post("/me/password", json!({ "current_password": PASSWORD, "new_password": "password1234" })).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "weak_password",
    );
    let (status, body) = operator
        .post("/me/password", json!({ "current_password": PASSWORD, "new_password": "a-brand-new-secret-phrase" }))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_error(me_with_cookie(&app, &other_cookie).await, StatusCode::UNAUTHORIZED, "session_invalid");
    let mut fresh = app.client();
    assert_eq!(fresh.login("operator@example.org", PASSWORD).await.0, StatusCode::UNAUTHORIZED);
    assert_eq!(fresh.login("operator@example.org", "a-brand-new-secret-phrase").await.0, StatusCode::OK);
}

async fn setup_works_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let anonymous = app.client();
    assert_eq!(anonymous.get("/setup").await.1["needed"], true);
    let _ = app.operator().await;
    assert_eq!(anonymous.get("/setup").await.1["needed"], false);
    // A second setup, even with a fresh token, cannot create another operator.
    let secret = wayfinder_accounts_rules::new_secret("wfp");
    app.store.replace_setup_token(&secret.digest, chrono::Utc::now() + chrono::Duration::hours(1)).await.unwrap();
    let before = app.row_counts().await;
    assert_error(
        anonymous
            .post("/setup", json!({ "token": secret.plaintext, "email": "second@example.org", "display_name": "Second", "password": PASSWORD }))
            .await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_eq!(app.row_counts().await, before);
}

wayfinder_testing::on_both_backends!(
    logout_and_logout_everywhere_revoke_at_once,
    sessions_expire_when_idle_and_absolutely,
    api_tokens_work_until_revoked_or_expired,
    repeated_failures_lock_the_account_and_the_address,
    cookie_mutations_need_the_csrf_token,
    changing_the_password_ends_other_sessions,
    setup_works_once,
);
