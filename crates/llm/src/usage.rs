//! Token counts and what they cost.

use serde::{Deserialize, Serialize};

use crate::ChatMessage;

/// Tokens read (prompt) and written (answer) by one completion.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Usage {
    /// Prompt tokens.
    pub input_tokens: u32,
    /// Answer tokens.
    pub output_tokens: u32,
    /// `true` when the provider reported the counts, `false` when they are `estimate_tokens` guesses.
    pub reported: bool,
}

impl Usage {
    /// Input plus output tokens.
    pub fn total(&self) -> u32 {
        self.input_tokens.saturating_add(self.output_tokens)
    }

    /// An estimate for a provider that reported nothing.
    pub fn estimated(messages: &[ChatMessage], answer: &str) -> Self {
        Usage { input_tokens: estimate_input_tokens(messages), output_tokens: estimate_tokens(answer), reported: false }
    }
}

/// Roughly how many tokens `text` is, for when the provider reports no usage.
///
/// The larger of two rules of thumb for English BPE vocabularies: about 4 bytes of UTF-8 per
/// token, and about ¾ of a word per token (so words × 4/3, rounded). Counting bytes rather than characters
/// keeps the guess sane for other scripts, whose characters cost more tokens each; taking the
/// larger errs towards over-counting, which is the safe side for budgets and costs. A real
/// tokenizer is not used because the model behind an OpenAI-compatible URL is unknown and each
/// family has its own vocabulary (tiktoken's for OpenAI, SentencePiece ones for Llama, Mistral,
/// Qwen…), so any single tokenizer would be wrong for most models anyway while adding megabytes of
/// vocabulary; providers that matter for billing report exact counts.
pub fn estimate_tokens(text: &str) -> u32 {
    if text.is_empty() {
        return 0;
    }
    let by_bytes = text.len().div_ceil(4);
    let words = text.split_whitespace().count();
    let by_words = (words * 4 + 1) / 3; // words × 4/3, rounded
    u32::try_from(by_bytes.max(by_words).max(1)).unwrap_or(u32::MAX)
}

/// Tokens per message for the chat format around its content (role, separators), and for the
/// start of the answer; the figures OpenAI documents for its chat models.
const TOKENS_PER_MESSAGE: u32 = 4;
const TOKENS_PER_REPLY: u32 = 3;

/// Roughly how many prompt tokens these messages are: their contents plus the chat format.
pub fn estimate_input_tokens(messages: &[ChatMessage]) -> u32 {
    messages
        .iter()
        .map(|m| estimate_tokens(&m.content).saturating_add(TOKENS_PER_MESSAGE))
        .fold(TOKENS_PER_REPLY, u32::saturating_add)
}

/// What a model costs, in any one currency per million tokens.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Price {
    /// Cost of a million prompt tokens.
    pub input_per_million: f64,
    /// Cost of a million answer tokens.
    pub output_per_million: f64,
}

impl Price {
    /// What `usage` costs at this price.
    pub fn cost(&self, usage: &Usage) -> f64 {
        (f64::from(usage.input_tokens) * self.input_per_million
            + f64::from(usage.output_tokens) * self.output_per_million)
            / 1_000_000.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimates_follow_the_documented_rules() {
        assert_eq!(estimate_tokens(""), 0);
        assert_eq!(estimate_tokens("a"), 1);
        // 11 bytes → 3; 2 words → 3.
        assert_eq!(estimate_tokens("hello world"), 3);
        // 400 bytes of one word: the byte rule wins.
        assert_eq!(estimate_tokens(&"x".repeat(400)), 100);
        // 100 one-letter words (199 bytes → 50): the word rule wins, 100 × 4/3 → 133.
        assert_eq!(estimate_tokens(&vec!["a"; 100].join(" ")), 133);
        // Three bytes per character: 10 characters → 30 bytes → 8 tokens.
        assert_eq!(estimate_tokens("学習学習学習学習学習"), 8);
    }

    #[test]
    fn input_estimates_count_the_chat_format() {
        let messages = [ChatMessage::system("hello world"), ChatMessage::user("a")];
        assert_eq!(estimate_input_tokens(&messages), 3 + (3 + 4) + (1 + 4));
        assert_eq!(estimate_input_tokens(&[]), 3);
    }
}
