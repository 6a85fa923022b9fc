//! The policy editor's rules, shared by the server and the browser (compiled to WASM):
//! rows to rule sets and back (the stored JSON, the editor's form), moving rules, and
//! toggling a rule between enforced and audit-only with the action it enforced before.
//! Pure: no IO, no clock.
use policy::{Action, CompiledPolicy, FieldError, RuleSet, Warning};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RuleRow {
    pub pattern: String,
    pub action: String,
    pub agent_pattern: Option<String>,
    pub cost_max_usd: Option<f64>,
}

/// One rule as JSON, in the canonical shape the store and the SDK endpoint use.
pub fn rule_value(r: &RuleRow) -> Value {
    let mut v = json!({ "pattern": r.pattern, "action": r.action });
    if let Some(agent) = &r.agent_pattern {
        v["agent_pattern"] = json!(agent);
    }
    if let Some(cost) = r.cost_max_usd {
        v["cost_max_usd"] = json!(cost);
    }
    v
}

/// A policy file (`{version, precedence, rules}`) for rows.
pub fn policy_doc(precedence: &str, rules: &[RuleRow]) -> Value {
    json!({
        "version": 1,
        "precedence": precedence,
        "rules": rules.iter().map(rule_value).collect::<Vec<_>>(),
    })
}

/// The rows as a validated rule set (errors name `rules[i].field`).
pub fn rule_set(precedence: &str, rules: &[RuleRow]) -> Result<RuleSet, Vec<FieldError>> {
    RuleSet::from_value(&policy_doc(precedence, rules))
}

pub fn compile_rows(
    precedence: &str,
    rules: &[RuleRow],
) -> Result<CompiledPolicy, Vec<FieldError>> {
    rule_set(precedence, rules)?.compile()
}

/// Lint warnings for rows (none when the rows do not parse: the errors say why).
pub fn lint_rows(precedence: &str, rules: &[RuleRow]) -> Vec<Warning> {
    rule_set(precedence, rules)
        .map(|s| s.lint())
        .unwrap_or_default()
}

pub fn row_from_rule(r: &policy::Rule) -> RuleRow {
    RuleRow {
        pattern: r.pattern.clone(),
        action: r.action.as_str().to_string(),
        agent_pattern: r.agent_pattern.clone(),
        cost_max_usd: r.cost_max_usd,
    }
}

/// Rows of a stored version (`precedence` + the stored `rules` JSON).
pub fn rows_from_stored(precedence: &str, rules: &Value) -> Result<Vec<RuleRow>, String> {
    RuleSet::from_value(&json!({ "version": 1, "precedence": precedence, "rules": rules }))
        .map(|s| s.rules.iter().map(row_from_rule).collect())
        .map_err(|e| policy::join_errors(&e))
}

/// A rule from the editor's form fields; errors name the field (`pattern`,
/// `action`, `agent_pattern`, `cost_max_usd`).
pub fn rule_from_form(
    pattern: &str,
    action: &str,
    agent_pattern: &str,
    cost: &str,
) -> Result<RuleRow, Vec<FieldError>> {
    let mut errors = Vec::new();
    let cost = cost.trim();
    let cost_max_usd = if cost.is_empty() {
        None
    } else {
        match cost.trim_start_matches('$').parse::<f64>() {
            Ok(c) => Some(c),
            Err(_) => {
                errors.push(FieldError::new(
                    "cost_max_usd",
                    format!("{cost:?} is not a number (dollars, e.g. 0.05)"),
                ));
                None
            }
        }
    };
    if pattern.is_empty() {
        errors.push(FieldError::new(
            "pattern",
            "must not be empty (use * to match every tool)",
        ));
    }
    let agent = agent_pattern.trim();
    let row = RuleRow {
        pattern: pattern.to_string(),
        action: action.to_string(),
        agent_pattern: (!agent.is_empty()).then(|| agent.to_string()),
        cost_max_usd,
    };
    if errors.is_empty() {
        if let Err(found) = RuleSet::from_value(&json!({ "rules": [rule_value(&row)] }))
            .and_then(|s| s.compile().map(|_| ()))
        {
            errors.extend(found.into_iter().map(|e| {
                FieldError {
                    field: e
                        .field
                        .trim_start_matches("rules[0]")
                        .trim_start_matches('.')
                        .to_string(),
                    message: e.message,
                }
            }));
        }
    }
    if errors.is_empty() {
        Ok(row)
    } else {
        Err(errors)
    }
}

/// Moves `rules[index]` one place up (towards 0) or down; false at the edges.
pub fn move_rule<T>(rules: &mut [T], index: usize, up: bool) -> bool {
    let other = if up {
        index.checked_sub(1)
    } else {
        index.checked_add(1)
    };
    match other {
        Some(j) if index < rules.len() && j < rules.len() => {
            rules.swap(index, j);
            true
        }
        _ => false,
    }
}

/// Moves `rules[from]` to position `to` (dragging a row onto another); false if
/// either index is out of range or they are equal.
pub fn move_to<T>(rules: &mut Vec<T>, from: usize, to: usize) -> bool {
    if from == to || from >= rules.len() || to >= rules.len() {
        return false;
    }
    let item = rules.remove(from);
    rules.insert(to, item);
    true
}

/// A rule in the editor's working copy: the rule and, while it is audit-only, the
/// action it enforced before (what "Enforce" puts back).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WorkRule {
    pub rule: RuleRow,
    pub enforce_action: Option<String>,
}

/// What "Enforce" falls back to for a rule that has always been audit-only.
pub const DEFAULT_ENFORCE_ACTION: &str = "block";

/// Toggles a rule between enforced and audit-only: audit-only is the action
/// `audit_only` (the model has no separate flag, so evaluation is unchanged), and
/// the enforced action is remembered so that toggling back restores it.
pub fn toggle_audit(w: &mut WorkRule) {
    if w.rule.action == Action::AuditOnly.as_str() {
        w.rule.action = w
            .enforce_action
            .take()
            .unwrap_or_else(|| DEFAULT_ENFORCE_ACTION.to_string());
    } else {
        w.enforce_action = Some(std::mem::replace(
            &mut w.rule.action,
            Action::AuditOnly.as_str().to_string(),
        ));
    }
}

/// Pattern, agent pattern and cost condition: what identifies "the same rule"
/// across versions (the action may change).
pub(super) type RuleKey = (String, Option<String>, Option<u64>);

pub(super) fn key(r: &RuleRow) -> RuleKey {
    (
        r.pattern.clone(),
        r.agent_pattern.clone(),
        r.cost_max_usd.map(f64::to_bits),
    )
}

/// For each audit-only rule of `current`, the action the same rule (same pattern,
/// agent pattern and cost condition) last enforced in an earlier version; `history`
/// is newest first. `None` for enforced rules and for rules never enforced.
pub fn original_actions(current: &[RuleRow], history: &[Vec<RuleRow>]) -> Vec<Option<String>> {
    current
        .iter()
        .map(|r| {
            if r.action != Action::AuditOnly.as_str() {
                return None;
            }
            let k = key(r);
            history.iter().find_map(|rules| {
                rules
                    .iter()
                    .find(|o| key(o) == k && o.action != Action::AuditOnly.as_str())
                    .map(|o| o.action.clone())
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn row(pattern: &str, action: &str) -> RuleRow {
        RuleRow {
            pattern: pattern.into(),
            action: action.into(),
            agent_pattern: None,
            cost_max_usd: None,
        }
    }

    #[test]
    fn moves_and_toggles() {
        let mut v = vec![1, 2, 3];
        assert!(move_rule(&mut v, 0, false));
        assert_eq!(v, [2, 1, 3]);
        assert!(move_rule(&mut v, 2, true));
        assert_eq!(v, [2, 3, 1]);
        assert!(!move_rule(&mut v, 0, true));
        assert!(!move_rule(&mut v, 2, false));
        assert!(!move_rule(&mut v, 7, true));
        let mut d = vec![1, 2, 3, 4];
        assert!(move_to(&mut d, 0, 2));
        assert_eq!(d, [2, 3, 1, 4]);
        assert!(move_to(&mut d, 3, 0));
        assert_eq!(d, [4, 2, 3, 1]);
        assert!(!move_to(&mut d, 1, 1));
        assert!(!move_to(&mut d, 1, 4));

        let mut w = WorkRule {
            rule: row("payments.*", "require_approval"),
            enforce_action: None,
        };
        toggle_audit(&mut w);
        assert_eq!(w.rule.action, "audit_only");
        assert_eq!(w.enforce_action.as_deref(), Some("require_approval"));
        toggle_audit(&mut w);
        assert_eq!(w.rule.action, "require_approval");
        assert_eq!(w.enforce_action, None);
        let mut never = WorkRule {
            rule: row("x", "audit_only"),
            enforce_action: None,
        };
        toggle_audit(&mut never);
        assert_eq!(never.rule.action, DEFAULT_ENFORCE_ACTION);
    }

    #[test]
    fn original_actions_come_from_history() {
        let current = [row("a", "audit_only"), row("b", "block"), row("c", "audit")];
        let current: Vec<RuleRow> = current
            .into_iter()
            .map(|mut r| {
                if r.action == "audit" {
                    r.action = "audit_only".into();
                }
                r
            })
            .collect();
        let history = vec![
            vec![row("a", "audit_only")],
            vec![row("a", "require_approval"), row("c", "audit_only")],
            vec![row("a", "block")],
        ];
        assert_eq!(
            original_actions(&current, &history),
            vec![Some("require_approval".to_string()), None, None]
        );
    }

    #[test]
    fn form_errors_name_the_field() {
        let ok = rule_from_form("payments.*", "block", " support-* ", "0.05").unwrap();
        assert_eq!(ok.agent_pattern.as_deref(), Some("support-*"));
        assert_eq!(ok.cost_max_usd, Some(0.05));
        let errs = rule_from_form("x", "deny", "", "").unwrap_err();
        assert_eq!(errs[0].field, "action");
        let errs = rule_from_form("", "block", "", "abc").unwrap_err();
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["cost_max_usd", "pattern"]);
        let errs = rule_from_form("x", "block", "", "-1").unwrap_err();
        assert_eq!(errs[0].field, "cost_max_usd");
    }

    #[test]
    fn stored_rows_round_trip() {
        let rows = vec![
            row("a", "block"),
            RuleRow {
                agent_pattern: Some("bot".into()),
                cost_max_usd: Some(0.5),
                ..row("b", "audit_only")
            },
        ];
        let doc = policy_doc("first_match", &rows);
        let back = rows_from_stored("first_match", &doc["rules"]).unwrap();
        assert_eq!(back, rows);
        assert!(
            rows_from_stored("last_match", &json!([{"match": "x", "action": "deny"}])).is_err()
        );
    }
}
