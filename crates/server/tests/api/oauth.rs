//! Tokens for native and integration clients over HTTP, the way an app uses them: an operator
//! registers the app; a signed-in learner approves it; the app redeems the code with its PKCE
//! verifier (computed here), calls the API with the RS256 access token (its signature checked
//! here against the published JWKS with an RSA implementation of the test's own), refreshes, and
//! is cut off when a refresh token or a code is presented twice, when the learner signs it out,
//! or when it revokes its token. Signing keys rotate without a token failing, across instances.

use crate::helpers::*;
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use reqwest::StatusCode;
use rsa::{BigUint, RsaPublicKey, pkcs1v15::VerifyingKey, signature::Verifier};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const LOOPBACK: &str = "http://127.0.0.1/callback";

pub(crate) fn pkce() -> (String, String) {
    let verifier = format!("v{}", uuid::Uuid::new_v4().simple()) + &uuid::Uuid::new_v4().simple().to_string();
    let challenge = URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()));
    (verifier, challenge)
}

/// The query of an authorization request.
fn authorization_query(client_id: &str, redirect_uri: &str, challenge: &str, state: &str) -> String {
    let pairs = [
        ("response_type", "code"),
        ("client_id", client_id),
        ("redirect_uri", redirect_uri),
        ("code_challenge", challenge),
        ("code_challenge_method", "S256"),
        ("scope", "api"),
        ("state", state),
    ];
    url::form_urlencoded::Serializer::new(String::new()).extend_pairs(pairs).finish()
}

fn query_param(uri: &str, name: &str) -> Option<String> {
    url::Url::parse(uri).unwrap().query_pairs().find(|(k, _)| k == name).map(|(_, v)| v.into_owned())
}

/// The signed-in `person` approves `client_id` (redirecting to a loopback port); answers the code.
pub(crate) async fn approve(person: &Client, client_id: &str, challenge: &str) -> String {
    let redirect = "http://127.0.0.1:53100/callback";
    let (status, redirect_to) = person
        .post(
            "/oauth/authorization",
            json!({
                "decision": "allow", "response_type": "code", "client_id": client_id, "redirect_uri": redirect,
                "code_challenge": challenge, "code_challenge_method": "S256", "scope": "api", "state": "s-42",
            }),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{redirect_to}");
    let to = redirect_to["redirect_to"].as_str().unwrap();
    assert!(to.starts_with("http://127.0.0.1:53100/callback?"), "{to}");
    assert_eq!(query_param(to, "state").as_deref(), Some("s-42"));
    query_param(to, "code").expect("a code")
}

/// POSTs a form to a protocol endpoint (`/oauth/token`, `/oauth/revoke`) of `app`.
async fn form(app: &TestApp, path: &str, fields: &[(&str, &str)], basic: Option<(&str, &str)>) -> (StatusCode, Value) {
    let mut req = reqwest::Client::new().post(format!("http://{}{path}", app.addr)).form(fields);
    if let Some((id, secret)) = basic {
        req = req.basic_auth(id, Some(secret));
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    if status.is_success() && path == "/oauth/token" {
        assert_eq!(resp.headers()["cache-control"], "no-store");
    }
    let text = resp.text().await.unwrap();
    (status, if text.is_empty() { Value::Null } else { serde_json::from_str(&text).unwrap() })
}

pub(crate) async fn exchange(app: &TestApp, client_id: &str, code: &str, verifier: &str) -> (StatusCode, Value) {
    let fields = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", "http://127.0.0.1:53100/callback"),
        ("client_id", client_id),
        ("code_verifier", verifier),
    ];
    form(app, "/oauth/token", &fields, None).await
}

async fn refresh(app: &TestApp, client_id: &str, token: &str) -> (StatusCode, Value) {
    form(
        app,
        "/oauth/token",
        &[("grant_type", "refresh_token"), ("refresh_token", token), ("client_id", client_id)],
        None,
    )
    .await
}

fn assert_oauth_error(answer: (StatusCode, Value), status: StatusCode, error: &str) {
    assert_eq!(answer.0, status, "{}", answer.1);
    assert_eq!(answer.1["error"], error, "{}", answer.1);
    assert!(answer.1["error_description"].is_string());
}

/// The JWT's header and claims, after checking its RS256 signature against the JWKS of `app`.
async fn verified_claims(app: &TestApp, token: &str) -> (Value, Value) {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3);
    let decode = |part: &str| -> Value { serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap() };
    let (header, claims) = (decode(parts[0]), decode(parts[1]));
    assert_eq!(header["alg"], "RS256");
    let jwks: Value =
        reqwest::get(format!("http://{}/.well-known/jwks.json", app.addr)).await.unwrap().json().await.unwrap();
    let jwk = jwks["keys"].as_array().unwrap().iter().find(|k| k["kid"] == header["kid"]).expect("kid published");
    assert_eq!(
        (jwk["kty"].as_str(), jwk["alg"].as_str(), jwk["use"].as_str()),
        (Some("RSA"), Some("RS256"), Some("sig"))
    );
    let number = |field: &str| BigUint::from_bytes_be(&URL_SAFE_NO_PAD.decode(jwk[field].as_str().unwrap()).unwrap());
    let key = VerifyingKey::<Sha256>::new(RsaPublicKey::new(number("n"), number("e")).unwrap());
    let signature = rsa::pkcs1v15::Signature::try_from(URL_SAFE_NO_PAD.decode(parts[2]).unwrap().as_slice()).unwrap();
    key.verify(format!("{}.{}", parts[0], parts[1]).as_bytes(), &signature).expect("the signature verifies");
    (header, claims)
}

pub(crate) async fn register(operator: &Client, name: &str, kind: &str) -> (String, Option<String>) {
    let body = json!({ "name": name, "kind": kind, "redirect_uris": [LOOPBACK, "com.example.app:/oauth"] });
    let (status, created) = operator.post("/oauth/clients", body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    (created["client"]["id"].as_str().unwrap().to_string(), created["client_secret"].as_str().map(String::from))
}

async fn a_native_app_signs_in_with_pkce_and_its_refresh_tokens_rotate(backend: Backend) {
    let w = World::build(backend).await;
    let app = &w.app;
    let learner = &w.learner.client;

    // Only operators register clients, and only with redirect addresses a native app may use.
    let body = json!({ "name": "Study app", "kind": "public", "redirect_uris": [LOOPBACK] });
    assert_error(w.admin.client.post("/oauth/clients", body).await, StatusCode::FORBIDDEN, "forbidden");
    let plain_http = json!({ "name": "Study app", "kind": "public", "redirect_uris": ["http://app.example/cb"] });
    assert_error(
        w.operator.post("/oauth/clients", plain_http).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
    );
    let (client_id, secret) = register(&w.operator, "Study app", "public").await;
    assert!(secret.is_none(), "a public client has no secret");
    let (_, clients) = w.operator.get("/oauth/clients").await;
    assert_eq!(clients[0]["redirect_uris"], json!([LOOPBACK, "com.example.app:/oauth"]));

    // The consent page's check: the client and where it returns; wrong requests go back to the
    // app with the error, unknown clients and unregistered addresses are never redirected to.
    let (verifier, challenge) = pkce();
    let query = authorization_query(&client_id, "http://127.0.0.1:53100/callback", &challenge, "s-42");
    let (status, prompt) = learner.get(&format!("/oauth/authorization?{query}")).await;
    assert_eq!(status, StatusCode::OK, "{prompt}");
    assert_eq!((prompt["step"].as_str(), prompt["client"]["name"].as_str()), (Some("consent"), Some("Study app")));
    assert_eq!(prompt["scope"], "api");
    let unknown = authorization_query(&uuid::Uuid::now_v7().to_string(), LOOPBACK, &challenge, "s");
    assert_error(
        learner.get(&format!("/oauth/authorization?{unknown}")).await,
        StatusCode::BAD_REQUEST,
        "oauth_client_invalid",
    );
    let elsewhere = authorization_query(&client_id, "https://evil.example/cb", &challenge, "s");
    assert_error(
        learner.get(&format!("/oauth/authorization?{elsewhere}")).await,
        StatusCode::BAD_REQUEST,
        "oauth_client_invalid",
    );
    let plain = query.replace("code_challenge_method=S256", "code_challenge_method=plain");
    let (_, prompt) = learner.get(&format!("/oauth/authorization?{plain}")).await;
    assert_eq!(prompt["step"], "redirect");
    let to = prompt["redirect_to"].as_str().unwrap();
    assert_eq!(query_param(to, "error").as_deref(), Some("invalid_request"));
    assert_eq!(query_param(to, "state").as_deref(), Some("s-42"));
    // Declining sends the app `access_denied`; an app cannot approve another app.
    let (_, denied) = learner
        .post(
            "/oauth/authorization",
            json!({ "decision": "deny", "response_type": "code", "client_id": client_id,
                    "redirect_uri": LOOPBACK, "code_challenge": challenge, "code_challenge_method": "S256", "state": "d" }),
        )
        .await;
    assert_eq!(query_param(denied["redirect_to"].as_str().unwrap(), "error").as_deref(), Some("access_denied"));

    // The code, redeemed with the verifier, gives a 15-minute access token and a refresh token.
    let code = approve(learner, &client_id, &challenge).await;
    let (other_verifier, _) = pkce();
    assert_oauth_error(
        exchange(app, &client_id, &code, &other_verifier).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    );
    let (status, tokens) = exchange(app, &client_id, &code, &verifier).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    assert_eq!((tokens["token_type"].as_str(), tokens["expires_in"].as_i64()), (Some("Bearer"), Some(900)));
    let access = tokens["access_token"].as_str().unwrap();
    let (header, claims) = verified_claims(app, access).await;
    assert!(header["kid"].is_string());
    assert_eq!(claims["iss"], "http://wayfinder.test");
    assert_eq!(claims["aud"], "http://wayfinder.test/api/v1");
    assert_eq!(claims["sub"], w.learner.id.as_str());
    assert_eq!(claims["client_id"], client_id.as_str());
    assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 900);
    let as_app = learner.with_bearer(access);
    let (status, me) = as_app.get("/me").await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(
        (me["person"]["id"].as_str(), me["authenticated_by"].as_str()),
        (Some(w.learner.id.as_str()), Some("access_token"))
    );
    // The token acts as the learner, no more: another organisation's data stays out of reach.
    assert_error(as_app.get(&format!("/orgs/{}/members", w.org_b)).await, StatusCode::NOT_FOUND, "not_found");

    // A forged token — claims changed under the old signature — is refused.
    let mut parts: Vec<String> = access.split('.').map(String::from).collect();
    let mut forged_claims = claims.clone();
    forged_claims["sub"] = json!(w.admin.id);
    parts[1] = URL_SAFE_NO_PAD.encode(forged_claims.to_string());
    assert_error(learner.with_bearer(&parts.join(".")).get("/me").await, StatusCode::UNAUTHORIZED, "invalid_token");

    // Refreshing gives the next refresh token; the first one, presented again, ends the family:
    // the newer refresh token and the access tokens stop working too.
    let first = tokens["refresh_token"].as_str().unwrap().to_string();
    let (status, second) = refresh(app, &client_id, &first).await;
    assert_eq!(status, StatusCode::OK, "{second}");
    let second_refresh = second["refresh_token"].as_str().unwrap().to_string();
    assert_ne!(second_refresh, first);
    let second_access = second["access_token"].as_str().unwrap();
    assert_eq!(learner.with_bearer(second_access).get("/me").await.0, StatusCode::OK);
    let (_, apps) = learner.get("/me/apps").await;
    assert_eq!(apps.as_array().unwrap().len(), 1, "{apps}");
    let family = apps[0]["id"].as_str().unwrap().to_string();
    assert_oauth_error(refresh(app, &client_id, &first).await, StatusCode::BAD_REQUEST, "invalid_grant");
    assert_oauth_error(refresh(app, &client_id, &second_refresh).await, StatusCode::BAD_REQUEST, "invalid_grant");
    assert_error(learner.with_bearer(second_access).get("/me").await, StatusCode::UNAUTHORIZED, "token_revoked");
    assert_error(as_app.get("/me").await, StatusCode::UNAUTHORIZED, "token_revoked");
    let (_, apps) = learner.get("/me/apps").await;
    assert_eq!(apps, json!([]));
    let audit = app.store.audit_about(&family, &["oauth.grant_revoked"], 10).await.unwrap();
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!(audit[0].detail["reason"], "refresh_token_reused");
    assert_eq!(audit[0].actor.map(|p| p.to_string()), Some(w.learner.id.clone()));

    // A code presented twice ends the grant it created.
    let (verifier, challenge) = pkce();
    let code = approve(learner, &client_id, &challenge).await;
    let (_, tokens) = exchange(app, &client_id, &code, &verifier).await;
    let access = tokens["access_token"].as_str().unwrap();
    assert_oauth_error(exchange(app, &client_id, &code, &verifier).await, StatusCode::BAD_REQUEST, "invalid_grant");
    assert_error(learner.with_bearer(access).get("/me").await, StatusCode::UNAUTHORIZED, "token_revoked");

    // The learner signs an app out; someone else cannot.
    let (verifier, challenge) = pkce();
    let code = approve(learner, &client_id, &challenge).await;
    let (_, tokens) = exchange(app, &client_id, &code, &verifier).await;
    let (_, apps) = learner.get("/me/apps").await;
    let grant = apps[0]["id"].as_str().unwrap().to_string();
    assert_eq!(apps[0]["client_name"], "Study app");
    assert_error(w.other_learner.client.delete(&format!("/me/apps/{grant}")).await, StatusCode::NOT_FOUND, "not_found");
    assert_eq!(learner.delete(&format!("/me/apps/{grant}")).await.0, StatusCode::NO_CONTENT);
    assert_error(
        learner.with_bearer(tokens["access_token"].as_str().unwrap()).get("/me").await,
        StatusCode::UNAUTHORIZED,
        "token_revoked",
    );
    assert_oauth_error(
        refresh(app, &client_id, tokens["refresh_token"].as_str().unwrap()).await,
        StatusCode::BAD_REQUEST,
        "invalid_grant",
    );
}

async fn confidential_clients_authenticate_and_apps_revoke_their_tokens(backend: Backend) {
    let w = World::build(backend).await;
    let app = &w.app;
    let learner = &w.learner.client;
    let (client_id, secret) = register(&w.operator, "Reporting integration", "confidential").await;
    let secret = secret.expect("a confidential client gets a secret");

    let (verifier, challenge) = pkce();
    let code = approve(learner, &client_id, &challenge).await;
    // Without its secret, or with a wrong one, the client is not authenticated (and the code survives).
    assert_oauth_error(exchange(app, &client_id, &code, &verifier).await, StatusCode::UNAUTHORIZED, "invalid_client");
    let fields = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", "http://127.0.0.1:53100/callback"),
        ("code_verifier", verifier.as_str()),
    ];
    assert_oauth_error(
        form(app, "/oauth/token", &fields, Some((&client_id, "wrong"))).await,
        StatusCode::UNAUTHORIZED,
        "invalid_client",
    );
    // Another client cannot redeem it either.
    let (public_id, _) = register(&w.operator, "Study app", "public").await;
    assert_oauth_error(exchange(app, &public_id, &code, &verifier).await, StatusCode::BAD_REQUEST, "invalid_grant");
    let (status, tokens) = form(app, "/oauth/token", &fields, Some((&client_id, &secret))).await;
    assert_eq!(status, StatusCode::OK, "{tokens}");
    let refresh_token = tokens["refresh_token"].as_str().unwrap();

    // Malformed requests get the protocol's errors.
    assert_oauth_error(
        form(app, "/oauth/token", &[("grant_type", "password")], None).await,
        StatusCode::BAD_REQUEST,
        "unsupported_grant_type",
    );
    assert_oauth_error(form(app, "/oauth/token", &[], None).await, StatusCode::BAD_REQUEST, "invalid_request");
    let resp = reqwest::Client::new()
        .post(format!("http://{}/oauth/token", app.addr))
        .json(&json!({"grant_type": "refresh_token"}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);

    // The app signs out: its refresh token and access token stop working; unknown tokens are not an error.
    let (status, _) = form(app, "/oauth/revoke", &[("token", "wfrt_unknown")], Some((&client_id, &secret))).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = form(app, "/oauth/revoke", &[("token", refresh_token)], Some((&client_id, &secret))).await;
    assert_eq!(status, StatusCode::OK);
    let refreshed = form(
        app,
        "/oauth/token",
        &[("grant_type", "refresh_token"), ("refresh_token", refresh_token)],
        Some((&client_id, &secret)),
    )
    .await;
    assert_oauth_error(refreshed, StatusCode::BAD_REQUEST, "invalid_grant");
    assert_error(
        learner.with_bearer(tokens["access_token"].as_str().unwrap()).get("/me").await,
        StatusCode::UNAUTHORIZED,
        "token_revoked",
    );

    // Removing a client signs out every app signed in through it.
    let (verifier, challenge) = pkce();
    let code = approve(learner, &public_id, &challenge).await;
    let (_, tokens) = exchange(app, &public_id, &code, &verifier).await;
    assert_eq!(w.operator.delete(&format!("/oauth/clients/{public_id}")).await.0, StatusCode::NO_CONTENT);
    assert_error(
        learner.with_bearer(tokens["access_token"].as_str().unwrap()).get("/me").await,
        StatusCode::UNAUTHORIZED,
        "token_revoked",
    );
    assert_error(w.operator.delete(&format!("/oauth/clients/{public_id}")).await, StatusCode::NOT_FOUND, "not_found");
}

async fn signing_keys_rotate_without_a_token_failing_across_instances(backend: Backend) {
    let w = World::build(backend).await;
    let (a, b) = (&w.app, &w.app.spawn_peer().await);
    let learner = &w.learner.client;
    let (client_id, _) = register(&w.operator, "Study app", "public").await;
    let (verifier, challenge) = pkce();
    let code = approve(learner, &client_id, &challenge).await;
    let (_, tokens) = exchange(a, &client_id, &code, &verifier).await;
    let before = tokens["access_token"].as_str().unwrap().to_string();
    let (old_header, _) = verified_claims(a, &before).await;

    // The other instance rotates the key.
    let (status, rotated) = w.operator.rebased(b).post("/oauth/signing-keys/rotate", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    let new_kid = rotated["kid"].as_str().unwrap();
    assert_ne!(old_header["kid"].as_str(), Some(new_kid));
    assert_error(learner.post("/oauth/signing-keys/rotate", json!({})).await, StatusCode::FORBIDDEN, "forbidden");

    // Both keys are published on both instances; the token signed before still works on both.
    for instance in [a, b] {
        let jwks: Value = reqwest::get(format!("http://{}/.well-known/jwks.json", instance.addr))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let kids: Vec<&str> = jwks["keys"].as_array().unwrap().iter().map(|k| k["kid"].as_str().unwrap()).collect();
        assert!(kids.contains(&new_kid) && kids.contains(&old_header["kid"].as_str().unwrap()), "{jwks}");
        assert_eq!(learner.rebased(instance).with_bearer(&before).get("/me").await.0, StatusCode::OK);
    }
    // Tokens issued by the rotating instance carry the new key, and the first instance — which
    // has not seen it yet — accepts them.
    let (status, next) = refresh(b, &client_id, tokens["refresh_token"].as_str().unwrap()).await;
    assert_eq!(status, StatusCode::OK, "{next}");
    let after = next["access_token"].as_str().unwrap();
    let (header, _) = verified_claims(b, after).await;
    assert_eq!(header["kid"], new_kid);
    assert_eq!(learner.rebased(a).with_bearer(after).get("/me").await.0, StatusCode::OK);

    // The server's metadata names the endpoints.
    let metadata: Value = reqwest::get(format!("http://{}/.well-known/oauth-authorization-server", a.addr))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(metadata["token_endpoint"], "http://wayfinder.test/oauth/token");
    assert_eq!(metadata["jwks_uri"], "http://wayfinder.test/.well-known/jwks.json");
    assert_eq!(metadata["code_challenge_methods_supported"], json!(["S256"]));
}

wayfinder_testing::on_both_backends!(
    a_native_app_signs_in_with_pkce_and_its_refresh_tokens_rotate,
    confidential_clients_authenticate_and_apps_revoke_their_tokens,
    signing_keys_rotate_without_a_token_failing_across_instances,
);
