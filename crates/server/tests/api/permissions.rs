//! The permission matrix: every role against every endpoint, and every
//! organisation-scoped endpoint probed with another organisation's ids.

use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// Columns of the matrix, in order.
const ROLES: [&str; 7] = ["operator", "admin", "manager", "coach", "parent", "learner", "outsider"];

/// One row: a request and the status each role gets (0 = not probed for that
/// role here because success would change the state other rows rely on; those
/// successes are covered by their own scenarios).
struct Probe {
    method: Method,
    path: String,
    body: Option<Value>,
    expect: [u16; 7],
}

fn probe(method: Method, path: String, body: Option<Value>, expect: [u16; 7]) -> Probe {
    Probe { method, path, body, expect }
}

/// The same person's client, addressing the server's root instead of `/api/v1`.
fn at_root(client: &Client) -> Client {
    Client { base: client.base.trim_end_matches("/api/v1").to_string(), ..client.clone() }
}

async fn every_role_against_every_endpoint(backend: Backend) {
    let w = World::build(backend).await;
    let a = &w.org_a;
    // A pending invitation in A, for the revoke row.
    let (_, inv) = w
        .admin
        .client
        .post(&format!("/orgs/{a}/invitations"), json!({ "email": "pending@north.example", "role": "coach" }))
        .await;
    let pending = inv["invitation"]["id"].as_str().unwrap().to_string();
    let (learner, other) = (&w.learner.id, &w.other_learner.id);
    let rel = &w.relationships_a[0];
    let provider = json!({ "kind": "oidc", "name": "{role} sign-in", "issuer_url": "https://login.example.org",
        "client_id": "wayfinder", "client_secret": "a-client-secret-for-the-matrix" });
    let (status, idp) = w.admin.client.post(&format!("/orgs/{a}/identity-providers"), provider.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{idp}");
    let idp = idp["id"].as_str().unwrap().to_string();
    let app_client = json!({ "name": "Study app", "kind": "public", "redirect_uris": ["http://127.0.0.1/callback"] });
    let (status, registered) = w.operator.post("/oauth/clients", app_client.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{registered}");
    let client_id = registered["client"]["id"].as_str().unwrap().to_string();
    let unknown = "0190f0f0-0000-7000-8000-000000000000";
    let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
    let authorization = format!(
        "response_type=code&client_id={client_id}&redirect_uri=http%3A%2F%2F127.0.0.1%2Fcallback\
         &code_challenge={challenge}&code_challenge_method=S256&state=matrix"
    );
    let consent_answer = json!({ "decision": "deny", "response_type": "code", "client_id": client_id,
        "redirect_uri": "http://127.0.0.1/callback", "code_challenge": challenge, "code_challenge_method": "S256" });
    let coll = crate::knowledge::create_collection(&w.admin.client, a, "Handbook", &[]).await;
    let (_, job) =
        crate::knowledge::upload(&w.admin.client, a, &coll, &[("a.md", b"# A\n\nsome words".to_vec())], None).await;
    let job = crate::knowledge::wait_for_job(&w.admin.client, job["id"].as_str().unwrap()).await;
    let doc = job["files"][0]["document_id"].as_str().unwrap().to_string();
    let job = job["id"].as_str().unwrap().to_string();
    // The coach side: the default coach and a spare one, the learner's conversation with one
    // answered question (extractive, no model), and a conversation of the coach's own.
    let (_, coaches) = w.admin.client.get(&format!("/orgs/{a}/coaches")).await;
    let default_coach = coaches["coaches"][0]["id"].as_str().unwrap().to_string();
    let (status, spare) = w.admin.client.post(&format!("/orgs/{a}/coaches"), json!({ "name": "Spare" })).await;
    assert_eq!(status, StatusCode::CREATED, "{spare}");
    let spare = spare["id"].as_str().unwrap().to_string();
    let (_, chat) = w.learner.client.post(&format!("/orgs/{a}/conversations"), json!({})).await;
    let chat = chat["id"].as_str().unwrap().to_string();
    let (status, turn) =
        w.learner.client.post(&format!("/conversations/{chat}/messages"), json!({ "content": "some words" })).await;
    assert_eq!(status, StatusCode::OK, "{turn}");
    let answer = turn["assistant_message"]["id"].as_str().unwrap().to_string();
    let (_, coach_chat) = w.coach.client.post(&format!("/orgs/{a}/conversations"), json!({})).await;
    let coach_chat = coach_chat["id"].as_str().unwrap().to_string();

    use Method as M;
    let rows = vec![
        probe(M::GET, format!("/orgs/{a}"), None, [200, 200, 200, 200, 200, 200, 404]),
        probe(
            M::PATCH,
            format!("/orgs/{a}"),
            Some(json!({ "name": "North High School" })),
            [200, 200, 403, 403, 403, 403, 404],
        ),
        probe(M::GET, format!("/orgs/{a}/members"), None, [200, 200, 200, 200, 200, 200, 404]),
        probe(M::GET, format!("/orgs/{a}/members/{learner}"), None, [200, 200, 200, 200, 200, 200, 404]),
        probe(M::GET, format!("/orgs/{a}/members/{other}"), None, [200, 200, 404, 404, 404, 404, 404]),
        // A member the caller cannot see is 404; one they can see but not change is 403.
        probe(
            M::PATCH,
            format!("/orgs/{a}/members/{other}"),
            Some(json!({ "role": "learner" })),
            [200, 200, 404, 404, 404, 404, 404],
        ),
        probe(
            M::PATCH,
            format!("/orgs/{a}/members/{learner}"),
            Some(json!({ "role": "learner" })),
            [200, 200, 403, 403, 403, 403, 404],
        ),
        probe(M::DELETE, format!("/orgs/{a}/members/{other}"), None, [0, 0, 404, 404, 404, 404, 404]),
        probe(M::DELETE, format!("/orgs/{a}/members/{learner}"), None, [0, 0, 403, 403, 403, 403, 404]),
        probe(M::GET, format!("/orgs/{a}/invitations"), None, [200, 200, 403, 403, 403, 403, 404]),
        probe(
            M::POST,
            format!("/orgs/{a}/invitations"),
            Some(json!({ "email": "{role}@invited.example", "role": "learner" })),
            [201, 201, 403, 403, 403, 403, 404],
        ),
        probe(M::DELETE, format!("/orgs/{a}/invitations/{pending}"), None, [0, 0, 404, 404, 404, 404, 404]),
        probe(M::GET, format!("/orgs/{a}/relationships"), None, [200, 200, 200, 200, 200, 200, 404]),
        probe(
            M::POST,
            format!("/orgs/{a}/relationships"),
            Some(json!({ "kind": "coach_learner", "from_person": w.coach.id, "to_person": other })),
            [0, 0, 404, 404, 404, 404, 404],
        ),
        probe(
            M::POST,
            format!("/orgs/{a}/relationships"),
            Some(json!({ "kind": "coach_learner", "from_person": w.coach.id, "to_person": learner })),
            [0, 0, 403, 403, 404, 403, 404],
        ),
        // manager→coach: visible to its two ends, hidden from the parent and the learner.
        probe(M::DELETE, format!("/orgs/{a}/relationships/{rel}"), None, [0, 0, 403, 403, 404, 404, 404]),
        probe(M::GET, format!("/orgs/{a}/audit"), None, [200, 200, 403, 403, 403, 403, 404]),
        probe(M::GET, format!("/orgs/{a}/collections"), None, [200, 200, 200, 200, 200, 200, 404]),
        probe(
            M::POST,
            format!("/orgs/{a}/collections"),
            Some(json!({ "name": "{role} notes" })),
            [201, 201, 403, 403, 403, 403, 404],
        ),
        probe(M::GET, format!("/orgs/{a}/collections/{coll}"), None, [200, 200, 200, 200, 200, 200, 404]),
        probe(
            M::PATCH,
            format!("/orgs/{a}/collections/{coll}"),
            Some(json!({ "description": "d" })),
            [200, 200, 403, 403, 403, 403, 404],
        ),
        probe(M::DELETE, format!("/orgs/{a}/collections/{coll}"), None, [0, 0, 403, 403, 403, 403, 404]),
        probe(M::GET, format!("/orgs/{a}/collections/{coll}/documents"), None, [200, 200, 200, 200, 200, 200, 404]),
        probe(M::GET, format!("/orgs/{a}/documents/{doc}"), None, [200, 200, 200, 200, 200, 200, 404]),
        probe(M::GET, format!("/orgs/{a}/documents/{doc}/chunks"), None, [200, 200, 200, 200, 200, 200, 404]),
        probe(M::DELETE, format!("/orgs/{a}/documents/{doc}"), None, [0, 0, 403, 403, 403, 403, 404]),
        probe(
            M::POST,
            format!("/orgs/{a}/collections/{coll}/documents"),
            Some(json!({})),
            [0, 0, 403, 403, 403, 403, 404],
        ),
        probe(M::GET, format!("/orgs/{a}/jobs"), None, [200, 200, 403, 403, 403, 403, 404]),
        probe(M::GET, format!("/jobs/{job}"), None, [200, 200, 404, 404, 404, 404, 404]),
        probe(
            M::POST,
            "/search".into(),
            Some(json!({ "org_id": a, "query": "words" })),
            [200, 200, 200, 200, 200, 200, 404],
        ),
        // Coach profiles and budgets: every member uses the coaches, admins manage them.
        probe(M::GET, format!("/orgs/{a}/coaches"), None, [200, 200, 200, 200, 200, 200, 404]),
        probe(
            M::POST,
            format!("/orgs/{a}/coaches"),
            Some(json!({ "name": "{role} coach" })),
            [201, 201, 403, 403, 403, 403, 404],
        ),
        probe(M::GET, format!("/orgs/{a}/coaches/{default_coach}"), None, [200, 200, 200, 200, 200, 200, 404]),
        probe(
            M::PATCH,
            format!("/orgs/{a}/coaches/{spare}"),
            Some(json!({ "instructions": "Be brief." })),
            [200, 200, 403, 403, 403, 403, 404],
        ),
        probe(M::DELETE, format!("/orgs/{a}/coaches/{spare}"), None, [0, 0, 403, 403, 403, 403, 404]),
        // Making the default coach the default again changes nothing the later rows rely on.
        probe(M::POST, format!("/orgs/{a}/coaches/{default_coach}/default"), None, [200, 200, 403, 403, 403, 403, 404]),
        probe(M::GET, format!("/orgs/{a}/budget"), None, [200, 200, 403, 403, 403, 403, 404]),
        probe(M::PUT, format!("/orgs/{a}/budget"), Some(json!({})), [200, 200, 403, 403, 403, 403, 404]),
        // Conversations: one's own for everyone; another's for its readers (admins, the owner's
        // coach and that coach's manager; never a parent); changes only by the owner.
        probe(M::GET, format!("/orgs/{a}/conversations"), None, [200, 200, 200, 200, 200, 200, 404]),
        probe(M::POST, format!("/orgs/{a}/conversations"), Some(json!({})), [201, 201, 201, 201, 201, 201, 404]),
        probe(M::GET, format!("/orgs/{a}/conversations?owner={learner}"), None, [200, 200, 200, 200, 404, 200, 404]),
        probe(
            M::GET,
            format!("/orgs/{a}/conversations?owner={}", w.coach.id),
            None,
            [200, 200, 200, 200, 404, 404, 404],
        ),
        probe(M::GET, format!("/conversations/{chat}"), None, [200, 200, 200, 200, 404, 200, 404]),
        probe(M::GET, format!("/conversations/{coach_chat}"), None, [200, 200, 200, 200, 404, 404, 404]),
        probe(
            M::PATCH,
            format!("/conversations/{chat}"),
            Some(json!({ "title": "Matrix" })),
            [403, 403, 403, 403, 404, 200, 404],
        ),
        probe(
            M::POST,
            format!("/conversations/{chat}/messages"),
            Some(json!({ "content": "some words" })),
            [403, 403, 403, 403, 404, 200, 404],
        ),
        probe(
            M::PUT,
            format!("/messages/{answer}/feedback"),
            Some(json!({ "rating": "up" })),
            [403, 403, 403, 403, 404, 200, 404],
        ),
        probe(M::POST, format!("/conversations/{chat}/share"), None, [403, 403, 403, 403, 404, 200, 404]),
        probe(M::DELETE, format!("/conversations/{chat}/share"), None, [403, 403, 403, 403, 404, 204, 404]),
        probe(M::DELETE, format!("/conversations/{chat}"), None, [403, 403, 403, 403, 404, 0, 404]),
        // The OpenAI-compatible face: each coach is a model; another organisation's is not found.
        probe(M::GET, "/v1/models".into(), None, [200; 7]),
        probe(
            M::POST,
            "/v1/chat/completions".into(),
            Some(json!({ "model": default_coach, "messages": [{ "role": "user", "content": "some words" }] })),
            [200, 200, 200, 200, 200, 200, 404],
        ),
        probe(
            M::POST,
            "/orgs".into(),
            Some(json!({ "slug": "{role}-academy", "name": "Academy" })),
            [201, 403, 403, 403, 403, 403, 403],
        ),
        // Channels, nudges, sequences and widgets: set-up is the admins'; sequences are the
        // coaches' too; reach settings, linked accounts and check-ins are each member's own.
        probe(M::GET, format!("/orgs/{a}/channels"), None, [200, 200, 403, 403, 403, 403, 404]),
        probe(M::GET, format!("/orgs/{a}/nudge-rules"), None, [200, 200, 403, 403, 403, 403, 404]),
        probe(M::POST, format!("/orgs/{a}/nudge-rules/evaluate"), None, [200, 200, 403, 403, 403, 403, 404]),
        probe(M::GET, format!("/orgs/{a}/reach-settings"), None, [200, 200, 200, 200, 200, 200, 404]),
        probe(M::GET, format!("/orgs/{a}/channel-accounts"), None, [200, 200, 200, 200, 200, 200, 404]),
        probe(M::GET, format!("/orgs/{a}/sequences"), None, [200, 200, 403, 200, 403, 403, 404]),
        probe(M::POST, format!("/orgs/{a}/sequences/advance"), None, [200, 200, 403, 403, 403, 403, 404]),
        probe(M::GET, format!("/orgs/{a}/check-ins"), None, [200, 200, 200, 200, 200, 200, 404]),
        // Guided interviews: flows and templates are the authors' (coaches too); every member
        // reads the flows and lists the interviews they may read.
        probe(M::GET, format!("/orgs/{a}/interview-templates"), None, [200, 200, 403, 200, 403, 403, 404]),
        probe(M::GET, format!("/orgs/{a}/interview-flows"), None, [200, 200, 200, 200, 200, 200, 404]),
        probe(M::GET, format!("/orgs/{a}/interviews"), None, [200, 200, 200, 200, 200, 200, 404]),
        probe(M::GET, format!("/orgs/{a}/widgets"), None, [200, 200, 403, 403, 403, 403, 404]),
        // Sign-in: identity providers and the organisation's sign-in settings are the admins';
        // resetting a member's second factor is the admins' too; anyone may list a provider's
        // sign-in links and read their own second factor.
        probe(M::GET, format!("/orgs/{a}/identity-providers"), None, [200, 200, 403, 403, 403, 403, 404]),
        probe(
            M::POST,
            format!("/orgs/{a}/identity-providers"),
            Some(provider.clone()),
            [201, 201, 403, 403, 403, 403, 404],
        ),
        probe(
            M::PUT,
            format!("/orgs/{a}/identity-providers/{idp}"),
            Some(provider),
            [200, 200, 403, 403, 403, 403, 404],
        ),
        probe(M::DELETE, format!("/orgs/{a}/identity-providers/{idp}"), None, [0, 0, 403, 403, 403, 403, 404]),
        probe(M::GET, format!("/orgs/{a}/sign-in-settings"), None, [200, 200, 403, 403, 403, 403, 404]),
        probe(M::GET, format!("/orgs/{a}/model-endpoints"), None, [200, 200, 403, 403, 403, 403, 404]),
        probe(
            M::PUT,
            format!("/orgs/{a}/model-endpoints/chat"),
            Some(json!({ "base_url": "https://models.example/v1", "model": "m", "api_key": "sk-matrix" })),
            [200, 200, 403, 403, 403, 403, 404],
        ),
        probe(M::DELETE, format!("/orgs/{a}/model-endpoints/embedding"), None, [404, 404, 403, 403, 403, 403, 404]),
        probe(
            M::PUT,
            format!("/orgs/{a}/sign-in-settings"),
            Some(json!({ "mfa_required_for_admins": false })),
            [200, 200, 403, 403, 403, 403, 404],
        ),
        probe(M::POST, format!("/orgs/{a}/members/{learner}/mfa/reset"), None, [204, 204, 403, 403, 403, 403, 404]),
        probe(M::GET, "/auth/sso/providers?org=north-high".into(), None, [200; 7]),
        probe(M::GET, "/me/mfa".into(), None, [200; 7]),
        probe(M::GET, "/oauth/clients".into(), None, [200, 403, 403, 403, 403, 403, 403]),
        probe(M::POST, "/oauth/clients".into(), Some(app_client), [201, 403, 403, 403, 403, 403, 403]),
        probe(M::DELETE, format!("/oauth/clients/{unknown}"), None, [404, 403, 403, 403, 403, 403, 403]),
        probe(M::POST, "/oauth/signing-keys/rotate".into(), None, [200, 403, 403, 403, 403, 403, 403]),
        probe(M::GET, format!("/oauth/authorization?{authorization}"), None, [200; 7]),
        probe(M::POST, "/oauth/authorization".into(), Some(consent_answer), [200; 7]),
        probe(M::GET, "/me/apps".into(), None, [200; 7]),
        probe(M::DELETE, format!("/me/apps/{unknown}"), None, [404; 7]),
        probe(M::GET, "/orgs".into(), None, [200; 7]),
        probe(M::GET, "/me".into(), None, [200; 7]),
        probe(M::GET, "/tokens".into(), None, [200; 7]),
        probe(M::POST, "/tokens".into(), Some(json!({ "name": "matrix" })), [201; 7]),
        probe(M::GET, "/auth/sessions".into(), None, [200; 7]),
    ];
    let clients = [
        &w.operator,
        &w.admin.client,
        &w.manager.client,
        &w.coach.client,
        &w.parent.client,
        &w.learner.client,
        &w.admin_b.client,
    ];
    let mut failures = Vec::new();
    for row in &rows {
        for (i, client) in clients.iter().enumerate() {
            if row.expect[i] == 0 {
                continue;
            }
            let body =
                row.body.as_ref().map(|b| serde_json::from_str(&b.to_string().replace("{role}", ROLES[i])).unwrap());
            // The OpenAI face sits beside the API, at /v1 rather than /api/v1.
            let client = if row.path.starts_with("/v1/") { &at_root(client) } else { *client };
            let (status, response) = client.send(row.method.clone(), &row.path, body).await;
            if status.as_u16() != row.expect[i] {
                failures.push(format!(
                    "{} {} as {}: expected {}, got {} {}",
                    row.method, row.path, ROLES[i], row.expect[i], status, response
                ));
            } else if status.is_client_error() {
                let code = response["error"]["code"].as_str().unwrap_or("");
                let expected_code = match status {
                    // The OpenAI face names what was not found, as OpenAI's API does.
                    StatusCode::NOT_FOUND if row.path.starts_with("/v1/") => "model_not_found",
                    StatusCode::NOT_FOUND => "not_found",
                    _ => "forbidden",
                };
                if code != expected_code {
                    failures.push(format!("{} {} as {}: code {code}", row.method, row.path, ROLES[i]));
                }
            }
        }
    }
    assert!(failures.is_empty(), "permission matrix mismatches:\n{}", failures.join("\n"));

    // The rows skipped for admins succeed for them.
    let (status, _) = w.admin.client.delete(&format!("/orgs/{a}/identity-providers/{idp}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = w.admin.client.delete(&format!("/orgs/{a}/invitations/{pending}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = w
        .admin
        .client
        .post(
            &format!("/orgs/{a}/relationships"),
            json!({ "kind": "coach_learner", "from_person": w.coach.id, "to_person": other }),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, _) = w.admin.client.delete(&format!("/orgs/{a}/relationships/{rel}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = w.operator.delete(&format!("/orgs/{a}/members/{other}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = w.admin.client.delete(&format!("/orgs/{a}/documents/{doc}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = w.admin.client.delete(&format!("/orgs/{a}/collections/{coll}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = w.admin.client.delete(&format!("/orgs/{a}/coaches/{spare}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = w.learner.client.delete(&format!("/conversations/{chat}")).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}

async fn another_organisations_ids_answer_404(backend: Backend) {
    let w = World::build(backend).await;
    let (a, b) = (&w.org_a, &w.org_b);
    let (learner_b, rel_b, inv_b) = (&w.learner_b.id, &w.relationship_b, &w.invitation_b);
    let unknown = "0190f0f0-0000-7000-8000-000000000000";
    use Method as M;
    let probes: Vec<(Method, String, Option<Value>)> = vec![
        // B's organisation id, from A's admin.
        (M::GET, format!("/orgs/{b}"), None),
        (M::PATCH, format!("/orgs/{b}"), Some(json!({ "name": "Taken Over" }))),
        (M::GET, format!("/orgs/{b}/members"), None),
        (M::GET, format!("/orgs/{b}/members/{learner_b}"), None),
        (M::PATCH, format!("/orgs/{b}/members/{learner_b}"), Some(json!({ "role": "admin" }))),
        (M::DELETE, format!("/orgs/{b}/members/{learner_b}"), None),
        (M::GET, format!("/orgs/{b}/invitations"), None),
        (M::POST, format!("/orgs/{b}/invitations"), Some(json!({ "email": "spy@north.example", "role": "admin" }))),
        (M::DELETE, format!("/orgs/{b}/invitations/{inv_b}"), None),
        (M::GET, format!("/orgs/{b}/relationships"), None),
        (
            M::POST,
            format!("/orgs/{b}/relationships"),
            Some(json!({ "kind": "coach_learner", "from_person": w.coach.id, "to_person": learner_b })),
        ),
        (M::DELETE, format!("/orgs/{b}/relationships/{rel_b}"), None),
        (M::GET, format!("/orgs/{b}/audit"), None),
        // A's organisation id with B's record ids.
        (M::GET, format!("/orgs/{a}/members/{learner_b}"), None),
        (M::PATCH, format!("/orgs/{a}/members/{learner_b}"), Some(json!({ "role": "admin" }))),
        (M::DELETE, format!("/orgs/{a}/members/{learner_b}"), None),
        (M::DELETE, format!("/orgs/{a}/invitations/{inv_b}"), None),
        (M::DELETE, format!("/orgs/{a}/relationships/{rel_b}"), None),
        (
            M::POST,
            format!("/orgs/{a}/relationships"),
            Some(json!({ "kind": "coach_learner", "from_person": w.coach.id, "to_person": learner_b })),
        ),
        // Ids nobody has, and ids that are not ids.
        (M::GET, format!("/orgs/{unknown}"), None),
        (M::GET, format!("/orgs/{a}/members/{unknown}"), None),
        (M::DELETE, format!("/orgs/{a}/relationships/{unknown}"), None),
        (M::GET, "/orgs/not-a-uuid/members".into(), None),
        (M::DELETE, "/tokens/not-a-uuid".into(), None),
    ];
    // B's knowledge base: a collection, a document and its ingestion job.
    let coll_b = crate::knowledge::create_collection(&w.admin_b.client, b, "B's handbook", &[]).await;
    let (_, job_b) =
        crate::knowledge::upload(&w.admin_b.client, b, &coll_b, &[("b.md", b"# B\n\nprivate words".to_vec())], None)
            .await;
    let job_b = crate::knowledge::wait_for_job(&w.admin_b.client, job_b["id"].as_str().unwrap()).await;
    let doc_b = job_b["files"][0]["document_id"].as_str().unwrap().to_string();
    let job_b = job_b["id"].as_str().unwrap().to_string();
    // B's coach side: its default coach, a conversation of B's learner with one answer.
    let (_, coaches_b) = w.admin_b.client.get(&format!("/orgs/{b}/coaches")).await;
    // A's default coach too, which the first listing creates, so that the counts below see only the probes.
    w.admin.client.get(&format!("/orgs/{a}/coaches")).await;
    let coach_b = coaches_b["coaches"][0]["id"].as_str().unwrap().to_string();
    let (_, chat_b) = w.learner_b.client.post(&format!("/orgs/{b}/conversations"), json!({})).await;
    let chat_b = chat_b["id"].as_str().unwrap().to_string();
    let (status, turn_b) = w
        .learner_b
        .client
        .post(&format!("/conversations/{chat_b}/messages"), json!({ "content": "private words" }))
        .await;
    assert_eq!(status, StatusCode::OK, "{turn_b}");
    let answer_b = turn_b["assistant_message"]["id"].as_str().unwrap().to_string();
    // B's insights: an alert rule.
    let (status, rule_b) =
        w.admin_b.client.post(&format!("/orgs/{b}/alert-rules"), json!({ "kind": "daily_cost", "threshold": 5 })).await;
    assert_eq!(status, StatusCode::CREATED, "{rule_b}");
    let rule_b = rule_b["id"].as_str().unwrap().to_string();
    let insight_probes: Vec<(Method, String, Option<Value>)> = vec![
        (M::GET, format!("/orgs/{b}/insights/overview"), None),
        (M::GET, format!("/orgs/{b}/insights/gaps"), None),
        (M::GET, format!("/orgs/{b}/insights/outcomes"), None),
        (M::GET, format!("/orgs/{b}/insights/team"), None),
        (M::GET, format!("/orgs/{b}/insights/learners"), None),
        (M::GET, format!("/orgs/{b}/insights/learners/{learner_b}"), None),
        (M::GET, format!("/orgs/{a}/insights/learners/{learner_b}"), None),
        (M::GET, format!("/orgs/{b}/insight-settings"), None),
        (M::PUT, format!("/orgs/{b}/insight-settings"), Some(json!({ "parents_may_read_conversations": true }))),
        (M::GET, format!("/orgs/{b}/conversation-sharing"), None),
        (M::PUT, format!("/orgs/{b}/conversation-sharing"), Some(json!({ "share_with_parents": true }))),
        (M::GET, format!("/orgs/{b}/alert-rules"), None),
        (M::POST, format!("/orgs/{b}/alert-rules"), Some(json!({ "kind": "daily_cost", "threshold": 1 }))),
        (M::DELETE, format!("/orgs/{b}/alert-rules/{rule_b}"), None),
        (M::DELETE, format!("/orgs/{a}/alert-rules/{rule_b}"), None),
        (M::GET, format!("/orgs/{b}/alerts"), None),
        (M::POST, format!("/orgs/{b}/alerts/evaluate"), None),
        (M::GET, format!("/orgs/{b}/notifications"), None),
        (M::POST, format!("/orgs/{a}/notifications/{unknown}/read"), None),
        (M::GET, format!("/orgs/{b}/exports/messages"), None),
        (M::GET, format!("/orgs/{b}/exports/learners"), None),
    ];
    // B's proactive side: a nudge rule, a sequence with an enrolment, and a website widget.
    let rule = json!({ "name": "Quiet week", "trigger": "inactive", "days": 7, "holdout_share": 0.0,
        "audience": "learner", "message": "Hello {name}" });
    let (status, nudge_b) = w.admin_b.client.post(&format!("/orgs/{b}/nudge-rules"), rule.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{nudge_b}");
    let nudge_b = nudge_b["id"].as_str().unwrap().to_string();
    let steps = json!([{ "key": "hello", "kind": "message", "text": "Hello {name}", "delay_hours": 0 }]);
    let sequence = json!({ "name": "B's week", "description": "", "steps": steps });
    let (status, sequence_b) = w.admin_b.client.post(&format!("/orgs/{b}/sequences"), sequence.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{sequence_b}");
    let sequence_b = sequence_b["id"].as_str().unwrap().to_string();
    let enrolments_b = format!("/orgs/{b}/sequences/{sequence_b}/enrolments");
    let (status, body) = w.admin_b.client.post(&enrolments_b, json!({ "person_id": learner_b })).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let widget = json!({ "name": "B's site", "coach_id": coach_b, "allowed_origins": ["https://south.example"] });
    let (status, widget_b) = w.admin_b.client.post(&format!("/orgs/{b}/widgets"), widget.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{widget_b}");
    let widget_b = widget_b["id"].as_str().unwrap().to_string();
    let provider = json!({ "kind": "oidc", "name": "B's sign-in", "issuer_url": "https://login.example.org",
        "client_id": "wayfinder", "client_secret": "a-client-secret-of-south-high" });
    let (status, idp_b) = w.admin_b.client.post(&format!("/orgs/{b}/identity-providers"), provider.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{idp_b}");
    let idp_b = idp_b["id"].as_str().unwrap().to_string();
    let flow = json!({ "name": "B's intake", "purpose": "custom",
        "steps": [{ "key": "hello", "question": "How are you?", "field": "mood" }],
        "summary": [{ "key": "mood", "kind": "text" }] });
    let (status, flow_b) = w.admin_b.client.post(&format!("/orgs/{b}/interview-flows"), flow.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{flow_b}");
    let flow_b = flow_b["id"].as_str().unwrap().to_string();
    let (status, interview_b) =
        w.learner_b.client.post(&format!("/orgs/{b}/interviews"), json!({ "flow_id": flow_b })).await;
    assert_eq!(status, StatusCode::CREATED, "{interview_b}");
    let interview_b = interview_b["id"].as_str().unwrap().to_string();
    let telegram =
        json!({ "bot_token": "123456:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw", "webhook_secret": "spy-secret-0123456" });
    let reach_probes: Vec<(Method, String, Option<Value>)> = vec![
        (M::GET, format!("/orgs/{b}/channels"), None),
        (M::PUT, format!("/orgs/{b}/channels/telegram"), Some(telegram)),
        (M::DELETE, format!("/orgs/{b}/channels/telegram"), None),
        (M::DELETE, format!("/orgs/{b}/channels/whatsapp"), None),
        (M::POST, format!("/orgs/{b}/channel-links"), Some(json!({ "channel": "telegram" }))),
        (M::GET, format!("/orgs/{b}/channel-accounts"), None),
        (M::DELETE, format!("/orgs/{a}/channel-accounts/{unknown}"), None),
        (M::GET, format!("/orgs/{b}/reach-settings"), None),
        (M::PUT, format!("/orgs/{b}/reach-settings"), Some(json!({ "weekly_cap": 1 }))),
        (M::GET, format!("/orgs/{b}/nudge-rules"), None),
        (M::POST, format!("/orgs/{b}/nudge-rules"), Some(rule.clone())),
        (M::PUT, format!("/orgs/{b}/nudge-rules/{nudge_b}"), Some(rule.clone())),
        (M::DELETE, format!("/orgs/{b}/nudge-rules/{nudge_b}"), None),
        (M::POST, format!("/orgs/{b}/nudge-rules/evaluate"), None),
        (M::GET, format!("/orgs/{b}/nudge-rules/{nudge_b}/effect"), None),
        (M::GET, format!("/orgs/{b}/sequences"), None),
        (M::POST, format!("/orgs/{b}/sequences"), Some(sequence.clone())),
        (M::GET, format!("/orgs/{b}/sequences/{sequence_b}"), None),
        (M::GET, enrolments_b.clone(), None),
        (M::POST, enrolments_b.clone(), Some(json!({ "person_id": w.learner.id }))),
        (M::DELETE, format!("{enrolments_b}/{learner_b}"), None),
        (M::POST, format!("/orgs/{b}/sequences/advance"), None),
        (M::GET, format!("/orgs/{b}/check-ins"), None),
        (M::PUT, format!("/orgs/{b}/check-ins/{unknown}/answer"), Some(json!({ "answer": 3 }))),
        (M::GET, format!("/orgs/{b}/widgets"), None),
        (M::POST, format!("/orgs/{b}/widgets"), Some(widget.clone())),
        (M::GET, format!("/orgs/{b}/widgets/{widget_b}"), None),
        (M::GET, format!("/orgs/{b}/identity-providers"), None),
        (M::POST, format!("/orgs/{b}/identity-providers"), Some(provider.clone())),
        (M::PUT, format!("/orgs/{b}/identity-providers/{idp_b}"), Some(provider.clone())),
        (M::DELETE, format!("/orgs/{b}/identity-providers/{idp_b}"), None),
        (M::GET, format!("/orgs/{b}/sign-in-settings"), None),
        (M::PUT, format!("/orgs/{b}/sign-in-settings"), Some(json!({ "mfa_required_for_admins": true }))),
        (M::POST, format!("/orgs/{b}/members/{learner_b}/mfa/reset"), None),
        (M::GET, format!("/orgs/{b}/model-endpoints"), None),
        (
            M::PUT,
            format!("/orgs/{b}/model-endpoints/chat"),
            Some(json!({ "base_url": "https://x.example/v1", "model": "m" })),
        ),
        (M::DELETE, format!("/orgs/{b}/model-endpoints/chat"), None),
        (M::GET, format!("/orgs/{b}/interview-templates"), None),
        (M::GET, format!("/orgs/{b}/interview-flows"), None),
        (M::POST, format!("/orgs/{b}/interview-flows"), Some(flow.clone())),
        (M::GET, format!("/orgs/{b}/interview-flows/{flow_b}"), None),
        (M::PUT, format!("/orgs/{b}/interview-flows/{flow_b}"), Some(flow.clone())),
        (M::DELETE, format!("/orgs/{b}/interview-flows/{flow_b}"), None),
        (M::GET, format!("/orgs/{b}/interviews"), None),
        (M::POST, format!("/orgs/{b}/interviews"), Some(json!({ "flow_id": flow_b }))),
        (M::POST, format!("/orgs/{a}/interviews"), Some(json!({ "flow_id": flow_b }))),
        (M::GET, format!("/orgs/{a}/interview-flows/{flow_b}"), None),
        (M::GET, format!("/orgs/{b}/interviews/{interview_b}"), None),
        (M::GET, format!("/orgs/{a}/interviews/{interview_b}"), None),
        (M::POST, format!("/orgs/{a}/interviews/{interview_b}/answers"), Some(json!({ "content": "private words" }))),
        (M::POST, format!("/orgs/{b}/interviews/{interview_b}/answers"), Some(json!({ "content": "private words" }))),
        (M::GET, format!("/orgs/{a}/interviews/{interview_b}/suggested-programs"), None),
        (M::GET, format!("/orgs/{b}/interviews/{interview_b}/suggested-programs"), None),
        (M::GET, format!("/orgs/{a}/interviews/{interview_b}/question-audio"), None),
        (M::GET, format!("/orgs/{a}/interviews/{interview_b}/recordings"), None),
        (M::GET, format!("/orgs/{a}/interviews/{interview_b}/starting-path"), None),
        (M::GET, format!("/orgs/{b}/interviews/{interview_b}/starting-path"), None),
        (M::GET, format!("/orgs/{b}/interviews/{interview_b}/recordings"), None),
        (
            M::GET,
            format!("/orgs/{b}/interviews/{interview_b}/recordings/01890000-0000-7000-8000-000000000000/audio"),
            None,
        ),
        (M::POST, format!("/orgs/{a}/interviews/{interview_b}/pause"), None),
        (M::POST, format!("/orgs/{a}/interviews/{interview_b}/resume"), None),
        (M::PUT, format!("/orgs/{a}/interviews/{interview_b}/summary"), Some(json!({ "fields": { "mood": "ok" } }))),
    ];
    // A's paths with B's records, on routes only A's admins may use (a learner is refused
    // before anything is looked up).
    let admin_probes: Vec<(Method, String, Option<Value>)> = vec![
        (M::PUT, format!("/orgs/{a}/nudge-rules/{nudge_b}"), Some(rule)),
        (M::DELETE, format!("/orgs/{a}/nudge-rules/{nudge_b}"), None),
        (M::GET, format!("/orgs/{a}/nudge-rules/{nudge_b}/effect"), None),
        (M::GET, format!("/orgs/{a}/sequences/{sequence_b}"), None),
        (M::PUT, format!("/orgs/{a}/sequences/{sequence_b}"), Some(sequence)),
        (M::DELETE, format!("/orgs/{a}/sequences/{sequence_b}"), None),
        (M::GET, format!("/orgs/{a}/sequences/{sequence_b}/enrolments"), None),
        (M::DELETE, format!("/orgs/{a}/sequences/{sequence_b}/enrolments/{learner_b}"), None),
        (M::GET, format!("/orgs/{a}/widgets/{widget_b}"), None),
        (M::PUT, format!("/orgs/{a}/widgets/{widget_b}"), Some(widget)),
        (M::DELETE, format!("/orgs/{a}/widgets/{widget_b}"), None),
        (M::PUT, format!("/orgs/{a}/identity-providers/{idp_b}"), Some(provider)),
        (M::DELETE, format!("/orgs/{a}/identity-providers/{idp_b}"), None),
        (M::POST, format!("/orgs/{a}/members/{learner_b}/mfa/reset"), None),
        (M::PUT, format!("/orgs/{a}/interview-flows/{flow_b}"), Some(flow)),
        (M::DELETE, format!("/orgs/{a}/interview-flows/{flow_b}"), None),
    ];
    let probes: Vec<(Method, String, Option<Value>)> = probes
        .into_iter()
        .chain([
            (M::GET, format!("/orgs/{b}/collections"), None),
            (M::GET, format!("/orgs/{b}/collections/{coll_b}"), None),
            (M::PATCH, format!("/orgs/{b}/collections/{coll_b}"), Some(json!({ "name": "Mine now" }))),
            (M::DELETE, format!("/orgs/{b}/collections/{coll_b}"), None),
            (M::GET, format!("/orgs/{b}/collections/{coll_b}/documents"), None),
            (M::GET, format!("/orgs/{a}/collections/{coll_b}"), None),
            (M::GET, format!("/orgs/{a}/collections/{coll_b}/documents"), None),
            (M::DELETE, format!("/orgs/{a}/collections/{coll_b}"), None),
            (M::GET, format!("/orgs/{a}/documents/{doc_b}"), None),
            (M::GET, format!("/orgs/{a}/documents/{doc_b}/chunks"), None),
            (M::DELETE, format!("/orgs/{a}/documents/{doc_b}"), None),
            (M::GET, format!("/orgs/{b}/documents/{doc_b}"), None),
            (M::GET, format!("/jobs/{job_b}"), None),
            (M::GET, format!("/orgs/{b}/jobs"), None),
            (M::POST, "/search".into(), Some(json!({ "org_id": b, "query": "private words" }))),
            (
                M::POST,
                "/search".into(),
                Some(json!({ "org_id": a, "query": "private words", "collections": [coll_b] })),
            ),
            (M::POST, "/search".into(), Some(json!({ "org_id": a, "query": "private words", "documents": [doc_b] }))),
            (M::GET, format!("/orgs/{b}/coaches"), None),
            (M::POST, format!("/orgs/{b}/coaches"), Some(json!({ "name": "Spy" }))),
            (M::GET, format!("/orgs/{b}/coaches/{coach_b}"), None),
            (M::PATCH, format!("/orgs/{b}/coaches/{coach_b}"), Some(json!({ "name": "Mine now" }))),
            (M::DELETE, format!("/orgs/{b}/coaches/{coach_b}"), None),
            (M::POST, format!("/orgs/{b}/coaches/{coach_b}/default"), None),
            (M::GET, format!("/orgs/{a}/coaches/{coach_b}"), None),
            (M::PATCH, format!("/orgs/{a}/coaches/{coach_b}"), Some(json!({ "name": "Mine now" }))),
            (M::DELETE, format!("/orgs/{a}/coaches/{coach_b}"), None),
            (M::POST, format!("/orgs/{a}/coaches/{coach_b}/default"), None),
            (M::GET, format!("/orgs/{b}/budget"), None),
            (M::PUT, format!("/orgs/{b}/budget"), Some(json!({ "org_daily_tokens": 1 }))),
            (M::GET, format!("/orgs/{b}/conversations"), None),
            (M::POST, format!("/orgs/{b}/conversations"), Some(json!({}))),
            (M::POST, format!("/orgs/{a}/conversations"), Some(json!({ "coach_id": coach_b }))),
            (M::GET, format!("/orgs/{a}/conversations?owner={}", w.learner_b.id), None),
            (M::GET, format!("/conversations/{chat_b}"), None),
            (M::PATCH, format!("/conversations/{chat_b}"), Some(json!({ "title": "Mine now" }))),
            (M::DELETE, format!("/conversations/{chat_b}"), None),
            (M::POST, format!("/conversations/{chat_b}/messages"), Some(json!({ "content": "private words" }))),
            (M::POST, format!("/conversations/{chat_b}/share"), None),
            (M::DELETE, format!("/conversations/{chat_b}/share"), None),
            (M::PUT, format!("/messages/{answer_b}/feedback"), Some(json!({ "rating": "down" }))),
        ])
        .chain(insight_probes)
        .chain(reach_probes)
        .collect();
    let before = w.app.row_counts().await;
    let admin_only = admin_probes.iter().map(|probe| (&w.admin.client, probe));
    let everyone = [&w.admin.client, &w.learner.client].into_iter().flat_map(|c| probes.iter().map(move |p| (c, p)));
    for (client, (method, path, body)) in everyone.chain(admin_only) {
        let (status, response) = client.send(method.clone(), path, body.clone()).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}: {response}");
        assert_eq!(response["error"]["code"], "not_found", "{method} {path}: {response}");
    }
    // The OpenAI face: B's coach is no model for A's members.
    for client in [at_root(&w.admin.client), at_root(&w.learner.client)] {
        let body = json!({ "model": coach_b, "messages": [{ "role": "user", "content": "private words" }] });
        let (status, response) = client.post("/v1/chat/completions", body).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{response}");
        assert_eq!(response["error"]["code"], "model_not_found", "{response}");
        let (_, models) = client.get("/v1/models").await;
        let ids: Vec<&str> = models["data"].as_array().unwrap().iter().filter_map(|m| m["id"].as_str()).collect();
        assert!(!ids.contains(&coach_b.as_str()), "{models}");
    }
    // Someone else's token and session ids are not found either.
    let (_, token) = w.admin_b.client.post("/tokens", json!({ "name": "b's token" })).await;
    let (_, sessions) = w.admin_b.client.get("/auth/sessions").await;
    let before_tokens = w.app.row_counts().await;
    assert_error(
        w.admin.client.delete(&format!("/tokens/{}", token["token"]["id"].as_str().unwrap())).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_error(
        w.admin.client.delete(&format!("/auth/sessions/{}", sessions[0]["id"].as_str().unwrap())).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    assert_eq!(w.app.row_counts().await, before_tokens);
    // Nothing in B changed, and nothing was written at all by the probes.
    let counts: Vec<_> =
        w.app.row_counts().await.into_iter().filter(|(t, _)| !matches!(*t, "api_tokens" | "audit_events")).collect();
    let expected: Vec<_> = before.into_iter().filter(|(t, _)| !matches!(*t, "api_tokens" | "audit_events")).collect();
    assert_eq!(counts, expected);
    let (_, org_b) = w.admin_b.client.get(&format!("/orgs/{b}")).await;
    assert_eq!(org_b["organisation"]["name"], "South High School");
    let (_, member) = w.admin_b.client.get(&format!("/orgs/{b}/members/{learner_b}")).await;
    assert_eq!(member["role"], "learner");
}

wayfinder_testing::on_both_backends!(every_role_against_every_endpoint, another_organisations_ids_answer_404);
