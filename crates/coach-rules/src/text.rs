//! Shared text analysis: question terms with weights, IDF, set similarity, and sentence splitting of
//! passages (which arrive as chunk text: Markdown headings, list markers, PDF line wrapping) and of
//! answers.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use unicode_segmentation::UnicodeSegmentation;
pub(crate) use wayfinder_knowledge_rules::sentences::{
    ends_with_terminal, list_marker_len, passage_blocks, sentence_spans, squash_whitespace, word_count,
};
use wayfinder_knowledge_rules::{STOPWORDS, lexical_terms};

/// Words a learner uses to ask rather than to name a topic ("tell me", "explain"): they say
/// nothing about what a passage must contain, so they weigh nothing.
const ASKING_WORDS: &[&str] = &[
    "explain",
    "describe",
    "tell",
    "mean",
    "meaning",
    "please",
    "thanks",
    "thank",
    "know",
    "want",
    "wonder",
    "something",
    "anything",
    "everything",
    "thing",
    "things",
    "hi",
    "hello",
    "hey",
    "question",
    "okay",
    "ok",
];

/// Everyday content words that appear in most passages and most questions ("how does it help",
/// "the best way to"): kept, but weighing less than the words that carry the topic.
const COMMON_WORDS: &[&str] = &[
    "use",
    "using",
    "help",
    "helps",
    "work",
    "works",
    "way",
    "ways",
    "get",
    "make",
    "good",
    "better",
    "best",
    "tip",
    "tips",
    "need",
    "like",
    "lot",
    "many",
    "much",
    "well",
    "really",
    "actually",
    "also",
    "even",
    "still",
    "kind",
    "sort",
    "type",
    "example",
    "examples",
    "improve",
    "important",
    "different",
    "try",
    "new",
    "start",
    "take",
    "go",
    "keep",
    "find",
    "one",
    "first",
    "give",
    "show",
    "effective",
    "affect",
    "effect",
];

/// Weight of a [`COMMON_WORDS`] term relative to a topic term.
pub(crate) const COMMON_WEIGHT: f32 = 0.3;

/// Places and occasions of learning. After a preposition ("notes in class", "focus during
/// lectures", "stress at work") they set the scene rather than name the topic, so they weigh like
/// common words there; elsewhere ("How do I run a good lesson?") they are the topic.
const SETTING_WORDS: &[&str] = &[
    "class",
    "classes",
    "classroom",
    "lecture",
    "lectures",
    "lesson",
    "lessons",
    "school",
    "college",
    "university",
    "seminar",
    "seminars",
    "course",
    "work",
    "job",
    "office",
    "home",
    "meeting",
    "meetings",
];

/// Prepositions that introduce a setting (articles and possessives between them are skipped).
const SETTING_PREPOSITIONS: &[&str] = &["in", "at", "during", "for", "before", "after", "from", "on"];

/// A capitalised word inside a sentence is usually a name ("Peru", "Cornell"); if a passage lacks
/// it, the passage is about something else, so it counts this much more.
const NAME_WEIGHT: f32 = 1.5;

static ASKING_STEMS: LazyLock<HashSet<String>> = LazyLock::new(|| stems_of(ASKING_WORDS));
static COMMON_STEMS: LazyLock<HashSet<String>> = LazyLock::new(|| stems_of(COMMON_WORDS));
static SETTING_STEMS: LazyLock<HashSet<String>> = LazyLock::new(|| stems_of(SETTING_WORDS));

fn stems_of(words: &[&str]) -> HashSet<String> {
    words.iter().flat_map(|w| lexical_terms(w)).collect()
}

/// Stemmed terms of `text`, as the BM25 index stores them.
pub(crate) fn terms(text: &str) -> Vec<String> {
    lexical_terms(text)
}

/// The distinct stemmed terms of `text`.
pub(crate) fn term_set(text: &str) -> HashSet<String> {
    lexical_terms(text).into_iter().collect()
}

/// Whether a lowercase word is an English stopword (the BM25 index's list).
pub(crate) fn is_stopword(word: &str) -> bool {
    STOPWORDS.binary_search(&word).is_ok()
}

/// Whether a stem is a word of asking rather than of topic.
pub(crate) fn is_asking_stem(stem: &str) -> bool {
    ASKING_STEMS.contains(stem)
}

/// Whether a stem is a common word (see [`COMMON_WORDS`]).
pub(crate) fn is_common_stem(stem: &str) -> bool {
    COMMON_STEMS.contains(stem)
}

/// A distinct term of a question with how much it says about the topic.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct QueryTerm {
    pub stem: String,
    pub weight: f32,
}

/// The distinct terms of a question, in order of first appearance, weighted: asking words 0,
/// common words and settings after a preposition ([`SETTING_WORDS`]) [`COMMON_WEIGHT`], names
/// [`NAME_WEIGHT`], anything else 1.
pub(crate) fn query_terms(question: &str) -> Vec<QueryTerm> {
    let mut out: Vec<QueryTerm> = Vec::new();
    let mut sentence_start = true;
    let mut last_end = 0;
    let mut after_preposition = false;
    for (offset, word) in question.unicode_word_indices() {
        // A new sentence starts after terminal punctuation between the previous word and this one.
        if question[last_end..offset].contains(['.', '?', '!', '\n']) {
            sentence_start = true;
        }
        last_end = offset + word.len();
        let capitalised = word.chars().next().is_some_and(char::is_uppercase) && word != "I";
        let is_name = capitalised && !sentence_start;
        sentence_start = false;
        let lower = word.to_lowercase();
        let in_setting = after_preposition;
        if !matches!(lower.as_str(), "a" | "an" | "the" | "my" | "our" | "your" | "their" | "his" | "her") {
            after_preposition = SETTING_PREPOSITIONS.contains(&lower.as_str());
        }
        for stem in lexical_terms(word) {
            let base = if is_asking_stem(&stem) {
                0.0
            } else if is_common_stem(&stem) || (in_setting && SETTING_STEMS.contains(&stem)) {
                COMMON_WEIGHT
            } else {
                1.0
            };
            let weight = if is_name && base > 0.0 { base * NAME_WEIGHT } else { base };
            match out.iter_mut().find(|t| t.stem == stem) {
                Some(existing) => existing.weight = existing.weight.max(weight),
                None => out.push(QueryTerm { stem, weight }),
            }
        }
    }
    out
}

/// The sum of `values`, 0 (not −0, as `Sum` gives for nothing) when there are none.
pub(crate) fn total(values: impl IntoIterator<Item = f32>) -> f32 {
    values.into_iter().fold(0.0, |sum, v| sum + v)
}

/// BM25's inverse document frequency, always positive: `ln(1 + (n − df + 0.5) / (df + 0.5))`.
pub(crate) fn idf(n: usize, df: usize) -> f32 {
    let (n, df) = (n as f32, df as f32);
    (1.0 + (n - df + 0.5).max(0.0) / (df + 0.5)).ln()
}

/// How many of `sets` contain each term.
pub(crate) fn document_frequencies<'a>(sets: impl IntoIterator<Item = &'a HashSet<String>>) -> HashMap<&'a str, usize> {
    let mut df: HashMap<&str, usize> = HashMap::new();
    for set in sets {
        for term in set {
            *df.entry(term.as_str()).or_default() += 1;
        }
    }
    df
}

/// Cosine similarity of two term sets seen as binary vectors: `|A ∩ B| / √(|A|·|B|)`. Unlike
/// Jaccard it stays high when a short sentence is contained in a longer one.
pub(crate) fn set_cosine(a: &HashSet<String>, b: &HashSet<String>) -> f32 {
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let shared = a.intersection(b).count() as f32;
    shared / ((a.len() * b.len()) as f32).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_weigh_more_and_asking_words_nothing() {
        let terms = query_terms("Please explain what the capital of Peru is");
        let weight = |stem: &str| terms.iter().find(|t| t.stem == stem).map(|t| t.weight);
        assert_eq!(weight("explain"), Some(0.0));
        assert_eq!(weight("capit"), Some(1.0));
        assert_eq!(weight("peru"), Some(NAME_WEIGHT));
        // The first word of a sentence is capitalised by grammar, not because it is a name.
        assert_eq!(query_terms("Flashcards help?")[0].weight, 1.0);
    }
}
