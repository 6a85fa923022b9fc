//! The literal prefilter that decides which patterns of a set match a name.
//!
//! Every pattern is keyed by one run of literal characters it requires: its
//! literal prefix (anchored at the start), its literal suffix (anchored at the
//! end) or its longest inner run (anywhere), whichever is longest. One
//! Aho-Corasick pass over the name finds the patterns whose key occurs in the
//! right place; the crate's own fnmatch matcher (exact for every name, ASCII
//! or not) confirms them, unless the key alone proves the match (`lit`,
//! `lit*`, `*lit`, `*lit*`). Patterns without any literal are checked on
//! every name. A literal found in a UTF-8 name always starts on a character
//! boundary, so byte positions are exact.

use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};

use crate::glob::{Glob, Token};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Anchor {
    /// The whole name is the literal.
    Exact,
    Prefix,
    Suffix,
    Anywhere,
}

#[derive(Clone, Copy, Debug)]
struct Keyed {
    pattern: usize,
    anchor: Anchor,
    /// The key in its place proves the match.
    certain: bool,
}

#[derive(Clone, Debug)]
pub(crate) struct Prefilter {
    ac: Option<AhoCorasick>,
    /// Per distinct key (Aho-Corasick pattern id): the patterns keyed by it.
    keyed: Vec<Vec<Keyed>>,
    /// Patterns with no literal run: (pattern id, matches every name).
    unkeyed: Vec<(usize, bool)>,
}

/// Literal runs of a token list as (first token index, string).
fn literal_runs(tokens: &[Token]) -> Vec<(usize, String)> {
    let mut runs: Vec<(usize, String)> = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (i, token) in tokens.iter().enumerate() {
        match token {
            Token::Literal(c) => match current.as_mut() {
                Some((_, s)) => s.push(*c),
                None => current = Some((i, c.to_string())),
            },
            _ => runs.extend(current.take()),
        }
    }
    runs.extend(current);
    runs
}

/// The key of one pattern: its literal, where it must occur, and whether its
/// occurrence there is proof enough.
fn key_of(tokens: &[Token]) -> Option<(String, Anchor, bool)> {
    let n = tokens.len();
    let runs = literal_runs(tokens);
    let star_only = |range: &[Token]| range.iter().all(|t| *t == Token::Star);
    let mut best: Option<(String, Anchor, bool)> = None;
    for (start, lit) in runs {
        let end = start + lit.chars().count();
        let (anchor, certain) = match (start == 0, end == n) {
            (true, true) => (Anchor::Exact, true),
            (true, false) => (Anchor::Prefix, star_only(&tokens[end..])),
            (false, true) => (Anchor::Suffix, star_only(&tokens[..start])),
            (false, false) => (
                Anchor::Anywhere,
                star_only(&tokens[..start]) && star_only(&tokens[end..]),
            ),
        };
        let rank = |a: Anchor| match a {
            Anchor::Exact => 3,
            Anchor::Prefix => 2,
            Anchor::Suffix => 1,
            Anchor::Anywhere => 0,
        };
        let better = match &best {
            None => true,
            Some((b, ba, _)) => (lit.len(), rank(anchor)) > (b.len(), rank(*ba)),
        };
        if better {
            best = Some((lit, anchor, certain));
        }
    }
    best
}

impl Prefilter {
    /// Indexes `globs` (pattern id = position); never-matching globs are left out.
    pub(crate) fn build(globs: &[Glob]) -> Result<Prefilter, String> {
        let mut keys: Vec<String> = Vec::new();
        let mut key_ids: std::collections::HashMap<String, usize> = Default::default();
        let mut keyed: Vec<Vec<Keyed>> = Vec::new();
        let mut unkeyed = Vec::new();
        for (pattern, glob) in globs.iter().enumerate() {
            if glob.never {
                continue;
            }
            match key_of(&glob.tokens) {
                Some((lit, anchor, certain)) => {
                    let id = *key_ids.entry(lit.clone()).or_insert_with(|| {
                        keys.push(lit);
                        keyed.push(Vec::new());
                        keys.len() - 1
                    });
                    if let Some(list) = keyed.get_mut(id) {
                        list.push(Keyed {
                            pattern,
                            anchor,
                            certain,
                        });
                    }
                }
                None => unkeyed.push((pattern, glob.is_match_all())),
            }
        }
        let ac = if keys.is_empty() {
            None
        } else {
            // A DFA is fastest per byte; past a few thousand key bytes the
            // contiguous NFA keeps compile time and memory small.
            let total: usize = keys.iter().map(String::len).sum();
            let kind = if total <= 20_000 {
                AhoCorasickKind::DFA
            } else {
                AhoCorasickKind::ContiguousNFA
            };
            let ac = AhoCorasick::builder()
                .match_kind(MatchKind::Standard)
                .kind(Some(kind))
                // Names are short: the rare-byte/memchr prefilter costs more
                // than walking the DFA over them.
                .prefilter(false)
                .build(&keys)
                .map_err(|e| e.to_string())?;
            Some(ac)
        };
        Ok(Prefilter { ac, keyed, unkeyed })
    }

    /// Appends the id of every pattern matching `name` to `ids` (unsorted,
    /// possibly repeated).
    pub(crate) fn matches_into(&self, globs: &[Glob], name: &str, ids: &mut Vec<usize>) {
        if let Some(ac) = &self.ac {
            let len = name.len();
            for m in ac.find_overlapping_iter(name) {
                let Some(list) = self.keyed.get(m.pattern().as_usize()) else {
                    continue;
                };
                for k in list {
                    let placed = match k.anchor {
                        Anchor::Exact => m.start() == 0 && m.end() == len,
                        Anchor::Prefix => m.start() == 0,
                        Anchor::Suffix => m.end() == len,
                        Anchor::Anywhere => true,
                    };
                    if placed
                        && (k.certain || globs.get(k.pattern).is_some_and(|g| g.is_match(name)))
                    {
                        ids.push(k.pattern);
                    }
                }
            }
        }
        for &(pattern, all) in &self.unkeyed {
            if all || globs.get(pattern).is_some_and(|g| g.is_match(name)) {
                ids.push(pattern);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::glob::tokenize;

    fn key(p: &str) -> Option<(String, Anchor, bool)> {
        key_of(&tokenize(p))
    }

    #[test]
    fn keys_prefer_long_anchored_literals() {
        assert_eq!(key("a.b"), Some(("a.b".into(), Anchor::Exact, true)));
        assert_eq!(key("svc.*"), Some(("svc.".into(), Anchor::Prefix, true)));
        assert_eq!(key("svc.?x"), Some(("svc.".into(), Anchor::Prefix, false)));
        assert_eq!(key("*.read"), Some((".read".into(), Anchor::Suffix, true)));
        assert_eq!(key("*tok*"), Some(("tok".into(), Anchor::Anywhere, true)));
        assert_eq!(key("?ab*c"), Some(("ab".into(), Anchor::Anywhere, false)));
        assert_eq!(key("*"), None);
        assert_eq!(key("?[a-c]"), None);
        assert_eq!(key(""), None);
    }
}
