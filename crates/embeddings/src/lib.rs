//! Embeddings: turns text into unit-length vectors for the knowledge base's
//! semantic search. One `Embedder` trait with two providers: `LocalEmbedder`
//! runs a sentence-transformers BERT model (all-MiniLM-L6-v2 by default) on the
//! CPU inside the binary, so a self-hosted install needs no external service;
//! `RemoteEmbedder` calls any OpenAI-compatible `/embeddings` API (OpenAI,
//! Ollama, vLLM…). Vectors are stored with `model_id`, so a change of model is
//! detected rather than silently mixing incomparable vectors.

// Denied everywhere but the int8 kernel's module, which allows it for its intrinsics.
#![deny(unsafe_code)]

mod attention;
mod bert;
mod error;
mod int8;
mod kernels;
mod local;
mod matmul;
pub mod package;
mod remote;
mod weights;

pub use error::EmbedError;
pub use local::{LazyLocalEmbedder, LocalEmbedder};
pub use remote::{RemoteConfig, RemoteEmbedder};

/// The matrix kernel a local model's dense layers run on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MatrixKernel {
    /// 8-bit integer products on AVX-512 VNNI: the fastest, where the CPU has it.
    Int8,
    /// 32-bit floating point on every CPU: the reference.
    F32,
}

impl MatrixKernel {
    /// The fastest kernel this CPU runs.
    pub fn fastest() -> Self {
        if int8::available() { MatrixKernel::Int8 } else { MatrixKernel::F32 }
    }

    /// This kernel, or the reference where this CPU cannot run it.
    pub fn or_reference(self) -> Self {
        if self == MatrixKernel::Int8 && !int8::available() { MatrixKernel::F32 } else { self }
    }

    /// `int8` or `f32`.
    pub fn as_str(self) -> &'static str {
        match self {
            MatrixKernel::Int8 => "int8",
            MatrixKernel::F32 => "f32",
        }
    }
}

impl std::str::FromStr for MatrixKernel {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "int8" => Ok(MatrixKernel::Int8),
            "f32" => Ok(MatrixKernel::F32),
            other => Err(format!("unknown matrix kernel {other:?} (int8 or f32)")),
        }
    }
}

/// What a text is for: some models embed search queries and stored passages differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EmbedPurpose {
    /// A search query (a learner's question).
    Query,
    /// A passage stored in the knowledge base.
    Document,
}

/// Turns texts into L2-normalised vectors of a fixed length.
#[async_trait::async_trait]
pub trait Embedder: Send + Sync {
    /// A stable id stored with every vector, e.g. `local:all-MiniLM-L6-v2` or `openai:text-embedding-3-small`.
    fn model_id(&self) -> &str;

    /// The length of every vector (0 for a remote model whose size is not yet known).
    fn dimensions(&self) -> usize;

    /// Embeds `texts`, returning one unit-length vector per text in input order.
    async fn embed(&self, texts: &[String], purpose: EmbedPurpose) -> Result<Vec<Vec<f32>>, EmbedError>;
}

/// Scales `v` to unit length; a zero vector stays zero.
pub(crate) fn l2_normalise(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        v.iter_mut().for_each(|x| *x /= norm);
    }
}
