//! The client for any OpenAI-compatible `POST {base_url}/chat/completions`.

use std::future::Future;
use std::time::Duration;

use async_trait::async_trait;
use futures::StreamExt;
use futures::stream::BoxStream;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use wayfinder_provider_http::{Backoff, Retries, error_value_message};

use crate::stream::{AnswerStream, Cut};
use crate::wire::CompletionBody;
use crate::{ChatError, ChatModel, ChatRequest, Completion, StreamEvent, Usage, estimate_input_tokens};

/// Longest `Retry-After` honoured: a provider asking for minutes is better reported than waited on.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(10);
/// Longest exponential backoff between two attempts, however many retries are configured.
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Settings for an OpenAI-compatible chat API.
#[derive(Clone)]
pub struct OpenAiConfig {
    /// The API root, e.g. `https://api.openai.com/v1` or `http://localhost:11434/v1` (Ollama).
    pub base_url: String,
    /// Sent as `Authorization: Bearer …` when set and not blank; never logged, masked by `Debug`.
    pub api_key: Option<String>,
    /// The model name the API expects, e.g. `gpt-4o-mini` or `llama3.1:8b`.
    pub model: String,
    /// Limit for one attempt. Non-streamed: the whole request, from connecting to the last byte.
    /// Streamed: until the first piece of answer text, and then the longest silence between chunks.
    pub timeout: Duration,
    /// Extra attempts after a connection error, timeout, 429 or 5xx (so `max_retries + 1` in all).
    pub max_retries: u32,
    /// Wait before the first retry; doubled for each further one (up to `MAX_BACKOFF`).
    pub backoff: Duration,
}

impl OpenAiConfig {
    /// A configuration with the defaults: no key, 120 s timeout, 2 retries, 500 ms backoff.
    ///
    /// The timeout is generous because self-hosted models on a CPU may take a minute to read a
    /// long prompt before the first token.
    pub fn new(base_url: impl Into<String>, model: impl Into<String>) -> Self {
        OpenAiConfig {
            base_url: base_url.into(),
            api_key: None,
            model: model.into(),
            timeout: Duration::from_secs(120),
            max_retries: 2,
            backoff: Duration::from_millis(500),
        }
    }

    /// The longest `complete` can take, and `stream` can take to return: every attempt timing out,
    /// plus each retry's wait at its longest — its backoff, or `MAX_RETRY_AFTER` when a 429 asks
    /// for more. That is `(max_retries + 1) × timeout + Σ max(backoff × 2^i, 10 s)`: 380 s with
    /// the defaults. A stream, once begun, has no total limit, only `timeout` between chunks.
    pub fn worst_case_duration(&self) -> Duration {
        let attempts = self.timeout.saturating_mul(self.max_retries.saturating_add(1));
        (1..=self.max_retries).fold(attempts, |total, failed| {
            total.saturating_add(retry_delay(self.backoff, failed, Some(MAX_RETRY_AFTER)))
        })
    }
}

impl std::fmt::Debug for OpenAiConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAiConfig")
            .field("base_url", &wayfinder_provider_http::without_password(&self.base_url))
            .field("api_key", &self.api_key.as_ref().map(|_| "********"))
            .field("model", &self.model)
            .field("timeout", &self.timeout)
            .field("max_retries", &self.max_retries)
            .field("backoff", &self.backoff)
            .finish()
    }
}

/// The wait before retry number `failed` (1 for the first): exponential backoff, or longer when
/// the provider's `Retry-After` asks for it (capped at `MAX_RETRY_AFTER`).
fn retry_delay(backoff: Duration, failed: u32, retry_after: Option<Duration>) -> Duration {
    backoff_from(backoff).delay(failed, retry_after)
}

fn backoff_from(first: Duration) -> Backoff {
    Backoff { first, max: MAX_BACKOFF, max_retry_after: MAX_RETRY_AFTER }
}

/// A chat model reached over an OpenAI-compatible HTTP API.
pub struct OpenAiChat {
    client: reqwest::Client,
    url: reqwest::Url,
    /// The URL with any password masked, for logs.
    log_url: String,
    authorization: Option<HeaderValue>,
    config: OpenAiConfig,
}

impl std::fmt::Debug for OpenAiChat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAiChat").field("url", &self.log_url).field("config", &self.config).finish()
    }
}

/// How one attempt went wrong, before the number of attempts is known.
type Failure = wayfinder_provider_http::Failure<ChatError>;

/// The error for a failure after `attempts` tries: 429 and 5xx were retried, other 4xx were not.
fn into_error(failure: Failure, attempts: u32) -> ChatError {
    match failure {
        Failure::Timeout => ChatError::Timeout { attempts },
        Failure::Connection(message) => ChatError::Unavailable { attempts, message },
        Failure::Status { status, message, .. } if status == StatusCode::TOO_MANY_REQUESTS => {
            ChatError::RateLimited { attempts, message }
        }
        Failure::Status { status, message, .. } if status.is_server_error() => {
            ChatError::Server { status: status.as_u16(), attempts, message }
        }
        Failure::Status { status, message, .. } => ChatError::Rejected { status: status.as_u16(), message },
        Failure::Final(error) => error,
    }
}

/// A streamed request once the answer has begun (or the server answered with plain JSON).
enum Opened {
    Sse(AnswerStream),
    Whole(Completion),
}

impl From<Cut> for Failure {
    fn from(cut: Cut) -> Self {
        match cut {
            Cut::Broken(message) => Failure::Connection(message),
            Cut::Silent(_) => Failure::Timeout,
            Cut::Ended => Failure::Connection("the stream ended before the answer began".into()),
            Cut::Malformed(_) | Cut::Provider(_) => Failure::Final(ChatError::BadResponse(cut.message())),
        }
    }
}

impl OpenAiChat {
    /// Checks the configuration and prepares the HTTP client (no request is sent yet).
    pub fn new(config: OpenAiConfig) -> Result<Self, ChatError> {
        let invalid = |m: String| ChatError::InvalidConfig(m);
        if config.model.trim().is_empty() {
            return Err(invalid("the chat model name is empty".into()));
        }
        if config.timeout.is_zero() {
            return Err(invalid("timeout must be positive".into()));
        }
        let url = wayfinder_provider_http::endpoint(&config.base_url, "chat/completions").map_err(invalid)?;
        let authorization = match config.api_key.as_deref().map(str::trim) {
            Some(key) if !key.is_empty() => Some(wayfinder_provider_http::bearer(key).map_err(invalid)?),
            _ => None,
        };
        let client =
            reqwest::Client::builder().build().map_err(|e| invalid(format!("cannot build the HTTP client: {e}")))?;
        Ok(OpenAiChat {
            client,
            log_url: wayfinder_provider_http::without_password(url.as_str()),
            url,
            authorization,
            config,
        })
    }

    /// The settings this client was made with.
    pub fn config(&self) -> &OpenAiConfig {
        &self.config
    }

    fn body(&self, req: &ChatRequest, stream: bool) -> serde_json::Value {
        let mut body = serde_json::json!({
            "model": self.config.model,
            "messages": req.messages,
            "stream": stream,
        });
        if let Some(t) = req.temperature {
            body["temperature"] = t.into();
        }
        if let Some(n) = req.max_tokens {
            body["max_tokens"] = n.into();
        }
        if let Some(format) = &req.response_format {
            body["response_format"] = serde_json::json!({
                "type": "json_schema",
                "json_schema": { "name": format.name, "schema": format.schema, "strict": true },
            });
        }
        if stream {
            body["stream_options"] = serde_json::json!({ "include_usage": true });
        }
        body
    }

    /// Runs `attempt` until it succeeds, fails for good, or the retries are spent.
    async fn with_retries<T, F, Fut>(&self, attempt: F) -> Result<T, ChatError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Failure>>,
    {
        let retries = Retries {
            timeout: self.config.timeout,
            max_retries: self.config.max_retries,
            backoff: backoff_from(self.config.backoff),
        };
        retries
            .run(attempt, into_error, |error, attempt, delay| match delay {
                None => tracing::warn!(url = %self.log_url, model = %self.config.model, attempt,
                    code = %error.code(), error = %error, "chat request failed"),
                Some(delay) => tracing::warn!(url = %self.log_url, model = %self.config.model, attempt,
                    code = %error.code(), error = %error, ?delay, "chat request failed, retrying"),
            })
            .await
    }

    /// Sends the request and turns a non-2xx answer into a `Failure`.
    async fn send(&self, body: &serde_json::Value, accept: &'static str) -> Result<reqwest::Response, Failure> {
        let mut request = self.client.post(self.url.clone()).header(ACCEPT, accept).json(body);
        if let Some(auth) = &self.authorization {
            request = request.header(AUTHORIZATION, auth.clone());
        }
        wayfinder_provider_http::send(request).await
    }

    async fn complete_once(&self, req: &ChatRequest, body: &serde_json::Value) -> Result<Completion, Failure> {
        let response = self.send(body, "application/json").await?;
        let bytes = response.bytes().await.map_err(Failure::from)?;
        self.parse_completion(req, &bytes).map_err(Failure::Final)
    }

    async fn open_stream(&self, req: &ChatRequest, body: &serde_json::Value) -> Result<Opened, Failure> {
        let response = self.send(body, "text/event-stream").await?;
        let is_json = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.trim_start().starts_with("application/json"));
        if is_json {
            // A server that ignores `stream: true` answers with one plain completion.
            let bytes = response.bytes().await.map_err(Failure::from)?;
            return self.parse_completion(req, &bytes).map(Opened::Whole).map_err(Failure::Final);
        }
        let mut answer = AnswerStream::new(
            response.bytes_stream().boxed(),
            self.config.model.clone(),
            estimate_input_tokens(&req.messages),
            self.config.timeout,
            self.log_url.clone(),
        );
        // The first piece of text commits the answer; until then nothing reached the user and a
        // failure is worth a retry.
        answer.begin().await?;
        Ok(Opened::Sse(answer))
    }

    fn parse_completion(&self, req: &ChatRequest, bytes: &[u8]) -> Result<Completion, ChatError> {
        let bad = |m: String| ChatError::BadResponse(m);
        let parsed: CompletionBody =
            serde_json::from_slice(bytes).map_err(|e| bad(format!("not a chat completion: {e}")))?;
        if let Some(message) = parsed.error.as_ref().and_then(error_value_message) {
            return Err(bad(format!("error in a successful response: {message}")));
        }
        let choice = parsed.choices.into_iter().next().ok_or_else(|| bad("the response has no choices".into()))?;
        let content = choice.message.and_then(|m| m.content).unwrap_or_default();
        let usage = parsed
            .usage
            .as_ref()
            .and_then(|u| u.reported())
            .unwrap_or_else(|| Usage::estimated(&req.messages, &content));
        Ok(Completion {
            content,
            model: parsed.model.filter(|m| !m.is_empty()).unwrap_or_else(|| self.config.model.clone()),
            usage,
            finish_reason: choice.finish_reason,
        })
    }
}

#[async_trait]
impl ChatModel for OpenAiChat {
    fn model_id(&self) -> &str {
        &self.config.model
    }

    async fn complete(&self, req: &ChatRequest) -> Result<Completion, ChatError> {
        let body = self.body(req, false);
        self.with_retries(|| self.complete_once(req, &body)).await
    }

    async fn stream(&self, req: &ChatRequest) -> Result<BoxStream<'static, Result<StreamEvent, ChatError>>, ChatError> {
        let body = self.body(req, true);
        match self.with_retries(|| self.open_stream(req, &body)).await? {
            Opened::Whole(completion) => {
                let delta =
                    (!completion.content.is_empty()).then(|| Ok(StreamEvent::Delta(completion.content.clone())));
                Ok(futures::stream::iter(delta.into_iter().chain([Ok(StreamEvent::Done(completion))])).boxed())
            }
            Opened::Sse(answer) => Ok(answer.into_stream()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_delays_double_and_honour_retry_after_within_its_cap() {
        let base = Duration::from_millis(500);
        assert_eq!(retry_delay(base, 1, None), base);
        assert_eq!(retry_delay(base, 2, None), base * 2);
        assert_eq!(retry_delay(base, 3, None), base * 4);
        assert_eq!(retry_delay(base, 40, None), MAX_BACKOFF);
        assert_eq!(retry_delay(base, 1, Some(Duration::from_secs(3))), Duration::from_secs(3));
        assert_eq!(retry_delay(base, 1, Some(Duration::from_secs(3600))), MAX_RETRY_AFTER);
        // A Retry-After shorter than the backoff does not shorten it.
        assert_eq!(retry_delay(base, 3, Some(Duration::from_millis(1))), base * 4);
    }

    #[test]
    fn the_worst_case_is_every_attempt_timing_out_plus_the_longest_waits() {
        let config = OpenAiConfig::new("http://localhost:1/v1", "m");
        assert_eq!(config.worst_case_duration(), Duration::from_secs(3 * 120 + 10 + 10));
        let config = OpenAiConfig { timeout: Duration::from_secs(1), max_retries: 0, ..config };
        assert_eq!(config.worst_case_duration(), Duration::from_secs(1));
    }

    #[test]
    fn bad_configurations_are_refused_without_echoing_the_key() {
        let ok = OpenAiConfig::new("http://localhost:11434/v1/", "llama3.1");
        let chat = OpenAiChat::new(ok.clone()).unwrap();
        assert_eq!(chat.url.as_str(), "http://localhost:11434/v1/chat/completions");
        assert!(chat.authorization.is_none());
        let blank_key = OpenAiConfig { api_key: Some("  ".into()), ..ok.clone() };
        assert!(OpenAiChat::new(blank_key).unwrap().authorization.is_none());
        for bad in [
            OpenAiConfig { model: " ".into(), ..ok.clone() },
            OpenAiConfig { timeout: Duration::ZERO, ..ok.clone() },
            OpenAiConfig { base_url: "localhost:11434".into(), ..ok.clone() },
            OpenAiConfig { base_url: "ftp://example.org".into(), ..ok.clone() },
            OpenAiConfig { api_key: Some("sk-secret\nx".into()), ..ok.clone() },
        ] {
            let error = OpenAiChat::new(bad).unwrap_err();
            assert_eq!(error.code().to_string(), "model_config");
            assert!(!error.to_string().contains("sk-secret"));
        }
    }

    #[test]
    fn passwords_in_the_url_stay_out_of_logs() {
        let chat = OpenAiChat::new(OpenAiConfig::new("http://user:hunter2@localhost/v1", "m")).unwrap();
        assert_eq!(chat.log_url, "http://user:********@localhost/v1/chat/completions");
        assert!(!format!("{chat:?}").contains("hunter2"));
        assert!(!format!("{:?}", chat.config()).contains("hunter2"));
    }
}
