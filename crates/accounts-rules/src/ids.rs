//! Typed identifiers, so a person id can never be passed where an
//! organisation id is expected.

/// Declares UUIDv7-backed id newtypes (serde, Display, FromStr, OpenAPI schema).
/// Exported so other domain crates declare their ids the same way.
#[macro_export]
macro_rules! id_type {
    ($(#[$doc:meta] $name:ident),* $(,)?) => {$(
        #[$doc]
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub $crate::__uuid::Uuid);

        // Written out rather than derived: serde's derive cannot name the
        // re-exported crate through `$crate` in other crates' expansions.
        impl $crate::__serde::Serialize for $name {
            fn serialize<S: $crate::__serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                self.0.serialize(serializer)
            }
        }

        impl<'de> $crate::__serde::Deserialize<'de> for $name {
            fn deserialize<D: $crate::__serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                $crate::__uuid::Uuid::deserialize(deserializer).map(Self)
            }
        }

        impl $name {
            /// A fresh, time-ordered identifier.
            pub fn new() -> Self {
                Self($crate::__uuid::Uuid::now_v7())
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::__uuid::Error;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                $crate::__uuid::Uuid::parse_str(s).map(Self)
            }
        }

        impl $crate::__utoipa::PartialSchema for $name {
            fn schema() -> $crate::__utoipa::openapi::RefOr<$crate::__utoipa::openapi::schema::Schema> {
                use $crate::__utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .format(Some(SchemaFormat::KnownFormat(KnownFormat::Uuid)))
                    .into()
            }
        }

        impl $crate::__utoipa::ToSchema for $name {}
    )*};
}

crate::id_type!(
    /// Identifies an organisation (a tenant).
    OrgId,
    /// Identifies a person across the whole instance.
    PersonId,
    /// Identifies a relationship between two members of an organisation.
    RelationshipId,
    /// Identifies a sign-in session (not its secret).
    SessionId,
    /// Identifies a personal API token (not its secret).
    TokenId,
    /// Identifies an invitation (not its secret).
    InvitationId,
    /// Identifies an audit event.
    AuditId,
    /// Identifies an organisation's single sign-on identity provider.
    IdentityProviderId,
    /// Identifies a client registered for OAuth (its `client_id`).
    OAuthClientId,
    /// Identifies an OAuth grant: a person's approval of a client, and its family of refresh tokens.
    OAuthGrantId,
);
