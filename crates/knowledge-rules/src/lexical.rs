//! The terms a BM25 index stores and a query is matched with. Both backends store exactly these
//! strings (numbered per organisation, with their frequencies per chunk), so they rank alike.

use std::sync::LazyLock;

use rust_stemmers::{Algorithm, Stemmer};
use unicode_segmentation::UnicodeSegmentation;

/// English stopwords dropped before stemming: articles, pronouns, auxiliaries, prepositions and
/// conjunctions, plus the fragments contractions split into ("don't" → "don", "t").
#[rustfmt::skip]
pub const STOPWORDS: &[&str] = &[
    "a", "about", "above", "after", "again", "against", "all", "am", "an", "and", "any", "are", "as", "at", "be",
    "because", "been", "before", "being", "below", "between", "both", "but", "by", "can", "could", "d", "did", "do",
    "does", "doing", "don", "down", "during", "each", "few", "for", "from", "further", "had", "has", "have", "having",
    "he", "her", "here", "hers", "herself", "him", "himself", "his", "how", "i", "if", "in", "into", "is", "it",
    "its", "itself", "just", "ll", "m", "me", "more", "most", "my", "myself", "no", "nor", "not", "now", "of", "off",
    "on", "once", "only", "or", "other", "our", "ours", "ourselves", "out", "over", "own", "re", "s", "same", "she",
    "should", "so", "some", "such", "t", "than", "that", "the", "their", "theirs", "them", "themselves", "then",
    "there", "these", "they", "this", "those", "through", "to", "too", "under", "until", "up", "ve", "very", "was",
    "we", "were", "what", "when", "where", "which", "while", "who", "whom", "why", "will", "with", "would", "you",
    "your", "yours", "yourself", "yourselves",
];

/// Longer tokens are identifiers, hashes or garbage, not words anyone searches for.
const MAX_TERM_CHARS: usize = 40;

static STEMMER: LazyLock<Stemmer> = LazyLock::new(|| Stemmer::create(Algorithm::English));

/// Lowercased, stopword-free, Porter2-stemmed terms of `text`, in order (duplicates kept, so term
/// frequency can be counted). Words are found at Unicode word boundaries and then split on any
/// character that is not a letter or digit ("e-mail's" → "e", "mail"); numbers are kept unstemmed.
/// Every term is letters and digits only.
pub fn lexical_terms(text: &str) -> Vec<String> {
    let mut terms = Vec::new();
    for word in text.unicode_words() {
        let word = word.to_lowercase();
        // Possessive 's (straight or curly apostrophe) carries no meaning of its own.
        let word = word.strip_suffix("'s").or_else(|| word.strip_suffix("’s")).unwrap_or(&word);
        for part in word.split(|c: char| !c.is_alphanumeric()) {
            if part.is_empty() || part.chars().count() > MAX_TERM_CHARS || is_stopword(part) {
                continue;
            }
            if part.chars().all(|c| c.is_numeric()) {
                terms.push(part.to_string());
            } else {
                terms.push(STEMMER.stem(part).into_owned());
            }
        }
    }
    terms
}

fn is_stopword(word: &str) -> bool {
    STOPWORDS.binary_search(&word).is_ok()
}

#[cfg(test)]
mod tests {
    use super::STOPWORDS;

    // `is_stopword` binary-searches, which is only correct while the list stays sorted.
    #[test]
    fn stopwords_are_sorted_and_unique() {
        assert!(STOPWORDS.windows(2).all(|w| w[0] < w[1]));
    }
}
