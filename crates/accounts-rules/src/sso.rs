//! Single sign-on rules: the kinds of identity provider an organisation can trust, their presets
//! (Google Workspace, Clever), and what a verified sign-in may do — come in at all, be linked to
//! an existing account, and with which role a new member starts. The OpenID Connect protocol
//! itself (discovery, PKCE, the ID token's signature and claims) is checked before these rules
//! see an identity.

use crate::{Role, ValidationError};
use std::collections::BTreeMap;

crate::closed_set! {
    /// The kind of an organisation's identity provider.
    pub enum IdentityProviderKind {
        /// Any OpenID Connect provider (discovery document at the issuer).
        Oidc,
        /// Google Workspace: only accounts of the organisation's hosted domains (`hd`).
        Google,
        /// Clever: only accounts of the organisation's district; roles from the Clever user type.
        Clever,
    }
}

impl IdentityProviderKind {
    /// The issuer used when an admin gives none.
    pub fn default_issuer(self) -> Option<&'static str> {
        match self {
            IdentityProviderKind::Oidc => None,
            IdentityProviderKind::Google => Some("https://accounts.google.com"),
            IdentityProviderKind::Clever => Some("https://clever.com"),
        }
    }

    /// The claim a role is read from when an admin names none.
    pub fn default_role_claim(self) -> Option<&'static str> {
        match self {
            IdentityProviderKind::Clever => Some("user_type"),
            IdentityProviderKind::Oidc | IdentityProviderKind::Google => None,
        }
    }

    /// The claim values mapped to roles when an admin maps none.
    pub fn default_role_map(self) -> BTreeMap<String, Role> {
        match self {
            IdentityProviderKind::Clever => [
                ("student", Role::Learner),
                ("teacher", Role::Coach),
                ("staff", Role::Coach),
                ("school_admin", Role::Manager),
                ("district_admin", Role::Admin),
            ]
            .into_iter()
            .map(|(value, role)| (value.to_string(), role))
            .collect(),
            IdentityProviderKind::Oidc | IdentityProviderKind::Google => BTreeMap::new(),
        }
    }
}

/// What an organisation accepts from one identity provider.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SsoPolicy {
    pub kind: IdentityProviderKind,
    /// E-mail domains (Google: hosted domains) whose people may sign in; an existing account is
    /// linked only when its verified e-mail is in one of them. Empty: any domain may sign in as a
    /// new account (not for Google), and no existing account is ever linked.
    pub allowed_domains: Vec<String>,
    /// Clever: the district whose people may sign in.
    pub district_id: Option<String>,
    /// The claim whose values choose a new member's role.
    pub role_claim: Option<String>,
    /// Claim values and the roles they give.
    pub role_map: BTreeMap<String, Role>,
    /// The role of a new member whose claims map to none.
    pub default_role: Role,
}

/// Who the provider says signed in (its ID token, signature and nonce already verified).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AssertedIdentity {
    /// The provider's stable identifier of the person (`sub`).
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
    /// Google's hosted domain.
    pub hosted_domain: Option<String>,
    /// Clever's district.
    pub district: Option<String>,
    /// The values of the policy's role claim (a string claim gives one).
    pub role_values: Vec<String>,
}

/// Why a verified sign-in is still refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SsoRefusal {
    /// The provider asserted no e-mail address, so no account can be found or made.
    #[error("the identity provider did not share an e-mail address")]
    EmailMissing,
    /// The account's domain (Google: hosted domain; Clever: district) is not the organisation's.
    #[error("{0}")]
    NotAllowed(String),
    /// An account with this e-mail exists, and the provider does not vouch for the address in an
    /// allowed domain, so it is not linked.
    #[error(
        "an account with this e-mail address exists; it is linked only when the identity provider verifies the address in one of the organisation's domains"
    )]
    LinkRefused,
}

/// The domain part of an e-mail address, lower-cased.
pub fn email_domain(email: &str) -> Option<String> {
    email.rsplit_once('@').map(|(_, domain)| domain.to_ascii_lowercase()).filter(|d| !d.is_empty())
}

fn in_domains(domain: Option<&str>, allowed: &[String]) -> bool {
    domain.is_some_and(|d| allowed.iter().any(|a| a.eq_ignore_ascii_case(d)))
}

impl SsoPolicy {
    /// Whether this identity may sign in to the organisation at all.
    pub fn admit(&self, identity: &AssertedIdentity) -> Result<(), SsoRefusal> {
        let email = identity.email.as_deref().ok_or(SsoRefusal::EmailMissing)?;
        match self.kind {
            IdentityProviderKind::Google => {
                if !in_domains(identity.hosted_domain.as_deref(), &self.allowed_domains) {
                    return Err(SsoRefusal::NotAllowed(
                        "this Google account is not in one of the organisation's Workspace domains".into(),
                    ));
                }
            }
            IdentityProviderKind::Clever => {
                if identity.district.is_none() || identity.district != self.district_id {
                    return Err(SsoRefusal::NotAllowed(
                        "this Clever account is not in the organisation's district".into(),
                    ));
                }
            }
            IdentityProviderKind::Oidc => {}
        }
        if !self.allowed_domains.is_empty() && !in_domains(email_domain(email).as_deref(), &self.allowed_domains) {
            return Err(SsoRefusal::NotAllowed(
                "this e-mail address is not in one of the organisation's domains".into(),
            ));
        }
        Ok(())
    }

    /// Whether an existing account with the identity's e-mail may be linked to it: only when the
    /// provider verified the address and it is in one of the allowed domains.
    pub fn may_link_existing(&self, identity: &AssertedIdentity) -> Result<(), SsoRefusal> {
        let domain = identity.email.as_deref().and_then(email_domain);
        if identity.email_verified && in_domains(domain.as_deref(), &self.allowed_domains) {
            Ok(())
        } else {
            Err(SsoRefusal::LinkRefused)
        }
    }

    /// The role a new member starts with: the first of their role-claim values that is mapped,
    /// otherwise the default.
    pub fn role_for(&self, identity: &AssertedIdentity) -> Role {
        identity.role_values.iter().find_map(|value| self.role_map.get(value).copied()).unwrap_or(self.default_role)
    }
}

/// Checks a provider's allowed domains: lower-cased, without duplicates, each a plausible domain.
pub fn normalise_domains(raw: &[String]) -> Result<Vec<String>, ValidationError> {
    let mut domains: Vec<String> = Vec::new();
    for domain in raw {
        let domain = domain.trim().trim_start_matches('@').to_ascii_lowercase();
        let labels_ok = domain.split('.').count() >= 2
            && domain.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                    && !label.starts_with('-')
                    && !label.ends_with('-')
            });
        if domain.len() > 253 || !labels_ok {
            return Err(ValidationError::new("allowed_domains", format!("`{domain}` is not a domain name")));
        }
        if !domains.contains(&domain) {
            domains.push(domain);
        }
    }
    if domains.len() > 50 {
        return Err(ValidationError::new("allowed_domains", "at most 50 domains"));
    }
    Ok(domains)
}

/// Checks a provider's settings against its kind: Google needs its hosted domains, Clever its
/// district.
pub fn check_policy(policy: &SsoPolicy) -> Result<(), ValidationError> {
    match policy.kind {
        IdentityProviderKind::Google if policy.allowed_domains.is_empty() => {
            Err(ValidationError::new("allowed_domains", "a Google provider needs the organisation's Workspace domains"))
        }
        IdentityProviderKind::Clever if policy.district_id.as_deref().is_none_or(|d| d.trim().is_empty()) => {
            Err(ValidationError::new("district_id", "a Clever provider needs the district's id"))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(kind: IdentityProviderKind, domains: &[&str]) -> SsoPolicy {
        SsoPolicy {
            kind,
            allowed_domains: domains.iter().map(|d| d.to_string()).collect(),
            district_id: Some("d-1".into()),
            role_claim: kind.default_role_claim().map(str::to_string),
            role_map: kind.default_role_map(),
            default_role: Role::Learner,
        }
    }

    fn person(email: &str, verified: bool) -> AssertedIdentity {
        AssertedIdentity {
            subject: "s".into(),
            email: Some(email.into()),
            email_verified: verified,
            ..Default::default()
        }
    }

    #[test]
    fn google_admits_only_its_hosted_domains() {
        let google = policy(IdentityProviderKind::Google, &["school.example"]);
        let mut id = person("ana@school.example", true);
        assert!(matches!(google.admit(&id), Err(SsoRefusal::NotAllowed(_))), "no hd claim: a consumer account");
        id.hosted_domain = Some("school.example".into());
        assert_eq!(google.admit(&id), Ok(()));
        id.hosted_domain = Some("other.example".into());
        assert!(google.admit(&id).is_err());
    }

    #[test]
    fn clever_admits_only_its_district_and_maps_user_types() {
        let clever = policy(IdentityProviderKind::Clever, &[]);
        let mut id = person("t@district.example", true);
        id.district = Some("d-2".into());
        assert!(clever.admit(&id).is_err());
        id.district = Some("d-1".into());
        assert_eq!(clever.admit(&id), Ok(()));
        id.role_values = vec!["teacher".into()];
        assert_eq!(clever.role_for(&id), Role::Coach);
        id.role_values = vec!["unknown".into(), "district_admin".into()];
        assert_eq!(clever.role_for(&id), Role::Admin);
        id.role_values = vec![];
        assert_eq!(clever.role_for(&id), Role::Learner);
    }

    #[test]
    fn linking_needs_a_verified_address_in_an_allowed_domain() {
        let oidc = policy(IdentityProviderKind::Oidc, &["corp.example"]);
        assert_eq!(oidc.may_link_existing(&person("a@corp.example", true)), Ok(()));
        assert_eq!(oidc.may_link_existing(&person("a@corp.example", false)), Err(SsoRefusal::LinkRefused));
        assert_eq!(oidc.may_link_existing(&person("a@else.example", true)), Err(SsoRefusal::LinkRefused));
        let open = policy(IdentityProviderKind::Oidc, &[]);
        assert_eq!(open.admit(&person("a@else.example", false)), Ok(()));
        assert_eq!(open.may_link_existing(&person("a@else.example", true)), Err(SsoRefusal::LinkRefused));
    }

    #[test]
    fn domains_are_normalised_and_checked() {
        let ok = normalise_domains(&[" School.Example ".into(), "@school.example".into(), "b.example".into()]).unwrap();
        assert_eq!(ok, vec!["school.example", "b.example"]);
        assert!(normalise_domains(&["localhost".into()]).is_err());
        assert!(normalise_domains(&["bad_domain.example".into()]).is_err());
    }
}
