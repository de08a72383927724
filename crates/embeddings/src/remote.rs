//! Any OpenAI-compatible `POST {base_url}/embeddings` endpoint (OpenAI,
//! Ollama, vLLM, TEI…): batched requests, a timeout per request, and retries
//! with exponential backoff on connection errors, 429 and 5xx.

use crate::{EmbedError, EmbedPurpose, Embedder, l2_normalise};
use serde::Deserialize;
use std::{
    sync::atomic::{AtomicUsize, Ordering},
    time::Duration,
};

/// Settings of a remote embeddings endpoint.
#[derive(Clone)]
pub struct RemoteConfig {
    /// Base URL up to the API version, e.g. `http://localhost:11434/v1`.
    pub base_url: String,
    /// Sent as `Authorization: Bearer`; never logged.
    pub api_key: Option<String>,
    /// The model name the endpoint knows, e.g. `text-embedding-3-small`.
    pub model: String,
    /// Expected vector length; `None`: fixed by the first answer.
    pub dimensions: Option<usize>,
    /// Texts per request.
    pub batch_size: usize,
    /// Time allowed for one request.
    pub timeout: Duration,
    /// Retries after the first attempt on connection errors, 429 and 5xx.
    pub max_retries: u32,
}

impl std::fmt::Debug for RemoteConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteConfig")
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "****"))
            .field("model", &self.model)
            .field("dimensions", &self.dimensions)
            .field("batch_size", &self.batch_size)
            .field("timeout", &self.timeout)
            .field("max_retries", &self.max_retries)
            .finish()
    }
}

/// An embedder backed by an OpenAI-compatible HTTP API.
pub struct RemoteEmbedder {
    config: RemoteConfig,
    model_id: String,
    http: reqwest::Client,
    /// 0 until known.
    dims: AtomicUsize,
}

#[derive(Deserialize)]
struct EmbeddingsResponse {
    data: Vec<EmbeddingItem>,
}

#[derive(Deserialize)]
struct EmbeddingItem {
    embedding: Vec<f32>,
    #[serde(default)]
    index: Option<usize>,
}

// Backoff before retry n (0-based): 200 ms, 400 ms, 800 ms…, capped at 10 s;
// a server's Retry-After (seconds) is honoured up to the same cap.
const BACKOFF_BASE: Duration = Duration::from_millis(200);
const BACKOFF_CAP: Duration = Duration::from_secs(10);

impl RemoteEmbedder {
    /// Checks the settings and prepares the HTTP client.
    pub fn new(config: RemoteConfig) -> Result<Self, EmbedError> {
        if config.model.trim().is_empty() {
            return Err(EmbedError::InvalidConfig("the model name is empty".into()));
        }
        if config.batch_size == 0 {
            return Err(EmbedError::InvalidConfig("batch_size must be at least 1".into()));
        }
        if !(config.base_url.starts_with("http://") || config.base_url.starts_with("https://")) {
            return Err(EmbedError::InvalidConfig(format!(
                "base_url {:?} must start with http:// or https://",
                config.base_url
            )));
        }
        let http = reqwest::Client::builder()
            .timeout(config.timeout)
            .build()
            .map_err(|e| EmbedError::InvalidConfig(e.to_string()))?;
        Ok(Self {
            model_id: format!("remote:{}", config.model),
            dims: AtomicUsize::new(config.dimensions.unwrap_or(0)),
            config,
            http,
        })
    }

    fn url(&self) -> String {
        format!("{}/embeddings", self.config.base_url.trim_end_matches('/'))
    }

    /// One batch, with retries.
    async fn embed_batch(&self, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let body = serde_json::json!({ "model": self.config.model, "input": texts });
        let mut attempts = 0;
        loop {
            attempts += 1;
            let mut request = self.http.post(self.url()).json(&body);
            if let Some(key) = &self.config.api_key {
                request = request.bearer_auth(key);
            }
            let retry_after;
            let last_error = match request.send().await {
                Ok(response) if response.status().is_success() => {
                    let parsed: EmbeddingsResponse =
                        response.json().await.map_err(|e| EmbedError::MalformedResponse(e.to_string()))?;
                    return self.collect(parsed, texts.len());
                }
                Ok(response) => {
                    let status = response.status();
                    retry_after = response
                        .headers()
                        .get(reqwest::header::RETRY_AFTER)
                        .and_then(|v| v.to_str().ok())
                        .and_then(|v| v.trim().parse::<u64>().ok())
                        .map(Duration::from_secs);
                    let text = response.text().await.unwrap_or_default();
                    let message = serde_json::from_str::<serde_json::Value>(&text)
                        .ok()
                        .and_then(|v| v["error"]["message"].as_str().or(v["error"].as_str()).map(str::to_string))
                        .unwrap_or(text);
                    let error = EmbedError::Status { status: status.as_u16(), message, attempts };
                    if !(status.as_u16() == 429 || status.is_server_error()) {
                        return Err(error);
                    }
                    error
                }
                Err(e) if e.is_timeout() => {
                    retry_after = None;
                    EmbedError::Timeout { timeout: self.config.timeout, attempts }
                }
                Err(e) => {
                    retry_after = None;
                    EmbedError::Connection { message: e.to_string(), attempts }
                }
            };
            if attempts > self.config.max_retries {
                return Err(last_error);
            }
            let backoff = retry_after.unwrap_or(BACKOFF_BASE * 2u32.pow(attempts - 1)).min(BACKOFF_CAP);
            tracing::warn!(error = %last_error, retry_in_ms = backoff.as_millis() as u64, "embedding request failed; retrying");
            tokio::time::sleep(backoff).await;
        }
    }

    /// Orders by `index`, checks count and size, normalises.
    fn collect(&self, response: EmbeddingsResponse, expected: usize) -> Result<Vec<Vec<f32>>, EmbedError> {
        if response.data.len() != expected {
            return Err(EmbedError::MalformedResponse(format!(
                "{} embeddings for {expected} inputs",
                response.data.len()
            )));
        }
        let mut slots: Vec<Option<Vec<f32>>> = vec![None; expected];
        for (position, item) in response.data.into_iter().enumerate() {
            let index = item.index.unwrap_or(position);
            if index >= expected || slots[index].is_some() {
                return Err(EmbedError::MalformedResponse(format!("unexpected or repeated index {index}")));
            }
            slots[index] = Some(item.embedding);
        }
        let mut out = Vec::with_capacity(expected);
        for mut vector in slots.into_iter().flatten() {
            let known = self.dims.load(Ordering::Relaxed);
            if known == 0 {
                self.dims.store(vector.len(), Ordering::Relaxed);
            } else if vector.len() != known {
                return Err(EmbedError::DimensionMismatch { expected: known, actual: vector.len() });
            }
            l2_normalise(&mut vector);
            out.push(vector);
        }
        Ok(out)
    }
}

#[async_trait::async_trait]
impl Embedder for RemoteEmbedder {
    fn model_id(&self) -> &str {
        &self.model_id
    }

    fn dimensions(&self) -> usize {
        self.dims.load(Ordering::Relaxed)
    }

    async fn embed(&self, texts: &[String], _purpose: EmbedPurpose) -> Result<Vec<Vec<f32>>, EmbedError> {
        let mut out = Vec::with_capacity(texts.len());
        for batch in texts.chunks(self.config.batch_size) {
            out.extend(self.embed_batch(batch).await?);
        }
        Ok(out)
    }
}
