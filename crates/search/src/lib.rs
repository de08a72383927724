//! Wayfinder's in-process search engines, with no SQL and no I/O: BM25 over
//! an organisation's postings ([`Bm25Index`]), the 8-bit nearest-vector scan
//! with exact re-scoring ([`VectorIndex`]), the bounded best-k selection and
//! chunk filter both rank with ([`TopK`], [`ChunkFilter`]), and [`Copies`]:
//! per-key copies stamped with the database epoch they reflect, reused while
//! the database is at that epoch, updated in place by this process's own
//! committed changes and otherwise reloaded through a [`Loader`]. The
//! storage crate owns the rows; it reads them into these engines and
//! implements the loaders.

mod copies;
mod dense;
mod lexical;
mod ranking;
mod saved;

pub use copies::{Copies, Loader, Shared, Stamped};
pub use dense::{VectorIndex, rank_exactly};
pub use lexical::{
    Bm25Index, Bm25Loader, ChunkTerms, CorruptPostings, LexicalChange, decode_terms, encode_terms, term_frequencies,
};
pub use ranking::{ChunkFilter, Scored, TopK};
pub use saved::CorruptSavedCopy;
