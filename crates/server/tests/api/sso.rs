//! Single sign-on against a real OpenID provider (node-oidc-provider, started by the test), as a
//! Google-like provider (hosted domain `hd`) and a Clever-like one (district and user type):
//! just-in-time accounts and memberships, linking only verified addresses of allowed domains,
//! refusals of other domains and districts, SSO-only organisations, and every way a provider's
//! answer can be wrong (a forged, tampered or expired ID token, another audience, the wrong
//! nonce, a replayed or foreign `state`) refused without a trace.

use crate::helpers::*;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::io::BufRead;

const CLIENT_ID: &str = "wayfinder-test-client";
const CLIENT_SECRET: &str = "a-client-secret-only-the-provider-and-wayfinder-know";
const REDIRECT_URI: &str = "http://wayfinder.test/api/v1/auth/sso/callback";

/// The OpenID provider in its own process, with its accounts.
struct IdentityProvider {
    issuer: String,
    child: std::process::Child,
    // Kept open: the provider may still write to its standard output.
    _stdout: std::io::BufReader<std::process::ChildStdout>,
    _config: tempfile::TempDir,
}

impl IdentityProvider {
    fn start(accounts: Value) -> IdentityProvider {
        let dir = tempfile::tempdir().unwrap();
        let config = dir.path().join("provider.json");
        let clients =
            json!([{ "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "redirect_uris": [REDIRECT_URI] }]);
        std::fs::write(&config, json!({ "clients": clients, "accounts": accounts }).to_string()).unwrap();
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../web/tests/support/oidc-provider.mjs");
        let mut child = std::process::Command::new("node")
            .arg(script)
            .arg(&config)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("node runs the OpenID provider (web/node_modules holds oidc-provider: npm ci in web/)");
        let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        // Lines before the address are the provider's own notices.
        while !line.starts_with('{') {
            line.clear();
            assert!(stdout.read_line(&mut line).unwrap() > 0, "the OpenID provider did not start");
        }
        let ready: Value =
            serde_json::from_str(&line).unwrap_or_else(|_| panic!("the provider did not start: {line:?}"));
        IdentityProvider { issuer: ready["issuer"].as_str().unwrap().to_string(), child, _stdout: stdout, _config: dir }
    }

    /// Has the provider change the next ID token it issues (see the script for the modes).
    async fn tamper_next_id_token(&self, mode: &str) {
        let url = format!("{}/test/next-id-token", self.issuer);
        let resp = reqwest::Client::new().post(url).json(&json!({ "mode": mode })).send().await.unwrap();
        assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    }
}

impl Drop for IdentityProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A browser: its own cookie jar, redirects seen rather than followed.
fn browser(app: &TestApp) -> Client {
    Client {
        http: reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        base: format!("http://{}/api/v1", app.addr),
        csrf: None,
        bearer: None,
    }
}

fn location(resp: &reqwest::Response) -> String {
    resp.headers().get("location").expect("a redirect").to_str().unwrap().to_string()
}

/// Walks a browser through the provider up to the answer it sends back: the callback's query.
async fn through_provider(
    app: &TestApp,
    browser: &Client,
    idp: &IdentityProvider,
    provider: &str,
    account: &str,
) -> String {
    let http = &browser.http;
    let start = http.get(app.url(&format!("/api/v1/auth/sso/{provider}/start?return_to=/learn"))).send().await.unwrap();
    assert_eq!(start.status(), StatusCode::SEE_OTHER, "{:?}", start.text().await);
    let authorize = location(&start);
    assert!(authorize.starts_with(&idp.issuer), "{authorize}");
    for (name, value) in [("response_type", "code"), ("client_id", CLIENT_ID), ("code_challenge_method", "S256")] {
        assert!(authorize.contains(&format!("{name}={value}")), "{authorize} lacks {name}");
    }
    let resp = http.get(&authorize).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let interaction = format!("{}{}", idp.issuer, location(&resp));
    let resp = http.post(format!("{interaction}/login")).form(&[("account", account)]).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER, "{:?}", resp.text().await);
    let resume = location(&resp);
    let resp = http.get(&resume).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let back = location(&resp);
    let query = back.strip_prefix(&format!("{REDIRECT_URI}?")).unwrap_or_else(|| panic!("back to {back}"));
    query.to_string()
}

/// The callback with the provider's answer: status, `Location` and error body.
async fn callback(app: &TestApp, browser: &Client, query: &str, html: bool) -> (StatusCode, String, Value) {
    let mut req = browser.http.get(app.url(&format!("/api/v1/auth/sso/callback?{query}")));
    if html {
        req = req.header("accept", "text/html,application/xhtml+xml");
    }
    let resp = req.send().await.unwrap();
    let status = resp.status();
    let location = resp.headers().get("location").map(|l| l.to_str().unwrap().to_string()).unwrap_or_default();
    let text = resp.text().await.unwrap();
    (status, location, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Signs `account` in through the provider in a new browser; on success the browser holds the
/// session (and its CSRF token).
async fn sign_in(app: &TestApp, idp: &IdentityProvider, provider: &str, account: &str) -> (StatusCode, Value, Client) {
    let mut b = browser(app);
    let query = through_provider(app, &b, idp, provider, account).await;
    let (status, location, body) = callback(app, &b, &query, false).await;
    if status != StatusCode::SEE_OTHER {
        return (status, body, b);
    }
    assert_eq!(location, "/learn");
    let (status, me) = b.get("/me").await;
    assert_eq!(status, StatusCode::OK, "{me}");
    b.csrf = me["csrf_token"].as_str().map(str::to_string);
    (StatusCode::OK, me, b)
}

async fn people(app: &TestApp) -> i64 {
    app.row_counts().await.into_iter().find(|(t, _)| *t == "people").map(|(_, n)| n).unwrap()
}

async fn add_provider(admin: &Client, org: &str, body: Value) -> String {
    let (status, created) = admin.post(&format!("/orgs/{org}/identity-providers"), body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert!(created.get("client_secret").is_none(), "the secret is never shown: {created}");
    assert_eq!(created["redirect_uri"], REDIRECT_URI);
    created["id"].as_str().unwrap().to_string()
}

fn role_in(me: &Value, org: &str) -> Option<String> {
    me["memberships"]
        .as_array()?
        .iter()
        .find(|m| m["organisation"]["id"] == org)
        .map(|m| m["role"].as_str().unwrap().to_string())
}

async fn a_google_like_provider_signs_people_in_and_refuses_what_it_must(backend: Backend) {
    let w = World::build(backend).await;
    let (app, a, admin) = (&w.app, &w.org_a, &w.admin.client);
    let idp = IdentityProvider::start(json!({
        "ana": { "email": "ana@north.example", "email_verified": true, "name": "Ana Okafor", "hd": "north.example" },
        "coach": { "email": "coach@north.example", "email_verified": true, "name": "Coach", "hd": "north.example" },
        "unverified": { "email": "learner@north.example", "email_verified": false, "name": "Not Learner", "hd": "north.example" },
        "consumer": { "email": "ana@gmail.example", "email_verified": true, "name": "Ana at home" },
        "elsewhere": { "email": "eve@south.example", "email_verified": true, "name": "Eve", "hd": "south.example" },
    }));
    let google = json!({ "kind": "google", "name": "North High Google", "issuer_url": idp.issuer,
        "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "allowed_domains": ["north.example"] });
    let provider = add_provider(admin, a, google).await;

    // Found from the organisation's page and from an address of its domain; not from others.
    for query in ["org=north-high", "email=someone@North.example"] {
        let (status, choices) = browser(app).get(&format!("/auth/sso/providers?{query}")).await;
        assert_eq!(status, StatusCode::OK, "{choices}");
        assert_eq!(choices.as_array().unwrap().len(), 1, "{query}: {choices}");
        assert_eq!(choices[0]["provider_id"], provider);
        assert_eq!(choices[0]["org_name"], "North High School");
    }
    let (_, none) = browser(app).get("/auth/sso/providers?email=someone@south.example").await;
    assert_eq!(none, json!([]));
    let (_, none) = browser(app).get("/auth/sso/providers?org=no-such-org").await;
    assert_eq!(none, json!([]));

    // A first sign-in makes the account and the membership (the default role); a second finds it.
    let before = people(app).await;
    let (status, me, ana) = sign_in(app, &idp, &provider, "ana").await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["person"]["email"], "ana@north.example");
    assert_eq!(me["person"]["display_name"], "Ana Okafor");
    assert_eq!(role_in(&me, a).as_deref(), Some("learner"), "{me}");
    assert_eq!(people(app).await, before + 1);
    let (status, _) = ana.post(&format!("/orgs/{a}/conversations"), json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "a signed-in session that can act (CSRF included)");
    let (_, again, _) = sign_in(app, &idp, &provider, "ana").await;
    assert_eq!(again["person"]["id"], me["person"]["id"]);
    assert_eq!(people(app).await, before + 1);

    // An existing account is linked when the provider vouches for its address; its role stays.
    let (status, coach, _) = sign_in(app, &idp, &provider, "coach").await;
    assert_eq!(status, StatusCode::OK, "{coach}");
    assert_eq!(coach["person"]["id"], w.coach.id.as_str());
    assert_eq!(role_in(&coach, a).as_deref(), Some("coach"));

    // Refused without a trace: an unverified address of an existing account, a consumer account
    // (no hosted domain), another Workspace domain.
    let counts = app.row_counts().await;
    for account in ["unverified", "consumer", "elsewhere"] {
        let (status, body, _) = sign_in(app, &idp, &provider, account).await;
        assert_error((status, body), StatusCode::FORBIDDEN, "sso_refused");
    }
    let changed: Vec<_> = app
        .row_counts()
        .await
        .into_iter()
        .zip(&counts)
        .filter(|(now, then)| now != *then && !["audit_events", "rate_counters"].contains(&now.0))
        .collect();
    assert!(changed.is_empty(), "refused sign-ins changed {changed:?}");

    // Every wrong ID token is refused.
    for mode in ["forged", "tampered", "expired", "wrong_nonce", "wrong_audience"] {
        let b = browser(app);
        let query = through_provider(app, &b, &idp, &provider, "ana").await;
        idp.tamper_next_id_token(mode).await;
        let (status, _, body) = callback(app, &b, &query, false).await;
        assert_error((status, body), StatusCode::UNAUTHORIZED, "sso_rejected");
    }

    // The answer is taken once, and only in the browser that started the sign-in.
    let b = browser(app);
    let query = through_provider(app, &b, &idp, &provider, "ana").await;
    let (status, _, body) = callback(app, &browser(app), &query, false).await;
    assert_error((status, body), StatusCode::BAD_REQUEST, "sso_state_invalid");
    let (status, _, _) = callback(app, &b, &query, false).await;
    assert_eq!(status, StatusCode::SEE_OTHER, "the browser that started still can");
    let (status, _, body) = callback(app, &b, &query, false).await;
    assert_error((status, body), StatusCode::BAD_REQUEST, "sso_state_invalid");
    let forged_state = query.replace("state=", "state=x");
    let b = browser(app);
    let _ = through_provider(app, &b, &idp, &provider, "ana").await;
    let (status, _, body) = callback(app, &b, &forged_state, false).await;
    assert_error((status, body), StatusCode::BAD_REQUEST, "sso_state_invalid");

    // A browser that cannot be signed in lands on the sign-in page with the reason.
    let b = browser(app);
    let query = through_provider(app, &b, &idp, &provider, "consumer").await;
    let (status, landing, _) = callback(app, &b, &query, true).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(landing, "/signin?sso_error=sso_refused");

    // The provider's own refusal comes back as one.
    let b = browser(app);
    let start = b.http.get(app.url(&format!("/api/v1/auth/sso/{provider}/start"))).send().await.unwrap();
    let authorize = location(&start);
    let state = url_param(&authorize, "state");
    let (status, _, body) = callback(app, &b, &format!("error=access_denied&state={state}"), false).await;
    assert_error((status, body), StatusCode::UNAUTHORIZED, "sso_rejected");

    // A switched-off provider starts nothing.
    let off = json!({ "kind": "google", "name": "North High Google", "issuer_url": idp.issuer,
        "client_id": CLIENT_ID, "allowed_domains": ["north.example"], "enabled": false });
    let (status, body) = admin.put(&format!("/orgs/{a}/identity-providers/{provider}"), off).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let resp = browser(app).http.get(app.url(&format!("/api/v1/auth/sso/{provider}/start"))).send().await.unwrap();
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    let resp = browser(app)
        .http
        .get(app.url(&format!("/api/v1/auth/sso/{provider}/start")))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&resp), "/signin?sso_error=sso_provider_disabled");
    let (_, choices) = browser(app).get("/auth/sso/providers?org=north-high").await;
    assert_eq!(choices, json!([]));
}

fn url_param(url: &str, name: &str) -> String {
    let query = url.split_once('?').unwrap().1;
    query.split('&').find_map(|p| p.strip_prefix(&format!("{name}="))).unwrap().to_string()
}

async fn a_clever_like_provider_maps_roles_and_sso_only_refuses_passwords(backend: Backend) {
    let w = World::build(backend).await;
    let (app, a, admin) = (&w.app, &w.org_a, &w.admin.client);
    let idp = IdentityProvider::start(json!({
        "t-1": { "email": "teacher.one@north.example", "email_verified": true, "name": "Tom Teacher",
                 "user_type": "teacher", "district": "district-42" },
        "s-1": { "email": "student.one@north.example", "email_verified": true, "name": "Sam Student",
                 "user_type": "student", "district": "district-42" },
        "a-1": { "email": "head@north.example", "email_verified": true, "name": "Hana Head",
                 "user_type": "district_admin", "district": "district-42" },
        "x-1": { "email": "other@other-district.example", "email_verified": true, "name": "Olly",
                 "user_type": "teacher", "district": "district-7" },
    }));
    let clever = json!({ "kind": "clever", "name": "Clever", "issuer_url": idp.issuer, "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET, "district_id": "district-42" });
    let provider = add_provider(admin, a, clever).await;
    let (_, listed) = admin.get(&format!("/orgs/{a}/identity-providers")).await;
    assert_eq!(listed[0]["role_claim"], "user_type");
    assert!(listed[0].get("client_secret").is_none());

    // Roles from the Clever user type, as the district's table says.
    for (account, role) in [("t-1", "coach"), ("s-1", "learner"), ("a-1", "admin")] {
        let (status, me, _) = sign_in(app, &idp, &provider, account).await;
        assert_eq!(status, StatusCode::OK, "{account}: {me}");
        assert_eq!(role_in(&me, a).as_deref(), Some(role), "{account}: {me}");
    }
    let (status, body, _) = sign_in(app, &idp, &provider, "x-1").await;
    assert_error((status, body), StatusCode::FORBIDDEN, "sso_refused");

    // SSO-only: members' passwords are refused, the operator's still work.
    let (status, body) = admin.put(&format!("/orgs/{a}/sign-in-settings"), json!({ "sso_only": true })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let mut learner = app.client();
    assert_error(learner.login("learner@north.example", PASSWORD).await, StatusCode::FORBIDDEN, "sso_required");
    assert_error(
        learner.login("learner@north.example", "a-wrong-password-1").await,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    );
    let mut operator = app.client();
    let (status, _) = operator.login("operator@example.org", PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
    // Members of other organisations are untouched.
    let mut south = app.client();
    let (status, _) = south.login("learner@south.example", PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
    // The SSO member still comes in through the provider.
    let (status, _, _) = sign_in(app, &idp, &provider, "s-1").await;
    assert_eq!(status, StatusCode::OK);

    // SSO-only needs an enabled provider.
    let b = &w.admin_b.client;
    let (status, body) = b.put(&format!("/orgs/{}/sign-in-settings", w.org_b), json!({ "sso_only": true })).await;
    assert_error((status, body), StatusCode::CONFLICT, "conflict");
    let (status, body) = admin.put(&format!("/orgs/{a}/sign-in-settings"), json!({ "sso_only": false })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = learner.login("learner@north.example", PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
}

async fn provider_settings_are_checked_and_kept_to_admins(backend: Backend) {
    let w = World::build(backend).await;
    let (app, a, admin) = (&w.app, &w.org_a, &w.admin.client);
    let path = format!("/orgs/{a}/identity-providers");
    let base = json!({ "kind": "oidc", "name": "Corporate", "issuer_url": "https://login.example.org/tenant",
        "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "allowed_domains": ["north.example"] });
    let with = |field: &str, value: Value| {
        let mut body = base.clone();
        body[field] = value;
        body
    };
    let counts = app.row_counts().await;
    for (body, field) in [
        (with("issuer_url", json!("http://login.example.org")), "issuer_url"),
        (with("issuer_url", json!("ftp://127.0.0.1/x")), "issuer_url"),
        (with("issuer_url", json!("not a url")), "issuer_url"),
        (with("client_secret", Value::Null), "client_secret"),
        (with("allowed_domains", json!(["not_a_domain"])), "allowed_domains"),
        (with("name", json!("")), "name"),
        (
            with("kind", json!("google"))
                .as_object()
                .map(|o| {
                    let mut o = o.clone();
                    o.remove("allowed_domains");
                    Value::Object(o)
                })
                .unwrap(),
            "allowed_domains",
        ),
        (with("kind", json!("clever")), "district_id"),
    ] {
        let (status, err) = admin.post(&path, body.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {err}");
        assert_eq!(err["error"]["field"], field, "{body}: {err}");
    }
    assert_error(
        admin.post(&path, with("kind", json!("saml"))).await,
        StatusCode::UNPROCESSABLE_ENTITY,
        "invalid_field",
    );
    assert_eq!(app.row_counts().await, counts, "refused settings wrote nothing");

    let (status, created) = admin.post(&path, base.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_str().unwrap();
    assert_eq!(created["issuer_url"], "https://login.example.org/tenant");

    // Not an admin: forbidden; another organisation's admin: not found.
    assert_error(w.coach.client.get(&path).await, StatusCode::FORBIDDEN, "forbidden");
    assert_error(w.admin_b.client.get(&path).await, StatusCode::NOT_FOUND, "not_found");
    let b_path = format!("/orgs/{}/identity-providers/{id}", w.org_b);
    assert_error(w.admin_b.client.put(&b_path, base.clone()).await, StatusCode::NOT_FOUND, "not_found");
    assert_error(w.admin_b.client.delete(&b_path).await, StatusCode::NOT_FOUND, "not_found");
    assert_error(
        w.learner.client.put(&format!("/orgs/{a}/sign-in-settings"), json!({ "sso_only": true })).await,
        StatusCode::FORBIDDEN,
        "forbidden",
    );

    // A provider that cannot be reached says so; an unknown one is not found.
    let unreachable = with("issuer_url", json!("http://127.0.0.1:9"));
    let (_, down) = admin.post(&path, unreachable).await;
    let resp = browser(app)
        .http
        .get(app.url(&format!("/api/v1/auth/sso/{}/start", down["id"].as_str().unwrap())))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_GATEWAY);
    let resp = browser(app)
        .http
        .get(app.url("/api/v1/auth/sso/00000000-0000-0000-0000-000000000000/start"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);

    // Changing without a secret keeps it; removing takes the provider away.
    let (status, body) = admin
        .put(
            &format!("{path}/{id}"),
            with("name", json!("Corporate SSO"))
                .as_object()
                .map(|o| {
                    let mut o = o.clone();
                    o.remove("client_secret");
                    Value::Object(o)
                })
                .unwrap(),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["name"], "Corporate SSO");
    let (status, _) = admin.delete(&format!("{path}/{id}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, listed) = admin.get(&path).await;
    assert!(listed.as_array().unwrap().iter().all(|p| p["id"] != id));
}

wayfinder_testing::on_both_backends!(
    a_google_like_provider_signs_people_in_and_refuses_what_it_must,
    a_clever_like_provider_maps_roles_and_sso_only_refuses_passwords,
    provider_settings_are_checked_and_kept_to_admins,
);
