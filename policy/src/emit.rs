//! Token list → globset syntax.
//!
//! Facts about globset 0.4 this relies on (checked in its source):
//! - Outside classes `? * [ { } , \` are special (backslash escapes with
//!   `backslash_escape(true)`); `]` is literal. We escape all of them.
//! - Inside a class nothing is escaped: backslash is a literal member, `]` is
//!   a member only in first position, `-` only first or last, and a leading
//!   `!` or `^` negates. So classes are emitted with `]` first, `-` last and
//!   never `!`/`^` first unless negating.
//! - Globs become byte regexes (`(?-u)`, `.` matches any single byte,
//!   `dot_matches_new_line`). `*` is therefore exact on any UTF-8 name, but
//!   `?` and negated classes match one *byte*, and a non-ASCII class member
//!   turns into its UTF-8 bytes as separate members. The emitted syntax is
//!   exact on ASCII names only for such patterns ([`is_char_sensitive`]);
//!   [`superset`] gives a looser form (those tokens become `*`) used as a
//!   prefilter for non-ASCII names, confirmed with the crate's own matcher.
//! - `**` is special; tokens never hold two adjacent stars.
//! - Patterns ending in a literal `.` are matched by an extension strategy
//!   that reads the candidate's basename, which globset leaves empty for a
//!   name ending in `/..`. A trailing `.` is emitted as `[.]` so the
//!   pattern is matched by the whole-name regex instead.

use crate::glob::Token;

/// Does this token need a character-level check on non-ASCII names?
pub(crate) fn is_char_sensitive(token: &Token) -> bool {
    match token {
        Token::AnyChar => true,
        Token::Class { negated, ranges } => {
            *negated || ranges.iter().any(|&(_, hi)| !hi.is_ascii())
        }
        Token::Star | Token::Literal(_) | Token::Never => false,
    }
}

/// Matches at least every name the pattern matches: char-sensitive tokens
/// become `*` (runs collapse to one, as globset reads `**` specially).
/// Deliberately loose and small: it only prefilters non-ASCII names for the
/// exact matcher. `None` when the pattern can never match.
pub(crate) fn superset(tokens: &[Token]) -> Option<String> {
    let mut loose: Vec<Token> = Vec::with_capacity(tokens.len());
    for token in tokens {
        let token = if is_char_sensitive(token) {
            Token::Star
        } else {
            token.clone()
        };
        if !(token == Token::Star && loose.last() == Some(&Token::Star)) {
            loose.push(token);
        }
    }
    exact(&loose)
}

/// Exact for ASCII names, and for any name when no token is
/// char-sensitive. `None` when the pattern can never match.
pub(crate) fn exact(tokens: &[Token]) -> Option<String> {
    let mut out = String::new();
    for (n, token) in tokens.iter().enumerate() {
        let last = n + 1 == tokens.len();
        match token {
            Token::Never => return None,
            Token::Star => out.push('*'),
            Token::AnyChar => out.push('?'),
            Token::Literal(c) => push_literal(&mut out, *c, last),
            Token::Class { negated, ranges } => push_class(&mut out, *negated, ranges, last),
        }
    }
    Some(out)
}

fn push_literal(out: &mut String, c: char, last: bool) {
    if last && c == '.' {
        out.push_str("[.]");
        return;
    }
    if matches!(c, '\\' | '*' | '?' | '[' | ']' | '{' | '}' | ',') {
        out.push('\\');
    }
    out.push(c);
}

fn push_range(out: &mut String, (lo, hi): (char, char)) {
    out.push(lo);
    if hi != lo {
        out.push('-');
        out.push(hi);
    }
}

fn push_class(out: &mut String, negated: bool, ranges: &[(char, char)], last: bool) {
    let mut items = normalize(ranges);
    if items.is_empty() {
        // Not produced by the tokenizer; keep the emitted syntax valid anyway.
        out.push_str(if negated { "?" } else { "[]-[]" });
        return;
    }
    if !negated {
        if let [(lo, hi)] = items[..] {
            if lo == hi {
                push_literal(out, lo, last);
                return;
            }
        }
    }
    let has_bracket = remove_char(&mut items, ']');
    let mut has_dash = remove_char(&mut items, '-');
    let mut body = String::new();
    if has_bracket {
        body.push(']');
    } else if !negated {
        if has_dash {
            // `-` first is a member, and it keeps `!`/`^` out of first place.
            body.push('-');
            has_dash = false;
        } else if !put_safe_item_first(&mut items) {
            // Only the single characters `!` and `^` remain: no class
            // syntax can start with either without negating, so spell it as
            // an alternation.
            out.push_str("{!,^}");
            return;
        }
    }
    for &item in &items {
        push_range(&mut body, item);
    }
    if has_dash {
        body.push('-');
    }
    out.push('[');
    if negated {
        out.push('!');
    }
    out.push_str(&body);
    out.push(']');
}

/// Sorted, disjoint, non-adjacent ranges.
fn normalize(ranges: &[(char, char)]) -> Vec<(char, char)> {
    let mut sorted: Vec<(char, char)> =
        ranges.iter().copied().filter(|(lo, hi)| lo <= hi).collect();
    sorted.sort_unstable();
    let mut out: Vec<(char, char)> = Vec::with_capacity(sorted.len());
    for (lo, hi) in sorted {
        match out.last_mut() {
            Some(prev) if (lo as u32) <= (prev.1 as u32).saturating_add(1) => {
                prev.1 = prev.1.max(hi);
            }
            _ => out.push((lo, hi)),
        }
    }
    out
}

/// Removes `c` from the ranges (splitting the one containing it); reports
/// whether it was there.
fn remove_char(items: &mut Vec<(char, char)>, c: char) -> bool {
    let Some(pos) = items.iter().position(|&(lo, hi)| lo <= c && c <= hi) else {
        return false;
    };
    let (lo, hi) = items.remove(pos);
    let before = char::from_u32(c as u32 - 1);
    let after = char::from_u32(c as u32 + 1);
    let mut insert_at = pos;
    if let (true, Some(b)) = (lo < c, before) {
        items.insert(insert_at, (lo, b));
        insert_at += 1;
    }
    if let (true, Some(a)) = (c < hi, after) {
        items.insert(insert_at, (a, hi));
    }
    true
}

/// Reorders (or splits) items so the first does not start with `!` or `^`.
/// Returns false when that is impossible (only `!` and/or `^` singletons).
fn put_safe_item_first(items: &mut Vec<(char, char)>) -> bool {
    let unsafe_start = |c: char| c == '!' || c == '^';
    if let Some(pos) = items.iter().position(|&(lo, _)| !unsafe_start(lo)) {
        let item = items.remove(pos);
        items.insert(0, item);
        return true;
    }
    if let Some(pos) = items.iter().position(|&(lo, hi)| lo < hi) {
        let (lo, hi) = items[pos];
        if let Some(next) = char::from_u32(lo as u32 + 1) {
            items[pos] = (lo, lo);
            items.insert(0, (next, hi));
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use crate::glob::to_globset_syntax as g;

    #[test]
    fn escapes_and_classes() {
        assert_eq!(g("a*b?").as_deref(), Some("a*b?"));
        assert_eq!(g("{a,b}\\").as_deref(), Some("\\{a\\,b\\}\\\\"));
        assert_eq!(g("[ab"), Some("\\[ab".to_string()));
        assert_eq!(g("[]a]").as_deref(), Some("[]a]"));
        assert_eq!(g("[!]a]").as_deref(), Some("[!]a]"));
        assert_eq!(g("[!a]").as_deref(), Some("[!a]"));
        assert_eq!(g("[a!]").as_deref(), Some("[a!]"));
        assert_eq!(g("[!!]").as_deref(), Some("[!!]"));
        assert_eq!(g("[a-]").as_deref(), Some("[-a]"));
        assert_eq!(g("[^]").as_deref(), Some("^"));
        assert_eq!(g("[^a]").as_deref(), Some("[a^]"));
        assert_eq!(g("[!^]x").as_deref(), Some("[!^]x"));
        assert_eq!(g("[x^!]").as_deref(), Some("[x!^]"));
        assert_eq!(g("[^!]").as_deref(), Some("{!,^}"));
        assert_eq!(g("[!-#]").as_deref(), Some("[!#-]"));
        assert_eq!(g("[!!-#]").as_deref(), Some("[!!-#]"));
        assert_eq!(g("[!--#]").as_deref(), Some("?"));
        assert_eq!(g("[\\]").as_deref(), Some("\\\\"));
        assert_eq!(g("[z-a]"), None);
        assert_eq!(g("x.").as_deref(), Some("x[.]"));
        assert_eq!(g("*[.]").as_deref(), Some("*[.]"));
    }
}
