//! Behaviour of the knowledge crate through its public API, on documents the tests build
//! themselves (no binary fixtures). One test binary, so the suite links once.

mod chunking;
mod extraction;
mod fixtures;
mod lexical;
