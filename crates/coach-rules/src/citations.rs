//! Citation marks in an answer: finding them, dropping the numbers that point to no source the
//! model was given, and mapping the rest to sources.
//!
//! Recognised marks: `[1]`, `[2, 3]`, `[2,3]`, `[2; 3]`, `[2 and 3]`, `[1-3]` (also with an en
//! dash; a range spans at most [`MAX_RANGE`] numbers), `[Source 2]`, `[Sources 2, 3]`, `[source
//! #2]`, `[ref 2]` and footnote style `[^2]`; adjacent marks (`[1][2]`) are separate marks. Not
//! marks: Markdown links and images `[x](y)`, reference definitions (`[1]: url` at a line start),
//! brackets holding anything else (`[a]`, `[see above]`) and anything inside code (`` `a[1]` `` or
//! fenced blocks). Validation runs once on the full final text, so it does not matter how the
//! answer was streamed.

use std::ops::Range;

use serde::{Deserialize, Serialize};

use crate::Source;

/// The most numbers one range mark (`[1-3]`) may expand to; wider ranges (`[1-200]`) are not
/// citations but quoted intervals.
pub const MAX_RANGE: usize = 20;

/// Longest bracket content considered, in bytes; a citation is short.
const MAX_MARK_CONTENT: usize = 48;

/// One citation mark found in a text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CitationMark {
    /// Byte range of the whole mark, brackets included.
    pub span: Range<usize>,
    /// The numbers it cites, in written order, without repeats (ranges expanded).
    pub numbers: Vec<usize>,
}

/// An answer after validation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CitedAnswer {
    /// The answer with every mark rewritten as `[n]` or `[n, m]`, invalid numbers removed and
    /// marks left empty removed together with the space before them.
    pub text: String,
    /// Valid source numbers in order of first appearance, without repeats.
    pub cited: Vec<usize>,
    /// Numbers cited that point to no source, in order of first appearance, without repeats.
    pub dropped: Vec<usize>,
}

/// Finds the citation marks in `text`, in order.
pub fn parse_citations(text: &str) -> Vec<CitationMark> {
    let code = code_ranges(text);
    let bytes = text.as_bytes();
    let mut marks = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'[' {
            i += 1;
            continue;
        }
        if let Some(skip_to) = code.iter().find(|r| r.contains(&i)).map(|r| r.end) {
            i = skip_to;
            continue;
        }
        let Some(close) = closing_bracket(bytes, i) else {
            i += 1;
            continue;
        };
        let end = close + 1;
        let followed_by_link = bytes.get(end) == Some(&b'(');
        let at_line_start = text[..i].rsplit('\n').next().is_some_and(|before| before.trim().is_empty());
        let definition = at_line_start && bytes.get(end) == Some(&b':');
        if !followed_by_link
            && !definition
            && let Some(numbers) = parse_mark_content(&text[i + 1..close])
        {
            marks.push(CitationMark { span: i..end, numbers });
            i = end;
        } else {
            i += 1;
        }
    }
    marks
}

/// The `]` closing the `[` at `open`, if it comes soon and nothing opens or breaks the line first.
fn closing_bracket(bytes: &[u8], open: usize) -> Option<usize> {
    let limit = (open + 2 + MAX_MARK_CONTENT).min(bytes.len());
    (open + 1..limit).take_while(|&j| !matches!(bytes[j], b'[' | b'\n')).find(|&j| bytes[j] == b']')
}

/// Byte ranges of fenced code blocks and inline code spans, where brackets are code, not citations.
fn code_ranges(text: &str) -> Vec<Range<usize>> {
    let mut ranges = Vec::new();
    let mut fence_start: Option<usize> = None;
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let line_end = offset + line.len();
        if line.trim_start().starts_with("```") || line.trim_start().starts_with("~~~") {
            match fence_start.take() {
                Some(start) => ranges.push(start..line_end),
                None => fence_start = Some(offset),
            }
        } else if fence_start.is_none() {
            // Inline code: a backtick run closed by a run of the same length on the same line.
            let bytes = line.as_bytes();
            let mut j = 0;
            while j < bytes.len() {
                if bytes[j] != b'`' {
                    j += 1;
                    continue;
                }
                let run = bytes[j..].iter().take_while(|&&b| b == b'`').count();
                let fence = &line[j..j + run];
                let after = j + run;
                match line[after..].find(fence) {
                    Some(k) => {
                        ranges.push(offset + j..offset + after + k + run);
                        j = after + k + run;
                    }
                    None => j = after,
                }
            }
        }
        offset = line_end;
    }
    if let Some(start) = fence_start {
        ranges.push(start..text.len());
    }
    ranges
}

/// The numbers of a mark's content (between the brackets), or `None` if it is not a citation.
fn parse_mark_content(content: &str) -> Option<Vec<usize>> {
    let mut rest = content.trim();
    rest = rest.strip_prefix('^').unwrap_or(rest).trim_start();
    let mut numbers: Vec<usize> = Vec::new();
    loop {
        rest = strip_label(rest);
        let (first, after) = take_number(rest)?;
        rest = after.trim_start();
        let mut last = first;
        if let Some(after_dash) = rest.strip_prefix(['-', '–', '—']) {
            let (end, after) = take_number(strip_label(after_dash.trim_start()))?;
            if end < first || end - first >= MAX_RANGE {
                return None;
            }
            last = end;
            rest = after.trim_start();
        }
        for n in first..=last {
            if !numbers.contains(&n) {
                numbers.push(n);
            }
        }
        if rest.is_empty() {
            return Some(numbers);
        }
        rest = strip_separator(rest)?;
    }
}

/// Removes a leading "Source", "Sources", "Src", "Ref", "Refs", "Reference(s)" label (any case,
/// optional `:`/`#`).
fn strip_label(text: &str) -> &str {
    let lower = text.to_ascii_lowercase();
    for label in ["sources", "source", "src", "references", "reference", "refs", "ref"] {
        if lower.starts_with(label) {
            let after = &text[label.len()..];
            // The label must be a whole word: "[Sourcebook 2]" is not a citation.
            if after.starts_with(|c: char| c.is_whitespace() || c == ':' || c == '#' || c.is_ascii_digit()) {
                let after = after.trim_start().trim_start_matches(':').trim_start();
                return after.strip_prefix('#').unwrap_or(after).trim_start();
            }
        }
    }
    text.strip_prefix('#').unwrap_or(text)
}

/// A leading decimal number of at most six digits, and what follows it.
fn take_number(text: &str) -> Option<(usize, &str)> {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || digits > 6 {
        return None;
    }
    Some((text[..digits].parse().ok()?, &text[digits..]))
}

/// Removes a list separator (`,`, `;`, `&`, `and`) with its spaces, or `None` if there is none.
fn strip_separator(text: &str) -> Option<&str> {
    let rest = if let Some(rest) = text.strip_prefix([',', ';', '&']) {
        rest
    } else {
        let rest = text.strip_prefix("and")?;
        if !rest.starts_with(char::is_whitespace) {
            return None;
        }
        rest
    };
    let rest = rest.trim_start();
    // "[1, and 2]"
    Some(rest.strip_prefix("and ").unwrap_or(rest).trim_start())
}

/// Validates the marks of `text` against `sources` sources numbered `1..=sources`: keeps valid
/// numbers, removes the others, and removes marks that end up empty without leaving a double space
/// or a space before punctuation behind.
pub fn validate_citations(text: &str, sources: usize) -> CitedAnswer {
    let mut out = String::with_capacity(text.len());
    let mut cited: Vec<usize> = Vec::new();
    let mut dropped: Vec<usize> = Vec::new();
    let mut cursor = 0;
    for mark in parse_citations(text) {
        // A skipped "([7])" wrapper may already have consumed this mark's neighbourhood.
        if mark.span.start < cursor {
            continue;
        }
        out.push_str(&text[cursor..mark.span.start]);
        cursor = mark.span.end;
        let (valid, invalid): (Vec<usize>, Vec<usize>) =
            mark.numbers.iter().copied().partition(|n| (1..=sources).contains(n));
        for n in invalid {
            if !dropped.contains(&n) {
                dropped.push(n);
            }
        }
        if !valid.is_empty() {
            for &n in &valid {
                if !cited.contains(&n) {
                    cited.push(n);
                }
            }
            out.push_str(&render_mark(&valid));
            continue;
        }
        cursor = remove_mark(&mut out, text, cursor);
    }
    out.push_str(&text[cursor..]);
    CitedAnswer { text: out, cited, dropped }
}

/// The canonical form of a mark: `[1]` or `[1, 2]`.
fn render_mark(numbers: &[usize]) -> String {
    let list: Vec<String> = numbers.iter().map(usize::to_string).collect();
    format!("[{}]", list.join(", "))
}

/// Tidies the text around a mark that was removed: `out` holds the text before it, `after` is
/// where the text after it starts. Returns where copying should resume.
fn remove_mark(out: &mut String, text: &str, after: usize) -> usize {
    let rest = &text[after..];
    let next = rest.chars().next();
    let horizontal = |c: char| c == ' ' || c == '\t';
    // "claim ([7])." → "claim."
    if out.ends_with('(') && next == Some(')') {
        out.pop();
        trim_end_horizontal(out);
        return after + 1;
    }
    match next {
        // End of text, end of line, or punctuation: the space before the mark goes too.
        None | Some('\n' | '\r' | '.' | ',' | ';' | ':' | '!' | '?' | ')' | ']' | '…') => {
            trim_end_horizontal(out);
            after
        }
        Some(c) if horizontal(c) => {
            let at_line_start = out.is_empty() || out.ends_with('\n');
            if at_line_start || out.ends_with(horizontal) {
                // Keep one space: drop the one after the mark.
                after + rest.len() - rest.trim_start_matches(horizontal).len()
            } else {
                after
            }
        }
        // "[7][1]": the next mark takes the place; the space before stays.
        Some('[') => after,
        // "word[7]next" would glue two words.
        Some(_) => {
            if out.chars().next_back().is_some_and(char::is_alphanumeric) {
                out.push(' ');
            }
            after
        }
    }
}

fn trim_end_horizontal(out: &mut String) {
    let kept = out.trim_end_matches([' ', '\t']).len();
    out.truncate(kept);
}

/// Removes every citation mark from `text` (used on earlier answers and passages shown to a model,
/// whose numbers would point to the wrong sources), tidying spaces as [`validate_citations`] does.
pub fn strip_citations(text: &str) -> String {
    validate_citations(text, 0).text
}

/// The sources that `cited` numbers point to, in the order cited; numbers without a source are
/// skipped.
pub fn cited_sources<'a>(cited: &[usize], sources: &'a [Source]) -> Vec<&'a Source> {
    cited.iter().filter_map(|n| sources.iter().find(|s| s.number == *n)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_must_be_whole_words() {
        assert_eq!(parse_mark_content("Sourcebook 2"), None);
        assert_eq!(parse_mark_content("Source: #2"), Some(vec![2]));
        assert_eq!(parse_mark_content("1, and 2"), Some(vec![1, 2]));
    }

    #[test]
    fn ranges_must_be_ordered_and_short() {
        assert_eq!(parse_mark_content("3-1"), None);
        assert_eq!(parse_mark_content("1-200"), None);
        assert_eq!(parse_mark_content("2–4"), Some(vec![2, 3, 4]));
    }
}
