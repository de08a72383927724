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
