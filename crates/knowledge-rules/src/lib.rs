//! The knowledge-base domain. `extract` reads TXT, Markdown, HTML, PDF and
//! DOCX into blocks of text that remember their heading path and (for PDF)
//! their page; `chunk_document` cuts those blocks into overlapping,
//! token-bounded chunks that never straddle a section; `lexical_terms`
//! produces the exact terms both database backends index for BM25, so SQLite
//! and PostgreSQL rank the same words; `fuse` combines lexical and dense
//! rankings; `metrics` measures retrieval quality. No I/O and no SQL live
//! here: the ingestion job reads the bytes, the store persists the chunks.

mod chunk;
mod extract;
mod fusion;
mod ids;
mod lexical;
pub mod metrics;
pub mod sentences;

pub use chunk::{Chunk, ChunkingConfig, TokenCounter, WordPieceEstimate, chunk_document};
pub use extract::{Block, ContentType, ExtractError, ExtractFailure, ExtractedDocument, detect, extract};
pub use fusion::{Fusion, fuse};
pub use ids::{ChunkId, CollectionId, DocumentId, JobFileId, JobId};
pub use lexical::{STOPWORDS, lexical_terms};

use sha2::{Digest, Sha256};

/// Hex SHA-256 of the raw uploaded bytes, so an identical re-upload can be skipped before parsing.
pub fn content_hash(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut hex = String::with_capacity(64);
    for byte in digest {
        // Writing into a String cannot fail.
        let _ = std::fmt::Write::write_fmt(&mut hex, format_args!("{byte:02x}"));
    }
    hex
}

/// A heading path as people read it: `["Chapter 3", "Note-taking"]` → `"Chapter 3 › Note-taking"`.
pub fn section_label(path: &[String]) -> String {
    path.join(" › ")
}
