//! Practice: grading an answer against its question, each item's difficulty and discrimination
//! learned online from the answers it gets, and the choice of the next item so a learner's
//! predicted success sits in the productive band.
//!
//! - **Grading.** Choices and true/false are exact (several correct options give partial credit:
//!   right picks minus wrong picks over the correct ones). A cloze answer is right when its words,
//!   or their stems, are those of an accepted answer ("Notes" for "note"). A short answer without
//!   a model is compared with the reference by the F1 of their content stems: clearly close is
//!   right, clearly far is wrong, and in between is honestly "a coach reviews".
//! - **Difficulty** is an Elo-style offset on the logit scale: an item's predicted success for a
//!   learner is `σ(logit(mastery) − difficulty)`, and each answer moves the difficulty by a step
//!   that shrinks as the item gathers answers. **Discrimination** is the point-biserial
//!   correlation between the item's outcomes and the answering learners' mastery, kept as running
//!   sums, so a weak item (one that strong learners miss as often as weak ones) shows.

use crate::program::{ConceptId, ProgramId};
use crate::questions::QuestionBody;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use utoipa::ToSchema;
use wayfinder_knowledge_rules::lexical_terms;

wayfinder_accounts_rules::id_type!(
    /// Identifies a practice session.
    PracticeSessionId,
);

wayfinder_accounts_rules::closed_set! {
/// Where a practice session stands.
pub enum SessionStatus {
    /// A question waits for an answer.
    Active,
    /// Every question was answered (or none was left to ask).
    Completed,
}
}

/// What a session practises.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PracticeTarget {
    /// One concept of the learner's programs.
    Concept {
        #[schema(value_type = String)]
        concept_id: ConceptId,
    },
    /// The learner's next best step.
    NextStep,
    /// The concepts due for review today.
    Reviews,
    /// A placement: the adaptive intake over a program's concepts (see [`crate::placement`]).
    Placement {
        #[schema(value_type = String)]
        program_id: ProgramId,
    },
}

/// Predicted success a practice item should have: neither trivial nor hopeless.
pub const PRODUCTIVE_BAND: (f64, f64) = (0.5, 0.9);
/// Where in the band the chooser aims.
pub const TARGET_SUCCESS: f64 = 0.7;
/// A short answer whose content overlaps the reference at least this much (F1) is right.
pub const SHORT_ANSWER_RIGHT: f64 = 0.6;
/// ...and at most this much is wrong; between the two a coach reviews it.
pub const SHORT_ANSWER_WRONG: f64 = 0.2;
/// With an embedding model, a short answer at least this similar in meaning to the reference
/// (cosine) is right, whatever its words (a paraphrase in other words scores about 0.77 with
/// all-MiniLM-L6-v2 and 0.83 with all-mpnet-base-v2, half the idea about 0.7 with either, an
/// unrelated sentence under 0.1)...
pub const SEMANTIC_RIGHT: f64 = 0.75;
/// ...and one at most this similar is wrong unless its words already made it right.
pub const SEMANTIC_WRONG: f64 = 0.3;
/// Answers before an item's statistics say anything about it.
pub const MIN_ATTEMPTS_FOR_STATISTICS: i64 = 20;

/// What a learner answered.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Answer {
    /// The options picked (multiple choice).
    Choice { selected: Vec<usize> },
    /// True or false.
    TrueFalse { value: bool },
    /// Words typed (cloze, short answer).
    Text { text: String },
}

/// The outcome of grading.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Grade {
    /// Graded at once: a score 0..1 and whether it counts as right.
    Graded { score: f64, correct: bool },
    /// Could not be graded automatically: a coach reviews it.
    NeedsReview,
}

/// Why an answer does not fit its question.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AnswerMismatch {
    /// The answer is of another kind than the question takes.
    #[error("a {question} question takes {expected}")]
    WrongKind { question: &'static str, expected: &'static str },
    /// An option index is out of range or repeated.
    #[error("selected options must be distinct indexes of the question's options")]
    BadOption,
    /// The text is empty or too long.
    #[error("the answer must have 1 to 2000 characters")]
    BadText,
}

fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric() && c != '\'' && c != '’')
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase().replace('’', "'"))
        .collect()
}

/// F1 of two texts' content stems (stopwords out).
pub fn content_overlap(answer: &str, reference: &str) -> f64 {
    let a: HashSet<String> = lexical_terms(answer).into_iter().collect();
    let r: HashSet<String> = lexical_terms(reference).into_iter().collect();
    if a.is_empty() || r.is_empty() {
        return 0.0;
    }
    let common = a.intersection(&r).count() as f64;
    if common == 0.0 {
        return 0.0;
    }
    let (precision, recall) = (common / a.len() as f64, common / r.len() as f64);
    2.0 * precision * recall / (precision + recall)
}

/// The chance of answering `question` right by guessing: one over the options of a single-answer
/// multiple choice (several correct options: the chance of picking exactly them), one half for
/// true/false, and little for typed answers.
pub fn guessing_chance(question: &QuestionBody) -> f64 {
    match question {
        QuestionBody::MultipleChoice { options, correct, .. } => {
            // Choosing k of n options at random hits the right set once in C(n, k).
            let (n, k) = (options.len().max(1) as f64, correct.len().max(1) as f64);
            let mut combinations = 1.0;
            for i in 0..k as usize {
                combinations = combinations * (n - i as f64) / (i as f64 + 1.0);
            }
            1.0 / combinations.max(1.0)
        }
        QuestionBody::TrueFalse { .. } => 0.5,
        QuestionBody::Cloze { .. } | QuestionBody::ShortAnswer { .. } => 0.02,
    }
}

/// Grades `answer` against `question`.
pub fn grade(question: &QuestionBody, answer: &Answer) -> Result<Grade, AnswerMismatch> {
    let text_ok = |t: &str| !t.trim().is_empty() && t.chars().count() <= 2000;
    match (question, answer) {
        (QuestionBody::MultipleChoice { options, correct, .. }, Answer::Choice { selected }) => {
            let picked: HashSet<usize> = selected.iter().copied().collect();
            if picked.len() != selected.len() || selected.iter().any(|&i| i >= options.len()) || picked.is_empty() {
                return Err(AnswerMismatch::BadOption);
            }
            let right: HashSet<usize> = correct.iter().copied().collect();
            let hits = picked.intersection(&right).count() as f64;
            let misses = picked.difference(&right).count() as f64;
            let score = ((hits - misses) / right.len() as f64).clamp(0.0, 1.0);
            Ok(Grade::Graded { score, correct: picked == right })
        }
        (QuestionBody::TrueFalse { answer: truth, .. }, Answer::TrueFalse { value }) => {
            let correct = truth == value;
            Ok(Grade::Graded { score: if correct { 1.0 } else { 0.0 }, correct })
        }
        (QuestionBody::Cloze { answers, .. }, Answer::Text { text }) => {
            if !text_ok(text) {
                return Err(AnswerMismatch::BadText);
            }
            let given = words(text);
            let given_stems = lexical_terms(text);
            let correct = answers.iter().any(|accepted| {
                let accepted_stems = lexical_terms(accepted);
                words(accepted) == given || (!accepted_stems.is_empty() && accepted_stems == given_stems)
            });
            Ok(Grade::Graded { score: if correct { 1.0 } else { 0.0 }, correct })
        }
        (QuestionBody::ShortAnswer { reference, .. }, Answer::Text { text }) => {
            if !text_ok(text) {
                return Err(AnswerMismatch::BadText);
            }
            let overlap = content_overlap(text, reference);
            Ok(if overlap >= SHORT_ANSWER_RIGHT {
                Grade::Graded { score: overlap, correct: true }
            } else if overlap <= SHORT_ANSWER_WRONG {
                Grade::Graded { score: overlap, correct: false }
            } else {
                Grade::NeedsReview
            })
        }
        (QuestionBody::MultipleChoice { .. }, _) => {
            Err(AnswerMismatch::WrongKind { question: "multiple_choice", expected: "a choice" })
        }
        (QuestionBody::TrueFalse { .. }, _) => {
            Err(AnswerMismatch::WrongKind { question: "true_false", expected: "true or false" })
        }
        (QuestionBody::Cloze { .. }, _) => Err(AnswerMismatch::WrongKind { question: "cloze", expected: "text" }),
        (QuestionBody::ShortAnswer { .. }, _) => {
            Err(AnswerMismatch::WrongKind { question: "short_answer", expected: "text" })
        }
    }
}

/// What an item has learned from its answers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct ItemStatistics {
    /// Graded answers.
    pub attempts: i64,
    /// Right ones.
    pub correct: i64,
    /// Offset on the logit scale: 0 is as hard as the concept, positive is harder.
    pub difficulty: f64,
    /// Running sums for the point-biserial correlation: Σ mastery, Σ mastery², Σ mastery × outcome.
    pub sum_mastery: f64,
    pub sum_mastery_sq: f64,
    pub sum_mastery_outcome: f64,
}

fn logit(p: f64) -> f64 {
    let p = p.clamp(0.01, 0.99);
    (p / (1.0 - p)).ln()
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

impl ItemStatistics {
    /// The learner's predicted success on this item, given their mastery of its concept.
    pub fn predicted_success(&self, mastery: f64) -> f64 {
        sigmoid(logit(mastery) - self.difficulty)
    }

    /// The statistics after one graded answer (outcome 0..1) by a learner of this mastery.
    pub fn after(&self, mastery: f64, outcome: f64) -> ItemStatistics {
        let expected = self.predicted_success(mastery);
        // Big steps while the item is new, smaller as evidence accumulates.
        let step = 0.8 / (1.0 + 0.1 * self.attempts as f64);
        ItemStatistics {
            attempts: self.attempts + 1,
            correct: self.correct + i64::from(outcome >= 0.5),
            difficulty: (self.difficulty + step * (expected - outcome)).clamp(-4.0, 4.0),
            sum_mastery: self.sum_mastery + mastery,
            sum_mastery_sq: self.sum_mastery_sq + mastery * mastery,
            sum_mastery_outcome: self.sum_mastery_outcome + mastery * outcome.round(),
        }
    }

    /// Share of right answers (None before any).
    pub fn correct_rate(&self) -> Option<f64> {
        (self.attempts > 0).then(|| self.correct as f64 / self.attempts as f64)
    }

    /// Point-biserial correlation between being right and the learner's mastery, once there are
    /// enough answers and both vary.
    pub fn discrimination(&self) -> Option<f64> {
        if self.attempts < MIN_ATTEMPTS_FOR_STATISTICS {
            return None;
        }
        let n = self.attempts as f64;
        let p = self.correct as f64 / n;
        let mean = self.sum_mastery / n;
        let variance = self.sum_mastery_sq / n - mean * mean;
        if p <= 0.0 || p >= 1.0 || variance <= 1e-9 {
            return None;
        }
        // r = (mean mastery of right answers − overall mean) / sd × √(p / (1 − p)).
        let mean_right = self.sum_mastery_outcome / self.correct as f64;
        Some(((mean_right - mean) / variance.sqrt() * (p / (1.0 - p)).sqrt()).clamp(-1.0, 1.0))
    }

    /// Whether the item looks weak: nearly everyone or nearly no one gets it right, or strong
    /// learners miss it as often as weak ones.
    pub fn is_weak(&self) -> bool {
        match (self.correct_rate(), self.discrimination()) {
            (Some(rate), _) if self.attempts >= MIN_ATTEMPTS_FOR_STATISTICS && !(0.1..=0.97).contains(&rate) => true,
            (_, Some(r)) => r < 0.1,
            _ => false,
        }
    }
}

/// A candidate item for a learner: its index in the caller's list, its statistics, the learner's
/// mastery of its concept and how many times the learner has answered it before.
#[derive(Clone, Copy, Debug)]
pub struct Candidate {
    pub index: usize,
    pub statistics: ItemStatistics,
    pub mastery: f64,
    pub answered_before: i64,
}

/// The candidate to ask next: unanswered before it is answered again, then predicted success
/// nearest [`TARGET_SUCCESS`], then the earlier in the list.
pub fn choose_item(candidates: &[Candidate]) -> Option<usize> {
    candidates
        .iter()
        .min_by(|a, b| {
            let distance = |c: &Candidate| (c.statistics.predicted_success(c.mastery) - TARGET_SUCCESS).abs();
            a.answered_before
                .cmp(&b.answered_before)
                .then(distance(a).total_cmp(&distance(b)))
                .then(a.index.cmp(&b.index))
        })
        .map(|c| c.index)
}

/// A short answer's grade from its words (`lexical`, by [`grade`]) and its similarity in meaning
/// to the reference (an embedding cosine): similar enough is right even in other words; far
/// apart is wrong unless the words matched; in between, what the words said right stands and the
/// rest waits for a coach.
pub fn grade_by_meaning(lexical: Grade, similarity: f64) -> Grade {
    let right_by_words = matches!(lexical, Grade::Graded { correct: true, .. });
    if similarity >= SEMANTIC_RIGHT {
        let score = match lexical {
            Grade::Graded { score, .. } => score.max(similarity),
            Grade::NeedsReview => similarity,
        };
        Grade::Graded { score: score.min(1.0), correct: true }
    } else if right_by_words {
        lexical
    } else if similarity <= SEMANTIC_WRONG {
        Grade::Graded { score: similarity.max(0.0), correct: false }
    } else {
        Grade::NeedsReview
    }
}

/// A question as a coach poses it in a chat: its text, with lettered options for multiple choice.
pub fn check_text(body: &QuestionBody) -> String {
    match body {
        QuestionBody::MultipleChoice { stem, options, correct } => {
            let lines: Vec<String> =
                options.iter().enumerate().map(|(i, o)| format!("{}) {o}", option_letter(i))).collect();
            let how = if correct.len() > 1 { "Choose every option that fits" } else { "Choose one" };
            format!("{stem} ({how}.)\n{}", lines.join("\n"))
        }
        QuestionBody::TrueFalse { statement, .. } => format!("True or false: {statement}"),
        QuestionBody::ShortAnswer { prompt, .. } => prompt.clone(),
        QuestionBody::Cloze { text, .. } => format!("Fill in the blank: {text}"),
    }
}

fn option_letter(i: usize) -> char {
    char::from(b'a' + (i % 26) as u8)
}

/// A chat reply to a question [`check_text`] posed, as an answer: options by letter ("b", "a, c",
/// "b)") or by their text, true/false in words ("yes", "false"), other kinds as typed. A reply that
/// names no option or truth value answers nothing right (an empty choice).
pub fn answer_from_text(body: &QuestionBody, reply: &str) -> Answer {
    let cleaned = reply.trim().trim_end_matches(['.', '!']).trim().to_lowercase();
    match body {
        QuestionBody::MultipleChoice { options, .. } => {
            let by_text = options.iter().position(|o| o.trim().to_lowercase() == cleaned);
            let selected: Vec<usize> = match by_text {
                Some(i) => vec![i],
                None => {
                    let mut picked: Vec<usize> = cleaned
                        .split(|c: char| c == ',' || c.is_whitespace() || c == '&')
                        .map(|t| t.trim_end_matches([')', '.']))
                        .filter(|t| t.len() == 1 && *t != "&")
                        .filter_map(|t| t.chars().next())
                        .filter(|c| c.is_ascii_lowercase())
                        .map(|c| (c as u8 - b'a') as usize)
                        .filter(|&i| i < options.len())
                        .collect();
                    picked.sort_unstable();
                    picked.dedup();
                    picked
                }
            };
            Answer::Choice { selected }
        }
        QuestionBody::TrueFalse { .. } => {
            let first = cleaned.split(|c: char| !c.is_alphanumeric()).next().unwrap_or_default();
            match first {
                "true" | "yes" | "right" | "correct" => Answer::TrueFalse { value: true },
                "false" | "no" | "wrong" | "incorrect" => Answer::TrueFalse { value: false },
                _ => Answer::Choice { selected: Vec::new() },
            }
        }
        QuestionBody::ShortAnswer { .. } | QuestionBody::Cloze { .. } => {
            Answer::Text { text: reply.trim().to_string() }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn choice(options: &[&str], correct: &[usize]) -> QuestionBody {
        QuestionBody::MultipleChoice {
            stem: "Pick".into(),
            options: options.iter().map(|o| o.to_string()).collect(),
            correct: correct.to_vec(),
        }
    }

    #[test]
    fn choices_are_exact_with_partial_credit_for_several_correct_options() {
        let one = choice(&["a", "b", "c"], &[1]);
        assert_eq!(grade(&one, &Answer::Choice { selected: vec![1] }), Ok(Grade::Graded { score: 1.0, correct: true }));
        assert_eq!(
            grade(&one, &Answer::Choice { selected: vec![0] }),
            Ok(Grade::Graded { score: 0.0, correct: false })
        );
        let two = choice(&["a", "b", "c", "d"], &[0, 2]);
        // One right pick of two: half; one right and one wrong: nothing.
        assert_eq!(
            grade(&two, &Answer::Choice { selected: vec![0] }),
            Ok(Grade::Graded { score: 0.5, correct: false })
        );
        assert_eq!(
            grade(&two, &Answer::Choice { selected: vec![0, 1] }),
            Ok(Grade::Graded { score: 0.0, correct: false })
        );
        assert_eq!(
            grade(&two, &Answer::Choice { selected: vec![2, 0] }),
            Ok(Grade::Graded { score: 1.0, correct: true })
        );
        assert_eq!(grade(&one, &Answer::Choice { selected: vec![3] }), Err(AnswerMismatch::BadOption));
        assert_eq!(grade(&one, &Answer::Choice { selected: vec![1, 1] }), Err(AnswerMismatch::BadOption));
        assert_eq!(grade(&one, &Answer::Choice { selected: vec![] }), Err(AnswerMismatch::BadOption));
        assert!(matches!(grade(&one, &Answer::TrueFalse { value: true }), Err(AnswerMismatch::WrongKind { .. })));
    }

    #[test]
    fn guessing_chances_follow_the_item() {
        assert_eq!(guessing_chance(&choice(&["a", "b", "c", "d"], &[1])), 0.25);
        // Two right options of four: one chance in C(4, 2) = 6.
        assert!((guessing_chance(&choice(&["a", "b", "c", "d"], &[0, 2])) - 1.0 / 6.0).abs() < 1e-12);
        assert_eq!(guessing_chance(&QuestionBody::TrueFalse { statement: "S".into(), answer: true }), 0.5);
        assert!(guessing_chance(&QuestionBody::Cloze { text: "_____".into(), answers: vec!["x".into()] }) < 0.05);
    }

    #[test]
    fn cloze_accepts_case_punctuation_and_inflection_but_not_another_word() {
        let cloze = QuestionBody::Cloze { text: "Review your _____ daily.".into(), answers: vec!["notes".into()] };
        for given in ["notes", "Notes.", " NOTES ", "note"] {
            assert_eq!(
                grade(&cloze, &Answer::Text { text: given.into() }),
                Ok(Grade::Graded { score: 1.0, correct: true }),
                "{given}"
            );
        }
        assert_eq!(
            grade(&cloze, &Answer::Text { text: "flashcards".into() }),
            Ok(Grade::Graded { score: 0.0, correct: false })
        );
        assert_eq!(grade(&cloze, &Answer::Text { text: "  ".into() }), Err(AnswerMismatch::BadText));
    }

    #[test]
    fn short_answers_are_right_wrong_or_honestly_left_to_a_coach() {
        let question = QuestionBody::ShortAnswer {
            prompt: "Why space practice?".into(),
            reference: "Spacing sessions over days improves long-term retention.".into(),
        };
        let graded = |text: &str| grade(&question, &Answer::Text { text: text.into() }).unwrap();
        assert!(matches!(graded("Spacing sessions over days improves retention"), Grade::Graded { correct: true, .. }));
        assert!(matches!(graded("Because flashcards are colourful"), Grade::Graded { correct: false, .. }));
        assert_eq!(graded("It improves retention"), Grade::NeedsReview);
    }

    #[test]
    fn difficulty_rises_when_learners_miss_and_falls_when_they_succeed() {
        let mut hard = ItemStatistics::default();
        let mut easy = ItemStatistics::default();
        for _ in 0..30 {
            hard = hard.after(0.8, 0.0);
            easy = easy.after(0.3, 1.0);
        }
        assert!(hard.difficulty > 1.0, "{hard:?}");
        assert!(easy.difficulty < -1.0, "{easy:?}");
        assert!(hard.predicted_success(0.8) < 0.5 && easy.predicted_success(0.3) > 0.5);
        assert_eq!((hard.attempts, hard.correct, easy.correct), (30, 0, 30));
    }

    #[test]
    fn discrimination_is_the_point_biserial_correlation() {
        // Learners of mastery 0.2, 0.4, 0.6, 0.8, each answering twice; the two strongest right.
        let mut stats = ItemStatistics::default();
        let answers = [(0.2, 0.0), (0.4, 0.0), (0.6, 1.0), (0.8, 1.0)];
        for _ in 0..5 {
            for (mastery, outcome) in answers {
                stats = stats.after(mastery, outcome);
            }
        }
        // By hand: mean 0.5, population sd √0.05, right-answer mean 0.7, p = 0.5:
        // r = (0.7 − 0.5) / √0.05 × 1 = 0.8944.
        let r = stats.discrimination().unwrap();
        assert!((r - 0.2 / 0.05f64.sqrt()).abs() < 1e-9, "{r}");
        assert!(!stats.is_weak());
        // The same outcomes regardless of mastery discriminate nothing.
        let mut flat = ItemStatistics::default();
        for i in 0..20 {
            flat = flat.after(0.2 + 0.6 * (i % 2) as f64, (i / 2 % 2) as f64);
        }
        assert!(flat.discrimination().unwrap().abs() < 0.05);
        assert!(flat.is_weak());
        assert_eq!(ItemStatistics::default().discrimination(), None);
    }

    #[test]
    fn the_next_item_is_unseen_and_nearest_the_productive_target() {
        let item = |index, difficulty: f64, answered_before| Candidate {
            index,
            statistics: ItemStatistics { difficulty, ..Default::default() },
            mastery: 0.7,
            answered_before,
        };
        // Mastery 0.7 and difficulty 0 predict exactly the target.
        assert_eq!(choose_item(&[item(0, 2.0, 0), item(1, 0.0, 0), item(2, -2.0, 0)]), Some(1));
        assert_eq!(choose_item(&[item(0, 2.0, 0), item(1, 0.0, 1)]), Some(0));
        assert_eq!(choose_item(&[]), None);
    }

    #[test]
    fn a_chat_reply_answers_a_posed_question() {
        let choice = QuestionBody::MultipleChoice {
            stem: "Which helps?".into(),
            options: vec!["Spacing".into(), "Cramming".into(), "Highlighting".into()],
            correct: vec![0],
        };
        assert_eq!(check_text(&choice), "Which helps? (Choose one.)\na) Spacing\nb) Cramming\nc) Highlighting");
        assert_eq!(answer_from_text(&choice, "a"), Answer::Choice { selected: vec![0] });
        assert_eq!(answer_from_text(&choice, " B) "), Answer::Choice { selected: vec![1] });
        assert_eq!(answer_from_text(&choice, "spacing."), Answer::Choice { selected: vec![0] });
        assert_eq!(answer_from_text(&choice, "a, c"), Answer::Choice { selected: vec![0, 2] });
        assert_eq!(answer_from_text(&choice, "I think so"), Answer::Choice { selected: vec![] });
        let statement = QuestionBody::TrueFalse { statement: "Cramming works.".into(), answer: false };
        assert_eq!(check_text(&statement), "True or false: Cramming works.");
        assert_eq!(answer_from_text(&statement, "False!"), Answer::TrueFalse { value: false });
        assert_eq!(answer_from_text(&statement, "yes, it does"), Answer::TrueFalse { value: true });
        assert_eq!(answer_from_text(&statement, "maybe"), Answer::Choice { selected: vec![] });
        let cloze = QuestionBody::Cloze { text: "Spacing beats _____.".into(), answers: vec!["cramming".into()] };
        assert_eq!(answer_from_text(&cloze, " cramming "), Answer::Text { text: "cramming".into() });
    }

    #[test]
    fn meaning_rescues_other_words_and_settles_the_doubtful() {
        let right = Grade::Graded { score: 0.7, correct: true };
        let wrong = Grade::Graded { score: 0.1, correct: false };
        // Close in meaning: right, whatever the words said.
        assert_eq!(grade_by_meaning(wrong, 0.85), Grade::Graded { score: 0.85, correct: true });
        assert_eq!(grade_by_meaning(Grade::NeedsReview, 0.9), Grade::Graded { score: 0.9, correct: true });
        // Far apart: wrong, unless the words matched.
        assert_eq!(grade_by_meaning(Grade::NeedsReview, 0.2), Grade::Graded { score: 0.2, correct: false });
        assert_eq!(grade_by_meaning(right, 0.2), right);
        // In between: the words' verdict if right, a coach otherwise.
        assert_eq!(grade_by_meaning(right, 0.5), right);
        assert_eq!(grade_by_meaning(wrong, 0.5), Grade::NeedsReview);
        assert_eq!(grade_by_meaning(Grade::NeedsReview, 0.5), Grade::NeedsReview);
    }
}
