//! The remote provider against a fake OpenAI-compatible server on 127.0.0.1:0:
//! the fake sits only at the network edge, the provider runs unchanged.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use wayfinder_embeddings::{EmbedError, EmbedPurpose, Embedder, RemoteConfig, RemoteEmbedder};

/// What the fake server does with the next request.
#[derive(Clone)]
enum Reply {
    /// Answers with one 4-dimensional vector per input, derived from the text.
    Embeddings,
    /// The same, listed in reverse order (each still carrying its `index`).
    Reversed,
    /// Answers with vectors of this many dimensions.
    Dimensions(usize),
    /// An error status with a body and an optional `Retry-After` in seconds.
    Status(u16, &'static str, Option<u64>),
    /// Waits this long before answering normally.
    Sleep(Duration),
}

#[derive(Debug)]
struct Recorded {
    authorization: Option<String>,
    model: String,
    input: Vec<String>,
}

#[derive(Default)]
struct Fake {
    replies: Mutex<VecDeque<Reply>>,
    requests: Mutex<Vec<Recorded>>,
}

impl Fake {
    fn requests(&self) -> std::sync::MutexGuard<'_, Vec<Recorded>> {
        self.requests.lock().unwrap()
    }
}

/// Starts a fake whose first answers follow `replies`, then `Reply::Embeddings`.
async fn spawn_fake(replies: Vec<Reply>) -> (String, Arc<Fake>) {
    let fake = Arc::new(Fake { replies: Mutex::new(replies.into()), ..Fake::default() });
    let app = axum::Router::new().route("/v1/embeddings", axum::routing::post(embeddings)).with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{address}/v1"), fake)
}

async fn embeddings(State(fake): State<Arc<Fake>>, headers: HeaderMap, Json(body): Json<Value>) -> Response {
    let input: Vec<String> = body["input"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect();
    fake.requests().push(Recorded {
        authorization: headers.get("authorization").map(|v| v.to_str().unwrap().to_owned()),
        model: body["model"].as_str().unwrap().to_owned(),
        input: input.clone(),
    });
    let reply = fake.replies.lock().unwrap().pop_front().unwrap_or(Reply::Embeddings);
    let vector = |text: &str, dims: usize| -> Vec<f32> { (0..dims).map(|i| raw_component(text, i)).collect() };
    let data = |dims: usize| -> Vec<Value> {
        input
            .iter()
            .enumerate()
            .map(|(i, t)| json!({"object": "embedding", "index": i, "embedding": vector(t, dims)}))
            .collect()
    };
    match reply {
        Reply::Embeddings => Json(json!({"object": "list", "data": data(4), "model": "fake"})).into_response(),
        Reply::Reversed => {
            let mut data = data(4);
            data.reverse();
            Json(json!({"data": data})).into_response()
        }
        Reply::Dimensions(d) => Json(json!({"data": data(d)})).into_response(),
        Reply::Status(code, body, retry_after) => {
            let mut response = (StatusCode::from_u16(code).unwrap(), body.to_owned()).into_response();
            if let Some(seconds) = retry_after {
                response.headers_mut().insert("retry-after", HeaderValue::from(seconds));
            }
            response
        }
        Reply::Sleep(wait) => {
            tokio::time::sleep(wait).await;
            Json(json!({"data": data(4)})).into_response()
        }
    }
}

/// A component of the fake's vector for `text`: different texts get different vectors.
fn raw_component(text: &str, i: usize) -> f32 {
    match i {
        0 => text.len() as f32 + 1.0,
        1 => text.bytes().map(u32::from).sum::<u32>() as f32 / 10.0,
        _ => i as f32,
    }
}

/// The normalised vector the provider must return for `text`.
fn expected(text: &str) -> Vec<f32> {
    let v: Vec<f32> = (0..4).map(|i| raw_component(text, i)).collect();
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    v.iter().map(|x| x / norm).collect()
}

fn close(a: &[f32], b: &[f32]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| (x - y).abs() < 1e-6)
}

fn texts(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("passage number {i}{}", "!".repeat(i % 7))).collect()
}

fn config(base_url: &str) -> RemoteConfig {
    RemoteConfig::new(base_url, "text-embedding-test")
}

#[tokio::test]
async fn batches_requests_and_keeps_input_order() {
    let (url, fake) = spawn_fake(vec![]).await;
    let embedder = RemoteEmbedder::new(RemoteConfig { batch_size: 64, ..config(&url) }).unwrap();
    let input = texts(150);
    let vectors = embedder.embed(&input, EmbedPurpose::Document).await.unwrap();
    let sizes: Vec<usize> = fake.requests().iter().map(|r| r.input.len()).collect();
    assert_eq!(sizes, vec![64, 64, 22]);
    assert_eq!(fake.requests()[0].model, "text-embedding-test");
    assert_eq!(vectors.len(), 150);
    for (text, v) in input.iter().zip(&vectors) {
        assert!(close(v, &expected(text)), "{text}");
    }
    assert_eq!(embedder.dimensions(), 4, "the first response fixes the dimensions");
    assert_eq!(embedder.model_id(), "openai:text-embedding-test");
}

#[tokio::test]
async fn reorders_results_by_index() {
    let (url, _fake) = spawn_fake(vec![Reply::Reversed]).await;
    let embedder = RemoteEmbedder::new(config(&url)).unwrap();
    let input = texts(5);
    let vectors = embedder.embed(&input, EmbedPurpose::Document).await.unwrap();
    for (text, v) in input.iter().zip(&vectors) {
        assert!(close(v, &expected(text)), "{text}");
    }
}

#[tokio::test]
async fn vectors_are_normalised() {
    let (url, _fake) = spawn_fake(vec![]).await;
    let embedder = RemoteEmbedder::new(config(&url)).unwrap();
    for v in embedder.embed(&texts(3), EmbedPurpose::Query).await.unwrap() {
        assert!((v.iter().map(|x| x * x).sum::<f32>() - 1.0).abs() < 1e-6);
    }
}

#[tokio::test]
async fn retries_after_429_honouring_retry_after() {
    let (url, fake) = spawn_fake(vec![Reply::Status(429, "slow down", Some(1))]).await;
    let embedder = RemoteEmbedder::new(config(&url)).unwrap();
    let started = Instant::now();
    let vectors = embedder.embed(&texts(2), EmbedPurpose::Document).await.unwrap();
    assert_eq!(vectors.len(), 2);
    assert_eq!(fake.requests().len(), 2);
    assert!(started.elapsed() >= Duration::from_secs(1), "Retry-After: 1 was not honoured");
}

#[tokio::test]
async fn retries_server_errors_up_to_max_retries() {
    let (url, fake) = spawn_fake(vec![Reply::Status(500, "oops", None), Reply::Status(503, "busy", None)]).await;
    let embedder = RemoteEmbedder::new(RemoteConfig { max_retries: 2, ..config(&url) }).unwrap();
    assert_eq!(embedder.embed(&texts(1), EmbedPurpose::Document).await.unwrap().len(), 1);
    assert_eq!(fake.requests().len(), 3);
}

#[tokio::test]
async fn gives_up_after_max_retries() {
    let replies = vec![Reply::Status(500, r#"{"error":{"message":"model crashed"}}"#, None); 3];
    let (url, fake) = spawn_fake(replies).await;
    let embedder = RemoteEmbedder::new(RemoteConfig { max_retries: 2, ..config(&url) }).unwrap();
    let error = embedder.embed(&texts(1), EmbedPurpose::Document).await.unwrap_err();
    assert!(
        matches!(&error, EmbedError::Status { status: 500, attempts: 3, message } if message == "model crashed"),
        "{error:?}"
    );
    assert!(error.to_string().contains("HTTP 500") && error.to_string().contains("3 attempt"), "{error}");
    assert_eq!(fake.requests().len(), 3);
}

#[tokio::test]
async fn a_slow_server_times_out_within_the_retry_budget() {
    let (url, fake) = spawn_fake(vec![Reply::Sleep(Duration::from_secs(5)); 3]).await;
    let timeout = Duration::from_millis(300);
    let embedder = RemoteEmbedder::new(RemoteConfig { timeout, max_retries: 1, ..config(&url) }).unwrap();
    let started = Instant::now();
    let error = embedder.embed(&texts(1), EmbedPurpose::Document).await.unwrap_err();
    let elapsed = started.elapsed();
    assert!(matches!(error, EmbedError::Timeout { attempts: 2, .. }), "{error:?}");
    // Two timeouts plus one 200 ms backoff, with room for a slow machine.
    assert!(elapsed >= timeout * 2 && elapsed < timeout * 2 + Duration::from_millis(900), "{elapsed:?}");
    assert_eq!(fake.requests().len(), 2);
}

#[tokio::test]
async fn client_errors_fail_at_once_with_the_message() {
    let body = r#"{"error":{"message":"input is too long","type":"invalid_request_error"}}"#;
    let (url, fake) = spawn_fake(vec![Reply::Status(400, body, None)]).await;
    let embedder = RemoteEmbedder::new(config(&url)).unwrap();
    let error = embedder.embed(&texts(1), EmbedPurpose::Document).await.unwrap_err();
    assert!(matches!(&error, EmbedError::Status { status: 400, attempts: 1, .. }), "{error:?}");
    assert!(error.to_string().contains("input is too long"), "{error}");
    assert_eq!(fake.requests().len(), 1);
}

#[tokio::test]
async fn a_wrong_dimension_is_an_error() {
    let (url, _fake) = spawn_fake(vec![]).await;
    let embedder = RemoteEmbedder::new(RemoteConfig { dimensions: Some(8), ..config(&url) }).unwrap();
    assert_eq!(embedder.dimensions(), 8);
    let error = embedder.embed(&texts(1), EmbedPurpose::Document).await.unwrap_err();
    assert!(matches!(error, EmbedError::DimensionMismatch { expected: 8, actual: 4 }), "{error:?}");

    // Without configured dimensions, the first response sets them for later ones.
    let (url, _fake) = spawn_fake(vec![Reply::Embeddings, Reply::Dimensions(6)]).await;
    let embedder = RemoteEmbedder::new(config(&url)).unwrap();
    embedder.embed(&texts(1), EmbedPurpose::Document).await.unwrap();
    let error = embedder.embed(&texts(1), EmbedPurpose::Document).await.unwrap_err();
    assert!(matches!(error, EmbedError::DimensionMismatch { expected: 4, actual: 6 }), "{error:?}");
}

#[tokio::test]
async fn sends_the_bearer_key_only_when_set() {
    let (url, fake) = spawn_fake(vec![]).await;
    let keyed = RemoteEmbedder::new(RemoteConfig { api_key: Some("sk-test-123".into()), ..config(&url) }).unwrap();
    keyed.embed(&texts(1), EmbedPurpose::Document).await.unwrap();
    let anonymous = RemoteEmbedder::new(config(&url)).unwrap();
    anonymous.embed(&texts(1), EmbedPurpose::Document).await.unwrap();
    let requests = fake.requests();
    assert_eq!(requests[0].authorization.as_deref(), Some("Bearer sk-test-123"));
    assert_eq!(requests[1].authorization, None);
}

#[tokio::test]
async fn applies_the_prefix_for_the_purpose() {
    let (url, fake) = spawn_fake(vec![]).await;
    let embedder = RemoteEmbedder::new(RemoteConfig {
        query_prefix: "search_query: ".into(),
        document_prefix: "search_document: ".into(),
        ..config(&url)
    })
    .unwrap();
    let text = vec!["note-taking".to_string()];
    let query = embedder.embed(&text, EmbedPurpose::Query).await.unwrap();
    embedder.embed(&text, EmbedPurpose::Document).await.unwrap();
    let requests = fake.requests();
    assert_eq!(requests[0].input, ["search_query: note-taking"]);
    assert_eq!(requests[1].input, ["search_document: note-taking"]);
    assert!(close(&query[0], &expected("search_query: note-taking")));
}

#[tokio::test]
async fn an_unreachable_server_is_a_connection_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    drop(listener);
    let embedder =
        RemoteEmbedder::new(RemoteConfig { max_retries: 1, ..config(&format!("http://{address}/v1")) }).unwrap();
    let error = embedder.embed(&texts(1), EmbedPurpose::Document).await.unwrap_err();
    assert!(matches!(error, EmbedError::Connection { attempts: 2, .. }), "{error:?}");
}

#[tokio::test]
async fn a_malformed_body_is_an_error() {
    let (url, _fake) = spawn_fake(vec![Reply::Dimensions(0)]).await;
    let embedder = RemoteEmbedder::new(config(&url)).unwrap();
    let error = embedder.embed(&texts(2), EmbedPurpose::Document).await.unwrap_err();
    assert!(matches!(error, EmbedError::MalformedResponse(_)), "{error:?}");
}

#[tokio::test]
async fn no_texts_send_no_request() {
    let (url, fake) = spawn_fake(vec![]).await;
    let embedder = RemoteEmbedder::new(config(&url)).unwrap();
    assert!(embedder.embed(&[], EmbedPurpose::Query).await.unwrap().is_empty());
    assert!(fake.requests().is_empty());
}
