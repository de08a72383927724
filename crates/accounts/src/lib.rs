//! The accounts service: organisations, members and roles, invitations,
//! relationships, API tokens and the sign-in rules that need storage
//! (throttling, password checks against the stored hash). It applies the pure
//! rules of `wayfinder-accounts-rules` to the data in `wayfinder-store`, and
//! makes every change that must stay consistent (accepting an invitation,
//! keeping an organisation's last admin) in one database transaction. No HTTP
//! lives here: the server parses, authorises, calls [`Accounts`] and maps its
//! [`AccountsError`] to responses.

mod invitations;
mod members;
mod mfa;
mod oauth;
mod privacy;
mod relationships;
mod retention;
mod sign_in;
mod sso;
mod tokens;

pub use invitations::{InvitationAccepted, InvitationPreview};
pub use members::RoleChange;
pub use mfa::{MFA_CHALLENGE_MINUTES, MfaChallengeStarted, MfaEnrolment, RememberedDevice, SecondFactor};
pub use oauth::{
    AccessGranted, AuthorizationCheck, AuthorizationRequest, ClientCredentials, ClientRegistration, IssuedTokens,
};
pub use privacy::{Archive, ArchiveScope};
pub use retention::RetentionRun;
pub use sso::{SSO_LOGIN_TTL_MINUTES, SsoCompleted, SsoFailure, SsoStart};

use chrono::Duration;
use std::sync::Arc;
use wayfinder_accounts_rules::{
    CredentialError, ValidationError, hash_password,
    oauth::{AccessTokenError, OAuthError},
    sealing::{Keyring, SealError},
};
use wayfinder_store::{Store, StoreError};

/// Limits and lifetimes the account rules apply, resolved from the configuration.
#[derive(Clone, Debug)]
pub struct AccountSettings {
    /// Failed sign-ins on one account before it is locked.
    pub login_max_failures_per_account: i64,
    /// Failed sign-ins from one IP address before it is locked.
    pub login_max_failures_per_ip: i64,
    /// Failures older than this no longer count.
    pub login_failure_window: Duration,
    /// How long a lockout lasts.
    pub login_lockout: Duration,
    /// How long an invitation stays valid.
    pub invitation_ttl: Duration,
    /// Lifetime of a new API token when none is asked for.
    pub token_default_ttl: Duration,
    /// Longest lifetime an API token may have.
    pub token_max_ttl: Duration,
    /// Instance operators must sign in with a second factor (until they enrol one, their
    /// sessions reach only what enrolling needs).
    pub require_mfa_for_operators: bool,
    /// The key secrets are sealed with at rest (OAuth signing keys, organisations' model keys).
    pub server_key: Arc<Keyring>,
}

impl Default for AccountSettings {
    fn default() -> Self {
        Self {
            login_max_failures_per_account: 5,
            login_max_failures_per_ip: 50,
            login_failure_window: Duration::minutes(15),
            login_lockout: Duration::minutes(15),
            invitation_ttl: Duration::days(14),
            token_default_ttl: Duration::days(90),
            token_max_ttl: Duration::days(365),
            require_mfa_for_operators: false,
            server_key: Arc::new(Keyring::ephemeral()),
        }
    }
}

/// What can go wrong in account operations, in terms a caller can act on.
#[derive(Debug, thiserror::Error)]
pub enum AccountsError {
    /// The record does not exist (or may not be known); names what.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// An input broke a rule; names the field.
    #[error(transparent)]
    Invalid(#[from] ValidationError),
    /// A new password was refused (too short, too easy to guess…), or could not be hashed.
    #[error("{field}: {error}")]
    Password { field: &'static str, error: CredentialError },
    /// The email or password is wrong.
    #[error("the email or password is wrong")]
    InvalidCredentials,
    /// Too many failed sign-ins: the account or address is locked for this long.
    #[error("too many failed sign-ins; try again in {retry_after_secs} seconds")]
    LoginLocked { retry_after_secs: u64 },
    /// The authenticator code or recovery code is wrong, or used already.
    #[error("the code is wrong or has been used")]
    MfaCodeInvalid,
    /// The second step of a sign-in is unknown, finished, expired, or had too many wrong codes.
    #[error("this sign-in has expired; enter your password again")]
    MfaChallengeInvalid,
    /// The person is already a member of the organisation.
    #[error("already a member")]
    AlreadyMember,
    /// The change would leave the organisation without an admin.
    #[error("an organisation must keep at least one admin")]
    LastAdmin,
    /// The people in a relationship do not hold the roles its kind needs.
    #[error("{field}: {message}")]
    RoleMismatch { field: &'static str, message: String },
    /// The same relationship exists already.
    #[error("this relationship already exists")]
    RelationshipExists,
    /// The request conflicts with the state of things; says why.
    #[error("{0}")]
    Conflict(String),
    /// Single sign-on did not finish, or a password was used where only single sign-on is allowed.
    #[error(transparent)]
    Sso(SsoFailure),
    /// An OAuth endpoint refuses the request (RFC 6749 error code and description).
    #[error(transparent)]
    OAuth(OAuthError),
    /// An authorization request names no registered client, or a redirect address it did not
    /// register: shown to the person, never sent back to that address.
    #[error("{0}")]
    OAuthClient(String),
    /// An access token is expired or not valid.
    #[error(transparent)]
    AccessToken(AccessTokenError),
    /// The sign-in an access token belongs to has been ended.
    #[error("this app's sign-in has been ended; sign in again")]
    GrantEnded,
    /// A secret stored sealed cannot be opened with this instance's server key.
    #[error(transparent)]
    Sealed(#[from] SealError),
    /// Password work off the async workers did not finish.
    #[error("password task failed: {0}")]
    Blocking(#[from] tokio::task::JoinError),
    /// Storage failed (a missing row the operation did not expect included).
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Result alias for account operations.
pub type AccountsResult<T> = Result<T, AccountsError>;

/// The accounts service over one store. Cloning is cheap and shares the pool.
#[derive(Clone, Debug)]
pub struct Accounts {
    store: Store,
    settings: Arc<AccountSettings>,
    /// Built on first use: building one reads and parses the system's root certificates.
    sso_http: Arc<std::sync::OnceLock<openidconnect::reqwest::Client>>,
    signing: Arc<oauth::SigningKeys>,
}

impl Accounts {
    /// The service over `store` applying `settings`.
    pub fn new(store: Store, settings: AccountSettings) -> Self {
        Self { store, settings: Arc::new(settings), sso_http: Arc::default(), signing: Arc::default() }
    }

    /// The limits and lifetimes this service applies.
    pub fn settings(&self) -> &AccountSettings {
        &self.settings
    }
}

/// A store error where a missing row means `what` is not found.
fn missing(what: &'static str) -> impl Fn(StoreError) -> AccountsError {
    move |e| match e {
        StoreError::NotFound => AccountsError::NotFound(what),
        other => AccountsError::Store(other),
    }
}

/// Hashes a new password off the async workers (Argon2 is deliberately slow);
/// a failure is reported on `field`.
async fn hash_off_thread(password: &str, field: &'static str) -> AccountsResult<String> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await?
        .map_err(|error| AccountsError::Password { field, error })
}
