//! The knowledge-base domain: what a collection, document and chunk are,
//! how documents are read and cut into chunks, how text is analysed for
//! lexical search, and how rankings are fused and evaluated. No storage and
//! no HTTP: the store persists these, the knowledge-base service runs them.

mod ids;

pub use ids::{ChunkId, CollectionId, DocumentId, JobFileId, JobId};
