//! Sign-in rules that need storage: checking a password against the stored
//! hash with per-account and per-address throttling, changing a password, and
//! the one-time setup of the first instance operator.

use crate::{Accounts, AccountsError, AccountsResult, hash_off_thread, missing};
use chrono::Utc;
use std::sync::LazyLock;
use wayfinder_accounts_rules::{
    Person, check_password_strength, hash_password, hash_secret, normalise_email, validate_display_name,
    verify_password,
};
use wayfinder_store::NewPerson;

// Verifying against a real Argon2 hash when the account does not exist keeps
// the response time the same, so timing does not reveal which emails exist.
static DUMMY_HASH: LazyLock<String> =
    LazyLock::new(|| hash_password("wayfinder-timing-equaliser").expect("hashing a constant works"));

/// The throttle keys a sign-in attempt counts against: the account, and the address when known.
pub(crate) fn throttle_keys(email: &str, ip: Option<&str>) -> Vec<String> {
    let mut keys = vec![format!("account:{email}")];
    if let Some(ip) = ip {
        keys.push(format!("ip:{ip}"));
    }
    keys
}

impl Accounts {
    /// Checks `email` (normalised) and `password` for signing in: [`Accounts::verify_password_only`],
    /// and then a member of an SSO-only organisation (not an operator) is refused.
    pub async fn verify_credentials(&self, email: &str, password: &str, ip: Option<&str>) -> AccountsResult<Person> {
        let person = self.verify_password_only(email, password, ip).await?;
        if !person.is_operator && self.store.member_of_sso_only_org(person.id).await? {
            return Err(crate::SsoFailure::PasswordNotAllowed.into());
        }
        Ok(person)
    }

    /// Checks `email` (normalised) and `password`, refusing while the account
    /// or `ip` is locked out; a failure counts towards both lockouts and a
    /// success clears the account's count. Returns the person.
    pub async fn verify_password_only(&self, email: &str, password: &str, ip: Option<&str>) -> AccountsResult<Person> {
        let keys = throttle_keys(email, ip);
        self.ensure_not_locked(&keys).await?;
        let found = self.store.person_with_password(email).await?;
        let hash = found.as_ref().and_then(|(_, h)| h.clone()).unwrap_or_else(|| DUMMY_HASH.clone());
        let password = password.to_string();
        let ok = tokio::task::spawn_blocking(move || verify_password(&password, &hash)).await?;
        match found {
            Some((person, Some(_))) if ok => {
                self.store.clear_login_failures(&keys[0]).await?;
                Ok(person)
            }
            _ => {
                self.record_failure(&keys).await?;
                Err(AccountsError::InvalidCredentials)
            }
        }
    }

    pub(crate) async fn ensure_not_locked(&self, keys: &[String]) -> AccountsResult<()> {
        let now = Utc::now();
        for key in keys {
            if let Some(until) = self.store.login_locked_until(key, now).await? {
                return Err(AccountsError::LoginLocked { retry_after_secs: (until - now).num_seconds().max(1) as u64 });
            }
        }
        Ok(())
    }

    pub(crate) async fn record_failure(&self, keys: &[String]) -> AccountsResult<()> {
        let s = &self.settings;
        let now = Utc::now();
        for key in keys {
            let max =
                if key.starts_with("ip:") { s.login_max_failures_per_ip } else { s.login_max_failures_per_account };
            self.store.record_login_failure(key, now, s.login_failure_window, max, s.login_lockout).await?;
        }
        Ok(())
    }

    /// Replaces `person`'s password after checking their current one; every
    /// session of theirs ends. The new password is reported on `new_password`.
    pub async fn change_password(
        &self,
        person: &Person,
        current_password: &str,
        new_password: &str,
        ip: Option<&str>,
    ) -> AccountsResult<()> {
        self.verify_password_only(&person.email, current_password, ip).await?;
        check_password_strength(new_password, &[&person.email, &person.display_name])
            .map_err(|error| AccountsError::Password { field: "new_password", error })?;
        let hash = hash_off_thread(new_password, "new_password").await?;
        Ok(self.store.set_password(person.id, &hash).await?)
    }

    /// Creates the first instance operator with the one-time setup secret
    /// `token`; a wrong, used or expired secret is "setup link" not found.
    pub async fn complete_setup(
        &self,
        token: &str,
        email: &str,
        display_name: &str,
        password: &str,
    ) -> AccountsResult<Person> {
        let email = normalise_email(email)?;
        let display_name = validate_display_name(display_name, "display_name")?;
        check_password_strength(password, &[&email, &display_name])
            .map_err(|error| AccountsError::Password { field: "password", error })?;
        let hash = hash_off_thread(password, "password").await?;
        let new = NewPerson { email, display_name, password_hash: Some(hash), is_operator: true };
        self.store.complete_setup(&hash_secret(token.trim()), &new).await.map_err(missing("setup link"))
    }
}
