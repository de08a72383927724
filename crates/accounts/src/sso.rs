//! Single sign-on through an organisation's OpenID Connect provider: the authorization code flow
//! with PKCE, `state` and `nonce` (kept in the database between the redirect and the answer, so
//! any instance finishes what another began), the ID token's signature, issuer, audience, expiry
//! and nonce checked by `openidconnect`; then the organisation's rules decide whether the person
//! comes in, whether an existing account is linked, and the role a new member starts with.

use crate::{Accounts, AccountsError, AccountsResult};
use base64::Engine;
use chrono::{Duration, Utc};
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge, PkceCodeVerifier,
    RedirectUrl, Scope, TokenResponse,
};
use wayfinder_accounts_rules::sso::{AssertedIdentity, IdentityProviderKind, SsoRefusal};
use wayfinder_accounts_rules::{OrgId, Person, hash_secret, normalise_email, validate_display_name};
use wayfinder_store::{IdentityProviderRecord, PendingSsoLogin, SsoAccount, SsoSignedIn, StoreError};

/// How long a sign-in may take between the redirect to the provider and its answer.
pub const SSO_LOGIN_TTL_MINUTES: i64 = 10;

/// Why a single sign-on did not finish.
#[derive(Debug, thiserror::Error)]
pub enum SsoFailure {
    /// No sign-in under way with this `state`: unknown, used, expired, or begun in another browser.
    #[error("this sign-in link is not valid any more; start again")]
    StateInvalid,
    /// The provider could not be reached, or answered something that is not OpenID Connect.
    #[error("the identity provider cannot be reached: {0}")]
    ProviderUnavailable(String),
    /// The provider's answer did not verify (signature, issuer, audience, expiry, nonce), or the
    /// provider reported an error.
    #[error("the identity provider's answer was not accepted: {0}")]
    Rejected(String),
    /// The provider is switched off.
    #[error("this identity provider is switched off")]
    Disabled,
    /// The organisation's rules refused the person.
    #[error(transparent)]
    Refused(#[from] SsoRefusal),
    /// The person is a member of an SSO-only organisation and tried a password.
    #[error("your organisation signs you in through its identity provider, not with a password")]
    PasswordNotAllowed,
}

impl From<SsoFailure> for AccountsError {
    fn from(failure: SsoFailure) -> Self {
        AccountsError::Sso(failure)
    }
}

/// Where to send the browser to sign in, and the `state` that must come back with it (the server
/// also keeps it in a cookie, so the answer is only taken in the browser that started).
#[derive(Clone, Debug)]
pub struct SsoStart {
    pub authorize_url: String,
    pub state: String,
}

/// A finished single sign-on.
#[derive(Clone, Debug)]
pub struct SsoCompleted {
    pub person: Person,
    pub org: OrgId,
    pub signed_in: SsoSignedIn,
    /// Where the browser goes next (a path of the web app).
    pub return_to: String,
}

fn unavailable(e: impl std::fmt::Display) -> SsoFailure {
    SsoFailure::ProviderUnavailable(e.to_string())
}

fn rejected(e: impl std::fmt::Display) -> SsoFailure {
    SsoFailure::Rejected(e.to_string())
}

/// The HTTP client for identity providers: no redirects followed (the protocol has none to
/// follow, and following them would let a provider point the server elsewhere), bounded time.
fn sso_http_client() -> openidconnect::reqwest::Client {
    openidconnect::reqwest::Client::builder()
        .redirect(openidconnect::reqwest::redirect::Policy::none())
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .expect("the identity-provider HTTP client builds")
}

/// The claims of a verified ID token as JSON (its payload, read after the signature checked out).
fn payload_claims(id_token: &impl serde::Serialize) -> Result<serde_json::Map<String, serde_json::Value>, SsoFailure> {
    let compact = serde_json::to_value(id_token).map_err(rejected)?;
    let payload = compact.as_str().and_then(|jwt| jwt.split('.').nth(1)).ok_or_else(|| rejected("not a JWT"))?;
    let bytes =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload.trim_end_matches('=')).map_err(rejected)?;
    serde_json::from_slice(&bytes).map_err(rejected)
}

fn claim_strings(value: Option<&serde_json::Value>) -> Vec<String> {
    match value {
        Some(serde_json::Value::String(s)) => vec![s.clone()],
        Some(serde_json::Value::Array(items)) => items.iter().filter_map(|v| v.as_str().map(str::to_string)).collect(),
        _ => Vec::new(),
    }
}

impl Accounts {
    /// The client for identity providers, built on first use.
    fn sso_http(&self) -> &openidconnect::reqwest::Client {
        self.sso_http.get_or_init(sso_http_client)
    }

    async fn oidc_client(
        &self,
        provider: &IdentityProviderRecord,
        redirect_uri: &str,
    ) -> AccountsResult<
        CoreClient<
            openidconnect::EndpointSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointNotSet,
            openidconnect::EndpointMaybeSet,
            openidconnect::EndpointMaybeSet,
        >,
    > {
        let issuer = IssuerUrl::new(provider.issuer_url.clone()).map_err(unavailable)?;
        let metadata = CoreProviderMetadata::discover_async(issuer, self.sso_http()).await.map_err(unavailable)?;
        let client = CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(provider.client_id.clone()),
            Some(ClientSecret::new(provider.client_secret.clone())),
        )
        .set_redirect_uri(RedirectUrl::new(redirect_uri.to_string()).map_err(unavailable)?);
        Ok(client)
    }

    /// Starts a sign-in through `provider`: its authorization URL (code flow, PKCE, `state`,
    /// `nonce`), with what the answer is checked against kept for [`SSO_LOGIN_TTL_MINUTES`].
    pub async fn begin_sso(
        &self,
        provider: &IdentityProviderRecord,
        redirect_uri: &str,
        return_to: &str,
    ) -> AccountsResult<SsoStart> {
        if !provider.enabled {
            return Err(SsoFailure::Disabled.into());
        }
        let client = self.oidc_client(provider, redirect_uri).await?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let mut request = client
            .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
            .add_scope(Scope::new("email".into()))
            .add_scope(Scope::new("profile".into()))
            .set_pkce_challenge(challenge);
        if let (IdentityProviderKind::Google, [domain]) =
            (provider.policy.kind, provider.policy.allowed_domains.as_slice())
        {
            // Google's account chooser then offers only the Workspace domain's accounts.
            request = request.add_extra_param("hd", domain.clone());
        }
        let (url, state, nonce) = request.url();
        let pending = PendingSsoLogin {
            provider: provider.id,
            nonce: nonce.secret().clone(),
            pkce_verifier: verifier.secret().clone(),
            return_to: return_to.to_string(),
            expires_at: Utc::now() + Duration::minutes(SSO_LOGIN_TTL_MINUTES),
        };
        self.store.begin_sso_login(&hash_secret(state.secret()), &pending).await?;
        Ok(SsoStart { authorize_url: url.to_string(), state: state.secret().clone() })
    }

    /// Finishes a sign-in with the provider's answer (`state` and `code`): exchanges the code,
    /// verifies the ID token, applies the organisation's rules and signs the person in (creating,
    /// linking and adding them to the organisation as the rules allow), all or nothing.
    pub async fn finish_sso(&self, state: &str, code: &str, redirect_uri: &str) -> AccountsResult<SsoCompleted> {
        let pending = self.store.take_sso_login(&hash_secret(state)).await?.ok_or(SsoFailure::StateInvalid)?;
        let provider = self.store.identity_provider(pending.provider).await?.ok_or(SsoFailure::StateInvalid)?;
        if !provider.enabled {
            return Err(SsoFailure::Disabled.into());
        }
        let client = self.oidc_client(&provider, redirect_uri).await?;
        let token = client
            .exchange_code(AuthorizationCode::new(code.to_string()))
            .map_err(unavailable)?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier.clone()))
            .request_async(self.sso_http())
            .await
            .map_err(rejected)?;
        let id_token = token.id_token().ok_or_else(|| rejected("the token response holds no ID token"))?;
        let claims =
            id_token.claims(&client.id_token_verifier(), &Nonce::new(pending.nonce.clone())).map_err(rejected)?;
        let extra = payload_claims(id_token)?;
        let identity = AssertedIdentity {
            subject: claims.subject().as_str().to_string(),
            email: claims.email().map(|e| e.as_str().to_string()),
            email_verified: claims.email_verified().unwrap_or(false),
            name: claims.name().and_then(|n| n.get(None)).map(|n| n.as_str().to_string()),
            hosted_domain: extra.get("hd").and_then(|v| v.as_str()).map(str::to_string),
            district: extra.get("district").and_then(|v| v.as_str()).map(str::to_string),
            role_values: provider.policy.role_claim.as_deref().map(|c| claim_strings(extra.get(c))).unwrap_or_default(),
        };
        provider.policy.admit(&identity).map_err(SsoFailure::from)?;
        let email = identity.email.as_deref().map(normalise_email).transpose().map_err(|_| SsoRefusal::EmailMissing);
        let email = email.map_err(SsoFailure::from)?.ok_or(SsoFailure::Refused(SsoRefusal::EmailMissing))?;
        let account = match self.store.person_by_sso_identity(provider.id, &identity.subject).await? {
            Some(person) => SsoAccount::Person(person),
            None => match self.store.person_with_password(&email).await? {
                Some((person, _)) => {
                    provider.policy.may_link_existing(&identity).map_err(SsoFailure::from)?;
                    SsoAccount::Person(person.id)
                }
                None => {
                    let local = email.split('@').next().unwrap_or_default().to_string();
                    let display_name = identity
                        .name
                        .as_deref()
                        .and_then(|n| validate_display_name(n, "name").ok())
                        .or_else(|| validate_display_name(&local, "name").ok())
                        .unwrap_or_else(|| "Member".to_string());
                    SsoAccount::New { email, display_name }
                }
            },
        };
        let role = provider.policy.role_for(&identity);
        let signed_in = self
            .store
            .complete_sso_sign_in(provider.org, provider.id, &identity.subject, &account, role)
            .await
            .map_err(|e| match e {
                // A second sign-in of the same new person raced this one: start again.
                StoreError::Duplicate(_) => AccountsError::Sso(SsoFailure::StateInvalid),
                other => other.into(),
            })?;
        let person = self.store.person(signed_in.person).await?;
        Ok(SsoCompleted { person, org: provider.org, signed_in, return_to: pending.return_to })
    }
}
