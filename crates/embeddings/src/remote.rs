//! The remote provider: any OpenAI-compatible `POST {base_url}/embeddings`.

use std::sync::OnceLock;
use std::time::Duration;

use async_trait::async_trait;
use reqwest::header::{AUTHORIZATION, HeaderValue};
use serde::Deserialize;
use wayfinder_provider_http::{Backoff, Retries};

use crate::{EmbedError, EmbedPurpose, Embedder};

/// First retry waits 200 ms, each further one twice as long (up to 30 s); a `Retry-After` of up
/// to 30 s is honoured: a provider asking for minutes is better reported than waited on.
const BACKOFF: Backoff = Backoff {
    first: Duration::from_millis(200),
    max: Duration::from_secs(30),
    max_retry_after: Duration::from_secs(30),
};

/// Settings for an OpenAI-compatible embeddings API.
#[derive(Clone)]
pub struct RemoteConfig {
    /// The API root, e.g. `https://api.openai.com/v1` or `http://localhost:11434/v1`.
    pub base_url: String,
    /// Sent as `Authorization: Bearer …` when set; never logged.
    pub api_key: Option<String>,
    /// The model name the API expects, e.g. `text-embedding-3-small`.
    pub model: String,
    /// The expected vector length; when `None`, the first response fixes it.
    pub dimensions: Option<usize>,
    /// Most texts per request.
    pub batch_size: usize,
    /// Limit for one request, from connecting to the end of the response body.
    pub timeout: Duration,
    /// Extra attempts after a timeout, connection error, 429 or 5xx.
    pub max_retries: u32,
    /// Prepended to queries (e.g. `search_query: ` for nomic-embed-text, `query: ` for E5).
    pub query_prefix: String,
    /// Prepended to documents (e.g. `search_document: `, `passage: `).
    pub document_prefix: String,
}

impl RemoteConfig {
    /// A configuration with the defaults: batches of 64, 30 s timeout, 2 retries, no key, no prefixes.
    pub fn new(base_url: impl Into<String>, model: impl Into<String>) -> Self {
        RemoteConfig {
            base_url: base_url.into(),
            api_key: None,
            model: model.into(),
            dimensions: None,
            batch_size: 64,
            timeout: Duration::from_secs(30),
            max_retries: 2,
            query_prefix: String::new(),
            document_prefix: String::new(),
        }
    }
}

impl std::fmt::Debug for RemoteConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteConfig")
            .field("base_url", &self.base_url)
            .field("api_key", &self.api_key.as_ref().map(|_| "********"))
            .field("model", &self.model)
            .field("dimensions", &self.dimensions)
            .field("batch_size", &self.batch_size)
            .field("timeout", &self.timeout)
            .field("max_retries", &self.max_retries)
            .field("query_prefix", &self.query_prefix)
            .field("document_prefix", &self.document_prefix)
            .finish()
    }
}

/// An embedder that calls an OpenAI-compatible API.
pub struct RemoteEmbedder {
    client: reqwest::Client,
    url: reqwest::Url,
    authorization: Option<HeaderValue>,
    id: String,
    config: RemoteConfig,
    /// The configured dimensions, or those of the first response.
    dimensions: OnceLock<usize>,
}

impl std::fmt::Debug for RemoteEmbedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteEmbedder").field("url", &self.url.as_str()).field("model_id", &self.id).finish()
    }
}

#[derive(Deserialize)]
struct EmbeddingsResponse {
    data: Vec<EmbeddingItem>,
}

#[derive(Deserialize)]
struct EmbeddingItem {
    embedding: Vec<f32>,
    index: usize,
}

/// How one request went wrong, before we know how many attempts there were.
type Failure = wayfinder_provider_http::Failure<EmbedError>;

fn into_error(failure: Failure, attempts: u32, timeout: Duration) -> EmbedError {
    match failure {
        Failure::Status { status, message, .. } => EmbedError::Status { status: status.as_u16(), message, attempts },
        Failure::Timeout => EmbedError::Timeout { timeout, attempts },
        Failure::Connection(message) => EmbedError::Connection { message, attempts },
        Failure::Final(error) => error,
    }
}

impl RemoteEmbedder {
    /// Checks the configuration and prepares the HTTP client (no request is sent yet).
    pub fn new(config: RemoteConfig) -> Result<Self, EmbedError> {
        let invalid = |m: String| EmbedError::InvalidConfig(m);
        if config.model.trim().is_empty() {
            return Err(invalid("the embedding model name is empty".into()));
        }
        if config.batch_size == 0 {
            return Err(invalid("batch_size must be at least 1".into()));
        }
        if config.timeout.is_zero() {
            return Err(invalid("timeout must be positive".into()));
        }
        if config.dimensions == Some(0) {
            return Err(invalid("dimensions must be positive".into()));
        }
        let url = wayfinder_provider_http::endpoint(&config.base_url, "embeddings").map_err(invalid)?;
        let authorization = match &config.api_key {
            Some(key) => Some(wayfinder_provider_http::bearer(key).map_err(invalid)?),
            None => None,
        };
        let client =
            reqwest::Client::builder().build().map_err(|e| invalid(format!("cannot build the HTTP client: {e}")))?;
        let dimensions = OnceLock::new();
        if let Some(d) = config.dimensions {
            let _ = dimensions.set(d);
        }
        Ok(RemoteEmbedder { client, url, authorization, id: format!("openai:{}", config.model), config, dimensions })
    }

    /// Sends one batch, retrying what may succeed on a second try.
    async fn embed_batch(&self, input: &[String]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let retries = Retries { timeout: self.config.timeout, max_retries: self.config.max_retries, backoff: BACKOFF };
        let timeout = self.config.timeout;
        retries
            .run(
                || self.send(input),
                |failure, attempts| into_error(failure, attempts, timeout),
                |error, attempt, delay| {
                    if let Some(delay) = delay {
                        tracing::warn!(url = %self.url, attempt, ?delay, %error, "embedding request failed, retrying");
                    }
                },
            )
            .await
    }

    async fn send(&self, input: &[String]) -> Result<Vec<Vec<f32>>, Failure> {
        let body = serde_json::json!({ "model": self.config.model, "input": input });
        let mut request = self.client.post(self.url.clone()).timeout(self.config.timeout).json(&body);
        if let Some(auth) = &self.authorization {
            request = request.header(AUTHORIZATION, auth.clone());
        }
        let response = wayfinder_provider_http::send(request).await?;
        let bytes = response.bytes().await.map_err(Failure::from)?;
        let parsed: EmbeddingsResponse = serde_json::from_slice(&bytes)
            .map_err(|e| Failure::Final(EmbedError::MalformedResponse(format!("not an embeddings response: {e}"))))?;
        self.check(parsed, input.len()).map_err(Failure::Final)
    }

    /// Puts the vectors in input order, checks their size and normalises them.
    fn check(&self, response: EmbeddingsResponse, expected: usize) -> Result<Vec<Vec<f32>>, EmbedError> {
        let malformed = |m: String| EmbedError::MalformedResponse(m);
        if response.data.len() != expected {
            return Err(malformed(format!("{} embeddings for {expected} inputs", response.data.len())));
        }
        let mut ordered: Vec<Option<Vec<f32>>> = vec![None; expected];
        for item in response.data {
            let slot =
                ordered.get_mut(item.index).ok_or_else(|| malformed(format!("index {} out of range", item.index)))?;
            if slot.replace(item.embedding).is_some() {
                return Err(malformed(format!("index {} appears twice", item.index)));
            }
        }
        let mut vectors: Vec<Vec<f32>> = ordered.into_iter().map(|v| v.unwrap_or_default()).collect();
        for v in &mut vectors {
            if v.is_empty() {
                return Err(malformed("an embedding is empty".into()));
            }
            let want = *self.dimensions.get_or_init(|| v.len());
            if v.len() != want {
                return Err(EmbedError::DimensionMismatch { expected: want, actual: v.len() });
            }
            crate::l2_normalise(v);
        }
        Ok(vectors)
    }
}

#[async_trait]
impl Embedder for RemoteEmbedder {
    fn model_id(&self) -> &str {
        &self.id
    }

    fn dimensions(&self) -> usize {
        self.dimensions.get().copied().unwrap_or(0)
    }

    async fn embed(&self, texts: &[String], purpose: EmbedPurpose) -> Result<Vec<Vec<f32>>, EmbedError> {
        let prefix = match purpose {
            EmbedPurpose::Query => &self.config.query_prefix,
            EmbedPurpose::Document => &self.config.document_prefix,
        };
        let mut out = Vec::with_capacity(texts.len());
        for batch in texts.chunks(self.config.batch_size) {
            let input: Vec<String> = batch.iter().map(|t| format!("{prefix}{t}")).collect();
            out.extend(self.embed_batch(&input).await?);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_key_is_never_shown() {
        let mut config = RemoteConfig::new("http://localhost:1/v1", "m");
        config.api_key = Some("sk-secret".into());
        assert!(!format!("{config:?}").contains("sk-secret"));
        let embedder = RemoteEmbedder::new(config.clone()).unwrap();
        assert!(!format!("{embedder:?}").contains("sk-secret"));
        config.api_key = Some("sk-secret\n".into());
        assert!(!RemoteEmbedder::new(config).unwrap_err().to_string().contains("sk-secret"));
    }

    #[test]
    fn bad_configurations_are_refused() {
        let ok = RemoteConfig::new("http://localhost:11434/v1/", "nomic-embed-text");
        let embedder = RemoteEmbedder::new(ok.clone()).unwrap();
        assert_eq!(embedder.url.as_str(), "http://localhost:11434/v1/embeddings");
        assert_eq!(embedder.model_id(), "openai:nomic-embed-text");
        assert_eq!(embedder.dimensions(), 0);
        for bad in [
            RemoteConfig { model: " ".into(), ..ok.clone() },
            RemoteConfig { batch_size: 0, ..ok.clone() },
            RemoteConfig { timeout: Duration::ZERO, ..ok.clone() },
            RemoteConfig { dimensions: Some(0), ..ok.clone() },
            RemoteConfig { base_url: "localhost:11434".into(), ..ok.clone() },
            RemoteConfig { base_url: "ftp://example.org".into(), ..ok.clone() },
        ] {
            assert!(matches!(RemoteEmbedder::new(bad), Err(EmbedError::InvalidConfig(_))));
        }
    }
}
