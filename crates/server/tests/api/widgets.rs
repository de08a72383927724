//! Website widgets through HTTP: an admin writes one for a coach with its
//! allowed origins; the script's check-in is answered cross-origin only to
//! them; the frame carries them as `frame-ancestors` and refuses other
//! embedders; anonymous visitors are answered from public collections only,
//! within a rate and a daily budget; members sign in through a Wayfinder
//! window and continue their own conversation.

use crate::{
    coach::world_with_guide,
    helpers::*,
    knowledge::{create_collection, upload, wait_for_job},
};
use reqwest::{
    StatusCode,
    header::{HeaderMap, HeaderValue},
};
use serde_json::{Value, json};

const SITE: &str = "http://127.0.0.1:9711";
const OTHER_SITE: &str = "http://localhost:9711";

fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.insert(*name, HeaderValue::from_str(value).unwrap());
    }
    map
}

/// A client of the widget's own calls (the frame's), with its session token once it has one.
fn visitor(app: &TestApp) -> Client {
    app.client()
}

async fn ask(client: &Client, widget: &str, question: &str) -> (StatusCode, Value) {
    client.post(&format!("/widgets/{widget}/messages"), json!({ "content": question })).await
}

async fn widgets_answer_allowed_sites_from_public_collections_within_their_limits(backend: Backend) {
    let w = world_with_guide(TestApp::spawn(backend).await).await;
    let (app, a, admin) = (&w.app, &w.org_a, &w.admin.client);
    // A second, confidential collection the coach also uses.
    let private = create_collection(admin, a, "Pay policy", &[]).await;
    let text = "# Pay policy\n\n## Salary bands\n\nSalary bands for teaching assistants run from grade four to grade six and are confidential. ".repeat(3);
    let (status, job) = upload(admin, a, &private, &[("pay.md", text.into_bytes())], None).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{job}");
    wait_for_job(admin, job["id"].as_str().unwrap()).await;
    let (_, collections) = admin.get(&format!("/orgs/{a}/collections")).await;
    let guide = collections.as_array().unwrap().iter().find(|c| c["name"] == "Handbooks").unwrap()["id"]
        .as_str()
        .unwrap()
        .to_string();
    let (_, coaches) = admin.get(&format!("/orgs/{a}/coaches")).await;
    let coach = coaches["coaches"][0]["id"].as_str().expect("a default coach").to_string();

    // Widgets are the admins'; origins must be origins.
    let url = format!("/orgs/{a}/widgets");
    let spec = json!({ "name": "School site", "coach_id": coach, "allowed_origins": [format!("{SITE}/")],
        "answers_per_minute": 3, "greeting": "Ask me about studying." });
    let (status, body) = w.learner.client.post(&url, spec.clone()).await;
    assert_error((status, body), StatusCode::FORBIDDEN, "forbidden");
    let mut bad = spec.clone();
    bad["allowed_origins"] = json!([SITE, "school.example"]);
    let (status, body) = admin.post(&url, bad).await;
    assert_eq!(
        (status, body["error"]["field"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("allowed_origins[1]"))
    );
    let (status, widget) = admin.post(&url, spec).await;
    assert_eq!(status, StatusCode::CREATED, "{widget}");
    let id = widget["id"].as_str().unwrap().to_string();
    assert_eq!(widget["allowed_origins"], json!([SITE]), "kept without the trailing slash");
    assert_eq!(widget["audience"], "visitors");
    let snippet = widget["snippet"].as_str().unwrap();
    assert!(snippet.contains(&format!("data-widget=\"{id}\"")) && snippet.contains("/widget.js"), "{snippet}");
    assert_eq!(w.admin_b.client.get(&format!("/orgs/{a}/widgets/{id}")).await.0, StatusCode::NOT_FOUND);

    // The script's check-in: answered to the allowed site with its origin, refused elsewhere.
    let client = visitor(app);
    let (status, head, config) = client
        .send_full(reqwest::Method::GET, &format!("/widgets/{id}/config"), None, headers(&[("origin", SITE)]))
        .await;
    assert_eq!(status, StatusCode::OK, "{config}");
    assert_eq!(head.get("access-control-allow-origin").and_then(|v| v.to_str().ok()), Some(SITE));
    assert_eq!(config["greeting"], "Ask me about studying.");
    let (status, head, body) = client
        .send_full(reqwest::Method::GET, &format!("/widgets/{id}/config"), None, headers(&[("origin", OTHER_SITE)]))
        .await;
    assert_error((status, body), StatusCode::FORBIDDEN, "origin_not_allowed");
    assert!(head.get("access-control-allow-origin").is_none());

    // The frame: its frame-ancestors are the allowed origins; embedded elsewhere it is refused.
    let (status, head, html) =
        client.page(&format!("/widget/{id}"), headers(&[("referer", &format!("{SITE}/page"))])).await;
    assert_eq!(status, StatusCode::OK);
    let csp = head.get("content-security-policy").unwrap().to_str().unwrap();
    assert!(csp.contains(&format!("frame-ancestors {SITE}")), "{csp}");
    assert!(html.contains("Ask me about studying."), "{html}");
    let (status, _, _) =
        client.page(&format!("/widget/{id}"), headers(&[("referer", &format!("{OTHER_SITE}/"))])).await;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Sessions come from the frame itself, not from another site's page.
    let (status, head, body) = client
        .send_full(reqwest::Method::POST, &format!("/widgets/{id}/sessions"), None, headers(&[("origin", SITE)]))
        .await;
    assert_error((status, body), StatusCode::FORBIDDEN, "origin_not_allowed");
    assert!(head.get("access-control-allow-origin").is_none());
    let (status, session) = client.post(&format!("/widgets/{id}/sessions"), json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{session}");
    let visitor = client.with_bearer(session["token"].as_str().unwrap());
    let (status, body) = ask(&client, &id, "What is the Cornell method?").await;
    assert_error((status, body), StatusCode::UNAUTHORIZED, "unauthenticated");

    // Nothing is public yet: nothing to answer from.
    let (status, body) = ask(&visitor, &id, "How does the Cornell method divide the page for notes?").await;
    assert_error((status, body), StatusCode::CONFLICT, "conflict");
    let (status, handbook) = admin.patch(&format!("/orgs/{a}/collections/{guide}"), json!({ "public": true })).await;
    assert_eq!((status, handbook["public"].as_bool()), (StatusCode::OK, Some(true)), "{handbook}");

    // Answered from the public handbook; the confidential collection is never cited.
    let (status, exchange) = ask(&visitor, &id, "How does the Cornell method divide the page for notes?").await;
    assert_eq!(status, StatusCode::OK, "{exchange}");
    let sources = exchange["answer"]["sources"].as_array().unwrap();
    assert!(!sources.is_empty(), "{exchange}");
    assert!(sources.iter().all(|s| s["title"] != "pay"), "{exchange}");
    assert!(exchange["answer"]["content"].as_str().unwrap().contains("Cornell"), "{exchange}");
    let (status, exchange) = ask(&visitor, &id, "What are the salary bands for teaching assistants?").await;
    assert_eq!(status, StatusCode::OK, "{exchange}");
    let content = exchange["answer"]["content"].as_str().unwrap();
    assert!(!content.contains("grade four"), "the confidential collection is out of a visitor's reach: {content}");
    // A member asking the same coach in the app is answered from it.
    let (_, conversation) = w.learner.client.post(&format!("/orgs/{a}/conversations"), json!({})).await;
    let path = format!("/conversations/{}/messages", conversation["id"].as_str().unwrap());
    let (_, turn) =
        w.learner.client.post(&path, json!({ "content": "What are the salary bands for teaching assistants?" })).await;
    assert!(turn["assistant_message"]["content"].as_str().unwrap().contains("grade four"), "{turn}");

    // Three questions a minute per visitor (the refused one counted): the fourth waits.
    let (status, body) = ask(&visitor, &id, "What is spaced repetition?").await;
    assert_error((status, body), StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    let (status, messages) = visitor.get(&format!("/widgets/{id}/messages")).await;
    assert_eq!(status, StatusCode::OK);
    let roles: Vec<&str> = messages.as_array().unwrap().iter().map(|m| m["role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["user", "assistant", "user", "assistant"]);

    // A daily budget of one answer: the second visitor of the day is turned away.
    let spec = json!({ "name": "Tiny", "coach_id": coach, "allowed_origins": [SITE], "daily_answers": 1 });
    let (_, tiny) = admin.post(&url, spec).await;
    let tiny = tiny["id"].as_str().unwrap().to_string();
    let mut tokens = Vec::new();
    for _ in 0..2 {
        let (_, session) = client.post(&format!("/widgets/{tiny}/sessions"), json!({})).await;
        tokens.push(client.with_bearer(session["token"].as_str().unwrap()));
    }
    assert_eq!(ask(&tokens[0], &tiny, "What is the Cornell method?").await.0, StatusCode::OK);
    let (status, body) = ask(&tokens[1], &tiny, "What is the Cornell method?").await;
    assert_error((status, body), StatusCode::TOO_MANY_REQUESTS, "budget_exceeded");
    let (_, tiny_view) = admin.get(&format!("/orgs/{a}/widgets/{tiny}")).await;
    assert_eq!(tiny_view["answers_today"], 1);
    // A session is its widget's only.
    let (status, body) = ask(&visitor, &tiny, "What is the Cornell method?").await;
    assert_error((status, body), StatusCode::UNAUTHORIZED, "session_invalid");

    // A members' widget: no anonymous sessions; a member signs in through the Wayfinder window
    // and continues their own conversation there.
    let members = json!({ "name": "Staff", "coach_id": coach, "allowed_origins": [SITE], "audience": "members" });
    let (_, members) = admin.post(&url, members).await;
    let staff = members["id"].as_str().unwrap().to_string();
    let (status, body) = client.post(&format!("/widgets/{staff}/sessions"), json!({})).await;
    assert_error((status, body), StatusCode::FORBIDDEN, "forbidden");
    let (status, _, page) = w.learner.client.page(&format!("/widget/{staff}/connect"), HeaderMap::new()).await;
    assert_eq!(status, StatusCode::OK);
    let token = page.split("data-token=\"").nth(1).and_then(|rest| rest.split('"').next()).unwrap().to_string();
    let member = client.with_bearer(&token);
    let (status, exchange) = ask(&member, &staff, "What are the salary bands for teaching assistants?").await;
    assert_eq!(status, StatusCode::OK, "{exchange}");
    assert!(exchange["answer"]["content"].as_str().unwrap().contains("grade four"), "{exchange}");
    let (_, detail) = w.learner.client.get(&format!("/conversations/{}", conversation["id"].as_str().unwrap())).await;
    let last = detail["messages"].as_array().unwrap().iter().rev().find(|m| m["role"] == "user").unwrap().clone();
    assert_eq!(
        (last["channel"].as_str(), last["content"].as_str()),
        (Some("widget"), Some("What are the salary bands for teaching assistants?"))
    );
    // Someone of another organisation gets no session; signed out, the window asks to sign in.
    let (status, _, _) = w.learner_b.client.page(&format!("/widget/{staff}/connect"), HeaderMap::new()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _, _) = app.client().page(&format!("/widget/{staff}/connect"), HeaderMap::new()).await;
    assert!(status.is_success() || status.is_redirection(), "{status}");

    // Switched off, it is gone for sites; deleted, its visitors' conversations go with it.
    let mut off = json!({ "name": "School site", "coach_id": coach, "allowed_origins": [SITE], "active": false });
    let (status, _) = admin.put(&format!("{url}/{id}"), off.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ask(&visitor, &id, "What is the Cornell method?").await.0, StatusCode::NOT_FOUND);
    off["active"] = json!(true);
    assert_eq!(admin.delete(&format!("{url}/{id}")).await.0, StatusCode::NO_CONTENT);
    assert_eq!(admin.get(&format!("{url}/{id}")).await.0, StatusCode::NOT_FOUND);
    assert_eq!(ask(&visitor, &id, "What is the Cornell method?").await.0, StatusCode::NOT_FOUND);
}

wayfinder_testing::on_both_backends!(widgets_answer_allowed_sites_from_public_collections_within_their_limits);
