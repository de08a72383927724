//! The shared types as the server stores and sends them.

use serde_json::json;
use wayfinder_coach_rules::{AnswerMode, CoachStyle, ConfidenceLevel, Role, Turn, TurnRole};

#[test]
fn enums_serialise_in_snake_case() {
    assert_eq!(serde_json::to_value(CoachStyle::Socratic).unwrap(), json!("socratic"));
    assert_eq!(serde_json::to_value(CoachStyle::Direct).unwrap(), json!("direct"));
    assert_eq!(serde_json::to_value(AnswerMode::Grounded).unwrap(), json!("grounded"));
    assert_eq!(serde_json::to_value(AnswerMode::Open).unwrap(), json!("open"));
    assert_eq!(serde_json::to_value(ConfidenceLevel::Medium).unwrap(), json!("medium"));
    assert_eq!(serde_json::from_value::<AnswerMode>(json!("open")).unwrap(), AnswerMode::Open);
    assert!(serde_json::from_value::<AnswerMode>(json!("Open")).is_err());
}

#[test]
fn roles_use_the_chat_api_names() {
    for role in [Role::System, Role::User, Role::Assistant] {
        assert_eq!(serde_json::to_value(role).unwrap(), json!(role.as_str()));
    }
    assert_eq!(Role::from(TurnRole::Assistant), Role::Assistant);
    assert_eq!(serde_json::to_value(Turn::user("Hi")).unwrap(), json!({"role": "user", "content": "Hi"}));
}

#[test]
fn defaults_are_the_cautious_choices() {
    assert_eq!(AnswerMode::default(), AnswerMode::Grounded);
    assert_eq!(CoachStyle::default(), CoachStyle::Direct);
}
