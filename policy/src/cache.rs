//! A small per-thread (or per-simulation) cache of tool-pattern matches.
//!
//! Deciding a subject starts with the tool patterns its tool name matches,
//! which depends only on the compiled policy and the name. Agents call a
//! handful of tools over and over, so the match list is kept per (policy,
//! name) in a direct-mapped table; agent and cost conditions are still
//! checked on every decision. A hit compares the whole name, so the cache
//! can only return what matching would have computed.

use std::sync::atomic::{AtomicU64, Ordering};

const SLOTS: usize = 4096;
/// Longer names are matched every time rather than cached.
const MAX_NAME: usize = 96;

static NEXT_POLICY_ID: AtomicU64 = AtomicU64::new(1);

/// A fresh identity for a compiled policy (clones share it, and decide alike).
pub(crate) fn next_policy_id() -> u64 {
    NEXT_POLICY_ID.fetch_add(1, Ordering::Relaxed)
}

#[derive(Debug, Default)]
struct Slot {
    /// 0: empty.
    policy: u64,
    hash: u64,
    name: String,
    ids: Vec<usize>,
}

#[derive(Debug, Default)]
pub(crate) struct MatchCache {
    slots: Vec<Slot>,
}

/// FxHash-style multiplicative hash over 8-byte words: fast on short names.
fn hash(policy: u64, name: &[u8]) -> u64 {
    const K: u64 = 0x517c_c1b7_2722_0a95;
    let mut h = policy.wrapping_mul(K);
    let mut chunks = name.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        h = (h.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
    }
    let rest = chunks.remainder();
    if !rest.is_empty() {
        let mut w = [0u8; 8];
        w[..rest.len()].copy_from_slice(rest);
        h = (h.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
    }
    (h.rotate_left(5) ^ name.len() as u64).wrapping_mul(K)
}

impl MatchCache {
    /// The match list for (`policy`, `name`): cached, or computed by
    /// `compute` into `fallback` (names too long to cache) or into the slot.
    pub(crate) fn get<'a>(
        &'a mut self,
        policy: u64,
        name: &str,
        fallback: &'a mut Vec<usize>,
        compute: impl FnOnce(&mut Vec<usize>),
    ) -> &'a [usize] {
        if name.len() > MAX_NAME {
            compute(fallback);
            return fallback;
        }
        if self.slots.is_empty() {
            self.slots.resize_with(SLOTS, Slot::default);
        }
        let h = hash(policy, name.as_bytes());
        // Two ways per set: a hit in the second way, or a miss, moves the
        // entry to the first way (least recently used out).
        let a = (h >> 52) as usize % SLOTS;
        let b = a ^ 1;
        let hit = |slot: &Slot| slot.policy == policy && slot.hash == h && slot.name == name;
        match (self.slots.get(a).map(hit), self.slots.get(b).map(hit)) {
            (Some(true), _) => {}
            (Some(false), Some(true)) => self.slots.swap(a, b),
            (Some(false), Some(false)) => {
                self.slots.swap(a, b);
                if let Some(slot) = self.slots.get_mut(a) {
                    slot.policy = policy;
                    slot.hash = h;
                    slot.name.clear();
                    slot.name.push_str(name);
                    compute(&mut slot.ids);
                }
            }
            _ => {
                compute(fallback);
                return fallback;
            }
        }
        match self.slots.get(a) {
            Some(slot) => &slot.ids,
            None => fallback,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hits_compare_policy_and_whole_name() {
        let mut cache = MatchCache::default();
        let mut fallback = Vec::new();
        let mut calls = 0;
        let mut get = |cache: &mut MatchCache, policy, name: &str, v: usize| {
            cache
                .get(policy, name, &mut fallback, |ids| {
                    calls += 1;
                    ids.clear();
                    ids.push(v);
                })
                .to_vec()
        };
        assert_eq!(get(&mut cache, 1, "a.b", 7), vec![7]);
        assert_eq!(get(&mut cache, 1, "a.b", 9), vec![7]);
        assert_eq!(get(&mut cache, 2, "a.b", 9), vec![9]);
        assert_eq!(get(&mut cache, 1, "a.c", 3), vec![3]);
        let long = "x".repeat(MAX_NAME + 1);
        assert_eq!(get(&mut cache, 1, &long, 4), vec![4]);
        assert_eq!(get(&mut cache, 1, &long, 5), vec![5]);
        assert_eq!(calls, 5);
    }
}
