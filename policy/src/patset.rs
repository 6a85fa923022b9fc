//! A set of distinct fnmatch patterns matched in one globset pass.
//!
//! ASCII names (the normal case for tool and agent names) are decided by
//! one `GlobSet` pass, exactly. Non-ASCII names take a second pass for the
//! few patterns globset cannot express on them (see `emit`): a looser
//! `GlobSet` prefilters, the crate's own matcher confirms.

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};

use crate::emit;
use crate::glob::Glob;
use crate::prefilter::Prefilter;

/// Why a pattern set could not be built.
#[derive(Debug)]
pub(crate) enum BuildError {
    /// globset rejected one pattern (by pattern id).
    Pattern(usize, String),
    /// globset rejected the set as a whole (e.g. it is too large).
    Set(String),
}

#[derive(Clone, Debug)]
pub(crate) struct PatternSet {
    globs: Vec<Glob>,
    /// What decides matches (see `prefilter`); the `GlobSet`s below are
    /// still built, so a set globset rejects is rejected as before, and the
    /// tests compare both paths.
    prefilter: Prefilter,
    /// Every pattern that can match something, exact for ASCII names.
    #[cfg_attr(not(test), allow(dead_code))]
    main: GlobSet,
    #[cfg_attr(not(test), allow(dead_code))]
    main_ids: Vec<usize>,
    /// Char-sensitive patterns in superset form, for non-ASCII names.
    #[cfg_attr(not(test), allow(dead_code))]
    wide: GlobSet,
    #[cfg_attr(not(test), allow(dead_code))]
    wide_ids: Vec<usize>,
}

/// Reusable buffers so matching does not allocate.
#[derive(Debug, Default)]
pub(crate) struct MatchBuf {
    pub(crate) ids: Vec<usize>,
    #[cfg_attr(not(test), allow(dead_code))]
    tmp: Vec<usize>,
}

fn build_glob(syntax: &str) -> Result<globset::Glob, globset::Error> {
    GlobBuilder::new(syntax)
        .literal_separator(false)
        .backslash_escape(true)
        .case_insensitive(false)
        .empty_alternates(false)
        .allow_unclosed_class(false)
        .build()
}

impl PatternSet {
    pub(crate) fn build<'a>(
        patterns: impl IntoIterator<Item = &'a str>,
    ) -> Result<PatternSet, Vec<BuildError>> {
        let globs: Vec<Glob> = patterns.into_iter().map(Glob::new).collect();
        let mut errors = Vec::new();
        let mut main = GlobSetBuilder::new();
        let mut main_ids = Vec::new();
        let mut wide = GlobSetBuilder::new();
        let mut wide_ids = Vec::new();
        for (id, glob) in globs.iter().enumerate() {
            let Some(exact) = emit::exact(&glob.tokens) else {
                continue; // never matches: kept out of the set
            };
            match build_glob(&exact) {
                Ok(g) => {
                    main.add(g);
                    main_ids.push(id);
                }
                Err(e) => errors.push(BuildError::Pattern(id, e.to_string())),
            }
            if glob.char_sensitive {
                match emit::superset(&glob.tokens).as_deref().map(build_glob) {
                    Some(Ok(g)) => {
                        wide.add(g);
                        wide_ids.push(id);
                    }
                    Some(Err(e)) => errors.push(BuildError::Pattern(id, e.to_string())),
                    None => {}
                }
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let main = main
            .build()
            .map_err(|e| vec![BuildError::Set(e.to_string())])?;
        let wide = wide
            .build()
            .map_err(|e| vec![BuildError::Set(e.to_string())])?;
        let prefilter = Prefilter::build(&globs).map_err(|e| vec![BuildError::Set(e)])?;
        Ok(PatternSet {
            globs,
            prefilter,
            main,
            main_ids,
            wide,
            wide_ids,
        })
    }

    /// Fills `buf.ids` with the ids of every pattern matching `name`,
    /// ascending.
    pub(crate) fn matches_into(&self, name: &str, buf: &mut MatchBuf) {
        self.matches_ids(name, &mut buf.ids);
    }

    /// The same into a plain vector.
    pub(crate) fn matches_ids(&self, name: &str, ids: &mut Vec<usize>) {
        ids.clear();
        self.prefilter.matches_into(&self.globs, name, ids);
        if ids.len() > 1 {
            ids.sort_unstable();
            ids.dedup();
        }
    }

    /// The same through the `GlobSet`s (the previous implementation), for
    /// the tests.
    #[cfg(test)]
    pub(crate) fn matches_into_globset(&self, name: &str, buf: &mut MatchBuf) {
        let candidate = globset::Candidate::from_bytes(name.as_bytes());
        self.main.matches_candidate_into(&candidate, &mut buf.ids);
        for id in buf.ids.iter_mut() {
            *id = self.main_ids[*id];
        }
        if name.is_ascii() || self.wide_ids.is_empty() {
            return;
        }
        let globs = &self.globs;
        buf.ids.retain(|&id| !globs[id].char_sensitive);
        self.wide.matches_candidate_into(&candidate, &mut buf.tmp);
        for &w in &buf.tmp {
            let id = self.wide_ids[w];
            if globs[id].is_match(name) {
                buf.ids.push(id);
            }
        }
        buf.ids.sort_unstable();
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// The prefilter decides exactly what the `GlobSet`s decide.
    #[test]
    fn prefilter_agrees_with_globset() {
        let mut patterns: Vec<String> = crate::workload::rule_set(2_000)
            .rules
            .into_iter()
            .map(|r| r.pattern)
            .collect();
        for p in [
            "*",
            "",
            "?",
            "a*",
            "*a",
            "*a*",
            "a?c",
            "[!a]*",
            "*.read",
            "db.[x-z]",
            "é?",
            "[é]b",
            "x*x*x",
            "aa",
            "a*a",
            "*ab*ab*",
            "[z-a]",
            "[!z-a]",
            "tok1",
            "svc1.op1*",
        ] {
            patterns.push(p.to_string());
        }
        let set = PatternSet::build(patterns.iter().map(String::as_str)).unwrap();
        let mut names: Vec<String> = crate::workload::probes()
            .into_iter()
            .map(|p| p.tool)
            .collect();
        for n in [
            "",
            "a",
            "aa",
            "aaa",
            "ab",
            "abc",
            "x.read",
            ".read",
            "db.y",
            "é",
            "éé",
            "éb",
            "xx",
            "xax",
            "abab",
            "aabab",
            "tok1",
            "xtok1y",
            "svc1.op1",
            "svc1.op12",
            "q",
        ] {
            names.push(n.to_string());
        }
        let (mut a, mut b) = (MatchBuf::default(), MatchBuf::default());
        for name in &names {
            set.matches_into(name, &mut a);
            set.matches_into_globset(name, &mut b);
            assert_eq!(a.ids, b.ids, "{name:?}");
        }
    }
}
