use std::collections::HashSet;

use wayfinder_coach_rules::extractive::OPENING;
use wayfinder_coach_rules::{
    ExtractiveAnswer, ExtractiveOptions, extract_answer, extractive_answer, judge_relevance, parse_citations,
    relevance::DEFAULT_THRESHOLD, validate_citations,
};

use crate::fixtures::{
    CORNELL_PDF, CRAMMING, CRAMMING_RESTATED, FEEDBACK, FEEDBACK_PITFALLS, SPACED_REPETITION, numbered, source,
    study_sources,
};

fn answer_to(question: &str, sources: &[wayfinder_coach_rules::Source]) -> ExtractiveAnswer {
    extractive_answer(question, sources, &ExtractiveOptions::default())
        .unwrap_or_else(|| panic!("expected an answer to {question:?}"))
}

fn quoted(answer: &ExtractiveAnswer) -> Vec<&str> {
    answer.sentences.iter().map(|s| s.text.as_str()).collect()
}

#[test]
fn a_question_about_spaced_repetition_is_answered_from_the_spaced_repetition_passage() {
    let sources = study_sources();
    let answer = answer_to("How does spaced repetition work?", &sources);
    let sentences = quoted(&answer);
    assert!(
        sentences.iter().any(|s| s.contains("review material at increasing intervals")),
        "the defining sentence must be quoted: {sentences:#?}"
    );
    assert!(answer.cited.contains(&1));
    assert!(
        answer.sentences.iter().all(|s| s.source == 1 || s.source == 2),
        "nothing from the feedback or economics passages: {sentences:#?}"
    );
    assert!(
        sentences.iter().any(|s| s.contains("the next day, then three days later")),
        "the passage goes on about its topic without naming it; the schedule belongs in the answer: {sentences:#?}"
    );
    assert!((2..=3).contains(&sentences.len()), "two or three sentences: {sentences:#?}");
}

#[test]
fn a_question_about_feedback_is_answered_from_the_coaching_passages() {
    let sources = study_sources();
    let answer = answer_to("How should I give feedback to a learner?", &sources);
    let sentences = quoted(&answer);
    assert!(sentences.iter().any(|s| s.contains("as soon as possible after the performance")), "{sentences:#?}");
    assert!(sentences.iter().any(|s| s.contains("concrete next step")), "{sentences:#?}");
    assert!(answer.cited.iter().all(|n| *n == 4 || *n == 5), "cited {:?}", answer.cited);
    assert!(!answer.text.contains("Spaced repetition"));

    let effective = answer_to("What makes feedback effective?", &sources);
    assert!(
        effective.sentences[0].text.starts_with("Effective feedback is specific, timely and focused on the task"),
        "the defining sentence comes first: {:#?}",
        quoted(&effective)
    );
}

#[test]
fn near_duplicate_sentences_are_not_both_chosen() {
    let sources = numbered(vec![
        source(0, "Learning Strategies", Some("Cramming versus spacing"), CRAMMING),
        source(0, "Study Planner Guide", Some("Planning your week"), CRAMMING_RESTATED),
        source(0, "Learning Strategies", Some("Spaced repetition"), SPACED_REPETITION),
    ]);
    let answer = answer_to("Why is spreading study sessions better than cramming?", &sources);
    let sentences = quoted(&answer);
    let restatements = sentences
        .iter()
        .filter(|s| s.contains("several shorter sessions leads to much better long-term retention"))
        .count();
    assert_eq!(restatements, 1, "exactly one of the two restatements: {sentences:#?}");
    assert!(sentences.len() >= 2, "room left for other points: {sentences:#?}");
}

#[test]
fn overlapping_chunks_do_not_repeat_a_sentence() {
    // Chunks overlap: the second starts with the first one's last sentences.
    let overlap =
        format!("{} Spacing works best when each review is short.", &FEEDBACK[FEEDBACK.find("Pair").unwrap()..]);
    let sources = numbered(vec![
        source(0, "Coaching Handbook", Some("Giving feedback"), FEEDBACK),
        source(0, "Coaching Handbook", Some("Giving feedback"), &overlap),
    ]);
    let answer = answer_to("What makes feedback to a learner effective?", &sources);
    let sentences = quoted(&answer);
    let mut unique = sentences.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), sentences.len(), "{sentences:#?}");
}

#[test]
fn the_answer_opens_with_its_label_and_cites_each_source_group_once() {
    let sources = study_sources();
    let answer = answer_to("How does spaced repetition work?", &sources);
    assert!(answer.text.starts_with(OPENING));
    // Sentences are grouped by source in source order; each group ends with its own citation.
    let order: Vec<usize> = answer.sentences.iter().map(|s| s.source).collect();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted, "grouped in source order");
    let marks = parse_citations(&answer.text);
    let groups = order.iter().zip(order.iter().skip(1)).filter(|(a, b)| a != b).count() + 1;
    assert_eq!(marks.len(), groups, "{}", answer.text);
    let mark_numbers: Vec<usize> = marks.iter().flat_map(|m| m.numbers.clone()).collect();
    assert_eq!(mark_numbers, answer.cited);
    for line in answer.text.lines().skip(2).filter(|l| !l.is_empty()) {
        assert!(line.starts_with("- ") && line.ends_with(']'), "each group is a bullet ending in its citation: {line}");
    }
    // Every citation is one the server would keep.
    let validated = validate_citations(&answer.text, sources.len());
    assert!(validated.dropped.is_empty());
    assert_eq!(validated.text, answer.text);
}

#[test]
fn within_a_source_sentences_keep_their_passage_order() {
    let sources = numbered(vec![source(0, "Coaching Handbook", Some("Giving feedback"), FEEDBACK)]);
    let answer = answer_to("How do I give feedback that is specific and timely?", &sources);
    let positions: Vec<usize> =
        answer.sentences.iter().map(|s| FEEDBACK.find(&s.text).expect("quoted verbatim")).collect();
    let mut sorted = positions.clone();
    sorted.sort();
    assert_eq!(positions, sorted);
    assert_eq!(answer.cited, vec![1]);
    assert_eq!(answer.text.matches("[1]").count(), 1, "one citation for the whole group: {}", answer.text);
}

#[test]
fn nothing_relevant_gives_no_answer() {
    let sources = study_sources();
    assert_eq!(extractive_answer("What is the capital of Peru?", &sources, &ExtractiveOptions::default()), None);
    assert_eq!(extractive_answer("How do I bake sourdough bread?", &sources, &ExtractiveOptions::default()), None);
    assert_eq!(extractive_answer("How does spaced repetition work?", &[], &ExtractiveOptions::default()), None);
}

#[test]
fn headings_and_list_markers_are_not_quoted() {
    let sources = study_sources();
    let answer = answer_to("How do I build a study routine and break down large assignments?", &sources);
    let sentences = quoted(&answer);
    assert!(sentences.iter().all(|s| !s.starts_with('#') && !s.starts_with("- ")), "{sentences:#?}");
    assert!(
        sentences.iter().any(|s| s.starts_with("Break large assignments into small tasks")),
        "the list item is quoted without its marker: {sentences:#?}"
    );
}

#[test]
fn pdf_line_wrapping_and_hyphenation_are_undone() {
    let mut cornell = source(1, "Note-Taking Skills", Some("Cornell Notes"), CORNELL_PDF);
    cornell.page_start = Some(12);
    cornell.page_end = Some(13);
    let answer = answer_to("How does the Cornell method of note-taking work?", &[cornell]);
    let sentences = quoted(&answer);
    assert!(
        sentences.iter().any(|s| s.starts_with("The Cornell method divides the page into three parts")),
        "{sentences:#?}"
    );
    assert!(sentences.iter().all(|s| !s.contains('\n') && !s.contains("mem- ory")), "{sentences:#?}");
    assert!(!sentences.contains(&"Cornell Notes"), "the heading line is not a sentence");
}

#[test]
fn at_most_max_sentences_are_quoted() {
    let sources = study_sources();
    let opts = ExtractiveOptions { max_sentences: 2, ..ExtractiveOptions::default() };
    let answer = extractive_answer("How should I give feedback to a learner?", &sources, &opts).unwrap();
    assert!(answer.sentences.len() <= 2);
    assert!(!answer.sentences.is_empty());
}

#[test]
fn weakly_related_sentences_do_not_pad_a_focused_answer() {
    let sources = study_sources();
    let answer = answer_to("Why is vague praise like great work unhelpful?", &sources);
    let sentences = quoted(&answer);
    assert!(sentences[0].starts_with("Vague praise such as"), "{sentences:#?}");
    assert!(answer.sentences.iter().all(|s| s.source == 4 || s.source == 5), "{sentences:#?}");
}

#[test]
fn the_passage_footnotes_never_become_citations() {
    let text = format!("{FEEDBACK_PITFALLS} Timely feedback doubles the chance that learners act on it [12].");
    let sources = numbered(vec![source(0, "Coaching Handbook", Some("Feedback pitfalls"), &text)]);
    let answer = answer_to("Why does timely feedback matter to learners?", &sources);
    assert_eq!(answer.cited, vec![1]);
    assert!(!answer.text.contains("[12]"), "{}", answer.text);
}

#[test]
fn judged_by_meaning_the_closest_passage_answers_under_its_heading_even_without_shared_words() {
    // No word of the question is in the spacing passages; the cosines say what it is about.
    let question = "Why does going back over stuff every few days beat one long night before the test?";
    let mut sources = study_sources();
    for (source, cosine) in sources.iter_mut().zip([0.41, 0.58, 0.30, 0.12, 0.10, 0.04]) {
        source.dense_score = Some(cosine);
    }
    let judged = judge_relevance(question, &sources, DEFAULT_THRESHOLD);
    let answer = extract_answer(question, &sources, &judged.sources, &ExtractiveOptions::default())
        .expect("answerable by meaning");
    assert_eq!(answer.cited.first(), Some(&2), "the passage closest in meaning leads: {}", answer.text);
    assert!(answer.sentences.iter().all(|s| s.source <= 3), "{}", answer.text);
    let most_from_one = (1..=6).map(|n| answer.sentences.iter().filter(|s| s.source == n).count()).max();
    assert!(most_from_one <= Some(ExtractiveOptions::default().max_per_document), "{}", answer.text);
    assert!(
        answer.text.contains("\n\n- **Cramming versus spacing**: "),
        "each group opens with the heading that frames it: {}",
        answer.text
    );
    // Without an embedding model the same passages give no answer: no shared words.
    let by_words: Vec<_> = study_sources();
    assert!(extractive_answer(question, &by_words, &ExtractiveOptions::default()).is_none());
}

#[test]
fn judged_by_meaning_the_documents_sharing_the_questions_words_edge_out_equally_close_ones() {
    let question = "How should I plan my study sessions for the week?";
    let with_cosines = |lexical: [Option<f32>; 4]| {
        let mut sources: Vec<_> = study_sources().into_iter().take(4).collect();
        for ((source, cosine), lexical) in sources.iter_mut().zip([0.50, 0.49, 0.48, 0.47]).zip(lexical) {
            source.dense_score = Some(cosine);
            source.lexical_score = lexical;
        }
        sources
    };
    let answer_from = |sources: &[wayfinder_coach_rules::Source]| {
        let judged = judge_relevance(question, sources, DEFAULT_THRESHOLD);
        extract_answer(question, sources, &judged.sources, &ExtractiveOptions::default()).expect("answerable")
    };
    // By meaning alone the three closest documents give one sentence each; the fourth none.
    let by_meaning = answer_from(&with_cosines([None; 4]));
    let cited: HashSet<usize> = by_meaning.sentences.iter().map(|s| s.source).collect();
    assert_eq!(cited, HashSet::from([1, 2, 3]), "{}", by_meaning.text);
    assert_eq!(by_meaning.cited.first(), Some(&1), "the closest leads: {}", by_meaning.text);
    // The fourth holds the question's words best (BM25 8.0 against 4.0): its share lifts it above
    // the others, so it leads and the third closest in meaning, sharing no words, gives way.
    let with_words = answer_from(&with_cosines([Some(4.0), Some(4.0), None, Some(8.0)]));
    let cited: HashSet<usize> = with_words.sentences.iter().map(|s| s.source).collect();
    assert_eq!(cited, HashSet::from([1, 2, 4]), "{}", with_words.text);
    assert_eq!(with_words.cited.first(), Some(&4), "{}", with_words.text);
}

#[test]
fn judged_by_meaning_a_document_far_behind_the_closest_gives_no_weak_sentence() {
    let question = "How does spaced repetition work?";
    let with_fourth_at = |cosine: f32| {
        let mut sources: Vec<_> = study_sources().into_iter().take(4).collect();
        for (source, cosine) in sources.iter_mut().zip([0.60, 0.10, 0.10, cosine]) {
            source.dense_score = Some(cosine);
        }
        let judged = judge_relevance(question, &sources, DEFAULT_THRESHOLD);
        extract_answer(question, &sources, &judged.sources, &ExtractiveOptions::default()).expect("answerable")
    };
    // Nearly as close as the spaced-repetition passage: the feedback passage gives its best
    // sentence, though its words do not match the question's.
    let near = with_fourth_at(0.58);
    assert!(near.sentences.iter().any(|s| s.source == 4), "{}", near.text);
    assert_eq!(near.cited.first(), Some(&1), "{}", near.text);
    // Far behind (0.15 of cosine), it gives nothing rather than pad the answer.
    let far = with_fourth_at(0.45);
    assert!(far.sentences.iter().all(|s| s.source == 1), "{}", far.text);
}
