//! Throttling of failed sign-ins, in this process, per client address *and* account:
//! after [`Policy::free_failures`] failures from one address for one email, each
//! further attempt from that address for that email must wait, [`Policy::first_delay`]
//! after the first failure beyond them and twice as long after each further one, up to
//! [`Policy::max_delay`]. Once the wait is over the password is checked as usual, so
//! the right one is always accepted in the end, and failures from one address never
//! delay the same account from another: an outsider can slow down their own guesses,
//! never lock out a known account. A success forgets the pair; so does a day without
//! failures ([`Policy::forget_after`]).
//!
//! IPv6 clients are counted per /64 (what one host usually holds), so an attacker
//! cannot start afresh from each of its addresses.
//!
//! Memory is bounded whatever is sent: a pair is remembered only as the SHA-256 of the
//! address and the normalised email (32 bytes, never the text), and at most
//! [`MAX_TRACKED`] pairs are remembered. When full, pairs already forgotten go first,
//! then the pair with the fewest failures (oldest first), so a flood of made-up
//! addresses does not reset a pair that is being slowed down.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

/// Bound on remembered pairs (about 60 bytes each, so well under a megabyte).
pub const MAX_TRACKED: usize = 10_000;

/// How failures are slowed down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    /// Failures from one address for one account answered without any wait.
    pub free_failures: u32,
    /// The wait after the first failure beyond the free ones; it doubles with each
    /// further failure.
    pub first_delay: Duration,
    /// The longest wait.
    pub max_delay: Duration,
    /// A pair without a failure for this long starts afresh.
    pub forget_after: Duration,
}

impl Default for Policy {
    /// Five free tries; then 1 s, 2 s, 4 s, ... up to 15 minutes between tries; a
    /// pair is forgotten after a day without failures.
    fn default() -> Self {
        Policy {
            free_failures: 5,
            first_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(15 * 60),
            forget_after: Duration::from_secs(24 * 3600),
        }
    }
}

impl Policy {
    /// The wait after `failures` failures in a row.
    pub fn delay_after(&self, failures: u32) -> Duration {
        let Some(beyond) = failures.checked_sub(self.free_failures.saturating_add(1)) else {
            return Duration::ZERO;
        };
        let factor = 1u32.checked_shl(beyond.min(31)).unwrap_or(u32::MAX);
        self.first_delay
            .checked_mul(factor)
            .unwrap_or(self.max_delay)
            .min(self.max_delay)
    }
}

/// What is kept of an (address, email) pair: a fixed-size digest.
type Key = [u8; 32];

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
}

pub struct Throttle {
    policy: Policy,
    failures: Mutex<HashMap<Key, Failures>>,
}

impl Default for Throttle {
    fn default() -> Self {
        Throttle::new(Policy::default())
    }
}

impl Throttle {
    pub fn new(policy: Policy) -> Throttle {
        Throttle {
            policy,
            failures: Mutex::new(HashMap::new()),
        }
    }

    /// `Some(wait)` while `client` must wait before trying `email` again.
    pub fn wait(&self, client: Option<IpAddr>, email: &str, now: Instant) -> Option<Duration> {
        let map = self.failures.lock().ok()?;
        let entry = map.get(&key(client, email))?;
        let delay = self.policy.delay_after(entry.count);
        let wait = entry
            .last
            .checked_add(delay)
            .map_or(delay, |until| until.saturating_duration_since(now));
        (!wait.is_zero()).then_some(wait)
    }

    /// Counts a failure from `client` for `email`.
    pub fn failed(&self, client: Option<IpAddr>, email: &str, now: Instant) {
        let key = key(client, email);
        let Ok(mut map) = self.failures.lock() else {
            return;
        };
        let forget_after = self.policy.forget_after;
        let forgotten = |f: &Failures| now.saturating_duration_since(f.last) >= forget_after;
        if !map.contains_key(&key) && map.len() >= MAX_TRACKED {
            map.retain(|_, f| !forgotten(f));
            if map.len() >= MAX_TRACKED {
                let weakest = map
                    .iter()
                    .min_by_key(|(_, f)| (f.count, f.last))
                    .map(|(k, _)| *k);
                if let Some(weakest) = weakest {
                    map.remove(&weakest);
                }
            }
        }
        let entry = map.entry(key).or_insert(Failures {
            count: 0,
            last: now,
        });
        if forgotten(entry) {
            entry.count = 0;
        }
        entry.count = entry.count.saturating_add(1);
        entry.last = now;
    }

    /// The right password from `client` for `email`: the pair starts afresh.
    pub fn succeeded(&self, client: Option<IpAddr>, email: &str) {
        if let Ok(mut map) = self.failures.lock() {
            map.remove(&key(client, email));
        }
    }

    /// How many pairs are remembered.
    pub fn tracked(&self) -> usize {
        self.failures.lock().map_or(0, |map| map.len())
    }
}

/// The part of an address that identifies a client: the whole IPv4 address (also when
/// written as IPv4-mapped IPv6), the /64 prefix of an IPv6 one.
fn client_bytes(client: Option<IpAddr>) -> Vec<u8> {
    match client.map(|ip| ip.to_canonical()) {
        Some(IpAddr::V4(v4)) => [&[4u8][..], &v4.octets()].concat(),
        Some(IpAddr::V6(v6)) => [&[6u8][..], &v6.octets()[..8]].concat(),
        None => vec![0],
    }
}

fn key(client: Option<IpAddr>, email: &str) -> Key {
    let mut hasher = Sha256::new();
    hasher.update(client_bytes(client));
    hasher.update(email.trim().to_lowercase().as_bytes());
    hasher.finalize().into()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    const A: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::new(203, 0, 113, 7)));
    const B: Option<IpAddr> = Some(IpAddr::V4(std::net::Ipv4Addr::new(198, 51, 100, 9)));

    fn fail(t: &Throttle, client: Option<IpAddr>, email: &str, times: u32, at: Instant) {
        for _ in 0..times {
            t.failed(client, email, at);
        }
    }

    #[test]
    fn delays_grow_from_the_first_failure_beyond_the_free_ones() {
        let p = Policy::default();
        for n in 0..=p.free_failures {
            assert_eq!(p.delay_after(n), Duration::ZERO, "{n}");
        }
        assert_eq!(p.delay_after(6), Duration::from_secs(1));
        assert_eq!(p.delay_after(7), Duration::from_secs(2));
        assert_eq!(p.delay_after(10), Duration::from_secs(16));
        assert_eq!(p.delay_after(16), Duration::from_secs(900), "capped");
        assert_eq!(p.delay_after(u32::MAX), p.max_delay);
    }

    #[test]
    fn only_the_failing_address_waits_and_the_wait_ends() {
        let t = Throttle::default();
        let start = Instant::now();
        fail(&t, A, "Ana@x.io", 5, start);
        assert_eq!(t.wait(A, "ana@x.io", start), None, "five free failures");
        t.failed(A, "ana@x.io ", start);
        assert_eq!(t.wait(A, "ana@x.io", start), Some(Duration::from_secs(1)));
        assert_eq!(t.wait(B, "ana@x.io", start), None, "another address");
        assert_eq!(t.wait(A, "bo@x.io", start), None, "another account");
        let later = start + Duration::from_secs(1);
        assert_eq!(t.wait(A, "ana@x.io", later), None, "the wait is over");
        t.failed(A, "ana@x.io", later);
        assert_eq!(t.wait(A, "ana@x.io", later), Some(Duration::from_secs(2)));
        t.succeeded(A, "ana@x.io");
        assert_eq!(t.wait(A, "ana@x.io", later), None);
        assert_eq!(t.tracked(), 0);
    }

    #[test]
    fn a_day_without_failures_starts_afresh() {
        let t = Throttle::default();
        let start = Instant::now();
        fail(&t, A, "ana@x.io", 9, start);
        let next_day = start + Policy::default().forget_after;
        t.failed(A, "ana@x.io", next_day);
        assert_eq!(t.wait(A, "ana@x.io", next_day), None, "counted from one");
    }

    #[test]
    fn an_ipv6_client_is_its_64_prefix() {
        let one: IpAddr = "2001:db8:1:2::1".parse().unwrap();
        let other_host: IpAddr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let other_net: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        let mapped: IpAddr = "::ffff:203.0.113.7".parse().unwrap();
        assert_eq!(key(Some(one), "a@x"), key(Some(other_host), "a@x"));
        assert_ne!(key(Some(one), "a@x"), key(Some(other_net), "a@x"));
        assert_eq!(key(Some(mapped), "a@x"), key(A, "a@x"));
        assert_ne!(key(None, "a@x"), key(A, "a@x"));
    }

    #[test]
    fn stays_bounded_and_keeps_slowing_down_through_a_flood() {
        let t = Throttle::default();
        let start = Instant::now();
        fail(&t, A, "target@x.io", 8, start);
        for i in 0..MAX_TRACKED + 1_000 {
            t.failed(A, &format!("made-up-{i}@x.io"), start);
            assert!(t.tracked() <= MAX_TRACKED);
        }
        assert_eq!(t.tracked(), MAX_TRACKED);
        assert!(
            t.wait(A, "target@x.io", start).is_some(),
            "a flood of other addresses must not reset a pair being slowed down"
        );
        // Once a day has passed, forgotten pairs make room before anything else.
        t.failed(A, "later@x.io", start + Policy::default().forget_after);
        assert_eq!(t.tracked(), 1);
    }

    #[test]
    fn keeps_a_fixed_size_digest_and_no_email_text() {
        let t = Throttle::default();
        let now = Instant::now();
        let huge = format!("{}@x.io", "a".repeat(1 << 20));
        t.failed(A, &huge, now);
        t.failed(A, "secret-person@example.com", now);
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
        assert!(map.contains_key(&key(A, " Secret-Person@example.com")));
    }
}
