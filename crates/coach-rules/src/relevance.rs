//! Does the retrieved material hold the answer? Fused hybrid scores are relative to one search
//! (the best hit always looks good), so the decision rests on signals with an absolute meaning,
//! put on one 0..1 scale where a coach's threshold (default [`DEFAULT_THRESHOLD`], 0.5) applies.
//!
//! **With an embedding model** the signal is meaning: the cosine similarity of the question and
//! each passage. The decision score is the best passage's cosine, mapped linearly
//! (`(cosine − DENSE_FLOOR) / DENSE_SPAN`, clamped). On the OpenStax development set
//! (`crates/wayfinder/tests/data/answers/`) this single signal separated answerable from
//! off-topic questions as well as any combination with term coverage, lexical scores or
//! retriever agreement (logistic fits under five-fold cross-validation: 94–95 % of answerable
//! questions kept, 93 % of off-topic ones refused, no better with the others), and as well as the
//! mean of the best two or three passages, which would wrongly refuse in a small knowledge base
//! where one passage holds the answer; coverage-based rules refused most paraphrased questions:
//! learners ask in their own words, not the book's. A passage is then usable when its own score
//! is within [`PASSAGE_MARGIN`] of the threshold. The cosine scale belongs to the model: the
//! defaults were fitted for all-MiniLM-L6-v2 and hold for all-mpnet-base-v2 on the same
//! development set (28 of 30 off-topic questions refused with either); with another model,
//! measure with `wayfinder eval answers` and set the coach's threshold.
//!
//! **Words only** (no model), per source:
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
//! 3. `score = ½ · min(coverage / MIN_COVERAGE, coverage × support / MIN_SCORE)`, at most 1: at
//!    the default threshold a source is relevant when coverage ≥ [`MIN_COVERAGE`] and coverage ×
//!    support ≥ [`MIN_SCORE`] and at least one weighted question term is in it. The decision score
//!    is the best source's.
//!
//! So a passage holding the whole topic is always relevant; one holding half of it must also be
//! ranked near the top by both retrievers (or be the top hit). "What is the capital of Peru?" over
//! study-skills passages fails even if one says "human capital": half the topic, and the missing
//! half is the name. A paraphrase sharing no word at all cannot be told from an off-topic question
//! by words alone and is judged not relevant: grounded mode then refuses rather than risk an
//! ungrounded answer, and the stored decision (`signals: lexical`) says what it was judged on.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use crate::Source;
use crate::text::{QueryTerm, document_frequencies, query_terms, term_set, total};

/// The threshold a coach uses unless its profile sets one: half of the score scale, where both
/// scales below put the boundary measured on the development set.
pub const DEFAULT_THRESHOLD: f32 = 0.5;

/// With dense scores: the cosine at score 0 (the best passage's cosine is mapped linearly so
/// that this is 0 and `DENSE_FLOOR + DENSE_SPAN` is 1).
pub const DENSE_FLOOR: f32 = 0.07;

/// Cosine span from score 0 to 1 (at the default threshold, a cosine of 0.32).
pub const DENSE_SPAN: f32 = 0.5;

/// Once the material is judged to hold the answer, a passage is usable when its own score is
/// at most this far below the threshold.
pub const PASSAGE_MARGIN: f32 = 0.1;

/// Words only: a passage must contain at least this weighted share of the question's terms…
pub const MIN_COVERAGE: f32 = 0.5;

/// …and its coverage times retrieval support must reach this (together: score 0.5).
pub const MIN_SCORE: f32 = 0.4;

/// Both retrievers "agree" on a passage when it is within this rank (1-based) in each list.
pub const AGREEMENT_DEPTH: usize = 10;

/// The passages closest in meaning that a coach keeps among its sources whatever their fused
/// rank: the passage's cosine is the best single evidence of which document answers a learner's
/// paraphrase, and fusion with the lexical list can push the second or third closest out of the
/// coach's depth.
pub const CLOSEST_KEPT: usize = 3;

/// Which hits (given in fused order, each with its 1-based rank in the dense list if it was
/// there) a coach of `depth` sources keeps: the [`CLOSEST_KEPT`] closest in meaning, then the
/// best of the rest in fused order, up to `depth`; returned as indices in fused order.
pub fn kept_sources(dense_ranks: &[Option<usize>], depth: usize) -> Vec<usize> {
    let closest: Vec<usize> = (0..dense_ranks.len())
        .filter(|&i| dense_ranks[i].is_some_and(|rank| rank <= CLOSEST_KEPT))
        .take(depth)
        .collect();
    let others = (0..dense_ranks.len()).filter(|i| !closest.contains(i)).take(depth - closest.len());
    let mut kept: Vec<usize> = closest.iter().copied().chain(others).collect();
    kept.sort_unstable();
    kept
}

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
    /// The passage's own score on the decision scale, 0..1; also the retrieval strength used by
    /// confidence.
    pub score: f32,
    /// Whether it may be used for the answer.
    pub relevant: bool,
}

/// Judges every source (in the given order, which must be best first) against the question at
/// the default threshold.
pub fn assess_relevance(question: &str, sources: &[Source]) -> Vec<SourceRelevance> {
    judge_relevance(question, sources, DEFAULT_THRESHOLD).sources
}

/// A relevance judgement: the decision, and each source's score against the same threshold.
#[derive(Clone, Debug, PartialEq)]
pub struct Relevance {
    pub decision: RelevanceDecision,
    /// One per source, in the given order.
    pub sources: Vec<SourceRelevance>,
}

/// Judges whether `sources` (best first) hold the answer to `question`, at `threshold` (0..1;
/// see the module documentation for what the score measures).
pub fn judge_relevance(question: &str, sources: &[Source], threshold: f32) -> Relevance {
    let threshold = threshold.clamp(0.0, 1.0);
    let hybrid = sources.iter().any(|s| s.dense_score.is_some());
    if hybrid { judge_by_meaning(sources, threshold) } else { judge_by_words(question, sources, threshold) }
}

/// Cosine similarity mapped onto the score scale: [`DENSE_FLOOR`] is 0, `DENSE_FLOOR + DENSE_SPAN` is 1.
fn dense_scale(cosine: f32) -> f32 {
    ((cosine - DENSE_FLOOR) / DENSE_SPAN).clamp(0.0, 1.0)
}

fn judge_by_meaning(sources: &[Source], threshold: f32) -> Relevance {
    let score = sources.iter().filter_map(|s| s.dense_score).map(dense_scale).fold(0.0_f32, f32::max);
    let answerable = score >= threshold;
    let judged: Vec<SourceRelevance> = sources
        .iter()
        .map(|source| {
            let score = source.dense_score.map_or(0.0, dense_scale);
            let relevant = answerable && score >= threshold - PASSAGE_MARGIN;
            SourceRelevance { number: source.number, coverage: 0.0, score, relevant }
        })
        .collect();
    let best = judged.iter().filter(|j| j.score > 0.0).max_by(|a, b| a.score.total_cmp(&b.score)).map(|j| j.number);
    let decision =
        RelevanceDecision { score, threshold, answerable, signals: RelevanceSignals::Hybrid, best_source: best };
    Relevance { decision, sources: judged }
}

fn judge_by_words(question: &str, sources: &[Source], threshold: f32) -> Relevance {
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
    let judged: Vec<SourceRelevance> = sources
        .iter()
        .zip(&passages)
        .enumerate()
        .map(|(position, (source, passage))| {
            let found: f32 =
                total(terms.iter().zip(&weights).filter(|(t, _)| passage.contains(&t.stem)).map(|(_, w)| *w));
            let coverage = if all > 0.0 { found / all } else { 0.0 };
            let supported = coverage * support(source, position);
            // Half of the scale at MIN_COVERAGE and MIN_SCORE: the weaker of the two decides.
            let score = (0.5 * (coverage / MIN_COVERAGE).min(supported / MIN_SCORE)).min(1.0);
            let relevant = found > 0.0 && score >= threshold;
            SourceRelevance { number: source.number, coverage, score, relevant }
        })
        .collect();
    let best = judged.iter().filter(|j| j.score > 0.0).max_by(|a, b| a.score.total_cmp(&b.score));
    let score = best.map_or(0.0, |j| j.score);
    let decision = RelevanceDecision {
        score,
        threshold,
        answerable: judged.iter().any(|j| j.relevant),
        signals: RelevanceSignals::Lexical,
        best_source: best.map(|j| j.number),
    };
    Relevance { decision, sources: judged }
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
