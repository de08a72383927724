//! The coach's rules through the crate's public API, in one test binary.

mod budget;
mod citations;
mod confidence;
mod extractive;
mod fixtures;
mod pipeline;
mod prompt;
mod refusal;
mod relevance;
mod rewrite;
mod robustness;
mod routing;
mod types;
