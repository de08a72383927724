//! Secrets kept at rest — an OAuth signing key, an organisation's own model keys — are sealed
//! with the server key: AES-256-GCM (ring), a fresh 96-bit nonce every time, the record the secret
//! belongs to bound in as associated data (a sealed value copied onto another record does not
//! open), and the id of the key in front, so the key can be rotated: the current key seals,
//! previous keys still open what they sealed, and [`Keyring::is_current`] says what to seal again.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use ring::{
    aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey},
    rand::{SecureRandom, SystemRandom},
};
use sha2::{Digest, Sha256};

/// The format marker of a sealed value: `v1:<key id>:<base64url(nonce ‖ ciphertext ‖ tag)>`.
const VERSION: &str = "v1";

/// What goes wrong with the server key or a sealed value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SealError {
    /// A configured key is not 32 bytes in hex or base64.
    #[error(
        "a server key must be 32 random bytes written as 64 hex digits or as base64 (`wayfinder secret-key new` prints one)"
    )]
    BadKey,
    /// The value was sealed with a key this instance was not given.
    #[error(
        "a stored secret was sealed with server key {0}, which this instance does not have: give every instance the same \
         secret_key, and keep a replaced key in previous_secret_keys until its secrets are sealed again"
    )]
    UnknownKey(String),
    /// The value is damaged, or belongs to another record.
    #[error("a stored secret is damaged or belongs to another record")]
    Damaged,
}

/// One server key and its id (the first 8 bytes of its SHA-256, in hex: safe to log).
struct ServerKey {
    id: String,
    key: LessSafeKey,
}

impl ServerKey {
    fn new(bytes: &[u8; 32]) -> Self {
        let id = hex_prefix(&Sha256::digest(bytes)[..8]);
        let key = LessSafeKey::new(UnboundKey::new(&AES_256_GCM, bytes).expect("32 bytes make an AES-256 key"));
        ServerKey { id, key }
    }
}

/// The server key that seals, and the previous ones that still open.
pub struct Keyring {
    current: ServerKey,
    previous: Vec<ServerKey>,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let previous: Vec<&str> = self.previous.iter().map(|k| k.id.as_str()).collect();
        f.debug_struct("Keyring").field("current", &self.current.id).field("previous", &previous).finish()
    }
}

impl Keyring {
    /// The keyring of `current` (hex or base64 text) and the `previous` keys still to be opened.
    pub fn parse(current: &str, previous: &[String]) -> Result<Self, SealError> {
        let current = ServerKey::new(&parse_key(current)?);
        let previous = previous.iter().map(|k| parse_key(k).map(|b| ServerKey::new(&b))).collect::<Result<_, _>>()?;
        Ok(Keyring { current, previous })
    }

    /// A keyring of one random key that lives as long as the process (for a server whose
    /// configuration names none, and for tests).
    pub fn ephemeral() -> Self {
        Keyring::parse(&new_key_text(), &[]).expect("a new key parses")
    }

    /// The id of the key that seals.
    pub fn current_id(&self) -> &str {
        &self.current.id
    }

    /// Seals `plaintext` for the record named by `context` (e.g. `oauth-signing-key:<kid>`).
    pub fn seal(&self, plaintext: &[u8], context: &str) -> String {
        let mut nonce = [0u8; NONCE_LEN];
        SystemRandom::new().fill(&mut nonce).expect("the system's random source works");
        let mut sealed = plaintext.to_vec();
        self.current
            .key
            .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(context.as_bytes()), &mut sealed)
            .expect("AES-GCM seals any length this program stores");
        let mut body = nonce.to_vec();
        body.extend_from_slice(&sealed);
        format!("{VERSION}:{}:{}", self.current.id, URL_SAFE_NO_PAD.encode(body))
    }

    /// Opens what [`Keyring::seal`] sealed for the same `context`.
    pub fn open(&self, sealed: &str, context: &str) -> Result<Vec<u8>, SealError> {
        let mut parts = sealed.splitn(3, ':');
        let (Some(VERSION), Some(id), Some(body)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(SealError::Damaged);
        };
        let key = std::iter::once(&self.current)
            .chain(&self.previous)
            .find(|k| k.id == id)
            .ok_or_else(|| SealError::UnknownKey(id.to_string()))?;
        let mut body = URL_SAFE_NO_PAD.decode(body).map_err(|_| SealError::Damaged)?;
        if body.len() < NONCE_LEN {
            return Err(SealError::Damaged);
        }
        let mut ciphertext = body.split_off(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(&body).map_err(|_| SealError::Damaged)?;
        let plaintext = key
            .key
            .open_in_place(nonce, Aad::from(context.as_bytes()), &mut ciphertext)
            .map_err(|_| SealError::Damaged)?;
        Ok(plaintext.to_vec())
    }

    /// Whether `sealed` is sealed with the current key (when not, it should be sealed again).
    pub fn is_current(&self, sealed: &str) -> bool {
        sealed.split(':').nth(1) == Some(self.current.id.as_str())
    }

    /// Checks that `sealed` opens for `context`; answers it sealed again with the current key
    /// when a previous key sealed it (`None`: it is current already).
    pub fn reseal(&self, sealed: &str, context: &str) -> Result<Option<String>, SealError> {
        let plaintext = self.open(sealed, context)?;
        Ok((!self.is_current(sealed)).then(|| self.seal(&plaintext, context)))
    }
}

/// A new random server key, as 64 hex digits.
pub fn new_key_text() -> String {
    let mut bytes = [0u8; 32];
    SystemRandom::new().fill(&mut bytes).expect("the system's random source works");
    hex_prefix(&bytes)
}

fn parse_key(text: &str) -> Result<[u8; 32], SealError> {
    let text = text.trim();
    let bytes = if text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        (0..32).map(|i| u8::from_str_radix(&text[2 * i..2 * i + 2], 16)).collect::<Result<Vec<u8>, _>>().ok()
    } else {
        use base64::engine::general_purpose::{STANDARD, URL_SAFE};
        let unpadded = text.trim_end_matches('=');
        [STANDARD.decode(text), URL_SAFE.decode(text), URL_SAFE_NO_PAD.decode(unpadded)]
            .into_iter()
            .find_map(Result::ok)
    };
    bytes.and_then(|b| <[u8; 32]>::try_from(b).ok()).ok_or(SealError::BadKey)
}

fn hex_prefix(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sealed_value_opens_only_for_its_record_and_only_with_its_key() {
        let ring = Keyring::ephemeral();
        let sealed = ring.seal(b"sk-organisation-key", "provider-key:org-1");
        assert!(!sealed.contains("sk-organisation-key"));
        assert_ne!(sealed, ring.seal(b"sk-organisation-key", "provider-key:org-1"), "a fresh nonce each time");
        assert_eq!(ring.open(&sealed, "provider-key:org-1").unwrap(), b"sk-organisation-key");
        assert_eq!(ring.open(&sealed, "provider-key:org-2"), Err(SealError::Damaged));
        let mut flipped = sealed.clone().into_bytes();
        let last = flipped.len() - 1;
        flipped[last] = if flipped[last] == b'A' { b'B' } else { b'A' };
        assert_eq!(ring.open(std::str::from_utf8(&flipped).unwrap(), "provider-key:org-1"), Err(SealError::Damaged));
        let other = Keyring::ephemeral();
        assert!(
            matches!(other.open(&sealed, "provider-key:org-1"), Err(SealError::UnknownKey(id)) if id == ring.current_id())
        );
    }

    #[test]
    fn a_rotated_keyring_opens_the_old_values_and_seals_with_the_new_key() {
        let old = new_key_text();
        let before = Keyring::parse(&old, &[]).unwrap();
        let sealed = before.seal(b"secret", "ctx");
        let after = Keyring::parse(&new_key_text(), &[old]).unwrap();
        assert!(!after.is_current(&sealed));
        assert_eq!(after.open(&sealed, "ctx").unwrap(), b"secret");
        assert!(after.is_current(&after.seal(b"secret", "ctx")));
        let resealed = after.reseal(&sealed, "ctx").unwrap().expect("sealed again with the new key");
        assert!(after.is_current(&resealed));
        assert_eq!(after.open(&resealed, "ctx").unwrap(), b"secret");
        assert_eq!(after.reseal(&resealed, "ctx").unwrap(), None, "current already");
        assert_eq!(after.reseal(&sealed, "other"), Err(SealError::Damaged));
    }

    #[test]
    fn keys_are_read_as_hex_or_base64_and_nothing_else() {
        let bytes = [7u8; 32];
        let hex = hex_prefix(&bytes);
        let b64 = base64::engine::general_purpose::STANDARD.encode(bytes);
        let a = Keyring::parse(&hex, &[]).unwrap();
        let b = Keyring::parse(&b64, &[]).unwrap();
        assert_eq!(a.current_id(), b.current_id());
        assert_eq!(b.open(&a.seal(b"x", "c"), "c").unwrap(), b"x");
        for bad in ["", "short", &hex[..62], &base64::engine::general_purpose::STANDARD.encode([1u8; 16])] {
            assert_eq!(Keyring::parse(bad, &[]).unwrap_err(), SealError::BadKey, "{bad:?}");
        }
    }
}
