use std::time::{Duration, Instant};

use wayfinder_llm::fake::{FakeOpenAi, Script};
use wayfinder_llm::{ChatError, ChatModel, Role, estimate_input_tokens, estimate_tokens};

use crate::helpers::{client, question, stream_all};

fn strings(parts: &[&str]) -> Vec<String> {
    parts.iter().map(|p| (*p).to_owned()).collect()
}

#[tokio::test]
async fn answers_arrive_token_by_token() {
    let fake = FakeOpenAi::start().await;
    fake.set_chunk_delay(Duration::from_millis(40));
    fake.push(Script::ReplyChunks(strings(&["The", " answer", " is", " 42."])));
    let chat = client(&fake, |_| {});

    let streamed = stream_all(&chat, &question()).await.unwrap();

    assert_eq!(streamed.delta_texts(), ["The", " answer", " is", " 42."]);
    let text = streamed.text();
    let done = streamed.end.unwrap();
    assert_eq!(done.content, "The answer is 42.");
    assert_eq!(done.content, text);
    assert_eq!(done.finish_reason.as_deref(), Some("stop"));
    assert_eq!(done.model, "fake-model");
    assert_eq!(streamed.trailing, 0);
    // Delivered as they were sent, not buffered until the end: three pauses of 40 ms lie between
    // the first and the last delta.
    let spread = streamed.deltas[3].1 - streamed.deltas[0].1;
    assert!(spread >= Duration::from_millis(100), "deltas arrived within {spread:?}");

    let body = &fake.requests()[0];
    assert_eq!(body["stream"], true);
    assert_eq!(body["stream_options"]["include_usage"], true);
    assert_eq!(fake.attempts(), 1);
}

#[tokio::test]
async fn streamed_usage_is_taken_from_the_provider() {
    let fake = FakeOpenAi::start().await;
    fake.push(Script::ReplyChunks(strings(&["a", "b", "c"])));
    let chat = client(&fake, |_| {});

    let usage = stream_all(&chat, &question()).await.unwrap().end.unwrap().usage;

    // The fake reports prompt words (5 + 4) and one token per chunk.
    assert!(usage.reported);
    assert_eq!((usage.input_tokens, usage.output_tokens), (9, 3));
}

#[tokio::test]
async fn streamed_usage_is_estimated_when_not_reported() {
    let fake = FakeOpenAi::start().await;
    let text = "Monads sequence computations with context.";
    fake.push(Script::NoUsage(text.into()));
    let chat = client(&fake, |_| {});

    let done = stream_all(&chat, &question()).await.unwrap().end.unwrap();

    assert_eq!(done.content, text);
    assert!(!done.usage.reported);
    assert_eq!(done.usage.output_tokens, estimate_tokens(text));
    assert_eq!(done.usage.input_tokens, estimate_input_tokens(&question().messages));
}

#[tokio::test]
async fn a_dropped_connection_mid_answer_is_interrupted_with_the_partial_text() {
    let fake = FakeOpenAi::start().await;
    fake.push(Script::BreakAfter(strings(&["Half", " an"])));
    fake.push(Script::Reply("a retry must not happen".into()));
    let chat = client(&fake, |_| {});

    let streamed = stream_all(&chat, &question()).await.unwrap();

    assert_eq!(streamed.delta_texts(), ["Half", " an"]);
    match streamed.end {
        Err(ChatError::Interrupted { partial, .. }) => assert_eq!(partial, "Half an"),
        other => panic!("expected Interrupted, got {other:?}"),
    }
    assert_eq!(streamed.trailing, 0);
    assert_eq!(fake.attempts(), 1, "no retry once the answer has begun");
}

#[tokio::test]
async fn a_stream_gone_silent_is_interrupted_after_the_timeout() {
    let fake = FakeOpenAi::start().await;
    fake.push(Script::StallAfter(strings(&["Let me think"])));
    let timeout = Duration::from_millis(300);
    let chat = client(&fake, |c| c.timeout = timeout);

    let started = Instant::now();
    let streamed = stream_all(&chat, &question()).await.unwrap();
    let elapsed = started.elapsed();

    match streamed.end {
        Err(ChatError::Interrupted { partial, message }) => {
            assert_eq!(partial, "Let me think");
            assert!(message.contains("no data"), "{message}");
        }
        other => panic!("expected Interrupted, got {other:?}"),
    }
    assert!(elapsed >= timeout, "gave up after {elapsed:?}");
    assert!(elapsed < timeout * 3, "took {elapsed:?}");
}

#[tokio::test]
async fn sse_framing_quirks_are_understood() {
    let fake = FakeOpenAi::start().await;
    fake.set_chunk_delay(Duration::from_millis(5));
    let chunk = |content: &str| format!(r#"data: {{"choices":[{{"index":0,"delta":{{"content":"{content}"}}}}]}}"#);
    fake.push(Script::RawSse(vec![
        ": keep-alive\r\n\r\n".into(),
        // Two events in one network chunk, with CRLF line ends.
        format!("{}\r\n\r\n{}\r\n\r\n", chunk("Hel"), chunk("lo")),
        // One event split across chunks, inside its JSON and between CR and LF.
        chunk(" wor")[..20].to_owned(),
        format!("{}\r", &chunk(" wor")[20..]),
        "\n\r\n".into(),
        // (A character split across chunks is covered by the parser's own tests: pieces here are strings.)
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ld é\"},\"finish_reason\":\"stop\"}],".into(),
        "\"model\":\"served-model\"}\n\n".into(),
        r#"data: {"choices":[],"usage":{"prompt_tokens":11,"completion_tokens":4}}"#.to_owned() + "\n\n",
        "data: [DONE]\n\n".into(),
    ]));
    let chat = client(&fake, |_| {});

    let streamed = stream_all(&chat, &question()).await.unwrap();
    let done = streamed.end.as_ref().unwrap();

    assert_eq!(streamed.delta_texts(), ["Hel", "lo", " wor", "ld é"]);
    assert_eq!(done.content, "Hello world é");
    assert_eq!(done.model, "served-model");
    assert_eq!((done.usage.input_tokens, done.usage.output_tokens, done.usage.reported), (11, 4, true));
}

#[tokio::test]
async fn a_finish_reason_without_done_still_completes() {
    let fake = FakeOpenAi::start().await;
    fake.push(Script::RawSse(vec![
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Short.\"},\"finish_reason\":\"length\"}]}\n\n"
            .into(),
    ]));
    let chat = client(&fake, |_| {});

    let done = stream_all(&chat, &question()).await.unwrap().end.unwrap();

    assert_eq!(done.content, "Short.");
    assert_eq!(done.finish_reason.as_deref(), Some("length"));
    assert!(!done.usage.reported);
}

#[tokio::test]
async fn a_stream_ending_without_done_or_finish_reason_is_interrupted() {
    let fake = FakeOpenAi::start().await;
    fake.push(Script::RawSse(vec!["data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Cut\"}}]}\n\n".into()]));
    let chat = client(&fake, |_| {});

    let streamed = stream_all(&chat, &question()).await.unwrap();

    assert_eq!(streamed.text(), "Cut");
    assert!(matches!(streamed.end, Err(ChatError::Interrupted { ref partial, .. }) if partial == "Cut"));
}

#[tokio::test]
async fn an_error_event_mid_stream_is_interrupted_with_its_message() {
    let fake = FakeOpenAi::start().await;
    fake.push(Script::RawSse(vec![
        "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Partly\"}}]}\n\n".into(),
        "data: {\"error\":{\"message\":\"model overloaded\",\"type\":\"server_error\"}}\n\n".into(),
    ]));
    let chat = client(&fake, |_| {});

    let streamed = stream_all(&chat, &question()).await.unwrap();

    match streamed.end {
        Err(ChatError::Interrupted { partial, message }) => {
            assert_eq!(partial, "Partly");
            assert!(message.contains("model overloaded"), "{message}");
        }
        other => panic!("expected Interrupted, got {other:?}"),
    }
}

#[tokio::test]
async fn failures_before_the_first_byte_are_retried() {
    let fake = FakeOpenAi::start().await;
    fake.push_all([
        Script::error(502, "bad gateway"),
        Script::BreakAfter(vec![]), // only the role chunk, then the connection drops
        Script::StallAfter(vec![]), // only the role chunk, then silence
        Script::ReplyChunks(strings(&["Fourth", " time", " lucky."])),
    ]);
    let chat = client(&fake, |c| {
        c.max_retries = 3;
        c.timeout = Duration::from_millis(300);
    });

    let streamed = stream_all(&chat, &question()).await.unwrap();

    assert_eq!(streamed.delta_texts(), ["Fourth", " time", " lucky."], "no text of failed tries leaks");
    assert_eq!(streamed.end.unwrap().content, "Fourth time lucky.");
    assert_eq!(fake.attempts(), 4);
}

#[tokio::test]
async fn a_stream_failing_before_any_text_on_every_attempt_reports_the_last_failure() {
    let fake = FakeOpenAi::start().await;
    fake.push_all([Script::BreakAfter(vec![]), Script::BreakAfter(vec![]), Script::BreakAfter(vec![])]);
    let chat = client(&fake, |_| {});

    let error = stream_all(&chat, &question()).await.err().expect("no stream");

    assert!(matches!(error, ChatError::Unavailable { attempts: 3, .. }), "{error:?}");
    assert_eq!(fake.attempts(), 3);
}

#[tokio::test]
async fn a_server_ignoring_stream_true_still_gives_delta_and_done() {
    let fake = FakeOpenAi::start().await;
    let body =
        r#"{"model":"m","choices":[{"message":{"role":"assistant","content":"Whole."},"finish_reason":"stop"}]}"#;
    fake.push(Script::Raw { status: 200, headers: vec![], body: body.into() });
    let chat = client(&fake, |_| {});

    let streamed = stream_all(&chat, &question()).await.unwrap();

    assert_eq!(streamed.delta_texts(), ["Whole."]);
    assert_eq!(streamed.end.unwrap().content, "Whole.");
}

#[tokio::test]
async fn messages_are_sent_with_lowercase_roles() {
    let fake = FakeOpenAi::start().await;
    let chat = client(&fake, |_| {});

    let done = stream_all(&chat, &question()).await.unwrap().end.unwrap();

    assert_eq!(done.content, wayfinder_llm::fake::DEFAULT_REPLY);
    let seen = &fake.seen()[0];
    assert_eq!(seen.body["messages"][0]["role"], "system");
    assert_eq!(seen.body["messages"][1]["role"], "user");
    assert_eq!(seen.messages[1].role, Role::User);
    assert!(seen.stream && seen.include_usage);
    assert_eq!(chat.model_id(), "fake-model");
}

#[tokio::test]
async fn a_garbled_stream_before_any_text_is_a_bad_response_without_retry() {
    let fake = FakeOpenAi::start().await;
    fake.push(Script::RawSse(vec!["data:\n\n".into(), "data: <html>oops</html>\n\n".into()]));
    let chat = client(&fake, |_| {});

    let error = stream_all(&chat, &question()).await.err().expect("no stream");

    assert!(matches!(error, ChatError::BadResponse(ref m) if m.contains("malformed")), "{error:?}");
    assert_eq!(fake.attempts(), 1);
}
