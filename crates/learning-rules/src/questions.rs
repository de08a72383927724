//! Practice questions: what a question is, and how the zero-configuration default makes them from
//! a concept's cited material without a chat model.
//!
//! Every generated item quotes one real sentence of one cited passage, so it can be answered from
//! that passage and its feedback can cite it:
//!
//! - **Key terms** of a concept are words and two-word phrases that recur in its material and are
//!   rare in the other concepts' material (term frequency × inverse concept frequency over the
//!   program): "growth mindset" for a section on mindsets, not "students".
//! - **Cloze**: a sentence with one key term blanked; the term occurs nowhere else in the sentence,
//!   so the blank cannot be filled from the stem itself.
//! - **Multiple choice**: the same stem, with three distractors that are key terms of *sibling*
//!   concepts of the same kind (as many words, the same ending class: "-ing", "-tion", plural…)
//!   and absent from this concept's material, so each is plausible and none is supported.
//! - **True/false**: a real sentence (true) or the same sentence with its one auxiliary negated or
//!   its one negation removed (false) — minimally altered, so only someone who knows the point can
//!   tell. Hedged or compound sentences ("may", "often", "but", "if") are never altered, because
//!   negating them does not reliably make them false.
//!
//! Sentences must stand alone: 8–32 words, a capital first letter, a full stop at the end, no
//! opening pronoun or connective that points at a previous sentence ("This", "However"), no
//! dialogue, figure credits or questions.

use crate::program::FieldError;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use unicode_segmentation::UnicodeSegmentation;
use utoipa::ToSchema;
use wayfinder_knowledge_rules::sentences::{passage_blocks, sentence_spans, squash_whitespace, word_count};
use wayfinder_knowledge_rules::{STOPWORDS, lexical_terms};

wayfinder_accounts_rules::id_type!(
    /// Identifies a practice question.
    QuestionId,
);

wayfinder_accounts_rules::closed_set! {
/// The kinds of question.
pub enum QuestionKind {
    /// Options of which one or several are correct.
    MultipleChoice,
    /// A statement that is true or false.
    TrueFalse,
    /// A free answer compared with a reference answer.
    ShortAnswer,
    /// A sentence with a blank to fill in.
    Cloze,
}
}

wayfinder_accounts_rules::closed_set! {
/// Where a question stands in review.
pub enum QuestionStatus {
    /// Waiting for review; never shown to learners.
    Draft,
    /// Used in practice and placement.
    Approved,
    /// Turned down in review; kept so it is not generated again.
    Rejected,
    /// Taken out of use (for example after poor statistics); its history stays.
    Retired,
}
}

wayfinder_accounts_rules::closed_set! {
/// Who or what made a question.
pub enum QuestionOrigin {
    /// Made from the cited text without a chat model.
    Extracted,
    /// Written by a chat model from the cited text and validated.
    Generated,
    /// Written by a coach or an admin.
    Authored,
    /// Imported with a program.
    Imported,
}
}

/// Longest prompt, reference answer or explanation, in characters.
pub const MAX_TEXT_CHARS: usize = 2_000;
/// Longest option or accepted answer, in characters.
pub const MAX_OPTION_CHARS: usize = 300;
/// Most options of a multiple-choice item, and most accepted answers of a cloze item.
pub const MAX_OPTIONS: usize = 8;
/// Most concepts one item belongs to.
pub const MAX_QUESTION_CONCEPTS: usize = 10;
/// Most chunks one item cites.
pub const MAX_CITATIONS: usize = 10;

/// The blank in a cloze or multiple-choice stem.
pub const BLANK: &str = "_____";
/// Shortest and longest sentence (in words) a question is made from.
pub const SENTENCE_WORDS: std::ops::RangeInclusive<usize> = 8..=32;
/// Distractors of a generated multiple-choice item.
pub const DISTRACTORS: usize = 3;
/// Key terms kept per concept.
const KEY_TERMS: usize = 12;
/// A key term must recur in the concept's material at least this often.
const MIN_TERM_FREQUENCY: usize = 2;
/// ...and appear in at most this share of the program's concepts.
const MAX_CONCEPT_SHARE: f64 = 0.25;
/// How often one key term may be the answer among a concept's generated items.
const USES_PER_TERM: usize = 2;

/// What a question asks and what answers it, by kind.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum QuestionBody {
    /// Choose the correct option(s).
    MultipleChoice {
        /// The question (may contain one blank).
        stem: String,
        /// The options, in the order shown.
        options: Vec<String>,
        /// Indexes of the correct options (at least one).
        correct: Vec<usize>,
    },
    /// Decide whether the statement is true.
    TrueFalse {
        /// The statement.
        statement: String,
        /// Whether it is true.
        answer: bool,
    },
    /// Answer in a few words or sentences.
    ShortAnswer {
        /// The question.
        prompt: String,
        /// A model answer to compare with.
        reference: String,
    },
    /// Fill in the blank.
    Cloze {
        /// The sentence with exactly one blank ([`BLANK`]).
        text: String,
        /// The accepted fillings (at least one).
        answers: Vec<String>,
    },
}

impl QuestionBody {
    /// The kind of this body.
    pub fn kind(&self) -> QuestionKind {
        match self {
            QuestionBody::MultipleChoice { .. } => QuestionKind::MultipleChoice,
            QuestionBody::TrueFalse { .. } => QuestionKind::TrueFalse,
            QuestionBody::ShortAnswer { .. } => QuestionKind::ShortAnswer,
            QuestionBody::Cloze { .. } => QuestionKind::Cloze,
        }
    }

    /// The text a learner reads first (stem, statement, prompt or cloze sentence).
    pub fn prompt(&self) -> &str {
        match self {
            QuestionBody::MultipleChoice { stem, .. } => stem,
            QuestionBody::TrueFalse { statement, .. } => statement,
            QuestionBody::ShortAnswer { prompt, .. } => prompt,
            QuestionBody::Cloze { text, .. } => text,
        }
    }

    /// Checks what a person wrote: texts present and bounded, a cloze has exactly one blank and
    /// an answer, options are distinct and at least one is correct. Returns the body with texts
    /// trimmed.
    pub fn validated(&self) -> Result<QuestionBody, FieldError> {
        let text = |field: &str, raw: &str, max: usize| -> Result<String, FieldError> {
            let trimmed = raw.trim();
            if trimmed.is_empty() {
                return Err(FieldError::new(field, "must not be empty"));
            }
            if trimmed.chars().count() > max {
                return Err(FieldError::new(field, format!("must be at most {max} characters")));
            }
            Ok(trimmed.to_string())
        };
        let list = |field: &str, raw: &[String], min: usize| -> Result<Vec<String>, FieldError> {
            if raw.len() < min || raw.len() > MAX_OPTIONS {
                return Err(FieldError::new(field, format!("must have {min} to {MAX_OPTIONS} entries")));
            }
            let items = raw.iter().map(|o| text(field, o, MAX_OPTION_CHARS)).collect::<Result<Vec<_>, _>>()?;
            let distinct: HashSet<String> = items.iter().map(|o| o.to_lowercase()).collect();
            if distinct.len() != items.len() {
                return Err(FieldError::new(field, "must not repeat an entry"));
            }
            Ok(items)
        };
        Ok(match self {
            QuestionBody::MultipleChoice { stem, options, correct } => {
                let stem = text("body.stem", stem, MAX_TEXT_CHARS)?;
                if stem.matches(BLANK).count() > 1 {
                    return Err(FieldError::new("body.stem", format!("may hold at most one blank ({BLANK})")));
                }
                let options = list("body.options", options, 2)?;
                let mut correct = correct.clone();
                correct.sort_unstable();
                correct.dedup();
                if correct.is_empty() || correct.iter().any(|&i| i >= options.len()) {
                    return Err(FieldError::new("body.correct", "must name at least one option by its index"));
                }
                QuestionBody::MultipleChoice { stem, options, correct }
            }
            QuestionBody::TrueFalse { statement, answer } => QuestionBody::TrueFalse {
                statement: text("body.statement", statement, MAX_TEXT_CHARS)?,
                answer: *answer,
            },
            QuestionBody::ShortAnswer { prompt, reference } => QuestionBody::ShortAnswer {
                prompt: text("body.prompt", prompt, MAX_TEXT_CHARS)?,
                reference: text("body.reference", reference, MAX_TEXT_CHARS)?,
            },
            QuestionBody::Cloze { text: sentence, answers } => {
                let sentence = text("body.text", sentence, MAX_TEXT_CHARS)?;
                if sentence.matches(BLANK).count() != 1 {
                    return Err(FieldError::new("body.text", format!("must hold exactly one blank ({BLANK})")));
                }
                QuestionBody::Cloze { text: sentence, answers: list("body.answers", answers, 1)? }
            }
        })
    }

    /// A key that is the same for two items asking the same thing (same kind, same prompt up to
    /// case, spacing and punctuation), so a bank holds each once.
    pub fn duplicate_key(&self) -> String {
        let words: Vec<String> = self.prompt().unicode_words().map(str::to_lowercase).collect();
        format!("{}:{}", self.kind(), words.join(" "))
    }
}

/// One passage of a concept's material: its key (a chunk id) and text.
#[derive(Clone, Debug)]
pub struct Passage {
    /// The chunk the text comes from, cited by the items made from it.
    pub key: u64,
    /// The chunk text.
    pub text: String,
}

/// A concept's material and the key terms of its sibling concepts (the other concepts of its
/// program), which supply the statistics and the distractors.
#[derive(Clone, Debug)]
pub struct GenerationInput<'a> {
    /// The concept's cited passages.
    pub passages: &'a [Passage],
    /// The material of every concept of the program, this one included, one text per concept.
    pub program_material: &'a [String],
    /// The most items to make.
    pub max_items: usize,
}

/// An item made without a model, citing the passage its sentence comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExtractedQuestion {
    /// The question.
    pub body: QuestionBody,
    /// One line of feedback, quoting the sentence.
    pub explanation: String,
    /// The cited passage.
    pub passage: u64,
}

/// A word or two-word phrase with its stem key.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyTerm {
    /// The stems joined by a space: how the term is matched.
    pub stems: String,
    /// The most frequent surface form, lower-cased unless it is a name.
    pub surface: String,
    /// tf × icf.
    pub score: f64,
}

/// One word of a sentence: where it is, what it says, its stem (None for stopwords and numbers).
struct Word<'s> {
    start: usize,
    end: usize,
    text: &'s str,
    stem: Option<String>,
}

fn words_of(sentence: &str) -> Vec<Word<'_>> {
    sentence
        .unicode_word_indices()
        .map(|(start, text)| {
            let alphabetic = text.chars().all(|c| c.is_alphabetic() || c == '-' || c == '\'' || c == '’');
            let stem = if alphabetic && text.chars().count() >= 3 {
                let terms = lexical_terms(text);
                (terms.len() == 1).then(|| terms.into_iter().next().unwrap_or_default())
            } else {
                None
            };
            Word { start, end: start + text.len(), text, stem }
        })
        .collect()
}

/// Candidate terms of a text: single content words and pairs of adjacent content words
/// (adjacent in the text: nothing but a space between), as stem keys with their surface forms.
/// Names (words capitalised inside sentences: the people of a case study, brands, acronyms)
/// are left out: recalling them is not learning the concept.
fn candidate_terms(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let blocks = passage_blocks(text);
    let mut capitalised: HashMap<String, (usize, usize)> = HashMap::new();
    for block in &blocks {
        let sentence_starts: HashSet<usize> = sentence_spans(block)
            .into_iter()
            .filter_map(|(start, end)| block[start..end].unicode_word_indices().next().map(|(i, _)| start + i))
            .collect();
        for word in words_of(block) {
            if let Some(stem) = &word.stem
                && !sentence_starts.contains(&word.start)
            {
                let entry = capitalised.entry(stem.clone()).or_default();
                if word.text.chars().next().is_some_and(char::is_uppercase) { entry.0 += 1 } else { entry.1 += 1 }
            }
        }
    }
    let is_name = |stem: &str| capitalised.get(stem).is_some_and(|(upper, lower)| upper >= lower && *upper > 0);
    for block in &blocks {
        let words = words_of(block);
        for (i, word) in words.iter().enumerate() {
            let Some(stem) = &word.stem else { continue };
            if is_weak_word(word.text) || is_name(stem) {
                continue;
            }
            out.push((stem.clone(), word.text.to_string()));
            if let Some(next) = words.get(i + 1)
                && let Some(next_stem) = &next.stem
                && !is_weak_word(next.text)
                && !is_name(next_stem)
                && block[word.end..next.start] == *" "
            {
                out.push((format!("{stem} {next_stem}"), block[word.start..next.end].to_string()));
            }
        }
    }
    out
}

/// Words too vague to be a key term even when frequent.
fn is_weak_word(word: &str) -> bool {
    const WEAK: &[&str] = &[
        "also",
        "always",
        "another",
        "any",
        "can",
        "could",
        "different",
        "each",
        "even",
        "every",
        "example",
        "first",
        "get",
        "good",
        "help",
        "helps",
        "important",
        "just",
        "know",
        "like",
        "lot",
        "make",
        "many",
        "may",
        "might",
        "much",
        "must",
        "need",
        "new",
        "often",
        "one",
        "people",
        "really",
        "something",
        "sometimes",
        "student",
        "students",
        "thing",
        "things",
        "time",
        "two",
        "use",
        "used",
        "using",
        "want",
        "way",
        "ways",
        "well",
        "work",
        "you",
        "your",
    ];
    let lower = word.to_lowercase();
    STOPWORDS.contains(&lower.as_str()) || WEAK.contains(&lower.as_str())
}

/// The key terms of every concept of a program, by concept index: recurring in the concept,
/// rare across the program.
pub fn key_terms(program_material: &[String]) -> Vec<Vec<KeyTerm>> {
    let per_concept: Vec<Vec<(String, String)>> = program_material.iter().map(|t| candidate_terms(t)).collect();
    let mut concept_frequency: HashMap<&str, usize> = HashMap::new();
    for terms in &per_concept {
        let distinct: HashSet<&str> = terms.iter().map(|(s, _)| s.as_str()).collect();
        for stem in distinct {
            *concept_frequency.entry(stem).or_default() += 1;
        }
    }
    let n = program_material.len().max(1) as f64;
    let max_share = (n * MAX_CONCEPT_SHARE).max(1.0);
    per_concept
        .iter()
        .map(|terms| {
            let mut counts: BTreeMap<&str, (usize, BTreeMap<&str, usize>)> = BTreeMap::new();
            for (stem, surface) in terms {
                let entry = counts.entry(stem).or_default();
                entry.0 += 1;
                *entry.1.entry(surface).or_default() += 1;
            }
            let mut scored: Vec<KeyTerm> = counts
                .into_iter()
                .filter(|(stem, (tf, _))| {
                    *tf >= MIN_TERM_FREQUENCY && concept_frequency.get(stem).copied().unwrap_or(0) as f64 <= max_share
                })
                .map(|(stem, (tf, surfaces))| {
                    let df = concept_frequency.get(stem).copied().unwrap_or(1) as f64;
                    // Two-word terms are more specific answers; weigh them up a little.
                    let length = if stem.contains(' ') { 1.5 } else { 1.0 };
                    let surface = surfaces
                        .iter()
                        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(a.0)))
                        .map(|(s, _)| normalise_case(s))
                        .unwrap_or_default();
                    KeyTerm { stems: stem.to_string(), surface, score: tf as f64 * (n / df).ln().max(0.1) * length }
                })
                .collect();
            scored.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.stems.cmp(&b.stems)));
            // A phrase and its own words are one term: keep whichever scored higher.
            let mut kept: Vec<KeyTerm> = Vec::new();
            for term in scored {
                let overlaps = kept.iter().any(|k| {
                    let (a, b) = (&k.stems, &term.stems);
                    a.split(' ').any(|w| b.split(' ').any(|v| v == w))
                });
                if !overlaps {
                    kept.push(term);
                }
                if kept.len() == KEY_TERMS {
                    break;
                }
            }
            kept
        })
        .collect()
}

/// Key terms are never names (see [`candidate_terms`]), so their surface is lower case.
fn normalise_case(surface: &str) -> String {
    surface.to_lowercase()
}

/// Words that make a sentence lean on the one before it, or make it a fragment.
const LEANING_OPENERS: &[&str] = &[
    "additionally",
    "again",
    "also",
    "and",
    "another",
    "as",
    "both",
    "but",
    "certainly",
    "consequently",
    "finally",
    "first",
    "for",
    "furthermore",
    "he",
    "her",
    "here",
    "his",
    "however",
    "instead",
    "it",
    "its",
    "likewise",
    "meanwhile",
    "moreover",
    "note",
    "next",
    "or",
    "other",
    "second",
    "she",
    "similarly",
    "so",
    "still",
    "such",
    "that",
    "their",
    "them",
    "then",
    "there",
    "these",
    "they",
    "third",
    "this",
    "those",
    "thus",
    "therefore",
    "yet",
];

/// Words that point at something outside the sentence: a figure, an example, a person of a story.
const CONTEXT_REFERENCES: &[&str] = &[
    "above",
    "activity",
    "below",
    "chapter",
    "example",
    "exercise",
    "figure",
    "following",
    "he",
    "her",
    "him",
    "his",
    "she",
    "table",
    "these",
    "this",
];

/// The sentences of a passage that can stand alone as a question.
pub fn standalone_sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for block in passage_blocks(text) {
        for (start, end) in sentence_spans(&block) {
            let sentence = squash_whitespace(&block[start..end]);
            if stands_alone(&sentence) {
                out.push(sentence);
            }
        }
    }
    out
}

fn stands_alone(sentence: &str) -> bool {
    let words = word_count(sentence);
    if !SENTENCE_WORDS.contains(&words) || !sentence.ends_with('.') {
        return false;
    }
    if !sentence.chars().next().is_some_and(char::is_uppercase) {
        return false;
    }
    if sentence.contains(['?', '"', '“', '”', '(', ')', ':', ';', '[', '_']) || sentence.contains("Credit") {
        return false;
    }
    // Names mark a story or an example (and checklist items say "I"): not statements of the
    // material that hold on their own.
    if sentence.unicode_words().enumerate().any(|(i, w)| w == "I" || i > 0 && w.starts_with(char::is_uppercase)) {
        return false;
    }
    // Words glued across a lost break ("policiesThe").
    if sentence
        .unicode_words()
        .any(|w| w.chars().zip(w.chars().skip(1)).any(|(a, b)| a.is_lowercase() && b.is_uppercase()))
    {
        return false;
    }
    let lower = sentence.to_lowercase();
    let words = comparable(&lower);
    if CONTEXT_REFERENCES.iter().any(|r| words.contains(&format!(" {r} "))) {
        return false;
    }
    // Text glued across a lost line break ("emotions.Definitions").
    if sentence.as_bytes().windows(2).any(|w| w[0] == b'.' && w[1].is_ascii_alphabetic()) {
        return false;
    }
    let first = sentence.unicode_words().next().unwrap_or("").to_lowercase();
    !LEANING_OPENERS.contains(&first.as_str())
}

/// The byte span of the single occurrence of `term` (by stems) in `sentence`, or None when it
/// occurs zero times or more than once (a second occurrence would give the blank away).
pub fn single_occurrence(sentence: &str, term: &str) -> Option<(usize, usize)> {
    let words = words_of(sentence);
    let stems: Vec<&str> = term.split(' ').collect();
    let mut found = None;
    let mut count = 0;
    for i in 0..words.len() {
        if i + stems.len() > words.len() {
            break;
        }
        let matches = stems.iter().enumerate().all(|(k, s)| words[i + k].stem.as_deref() == Some(*s));
        if matches {
            count += 1;
            found = Some((words[i].start, words[i + stems.len() - 1].end));
        }
    }
    // Part of a hyphenated or possessive word ("short-term", "Elan’s") is not a term of its own.
    if let Some((start, end)) = found {
        let before = sentence[..start].chars().next_back();
        let after = sentence[end..].chars().next();
        if before.is_some_and(|c| c == '-' || c.is_alphanumeric())
            || after.is_some_and(|c| matches!(c, '-' | '\'' | '’') || c.is_alphanumeric())
        {
            return None;
        }
    }
    // Any single word of a phrase appearing elsewhere also gives the answer away.
    let loose = words.iter().filter(|w| w.stem.as_deref().is_some_and(|s| stems.contains(&s))).count();
    (count == 1 && loose == stems.len()).then_some(found).flatten()
}

/// Auxiliaries a false statement negates, with their negated forms.
const AUXILIARIES: &[(&str, &str)] = &[
    ("are", "are not"),
    ("can", "cannot"),
    ("is", "is not"),
    ("must", "must not"),
    ("should", "should not"),
    ("was", "was not"),
    ("were", "were not"),
    ("will", "will not"),
];
/// Negations a false statement removes, with what replaces them.
const NEGATIONS: &[(&str, &str)] = &[
    ("are not", "are"),
    ("aren't", "are"),
    ("can't", "can"),
    ("cannot", "can"),
    ("do not", "do"),
    ("does not", "does"),
    ("doesn't", "does"),
    ("don't", "do"),
    ("is not", "is"),
    ("isn't", "is"),
    ("should not", "should"),
    ("was not", "was"),
    ("were not", "were"),
    ("will not", "will"),
    ("won't", "will"),
];
/// Words that make a sentence hedged or compound: its negation is not reliably false.
const UNSAFE_TO_NEGATE: &[&str] = &[
    "although",
    "always",
    "because",
    "but",
    "could",
    "except",
    "few",
    "half",
    "if",
    "likely",
    "many",
    "may",
    "might",
    "most",
    "never",
    "no",
    "nor",
    "not",
    "often",
    "only",
    "or",
    "probably",
    "rarely",
    "some",
    "sometimes",
    "than",
    "though",
    "unless",
    "usually",
    "when",
    "whether",
    "while",
    "would",
];

/// The sentence with its meaning reversed by one minimal edit, or None when that is not safe.
pub fn negate(sentence: &str) -> Option<String> {
    let lower = sentence.to_lowercase().replace('’', "'");
    let words: Vec<&str> =
        lower.split(' ').map(|w| w.trim_matches(|c: char| !c.is_alphanumeric() && c != '\'')).collect();
    let mut negations: Vec<(usize, &str, &str)> = Vec::new();
    for (from, to) in NEGATIONS {
        let n = from.split(' ').count();
        for i in 0..words.len().saturating_sub(n - 1) {
            if words[i..i + n].join(" ") == *from {
                negations.push((i, from, to));
            }
        }
    }
    let original: Vec<&str> = sentence.split(' ').collect();
    if negations.len() == 1 {
        // Remove the one negation; nothing else may hedge the sentence.
        let (i, from, to) = negations[0];
        let n = from.split(' ').count();
        let rest_unsafe =
            words.iter().enumerate().filter(|(k, _)| *k < i || *k >= i + n).any(|(_, w)| UNSAFE_TO_NEGATE.contains(w));
        if rest_unsafe {
            return None;
        }
        let mut out: Vec<String> = original[..i].iter().map(|s| s.to_string()).collect();
        let last = original[i + n - 1];
        let trailing: String =
            last.chars().rev().take_while(|c| !c.is_alphanumeric() && *c != '\'' && *c != '’').collect();
        out.push(match_case(original[i], to) + &trailing.chars().rev().collect::<String>());
        out.extend(original[i + n..].iter().map(|s| s.to_string()));
        return Some(out.join(" "));
    }
    // A relative clause may hold the auxiliary ("to whom they are trying"): negating it there
    // does not reverse the sentence.
    const RELATIVES: &[&str] = &["that", "where", "which", "who", "whom", "whose"];
    if !negations.is_empty() || words.iter().any(|w| UNSAFE_TO_NEGATE.contains(w) || RELATIVES.contains(w)) {
        return None;
    }
    // Negate the one auxiliary, which must not open the sentence (that would be a question form).
    let auxiliaries: Vec<(usize, &str)> = words
        .iter()
        .enumerate()
        .skip(1)
        .filter_map(|(i, w)| AUXILIARIES.iter().find(|(a, _)| a == w).map(|(_, negated)| (i, *negated)))
        .collect();
    let [(i, negated)] = auxiliaries.as_slice() else { return None };
    if original[*i].contains(|c: char| !c.is_alphabetic()) {
        return None;
    }
    let mut out: Vec<String> = original.iter().map(|s| s.to_string()).collect();
    out[*i] = match_case(original[*i], negated);
    Some(out.join(" "))
}

fn match_case(like: &str, text: &str) -> String {
    if like.chars().next().is_some_and(char::is_uppercase) {
        let mut chars = text.chars();
        chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
    } else {
        text.to_string()
    }
}

/// The ending class of a term's last word, so distractors are "of the same kind".
fn form_class(surface: &str) -> &'static str {
    let last = surface.rsplit(' ').next().unwrap_or(surface).to_lowercase();
    for suffix in ["ing", "tion", "sion", "ment", "ness", "ity", "ance", "ence", "ism", "ship", "ly"] {
        if last.ends_with(suffix) {
            return suffix;
        }
    }
    if last.ends_with('s') && !last.ends_with("ss") { "plural" } else { "other" }
}

/// Distractors for `answer`: sibling key terms of the same kind, none of which occurs in the
/// concept's own material (by stems).
fn distractors(answer: &KeyTerm, own_stems: &HashSet<String>, siblings: &[&KeyTerm]) -> Option<Vec<String>> {
    let words = answer.stems.split(' ').count();
    let class = form_class(&answer.surface);
    let mut candidates: Vec<&&KeyTerm> = siblings
        .iter()
        .filter(|t| t.stems.split(' ').count() == words && t.stems != answer.stems)
        .filter(|t| t.stems.split(' ').all(|s| !own_stems.contains(s)))
        .collect();
    // Same ending class first, then in the siblings' order (nearest sections first): a
    // distractor is plausible because it is what a neighbouring section is about.
    candidates.sort_by_key(|t| form_class(&t.surface) != class);
    let mut chosen: Vec<String> = Vec::new();
    let mut used: HashSet<&str> = HashSet::new();
    for t in candidates {
        if t.stems.split(' ').any(|s| used.contains(s)) {
            continue;
        }
        used.extend(t.stems.split(' '));
        chosen.push(t.surface.clone());
        if chosen.len() == DISTRACTORS {
            return Some(chosen);
        }
    }
    None
}

/// A small stable hash (FNV-1a, then the SplitMix64 finaliser so every bit is mixed) so
/// generation is deterministic.
fn stable_hash(text: &str) -> u64 {
    let mut h = text.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

/// Makes up to `max_items` questions for the concept at `concept` in the program's material,
/// rotating cloze, multiple choice and true/false over its standalone sentences that hold a key
/// term. Deterministic: the same material gives the same items.
pub fn extract_questions(input: &GenerationInput<'_>, concept: usize) -> Vec<ExtractedQuestion> {
    let terms = key_terms(input.program_material);
    let Some(own) = terms.get(concept) else { return Vec::new() };
    // Every word of the concept's material, names included: no distractor may be among them.
    let own_stems: HashSet<String> = input.passages.iter().flat_map(|p| lexical_terms(&p.text)).collect();
    // Siblings nearest in the program first: the same chapter's terms make plausible distractors.
    let mut siblings: Vec<(usize, &KeyTerm)> = terms
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != concept)
        .flat_map(|(i, t)| t.iter().map(move |term| (i.abs_diff(concept), term)))
        .collect();
    siblings.sort_by_key(|(distance, _)| *distance);
    let siblings: Vec<&KeyTerm> = siblings.into_iter().map(|(_, t)| t).collect();
    let mut items = Vec::new();
    let mut uses: HashMap<&str, usize> = HashMap::new();
    let mut made = [0usize; 3];
    let mut used_sentences: HashSet<String> = HashSet::new();
    for passage in input.passages {
        for sentence in standalone_sentences(&passage.text) {
            if items.len() >= input.max_items {
                return items;
            }
            // Chunks overlap: a sentence met again in the next passage is not a new question.
            if !used_sentences.insert(sentence.clone()) {
                continue;
            }
            let found = own.iter().find_map(|term| {
                let span = single_occurrence(&sentence, &term.stems)?;
                (uses.get(term.stems.as_str()).copied().unwrap_or(0) < USES_PER_TERM).then_some((term, span))
            });
            let explanation = format!("The material says: \u{201c}{sentence}\u{201d}");
            let Some((term, (start, end))) = found else {
                continue;
            };
            let stem = format!("{}{BLANK}{}", &sentence[..start], &sentence[end..]);
            let answer = sentence[start..end].to_string();
            let make = |kind: usize| match kind % 3 {
                0 => Some(QuestionBody::Cloze { text: stem.clone(), answers: vec![answer.clone()] }),
                1 => distractors(term, &own_stems, &siblings).map(|mut options| {
                    let at = (stable_hash(&sentence) % (DISTRACTORS as u64 + 1)) as usize;
                    options.insert(at, answer.clone());
                    QuestionBody::MultipleChoice { stem: stem.clone(), options, correct: vec![at] }
                }),
                // Only sentences that can be altered safely are used, true or false, so the
                // presence of a negation says nothing about the answer.
                _ => negate(&sentence).map(|negated| {
                    if stable_hash(&sentence).is_multiple_of(2) {
                        QuestionBody::TrueFalse { statement: sentence.clone(), answer: true }
                    } else {
                        QuestionBody::TrueFalse { statement: negated, answer: false }
                    }
                }),
            };
            // The kind made least so far first, so the kinds stay balanced.
            let mut kinds = [0, 1, 2];
            kinds.sort_by_key(|&k| made[k]);
            let Some((kind, body)) = kinds.into_iter().find_map(|k| make(k).map(|b| (k, b))) else { continue };
            made[kind] += 1;
            *uses.entry(term.stems.as_str()).or_default() += 1;
            items.push(ExtractedQuestion { body, explanation, passage: passage.key });
        }
    }
    items
}

wayfinder_accounts_rules::closed_set! {
/// Why an item fails the check against its cited passage.
pub enum Defect {
    /// The body is malformed: no blank or several, no options, a correct index out of range,
    /// duplicate options, an empty answer.
    Malformed,
    /// The correct answer is not in the cited passage.
    AnswerUnsupported,
    /// A wrong option (or a false statement) is supported by the cited passage.
    DistractorSupported,
    /// The stem gives the answer away.
    AnswerInStem,
    /// A false statement is not a minimal alteration of any sentence of the passage, so the
    /// passage neither supports nor refutes it.
    FalseStatementUnrelated,
}
}

/// Text compared word by word: lower-case, curly quotes straightened, punctuation dropped,
/// padded with spaces so a phrase matches whole words only.
fn comparable(text: &str) -> String {
    let straightened = text.replace(['’', '‘'], "'");
    let words: Vec<String> = straightened.unicode_words().map(str::to_lowercase).collect();
    format!(" {} ", words.join(" "))
}

/// Whether `phrase` occurs in `text` as whole words.
fn occurs(text: &str, phrase: &str) -> bool {
    let phrase = comparable(phrase);
    !phrase.trim().is_empty() && comparable(text).contains(&phrase)
}

/// A sentence's words with negations taken out, and how many there were.
fn without_negation(sentence: &str) -> (String, usize) {
    let mut negations = 0;
    let mut kept: Vec<&str> = Vec::new();
    let comparable = comparable(sentence);
    for word in comparable.split_whitespace() {
        let base = match word {
            "not" => None,
            "cannot" | "can't" => Some("can"),
            "isn't" => Some("is"),
            "aren't" => Some("are"),
            "wasn't" => Some("was"),
            "weren't" => Some("were"),
            "doesn't" => Some("does"),
            "don't" => Some("do"),
            "won't" => Some("will"),
            "shouldn't" => Some("should"),
            other => {
                kept.push(other);
                continue;
            }
        };
        negations += 1;
        kept.extend(base);
    }
    (kept.join(" "), negations)
}

/// Checks an item against the passage it cites: the correct answer is in the passage (or, for a
/// false statement, the passage says the opposite), no wrong option is, and the stem does not
/// give the answer away. Used on every item a chat model writes, and by `wayfinder eval
/// questions` on the items made without one.
pub fn check_against_passage(body: &QuestionBody, passage: &str) -> Result<(), Defect> {
    let filled = |stem: &str, option: &str| stem.replacen(BLANK, option, 1);
    match body {
        QuestionBody::Cloze { text, answers } => {
            if text.matches(BLANK).count() != 1 || answers.is_empty() || answers.iter().any(|a| a.trim().is_empty()) {
                return Err(Defect::Malformed);
            }
            if answers.iter().any(|a| occurs(text, a)) {
                return Err(Defect::AnswerInStem);
            }
            if !answers.iter().any(|a| occurs(passage, &filled(text, a))) {
                return Err(Defect::AnswerUnsupported);
            }
            Ok(())
        }
        QuestionBody::MultipleChoice { stem, options, correct } => {
            let distinct: HashSet<String> = options.iter().map(|o| comparable(o)).collect();
            if options.len() < 2
                || distinct.len() != options.len()
                || correct.is_empty()
                || correct.iter().any(|&i| i >= options.len())
                || options.iter().any(|o| o.trim().is_empty())
            {
                return Err(Defect::Malformed);
            }
            let blanks = stem.matches(BLANK).count();
            if blanks > 1 {
                return Err(Defect::Malformed);
            }
            let supported = |option: &str| {
                if blanks == 1 { occurs(passage, &filled(stem, option)) } else { occurs(passage, option) }
            };
            for (i, option) in options.iter().enumerate() {
                let is_correct = correct.contains(&i);
                if is_correct && occurs(stem, option) {
                    return Err(Defect::AnswerInStem);
                }
                if is_correct && !supported(option) {
                    return Err(Defect::AnswerUnsupported);
                }
                if !is_correct && (supported(option) || occurs(passage, option)) {
                    return Err(Defect::DistractorSupported);
                }
            }
            Ok(())
        }
        QuestionBody::TrueFalse { statement, answer } => {
            if statement.trim().is_empty() {
                return Err(Defect::Malformed);
            }
            let stated = occurs(passage, statement);
            if *answer {
                return if stated { Ok(()) } else { Err(Defect::AnswerUnsupported) };
            }
            if stated {
                return Err(Defect::DistractorSupported);
            }
            let (claim, claim_negations) = without_negation(statement);
            let contradicted = passage_blocks(passage).iter().any(|block| {
                sentence_spans(block).into_iter().any(|(s, e)| {
                    let (said, said_negations) = without_negation(&block[s..e]);
                    said == claim && said_negations % 2 != claim_negations % 2
                })
            });
            if contradicted { Ok(()) } else { Err(Defect::FalseStatementUnrelated) }
        }
        QuestionBody::ShortAnswer { prompt, reference } => {
            if prompt.trim().is_empty() || reference.trim().is_empty() {
                return Err(Defect::Malformed);
            }
            let passage_terms: HashSet<String> = lexical_terms(passage).into_iter().collect();
            let reference_terms = lexical_terms(reference);
            if reference_terms.is_empty() || !reference_terms.iter().all(|t| passage_terms.contains(t)) {
                return Err(Defect::AnswerUnsupported);
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small program: each concept's material repeats its own terms, and none shares them.
    fn program() -> Vec<String> {
        vec![
            "Spaced practice spreads study sessions over several days. Spaced practice beats one long session \
             because memory consolidates between sessions. Consolidation is how the brain stabilises a new memory \
             overnight. Learners who rely on spaced practice remember more after a month."
                .into(),
            "Interleaving mixes different kinds of problems within one study session. Interleaving forces \
             learners to choose a strategy for each problem. Choosing a strategy is a skill that blocked practice \
             never trains. Mathematics teachers often assign interleaving worksheets."
                .into(),
            "Elaboration connects new material to what learners already know. Elaboration asks how and why an \
             idea works. Asking questions about causes deepens understanding of the material. Students who \
             write explanations benefit from elaboration the most."
                .into(),
            "Retrieval practice means recalling material without looking at notes. Retrieval practice is more \
             effective than rereading notes. Flashcards support retrieval because each card asks for an \
             answer. Frequent quizzes are a simple form of retrieval practice."
                .into(),
            "Procrastination delays tasks that matter. Procrastination grows when a task feels too large. \
             Breaking a task into small steps reduces procrastination. A timer makes the first step easier \
             to start."
                .into(),
        ]
    }

    #[test]
    fn key_terms_recur_in_their_concept_and_are_rare_elsewhere() {
        let terms = key_terms(&program());
        assert_eq!(terms[0][0].stems, "space practic", "{:?}", terms[0]);
        assert_eq!(terms[0][0].surface, "spaced practice");
        assert!(terms[1].iter().any(|t| t.stems == "interleav"), "{:?}", terms[1]);
        // "practice" appears in three concepts: alone it is not a key term of any of them.
        assert!(terms.iter().flatten().all(|t| t.stems != "practic"));
        // Names are never key terms, however often they occur.
        let with_name =
            vec!["Maria plans her week. Each evening Maria reviews her notes. Maria sleeps well.".to_string()];
        assert!(key_terms(&with_name)[0].iter().all(|t| t.stems != "maria"));
    }

    #[test]
    fn negation_is_one_minimal_edit_and_only_where_it_reverses_the_sentence() {
        assert_eq!(negate("Sleep is essential for memory.").as_deref(), Some("Sleep is not essential for memory."));
        assert_eq!(
            negate("You cannot learn a language overnight.").as_deref(),
            Some("You can learn a language overnight.")
        );
        assert_eq!(negate("Cramming does not build memory.").as_deref(), Some("Cramming does build memory."));
        assert_eq!(negate("Tutors will review drafts.").as_deref(), Some("Tutors will not review drafts."));
        // Hedged, compound, relative-clause or doubly auxiliary sentences are left alone.
        assert_eq!(negate("Sleep may help memory."), None);
        assert_eq!(negate("Sleep is good but it is not enough."), None);
        assert_eq!(negate("Students who are rested can focus."), None);
        assert_eq!(negate("Is sleep essential for memory."), None);
        assert_eq!(negate("Memory is fragile and sleep is vital."), None);
    }

    #[test]
    fn the_check_accepts_supported_items_and_names_each_defect() {
        let passage = "Spaced practice spreads study sessions over several days. Cramming is not effective.";
        let cloze = |text: &str, answer: &str| QuestionBody::Cloze { text: text.into(), answers: vec![answer.into()] };
        assert_eq!(
            check_against_passage(
                &cloze("_____ spreads study sessions over several days.", "Spaced practice"),
                passage
            ),
            Ok(())
        );
        assert_eq!(
            check_against_passage(&cloze("Spaced practice spreads study sessions over _____ days.", "two"), passage),
            Err(Defect::AnswerUnsupported)
        );
        assert_eq!(
            check_against_passage(&cloze("Spaced practice spreads study sessions over several days.", "days"), passage),
            Err(Defect::Malformed)
        );
        assert_eq!(
            check_against_passage(&cloze("Spaced _____ spreads practice over several days.", "practice"), passage),
            Err(Defect::AnswerInStem)
        );
        let choice = |options: [&str; 3], correct: usize| QuestionBody::MultipleChoice {
            stem: "Spaced practice spreads study _____ over several days.".into(),
            options: options.iter().map(|o| o.to_string()).collect(),
            correct: vec![correct],
        };
        assert_eq!(check_against_passage(&choice(["sessions", "flashcards", "quizzes"], 0), passage), Ok(()));
        assert_eq!(
            check_against_passage(&choice(["flashcards", "sessions", "quizzes"], 0), passage),
            Err(Defect::AnswerUnsupported)
        );
        assert_eq!(
            check_against_passage(&choice(["sessions", "days", "quizzes"], 0), passage),
            Err(Defect::DistractorSupported)
        );
        assert_eq!(
            check_against_passage(&choice(["sessions", "Sessions", "quizzes"], 0), passage),
            Err(Defect::Malformed)
        );
        let statement = |s: &str, answer: bool| QuestionBody::TrueFalse { statement: s.into(), answer };
        assert_eq!(check_against_passage(&statement("Cramming is not effective.", true), passage), Ok(()));
        assert_eq!(check_against_passage(&statement("Cramming is effective.", false), passage), Ok(()));
        assert_eq!(
            check_against_passage(&statement("Cramming isn't effective.", false), passage),
            Err(Defect::FalseStatementUnrelated)
        );
        assert_eq!(
            check_against_passage(&statement("Cramming is not effective.", false), passage),
            Err(Defect::DistractorSupported)
        );
        assert_eq!(
            check_against_passage(&statement("Flashcards are effective.", false), passage),
            Err(Defect::FalseStatementUnrelated)
        );
        assert_eq!(
            check_against_passage(&statement("Flashcards are effective.", true), passage),
            Err(Defect::AnswerUnsupported)
        );
        let short = |reference: &str| QuestionBody::ShortAnswer {
            prompt: "What does spaced practice do?".into(),
            reference: reference.into(),
        };
        assert_eq!(check_against_passage(&short("It spreads sessions over days"), passage), Ok(()));
        assert_eq!(check_against_passage(&short("It uses flashcards"), passage), Err(Defect::AnswerUnsupported));
    }

    #[test]
    fn extracted_items_quote_their_passage_and_pass_the_check() {
        let material = program();
        for concept in 0..material.len() {
            let passages = [Passage { key: 100 + concept as u64, text: material[concept].clone() }];
            let input = GenerationInput { passages: &passages, program_material: &material, max_items: 10 };
            let items = extract_questions(&input, concept);
            assert!(!items.is_empty(), "concept {concept} gave no items");
            assert_eq!(items, extract_questions(&input, concept), "generation is deterministic");
            for item in &items {
                assert_eq!(item.passage, 100 + concept as u64);
                assert_eq!(check_against_passage(&item.body, &material[concept]), Ok(()), "{item:?}");
                if let QuestionBody::MultipleChoice { options, correct, .. } = &item.body {
                    assert_eq!(options.len(), DISTRACTORS + 1);
                    // Each distractor is another concept's term.
                    for (i, option) in options.iter().enumerate().filter(|(i, _)| !correct.contains(i)) {
                        let elsewhere = material.iter().enumerate().any(|(c, m)| c != concept && occurs(m, option));
                        assert!(elsewhere, "distractor {i} {option:?} of {item:?}");
                    }
                }
            }
        }
        let passages = [Passage { key: 1, text: material[0].clone() }];
        let items =
            extract_questions(&GenerationInput { passages: &passages, program_material: &material, max_items: 10 }, 0);
        let kinds: HashSet<QuestionKind> = items.iter().map(|i| i.body.kind()).collect();
        assert!(kinds.contains(&QuestionKind::Cloze) && kinds.contains(&QuestionKind::MultipleChoice), "{items:?}");
    }

    #[test]
    fn the_duplicate_key_ignores_case_spacing_and_punctuation() {
        let a = QuestionBody::TrueFalse { statement: "Sleep is  vital.".into(), answer: true };
        let b = QuestionBody::TrueFalse { statement: "sleep is vital".into(), answer: false };
        let c = QuestionBody::Cloze { text: "Sleep is vital.".into(), answers: vec!["x".into()] };
        assert_eq!(a.duplicate_key(), b.duplicate_key());
        assert_ne!(a.duplicate_key(), c.duplicate_key());
    }
}
