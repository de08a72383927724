//! Accounts: the rules about organisations, people, roles and relationships,
//! credentials (passwords, session and API-token secrets) and the permission
//! policy that decides who may see or change what. No HTTP and no SQL live
//! here: the server asks these rules, the store persists their results.

/// Declares a closed set of names as an enum that travels as its snake_case names: serde
/// (on the wire and in JSON columns), strum (`Display`, `FromStr` and `&'static str`, for SQL
/// binds and logs) and utoipa (an enum in the OpenAPI document). The calling crate depends on
/// serde, strum and utoipa, whose derives name them directly.
#[macro_export]
macro_rules! closed_set {
    ($(#[$meta:meta])* $vis:vis enum $name:ident { $($body:tt)* }) => {
        $(#[$meta])*
        #[derive(
            Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
            strum::Display, strum::EnumString, strum::IntoStaticStr,
        )]
        #[serde(rename_all = "snake_case")]
        #[strum(serialize_all = "snake_case")]
        $vis enum $name { $($body)* }
    };
}

mod credentials;
mod ids;

// Re-exported for `id_type!` expansions in other crates.
#[doc(hidden)]
pub use serde as __serde;
#[doc(hidden)]
pub use utoipa as __utoipa;
#[doc(hidden)]
pub use uuid as __uuid;
pub mod mfa;
mod model;
pub mod oauth;
pub mod policy;
pub mod sealing;
pub mod sso;

pub use credentials::{
    CredentialError, MAX_PASSWORD_CHARS, MIN_PASSWORD_CHARS, Secret, check_password_strength, constant_time_eq,
    generate_password, hash_password, hash_secret, new_secret, verify_password,
};
pub use ids::{
    AuditId, IdentityProviderId, InvitationId, OAuthClientId, OAuthGrantId, OrgId, PersonId, RelationshipId, SessionId,
    TokenId,
};
pub use model::{
    InvitationStatus, Member, Organisation, Person, Relationship, RelationshipKind, Role, ValidationError,
    normalise_email, validate_display_name, validate_slug,
};
