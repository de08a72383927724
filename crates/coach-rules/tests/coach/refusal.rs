use wayfinder_coach_rules::{AnswerMode, parse_citations, refusal_text};

#[test]
fn the_grounded_refusal_says_there_is_nothing_and_points_to_a_human_coach() {
    let text = refusal_text(AnswerMode::Grounded, "Sage");
    assert!(text.contains("couldn't find anything about this"));
    assert!(text.contains("the knowledge base Sage works from"));
    assert!(text.contains("human coach"));
    assert!(text.contains("without guessing"));
    assert!(parse_citations(&text).is_empty(), "a refusal cites nothing");
}

#[test]
fn the_open_refusal_has_no_sourced_answer_and_also_points_to_a_human_coach() {
    let text = refusal_text(AnswerMode::Open, "Sage");
    assert!(text.contains("no sourced answer"));
    assert!(text.contains("human coach"));
    assert_ne!(text, refusal_text(AnswerMode::Grounded, "Sage"));
}

#[test]
fn an_unnamed_coach_speaks_for_itself() {
    let text = refusal_text(AnswerMode::Grounded, "  ");
    assert!(text.contains("the knowledge base I work from"));
    assert!(!text.contains("  "));
}
