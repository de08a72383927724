//! The remote provider: any OpenAI-compatible `POST {base_url}/embeddings`.

use std::sync::OnceLock;
use std::time::Duration;

use async_trait::async_trait;
use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, HeaderValue, RETRY_AFTER};
use serde::Deserialize;

use crate::{EmbedError, EmbedPurpose, Embedder};

/// First retry waits this long; each further retry doubles it.
const BACKOFF_BASE: Duration = Duration::from_millis(200);
/// Longest `Retry-After` we honour: a provider asking for minutes is better reported than waited on.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);
/// How much of an unparseable error body goes into the error message.
const MAX_ERROR_BODY: usize = 300;

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
enum Failure {
    Status {
        status: StatusCode,
        message: String,
        retry_after: Option<Duration>,
    },
    Timeout,
    Connection(String),
    /// Not worth retrying: the same request would fail the same way.
    Final(EmbedError),
}

impl Failure {
    fn is_retryable(&self) -> bool {
        match self {
            Failure::Status { status, .. } => *status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error(),
            Failure::Timeout | Failure::Connection(_) => true,
            Failure::Final(_) => false,
        }
    }

    fn into_error(self, attempts: u32, timeout: Duration) -> EmbedError {
        match self {
            Failure::Status { status, message, .. } => {
                EmbedError::Status { status: status.as_u16(), message, attempts }
            }
            Failure::Timeout => EmbedError::Timeout { timeout, attempts },
            Failure::Connection(message) => EmbedError::Connection { message, attempts },
            Failure::Final(error) => error,
        }
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
        let url = reqwest::Url::parse(&format!("{}/embeddings", config.base_url.trim_end_matches('/')))
            .map_err(|e| invalid(format!("base_url {:?} is not a URL: {e}", config.base_url)))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(invalid(format!("base_url {:?} must start with http:// or https://", config.base_url)));
        }
        let authorization = match &config.api_key {
            Some(key) => {
                // The error must not echo the key.
                let mut value = HeaderValue::from_str(&format!("Bearer {key}"))
                    .map_err(|_| invalid("the API key contains characters not allowed in an HTTP header".into()))?;
                value.set_sensitive(true);
                Some(value)
            }
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
        let mut attempts = 0;
        loop {
            attempts += 1;
            let failure = match self.send(input).await {
                Ok(vectors) => return Ok(vectors),
                Err(failure) => failure,
            };
            if !failure.is_retryable() || attempts > self.config.max_retries {
                return Err(failure.into_error(attempts, self.config.timeout));
            }
            let backoff = BACKOFF_BASE * 2u32.saturating_pow(attempts - 1);
            let delay = match &failure {
                Failure::Status { retry_after: Some(wait), .. } => (*wait).min(MAX_RETRY_AFTER),
                _ => backoff,
            };
            let reason = failure.into_error(attempts, self.config.timeout);
            tracing::warn!(url = %self.url, attempt = attempts, ?delay, error = %reason, "embedding request failed, retrying");
            tokio::time::sleep(delay).await;
        }
    }

    async fn send(&self, input: &[String]) -> Result<Vec<Vec<f32>>, Failure> {
        let body = serde_json::json!({ "model": self.config.model, "input": input });
        let mut request = self.client.post(self.url.clone()).timeout(self.config.timeout).json(&body);
        if let Some(auth) = &self.authorization {
            request = request.header(AUTHORIZATION, auth.clone());
        }
        let response = request.send().await.map_err(transport_failure)?;
        let status = response.status();
        if !status.is_success() {
            let retry_after = response
                .headers()
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            let body = response.text().await.map_err(transport_failure)?;
            return Err(Failure::Status { status, message: error_message(&body), retry_after });
        }
        let bytes = response.bytes().await.map_err(transport_failure)?;
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

fn transport_failure(e: reqwest::Error) -> Failure {
    if e.is_timeout() {
        return Failure::Timeout;
    }
    // reqwest's own message is generic ("error sending request"); the cause says what happened.
    let mut message = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    Failure::Connection(message)
}

/// The message of an OpenAI-style (`{"error":{"message"}}`) or Ollama-style
/// (`{"error":"…"}`) error body, else the start of the body itself.
fn error_message(body: &str) -> String {
    if let Ok(json) = serde_json::from_str::<serde_json::Value>(body) {
        let error = &json["error"];
        if let Some(m) = error["message"].as_str().or(error.as_str()).or(json["message"].as_str()) {
            return m.to_owned();
        }
    }
    let body = body.trim();
    match body.char_indices().nth(MAX_ERROR_BODY) {
        Some((cut, _)) => format!("{}…", &body[..cut]),
        None if body.is_empty() => "(empty body)".to_owned(),
        None => body.to_owned(),
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
    fn error_messages_come_from_the_body() {
        assert_eq!(error_message(r#"{"error":{"message":"bad input","type":"invalid_request_error"}}"#), "bad input");
        assert_eq!(error_message(r#"{"error":"model not found"}"#), "model not found");
        assert_eq!(error_message("  plain text  "), "plain text");
        assert_eq!(error_message(""), "(empty body)");
        assert_eq!(error_message(&"x".repeat(1000)).chars().count(), MAX_ERROR_BODY + 1);
    }

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
