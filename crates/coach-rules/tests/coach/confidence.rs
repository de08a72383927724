use wayfinder_coach_rules::{
    ConfidenceLevel, ExtractiveOptions, SourceRelevance, assess_relevance, citation_coverage, confidence,
    extractive_answer,
};

use crate::fixtures::study_sources;

fn judged(number: usize, score: f32, relevant: bool) -> SourceRelevance {
    SourceRelevance { number, coverage: score, score, relevant }
}

#[test]
fn coverage_counts_cited_claims() {
    assert_eq!(citation_coverage("Spacing helps memory a lot [1]. Cramming fails within days."), 0.5);
    assert_eq!(citation_coverage("Spacing helps memory a lot [1]. Cramming fails within days [2]."), 1.0);
    assert_eq!(citation_coverage("Spacing helps memory a lot. Cramming fails within days."), 0.0);
    // Three words make no claim worth a source; four do.
    assert_eq!(citation_coverage("Spacing helps memory [1]. Cramming fails."), 1.0);
    assert_eq!(citation_coverage("Spacing helps memory a lot [1]. Cramming fails quickly, though."), 0.5);
}

#[test]
fn a_citation_at_the_end_of_a_group_covers_the_group() {
    assert_eq!(citation_coverage("Spacing helps memory a lot. Cramming fails within days. [1]"), 1.0);
    // …but not across paragraphs, and not sentences after it.
    assert_eq!(citation_coverage("Spacing helps memory a lot.\n\nCramming fails within days [1]."), 0.5);
    assert_eq!(citation_coverage("Spacing helps memory a lot [1]. Cramming fails within a few days."), 0.5);
}

#[test]
fn a_mark_after_the_full_stop_belongs_to_the_sentence_before() {
    assert_eq!(citation_coverage("Spacing helps memory a lot. [1] Cramming fails within a few days."), 0.5);
    assert_eq!(citation_coverage("Spacing helps memory a lot. [1] Cramming fails within a few days. [2]"), 1.0);
}

#[test]
fn questions_introductions_headings_and_code_are_not_claims() {
    let socratic = "What do you notice about the intervals between reviews? Spacing them out matters [1].\n\
                    Which review would you schedule next?";
    assert_eq!(citation_coverage(socratic), 1.0);
    assert_eq!(citation_coverage("## Summary\nHere are the main points:\n- Spacing helps memory a lot [1]."), 1.0);
    assert_eq!(citation_coverage("```\nlet interval = days * 2;\n```\nDouble the interval each time [2]."), 1.0);
    assert_eq!(citation_coverage("Good question!"), 1.0, "nothing claimed, nothing uncited");
    assert_eq!(citation_coverage("   "), 0.0);
}

#[test]
fn general_knowledge_counts_as_uncited() {
    let open = "Spacing helps memory a lot [1]. Sleep also consolidates memories (general knowledge).";
    assert_eq!(citation_coverage(open), 0.5);
}

#[test]
fn an_extractive_answer_over_strong_sources_is_fully_covered_and_high() {
    let sources = study_sources();
    let question = "How does spaced repetition work?";
    let answer = extractive_answer(question, &sources, &ExtractiveOptions::default()).unwrap();
    assert_eq!(citation_coverage(&answer.text), 1.0, "{}", answer.text);
    let judged = assess_relevance(question, &sources);
    let result = confidence(&judged, &answer.cited, citation_coverage(&answer.text));
    assert_eq!(result.level, ConfidenceLevel::High, "{result:?}");
}

#[test]
fn citing_nothing_is_low_confidence() {
    let judged = vec![judged(1, 1.0, true)];
    let result = confidence(&judged, &[], 0.0);
    assert_eq!(result.level, ConfidenceLevel::Low);
    assert_eq!(result.score, 0.0);
}

#[test]
fn weaker_sources_and_fewer_citations_lower_confidence() {
    let judged = vec![judged(1, 0.95, true), judged(2, 0.9, true), judged(3, 0.2, false)];
    let strong = confidence(&judged, &[1, 2], 1.0);
    let weak_source = confidence(&judged, &[3], 1.0);
    let half_cited = confidence(&judged, &[1, 2], 0.5);
    assert_eq!(strong.level, ConfidenceLevel::High);
    assert!(weak_source.score < strong.score, "{weak_source:?}");
    assert_eq!(weak_source.level, ConfidenceLevel::Low, "only a source judged not relevant is cited");
    assert!(half_cited.score < strong.score, "{half_cited:?}");
    assert_eq!(confidence(&judged, &[1], 0.5).level, ConfidenceLevel::Medium);
    // A number the relevance judgement never saw counts as matching nothing.
    assert!(confidence(&judged, &[1, 9], 1.0).score < confidence(&judged, &[1], 1.0).score);
}

#[test]
fn a_source_covering_half_the_question_is_not_high_even_fully_cited() {
    let judged = vec![judged(1, 0.5, true)];
    let result = confidence(&judged, &[1], 1.0);
    assert_eq!(result.level, ConfidenceLevel::Medium, "{result:?}");
}

#[test]
fn the_score_stays_in_range() {
    let judged = vec![judged(1, 1.0, true), judged(2, 1.0, true), judged(3, 1.0, true), judged(4, 1.0, true)];
    let result = confidence(&judged, &[1, 2, 3, 4], 7.0);
    assert!(result.score <= 1.0 && result.score > 0.99, "{result:?}");
}
