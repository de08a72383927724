//! HTTP plumbing shared by the OpenAI-compatible providers (chat models in
//! `wayfinder-llm`, embeddings in `wayfinder-embeddings`): the endpoint URL and
//! bearer header checked from settings, the provider's message read out of an
//! error body, a transport error described by its causes, and attempts retried
//! with exponential backoff on connection errors, timeouts, 429 and 5xx,
//! honouring `Retry-After`. Each provider keeps its own error type and logs.

use std::future::Future;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};

/// How much of an unparseable error body goes into an error message.
pub const MAX_ERROR_BODY: usize = 300;

/// `{base_url}/{path}`, refused unless it is an http(s) URL; the message names the setting.
pub fn endpoint(base_url: &str, path: &str) -> Result<reqwest::Url, String> {
    let url = reqwest::Url::parse(&format!("{}/{path}", base_url.trim_end_matches('/')))
        .map_err(|e| format!("base_url {base_url:?} is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("base_url {base_url:?} must start with http:// or https://"));
    }
    Ok(url)
}

/// The URL for logs: a password in it (`http://user:password@host`) is masked.
pub fn without_password(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("********"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

/// `Authorization: Bearer {key}`, marked sensitive; the error does not echo the key.
pub fn bearer(key: &str) -> Result<HeaderValue, String> {
    let mut value = HeaderValue::from_str(&format!("Bearer {key}"))
        .map_err(|_| "the API key contains characters not allowed in an HTTP header".to_owned())?;
    value.set_sensitive(true);
    Ok(value)
}

/// The message of an OpenAI-style (`{"error":{"message"}}`) or Ollama-style (`{"error":"…"}`)
/// error value.
pub fn error_value_message(error: &serde_json::Value) -> Option<String> {
    error["message"].as_str().or(error.as_str()).map(str::to_owned)
}

/// The provider's message from an error body, else the start of the body itself.
pub fn error_message(body: &str) -> String {
    if let Ok(json) = serde_json::from_str::<serde_json::Value>(body)
        && let Some(message) = error_value_message(&json["error"]).or_else(|| json["message"].as_str().map(Into::into))
    {
        return message;
    }
    let body = body.trim();
    match body.char_indices().nth(MAX_ERROR_BODY) {
        Some((cut, _)) => format!("{}…", &body[..cut]),
        None if body.is_empty() => "(empty body)".to_owned(),
        None => body.to_owned(),
    }
}

/// reqwest's own message is generic ("error sending request"); its causes say what happened.
pub fn describe(e: &reqwest::Error) -> String {
    let mut message = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

/// `Retry-After` in seconds, or OpenAI's `retry-after-ms`; an HTTP date is ignored.
pub fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let header = |name| headers.get(name).and_then(|v: &HeaderValue| v.to_str().ok()).map(str::trim);
    if let Some(ms) = header("retry-after-ms").and_then(|v| v.parse::<f64>().ok()) {
        return Duration::try_from_secs_f64(ms / 1000.0).ok();
    }
    header(RETRY_AFTER.as_str()).and_then(|v| v.parse::<f64>().ok()).and_then(|s| Duration::try_from_secs_f64(s).ok())
}

/// How one attempt went wrong, before the number of attempts is known; `E` is the provider's error.
#[derive(Debug)]
pub enum Failure<E> {
    /// No answer within the attempt's time limit.
    Timeout,
    /// The connection could not be made or broke.
    Connection(String),
    /// A non-2xx answer, with the provider's message and any `Retry-After`.
    Status { status: StatusCode, message: String, retry_after: Option<Duration> },
    /// Not worth retrying: the same request would fail the same way.
    Final(E),
}

impl<E> Failure<E> {
    /// Connection errors, timeouts, 429 and 5xx may succeed on another attempt.
    pub fn is_retryable(&self) -> bool {
        match self {
            Failure::Timeout | Failure::Connection(_) => true,
            Failure::Status { status, .. } => *status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error(),
            Failure::Final(_) => false,
        }
    }

    /// The wait the provider asked for, if any.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Failure::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

impl<E> From<reqwest::Error> for Failure<E> {
    fn from(e: reqwest::Error) -> Self {
        if e.is_timeout() { Failure::Timeout } else { Failure::Connection(describe(&e)) }
    }
}

/// Sends `request`; a non-2xx answer becomes `Failure::Status` with the body's message.
pub async fn send<E>(request: reqwest::RequestBuilder) -> Result<reqwest::Response, Failure<E>> {
    let response = request.send().await?;
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let retry_after = retry_after(response.headers());
    let message = match response.text().await {
        Ok(text) => error_message(&text),
        Err(_) => "(the error body could not be read)".to_owned(),
    };
    Err(Failure::Status { status, message, retry_after })
}

/// The waits between attempts.
#[derive(Clone, Copy, Debug)]
pub struct Backoff {
    /// Before the first retry; doubled for each further one.
    pub first: Duration,
    /// The longest exponential wait.
    pub max: Duration,
    /// The longest `Retry-After` honoured: a provider asking for minutes is better reported than waited on.
    pub max_retry_after: Duration,
}

impl Backoff {
    /// The wait before retry number `failed` (1 for the first): exponential backoff, or longer
    /// when the provider's `Retry-After` asks for it (capped at `max_retry_after`).
    pub fn delay(&self, failed: u32, retry_after: Option<Duration>) -> Duration {
        let exponential = self.first.saturating_mul(2u32.saturating_pow(failed.saturating_sub(1))).min(self.max);
        exponential.max(retry_after.unwrap_or_default().min(self.max_retry_after))
    }
}

/// How often and how long to try.
#[derive(Clone, Copy, Debug)]
pub struct Retries {
    /// Limit for one attempt.
    pub timeout: Duration,
    /// Extra attempts after a retryable failure (so `max_retries + 1` in all).
    pub max_retries: u32,
    pub backoff: Backoff,
}

impl Retries {
    /// Runs `attempt` until it succeeds, fails for good, or the retries are spent. `into_error`
    /// turns a failure into the provider's error given the attempts so far; `on_failure` sees each
    /// failure with its attempt number and the wait before the next try (`None`: no more tries).
    pub async fn run<T, E, F, Fut>(
        &self,
        mut attempt: F,
        into_error: impl Fn(Failure<E>, u32) -> E,
        mut on_failure: impl FnMut(&E, u32, Option<Duration>),
    ) -> Result<T, E>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Failure<E>>>,
    {
        let mut attempts = 0;
        loop {
            attempts += 1;
            let failure = match tokio::time::timeout(self.timeout, attempt()).await {
                Ok(Ok(value)) => return Ok(value),
                Ok(Err(failure)) => failure,
                Err(_elapsed) => Failure::Timeout,
            };
            let retry = failure.is_retryable() && attempts <= self.max_retries;
            let delay = retry.then(|| self.backoff.delay(attempts, failure.retry_after()));
            let error = into_error(failure, attempts);
            on_failure(&error, attempts, delay);
            match delay {
                Some(delay) => tokio::time::sleep(delay).await,
                None => return Err(error),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_messages_come_from_the_body() {
        assert_eq!(error_message(r#"{"error":{"message":"bad input","type":"invalid_request_error"}}"#), "bad input");
        assert_eq!(error_message(r#"{"error":"model not found"}"#), "model not found");
        assert_eq!(error_message(r#"{"message":"overloaded"}"#), "overloaded");
        assert_eq!(error_message("  plain text  "), "plain text");
        assert_eq!(error_message(""), "(empty body)");
        assert_eq!(error_message(&"x".repeat(1000)).chars().count(), MAX_ERROR_BODY + 1);
    }

    #[test]
    fn retry_after_is_read_in_seconds_or_milliseconds() {
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers), None);
        headers.insert(RETRY_AFTER, HeaderValue::from_static("2"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(2)));
        headers.insert("retry-after-ms", HeaderValue::from_static("250"));
        assert_eq!(retry_after(&headers), Some(Duration::from_millis(250)));
        headers.clear();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"));
        assert_eq!(retry_after(&headers), None);
    }

    #[test]
    fn endpoints_and_keys_are_checked_without_echoing_the_key() {
        assert_eq!(
            endpoint("http://localhost:11434/v1/", "embeddings").unwrap().as_str(),
            "http://localhost:11434/v1/embeddings"
        );
        assert!(endpoint("localhost:11434", "x").is_err());
        assert!(endpoint("ftp://example.org", "x").unwrap_err().contains("http://"));
        assert!(bearer("sk-good").unwrap().is_sensitive());
        assert!(!bearer("sk-secret\nx").unwrap_err().contains("sk-secret"));
    }

    /// Retryable failures are retried up to the limit with doubling waits; a final one is not.
    #[tokio::test(start_paused = true)]
    async fn attempts_stop_at_the_limit_or_at_a_final_failure() {
        let retries = Retries {
            timeout: Duration::from_secs(5),
            max_retries: 2,
            backoff: Backoff {
                first: Duration::from_millis(100),
                max: Duration::from_secs(30),
                max_retry_after: Duration::from_secs(10),
            },
        };
        let mut seen = Vec::new();
        let outcome: Result<(), String> = retries
            .run(
                || async { Err(Failure::Connection("refused".into())) },
                |f, attempts| format!("{f:?} after {attempts}"),
                |_, attempt, delay| seen.push((attempt, delay)),
            )
            .await;
        assert_eq!(outcome.unwrap_err(), r#"Connection("refused") after 3"#);
        let (first, second) = (Duration::from_millis(100), Duration::from_millis(200));
        assert_eq!(seen, vec![(1, Some(first)), (2, Some(second)), (3, None)]);

        let mut calls = 0;
        let outcome: Result<(), String> = retries
            .run(
                || {
                    calls += 1;
                    async { Err(Failure::Final("bad request".to_owned())) }
                },
                |f, _| match f {
                    Failure::Final(e) => e,
                    other => format!("{other:?}"),
                },
                |_, _, _| {},
            )
            .await;
        assert_eq!((outcome.unwrap_err().as_str(), calls), ("bad request", 1));
    }
}
