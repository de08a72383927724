//! A fake messaging platform on `127.0.0.1`, for tests at the network edge:
//! Telegram's Bot API `sendMessage` and the WhatsApp Cloud API's `messages`
//! on one server, so a test points both API settings at `base_url()`.
//!
//! Every request is recorded as it arrives (`requests`), before the fake
//! decides how to answer: normally with success and a fresh message id;
//! with the next queued failure (`fail_next`: a 429 with `retry_after`, a 5xx,
//! a refusal); or not at all once `hold_after` requests were answered (the
//! request waits until `release`), so a test can stop a sender mid-send.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use serde_json::{Value, json};
use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// One request the fake received.
#[derive(Clone, Debug)]
pub struct Received {
    /// `telegram` or `whatsapp`.
    pub platform: &'static str,
    /// The bot token (Telegram) or the phone number id (WhatsApp) in the path.
    pub account: String,
    /// The chat id or the recipient's number.
    pub destination: String,
    /// The text sent, or a template's body parameter.
    pub text: String,
    /// The whole request body.
    pub body: Value,
    pub at: Instant,
    /// Whether it was answered with success (a failure or a held request is not).
    pub delivered: bool,
}

/// A failure the fake answers the next request with.
#[derive(Clone, Debug)]
pub enum Failure {
    /// 429, with the platform's way of saying how long to wait.
    RateLimited { retry_after: u64 },
    /// 502.
    ServerError,
    /// A refusal for good (Telegram 403 "bot was blocked", WhatsApp 131026 "undeliverable").
    Refused,
}

#[derive(Default)]
struct Inner {
    received: Vec<Received>,
    failures: VecDeque<Failure>,
    /// Requests answered before the fake starts holding them.
    hold_after: Option<usize>,
    answered: usize,
    next_id: u64,
}

/// The running fake.
#[derive(Clone)]
pub struct FakePlatform {
    addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
    released: watch::Sender<bool>,
}

impl FakePlatform {
    /// Binds a free port and serves until the process ends.
    pub async fn start() -> FakePlatform {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind the fake platform");
        let addr = listener.local_addr().expect("the fake's address");
        let (released, _) = watch::channel(false);
        let fake = FakePlatform { addr, inner: Arc::default(), released };
        let app = Router::new()
            .route("/{bot}/sendMessage", post(telegram))
            .route("/{version}/{number}/messages", post(whatsapp))
            .with_state(fake.clone());
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        fake
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<Received> {
        self.lock().received.clone()
    }

    /// The requests answered with success, in arrival order.
    pub fn delivered(&self) -> Vec<Received> {
        self.lock().received.iter().filter(|r| r.delivered).cloned().collect()
    }

    /// Answers the next request with `failure` (queued after earlier ones).
    pub fn fail_next(&self, failure: Failure) {
        self.lock().failures.push_back(failure);
    }

    /// Answers `count` more requests, then holds every later one until [`FakePlatform::release`].
    pub fn hold_after(&self, count: usize) {
        let mut inner = self.lock();
        inner.hold_after = Some(inner.answered + count);
    }

    /// Answers held and later requests again.
    pub fn release(&self) {
        self.lock().hold_after = None;
        let _ = self.released.send(true);
    }

    /// Waits until `done` holds for the requests, polling; panics after `timeout`.
    pub async fn wait_until(&self, timeout: Duration, done: impl Fn(&[Received]) -> bool) -> Vec<Received> {
        let started = Instant::now();
        loop {
            let requests = self.requests();
            if done(&requests) {
                return requests;
            }
            assert!(started.elapsed() < timeout, "the fake platform waited {timeout:?} in vain; it has {requests:#?}");
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// Records a request and decides its answer: `Ok(id)` for success, `Err(failure)`, or
    /// holds until released (then succeeds).
    async fn take(&self, mut received: Received) -> Result<u64, Failure> {
        let (index, hold, failure) = {
            let mut inner = self.lock();
            let failure = inner.failures.pop_front();
            let hold = failure.is_none() && inner.hold_after.is_some_and(|limit| inner.answered >= limit);
            received.delivered = failure.is_none() && !hold;
            inner.received.push(received);
            if !hold {
                inner.answered += 1;
            }
            (inner.received.len() - 1, hold, failure)
        };
        if let Some(failure) = failure {
            return Err(failure);
        }
        if hold {
            let mut released = self.released.subscribe();
            let _ = released.wait_for(|r| *r).await;
            let mut inner = self.lock();
            inner.received[index].delivered = true;
            inner.answered += 1;
        }
        let mut inner = self.lock();
        inner.next_id += 1;
        Ok(inner.next_id)
    }
}

async fn telegram(State(fake): State<FakePlatform>, Path(bot): Path<String>, body: axum::Json<Value>) -> Response {
    let Some(token) = bot.strip_prefix("bot") else { return StatusCode::NOT_FOUND.into_response() };
    let received = Received {
        platform: "telegram",
        account: token.to_string(),
        destination: text_of(&body["chat_id"]),
        text: body["text"].as_str().unwrap_or_default().to_string(),
        body: body.0.clone(),
        at: Instant::now(),
        delivered: false,
    };
    match fake.take(received).await {
        Ok(id) => axum::Json(json!({ "ok": true, "result": { "message_id": id, "date": 0, "chat": { "id": body["chat_id"] } } }))
            .into_response(),
        Err(Failure::RateLimited { retry_after }) => (
            StatusCode::TOO_MANY_REQUESTS,
            axum::Json(json!({ "ok": false, "error_code": 429, "description": format!("Too Many Requests: retry after {retry_after}"),
                "parameters": { "retry_after": retry_after } })),
        )
            .into_response(),
        Err(Failure::ServerError) => (
            StatusCode::BAD_GATEWAY,
            axum::Json(json!({ "ok": false, "error_code": 502, "description": "Bad Gateway" })),
        )
            .into_response(),
        Err(Failure::Refused) => (
            StatusCode::FORBIDDEN,
            axum::Json(json!({ "ok": false, "error_code": 403, "description": "Forbidden: bot was blocked by the user" })),
        )
            .into_response(),
    }
}

async fn whatsapp(
    State(fake): State<FakePlatform>,
    Path((_version, number)): Path<(String, String)>,
    body: axum::Json<Value>,
) -> Response {
    let text = match body["type"].as_str() {
        Some("template") => &body["template"]["components"][0]["parameters"][0]["text"],
        _ => &body["text"]["body"],
    };
    let received = Received {
        platform: "whatsapp",
        account: number,
        destination: text_of(&body["to"]),
        text: text.as_str().unwrap_or_default().to_string(),
        body: body.0.clone(),
        at: Instant::now(),
        delivered: false,
    };
    let error = |status: StatusCode, code: i64, message: &str| {
        (status, axum::Json(json!({ "error": { "message": message, "type": "OAuthException", "code": code } })))
            .into_response()
    };
    match fake.take(received).await {
        Ok(id) => axum::Json(
            json!({ "messaging_product": "whatsapp", "contacts": [{ "input": body["to"], "wa_id": body["to"] }],
            "messages": [{ "id": format!("wamid.fake{id}") }] }),
        )
        .into_response(),
        Err(Failure::RateLimited { retry_after }) => {
            let mut response = error(StatusCode::TOO_MANY_REQUESTS, 130_429, "Rate limit hit");
            response.headers_mut().insert("retry-after", retry_after.into());
            response
        }
        Err(Failure::ServerError) => error(StatusCode::BAD_GATEWAY, 1, "An unknown error occurred"),
        Err(Failure::Refused) => error(StatusCode::BAD_REQUEST, 131_026, "Message undeliverable"),
    }
}

fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}
