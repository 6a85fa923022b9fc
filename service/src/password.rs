//! Password hashing (argon2id, PHC strings) and generated secrets, shared by sign-in,
//! the account operations and `preflight user`.

use std::sync::OnceLock;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand::Rng;
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

/// Shortest password an account may have (`user create`, changing or resetting one).
pub const MIN_PASSWORD_CHARS: usize = 12;

/// Length of a generated password (first admin, `user create`, an admin's reset).
pub const GENERATED_PASSWORD_CHARS: usize = 20;

/// The rule every new password meets: at least [`MIN_PASSWORD_CHARS`] characters.
pub fn check_new(password: &str) -> Result<(), String> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        Err(format!(
            "the password must have at least {MIN_PASSWORD_CHARS} characters"
        ))
    } else {
        Ok(())
    }
}

/// A new random password of [`GENERATED_PASSWORD_CHARS`] characters.
pub fn generate() -> String {
    random_text(GENERATED_PASSWORD_CHARS)
}

/// Argon2 computations running at once in this process, one per core (each takes about
/// 19 MiB and a core): a flood of sign-ins or password changes waits here instead of
/// occupying every blocking thread.
fn argon2_turns() -> &'static Semaphore {
    static TURNS: OnceLock<Semaphore> = OnceLock::new();
    TURNS.get_or_init(|| {
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZeroUsize::get);
        Semaphore::new(cores)
    })
}

/// Checks `password` against `stored` (`None`: against a dummy hash, so an unknown
/// account takes as long as a wrong password) on the blocking pool, with a bounded
/// number at once. The turn is held until the hash is done, even if the caller goes
/// away.
pub async fn check(password: String, stored: Option<String>) -> bool {
    let Ok(turn) = argon2_turns().acquire().await else {
        return false;
    };
    tokio::task::spawn_blocking(move || {
        let _turn = turn;
        match stored {
            Some(stored) => verify(&password, &stored),
            None => {
                verify_dummy(&password);
                false
            }
        }
    })
    .await
    .unwrap_or(false)
}

/// [`hash`] on the blocking pool, with a bounded number at once.
pub async fn hash_in_turn(password: String) -> Result<String, String> {
    let turn = argon2_turns()
        .acquire()
        .await
        .map_err(|e| format!("cannot hash the password: {e}"))?;
    tokio::task::spawn_blocking(move || {
        let _turn = turn;
        hash(&password)
    })
    .await
    .map_err(|e| format!("cannot hash the password: {e}"))?
}

/// An argon2id hash with the crate's default (OWASP-recommended) parameters.
pub fn hash(password: &str) -> Result<String, String> {
    let salt_bytes: [u8; 16] = rand::rng().random();
    let salt = SaltString::encode_b64(&salt_bytes).map_err(|e| e.to_string())?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Constant-time comparison inside argon2; a malformed stored hash never verifies.
pub fn verify(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// A verification to run when the email is unknown, so that a wrong email takes as
/// long as a wrong password and response times do not reveal which accounts exist.
pub fn verify_dummy(password: &str) {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let stored = DUMMY.get_or_init(|| hash("not-a-real-password").unwrap_or_default());
    let _ = verify(password, stored);
}

/// `count` random characters from an alphabet without look-alikes.
pub fn random_text(count: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    (0..count)
        .map(|_| char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]))
        .collect()
}

/// What the database keeps of a session token.
pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn hashes_verify_only_their_password() {
        let stored = hash("correct horse battery").unwrap();
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", &stored));
        assert!(!verify("correct horse batterx", &stored));
        assert!(!verify("correct horse battery", "not a hash"));
        assert_ne!(stored, hash("correct horse battery").unwrap(), "salted");
    }

    #[test]
    fn new_passwords_have_twelve_characters_or_more() {
        assert!(check_new("eleven-char").is_err());
        assert!(check_new("twelve-chars").is_ok());
        assert!(check_new("ünïcödé-çhär").is_ok(), "counted in characters");
        assert_eq!(generate().chars().count(), GENERATED_PASSWORD_CHARS);
        assert!(check_new(&generate()).is_ok());
    }

    #[tokio::test]
    async fn checks_and_hashes_off_the_async_workers() {
        let stored = hash_in_turn("correct horse battery".into()).await.unwrap();
        assert!(check("correct horse battery".into(), Some(stored.clone())).await);
        assert!(!check("correct horse batterx".into(), Some(stored)).await);
        assert!(!check("correct horse battery".into(), None).await);
    }

    #[test]
    fn random_text_is_random() {
        let a = random_text(24);
        assert_eq!(a.chars().count(), 24);
        assert_ne!(a, random_text(24));
        assert_eq!(token_hash("x").len(), 64);
    }
}
