//! Secrets at rest: TOTP seeds, pending codes and API keys are encrypted with
//! the server's secret key (XChaCha20-Poly1305, `v1:` + base64 of nonce and
//! ciphertext); API keys are also stored as a SHA-256 hash for lookup.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngExt as _;
use sha2::{Digest, Sha256};

const PREFIX: &str = "v1:";

/// The server's secret key.
#[derive(Clone)]
pub struct Crypto {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for Crypto {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Crypto(*****)")
    }
}

/// A stored secret could not be decrypted: wrong secret key or damaged data.
#[derive(Debug, thiserror::Error)]
#[error(
    "a stored secret cannot be decrypted: is --secret-key the key the database was created with?"
)]
pub struct DecryptError;

impl Crypto {
    /// Derives the cipher key from any secret text (SHA-256 of it), so operators
    /// may pass a passphrase or a generated key.
    pub fn new(secret_key: &str) -> Self {
        let key = Sha256::digest(secret_key.as_bytes());
        Crypto {
            cipher: XChaCha20Poly1305::new_from_slice(&key).expect("32-byte key"),
        }
    }

    /// Encrypts `plain` with a fresh random nonce.
    pub fn encrypt(&self, plain: &[u8]) -> String {
        let nonce_bytes: [u8; 24] = rand::rng().random();
        let nonce = XNonce::from(nonce_bytes);
        let sealed = self
            .cipher
            .encrypt(&nonce, plain)
            .expect("encryption cannot fail");
        let mut out = nonce_bytes.to_vec();
        out.extend_from_slice(&sealed);
        format!("{PREFIX}{}", BASE64.encode(out))
    }

    /// Decrypts what [`Crypto::encrypt`] made.
    pub fn decrypt(&self, stored: &str) -> Result<Vec<u8>, DecryptError> {
        let data = BASE64
            .decode(stored.strip_prefix(PREFIX).ok_or(DecryptError)?)
            .map_err(|_| DecryptError)?;
        if data.len() < 24 {
            return Err(DecryptError);
        }
        let (nonce, sealed) = data.split_at(24);
        let nonce = XNonce::try_from(nonce).map_err(|_| DecryptError)?;
        self.cipher
            .decrypt(&nonce, sealed)
            .map_err(|_| DecryptError)
    }

    /// Decrypts a secret that was text (a code, a message).
    pub fn decrypt_text(&self, stored: &str) -> Result<String, DecryptError> {
        String::from_utf8(self.decrypt(stored)?).map_err(|_| DecryptError)
    }
}

/// SHA-256 of an API key, hex: how applications are found without storing keys in clear.
pub fn key_hash(api_key: &str) -> String {
    data_encoding::HEXLOWER.encode(&Sha256::digest(api_key.as_bytes()))
}

/// `len` random characters from `[A-Za-z0-9]` (API keys, secret keys).
pub fn random_alphanumeric(len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..len)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// `len` random decimal digits from the CSPRNG (codes; leading zeros allowed).
pub fn random_digits(len: usize) -> String {
    let mut rng = rand::rng();
    (0..len)
        .map(|_| char::from(b'0' + rng.random_range(0..10u8)))
        .collect()
}

/// `n` random bytes.
pub fn random_bytes(n: usize) -> Vec<u8> {
    let mut rng = rand::rng();
    (0..n).map(|_| rng.random()).collect()
}

/// 24 lower-case hex digits, the object-id style of OneTouch ids (WIRE.md §3.17).
pub fn object_id() -> String {
    data_encoding::HEXLOWER.encode(&random_bytes(12))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encryption_round_trips_and_fails_with_another_key() {
        let a = Crypto::new("one");
        let sealed = a.encrypt(b"seed");
        assert!(sealed.starts_with("v1:"));
        assert_ne!(sealed, a.encrypt(b"seed"), "a fresh nonce each time");
        assert_eq!(a.decrypt(&sealed).unwrap(), b"seed");
        assert!(Crypto::new("two").decrypt(&sealed).is_err());
        assert!(a.decrypt("v1:AAAA").is_err());
        assert!(a.decrypt("plain").is_err());
    }

    #[test]
    fn random_values_have_the_right_shape() {
        assert_eq!(random_digits(7).len(), 7);
        assert!(random_digits(50).bytes().all(|b| b.is_ascii_digit()));
        assert_eq!(random_alphanumeric(32).len(), 32);
        assert_eq!(object_id().len(), 24);
        assert_eq!(key_hash("k").len(), 64);
    }
}
