//! Conversions between stored columns and domain values: ids are stored as
//! text, times as milliseconds since the Unix epoch.

use crate::StoreError;
use chrono::{DateTime, Utc};
use std::str::FromStr;
use wayfinder_knowledge_rules::{CollectionId, DocumentId};

/// Current time in stored form.
pub(crate) fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// A stored time as a UTC timestamp.
pub(crate) fn time(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// An optional stored time.
pub(crate) fn opt_time(ms: Option<i64>) -> Option<DateTime<Utc>> {
    ms.map(time)
}

/// A stored JSON list of strings (empty when unreadable).
pub(crate) fn json_list(raw: &str) -> Vec<String> {
    serde_json::from_str(raw).unwrap_or_default()
}

/// A value in its stored JSON form.
pub(crate) fn to_json<T: serde::Serialize + ?Sized>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "[]".into())
}

/// A stored JSON document read into its type, reporting corruption as such.
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(raw: &str, what: &str) -> Result<T, StoreError> {
    serde_json::from_str(raw).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

/// Parses a stored id or enum, reporting corruption instead of panicking.
pub(crate) fn parse<T: FromStr>(raw: &str, what: &str) -> Result<T, StoreError> {
    raw.parse().map_err(|_| StoreError::Corrupt(format!("{what}: {raw:?}")))
}

/// A chunk's collection and document ids while reading chunks in id order: they
/// come document by document, so each id is parsed once per run of equal text.
#[derive(Default)]
pub(crate) struct ChunkOwners {
    collection: Option<(String, CollectionId)>,
    document: Option<(String, DocumentId)>,
}

impl ChunkOwners {
    /// The parsed ids of a row's stored collection and document.
    pub fn parse(&mut self, collection: String, document: String) -> Result<(CollectionId, DocumentId), StoreError> {
        Ok((
            remembered(&mut self.collection, collection, "collection id")?,
            remembered(&mut self.document, document, "document id")?,
        ))
    }
}

/// `raw` parsed, reusing the last parse when `raw` is the same text as last time.
fn remembered<T: FromStr + Copy>(last: &mut Option<(String, T)>, raw: String, what: &str) -> Result<T, StoreError> {
    match last {
        Some((stored, parsed)) if *stored == raw => Ok(*parsed),
        _ => {
            let parsed = parse(&raw, what)?;
            *last = Some((raw, parsed));
            Ok(parsed)
        }
    }
}

/// `$first, $first+1, …` for `count` values bound in turn (an `IN (…)` list of ids).
pub(crate) fn placeholders(first: usize, count: usize) -> String {
    (first..first + count).map(|n| format!("${n}")).collect::<Vec<_>>().join(", ")
}
