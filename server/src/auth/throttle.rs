//! Throttling of failed sign-ins, per email, in this process: after `MAX_FAILURES`
//! failures within `WINDOW`, further attempts are refused until the window ends.
//!
//! Memory is bounded whatever is sent: an email is remembered only as the SHA-256 of
//! its normalised text (32 bytes, never the text), and at most `MAX_TRACKED` emails
//! are remembered. When full, expired entries go first, then the entry with the fewest
//! failures (oldest first), so a flood of made-up addresses does not unlock one that
//! is locked out.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

pub const MAX_FAILURES: u32 = 5;
pub const WINDOW: Duration = Duration::from_secs(10 * 60);
/// Bound on remembered emails (about 60 bytes each, so well under a megabyte).
pub const MAX_TRACKED: usize = 10_000;

/// What is kept of an email: a fixed-size digest.
type Key = [u8; 32];

#[derive(Default)]
pub struct Throttle {
    failures: Mutex<HashMap<Key, (u32, Instant)>>,
}

impl Throttle {
    /// `Some(wait)` while `email` is locked out.
    pub fn locked(&self, email: &str, now: Instant) -> Option<Duration> {
        let map = self.failures.lock().ok()?;
        let (count, since) = map.get(&key(email))?;
        let elapsed = now.saturating_duration_since(*since);
        (*count >= MAX_FAILURES && elapsed < WINDOW).then(|| WINDOW - elapsed)
    }

    pub fn failed(&self, email: &str, now: Instant) {
        let key = key(email);
        let Ok(mut map) = self.failures.lock() else {
            return;
        };
        if !map.contains_key(&key) && map.len() >= MAX_TRACKED {
            map.retain(|_, (_, since)| now.saturating_duration_since(*since) < WINDOW);
            if map.len() >= MAX_TRACKED {
                let weakest = map
                    .iter()
                    .min_by_key(|(_, (count, since))| (*count, *since))
                    .map(|(k, _)| *k);
                if let Some(weakest) = weakest {
                    map.remove(&weakest);
                }
            }
        }
        let entry = map.entry(key).or_insert((0, now));
        if now.saturating_duration_since(entry.1) >= WINDOW {
            *entry = (0, now);
        }
        entry.0 = entry.0.saturating_add(1);
    }

    pub fn succeeded(&self, email: &str) {
        if let Ok(mut map) = self.failures.lock() {
            map.remove(&key(email));
        }
    }

    /// How many emails are remembered.
    pub fn tracked(&self) -> usize {
        self.failures.lock().map_or(0, |map| map.len())
    }
}

fn key(email: &str) -> Key {
    Sha256::digest(email.trim().to_lowercase().as_bytes()).into()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn locks_after_repeated_failures_until_the_window_ends() {
        let t = Throttle::default();
        let start = Instant::now();
        for _ in 0..MAX_FAILURES - 1 {
            t.failed("Ana@x.io", start);
        }
        assert_eq!(t.locked("ana@x.io", start), None);
        t.failed("ana@x.io ", start);
        assert!(t.locked("ana@x.io", start).is_some());
        assert!(t.locked("bo@x.io", start).is_none(), "per email");
        assert!(t.locked("ana@x.io", start + WINDOW).is_none());
        t.succeeded("ana@x.io");
        assert!(t.locked("ana@x.io", start).is_none());
    }

    #[test]
    fn stays_bounded_and_keeps_lockouts_through_a_flood() {
        let t = Throttle::default();
        let start = Instant::now();
        for _ in 0..MAX_FAILURES {
            t.failed("target@x.io", start);
        }
        for i in 0..MAX_TRACKED + 1_000 {
            t.failed(&format!("made-up-{i}@x.io"), start);
            assert!(t.tracked() <= MAX_TRACKED);
        }
        assert_eq!(t.tracked(), MAX_TRACKED);
        assert!(
            t.locked("target@x.io", start).is_some(),
            "a flood of other addresses must not unlock an account"
        );
        // Once the window is over, old entries make room before anything else.
        t.failed("later@x.io", start + WINDOW);
        assert_eq!(t.tracked(), 1);
    }

    #[test]
    fn keeps_a_fixed_size_digest_and_no_email_text() {
        let t = Throttle::default();
        let now = Instant::now();
        let huge = format!("{}@x.io", "a".repeat(1 << 20));
        t.failed(&huge, now);
        t.failed("secret-person@example.com", now);
        let map = t.failures.lock().unwrap();
        assert_eq!(map.len(), 2);
        assert_eq!(std::mem::size_of::<Key>(), 32);
        for key in map.keys() {
            let text = String::from_utf8_lossy(key);
            assert!(
                !text.contains("secret") && !text.contains("aaaa"),
                "{key:?}"
            );
        }
        assert!(map.contains_key(&key(" Secret-Person@example.com")));
    }
}
