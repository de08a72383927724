//! How far an answer can be trusted, from two things the server can measure: how strongly the
//! sources it cites matched the question (retrieval strength, from [`assess_relevance`]) and how
//! much of the answer carries citations ([`citation_coverage`]).
//!
//! `score = 0.5 × strength + 0.4 × coverage + 0.1 × corroboration`, where strength is the mean
//! relevance score of the cited sources (0 when nothing is cited) and corroboration is the number
//! of distinct relevant cited sources, up to three, over three. The level needs both halves, since
//! a weighted sum lets one make up for the other:
//!
//! - **High**: score ≥ [`HIGH_FROM`], strength ≥ [`HIGH_STRENGTH`] and coverage ≥ [`HIGH_COVERAGE`];
//! - **Low**: score < [`MEDIUM_FROM`] or strength < [`DEFAULT_THRESHOLD`] (no cited source is relevant);
//! - **Medium** otherwise.
//!
//! An extractive answer from passages that cover the question lands High; a model answer citing a
//! strong passage for only half its claims, or citing a passage that covers only half the
//! question, lands Medium; an answer citing nothing, or only passages judged not relevant, is Low.

use serde::{Deserialize, Serialize};

use crate::citations::parse_citations;
use crate::relevance::{DEFAULT_THRESHOLD, SourceRelevance};
use crate::text::{list_marker_len, sentence_spans, total, word_count};

#[cfg(doc)]
use crate::relevance::assess_relevance;

/// High needs a score from here up…
pub const HIGH_FROM: f32 = 0.7;

/// …cited sources this strong on average…
pub const HIGH_STRENGTH: f32 = 0.6;

/// …and this share of the claims cited.
pub const HIGH_COVERAGE: f32 = 0.75;

/// Scores below this are Low.
pub const MEDIUM_FROM: f32 = 0.45;

/// A sentence shorter than this ("Good question!") makes no claim that needs a source.
const MIN_CLAIM_WORDS: usize = 4;

wayfinder_accounts_rules::closed_set! {
/// Coarse confidence shown to people.
#[derive(PartialOrd, Ord)]
pub enum ConfidenceLevel {
    /// Weak or no grounding.
    Low,
    /// Partly grounded.
    Medium,
    /// Cited throughout, from sources that match the question.
    High,
}
}

/// An answer's confidence.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Confidence {
    /// 0..1.
    pub score: f32,
    /// The band the score falls in.
    pub level: ConfidenceLevel,
}

/// Confidence of an answer that cites `cited` (valid numbers) of the sources judged in
/// `relevance`, with `citation_coverage` (0..1) of its claims cited.
pub fn confidence(relevance: &[SourceRelevance], cited: &[usize], citation_coverage: f32) -> Confidence {
    let cited_judgements: Vec<&SourceRelevance> =
        cited.iter().filter_map(|n| relevance.iter().find(|r| r.number == *n)).collect();
    let strength = if cited.is_empty() {
        0.0
    } else {
        // A cited number without a judgement counts as a source that matched nothing.
        total(cited_judgements.iter().map(|r| r.score)) / cited.len() as f32
    };
    let corroboration = cited_judgements.iter().filter(|r| r.relevant).count().min(3) as f32 / 3.0;
    let coverage = citation_coverage.clamp(0.0, 1.0);
    let score = (0.5 * strength + 0.4 * coverage + 0.1 * corroboration).clamp(0.0, 1.0);
    let level = if score >= HIGH_FROM && strength >= HIGH_STRENGTH && coverage >= HIGH_COVERAGE {
        ConfidenceLevel::High
    } else if score < MEDIUM_FROM || strength < DEFAULT_THRESHOLD {
        ConfidenceLevel::Low
    } else {
        ConfidenceLevel::Medium
    };
    Confidence { score, level }
}

/// The share of an answer's claims that carry a citation, 0..1; run it on the validated text so
/// only valid marks count.
///
/// Claims are sentences of at least four words that are not questions and do not end with a colon
/// (an introduction to a list), outside headings and code. A mark right after a sentence's end
/// (`Claim. [1]`) belongs to that sentence, and a mark vouches for the uncited sentences before it
/// in the same paragraph or list item (the "one citation at the end of a group" convention the
/// extractive answer uses too); a paragraph without any mark is uncited throughout. Statements
/// marked "(general knowledge)" count as uncited, since they are not grounded. Empty text is 0; text
/// without claims (only questions, as a Socratic reply may be) is 1.
pub fn citation_coverage(answer_text: &str) -> f32 {
    if answer_text.trim().is_empty() {
        return 0.0;
    }
    let mut claims = 0usize;
    let mut covered = 0usize;
    let mut in_fence = false;
    for line in answer_text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with("```") || trimmed.starts_with("~~~") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence || trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with('|') {
            continue;
        }
        let unquoted = trimmed.trim_start_matches('>').trim_start();
        let paragraph = &unquoted[list_marker_len(unquoted)..];
        let sentences = paragraph_claims(paragraph);
        // A sentence is covered if it or a later one in the paragraph carries a mark.
        let mut later_cited = false;
        for (is_claim, cited) in sentences.into_iter().rev() {
            later_cited |= cited;
            if is_claim {
                claims += 1;
                covered += usize::from(later_cited);
            }
        }
    }
    if claims == 0 { 1.0 } else { covered as f32 / claims as f32 }
}

/// `(is a claim, carries a mark)` for each sentence of one paragraph, in order.
fn paragraph_claims(paragraph: &str) -> Vec<(bool, bool)> {
    let marks = parse_citations(paragraph);
    let mut out: Vec<(bool, bool)> = Vec::new();
    for (start, end) in sentence_spans(paragraph) {
        let segment = &paragraph[start..end];
        let lead = start + segment.len() - segment.trim_start().len();
        let mut own_mark = false;
        let mut text = String::new();
        let mut cursor = start;
        // Marks at the very start of a segment ("Claim. [1] Next…") belong to the sentence before.
        let mut leading = true;
        let mut leading_end = lead;
        for mark in marks.iter().filter(|m| m.span.start >= start && m.span.start < end) {
            let between = &paragraph[leading_end..mark.span.start];
            if leading
                && between.trim().is_empty()
                && let Some(previous) = out.last_mut()
            {
                previous.1 = true;
                leading_end = mark.span.end;
            } else {
                leading = false;
                own_mark = true;
            }
            text.push_str(&paragraph[cursor..mark.span.start]);
            cursor = mark.span.end;
        }
        text.push_str(&paragraph[cursor..end]);
        let text = text.trim();
        if text.is_empty() {
            continue;
        }
        let unpunctuated = text.trim_end_matches(['"', '”', ')', '*', '_']);
        let is_claim =
            word_count(text) >= MIN_CLAIM_WORDS && !unpunctuated.ends_with('?') && !unpunctuated.ends_with(':');
        out.push((is_claim, own_mark));
    }
    out
}
