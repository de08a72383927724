use std::time::Duration;

use wayfinder_llm::fake::{FAKE_MODEL, FakeOpenAi, Script};
use wayfinder_llm::{ChatError, ChatModel};

use crate::helpers::{client, question};

#[tokio::test]
async fn models_are_listed() {
    let fake = FakeOpenAi::start().await;

    let response = reqwest::get(format!("{}/models", fake.base_url())).await.unwrap();

    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["object"], "list");
    assert_eq!(body["data"][0]["id"], FAKE_MODEL);
    assert_eq!(fake.attempts(), 0, "only chat requests count");
}

#[tokio::test]
async fn base_url_points_at_v1_on_loopback() {
    let fake = FakeOpenAi::start().await;
    assert_eq!(fake.base_url(), format!("http://127.0.0.1:{}/v1", fake.addr().port()));
    assert_ne!(fake.addr().port(), 0);
}

#[tokio::test]
async fn streamed_chunks_follow_the_openai_wire_format() {
    let fake = FakeOpenAi::start().await;
    fake.push(Script::Reply("Hi there".into()));
    let body = serde_json::json!({
        "model": "x", "stream": true, "stream_options": { "include_usage": true },
        "messages": [{ "role": "user", "content": "one two three" }],
    });

    let text = reqwest::Client::new()
        .post(format!("{}/chat/completions", fake.base_url()))
        .json(&body)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();

    let events: Vec<&str> = text.split("\n\n").filter(|e| !e.is_empty()).collect();
    assert!(events.iter().all(|e| e.starts_with("data: ")), "{text}");
    assert_eq!(events.last(), Some(&"data: [DONE]"));
    let chunks: Vec<serde_json::Value> =
        events[..events.len() - 1].iter().map(|e| serde_json::from_str(&e["data: ".len()..]).unwrap()).collect();
    assert_eq!(chunks[0]["choices"][0]["delta"]["role"], "assistant");
    assert_eq!(chunks[1]["choices"][0]["delta"]["content"], "Hi");
    assert_eq!(chunks[2]["choices"][0]["delta"]["content"], " there");
    assert_eq!(chunks[3]["choices"][0]["finish_reason"], "stop");
    assert_eq!(chunks[4]["choices"], serde_json::json!([]));
    assert_eq!(
        chunks[4]["usage"],
        serde_json::json!({ "prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5 })
    );
    assert!(chunks.iter().all(|c| c["object"] == "chat.completion.chunk" && c["model"] == "x"));
}

#[tokio::test]
async fn requests_without_messages_are_refused_like_openai_does() {
    let fake = FakeOpenAi::start().await;
    fake.push(Script::Reply("kept for the next valid request".into()));

    let response = reqwest::Client::new()
        .post(format!("{}/chat/completions", fake.base_url()))
        .body("not json")
        .send()
        .await
        .unwrap();

    assert_eq!(response.status(), 400);
    assert_eq!(fake.requests(), [serde_json::Value::Null]);
    assert_eq!(fake.pending_scripts(), 1);
}

#[tokio::test]
async fn shutdown_ends_hanging_requests_and_refuses_new_ones() {
    let fake = FakeOpenAi::start().await;
    fake.push(Script::Hang);
    let chat = client(&fake, |c| {
        c.max_retries = 0;
        c.timeout = Duration::from_secs(10);
    });

    let pending = tokio::spawn(async move { chat.complete(&question()).await });
    while fake.attempts() == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let config = fake.config();
    tokio::time::timeout(Duration::from_secs(3), fake.shutdown()).await.expect("shutdown is prompt");

    let hung = tokio::time::timeout(Duration::from_secs(3), pending).await.expect("the hang ended").unwrap();
    assert!(matches!(hung, Err(ChatError::Server { status: 503, .. })), "{hung:?}");
    let after = wayfinder_llm::OpenAiChat::new(wayfinder_llm::OpenAiConfig { max_retries: 0, ..config }).unwrap();
    let error = after.complete(&question()).await.unwrap_err();
    assert!(matches!(error, ChatError::Unavailable { .. }), "{error:?}");
}

#[tokio::test]
async fn dropping_the_fake_stops_open_streams() {
    let fake = FakeOpenAi::start().await;
    fake.push(Script::StallAfter(vec!["Waiting".into()]));
    let chat = client(&fake, |c| c.timeout = Duration::from_secs(10));

    let mut stream = chat.stream(&question()).await.unwrap();
    drop(fake);

    let streamed = tokio::time::timeout(Duration::from_secs(3), async {
        use futures::StreamExt;
        let mut items = Vec::new();
        while let Some(item) = stream.next().await {
            items.push(item);
        }
        items
    })
    .await
    .expect("the stream ended");
    assert!(matches!(streamed.last(), Some(Err(ChatError::Interrupted { partial, .. })) if partial == "Waiting"));
}
