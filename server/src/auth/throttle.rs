//! Throttling of failed sign-ins, per email, in this process: after `MAX_FAILURES`
//! failures within `WINDOW`, further attempts are refused until the window ends.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const MAX_FAILURES: u32 = 5;
pub const WINDOW: Duration = Duration::from_secs(10 * 60);
/// Bound on remembered emails, so a flood of made-up addresses cannot grow memory.
const MAX_TRACKED: usize = 10_000;

#[derive(Default)]
pub struct Throttle {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl Throttle {
    /// `Some(wait)` while `email` is locked out.
    pub fn locked(&self, email: &str, now: Instant) -> Option<Duration> {
        let map = self.failures.lock().ok()?;
        let (count, since) = map.get(&normalize(email))?;
        let elapsed = now.saturating_duration_since(*since);
        (*count >= MAX_FAILURES && elapsed < WINDOW).then(|| WINDOW - elapsed)
    }

    pub fn failed(&self, email: &str, now: Instant) {
        let Ok(mut map) = self.failures.lock() else {
            return;
        };
        if map.len() >= MAX_TRACKED {
            map.retain(|_, (_, since)| now.saturating_duration_since(*since) < WINDOW);
        }
        let entry = map.entry(normalize(email)).or_insert((0, now));
        if now.saturating_duration_since(entry.1) >= WINDOW {
            *entry = (0, now);
        }
        entry.0 += 1;
    }

    pub fn succeeded(&self, email: &str) {
        if let Ok(mut map) = self.failures.lock() {
            map.remove(&normalize(email));
        }
    }
}

fn normalize(email: &str) -> String {
    email.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
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
}
