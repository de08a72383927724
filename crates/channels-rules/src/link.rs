//! One-time codes that link a messaging account to a person: shown in the
//! web app, sent to the bot. Eight symbols from an alphabet without the
//! look-alikes 0/O and 1/I (40 bits), shown as `ABCD-EFGH`; typed in any case,
//! with or without the dash or spaces. Only a digest is stored.

use sha2::{Digest, Sha256};

/// The symbols a code uses: 32 of them, so each random byte gives one symbol evenly.
pub const ALPHABET: &[u8; 32] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
/// Symbols in a code.
pub const LENGTH: usize = 8;

/// A link code in its canonical form (eight symbols, no dash).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct LinkCode(String);

impl LinkCode {
    /// The code eight random bytes give (each byte picks a symbol by its low five bits).
    pub fn from_random(bytes: [u8; LENGTH]) -> LinkCode {
        LinkCode(bytes.iter().map(|b| ALPHABET[usize::from(b & 31)] as char).collect())
    }

    /// A code as a person typed it, if it is one.
    pub fn parse(input: &str) -> Option<LinkCode> {
        let canonical: String =
            input.chars().filter(|c| !matches!(c, '-' | ' ' | '\t')).map(|c| c.to_ascii_uppercase()).collect();
        (canonical.len() == LENGTH && canonical.bytes().all(|b| ALPHABET.contains(&b))).then_some(LinkCode(canonical))
    }

    /// What is stored to find the code again: its SHA-256, hex.
    pub fn digest(&self) -> String {
        Sha256::digest(self.0.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The code's eight symbols, as a link carries it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// As shown to a person: `ABCD-EFGH`.
    pub fn display(&self) -> String {
        format!("{}-{}", &self.0[..LENGTH / 2], &self.0[LENGTH / 2..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_read_back_however_they_are_typed() {
        let code = LinkCode::from_random([0, 1, 31, 32, 8, 200, 24, 255]);
        // Low five bits: 0 A, 1 B, 31 9, 0 A, 8 J, 8 J, 24 2, 31 9.
        assert_eq!(code.display(), "AB9A-JJ29");
        for typed in ["AB9A-JJ29", "ab9a jj29", " ab9ajj29 ", "AB9A - JJ29"] {
            assert_eq!(LinkCode::parse(typed), Some(code.clone()), "{typed}");
        }
        for wrong in ["AB9A-JJ2", "AB9A-JJ290", "AB0A-JJ29", "ABIA-JJ29", "ÄB9A-JJ29"] {
            assert_eq!(LinkCode::parse(wrong), None, "{wrong}");
        }
        // SHA-256 of "AB9AJJ29" has 64 hex digits and differs from another code's.
        assert_eq!(code.digest().len(), 64);
        assert_ne!(code.digest(), LinkCode::parse("AB9AJJ28").unwrap().digest());
    }
}
