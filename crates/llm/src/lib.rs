//! Chat-completion models behind one small trait, and an OpenAI-compatible client.
//! `ChatModel` is what the rest of Wayfinder talks to: a whole answer (`complete`) or the
//! answer token by token (`stream`). `OpenAiChat` implements it for every server that speaks
//! `POST {base_url}/chat/completions` — OpenAI, Ollama, vLLM, llama.cpp's server, LM Studio —
//! with bounded retries, timeouts and errors that carry a stable code and a sentence fit for
//! the end user. Token usage comes from the provider when it reports it, else from a
//! documented estimate, and `Price` turns it into money. With the `fake` feature,
//! `fake::FakeOpenAi` is a scripted local server for tests at the network edge.

#![forbid(unsafe_code)]

mod error;
#[cfg(feature = "fake")]
pub mod fake;
mod openai;
mod sse;
mod stream;
mod usage;
mod wire;

use async_trait::async_trait;
use futures::stream::BoxStream;
use serde::{Deserialize, Serialize};

pub use error::{ChatError, ModelFailure};
pub use openai::{MAX_BACKOFF, MAX_RETRY_AFTER, OpenAiChat, OpenAiConfig};
pub use usage::{Price, Usage, estimate_input_tokens, estimate_tokens};

/// Who wrote a message of the conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Instructions to the model (the coach's persona, retrieved sources…).
    System,
    /// The learner.
    User,
    /// The model's earlier answers.
    Assistant,
}

/// One message of the conversation sent to the model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChatMessage {
    /// Who wrote it.
    pub role: Role,
    /// The text.
    pub content: String,
}

impl ChatMessage {
    /// A system message.
    pub fn system(content: impl Into<String>) -> Self {
        ChatMessage { role: Role::System, content: content.into() }
    }

    /// A user message.
    pub fn user(content: impl Into<String>) -> Self {
        ChatMessage { role: Role::User, content: content.into() }
    }

    /// An assistant message.
    pub fn assistant(content: impl Into<String>) -> Self {
        ChatMessage { role: Role::Assistant, content: content.into() }
    }
}

/// What to ask the model: the conversation so far and sampling limits.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChatRequest {
    /// The conversation, oldest first.
    pub messages: Vec<ChatMessage>,
    /// Sampling temperature; `None` leaves the provider's default.
    pub temperature: Option<f32>,
    /// Most tokens to generate; `None` leaves the provider's default.
    pub max_tokens: Option<u32>,
    /// The shape the answer must take; `None` asks for free text.
    pub response_format: Option<ResponseFormat>,
}

/// A structured-output format: the answer is JSON that follows a schema.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponseFormat {
    /// A name for the schema (letters, digits, `_` and `-`).
    pub name: String,
    /// The JSON schema, in the strict subset OpenAI-compatible providers accept (every property
    /// required, no additional properties).
    pub schema: serde_json::Value,
}

impl ChatRequest {
    /// A request with these messages and the provider's default sampling.
    pub fn new(messages: Vec<ChatMessage>) -> Self {
        ChatRequest { messages, temperature: None, max_tokens: None, response_format: None }
    }

    /// Sets the sampling temperature.
    pub fn with_temperature(mut self, temperature: f32) -> Self {
        self.temperature = Some(temperature);
        self
    }

    /// Sets the most tokens to generate.
    pub fn with_max_tokens(mut self, max_tokens: u32) -> Self {
        self.max_tokens = Some(max_tokens);
        self
    }

    /// Asks for JSON following `format`'s schema.
    pub fn with_response_format(mut self, format: ResponseFormat) -> Self {
        self.response_format = Some(format);
        self
    }
}

/// A finished answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Completion {
    /// The whole answer text.
    pub content: String,
    /// The model that answered, as the provider names it (falls back to the configured name).
    pub model: String,
    /// Tokens read and written, reported or estimated.
    pub usage: Usage,
    /// Why generation stopped (`stop`, `length`, `content_filter`…) when the provider says.
    pub finish_reason: Option<String>,
}

/// One item of a streamed answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum StreamEvent {
    /// The next piece of the answer text.
    Delta(String),
    /// The end: the whole text (all deltas joined) and the usage. Always the last item.
    Done(Completion),
}

/// A chat-completion model.
#[async_trait]
pub trait ChatModel: Send + Sync {
    /// The configured model name, e.g. `gpt-4o-mini` or `llama3.1:8b` (for logs and price lookup).
    fn model_id(&self) -> &str;

    /// Asks for the whole answer at once.
    async fn complete(&self, req: &ChatRequest) -> Result<Completion, ChatError>;

    /// Asks for the answer as it is generated: zero or more `Delta`s, then one `Done`.
    ///
    /// Retries happen only before the first byte of the answer (its first piece of text: role-only
    /// chunks and keep-alives before it do not count), so the caller never sees text of a failed
    /// try; once streaming began, a failure is `ChatError::Interrupted { partial, .. }` as the
    /// stream's last item. Dropping the stream cancels the request.
    async fn stream(&self, req: &ChatRequest) -> Result<BoxStream<'static, Result<StreamEvent, ChatError>>, ChatError>;
}
