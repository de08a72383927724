//! OAuth for native and integration clients: registered clients, authorization codes, grants
//! (a person's approval of a client and its family of refresh tokens), refresh tokens exchanged
//! once each, and the signing keys of access tokens (private halves sealed by the caller).

use crate::{
    MfaStanding, Store, StoreError, StoreResult, in_tx,
    mfa::MFA_STANDING_COLUMNS,
    on_pool,
    people::{PERSON_COLUMNS, PersonRow},
    rows::*,
};
use chrono::{DateTime, Utc};
use wayfinder_accounts_rules::{
    OAuthClientId, OAuthGrantId, Person, PersonId,
    oauth::{GrantRevocation, OAuthClientKind, PublicKey},
};

/// A registered client.
#[derive(Clone, Debug)]
pub struct OAuthClient {
    pub id: OAuthClientId,
    pub name: String,
    pub kind: OAuthClientKind,
    /// Digest of a confidential client's secret.
    pub secret_digest: Option<String>,
    pub redirect_uris: Vec<String>,
    pub created_by: Option<PersonId>,
    pub created_at: DateTime<Utc>,
}

/// A client to register.
#[derive(Clone, Debug)]
pub struct NewOAuthClient {
    pub name: String,
    pub kind: OAuthClientKind,
    pub secret_digest: Option<String>,
    pub redirect_uris: Vec<String>,
    pub created_by: PersonId,
}

/// An authorization code issued to a client for a person.
#[derive(Clone, Debug)]
pub struct AuthorizationCode {
    pub client: OAuthClientId,
    pub person: PersonId,
    pub redirect_uri: String,
    pub code_challenge: String,
    pub scope: String,
    pub expires_at: DateTime<Utc>,
    /// The grant the code was redeemed for, once it was.
    pub grant: Option<OAuthGrantId>,
}

/// A person's approval of a client.
#[derive(Clone, Debug)]
pub struct OAuthGrant {
    pub id: OAuthGrantId,
    pub client: OAuthClientId,
    pub client_name: String,
    pub person: PersonId,
    pub scope: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: DateTime<Utc>,
    pub revoked: Option<GrantRevocation>,
}

/// A refresh token as stored, with its grant.
#[derive(Clone, Debug)]
pub struct RefreshTokenRecord {
    pub grant: OAuthGrant,
    pub expires_at: DateTime<Utc>,
    /// When it was exchanged for the next one: presenting it again is reuse.
    pub exchanged_at: Option<DateTime<Utc>>,
}

/// The first refresh token of a new grant.
#[derive(Clone, Debug)]
pub struct NewRefreshToken {
    pub digest: String,
    pub expires_at: DateTime<Utc>,
}

/// A signing key of access tokens.
#[derive(Clone, Debug)]
pub struct StoredSigningKey {
    pub kid: String,
    /// The private key (PKCS#1 DER), sealed with the server key for the record `oauth-signing-key:<kid>`.
    pub private_key_sealed: String,
    pub public: PublicKey,
    pub created_at: DateTime<Utc>,
    pub retired_at: Option<DateTime<Utc>>,
}

/// Who an access token speaks for, and whether its grant still stands.
#[derive(Clone, Debug)]
pub struct AccessAuth {
    pub person: Person,
    pub mfa: MfaStanding,
    pub grant_ended: bool,
}

type ClientRow = (String, String, String, Option<String>, String, Option<String>, i64);
const CLIENT_COLUMNS: &str = "id, name, kind, secret_digest, redirect_uris, created_by, created_at";

fn client_from(row: ClientRow) -> StoreResult<OAuthClient> {
    let (id, name, kind, secret_digest, redirect_uris, created_by, created_at) = row;
    Ok(OAuthClient {
        id: parse(&id, "client id")?,
        name,
        kind: parse(&kind, "client kind")?,
        secret_digest,
        redirect_uris: json_list(&redirect_uris),
        created_by: created_by.map(|p| parse(&p, "person id")).transpose()?,
        created_at: time(created_at),
    })
}

type GrantRow = (String, String, String, String, String, i64, i64, Option<String>);
const GRANT_COLUMNS: &str =
    "g.id, g.client_id, c.name, g.person_id, g.scope, g.created_at, g.last_used_at, g.revoked_reason";

fn grant_from(row: GrantRow) -> StoreResult<OAuthGrant> {
    let (id, client, client_name, person, scope, created_at, last_used_at, revoked) = row;
    Ok(OAuthGrant {
        id: parse(&id, "grant id")?,
        client: parse(&client, "client id")?,
        client_name,
        person: parse(&person, "person id")?,
        scope,
        created_at: time(created_at),
        last_used_at: time(last_used_at),
        revoked: revoked.map(|r| parse(&r, "revocation")).transpose()?,
    })
}

#[derive(sqlx::FromRow)]
struct AccessAuthRow {
    #[sqlx(flatten)]
    person: PersonRow,
    mfa_enabled: bool,
    mfa_required_as_admin: bool,
    grant_ended: bool,
}

impl Store {
    /// Registers a client.
    pub async fn create_oauth_client(&self, new: &NewOAuthClient) -> StoreResult<OAuthClient> {
        let id = OAuthClientId::new();
        let now = now_ms();
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO oauth_clients (id, name, kind, secret_digest, redirect_uris, created_by, created_at, removed_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)")
            .bind(id.to_string()).bind(&new.name).bind(<&str>::from(new.kind)).bind(&new.secret_digest)
            .bind(to_json(&new.redirect_uris)).bind(new.created_by.to_string()).bind(now)
            .execute(pool).await.map(|_| ())?);
        Ok(OAuthClient {
            id,
            name: new.name.clone(),
            kind: new.kind,
            secret_digest: new.secret_digest.clone(),
            redirect_uris: new.redirect_uris.clone(),
            created_by: Some(new.created_by),
            created_at: time(now),
        })
    }

    /// The registered clients (not removed), oldest first.
    pub async fn oauth_clients(&self) -> StoreResult<Vec<OAuthClient>> {
        let sql =
            format!("SELECT {CLIENT_COLUMNS} FROM oauth_clients WHERE removed_at IS NULL ORDER BY created_at, id");
        let rows: Vec<ClientRow> = on_pool!(self, pool => sqlx::query_as(&sql).fetch_all(pool).await?);
        rows.into_iter().map(client_from).collect()
    }

    /// A registered client that has not been removed.
    pub async fn oauth_client(&self, id: OAuthClientId) -> StoreResult<Option<OAuthClient>> {
        let sql = format!("SELECT {CLIENT_COLUMNS} FROM oauth_clients WHERE id = $1 AND removed_at IS NULL");
        let row: Option<ClientRow> =
            on_pool!(self, pool => sqlx::query_as(&sql).bind(id.to_string()).fetch_optional(pool).await?);
        row.map(client_from).transpose()
    }

    /// Removes a client and ends every grant it holds, in one transaction.
    pub async fn remove_oauth_client(&self, id: OAuthClientId) -> StoreResult<()> {
        let now = now_ms();
        in_tx!(self, tx => {
            let done = sqlx::query("UPDATE oauth_clients SET removed_at = $2 WHERE id = $1 AND removed_at IS NULL")
                .bind(id.to_string()).bind(now).execute(&mut *tx).await?.rows_affected();
            if done == 0 {
                return Err(StoreError::NotFound);
            }
            sqlx::query("UPDATE oauth_grants SET revoked_at = $2, revoked_reason = $3 WHERE client_id = $1 AND revoked_at IS NULL")
                .bind(id.to_string()).bind(now).bind(<&str>::from(GrantRevocation::ClientRemoved))
                .execute(&mut *tx).await?;
        });
        Ok(())
    }

    /// Stores an authorization code (by digest), clearing codes that have expired.
    pub async fn create_authorization_code(&self, digest: &str, code: &AuthorizationCode) -> StoreResult<()> {
        let now = now_ms();
        in_tx!(self, tx => {
            sqlx::query("DELETE FROM oauth_authorization_codes WHERE expires_at < $1 AND grant_id IS NULL")
                .bind(now - 86_400_000).execute(&mut *tx).await?;
            sqlx::query(
                "INSERT INTO oauth_authorization_codes
                   (code_digest, client_id, person_id, redirect_uri, code_challenge, scope, expires_at, grant_id)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, NULL)")
                .bind(digest).bind(code.client.to_string()).bind(code.person.to_string()).bind(&code.redirect_uri)
                .bind(&code.code_challenge).bind(&code.scope).bind(code.expires_at.timestamp_millis())
                .execute(&mut *tx).await?;
        });
        Ok(())
    }

    /// The authorization code with this digest.
    pub async fn authorization_code(&self, digest: &str) -> StoreResult<Option<AuthorizationCode>> {
        type Row = (String, String, String, String, String, i64, Option<String>);
        let row: Option<Row> = on_pool!(self, pool => sqlx::query_as(
            "SELECT client_id, person_id, redirect_uri, code_challenge, scope, expires_at, grant_id
             FROM oauth_authorization_codes WHERE code_digest = $1")
            .bind(digest).fetch_optional(pool).await?);
        row.map(|(client, person, redirect_uri, code_challenge, scope, expires_at, grant)| {
            Ok(AuthorizationCode {
                client: parse(&client, "client id")?,
                person: parse(&person, "person id")?,
                redirect_uri,
                code_challenge,
                scope,
                expires_at: time(expires_at),
                grant: grant.map(|g| parse(&g, "grant id")).transpose()?,
            })
        })
        .transpose()
    }

    /// Redeems an authorization code: creates its grant with a first refresh token, in one
    /// transaction. `Duplicate("code")` when the code was redeemed already (perhaps a moment ago).
    pub async fn grant_from_code(
        &self,
        digest: &str,
        code: &AuthorizationCode,
        refresh: &NewRefreshToken,
    ) -> StoreResult<OAuthGrantId> {
        let grant = OAuthGrantId::new();
        let now = now_ms();
        in_tx!(self, tx => {
            sqlx::query(
                "INSERT INTO oauth_grants (id, client_id, person_id, scope, created_at, last_used_at, revoked_at, revoked_reason)
                 VALUES ($1, $2, $3, $4, $5, $5, NULL, NULL)")
                .bind(grant.to_string()).bind(code.client.to_string()).bind(code.person.to_string())
                .bind(&code.scope).bind(now).execute(&mut *tx).await?;
            let taken = sqlx::query(
                "UPDATE oauth_authorization_codes SET grant_id = $2 WHERE code_digest = $1 AND grant_id IS NULL")
                .bind(digest).bind(grant.to_string()).execute(&mut *tx).await?.rows_affected();
            if taken == 0 {
                return Err(StoreError::Duplicate("code"));
            }
            sqlx::query(
                "INSERT INTO oauth_refresh_tokens (token_digest, grant_id, created_at, expires_at, exchanged_at)
                 VALUES ($1, $2, $3, $4, NULL)")
                .bind(&refresh.digest).bind(grant.to_string()).bind(now).bind(refresh.expires_at.timestamp_millis())
                .execute(&mut *tx).await?;
        });
        Ok(grant)
    }

    /// The refresh token with this digest, with its grant.
    pub async fn refresh_token(&self, digest: &str) -> StoreResult<Option<RefreshTokenRecord>> {
        let sql = format!(
            "SELECT {GRANT_COLUMNS}, r.expires_at, r.exchanged_at FROM oauth_refresh_tokens r
             JOIN oauth_grants g ON g.id = r.grant_id JOIN oauth_clients c ON c.id = g.client_id
             WHERE r.token_digest = $1"
        );
        type Row = (String, String, String, String, String, i64, i64, Option<String>, i64, Option<i64>);
        let row: Option<Row> = on_pool!(self, pool => sqlx::query_as(&sql).bind(digest).fetch_optional(pool).await?);
        row.map(|(id, client, name, person, scope, created, used, revoked, expires_at, exchanged_at)| {
            Ok(RefreshTokenRecord {
                grant: grant_from((id, client, name, person, scope, created, used, revoked))?,
                expires_at: time(expires_at),
                exchanged_at: opt_time(exchanged_at),
            })
        })
        .transpose()
    }

    /// Exchanges a refresh token for the next one of its grant, in one transaction: false when
    /// it was exchanged already (a concurrent exchange counts as reuse) or its grant has ended.
    pub async fn rotate_refresh_token(
        &self,
        old_digest: &str,
        grant: OAuthGrantId,
        next: &NewRefreshToken,
    ) -> StoreResult<bool> {
        let now = now_ms();
        let rotated = in_tx!(self, tx => {
            let taken = sqlx::query(
                "UPDATE oauth_refresh_tokens SET exchanged_at = $2
                 WHERE token_digest = $1 AND exchanged_at IS NULL
                   AND grant_id IN (SELECT id FROM oauth_grants WHERE id = $3 AND revoked_at IS NULL)")
                .bind(old_digest).bind(now).bind(grant.to_string()).execute(&mut *tx).await?.rows_affected();
            if taken == 1 {
                sqlx::query(
                    "INSERT INTO oauth_refresh_tokens (token_digest, grant_id, created_at, expires_at, exchanged_at)
                     VALUES ($1, $2, $3, $4, NULL)")
                    .bind(&next.digest).bind(grant.to_string()).bind(now).bind(next.expires_at.timestamp_millis())
                    .execute(&mut *tx).await?;
                sqlx::query("UPDATE oauth_grants SET last_used_at = $2 WHERE id = $1")
                    .bind(grant.to_string()).bind(now).execute(&mut *tx).await?;
            }
            taken == 1
        });
        Ok(rotated)
    }

    /// Ends a grant (its refresh tokens and access tokens stop working); false when it had ended.
    pub async fn revoke_oauth_grant(&self, grant: OAuthGrantId, reason: GrantRevocation) -> StoreResult<bool> {
        let done = on_pool!(self, pool => sqlx::query(
            "UPDATE oauth_grants SET revoked_at = $2, revoked_reason = $3 WHERE id = $1 AND revoked_at IS NULL")
            .bind(grant.to_string()).bind(now_ms()).bind(<&str>::from(reason)).execute(pool).await?.rows_affected());
        Ok(done == 1)
    }

    /// A grant by id.
    pub async fn oauth_grant(&self, grant: OAuthGrantId) -> StoreResult<Option<OAuthGrant>> {
        let sql = format!(
            "SELECT {GRANT_COLUMNS} FROM oauth_grants g JOIN oauth_clients c ON c.id = g.client_id WHERE g.id = $1"
        );
        let row: Option<GrantRow> =
            on_pool!(self, pool => sqlx::query_as(&sql).bind(grant.to_string()).fetch_optional(pool).await?);
        row.map(grant_from).transpose()
    }

    /// The person's grants still standing, most recently used first.
    pub async fn person_oauth_grants(&self, person: PersonId) -> StoreResult<Vec<OAuthGrant>> {
        let sql = format!(
            "SELECT {GRANT_COLUMNS} FROM oauth_grants g JOIN oauth_clients c ON c.id = g.client_id
             WHERE g.person_id = $1 AND g.revoked_at IS NULL ORDER BY g.last_used_at DESC, g.id"
        );
        let rows: Vec<GrantRow> =
            on_pool!(self, pool => sqlx::query_as(&sql).bind(person.to_string()).fetch_all(pool).await?);
        rows.into_iter().map(grant_from).collect()
    }

    /// Who an access token of `grant` speaks for, in one query.
    pub async fn access_auth(&self, grant: OAuthGrantId) -> StoreResult<Option<AccessAuth>> {
        let sql = format!(
            "SELECT {PERSON_COLUMNS}, {MFA_STANDING_COLUMNS},
                    (g.revoked_at IS NOT NULL OR c.removed_at IS NOT NULL) AS grant_ended
             FROM oauth_grants g JOIN people p ON p.id = g.person_id JOIN oauth_clients c ON c.id = g.client_id
             WHERE g.id = $1"
        );
        let row: Option<AccessAuthRow> =
            on_pool!(self, pool => sqlx::query_as(&sql).bind(grant.to_string()).fetch_optional(pool).await?);
        row.map(|r| {
            let mfa = MfaStanding { enabled: r.mfa_enabled, required_as_admin: r.mfa_required_as_admin };
            Ok(AccessAuth { person: r.person.into_person()?, mfa, grant_ended: r.grant_ended })
        })
        .transpose()
    }

    /// Every signing key kept, newest first.
    pub async fn signing_keys(&self) -> StoreResult<Vec<StoredSigningKey>> {
        type Row = (String, String, String, String, i64, Option<i64>);
        let rows: Vec<Row> = on_pool!(self, pool => sqlx::query_as(
            "SELECT kid, private_key_sealed, public_n, public_e, created_at, retired_at FROM oauth_signing_keys
             ORDER BY created_at DESC, kid")
            .fetch_all(pool).await?);
        Ok(rows
            .into_iter()
            .map(|(kid, private_key_sealed, n, e, created_at, retired_at)| StoredSigningKey {
                kid,
                private_key_sealed,
                public: PublicKey { n, e },
                created_at: time(created_at),
                retired_at: opt_time(retired_at),
            })
            .collect())
    }

    /// Adds a signing key; with `retire_others`, the keys before it stop signing (they still verify).
    pub async fn add_signing_key(&self, key: &StoredSigningKey, retire_others: bool) -> StoreResult<()> {
        in_tx!(self, tx => {
            if retire_others {
                sqlx::query("UPDATE oauth_signing_keys SET retired_at = $1 WHERE retired_at IS NULL")
                    .bind(key.created_at.timestamp_millis()).execute(&mut *tx).await?;
            }
            sqlx::query(
                "INSERT INTO oauth_signing_keys (kid, private_key_sealed, public_n, public_e, created_at, retired_at)
                 VALUES ($1, $2, $3, $4, $5, NULL)")
                .bind(&key.kid).bind(&key.private_key_sealed).bind(&key.public.n).bind(&key.public.e)
                .bind(key.created_at.timestamp_millis()).execute(&mut *tx).await?;
        });
        Ok(())
    }

    /// Replaces a key's sealed private half (sealed again with a new server key).
    pub async fn reseal_signing_key(&self, kid: &str, sealed: &str) -> StoreResult<()> {
        on_pool!(self, pool => sqlx::query("UPDATE oauth_signing_keys SET private_key_sealed = $2 WHERE kid = $1")
            .bind(kid).bind(sealed).execute(pool).await.map(|_| ())?);
        Ok(())
    }

    /// Deletes keys retired before `cutoff` (no token they signed is still valid).
    pub async fn delete_signing_keys_retired_before(&self, cutoff: DateTime<Utc>) -> StoreResult<u64> {
        let n = on_pool!(self, pool => sqlx::query("DELETE FROM oauth_signing_keys WHERE retired_at < $1")
            .bind(cutoff.timestamp_millis()).execute(pool).await?.rows_affected());
        Ok(n)
    }
}
