//! Programs, concepts and what learners do with them: the records' ids, their
//! closed sets and the validation of what people write into them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use wayfinder_knowledge_rules::DocumentId;

wayfinder_accounts_rules::id_type!(
    /// Identifies a program (stable across its versions).
    ProgramId,
    /// Identifies a concept (stable across its program's versions, so mastery outlives edits).
    ConceptId,
    /// Identifies a learner's enrolment in a program.
    EnrolmentId,
    /// Identifies one piece of evidence about a learner's mastery.
    EvidenceId,
    /// Identifies a learner's goal.
    GoalId,
);

wayfinder_accounts_rules::closed_set! {
/// Where a program stands.
pub enum ProgramStatus {
    /// Never published: only its authors see it.
    Draft,
    /// Learners may be enrolled; edits go to a new draft version.
    Published,
    /// Kept for its enrolments' history; no new enrolments, no edits.
    Archived,
}
}

wayfinder_accounts_rules::closed_set! {
/// Where an enrolment stands.
pub enum EnrolmentStatus {
    /// Learning the program.
    Active,
    /// Left the program; the evidence stays.
    Withdrawn,
}
}

wayfinder_accounts_rules::closed_set! {
/// What a learner's goal points at.
pub enum GoalKind {
    /// One concept.
    Concept,
    /// Every concept of a program.
    Program,
    /// Free text, resolved to concepts by searching their names and material.
    Text,
}
}

/// A concept's material: a document of the knowledge base, or one section of it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MaterialRef {
    #[schema(value_type = String)]
    pub document: DocumentId,
    /// The section's heading path inside the document (`[]`: the whole document).
    #[serde(default)]
    pub section: Vec<String>,
}

/// Longest program title.
pub const MAX_TITLE_CHARS: usize = 200;
/// Longest description of a program or concept.
pub const MAX_DESCRIPTION_CHARS: usize = 4000;
/// Most domain tags on a concept.
pub const MAX_TAGS: usize = 20;
/// Most material references on a concept.
pub const MAX_MATERIAL: usize = 50;
/// Longest estimate of a concept's learning time (a working week).
pub const MAX_ESTIMATED_MINUTES: i64 = 2400;
/// Most concepts in one program.
pub const MAX_CONCEPTS_PER_PROGRAM: usize = 10_000;
/// Longest free-text goal.
pub const MAX_GOAL_CHARS: usize = 500;

/// A field that breaks a rule, with what to do about it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    /// A rule broken by `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

/// A required single-line name or title: trimmed, non-empty, at most `max` characters.
pub fn clean_title(field: &str, raw: &str, max: usize) -> Result<String, FieldError> {
    let title = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if title.is_empty() {
        return Err(FieldError::new(field, "must not be empty"));
    }
    if title.chars().any(char::is_control) {
        return Err(FieldError::new(field, "must not contain control characters"));
    }
    if title.chars().count() > max {
        return Err(FieldError::new(field, format!("must be at most {max} characters")));
    }
    Ok(title)
}

/// A free-text description: trimmed, at most [`MAX_DESCRIPTION_CHARS`].
pub fn clean_description(field: &str, raw: &str) -> Result<String, FieldError> {
    let text = raw.trim();
    if text.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(FieldError::new(field, format!("must be at most {MAX_DESCRIPTION_CHARS} characters")));
    }
    Ok(text.to_string())
}

/// Domain tags: trimmed, lowercased, deduplicated, each 1–50 characters, at most [`MAX_TAGS`].
pub fn clean_tags(field: &str, raw: &[String]) -> Result<Vec<String>, FieldError> {
    let mut tags: Vec<String> = Vec::new();
    for tag in raw {
        let tag = tag.trim().to_lowercase();
        if tag.is_empty() || tag.chars().count() > 50 {
            return Err(FieldError::new(field, "each tag must have 1 to 50 characters"));
        }
        if !tags.contains(&tag) {
            tags.push(tag);
        }
    }
    if tags.len() > MAX_TAGS {
        return Err(FieldError::new(field, format!("at most {MAX_TAGS} tags")));
    }
    Ok(tags)
}

/// Estimated minutes: 1 to [`MAX_ESTIMATED_MINUTES`].
pub fn check_minutes(field: &str, minutes: i64) -> Result<i64, FieldError> {
    if !(1..=MAX_ESTIMATED_MINUTES).contains(&minutes) {
        return Err(FieldError::new(field, format!("must be between 1 and {MAX_ESTIMATED_MINUTES}")));
    }
    Ok(minutes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_trimmed_and_bounded() {
        assert_eq!(clean_title("title", "  Time   management ", 200).unwrap(), "Time management");
        assert_eq!(clean_title("title", "   ", 200).unwrap_err().field, "title");
        assert!(clean_title("title", &"x".repeat(201), 200).is_err());
    }

    #[test]
    fn tags_are_normalised_and_deduplicated() {
        let tags = clean_tags("tags", &["Study ".into(), "study".into(), "Habits".into()]).unwrap();
        assert_eq!(tags, vec!["study", "habits"]);
        assert!(clean_tags("tags", &["".into()]).is_err());
        let many: Vec<String> = (0..=MAX_TAGS).map(|i| format!("tag{i}")).collect();
        assert!(clean_tags("tags", &many).is_err());
    }

    #[test]
    fn minutes_have_bounds() {
        assert!(check_minutes("m", 0).is_err());
        assert_eq!(check_minutes("m", 30).unwrap(), 30);
        assert!(check_minutes("m", MAX_ESTIMATED_MINUTES + 1).is_err());
    }
}
