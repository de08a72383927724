//! Realistic passages, written for these tests, as retrieval would hand them over.

use wayfinder_coach_rules::Source;

/// A source at `number` (1-based, best first) found by both retrievers at that rank.
pub fn source(number: usize, title: &str, section: Option<&str>, text: &str) -> Source {
    Source {
        number,
        chunk_id: 100 + number as i64,
        document_id: format!("doc-{number}"),
        document_title: title.to_string(),
        section: section.map(str::to_string),
        page_start: None,
        page_end: None,
        domains: Vec::new(),
        text: text.to_string(),
        score: 1.0 / number as f32,
        lexical_rank: Some(number),
        dense_rank: Some(number),
        dense_score: None,
        lexical_score: None,
    }
}

pub const SPACED_REPETITION: &str = "Spaced repetition is a study method in which you review material at \
increasing intervals instead of all at once. After a first study session, you might review the material the next \
day, then three days later, then a week later. Each review comes just as you are starting to forget, which makes \
your memory work harder to retrieve the information. That effortful retrieval is what strengthens long-term \
retention. Flashcard apps such as Anki schedule these reviews for you automatically.";

pub const CRAMMING: &str = "Many students cram the night before an exam, reading their notes over and over for \
hours. Cramming can get you through a test the next morning, but most of what you learned is forgotten within a \
few days. Research on the spacing effect shows that spreading the same amount of study time over several shorter \
sessions leads to much better long-term retention than one long session. Spacing your study sessions also \
reduces fatigue, because each session is short enough to stay focused.";

/// Says again, in other words, what [`CRAMMING`] says about spreading study time.
pub const CRAMMING_RESTATED: &str = "Spreading your study time over several shorter sessions leads to much better \
long-term retention than one long study session. Plan your week so that each subject gets two or three short \
sessions rather than one long block.";

pub const STUDY_ROUTINE: &str = "# Building a study routine\n\
Study at the same time and in the same place each day, so that starting becomes a habit rather than a decision.\n\
Turn off notifications and put your phone in another room while you study.\n\
- Break large assignments into small tasks, each with its own deadline.\n\
- Take a short break every 25 to 30 minutes to keep your concentration high.\n\
A consistent routine makes it easier to keep up with reading and review.";

pub const FEEDBACK: &str = "Effective feedback is specific, timely and focused on the task rather than the \
person. Instead of saying \"good job\", name exactly what the learner did well and why it worked. Give feedback \
as soon as possible after the performance, while the details are still fresh. Pair every piece of critical \
feedback with a concrete next step the learner can take. Ask learners how they see their own performance before \
you offer your view, so that feedback becomes a conversation rather than a verdict.";

pub const FEEDBACK_PITFALLS: &str = "Vague praise such as \"great work\" feels pleasant but gives the learner \
nothing to build on. Feedback delivered weeks later is rarely acted on, because the learner no longer remembers \
the details. Avoid sandwiching criticism between compliments, since learners quickly learn to ignore the praise.";

/// PDF text: lines wrapped mid-sentence and a word hyphenated across lines.
pub const CORNELL_PDF: &str = "Cornell Notes\n\
The Cornell method divides the page into three parts: a narrow cue column on\n\
the left, a wider note-taking column on the right, and a summary area at the\n\
bottom. During the lecture, write your notes in the right-hand column. After the\n\
lecture, write questions or key words in the cue column, then cover the notes and\n\
try to answer the questions from mem-\n\
ory. Finally, summarise the page in two or three sentences at the bottom.";

pub const HUMAN_CAPITAL: &str = "Economists use the term human capital to describe the knowledge and skills that \
make a worker productive. Education and training are investments in human capital that pay off over a career.";

/// A study-skills knowledge base as one retrieval might return it, best first.
pub fn study_sources() -> Vec<Source> {
    vec![
        source(1, "Learning Strategies", Some("Spaced repetition"), SPACED_REPETITION),
        source(2, "Learning Strategies", Some("Cramming versus spacing"), CRAMMING),
        source(3, "Study Habits Handbook", Some("Routines"), STUDY_ROUTINE),
        source(4, "Coaching Handbook", Some("Giving feedback"), FEEDBACK),
        source(5, "Coaching Handbook", Some("Feedback pitfalls"), FEEDBACK_PITFALLS),
        source(6, "Economics for Everyone", Some("Human capital"), HUMAN_CAPITAL),
    ]
}

/// Renumbers sources 1..=n in the given order, as the server does before prompting.
pub fn numbered(mut sources: Vec<Source>) -> Vec<Source> {
    for (i, s) in sources.iter_mut().enumerate() {
        s.number = i + 1;
        s.lexical_rank = Some(i + 1);
        s.dense_rank = Some(i + 1);
        s.score = 1.0 / (i + 1) as f32;
    }
    sources
}
