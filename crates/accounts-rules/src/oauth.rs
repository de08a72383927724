//! Tokens for native and integration clients (OAuth 2.1): which redirect addresses a client may
//! register and use, PKCE, the one scope there is, and the RS256 access tokens — their claims,
//! signing keys and the JSON Web Keys that publish them. Storage, rotation and the grants live in
//! the accounts service; these are the rules.

use crate::{PersonId, ValidationError, constant_time_eq};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// An access token lives this long.
pub const ACCESS_TOKEN_MINUTES: i64 = 15;
/// A refresh token lives this long after it is issued; using it issues the next one.
pub const REFRESH_TOKEN_DAYS: i64 = 30;
/// An authorization code must be redeemed within this many seconds.
pub const AUTHORIZATION_CODE_SECONDS: i64 = 120;
/// A retired signing key still verifies for this long (tokens it signed, signed by an instance
/// that had not yet seen the new key, expire within it), then it leaves the published set.
pub const RETIRED_KEY_VERIFIES_MINUTES: i64 = 2 * ACCESS_TOKEN_MINUTES + 5;
/// The one scope: the API, as the person who approved the client.
pub const SCOPE_API: &str = "api";
/// The size of a new signing key.
pub const SIGNING_KEY_BITS: usize = 2048;

crate::closed_set! {
    /// Whether a client can keep a secret.
    pub enum OAuthClientKind {
        /// A native or browser app: no secret; PKCE proves the code is redeemed by who asked for it.
        Public,
        /// A server-side integration: authenticates at the token endpoint with its secret (and PKCE).
        Confidential,
    }
}

crate::closed_set! {
    /// Why a grant (a family of refresh tokens) ended.
    pub enum GrantRevocation {
        /// The person signed the app out, or the app revoked its token.
        SignedOut,
        /// A refresh token that had been exchanged already was presented again: it may be stolen.
        RefreshTokenReused,
        /// The authorization code that created the grant was presented again.
        CodeReused,
        /// An operator removed the client.
        ClientRemoved,
    }
}

crate::closed_set! {
    /// The error codes of the OAuth endpoints (RFC 6749 §5.2 and §4.1.2.1).
    pub enum OAuthErrorCode {
        InvalidRequest,
        InvalidClient,
        InvalidGrant,
        UnauthorizedClient,
        UnsupportedGrantType,
        UnsupportedResponseType,
        InvalidScope,
        AccessDenied,
    }
}

/// A refusal at an OAuth endpoint: the code and what to do about it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {description}")]
pub struct OAuthError {
    pub code: OAuthErrorCode,
    pub description: String,
}

impl OAuthError {
    pub fn new(code: OAuthErrorCode, description: impl Into<String>) -> Self {
        OAuthError { code, description: description.into() }
    }
}

/// Checks a redirect address a client registers: `https`, a loopback `http` address (a native
/// app listening on the device, RFC 8252 §7.3) or a private-use scheme such as
/// `com.example.app:/callback` (§7.1); absolute, without a fragment.
pub fn validate_redirect_uri(uri: &str) -> Result<String, ValidationError> {
    let invalid = |message: &str| ValidationError::new("redirect_uris", format!("{uri:?}: {message}"));
    let parsed = url::Url::parse(uri.trim()).map_err(|_| invalid("not an absolute address"))?;
    if parsed.fragment().is_some() {
        return Err(invalid("a redirect address has no fragment"));
    }
    match parsed.scheme() {
        "https" if parsed.host().is_some() => {}
        "http" if is_loopback(&parsed) => {}
        "http" => return Err(invalid("plain http is allowed only to 127.0.0.1 or [::1]")),
        "https" => return Err(invalid("an https address names a host")),
        scheme if scheme.contains('.') => {}
        _ => return Err(invalid("use https, a loopback http address, or a private-use scheme like com.example.app")),
    }
    Ok(uri.trim().to_string())
}

/// Whether `given` is one of the `registered` addresses: exactly, or — for a loopback address —
/// with any port, since a native app listens on whatever port it gets (RFC 8252 §7.3).
pub fn redirect_uri_matches(registered: &[String], given: &str) -> bool {
    if registered.iter().any(|r| r == given) {
        return true;
    }
    let Ok(mut given) = url::Url::parse(given) else { return false };
    if given.scheme() != "http" || !is_loopback(&given) || given.set_port(None).is_err() {
        return false;
    }
    registered
        .iter()
        .filter_map(|r| url::Url::parse(r).ok())
        .any(|mut r| r.scheme() == "http" && is_loopback(&r) && r.set_port(None).is_ok() && r == given)
}

fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        _ => false,
    }
}

/// Checks a PKCE code challenge: S256 only (`plain` proves nothing when the request is seen).
pub fn validate_code_challenge(challenge: &str, method: Option<&str>) -> Result<(), OAuthError> {
    if method != Some("S256") {
        return Err(OAuthError::new(OAuthErrorCode::InvalidRequest, "code_challenge_method must be S256"));
    }
    let decoded = URL_SAFE_NO_PAD.decode(challenge).ok();
    if challenge.len() != 43 || decoded.is_none_or(|d| d.len() != 32) {
        return Err(OAuthError::new(
            OAuthErrorCode::InvalidRequest,
            "code_challenge must be the base64url SHA-256 of the code verifier (43 characters)",
        ));
    }
    Ok(())
}

/// Whether `verifier` (43–128 unreserved characters, RFC 7636 §4.1) hashes to `challenge`.
pub fn pkce_verifies(verifier: &str, challenge: &str) -> bool {
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~'));
    well_formed && constant_time_eq(pkce_challenge(verifier).as_bytes(), challenge.as_bytes())
}

/// The S256 challenge of a verifier.
pub fn pkce_challenge(verifier: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// The scope granted for what a client asked: only `api` exists (the API as the person).
pub fn granted_scope(requested: Option<&str>) -> Result<&'static str, OAuthError> {
    if requested.is_none_or(|scope| scope.split_whitespace().all(|w| w == SCOPE_API)) {
        Ok(SCOPE_API)
    } else {
        Err(OAuthError::new(OAuthErrorCode::InvalidScope, "the only scope is `api`"))
    }
}

/// The claims of an access token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessClaims {
    /// The server's public address.
    pub iss: String,
    /// The person.
    pub sub: String,
    /// The API (`<public address>/api/v1`).
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    pub client_id: String,
    pub scope: String,
    /// The grant (refresh-token family) the token belongs to: ending it ends the token at once.
    pub sid: String,
}

impl AccessClaims {
    /// The person the token speaks for.
    pub fn person(&self) -> Option<PersonId> {
        self.sub.parse().ok()
    }
}

/// The audience of access tokens issued by the server at `issuer`.
pub fn api_audience(issuer: &str) -> String {
    format!("{}/api/v1", issuer.trim_end_matches('/'))
}

/// A new RSA signing key: its key id, the private key (PKCS#1 DER, to be sealed) and its public half.
pub struct NewSigningKey {
    pub kid: String,
    pub private_der: Vec<u8>,
    pub public: PublicKey,
}

/// The public half of a signing key, as a JWK publishes it (base64url big-endian integers).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicKey {
    pub n: String,
    pub e: String,
}

/// Generates a signing key (slow: a fraction of a second; run it off the async workers).
pub fn generate_signing_key() -> Result<NewSigningKey, String> {
    use rsa::{pkcs1::EncodeRsaPrivateKey, traits::PublicKeyParts};
    let key = rsa::RsaPrivateKey::new(&mut rsa::rand_core::OsRng, SIGNING_KEY_BITS).map_err(|e| e.to_string())?;
    let private_der = key.to_pkcs1_der().map_err(|e| e.to_string())?.as_bytes().to_vec();
    let public = PublicKey {
        n: URL_SAFE_NO_PAD.encode(key.n().to_bytes_be()),
        e: URL_SAFE_NO_PAD.encode(key.e().to_bytes_be()),
    };
    // The key id is the RFC 7638 thumbprint: stable, and derived from the key itself.
    let thumbprint = format!(r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#, public.e, public.n);
    let kid = URL_SAFE_NO_PAD.encode(Sha256::digest(thumbprint.as_bytes()));
    Ok(NewSigningKey { kid, private_der, public })
}

/// A key ready to sign.
pub struct Signer {
    kid: String,
    key: EncodingKey,
}

impl Signer {
    /// The signer of a private key (PKCS#1 DER) known as `kid`.
    pub fn new(kid: &str, private_der: &[u8]) -> Self {
        Signer { kid: kid.to_string(), key: EncodingKey::from_rsa_der(private_der) }
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// Signs `claims` as an RS256 JWT carrying this key's id.
    pub fn sign(&self, claims: &AccessClaims) -> Result<String, String> {
        let header =
            Header { kid: Some(self.kid.clone()), typ: Some("at+jwt".into()), ..Header::new(Algorithm::RS256) };
        jsonwebtoken::encode(&header, claims, &self.key).map_err(|e| e.to_string())
    }
}

/// Whether a bearer token is a JWT (three base64url parts) rather than a personal API token.
pub fn looks_like_jwt(token: &str) -> bool {
    token.starts_with("eyJ") && token.split('.').count() == 3
}

/// The key id a JWT names in its header.
pub fn jwt_key_id(token: &str) -> Option<String> {
    jsonwebtoken::decode_header(token).ok().filter(|h| h.alg == Algorithm::RS256).and_then(|h| h.kid)
}

/// Why an access token is refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum AccessTokenError {
    #[error("the access token has expired")]
    Expired,
    #[error("the access token is not valid")]
    Invalid,
}

/// Verifies an access token's signature (RS256 with `key`), lifetime, issuer and audience.
pub fn verify_access_token(token: &str, key: &PublicKey, issuer: &str) -> Result<AccessClaims, AccessTokenError> {
    let key = DecodingKey::from_rsa_components(&key.n, &key.e).map_err(|_| AccessTokenError::Invalid)?;
    let mut validation = Validation::new(Algorithm::RS256);
    validation.leeway = 30;
    validation.set_issuer(&[issuer.trim_end_matches('/')]);
    validation.set_audience(&[api_audience(issuer)]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    jsonwebtoken::decode::<AccessClaims>(token, &key, &validation).map(|data| data.claims).map_err(|e| match e.kind() {
        jsonwebtoken::errors::ErrorKind::ExpiredSignature => AccessTokenError::Expired,
        _ => AccessTokenError::Invalid,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redirect_addresses_follow_the_native_app_rules() {
        for ok in [
            "https://app.example.com/cb",
            "http://127.0.0.1/callback",
            "http://[::1]:8400/cb",
            "com.example.app:/oauth",
        ] {
            assert!(validate_redirect_uri(ok).is_ok(), "{ok}");
        }
        for bad in
            ["http://example.com/cb", "https://app.example.com/cb#x", "javascript:alert(1)", "/relative", "myapp:/cb"]
        {
            assert!(validate_redirect_uri(bad).is_err(), "{bad}");
        }
        let registered = vec!["http://127.0.0.1/callback".to_string(), "com.example.app:/oauth".to_string()];
        assert!(redirect_uri_matches(&registered, "http://127.0.0.1:53124/callback"));
        assert!(redirect_uri_matches(&registered, "com.example.app:/oauth"));
        assert!(!redirect_uri_matches(&registered, "http://127.0.0.1:53124/other"));
        assert!(!redirect_uri_matches(&registered, "http://localhost:53124/callback"));
        assert!(!redirect_uri_matches(&registered, "com.example.app:/oauth/extra"));
    }

    #[test]
    fn pkce_checks_the_verifier_against_the_s256_challenge() {
        // RFC 7636, appendix B.
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert_eq!(pkce_challenge(verifier), challenge);
        assert!(pkce_verifies(verifier, challenge));
        assert!(!pkce_verifies("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXK", challenge));
        assert!(!pkce_verifies("short", &pkce_challenge("short")));
        assert!(validate_code_challenge(challenge, Some("S256")).is_ok());
        assert_eq!(validate_code_challenge(challenge, Some("plain")).unwrap_err().code, OAuthErrorCode::InvalidRequest);
        assert!(validate_code_challenge("abc", Some("S256")).is_err());
    }

    #[test]
    fn only_the_api_scope_is_granted() {
        assert_eq!(granted_scope(None).unwrap(), "api");
        assert_eq!(granted_scope(Some("api")).unwrap(), "api");
        assert_eq!(granted_scope(Some("openid api")).unwrap_err().code, OAuthErrorCode::InvalidScope);
    }

    #[test]
    fn a_signed_token_verifies_with_its_key_only_and_not_after_expiry() {
        let key = generate_signing_key().unwrap();
        let signer = Signer::new(&key.kid, &key.private_der);
        let now = chrono::Utc::now().timestamp();
        let claims = AccessClaims {
            iss: "https://wayfinder.example".into(),
            sub: PersonId::new().to_string(),
            aud: api_audience("https://wayfinder.example"),
            exp: now + 900,
            iat: now,
            jti: "j".into(),
            client_id: "c".into(),
            scope: "api".into(),
            sid: "g".into(),
        };
        let token = signer.sign(&claims).unwrap();
        assert!(looks_like_jwt(&token));
        assert_eq!(jwt_key_id(&token).as_deref(), Some(key.kid.as_str()));
        assert_eq!(verify_access_token(&token, &key.public, "https://wayfinder.example").unwrap(), claims);
        assert_eq!(verify_access_token(&token, &key.public, "https://other.example"), Err(AccessTokenError::Invalid));
        let other = generate_signing_key().unwrap();
        assert_eq!(
            verify_access_token(&token, &other.public, "https://wayfinder.example"),
            Err(AccessTokenError::Invalid)
        );
        let expired = signer.sign(&AccessClaims { exp: now - 120, iat: now - 1000, ..claims.clone() }).unwrap();
        assert_eq!(
            verify_access_token(&expired, &key.public, "https://wayfinder.example"),
            Err(AccessTokenError::Expired)
        );
        let mut parts: Vec<String> = token.split('.').map(str::to_string).collect();
        parts[1] = URL_SAFE_NO_PAD
            .encode(serde_json::to_vec(&AccessClaims { sub: PersonId::new().to_string(), ..claims }).unwrap());
        assert_eq!(
            verify_access_token(&parts.join("."), &key.public, "https://wayfinder.example"),
            Err(AccessTokenError::Invalid)
        );
    }
}
