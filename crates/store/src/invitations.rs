//! Invitations: an admin invites an email address into an organisation with a
//! role; the invitee accepts with the secret from the link, creating their
//! account (or joining with an existing one) in one transaction.

use crate::{Store, StoreError, StoreResult, duplicate_as, in_tx, on_pool, rows::*};
use chrono::{DateTime, Utc};
use wayfinder_accounts_rules::{InvitationId, InvitationStatus, OrgId, PersonId, Role};

/// An invitation to create.
#[derive(Clone, Debug)]
pub struct NewInvitation {
    pub org: OrgId,
    pub email: String,
    pub role: Role,
    pub secret_digest: String,
    pub invited_by: Option<PersonId>,
    pub expires_at: DateTime<Utc>,
}

/// A stored invitation (without its secret).
#[derive(Clone, Debug, PartialEq)]
pub struct Invitation {
    pub id: InvitationId,
    pub org: OrgId,
    pub email: String,
    pub role: Role,
    pub invited_by: Option<PersonId>,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub accepted_by: Option<PersonId>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl Invitation {
    /// Where the invitation stands at `now`.
    pub fn status(&self, now: DateTime<Utc>) -> InvitationStatus {
        InvitationStatus::at(self.accepted_at, self.revoked_at, self.expires_at, now)
    }

    /// Whether the invitation can still be accepted at `now`.
    pub fn is_open(&self, now: DateTime<Utc>) -> bool {
        self.status(now) == InvitationStatus::Pending
    }
}

/// Who accepts an invitation.
#[derive(Clone, Debug)]
pub enum InvitationAcceptance {
    /// A new account for the invited email.
    NewAccount { display_name: String, password_hash: String },
    /// An existing person (already authenticated by the caller).
    Existing(PersonId),
}

#[derive(sqlx::FromRow)]
struct InvitationRow {
    id: String,
    org_id: String,
    email: String,
    role: String,
    invited_by: Option<String>,
    created_at: i64,
    expires_at: i64,
    accepted_at: Option<i64>,
    accepted_by: Option<String>,
    revoked_at: Option<i64>,
}

impl InvitationRow {
    fn into_invitation(self) -> StoreResult<Invitation> {
        Ok(Invitation {
            id: parse(&self.id, "invitation id")?,
            org: parse(&self.org_id, "org id")?,
            email: self.email,
            role: parse(&self.role, "role")?,
            invited_by: self.invited_by.as_deref().map(|p| parse(p, "person id")).transpose()?,
            created_at: time(self.created_at),
            expires_at: time(self.expires_at),
            accepted_at: opt_time(self.accepted_at),
            accepted_by: self.accepted_by.as_deref().map(|p| parse(p, "person id")).transpose()?,
            revoked_at: opt_time(self.revoked_at),
        })
    }
}

const INVITATION_COLUMNS: &str = "i.id, i.org_id, i.email, i.role, i.invited_by, i.created_at, i.expires_at, i.accepted_at, i.accepted_by, i.revoked_at";

impl Store {
    /// Stores a new invitation.
    pub async fn create_invitation(&self, new: &NewInvitation) -> StoreResult<Invitation> {
        let now = now_ms();
        let invitation = Invitation {
            id: InvitationId::new(),
            org: new.org,
            email: new.email.clone(),
            role: new.role,
            invited_by: new.invited_by,
            created_at: time(now),
            expires_at: new.expires_at,
            accepted_at: None,
            accepted_by: None,
            revoked_at: None,
        };
        let sql = "INSERT INTO invitations (id, org_id, email, role, secret_digest, invited_by, created_at, expires_at)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
        on_pool!(self, pool => sqlx::query(sql)
            .bind(invitation.id.to_string())
            .bind(new.org.to_string())
            .bind(&new.email)
            .bind(new.role.as_str())
            .bind(&new.secret_digest)
            .bind(new.invited_by.map(|p| p.to_string()))
            .bind(now)
            .bind(new.expires_at.timestamp_millis())
            .execute(pool)
            .await?.rows_affected());
        Ok(invitation)
    }

    /// An organisation's invitations, newest first.
    pub async fn list_invitations(&self, org: OrgId) -> StoreResult<Vec<Invitation>> {
        let sql = format!(
            "SELECT {INVITATION_COLUMNS} FROM invitations i WHERE i.org_id = $1 ORDER BY i.created_at DESC, i.id"
        );
        let rows: Vec<InvitationRow> =
            on_pool!(self, pool => sqlx::query_as(&sql).bind(org.to_string()).fetch_all(pool).await?);
        rows.into_iter().map(InvitationRow::into_invitation).collect()
    }

    /// The invitation whose secret has this digest.
    pub async fn invitation_by_digest(&self, digest: &str) -> StoreResult<Option<Invitation>> {
        let sql = format!("SELECT {INVITATION_COLUMNS} FROM invitations i WHERE i.secret_digest = $1");
        let row: Option<InvitationRow> =
            on_pool!(self, pool => sqlx::query_as(&sql).bind(digest).fetch_optional(pool).await?);
        row.map(InvitationRow::into_invitation).transpose()
    }

    /// Revokes an open invitation of an organisation.
    pub async fn revoke_invitation(&self, org: OrgId, id: InvitationId) -> StoreResult<()> {
        let sql = "UPDATE invitations SET revoked_at = $1
                   WHERE org_id = $2 AND id = $3 AND accepted_at IS NULL AND revoked_at IS NULL";
        let done = on_pool!(self, pool => sqlx::query(sql)
            .bind(now_ms()).bind(org.to_string()).bind(id.to_string()).execute(pool).await?.rows_affected());
        if done == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    /// Accepts an open invitation: creates the account when asked, adds the
    /// membership and marks the invitation used — all or nothing. Returns the
    /// invitation as it was and the person who joined.
    pub async fn accept_invitation(
        &self,
        digest: &str,
        acceptance: &InvitationAcceptance,
    ) -> StoreResult<(Invitation, PersonId)> {
        let now = now_ms();
        let sql = format!(
            "SELECT {INVITATION_COLUMNS} FROM invitations i
             WHERE i.secret_digest = $1 AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > $2"
        );
        in_tx!(self, tx => {
            let row: Option<InvitationRow> = sqlx::query_as(&sql).bind(digest).bind(now).fetch_optional(&mut *tx).await?;
            let invitation = row.ok_or(StoreError::NotFound)?.into_invitation()?;
            let person = match acceptance {
                InvitationAcceptance::Existing(person) => *person,
                InvitationAcceptance::NewAccount { display_name, password_hash } => {
                    let person = PersonId::new();
                    sqlx::query("INSERT INTO people (id, email, display_name, password_hash, is_operator, created_at)
                                 VALUES ($1, $2, $3, $4, $5, $6)")
                        .bind(person.to_string()).bind(&invitation.email).bind(display_name)
                        .bind(password_hash).bind(false).bind(now)
                        .execute(&mut *tx).await.map_err(duplicate_as("email"))?;
                    person
                }
            };
            sqlx::query("INSERT INTO memberships (org_id, person_id, role, created_at) VALUES ($1, $2, $3, $4)")
                .bind(invitation.org.to_string()).bind(person.to_string()).bind(invitation.role.as_str()).bind(now)
                .execute(&mut *tx).await.map_err(duplicate_as("membership"))?;
            sqlx::query("UPDATE invitations SET accepted_at = $1, accepted_by = $2 WHERE id = $3")
                .bind(now).bind(person.to_string()).bind(invitation.id.to_string())
                .execute(&mut *tx).await?;
            (invitation, person)
        })
        .pipe(Ok)
    }
}

/// Lets a block's value flow into a constructor without a temporary binding.
trait Pipe: Sized {
    fn pipe<T>(self, f: impl FnOnce(Self) -> T) -> T {
        f(self)
    }
}
impl<T> Pipe for T {}
