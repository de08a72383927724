//! A stand-in chat model to run beside `wayfinder serve`: the scripted fake
//! OpenAI-compatible server of the tests, as its own process. The browser
//! tests point the coach at it, and it lets anyone try the coach's streamed,
//! cited answers without a real model.
//!
//! ```sh
//! cargo run -p wayfinder-llm --example fake_openai_server --features fake -- [--port 8199] [--chunk-delay-ms 30]
//! WAYFINDER_CHAT_BASE_URL=http://127.0.0.1:8199/v1 WAYFINDER_CHAT_MODEL=fake-model wayfinder serve
//! ```
//! It prints its API root (`http://127.0.0.1:PORT/v1`) on stdout once it
//! listens, and serves until it is stopped.
//!
//! Every answer quotes the sentence of source [1] of the prompt closest to
//! the question and cites it, streamed word by word with a short pause so streaming is
//! visible. Follow-up rewriting gets the learner's message back unchanged and
//! domain routing gets "none", so retrieval sees the learner's own words.
//!
//! `POST /control/next-answers` queues how the next answers go, for tests that
//! need a slow answer or a failing model; each entry applies to one answer
//! (streamed request), in order:
//! `[{"chunk_delay_ms": 300}, {"break_after": ["Half an ", "answer"]}, {"status": 500}]`.
//! `GET /control/requests` counts the chat requests received.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
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
use wayfinder_llm::fake::{ChatRequestSeen, FakeOpenAi, Script};

/// How one of the next answers goes.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct NextAnswer {
    /// The answer's text (default: the usual reply, quoting source [1]).
    reply: Option<String>,
    /// Pause between streamed words, in milliseconds (default: the server's).
    chunk_delay_ms: Option<u64>,
    /// Stream these pieces, then drop the connection: a model failing mid-answer.
    break_after: Option<Vec<String>>,
    /// Answer with this HTTP error status instead.
    status: Option<u16>,
}

#[derive(Default)]
struct Control {
    next: Mutex<VecDeque<NextAnswer>>,
    requests: AtomicUsize,
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut port = 0u16;
    let mut chunk_delay = Duration::from_millis(30);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let mut value = |name: &str| {
            let raw = args.next().unwrap_or_else(|| usage(&format!("{name} needs a value")));
            raw.parse::<u64>().unwrap_or_else(|_| usage(&format!("{name} takes a number, not {raw:?}")))
        };
        match arg.as_str() {
            "--port" => port = u16::try_from(value("--port")).unwrap_or_else(|_| usage("--port is at most 65535")),
            "--chunk-delay-ms" => chunk_delay = Duration::from_millis(value("--chunk-delay-ms")),
            "-h" | "--help" => {
                println!("{HELP}");
                return;
            }
            other => usage(&format!("unknown argument {other:?}")),
        }
    }

    let control = Arc::new(Control::default());
    let routes = Router::new()
        .route("/control/next-answers", post(queue_answers))
        .route("/control/requests", get(count_requests))
        .with_state(control.clone());
    let fake = FakeOpenAi::start_on(SocketAddr::from(([127, 0, 0, 1], port)), routes).await.unwrap_or_else(|e| {
        eprintln!("fake_openai_server: cannot listen on port {port}: {e}");
        std::process::exit(1);
    });
    fake.set_chunk_delay(chunk_delay);
    fake.set_default_script(move |seen| {
        control.requests.fetch_add(1, Ordering::Relaxed);
        answer(seen, &control)
    });
    println!("{}", fake.base_url());
    // Stopped by a signal; the fake has nothing to clean up.
    std::future::pending::<()>().await;
}

const HELP: &str = "fake_openai_server [--port PORT] [--chunk-delay-ms MS]\n\
                    A fake OpenAI-compatible chat model; prints its API root on stdout.";

fn usage(problem: &str) -> ! {
    eprintln!("fake_openai_server: {problem}\n{HELP}");
    std::process::exit(2);
}

fn answer(seen: &ChatRequestSeen, control: &Control) -> Script {
    let system = seen.system_prompt().unwrap_or_default();
    let message = seen.last_user_message().unwrap_or_default();
    if !seen.stream {
        // The coach's helper requests, recognised by their prompts (crates/coach: rewrite.rs, routing.rs).
        if system.starts_with("You rewrite the latest message") {
            return Script::Reply(latest_message(message).to_owned());
        }
        if system.starts_with("You sort a learner's question") {
            return Script::Reply("none".into());
        }
        return Script::Reply(default_reply(message));
    }
    let next = control.next.lock().unwrap_or_else(PoisonError::into_inner).pop_front();
    let Some(next) = next else { return Script::Reply(default_reply(message)) };
    let script = if let Some(status) = next.status {
        Script::error(status, "scripted failure of the fake model")
    } else if let Some(pieces) = next.break_after {
        Script::BreakAfter(pieces)
    } else {
        Script::Reply(next.reply.unwrap_or_else(|| default_reply(message)))
    };
    match next.chunk_delay_ms {
        Some(ms) => Script::Paced(Duration::from_millis(ms), Box::new(script)),
        None => script,
    }
}

/// The learner's message in a rewrite prompt (`Latest message: …` up to the blank line).
fn latest_message(prompt: &str) -> &str {
    prompt
        .split_once("Latest message:")
        .map(|(_, rest)| rest.split("\n\n").next().unwrap_or(rest).trim())
        .unwrap_or(prompt)
}

/// An answer that quotes source [1] and cites it, or says there was nothing to go on.
fn default_reply(prompt: &str) -> String {
    match source_sentence(prompt) {
        Some(sentence) => format!(
            "Here is what your material says: {sentence} [1]\n\n\
             Try it on your next study session, and tell me how it went so we can adjust."
        ),
        None => "I could not find anything about this in the material I was given, so I won't guess.".into(),
    }
}

/// The sentence of the passage numbered [1] in a coach prompt (`[1] Title — Section` and the passage
/// on the following lines) that shares most words with the question; the first on a tie.
fn source_sentence(prompt: &str) -> Option<String> {
    let start = prompt.find("\n[1] ").map(|i| i + 1).or_else(|| prompt.starts_with("[1] ").then_some(0))?;
    let after_header = prompt[start..].split_once('\n')?.1;
    // The passage runs to the next source or the question (it may hold blank lines itself).
    let end = ["\n\n[2] ", "\n\nQuestion:"].iter().filter_map(|m| after_header.find(m)).min();
    let passage = &after_header[..end.unwrap_or(after_header.len())];
    let question = prompt.rsplit_once("Question:").map(|(_, q)| q).unwrap_or_default();
    let words = |text: &str| -> Vec<String> {
        text.split(|c: char| !c.is_alphanumeric()).filter(|w| w.len() > 3).map(str::to_lowercase).collect()
    };
    let asked = words(question);
    let sentences = passage
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .collect::<Vec<_>>()
        .join(" ");
    let mut best: Option<(usize, &str)> = None;
    for sentence in sentences.split_inclusive(['.', '!', '?']).map(str::trim).filter(|s| s.len() > 1) {
        let overlap = words(sentence).iter().filter(|w| asked.contains(w)).count();
        if best.is_none_or(|(most, _)| overlap > most) {
            best = Some((overlap, sentence));
        }
    }
    best.map(|(_, sentence)| sentence.chars().take(240).collect())
}

async fn queue_answers(State(control): State<Arc<Control>>, body: Bytes) -> Response {
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
    let mut queue = control.next.lock().unwrap_or_else(PoisonError::into_inner);
    queue.extend(parsed);
    json_response(StatusCode::OK, &json!({ "queued": queue.len() }))
}

async fn count_requests(State(control): State<Arc<Control>>) -> Response {
    json_response(StatusCode::OK, &json!({ "chat_requests": control.requests.load(Ordering::Relaxed) }))
}

fn json_response(status: StatusCode, body: &Value) -> Response {
    (status, [(CONTENT_TYPE, "application/json")], body.to_string()).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reply_quotes_and_cites_source_one() {
        let prompt = "Sources:\n\n[1] Study Habits — Focus (p. 2)\n# Focus\n\nWork in focused blocks.\n\nEach block \
                      lasts twenty-five minutes. Then rest.\n\n[2] Other\nText about minutes.\n\n\
                      Question: How many minutes does a block last?";
        assert_eq!(source_sentence(prompt).as_deref(), Some("Each block lasts twenty-five minutes."));
        assert!(default_reply(prompt).contains("twenty-five minutes. [1]"));
        let unrelated = prompt.replace("How many minutes does a block last?", "Anything?");
        assert_eq!(source_sentence(&unrelated).as_deref(), Some("Work in focused blocks."), "the first on a tie");
        assert!(!default_reply("Sources: none were found for this question.").contains("[1]"));
    }

    #[test]
    fn rewriting_returns_the_learners_message() {
        let prompt = "Conversation:\nLearner: a\n\nLatest message: and the breaks?\n\nStandalone question:";
        assert_eq!(latest_message(prompt), "and the breaks?");
    }
}
