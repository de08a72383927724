//! A scripted OpenAI-compatible server on `127.0.0.1`, for tests at the network edge.
//!
//! `FakeOpenAi::start()` binds a free port and serves `POST /v1/chat/completions` (streamed and
//! not, in OpenAI's wire format with usage) and `GET /v1/models`. Each chat request takes the next
//! `Script` pushed with `push`; with none left it answers with the default reply, which may depend
//! on the request (`set_default`). Every request is recorded (`requests`, `seen`, `attempts`).
//!
//! `FakeOpenAi::start_on` binds a chosen address and serves extra routes beside the OpenAI ones;
//! `examples/fake_openai_server.rs` runs the fake as its own process that way, with a control
//! endpoint. `set_default_script` answers unscripted requests with a script chosen per request.
//!
//! Reported usage is predictable: `prompt_tokens` is the number of whitespace-separated words in all
//! messages, `completion_tokens` the number of chunks the answer is streamed in (for `Reply` text,
//! its word count).
//!
//! ```no_run
//! # async fn demo() {
//! use wayfinder_llm::fake::{FakeOpenAi, Script};
//! use wayfinder_llm::{ChatMessage, ChatModel, ChatRequest, OpenAiChat};
//!
//! let fake = FakeOpenAi::start().await;
//! fake.push(Script::Status(503, "busy".into()));
//! fake.push(Script::ReplyChunks(vec!["Hel".into(), "lo".into()]));
//! let chat = OpenAiChat::new(fake.config()).unwrap();
//! let answer = chat.complete(&ChatRequest::new(vec![ChatMessage::user("Hi")])).await.unwrap();
//! assert_eq!(answer.content, "Hello");
//! assert_eq!(fake.attempts(), 2);
//! # }
//! ```

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::{ChatMessage, OpenAiConfig, Role};

/// The model name `config()` uses and `GET /v1/models` lists; answers echo the requested model.
pub const FAKE_MODEL: &str = "fake-model";
/// The answer when no script is queued and no default was set.
pub const DEFAULT_REPLY: &str = "Hello from the fake model.";
/// Pause between two streamed chunks unless `set_chunk_delay` says otherwise.
pub const DEFAULT_CHUNK_DELAY: Duration = Duration::from_millis(15);

/// How the fake answers one chat request.
#[derive(Debug, Clone)]
pub enum Script {
    /// A successful answer; streamed word by word when a stream was asked for.
    Reply(String),
    /// A successful answer streamed in exactly these chunks, `chunk_delay` apart (joined when not streamed).
    ReplyChunks(Vec<String>),
    /// Like `Reply`, but without any usage in the response.
    NoUsage(String),
    /// An error answer with this HTTP status and body (sent as JSON when it parses as JSON).
    Status(u16, String),
    /// Any answer: status, extra headers (e.g. `Retry-After`) and body.
    Raw {
        /// The HTTP status.
        status: u16,
        /// Headers added to the response.
        headers: Vec<(String, String)>,
        /// The body, sent as-is.
        body: String,
    },
    /// A 200 `text/event-stream` whose body is these pieces sent as-is, `chunk_delay` apart:
    /// for exercising SSE framing (`\r\n`, comments, events split across chunks).
    RawSse(Vec<String>),
    /// Never answers (until the fake shuts down): for timeouts.
    Hang,
    /// Streams these chunks, then drops the connection without a finish reason or `[DONE]`.
    /// Not streamed: sends half a JSON body, then drops the connection.
    BreakAfter(Vec<String>),
    /// Streams these chunks, then goes silent with the connection open (until the fake shuts down).
    /// Not streamed: sends the headers, then goes silent.
    StallAfter(Vec<String>),
    /// Waits this long, then answers with the inner script.
    Delayed(Duration, Box<Script>),
    /// Answers with the inner script, pausing this long between streamed chunks (instead of the
    /// fake's chunk delay).
    Paced(Duration, Box<Script>),
}

impl Script {
    /// An error answer with an OpenAI-style body: `{"error":{"message","type","code"}}`.
    pub fn error(status: u16, message: &str) -> Self {
        Script::Status(status, error_body(status, message).to_string())
    }

    /// A 429 asking the client to wait `seconds` (`Retry-After`).
    pub fn rate_limited(seconds: u64) -> Self {
        Script::Raw {
            status: 429,
            headers: vec![("retry-after".into(), seconds.to_string())],
            body: error_body(429, "Rate limit reached, please retry later.").to_string(),
        }
    }
}

/// A chat request as the fake received it.
#[derive(Debug, Clone, PartialEq)]
pub struct ChatRequestSeen {
    /// The JSON body (`Null` if it was not JSON).
    pub body: Value,
    /// The requested model.
    pub model: String,
    /// The messages (a non-text content is kept as its JSON).
    pub messages: Vec<ChatMessage>,
    /// Whether a stream was asked for.
    pub stream: bool,
    /// Whether `stream_options.include_usage` was set.
    pub include_usage: bool,
    /// The `Authorization` header, if any.
    pub authorization: Option<String>,
}

impl ChatRequestSeen {
    /// The content of the last user message.
    pub fn last_user_message(&self) -> Option<&str> {
        self.messages.iter().rev().find(|m| m.role == Role::User).map(|m| m.content.as_str())
    }

    /// The content of the first system message.
    pub fn system_prompt(&self) -> Option<&str> {
        self.messages.iter().find(|m| m.role == Role::System).map(|m| m.content.as_str())
    }

    fn parse(body: &[u8], headers: &HeaderMap) -> Self {
        let body: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        let messages = body["messages"]
            .as_array()
            .map(|all| {
                all.iter()
                    .filter_map(|m| {
                        let role = serde_json::from_value(m["role"].clone()).ok()?;
                        let content = m["content"].as_str().map_or_else(|| m["content"].to_string(), str::to_owned);
                        Some(ChatMessage { role, content })
                    })
                    .collect()
            })
            .unwrap_or_default();
        ChatRequestSeen {
            model: body["model"].as_str().unwrap_or(FAKE_MODEL).to_owned(),
            messages,
            stream: body["stream"].as_bool().unwrap_or(false),
            include_usage: body["stream_options"]["include_usage"].as_bool().unwrap_or(false),
            authorization: headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok()).map(str::to_owned),
            body,
        }
    }
}

/// Produces the default answer from the request.
pub type Responder = Arc<dyn Fn(&ChatRequestSeen) -> String + Send + Sync>;

/// Chooses how to answer a request when no script is queued.
pub type ScriptResponder = Arc<dyn Fn(&ChatRequestSeen) -> Script + Send + Sync>;

struct Shared {
    scripts: Mutex<VecDeque<Script>>,
    default: Mutex<ScriptResponder>,
    seen: Mutex<Vec<ChatRequestSeen>>,
    chunk_delay: Mutex<Duration>,
    api_key: Mutex<Option<String>>,
    next_id: AtomicU64,
    shutdown: watch::Receiver<bool>,
}

/// Locks, ignoring poisoning: a panicking test must not hide its own failure behind ours.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A running fake OpenAI-compatible server; stops on `shutdown` or drop.
pub struct FakeOpenAi {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: watch::Sender<bool>,
    server: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for FakeOpenAi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeOpenAi").field("addr", &self.addr).finish_non_exhaustive()
    }
}

impl FakeOpenAi {
    /// Starts a server on a free port of 127.0.0.1 (on the current tokio runtime).
    ///
    /// # Panics
    /// When no local port can be bound — a test cannot go on without it.
    pub async fn start() -> Self {
        let addr = SocketAddr::from(([127, 0, 0, 1], 0));
        Self::start_on(addr, Router::new()).await.expect("bind the fake OpenAI server")
    }

    /// Starts a server on `addr` (port 0 picks a free one) with `extra` routes beside the OpenAI
    /// ones, e.g. a control endpoint when the fake runs as its own process.
    pub async fn start_on(addr: SocketAddr, extra: Router) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let (stop, shutdown) = watch::channel(false);
        let shared = Arc::new(Shared {
            scripts: Mutex::new(VecDeque::new()),
            default: Mutex::new(Arc::new(|_: &ChatRequestSeen| Script::Reply(DEFAULT_REPLY.to_owned()))),
            seen: Mutex::new(Vec::new()),
            chunk_delay: Mutex::new(DEFAULT_CHUNK_DELAY),
            api_key: Mutex::new(None),
            next_id: AtomicU64::new(1),
            shutdown: shutdown.clone(),
        });
        let app = Router::new()
            .route("/v1/chat/completions", post(chat_completions))
            .route("/v1/models", get(models))
            .with_state(shared.clone())
            .merge(extra);
        let mut signal = shutdown;
        let server = tokio::spawn(async move {
            let stopped = async move {
                let _ = signal.wait_for(|stop| *stop).await;
            };
            if let Err(e) = axum::serve(listener, app).with_graceful_shutdown(stopped).await {
                tracing::warn!(error = %e, "fake OpenAI server stopped");
            }
        });
        Ok(FakeOpenAi { addr, shared, stop, server: Some(server) })
    }

    /// The API root to configure a client with: `http://127.0.0.1:PORT/v1`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A client configuration for this server: model `FAKE_MODEL`, 5 s timeout, 2 retries, 10 ms backoff.
    pub fn config(&self) -> OpenAiConfig {
        OpenAiConfig {
            timeout: Duration::from_secs(5),
            backoff: Duration::from_millis(10),
            ..OpenAiConfig::new(self.base_url(), FAKE_MODEL)
        }
    }

    /// Queues how to answer the next chat request not yet scripted.
    pub fn push(&self, script: Script) {
        lock(&self.shared.scripts).push_back(script);
    }

    /// Queues several scripts, in order.
    pub fn push_all(&self, scripts: impl IntoIterator<Item = Script>) {
        lock(&self.shared.scripts).extend(scripts);
    }

    /// How many queued scripts have not been used yet.
    pub fn pending_scripts(&self) -> usize {
        lock(&self.shared.scripts).len()
    }

    /// Sets the answer given when no script is queued; it may depend on the request.
    pub fn set_default(&self, responder: impl Fn(&ChatRequestSeen) -> String + Send + Sync + 'static) {
        self.set_default_script(move |seen| Script::Reply(responder(seen)));
    }

    /// Sets how to answer when no script is queued, as a script chosen from the request
    /// (e.g. a slow stream for one kind of request, a plain reply for another).
    pub fn set_default_script(&self, responder: impl Fn(&ChatRequestSeen) -> Script + Send + Sync + 'static) {
        *lock(&self.shared.default) = Arc::new(responder);
    }

    /// Sets a fixed answer for when no script is queued.
    pub fn set_default_reply(&self, text: impl Into<String>) {
        let text = text.into();
        self.set_default(move |_| text.clone());
    }

    /// Sets the pause between streamed chunks.
    pub fn set_chunk_delay(&self, delay: Duration) {
        *lock(&self.shared.chunk_delay) = delay;
    }

    /// From now on, answers 401 unless the request carries `Authorization: Bearer {key}`.
    pub fn require_api_key(&self, key: impl Into<String>) {
        *lock(&self.shared.api_key) = Some(key.into());
    }

    /// The JSON bodies of all chat requests received, in order.
    pub fn requests(&self) -> Vec<Value> {
        lock(&self.shared.seen).iter().map(|r| r.body.clone()).collect()
    }

    /// All chat requests received, in order.
    pub fn seen(&self) -> Vec<ChatRequestSeen> {
        lock(&self.shared.seen).clone()
    }

    /// How many chat requests were received (each retry is one).
    pub fn attempts(&self) -> usize {
        lock(&self.shared.seen).len()
    }

    /// Stops the server: open streams and hanging requests end, new connections are refused.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(server) = self.server.take() {
            // Connections still held open by a client are not waited on for long.
            if tokio::time::timeout(Duration::from_secs(2), server).await.is_err() {
                tracing::warn!("fake OpenAI server did not stop within 2 s");
            }
        }
    }
}

impl Drop for FakeOpenAi {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
        if let Some(server) = self.server.take() {
            server.abort();
        }
    }
}

/// An API root where nothing listens, for outage tests: connecting to it is refused.
///
/// The port was free a moment ago; another process could take it, which on a test machine is rare.
pub fn refused_base_url() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|addr| addr.port())
        .expect("find a free local port");
    format!("http://127.0.0.1:{port}/v1")
}

async fn chat_completions(State(shared): State<Arc<Shared>>, headers: HeaderMap, body: Bytes) -> Response {
    let seen = ChatRequestSeen::parse(&body, &headers);
    lock(&shared.seen).push(seen.clone());
    if let Some(refused) = check_key(&shared, &headers) {
        return refused;
    }
    if !seen.body["messages"].is_array() {
        return error_response(400, "'messages' is a required property");
    }
    let next = lock(&shared.scripts).pop_front();
    let script = next.unwrap_or_else(|| {
        let responder = lock(&shared.default).clone();
        responder(&seen)
    });
    let answer = Answer {
        id: format!("chatcmpl-fake-{}", shared.next_id.fetch_add(1, Ordering::Relaxed)),
        model: seen.model.clone(),
        prompt_tokens: seen.messages.iter().map(|m| m.content.split_whitespace().count()).sum(),
        include_usage: seen.include_usage,
        delay: *lock(&shared.chunk_delay),
        shutdown: shared.shutdown.clone(),
    };
    answer.respond(script, seen.stream).await
}

async fn models(State(shared): State<Arc<Shared>>, headers: HeaderMap) -> Response {
    if let Some(refused) = check_key(&shared, &headers) {
        return refused;
    }
    let body = json!({
        "object": "list",
        "data": [{ "id": FAKE_MODEL, "object": "model", "created": CREATED, "owned_by": "wayfinder-fake" }],
    });
    json_response(StatusCode::OK, &body)
}

fn check_key(shared: &Shared, headers: &HeaderMap) -> Option<Response> {
    let required = lock(&shared.api_key).clone()?;
    let given = headers.get(AUTHORIZATION).and_then(|v| v.to_str().ok());
    (given != Some(&format!("Bearer {required}")))
        .then(|| error_response(401, "Incorrect API key provided. You can find your API key in your account settings."))
}

/// The `created` timestamp of every answer: fixed, so recorded answers compare equal.
const CREATED: u64 = 1_700_000_000;

/// What one response needs besides its script.
struct Answer {
    id: String,
    model: String,
    prompt_tokens: usize,
    include_usage: bool,
    delay: Duration,
    shutdown: watch::Receiver<bool>,
}

/// One step of a streamed body.
enum Piece {
    Send(String),
    Pause(Duration),
    /// Wait until the fake shuts down, then drop the connection.
    Stall,
    /// Drop the connection now.
    Break,
}

impl Answer {
    async fn respond(mut self, mut script: Script, stream: bool) -> Response {
        loop {
            match script {
                Script::Delayed(delay, inner) => {
                    if self.sleep_or_shutdown(delay).await {
                        return error_response(503, "the fake server is shutting down");
                    }
                    script = *inner;
                }
                Script::Paced(delay, inner) => {
                    self.delay = delay;
                    script = *inner;
                }
                _ => break,
            }
        }
        match script {
            Script::Reply(text) => self.success(words(&text), true, stream),
            Script::ReplyChunks(chunks) => self.success(chunks, true, stream),
            Script::NoUsage(text) => self.success(words(&text), false, stream),
            Script::Status(status, body) => raw_response(status, &[], body),
            Script::Raw { status, headers, body } => raw_response(status, &headers, body),
            Script::RawSse(pieces) => {
                let pieces = self.paced(pieces.into_iter().map(Piece::Send).collect());
                self.event_stream(pieces)
            }
            Script::Hang => {
                let _ = self.shutdown.wait_for(|stop| *stop).await;
                error_response(503, "the fake server is shutting down")
            }
            Script::BreakAfter(chunks) if stream => self.streamed(chunks, None, Piece::Break),
            Script::BreakAfter(_) => {
                let half = format!(r#"{{"id":"{}","object":"chat.completion","choices":[{{"#, self.id);
                self.body_response("application/json", vec![Piece::Send(half), Piece::Break])
            }
            Script::StallAfter(chunks) if stream => self.streamed(chunks, None, Piece::Stall),
            Script::StallAfter(_) => self.body_response("application/json", vec![Piece::Stall]),
            Script::Delayed(..) | Script::Paced(..) => unreachable!("unwrapped above"),
        }
    }

    /// Returns `true` if the fake shut down before `delay` passed.
    async fn sleep_or_shutdown(&mut self, delay: Duration) -> bool {
        tokio::select! {
            () = tokio::time::sleep(delay) => false,
            _ = self.shutdown.wait_for(|stop| *stop) => true,
        }
    }

    fn success(self, chunks: Vec<String>, with_usage: bool, stream: bool) -> Response {
        let usage = with_usage.then(|| self.usage(chunks.len()));
        if stream {
            return self.streamed(chunks, usage, Piece::Send("data: [DONE]\n\n".into()));
        }
        let mut body = json!({
            "id": self.id,
            "object": "chat.completion",
            "created": CREATED,
            "model": self.model,
            "choices": [{
                "index": 0,
                "message": { "role": "assistant", "content": chunks.concat() },
                "logprobs": null,
                "finish_reason": "stop",
            }],
            "system_fingerprint": null,
        });
        if let Some(usage) = usage {
            body["usage"] = usage;
        }
        json_response(StatusCode::OK, &body)
    }

    fn usage(&self, completion_tokens: usize) -> Value {
        json!({
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": self.prompt_tokens + completion_tokens,
        })
    }

    /// An OpenAI stream: the role chunk, one chunk per piece of content, then either (`ending` is
    /// `[DONE]`) a finish chunk, the usage chunk if asked for, and `[DONE]` — or the given failure.
    fn streamed(self, chunks: Vec<String>, usage: Option<Value>, ending: Piece) -> Response {
        let mut pieces = vec![Piece::Send(self.chunk(json!({ "role": "assistant", "content": "" }), None))];
        for content in chunks {
            pieces.push(Piece::Pause(self.delay));
            pieces.push(Piece::Send(self.chunk(json!({ "content": content }), None)));
        }
        if matches!(ending, Piece::Send(_)) {
            pieces.push(Piece::Send(self.chunk(json!({}), Some("stop"))));
            if let Some(usage) = usage.filter(|_| self.include_usage) {
                let mut last = self.chunk_body(json!([]));
                last["usage"] = usage;
                pieces.push(Piece::Send(format!("data: {last}\n\n")));
            }
        } else {
            pieces.push(Piece::Pause(self.delay));
        }
        pieces.push(ending);
        self.event_stream(pieces)
    }

    fn chunk(&self, delta: Value, finish_reason: Option<&str>) -> String {
        let choices = json!([{ "index": 0, "delta": delta, "logprobs": null, "finish_reason": finish_reason }]);
        format!("data: {}\n\n", self.chunk_body(choices))
    }

    fn chunk_body(&self, choices: Value) -> Value {
        let mut body = json!({
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": CREATED,
            "model": self.model,
            "system_fingerprint": null,
            "choices": choices,
        });
        if self.include_usage {
            body["usage"] = Value::Null; // as OpenAI does on every chunk but the last
        }
        body
    }

    /// Puts `chunk_delay` between pieces.
    fn paced(&self, pieces: Vec<Piece>) -> Vec<Piece> {
        let mut paced = Vec::with_capacity(pieces.len() * 2);
        for (i, piece) in pieces.into_iter().enumerate() {
            if i > 0 {
                paced.push(Piece::Pause(self.delay));
            }
            paced.push(piece);
        }
        paced
    }

    fn event_stream(self, pieces: Vec<Piece>) -> Response {
        let mut response = self.body_response("text/event-stream", pieces);
        response.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        response
    }

    /// A 200 whose body is sent piece by piece; a failure piece aborts the connection.
    fn body_response(self, content_type: &'static str, pieces: Vec<Piece>) -> Response {
        let body = futures::stream::unfold((pieces.into_iter(), self), move |(mut pieces, mut answer)| async move {
            loop {
                let item = match pieces.next()? {
                    Piece::Send(text) => Ok(Bytes::from(text)),
                    Piece::Pause(delay) => {
                        if !answer.sleep_or_shutdown(delay).await {
                            continue;
                        }
                        Err(dropped())
                    }
                    Piece::Break => Err(dropped()),
                    Piece::Stall => {
                        let _ = answer.shutdown.wait_for(|stop| *stop).await;
                        Err(dropped())
                    }
                };
                // Nothing follows a failure.
                let rest = if item.is_err() { Vec::new().into_iter() } else { pieces };
                return Some((item, (rest, answer)));
            }
        });
        ([(CONTENT_TYPE, content_type)], Body::from_stream(body)).into_response()
    }
}

/// Splits text into word-sized chunks, each word with the whitespace before it (as BPE tokens go).
fn words(text: &str) -> Vec<String> {
    let mut chunks: Vec<String> = Vec::new();
    let mut has_word = false;
    for c in text.chars() {
        match chunks.last_mut() {
            Some(last) if !(c.is_whitespace() && has_word) => last.push(c),
            _ => {
                chunks.push(c.to_string());
                has_word = false;
            }
        }
        has_word |= !c.is_whitespace();
    }
    chunks
}

/// The body error that makes the server drop the connection mid-response.
fn dropped() -> std::io::Error {
    std::io::Error::other("scripted connection drop")
}

fn error_body(status: u16, message: &str) -> Value {
    let (kind, code) = match status {
        401 => ("invalid_request_error", "invalid_api_key"),
        429 => ("requests", "rate_limit_exceeded"),
        500..=599 => ("server_error", "server_error"),
        _ => ("invalid_request_error", "invalid_request"),
    };
    json!({ "error": { "message": message, "type": kind, "param": null, "code": code } })
}

fn error_response(status: u16, message: &str) -> Response {
    json_response(
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        &error_body(status, message),
    )
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    (status, [(CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

fn raw_response(status: u16, headers: &[(String, String)], body: String) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let content_type =
        if serde_json::from_str::<Value>(&body).is_ok() { "application/json" } else { "text/plain; charset=utf-8" };
    let mut response = (status, [(CONTENT_TYPE, content_type)], body).into_response();
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(name.as_str()), HeaderValue::try_from(value.as_str())) {
            response.headers_mut().insert(name, value);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_streamed_word_by_word() {
        assert_eq!(words("one two  three"), ["one", " two", "  three"]);
        assert_eq!(words(" lead"), [" lead"]);
        assert_eq!(words("end "), ["end", " "]);
        assert!(words("").is_empty());
        assert_eq!(words("The answer is 42.").concat(), "The answer is 42.");
    }
}
