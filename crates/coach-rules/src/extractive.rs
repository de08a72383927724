//! The answer without a model: the few sentences of the relevant passages that best answer the
//! question, quoted with citations.
//!
//! 1. Only sources [`relevant_sources`] accepts are read, so an off-topic question gets `None`.
//! 2. Passages are cut into blocks (headings, tables and list markers dropped; PDF line wrapping and
//!    hyphenation undone) and sentences (UAX #29 plus abbreviations and initials). Kept are
//!    complete sentences of [`MIN_WORDS`]..=[`MAX_WORDS`] words that start like a sentence (not a
//!    chunk cut mid-sentence) and are not questions.
//! 3. Each sentence's relevance is the IDF-weighted share of the question's terms it contains (IDF
//!    over the candidate sentences; terms no candidate holds are left out, since they cannot tell
//!    candidates apart and the relevance gate already judged them), plus a bonus for question
//!    phrases kept intact ("spaced repetition"). A sentence also inherits [`CONTINUATION`] of the
//!    score of the sentence before it in the same paragraph (less if it has fewer than six
//!    distinct terms): passages name their topic once and then go on about it ("Spaced repetition
//!    is… / After a first session, review the next day… / Each review comes just as you
//!    forget…"), and without this "How does spaced repetition work?" would get the definition
//!    alone. The score multiplies relevance by readability — lower for run-ons, very short
//!    sentences, openings that point back ("This", "It") and references to what the reader cannot
//!    see ("the table below", "this chapter") — and by the source's position in the retrieval list
//!    as a prior, `0.75 + 0.25 / (1 + position/2)`.
//! 4. Sentences are picked by maximal marginal relevance, `λ·score − (1−λ)·max similarity to the
//!    picked ones` (cosine of term sets), and any sentence whose similarity to a picked one
//!    reaches `max_similarity` is never picked: overlapping chunks repeat sentences verbatim and
//!    textbooks restate their points. When the passages were judged by meaning (dense scores),
//!    the source prior is their score relative to the best passage's instead of their position,
//!    every sentence of a usable passage has at least [`MEANING_FLOOR`] relevance, and the
//!    sentences come from the few documents closest to the question, one from each before a
//!    second from any (`max_per_document`): closest in meaning, with a small share
//!    ([`LEXICAL_SHARE`]) for the words they share with it. Sentences are weighed by form too: advice
//!    when the question asks how or what to do, definitions when it asks what or why; first-person
//!    anecdotes and quoted voices lower.
//! 5. The picks are ordered by source (by meaning: the closest document's first), then by
//!    position in the passage, and rendered under one opening line, each source's run as a
//!    bullet led by its section heading (or the document title) in bold and ending in one
//!    citation.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::Source;
use crate::citations::strip_citations;
use crate::relevance::{SourceRelevance, assess_relevance};
use crate::text::{
    QueryTerm, document_frequencies, ends_with_terminal, idf, passage_blocks, query_terms, sentence_spans, set_cosine,
    squash_whitespace, terms, total, word_count,
};

#[cfg(doc)]
use crate::relevance::relevant_sources;

/// Shorter sentences are fragments ("See Figure 2.").
pub const MIN_WORDS: usize = 5;

/// Longer sentences are run-ons or extraction accidents (a table read as text).
pub const MAX_WORDS: usize = 55;

/// The line that opens every extractive answer, so no one mistakes quotes for a composed answer.
pub const OPENING: &str = "Here is what the knowledge base says about this, quoted directly from the sources:";

/// Share of the previous sentence's relevance that the next sentence of the passage inherits.
pub const CONTINUATION: f32 = 0.7;

/// With dense scores, a passage whose score is this much below the best one's counts for 1/e as
/// much (0.1 on the score scale is a cosine 0.05 lower).
pub const PRIOR_SCALE: f32 = 0.2;

/// With dense scores, every sentence of a passage judged relevant by meaning has at least this
/// relevance: learners ask in their own words, and a sentence that answers them may share none.
pub const MEANING_FLOOR: f32 = 0.3;

/// How much a document's BM25 score (relative to the best among the sources) adds to its best
/// passage's cosine when choosing the documents an answer draws on. On the OpenStax development
/// set (`docs/ANSWERS.md`) an answering module was among the three closest for 122 → 127 of 137
/// questions with all-mpnet-base-v2 and 116 → 118 with all-MiniLM-L6-v2 (shares of 0.1 to 0.2
/// alike; 0.3 and more lose paraphrased questions, which share few words with their module).
pub const LEXICAL_SHARE: f32 = 0.15;

/// A chosen document within this much closeness of the closest one keeps its best sentence even
/// when that sentence scores below half the best: on the development set's traces, where an
/// answering module was second or third, it was within 0.07 of the first for 18 of 21 questions
/// (MiniLM) and 11 of 14 (MPNet), while half of the other second and third documents were further.
pub const NEAR_MARGIN: f32 = 0.07;

/// What a question asks for, from its opening words.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Intent {
    /// "How do I…", "What should I…", "Any tips…": advice, steps, strategies.
    Advice,
    /// "What is…", "Why…", "What does … mean": definitions and reasons.
    Explanation,
    Other,
}

/// Openings of advice: instructions and recommendations.
#[rustfmt::skip]
const ADVICE_OPENINGS: &[&str] = &[
    "try ", "make ", "set ", "break ", "start ", "keep ", "use ", "take ", "plan ", "find ", "ask ", "write ",
    "create ", "focus ", "avoid ", "give ", "remember ", "consider ", "schedule ", "identify ", "prioritize ",
    "review ", "practice ", "get ", "be ", "don't ", "do ", "look ", "think ", "stay ", "limit ", "talk ", "seek ",
    "reach out", "if you ", "when you ", "one way", "another way", "a good way", "the best way", "the key ",
];

/// Phrases of advice anywhere in a sentence.
#[rustfmt::skip]
const ADVICE_PHRASES: &[&str] = &[
    " you can ", " you should ", " you might ", " you may want", " you will want", " you need to ", " it is important to ",
    " it's important to ", " it helps to ", " helps you ", " strategy ", " strategies ", " technique", " tip ", " tips ",
    " instead of ", " make sure ", " a good idea ", " is to ", " are to ", " try to ",
];

/// Phrases of definition and explanation.
#[rustfmt::skip]
const EXPLANATION_PHRASES: &[&str] = &[
    " is a ", " is an ", " is the ", " are the ", " refers to ", " means ", " is called ", " is defined ", " because ",
    " occurs when ", " is when ", " describes ",
];

impl Intent {
    fn of(question: &str) -> Intent {
        let q = format!(" {} ", question.to_lowercase());
        #[rustfmt::skip]
        let advice = [
            " how do i ", " how can i ", " how should i ", " how do you ", " how to ", " what should i ", " what can i ",
            " should i ", " any tips", " any way", " any advice", " what do i do", " what can i do", " how do we ",
            " is there a way", " is it worth", " what's the best way", " what is the best way", " how would i ",
        ];
        if advice.iter().any(|a| q.contains(a)) {
            Intent::Advice
        } else if [" what is ", " what are ", " what's ", " why ", " what does ", " mean "]
            .iter()
            .any(|a| q.contains(a))
        {
            Intent::Explanation
        } else {
            Intent::Other
        }
    }

    /// How well a sentence's form fits what was asked: advice and definitions up where asked
    /// for, first-person anecdotes and quoted voices down always (a student's story in a
    /// textbook illustrates; it rarely answers).
    fn fit(self, sentence: &str) -> f32 {
        let lower = sentence.to_lowercase();
        let spaced = format!(" {lower} ");
        let mut factor = match self {
            Intent::Advice
                if ADVICE_OPENINGS.iter().any(|o| lower.starts_with(o))
                    || ADVICE_PHRASES.iter().any(|p| spaced.contains(p)) =>
            {
                1.3
            }
            Intent::Explanation if EXPLANATION_PHRASES.iter().any(|p| spaced.contains(p)) => 1.2,
            _ => 1.0,
        };
        let first_person = [" i ", " i'm ", " i've ", " i'd ", " my ", " me "].iter().any(|w| spaced.contains(w));
        let quoted = sentence.contains('"') || sentence.contains('“');
        if first_person || quoted {
            factor *= 0.6;
        }
        factor
    }
}

/// A sentence with this many distinct terms carries enough to inherit its predecessor's relevance
/// in full; fewer, proportionally less.
const INFORMATIVE_TERMS: f32 = 6.0;

/// Phrases that point to something outside the quoted sentence: a figure, a table, another part of
/// the book.
#[rustfmt::skip]
const ELSEWHERE: &[&str] = &[
    " below", " above", " figure", " fig.", " table ", " table.", " chart", " diagram", " image ", " pictured",
    " shown ", "read more", "learn more", "see also", "this chapter", "next chapter", "this section",
    "next section", "previous section", "later in this", "earlier in this", "you will learn", " the following",
    "what follows", "this book", "this textbook", "this course",
];

/// Words that point back to an earlier sentence; a sentence opening with one reads badly alone.
const BACK_REFERENCES: &[&str] =
    &["this", "these", "that", "those", "it", "they", "such", "he", "she", "however", "therefore", "thus"];

/// Knobs of the extraction.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExtractiveOptions {
    /// At most this many sentences (fewer when fewer are relevant).
    pub max_sentences: usize,
    /// A sentence needs at least this relevance (0..1) to be quoted.
    pub min_relevance: f32,
    /// And at least this share of the best sentence's score, so weak sentences do not pad a strong answer.
    pub min_share_of_best: f32,
    /// MMR trade-off: 1 is relevance only, 0 is diversity only.
    pub lambda: f32,
    /// Term-set cosine at or above which two sentences count as saying the same thing.
    pub max_similarity: f32,
    /// When passages were judged by meaning, sentences come only from the `max_sentences`
    /// documents closest in meaning, at most this many from one document, and a second one from
    /// a document only once every other of those documents has given what it can: the passage's
    /// cosine is the best evidence of which document answers a paraphrase (on the development set
    /// the closest document answers 74 % of questions, one of the closest three 85 %, while the
    /// question's words, or the closest single sentence, pick worse), so the answer draws on the
    /// few closest documents rather than on one alone. (By words, the terms do tell, and there is
    /// no cap.)
    pub max_per_document: usize,
}

impl Default for ExtractiveOptions {
    fn default() -> Self {
        ExtractiveOptions {
            max_sentences: 3,
            min_relevance: 0.3,
            min_share_of_best: 0.5,
            lambda: 0.7,
            max_similarity: 0.6,
            max_per_document: 2,
        }
    }
}

/// An answer quoted from the sources.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExtractiveAnswer {
    /// The rendered answer (Markdown: an opening line and one bullet per source group).
    pub text: String,
    /// Source numbers cited, in order of appearance.
    pub cited: Vec<usize>,
    /// The quoted sentences in the order shown.
    pub sentences: Vec<ExtractedSentence>,
}

/// One quoted sentence.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExtractedSentence {
    /// The number of the source it comes from.
    pub source: usize,
    /// The sentence as quoted.
    pub text: String,
    /// Its relevance to the question, 0..1.
    pub relevance: f32,
}

/// A sentence that might be quoted.
struct Candidate {
    /// Index of its source in the given (best-first) list.
    source_index: usize,
    /// Position of the sentence in its passage.
    position: usize,
    /// Index of its paragraph (or list item) in the passage.
    block: usize,
    text: String,
    terms: Vec<String>,
    set: HashSet<String>,
    relevance: f32,
    score: f32,
    /// How strongly its passage matched, relative to the best passage (0..1).
    prior: f32,
}

/// Quotes the sentences of `sources` that best answer `question`, or `None` when nothing relevant
/// is there. `sources` must be best first.
pub fn extractive_answer(question: &str, sources: &[Source], opts: &ExtractiveOptions) -> Option<ExtractiveAnswer> {
    extract_answer(question, sources, &assess_relevance(question, sources), opts)
}

/// Quotes the sentences of the sources judged relevant in `assessed` (one judgement per source,
/// in the same order) that best answer `question`.
pub fn extract_answer(
    question: &str,
    sources: &[Source],
    assessed: &[SourceRelevance],
    opts: &ExtractiveOptions,
) -> Option<ExtractiveAnswer> {
    let mut candidates = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    let by_meaning = sources.iter().any(|s| s.dense_score.is_some());
    let best = assessed.iter().filter(|j| j.relevant).map(|j| j.score).fold(0.0_f32, f32::max);
    // The chosen documents, closest first, and among them those about as close as the closest.
    let chosen = by_meaning.then(|| closest_documents(sources, assessed, opts.max_sentences));
    let closest = chosen.as_ref().map(|(documents, _)| documents);
    let near: &[&str] = chosen.as_ref().map_or(&[], |(documents, near)| &documents[..*near]);
    for (index, (source, judged)) in sources.iter().zip(assessed).enumerate() {
        if !judged.relevant || closest.as_ref().is_some_and(|c| !c.contains(&source.document_id.as_str())) {
            continue;
        }
        let prior = if by_meaning {
            // Judged by meaning: the passages closest in meaning lead, whatever the fused order.
            (-(best - judged.score).max(0.0) / PRIOR_SCALE).exp()
        } else {
            0.75 + 0.25 / (1.0 + index as f32 / 2.0)
        };
        for (position, (block, text)) in quotable_sentences(&source.text).into_iter().enumerate() {
            // Overlapping chunks repeat sentences verbatim.
            if !seen.insert(text.to_lowercase()) {
                continue;
            }
            let terms = terms(&text);
            let set: HashSet<String> = terms.iter().cloned().collect();
            candidates.push(Candidate {
                source_index: index,
                position,
                block,
                text,
                terms,
                set,
                relevance: 0.0,
                score: 0.0,
                prior,
            });
        }
    }
    score_candidates(question, &mut candidates, if by_meaning { MEANING_FLOOR } else { 0.0 });
    let best = candidates.iter().map(|c| c.score).fold(0.0_f32, f32::max);
    // By meaning, each document about as close as the closest keeps its best sentence however it
    // compares with the best of another: which of them answers is what the sentences' words
    // cannot tell.
    let document_best = if by_meaning { best_per_document(&candidates, sources) } else { HashMap::new() };
    candidates.retain(|c| {
        let document = sources[c.source_index].document_id.as_str();
        let best_of_its_document = near.contains(&document) && document_best.get(document) == Some(&c.score);
        c.relevance >= opts.min_relevance && (c.score >= opts.min_share_of_best * best || best_of_its_document)
    });
    let mut picked = Vec::new();
    if by_meaning {
        // One sentence from each close document first, then a second where one has more to say.
        for per_document in 1..=opts.max_per_document {
            pick_by_mmr(&mut candidates, &mut picked, opts, per_document, sources);
        }
    } else {
        pick_by_mmr(&mut candidates, &mut picked, opts, usize::MAX, sources);
    }
    if picked.is_empty() {
        return None;
    }
    // The closest document leads (by meaning), then each source's sentences in the passage's order.
    let lead = |c: &Candidate| {
        let document = sources[c.source_index].document_id.as_str();
        closest.as_ref().and_then(|c| c.iter().position(|d| *d == document)).unwrap_or(0)
    };
    picked.sort_by_key(|c| (lead(c), c.source_index, c.position));
    Some(render(&picked, sources))
}

/// Each document's best candidate score.
fn best_per_document<'a>(candidates: &[Candidate], sources: &'a [Source]) -> HashMap<&'a str, f32> {
    let mut best: HashMap<&str, f32> = HashMap::new();
    for c in candidates {
        let score = best.entry(sources[c.source_index].document_id.as_str()).or_insert(c.score);
        *score = score.max(c.score);
    }
    best
}

/// The sentences of a passage worth quoting, cleaned, in passage order, each with the index of
/// its block.
fn quotable_sentences(passage: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (index, block) in passage_blocks(passage).iter().enumerate() {
        for (start, end) in sentence_spans(block) {
            let cleaned = clean_sentence(&block[start..end]);
            if is_quotable(&cleaned) {
                out.push((index, cleaned));
            }
        }
    }
    out
}

/// Removes the passage's own footnote marks (they would read as our citations) and Markdown
/// emphasis, and collapses whitespace.
fn clean_sentence(sentence: &str) -> String {
    let stripped = strip_citations(sentence).replace("**", "").replace("__", "").replace('`', "");
    squash_whitespace(&stripped)
}

fn is_quotable(sentence: &str) -> bool {
    let words = word_count(sentence);
    let lower = sentence.to_lowercase();
    let starts_like_sentence =
        sentence.chars().next().is_some_and(|c| c.is_uppercase() || c.is_ascii_digit() || "\"“'(".contains(c));
    (MIN_WORDS..=MAX_WORDS).contains(&words)
        && sentence.len() <= 400
        && starts_like_sentence
        && ends_with_terminal(sentence)
        // A bare address is a reference, not a statement, and a link to follow is not a quote.
        && !sentence.contains("http://")
        && !sentence.contains("https://")
        && !sentence.contains("www.")
        // A bibliographic reference is not a statement either.
        && !["doi:", "doi ", " vol.", "et al.", "journal of", "retrieved from"].iter().any(|r| lower.contains(r))
        && !sentence.trim_end().trim_end_matches(['"', '”', ')']).ends_with('?')
}

/// Sets each candidate's relevance and score (see the module documentation).
fn score_candidates(question: &str, candidates: &mut [Candidate], floor: f32) {
    let intent = Intent::of(question);
    let query: Vec<QueryTerm> = query_terms(question).into_iter().filter(|t| t.weight > 0.0).collect();
    let df = document_frequencies(candidates.iter().map(|c| &c.set));
    let n = candidates.len();
    let weighted: Vec<(&str, f32)> = query
        .iter()
        .filter_map(|t| df.get(t.stem.as_str()).map(|&df| (t.stem.as_str(), t.weight * idf(n, df))))
        .collect();
    // A question none of whose words the passages hold leans on the floor alone.
    let all = total(weighted.iter().map(|(_, w)| *w)).max(f32::MIN_POSITIVE);
    let question_terms = terms(question);
    // (source, block, relevance × readability) of the previous candidate.
    let mut previous: Option<(usize, usize, f32)> = None;
    let phrases: Vec<(&String, &String)> =
        question_terms.windows(2).map(|w| (&w[0], &w[1])).filter(|(a, b)| a != b).collect();
    for candidate in candidates.iter_mut() {
        let found = total(weighted.iter().filter(|(t, _)| candidate.set.contains(*t)).map(|(_, w)| *w));
        let mut relevance = found / all;
        if !phrases.is_empty() {
            let kept =
                phrases.iter().filter(|(a, b)| candidate.terms.windows(2).any(|w| &w[0] == *a && &w[1] == *b)).count();
            relevance += 0.15 * kept as f32 / phrases.len() as f32;
        }
        let mut relevance = relevance.min(1.0).max(floor);
        if let Some((source, block, inherited)) = previous
            && (source, block) == (candidate.source_index, candidate.block)
        {
            // A filler ("You may know this firsthand.") inherits little: it says too little.
            let informative = (candidate.set.len() as f32 / INFORMATIVE_TERMS).min(1.0);
            relevance = relevance.max(CONTINUATION * inherited * informative);
        }
        let readable = readability(&candidate.text);
        previous = Some((candidate.source_index, candidate.block, relevance * readable));
        candidate.relevance = relevance;
        candidate.score = relevance * readable * intent.fit(&candidate.text) * candidate.prior;
    }
}

/// How well a sentence reads on its own, about 0.35..1: run-ons, very short sentences, openings that
/// point back ("This", "It") and references to what the reader cannot see ("the table below",
/// "see Chapter 4") read badly when quoted alone.
fn readability(text: &str) -> f32 {
    let words = word_count(text);
    let mut factor = if words > 30 {
        (1.0 - 0.01 * (words - 30) as f32).max(0.7)
    } else if words < 8 {
        0.85
    } else {
        1.0
    };
    let first_word = text.split_whitespace().next().unwrap_or("").to_lowercase();
    if BACK_REFERENCES.contains(&first_word.trim_matches(|c: char| !c.is_alphanumeric())) {
        factor *= 0.85;
    }
    let lower = format!(" {} ", text.to_lowercase());
    if ELSEWHERE.iter().any(|phrase| lower.contains(phrase)) {
        factor *= 0.6;
    }
    factor
}

/// The documents of the relevant sources, closest first, at most `n`, and how many of them lead
/// within [`NEAR_MARGIN`] of the first: a document's closeness is its best passage's cosine (the
/// judged score saturates at 1, so it cannot order the close ones) plus [`LEXICAL_SHARE`] of its
/// passage's BM25 score relative to the best BM25 score among the sources.
fn closest_documents<'a>(sources: &'a [Source], assessed: &[SourceRelevance], n: usize) -> (Vec<&'a str>, usize) {
    let best_lexical = sources.iter().filter_map(|s| s.lexical_score).fold(0.0_f32, f32::max);
    let mut documents: Vec<(&str, f32)> = Vec::new();
    for (source, _) in sources.iter().zip(assessed).filter(|(_, j)| j.relevant) {
        let words = match source.lexical_score {
            Some(score) if best_lexical > 0.0 => LEXICAL_SHARE * score / best_lexical,
            _ => 0.0,
        };
        let closeness = source.dense_score.map_or(f32::MIN, |cosine| cosine + words);
        match documents.iter_mut().find(|(d, _)| *d == source.document_id) {
            Some((_, best)) => *best = best.max(closeness),
            None => documents.push((&source.document_id, closeness)),
        }
    }
    documents.sort_by(|a, b| b.1.total_cmp(&a.1));
    documents.truncate(n);
    let first = documents.first().map_or(0.0, |(_, closeness)| *closeness);
    let near = documents.iter().take_while(|(_, closeness)| *closeness >= first - NEAR_MARGIN).count();
    (documents.into_iter().map(|(d, _)| d).collect(), near)
}

/// Adds candidates to `picked` by maximal marginal relevance until it holds `max_sentences`, at
/// most `per_document` from one document and never two near-duplicates.
fn pick_by_mmr(
    remaining: &mut Vec<Candidate>,
    picked: &mut Vec<Candidate>,
    opts: &ExtractiveOptions,
    per_document: usize,
    sources: &[Source],
) {
    let document = |c: &Candidate| sources[c.source_index].document_id.as_str();
    while picked.len() < opts.max_sentences {
        let mut best: Option<(usize, f32)> = None;
        for (i, candidate) in remaining.iter().enumerate() {
            if picked.iter().filter(|p| document(p) == document(candidate)).count() >= per_document {
                continue;
            }
            let similarity = picked.iter().map(|p| set_cosine(&p.set, &candidate.set)).fold(0.0_f32, f32::max);
            if similarity >= opts.max_similarity {
                continue;
            }
            let mmr = opts.lambda * candidate.score - (1.0 - opts.lambda) * similarity;
            if best.is_none_or(|(_, b)| mmr > b) {
                best = Some((i, mmr));
            }
        }
        let Some((i, _)) = best else { break };
        picked.push(remaining.swap_remove(i));
    }
}

/// The opening line, then one bullet per run of sentences from the same source, its citation last.
fn render(picked: &[Candidate], sources: &[Source]) -> ExtractiveAnswer {
    let mut text = String::from(OPENING);
    let mut cited: Vec<usize> = Vec::new();
    let mut sentences = Vec::new();
    for (i, candidate) in picked.iter().enumerate() {
        let number = sources[candidate.source_index].number;
        let starts_group = i == 0 || picked[i - 1].source_index != candidate.source_index;
        let ends_group = picked.get(i + 1).is_none_or(|next| next.source_index != candidate.source_index);
        if starts_group {
            let source = &sources[candidate.source_index];
            text.push_str("\n\n- **");
            text.push_str(&heading_of(source));
            text.push_str("**: ");
        } else {
            text.push(' ');
        }
        text.push_str(&candidate.text);
        if ends_group {
            text.push_str(&format!(" [{number}]"));
            if !cited.contains(&number) {
                cited.push(number);
            }
        }
        sentences.push(ExtractedSentence {
            source: number,
            text: candidate.text.clone(),
            relevance: candidate.relevance,
        });
    }
    ExtractiveAnswer { text, cited, sentences }
}

/// The heading that frames a source's sentences: its innermost section, or the document title.
fn heading_of(source: &Source) -> String {
    let section = source.section.as_deref().and_then(|s| s.rsplit(" › ").next()).filter(|s| !s.trim().is_empty());
    squash_whitespace(section.unwrap_or(&source.document_title)).replace("**", "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fragments_questions_and_cut_sentences_are_not_quotable() {
        assert!(is_quotable("Spacing reviews over several days strengthens memory."));
        assert!(!is_quotable("See Figure 2."));
        assert!(!is_quotable("Have you ever crammed the night before an exam?"));
        assert!(!is_quotable("and then the learner reviews the cards again the next day."));
        assert!(!is_quotable("Spacing reviews over several days strengthens memory because"));
        assert!(!is_quotable("The full list is at https://example.org/spacing for anyone curious."));
    }

    #[test]
    fn passage_footnote_marks_do_not_survive_as_citations() {
        assert_eq!(
            clean_sentence("Testing beats **rereading** [12] for   retention."),
            "Testing beats rereading for retention."
        );
    }
}
