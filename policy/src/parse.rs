//! Every accepted input shape → [`RuleSet`], collecting all errors with
//! their field paths instead of stopping at the first.
//!
//! Shapes: a single draft/SDK rule object, a bare list of rules, or a policy
//! file object (`version`, `precedence`, `rules`; only `rules` required).

use serde_json::{Map, Value};

use crate::model::{
    check_total_size, Action, FieldError, Precedence, Rule, RuleSet, MAX_PATTERN_CHARS, MAX_RULES,
};

const RULE_KEYS: [&str; 6] = [
    "match",
    "pattern",
    "action",
    "kind",
    "agent_pattern",
    "cost_max_usd",
];
const FILE_KEYS: [&str; 3] = ["version", "precedence", "rules"];
const ACTIONS: &str = "block, allow, require_approval, audit_only";

/// `prefix.field`, or just `field` at the top level.
fn join(prefix: &str, field: &str) -> String {
    if prefix.is_empty() {
        field.to_string()
    } else {
        format!("{prefix}.{field}")
    }
}

pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// Which key name to blame when the action is missing: drafts say `kind`,
/// policy files and SDK rules say `action`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    Draft,
    Listed,
}

impl RuleSet {
    /// Parses JSON text in any accepted shape.
    pub fn from_json_str(s: &str) -> Result<RuleSet, Vec<FieldError>> {
        let value: Value = serde_json::from_str(s)
            .map_err(|e| vec![FieldError::new("", format!("invalid JSON: {e}"))])?;
        RuleSet::from_value(&value)
    }

    /// Parses YAML text (JSON is YAML too) in any accepted shape.
    #[cfg(feature = "yaml")]
    pub fn from_yaml_str(s: &str) -> Result<RuleSet, Vec<FieldError>> {
        RuleSet::from_value(&crate::yaml::json_from_yaml_str(s)?)
    }

    /// Parses an already-decoded value in any accepted shape.
    pub fn from_value(v: &Value) -> Result<RuleSet, Vec<FieldError>> {
        let mut errors = Vec::new();
        let rule_set = match v {
            Value::Array(items) => {
                let rules = parse_rules(items, "", &mut errors);
                RuleSet {
                    precedence: Precedence::default(),
                    rules,
                }
            }
            Value::Object(map) if FILE_KEYS.iter().any(|k| map.contains_key(*k)) => {
                parse_file(map, &mut errors)
            }
            Value::Object(_) => {
                let rules = parse_rule(v, "", Style::Draft, &mut errors)
                    .into_iter()
                    .collect();
                RuleSet {
                    precedence: Precedence::default(),
                    rules,
                }
            }
            other => {
                errors.push(FieldError::new(
                    "",
                    format!(
                        "expected a rule, a list of rules or a policy file ({{version, precedence, rules}}), got {}",
                        type_name(other)
                    ),
                ));
                RuleSet::default()
            }
        };
        if errors.is_empty() {
            Ok(rule_set)
        } else {
            Err(errors)
        }
    }
}

/// A single draft or SDK rule; paths have no prefix.
pub(crate) fn rule_from_value(v: &Value) -> Result<Rule, Vec<FieldError>> {
    let mut errors = Vec::new();
    match parse_rule(v, "", Style::Draft, &mut errors) {
        Some(rule) if errors.is_empty() => Ok(rule),
        _ => Err(errors),
    }
}

fn parse_file(map: &Map<String, Value>, errors: &mut Vec<FieldError>) -> RuleSet {
    for key in map.keys().filter(|k| !FILE_KEYS.contains(&k.as_str())) {
        errors.push(unknown_field(key, key, &FILE_KEYS));
    }
    match map.get("version") {
        None | Some(Value::Null) => {}
        // `1.0` is the number 1 too (JSON has one kind of number).
        Some(v) if v.as_u64() == Some(1) || v.as_f64() == Some(1.0) => {}
        Some(Value::Number(n)) => errors.push(FieldError::new(
            "version",
            format!("unsupported version {n}; expected 1"),
        )),
        Some(v) => errors.push(FieldError::new(
            "version",
            format!("expected the number 1, got {}", type_name(v)),
        )),
    }
    let precedence = match map.get("precedence") {
        None | Some(Value::Null) => Precedence::default(),
        Some(Value::String(s)) => s.parse().unwrap_or_else(|message: String| {
            errors.push(FieldError::new("precedence", message));
            Precedence::default()
        }),
        Some(v) => {
            errors.push(FieldError::new(
                "precedence",
                format!("expected last_match or first_match, got {}", type_name(v)),
            ));
            Precedence::default()
        }
    };
    let rules = match map.get("rules") {
        Some(Value::Array(items)) => parse_rules(items, "rules", errors),
        Some(v) => {
            errors.push(FieldError::new(
                "rules",
                format!("expected a list of rules, got {}", type_name(v)),
            ));
            Vec::new()
        }
        None => {
            errors.push(FieldError::new(
                "rules",
                "missing; a policy file needs a list of rules",
            ));
            Vec::new()
        }
    };
    RuleSet { precedence, rules }
}

/// `prefix` is `rules` for a policy file and empty for a bare list.
fn parse_rules(items: &[Value], prefix: &str, errors: &mut Vec<FieldError>) -> Vec<Rule> {
    if items.len() > MAX_RULES {
        // Hostile or accidental: refuse before doing per-rule work.
        errors.push(FieldError::new(
            prefix,
            format!("{} rules; the limit is {MAX_RULES}", items.len()),
        ));
        return Vec::new();
    }
    let rules: Vec<Rule> = items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| parse_rule(item, &format!("{prefix}[{i}]"), Style::Listed, errors))
        .collect();
    if let Some(mut e) = check_total_size(&rules) {
        e.field = prefix.to_string();
        errors.push(e);
    }
    rules
}

fn parse_rule(v: &Value, prefix: &str, style: Style, errors: &mut Vec<FieldError>) -> Option<Rule> {
    let Value::Object(map) = v else {
        errors.push(FieldError::new(
            prefix,
            format!("expected a rule object, got {}", type_name(v)),
        ));
        return None;
    };
    let before = errors.len();
    for key in map.keys().filter(|k| !RULE_KEYS.contains(&k.as_str())) {
        errors.push(unknown_field(&join(prefix, key), key, &RULE_KEYS));
    }
    let pattern = parse_pattern(map, prefix, errors);
    let action = parse_action(map, prefix, style, errors);
    let agent_pattern = match map.get("agent_pattern") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => {
            check_length(s, &join(prefix, "agent_pattern"), errors);
            Some(s.clone())
        }
        Some(v) => {
            errors.push(expected_string(&join(prefix, "agent_pattern"), v));
            None
        }
    };
    let cost_max_usd = match map.get("cost_max_usd") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => match n.as_f64() {
            Some(c) if c.is_finite() && c >= 0.0 => Some(c + 0.0), // -0.0 → 0.0
            _ => {
                errors.push(FieldError::new(
                    join(prefix, "cost_max_usd"),
                    format!("must be a finite number >= 0, got {n}"),
                ));
                None
            }
        },
        Some(v) => {
            errors.push(FieldError::new(
                join(prefix, "cost_max_usd"),
                format!("expected a number (USD), got {}", type_name(v)),
            ));
            None
        }
    };
    match (pattern, action) {
        (Some(pattern), Some(action)) if errors.len() == before => Some(Rule {
            pattern,
            action,
            agent_pattern,
            cost_max_usd,
        }),
        _ => None,
    }
}

/// `match` or `pattern`, exactly one of them.
fn parse_pattern(
    map: &Map<String, Value>,
    prefix: &str,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let (key, value) = match (map.get("match"), map.get("pattern")) {
        (Some(_), Some(_)) => {
            errors.push(FieldError::new(
                join(prefix, "match"),
                "give either match or pattern, not both",
            ));
            return None;
        }
        (Some(v), None) => ("match", v),
        (None, Some(v)) => ("pattern", v),
        (None, None) => {
            errors.push(FieldError::new(
                join(prefix, "pattern"),
                "missing; every rule needs a tool pattern (`pattern` or `match`)",
            ));
            return None;
        }
    };
    let path = join(prefix, key);
    match value {
        Value::String(s) => {
            check_length(s, &path, errors);
            Some(s.clone())
        }
        v => {
            errors.push(expected_string(&path, v));
            None
        }
    }
}

/// `action` or `kind`, exactly one of them.
fn parse_action(
    map: &Map<String, Value>,
    prefix: &str,
    style: Style,
    errors: &mut Vec<FieldError>,
) -> Option<Action> {
    let (key, value) = match (map.get("action"), map.get("kind")) {
        (Some(_), Some(_)) => {
            errors.push(FieldError::new(
                join(prefix, "action"),
                "give either action or kind, not both",
            ));
            return None;
        }
        (Some(v), None) => ("action", v),
        (None, Some(v)) => ("kind", v),
        (None, None) => {
            let key = if style == Style::Draft {
                "kind"
            } else {
                "action"
            };
            errors.push(FieldError::new(
                join(prefix, key),
                format!("missing; expected one of {ACTIONS}"),
            ));
            return None;
        }
    };
    let path = join(prefix, key);
    match value {
        Value::String(s) => match s.parse::<Action>() {
            Ok(action) => Some(action),
            Err(_) => {
                errors.push(FieldError::new(
                    path,
                    format!("unknown {key} \"{s}\"; expected {ACTIONS}"),
                ));
                None
            }
        },
        v => {
            errors.push(FieldError::new(
                path,
                format!("expected one of {ACTIONS}, got {}", type_name(v)),
            ));
            None
        }
    }
}

fn check_length(pattern: &str, path: &str, errors: &mut Vec<FieldError>) {
    let n = pattern.chars().count();
    if n > MAX_PATTERN_CHARS {
        errors.push(FieldError::new(
            path,
            format!("pattern is {n} characters long; the limit is {MAX_PATTERN_CHARS}"),
        ));
    }
}

fn expected_string(path: &str, v: &Value) -> FieldError {
    FieldError::new(path, format!("expected a string, got {}", type_name(v)))
}

fn unknown_field(path: &str, key: &str, known: &[&str]) -> FieldError {
    let hint = match known.iter().find(|k| edit_distance(key, k) <= 2) {
        Some(k) => format!("did you mean {k}?"),
        None => format!("expected one of {}", known.join(", ")),
    };
    FieldError::new(path, format!("unknown field \"{key}\"; {hint}"))
}

/// Levenshtein distance, for typo hints on short keys.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn errors(json: &str) -> Vec<String> {
        RuleSet::from_json_str(json)
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn shapes() {
        let draft = RuleSet::from_json_str(
            r#"{"kind": "block", "pattern": "openai.gpt-4o-mini", "agent_pattern": "support-*", "cost_max_usd": 0.05}"#,
        )
        .unwrap();
        assert_eq!(draft.rules[0].agent_pattern.as_deref(), Some("support-*"));
        assert_eq!(draft.rules[0].cost_max_usd, Some(0.05));
        let sdk = RuleSet::from_json_str(r#"{"action": "audit", "pattern": "wire_*"}"#).unwrap();
        assert_eq!(sdk.rules[0].action, Action::AuditOnly);
        let file = RuleSet::from_json_str(
            r#"{"version": 1, "precedence": "first_match", "rules": [{"match": "payments.*", "action": "require_approval"}]}"#,
        )
        .unwrap();
        assert_eq!(file.precedence, Precedence::FirstMatch);
        assert_eq!(file.rules[0].action, Action::RequireApproval);
        let bare = RuleSet::from_json_str(r#"[{"pattern": "a", "kind": "allow"}]"#).unwrap();
        assert_eq!(bare.rules.len(), 1);
        let no_version = RuleSet::from_json_str(r#"{"rules": []}"#).unwrap();
        assert!(no_version.rules.is_empty());
    }

    #[test]
    fn error_paths() {
        assert_eq!(
            errors(
                r#"{"rules": [{"match": "a", "action": "block"}, {"match": "b", "action": "allow"}, {"match": "x", "action": "deny"}]}"#
            ),
            vec![
                r#"rules[2].action: unknown action "deny"; expected block, allow, require_approval, audit_only"#
            ]
        );
        assert_eq!(
            errors(r#"{"kind": "deny", "pattern": "x"}"#),
            vec![
                r#"kind: unknown kind "deny"; expected block, allow, require_approval, audit_only"#
            ]
        );
        let all = errors(
            r#"{"version": 2, "precedence": "random", "rules": [{"match": 3, "actoin": "block", "cost_max_usd": -1}, "x"]}"#,
        );
        assert_eq!(all.len(), 7, "{all:#?}");
        assert!(all.contains(&"version: unsupported version 2; expected 1".to_string()));
        assert!(RuleSet::from_json_str(r#"{"version": 1.0, "rules": []}"#).is_ok());
        assert!(RuleSet::from_json_str(r#"{"version": 1.5, "rules": []}"#).is_err());
        assert!(all
            .iter()
            .any(|e| e.starts_with("precedence: unknown precedence \"random\"")));
        assert!(all
            .iter()
            .any(|e| e == "rules[0].actoin: unknown field \"actoin\"; did you mean action?"));
        assert!(all
            .iter()
            .any(|e| e == "rules[0].match: expected a string, got a number"));
        assert!(all
            .iter()
            .any(|e| e.starts_with("rules[0].action: missing")));
        assert!(all
            .iter()
            .any(|e| e.starts_with("rules[0].cost_max_usd: must be a finite number >= 0")));
        assert!(all
            .iter()
            .any(|e| e == "rules[1]: expected a rule object, got a string"));
        assert_eq!(
            errors(r#"[{"kind": "block"}]"#)[0],
            "[0].pattern: missing; every rule needs a tool pattern (`pattern` or `match`)"
        );
        assert_eq!(
            errors(r#"{"pattern": "x"}"#)[0],
            "kind: missing; expected one of block, allow, require_approval, audit_only"
        );
        assert_eq!(errors("7")[0].split(',').next(), Some("expected a rule"));
        assert!(errors("{").first().unwrap().starts_with("invalid JSON"));
    }

    #[test]
    fn serialize_round_trips() {
        let text = r#"{"version":1,"precedence":"first_match","rules":[{"pattern":"a.*","action":"block","agent_pattern":"x","cost_max_usd":0.5},{"pattern":"b","action":"audit_only"}]}"#;
        let rs = RuleSet::from_json_str(text).unwrap();
        assert_eq!(serde_json::to_string(&rs).unwrap(), text);
        let back: RuleSet = serde_json::from_str(text).unwrap();
        assert_eq!(back, rs);
        let rule: Rule = serde_json::from_str(r#"{"kind":"audit","pattern":"z"}"#).unwrap();
        assert_eq!(rule, Rule::new("z", Action::AuditOnly));
        assert!(serde_json::from_str::<Rule>(r#"{"kind":"nope","pattern":"z"}"#).is_err());
    }

    #[test]
    fn limits() {
        let long = "a".repeat(MAX_PATTERN_CHARS + 1);
        let e = errors(&format!(r#"{{"kind": "block", "pattern": "{long}"}}"#));
        assert_eq!(
            e,
            vec!["pattern: pattern is 1001 characters long; the limit is 1000"]
        );
        let many = format!(
            "[{}]",
            vec![r#"{"pattern":"a","kind":"block"}"#; MAX_RULES + 1].join(",")
        );
        assert_eq!(errors(&many), vec!["10001 rules; the limit is 10000"]);
    }
}
