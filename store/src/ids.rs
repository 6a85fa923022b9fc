//! Short random ids with a readable prefix (`proj_…`, `key_…`, `ds_…`, `sim_…`, `apr_…`).

use rand::Rng;

const ALPHABET: &[u8] = b"0123456789abcdefghijklmnopqrstuvwxyz";
/// 16 characters of base 36 is about 82 bits: collisions are not a practical concern.
const LEN: usize = 16;

pub(crate) const PROJECT: &str = "proj";
pub(crate) const KEY: &str = "key";
pub(crate) const DATASET: &str = "ds";
pub(crate) const SIMULATION: &str = "sim";
pub(crate) const APPROVAL: &str = "apr";
pub(crate) const USER: &str = "usr";
pub(crate) const EXPECTATION: &str = "exp";

/// `prefix_` followed by random lowercase letters and digits.
pub(crate) fn new_id(prefix: &str) -> String {
    let mut rng = rand::rng();
    let mut id = String::with_capacity(prefix.len() + 1 + LEN);
    id.push_str(prefix);
    id.push('_');
    for _ in 0..LEN {
        id.push(char::from(ALPHABET[rng.random_range(0..ALPHABET.len())]));
    }
    id
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_have_prefix_and_differ() {
        let a = new_id(PROJECT);
        let b = new_id(PROJECT);
        assert!(a.starts_with("proj_"));
        assert_eq!(a.len(), 5 + LEN);
        assert_ne!(a, b);
    }
}
