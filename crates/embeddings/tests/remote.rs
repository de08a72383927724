//! The remote provider against a local fake OpenAI-compatible server:
//! batching, ordering, retries, timeouts and errors.

use axum::{Json, Router, extract::State, http::StatusCode, response::IntoResponse, routing::post};
use serde_json::{Value, json};
use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};
use wayfinder_embeddings::{EmbedError, EmbedPurpose, Embedder, RemoteConfig, RemoteEmbedder};

/// What the fake answers: a status (200 = embeddings) per request, in order; the last repeats.
#[derive(Clone)]
struct Fake {
    script: Arc<Vec<(u16, Duration)>>,
    calls: Arc<AtomicUsize>,
    batches: Arc<Mutex<Vec<usize>>>,
    auth: Arc<Mutex<Option<String>>>,
    dims: usize,
    reverse: bool,
}

async fn embeddings(
    State(fake): State<Fake>,
    headers: axum::http::HeaderMap,
    Json(body): Json<Value>,
) -> axum::response::Response {
    let call = fake.calls.fetch_add(1, Ordering::SeqCst);
    *fake.auth.lock().unwrap() = headers.get("authorization").map(|v| v.to_str().unwrap().to_string());
    let (status, delay) = fake.script[call.min(fake.script.len() - 1)];
    tokio::time::sleep(delay).await;
    if status != 200 {
        let mut response = (
            StatusCode::from_u16(status).unwrap(),
            Json(json!({ "error": { "message": format!("scripted {status}") } })),
        )
            .into_response();
        if status == 429 {
            response.headers_mut().insert("retry-after", "0".parse().unwrap());
        }
        return response;
    }
    let inputs = body["input"].as_array().unwrap();
    fake.batches.lock().unwrap().push(inputs.len());
    // Each vector encodes its input's length, so order can be checked.
    let mut data: Vec<Value> = inputs
        .iter()
        .enumerate()
        .map(|(i, text)| {
            let mut v = vec![0.0f32; fake.dims];
            v[0] = text.as_str().unwrap().len() as f32;
            v[1] = 1.0;
            json!({ "index": i, "embedding": v })
        })
        .collect();
    if fake.reverse {
        data.reverse();
    }
    Json(json!({ "object": "list", "data": data, "model": body["model"] })).into_response()
}

async fn start(script: Vec<(u16, Duration)>, dims: usize, reverse: bool) -> (String, Fake) {
    let fake = Fake {
        script: Arc::new(script),
        calls: Arc::default(),
        batches: Arc::default(),
        auth: Arc::default(),
        dims,
        reverse,
    };
    let app = Router::new().route("/v1/embeddings", post(embeddings)).with_state(fake.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/v1"), fake)
}

fn config(base_url: &str) -> RemoteConfig {
    RemoteConfig {
        base_url: base_url.into(),
        api_key: Some("sk-test".into()),
        model: "test-embed".into(),
        dimensions: None,
        batch_size: 64,
        timeout: Duration::from_millis(500),
        max_retries: 2,
    }
}

fn texts(n: usize) -> Vec<String> {
    (0..n).map(|i| "x".repeat(i + 1)).collect()
}

#[tokio::test]
async fn batches_orders_and_normalises() {
    let (url, fake) = start(vec![(200, Duration::ZERO)], 4, true).await;
    let embedder = RemoteEmbedder::new(config(&url)).unwrap();
    let out = embedder.embed(&texts(150), EmbedPurpose::Document).await.unwrap();
    assert_eq!(*fake.batches.lock().unwrap(), vec![64, 64, 22]);
    assert_eq!(out.len(), 150);
    for (i, v) in out.iter().enumerate() {
        let norm: f32 = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-5);
        // Larger first component for longer inputs: input order was restored.
        let expected = (i + 1) as f32 / (((i + 1) * (i + 1) + 1) as f32).sqrt();
        assert!((v[0] - expected).abs() < 1e-5, "{i}");
    }
    assert_eq!(embedder.dimensions(), 4);
    assert_eq!(embedder.model_id(), "remote:test-embed");
    assert_eq!(fake.auth.lock().unwrap().as_deref(), Some("Bearer sk-test"));
}

#[tokio::test]
async fn retries_rate_limits_and_server_errors() {
    let (url, fake) = start(vec![(429, Duration::ZERO), (200, Duration::ZERO)], 3, false).await;
    RemoteEmbedder::new(config(&url)).unwrap().embed(&texts(2), EmbedPurpose::Query).await.unwrap();
    assert_eq!(fake.calls.load(Ordering::SeqCst), 2);

    let (url, fake) = start(vec![(500, Duration::ZERO), (503, Duration::ZERO), (200, Duration::ZERO)], 3, false).await;
    RemoteEmbedder::new(config(&url)).unwrap().embed(&texts(2), EmbedPurpose::Query).await.unwrap();
    assert_eq!(fake.calls.load(Ordering::SeqCst), 3);

    let (url, fake) = start(vec![(500, Duration::ZERO)], 3, false).await;
    let err = RemoteEmbedder::new(config(&url)).unwrap().embed(&texts(2), EmbedPurpose::Query).await.unwrap_err();
    assert!(matches!(err, EmbedError::Status { status: 500, attempts: 3, .. }), "{err}");
    assert_eq!(fake.calls.load(Ordering::SeqCst), 3, "one try and two retries");
}

#[tokio::test]
async fn client_errors_fail_at_once_with_the_message() {
    let (url, fake) = start(vec![(400, Duration::ZERO)], 3, false).await;
    let err = RemoteEmbedder::new(config(&url)).unwrap().embed(&texts(1), EmbedPurpose::Query).await.unwrap_err();
    assert!(err.to_string().contains("scripted 400"), "{err}");
    assert_eq!(fake.calls.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn timeouts_are_retried_then_reported() {
    let (url, fake) = start(vec![(200, Duration::from_secs(5))], 3, false).await;
    let started = Instant::now();
    let err = RemoteEmbedder::new(config(&url)).unwrap().embed(&texts(1), EmbedPurpose::Query).await.unwrap_err();
    assert!(matches!(err, EmbedError::Timeout { attempts: 3, .. }), "{err}");
    assert_eq!(fake.calls.load(Ordering::SeqCst), 3);
    // Three 500 ms attempts plus 200 + 400 ms of backoff.
    assert!(started.elapsed() < Duration::from_secs(4), "{:?}", started.elapsed());
}

#[tokio::test]
async fn wrong_dimensions_and_refused_connections_are_errors() {
    let (url, _) = start(vec![(200, Duration::ZERO)], 3, false).await;
    let embedder = RemoteEmbedder::new(RemoteConfig { dimensions: Some(8), ..config(&url) }).unwrap();
    let err = embedder.embed(&texts(1), EmbedPurpose::Query).await.unwrap_err();
    assert!(matches!(err, EmbedError::DimensionMismatch { expected: 8, actual: 3 }), "{err}");

    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let embedder = RemoteEmbedder::new(config(&format!("http://{closed}/v1"))).unwrap();
    let err = embedder.embed(&texts(1), EmbedPurpose::Query).await.unwrap_err();
    assert!(matches!(err, EmbedError::Connection { attempts: 3, .. }), "{err}");
    assert!(RemoteEmbedder::new(RemoteConfig { model: " ".into(), ..config("http://x") }).is_err());
    assert!(RemoteEmbedder::new(RemoteConfig { batch_size: 0, ..config("http://x") }).is_err());
}
