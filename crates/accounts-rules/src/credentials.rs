//! Passwords (Argon2id with a strength check) and opaque secrets for
//! sessions, API tokens and invitations (random, shown once, stored as a
//! SHA-256 digest so a database leak does not hand out live credentials).

use argon2::{
    Argon2,
    password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString, rand_core::OsRng, rand_core::RngCore},
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};

/// Why a password or secret was refused.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CredentialError {
    /// The password is shorter than the minimum length.
    #[error("the password must be at least {0} characters long")]
    TooShort(usize),
    /// The password is longer than the maximum length.
    #[error("the password must be at most {0} characters long")]
    TooLong(usize),
    /// The password is easy to guess.
    #[error("the password is too easy to guess{0}")]
    TooWeak(String),
    /// The stored hash could not be read or produced.
    #[error("password hashing failed: {0}")]
    Hashing(String),
}

/// The shortest password accepted for a new or changed password.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// The longest password accepted.
pub const MAX_PASSWORD_CHARS: usize = 256;

/// Checks a new password: length bounds and a zxcvbn score of at least 3 of 4,
/// with the person's email and name counted as known words.
pub fn check_password_strength(password: &str, personal: &[&str]) -> Result<(), CredentialError> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(CredentialError::TooShort(MIN_PASSWORD_CHARS));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(CredentialError::TooLong(MAX_PASSWORD_CHARS));
    }
    // Whole values and their parts ("ada.lovelace@x.org" → "ada", "lovelace", …)
    // count as known words, so a password built from them scores low.
    let mut known: Vec<&str> = personal.to_vec();
    known.extend(personal.iter().flat_map(|p| p.split(|c: char| !c.is_alphanumeric())).filter(|w| w.len() >= 3));
    let estimate = zxcvbn::zxcvbn(password, &known);
    if (estimate.score() as u8) < 3 {
        let hint = estimate.feedback().and_then(|f| f.warning().map(|w| format!(": {w}"))).unwrap_or_default();
        return Err(CredentialError::TooWeak(hint));
    }
    Ok(())
}

/// Hashes a password with Argon2id (the crate's OWASP-recommended defaults).
pub fn hash_password(password: &str) -> Result<String, CredentialError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| CredentialError::Hashing(e.to_string()))
}

/// Verifies a password against a stored Argon2 hash; a malformed hash never verifies.
pub fn verify_password(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored)
        .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
        .unwrap_or(false)
}

/// A freshly generated secret: the text handed to its owner once, and the digest we keep.
pub struct Secret {
    /// The secret as shown to its owner (`prefix_` + 43 URL-safe characters).
    pub plaintext: String,
    /// SHA-256 of the plaintext, URL-safe base64; what the database stores.
    pub digest: String,
}

/// Generates a 256-bit random secret with a readable prefix (`wfs`, `wft`, `wfi`…).
pub fn new_secret(prefix: &str) -> Secret {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    let plaintext = format!("{prefix}_{}", URL_SAFE_NO_PAD.encode(bytes));
    let digest = hash_secret(&plaintext);
    Secret { plaintext, digest }
}

/// A random password of 20 URL-safe characters (about 120 bits), for the CLI to hand out.
pub fn generate_password() -> String {
    let mut bytes = [0u8; 15];
    OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// Whether two byte strings are equal, in time that depends only on their lengths (for secrets,
/// tokens and codes).
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The digest under which a secret is stored and looked up.
pub fn hash_secret(plaintext: &str) -> String {
    URL_SAFE_NO_PAD.encode(Sha256::digest(plaintext.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strength_rejects_short_common_and_personal_passwords() {
        assert_eq!(check_password_strength("short", &[]), Err(CredentialError::TooShort(10)));
        assert!(matches!(check_password_strength("password123", &[]), Err(CredentialError::TooWeak(_))));
        assert!(matches!(
            check_password_strength("ada.lovelace1815", &["ada.lovelace1815@example.org", "Ada Lovelace"]),
            Err(CredentialError::TooWeak(_))
        ));
        assert!(check_password_strength("violet-otter-sings-at-dawn", &[]).is_ok());
    }

    #[test]
    fn hashes_verify_only_the_right_password() {
        let hash = hash_password("violet-otter-sings-at-dawn").unwrap();
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("violet-otter-sings-at-dawn", &hash));
        assert!(!verify_password("violet-otter-sings-at-dusk", &hash));
        assert!(!verify_password("anything", "not a hash"));
    }

    #[test]
    fn secrets_are_unique_and_digest_matches() {
        let a = new_secret("wft");
        let b = new_secret("wft");
        assert_ne!(a.plaintext, b.plaintext);
        assert!(a.plaintext.starts_with("wft_"));
        assert_eq!(hash_secret(&a.plaintext), a.digest);
        assert_ne!(a.digest, a.plaintext);
    }
}
