use wayfinder_coach_rules::relevance::{DEFAULT_THRESHOLD, MIN_COVERAGE};
use wayfinder_coach_rules::{RelevanceSignals, assess_relevance, is_relevant, judge_relevance, relevant_sources};

use crate::fixtures::{CRAMMING, FEEDBACK, HUMAN_CAPITAL, SPACED_REPETITION, numbered, source, study_sources};

fn relevant_sections(question: &str) -> Vec<String> {
    let sources = study_sources();
    relevant_sources(question, &sources).iter().map(|s| s.section.clone().unwrap()).collect()
}

#[test]
fn a_question_about_something_absent_is_not_relevant() {
    let sources = study_sources();
    // One passage does say "capital": half the topic, and the missing half is the name.
    assert!(!is_relevant("What is the capital of Peru?", &sources));
    assert!(!is_relevant("what is the capital of peru", &sources));
    assert!(!is_relevant("How do I bake sourdough bread?", &sources));
    assert!(!is_relevant("Who won the football world cup in 2010?", &sources));
}

#[test]
fn a_paraphrased_on_topic_question_is_relevant() {
    let sections = relevant_sections("Why should I spread out my studying instead of cramming the night before?");
    assert!(sections.contains(&"Cramming versus spacing".to_string()), "{sections:?}");
    assert!(!sections.contains(&"Giving feedback".to_string()), "{sections:?}");

    let sections = relevant_sections("What is the best way to give a learner feedback on their performance?");
    assert!(sections.contains(&"Giving feedback".to_string()), "{sections:?}");
    assert!(!sections.iter().any(|s| s == "Spaced repetition" || s == "Human capital"), "{sections:?}");
}

#[test]
fn only_the_passages_on_the_topic_are_relevant() {
    let sections = relevant_sections("How does spaced repetition work?");
    assert!(sections.contains(&"Spaced repetition".to_string()), "{sections:?}");
    assert!(!sections.iter().any(|s| s.contains("eedback") || s == "Human capital"), "{sections:?}");
}

#[test]
fn the_heading_names_the_topic_the_text_only_refers_to() {
    let sources = numbered(vec![source(
        0,
        "Learning Strategies",
        Some("Spaced repetition"),
        "It works because each review comes just as you start to forget.",
    )]);
    assert!(is_relevant("How does spaced repetition work?", &sources));
}

#[test]
fn questions_without_topic_words_are_not_relevant() {
    let sources = study_sources();
    assert!(!is_relevant("Hi!", &sources));
    assert!(!is_relevant("Can you explain?", &sources));
    assert!(!is_relevant("How does spaced repetition work?", &[]));
}

#[test]
fn half_the_topic_needs_both_retrievers_near_the_top() {
    // Two of three topic words: the passage covers about half the weighted question.
    let question = "Is spaced repetition good for anxiety?";
    let mut sources = numbered(vec![
        source(0, "Economics for Everyone", Some("Human capital"), HUMAN_CAPITAL),
        source(0, "Coaching Handbook", None, FEEDBACK),
        source(0, "Learning Strategies", None, CRAMMING),
        source(0, "Learning Strategies", None, SPACED_REPETITION),
    ]);
    let judged = assess_relevance(question, &sources)[3].clone();
    assert!(judged.coverage >= MIN_COVERAGE && judged.coverage < 0.7, "coverage {}", judged.coverage);
    assert!(judged.relevant, "found by both retrievers: {judged:?}");

    // The same passage found only by the dense retriever, far down, is not enough.
    sources[3].lexical_rank = None;
    sources[3].dense_rank = Some(40);
    let judged = assess_relevance(question, &sources)[3].clone();
    assert!(judged.score < DEFAULT_THRESHOLD && !judged.relevant, "{judged:?}");
}

#[test]
fn full_coverage_and_agreement_score_highest() {
    let sources = study_sources();
    let judged = assess_relevance("How does spaced repetition work?", &sources);
    assert_eq!(judged.len(), sources.len());
    assert_eq!(judged.iter().map(|j| j.number).collect::<Vec<_>>(), vec![1, 2, 3, 4, 5, 6]);
    let best = judged.iter().max_by(|a, b| a.score.total_cmp(&b.score)).unwrap();
    assert_eq!(best.number, 1);
    assert!(best.coverage > 0.99 && best.score > 0.9, "{best:?}");
    assert!(judged.iter().all(|j| (0.0..=1.0).contains(&j.score)));
}

#[test]
fn a_passage_sharing_one_word_is_not_relevant_even_as_the_top_hit_of_both_retrievers() {
    // Retrieval puts the only passage that says "capital" first in both lists.
    let mut sources = study_sources();
    sources.rotate_right(1);
    let sources = numbered(sources);
    assert_eq!(sources[0].section.as_deref(), Some("Human capital"));
    for question in ["What is the capital of Peru?", "what is the capital of peru"] {
        let judged = &assess_relevance(question, &sources)[0];
        assert!(judged.coverage > 0.0 && judged.coverage < MIN_COVERAGE, "{question}: {judged:?}");
        assert!(!judged.relevant, "{question}");
        assert!(!is_relevant(question, &sources), "{question}");
    }
}

#[test]
fn a_missing_name_weighs_more_than_a_missing_common_word() {
    let sources = study_sources();
    let name = assess_relevance("Does spaced repetition work for Kasparov?", &sources)[0].coverage;
    let word = assess_relevance("Does spaced repetition work for kasparov?", &sources)[0].coverage;
    assert!(name < word, "a capitalised name inside the question counts more: {name} vs {word}");
}

#[test]
fn a_setting_after_a_preposition_does_not_outweigh_the_topic() {
    let sources = numbered(vec![
        source(
            0,
            "Taking notes that help you learn",
            Some("Write in your own words"),
            "Notes are most useful when they put ideas into your own words rather than copying the slides.",
        ),
        source(0, "Study Skills Handbook", Some("Spaced repetition"), SPACED_REPETITION),
        source(0, "Coaching practice", Some("Giving feedback"), FEEDBACK),
    ]);
    // "class" and "lecture" set the scene: the note-taking passage answers these.
    assert!(is_relevant("How do I take better notes in class?", &sources));
    assert!(is_relevant("How should I take notes during a lecture?", &sources));
    // As the topic itself, the same word must be found.
    assert!(!is_relevant("How do I plan a lecture?", &sources));
    // And a setting alone is not a topic.
    assert!(!is_relevant("What happens in class?", &sources));
}

/// The study sources as a hybrid search returns them, with these cosines (best first).
fn with_cosines(cosines: &[f32]) -> Vec<wayfinder_coach_rules::Source> {
    let mut sources = study_sources();
    for (source, cosine) in sources.iter_mut().zip(cosines) {
        source.dense_score = Some(*cosine);
    }
    sources
}

#[test]
fn with_dense_scores_the_decision_is_the_best_cosine_on_the_score_scale() {
    let sources = with_cosines(&[0.35, 0.55, 0.45, 0.26, 0.05, 0.02]);
    let judged = judge_relevance("whatever the words", &sources, DEFAULT_THRESHOLD);
    // (0.55 − 0.07) / 0.5 = 0.96.
    assert!((judged.decision.score - 0.96).abs() < 1e-5, "{:?}", judged.decision);
    assert!(judged.decision.answerable);
    assert_eq!(judged.decision.signals, RelevanceSignals::Hybrid);
    assert_eq!(judged.decision.best_source, Some(2));
    // A passage is usable within 0.1 of the threshold: score 0.4, cosine 0.27 and up.
    let usable: Vec<usize> = judged.sources.iter().filter(|s| s.relevant).map(|s| s.number).collect();
    assert_eq!(usable, vec![1, 2, 3]);
}

#[test]
fn one_passage_that_holds_the_answer_is_enough_in_a_small_knowledge_base() {
    let judged = judge_relevance("q", &with_cosines(&[0.62, 0.11, 0.08]), DEFAULT_THRESHOLD);
    assert!(judged.decision.answerable, "{:?}", judged.decision);
    let usable: Vec<usize> = judged.sources.iter().filter(|s| s.relevant).map(|s| s.number).collect();
    assert_eq!(usable, vec![1]);
}

#[test]
fn a_paraphrase_sharing_no_word_is_answerable_by_meaning_and_not_by_words() {
    // No word of the question is in the spaced-repetition passage.
    let question = "Why does going back over stuff every few days beat one long night before the test?";
    let by_words = study_sources();
    assert!(!judge_relevance(question, &by_words, DEFAULT_THRESHOLD).decision.answerable);
    let by_meaning = with_cosines(&[0.58, 0.52, 0.21, 0.12, 0.10, 0.04]);
    let judged = judge_relevance(question, &by_meaning, DEFAULT_THRESHOLD);
    assert!(judged.decision.answerable, "{:?}", judged.decision);
    assert!(judged.sources[0].relevant && judged.sources[1].relevant && !judged.sources[3].relevant);
}

#[test]
fn an_off_topic_question_is_refused_and_no_passage_is_usable() {
    // Best cosine 0.24 → score 0.34.
    let judged = judge_relevance("How do I balance a chemical equation?", &with_cosines(&[0.24, 0.22, 0.14]), 0.5);
    assert!(!judged.decision.answerable && (judged.decision.score - 0.34).abs() < 1e-5, "{:?}", judged.decision);
    assert!(judged.sources.iter().all(|s| !s.relevant), "nothing is usable when the material lacks the answer");
}

#[test]
fn the_coach_threshold_moves_the_decision_and_is_reported() {
    let sources = with_cosines(&[0.40, 0.38, 0.36]);
    // (0.40 − 0.07) / 0.5 = 0.66.
    let lenient = judge_relevance("q", &sources, 0.5).decision;
    let strict = judge_relevance("q", &sources, 0.7).decision;
    assert!(lenient.answerable && !strict.answerable);
    assert_eq!((lenient.threshold, strict.threshold), (0.5, 0.7));
    assert!((lenient.score - strict.score).abs() < 1e-6 && (lenient.score - 0.66).abs() < 1e-5);
}

#[test]
fn a_coach_keeps_the_passages_closest_in_meaning_whatever_their_fused_rank() {
    use wayfinder_coach_rules::kept_sources;
    // Fused order; the dense ranks 2 and 3 sit at fused places 6 and 9.
    let ranks = [Some(1), None, Some(5), None, Some(4), Some(2), None, None, Some(3), Some(6)];
    assert_eq!(kept_sources(&ranks, 5), vec![0, 1, 2, 5, 8], "closest three, then the fused order");
    assert_eq!(kept_sources(&ranks, 10), (0..10).collect::<Vec<_>>(), "everything fits");
    assert_eq!(kept_sources(&ranks, 2), vec![0, 5], "a depth below three keeps the closest it can");
    // Without dense ranks (no embedding model) the fused order alone.
    assert_eq!(kept_sources(&[None; 6], 4), vec![0, 1, 2, 3]);
}
