//! API keys: generated once, shown once, stored only as a SHA-256 hash.

use rand::Rng;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// Every key starts with this, so leaked keys are easy to grep for.
pub(crate) const KEY_PREFIX: &str = "jj_";
const RANDOM_LEN: usize = 40;
/// How much of the key is kept in clear to recognise it (`jj_` + 7 characters).
pub(crate) const SHOWN_PREFIX_LEN: usize = 10;
const URL_SAFE: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// A fresh key: `jj_` and 40 URL-safe characters (240 bits from a CSPRNG).
pub(crate) fn generate() -> String {
    let mut rng = rand::rng();
    let mut key = String::with_capacity(KEY_PREFIX.len() + RANDOM_LEN);
    key.push_str(KEY_PREFIX);
    for _ in 0..RANDOM_LEN {
        key.push(char::from(URL_SAFE[rng.random_range(0..URL_SAFE.len())]));
    }
    key
}

/// The part of a key kept in clear (what key listings show, and what names a key
/// in the records of what it did).
pub fn shown_prefix(key: &str) -> String {
    key.chars().take(SHOWN_PREFIX_LEN).collect()
}

/// Lowercase hex SHA-256 of the key, as stored in `api_keys.key_hash`.
pub(crate) fn hash(key: &str) -> String {
    let digest = Sha256::digest(key.as_bytes());
    let mut out = String::with_capacity(64);
    for byte in digest {
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0x0f)]));
    }
    out
}

const HEX: &[u8] = b"0123456789abcdef";

/// Compares two hashes without an early exit, so timing says nothing about them.
pub(crate) fn hashes_match(a: &str, b: &str) -> bool {
    a.as_bytes().ct_eq(b.as_bytes()).into()
}

/// Cheap shape check before touching the database; the format is public, so this
/// reveals nothing.
pub(crate) fn well_formed(key: &str) -> bool {
    key.len() == KEY_PREFIX.len() + RANDOM_LEN
        && key.starts_with(KEY_PREFIX)
        && key
            .bytes()
            .skip(KEY_PREFIX.len())
            .all(|b| URL_SAFE.contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_are_well_formed_and_distinct() {
        let a = generate();
        let b = generate();
        assert!(well_formed(&a));
        assert_ne!(a, b);
        assert_eq!(shown_prefix(&a).len(), SHOWN_PREFIX_LEN);
        assert!(a.starts_with(&shown_prefix(&a)));
    }

    #[test]
    fn hash_is_hex_sha256() {
        assert_eq!(
            hash("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(hashes_match(&hash("x"), &hash("x")));
        assert!(!hashes_match(&hash("x"), &hash("y")));
        assert!(!well_formed("jj_short"));
    }
}
