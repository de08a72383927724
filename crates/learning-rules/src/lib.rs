//! The learning rules: pure functions and types, no I/O.

pub mod answer_grading;
pub mod draft;
pub mod graph;
pub mod mastery;
pub mod path;
pub mod placement;
pub mod practice;
pub mod program;
pub mod provisioning;
pub mod question_writing;
pub mod questions;
pub mod review;
