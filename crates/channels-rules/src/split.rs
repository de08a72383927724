//! Splitting an answer for a platform that limits a message's length. Parts
//! break at the largest boundary that fits — a paragraph, a line, a sentence,
//! a word — so each reads on its own, and are numbered when there are several.
//! Citations follow the answer as short footnotes with their links, in the
//! last part when they fit there, else in parts of their own.
//!
//! Lengths are counted in UTF-16 code units, as Telegram counts them; that is
//! never fewer than characters, so the limit holds for WhatsApp too.

/// A citation shown under the answer: `[number] label — link`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Footnote {
    pub number: usize,
    /// Short: the document and section.
    pub label: String,
    pub link: Option<String>,
}

impl Footnote {
    fn line(&self) -> String {
        match &self.link {
            Some(link) => format!("[{}] {} — {link}", self.number, self.label),
            None => format!("[{}] {}", self.number, self.label),
        }
    }
}

/// Room kept at the end of each part for its number, `\n(12/34)`.
const NUMBER_ROOM: usize = 10;

/// The smallest limit a split can honour (room for a number and some text).
pub const MIN_LIMIT: usize = 4 * NUMBER_ROOM;

/// The length a platform counts: UTF-16 code units.
pub fn length(text: &str) -> usize {
    text.encode_utf16().count()
}

/// `answer` and its footnotes as messages of at most `limit` units each (`limit` below
/// [`MIN_LIMIT`] counts as `MIN_LIMIT`).
pub fn split_answer(answer: &str, footnotes: &[Footnote], limit: usize) -> Vec<String> {
    let limit = limit.max(MIN_LIMIT);
    let answer = answer.trim();
    let notes = footnotes.iter().map(Footnote::line).collect::<Vec<_>>().join("\n");
    let whole = if notes.is_empty() { answer.to_string() } else { format!("{answer}\n\n{notes}") };
    if length(&whole) <= limit {
        return vec![whole.trim().to_string()];
    }
    let budget = limit - NUMBER_ROOM;
    let mut parts = pieces(answer, budget);
    if !notes.is_empty() {
        match parts.last_mut() {
            Some(last) if length(last) + 2 + length(&notes) <= budget => {
                last.push_str("\n\n");
                last.push_str(&notes);
            }
            _ => parts.extend(pieces(&notes, budget)),
        }
    }
    let count = parts.len();
    if count > 1 {
        for (i, part) in parts.iter_mut().enumerate() {
            part.push_str(&format!("\n({}/{count})", i + 1));
        }
    }
    parts
}

/// `text` cut into pieces of at most `budget` units at the best boundaries.
fn pieces(text: &str, budget: usize) -> Vec<String> {
    let mut parts = Vec::new();
    let mut rest = text.trim();
    while length(rest) > budget {
        let cut = best_cut(rest, budget);
        parts.push(rest[..cut].trim_end().to_string());
        rest = rest[cut..].trim_start();
    }
    if !rest.is_empty() {
        parts.push(rest.to_string());
    }
    parts
}

/// Where to end the next piece of `text`: the byte after the last paragraph break, line
/// break, sentence end or space that keeps the piece within `budget` units; a single word
/// longer than that is cut at the budget.
fn best_cut(text: &str, budget: usize) -> usize {
    let mut units = 0;
    let mut fits = text.len();
    for (at, c) in text.char_indices() {
        units += c.len_utf16();
        if units > budget {
            fits = at;
            break;
        }
    }
    let window = &text[..fits];
    let after = |i: usize, gap: &str| i + gap.len();
    if let Some(i) = window.rfind("\n\n").filter(|i| *i > 0) {
        return after(i, "\n\n");
    }
    if let Some(i) = window.rfind('\n').filter(|i| *i > 0) {
        return after(i, "\n");
    }
    if let Some(i) = sentence_end(window) {
        return i;
    }
    if let Some(i) = window.rfind(' ').filter(|i| *i > 0) {
        return after(i, " ");
    }
    fits.max(text.chars().next().map_or(0, char::len_utf8))
}

/// The byte after the last sentence end in `window` whose next sentence does not start with
/// a citation marker (`[n]` stays with the sentence it supports).
fn sentence_end(window: &str) -> Option<usize> {
    let bytes = window.as_bytes();
    (1..bytes.len())
        .rev()
        .find(|&i| {
            bytes[i] == b' '
                && matches!(bytes[i - 1], b'.' | b'!' | b'?' | b']')
                && bytes.get(i + 1) != Some(&b'[')
                && (bytes[i - 1] != b']' || ends_sentence_with_marker(&window[..i]))
        })
        .map(|i| i + 1)
}

/// Whether `text` ends with a sentence followed by citation markers, e.g. `… it. [1][2]`.
fn ends_sentence_with_marker(text: &str) -> bool {
    let trimmed = text.trim_end_matches(|c: char| c.is_ascii_digit() || c == '[' || c == ']');
    trimmed.trim_end().ends_with(['.', '!', '?'])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<&str> {
        text.split_whitespace().collect()
    }

    /// The parts without their numbers (`\n(i/n)`), joined: what a reader reads in order.
    fn unnumbered(parts: &[String]) -> String {
        let strip = |p: &String| match p.rsplit_once('\n') {
            Some((text, number)) if number.starts_with('(') && number.ends_with(')') && number.contains('/') => {
                text.to_string()
            }
            _ => p.clone(),
        };
        parts.iter().map(strip).collect::<Vec<_>>().join(" ")
    }

    #[test]
    fn a_short_answer_is_one_message_with_its_footnotes() {
        let notes = [
            Footnote { number: 1, label: "Handbook › Deadlines".into(), link: Some("https://w.example/d/1".into()) },
            Footnote { number: 2, label: "Guide".into(), link: None },
        ];
        let parts = split_answer("  Start with the smallest step. [1]\n", &notes, 4_096);
        assert_eq!(
            parts,
            vec!["Start with the smallest step. [1]\n\n[1] Handbook › Deadlines — https://w.example/d/1\n[2] Guide"]
        );
    }

    #[test]
    fn long_answers_break_at_paragraphs_then_sentences_and_keep_every_word_in_order() {
        let paragraph = "Plan the week on Sunday. Put the hardest task first. [1] Keep the rest small.";
        let answer = [paragraph; 6].join("\n\n");
        let limit = 200;
        let parts = split_answer(&answer, &[], limit);
        assert!(parts.len() > 1);
        for (i, part) in parts.iter().enumerate() {
            assert!(length(part) <= limit, "part {i} is {} long", length(part));
            assert!(part.ends_with(&format!("({}/{})", i + 1, parts.len())));
        }
        assert_eq!(words(&unnumbered(&parts)), words(&answer));
        // Two paragraphs (2 × 78 units and a break) fit in a part's 190-unit budget; a third does not.
        assert!(parts[0].starts_with(paragraph) && parts[0].contains(&format!("{paragraph}\n\n{paragraph}\n(1/")));
        // A paragraph alone longer than the budget breaks after a sentence, and the marker stays.
        let long = "One sentence here. [1] Another sentence follows it. ".repeat(6);
        let parts = split_answer(&long, &[], 60);
        assert!(parts.iter().all(|p| length(p) <= 60));
        assert!(parts.iter().all(|p| !p.starts_with('[')), "{parts:#?}");
        assert_eq!(words(&unnumbered(&parts)), words(&long));
    }

    #[test]
    fn a_word_longer_than_a_message_is_cut_and_emoji_count_double() {
        let word = "x".repeat(100);
        let parts = split_answer(&word, &[], 45);
        assert!(parts.iter().all(|p| length(p) <= 45));
        assert_eq!(unnumbered(&parts).replace(' ', ""), word);
        // 30 emoji are 60 UTF-16 units: over a limit of 50 although only 30 characters.
        let emoji = "🙂".repeat(30);
        let parts = split_answer(&emoji, &[], 50);
        assert_eq!(parts.len(), 2);
        assert!(parts.iter().all(|p| length(p) <= 50));
    }

    #[test]
    fn footnotes_that_do_not_fit_the_last_part_come_after_it() {
        let answer = "a ".repeat(80);
        let notes: Vec<Footnote> = (1..=3)
            .map(|n| Footnote { number: n, label: format!("Source {n}"), link: Some(format!("https://w.example/{n}")) })
            .collect();
        let parts = split_answer(&answer, &notes, 100);
        assert!(parts.iter().all(|p| length(p) <= 100));
        // The answer's parts carry no footnote; the parts after them carry the footnotes whole,
        // in order (three lines of 35 units do not fit one part's 90-unit budget together).
        let first_note = parts.iter().position(|p| p.starts_with("[1] ")).expect("a part of footnotes");
        assert!(parts[..first_note].iter().all(|p| !p.contains(" — https://")));
        let lines: Vec<&str> =
            parts[first_note..].iter().flat_map(|p| p.lines().filter(|l| !l.starts_with('('))).collect();
        let expected: Vec<String> = notes.iter().map(Footnote::line).collect();
        assert_eq!(lines, expected);
        assert_eq!(words(&unnumbered(&parts[..first_note])), words(&answer));
    }
}
