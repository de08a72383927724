use wayfinder_coach_rules::{cited_sources, parse_citations, strip_citations, validate_citations};

use crate::fixtures::study_sources;

fn numbers(text: &str) -> Vec<Vec<usize>> {
    parse_citations(text).into_iter().map(|m| m.numbers).collect()
}

#[test]
fn every_written_form_of_a_citation_is_recognised() {
    assert_eq!(numbers("Spacing helps [1]."), vec![vec![1]]);
    assert_eq!(numbers("Both say so [2, 3]."), vec![vec![2, 3]]);
    assert_eq!(numbers("Both say so [2,3]."), vec![vec![2, 3]]);
    assert_eq!(numbers("Both say so [2; 3]."), vec![vec![2, 3]]);
    assert_eq!(numbers("Adjacent marks [1][2]."), vec![vec![1], vec![2]]);
    assert_eq!(numbers("A range [1-3] and [4–5]."), vec![vec![1, 2, 3], vec![4, 5]]);
    assert_eq!(numbers("Labelled [Source 2] and [sources 3, 4]."), vec![vec![2], vec![3, 4]]);
    assert_eq!(numbers("Footnote style[^2]."), vec![vec![2]]);
    assert_eq!(numbers("Spaced out [ 5 ] and repeated [1, 1]."), vec![vec![5], vec![1]]);
}

#[test]
fn spans_cover_exactly_the_mark() {
    let text = "Review daily [Source 2]. Then weekly [1, 3].";
    let marks = parse_citations(text);
    assert_eq!(&text[marks[0].span.clone()], "[Source 2]");
    assert_eq!(&text[marks[1].span.clone()], "[1, 3]");
}

#[test]
fn brackets_that_are_not_citations_are_left_alone() {
    assert!(parse_citations("See [the guide](https://example.org/guide) and [1](https://example.org/1).").is_empty());
    assert!(parse_citations("Option [a] or [b], as [noted above].").is_empty());
    assert!(parse_citations("Use `scores[1]` in code.").is_empty());
    assert!(parse_citations("```\nlet x = items[2];\n```\nDone.").is_empty());
    assert!(parse_citations("[1]: https://example.org/reference").is_empty());
    assert!(parse_citations("An interval of [10-100] days.").is_empty(), "wide ranges are intervals, not citations");
    assert!(parse_citations("A mark with a huge number [12345678].").is_empty());
    // Code does not hide the citations after it.
    assert_eq!(numbers("Call `f(x[0])`, then read the note [2]."), vec![vec![2]]);
}

#[test]
fn invalid_numbers_are_dropped_and_valid_ones_kept_in_first_appearance_order() {
    let answer = validate_citations("Spacing works [3, 7]. Cramming fails [1]. Both agree [3][9].", 3);
    assert_eq!(answer.text, "Spacing works [3]. Cramming fails [1]. Both agree [3].");
    assert_eq!(answer.cited, vec![3, 1]);
    assert_eq!(answer.dropped, vec![7, 9]);
}

#[test]
fn zero_is_never_a_source() {
    let answer = validate_citations("Claim [0].", 2);
    assert_eq!(answer.text, "Claim.");
    assert_eq!(answer.dropped, vec![0]);
    assert!(answer.cited.is_empty());
}

#[test]
fn removed_marks_leave_no_stray_spaces() {
    let cases = [
        ("Spacing helps memory [4].", "Spacing helps memory."),
        ("Spacing helps [4], as does testing [1].", "Spacing helps, as does testing [1]."),
        ("Spacing helps [4] a great deal.", "Spacing helps a great deal."),
        ("Spacing helps[4] a great deal.", "Spacing helps a great deal."),
        ("[4] Spacing helps.", "Spacing helps."),
        ("First line [4]\nSecond line.", "First line\nSecond line."),
        ("Spacing helps ([4]).", "Spacing helps."),
        ("Spacing helps [4][1].", "Spacing helps [1]."),
        ("Spacing helps [1][4].", "Spacing helps [1]."),
        ("Spacing helps [4][5].", "Spacing helps."),
        ("Spacing helps [1] [4].", "Spacing helps [1]."),
        ("Spacing helps [Source 4]!", "Spacing helps!"),
    ];
    for (input, expected) in cases {
        assert_eq!(validate_citations(input, 3).text, expected, "input: {input}");
    }
}

#[test]
fn valid_marks_are_written_in_one_canonical_form() {
    let answer = validate_citations("A [Source 2]. B [^1]. C [1-3]. D [2,3].", 3);
    assert_eq!(answer.text, "A [2]. B [1]. C [1, 2, 3]. D [2, 3].");
    // A range is trimmed to the numbers that exist.
    assert_eq!(validate_citations("E [2-5].", 3).text, "E [2, 3].");
}

#[test]
fn text_without_marks_is_unchanged() {
    let text = "Spacing helps.\n\n- Review tomorrow.\n- Review next week.";
    let answer = validate_citations(text, 3);
    assert_eq!(answer.text, text);
    assert!(answer.cited.is_empty() && answer.dropped.is_empty());
}

#[test]
fn validation_is_idempotent() {
    let once = validate_citations("Spacing helps [1, 9]. Testing helps [Source 2] [8].", 2);
    let twice = validate_citations(&once.text, 2);
    assert_eq!(twice.text, once.text);
    assert_eq!(twice.cited, once.cited);
    assert!(twice.dropped.is_empty());
}

#[test]
fn stripping_removes_every_mark() {
    assert_eq!(strip_citations("Spacing helps [1]. Testing [2, 3] helps too."), "Spacing helps. Testing helps too.");
}

#[test]
fn cited_numbers_map_to_their_sources() {
    let sources = study_sources();
    let cited = cited_sources(&[4, 1, 42], &sources);
    let titles: Vec<&str> = cited.iter().map(|s| s.section.as_deref().unwrap()).collect();
    assert_eq!(titles, vec!["Giving feedback", "Spaced repetition"]);
}

#[test]
fn spans_are_byte_offsets_that_survive_multibyte_text() {
    let text = "Über-Lernen hilft „sehr“ [1] — 学习 [7]. Café [2, 9]!";
    let marks = parse_citations(text);
    assert_eq!(marks.iter().map(|m| &text[m.span.clone()]).collect::<Vec<_>>(), vec!["[1]", "[7]", "[2, 9]"]);
    let answer = validate_citations(text, 2);
    assert_eq!(answer.text, "Über-Lernen hilft „sehr“ [1] — 学习. Café [2]!");
    assert_eq!(answer.dropped, vec![7, 9]);
}
