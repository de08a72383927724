//! Did retrieval find anything relevant? Hybrid scores are fused per search (min-max normalised or
//! reciprocal ranks), so the best hit always looks good; an absolute judgement has to come from the
//! text. The rule, per source:
//!
//! 1. **Coverage** — the share of the question's topic that the passage (title, section and text)
//!    contains: the question's stemmed terms, each weighted by what it says about the topic (asking
//!    words like "explain" 0, common words like "help" or "best" 0.3, capitalised names like "Peru"
//!    1.5, other words 1) times a rarity factor over the retrieved passages, `1 + ½·ln((N+1)/(df+1))`,
//!    so a term no passage contains weighs up to about twice one every passage contains. (A true
//!    corpus IDF is not at hand, and a plain IDF over the few retrieved passages would make the
//!    topic words, which all good hits share, count for nothing.)
//! 2. **Retrieval support** — `0.6 + 0.2·agree + 0.2·prior`, where `agree` is 1 when the passage is
//!    in the top [`AGREEMENT_DEPTH`] of both the lexical and the dense list, and `prior` is
//!    `1 / (1 + position/3)` for its position in the fused list (best first).
//! 3. `score = coverage × support`; the source is **relevant** when coverage ≥ [`MIN_COVERAGE`]
//!    and score ≥ [`MIN_SCORE`] and at least one weighted question term is in it.
//!
//! So a passage holding the whole topic is always relevant; one holding half of it must also be
//! ranked near the top by both retrievers (or be the top hit). "What is the capital of Peru?" over
//! study-skills passages fails even if one says "human capital": half the topic, and the missing
//! half is the name. A paraphrase that shares most topic words ("spacing out study sessions" for a
//! passage on spaced study) passes. A paraphrase sharing no word at all cannot be told from an
//! off-topic question by these signals and is judged not relevant: grounded mode then refuses
//! rather than risk an ungrounded answer.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::Source;
use crate::text::{QueryTerm, document_frequencies, query_terms, term_set, total};

/// A passage must contain at least this weighted share of the question's terms.
pub const MIN_COVERAGE: f32 = 0.5;

/// And its coverage times retrieval support must reach this.
pub const MIN_SCORE: f32 = 0.4;

/// Both retrievers "agree" on a passage when it is within this rank (1-based) in each list.
pub const AGREEMENT_DEPTH: usize = 10;

wayfinder_accounts_rules::closed_set! {
/// What a relevance decision could draw on.
pub enum RelevanceSignals {
    /// Both the lexical and the dense (embedding) retrievers: scores of meaning and of words.
    Hybrid,
    /// Words only (no embedding model): the lexical retriever and term coverage.
    Lexical,
}
}

/// Whether the retrieved material holds the answer to a question: the score, the threshold it
/// was held against, and the verdict. Stored with every answer, so refusals can be counted and
/// read as the knowledge base's gaps.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct RelevanceDecision {
    /// How well the best passage matches the question, 0..1.
    pub score: f32,
    /// The coach's threshold at the time.
    pub threshold: f32,
    /// `score >= threshold`: the material was judged to hold the answer.
    pub answerable: bool,
    /// What the score was computed from.
    pub signals: RelevanceSignals,
    /// The number of the best-matching source, if any source was retrieved.
    pub best_source: Option<usize>,
}

/// How relevant one source is to the question.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SourceRelevance {
    /// The source's number.
    pub number: usize,
    /// Weighted share of the question's terms found in the passage, 0..1.
    pub coverage: f32,
    /// Coverage times retrieval support, 0..1; also the retrieval strength used by confidence.
    pub score: f32,
    /// Whether the rule above judges it relevant.
    pub relevant: bool,
}

/// Judges every source (in the given order, which must be best first) against the question.
pub fn assess_relevance(question: &str, sources: &[Source]) -> Vec<SourceRelevance> {
    let terms: Vec<QueryTerm> = query_terms(question).into_iter().filter(|t| t.weight > 0.0).collect();
    let passages: Vec<HashSet<String>> = sources.iter().map(passage_terms).collect();
    let df = document_frequencies(&passages);
    let n = passages.len() as f32;
    let weights: Vec<f32> = terms
        .iter()
        .map(|t| {
            let df = df.get(t.stem.as_str()).copied().unwrap_or(0) as f32;
            t.weight * (1.0 + 0.5 * ((n + 1.0) / (df + 1.0)).ln())
        })
        .collect();
    let all = total(weights.iter().copied());
    sources
        .iter()
        .zip(&passages)
        .enumerate()
        .map(|(position, (source, passage))| {
            let found: f32 =
                total(terms.iter().zip(&weights).filter(|(t, _)| passage.contains(&t.stem)).map(|(_, w)| *w));
            let coverage = if all > 0.0 { found / all } else { 0.0 };
            let score = coverage * support(source, position);
            let relevant = found > 0.0 && coverage >= MIN_COVERAGE && score >= MIN_SCORE;
            SourceRelevance { number: source.number, coverage, score, relevant }
        })
        .collect()
}

/// Retrieval support of a source at `position` (0-based) in the fused list: 0.6..1.
fn support(source: &Source, position: usize) -> f32 {
    let near_top = |rank: Option<usize>| rank.is_some_and(|r| r <= AGREEMENT_DEPTH);
    let agree = if near_top(source.lexical_rank) && near_top(source.dense_rank) { 1.0 } else { 0.0 };
    let prior = 1.0 / (1.0 + position as f32 / 3.0);
    0.6 + 0.2 * agree + 0.2 * prior
}

/// The terms a passage offers: its text and where it sits (title, section), since a heading often
/// names the topic the text only refers to ("It works because…").
fn passage_terms(source: &Source) -> HashSet<String> {
    let mut terms = term_set(&source.text);
    terms.extend(term_set(&source.document_title));
    if let Some(section) = &source.section {
        terms.extend(term_set(section));
    }
    terms
}

/// Whether any source is relevant to the question. A question without topic words ("hi") has
/// nothing to check against and is not.
pub fn is_relevant(question: &str, sources: &[Source]) -> bool {
    assess_relevance(question, sources).iter().any(|r| r.relevant)
}

/// The relevant sources, in the given order.
pub fn relevant_sources<'a>(question: &str, sources: &'a [Source]) -> Vec<&'a Source> {
    let assessed = assess_relevance(question, sources);
    sources.iter().zip(assessed).filter(|(_, r)| r.relevant).map(|(s, _)| s).collect()
}
