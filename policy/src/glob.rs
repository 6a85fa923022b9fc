//! fnmatch patterns, exactly as CPython 3.11's `fnmatch.fnmatchcase`.
//!
//! A pattern is first turned into a [`Token`] list by reproducing
//! `fnmatch.translate` step by step (including its bracket "chunk" logic),
//! then either matched directly ([`fnmatch`]) or emitted as globset syntax
//! ([`to_globset_syntax`]) so a whole rule set can be matched in one pass.

use crate::emit;

/// One element of a translated fnmatch pattern. Every token except
/// [`Token::Star`] consumes exactly one character.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Token {
    /// `*`: any sequence, including empty, dots and newlines.
    Star,
    /// `?`, or a negated class that became empty (`[!z-a]`).
    AnyChar,
    Literal(char),
    /// `[...]`: inclusive code-point ranges (a single char is `(c, c)`).
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
    /// A class that became empty (`[z-a]`): the pattern can never match.
    Never,
}

impl Token {
    fn matches_char(&self, c: char) -> bool {
        match self {
            Token::Star | Token::AnyChar => true,
            Token::Literal(l) => *l == c,
            Token::Class { negated, ranges } => {
                ranges.iter().any(|&(lo, hi)| lo <= c && c <= hi) != *negated
            }
            Token::Never => false,
        }
    }
}

/// True when `name` matches `pattern` under CPython 3.11
/// `fnmatch.fnmatchcase` semantics.
pub fn fnmatch(pattern: &str, name: &str) -> bool {
    let tokens = tokenize(pattern);
    !tokens.contains(&Token::Never) && matches_tokens(&tokens, name)
}

/// The globset syntax this crate compiles `pattern` to, or `None` when the
/// pattern can never match anything (it contains an empty class like
/// `[z-a]`).
///
/// The syntax is exact for ASCII names. For patterns containing `?`, a
/// negated class or a class with non-ASCII members, globset (which matches
/// bytes) cannot be exact on non-ASCII names; the compiled policy decides
/// those names with this crate's own matcher (see the crate docs).
/// A pattern matching exactly `name`: `*`, `?` and `[` become one-character classes
/// (`[*]`, `[?]`, `[[]`), the rest stands for itself. What "accept this change as an
/// expectation" writes for one tool.
pub fn escape(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        match c {
            '*' | '?' | '[' => {
                out.push('[');
                out.push(c);
                out.push(']');
            }
            _ => out.push(c),
        }
    }
    out
}

pub fn to_globset_syntax(pattern: &str) -> Option<String> {
    emit::exact(&tokenize(pattern))
}

/// Translates an fnmatch pattern into tokens, mirroring CPython 3.11
/// `fnmatch.translate`: consecutive `*` collapse, an unclosed `[` is a
/// literal, backslash and braces are literals.
pub fn tokenize(pattern: &str) -> Vec<Token> {
    let pat: Vec<char> = pattern.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(&c) = pat.get(i) {
        i += 1;
        match c {
            '*' => {
                if out.last() != Some(&Token::Star) {
                    out.push(Token::Star);
                }
            }
            '?' => out.push(Token::AnyChar),
            '[' => match bracket(&pat, i) {
                Some((token, next)) => {
                    out.push(token);
                    i = next;
                }
                None => out.push(Token::Literal('[')),
            },
            c => out.push(Token::Literal(c)),
        }
    }
    out
}

/// Inside a bracket expression after CPython has built its regex class body:
/// either a literal member or an unescaped `-` (a range operator).
#[derive(Clone, Copy, PartialEq, Eq)]
enum ClassPart {
    Lit(char),
    Dash,
}

/// Parses the bracket expression whose `[` is just before `pat[i]`.
/// Returns the token and the index after the closing `]`, or `None` when the
/// bracket is unclosed (then `[` is a literal and parsing resumes after it).
fn bracket(pat: &[char], i: usize) -> Option<(Token, usize)> {
    let n = pat.len();
    let mut j = i;
    if pat.get(j) == Some(&'!') {
        j += 1;
    }
    // A `]` right after `[` or `[!` is a member, not the end.
    if pat.get(j) == Some(&']') {
        j += 1;
    }
    while j < n && pat[j] != ']' {
        j += 1;
    }
    if j >= n {
        return None;
    }
    let stuff = &pat[i..j];
    let parts: Vec<ClassPart> = if stuff.contains(&'-') {
        join_chunks(&range_chunks(pat, i, j))
    } else {
        stuff.iter().map(|&c| ClassPart::Lit(c)).collect()
    };
    Some((interpret_class(&parts), j + 1))
}

/// CPython's chunk split: the class body `pat[i..j]` is cut at the `-`s that
/// act as range operators. A `-` right after `[`/`[!` is a member, and the
/// search for the next operator resumes two characters after the previous
/// one, so `a-c-e` is the range `a-c` plus the members `-` and `e`. Reversed
/// ranges are then dropped by merging their neighbouring chunks.
fn range_chunks(pat: &[char], i: usize, j: usize) -> Vec<Vec<char>> {
    let mut chunks: Vec<Vec<char>> = Vec::new();
    let mut start = i;
    let mut k = if pat.get(i) == Some(&'!') {
        i + 2
    } else {
        i + 1
    };
    while let Some(dash) = (k..j).find(|&x| pat[x] == '-') {
        chunks.push(pat[start..dash].to_vec());
        start = dash + 1;
        k = dash + 3;
    }
    let tail = &pat[start..j];
    if !tail.is_empty() {
        chunks.push(tail.to_vec());
    } else if let Some(last) = chunks.last_mut() {
        // A trailing `-` is a member.
        last.push('-');
    }
    for k in (1..chunks.len()).rev() {
        let reversed = match (chunks[k - 1].last(), chunks[k].first()) {
            (Some(lo), Some(hi)) => lo > hi,
            _ => false,
        };
        if reversed {
            let next = chunks.remove(k);
            let prev = &mut chunks[k - 1];
            prev.pop();
            prev.extend_from_slice(next.get(1..).unwrap_or_default());
        }
    }
    chunks
}

/// Joins chunks with range operators; `-` inside a chunk stays a member
/// (CPython escapes it).
fn join_chunks(chunks: &[Vec<char>]) -> Vec<ClassPart> {
    let mut parts = Vec::new();
    for (n, chunk) in chunks.iter().enumerate() {
        if n > 0 {
            parts.push(ClassPart::Dash);
        }
        parts.extend(chunk.iter().map(|&c| ClassPart::Lit(c)));
    }
    parts
}

/// Reads the class body the way CPython's `re` reads `[...]`: empty → never
/// matches; exactly `!` → any character; a leading `!` negates (even when a
/// dropped range exposed it); everything else is members and `a-b` ranges.
fn interpret_class(parts: &[ClassPart]) -> Token {
    match parts {
        [] => return Token::Never,
        [ClassPart::Lit('!')] => return Token::AnyChar,
        _ => {}
    }
    let (negated, body) = match parts.split_first() {
        Some((ClassPart::Lit('!'), rest)) => (true, rest),
        _ => (false, parts),
    };
    let as_char = |p: &ClassPart| match *p {
        ClassPart::Lit(c) => c,
        ClassPart::Dash => '-',
    };
    let mut ranges = Vec::new();
    let mut idx = 0;
    while let Some(part) = body.get(idx) {
        let lo = as_char(part);
        idx += 1;
        if body.get(idx) == Some(&ClassPart::Dash) {
            idx += 1;
            match body.get(idx) {
                Some(hi) => {
                    let hi = as_char(hi);
                    idx += 1;
                    // CPython already removed reversed ranges; keep the guard
                    // so a surprise cannot create an invalid range.
                    if lo <= hi {
                        ranges.push((lo, hi));
                    }
                }
                None => {
                    ranges.push((lo, lo));
                    ranges.push(('-', '-'));
                }
            }
        } else {
            ranges.push((lo, lo));
        }
    }
    if ranges.is_empty() {
        return if negated {
            Token::AnyChar
        } else {
            Token::Never
        };
    }
    Token::Class { negated, ranges }
}

/// Matches `name` against tokens, one character per non-star token.
/// Classic single-backtrack-point glob matching: O(len(tokens) * len(name)).
pub(crate) fn matches_tokens(tokens: &[Token], name: &str) -> bool {
    let next_char = |at: usize| name.get(at..).and_then(|rest| rest.chars().next());
    let (mut t, mut s) = (0usize, 0usize);
    // Where to resume after the most recent star: (token after it, name position).
    let mut resume: Option<(usize, usize)> = None;
    loop {
        match tokens.get(t) {
            Some(Token::Star) => {
                resume = Some((t + 1, s));
                t += 1;
                continue;
            }
            Some(token) => {
                if let Some(c) = next_char(s) {
                    if token.matches_char(c) {
                        t += 1;
                        s += c.len_utf8();
                        continue;
                    }
                }
            }
            None if s == name.len() => return true,
            None => {}
        }
        // Mismatch: let the last star swallow one more character.
        let Some((rt, rs)) = resume else {
            return false;
        };
        let Some(c) = next_char(rs) else {
            return false;
        };
        let rs = rs + c.len_utf8();
        resume = Some((rt, rs));
        t = rt;
        s = rs;
    }
}

/// A pattern prepared for matching.
#[derive(Clone, Debug)]
pub(crate) struct Glob {
    pub(crate) tokens: Vec<Token>,
    /// Contains an empty class: matches nothing.
    pub(crate) never: bool,
    /// globset cannot be exact on non-ASCII names for this pattern.
    pub(crate) char_sensitive: bool,
}

impl Glob {
    pub(crate) fn new(pattern: &str) -> Glob {
        let tokens = tokenize(pattern);
        let never = tokens.contains(&Token::Never);
        let char_sensitive = tokens.iter().any(emit::is_char_sensitive);
        Glob {
            tokens,
            never,
            char_sensitive,
        }
    }

    pub(crate) fn is_match(&self, name: &str) -> bool {
        !self.never && matches_tokens(&self.tokens, name)
    }

    /// `*` alone (after collapsing): matches every name.
    pub(crate) fn is_match_all(&self) -> bool {
        self.tokens == [Token::Star]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(negated: bool, ranges: &[(char, char)]) -> Token {
        Token::Class {
            negated,
            ranges: ranges.to_vec(),
        }
    }

    #[test]
    fn escaped_names_match_only_themselves() {
        for name in ["payments.refund", "a*b", "what?", "[x]", "*", "über[!]"] {
            let pattern = escape(name);
            assert!(fnmatch(&pattern, name), "{pattern} should match {name}");
        }
        assert!(!fnmatch(&escape("a*b"), "axxb"));
        assert!(!fnmatch(&escape("what?"), "whats"));
        assert_eq!(escape("a*b"), "a[*]b");
    }

    #[test]
    fn brackets_follow_cpython() {
        assert_eq!(tokenize("[]]"), vec![class(false, &[(']', ']')])]);
        assert_eq!(tokenize("[!]]"), vec![class(true, &[(']', ']')])]);
        assert_eq!(tokenize("[z-a]"), vec![Token::Never]);
        assert_eq!(tokenize("[!z-a]"), vec![Token::AnyChar]);
        assert_eq!(tokenize("[a--]"), vec![Token::Never]);
        assert_eq!(tokenize("[z-a!b]"), vec![class(true, &[('b', 'b')])]);
        assert_eq!(tokenize("[z-a!]"), vec![Token::AnyChar]);
        assert_eq!(
            tokenize("[a-c-e]"),
            vec![class(false, &[('a', 'c'), ('-', '-'), ('e', 'e')])]
        );
        assert_eq!(
            tokenize("[a-]"),
            vec![class(false, &[('a', 'a'), ('-', '-')])]
        );
        assert_eq!(
            tokenize("[-a]"),
            vec![class(false, &[('-', '-'), ('a', 'a')])]
        );
        assert_eq!(
            tokenize("[^a]"),
            vec![class(false, &[('^', '^'), ('a', 'a')])]
        );
        assert_eq!(
            tokenize("[ab"),
            vec![
                Token::Literal('['),
                Token::Literal('a'),
                Token::Literal('b')
            ]
        );
        assert_eq!(tokenize("**"), vec![Token::Star]);
    }

    #[test]
    fn matcher_basics() {
        assert!(fnmatch("?_transfer", "a_transfer"));
        assert!(!fnmatch("?_transfer", "ab_transfer"));
        assert!(fnmatch("*", ""));
        assert!(fnmatch("*", "a\nb"));
        assert!(fnmatch("?", "é"));
        assert!(fnmatch("日?", "日本"));
        assert!(!fnmatch("[z-a]*", "zebra"));
        assert!(fnmatch("a\\b", "a\\b"));
        assert!(fnmatch("{a,b}", "{a,b}"));
        assert!(fnmatch("*a*b*c", "xxaxxbxxc"));
        assert!(!fnmatch("*a*b*c", "xxaxxbxxcd"));
    }
}
