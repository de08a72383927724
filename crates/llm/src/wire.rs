//! The OpenAI chat-completions wire format, read leniently: servers differ in which fields they
//! send, so everything not needed to make sense of an answer is optional.

use serde::Deserialize;

use crate::Usage;

/// A non-streamed answer (`object: chat.completion`).
#[derive(Debug, Deserialize)]
pub(crate) struct CompletionBody {
    pub(crate) model: Option<String>,
    #[serde(default)]
    pub(crate) choices: Vec<CompletionChoice>,
    pub(crate) usage: Option<WireUsage>,
    pub(crate) error: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct CompletionChoice {
    pub(crate) message: Option<WireMessage>,
    pub(crate) finish_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct WireMessage {
    pub(crate) content: Option<String>,
}

/// One streamed chunk (`object: chat.completion.chunk`).
#[derive(Debug, Deserialize)]
pub(crate) struct ChunkBody {
    pub(crate) model: Option<String>,
    #[serde(default)]
    pub(crate) choices: Vec<ChunkChoice>,
    pub(crate) usage: Option<WireUsage>,
    /// vLLM and others report a failure mid-stream as a chunk with only an `error`.
    pub(crate) error: Option<serde_json::Value>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct ChunkChoice {
    #[serde(default)]
    pub(crate) index: u32,
    pub(crate) delta: Option<WireMessage>,
    pub(crate) finish_reason: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct WireUsage {
    pub(crate) prompt_tokens: Option<u32>,
    pub(crate) completion_tokens: Option<u32>,
}

impl WireUsage {
    /// The usage, when both counts are there.
    pub(crate) fn reported(&self) -> Option<Usage> {
        Some(Usage { input_tokens: self.prompt_tokens?, output_tokens: self.completion_tokens?, reported: true })
    }
}

/// The message of an OpenAI-style (`{"error":{"message"}}`) or Ollama-style (`{"error":"…"}`)
/// error value.
pub(crate) fn error_value_message(error: &serde_json::Value) -> Option<String> {
    error["message"].as_str().or(error.as_str()).map(str::to_owned)
}

/// How much of an unparseable error body goes into the error message.
const MAX_ERROR_BODY: usize = 300;

/// The provider's message from an error body, else the start of the body itself.
pub(crate) fn error_message(body: &str) -> String {
    if let Ok(json) = serde_json::from_str::<serde_json::Value>(body)
        && let Some(message) = error_value_message(&json["error"]).or_else(|| json["message"].as_str().map(Into::into))
    {
        return message;
    }
    let body = body.trim();
    match body.char_indices().nth(MAX_ERROR_BODY) {
        Some((cut, _)) => format!("{}…", &body[..cut]),
        None if body.is_empty() => "(empty body)".to_owned(),
        None => body.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_messages_come_from_the_body() {
        assert_eq!(error_message(r#"{"error":{"message":"bad input","type":"invalid_request_error"}}"#), "bad input");
        assert_eq!(error_message(r#"{"error":"model not found"}"#), "model not found");
        assert_eq!(error_message(r#"{"message":"overloaded"}"#), "overloaded");
        assert_eq!(error_message("  plain text  "), "plain text");
        assert_eq!(error_message(""), "(empty body)");
        assert_eq!(error_message(&"x".repeat(1000)).chars().count(), MAX_ERROR_BODY + 1);
    }
}
