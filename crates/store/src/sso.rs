//! Single sign-on: organisations' identity providers, the provider accounts linked to people,
//! and sign-ins under way between the redirect to a provider and its answer.

use crate::{Store, StoreError, StoreResult, duplicate_as, in_tx, on_pool, rows::*};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use wayfinder_accounts_rules::sso::{IdentityProviderKind, SsoPolicy};
use wayfinder_accounts_rules::{IdentityProviderId, OrgId, PersonId, Role};

/// An organisation's identity provider as stored (the client secret included: never show it).
#[derive(Clone, Debug)]
pub struct IdentityProviderRecord {
    pub id: IdentityProviderId,
    pub org: OrgId,
    pub name: String,
    pub issuer_url: String,
    pub client_id: String,
    pub client_secret: String,
    pub policy: SsoPolicy,
    pub enabled: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An identity provider to create or the new settings of one (`client_secret: None` keeps it).
#[derive(Clone, Debug)]
pub struct IdentityProviderWrite {
    pub name: String,
    pub issuer_url: String,
    pub client_id: String,
    pub client_secret: Option<String>,
    pub policy: SsoPolicy,
    pub enabled: bool,
}

/// A sign-in under way: what the answer from the provider is checked against.
#[derive(Clone, Debug)]
pub struct PendingSsoLogin {
    pub provider: IdentityProviderId,
    pub nonce: String,
    pub pkce_verifier: String,
    pub return_to: String,
    pub expires_at: DateTime<Utc>,
}

/// Who a verified sign-in is, as decided by the rules.
#[derive(Clone, Debug)]
pub enum SsoAccount {
    /// The provider account is linked already, or an existing account is linked to it now.
    Person(PersonId),
    /// A new person (no password: they sign in through the provider).
    New { email: String, display_name: String },
}

/// What a finished sign-in did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SsoSignedIn {
    pub person: PersonId,
    /// The person was created by this sign-in.
    pub created: bool,
    /// The provider account was linked to the person by this sign-in.
    pub linked: bool,
    /// The person became a member of the organisation (with this role) by this sign-in.
    pub joined: Option<Role>,
}

#[derive(sqlx::FromRow)]
struct ProviderRow {
    id: String,
    org_id: String,
    kind: String,
    name: String,
    issuer_url: String,
    client_id: String,
    client_secret: String,
    allowed_domains: String,
    district_id: Option<String>,
    role_claim: Option<String>,
    role_map: String,
    default_role: String,
    enabled: bool,
    created_at: i64,
    updated_at: i64,
}

const PROVIDER_COLUMNS: &str = "id, org_id, kind, name, issuer_url, client_id, client_secret, allowed_domains, \
     district_id, role_claim, role_map, default_role, enabled, created_at, updated_at";

impl ProviderRow {
    fn into_record(self) -> StoreResult<IdentityProviderRecord> {
        let role_map: BTreeMap<String, Role> = from_json(&self.role_map, "an identity provider's role map")?;
        Ok(IdentityProviderRecord {
            id: parse(&self.id, "identity provider id")?,
            org: parse(&self.org_id, "organisation id")?,
            name: self.name,
            issuer_url: self.issuer_url,
            client_id: self.client_id,
            client_secret: self.client_secret,
            policy: SsoPolicy {
                kind: parse::<IdentityProviderKind>(&self.kind, "identity provider kind")?,
                allowed_domains: json_list(&self.allowed_domains),
                district_id: self.district_id,
                role_claim: self.role_claim,
                role_map,
                default_role: parse(&self.default_role, "role")?,
            },
            enabled: self.enabled,
            created_at: time(self.created_at),
            updated_at: time(self.updated_at),
        })
    }
}

impl Store {
    /// Adds an identity provider to an organisation (its client secret is required).
    pub async fn create_identity_provider(
        &self,
        org: OrgId,
        write: &IdentityProviderWrite,
    ) -> StoreResult<IdentityProviderRecord> {
        let id = IdentityProviderId::new();
        let now = now_ms();
        let secret =
            write.client_secret.clone().ok_or_else(|| StoreError::Corrupt("a new provider's secret".into()))?;
        let p = &write.policy;
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO identity_providers (id, org_id, kind, name, issuer_url, client_id, client_secret,
               allowed_domains, district_id, role_claim, role_map, default_role, enabled, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14)")
            .bind(id.to_string()).bind(org.to_string()).bind(<&str>::from(p.kind)).bind(&write.name)
            .bind(&write.issuer_url).bind(&write.client_id).bind(&secret).bind(to_json(&p.allowed_domains))
            .bind(&p.district_id).bind(&p.role_claim).bind(to_json(&p.role_map)).bind(p.default_role.as_str())
            .bind(write.enabled).bind(now)
            .execute(pool).await.map(|_| ())?);
        self.identity_provider(id).await?.ok_or(StoreError::NotFound)
    }

    /// An identity provider, of whichever organisation.
    pub async fn identity_provider(&self, id: IdentityProviderId) -> StoreResult<Option<IdentityProviderRecord>> {
        let sql = format!("SELECT {PROVIDER_COLUMNS} FROM identity_providers WHERE id = $1");
        let row: Option<ProviderRow> =
            on_pool!(self, pool => sqlx::query_as(&sql).bind(id.to_string()).fetch_optional(pool).await?);
        row.map(ProviderRow::into_record).transpose()
    }

    /// An organisation's identity providers, by name.
    pub async fn identity_providers(&self, org: OrgId) -> StoreResult<Vec<IdentityProviderRecord>> {
        let sql = format!("SELECT {PROVIDER_COLUMNS} FROM identity_providers WHERE org_id = $1 ORDER BY name, id");
        let rows: Vec<ProviderRow> =
            on_pool!(self, pool => sqlx::query_as(&sql).bind(org.to_string()).fetch_all(pool).await?);
        rows.into_iter().map(ProviderRow::into_record).collect()
    }

    /// The enabled identity providers that accept people of an e-mail domain (lower-case, checked
    /// as a domain name by the caller), of every organisation.
    pub async fn identity_providers_for_domain(&self, domain: &str) -> StoreResult<Vec<IdentityProviderRecord>> {
        let sql = format!(
            "SELECT {PROVIDER_COLUMNS} FROM identity_providers WHERE enabled AND allowed_domains LIKE $1 ORDER BY name, id"
        );
        let pattern = format!("%{}%", to_json(domain));
        let rows: Vec<ProviderRow> = on_pool!(self, pool => sqlx::query_as(&sql).bind(&pattern).fetch_all(pool).await?);
        let records: Vec<IdentityProviderRecord> =
            rows.into_iter().map(ProviderRow::into_record).collect::<StoreResult<_>>()?;
        Ok(records.into_iter().filter(|r| r.policy.allowed_domains.iter().any(|d| d == domain)).collect())
    }

    /// Replaces an identity provider's settings; another organisation's provider is not found.
    pub async fn update_identity_provider(
        &self,
        org: OrgId,
        id: IdentityProviderId,
        write: &IdentityProviderWrite,
    ) -> StoreResult<IdentityProviderRecord> {
        let p = &write.policy;
        let done = on_pool!(self, pool => sqlx::query(
            "UPDATE identity_providers SET kind = $3, name = $4, issuer_url = $5, client_id = $6,
               client_secret = COALESCE($7, client_secret), allowed_domains = $8, district_id = $9, role_claim = $10,
               role_map = $11, default_role = $12, enabled = $13, updated_at = $14
             WHERE id = $1 AND org_id = $2")
            .bind(id.to_string()).bind(org.to_string()).bind(<&str>::from(p.kind)).bind(&write.name)
            .bind(&write.issuer_url).bind(&write.client_id).bind(&write.client_secret).bind(to_json(&p.allowed_domains))
            .bind(&p.district_id).bind(&p.role_claim).bind(to_json(&p.role_map)).bind(p.default_role.as_str())
            .bind(write.enabled).bind(now_ms())
            .execute(pool).await?.rows_affected());
        if done == 0 {
            return Err(StoreError::NotFound);
        }
        self.identity_provider(id).await?.ok_or(StoreError::NotFound)
    }

    /// Removes an identity provider with its linked accounts and sign-ins under way.
    pub async fn delete_identity_provider(&self, org: OrgId, id: IdentityProviderId) -> StoreResult<()> {
        let done = on_pool!(self, pool => sqlx::query("DELETE FROM identity_providers WHERE id = $1 AND org_id = $2")
            .bind(id.to_string()).bind(org.to_string()).execute(pool).await?.rows_affected());
        if done == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Whether the organisation's members must sign in through its providers.
    pub async fn org_sso_only(&self, org: OrgId) -> StoreResult<bool> {
        let row: Option<(bool,)> = on_pool!(self, pool => sqlx::query_as("SELECT sso_only FROM organisations WHERE id = $1")
            .bind(org.to_string()).fetch_optional(pool).await?);
        row.map(|(b,)| b).ok_or(StoreError::NotFound)
    }

    /// Makes the organisation SSO-only, or lets its members use passwords again.
    pub async fn set_org_sso_only(&self, org: OrgId, sso_only: bool) -> StoreResult<()> {
        on_pool!(self, pool => sqlx::query("UPDATE organisations SET sso_only = $2 WHERE id = $1")
            .bind(org.to_string()).bind(sso_only).execute(pool).await.map(|_| ())?);
        Ok(())
    }

    /// Whether the person is a member of an SSO-only organisation.
    pub async fn member_of_sso_only_org(&self, person: PersonId) -> StoreResult<bool> {
        let row: Option<(String,)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT m.org_id FROM memberships m JOIN organisations o ON o.id = m.org_id WHERE m.person_id = $1 AND o.sso_only LIMIT 1")
            .bind(person.to_string()).fetch_optional(pool).await?);
        Ok(row.is_some())
    }

    /// Records a sign-in under way under the digest of its `state` (expired ones are cleared).
    pub async fn begin_sso_login(&self, state_digest: &str, pending: &PendingSsoLogin) -> StoreResult<()> {
        let now = now_ms();
        on_pool!(self, pool => sqlx::query("DELETE FROM sso_logins WHERE expires_at < $1").bind(now).execute(pool).await.map(|_| ())?);
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO sso_logins (state_digest, provider_id, nonce, pkce_verifier, return_to, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(state_digest).bind(pending.provider.to_string()).bind(&pending.nonce).bind(&pending.pkce_verifier)
            .bind(&pending.return_to).bind(pending.expires_at.timestamp_millis())
            .execute(pool).await.map_err(duplicate_as("state")).map(|_| ())?);
        Ok(())
    }

    /// Takes (once) the unexpired sign-in under way with this `state` digest.
    pub async fn take_sso_login(&self, state_digest: &str) -> StoreResult<Option<PendingSsoLogin>> {
        let row: Option<(String, String, String, String, i64)> = on_pool!(self, pool => sqlx::query_as(
            "DELETE FROM sso_logins WHERE state_digest = $1
             RETURNING provider_id, nonce, pkce_verifier, return_to, expires_at")
            .bind(state_digest).fetch_optional(pool).await?);
        let Some((provider, nonce, pkce_verifier, return_to, expires_at)) = row else { return Ok(None) };
        if expires_at < now_ms() {
            return Ok(None);
        }
        Ok(Some(PendingSsoLogin {
            provider: parse(&provider, "identity provider id")?,
            nonce,
            pkce_verifier,
            return_to,
            expires_at: time(expires_at),
        }))
    }

    /// The person a provider account is linked to.
    pub async fn person_by_sso_identity(
        &self,
        provider: IdentityProviderId,
        subject: &str,
    ) -> StoreResult<Option<PersonId>> {
        let row: Option<(String,)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT person_id FROM sso_identities WHERE provider_id = $1 AND subject = $2")
            .bind(provider.to_string()).bind(subject).fetch_optional(pool).await?);
        row.map(|(p,)| parse(&p, "person id")).transpose()
    }

    /// Finishes a verified sign-in in one transaction: creates the person when new, links the
    /// provider account, and makes them a member of the provider's organisation with `role` when
    /// they are not one yet (an existing member keeps their role).
    pub async fn complete_sso_sign_in(
        &self,
        org: OrgId,
        provider: IdentityProviderId,
        subject: &str,
        account: &SsoAccount,
        role: Role,
    ) -> StoreResult<SsoSignedIn> {
        let now = now_ms();
        let signed_in = in_tx!(self, tx => {
            let (person, created) = match account {
                SsoAccount::Person(person) => (*person, false),
                SsoAccount::New { email, display_name } => {
                    let person = PersonId::new();
                    sqlx::query("INSERT INTO people (id, email, display_name, password_hash, is_operator, created_at)
                                 VALUES ($1, $2, $3, NULL, FALSE, $4)")
                        .bind(person.to_string()).bind(email).bind(display_name).bind(now)
                        .execute(&mut *tx).await.map_err(duplicate_as("email"))?;
                    (person, true)
                }
            };
            let linked_to: Option<(String,)> =
                sqlx::query_as("SELECT person_id FROM sso_identities WHERE provider_id = $1 AND subject = $2")
                    .bind(provider.to_string()).bind(subject).fetch_optional(&mut *tx).await?;
            let linked = match linked_to {
                Some((linked,)) if linked != person.to_string() => {
                    // The provider account is someone else's (linked in the meantime).
                    return Err(StoreError::Duplicate("subject"));
                }
                Some(_) => {
                    sqlx::query("UPDATE sso_identities SET last_sign_in_at = $3 WHERE provider_id = $1 AND subject = $2")
                        .bind(provider.to_string()).bind(subject).bind(now).execute(&mut *tx).await?;
                    false
                }
                None => {
                    sqlx::query(
                        "INSERT INTO sso_identities (provider_id, subject, person_id, created_at, last_sign_in_at)
                         VALUES ($1, $2, $3, $4, $4)")
                        .bind(provider.to_string()).bind(subject).bind(person.to_string()).bind(now)
                        .execute(&mut *tx).await.map_err(duplicate_as("subject"))?;
                    true
                }
            };
            let existing: Option<(String,)> = sqlx::query_as("SELECT role FROM memberships WHERE org_id = $1 AND person_id = $2")
                .bind(org.to_string()).bind(person.to_string()).fetch_optional(&mut *tx).await?;
            let joined = if existing.is_none() {
                sqlx::query("INSERT INTO memberships (org_id, person_id, role, created_at) VALUES ($1, $2, $3, $4)")
                    .bind(org.to_string()).bind(person.to_string()).bind(role.as_str()).bind(now)
                    .execute(&mut *tx).await?;
                Some(role)
            } else {
                None
            };
            SsoSignedIn { person, created, linked, joined }
        });
        Ok(signed_in)
    }
}
