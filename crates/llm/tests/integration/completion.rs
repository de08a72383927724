use wayfinder_llm::fake::{FakeOpenAi, Script};
use wayfinder_llm::{ChatError, ChatMessage, ChatModel, ChatRequest, estimate_input_tokens, estimate_tokens};

use crate::helpers::{client, question};

#[tokio::test]
async fn a_whole_answer_comes_with_the_reported_usage() {
    let fake = FakeOpenAi::start().await;
    fake.push(Script::Reply("A monad wraps values.".into()));
    let chat = client(&fake, |c| c.model = "coach-model".into());
    let request = question().with_temperature(0.2).with_max_tokens(64);

    let answer = chat.complete(&request).await.unwrap();

    assert_eq!(answer.content, "A monad wraps values.");
    assert_eq!(answer.model, "coach-model");
    assert_eq!(answer.finish_reason.as_deref(), Some("stop"));
    // The fake reports prompt words (5 + 4) and answer words.
    assert!(answer.usage.reported);
    assert_eq!((answer.usage.input_tokens, answer.usage.output_tokens), (9, 4));

    let body = &fake.requests()[0];
    assert_eq!(body["model"], "coach-model");
    assert_eq!(body["stream"], false);
    assert!(body.get("stream_options").is_none());
    assert_eq!(body["max_tokens"], 64);
    assert!((body["temperature"].as_f64().unwrap() - 0.2).abs() < 1e-6);
    assert_eq!(body["messages"][0], serde_json::json!({ "role": "system", "content": "You are a patient coach." }));
    assert_eq!(body["messages"][1], serde_json::json!({ "role": "user", "content": "What is a monad?" }));
}

#[tokio::test]
async fn sampling_options_left_unset_are_not_sent() {
    let fake = FakeOpenAi::start().await;
    let chat = client(&fake, |_| {});

    chat.complete(&question()).await.unwrap();

    let body = &fake.requests()[0];
    assert!(body.get("temperature").is_none() && body.get("max_tokens").is_none(), "{body}");
}

#[tokio::test]
async fn usage_is_estimated_when_the_provider_reports_none() {
    let fake = FakeOpenAi::start().await;
    let text = "Supercalifragilisticexpialidocious";
    fake.push(Script::NoUsage(text.into()));
    let chat = client(&fake, |_| {});

    let answer = chat.complete(&question()).await.unwrap();

    assert_eq!(answer.content, text);
    assert!(!answer.usage.reported);
    assert_eq!(answer.usage.output_tokens, estimate_tokens(text));
    assert_ne!(answer.usage.output_tokens, 1, "the fake would have reported one word");
    assert_eq!(answer.usage.input_tokens, estimate_input_tokens(&question().messages));
}

#[tokio::test]
async fn the_default_reply_can_depend_on_the_prompt() {
    let fake = FakeOpenAi::start().await;
    fake.set_default(|seen| {
        let sources = seen.system_prompt().unwrap_or_default().matches("[source]").count();
        format!("{} sources for: {} [1]", sources, seen.last_user_message().unwrap_or_default())
    });
    let chat = client(&fake, |_| {});
    let request = ChatRequest::new(vec![
        ChatMessage::system("Use these: [source] a [source] b"),
        ChatMessage::user("first"),
        ChatMessage::assistant("ok"),
        ChatMessage::user("Why is the sky blue?"),
    ]);

    assert_eq!(chat.complete(&request).await.unwrap().content, "2 sources for: Why is the sky blue? [1]");
    fake.set_default_reply("fixed");
    assert_eq!(chat.complete(&request).await.unwrap().content, "fixed");
}

#[tokio::test]
async fn a_malformed_success_is_a_bad_response_without_retry() {
    let fake = FakeOpenAi::start().await;
    fake.push(Script::Raw { status: 200, headers: vec![], body: "<html>proxy login</html>".into() });
    fake.push(Script::Raw { status: 200, headers: vec![], body: r#"{"choices":[]}"#.into() });
    let chat = client(&fake, |_| {});

    let first = chat.complete(&question()).await.unwrap_err();
    let second = chat.complete(&question()).await.unwrap_err();

    assert!(matches!(first, ChatError::BadResponse(_)), "{first:?}");
    assert!(matches!(second, ChatError::BadResponse(ref m) if m.contains("no choices")), "{second:?}");
    assert_eq!(fake.attempts(), 2);
}

#[tokio::test]
async fn a_connection_dropped_mid_body_is_retried() {
    let fake = FakeOpenAi::start().await;
    fake.push(Script::BreakAfter(vec!["ignored".into()]));
    fake.push(Script::Reply("Recovered.".into()));
    let chat = client(&fake, |_| {});

    assert_eq!(chat.complete(&question()).await.unwrap().content, "Recovered.");
    assert_eq!(fake.attempts(), 2);
}

#[tokio::test]
async fn the_api_key_is_sent_as_bearer_and_never_shown() {
    let fake = FakeOpenAi::start().await;
    fake.require_api_key("sk-test-123");
    let chat = client(&fake, |c| c.api_key = Some("sk-test-123".into()));

    chat.complete(&question()).await.unwrap();

    assert_eq!(fake.seen()[0].authorization.as_deref(), Some("Bearer sk-test-123"));
    assert!(!format!("{:?}", chat.config()).contains("sk-test-123"));
    assert!(!format!("{chat:?}").contains("sk-test-123"));
    assert!(format!("{:?}", chat.config()).contains("********"));

    let anonymous = client(&fake, |_| {});
    let error = anonymous.complete(&question()).await.unwrap_err();
    assert_eq!(fake.seen()[1].authorization, None);
    assert!(matches!(error, ChatError::Rejected { status: 401, .. }), "{error:?}");
    assert!(error.user_message().contains("administrator"));
}
