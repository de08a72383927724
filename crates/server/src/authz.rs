//! Authorisation, in one place: every organisation-scoped handler builds an
//! [`OrgScope`] and asks it; the rules themselves are
//! `wayfinder_accounts_rules::policy`. Someone outside an organisation gets 404 for
//! everything in it, so ids from another tenant reveal nothing. Inside an
//! organisation the order is always: a record the caller may not see is 404
//! (whether or not it exists), a visible record the caller's role may not
//! change is 403.

use crate::error::ErrorCode;
use crate::{auth::Principal, error::ApiError, state::AppState};
use std::collections::HashSet;
use wayfinder_accounts_rules::{
    OrgId, Organisation, PersonId,
    policy::{self, OrgAction, OrgActor, Visibility},
};

/// The caller as seen from one organisation.
pub struct OrgScope {
    pub org: Organisation,
    pub actor: OrgActor,
}

impl OrgScope {
    /// Resolves the caller's standing in `org`; 404 when they are not in it.
    pub async fn load(state: &AppState, principal: &Principal, org: OrgId) -> Result<Self, ApiError> {
        let not_found = || ApiError::not_found("organisation");
        let role = state.store.role_in(org, principal.person.id).await?;
        if role.is_none() && !principal.person.is_operator {
            return Err(not_found());
        }
        let org = state.store.org(org).await.map_err(|_| not_found())?;
        let actor =
            OrgActor { org: org.id, person: principal.person.id, role, is_operator: principal.person.is_operator };
        Ok(Self { org, actor })
    }

    /// 403 unless the policy permits `action`.
    pub fn require(&self, action: OrgAction) -> Result<(), ApiError> {
        if policy::permits(&self.actor, action) { Ok(()) } else { Err(ApiError::forbidden()) }
    }

    /// Like [`OrgScope::require`], but answers 404: for records of a kind the
    /// caller may not even see (e.g. a learner addressing an invitation by id).
    pub fn require_or_hide(&self, action: OrgAction, what: &str) -> Result<(), ApiError> {
        self.require(action).map_err(|_| ApiError::not_found(what))
    }

    /// Whom the caller may see in this organisation.
    pub async fn visibility(&self, state: &AppState) -> Result<Visibility, ApiError> {
        if self.actor.is_admin() {
            return Ok(Visibility::Everyone);
        }
        let nearby = state.store.relationships_near(self.org.id, self.actor.person).await?;
        Ok(policy::visible_people(&self.actor, &nearby))
    }

    /// 404 unless the caller may see `person`.
    pub async fn require_visible(&self, state: &AppState, person: PersonId) -> Result<Visibility, ApiError> {
        let visibility = self.visibility(state).await?;
        if visibility.includes(person) { Ok(visibility) } else { Err(ApiError::not_found("member")) }
    }
}

impl OrgScope {
    /// The people the caller supervises (a coach's learners, a parent's
    /// children, a manager's coaches and their learners); empty for admins,
    /// who see everyone anyway.
    pub async fn supervised(&self, state: &AppState) -> Result<HashSet<PersonId>, ApiError> {
        if self.actor.is_admin() {
            return Ok(HashSet::new());
        }
        let nearby = state.store.relationships_near(self.org.id, self.actor.person).await?;
        Ok(policy::supervised_people(&self.actor, &nearby))
    }
}

/// 403 unless the caller is an instance operator.
pub fn require_operator(principal: &Principal) -> Result<(), ApiError> {
    if principal.person.is_operator {
        Ok(())
    } else {
        Err(ApiError::new(ErrorCode::Forbidden, "only an instance operator may do this"))
    }
}
