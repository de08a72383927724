//! Bad input gets a clear 4xx with a stable code and changes nothing: every
//! case below is sent against a populated database whose row counts must be
//! the same afterwards, and the server keeps serving.

use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A raw request: method, path, content type, body bytes.
struct Raw {
    method: Method,
    path: String,
    content_type: &'static str,
    body: Vec<u8>,
}

fn raw(method: Method, path: impl Into<String>, body: &str) -> Raw {
    Raw { method, path: path.into(), content_type: "application/json", body: body.as_bytes().to_vec() }
}

async fn send_raw(client: &Client, r: &Raw) -> (StatusCode, Value) {
    let mut req = client
        .http
        .request(r.method.clone(), format!("{}{}", client.base, r.path))
        .header("content-type", r.content_type);
    if let Some(csrf) = &client.csrf {
        req = req.header("x-csrf-token", csrf);
    }
    let resp = req.body(r.body.clone()).send().await.expect("sent");
    let status = resp.status();
    let text = resp.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

async fn bad_input_is_refused_without_side_effects(backend: Backend) {
    let w = World::build(backend).await;
    let (a, admin) = (&w.org_a, &w.admin.client);
    let learner = &w.learner.id;
    let huge = format!("{{\"email\":\"{}@x.example\",\"role\":\"learner\"}}", "a".repeat(2 * 1024 * 1024));
    let invitations = format!("/orgs/{a}/invitations");
    let relationships = format!("/orgs/{a}/relationships");
    use Method as M;
    // (request, expected status, expected code, expected field)
    let cases: Vec<(Raw, u16, &str, Option<&str>)> = vec![
        (raw(M::POST, &invitations, "{\"email\": \"x@north.example\", \"role\": "), 400, "malformed_json", None),
        (
            raw(M::POST, &invitations, "{\"email\": \"x@north.example\", \"role\": \"learner\"} trailing"),
            400,
            "malformed_json",
            None,
        ),
        (raw(M::POST, &invitations, ""), 400, "malformed_json", None),
        (raw(M::POST, &invitations, "[1, 2"), 400, "malformed_json", None),
        (raw(M::POST, &invitations, "{\"email\": 5, \"role\": \"learner\"}"), 422, "invalid_field", Some("email")),
        (
            raw(M::POST, &invitations, "{\"email\": \"x@north.example\", \"role\": \"owner\"}"),
            422,
            "invalid_field",
            Some("role"),
        ),
        (
            raw(M::POST, &invitations, "{\"email\": \"x@north.example\", \"role\": \"learner\", \"is_admin\": true}"),
            422,
            "unknown_field",
            Some("is_admin"),
        ),
        (raw(M::POST, &invitations, "{\"role\": \"learner\"}"), 422, "missing_field", Some("email")),
        (
            raw(M::POST, &invitations, "{\"email\": \"not-an-email\", \"role\": \"learner\"}"),
            422,
            "invalid_field",
            Some("email"),
        ),
        (raw(M::POST, &invitations, "[\"x@north.example\", \"learner\"]"), 422, "invalid_field", Some("body")),
        (
            raw(M::POST, &invitations, "{\"email\": \"learner@north.example\", \"role\": \"coach\"}"),
            409,
            "already_member",
            Some("email"),
        ),
        (raw(M::POST, &invitations, &huge), 413, "payload_too_large", None),
        (
            Raw {
                content_type: "text/plain",
                ..raw(M::POST, &invitations, "{\"email\":\"x@north.example\",\"role\":\"learner\"}")
            },
            415,
            "unsupported_media_type",
            None,
        ),
        (raw(M::POST, "/orgs", "{\"slug\": \"Bad Slug\", \"name\": \"Bad\"}"), 422, "invalid_field", Some("slug")),
        (raw(M::POST, "/orgs", "{\"slug\": \"north-high\", \"name\": \"Again\"}"), 409, "already_exists", Some("slug")),
        (raw(M::PATCH, format!("/orgs/{a}"), "{\"name\": \"   \"}"), 422, "invalid_field", Some("name")),
        (raw(M::PATCH, format!("/orgs/{a}"), "{\"name\": [\"list\"]}"), 422, "invalid_field", Some("name")),
        (
            raw(M::PATCH, format!("/orgs/{a}/members/{learner}"), "{\"role\": \"wizard\"}"),
            422,
            "invalid_field",
            Some("role"),
        ),
        (
            raw(M::PATCH, format!("/orgs/{a}/members/0190f0f0-0000-7000-8000-000000000000"), "{\"role\": \"coach\"}"),
            404,
            "not_found",
            None,
        ),
        (raw(M::PATCH, format!("/orgs/{a}/members/xyz"), "{\"role\": \"coach\"}"), 404, "not_found", None),
        (
            raw(
                M::POST,
                &relationships,
                &json!({ "kind": "coach_learner", "from_person": learner, "to_person": w.coach.id }).to_string(),
            ),
            422,
            "role_mismatch",
            Some("from_person"),
        ),
        (
            raw(
                M::POST,
                &relationships,
                &json!({ "kind": "coach_learner", "from_person": w.coach.id, "to_person": learner }).to_string(),
            ),
            409,
            "already_exists",
            None,
        ),
        (
            raw(
                M::POST,
                &relationships,
                &json!({ "kind": "mentor", "from_person": w.coach.id, "to_person": learner }).to_string(),
            ),
            422,
            "invalid_field",
            Some("kind"),
        ),
        (
            raw(
                M::POST,
                &relationships,
                &json!({ "kind": "coach_learner", "from_person": "nope", "to_person": learner }).to_string(),
            ),
            422,
            "invalid_field",
            Some("from_person"),
        ),
        (
            raw(M::POST, "/tokens", "{\"name\": \"ci\", \"expires_in_days\": 0}"),
            422,
            "invalid_field",
            Some("expires_in_days"),
        ),
        (
            raw(M::POST, "/tokens", "{\"name\": \"ci\", \"expires_in_days\": \"ten\"}"),
            422,
            "invalid_field",
            Some("expires_in_days"),
        ),
        (raw(M::POST, "/tokens", &json!({ "name": "x".repeat(101) }).to_string()), 422, "invalid_field", Some("name")),
        (raw(M::GET, format!("/orgs/{a}/audit?limit=0"), ""), 422, "invalid_field", Some("limit")),
        (raw(M::GET, format!("/orgs/{a}/audit?limit=abc"), ""), 422, "invalid_field", Some("query")),
        (
            raw(M::POST, "/auth/login", "{\"email\": \"not-an-email\", \"password\": \"x\"}"),
            422,
            "invalid_field",
            Some("email"),
        ),
        (
            raw(
                M::POST,
                "/invitations/accept",
                "{\"token\": \"wfi_unknown\", \"password\": \"violet-otter-sings-at-dawn\", \"display_name\": \"X\"}",
            ),
            404,
            "not_found",
            None,
        ),
        (
            raw(
                M::POST,
                "/setup",
                "{\"token\": \"wfp_unknown\", \"email\": \"a@b.example\", \"display_name\": \"A\", \"password\": \"violet-otter-sings-at-dawn\"}",
            ),
            404,
            "not_found",
            Some("token"),
        ),
        (raw(M::PUT, format!("/orgs/{a}"), "{}"), 405, "method_not_allowed", None),
        (raw(M::GET, "/no-such-endpoint", ""), 404, "not_found", None),
    ];
    assert!(cases.len() >= 30);

    // An invitation whose acceptance will be tried with a weak password.
    let (_, inv) = admin.post(&invitations, json!({ "email": "weak@north.example", "role": "learner" })).await;
    let weak_accept = json!({ "token": inv["token"], "password": "password123", "display_name": "Weak" }).to_string();
    let mut cases = cases;
    cases.push((raw(M::POST, "/invitations/accept", &weak_accept), 422, "weak_password", Some("password")));
    let no_name = json!({ "token": inv["token"], "password": PASSWORD }).to_string();
    cases.push((raw(M::POST, "/invitations/accept", &no_name), 422, "invalid_field", Some("display_name")));

    let before = w.app.row_counts().await;
    let mut failures = Vec::new();
    for (request, status, code, field) in &cases {
        let client = if request.path == "/orgs" { &w.operator } else { admin };
        let (got, body) = send_raw(client, request).await;
        let ok = got.as_u16() == *status
            && body["error"]["code"] == *code
            && body["error"]["message"].as_str().is_some_and(|m| !m.is_empty())
            && field.is_none_or(|f| body["error"]["field"] == f);
        if !ok {
            failures.push(format!(
                "{} {}: expected {status} {code} {field:?}, got {got} {body}",
                request.method, request.path
            ));
        }
    }
    assert!(failures.is_empty(), "bad-input mismatches:\n{}", failures.join("\n"));
    assert_eq!(w.app.row_counts().await, before, "refused requests must not write anything");

    // The server keeps serving normally afterwards.
    let (status, _) = admin.get("/me").await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = admin.post(&invitations, json!({ "email": "after@north.example", "role": "learner" })).await;
    assert_eq!(status, StatusCode::CREATED);
}

async fn duplicate_emails_are_refused(backend: Backend) {
    let w = World::build(backend).await;
    // An invitation to an email that already has an account elsewhere still
    // works (it joins the existing account), but a new account cannot take it.
    let (_, inv) = w
        .admin_b
        .client
        .post(&format!("/orgs/{}/invitations", w.org_b), json!({ "email": "coach@north.example", "role": "learner" }))
        .await;
    let before = w.app.row_counts().await;
    let (status, body) = w
        .app
        .client()
        .post(
            "/invitations/accept",
            json!({ "token": inv["token"], "password": "some-other-long-password", "display_name": "Impostor" }),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "an existing account is joined only with its own password: {body}");
    let mut after = w.app.row_counts().await;
    let mut expected = before.clone();
    // The failed password attempt is counted for throttling; nothing else is written.
    after.retain(|(t, _)| *t != "login_throttle" && *t != "audit_events");
    expected.retain(|(t, _)| *t != "login_throttle" && *t != "audit_events");
    assert_eq!(after, expected);
}

/// Clients in languages without an integer type send `500.0` for 500: an integer field
/// takes a whole number however it is written, and still refuses a fraction.
async fn whole_numbers_with_a_decimal_point_are_integers(backend: Backend) {
    let w = World::build(backend).await;
    let collections = format!("/orgs/{}/collections", w.org_a);
    let (status, body) = w
        .admin
        .client
        .post(&collections, json!({ "name": "Handbook", "chunk_tokens": 500.0, "chunk_overlap": 4e1 }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!((body["chunk_tokens"].as_i64(), body["chunk_overlap"].as_i64()), (Some(500), Some(40)), "{body}");
    let before = w.app.row_counts().await;
    let (status, body) = w.admin.client.post(&collections, json!({ "name": "Notes", "chunk_tokens": 500.5 })).await;
    assert_eq!((status, body["error"]["field"].as_str()), (StatusCode::UNPROCESSABLE_ENTITY, Some("chunk_tokens")));
    assert_eq!(w.app.row_counts().await, before, "nothing written");
}

wayfinder_testing::on_both_backends!(
    bad_input_is_refused_without_side_effects,
    duplicate_emails_are_refused,
    whole_numbers_with_a_decimal_point_are_integers
);
