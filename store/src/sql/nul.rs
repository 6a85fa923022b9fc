//! PostgreSQL rejects NUL characters in TEXT and JSONB, SQLite stores them. Both
//! backends replace NUL with U+FFFD when binding, so a stray `\0` from an SDK neither
//! fails a whole ingest batch on one backend nor round-trips differently on the other.

use std::borrow::Cow;

use serde_json::Value;

const REPLACEMENT: &str = "\u{FFFD}";

pub(crate) fn text(s: &str) -> Cow<'_, str> {
    if s.contains('\0') {
        Cow::Owned(s.replace('\0', REPLACEMENT))
    } else {
        Cow::Borrowed(s)
    }
}

pub(crate) fn list(items: &[String]) -> Cow<'_, [String]> {
    if items.iter().any(|s| s.contains('\0')) {
        Cow::Owned(items.iter().map(|s| text(s).into_owned()).collect())
    } else {
        Cow::Borrowed(items)
    }
}

pub(crate) fn json(v: &Value) -> Cow<'_, Value> {
    if has_nul(v) {
        Cow::Owned(clean(v))
    } else {
        Cow::Borrowed(v)
    }
}

fn has_nul(v: &Value) -> bool {
    match v {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(has_nul),
        Value::Object(map) => map.iter().any(|(k, v)| k.contains('\0') || has_nul(v)),
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}

fn clean(v: &Value) -> Value {
    match v {
        Value::String(s) => Value::String(text(s).into_owned()),
        Value::Array(items) => Value::Array(items.iter().map(clean).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (text(k).into_owned(), clean(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn replaces_nul_everywhere_and_borrows_otherwise() {
        assert!(matches!(text("plain"), Cow::Borrowed(_)));
        assert_eq!(text("a\0b"), "a\u{FFFD}b");
        let v = json!({"k\u{0}": ["x\u{0}", 1, {"y": "z"}]});
        assert_eq!(
            *json(&v),
            json!({"k\u{FFFD}": ["x\u{FFFD}", 1, {"y": "z"}]})
        );
        let clean = json!({"a": [1, "b"]});
        assert!(matches!(json(&clean), Cow::Borrowed(_)));
        assert_eq!(list(&["a\0".to_string()])[0], "a\u{FFFD}");
    }
}
