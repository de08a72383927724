/// The kinds of [`ChatError`], by their stable snake_case codes (`model_unavailable`…).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, strum::IntoStaticStr, strum::Display)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum ModelFailure {
    /// The provider could not be reached.
    ModelUnavailable,
    /// No answer in time.
    ModelTimeout,
    /// Rate limited on every attempt.
    ModelRateLimited,
    /// 5xx on every attempt.
    ModelServerError,
    /// A 4xx other than 429.
    ModelRejected,
    /// 2xx with something that is not a chat completion.
    ModelBadResponse,
    /// The stream broke after the answer had begun.
    ModelInterrupted,
    /// The client settings cannot work.
    ModelConfig,
}

/// Why a chat model gave no (complete) answer.
///
/// `Display` is for logs and may hold the provider's words; `user_message` is for the end user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChatError {
    /// The provider could not be reached: connection refused or reset, DNS failure.
    #[error("model API unreachable after {attempts} attempt(s): {message}")]
    Unavailable {
        /// How many requests were sent.
        attempts: u32,
        /// The transport error.
        message: String,
    },
    /// No answer (or, when streaming, no first byte) within the configured timeout, on every attempt.
    #[error("model API did not answer in time ({attempts} attempt(s))")]
    Timeout {
        /// How many requests were sent.
        attempts: u32,
    },
    /// The provider answered 429 Too Many Requests on every attempt.
    #[error("model API rate limit hit after {attempts} attempt(s): {message}")]
    RateLimited {
        /// How many requests were sent.
        attempts: u32,
        /// The provider's error message.
        message: String,
    },
    /// The provider answered 5xx on every attempt.
    #[error("model API answered HTTP {status} after {attempts} attempt(s): {message}")]
    Server {
        /// The last HTTP status.
        status: u16,
        /// How many requests were sent.
        attempts: u32,
        /// The provider's error message.
        message: String,
    },
    /// The provider refused the request with a 4xx other than 429 (bad key, unknown model,
    /// context too long…); it was not retried since the same request would fail the same way.
    #[error("model API rejected the request with HTTP {status}: {message}")]
    Rejected {
        /// The HTTP status.
        status: u16,
        /// The provider's error message.
        message: String,
    },
    /// The provider answered 2xx with something that is not a chat completion.
    #[error("model API sent a malformed response: {0}")]
    BadResponse(String),
    /// The stream broke after the answer had begun; `partial` is the text received until then.
    #[error("model answer interrupted after {} characters: {message}", partial.chars().count())]
    Interrupted {
        /// The answer text received before the failure.
        partial: String,
        /// What went wrong.
        message: String,
    },
    /// The client settings cannot work (empty model name, URL that is not http(s), zero timeout…).
    #[error("model configuration: {0}")]
    InvalidConfig(String),
}

impl ChatError {
    /// What kind of failure this is, as a stable code for logs, metrics and API error bodies.
    pub fn code(&self) -> ModelFailure {
        match self {
            ChatError::Unavailable { .. } => ModelFailure::ModelUnavailable,
            ChatError::Timeout { .. } => ModelFailure::ModelTimeout,
            ChatError::RateLimited { .. } => ModelFailure::ModelRateLimited,
            ChatError::Server { .. } => ModelFailure::ModelServerError,
            ChatError::Rejected { .. } => ModelFailure::ModelRejected,
            ChatError::BadResponse(_) => ModelFailure::ModelBadResponse,
            ChatError::Interrupted { .. } => ModelFailure::ModelInterrupted,
            ChatError::InvalidConfig(_) => ModelFailure::ModelConfig,
        }
    }

    /// The HTTP status Wayfinder's own API should answer with: the fault lies upstream (502/503/504)
    /// or in the server's configuration (500), never with the learner's client.
    pub fn http_status(&self) -> u16 {
        match self {
            ChatError::Unavailable { .. } | ChatError::RateLimited { .. } => 503,
            ChatError::Timeout { .. } => 504,
            ChatError::Server { .. }
            | ChatError::Rejected { .. }
            | ChatError::BadResponse(_)
            | ChatError::Interrupted { .. } => 502,
            ChatError::InvalidConfig(_) => 500,
        }
    }

    /// A friendly sentence for the end user, without internals.
    pub fn user_message(&self) -> String {
        let text = match self {
            ChatError::Unavailable { .. } => {
                "The AI service can't be reached right now. Please try again in a few minutes."
            }
            ChatError::Timeout { .. } => "The AI service took too long to answer. Please try again.",
            ChatError::RateLimited { .. } => "The AI service is busy right now. Please wait a moment and try again.",
            ChatError::Server { .. } => "The AI service ran into a problem. Please try again in a few minutes.",
            // Bad key, unknown model, no permission: nothing the learner can change.
            ChatError::Rejected { status: 401 | 403 | 404, .. } | ChatError::InvalidConfig(_) => {
                "The AI service is not set up correctly. Please let your administrator know."
            }
            ChatError::Rejected { .. } => {
                "The AI service could not handle this request. Try a shorter message or start a new conversation."
            }
            ChatError::BadResponse(_) => "The AI service sent an answer that could not be read. Please try again.",
            ChatError::Interrupted { .. } => "The answer was cut off. Please try again.",
        };
        text.to_owned()
    }
}
