//! Sentences of running text: passages arrive as chunk text (Markdown headings, list markers,
//! PDF line wrapping), and whatever quotes, checks or questions them needs whole sentences.
//! The coach quotes them in extractive answers; practice questions are made from them.

use unicode_segmentation::UnicodeSegmentation;

/// Words as people count them (Unicode words, punctuation and marks excluded).
pub fn word_count(text: &str) -> usize {
    text.unicode_words().count()
}

/// Whether a sentence ends as a complete sentence: `.`, `!`, `?` or `…`, possibly followed by
/// closing quotes or brackets.
pub fn ends_with_terminal(sentence: &str) -> bool {
    let trimmed = sentence.trim_end().trim_end_matches(['"', '\'', '”', '’', ')', ']', '*', '_']);
    trimmed.ends_with(['.', '!', '?', '…'])
}

/// Tokens before a full stop that do not end a sentence. Compared lowercased, without the final
/// dot. "etc" is absent on purpose: it ends sentences more often than not.
const ABBREVIATIONS: &[&str] = &[
    "al", "approx", "cf", "ch", "co", "dept", "dr", "e.g", "eg", "esp", "est", "fig", "figs", "i.e", "ie", "inc", "jr",
    "ltd", "mr", "mrs", "ms", "no", "nos", "p", "pp", "prof", "sec", "sr", "st", "u.k", "u.s", "vol", "vs",
];

/// Byte spans of the sentences of one block of running text: Unicode sentence boundaries
/// (UAX #29, which already keeps decimals like "3.5" and "e.g. the" together), re-joined after
/// abbreviations and initials that UAX #29 splits on ("Dr. Smith", "J. Dunlosky").
pub fn sentence_spans(block: &str) -> Vec<(usize, usize)> {
    let mut spans: Vec<(usize, usize)> = Vec::new();
    let mut join_next = false;
    for (start, segment) in block.split_sentence_bound_indices() {
        let end = start + segment.len();
        match spans.last_mut() {
            Some(last) if join_next => last.1 = end,
            _ => spans.push((start, end)),
        }
        join_next = ends_with_abbreviation(segment);
    }
    spans
}

fn ends_with_abbreviation(segment: &str) -> bool {
    let trimmed = segment.trim_end();
    let Some(without_dot) = trimmed.strip_suffix('.') else {
        return false;
    };
    let token = without_dot.rsplit(char::is_whitespace).next().unwrap_or("");
    let token = token.trim_start_matches(['(', '[', '"', '“', '\'']);
    if token.is_empty() {
        return false;
    }
    let mut chars = token.chars();
    let first = chars.next().unwrap_or(' ');
    // A lone capital is an initial ("J. Dunlosky").
    if first.is_uppercase() && chars.next().is_none() {
        return true;
    }
    ABBREVIATIONS.contains(&token.to_lowercase().as_str())
}

/// The length of a list marker at the start of `line` ("- ", "* ", "• ", "1. ", "2) ", "a) "),
/// or 0.
pub fn list_marker_len(line: &str) -> usize {
    for bullet in ["- ", "* ", "+ ", "• ", "· ", "– ", "▪ ", "◦ "] {
        if line.starts_with(bullet) {
            return bullet.len();
        }
    }
    let digits = line.bytes().take_while(u8::is_ascii_digit).count();
    let label = if (1..=3).contains(&digits) {
        digits
    } else if line.chars().next().is_some_and(|c| c.is_ascii_lowercase()) && line[1..].starts_with(") ") {
        1
    } else {
        0
    };
    if label > 0 {
        let rest = &line[label..];
        if rest.starts_with(". ") || rest.starts_with(") ") {
            return label + 2;
        }
    }
    0
}

/// Running-text blocks of a passage: paragraphs with wrapped lines re-joined (PDF text breaks lines
/// mid-sentence; a hyphen at a line end followed by a lowercase letter is a split word), list items
/// with their markers removed, and headings, tables and rules left out.
pub fn passage_blocks(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let mut blocks = Vec::new();
    let mut current = String::new();
    let flush = |current: &mut String, blocks: &mut Vec<String>| {
        if !current.trim().is_empty() {
            blocks.push(std::mem::take(current));
        }
        current.clear();
    };
    for (i, line) in lines.iter().enumerate() {
        if line.is_empty() {
            flush(&mut current, &mut blocks);
            continue;
        }
        if line.starts_with('#') || line.starts_with('|') || line.chars().all(|c| matches!(c, '-' | '*' | '_' | '=')) {
            flush(&mut current, &mut blocks);
            continue;
        }
        let marker = list_marker_len(line);
        if marker > 0 {
            flush(&mut current, &mut blocks);
            current.push_str(&line[marker..]);
            continue;
        }
        if looks_like_heading(line, &current, lines.get(i + 1..).unwrap_or(&[])) {
            flush(&mut current, &mut blocks);
            continue;
        }
        append_line(&mut current, line);
    }
    flush(&mut current, &mut blocks);
    blocks
}

/// A short line without final punctuation that follows a finished sentence and precedes a
/// capitalised line is a heading the extractor kept inline (PDF, plain text).
fn looks_like_heading(line: &str, current: &str, rest: &[&str]) -> bool {
    if ends_with_terminal(line) || line.ends_with([',', ';', ':']) || word_count(line) > 8 {
        return false;
    }
    let after_sentence = current.trim().is_empty() || ends_with_terminal(current);
    let next = rest.iter().find(|l| !l.is_empty());
    let next_starts_sentence = next.is_none_or(|l| l.chars().next().is_some_and(|c| c.is_uppercase()));
    after_sentence && next_starts_sentence
}

fn append_line(current: &mut String, line: &str) {
    if current.is_empty() {
        current.push_str(line);
        return;
    }
    let hyphenated = current.ends_with('-')
        && current[..current.len() - 1].chars().next_back().is_some_and(char::is_alphabetic)
        && line.chars().next().is_some_and(char::is_lowercase);
    if hyphenated {
        current.pop();
    } else if !line.starts_with([',', '.', ';', ':', '!', '?', ')']) {
        // PDF extraction sometimes breaks a line just before a comma.
        current.push(' ');
    }
    current.push_str(line);
}

/// Collapses runs of whitespace into single spaces and trims.
pub fn squash_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sentences(block: &str) -> Vec<&str> {
        sentence_spans(block).into_iter().map(|(s, e)| block[s..e].trim()).collect()
    }

    #[test]
    fn abbreviations_initials_and_decimals_do_not_end_sentences() {
        let block = "Dr. Smith found a 3.5 point gain, e.g. in algebra. J. Dunlosky et al. reviewed ten \
                     techniques. Practice testing ranked high.";
        assert_eq!(
            sentences(block),
            vec![
                "Dr. Smith found a 3.5 point gain, e.g. in algebra.",
                "J. Dunlosky et al. reviewed ten techniques.",
                "Practice testing ranked high."
            ]
        );
    }

    #[test]
    fn blocks_rejoin_wrapped_lines_and_drop_headings_and_markers() {
        assert_eq!(
            passage_blocks("is called interleaving\n, which mixes topics."),
            vec!["is called interleaving, which mixes topics."]
        );
        let text = "# Spaced practice\nSpacing your study sessions over several days leads to better reten-\n\
                    tion than one long session.\n\nWhy it works\nEach review happens just before you forget.\n\
                    - Review notes the next day.\n2. Quiz yourself weekly.";
        assert_eq!(
            passage_blocks(text),
            vec![
                "Spacing your study sessions over several days leads to better retention than one long session.",
                "Each review happens just before you forget.",
                "Review notes the next day.",
                "Quiz yourself weekly.",
            ]
        );
    }
}
