//! Personal data kept out of what a chat model is sent: e-mail addresses, phone numbers and the
//! names of the organisation's people become placeholders (`[EMAIL_1]`, `[PHONE_1]`,
//! `[PERSON_1]`) before the call, the same value always the same placeholder, and the model's
//! answer has them put back — also while it streams, where a placeholder may arrive in pieces.

use regex::Regex;
use std::collections::HashMap;
use std::sync::LazyLock;

static EMAIL: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}").expect("regex"));
/// A run of digits with the separators phone numbers are written with, 9 to 15 digits in all.
static PHONE: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\+?\(?\d[\d\s().-]{7,18}\d").expect("regex"));
static PLACEHOLDER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\[(?:EMAIL|PHONE|PERSON)_\d{1,4}\]").expect("regex"));
/// The longest placeholder (`[PERSON_9999]`), so a stream never holds back more than this.
const LONGEST_PLACEHOLDER: usize = 13;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Kind {
    Email,
    Phone,
    Person,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::Email => "EMAIL",
            Kind::Phone => "PHONE",
            Kind::Person => "PERSON",
        }
    }
}

/// Replaces personal data with placeholders and puts it back, remembering what each stands for.
#[derive(Clone, Debug)]
pub struct Redactor {
    names: Option<Regex>,
    /// What each placeholder stands for, and the placeholder of each value (by kind and lower case).
    originals: HashMap<String, String>,
    placeholders: HashMap<(Kind, String), String>,
    counts: HashMap<Kind, usize>,
}

impl Redactor {
    /// A redactor for the people named `names`: full names in any case; a first name, or a
    /// one-word name, of three letters or more as written.
    pub fn new<S: AsRef<str>>(names: &[S]) -> Redactor {
        let mut full: Vec<String> = Vec::new();
        let mut first: Vec<String> = Vec::new();
        for name in names {
            let name = name.as_ref().split_whitespace().collect::<Vec<_>>().join(" ");
            if name.chars().count() < 2 || name.contains('@') {
                continue;
            }
            match name.split_once(' ') {
                // A full name in any case; its first name alone, written with its capital.
                Some((given, _)) => {
                    full.push(regex::escape(&name).replace(r"\ ", r"\s+"));
                    if given.chars().count() >= 3 {
                        first.push(regex::escape(given));
                    }
                }
                // A one-word name is a name only as written, and only from three letters on.
                None if name.chars().count() >= 3 => first.push(regex::escape(&name)),
                None => {}
            }
        }
        // Longer names first, so "Ana Lima" wins over "Ana".
        full.sort_by_key(|n| std::cmp::Reverse(n.len()));
        first.sort_by_key(|n| std::cmp::Reverse(n.len()));
        first.dedup();
        let mut alternatives: Vec<String> = full.into_iter().map(|n| format!("(?i:{n})")).collect();
        alternatives.extend(first);
        let names = (!alternatives.is_empty())
            .then(|| Regex::new(&format!(r"\b(?:{})\b", alternatives.join("|"))).ok())
            .flatten();
        Redactor { names, originals: HashMap::new(), placeholders: HashMap::new(), counts: HashMap::new() }
    }

    fn placeholder(&mut self, kind: Kind, value: &str) -> String {
        let key = (kind, value.to_lowercase());
        if let Some(p) = self.placeholders.get(&key) {
            return p.clone();
        }
        let n = self.counts.entry(kind).or_default();
        *n += 1;
        let placeholder = format!("[{}_{n}]", kind.label());
        self.placeholders.insert(key, placeholder.clone());
        self.originals.insert(placeholder.clone(), value.to_string());
        placeholder
    }

    fn replace(&mut self, text: &str, pattern: &Regex, kind: Kind) -> String {
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for m in pattern.find_iter(text) {
            if kind == Kind::Phone && m.as_str().chars().filter(char::is_ascii_digit).count() < 9 {
                continue;
            }
            out.push_str(&text[last..m.start()]);
            out.push_str(&self.placeholder(kind, m.as_str()));
            last = m.end();
        }
        out.push_str(&text[last..]);
        out
    }

    /// `text` with e-mail addresses, phone numbers and the people's names as placeholders.
    pub fn redact(&mut self, text: &str) -> String {
        let text = self.replace(text, &EMAIL, Kind::Email);
        let text = self.replace(&text, &PHONE, Kind::Phone);
        match self.names.clone() {
            Some(names) => self.replace(&text, &names, Kind::Person),
            None => text,
        }
    }

    /// `text` with every placeholder this redactor made put back (others stay as written).
    pub fn restore(&self, text: &str) -> String {
        PLACEHOLDER
            .replace_all(text, |c: &regex::Captures<'_>| {
                self.originals.get(&c[0]).cloned().unwrap_or_else(|| c[0].to_string())
            })
            .into_owned()
    }
}

/// Puts placeholders back in a stream of pieces of text: a piece ending in what may be the start
/// of a placeholder is held until the rest arrives.
#[derive(Debug, Default)]
pub struct StreamRestorer {
    held: String,
}

impl StreamRestorer {
    /// The text that can be shown after `piece` arrived (possibly empty).
    pub fn push(&mut self, redactor: &Redactor, piece: &str) -> String {
        self.held.push_str(piece);
        let cut = match self.held.rfind('[') {
            Some(open) if !self.held[open..].contains(']') && self.held.len() - open < LONGEST_PLACEHOLDER => open,
            _ => self.held.len(),
        };
        let ready: String = self.held.drain(..cut).collect();
        redactor.restore(&ready)
    }

    /// What is still held, restored, at the end of the stream.
    pub fn finish(&mut self, redactor: &Redactor) -> String {
        redactor.restore(&std::mem::take(&mut self.held))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn personal_data_becomes_placeholders_and_comes_back() {
        let mut r = Redactor::new(&["Priya Raman", "Tom Lee", "Al"]);
        let text = "I'm Priya Raman (priya.raman@north.example, +44 7700 900123). Ask tom lee or Priya; \
                    PRIYA@north.example is me too. Room 12, page 2024, chapter 3.";
        let redacted = r.redact(text);
        assert_eq!(
            redacted,
            "I'm [PERSON_1] ([EMAIL_1], [PHONE_1]). Ask [PERSON_2] or [PERSON_3]; \
             [EMAIL_2] is me too. Room 12, page 2024, chapter 3."
        );
        assert_eq!(r.restore(&redacted), text);
        // The same value is the same placeholder, whatever the case (restored as first written);
        // unknown placeholders stay.
        assert_eq!(r.redact("TOM LEE"), "[PERSON_2]");
        assert_eq!(r.restore("[PERSON_9] and [PERSON_2]"), "[PERSON_9] and tom lee");
        // A name of two letters alone is not redacted (too many words would match).
        assert_eq!(r.redact("Al said hi"), "Al said hi");
    }

    #[test]
    fn a_stream_holds_back_half_a_placeholder() {
        let mut r = Redactor::new(&["Priya Raman"]);
        let redacted = r.redact("Write to Priya Raman at priya@north.example.");
        assert_eq!(redacted, "Write to [PERSON_1] at [EMAIL_1].");
        let mut stream = StreamRestorer::default();
        let pieces = ["Write to [PER", "SON_1] at [", "EMAIL_1].", " [1]"];
        let shown: Vec<String> = pieces.iter().map(|p| stream.push(&r, p)).collect();
        assert_eq!(shown, ["Write to ", "Priya Raman at ", "priya@north.example.", " [1]"]);
        assert_eq!(stream.finish(&r), "");
        // A bracket that never becomes a placeholder is let through.
        assert_eq!(stream.push(&r, "see [note"), "see ");
        assert_eq!(stream.push(&r, " below] ok"), "[note below] ok");
    }
}
