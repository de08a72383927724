//! A program drafted from a collection without a chat model: one concept per document section,
//! prerequisite edges from document order and from cross-references between sections. The draft
//! is a starting point an author edits, so every rule below is simple enough to predict.
//!
//! - Sections that are front or back matter (contents, preface, references, index, glossary, key
//!   terms, summaries, review questions…) are skipped; an "Introduction" or "Overview" is skipped
//!   only when it is nearly empty (fewer than [`TINY_SECTION_WORDS`]), since a substantial one
//!   teaches the big picture.
//! - A tiny section (fewer than [`TINY_SECTION_WORDS`] words) is merged into the previous concept
//!   of its document, or, when it opens the document, carried into the next one. Exercise sections
//!   are merged into the previous concept whatever their size: they practise it.
//! - Edges: each concept requires the previous concept of its document; and when a section's text
//!   names a concept of an *earlier document*, it requires that concept too (at most
//!   [`MAX_CROSS_REFERENCES`] per concept, the most-mentioned first). Mentions of earlier concepts
//!   of the same document add nothing the document chain does not already imply, so the cap is
//!   spent on links the chain cannot give. Every edge points to an earlier concept, so the draft
//!   is a DAG by construction.

use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use wayfinder_knowledge_rules::STOPWORDS;

/// Sections with fewer words than this are too small to be a concept of their own.
pub const TINY_SECTION_WORDS: usize = 80;
/// Longest concept description, in characters.
pub const MAX_DESCRIPTION_CHARS: usize = 300;
/// Cross-reference edges kept per concept, so the drafted graph stays readable.
pub const MAX_CROSS_REFERENCES: usize = 3;
/// Reading speed for the time estimate: a common figure for adult reading of non-fiction.
const READING_WORDS_PER_MINUTE: f64 = 200.0;
/// Practice adds half the reading time again: a few retrieval questions per page read.
const PRACTICE_SHARE: f64 = 0.5;
/// No concept is estimated below this: opening it, a question or two and feedback take that long.
const MIN_MINUTES: u32 = 5;
/// Distinctive terms kept as tags, after the document title.
const TERM_TAGS: usize = 3;

/// Headings of sections that are never concepts (compared after cleaning, lower-cased), also when
/// joined to more by "and", "of" or "for" ("Summary and key points", "Review questions for
/// chapter 2") — but not as the start of a topic ("Summary statistics").
const MATTER: &[&str] = &[
    "acknowledgements",
    "acknowledgments",
    "bibliography",
    "chapter review",
    "chapter summary",
    "discussion questions",
    "further reading",
    "glossary",
    "key terms",
    "references",
    "review questions",
    "suggested reading",
    "summary",
    "works cited",
];
/// Matter headings matched exactly only, because as prefixes they start real topics ("Index
/// funds", "Notes on sampling").
const MATTER_EXACT: &[&str] = &[
    "about the author",
    "about the authors",
    "contents",
    "copyright",
    "dedication",
    "foreword",
    "index",
    "notes",
    "preface",
    "table of contents",
];
/// Openers skipped only when nearly empty.
const OPENERS: &[&str] = &["introduction", "overview"];
/// Practice sections merged into the concept they practise.
const PRACTICE: &[&str] = &["check your understanding", "exercises", "practice problems", "problems", "self-test"];
/// Words that label a heading's number ("Chapter 3: …").
const NUMBER_LABELS: &[&str] = &["chapter", "lecture", "lesson", "module", "part", "section", "unit", "week"];
/// Single words too generic to count as a mention of the concept they name.
const GENERIC_WORDS: &[&str] = &[
    "application",
    "applications",
    "background",
    "basics",
    "conclusion",
    "conclusions",
    "definition",
    "definitions",
    "discussion",
    "example",
    "examples",
    "exercises",
    "introduction",
    "method",
    "methods",
    "overview",
    "practice",
    "problems",
    "results",
    "summary",
    "theory",
];

/// One section of a document, in document order, as the knowledge base stored it.
#[derive(Clone, Debug, PartialEq)]
pub struct SectionSource {
    /// Which document of the collection (documents are given in order).
    pub document_index: usize,
    pub document_title: String,
    /// Position of the section in its document.
    pub order: usize,
    /// Headings from the outermost to the section's own, e.g. `["Chapter 3", "Procrastination"]`.
    pub heading_path: Vec<String>,
    pub text: String,
    /// Opaque ids of the section's chunks; the caller maps them back.
    pub chunk_keys: Vec<u64>,
}

/// A proposed concept.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DraftConcept {
    pub name: String,
    /// The section's first sentence(s), at most [`MAX_DESCRIPTION_CHARS`] characters.
    pub description: String,
    /// The document title, then the section's most distinctive terms.
    pub tags: Vec<String>,
    /// Reading at 200 words a minute plus half as long again for practice, at least 5.
    pub estimated_minutes: u32,
    /// The chunks the concept is taught from.
    pub chunk_keys: Vec<u64>,
}

/// A proposed program: concepts and `(concept, requires)` edges between their indices.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ProgramDraft {
    pub concepts: Vec<DraftConcept>,
    /// `(concept index, index of the concept it requires)`; the second is always smaller.
    pub edges: Vec<(usize, usize)>,
}

/// A concept being assembled from one or more sections.
struct Gathered {
    document_index: usize,
    document_title: String,
    /// Cleaned heading, before duplicate names are told apart.
    heading: String,
    text: String,
    chunk_keys: Vec<u64>,
}

impl Gathered {
    fn absorb(&mut self, other: Gathered) {
        append_text(&mut self.text, &other.text);
        self.chunk_keys.extend(other.chunk_keys);
    }
}

/// Drafts a program from `sections`, given in document order (see the module doc for the rules).
pub fn draft_program(sections: &[SectionSource]) -> ProgramDraft {
    let gathered = gather(sections);
    let tokens: Vec<Vec<String>> = gathered.iter().map(|g| tokenize(&g.text)).collect();
    let document_frequency = document_frequency(&tokens);
    let names = unique_names(&gathered);
    let concepts = gathered
        .iter()
        .zip(&tokens)
        .zip(names)
        .map(|((g, words), name)| DraftConcept {
            name,
            description: describe(&g.text),
            tags: tags(&g.document_title, words, &document_frequency, gathered.len()),
            estimated_minutes: estimate_minutes(words.len()),
            chunk_keys: g.chunk_keys.clone(),
        })
        .collect();
    let edges = edges(&gathered, &tokens, &document_frequency);
    ProgramDraft { concepts, edges }
}

/// Applies the skip and merge rules, giving one entry per concept in document order.
fn gather(sections: &[SectionSource]) -> Vec<Gathered> {
    let mut gathered: Vec<Gathered> = Vec::new();
    // Tiny sections that open a document, waiting for the document's first real section.
    let mut pending: Option<Gathered> = None;
    for section in sections {
        if pending.as_ref().is_some_and(|p| p.document_index != section.document_index) {
            // A document made only of tiny sections still becomes one concept.
            gathered.extend(pending.take());
        }
        let raw = section.heading_path.iter().rev().map(|h| h.trim()).find(|h| !h.is_empty());
        let heading = clean_heading(raw.unwrap_or(section.document_title.trim()));
        let key = heading.to_lowercase();
        let words = section.text.split_whitespace().count();
        let tiny = words < TINY_SECTION_WORDS;
        let is_matter = MATTER.iter().any(|m| {
            key.strip_prefix(m)
                .is_some_and(|r| r.is_empty() || [" and ", " of ", " for "].iter().any(|joint| r.starts_with(joint)))
        }) || MATTER_EXACT.contains(&key.as_str())
            || (tiny && OPENERS.contains(&key.as_str()));
        if is_matter {
            continue;
        }
        let mut current = Gathered {
            document_index: section.document_index,
            document_title: section.document_title.trim().to_string(),
            heading,
            text: section.text.trim().to_string(),
            chunk_keys: section.chunk_keys.clone(),
        };
        let previous = gathered.last_mut().filter(|g| g.document_index == section.document_index);
        if tiny || PRACTICE.contains(&key.as_str()) {
            match (previous, pending.as_mut()) {
                (Some(previous), _) => previous.absorb(current),
                (None, Some(waiting)) => waiting.absorb(current),
                (None, None) => pending = Some(current),
            }
            continue;
        }
        if let Some(mut opening) = pending.take() {
            // The opening text comes first; the name is the real section's.
            append_text(&mut opening.text, &current.text);
            opening.chunk_keys.extend(current.chunk_keys);
            opening.heading = current.heading;
            current = opening;
        }
        gathered.push(current);
    }
    gathered.extend(pending);
    gathered
}

/// The heading without its numbering: "3.2 Working memory" → "Working memory", "Chapter 3:
/// Procrastination" → "Procrastination", "IV. Results" → "Results". A heading that is nothing
/// but numbering ("Chapter 3") is kept whole, since nothing better names the section.
fn clean_heading(raw: &str) -> String {
    const SEPARATORS: &[char] = &['.', ':', ')', '-', '–', '—'];
    let trimmed = raw.trim();
    let (first, after_first) = split_first_word(trimmed);
    let rest = if NUMBER_LABELS.contains(&first.to_lowercase().as_str()) {
        let (number, after_number) = split_first_word(after_first);
        let bare = number.trim_end_matches(SEPARATORS);
        if is_arabic_number(bare) || is_roman_number(bare) { after_number } else { trimmed }
    } else if is_arabic_number(first.trim_end_matches(SEPARATORS))
        // A bare roman numeral needs its punctuation: "I. Scope" is numbered, "I Robot" is not.
        || (first.ends_with(['.', ')']) && is_roman_number(first.trim_end_matches(SEPARATORS)))
    {
        after_first
    } else {
        trimmed
    };
    let rest = rest.trim_start_matches(|c: char| SEPARATORS.contains(&c) || c.is_whitespace()).trim_end();
    if rest.is_empty() { trimmed.to_string() } else { rest.to_string() }
}

fn split_first_word(text: &str) -> (&str, &str) {
    let text = text.trim_start();
    text.split_once(char::is_whitespace).unwrap_or((text, ""))
}

/// "3", "3.2", "3.2.1" (the trailing separator already removed); at most three digits first, so a
/// year opening a heading ("1990 in Review") is not taken for numbering.
fn is_arabic_number(token: &str) -> bool {
    let mut parts = token.split('.');
    parts.next().is_some_and(|p| (1..=3).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()))
        && parts.all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

fn is_roman_number(token: &str) -> bool {
    !token.is_empty() && token.chars().all(|c| "ivxlcdmIVXLCDM".contains(c))
}

fn append_text(text: &mut String, more: &str) {
    let more = more.trim();
    if more.is_empty() {
        return;
    }
    if !text.is_empty() {
        text.push_str("\n\n");
    }
    text.push_str(more);
}

/// Lower-cased words (runs of letters and digits), the unit both mentions and terms are counted in.
fn tokenize(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect()
}

/// For each word, how many concepts' texts contain it.
fn document_frequency(tokens: &[Vec<String>]) -> HashMap<&str, usize> {
    let mut frequency: HashMap<&str, usize> = HashMap::new();
    for words in tokens {
        let distinct: HashSet<&str> = words.iter().map(String::as_str).collect();
        for word in distinct {
            *frequency.entry(word).or_default() += 1;
        }
    }
    frequency
}

fn is_stopword(word: &str) -> bool {
    STOPWORDS.binary_search(&word).is_ok()
}

/// Names from headings. A shared opener ("Introduction", "Overview") is named after the
/// concept it opens ("Introduction to Memory"): a book split into modules has one per chapter,
/// and the chapter's first topic says more than the book's title. Any other name several concepts
/// share gets its document's title in parentheses, and a clash left after that (same heading
/// twice in one document, or a document titled as its heading) a running number in parentheses.
fn unique_names(gathered: &[Gathered]) -> Vec<String> {
    let mut count: HashMap<String, usize> = HashMap::new();
    for g in gathered {
        *count.entry(g.heading.to_lowercase()).or_default() += 1;
    }
    let named: Vec<String> = gathered
        .iter()
        .enumerate()
        .map(|(i, g)| {
            let key = g.heading.to_lowercase();
            let opened = gathered[i + 1..].iter().find(|n| !OPENERS.contains(&n.heading.to_lowercase().as_str()));
            if count[&key] > 1
                && OPENERS.contains(&key.as_str())
                && let Some(next) = opened
            {
                format!("{} to {}", g.heading, next.heading)
            } else if count[&key] > 1 && !g.document_title.trim().eq_ignore_ascii_case(&g.heading) {
                format!("{} ({})", g.heading, g.document_title)
            } else {
                g.heading.clone()
            }
        })
        .collect();
    let mut seen: HashMap<String, usize> = HashMap::new();
    named
        .into_iter()
        .map(|name| {
            let n = seen.entry(name.to_lowercase()).or_default();
            *n += 1;
            if *n == 1 { name } else { format!("{name} ({n})") }
        })
        .collect()
}

/// The leading sentences that fit in [`MAX_DESCRIPTION_CHARS`]; when even the first does not
/// fit, it is cut at a word boundary and ends with "…".
fn describe(text: &str) -> String {
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut end_of_fitting = None;
    let chars: Vec<(usize, char)> = flat.char_indices().collect();
    let is_terminal = |c: char| matches!(c, '.' | '!' | '?');
    for (i, &(at, c)) in chars.iter().enumerate() {
        if i >= MAX_DESCRIPTION_CHARS {
            break;
        }
        let at_boundary = chars.get(i + 1).is_none_or(|&(_, next)| next == ' ');
        // The terminal itself, or a closing quote or bracket right after one ('… memory."').
        let terminal_at = if is_terminal(c) {
            Some(at)
        } else if matches!(c, '"' | '\'' | '”' | '’' | ')') && i > 0 && is_terminal(chars[i - 1].1) {
            Some(chars[i - 1].0)
        } else {
            None
        };
        if let Some(terminal_at) = terminal_at
            && at_boundary
            && !ends_with_abbreviation(&flat[..terminal_at])
        {
            end_of_fitting = Some(at + c.len_utf8());
        }
    }
    if let Some(end) = end_of_fitting {
        return flat[..end].to_string();
    }
    if chars.len() <= MAX_DESCRIPTION_CHARS {
        return flat;
    }
    // One leading sentence longer than the limit: cut at the last space that leaves room for "…".
    let limit = chars[MAX_DESCRIPTION_CHARS - 1].0;
    let cut = flat[..limit].rfind(' ').unwrap_or(limit);
    format!("{}…", flat[..cut].trim_end_matches([',', ';', ':']))
}

/// Whether a full stop at the end of `before` belongs to an abbreviation, not a sentence end.
fn ends_with_abbreviation(before: &str) -> bool {
    const ABBREVIATIONS: &[&str] = &["e.g", "i.e", "etc", "vs", "cf", "fig", "dr", "mr", "mrs", "ms", "prof"];
    let last = before.rsplit(' ').next().unwrap_or("").to_lowercase();
    let last = last.trim_start_matches(|c: char| !c.is_alphanumeric());
    ABBREVIATIONS.contains(&last) || (last.len() == 1 && last.chars().all(char::is_alphabetic))
}

/// The document title, then up to [`TERM_TAGS`] terms by tf·idf over the drafted concepts
/// (`count × ln((concepts + 1) / concepts containing it)`), among words of four letters or more
/// that are not stopwords and occur at least twice in the concept.
fn tags(title: &str, words: &[String], document_frequency: &HashMap<&str, usize>, concepts: usize) -> Vec<String> {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for word in words {
        if word.chars().count() >= 4 && word.chars().all(char::is_alphabetic) && !is_stopword(word) {
            *counts.entry(word).or_default() += 1;
        }
    }
    let mut scored: Vec<(f64, &str)> = counts
        .into_iter()
        .filter(|&(_, n)| n >= 2)
        .map(|(word, n)| {
            let df = document_frequency.get(word).copied().unwrap_or(1) as f64;
            (n as f64 * ((concepts as f64 + 1.0) / df).ln(), word)
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    let mut tags = Vec::with_capacity(1 + TERM_TAGS);
    if !title.is_empty() {
        tags.push(title.to_string());
    }
    tags.extend(scored.into_iter().take(TERM_TAGS).map(|(_, word)| word.to_string()));
    tags
}

fn estimate_minutes(words: usize) -> u32 {
    let minutes = (words as f64 / READING_WORDS_PER_MINUTE * (1.0 + PRACTICE_SHARE)).ceil();
    (minutes as u32).max(MIN_MINUTES)
}

/// The phrases that count as naming a concept: its cleaned heading and, for "Topic: subtitle"
/// headings, the topic alone. A phrase of one word counts only when it is distinctive — not a
/// stopword or generic heading word, and found in at most a third of the concepts (at least 2, its
/// own and one more) — so a book-wide word like "memory" does not link everything.
fn mention_phrases(heading: &str, document_frequency: &HashMap<&str, usize>, concepts: usize) -> Vec<Vec<String>> {
    let mut phrases = vec![tokenize(heading)];
    if let Some((topic, _)) = heading.split_once(':') {
        phrases.push(tokenize(topic));
    }
    phrases.dedup();
    let most_concepts = (concepts / 3).max(2);
    phrases.retain(|phrase| match phrase.as_slice() {
        [] => false,
        [word] => {
            word.chars().count() >= 4
                && !is_stopword(word)
                && !GENERIC_WORDS.contains(&word.as_str())
                && document_frequency.get(word.as_str()).copied().unwrap_or(0) <= most_concepts
        }
        words => words.iter().any(|w| !is_stopword(w) && !GENERIC_WORDS.contains(&w.as_str())),
    });
    phrases
}

/// Document-order edges, then cross-references to concepts of earlier documents.
fn edges(
    gathered: &[Gathered],
    tokens: &[Vec<String>],
    document_frequency: &HashMap<&str, usize>,
) -> Vec<(usize, usize)> {
    // Phrases indexed by their first word, so each text is scanned once rather than once per name.
    let mut by_first_word: HashMap<&str, Vec<(usize, Vec<String>)>> = HashMap::new();
    let phrases: Vec<(usize, Vec<String>)> = gathered
        .iter()
        .enumerate()
        .flat_map(|(j, g)| {
            mention_phrases(&g.heading, document_frequency, gathered.len()).into_iter().map(move |p| (j, p))
        })
        .collect();
    for (j, phrase) in &phrases {
        by_first_word.entry(phrase[0].as_str()).or_default().push((*j, phrase.clone()));
    }

    let mut edges = Vec::new();
    for (i, g) in gathered.iter().enumerate() {
        if i > 0 && gathered[i - 1].document_index == g.document_index {
            edges.push((i, i - 1));
        }
        let words = &tokens[i];
        let mut mentions: HashMap<usize, usize> = HashMap::new();
        for (at, word) in words.iter().enumerate() {
            let mut named_here: Vec<usize> = by_first_word
                .get(word.as_str())
                .into_iter()
                .flatten()
                .filter(|(j, phrase)| gathered[*j].document_index < g.document_index && words[at..].starts_with(phrase))
                .map(|(j, _)| *j)
                .collect();
            // "Topic: subtitle" and "Topic" both match at one place: one mention, not two.
            named_here.dedup();
            for j in named_here {
                *mentions.entry(j).or_default() += 1;
            }
        }
        let mut referenced: Vec<(usize, usize)> = mentions.into_iter().collect();
        // Most mentioned first; then the nearest (latest) concept, as the more specific one.
        referenced.sort_by(|a, b| b.1.cmp(&a.1).then(b.0.cmp(&a.0)));
        edges.extend(referenced.into_iter().take(MAX_CROSS_REFERENCES).map(|(j, _)| (i, j)));
    }
    edges
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::ConceptGraph;

    /// `n` words that are all stopwords: they pad a section past the tiny threshold without adding
    /// mentions, sentences or tag candidates.
    fn padding(n: usize) -> String {
        ["and", "so", "it", "is", "on", "with", "them", "then"]
            .iter()
            .cycle()
            .take(n)
            .copied()
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn section(document_index: usize, order: usize, headings: &[&str], text: String, keys: &[u64]) -> SectionSource {
        SectionSource {
            document_index,
            document_title: ["Learning How to Learn", "Study Skills"][document_index].to_string(),
            order,
            heading_path: headings.iter().map(|h| h.to_string()).collect(),
            text,
            chunk_keys: keys.to_vec(),
        }
    }

    fn fixture() -> Vec<SectionSource> {
        vec![
            section(0, 0, &["Preface"], format!("Why this book. {}", padding(100)), &[100]),
            section(
                0,
                1,
                &["Chapter 1", "1.1 Focused and Diffuse Modes"],
                format!("The brain switches between two ways of thinking. {}", padding(100)),
                &[1, 2],
            ),
            section(
                0,
                2,
                &["Chapter 1", "1.2 Working Memory"],
                format!(
                    "Working memory holds about four items at once. Rehearsal keeps items alive, and rehearsal fails \
                     under stress. {}",
                    padding(100)
                ),
                &[3],
            ),
            // 5 + 20 words: tiny, merged into Working Memory.
            section(
                0,
                3,
                &["Chapter 1", "1.3 A Note on Sleep"],
                format!("Sleep clears the clutter. {}", padding(20)),
                &[4],
            ),
            section(
                0,
                4,
                &["Chapter 2: Chunks", "2.1 Chunking"],
                format!("Chunking binds pieces into one unit. {}", padding(100)),
                &[5],
            ),
            section(0, 5, &["Key Terms"], format!("Chunk: a unit. {}", padding(100)), &[101]),
            // Practice, merged into Chunking although it is long.
            section(0, 6, &["Chapter 2: Chunks", "Exercises"], format!("Try these. {}", padding(100)), &[6]),
            section(1, 0, &["Introduction"], format!("This book helps you study. {}", padding(10)), &[102]),
            // Tiny and opening the document: carried into the next section.
            section(1, 1, &["Part I"], "Planning comes first.".to_string(), &[20]),
            section(
                1,
                2,
                &["Part I", "1. Spaced Practice"],
                format!(
                    "Spaced practice spreads sessions over days. It eases the load on working memory, unlike \
                     cramming. {}",
                    padding(100)
                ),
                &[21],
            ),
            section(
                1,
                3,
                &["Part I", "2. Chunking"],
                format!(
                    "Chunking, seen from the desk. Good chunking needs focused and diffuse modes in turn. {}",
                    padding(100)
                ),
                &[22],
            ),
            section(1, 4, &["Summary and key points"], format!("We saw things. {}", padding(100)), &[103]),
            section(1, 5, &["References"], format!("Oakley, B. (2014). {}", padding(100)), &[104]),
        ]
    }

    #[test]
    fn one_concept_per_section_with_matter_skipped_and_tiny_sections_merged() {
        let draft = draft_program(&fixture());
        let names: Vec<&str> = draft.concepts.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "Focused and Diffuse Modes",
                "Working Memory",
                "Chunking (Learning How to Learn)",
                "Spaced Practice",
                "Chunking (Study Skills)",
            ]
        );
        let keys: Vec<&[u64]> = draft.concepts.iter().map(|c| c.chunk_keys.as_slice()).collect();
        // Sleep (4) joins Working Memory, Exercises (6) join Chunking, Part I (20) opens Spaced
        // Practice; no chunk of skipped matter (100–104) appears.
        assert_eq!(keys, [&[1, 2][..], &[3, 4], &[5, 6], &[20, 21], &[22]]);
        assert!(draft.concepts[1].description.starts_with("Working memory holds"));
        // The carried opening comes first; the padding has no full stop, so only these sentences fit.
        assert_eq!(
            draft.concepts[3].description,
            "Planning comes first. Spaced practice spreads sessions over days. It eases the load on working memory, \
             unlike cramming."
        );
    }

    #[test]
    fn edges_follow_document_order_and_cross_references_to_earlier_documents() {
        let draft = draft_program(&fixture());
        assert_eq!(
            draft.edges,
            [
                (1, 0), // Working Memory after Focused and Diffuse Modes
                (2, 1), // Chunking after Working Memory
                (3, 1), // Spaced Practice names "working memory" (first of its document: no order edge)
                (4, 3), // Chunking (Study Skills) after Spaced Practice
                (4, 2), // …names "chunking" twice
                (4, 0), // …and "focused and diffuse modes" once
            ]
        );
        let graph = ConceptGraph::new(draft.edges.iter().copied());
        assert!(graph.topological_order().is_ok());
        assert!(draft.edges.iter().all(|&(concept, requires)| requires < concept));
    }

    #[test]
    fn tags_are_the_title_then_distinctive_terms() {
        let draft = draft_program(&fixture());
        // "items" and "rehearsal" occur twice, only in this concept; alphabetical on equal score.
        // "memory", "sleep" and the rest occur once, stopwords never count.
        assert_eq!(draft.concepts[1].tags, ["Learning How to Learn", "items", "rehearsal"]);
        // Study Skills' Chunking says "chunking" twice but so does the other Chunking concept;
        // it still ranks, as the only repeated word.
        assert_eq!(draft.concepts[4].tags, ["Study Skills", "chunking"]);
    }

    #[test]
    fn matter_is_recognised_without_swallowing_real_topics() {
        let headings = [
            "Summary Statistics",
            "Chapter 4 Summary",
            "Index Funds",
            "References and Further Reading",
            "Introduction",
            "Review Questions for Chapter 4",
        ];
        let sections: Vec<SectionSource> = headings
            .iter()
            .enumerate()
            .map(|(i, h)| section(0, i, &[h], format!("Some text. {}", padding(100)), &[i as u64]))
            .collect();
        let draft = draft_program(&sections);
        let names: Vec<&str> = draft.concepts.iter().map(|c| c.name.as_str()).collect();
        // A substantial introduction is a concept; "Chapter 4 Summary" cleans to "Summary".
        assert_eq!(names, ["Summary Statistics", "Index Funds", "Introduction"]);
    }

    #[test]
    fn minutes_are_reading_plus_practice_with_a_floor() {
        let long = section(0, 0, &["Memory Palaces"], format!("A long read. {}", padding(997)), &[1]);
        let short = section(0, 1, &["Loci"], format!("A short read. {}", padding(97)), &[2]);
        let draft = draft_program(&[long, short]);
        // 1,000 words: 5 minutes of reading + 2.5 of practice, rounded up to 8; 100 words: floor 5.
        assert_eq!(draft.concepts[0].estimated_minutes, 8);
        assert_eq!(draft.concepts[1].estimated_minutes, 5);
    }

    #[test]
    fn cross_references_are_capped_most_mentioned_first() {
        let topics = ["Alpha Waves", "Beta Blockers", "Gamma Rays", "Delta Rivers", "Epsilon Terms"];
        let mut sections: Vec<SectionSource> = topics
            .iter()
            .enumerate()
            .map(|(i, t)| section(0, i, &[t], format!("About {t}. {}", padding(100)), &[i as u64]))
            .collect();
        // Mentions: gamma rays ×3, alpha waves ×2, epsilon terms ×2, beta blockers ×1, delta rivers ×1.
        let text = format!(
            "Gamma rays, gamma rays and gamma rays; alpha waves, alpha waves; epsilon terms, epsilon terms; beta \
             blockers; delta rivers. {}",
            padding(100)
        );
        sections.push(section(1, 0, &["Synthesis"], text, &[9]));
        let draft = draft_program(&sections);
        let from_synthesis: Vec<usize> = draft.edges.iter().filter(|e| e.0 == 5).map(|e| e.1).collect();
        // Gamma (2) first; alpha (0) and epsilon (4) tie on two mentions: the later concept first.
        assert_eq!(from_synthesis, [2, 4, 0]);
    }

    #[test]
    fn a_common_single_word_name_is_not_a_reference() {
        // "Memory" names a concept but appears in every section: linking on it would link everything.
        let sections: Vec<SectionSource> = (0..6)
            .map(|i| {
                let heading = if i == 0 { "Memory".to_string() } else { format!("Topic Number {i}") };
                section(i / 3, i % 3, &[&heading], format!("Memory matters here. {}", padding(100)), &[i as u64])
            })
            .collect();
        let draft = draft_program(&sections);
        assert!(draft.edges.iter().all(|&(concept, requires)| requires + 1 == concept), "{:?}", draft.edges);
    }

    #[test]
    fn headings_lose_their_numbering() {
        assert_eq!(clean_heading("3.2 Working memory"), "Working memory");
        assert_eq!(clean_heading("3.2. Working memory"), "Working memory");
        assert_eq!(clean_heading("Chapter 3: Procrastination: The Enemy Within"), "Procrastination: The Enemy Within");
        assert_eq!(clean_heading("Part IV — Habits"), "Habits");
        assert_eq!(clean_heading("IV. Results"), "Results");
        assert_eq!(clean_heading("  Chapter 3 "), "Chapter 3");
        assert_eq!(clean_heading("I Robot"), "I Robot");
        assert_eq!(clean_heading("3D Printing"), "3D Printing");
        assert_eq!(clean_heading("1990 in Review"), "1990 in Review");
    }

    #[test]
    fn descriptions_end_at_a_sentence_within_the_limit() {
        let short = "First sentence here. Second one, e.g. with an abbreviation.  Third!";
        assert_eq!(describe(short), "First sentence here. Second one, e.g. with an abbreviation. Third!");
        let quoted = format!("She said \"stop.\" {}", "word ".repeat(80));
        assert_eq!(describe(&quoted), "She said \"stop.\"");
        // The second sentence would pass 300 characters: only the first is kept.
        let first = format!("{}end.", "a ".repeat(100));
        let second = format!(" {}end.", "b ".repeat(100));
        assert_eq!(describe(&(first.clone() + &second)), first);
        // One sentence longer than the limit: cut at a word, marked with an ellipsis.
        let endless = "word ".repeat(100);
        let cut = describe(&endless);
        assert!(cut.ends_with("word…") && cut.chars().count() <= MAX_DESCRIPTION_CHARS, "{cut}");
        assert_eq!(describe("No full stop at all"), "No full stop at all");
    }

    #[test]
    fn shared_openers_are_named_after_what_they_open() {
        let section = |document_index: usize, heading: &str| SectionSource {
            document_index,
            document_title: heading.into(),
            order: 0,
            heading_path: vec![heading.into()],
            text: format!("{} closing words.", "plenty of ordinary words here ".repeat(30)),
            chunk_keys: vec![document_index as u64],
        };
        let draft = draft_program(&[
            section(0, "Introduction"),
            section(1, "Time Management"),
            section(2, "Introduction"),
            section(3, "Memory"),
        ]);
        let names: Vec<&str> = draft.concepts.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, ["Introduction to Time Management", "Time Management", "Introduction to Memory", "Memory"]);
    }
}
