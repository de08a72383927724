use std::path::PathBuf;
use std::time::Duration;

/// Why an embedding could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    /// The local model folder does not exist.
    #[error("embedding model folder {folder} does not exist (fetch it with `wayfinder model fetch`)")]
    ModelFolderNotFound {
        /// The folder that was given.
        folder: PathBuf,
    },
    /// The local model folder lacks a file the model needs.
    #[error("embedding model folder {folder}: {file} is missing (fetch it with `wayfinder model fetch`)")]
    MissingModelFile {
        /// The folder that was searched.
        folder: PathBuf,
        /// The file name that was not found.
        file: &'static str,
    },
    /// A model file exists but cannot be used (unreadable, malformed, unsupported architecture).
    #[error("embedding model {path}: {message}")]
    InvalidModel {
        /// The file or folder at fault.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// The tokenizer rejected the input or could not be loaded.
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    /// The local forward pass failed.
    #[error("embedding inference failed: {0}")]
    Inference(String),
    /// The remote provider settings cannot work (empty model name, zero batch size, bad URL).
    #[error("embedding provider configuration: {0}")]
    InvalidConfig(String),
    /// The remote API answered with an error status.
    #[error("embedding API answered HTTP {status} after {attempts} attempt(s): {message}")]
    Status {
        /// The HTTP status code of the last answer.
        status: u16,
        /// The error message from the body, or the body itself.
        message: String,
        /// How many requests were sent for this batch.
        attempts: u32,
    },
    /// The remote API did not answer within the per-request timeout.
    #[error("embedding API did not answer within {timeout:?} ({attempts} attempt(s))")]
    Timeout {
        /// The per-request timeout.
        timeout: Duration,
        /// How many requests were sent for this batch.
        attempts: u32,
    },
    /// The remote API could not be reached or the connection broke.
    #[error("embedding API unreachable after {attempts} attempt(s): {message}")]
    Connection {
        /// The transport error.
        message: String,
        /// How many requests were sent for this batch.
        attempts: u32,
    },
    /// The remote API answered 2xx with a body that is not a valid embeddings response.
    #[error("embedding API sent a malformed response: {0}")]
    MalformedResponse(String),
    /// A vector does not have the expected number of dimensions.
    #[error("embedding has {actual} dimensions, expected {expected}")]
    DimensionMismatch {
        /// The dimensions configured or fixed by the first response.
        expected: usize,
        /// The dimensions received.
        actual: usize,
    },
}

impl EmbedError {
    /// A stable machine-readable code for logs and API errors.
    pub fn code(&self) -> &'static str {
        match self {
            EmbedError::ModelFolderNotFound { .. } | EmbedError::MissingModelFile { .. } => "embedding_model_missing",
            EmbedError::InvalidModel { .. } => "embedding_model_invalid",
            EmbedError::Tokenizer(_) => "embedding_tokenizer",
            EmbedError::Inference(_) => "embedding_inference",
            EmbedError::InvalidConfig(_) => "embedding_config",
            EmbedError::Status { .. } => "embedding_api_status",
            EmbedError::Timeout { .. } => "embedding_api_timeout",
            EmbedError::Connection { .. } => "embedding_api_unreachable",
            EmbedError::MalformedResponse(_) => "embedding_api_malformed",
            EmbedError::DimensionMismatch { .. } => "embedding_dimension_mismatch",
        }
    }
}
