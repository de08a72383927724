//! `wayfinder eval …`: quality measured on data anyone can bring, through the same
//! services the API uses, in a throwaway organisation on the configured backend.

pub mod answers;
pub mod mastery;
pub mod placement;
pub mod retrieval;

use anyhow::Context;
use serde::Deserialize;
use std::{io::BufRead, path::Path};

/// Reads a JSON-lines file (blank lines skipped), naming the line of any error.
fn read_jsonl<T: for<'de> Deserialize<'de>>(path: &Path) -> anyhow::Result<Vec<T>> {
    let file = std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    std::io::BufReader::new(file)
        .lines()
        .enumerate()
        .filter(|(_, l)| l.as_ref().map(|l| !l.trim().is_empty()).unwrap_or(true))
        .map(|(i, l)| serde_json::from_str(&l?).with_context(|| format!("{} line {}", path.display(), i + 1)))
        .collect()
}

/// A fresh organisation slug for one evaluation run.
fn throwaway_slug() -> String {
    format!("eval-{}", &wayfinder_knowledge_rules::JobId::new().0.simple().to_string()[..12])
}
