//! The client for OpenAI-compatible `POST {base_url}/audio/transcriptions` (speech to text) and
//! `POST {base_url}/audio/speech` (text to speech).

use std::future::Future;
use std::time::Duration;

use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, HeaderValue};
use reqwest::multipart::{Form, Part};
use serde::Deserialize;
use wayfinder_provider_http::{Backoff, Retries, error_value_message};

use crate::{AudioFormat, SpeechError};

/// Longest `Retry-After` honoured: a provider asking for minutes is better reported than waited on.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(10);
/// Longest exponential backoff between two attempts, however many retries are configured.
pub const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// The voice asked for when none is configured (OpenAI requires one; other servers pick their own).
pub const DEFAULT_VOICE: &str = "alloy";
/// The longest text read aloud in one request (OpenAI's limit).
pub const MAX_SPEECH_CHARS: usize = 4096;

/// Settings for an OpenAI-compatible speech API.
#[derive(Clone)]
pub struct SpeechConfig {
    /// The API root, e.g. `https://api.openai.com/v1` or `http://localhost:8000/v1` (a local
    /// faster-whisper server).
    pub base_url: String,
    /// Sent as `Authorization: Bearer …` when set and not blank; never logged, masked by `Debug`.
    pub api_key: Option<String>,
    /// The speech-to-text model, e.g. `whisper-1` or `Systran/faster-whisper-small`.
    pub transcription_model: String,
    /// The text-to-speech model, e.g. `tts-1`; `None`: questions are not read aloud.
    pub speech_model: Option<String>,
    /// The voice for reading aloud; `None` asks for [`DEFAULT_VOICE`].
    pub voice: Option<String>,
    /// Limit for one attempt, from connecting to the last byte of the answer.
    pub timeout: Duration,
    /// Extra attempts after a connection error, timeout, 429 or 5xx (so `max_retries + 1` in all).
    pub max_retries: u32,
    /// Wait before the first retry; doubled for each further one (up to `MAX_BACKOFF`).
    pub backoff: Duration,
}

impl SpeechConfig {
    /// A transcription-only configuration with the defaults: no key, no speech model, 120 s
    /// timeout (a self-hosted model on a CPU may take a minute over a two-minute answer),
    /// 2 retries, 500 ms backoff.
    pub fn new(base_url: impl Into<String>, transcription_model: impl Into<String>) -> Self {
        SpeechConfig {
            base_url: base_url.into(),
            api_key: None,
            transcription_model: transcription_model.into(),
            speech_model: None,
            voice: None,
            timeout: Duration::from_secs(120),
            max_retries: 2,
            backoff: Duration::from_millis(500),
        }
    }
}

impl std::fmt::Debug for SpeechConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpeechConfig")
            .field("base_url", &wayfinder_provider_http::without_password(&self.base_url))
            .field("api_key", &self.api_key.as_ref().map(|_| "********"))
            .field("transcription_model", &self.transcription_model)
            .field("speech_model", &self.speech_model)
            .field("voice", &self.voice)
            .field("timeout", &self.timeout)
            .field("max_retries", &self.max_retries)
            .field("backoff", &self.backoff)
            .finish()
    }
}

/// What was said in a recording.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transcript {
    /// The words, trimmed; empty when nothing was recognised (often a silent recording).
    pub text: String,
}

/// A text read aloud.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Speech {
    /// The audio file, as the provider sent it (WAV was asked for).
    pub bytes: Vec<u8>,
    /// Its MIME type as the provider labelled it, `audio/wav` when it did not say.
    pub content_type: String,
}

/// `{"text": …}`, and an `error` some servers put in a 200.
#[derive(Deserialize)]
struct TranscriptionBody {
    text: Option<String>,
    error: Option<serde_json::Value>,
}

/// How one attempt went wrong, before the number of attempts is known.
type Failure = wayfinder_provider_http::Failure<SpeechError>;

/// A speech-to-text and text-to-speech service reached over an OpenAI-compatible HTTP API.
pub struct SpeechClient {
    client: reqwest::Client,
    transcriptions_url: reqwest::Url,
    speech_url: reqwest::Url,
    /// The API root with any password masked, for logs.
    log_url: String,
    authorization: Option<HeaderValue>,
    config: SpeechConfig,
}

impl std::fmt::Debug for SpeechClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpeechClient").field("config", &self.config).finish_non_exhaustive()
    }
}

impl SpeechClient {
    /// Checks the configuration and prepares the HTTP client (no request is sent yet).
    pub fn new(config: SpeechConfig) -> Result<Self, SpeechError> {
        let invalid = |m: String| SpeechError::InvalidConfig(m);
        if config.transcription_model.trim().is_empty() {
            return Err(invalid("the transcription model name is empty".into()));
        }
        if config.timeout.is_zero() {
            return Err(invalid("timeout must be positive".into()));
        }
        let transcriptions_url =
            wayfinder_provider_http::endpoint(&config.base_url, "audio/transcriptions").map_err(invalid)?;
        let speech_url = wayfinder_provider_http::endpoint(&config.base_url, "audio/speech").map_err(invalid)?;
        let authorization = match config.api_key.as_deref().map(str::trim) {
            Some(key) if !key.is_empty() => Some(wayfinder_provider_http::bearer(key).map_err(invalid)?),
            _ => None,
        };
        let client =
            reqwest::Client::builder().build().map_err(|e| invalid(format!("cannot build the HTTP client: {e}")))?;
        Ok(SpeechClient {
            client,
            transcriptions_url,
            speech_url,
            log_url: wayfinder_provider_http::without_password(&config.base_url),
            authorization,
            config,
        })
    }

    /// The settings this client was made with.
    pub fn config(&self) -> &SpeechConfig {
        &self.config
    }

    /// Whether questions can be read aloud (a speech model is configured).
    pub fn can_speak(&self) -> bool {
        self.speech_model().is_some()
    }

    fn speech_model(&self) -> Option<&str> {
        self.config.speech_model.as_deref().map(str::trim).filter(|model| !model.is_empty())
    }

    /// Turns a recording into text. `format` is what [`crate::inspect`] recognised (it names the
    /// file sent); `language` is an ISO 639-1 code such as `en`, or `None` to let the model detect it.
    pub async fn transcribe(
        &self,
        audio: &[u8],
        format: AudioFormat,
        language: Option<&str>,
    ) -> Result<Transcript, SpeechError> {
        if audio.is_empty() {
            return Err(SpeechError::InvalidInput("the recording is empty".into()));
        }
        let audio = Bytes::copy_from_slice(audio);
        let language = language.map(str::trim).filter(|l| !l.is_empty());
        self.with_retries("transcription", &self.config.transcription_model, || {
            self.transcribe_once(audio.clone(), format, language)
        })
        .await
    }

    async fn transcribe_once(
        &self,
        audio: Bytes,
        format: AudioFormat,
        language: Option<&str>,
    ) -> Result<Transcript, Failure> {
        let length = audio.len() as u64;
        let file = Part::stream_with_length(audio, length)
            .file_name(format!("audio.{}", format.extension()))
            .mime_str(format.mime_type())
            .map_err(|e| Failure::Final(SpeechError::InvalidInput(format!("content type: {e}"))))?;
        let mut form = Form::new()
            .part("file", file)
            .text("model", self.config.transcription_model.clone())
            .text("response_format", "json");
        if let Some(language) = language {
            form = form.text("language", language.to_owned());
        }
        let request = self.post(&self.transcriptions_url).header(ACCEPT, "application/json").multipart(form);
        let response = wayfinder_provider_http::send(request).await?;
        let bytes = response.bytes().await.map_err(Failure::from)?;
        parse_transcript(&bytes).map_err(Failure::Final)
    }

    /// Reads `text` aloud as a WAV file, with the configured speech model and voice.
    pub async fn speak(&self, text: &str) -> Result<Speech, SpeechError> {
        let model = self.speech_model().ok_or(SpeechError::NotConfigured)?;
        let text = text.trim();
        if text.is_empty() {
            return Err(SpeechError::InvalidInput("there is no text to read aloud".into()));
        }
        let chars = text.chars().count();
        if chars > MAX_SPEECH_CHARS {
            return Err(SpeechError::InvalidInput(format!(
                "the text is {chars} characters long, more than the {MAX_SPEECH_CHARS} read aloud at once"
            )));
        }
        let voice = self.config.voice.as_deref().map(str::trim).filter(|v| !v.is_empty()).unwrap_or(DEFAULT_VOICE);
        let body = serde_json::json!({ "model": model, "input": text, "voice": voice, "response_format": "wav" });
        self.with_retries("speech", model, || self.speak_once(&body)).await
    }

    async fn speak_once(&self, body: &serde_json::Value) -> Result<Speech, Failure> {
        let request = self.post(&self.speech_url).header(ACCEPT, "audio/wav").json(body);
        let response = wayfinder_provider_http::send(request).await?;
        let content_type = response
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map_or_else(|| AudioFormat::Wav.mime_type().to_owned(), str::to_owned);
        let bytes = response.bytes().await.map_err(Failure::from)?;
        if content_type.starts_with("application/json") {
            let message = serde_json::from_slice::<serde_json::Value>(&bytes)
                .ok()
                .and_then(|json| error_value_message(&json["error"]))
                .unwrap_or_else(|| "JSON instead of audio".to_owned());
            return Err(Failure::Final(SpeechError::BadResponse(message)));
        }
        if bytes.is_empty() {
            return Err(Failure::Final(SpeechError::BadResponse("the audio is empty".into())));
        }
        Ok(Speech { bytes: bytes.to_vec(), content_type })
    }

    fn post(&self, url: &reqwest::Url) -> reqwest::RequestBuilder {
        let request = self.client.post(url.clone());
        match &self.authorization {
            Some(auth) => request.header(AUTHORIZATION, auth.clone()),
            None => request,
        }
    }

    /// Runs `attempt` until it succeeds, fails for good, or the retries are spent.
    async fn with_retries<T, F, Fut>(&self, what: &'static str, model: &str, attempt: F) -> Result<T, SpeechError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, Failure>>,
    {
        let retries = Retries {
            timeout: self.config.timeout,
            max_retries: self.config.max_retries,
            backoff: Backoff { first: self.config.backoff, max: MAX_BACKOFF, max_retry_after: MAX_RETRY_AFTER },
        };
        let timeout = self.config.timeout;
        retries
            .run(
                attempt,
                |failure, attempts| into_error(failure, attempts, timeout),
                |error, attempt, delay| match delay {
                    None => tracing::warn!(url = %self.log_url, model, attempt, code = error.code(), error = %error,
                    "{what} request failed"),
                    Some(delay) => tracing::warn!(url = %self.log_url, model, attempt, code = error.code(),
                    error = %error, ?delay, "{what} request failed, retrying"),
                },
            )
            .await
    }
}

/// The error for a failure after `attempts` tries: 429 and 5xx were retried, other 4xx were not.
fn into_error(failure: Failure, attempts: u32, timeout: Duration) -> SpeechError {
    match failure {
        Failure::Timeout => {
            SpeechError::Unavailable { attempts, status: None, message: format!("no answer within {timeout:?}") }
        }
        Failure::Connection(message) => SpeechError::Unavailable { attempts, status: None, message },
        Failure::Status { status, message, .. }
            if status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error() =>
        {
            SpeechError::Unavailable { attempts, status: Some(status.as_u16()), message }
        }
        Failure::Status { status, message, .. } => SpeechError::Refused { status: status.as_u16(), message },
        Failure::Final(error) => error,
    }
}

fn parse_transcript(bytes: &[u8]) -> Result<Transcript, SpeechError> {
    let bad = |m: String| SpeechError::BadResponse(m);
    let parsed: TranscriptionBody =
        serde_json::from_slice(bytes).map_err(|e| bad(format!("not a transcription: {e}")))?;
    if let Some(message) = parsed.error.as_ref().and_then(error_value_message) {
        return Err(bad(format!("error in a successful response: {message}")));
    }
    let text = parsed.text.ok_or_else(|| bad("the response has no text".into()))?;
    Ok(Transcript { text: text.trim().to_owned() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transcripts_are_read_from_json() {
        assert_eq!(parse_transcript(br#"{"text":" Hello there. "}"#).unwrap().text, "Hello there.");
        assert_eq!(parse_transcript(br#"{"text":""}"#).unwrap().text, "");
        assert!(matches!(parse_transcript(b"Hello"), Err(SpeechError::BadResponse(_))));
        assert!(
            matches!(parse_transcript(br#"{"segments":[]}"#), Err(SpeechError::BadResponse(m)) if m.contains("no text"))
        );
        let error = parse_transcript(br#"{"error":{"message":"model overloaded"}}"#).unwrap_err();
        assert!(error.to_string().contains("model overloaded"));
    }

    #[test]
    fn bad_configurations_are_refused_without_echoing_the_key() {
        let ok = SpeechConfig::new("http://localhost:8000/v1/", "whisper-1");
        let client = SpeechClient::new(ok.clone()).unwrap();
        assert_eq!(client.transcriptions_url.as_str(), "http://localhost:8000/v1/audio/transcriptions");
        assert_eq!(client.speech_url.as_str(), "http://localhost:8000/v1/audio/speech");
        assert!(!client.can_speak());
        assert!(!SpeechClient::new(SpeechConfig { speech_model: Some(" ".into()), ..ok.clone() }).unwrap().can_speak());
        for bad in [
            SpeechConfig { transcription_model: " ".into(), ..ok.clone() },
            SpeechConfig { timeout: Duration::ZERO, ..ok.clone() },
            SpeechConfig { base_url: "localhost:8000".into(), ..ok.clone() },
            SpeechConfig { api_key: Some("sk-secret\nx".into()), ..ok.clone() },
        ] {
            let error = SpeechClient::new(bad).unwrap_err();
            assert_eq!(error.code(), "speech_config");
            assert!(!error.to_string().contains("sk-secret"));
        }
    }

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let config = SpeechConfig {
            api_key: Some("sk-secret".into()),
            ..SpeechConfig::new("http://user:hunter2@localhost/v1", "whisper-1")
        };
        let shown = format!("{:?}", SpeechClient::new(config).unwrap());
        assert!(!shown.contains("hunter2") && !shown.contains("sk-secret"), "{shown}");
    }
}
