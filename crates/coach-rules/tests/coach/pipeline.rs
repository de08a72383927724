//! The steps the server runs for one message, without a model.

use wayfinder_coach_rules::{
    AnswerMode, ConfidenceLevel, ExtractiveOptions, Turn, assess_relevance, citation_coverage, confidence,
    extractive_answer, is_relevant, refusal_text, standalone_question, validate_citations,
};

use crate::fixtures::study_sources;

#[test]
fn a_follow_up_is_answered_from_the_topic_of_the_conversation() {
    let history = vec![
        Turn::user("How does spaced repetition work?"),
        Turn::assistant("You review material at increasing intervals [1]."),
    ];
    let query = standalone_question("Why does it help?", &history);
    let sources = study_sources();
    assert!(is_relevant(&query, &sources), "{query}");
    let answer = extractive_answer(&query, &sources, &ExtractiveOptions::default()).expect("an answer");
    assert!(answer.cited.contains(&1), "{}", answer.text);
    let validated = validate_citations(&answer.text, sources.len());
    assert_eq!(validated.cited, answer.cited);
    let result = confidence(&assess_relevance(&query, &sources), &validated.cited, citation_coverage(&validated.text));
    assert_eq!(result.level, ConfidenceLevel::High, "{result:?}");
}

#[test]
fn without_the_rewrite_the_follow_up_finds_nothing_to_say() {
    // Why the rewrite matters: the bare follow-up names no topic at all.
    assert!(!is_relevant("Why does it help?", &study_sources()));
}

#[test]
fn an_off_topic_question_in_grounded_mode_gets_the_refusal() {
    let sources = study_sources();
    let question = "What is the capital of Peru?";
    let reply = if is_relevant(question, &sources) {
        extractive_answer(question, &sources, &ExtractiveOptions::default()).map(|a| a.text)
    } else {
        None
    }
    .unwrap_or_else(|| refusal_text(AnswerMode::Grounded, "Sage"));
    assert_eq!(reply, refusal_text(AnswerMode::Grounded, "Sage"));
    assert_eq!(
        confidence(&assess_relevance(question, &sources), &[], citation_coverage(&reply)).level,
        ConfidenceLevel::Low
    );
}

#[test]
fn a_model_answer_with_an_invented_source_is_repaired_and_scored() {
    let sources = study_sources();
    let question = "How should I give feedback to a learner?";
    let model_answer = "Make feedback specific and timely [4]. Pair criticism with a next step [4, 9]. \
                        Avoid vague praise such as great work [12].";
    let validated = validate_citations(model_answer, sources.len());
    assert_eq!(
        validated.text,
        "Make feedback specific and timely [4]. Pair criticism with a next step [4]. Avoid vague praise such as great work."
    );
    assert_eq!(validated.cited, vec![4]);
    assert_eq!(validated.dropped, vec![9, 12]);
    let coverage = citation_coverage(&validated.text);
    assert!((coverage - 2.0 / 3.0).abs() < 1e-6, "{coverage}");
    let result = confidence(&assess_relevance(question, &sources), &validated.cited, coverage);
    assert_eq!(result.level, ConfidenceLevel::Medium, "{result:?}");
}
