//! Tokens for native and integration clients (OAuth 2.1): operators register clients; a signed-in
//! person approves one (authorization code + PKCE); the client exchanges the code for a 15-minute
//! RS256 access token and a refresh token; each refresh token is exchanged once for the next, and
//! one presented again ends its whole family. Access tokens are checked against their grant on
//! every request, so ending a grant ends its tokens at once.
//!
//! Signing keys live in the database, their private halves sealed with the server key, so every
//! instance signs and verifies with the same keys. Rotation adds a key that signs from then on;
//! the keys before it keep verifying for [`RETIRED_KEY_VERIFIES_MINUTES`] and stay published in
//! the JWKS until then.

use crate::{Accounts, AccountsError, AccountsResult};
use chrono::{DateTime, Duration, Utc};
use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Instant,
};
use wayfinder_accounts_rules::{
    OAuthClientId, OAuthGrantId, PersonId, ValidationError, constant_time_eq, hash_secret, new_secret,
    oauth::{
        ACCESS_TOKEN_MINUTES, AUTHORIZATION_CODE_SECONDS, AccessClaims, AccessTokenError, GrantRevocation,
        OAuthClientKind, OAuthError, OAuthErrorCode, PublicKey, REFRESH_TOKEN_DAYS, RETIRED_KEY_VERIFIES_MINUTES,
        Signer, api_audience, generate_signing_key, granted_scope, jwt_key_id, pkce_verifies, redirect_uri_matches,
        validate_code_challenge, validate_redirect_uri, verify_access_token,
    },
    validate_display_name,
};
use wayfinder_store::{
    AccessAuth, AuthorizationCode, NewAuditEvent, NewOAuthClient, NewRefreshToken, OAuthClient, OAuthGrant, StoreError,
    StoredSigningKey,
};

/// How long an instance signs with the key it loaded before looking for a newer one.
const SIGNER_REFRESH_SECONDS: u64 = 30;
/// At most one reload a second for key ids this instance has not seen.
const UNKNOWN_KID_RELOAD_MS: u128 = 1000;

/// A client to register.
#[derive(Clone, Debug)]
pub struct ClientRegistration {
    pub name: String,
    pub kind: OAuthClientKind,
    pub redirect_uris: Vec<String>,
}

/// What a client sent to the authorization endpoint.
#[derive(Clone, Debug, Default)]
pub struct AuthorizationRequest {
    pub response_type: Option<String>,
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
}

/// The authorization request checked: what to ask the person, or where to send the refusal.
#[derive(Clone, Debug)]
pub enum AuthorizationCheck {
    /// Ask the person whether `client` may act for them with `scope`.
    Consent { client: OAuthClient, redirect_uri: String, scope: &'static str },
    /// The client and its redirect address are right but the request is not: send it back there.
    RedirectError { redirect_to: String },
}

/// How the client authenticated at the token endpoint (Basic or form fields).
#[derive(Clone, Debug, Default)]
pub struct ClientCredentials {
    pub client_id: Option<String>,
    pub client_secret: Option<String>,
}

/// A token endpoint's answer.
#[derive(Clone, Debug)]
pub struct IssuedTokens {
    pub access_token: String,
    pub expires_in: i64,
    pub refresh_token: String,
    pub scope: String,
}

/// An authenticated access token.
#[derive(Clone, Debug)]
pub struct AccessGranted {
    pub auth: AccessAuth,
    pub grant: OAuthGrantId,
    pub client: OAuthClientId,
}

/// The signing keys as this instance last read them.
#[derive(Default)]
pub(crate) struct SigningKeys {
    cache: Mutex<KeyCache>,
}

impl std::fmt::Debug for SigningKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningKeys")
    }
}

#[derive(Default)]
struct KeyCache {
    signer: Option<Arc<Signer>>,
    /// Published keys: current and retired ones still verifying, with when they stop.
    verifiers: HashMap<String, (PublicKey, Option<DateTime<Utc>>)>,
    loaded_at: Option<Instant>,
}

fn oauth(code: OAuthErrorCode, description: &str) -> AccountsError {
    AccountsError::OAuth(OAuthError::new(code, description))
}

fn sealing_context(kid: &str) -> String {
    format!("oauth-signing-key:{kid}")
}

impl Accounts {
    /// Registers a client; a confidential one gets a secret, returned here once.
    pub async fn register_oauth_client(
        &self,
        by: PersonId,
        registration: ClientRegistration,
        ip: Option<String>,
    ) -> AccountsResult<(OAuthClient, Option<String>)> {
        let name = validate_display_name(&registration.name, "name")?;
        if registration.redirect_uris.is_empty() || registration.redirect_uris.len() > 10 {
            return Err(ValidationError::new("redirect_uris", "give between 1 and 10 redirect addresses").into());
        }
        let redirect_uris =
            registration.redirect_uris.iter().map(|u| validate_redirect_uri(u)).collect::<Result<Vec<_>, _>>()?;
        let secret = (registration.kind == OAuthClientKind::Confidential).then(|| new_secret("wfcs"));
        let new = NewOAuthClient {
            name,
            kind: registration.kind,
            secret_digest: secret.as_ref().map(|s| s.digest.clone()),
            redirect_uris,
            created_by: by,
        };
        let client = self.store.create_oauth_client(&new).await?;
        self.audit_oauth(
            by,
            "oauth.client_registered",
            client.id.to_string(),
            ip,
            serde_json::json!({"name": client.name}),
        )
        .await?;
        Ok((client, secret.map(|s| s.plaintext)))
    }

    /// The registered clients.
    pub async fn oauth_clients(&self) -> AccountsResult<Vec<OAuthClient>> {
        Ok(self.store.oauth_clients().await?)
    }

    /// Removes a client; every grant it holds ends.
    pub async fn remove_oauth_client(&self, by: PersonId, id: OAuthClientId, ip: Option<String>) -> AccountsResult<()> {
        self.store.remove_oauth_client(id).await.map_err(crate::missing("client"))?;
        self.audit_oauth(by, "oauth.client_removed", id.to_string(), ip, serde_json::json!({})).await
    }

    /// Checks an authorization request before the person is asked. An unknown client or a
    /// redirect address it did not register is an error shown to the person (never a redirect).
    pub async fn check_authorization(&self, request: &AuthorizationRequest) -> AccountsResult<AuthorizationCheck> {
        let client = match request.client_id.as_deref().map(str::parse::<OAuthClientId>) {
            Some(Ok(id)) => self.store.oauth_client(id).await?,
            _ => None,
        };
        let Some(client) = client else {
            return Err(AccountsError::OAuthClient("no registered client has this client_id".into()));
        };
        let Some(redirect_uri) = request.redirect_uri.clone() else {
            return Err(AccountsError::OAuthClient("redirect_uri is required".into()));
        };
        if !redirect_uri_matches(&client.redirect_uris, &redirect_uri) {
            return Err(AccountsError::OAuthClient(format!("{redirect_uri} is not registered for {}", client.name)));
        }
        let refusal = |error: OAuthError| {
            Ok(AuthorizationCheck::RedirectError {
                redirect_to: redirect_with_error(&redirect_uri, &error, &request.state),
            })
        };
        if request.response_type.as_deref() != Some("code") {
            return refusal(OAuthError::new(OAuthErrorCode::UnsupportedResponseType, "response_type must be code"));
        }
        let challenge = request.code_challenge.as_deref().unwrap_or_default();
        if let Err(error) = validate_code_challenge(challenge, request.code_challenge_method.as_deref()) {
            return refusal(error);
        }
        match granted_scope(request.scope.as_deref()) {
            Ok(scope) => Ok(AuthorizationCheck::Consent { client, redirect_uri, scope }),
            Err(error) => refusal(error),
        }
    }

    /// The person's answer to an authorization request: where to send their browser — back to the
    /// client with a code (allowed) or with `access_denied`.
    pub async fn decide_authorization(
        &self,
        person: PersonId,
        request: &AuthorizationRequest,
        allow: bool,
    ) -> AccountsResult<String> {
        let (client, redirect_uri, scope) = match self.check_authorization(request).await? {
            AuthorizationCheck::RedirectError { redirect_to } => return Ok(redirect_to),
            AuthorizationCheck::Consent { client, redirect_uri, scope } => (client, redirect_uri, scope),
        };
        if !allow {
            let denied = OAuthError::new(OAuthErrorCode::AccessDenied, "the person declined");
            return Ok(redirect_with_error(&redirect_uri, &denied, &request.state));
        }
        let code = new_secret("wfac");
        let record = AuthorizationCode {
            client: client.id,
            person,
            redirect_uri: redirect_uri.clone(),
            code_challenge: request.code_challenge.clone().unwrap_or_default(),
            scope: scope.to_string(),
            expires_at: Utc::now() + Duration::seconds(AUTHORIZATION_CODE_SECONDS),
            grant: None,
        };
        self.store.create_authorization_code(&code.digest, &record).await?;
        let mut params = vec![("code", code.plaintext.as_str())];
        if let Some(state) = &request.state {
            params.push(("state", state));
        }
        Ok(with_query(&redirect_uri, &params))
    }

    /// Exchanges an authorization code (with its PKCE verifier) for the first tokens of a grant.
    /// A code presented a second time ends the grant it created.
    pub async fn exchange_authorization_code(
        &self,
        credentials: &ClientCredentials,
        code: &str,
        redirect_uri: Option<&str>,
        code_verifier: Option<&str>,
        issuer: &str,
    ) -> AccountsResult<IssuedTokens> {
        let client = self.authenticate_client(credentials).await?;
        let digest = hash_secret(code);
        let invalid = || oauth(OAuthErrorCode::InvalidGrant, "the authorization code is not valid");
        let Some(record) = self.store.authorization_code(&digest).await? else { return Err(invalid()) };
        if record.client != client.id {
            return Err(invalid());
        }
        if let Some(grant) = record.grant {
            self.end_grant(grant, GrantRevocation::CodeReused).await?;
            return Err(oauth(
                OAuthErrorCode::InvalidGrant,
                "the authorization code was used already; its tokens are revoked",
            ));
        }
        if record.expires_at <= Utc::now() {
            return Err(oauth(OAuthErrorCode::InvalidGrant, "the authorization code has expired"));
        }
        if redirect_uri != Some(record.redirect_uri.as_str()) {
            return Err(oauth(OAuthErrorCode::InvalidGrant, "redirect_uri differs from the authorization request's"));
        }
        if !code_verifier.is_some_and(|v| pkce_verifies(v, &record.code_challenge)) {
            return Err(oauth(OAuthErrorCode::InvalidGrant, "code_verifier does not match the code_challenge"));
        }
        let refresh = new_secret("wfrt");
        let first = NewRefreshToken { digest: refresh.digest.clone(), expires_at: refresh_expiry() };
        let grant = match self.store.grant_from_code(&digest, &record, &first).await {
            Ok(grant) => grant,
            Err(StoreError::Duplicate(_)) => return Err(invalid()),
            Err(other) => return Err(other.into()),
        };
        self.audit_oauth(
            record.person,
            "oauth.grant_created",
            grant.to_string(),
            None,
            serde_json::json!({"client": client.name}),
        )
        .await?;
        let access_token = self.sign_access_token(record.person, client.id, grant, &record.scope, issuer).await?;
        Ok(IssuedTokens {
            access_token,
            expires_in: ACCESS_TOKEN_MINUTES * 60,
            refresh_token: refresh.plaintext,
            scope: record.scope,
        })
    }

    /// Exchanges a refresh token for the next one and a new access token. A token exchanged
    /// already ends its whole family: whoever holds the newer one is cut off too.
    pub async fn refresh_tokens(
        &self,
        credentials: &ClientCredentials,
        refresh_token: &str,
        scope: Option<&str>,
        issuer: &str,
    ) -> AccountsResult<IssuedTokens> {
        let client = self.authenticate_client(credentials).await?;
        let digest = hash_secret(refresh_token);
        let invalid = |why: &str| oauth(OAuthErrorCode::InvalidGrant, why);
        let Some(record) = self.store.refresh_token(&digest).await? else {
            return Err(invalid("the refresh token is not valid"));
        };
        let grant = &record.grant;
        if grant.client != client.id {
            return Err(invalid("the refresh token is not valid"));
        }
        if grant.revoked.is_some() {
            return Err(invalid("the refresh token has been revoked"));
        }
        if record.exchanged_at.is_some() {
            self.end_grant(grant.id, GrantRevocation::RefreshTokenReused).await?;
            return Err(invalid("the refresh token was used already; every token of this sign-in is revoked"));
        }
        if record.expires_at <= Utc::now() {
            return Err(invalid("the refresh token has expired"));
        }
        granted_scope(scope).map_err(AccountsError::OAuth)?;
        let next = new_secret("wfrt");
        let rotated = self
            .store
            .rotate_refresh_token(
                &digest,
                grant.id,
                &NewRefreshToken { digest: next.digest.clone(), expires_at: refresh_expiry() },
            )
            .await?;
        if !rotated {
            // Exchanged (or ended) between the read and now: two exchanges of one token.
            self.end_grant(grant.id, GrantRevocation::RefreshTokenReused).await?;
            return Err(invalid("the refresh token was used already; every token of this sign-in is revoked"));
        }
        let access_token = self.sign_access_token(grant.person, client.id, grant.id, &grant.scope, issuer).await?;
        Ok(IssuedTokens {
            access_token,
            expires_in: ACCESS_TOKEN_MINUTES * 60,
            refresh_token: next.plaintext,
            scope: grant.scope.clone(),
        })
    }

    /// Revokes a refresh token's grant at the client's request (RFC 7009): unknown tokens are
    /// not an error, so a client cannot probe which tokens exist.
    pub async fn revoke_refresh_token(&self, credentials: &ClientCredentials, token: &str) -> AccountsResult<()> {
        let client = self.authenticate_client(credentials).await?;
        if let Some(record) = self.store.refresh_token(&hash_secret(token)).await?
            && record.grant.client == client.id
        {
            self.end_grant(record.grant.id, GrantRevocation::SignedOut).await?;
        }
        Ok(())
    }

    /// The apps signed in as the person.
    pub async fn person_grants(&self, person: PersonId) -> AccountsResult<Vec<OAuthGrant>> {
        Ok(self.store.person_oauth_grants(person).await?)
    }

    /// Signs an app out of the person's account.
    pub async fn revoke_person_grant(&self, person: PersonId, grant: OAuthGrantId) -> AccountsResult<()> {
        let found = self.store.oauth_grant(grant).await?.filter(|g| g.person == person && g.revoked.is_none());
        if found.is_none() {
            return Err(AccountsError::NotFound("grant"));
        }
        self.end_grant(grant, GrantRevocation::SignedOut).await
    }

    /// Authenticates an access token: signature, lifetime, issuer and audience, then its grant
    /// (ended grants end their tokens at once).
    pub async fn authenticate_access_token(&self, token: &str, issuer: &str) -> AccountsResult<AccessGranted> {
        let invalid = || AccountsError::AccessToken(AccessTokenError::Invalid);
        let kid = jwt_key_id(token).ok_or_else(invalid)?;
        let key = self.verifying_key(&kid).await?.ok_or_else(invalid)?;
        let claims = verify_access_token(token, &key, issuer).map_err(AccountsError::AccessToken)?;
        let grant: OAuthGrantId = claims.sid.parse().map_err(|_| invalid())?;
        let client: OAuthClientId = claims.client_id.parse().map_err(|_| invalid())?;
        let auth = self.store.access_auth(grant).await?.ok_or_else(invalid)?;
        if claims.person() != Some(auth.person.id) {
            return Err(invalid());
        }
        if auth.grant_ended {
            return Err(AccountsError::GrantEnded);
        }
        Ok(AccessGranted { auth, grant, client })
    }

    /// The published keys (JWKS), read afresh (a key added by another instance is published at
    /// once), creating the first signing key when there is none.
    pub async fn published_keys(&self) -> AccountsResult<Vec<(String, PublicKey)>> {
        self.reload_signing_keys().await?;
        let cache = self.signing.cache.lock().expect("key cache");
        let now = Utc::now();
        let mut keys: Vec<(String, PublicKey)> = cache
            .verifiers
            .iter()
            .filter(|(_, (_, until))| until.is_none_or(|u| u > now))
            .map(|(kid, (key, _))| (kid.clone(), key.clone()))
            .collect();
        keys.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(keys)
    }

    /// Rotates the signing key: a new key signs from now on; the others keep verifying until the
    /// tokens they signed have expired. Returns the new key's id.
    pub async fn rotate_signing_key(&self, by: PersonId, ip: Option<String>) -> AccountsResult<String> {
        let kid = self.create_signing_key(true).await?;
        let cutoff = Utc::now() - Duration::minutes(RETIRED_KEY_VERIFIES_MINUTES);
        self.store.delete_signing_keys_retired_before(cutoff).await?;
        self.audit_oauth(by, "oauth.signing_key_rotated", kid.clone(), ip, serde_json::json!({})).await?;
        Ok(kid)
    }

    /// Reads the signing keys at start-up: a key sealed with a server key this instance lacks
    /// stops it here, with the reason, rather than at the first token. Keys sealed with a
    /// previous server key are sealed again with the current one.
    pub async fn check_signing_keys(&self) -> AccountsResult<usize> {
        let keys = self.store.signing_keys().await?;
        for key in &keys {
            if let Some(resealed) =
                self.settings.server_key.reseal(&key.private_key_sealed, &sealing_context(&key.kid))?
            {
                self.store.reseal_signing_key(&key.kid, &resealed).await?;
            }
        }
        Ok(keys.len())
    }

    async fn sign_access_token(
        &self,
        person: PersonId,
        client: OAuthClientId,
        grant: OAuthGrantId,
        scope: &str,
        issuer: &str,
    ) -> AccountsResult<String> {
        let now = Utc::now().timestamp();
        let issuer = issuer.trim_end_matches('/');
        let claims = AccessClaims {
            iss: issuer.to_string(),
            sub: person.to_string(),
            aud: api_audience(issuer),
            exp: now + ACCESS_TOKEN_MINUTES * 60,
            iat: now,
            jti: uuid::Uuid::now_v7().to_string(),
            client_id: client.to_string(),
            scope: scope.to_string(),
            sid: grant.to_string(),
        };
        let signer = self.signer().await?;
        signer.sign(&claims).map_err(|e| AccountsError::Conflict(format!("signing failed: {e}")))
    }

    /// The key this instance signs with: the newest unretired one (re-read every
    /// [`SIGNER_REFRESH_SECONDS`], so a rotation on another instance reaches this one).
    async fn signer(&self) -> AccountsResult<Arc<Signer>> {
        {
            let cache = self.signing.cache.lock().expect("key cache");
            let fresh = cache.loaded_at.is_some_and(|t| t.elapsed().as_secs() < SIGNER_REFRESH_SECONDS);
            if let (true, Some(signer)) = (fresh, &cache.signer) {
                return Ok(signer.clone());
            }
        }
        self.reload_signing_keys().await
    }

    /// Reads the signing keys afresh, creating the first one when there is none; answers the signer.
    async fn reload_signing_keys(&self) -> AccountsResult<Arc<Signer>> {
        self.load_signing_keys().await?;
        if let Some(signer) = self.signing.cache.lock().expect("key cache").signer.clone() {
            return Ok(signer);
        }
        self.create_signing_key(false).await?;
        self.signing.cache.lock().expect("key cache").signer.clone().ok_or(AccountsError::NotFound("signing key"))
    }

    async fn verifying_key(&self, kid: &str) -> AccountsResult<Option<PublicKey>> {
        let now = Utc::now();
        let lookup = |cache: &KeyCache| {
            cache.verifiers.get(kid).filter(|(_, until)| until.is_none_or(|u| u > now)).map(|(key, _)| key.clone())
        };
        let stale = {
            let cache = self.signing.cache.lock().expect("key cache");
            if let Some(key) = lookup(&cache) {
                return Ok(Some(key));
            }
            cache.loaded_at.is_none_or(|t| t.elapsed().as_millis() >= UNKNOWN_KID_RELOAD_MS)
        };
        if !stale {
            return Ok(None);
        }
        self.load_signing_keys().await?;
        Ok(lookup(&self.signing.cache.lock().expect("key cache")))
    }

    async fn load_signing_keys(&self) -> AccountsResult<()> {
        let keys = self.store.signing_keys().await?;
        let signer = match keys.iter().find(|k| k.retired_at.is_none()) {
            Some(key) => {
                let private = self.settings.server_key.open(&key.private_key_sealed, &sealing_context(&key.kid))?;
                Some(Arc::new(Signer::new(&key.kid, &private)))
            }
            None => None,
        };
        let verifiers = keys
            .into_iter()
            .map(|k| {
                let until = k.retired_at.map(|r| r + Duration::minutes(RETIRED_KEY_VERIFIES_MINUTES));
                (k.kid, (k.public, until))
            })
            .collect();
        *self.signing.cache.lock().expect("key cache") =
            KeyCache { signer, verifiers, loaded_at: Some(Instant::now()) };
        Ok(())
    }

    async fn create_signing_key(&self, retire_others: bool) -> AccountsResult<String> {
        let key = tokio::task::spawn_blocking(generate_signing_key)
            .await?
            .map_err(|e| AccountsError::Conflict(format!("could not generate a signing key: {e}")))?;
        let stored = StoredSigningKey {
            private_key_sealed: self.settings.server_key.seal(&key.private_der, &sealing_context(&key.kid)),
            kid: key.kid.clone(),
            public: key.public,
            created_at: Utc::now(),
            retired_at: None,
        };
        self.store.add_signing_key(&stored, retire_others).await?;
        self.load_signing_keys().await?;
        Ok(key.kid)
    }

    async fn authenticate_client(&self, credentials: &ClientCredentials) -> AccountsResult<OAuthClient> {
        let unknown = || oauth(OAuthErrorCode::InvalidClient, "unknown client, or wrong client secret");
        let id: OAuthClientId = credentials.client_id.as_deref().and_then(|id| id.parse().ok()).ok_or_else(unknown)?;
        let client = self.store.oauth_client(id).await?.ok_or_else(unknown)?;
        match (&client.secret_digest, &credentials.client_secret) {
            (None, None) => Ok(client),
            (Some(digest), Some(secret)) if constant_time_eq(hash_secret(secret).as_bytes(), digest.as_bytes()) => {
                Ok(client)
            }
            _ => Err(unknown()),
        }
    }

    async fn end_grant(&self, grant: OAuthGrantId, reason: GrantRevocation) -> AccountsResult<()> {
        if self.store.revoke_oauth_grant(grant, reason).await?
            && let Some(found) = self.store.oauth_grant(grant).await?
        {
            let detail = serde_json::json!({"client": found.client_name, "reason": reason});
            self.audit_oauth(found.person, "oauth.grant_revoked", grant.to_string(), None, detail).await?;
        }
        Ok(())
    }

    async fn audit_oauth(
        &self,
        actor: PersonId,
        action: &str,
        subject: String,
        ip: Option<String>,
        detail: serde_json::Value,
    ) -> AccountsResult<()> {
        let event =
            NewAuditEvent { org: None, actor: Some(actor), action: action.into(), subject: Some(subject), detail, ip };
        Ok(self.store.record_audit(&event).await?)
    }
}

fn refresh_expiry() -> DateTime<Utc> {
    Utc::now() + Duration::days(REFRESH_TOKEN_DAYS)
}

fn redirect_with_error(redirect_uri: &str, error: &OAuthError, state: &Option<String>) -> String {
    let code: &str = error.code.into();
    let mut params = vec![("error", code), ("error_description", error.description.as_str())];
    if let Some(state) = state {
        params.push(("state", state));
    }
    with_query(redirect_uri, &params)
}

/// `uri` with `params` added to its query.
fn with_query(uri: &str, params: &[(&str, &str)]) -> String {
    match url::Url::parse(uri) {
        Ok(mut url) => {
            url.query_pairs_mut().extend_pairs(params);
            url.to_string()
        }
        Err(_) => uri.to_string(),
    }
}
