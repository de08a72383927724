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
    setup_and_invitation_links_open_pages,
    health_readiness_and_request_ids,
    readiness_fails_when_the_database_is_gone,
    the_openapi_document_describes_every_endpoint,
    shutdown_lets_in_flight_requests_finish,
);
