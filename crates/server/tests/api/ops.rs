//! Operations: health, readiness, request ids, the OpenAPI document, and
//! graceful shutdown.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn health_readiness_and_request_ids(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let http = reqwest::Client::new();
    let resp = http.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let generated = resp.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_eq!(generated.len(), 36, "a UUID request id is generated: {generated}");
    let resp = http.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(resp.json::<Value>().await.unwrap()["status"], "ready");
    // A caller's request id is echoed back.
    let resp = http.get(app.url("/api/v1/me")).header("x-request-id", "trace-me-123").send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(resp.headers()["x-request-id"], "trace-me-123");
}

async fn readiness_fails_when_the_database_is_gone(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    app.store.close().await;
    let resp = reqwest::get(app.url("/readyz")).await.unwrap();
    assert_eq!(resp.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(resp.json::<Value>().await.unwrap()["status"], "database_unreachable");
    // Liveness is about the process, not the database.
    assert_eq!(reqwest::get(app.url("/healthz")).await.unwrap().status(), StatusCode::OK);
}

async fn the_openapi_document_describes_every_endpoint(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let doc: Value = reqwest::get(app.url("/api/v1/openapi.json")).await.unwrap().json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for (path, method) in [
        ("/auth/login", "post"),
        ("/auth/logout", "post"),
        ("/auth/logout-all", "post"),
        ("/auth/sessions", "get"),
        ("/auth/sessions/{session_id}", "delete"),
        ("/me", "get"),
        ("/me/password", "post"),
        ("/setup", "post"),
        ("/orgs", "post"),
        ("/orgs/{org_id}", "patch"),
        ("/orgs/{org_id}/members/{person_id}", "patch"),
        ("/orgs/{org_id}/invitations", "post"),
        ("/orgs/{org_id}/invitations/{invitation_id}", "delete"),
        ("/invitations/{token}", "get"),
        ("/invitations/accept", "post"),
        ("/orgs/{org_id}/relationships", "post"),
        ("/orgs/{org_id}/relationships/{relationship_id}", "delete"),
        ("/orgs/{org_id}/audit", "get"),
        ("/tokens", "post"),
        ("/tokens/{token_id}", "delete"),
    ] {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} missing from the OpenAPI document"
        );
    }
    assert!(doc["components"]["schemas"]["ErrorBody"].is_object());
    // The web app's client is generated from the saved copy; it must be what the server serves.
    let saved = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web/openapi.json");
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(saved).unwrap()).unwrap();
    assert!(
        saved == doc,
        "web/openapi.json is out of date: run `cargo run -- openapi > web/openapi.json`, then `npm run check:api` in web/"
    );
}

/// The document states what the server enforces: every JSON operation can answer 400, 413, 415
/// and 422, every operation behind sign-in 401, every path with ids 404; error codes are one
/// enum; request limits are those the checks apply.
async fn the_openapi_document_lists_statuses_and_limits(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let doc: Value = reqwest::get(app.url("/api/v1/openapi.json")).await.unwrap().json().await.unwrap();
    let op = |path: &str, method: &str| doc["paths"][path][method]["responses"].clone();
    for (path, method) in [("/orgs", "post"), ("/orgs/{org_id}/members/{person_id}", "patch"), ("/me/password", "post")]
    {
        for status in ["400", "401", "413", "415", "422"] {
            assert!(op(path, method)[status].is_object(), "{method} {path} lacks {status}");
        }
    }
    assert!(op("/orgs/{org_id}/collections", "post")["404"].is_object());
    assert!(op("/me/password", "post")["429"].is_object(), "password changes are throttled");
    assert!(op("/auth/login", "post")["401"].is_object());
    let upload = op("/orgs/{org_id}/collections/{collection_id}/documents", "post");
    assert!(
        upload["415"].is_object() && upload["400"]["description"].as_str().unwrap().contains("malformed_multipart")
    );
    let codes = doc["components"]["schemas"]["ErrorCode"]["enum"].as_array().unwrap();
    for code in ["not_found", "malformed_json", "last_admin", "model_unavailable", "budget_exceeded"] {
        assert!(codes.iter().any(|c| c == code), "{code} is not in the ErrorCode enum");
    }
    let schemas = &doc["components"]["schemas"];
    assert_eq!(schemas["SearchBody"]["properties"]["query"]["maxLength"], 2000);
    assert_eq!(schemas["SearchBody"]["properties"]["query"]["minLength"], 1);
    assert_eq!(schemas["PostMessage"]["properties"]["content"]["maxLength"], 8000);
    assert_eq!(schemas["PasswordChange"]["properties"]["new_password"]["minLength"], 10);
    assert_eq!(schemas["CreateInvitation"]["properties"]["email"]["format"], "email");
    let role = &schemas["Coach"]["properties"]["style"];
    assert!(role["$ref"].as_str().is_some_and(|r| r.ends_with("/CoachStyle")), "style is an enum: {role}");
}

/// API answers are never sniffed or cached (`/me` carries the CSRF token); over https the
/// server also asks browsers to stay on https.
async fn responses_carry_security_headers(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let admin = app.operator().await;
    let http = reqwest::Client::new();
    for (path, api) in [("/api/v1/me", true), ("/v1/models", true), ("/healthz", true), ("/setup", false)] {
        let resp = http.get(app.url(path)).send().await.unwrap();
        let headers = resp.headers();
        assert_eq!(headers.get("x-content-type-options").map(|v| v.as_bytes()), Some(&b"nosniff"[..]), "{path}");
        if api {
            assert_eq!(headers.get("cache-control").map(|v| v.as_bytes()), Some(&b"no-store"[..]), "{path}");
        }
        assert!(headers.get("strict-transport-security").is_none(), "{path}: no HSTS over plain http");
    }
    let (status, headers, me) = admin.send_full(reqwest::Method::GET, "/me", None, Default::default()).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(headers["cache-control"], "no-store", "the signed-in profile with its CSRF token");

    let secure =
        TestApp::spawn_with(backend, ServerSettings { public_url: "https://wayfinder.test".into(), ..test_settings() })
            .await;
    for path in ["/api/v1/me", "/setup"] {
        let resp = http.get(secure.url(path)).send().await.unwrap();
        assert_eq!(resp.headers()["strict-transport-security"], "max-age=31536000; includeSubDomains", "{path}");
    }
}

async fn shutdown_lets_in_flight_requests_finish(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let _ = app.operator().await;
    let client = app.client();
    // A sign-in spends tens of milliseconds hashing; shut down while it runs.
    let in_flight = tokio::spawn(async move {
        client.post("/auth/login", json!({ "email": "operator@example.org", "password": PASSWORD })).await
    });
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    app.stop().await.expect("server stops cleanly");
    let (status, body) = in_flight.await.unwrap();
    assert_eq!(status, StatusCode::OK, "the in-flight sign-in completed: {body}");
    assert!(reqwest::get(app.url("/healthz")).await.is_err(), "no longer accepting connections");
}

async fn setup_and_invitation_links_open_pages(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    for path in ["/setup?token=wfp_x", "/invite/wfi_x"] {
        let resp = reqwest::get(app.url(path)).await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{path}");
        let csp = resp.headers()["content-security-policy"].to_str().unwrap().to_string();
        assert!(csp.contains("default-src 'none'") && csp.contains("connect-src 'self'"), "{csp}");
        assert_eq!(resp.headers()["referrer-policy"], "no-referrer", "the token in the URL must not leak");
        let html = resp.text().await.unwrap();
        assert!(html.contains("/api/v1/"), "the page talks to the API");
    }
}

wayfinder_testing::on_both_backends!(
    the_openapi_document_lists_statuses_and_limits,
    responses_carry_security_headers,
    setup_and_invitation_links_open_pages,
    health_readiness_and_request_ids,
    readiness_fails_when_the_database_is_gone,
    the_openapi_document_describes_every_endpoint,
    shutdown_lets_in_flight_requests_finish,
);
