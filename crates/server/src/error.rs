//! The API error type: every failure leaves the server as
//! `{"error": {"code", "message", "field"?}}` with a fitting status. Codes are
//! stable identifiers clients may match on; 5xx details go to the log only.

use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;
use utoipa::ToSchema;
use wayfinder_accounts_rules::{CredentialError, ValidationError};
use wayfinder_coach::TurnFailure;
use wayfinder_learning::{ConceptName, RowError};
use wayfinder_llm::ModelFailure;
use wayfinder_store::StoreError;

/// Declares [`ErrorCode`]: each code the API answers with, its HTTP status and what it means.
/// The one registry the handlers, the error body and the OpenAPI document all read.
macro_rules! error_codes {
    ($( $(#[doc = $doc:literal])+ $variant:ident => $status:ident, )+) => {
        /// A stable, machine-readable error code; clients may match on it.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, ToSchema, strum::IntoStaticStr, strum::EnumIter)]
        #[serde(rename_all = "snake_case")]
        #[strum(serialize_all = "snake_case")]
        pub enum ErrorCode { $( $(#[doc = $doc])+ $variant, )+ }

        impl ErrorCode {
            /// The HTTP status this code is always answered with.
            pub const fn status(self) -> StatusCode {
                match self { $( ErrorCode::$variant => StatusCode::$status, )+ }
            }

            /// What the code means, for the API document.
            pub fn meaning(self) -> &'static str {
                match self { $( ErrorCode::$variant => concat!($($doc),+).trim_ascii(), )+ }
            }
        }
    };
}

error_codes! {
    /// The body is not valid JSON (or empty, or followed by more characters).
    MalformedJson => BAD_REQUEST,
    /// The request body could not be read.
    UnreadableBody => BAD_REQUEST,
    /// The multipart upload is malformed.
    MalformedMultipart => BAD_REQUEST,
    /// The request is not valid for this endpoint (OpenAI-compatible endpoints).
    InvalidBody => BAD_REQUEST,
    /// A webhook call's body is not what the platform sends.
    MalformedWebhook => BAD_REQUEST,
    /// API tokens are revoked, not logged out.
    NotASession => BAD_REQUEST,
    /// The identity provider's answer belongs to no sign-in under way (unknown, used, expired, or
    /// begun in another browser); start again.
    SsoStateInvalid => BAD_REQUEST,
    /// The authorization request names no registered OAuth client, or a redirect address that
    /// client did not register.
    OauthClientInvalid => BAD_REQUEST,
    /// An OAuth request is not valid (OAuth endpoints themselves answer in RFC 6749's form).
    OauthRequestInvalid => BAD_REQUEST,
    /// No credentials: sign in, or send an API token.
    Unauthenticated => UNAUTHORIZED,
    /// The API token is not valid.
    InvalidToken => UNAUTHORIZED,
    /// The API token has been revoked.
    TokenRevoked => UNAUTHORIZED,
    /// The API token has expired.
    TokenExpired => UNAUTHORIZED,
    /// The session has ended.
    SessionInvalid => UNAUTHORIZED,
    /// The session has expired.
    SessionExpired => UNAUTHORIZED,
    /// The email or password is wrong.
    InvalidCredentials => UNAUTHORIZED,
    /// The authenticator code or recovery code is wrong, or was used already.
    InvalidMfaCode => UNAUTHORIZED,
    /// The second step of this sign-in is unknown, finished or expired, or had too many wrong
    /// codes; sign in with the password again.
    MfaChallengeInvalid => UNAUTHORIZED,
    /// The identity provider's answer was not accepted (its signature, issuer, audience, expiry or
    /// nonce), or the provider reported an error.
    SsoRejected => UNAUTHORIZED,
    /// The role does not allow this action.
    Forbidden => FORBIDDEN,
    /// The organisation does not let this account in through its identity provider (another
    /// domain or district, no e-mail address, or an existing account the provider does not vouch for).
    SsoRefused => FORBIDDEN,
    /// The organisation signs its members in through its identity provider, not with a password.
    SsoRequired => FORBIDDEN,
    /// A second factor is required for this account: enrol an authenticator app (`/me/mfa`) first.
    MfaEnrollmentRequired => FORBIDDEN,
    /// A cookie-authenticated change without the session's CSRF token.
    CsrfFailed => FORBIDDEN,
    /// A webhook call without the channel's secret or signature.
    ForgedWebhook => FORBIDDEN,
    /// The site is not one the widget may appear on.
    OriginNotAllowed => FORBIDDEN,
    /// The resource does not exist, or the caller may not know it does.
    NotFound => NOT_FOUND,
    /// No coach with this model id (OpenAI-compatible endpoints).
    ModelNotFound => NOT_FOUND,
    /// The endpoint does not take this method.
    MethodNotAllowed => METHOD_NOT_ALLOWED,
    /// Something with this name already exists.
    AlreadyExists => CONFLICT,
    /// The person is already a member.
    AlreadyMember => CONFLICT,
    /// An organisation must keep at least one admin.
    LastAdmin => CONFLICT,
    /// The request conflicts with the current state.
    Conflict => CONFLICT,
    /// Evidence with this idempotency key was already recorded for this learner.
    DuplicateEvidence => CONFLICT,
    /// The question bank already holds a question of this kind with this prompt.
    DuplicateQuestion => CONFLICT,
    /// The organisation has not set this channel up.
    ChannelNotConfigured => CONFLICT,
    /// The identity provider is switched off.
    SsoProviderDisabled => CONFLICT,
    /// Dense search needs an embedding model, and none is configured.
    DenseUnavailable => CONFLICT,
    /// Speaking needs a speech endpoint, and none is configured (or it cannot read aloud).
    SpeechNotConfigured => CONFLICT,
    /// The body is larger than the server accepts.
    PayloadTooLarge => PAYLOAD_TOO_LARGE,
    /// The body is not of a type this endpoint takes.
    UnsupportedMediaType => UNSUPPORTED_MEDIA_TYPE,
    /// A field breaks a rule (`field` names it).
    InvalidField => UNPROCESSABLE_ENTITY,
    /// The prerequisite would close a cycle; `cycle` names its concepts in order.
    PrerequisiteCycle => UNPROCESSABLE_ENTITY,
    /// The concept is in no published program the learner is enrolled in.
    NotEnrolled => UNPROCESSABLE_ENTITY,
    /// No approved question practises what the session asks for.
    NoQuestions => UNPROCESSABLE_ENTITY,
    /// An imported program has errors, listed per row in `rows`; nothing was written.
    ImportInvalid => UNPROCESSABLE_ENTITY,
    /// The body has a field this endpoint does not know.
    UnknownField => UNPROCESSABLE_ENTITY,
    /// A required field is missing.
    MissingField => UNPROCESSABLE_ENTITY,
    /// The password is too easy to guess.
    WeakPassword => UNPROCESSABLE_ENTITY,
    /// The people in a relationship do not have the roles it needs.
    RoleMismatch => UNPROCESSABLE_ENTITY,
    /// Too many failed sign-ins; wait for `Retry-After` seconds.
    LoginLocked => TOO_MANY_REQUESTS,
    /// Too many frames on a live connection; slow down.
    RateLimited => TOO_MANY_REQUESTS,
    /// A daily token or cost budget is used up.
    BudgetExceeded => TOO_MANY_REQUESTS,
    /// Something went wrong on the server; it has been logged.
    Internal => INTERNAL_SERVER_ERROR,
    /// The embedding model failed.
    EmbeddingFailed => BAD_GATEWAY,
    /// The identity provider cannot be reached, or answered something that is not OpenID Connect.
    SsoProviderUnavailable => BAD_GATEWAY,
    /// The speech endpoint failed, refused or answered nonsense.
    SpeechFailed => BAD_GATEWAY,
    /// The chat model cannot be reached.
    ModelUnavailable => BAD_GATEWAY,
    /// The chat model did not answer in time.
    ModelTimeout => BAD_GATEWAY,
    /// The chat model's provider is rate limiting.
    ModelRateLimited => BAD_GATEWAY,
    /// The chat model's provider failed.
    ModelServerError => BAD_GATEWAY,
    /// The chat model's provider refused the request.
    ModelRejected => BAD_GATEWAY,
    /// The chat model sent something that is not an answer.
    ModelBadResponse => BAD_GATEWAY,
    /// The chat model's answer was cut off.
    ModelInterrupted => BAD_GATEWAY,
    /// The chat model is not configured correctly.
    ModelConfig => BAD_GATEWAY,
}

impl ErrorCode {
    /// The wire name, e.g. `not_found`.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<ModelFailure> for ErrorCode {
    fn from(failure: ModelFailure) -> Self {
        match failure {
            ModelFailure::ModelUnavailable => ErrorCode::ModelUnavailable,
            ModelFailure::ModelTimeout => ErrorCode::ModelTimeout,
            ModelFailure::ModelRateLimited => ErrorCode::ModelRateLimited,
            ModelFailure::ModelServerError => ErrorCode::ModelServerError,
            ModelFailure::ModelRejected => ErrorCode::ModelRejected,
            ModelFailure::ModelBadResponse => ErrorCode::ModelBadResponse,
            ModelFailure::ModelInterrupted => ErrorCode::ModelInterrupted,
            ModelFailure::ModelConfig => ErrorCode::ModelConfig,
        }
    }
}

impl From<TurnFailure> for ErrorCode {
    fn from(failure: TurnFailure) -> Self {
        match failure {
            TurnFailure::Model(model) => model.into(),
            TurnFailure::Internal => ErrorCode::Internal,
        }
    }
}

/// An error answered to the client; its status follows from its code.
#[derive(Debug)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    pub field: Option<String>,
    /// Seconds to wait before retrying (429).
    pub retry_after: Option<u64>,
    /// The concepts of a refused prerequisite's cycle.
    pub cycle: Option<Vec<ConceptName>>,
    /// An import's errors, per row.
    pub rows: Option<Vec<RowError>>,
}

/// The error body.
#[derive(Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code.
    pub code: ErrorCode,
    /// Human-readable explanation.
    pub message: String,
    /// The offending request field, for validation errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// `prerequisite_cycle`: the cycle's concepts in order, the first repeated last.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cycle: Option<Vec<ConceptName>>,
    /// `import_invalid`: what is wrong with each row (row 0: the document itself).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows: Option<Vec<RowError>>,
}

impl ApiError {
    /// An error with a code and message.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), field: None, retry_after: None, cycle: None, rows: None }
    }

    /// The HTTP status, from the code.
    pub fn status(&self) -> StatusCode {
        self.code.status()
    }

    /// 404: the thing does not exist or the caller may not know it does.
    pub fn not_found(what: &str) -> Self {
        Self::new(ErrorCode::NotFound, format!("{what} not found"))
    }

    /// 403: authenticated, but the role does not allow this.
    pub fn forbidden() -> Self {
        Self::new(ErrorCode::Forbidden, "your role does not allow this action")
    }

    /// 422: a field broke a rule.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::invalid_as(ErrorCode::InvalidField, field, message)
    }

    /// 422 with a more specific code (`unknown_field`, `weak_password`…).
    pub fn invalid_as(code: ErrorCode, field: impl Into<String>, message: impl Into<String>) -> Self {
        let field = field.into();
        let message = message.into();
        Self { code, message: format!("{field}: {message}"), field: Some(field), ..Self::new(code, "") }
    }

    /// 500: logged in full, answered vaguely.
    pub fn internal(detail: impl std::fmt::Display) -> Self {
        tracing::error!(error = %detail, "internal error");
        Self::new(ErrorCode::Internal, "something went wrong on our side; it has been logged")
    }

    /// Names the field this error is about.
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        self.field = Some(field.into());
        self
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: self.message,
                field: self.field,
                cycle: self.cycle,
                rows: self.rows,
            },
        };
        let mut response = (status, Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::not_found("resource"),
            StoreError::Duplicate(field) => {
                ApiError::new(ErrorCode::AlreadyExists, format!("{field} already exists")).with_field(field)
            }
            StoreError::MissingReference => ApiError::not_found("referenced resource"),
            StoreError::Conflict(why) => ApiError::new(ErrorCode::Conflict, why),
            other => ApiError::internal(other),
        }
    }
}

impl From<ValidationError> for ApiError {
    fn from(e: ValidationError) -> Self {
        ApiError::invalid(e.field, e.message)
    }
}

/// Password problems are reported on the `password` field (hashing failures are internal).
pub fn password_error(e: CredentialError, field: &str) -> ApiError {
    match e {
        CredentialError::Hashing(detail) => ApiError::internal(detail),
        CredentialError::TooWeak(_) => ApiError::invalid_as(ErrorCode::WeakPassword, field, e.to_string()),
        other => ApiError::invalid(field, other.to_string()),
    }
}

/// Result alias for handlers.
pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;
    use strum::IntoEnumIterator;

    #[test]
    fn codes_are_distinct_and_named_alike_on_the_wire_and_in_logs() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::iter() {
            let wire = serde_json::to_value(code).unwrap();
            assert_eq!(wire.as_str(), Some(code.as_str()));
            assert!(seen.insert(code.as_str()), "{code} twice");
            assert!(code.status().is_client_error() || code.status().is_server_error(), "{code}");
            assert!(!code.meaning().is_empty());
        }
    }

    #[test]
    fn the_api_guide_lists_every_code_under_its_status() {
        let guide = include_str!("../../../docs/API.md");
        for code in ErrorCode::iter() {
            let row = format!("| {} |", code.status().as_u16());
            let line = guide.lines().find(|l| l.starts_with(&row)).unwrap_or_else(|| panic!("docs/API.md: no {row}"));
            assert!(line.contains(&format!("`{code}`")), "docs/API.md lists `{code}` under {row}");
        }
    }

    #[test]
    fn a_model_failure_keeps_its_name_as_an_api_code() {
        for failure in [ModelFailure::ModelUnavailable, ModelFailure::ModelTimeout, ModelFailure::ModelConfig] {
            let code = ErrorCode::from(failure);
            assert_eq!(code.as_str(), <&str>::from(failure));
            assert_eq!(code.status(), StatusCode::BAD_GATEWAY);
        }
        assert_eq!(ErrorCode::from(TurnFailure::Internal).status(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}
