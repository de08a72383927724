//! Invitations: an admin invites an email address with a role; whoever holds
//! the secret link joins, with a new account or with the existing account's
//! own password. Creating the account, the membership and marking the
//! invitation used happen in one store transaction.

use crate::{Accounts, AccountsError, AccountsResult, hash_off_thread};
use chrono::Utc;
use wayfinder_accounts_rules::{
    OrgId, Organisation, Person, PersonId, Role, check_password_strength, hash_secret, new_secret,
    validate_display_name,
};
use wayfinder_store::{Invitation, InvitationAcceptance, NewInvitation, StoreError};

/// What the holder of an invitation link may learn before accepting.
#[derive(Clone, Debug)]
pub struct InvitationPreview {
    pub invitation: Invitation,
    pub organisation: Organisation,
    /// True when the email already has an account: accept with its password.
    pub account_exists: bool,
}

/// An accepted invitation: who joined which organisation.
#[derive(Clone, Debug)]
pub struct InvitationAccepted {
    /// The invitation as it was before it was used.
    pub invitation: Invitation,
    pub person: Person,
    pub organisation: Organisation,
}

const NOT_OPEN: &str = "invitation (it may have expired, been used or been revoked)";

impl Accounts {
    /// Invites `email` (normalised) into `org` with `role`; returns the
    /// invitation and the secret for the link, which is not kept. Someone who
    /// is already a member cannot be invited again.
    pub async fn invite(
        &self,
        org: OrgId,
        email: String,
        role: Role,
        invited_by: PersonId,
    ) -> AccountsResult<(Invitation, String)> {
        if let Some((existing, _)) = self.store.person_with_password(&email).await?
            && self.store.role_in(org, existing.id).await?.is_some()
        {
            return Err(AccountsError::AlreadyMember);
        }
        let secret = new_secret("wfi");
        let invitation = self
            .store
            .create_invitation(&NewInvitation {
                org,
                email,
                role,
                secret_digest: secret.digest,
                invited_by: Some(invited_by),
                expires_at: Utc::now() + self.settings.invitation_ttl,
            })
            .await?;
        Ok((invitation, secret.plaintext))
    }

    /// The open invitation whose link secret is `token`; anything else is not found.
    pub async fn open_invitation(&self, token: &str) -> AccountsResult<Invitation> {
        match self.store.invitation_by_digest(&hash_secret(token.trim())).await? {
            Some(invitation) if invitation.is_open(Utc::now()) => Ok(invitation),
            _ => Err(AccountsError::NotFound(NOT_OPEN)),
        }
    }

    /// What the link `token` invites to.
    pub async fn preview_invitation(&self, token: &str) -> AccountsResult<InvitationPreview> {
        let invitation = self.open_invitation(token).await?;
        let organisation = self.store.org(invitation.org).await?;
        let account_exists = self.store.person_with_password(&invitation.email).await?.is_some();
        Ok(InvitationPreview { invitation, organisation, account_exists })
    }

    /// Accepts the invitation behind `token`. When the invited email has an
    /// account, `password` must be its password (checked with sign-in
    /// throttling, counted against `ip`); otherwise a new account is made
    /// with `display_name` and `password` as its new password.
    pub async fn accept_invitation(
        &self,
        token: &str,
        password: &str,
        display_name: Option<&str>,
        ip: Option<&str>,
    ) -> AccountsResult<InvitationAccepted> {
        let invitation = self.open_invitation(token).await?;
        let acceptance = match self.store.person_with_password(&invitation.email).await? {
            Some(_) => {
                InvitationAcceptance::Existing(self.verify_credentials(&invitation.email, password, ip).await?.id)
            }
            None => {
                let display_name = validate_display_name(display_name.unwrap_or(""), "display_name")?;
                check_password_strength(password, &[&invitation.email, &display_name])
                    .map_err(|error| AccountsError::Password { field: "password", error })?;
                let password_hash = hash_off_thread(password, "password").await?;
                InvitationAcceptance::NewAccount { display_name, password_hash }
            }
        };
        let (invitation, person) =
            self.store.accept_invitation(&hash_secret(token.trim()), &acceptance).await.map_err(|e| match e {
                // Used, revoked or expired since it was looked up.
                StoreError::NotFound => AccountsError::NotFound("invitation"),
                StoreError::Duplicate("membership") => AccountsError::AlreadyMember,
                other => other.into(),
            })?;
        let person = self.store.person(person).await?;
        let organisation = self.store.org(invitation.org).await?;
        Ok(InvitationAccepted { invitation, person, organisation })
    }
}
