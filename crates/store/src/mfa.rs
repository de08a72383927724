//! Multi-factor sign-in: people's TOTP factors and recovery codes, second steps under way, and
//! remembered devices.

use crate::{Store, StoreError, StoreResult, in_tx, on_pool, rows::*};
use chrono::{DateTime, Utc};
use wayfinder_accounts_rules::{OrgId, PersonId};

/// A person's TOTP factor.
#[derive(Clone, Debug)]
pub struct MfaFactor {
    /// Base32, as authenticator apps take it.
    pub secret: String,
    /// When the person proved their app had it; until then it does not count.
    pub confirmed_at: Option<DateTime<Utc>>,
    /// The last time step whose code was accepted.
    pub last_used_step: u64,
}

/// Whether a person signs in with a second factor, and whether an organisation asks them to.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MfaStanding {
    /// A confirmed factor.
    pub enabled: bool,
    /// An admin of an organisation that requires its admins to use one.
    pub required_as_admin: bool,
}

/// A second step under way.
#[derive(Clone, Debug)]
pub struct MfaChallenge {
    pub person: PersonId,
    pub attempts: i64,
    pub expires_at: DateTime<Utc>,
}

pub(crate) const MFA_STANDING_COLUMNS: &str = "EXISTS (SELECT 1 FROM mfa_factors f WHERE f.person_id = p.id \
       AND f.confirmed_at IS NOT NULL) AS mfa_enabled, \
     EXISTS (SELECT 1 FROM memberships m JOIN organisations o ON o.id = m.org_id WHERE m.person_id = p.id \
       AND m.role = 'admin' AND o.mfa_required_for_admins) AS mfa_required_as_admin";

impl Store {
    /// The person's factor, confirmed or not.
    pub async fn mfa_factor(&self, person: PersonId) -> StoreResult<Option<MfaFactor>> {
        let row: Option<(String, Option<i64>, i64)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT secret, confirmed_at, last_used_step FROM mfa_factors WHERE person_id = $1")
            .bind(person.to_string()).fetch_optional(pool).await?);
        Ok(row.map(|(secret, confirmed_at, step)| MfaFactor {
            secret,
            confirmed_at: opt_time(confirmed_at),
            last_used_step: step.max(0) as u64,
        }))
    }

    /// Whether the person has a confirmed factor and whether an organisation requires one.
    pub async fn mfa_standing(&self, person: PersonId) -> StoreResult<MfaStanding> {
        let sql = format!("SELECT {MFA_STANDING_COLUMNS} FROM people p WHERE p.id = $1");
        let row: Option<(bool, bool)> =
            on_pool!(self, pool => sqlx::query_as(&sql).bind(person.to_string()).fetch_optional(pool).await?);
        let (enabled, required_as_admin) = row.ok_or(StoreError::NotFound)?;
        Ok(MfaStanding { enabled, required_as_admin })
    }

    /// Starts (or restarts) enrolment with a new secret; a confirmed factor is `Duplicate("factor")`.
    pub async fn begin_mfa_enrolment(&self, person: PersonId, secret: &str) -> StoreResult<()> {
        let done = on_pool!(self, pool => sqlx::query(
            "INSERT INTO mfa_factors (person_id, secret, confirmed_at, last_used_step, created_at)
             VALUES ($1, $2, NULL, 0, $3)
             ON CONFLICT (person_id) DO UPDATE SET secret = excluded.secret, created_at = excluded.created_at
             WHERE mfa_factors.confirmed_at IS NULL")
            .bind(person.to_string()).bind(secret).bind(now_ms()).execute(pool).await?.rows_affected());
        if done == 0 {
            return Err(StoreError::Duplicate("factor"));
        }
        Ok(())
    }

    /// Confirms the factor (its code of `step` used) and issues recovery codes, in one transaction.
    pub async fn confirm_mfa(&self, person: PersonId, step: u64, recovery_digests: &[String]) -> StoreResult<()> {
        let now = now_ms();
        in_tx!(self, tx => {
            let done = sqlx::query(
                "UPDATE mfa_factors SET confirmed_at = $2, last_used_step = $3 WHERE person_id = $1 AND confirmed_at IS NULL")
                .bind(person.to_string()).bind(now).bind(step as i64).execute(&mut *tx).await?.rows_affected();
            if done == 0 {
                return Err(StoreError::NotFound);
            }
            sqlx::query("DELETE FROM mfa_recovery_codes WHERE person_id = $1")
                .bind(person.to_string()).execute(&mut *tx).await?;
            for digest in recovery_digests {
                sqlx::query("INSERT INTO mfa_recovery_codes (person_id, code_digest, used_at) VALUES ($1, $2, NULL)")
                    .bind(person.to_string()).bind(digest).execute(&mut *tx).await?;
            }
        });
        Ok(())
    }

    /// Takes the time step of an accepted code: false when it (or a later one) was used already.
    pub async fn use_mfa_step(&self, person: PersonId, step: u64) -> StoreResult<bool> {
        let done = on_pool!(self, pool => sqlx::query(
            "UPDATE mfa_factors SET last_used_step = $2
             WHERE person_id = $1 AND confirmed_at IS NOT NULL AND last_used_step < $2")
            .bind(person.to_string()).bind(step as i64).execute(pool).await?.rows_affected());
        Ok(done == 1)
    }

    /// Uses a recovery code once: false when there is no such unused code.
    pub async fn use_recovery_code(&self, person: PersonId, digest: &str) -> StoreResult<bool> {
        let done = on_pool!(self, pool => sqlx::query(
            "UPDATE mfa_recovery_codes SET used_at = $3 WHERE person_id = $1 AND code_digest = $2 AND used_at IS NULL")
            .bind(person.to_string()).bind(digest).bind(now_ms()).execute(pool).await?.rows_affected());
        Ok(done == 1)
    }

    /// Replaces the person's recovery codes.
    pub async fn replace_recovery_codes(&self, person: PersonId, digests: &[String]) -> StoreResult<()> {
        in_tx!(self, tx => {
            sqlx::query("DELETE FROM mfa_recovery_codes WHERE person_id = $1")
                .bind(person.to_string()).execute(&mut *tx).await?;
            for digest in digests {
                sqlx::query("INSERT INTO mfa_recovery_codes (person_id, code_digest, used_at) VALUES ($1, $2, NULL)")
                    .bind(person.to_string()).bind(digest).execute(&mut *tx).await?;
            }
        });
        Ok(())
    }

    /// How many of the person's recovery codes are unused.
    pub async fn recovery_codes_left(&self, person: PersonId) -> StoreResult<i64> {
        let (n,): (i64,) = on_pool!(self, pool => sqlx::query_as(
            "SELECT COUNT(*) FROM mfa_recovery_codes WHERE person_id = $1 AND used_at IS NULL")
            .bind(person.to_string()).fetch_one(pool).await?);
        Ok(n)
    }

    /// Removes the person's factor, recovery codes, remembered devices and second steps under way.
    pub async fn remove_mfa(&self, person: PersonId) -> StoreResult<bool> {
        let removed = in_tx!(self, tx => {
            let mut removed = 0;
            for table in ["mfa_factors", "mfa_recovery_codes", "mfa_remembered_devices", "mfa_challenges"] {
                removed += sqlx::query(&format!("DELETE FROM {table} WHERE person_id = $1"))
                    .bind(person.to_string()).execute(&mut *tx).await?.rows_affected();
            }
            removed
        });
        Ok(removed > 0)
    }

    /// Records a second step under way after a right password.
    pub async fn create_mfa_challenge(
        &self,
        digest: &str,
        person: PersonId,
        expires_at: DateTime<Utc>,
    ) -> StoreResult<()> {
        let now = now_ms();
        on_pool!(self, pool => sqlx::query("DELETE FROM mfa_challenges WHERE expires_at < $1").bind(now).execute(pool).await.map(|_| ())?);
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO mfa_challenges (secret_digest, person_id, attempts, expires_at) VALUES ($1, $2, 0, $3)")
            .bind(digest).bind(person.to_string()).bind(expires_at.timestamp_millis()).execute(pool).await.map(|_| ())?);
        Ok(())
    }

    /// The second step under way with this digest.
    pub async fn mfa_challenge(&self, digest: &str) -> StoreResult<Option<MfaChallenge>> {
        let row: Option<(String, i64, i64)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT person_id, attempts, expires_at FROM mfa_challenges WHERE secret_digest = $1")
            .bind(digest).fetch_optional(pool).await?);
        row.map(|(person, attempts, expires_at)| {
            Ok(MfaChallenge { person: parse(&person, "person id")?, attempts, expires_at: time(expires_at) })
        })
        .transpose()
    }

    /// Counts a wrong code against a second step; returns the attempts so far.
    pub async fn fail_mfa_challenge(&self, digest: &str) -> StoreResult<i64> {
        let row: Option<(i64,)> = on_pool!(self, pool => sqlx::query_as(
            "UPDATE mfa_challenges SET attempts = attempts + 1 WHERE secret_digest = $1 RETURNING attempts")
            .bind(digest).fetch_optional(pool).await?);
        Ok(row.map_or(i64::MAX, |(n,)| n))
    }

    /// Ends a second step (done, or too many wrong codes).
    pub async fn end_mfa_challenge(&self, digest: &str) -> StoreResult<()> {
        on_pool!(self, pool => sqlx::query("DELETE FROM mfa_challenges WHERE secret_digest = $1")
            .bind(digest).execute(pool).await.map(|_| ())?);
        Ok(())
    }

    /// Remembers a device for the person until `expires_at`.
    pub async fn remember_device(&self, digest: &str, person: PersonId, expires_at: DateTime<Utc>) -> StoreResult<()> {
        on_pool!(self, pool => sqlx::query(
            "INSERT INTO mfa_remembered_devices (secret_digest, person_id, created_at, expires_at) VALUES ($1, $2, $3, $4)")
            .bind(digest).bind(person.to_string()).bind(now_ms()).bind(expires_at.timestamp_millis())
            .execute(pool).await.map(|_| ())?);
        Ok(())
    }

    /// Whether this device is remembered for the person and not yet expired.
    pub async fn device_remembered(&self, digest: &str, person: PersonId) -> StoreResult<bool> {
        let row: Option<(String,)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT person_id FROM mfa_remembered_devices WHERE secret_digest = $1 AND person_id = $2 AND expires_at > $3")
            .bind(digest).bind(person.to_string()).bind(now_ms()).fetch_optional(pool).await?);
        Ok(row.is_some())
    }

    /// Whether the organisation requires its admins to use a second factor.
    pub async fn org_mfa_required_for_admins(&self, org: OrgId) -> StoreResult<bool> {
        let row: Option<(bool,)> = on_pool!(self, pool => sqlx::query_as(
            "SELECT mfa_required_for_admins FROM organisations WHERE id = $1")
            .bind(org.to_string()).fetch_optional(pool).await?);
        row.map(|(b,)| b).ok_or(StoreError::NotFound)
    }

    /// Requires (or stops requiring) the organisation's admins to use a second factor.
    pub async fn set_org_mfa_required_for_admins(&self, org: OrgId, required: bool) -> StoreResult<()> {
        on_pool!(self, pool => sqlx::query("UPDATE organisations SET mfa_required_for_admins = $2 WHERE id = $1")
            .bind(org.to_string()).bind(required).execute(pool).await.map(|_| ())?);
        Ok(())
    }
}
