//! Accounts: the rules about organisations, people, roles and relationships,
//! credentials (passwords, session and API-token secrets) and the permission
//! policy that decides who may see or change what. No HTTP and no SQL live
//! here: the server asks these rules, the store persists their results.

mod credentials;
mod ids;

// Re-exported for `id_type!` expansions in other crates.
#[doc(hidden)]
pub use serde as __serde;
#[doc(hidden)]
pub use utoipa as __utoipa;
#[doc(hidden)]
pub use uuid as __uuid;
mod model;
pub mod policy;

pub use credentials::{
    CredentialError, MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS, Secret, check_password_strength, generate_password,
    hash_password, hash_secret, new_secret, verify_password,
};
pub use ids::{AuditId, InvitationId, OrgId, PersonId, RelationshipId, SessionId, TokenId};
pub use model::{
    InvitationStatus, Member, Organisation, Person, Relationship, RelationshipKind, Role, ValidationError,
    normalise_email, validate_display_name, validate_slug,
};
