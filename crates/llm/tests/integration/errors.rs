use std::collections::HashSet;

use wayfinder_llm::{ChatError, Price, Usage};

fn every_error() -> Vec<ChatError> {
    let secret = "internal detail 10.0.0.7 stack trace".to_owned();
    vec![
        ChatError::Unavailable { attempts: 3, message: secret.clone() },
        ChatError::Timeout { attempts: 3 },
        ChatError::RateLimited { attempts: 3, message: secret.clone() },
        ChatError::Server { status: 500, attempts: 3, message: secret.clone() },
        ChatError::Rejected { status: 400, message: secret.clone() },
        ChatError::Rejected { status: 401, message: secret.clone() },
        ChatError::BadResponse(secret.clone()),
        ChatError::Interrupted { partial: "Half".into(), message: secret.clone() },
        ChatError::InvalidConfig(secret),
    ]
}

#[test]
fn user_messages_are_sentences_without_internals() {
    for error in every_error() {
        let text = error.user_message();
        assert!(!text.contains("internal detail") && !text.contains("500"), "{text}");
        assert!(text.ends_with('.') && text.chars().next().is_some_and(char::is_uppercase), "{text}");
        if !matches!(error, ChatError::Timeout { .. }) {
            assert!(error.to_string().contains("internal detail"), "logs keep the detail: {error}");
        }
    }
    let bad_key = ChatError::Rejected { status: 401, message: String::new() };
    let too_long = ChatError::Rejected { status: 400, message: String::new() };
    assert!(bad_key.user_message().contains("administrator"));
    assert!(!too_long.user_message().contains("administrator"));
}

#[test]
fn codes_are_stable_snake_case_and_distinct_per_kind() {
    let codes: Vec<&str> = every_error().iter().map(|e| e.code().into()).collect();
    assert_eq!(
        codes,
        [
            "model_unavailable",
            "model_timeout",
            "model_rate_limited",
            "model_server_error",
            "model_rejected",
            "model_rejected",
            "model_bad_response",
            "model_interrupted",
            "model_config",
        ]
    );
    assert_eq!(codes.iter().collect::<HashSet<_>>().len(), 8);
    let statuses: Vec<u16> = every_error().iter().map(ChatError::http_status).collect();
    assert_eq!(statuses, [503, 504, 503, 502, 502, 502, 502, 502, 500]);
}

#[test]
fn price_cost_is_per_million_tokens() {
    let price = Price { input_per_million: 0.15, output_per_million: 0.60 };
    let usage = Usage { input_tokens: 2_000_000, output_tokens: 500_000, reported: true };
    assert!((price.cost(&usage) - (0.30 + 0.30)).abs() < 1e-12);

    let small = Usage { input_tokens: 1_200, output_tokens: 300, reported: false };
    assert!((price.cost(&small) - (1_200.0 * 0.15 + 300.0 * 0.60) / 1e6).abs() < 1e-15);
    assert_eq!(Price::default().cost(&usage), 0.0);
    assert_eq!(price.cost(&Usage::default()), 0.0);
    assert_eq!(usage.total(), 2_500_000);
}
