//! Multi-factor sign-in: enrolling an authenticator app (TOTP) with recovery codes, the second
//! step after a right password (a code or a recovery code, each usable once; wrong codes count
//! towards the account's lockout like wrong passwords), remembered devices, and turning the
//! factor off or having an admin reset it.

use crate::{Accounts, AccountsError, AccountsResult};
use chrono::{DateTime, Duration, Utc};
use wayfinder_accounts_rules::mfa::{
    MAX_CHALLENGE_ATTEMPTS, REMEMBER_DEVICE_DAYS, new_recovery_codes, new_totp_secret, otpauth_uri,
    recovery_code_digest, verify_totp,
};
use wayfinder_accounts_rules::{Person, hash_secret, new_secret};
use wayfinder_store::{MfaStanding, StoreError};

/// Minutes between a right password and its second step.
pub const MFA_CHALLENGE_MINUTES: i64 = 5;

/// What an authenticator app needs: the secret, also as an `otpauth://` URI (for a QR code).
#[derive(Clone, Debug)]
pub struct MfaEnrolment {
    pub secret: String,
    pub otpauth_uri: String,
}

/// The second factor someone typed.
#[derive(Clone, Debug)]
pub enum SecondFactor {
    /// A code from their authenticator app.
    Code(String),
    /// One of their recovery codes.
    RecoveryCode(String),
}

/// A second step under way: its token (sent once) and when it ends.
#[derive(Clone, Debug)]
pub struct MfaChallengeStarted {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// A device remembered for [`REMEMBER_DEVICE_DAYS`]: the cookie secret (sent once) and its end.
#[derive(Clone, Debug)]
pub struct RememberedDevice {
    pub secret: String,
    pub expires_at: DateTime<Utc>,
}

/// New recovery codes (shown once) and the digests they are stored under.
fn recovery_codes_and_digests() -> (Vec<String>, Vec<String>) {
    new_recovery_codes().into_iter().unzip()
}

impl Accounts {
    /// Whether `person` must use a second factor: operators (when the instance says so) and
    /// admins of organisations that require it.
    pub fn mfa_required(&self, person: &Person, standing: MfaStanding) -> bool {
        (person.is_operator && self.settings.require_mfa_for_operators) || standing.required_as_admin
    }

    /// Checks the password of someone about to change their second factor (people who sign in
    /// only through single sign-on have none to give).
    async fn confirm_password(&self, person: &Person, password: Option<&str>, ip: Option<&str>) -> AccountsResult<()> {
        match self.store.person_with_password(&person.email).await? {
            Some((_, Some(_))) => {
                let password = password.ok_or(AccountsError::InvalidCredentials)?;
                self.verify_password_only(&person.email, password, ip).await.map(|_| ())
            }
            _ => Ok(()),
        }
    }

    /// Starts enrolling an authenticator app: a new secret, kept unconfirmed until a code from
    /// the app is typed. Someone whose factor is confirmed turns it off first.
    pub async fn begin_mfa_enrolment(
        &self,
        person: &Person,
        password: Option<&str>,
        ip: Option<&str>,
        issuer: &str,
    ) -> AccountsResult<MfaEnrolment> {
        self.confirm_password(person, password, ip).await?;
        let secret = new_totp_secret();
        self.store.begin_mfa_enrolment(person.id, &secret).await.map_err(|e| match e {
            StoreError::Duplicate(_) => {
                AccountsError::Conflict("a second factor is already on; turn it off first".into())
            }
            other => other.into(),
        })?;
        Ok(MfaEnrolment { otpauth_uri: otpauth_uri(&secret, issuer, &person.email), secret })
    }

    /// Confirms enrolment with a code from the app; answers the new recovery codes (shown once).
    pub async fn confirm_mfa_enrolment(&self, person: &Person, code: &str) -> AccountsResult<Vec<String>> {
        let factor = self.store.mfa_factor(person.id).await?;
        let Some(factor) = factor.filter(|f| f.confirmed_at.is_none()) else {
            return Err(AccountsError::Conflict("start enrolling an authenticator app first".into()));
        };
        let step =
            verify_totp(&factor.secret, code, Utc::now().timestamp() as u64, 0).ok_or(AccountsError::MfaCodeInvalid)?;
        let (codes, digests) = recovery_codes_and_digests();
        self.store.confirm_mfa(person.id, step, &digests).await?;
        Ok(codes)
    }

    /// Checks a second factor of someone with a confirmed one, using it up.
    pub async fn check_second_factor(&self, person: &Person, factor: &SecondFactor) -> AccountsResult<()> {
        let ok = match factor {
            SecondFactor::Code(code) => {
                let stored = self.store.mfa_factor(person.id).await?.filter(|f| f.confirmed_at.is_some());
                let Some(stored) = stored else { return Err(AccountsError::MfaCodeInvalid) };
                match verify_totp(&stored.secret, code, Utc::now().timestamp() as u64, stored.last_used_step) {
                    Some(step) => self.store.use_mfa_step(person.id, step).await?,
                    None => false,
                }
            }
            SecondFactor::RecoveryCode(code) => {
                self.store.use_recovery_code(person.id, &recovery_code_digest(code)).await?
            }
        };
        if ok { Ok(()) } else { Err(AccountsError::MfaCodeInvalid) }
    }

    /// New recovery codes for someone with a confirmed factor (the old ones stop working).
    pub async fn regenerate_recovery_codes(
        &self,
        person: &Person,
        factor: &SecondFactor,
    ) -> AccountsResult<Vec<String>> {
        self.check_second_factor(person, factor).await?;
        let (codes, digests) = recovery_codes_and_digests();
        self.store.replace_recovery_codes(person.id, &digests).await?;
        Ok(codes)
    }

    /// Turns the person's second factor off (their password and a second factor confirm it);
    /// refused while they are required to have one.
    pub async fn disable_mfa(
        &self,
        person: &Person,
        password: Option<&str>,
        factor: &SecondFactor,
        ip: Option<&str>,
    ) -> AccountsResult<()> {
        let standing = self.store.mfa_standing(person.id).await?;
        if self.mfa_required(person, standing) {
            return Err(AccountsError::Conflict("a second factor is required for you; it cannot be turned off".into()));
        }
        self.confirm_password(person, password, ip).await?;
        self.check_second_factor(person, factor).await?;
        self.store.remove_mfa(person.id).await?;
        Ok(())
    }

    /// After a right password: a second step to finish with [`Accounts::finish_mfa_challenge`].
    pub async fn start_mfa_challenge(&self, person: &Person) -> AccountsResult<MfaChallengeStarted> {
        let secret = new_secret("wfm");
        let expires_at = Utc::now() + Duration::minutes(MFA_CHALLENGE_MINUTES);
        self.store.create_mfa_challenge(&secret.digest, person.id, expires_at).await?;
        Ok(MfaChallengeStarted { token: secret.plaintext, expires_at })
    }

    /// Finishes a second step: the person signed in, or why not. A wrong factor counts towards
    /// the account's and the address's lockout; after [`MAX_CHALLENGE_ATTEMPTS`] the step ends.
    pub async fn finish_mfa_challenge(
        &self,
        token: &str,
        factor: &SecondFactor,
        ip: Option<&str>,
    ) -> AccountsResult<Person> {
        let digest = hash_secret(token);
        let challenge = self.store.mfa_challenge(&digest).await?;
        let Some(challenge) = challenge.filter(|c| c.expires_at > Utc::now() && c.attempts < MAX_CHALLENGE_ATTEMPTS)
        else {
            return Err(AccountsError::MfaChallengeInvalid);
        };
        let person = self.store.person(challenge.person).await?;
        let keys = crate::sign_in::throttle_keys(&person.email, ip);
        self.ensure_not_locked(&keys).await?;
        match self.check_second_factor(&person, factor).await {
            Ok(()) => {
                self.store.end_mfa_challenge(&digest).await?;
                Ok(person)
            }
            Err(AccountsError::MfaCodeInvalid) => {
                self.record_failure(&keys).await?;
                if self.store.fail_mfa_challenge(&digest).await? >= MAX_CHALLENGE_ATTEMPTS {
                    self.store.end_mfa_challenge(&digest).await?;
                }
                Err(AccountsError::MfaCodeInvalid)
            }
            Err(other) => Err(other),
        }
    }

    /// Remembers this device for the person, so their next sign-ins skip the second step.
    pub async fn remember_device(&self, person: &Person) -> AccountsResult<RememberedDevice> {
        let secret = new_secret("wfd");
        let expires_at = Utc::now() + Duration::days(REMEMBER_DEVICE_DAYS);
        self.store.remember_device(&secret.digest, person.id, expires_at).await?;
        Ok(RememberedDevice { secret: secret.plaintext, expires_at })
    }

    /// Whether a device cookie's secret is remembered for the person.
    pub async fn is_device_remembered(&self, person: &Person, secret: &str) -> AccountsResult<bool> {
        Ok(self.store.device_remembered(&hash_secret(secret), person.id).await?)
    }
}
