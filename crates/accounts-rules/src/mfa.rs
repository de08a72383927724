//! Multi-factor sign-in rules: time-based one-time passwords (RFC 6238: SHA-1, six digits,
//! 30-second steps, one step of clock drift either way; computed by `totp-rs`), each step usable
//! once, and single-use recovery codes.

use crate::credentials::{constant_time_eq, hash_secret};
use argon2::password_hash::rand_core::{OsRng, RngCore};
use totp_rs::{Algorithm, Secret, TOTP};

/// Seconds per time step.
pub const TOTP_STEP_SECONDS: u64 = 30;
/// Digits of a code.
pub const TOTP_DIGITS: usize = 6;
/// Recovery codes issued at a time.
pub const RECOVERY_CODES: usize = 10;
/// Days a remembered device skips the second step.
pub const REMEMBER_DEVICE_DAYS: i64 = 30;
/// Wrong codes one second step accepts before it must start again.
pub const MAX_CHALLENGE_ATTEMPTS: i64 = 5;

/// A new TOTP secret: 160 random bits, base32 (what authenticator apps take).
pub fn new_totp_secret() -> String {
    let mut bytes = [0u8; 20];
    OsRng.fill_bytes(&mut bytes);
    Secret::Raw(bytes.to_vec()).to_encoded().to_string()
}

fn totp(secret_base32: &str) -> Option<TOTP> {
    let bytes = Secret::Encoded(secret_base32.to_string()).to_bytes().ok()?;
    TOTP::new(Algorithm::SHA1, TOTP_DIGITS, 1, TOTP_STEP_SECONDS, bytes).ok()
}

/// The `otpauth://` URI an authenticator app reads (usually from a QR code).
pub fn otpauth_uri(secret_base32: &str, issuer: &str, account: &str) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    format!(
        "otpauth://totp/{}:{}?secret={secret_base32}&issuer={}&algorithm=SHA1&digits={TOTP_DIGITS}&period={TOTP_STEP_SECONDS}",
        enc(issuer),
        enc(account),
        enc(issuer)
    )
}

/// The code for a moment (seconds since the Unix epoch); for tests and for showing a code.
pub fn totp_code_at(secret_base32: &str, unix_seconds: u64) -> Option<String> {
    totp(secret_base32).map(|t| t.generate(unix_seconds))
}

/// The time step a typed code belongs to, if it is right for `now` (one step of drift either way)
/// and newer than `last_used_step` (so a code, once used, never works again).
pub fn verify_totp(secret_base32: &str, code: &str, unix_seconds: u64, last_used_step: u64) -> Option<u64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != TOTP_DIGITS || !code.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let totp = totp(secret_base32)?;
    let now = unix_seconds / TOTP_STEP_SECONDS;
    [now.saturating_sub(1), now, now + 1]
        .into_iter()
        .filter(|step| *step > last_used_step)
        .find(|step| constant_time_eq(totp.generate(step * TOTP_STEP_SECONDS).as_bytes(), code.as_bytes()))
}

/// New recovery codes (`xxxxx-xxxxx`, lower-case letters and digits without look-alikes), and the
/// digests they are stored under.
pub fn new_recovery_codes() -> Vec<(String, String)> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut bytes = [0u8; 10];
            OsRng.fill_bytes(&mut bytes);
            let chars: String = bytes.iter().map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char).collect();
            let code = format!("{}-{}", &chars[..5], &chars[5..]);
            let digest = recovery_code_digest(&code);
            (code, digest)
        })
        .collect()
}

/// The digest a typed recovery code is looked up by (case, spaces and the dash do not matter).
pub fn recovery_code_digest(typed: &str) -> String {
    let normal: String = typed.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_lowercase()).collect();
    hash_secret(&format!("wfr:{normal}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    // RFC 6238 appendix B: the SHA-1 seed "12345678901234567890" and its eight-digit codes; the
    // six-digit code is their last six digits.
    #[test]
    fn codes_match_the_rfc_test_vectors() {
        let secret = Secret::Raw(b"12345678901234567890".to_vec()).to_encoded().to_string();
        for (time, eight_digits) in [(59, "94287082"), (1111111109, "07081804"), (1234567890, "89005924")] {
            assert_eq!(totp_code_at(&secret, time).unwrap(), eight_digits[2..]);
        }
    }

    #[test]
    fn a_code_works_within_one_step_and_only_once() {
        let secret = new_totp_secret();
        let now = 1_800_000_000;
        let code = totp_code_at(&secret, now).unwrap();
        let step = verify_totp(&secret, &code, now, 0).expect("the current code");
        assert_eq!(step, now / TOTP_STEP_SECONDS);
        assert_eq!(verify_totp(&secret, &code, now, step), None, "used once");
        assert_eq!(verify_totp(&secret, &code, now + 30, 0), Some(step), "one step late");
        assert_eq!(verify_totp(&secret, &code, now + 90, 0), None, "three steps late");
        assert_eq!(verify_totp(&secret, "12345", now, 0), None);
        assert_eq!(verify_totp(&secret, &format!("{} {}", &code[..3], &code[3..]), now, 0), Some(step));
    }

    #[test]
    fn recovery_codes_are_distinct_and_typed_loosely() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        let distinct: std::collections::HashSet<_> = codes.iter().map(|(c, _)| c.clone()).collect();
        assert_eq!(distinct.len(), RECOVERY_CODES);
        let (code, digest) = &codes[0];
        assert_eq!(&recovery_code_digest(&code.to_uppercase().replace('-', " ")), digest);
    }

    #[test]
    fn the_uri_names_issuer_and_account() {
        let uri = otpauth_uri("JBSWY3DPEHPK3PXP", "Wayfinder", "ana@example.org");
        assert_eq!(
            uri,
            "otpauth://totp/Wayfinder:ana%40example.org?secret=JBSWY3DPEHPK3PXP&issuer=Wayfinder&algorithm=SHA1&digits=6&period=30"
        );
    }
}
