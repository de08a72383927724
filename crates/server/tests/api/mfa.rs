//! Two-step sign-in over HTTP: enrolling an authenticator app, codes computed here from the
//! secret the server hands out (RFC 6238, written out independently below), each usable once;
//! recovery codes, single use; remembered devices; wrong codes counting towards the lockout;
//! operators (and an organisation's admins, when it asks) reaching nothing until they enrol; an
//! admin's reset.

use crate::helpers::*;
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// RFC 4648 base32 (no padding), as authenticator apps read the secret.
fn base32_decode(text: &str) -> Vec<u8> {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let (mut bits, mut value, mut out) = (0u32, 0u64, Vec::new());
    for c in text.trim_end_matches('=').bytes() {
        let index = ALPHABET.iter().position(|a| *a == c.to_ascii_uppercase()).expect("a base32 character");
        value = (value << 5) | index as u64;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((value >> bits) as u8);
            value &= (1 << bits) - 1;
        }
    }
    out
}

/// RFC 6238 with HMAC-SHA-1, 30-second steps, `digits` digits, for the Unix time `at`.
fn totp(key: &[u8], at: u64, digits: u32) -> String {
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(key).unwrap();
    mac.update(&(at / 30).to_be_bytes());
    let hash = mac.finalize().into_bytes();
    let offset = (hash[19] & 0x0f) as usize;
    let number = u32::from_be_bytes([hash[offset] & 0x7f, hash[offset + 1], hash[offset + 2], hash[offset + 3]]);
    format!("{:0width$}", number % 10u32.pow(digits), width = digits as usize)
}

fn now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs()
}

#[test]
fn the_test_code_generator_matches_rfc_6238() {
    let key = b"12345678901234567890";
    assert_eq!(totp(key, 59, 8), "94287082");
    assert_eq!(totp(key, 1_111_111_109, 8), "07081804");
    assert_eq!(base32_decode("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"), key.to_vec());
}

/// Enrols `client`'s app: answers its key, recovery codes and the moment whose code confirmed it.
async fn enrol(client: &Client, password: Option<&str>) -> (Vec<u8>, Vec<String>, u64) {
    let (status, enrolment) = client.post("/me/mfa/totp", json!({ "password": password })).await;
    assert_eq!(status, StatusCode::OK, "{enrolment}");
    let secret = enrolment["secret"].as_str().unwrap();
    let uri = enrolment["otpauth_uri"].as_str().unwrap();
    assert!(uri.starts_with("otpauth://totp/Wayfinder:") && uri.contains(&format!("secret={secret}")), "{uri}");
    let key = base32_decode(secret);
    assert_error(
        client.post("/me/mfa/totp/confirm", json!({ "code": "000000" })).await,
        StatusCode::UNAUTHORIZED,
        "invalid_mfa_code",
    );
    let at = now();
    let (status, confirmed) = client.post("/me/mfa/totp/confirm", json!({ "code": totp(&key, at, 6) })).await;
    assert_eq!(status, StatusCode::OK, "{confirmed}");
    let codes: Vec<String> =
        confirmed["recovery_codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_string()).collect();
    (key, codes, at)
}

/// Signs in with the password; answers the status and body (a challenge when 202).
async fn password_step(client: &Client, email: &str) -> (StatusCode, Value) {
    client.post("/auth/login", json!({ "email": email, "password": PASSWORD })).await
}

async fn a_member_signs_in_with_a_code_or_a_recovery_code_each_once(backend: Backend) {
    let w = World::build(backend).await;
    let (app, email) = (&w.app, "learner@north.example");
    let learner = &w.learner.client;
    let (_, status) = learner.get("/me/mfa").await;
    assert_eq!(status, json!({ "enabled": false, "enrolling": false, "required": false, "recovery_codes_left": 0 }));
    assert_error(learner.post("/me/mfa/totp", json!({})).await, StatusCode::UNAUTHORIZED, "invalid_credentials");
    let (key, recovery, confirmed_at) = enrol(learner, Some(PASSWORD)).await;
    assert_eq!(recovery.len(), 10);
    let (_, status) = learner.get("/me/mfa").await;
    assert_eq!(status["enabled"], true);
    assert_eq!(status["recovery_codes_left"], 10);
    assert_error(learner.post("/me/mfa/totp", json!({ "password": PASSWORD })).await, StatusCode::CONFLICT, "conflict");

    // The password alone no longer signs in: a second step does, with the next step's code (the
    // current one was used to confirm).
    let browser = app.client();
    let (status, challenge) = password_step(&browser, email).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{challenge}");
    assert_eq!(challenge["mfa_required"], true);
    let token = challenge["challenge_token"].as_str().unwrap().to_string();
    let step = |body: Value| browser.post("/auth/login/mfa", body);
    assert_error(
        step(json!({ "challenge_token": token, "code": "123456" })).await,
        StatusCode::UNAUTHORIZED,
        "invalid_mfa_code",
    );
    let used = totp(&key, confirmed_at, 6);
    assert_error(
        step(json!({ "challenge_token": token, "code": used })).await,
        StatusCode::UNAUTHORIZED,
        "invalid_mfa_code",
    );
    let next = totp(&key, confirmed_at + 30, 6);
    let (status, session) = step(json!({ "challenge_token": token, "code": next })).await;
    assert_eq!(status, StatusCode::OK, "{session}");
    assert!(session["csrf_token"].is_string());
    let (status, me) = browser.get("/me").await;
    assert_eq!((status, me["person"]["email"].as_str()), (StatusCode::OK, Some(email)));
    // The challenge is finished, and the code used.
    assert_error(
        step(json!({ "challenge_token": token, "code": next })).await,
        StatusCode::UNAUTHORIZED,
        "mfa_challenge_invalid",
    );
    let (_, again) = password_step(&browser, email).await;
    let again = again["challenge_token"].as_str().unwrap();
    assert_error(
        browser.post("/auth/login/mfa", json!({ "challenge_token": again, "code": next })).await,
        StatusCode::UNAUTHORIZED,
        "invalid_mfa_code",
    );

    // A recovery code works once (typed loosely), and never again.
    let loose = recovery[3].to_uppercase().replace('-', " ");
    let (_, c) = password_step(&browser, email).await;
    let (status, _) = browser
        .post("/auth/login/mfa", json!({ "challenge_token": c["challenge_token"], "recovery_code": loose }))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, c) = password_step(&browser, email).await;
    assert_error(
        browser
            .post("/auth/login/mfa", json!({ "challenge_token": c["challenge_token"], "recovery_code": recovery[3] }))
            .await,
        StatusCode::UNAUTHORIZED,
        "invalid_mfa_code",
    );
    let (_, status) = learner.get("/me/mfa").await;
    assert_eq!(status["recovery_codes_left"], 9);

    // A remembered device skips the step; another browser does not.
    let device = app.client();
    let (_, c) = password_step(&device, email).await;
    let body =
        json!({ "challenge_token": c["challenge_token"], "recovery_code": recovery[0], "remember_device": true });
    let (status, _) = device.post("/auth/login/mfa", body).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = password_step(&device, email).await;
    assert_eq!(status, StatusCode::OK, "remembered");
    let (status, _) = password_step(&app.client(), email).await;
    assert_eq!(status, StatusCode::ACCEPTED);

    // Turning it off needs the password and a second factor.
    let wrong = json!({ "password": "not-the-password-9", "recovery_code": recovery[1] });
    assert_error(learner.post("/me/mfa/disable", wrong).await, StatusCode::UNAUTHORIZED, "invalid_credentials");
    let (status, _) =
        learner.post("/me/mfa/disable", json!({ "password": PASSWORD, "recovery_code": recovery[1] })).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = password_step(&app.client(), email).await;
    assert_eq!(status, StatusCode::OK);
}

async fn wrong_codes_end_the_step_and_lock_the_account(backend: Backend) {
    let w = World::build(backend).await;
    let (app, email) = (&w.app, "coach@north.example");
    let (key, _, confirmed_at) = enrol(&w.coach.client, Some(PASSWORD)).await;
    let browser = app.client();
    let (_, c) = password_step(&browser, email).await;
    let token = c["challenge_token"].as_str().unwrap();
    for _ in 0..5 {
        assert_error(
            browser.post("/auth/login/mfa", json!({ "challenge_token": token, "code": "000001" })).await,
            StatusCode::UNAUTHORIZED,
            "invalid_mfa_code",
        );
    }
    let right = totp(&key, confirmed_at + 30, 6);
    assert_error(
        browser.post("/auth/login/mfa", json!({ "challenge_token": token, "code": right })).await,
        StatusCode::UNAUTHORIZED,
        "mfa_challenge_invalid",
    );
    // Five wrong codes count like five wrong passwords.
    assert_error(password_step(&browser, email).await, StatusCode::TOO_MANY_REQUESTS, "login_locked");
}

async fn operators_and_required_admins_reach_nothing_until_they_enrol(backend: Backend) {
    let mut settings = test_settings();
    settings.accounts.require_mfa_for_operators = true;
    let app = TestApp::spawn_with(backend, settings).await;
    let operator = app.operator().await;
    let (status, _) = operator.get("/me").await;
    assert_eq!(status, StatusCode::OK);
    let org = json!({ "slug": "west-high", "name": "West High" });
    assert_error(operator.post("/orgs", org.clone()).await, StatusCode::FORBIDDEN, "mfa_enrollment_required");
    assert_error(
        operator.post("/tokens", json!({ "name": "script" })).await,
        StatusCode::FORBIDDEN,
        "mfa_enrollment_required",
    );
    let (_, status) = operator.get("/me/mfa").await;
    assert_eq!(status["required"], true);
    let (_, recovery, _) = enrol(&operator, Some(PASSWORD)).await;
    let (status, created) = operator.post("/orgs", org).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let org_id = created["organisation"]["id"].as_str().unwrap().to_string();
    // Required: it cannot be turned off.
    let off = json!({ "password": PASSWORD, "recovery_code": recovery[0] });
    assert_error(operator.post("/me/mfa/disable", off).await, StatusCode::CONFLICT, "conflict");

    // An organisation requiring its admins: its admin enrols before anything else; its learner
    // does not have to.
    let (admin, _) = app.invite(&operator, &org_id, "admin@west.example", "admin").await;
    let (learner, learner_id) = app.invite(&admin, &org_id, "pupil@west.example", "learner").await;
    let (status, body) =
        admin.put(&format!("/orgs/{org_id}/sign-in-settings"), json!({ "mfa_required_for_admins": true })).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({ "sso_only": false, "mfa_required_for_admins": true }));
    assert_error(admin.get(&format!("/orgs/{org_id}/members")).await, StatusCode::FORBIDDEN, "mfa_enrollment_required");
    let (status, _) = learner.get(&format!("/orgs/{org_id}/members")).await;
    assert_eq!(status, StatusCode::OK);
    enrol(&admin, Some(PASSWORD)).await;
    let (status, _) = admin.get(&format!("/orgs/{org_id}/members")).await;
    assert_eq!(status, StatusCode::OK);

    // A reset by an admin: the member's app, codes and devices are gone; the password signs in.
    enrol(&learner, Some(PASSWORD)).await;
    let path = |person: &str| format!("/orgs/{org_id}/members/{person}/mfa/reset");
    let (_, me) = admin.get("/me").await;
    let admin_id = me["person"]["id"].as_str().unwrap().to_string();
    assert_error(admin.post(&path(&admin_id), json!({})).await, StatusCode::CONFLICT, "conflict");
    assert_error(learner.post(&path(&admin_id), json!({})).await, StatusCode::FORBIDDEN, "forbidden");
    assert_error(
        admin.post(&path("00000000-0000-0000-0000-000000000000"), json!({})).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    let (status, _) = admin.post(&path(&learner_id), json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = password_step(&app.client(), "pupil@west.example").await;
    assert_eq!(status, StatusCode::OK);
    let (_, log) = admin.get(&format!("/orgs/{org_id}/audit")).await;
    let resets = log.as_array().map_or(0, |l| l.iter().filter(|e| e["action"] == "mfa.reset").count());
    assert_eq!(resets, 1, "{log}");
}

wayfinder_testing::on_both_backends!(
    a_member_signs_in_with_a_code_or_a_recovery_code_each_once,
    wrong_codes_end_the_step_and_lock_the_account,
    operators_and_required_admins_reach_nothing_until_they_enrol,
);
