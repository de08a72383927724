//! A stand-in speech service to run beside `wayfinder serve`: the scripted fake OpenAI-compatible
//! speech server of the tests, as its own process. The browser tests point voice answers at it,
//! and it lets anyone try answering an interview by voice without a real speech model.
//!
//! ```sh
//! cargo run -p wayfinder-speech --example fake_speech_server --features fake -- [--listen 127.0.0.1:8299] [--delay-ms 200]
//! ```
//! It prints its API root (`http://ADDR/v1`) on stdout once it listens, and serves until it is
//! stopped. `--port PORT` is short for `--listen 127.0.0.1:PORT`; the default is a free port.
//!
//! Every well-formed recording is answered with `--transcript TEXT` (default: the fake's
//! default transcript); a malformed one gets a 400. Reading aloud gives a quiet tone, 60 ms per
//! character.
//!
//! `POST /control/next` queues how the next requests go, one entry per request, in order:
//! `[{"transcript": "I would ask sooner."}, {"status": 503}]`.
//! `GET /control/requests` counts the requests received and lists the recordings' formats and
//! lengths.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::OnceCell;
use wayfinder_speech::fake::FakeSpeech;

/// How one of the next requests goes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NextAnswer {
    /// The transcript of the next recording.
    transcript: Option<String>,
    /// Answer the next request with this HTTP error status instead.
    status: Option<u16>,
}

/// The running fake, set once it listens (the control routes are made before it starts).
type Control = Arc<OnceCell<FakeSpeech>>;

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut listen = SocketAddr::from(([127, 0, 0, 1], 0));
    let mut delay = Duration::ZERO;
    let mut transcript = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| args.next().unwrap_or_else(|| usage(&format!("{name} needs a value")));
        match arg.as_str() {
            "--listen" => {
                let raw = value("--listen");
                listen = raw.parse().unwrap_or_else(|_| usage(&format!("--listen takes HOST:PORT, not {raw:?}")));
            }
            "--port" => {
                let raw = value("--port");
                let port = raw.parse::<u16>().unwrap_or_else(|_| usage(&format!("--port takes a port, not {raw:?}")));
                listen = SocketAddr::from(([127, 0, 0, 1], port));
            }
            "--delay-ms" => {
                let raw = value("--delay-ms");
                let ms = raw.parse().unwrap_or_else(|_| usage(&format!("--delay-ms takes a number, not {raw:?}")));
                delay = Duration::from_millis(ms);
            }
            "--transcript" => transcript = Some(value("--transcript")),
            "-h" | "--help" => {
                println!("{HELP}");
                return;
            }
            other => usage(&format!("unknown argument {other:?}")),
        }
    }

    let control: Control = Arc::default();
    let routes = Router::new()
        .route("/control/next", post(queue_next))
        .route("/control/requests", get(requests))
        .with_state(control.clone());
    let fake = FakeSpeech::start_on(listen, routes).await.unwrap_or_else(|e| {
        eprintln!("fake_speech_server: cannot listen on {listen}: {e}");
        std::process::exit(1);
    });
    fake.set_delay(delay);
    if let Some(text) = transcript {
        fake.set_default_transcript(text);
    }
    println!("{}", fake.base_url());
    let _ = control.set(fake);
    // Stopped by a signal; the fake has nothing to clean up.
    std::future::pending::<()>().await;
}

const HELP: &str = "fake_speech_server [--listen ADDR | --port PORT] [--delay-ms MS] [--transcript TEXT]\n\
                    A fake OpenAI-compatible speech service; prints its API root on stdout.";

fn usage(problem: &str) -> ! {
    eprintln!("fake_speech_server: {problem}\n{HELP}");
    std::process::exit(2);
}

async fn queue_next(State(control): State<Control>, body: Bytes) -> Response {
    let Some(fake) = control.get() else { return json_response(StatusCode::SERVICE_UNAVAILABLE, &json!({})) };
    let entries = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Array(items)) => items,
        Ok(one) => vec![one],
        Err(e) => return json_response(StatusCode::BAD_REQUEST, &json!({ "error": e.to_string() })),
    };
    let mut parsed = Vec::with_capacity(entries.len());
    for entry in entries {
        match serde_json::from_value::<NextAnswer>(entry) {
            Ok(next) => parsed.push(next),
            Err(e) => return json_response(StatusCode::UNPROCESSABLE_ENTITY, &json!({ "error": e.to_string() })),
        }
    }
    for next in parsed {
        if let Some(status) = next.status {
            fake.fail_next(status, "scripted failure of the fake speech service");
        }
        if let Some(text) = next.transcript {
            fake.push_transcript(text);
        }
    }
    json_response(StatusCode::OK, &json!({ "queued": true }))
}

async fn requests(State(control): State<Control>) -> Response {
    let Some(fake) = control.get() else { return json_response(StatusCode::SERVICE_UNAVAILABLE, &json!({})) };
    let recordings: Vec<Value> = fake
        .requests()
        .iter()
        .map(|seen| {
            json!({ "format": seen.format, "duration_ms": seen.duration_ms, "bytes": seen.bytes,
                             "model": seen.model, "language": seen.language })
        })
        .collect();
    json_response(
        StatusCode::OK,
        &json!({ "transcriptions": fake.attempts(), "speech": fake.spoken().len(), "recordings": recordings }),
    )
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    (status, [(CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}
