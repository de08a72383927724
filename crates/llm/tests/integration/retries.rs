use std::time::{Duration, Instant};

use wayfinder_llm::fake::{FakeOpenAi, Script, refused_base_url};
use wayfinder_llm::{ChatError, ChatModel, OpenAiChat, OpenAiConfig};

use crate::helpers::{client, question, stream_all};

#[tokio::test]
async fn a_rate_limit_then_success_takes_two_attempts() {
    let fake = FakeOpenAi::start().await;
    fake.push(Script::error(429, "slow down"));
    fake.push(Script::Reply("Fine now.".into()));
    let chat = client(&fake, |_| {});

    assert_eq!(chat.complete(&question()).await.unwrap().content, "Fine now.");
    assert_eq!(fake.attempts(), 2);
}

#[tokio::test]
async fn rate_limits_on_every_attempt_are_reported_as_such() {
    let fake = FakeOpenAi::start().await;
    fake.push_all((0..3).map(|_| Script::error(429, "quota exceeded")));
    let chat = client(&fake, |_| {});

    let error = chat.complete(&question()).await.unwrap_err();

    assert_eq!(error, ChatError::RateLimited { attempts: 3, message: "quota exceeded".into() });
    assert_eq!(error.code().to_string(), "model_rate_limited");
}

#[tokio::test]
async fn server_errors_give_up_after_exactly_three_attempts() {
    let fake = FakeOpenAi::start().await;
    fake.push_all((0..3).map(|_| Script::error(500, "boom")));
    fake.push(Script::Reply("a fourth attempt would get this".into()));
    let chat = client(&fake, |_| {});

    let error = chat.complete(&question()).await.unwrap_err();

    assert_eq!(error, ChatError::Server { status: 500, attempts: 3, message: "boom".into() });
    assert_eq!(fake.attempts(), 3);
    assert_eq!(fake.pending_scripts(), 1);
}

#[tokio::test]
async fn max_retries_sets_the_number_of_extra_attempts() {
    let fake = FakeOpenAi::start().await;
    fake.push_all((0..5).map(|_| Script::Status(503, "unavailable".into())));
    let chat = client(&fake, |c| c.max_retries = 0);

    let error = chat.complete(&question()).await.unwrap_err();

    assert!(matches!(error, ChatError::Server { status: 503, attempts: 1, .. }), "{error:?}");
    assert_eq!(fake.attempts(), 1);
}

#[tokio::test]
async fn client_errors_are_rejected_at_once_with_the_providers_message() {
    let fake = FakeOpenAi::start().await;
    fake.push(Script::error(400, "This model's maximum context length is 8192 tokens."));
    fake.push(Script::Reply("a retry would get this".into()));
    let chat = client(&fake, |_| {});

    let error = chat.complete(&question()).await.unwrap_err();

    assert_eq!(
        error,
        ChatError::Rejected { status: 400, message: "This model's maximum context length is 8192 tokens.".into() }
    );
    assert_eq!(fake.attempts(), 1);
}

#[tokio::test]
async fn client_errors_are_rejected_at_once_when_streaming_too() {
    let fake = FakeOpenAi::start().await;
    fake.push(Script::Status(404, r#"{"error":"model \"nope\" not found"}"#.into()));
    let chat = client(&fake, |_| {});

    let error = stream_all(&chat, &question()).await.err().expect("no stream");

    assert_eq!(error, ChatError::Rejected { status: 404, message: "model \"nope\" not found".into() });
    assert_eq!(fake.attempts(), 1);
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let fake = FakeOpenAi::start().await;
    fake.push(Script::rate_limited(1));
    fake.push(Script::Reply("Waited.".into()));
    let chat = client(&fake, |c| c.backoff = Duration::from_millis(10));

    let started = Instant::now();
    assert_eq!(chat.complete(&question()).await.unwrap().content, "Waited.");
    let elapsed = started.elapsed();

    assert!(elapsed >= Duration::from_secs(1), "retried after {elapsed:?}");
    assert!(elapsed < Duration::from_secs(3), "took {elapsed:?}");
    assert_eq!(fake.attempts(), 2);
}

#[tokio::test]
async fn without_retry_after_the_backoff_is_used() {
    let fake = FakeOpenAi::start().await;
    fake.push(Script::error(429, "slow down"));
    let chat = client(&fake, |c| c.backoff = Duration::from_millis(200));

    let started = Instant::now();
    chat.complete(&question()).await.unwrap();
    let elapsed = started.elapsed();

    assert!(elapsed >= Duration::from_millis(200), "retried after {elapsed:?}");
    assert!(elapsed < Duration::from_millis(900), "took {elapsed:?}");
}

#[tokio::test]
async fn a_refused_connection_is_unavailable_after_three_attempts_in_bounded_time() {
    let config = OpenAiConfig {
        timeout: Duration::from_secs(2),
        backoff: Duration::from_millis(50),
        ..OpenAiConfig::new(refused_base_url(), "m")
    };
    let chat = OpenAiChat::new(config.clone()).unwrap();

    let started = Instant::now();
    let error = chat.complete(&question()).await.unwrap_err();
    let elapsed = started.elapsed();

    assert!(matches!(error, ChatError::Unavailable { attempts: 3, .. }), "{error:?}");
    assert_eq!(error.code().to_string(), "model_unavailable");
    // Two backoffs (50 + 100 ms) were waited; refusal itself is immediate.
    assert!(elapsed >= Duration::from_millis(150), "gave up after {elapsed:?}");
    assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");
    assert!(elapsed < config.worst_case_duration());

    let error = stream_all(&chat, &question()).await.err().expect("no stream");
    assert!(matches!(error, ChatError::Unavailable { attempts: 3, .. }), "{error:?}");
}

#[tokio::test]
async fn a_hanging_server_times_out_on_every_attempt() {
    let fake = FakeOpenAi::start().await;
    fake.push_all([Script::Hang, Script::Hang, Script::Hang]);
    let timeout = Duration::from_millis(250);
    let backoff = Duration::from_millis(20);
    let chat = client(&fake, |c| {
        c.timeout = timeout;
        c.backoff = backoff;
    });

    let started = Instant::now();
    let error = chat.complete(&question()).await.unwrap_err();
    let elapsed = started.elapsed();

    assert_eq!(error, ChatError::Timeout { attempts: 3 });
    assert_eq!(fake.attempts(), 3);
    let expected = timeout * 3 + backoff + backoff * 2;
    assert!(elapsed >= expected, "gave up after {elapsed:?}");
    assert!(elapsed < expected + Duration::from_millis(500), "took {elapsed:?}");
}

#[tokio::test]
async fn a_stream_that_never_begins_times_out() {
    let fake = FakeOpenAi::start().await;
    fake.push_all([Script::Hang, Script::StallAfter(vec![])]);
    let timeout = Duration::from_millis(250);
    let chat = client(&fake, |c| {
        c.timeout = timeout;
        c.max_retries = 1;
    });

    let started = Instant::now();
    let error = stream_all(&chat, &question()).await.err().expect("no stream");
    let elapsed = started.elapsed();

    assert_eq!(error, ChatError::Timeout { attempts: 2 });
    assert!(elapsed >= timeout * 2, "gave up after {elapsed:?}");
    assert!(elapsed < timeout * 2 + Duration::from_millis(500), "took {elapsed:?}");
}

#[tokio::test]
async fn a_slow_answer_within_the_timeout_is_not_retried() {
    let fake = FakeOpenAi::start().await;
    fake.push(Script::Delayed(Duration::from_millis(150), Box::new(Script::Reply("Slow but fine.".into()))));
    let chat = client(&fake, |c| c.timeout = Duration::from_millis(600));

    assert_eq!(chat.complete(&question()).await.unwrap().content, "Slow but fine.");
    assert_eq!(fake.attempts(), 1);
}
