//! Words of an answer, as the scripted interviewer reads them.

/// The words of a text, lower-cased (letters and digits; anything else separates words).
pub(crate) fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_lowercase).collect()
}

/// Whether `phrase` occurs in `answer` (both as `words` gives them): its words in a row, a word of
/// four letters or more also as the start of a longer one.
pub(crate) fn mentions(answer: &[String], phrase: &[String]) -> bool {
    if phrase.is_empty() || phrase.len() > answer.len() {
        return false;
    }
    let same = |said: &str, wanted: &str| said == wanted || (wanted.chars().count() >= 4 && said.starts_with(wanted));
    answer.windows(phrase.len()).any(|window| window.iter().zip(phrase).all(|(a, p)| same(a, p)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phrases_match_whole_words_and_longer_forms() {
        let answer = words("I love Drawing, and playing the piano at night.");
        assert!(mentions(&answer, &words("draw")));
        assert!(mentions(&answer, &words("the piano")));
        assert!(mentions(&answer, &words("PIANO")));
        assert!(!mentions(&answer, &words("art")), "short words match whole words only");
        assert!(!mentions(&answer, &words("piano the")));
        assert!(!mentions(&words("an artist"), &words("art")));
        assert!(mentions(&words("art class"), &words("art")));
        assert_eq!(words("  don't-stop  "), vec!["don", "t", "stop"]);
    }
}
