//! A scripted OpenAI-compatible speech server on `127.0.0.1`, for tests at the network edge.
//!
//! `FakeSpeech::start()` binds a free port and serves `POST /v1/audio/transcriptions` and
//! `POST /v1/audio/speech`. A transcription request is checked as a real service would: its
//! multipart body must hold a `model` and a `file` whose name's extension matches its contents,
//! and the file must pass [`inspect`] (with lenient limits); anything else gets a 400 with an
//! OpenAI-style error body, so a passing test proves the client sent well-formed audio. Each
//! answer takes the next transcript queued with `push_transcript`, else the default
//! (`set_default_transcript`). Reading aloud answers with a WAV of a quiet tone, 60 ms per
//! character of the text. `fail_next` makes the next request (of either kind) fail with a status,
//! and `set_delay` makes every answer wait, standing for the model's own time.
//!
//! ```no_run
//! # async fn demo() {
//! use wayfinder_speech::fake::FakeSpeech;
//! use wayfinder_speech::{AudioFormat, SpeechClient, write_wav};
//!
//! let fake = FakeSpeech::start().await;
//! fake.push_transcript("I would ask for help sooner.");
//! let client = SpeechClient::new(fake.config()).unwrap();
//! let wav = write_wav(&[1000, -1000].repeat(8000), 16_000);
//! let transcript = client.transcribe(&wav, AudioFormat::Wav, Some("en")).await.unwrap();
//! assert_eq!(transcript.text, "I would ask for help sooner.");
//! assert_eq!(fake.requests()[0].duration_ms, 1000);
//! # }
//! ```

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::{AudioFormat, AudioLimits, SpeechConfig, inspect, write_wav};

/// The transcription model `config()` names.
pub const FAKE_TRANSCRIPTION_MODEL: &str = "fake-whisper";
/// The speech model `config()` names.
pub const FAKE_SPEECH_MODEL: &str = "fake-tts";
/// The transcript when none is queued and no default was set.
pub const DEFAULT_TRANSCRIPT: &str = "This is what the fake heard.";
/// How much audio the speech route makes per character of text.
pub const SPEECH_MS_PER_CHAR: u64 = 60;
/// The sample rate of the speech route's WAV.
pub const SPEECH_SAMPLE_RATE: u32 = 24_000;
/// The largest request body accepted (axum's default of 2 MB is less than a long recording).
const MAX_BODY: usize = 64 * 1024 * 1024;

/// A well-formed transcription request as the fake received it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeenAudio {
    /// The container, as recognised from the file's bytes.
    pub format: AudioFormat,
    /// The recording's length, as measured by [`inspect`].
    pub duration_ms: u64,
    /// The file's size.
    pub bytes: usize,
    /// The requested model.
    pub model: String,
    /// The requested language, if any.
    pub language: Option<String>,
    /// The file name the client gave.
    pub file_name: Option<String>,
    /// The file's content type as the client labelled it.
    pub content_type: Option<String>,
    /// The requested response format, if any.
    pub response_format: Option<String>,
}

/// A request to read text aloud as the fake received it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SeenSpeech {
    /// The text to read.
    pub text: String,
    /// The requested model.
    pub model: String,
    /// The requested voice.
    pub voice: String,
}

#[derive(Default)]
struct Shared {
    transcripts: Mutex<VecDeque<String>>,
    default_transcript: Mutex<Option<String>>,
    failures: Mutex<VecDeque<(u16, String)>>,
    delay: Mutex<Duration>,
    seen: Mutex<Vec<SeenAudio>>,
    spoken: Mutex<Vec<SeenSpeech>>,
    attempts: AtomicUsize,
    api_key: Mutex<Option<String>>,
}

/// Locks, ignoring poisoning: a panicking test must not hide its own failure behind ours.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A running fake speech server; stops on drop.
pub struct FakeSpeech {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    server: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for FakeSpeech {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeSpeech").field("addr", &self.addr).finish_non_exhaustive()
    }
}

impl FakeSpeech {
    /// Starts a server on a free port of 127.0.0.1 (on the current tokio runtime).
    ///
    /// # Panics
    /// When no local port can be bound — a test cannot go on without it.
    pub async fn start() -> Self {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), Router::new()).await.expect("bind the fake speech server")
    }

    /// Starts a server on `addr` (port 0 picks a free one) with `extra` routes beside the speech
    /// ones, e.g. a control endpoint when the fake runs as its own process.
    pub async fn start_on(addr: SocketAddr, extra: Router) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let (stop, mut stopped) = watch::channel(false);
        let shared = Arc::new(Shared::default());
        let app = Router::new()
            .route("/v1/audio/transcriptions", post(transcriptions))
            .route("/v1/audio/speech", post(speech))
            .layer(DefaultBodyLimit::max(MAX_BODY))
            .with_state(shared.clone())
            .merge(extra);
        let server = tokio::spawn(async move {
            let signal = async move {
                let _ = stopped.wait_for(|stop| *stop).await;
            };
            if let Err(e) = axum::serve(listener, app).with_graceful_shutdown(signal).await {
                tracing::warn!(error = %e, "fake speech server stopped");
            }
        });
        Ok(FakeSpeech { addr, shared, stop, server: Some(server) })
    }

    /// The API root to configure a client with: `http://127.0.0.1:PORT/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A client configuration for this server: both fake models, 5 s timeout, 2 retries, 10 ms backoff.
    pub fn config(&self) -> SpeechConfig {
        SpeechConfig {
            speech_model: Some(FAKE_SPEECH_MODEL.into()),
            voice: Some("alloy".into()),
            timeout: Duration::from_secs(5),
            backoff: Duration::from_millis(10),
            ..SpeechConfig::new(self.base_url(), FAKE_TRANSCRIPTION_MODEL)
        }
    }

    /// Queues the transcript of the next well-formed recording.
    pub fn push_transcript(&self, text: impl Into<String>) {
        lock(&self.shared.transcripts).push_back(text.into());
    }

    /// Sets the transcript given when none is queued.
    pub fn set_default_transcript(&self, text: impl Into<String>) {
        *lock(&self.shared.default_transcript) = Some(text.into());
    }

    /// Makes the next request (transcription or speech) that gets this far fail with this HTTP
    /// status and message, in an OpenAI-style error body. Calls queue up, one per request.
    pub fn fail_next(&self, status: u16, message: impl Into<String>) {
        lock(&self.shared.failures).push_back((status, message.into()));
    }

    /// Makes every answer wait this long first, standing for the model's own time.
    pub fn set_delay(&self, delay: Duration) {
        *lock(&self.shared.delay) = delay;
    }

    /// From now on, answers 401 unless the request carries `Authorization: Bearer {key}`.
    pub fn require_api_key(&self, key: impl Into<String>) {
        *lock(&self.shared.api_key) = Some(key.into());
    }

    /// The well-formed transcription requests received (including those scripted to fail), in order.
    pub fn requests(&self) -> Vec<SeenAudio> {
        lock(&self.shared.seen).clone()
    }

    /// How many transcription requests were received, well-formed or not (each retry is one).
    pub fn attempts(&self) -> usize {
        self.shared.attempts.load(Ordering::Relaxed)
    }

    /// The requests to read text aloud received, in order.
    pub fn speech_requests(&self) -> Vec<SeenSpeech> {
        lock(&self.shared.spoken).clone()
    }

    /// The texts the fake was asked to read aloud, in order.
    pub fn spoken(&self) -> Vec<String> {
        lock(&self.shared.spoken).iter().map(|s| s.text.clone()).collect()
    }
}

impl Drop for FakeSpeech {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}

/// The parts of a transcription request.
#[derive(Default)]
struct Upload {
    file: Option<Bytes>,
    file_name: Option<String>,
    content_type: Option<String>,
    model: Option<String>,
    language: Option<String>,
    response_format: Option<String>,
}

/// Reads the multipart form; the error is the message of the 400 to answer with.
async fn read_upload(request: Request, shared: &Arc<Shared>) -> Result<Upload, String> {
    let bad = |e: &dyn std::fmt::Display| format!("Could not parse multipart form: {e}");
    let mut form = Multipart::from_request(request, shared).await.map_err(|e| bad(&e.body_text()))?;
    let mut upload = Upload::default();
    while let Some(field) = form.next_field().await.map_err(|e| bad(&e))? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            upload.file_name = field.file_name().map(str::to_owned);
            upload.content_type = field.content_type().map(str::to_owned);
            upload.file = Some(field.bytes().await.map_err(|e| bad(&e))?);
            continue;
        }
        let value = field.text().await.map_err(|e| bad(&e))?;
        match name.as_str() {
            "model" => upload.model = Some(value),
            "language" => upload.language = Some(value),
            "response_format" => upload.response_format = Some(value),
            _ => {}
        }
    }
    Ok(upload)
}

/// Checks an upload as a real service would; the error is the message of the 400 to answer with.
fn check_upload(upload: Upload) -> Result<SeenAudio, String> {
    let model = upload.model.filter(|m| !m.trim().is_empty());
    let model = model.ok_or_else(|| "you must provide a model parameter".to_owned())?;
    let file = upload.file.ok_or_else(|| "you must provide a file parameter".to_owned())?;
    let named = upload
        .file_name
        .as_deref()
        .and_then(|name| name.rsplit_once('.'))
        .and_then(|(_, extension)| AudioFormat::from_extension(extension))
        .ok_or_else(|| format!("Invalid file format {:?}. Supported formats: wav, webm, ogg", upload.file_name))?;
    let info = inspect(&file, &AudioLimits::lenient())
        .map_err(|e| format!("The audio file could not be decoded or its format is not supported: {e}"))?;
    if info.format != named {
        return Err(format!("The file is named as {named} but its contents are {}", info.format));
    }
    if let Some(other) = upload.response_format.as_deref().filter(|f| !matches!(*f, "json" | "text" | "verbose_json")) {
        return Err(format!("response_format {other:?} is not supported"));
    }
    Ok(SeenAudio {
        format: info.format,
        duration_ms: info.duration_ms,
        bytes: file.len(),
        model,
        language: upload.language,
        file_name: upload.file_name,
        content_type: upload.content_type,
        response_format: upload.response_format,
    })
}

async fn transcriptions(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    shared.attempts.fetch_add(1, Ordering::Relaxed);
    if let Some(refused) = check_key(&shared, request.headers()) {
        return refused;
    }
    let seen = match read_upload(request, &shared).await.and_then(check_upload) {
        Ok(seen) => seen,
        Err(message) => return error_response(400, &message),
    };
    lock(&shared.seen).push(seen.clone());
    if let Some(response) = scripted_failure_or_delay(&shared).await {
        return response;
    }
    let queued = lock(&shared.transcripts).pop_front();
    let text =
        queued.or_else(|| lock(&shared.default_transcript).clone()).unwrap_or_else(|| DEFAULT_TRANSCRIPT.to_owned());
    match seen.response_format.as_deref() {
        Some("text") => (StatusCode::OK, [(CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response(),
        Some("verbose_json") => json_response(
            StatusCode::OK,
            &json!({ "task": "transcribe", "language": seen.language.unwrap_or_else(|| "english".into()),
                     "duration": seen.duration_ms as f64 / 1000.0, "text": text }),
        ),
        _ => json_response(StatusCode::OK, &json!({ "text": text })),
    }
}

async fn speech(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(refused) = check_key(&shared, &headers) {
        return refused;
    }
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return error_response(400, "the body is not JSON");
    };
    let field = |name: &str| body[name].as_str().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
    let (Some(model), Some(text), Some(voice)) = (field("model"), field("input"), field("voice")) else {
        return error_response(400, "model, input and voice are required");
    };
    if let Some(other) = field("response_format").filter(|f| f != "wav") {
        return error_response(400, &format!("the fake only speaks wav, not {other:?}"));
    }
    let chars = text.chars().count() as u64;
    lock(&shared.spoken).push(SeenSpeech { text, model, voice });
    if let Some(response) = scripted_failure_or_delay(&shared).await {
        return response;
    }
    let wav = write_wav(&quiet_tone(chars * SPEECH_MS_PER_CHAR), SPEECH_SAMPLE_RATE);
    (StatusCode::OK, [(CONTENT_TYPE, "audio/wav")], wav).into_response()
}

/// A 220 Hz tone at 5 % of full scale (about -29 dBFS): quiet, but not silence.
fn quiet_tone(duration_ms: u64) -> Vec<i16> {
    let samples = duration_ms * u64::from(SPEECH_SAMPLE_RATE) / 1000;
    let step = std::f64::consts::TAU * 220.0 / f64::from(SPEECH_SAMPLE_RATE);
    (0..samples).map(|i| ((i as f64 * step).sin() * 0.05 * f64::from(i16::MAX)) as i16).collect()
}

/// The scripted failure, if one is queued; otherwise waits the configured delay.
async fn scripted_failure_or_delay(shared: &Shared) -> Option<Response> {
    if let Some((status, message)) = lock(&shared.failures).pop_front() {
        return Some(error_response(status, &message));
    }
    let delay = *lock(&shared.delay);
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }
    None
}

fn check_key(shared: &Shared, headers: &HeaderMap) -> Option<Response> {
    let expected = lock(&shared.api_key).clone()?;
    let given = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok());
    (given != Some(format!("Bearer {expected}").as_str())).then(|| error_response(401, "Incorrect API key provided."))
}

fn error_response(status: u16, message: &str) -> Response {
    let (kind, code) = match status {
        401 => ("invalid_request_error", "invalid_api_key"),
        429 => ("requests", "rate_limit_exceeded"),
        500..=599 => ("server_error", "server_error"),
        _ => ("invalid_request_error", "invalid_request"),
    };
    let body = json!({ "error": { "message": message, "type": kind, "param": null, "code": code } });
    json_response(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), &body)
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    (status, [(CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_spoken_tone_is_quiet_but_not_silent() {
        let wav = write_wav(&quiet_tone(600), SPEECH_SAMPLE_RATE);
        let info = inspect(&wav, &AudioLimits::default()).unwrap();
        assert_eq!(info.duration_ms, 600);
        let level = info.level.unwrap();
        assert!(level.rms_dbfs > -35.0 && level.rms_dbfs < -25.0, "{level:?}");
    }
}
