//! What the coach says when the knowledge base has nothing relevant: plainly that it has nothing,
//! no guess, and who to ask instead. Fixed text on purpose — a model asked to refuse tends to
//! answer anyway.

use crate::AnswerMode;

/// The refusal for a question the knowledge base has nothing on. Grounded mode says it will not
/// guess; open mode (reached without a model, so no general knowledge is at hand) says there is no
/// sourced answer. Both suggest asking a human coach. `coach_name` may be empty.
pub fn refusal_text(mode: AnswerMode, coach_name: &str) -> String {
    let name = coach_name.trim();
    let material = if name.is_empty() {
        "the knowledge base I work from".to_string()
    } else {
        format!("the knowledge base {name} works from")
    };
    match mode {
        AnswerMode::Grounded => format!(
            "I couldn't find anything about this in {material}, so I can't answer it without guessing. \
             Please ask a human coach — they can help you with it or point you to the right material."
        ),
        AnswerMode::Open => format!(
            "I couldn't find anything about this in {material}, so I have no sourced answer to give. \
             You could rephrase the question, or ask a human coach for help."
        ),
    }
}
