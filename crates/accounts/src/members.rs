//! Members and their roles. An organisation always keeps at least one admin:
//! the check and the change happen in one store transaction, so two admins
//! demoting or removing each other at the same moment cannot both succeed.

use crate::{Accounts, AccountsError, AccountsResult, missing};
use wayfinder_accounts_rules::{Member, OrgId, Organisation, PersonId, Role};
use wayfinder_store::{MembershipChangeError, StoreError};

/// A role change that took place.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RoleChange {
    pub from: Role,
    pub to: Role,
    /// Relationships that ended because they no longer fit the new role.
    pub relationships_ended: u64,
}

impl From<MembershipChangeError> for AccountsError {
    fn from(e: MembershipChangeError) -> Self {
        match e {
            MembershipChangeError::LastAdmin => AccountsError::LastAdmin,
            MembershipChangeError::Store(StoreError::NotFound) => AccountsError::NotFound("member"),
            MembershipChangeError::Store(other) => AccountsError::Store(other),
        }
    }
}

impl Accounts {
    /// Creates an organisation with `admin` as its first admin; a taken slug is a duplicate.
    pub async fn create_org(&self, slug: &str, name: &str, admin: PersonId) -> AccountsResult<Organisation> {
        Ok(self.store.create_org_with_admin(slug, name, admin).await?)
    }

    /// One member of an organisation.
    pub async fn member(&self, org: OrgId, person: PersonId) -> AccountsResult<Member> {
        self.store.member(org, person).await.map_err(missing("member"))
    }

    /// Gives a member `role`, unless they are the last admin and `role` is not
    /// admin. Relationships that no longer fit the new role end with it.
    /// `None` when the member already holds `role` (nothing changes).
    pub async fn change_role(&self, org: OrgId, person: PersonId, role: Role) -> AccountsResult<Option<RoleChange>> {
        let changed = self.store.set_role_keeping_an_admin(org, person, role).await?;
        Ok(changed.relationships_ended.map(|relationships_ended| RoleChange {
            from: changed.from,
            to: role,
            relationships_ended,
        }))
    }

    /// Removes a member, unless they are the organisation's last admin; their
    /// relationships there end with the membership. Returns the role they held.
    pub async fn remove_member(&self, org: OrgId, person: PersonId) -> AccountsResult<Role> {
        Ok(self.store.remove_member_keeping_an_admin(org, person).await?)
    }
}
