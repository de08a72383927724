//! An organisation's own model endpoints over HTTP: its admin points its coach at its own
//! OpenAI-compatible chat endpoint and its collections at its own embedding endpoint, each with a
//! key that is sealed in the database (found nowhere in plain text) and never returned. The
//! organisation's turns and embeddings reach its endpoints with its key — another organisation's
//! keep using the instance's — a new key replaces the old one at once, and removing the endpoint
//! falls back to the instance's. Both endpoints are fakes at the network edge that record what
//! reached them.

use crate::helpers::*;
use crate::knowledge::{create_collection, upload, wait_for_job};
use axum::{Json, extract::State, http::HeaderMap};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use wayfinder_llm::fake::FakeOpenAi;

const QUESTION: &str = "How does spaced repetition help me remember?";

async fn ask(client: &Client, org: &str, question: &str) {
    let (status, c) = client.post(&format!("/orgs/{org}/conversations"), json!({})).await;
    assert_eq!(status, StatusCode::CREATED, "{c}");
    let path = format!("/conversations/{}/messages", c["id"].as_str().unwrap());
    let (status, turn) = client.post(&path, json!({ "content": question })).await;
    assert_eq!(status, StatusCode::OK, "{turn}");
}

/// (authorization header, model) of every chat request the fake received.
fn seen(fake: &FakeOpenAi) -> Vec<(Option<String>, String)> {
    fake.seen().into_iter().map(|r| (r.authorization, r.model)).collect()
}

async fn an_organisations_own_chat_endpoint_answers_its_turns_with_its_key(backend: Backend) {
    let instance = FakeOpenAi::start().await;
    instance.set_default_reply("From the instance's model.");
    let own = FakeOpenAi::start().await;
    own.set_default_reply("From the organisation's own model.");
    let app = crate::coach::spawn(backend, crate::coach::models(instance.base_url())).await;
    // Both organisations hold the study guide, so both coaches have something to answer from.
    let w = crate::coach::world_with_guide(app).await;
    let (a, b) = (&w.org_a, &w.org_b);
    let coll_b = create_collection(&w.admin_b.client, b, "Handbooks", &[]).await;
    let guide = [("study.md", crate::knowledge::study_guide().into_bytes())];
    let (_, job) = upload(&w.admin_b.client, b, &coll_b, &guide, None).await;
    assert_eq!(wait_for_job(&w.admin_b.client, job["id"].as_str().unwrap()).await["state"], "succeeded");
    let path = format!("/orgs/{a}/model-endpoints/chat");
    let key = "sk-north-high-0001-4242";

    // Only the organisation's admins set it, with an http(s) address and a model.
    let body = json!({ "base_url": own.base_url(), "model": "north-gpt", "api_key": key });
    assert_error(w.coach.client.put(&path, body.clone()).await, StatusCode::FORBIDDEN, "forbidden");
    assert_error(w.admin_b.client.put(&path, body.clone()).await, StatusCode::NOT_FOUND, "not_found");
    assert_error(
        w.admin.client.put(&format!("/orgs/{a}/model-endpoints/speech"), body.clone()).await,
        StatusCode::NOT_FOUND,
        "not_found",
    );
    let counts = w.app.row_counts().await;
    for bad in [
        json!({ "base_url": "ftp://models.example/v1", "model": "m" }),
        json!({ "base_url": "https://user:pw@models.example/v1", "model": "m" }),
        json!({ "base_url": own.base_url(), "model": "" }),
        json!({ "base_url": own.base_url(), "model": "m", "api_key": "k", "remove_api_key": true }),
        json!({ "base_url": own.base_url(), "model": "m", "api_key": 42 }),
    ] {
        let (status, error) = w.admin.client.put(&path, bad.clone()).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad} → {error}");
    }
    assert_eq!(w.app.row_counts().await, counts, "refused changes write nothing");

    let (status, set) = w.admin.client.put(&path, body).await;
    assert_eq!(status, StatusCode::OK, "{set}");
    assert_eq!((set["api_key_set"].as_bool(), set["api_key_hint"].as_str()), (Some(true), Some("4242")));
    let (_, listed) = w.admin.client.get(&format!("/orgs/{a}/model-endpoints")).await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert!(!listed.to_string().contains(key) && !set.to_string().contains(key), "the key is never returned");
    assert_eq!(crate::privacy::traces(&w.app, key).await, Default::default(), "the key is nowhere in plain text");
    assert_eq!(crate::privacy::traces(&w.app, "0001-4242").await, Default::default());

    // A's turns go to its endpoint with its key and model; B's to the instance's.
    ask(&w.learner.client, a, QUESTION).await;
    ask(&w.learner_b.client, b, QUESTION).await;
    let bearer = format!("Bearer {key}");
    assert!(!seen(&own).is_empty());
    assert!(
        seen(&own).iter().all(|(auth, model)| auth.as_deref() == Some(bearer.as_str()) && model == "north-gpt"),
        "{:?}",
        seen(&own)
    );
    assert!(!seen(&instance).is_empty());
    assert!(
        seen(&instance).iter().all(|(auth, _)| auth.as_deref() == Some("Bearer test-key")),
        "{:?}",
        seen(&instance)
    );
    let own_before = seen(&own).len();
    let instance_before = seen(&instance).len();

    // A new key replaces the old one at once; leaving the key out keeps it.
    let rotated = "sk-north-high-0002-9999";
    let (status, set) = w
        .admin
        .client
        .put(&path, json!({ "base_url": own.base_url(), "model": "north-gpt", "api_key": rotated }))
        .await;
    assert_eq!((status, set["api_key_hint"].as_str()), (StatusCode::OK, Some("9999")));
    ask(&w.learner.client, a, QUESTION).await;
    let (status, kept) = w.admin.client.put(&path, json!({ "base_url": own.base_url(), "model": "north-gpt-2" })).await;
    assert_eq!((status, kept["api_key_hint"].as_str()), (StatusCode::OK, Some("9999")));
    ask(&w.learner.client, a, QUESTION).await;
    let after: Vec<_> = seen(&own).into_iter().skip(own_before).collect();
    assert!(after.iter().all(|(auth, _)| auth.as_deref() == Some(format!("Bearer {rotated}").as_str())), "{after:?}");
    assert!(
        after.iter().any(|(_, model)| model == "north-gpt") && after.iter().any(|(_, model)| model == "north-gpt-2")
    );
    assert_eq!(seen(&instance).len(), instance_before, "A never fell back to the instance's model");

    // The audit says what changed, never the key.
    let (_, audit) = w.admin.client.get(&format!("/orgs/{a}/audit")).await;
    let sets: Vec<&Value> = audit.as_array().unwrap().iter().filter(|e| e["action"] == "model_endpoint.set").collect();
    assert_eq!(sets.len(), 3, "{audit}");
    assert!(!audit.to_string().contains(rotated) && !audit.to_string().contains(key));

    // Removed: A uses the instance's model again.
    assert_eq!(w.admin.client.delete(&path).await.0, StatusCode::NO_CONTENT);
    assert_error(w.admin.client.delete(&path).await, StatusCode::NOT_FOUND, "not_found");
    let own_total = seen(&own).len();
    ask(&w.learner.client, a, QUESTION).await;
    assert_eq!(seen(&own).len(), own_total);
    assert!(seen(&instance).len() > instance_before);
}

/// A fake OpenAI-compatible embeddings endpoint: a 64-dimensional bag of words (each word hashed
/// to a dimension), recording the key and model of every request.
#[derive(Default)]
struct FakeEmbeddings {
    seen: Mutex<Vec<(Option<String>, String, usize)>>,
}

fn bag_of_words(text: &str) -> Vec<f32> {
    let mut v = vec![0f32; 64];
    for word in text.split(|c: char| !c.is_alphanumeric()).filter(|w| w.len() > 2) {
        let hash = word.to_lowercase().bytes().fold(2166136261u32, |h, b| (h ^ u32::from(b)).wrapping_mul(16777619));
        v[(hash % 64) as usize] += 1.0;
    }
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-6);
    v.iter().map(|x| x / norm).collect()
}

async fn embeddings(
    State(fake): State<Arc<FakeEmbeddings>>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Json<Value> {
    let input: Vec<String> =
        body["input"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
    let auth = headers.get("authorization").map(|v| v.to_str().unwrap().to_string());
    fake.seen.lock().unwrap().push((auth, body["model"].as_str().unwrap().to_string(), input.len()));
    let data: Vec<Value> = input
        .iter()
        .enumerate()
        .map(|(i, t)| json!({ "object": "embedding", "index": i, "embedding": bag_of_words(t) }))
        .collect();
    Json(json!({ "object": "list", "data": data, "model": body["model"] }))
}

async fn an_organisations_own_embedding_endpoint_embeds_and_searches_its_collections(backend: Backend) {
    let fake = Arc::new(FakeEmbeddings::default());
    let router = axum::Router::new().route("/v1/embeddings", axum::routing::post(embeddings)).with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base_url = format!("http://{}/v1", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });

    // An instance without an embedding model: search is lexical until A brings its own.
    let w = World::build(backend).await;
    let a = &w.org_a;
    let admin = &w.admin.client;
    let coll = create_collection(admin, a, "House rules", &[]).await;
    let files = [
        ("quiet.md", b"# Quiet hours\n\nQuiet hours begin at ten in the evening and last until seven.".to_vec()),
        ("kitchen.md", b"# Kitchen\n\nWash your dishes after every meal and wipe the counter.".to_vec()),
    ];
    let (_, job) = upload(admin, a, &coll, &files, None).await;
    assert_eq!(wait_for_job(admin, job["id"].as_str().unwrap()).await["state"], "succeeded");
    let dense = json!({ "org_id": a, "query": "when do quiet hours begin", "mode": "dense" });
    assert_error(w.learner.client.post("/search", dense.clone()).await, StatusCode::CONFLICT, "dense_unavailable");

    // A's own endpoint: its collections are embedded with it (in the background), and dense search works.
    let key = "sk-embed-north-7777";
    let body = json!({ "base_url": base_url, "model": "north-embed", "api_key": key });
    let (status, set) = admin.put(&format!("/orgs/{a}/model-endpoints/embedding"), body).await;
    assert_eq!(status, StatusCode::OK, "{set}");
    let (_, jobs) = admin.get(&format!("/orgs/{a}/jobs")).await;
    let embed_job = jobs.as_array().unwrap().iter().find(|j| j["kind"] == "embed").expect("a re-embedding job").clone();
    assert_eq!(wait_for_job(admin, embed_job["id"].as_str().unwrap()).await["state"], "succeeded");
    let (status, found) = w.learner.client.post("/search", dense).await;
    assert_eq!(status, StatusCode::OK, "{found}");
    assert_eq!(
        found["results"][0]["chunk"]["document_title"].as_str().map(|t| t.contains("Quiet")),
        Some(true),
        "{found}"
    );
    let seen = fake.seen.lock().unwrap().clone();
    let embedded: usize = seen.iter().map(|(_, _, n)| n).sum();
    assert!(embedded >= 3, "both documents' chunks and the query: {seen:?}");
    assert!(seen.iter().all(|(auth, model, _)| auth.as_deref() == Some(format!("Bearer {key}").as_str()) && model == "north-embed"));

    // B has no endpoint of its own: still lexical only, and nothing of B's reached A's endpoint.
    let before = fake.seen.lock().unwrap().len();
    let b_dense = json!({ "org_id": w.org_b, "query": "quiet hours", "mode": "dense" });
    assert_error(w.learner_b.client.post("/search", b_dense).await, StatusCode::CONFLICT, "dense_unavailable");
    assert_eq!(fake.seen.lock().unwrap().len(), before);
}

wayfinder_testing::on_both_backends!(
    an_organisations_own_chat_endpoint_answers_its_turns_with_its_key,
    an_organisations_own_embedding_endpoint_embeds_and_searches_its_collections,
);
