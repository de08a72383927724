//! Relationships between members (coach→learner, parent→learner,
//! manager→coach): each kind needs its two people to hold particular roles.

use crate::{Accounts, AccountsError, AccountsResult};
use wayfinder_accounts_rules::{OrgId, PersonId, Relationship, RelationshipKind};
use wayfinder_store::StoreError;

impl Accounts {
    /// Relates `from` to `to` with `kind`. Both must be members holding the
    /// roles the kind needs (a mismatch names `from_person` or `to_person`);
    /// the same relationship twice is refused.
    pub async fn create_relationship(
        &self,
        org: OrgId,
        kind: RelationshipKind,
        from: PersonId,
        to: PersonId,
    ) -> AccountsResult<Relationship> {
        let (from_role, to_role) = kind.roles();
        for (field, person, needed) in [("from_person", from, from_role), ("to_person", to, to_role)] {
            let role = self.store.role_in(org, person).await?;
            match role {
                None => return Err(AccountsError::NotFound("member of this organisation")),
                Some(role) if role != needed => {
                    let message = format!("must be a {needed} for a {} relationship (is a {role})", kind.as_str());
                    return Err(AccountsError::RoleMismatch { field, message });
                }
                Some(_) => {}
            }
        }
        self.store.create_relationship(org, kind, from, to).await.map_err(|e| match e {
            StoreError::Duplicate(_) => AccountsError::RelationshipExists,
            other => other.into(),
        })
    }
}
