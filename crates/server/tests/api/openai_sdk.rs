//! The OpenAI-compatible endpoints as OpenAI's own Python SDK sees them: an
//! API token as the key, `/v1/models` listing the coaches, and
//! `/v1/chat/completions` answering through the coach pipeline (a fake model
//! behind it), whole and streamed token by token, with the validated
//! citations in the extra field — on both backends.
//!
//! The SDK comes from PyPI: `scripts/test` installs the `openai` package into
//! `target/` and points `WAYFINDER_TEST_PYTHONPATH` at it.

use crate::{
    coach::{models, spawn, world_with_guide},
    helpers::*,
};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;
use wayfinder_llm::fake::FakeOpenAi;

/// Runs the SDK against the server at `BASE` with the token `KEY`; prints one JSON object.
const CLIENT: &str = r#"
import json, os, time
import openai
from openai import OpenAI

client = OpenAI(base_url=os.environ["BASE"], api_key=os.environ["KEY"], max_retries=0, timeout=30)
out = {"version": openai.__version__}
models = client.models.list()
out["models"] = [m.id for m in models.data]
model = os.environ["MODEL"]
question = [{"role": "system", "content": "Be brief."},
            {"role": "user", "content": "How should I review flashcards?"}]

whole = client.chat.completions.create(model=model, messages=question)
out["whole"] = {"content": whole.choices[0].message.content, "role": whole.choices[0].message.role,
                "finish_reason": whole.choices[0].finish_reason,
                "total_tokens": whole.usage.total_tokens if whole.usage else None,
                "citations": (whole.model_extra or {}).get("citations")}

pieces, arrivals, citations, finish = [], [], None, None
for chunk in client.chat.completions.create(model=model, messages=question, stream=True):
    extra = chunk.model_extra or {}
    if extra.get("citations") is not None:
        citations = extra["citations"]
    if chunk.choices:
        if chunk.choices[0].delta.content:
            pieces.append(chunk.choices[0].delta.content)
            arrivals.append(time.monotonic())
        if chunk.choices[0].finish_reason:
            finish = chunk.choices[0].finish_reason
out["stream"] = {"pieces": pieces, "spread": (arrivals[-1] - arrivals[0]) if arrivals else 0,
                 "citations": citations, "finish_reason": finish}

try:
    client.chat.completions.create(model="no-such-coach", messages=question)
    out["unknown_model"] = None
except openai.NotFoundError as e:
    out["unknown_model"] = {"status": e.status_code, "code": e.code}
try:
    OpenAI(base_url=os.environ["BASE"], api_key="wft_not-a-token", max_retries=0).models.list()
    out["bad_key"] = None
except openai.AuthenticationError as e:
    out["bad_key"] = {"status": e.status_code}
print(json.dumps(out))
"#;

/// The SDK's output for a server at `base` (the `/v1` root).
async fn run_sdk(base: String, key: String, model: String) -> Value {
    let pythonpath = std::env::var("WAYFINDER_TEST_PYTHONPATH").unwrap_or_default();
    let python = std::env::var("WAYFINDER_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new(python)
            .args(["-c", CLIENT])
            .env("PYTHONPATH", pythonpath)
            .env("BASE", base)
            .env("KEY", key)
            .env("MODEL", model)
            .output()
    })
    .await
    .unwrap()
    .expect("run python3");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !stderr.contains("No module named 'openai'"),
        "this test needs the openai Python package: scripts/test installs it and sets WAYFINDER_TEST_PYTHONPATH"
    );
    assert!(output.status.success(), "the SDK client failed:\n{stderr}");
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("SDK output is JSON ({e}): {stderr}"))
}

async fn openai_sdk_talks_to_a_coach(backend: Backend) {
    let fake = FakeOpenAi::start().await;
    fake.set_default_reply(
        "Review flashcards in spaced sessions and say each answer before turning the card [1]. \
         Keep the ones you miss for the next session [9].",
    );
    fake.set_chunk_delay(Duration::from_millis(25));
    let w = world_with_guide(spawn(backend, models(fake.base_url())).await).await;

    let (status, coaches) = w.learner.client.get(&format!("/orgs/{}/coaches", w.org_a)).await;
    assert_eq!(status, StatusCode::OK, "{coaches}");
    let coach = coaches["coaches"][0]["id"].as_str().unwrap().to_string();
    let (status, token) = w.learner.client.post("/tokens", json!({ "name": "sdk" })).await;
    assert_eq!(status, StatusCode::CREATED, "{token}");
    let key = token["secret"].as_str().unwrap().to_string();

    let out = run_sdk(w.app.url("/v1"), key, coach.clone()).await;

    // Each coach the learner may use is a model; org B's coaches are not listed.
    assert_eq!(out["models"], json!([coach]), "{out}");

    // Whole: the stored answer, the citation to a source it was not given ([9]) dropped.
    let whole = &out["whole"];
    let content = whole["content"].as_str().unwrap();
    assert!(content.starts_with("Review flashcards in spaced sessions"), "{out}");
    assert!(content.contains("[1]") && !content.contains("[9]"), "{out}");
    assert_eq!(whole["role"], "assistant");
    assert_eq!(whole["finish_reason"], "stop");
    assert!(whole["total_tokens"].as_i64().unwrap() > 0, "{out}");
    let citations = whole["citations"].as_array().unwrap();
    assert_eq!(citations.len(), 1, "{out}");
    assert_eq!(citations[0]["number"], 1);
    assert_eq!(citations[0]["document_title"], "Study Skills Handbook");

    // Streamed: the answer arrives in many pieces over time, the last chunk carries the citations.
    let stream = &out["stream"];
    let pieces: Vec<&str> = stream["pieces"].as_array().unwrap().iter().map(|p| p.as_str().unwrap()).collect();
    assert!(pieces.len() >= 10, "token by token: {out}");
    assert!(stream["spread"].as_f64().unwrap() > 0.1, "pieces arrive over time, not at once: {out}");
    assert!(pieces.concat().starts_with("Review flashcards in spaced sessions"), "{out}");
    assert_eq!(stream["finish_reason"], "stop");
    assert_eq!(stream["citations"].as_array().unwrap().len(), 1, "{out}");

    // Errors come back as the SDK's own exception types.
    assert_eq!(out["unknown_model"], json!({ "status": 404, "code": "model_not_found" }), "{out}");
    assert_eq!(out["bad_key"]["status"], 401, "{out}");

    // The stateless calls reached the model twice and stored no conversation.
    assert_eq!(fake.attempts(), 2);
    let (_, list) = w.learner.client.get(&format!("/orgs/{}/conversations", w.org_a)).await;
    assert!(list["conversations"].as_array().unwrap().is_empty(), "{list}");
}

wayfinder_testing::on_both_backends!(openai_sdk_talks_to_a_coach);
