//! Follow-ups into standalone questions, so retrieval sees the topic: "Why does it help?" after
//! "How does spaced repetition work?" must search for spaced repetition. With a model the server
//! sends [`rewrite_prompt`] and cleans the reply with [`clean_rewrite`]; without one (or when the
//! reply is unusable) [`standalone_question`] appends the earlier question's key words.

use std::collections::HashSet;

use unicode_segmentation::UnicodeSegmentation;

use crate::citations::strip_citations;
use crate::text::{is_asking_stem, is_common_stem, is_stopword, query_terms, squash_whitespace, term_set, word_count};
use crate::{Role, Turn, TurnRole};

/// A rewritten question longer than this is an answer or a ramble, not a question.
pub const MAX_REWRITE_CHARS: usize = 300;

/// Turns of history shown to a model that rewrites.
const REWRITE_HISTORY_TURNS: usize = 6;

/// Characters kept of each of those turns.
const REWRITE_TURN_CHARS: usize = 400;

/// At most this many words are appended by [`standalone_question`].
const MAX_APPENDED_WORDS: usize = 8;

/// Openings that continue the previous question ("and for math?", "what about flashcards?").
#[rustfmt::skip]
const CONTINUATIONS: &[&str] = &[
    "and", "also", "then", "more", "what about", "how about", "what else", "what if", "anything else", "same", "ok",
    "okay", "but", "so", "or",
];

/// Pronouns and determiners that point back to something said before.
const BACK_REFERENCES: &[&str] =
    &["this", "these", "those", "they", "them", "their", "he", "she", "him", "her", "his", "its"];

/// Whether `question` leans on the conversation (a follow-up) and should be rewritten before
/// retrieval. Never without an earlier learner turn. Signals: three words or fewer; no topic word
/// at all ("Can you explain that again?"); a continuation opening ("and", "what about", "also",
/// "then", "more"…, or "why" with at most two topic words); a pronoun or demonstrative that points
/// back (this, these, those, they, he, she, its…; "it" only with at most two topic words, since
/// "is it better to…" is common in standalone questions; "that" unless it sits between a content
/// word and another word, where it starts a relative clause: "techniques that help").
pub fn needs_rewrite(question: &str, history: &[Turn]) -> bool {
    if !history.iter().any(|t| t.role == TurnRole::User && !t.content.trim().is_empty()) {
        return false;
    }
    let words: Vec<String> = question.unicode_words().map(str::to_lowercase).collect();
    if words.is_empty() {
        return false;
    }
    let topic = query_terms(question).iter().filter(|t| t.weight >= 1.0).count();
    if words.len() <= 3 || topic == 0 {
        return true;
    }
    let opening = words.iter().take(2).map(String::as_str).collect::<Vec<_>>().join(" ");
    let continues = CONTINUATIONS.iter().any(|c| opening == *c || opening.starts_with(&format!("{c} ")));
    if continues || (words[0] == "why" && topic <= 2) {
        return true;
    }
    words.iter().enumerate().any(|(i, word)| match word.as_str() {
        w if BACK_REFERENCES.contains(&w) => true,
        "it" => topic <= 2,
        // "techniques that help" is a relative clause; "does that work", "explain that again" and
        // "like that?" point back.
        "that" => i == 0 || !is_content_word(&words[i - 1]) || words.get(i + 1).is_none_or(|next| is_stopword(next)),
        _ => false,
    })
}

/// Whether a lowercase word names something: not a stopword, asking word, common word or number.
fn is_content_word(word: &str) -> bool {
    let stems = term_set(word);
    !is_stopword(word)
        && !stems.is_empty()
        && stems.iter().all(|s| !is_asking_stem(s) && !is_common_stem(s) && !s.chars().all(|c| c.is_numeric()))
}

/// A retrieval query for `question` without a model: the question itself when it stands alone;
/// otherwise the question with the key words of the latest learner turn(s) it lacks appended in
/// brackets, phrases kept together ("Why does it help? (spaced repetition)"). Earlier turns are
/// consulted only while the later ones were follow-ups themselves.
pub fn standalone_question(question: &str, history: &[Turn]) -> String {
    let question = squash_whitespace(question);
    if !needs_rewrite(&question, history) {
        return question;
    }
    let mut have: HashSet<String> = term_set(&question);
    let mut phrases: Vec<String> = Vec::new();
    let mut words = 0;
    let user_turns: Vec<(usize, &Turn)> =
        history.iter().enumerate().filter(|(_, t)| t.role == TurnRole::User && !t.content.trim().is_empty()).collect();
    for &(index, turn) in user_turns.iter().rev().take(3) {
        for phrase in key_phrases(&turn.content) {
            let stems = term_set(&phrase);
            if stems.is_subset(&have) {
                continue;
            }
            let count = word_count(&phrase);
            if words + count > MAX_APPENDED_WORDS {
                continue;
            }
            have.extend(stems);
            words += count;
            phrases.push(phrase);
        }
        // Stop at the first turn that stood on its own: it set the topic.
        if !needs_rewrite(&turn.content, &history[..index]) {
            break;
        }
    }
    if phrases.is_empty() { question } else { format!("{question} ({})", phrases.join(", ")) }
}

/// Runs of adjacent content words of `text`, in order ("How does spaced repetition work?" →
/// "spaced repetition"): no stopwords, pronouns, asking or common words.
fn key_phrases(text: &str) -> Vec<String> {
    let mut phrases: Vec<String> = Vec::new();
    let mut current: Vec<&str> = Vec::new();
    let mut last_end = 0;
    for (offset, word) in text.unicode_word_indices() {
        let gap = &text[last_end..offset];
        let adjacent = gap.chars().all(|c| c == ' ' || c == '-');
        last_end = offset + word.len();
        let key = is_content_word(&word.to_lowercase());
        if (!key || !adjacent) && !current.is_empty() {
            phrases.push(current.join(" "));
            current.clear();
        }
        if key {
            current.push(word);
        }
    }
    if !current.is_empty() {
        phrases.push(current.join(" "));
    }
    phrases
}

/// Messages asking a model to rewrite `question` as a standalone question, with the latest turns of
/// `history` (citations removed, each turn shortened) as context.
pub fn rewrite_prompt(question: &str, history: &[Turn]) -> Vec<(Role, String)> {
    let system = "You rewrite the latest message of a learner in a coaching conversation as one standalone \
                  question that can be understood without the conversation. Replace pronouns and vague \
                  references with what they refer to. Keep the learner's language, wording and intent. Do not \
                  answer the question and do not add anything new. Reply with the rewritten question only, on \
                  one line.";
    let start = history.len().saturating_sub(REWRITE_HISTORY_TURNS);
    let mut conversation = String::new();
    for turn in &history[start..] {
        let (who, content) = match turn.role {
            TurnRole::User => ("Learner", squash_whitespace(&turn.content)),
            TurnRole::Assistant => ("Coach", squash_whitespace(&strip_citations(&turn.content))),
        };
        if content.is_empty() {
            continue;
        }
        conversation.push_str(&format!("{who}: {}\n", shorten(&content, REWRITE_TURN_CHARS)));
    }
    let user = format!(
        "Conversation:\n{conversation}\nLatest message: {}\n\nStandalone question:",
        squash_whitespace(question)
    );
    vec![(Role::System, system.to_string()), (Role::User, user)]
}

fn shorten(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_string();
    }
    let cut: String = text.chars().take(max_chars).collect();
    format!("{}…", cut.trim_end())
}

/// The question in a model's rewrite reply, or `None` if there is none: drops reasoning blocks
/// (`<think>…</think>`), labels ("Standalone question:", "Here is the rewritten question:"),
/// list markers, emphasis and surrounding quotes; rejects empty replies and replies over
/// [`MAX_REWRITE_CHARS`] characters.
pub fn clean_rewrite(model_output: &str) -> Option<String> {
    let mut text = model_output.to_string();
    while let Some(open) = text.find("<think>") {
        // An unfinished reasoning block means the reply was cut off.
        let close = text[open..].find("</think>")? + open;
        text.replace_range(open..close + "</think>".len(), "");
    }
    for line in text.lines() {
        let line = strip_decoration(line);
        let line = strip_label(&line);
        let line = strip_decoration(line);
        if line.is_empty() {
            continue;
        }
        if line.chars().count() > MAX_REWRITE_CHARS {
            return None;
        }
        return Some(squash_whitespace(&line));
    }
    None
}

/// Removes list markers, quote markers, emphasis and surrounding quotes.
fn strip_decoration(line: &str) -> String {
    let mut line = line.trim();
    line = line.trim_start_matches(['-', '*', '>', '•']).trim();
    line = line.trim_matches(['*', '_']).trim();
    for (open, close) in [('"', '"'), ('“', '”'), ('\'', '\''), ('`', '`'), ('«', '»')] {
        if line.len() >= 2 && line.starts_with(open) && line.ends_with(close) {
            line = line[open.len_utf8()..line.len() - close.len_utf8()].trim();
        }
    }
    line.to_string()
}

/// Removes a leading label such as "Standalone question:" or "Sure, here is the rewrite:".
fn strip_label(line: &str) -> &str {
    let Some(colon) = line.find(':') else {
        return line;
    };
    let label = line[..colon].to_lowercase();
    let is_label = word_count(&label) <= 8
        && ["question", "rewrit", "standalone", "output", "answer", "here is", "here's", "query"]
            .iter()
            .any(|k| label.contains(k));
    if is_label { line[colon + 1..].trim() } else { line }
}
