//! Identifiers of knowledge-base records.

use serde::{Deserialize, Serialize};

wayfinder_accounts_rules::id_type!(
    /// Identifies a knowledge collection.
    CollectionId,
    /// Identifies a document in a collection.
    DocumentId,
    /// Identifies a background job (ingestion, re-embedding).
    JobId,
    /// Identifies one file of an ingestion job.
    JobFileId,
);

/// Identifies a chunk. Chunks are numbered by the database (they are the
/// rowids the lexical and vector indexes key on), so this is an integer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(transparent)]
pub struct ChunkId(pub i64);

impl std::fmt::Display for ChunkId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}
