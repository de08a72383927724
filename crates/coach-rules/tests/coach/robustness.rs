//! Odd input never panics and never leaves an invalid citation behind.

use wayfinder_coach_rules::{
    ExtractiveOptions, Turn, citation_coverage, clean_rewrite, extractive_answer, is_relevant, needs_rewrite,
    parse_citations, standalone_question, validate_citations,
};

use crate::fixtures::source;

const ODD: &[&str] = &[
    "",
    " ",
    "[",
    "]",
    "[]",
    "[^",
    "[^]",
    "[Source",
    "[Source ]",
    "[1-",
    "[1-]",
    "[-1]",
    "[1,]",
    "[,1]",
    "[[1]]",
    "[1]]",
    "[[2]",
    "` [1]",
    "```",
    "```\n[1]",
    "[1](",
    "[999999]",
    "[1-20]",
    "[1-21]",
    "…[1]…",
    "🙂 [1] 🙂 [3]",
    "שלום [2] עולם",
    "a\u{0301} [2]\u{0301}",
    "\r\n[1]\r\n",
    "- [1]\n- [4]",
    "# [1] Heading\n\n> quote [3]",
    "Dr. [1] J. [2] e.g. [3] 3.5 [4].",
    "-\n-\n",
    "1. 2. 3.",
    "\u{200b}[\u{200b}1\u{200b}]",
];

#[test]
fn citations_on_odd_input() {
    for text in ODD {
        let answer = validate_citations(text, 2);
        for mark in parse_citations(&answer.text) {
            assert!(mark.numbers.iter().all(|n| (1..=2).contains(n)), "{text:?} → {:?}", answer.text);
        }
        assert!(answer.cited.iter().all(|n| (1..=2).contains(n)));
        let coverage = citation_coverage(text);
        assert!((0.0..=1.0).contains(&coverage), "{text:?}");
    }
}

#[test]
fn analysis_on_odd_input() {
    let history = vec![Turn::user("How does spaced repetition work?")];
    for text in ODD {
        let sources = vec![source(1, text, Some(text), text)];
        let _ = is_relevant(text, &sources);
        if let Some(answer) = extractive_answer(text, &sources, &ExtractiveOptions::default()) {
            assert!(!answer.sentences.is_empty());
        }
        let _ = needs_rewrite(text, &history);
        let query = standalone_question(text, &history);
        assert!(query.len() <= text.len() + 200);
        if let Some(cleaned) = clean_rewrite(text) {
            assert!(!cleaned.is_empty());
        }
    }
}
