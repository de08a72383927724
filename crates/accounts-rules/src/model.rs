//! The account entities and their validation rules.

use crate::ids::{OrgId, PersonId, RelationshipId};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::{fmt, str::FromStr};
use utoipa::ToSchema;

/// A person's role inside one organisation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Asks the coach, follows learning paths, sees own progress.
    Learner,
    /// Sees and supports the learners assigned to them.
    Coach,
    /// Read-only view of linked learners.
    Parent,
    /// Oversees coaches and their learners.
    Manager,
    /// Manages the organisation.
    Admin,
}

impl Role {
    /// Every role, in a stable order.
    pub const ALL: [Role; 5] = [Role::Learner, Role::Coach, Role::Parent, Role::Manager, Role::Admin];

    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Learner => "learner",
            Role::Coach => "coach",
            Role::Parent => "parent",
            Role::Manager => "manager",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| ValidationError::new("role", "must be one of learner, coach, parent, manager, admin"))
    }
}

/// The kinds of relationship between two members of one organisation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RelationshipKind {
    /// A coach supports a learner.
    CoachLearner,
    /// A parent or guardian follows a learner.
    ParentLearner,
    /// A manager oversees a coach.
    ManagerCoach,
}

impl RelationshipKind {
    /// Every kind, in a stable order.
    pub const ALL: [RelationshipKind; 3] =
        [RelationshipKind::CoachLearner, RelationshipKind::ParentLearner, RelationshipKind::ManagerCoach];

    /// The stored and wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            RelationshipKind::CoachLearner => "coach_learner",
            RelationshipKind::ParentLearner => "parent_learner",
            RelationshipKind::ManagerCoach => "manager_coach",
        }
    }

    /// The roles the two ends must hold: (from, to).
    pub fn roles(self) -> (Role, Role) {
        match self {
            RelationshipKind::CoachLearner => (Role::Coach, Role::Learner),
            RelationshipKind::ParentLearner => (Role::Parent, Role::Learner),
            RelationshipKind::ManagerCoach => (Role::Manager, Role::Coach),
        }
    }
}

impl FromStr for RelationshipKind {
    type Err = ValidationError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        RelationshipKind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| ValidationError::new("kind", "must be one of coach_learner, parent_learner, manager_coach"))
    }
}

/// A tenant: every other record belongs to exactly one organisation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Organisation {
    pub id: OrgId,
    /// Short unique name used in URLs and the CLI.
    pub slug: String,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

/// A person known to the instance (may belong to several organisations).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Person {
    pub id: PersonId,
    pub email: String,
    pub display_name: String,
    /// Instance operators administer the instance and every organisation in it.
    pub is_operator: bool,
    pub created_at: DateTime<Utc>,
}

/// A person's membership in an organisation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Member {
    pub person: Person,
    pub role: Role,
    pub joined_at: DateTime<Utc>,
}

/// A directed relationship between two members (`from` supports or follows `to`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Relationship {
    pub id: RelationshipId,
    pub org_id: OrgId,
    pub kind: RelationshipKind,
    pub from_person: PersonId,
    pub to_person: PersonId,
    pub created_at: DateTime<Utc>,
}

/// A rule broken by an input value, naming the field.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ValidationError {
    pub field: String,
    pub message: String,
}

impl ValidationError {
    /// A validation error on `field`.
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self { field: field.into(), message: message.into() }
    }
}

/// Trims and lower-cases an email address and checks its syntax.
pub fn normalise_email(raw: &str) -> Result<String, ValidationError> {
    let email = raw.trim().to_lowercase();
    if email.len() > 254 || !email_address::EmailAddress::is_valid(&email) {
        return Err(ValidationError::new("email", "is not a valid email address"));
    }
    Ok(email)
}

/// Checks a display name: 1 to 100 characters after trimming, no control characters.
pub fn validate_display_name(raw: &str, field: &str) -> Result<String, ValidationError> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ValidationError::new(field, "must be 1 to 100 characters"));
    }
    if name.chars().any(char::is_control) {
        return Err(ValidationError::new(field, "must not contain control characters"));
    }
    Ok(name.to_string())
}

/// Checks an organisation slug: 2 to 48 of a-z, 0-9 and inner hyphens.
pub fn validate_slug(raw: &str) -> Result<String, ValidationError> {
    let slug = raw.trim();
    let ok_chars = slug.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !(2..=48).contains(&slug.len()) || !ok_chars || slug.starts_with('-') || slug.ends_with('-') {
        return Err(ValidationError::new(
            "slug",
            "must be 2 to 48 characters of a-z, 0-9 and hyphens, not starting or ending with a hyphen",
        ));
    }
    Ok(slug.to_string())
}

/// Where an invitation stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum InvitationStatus {
    /// Can still be accepted.
    Pending,
    /// Accepted: the person joined.
    Accepted,
    /// Withdrawn by an admin.
    Revoked,
    /// Past its expiry without being accepted.
    Expired,
}

impl InvitationStatus {
    /// The status of an invitation with these times at `now`: accepted and revoked stay so for good;
    /// an open one expires at `expires_at`.
    pub fn at(
        accepted_at: Option<DateTime<Utc>>,
        revoked_at: Option<DateTime<Utc>>,
        expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Self {
        if accepted_at.is_some() {
            InvitationStatus::Accepted
        } else if revoked_at.is_some() {
            InvitationStatus::Revoked
        } else if expires_at <= now {
            InvitationStatus::Expired
        } else {
            InvitationStatus::Pending
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_and_kinds_round_trip() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>().unwrap(), role);
        }
        for kind in RelationshipKind::ALL {
            assert_eq!(kind.as_str().parse::<RelationshipKind>().unwrap(), kind);
        }
        assert_eq!("owner".parse::<Role>().unwrap_err().field, "role");
    }

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(normalise_email("  Ada@Example.ORG ").unwrap(), "ada@example.org");
        assert!(normalise_email("not-an-email").is_err());
        assert!(normalise_email("").is_err());
    }

    #[test]
    fn slugs_and_names_are_checked() {
        assert_eq!(validate_slug("north-high").unwrap(), "north-high");
        for bad in ["a", "-x", "x-", "Upper", "has space", &"x".repeat(49)] {
            assert!(validate_slug(bad).is_err(), "{bad}");
        }
        assert!(validate_display_name("  ", "name").is_err());
        assert!(validate_display_name("a\u{7}b", "name").is_err());
        assert_eq!(validate_display_name(" Ada ", "name").unwrap(), "Ada");
    }

    #[test]
    fn an_invitation_is_pending_until_it_expires_and_accepted_or_revoked_for_good() {
        let now = Utc::now();
        let later = now + chrono::Duration::days(1);
        let earlier = now - chrono::Duration::seconds(1);
        assert_eq!(InvitationStatus::at(None, None, later, now), InvitationStatus::Pending);
        assert_eq!(InvitationStatus::at(None, None, now, now), InvitationStatus::Expired);
        assert_eq!(InvitationStatus::at(None, Some(earlier), later, now), InvitationStatus::Revoked);
        assert_eq!(InvitationStatus::at(Some(earlier), None, earlier, now), InvitationStatus::Accepted);
        assert_eq!(InvitationStatus::at(Some(earlier), Some(earlier), later, now), InvitationStatus::Accepted);
    }
}
