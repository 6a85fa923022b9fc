//! The policy editor's rules, shared by the server and the browser (compiled to WASM):
//! the editor's rows ([`policy::Rule`]s) to rule sets and back (the stored JSON, the
//! editor's form), moving rules, and toggling a rule between enforced and audit-only
//! with the action it enforced before. Pure: no IO, no clock.
use std::collections::{HashMap, HashSet};

use policy::{Action, CompiledPolicy, FieldError, Precedence, Rule, RuleSet, Warning};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// One rule as JSON, in the canonical shape the store and the SDK endpoint use.
pub fn rule_value(r: &Rule) -> Value {
    let mut v = json!({ "pattern": r.pattern, "action": r.action.as_str() });
    if let Some(agent) = &r.agent_pattern {
        v["agent_pattern"] = json!(agent);
    }
    if let Some(cost) = r.cost_max_usd {
        v["cost_max_usd"] = json!(cost);
    }
    v
}

/// A policy file (`{version, precedence, rules}`) for rows.
pub fn policy_doc(precedence: Precedence, rules: &[Rule]) -> Value {
    json!({
        "version": 1,
        "precedence": precedence.as_str(),
        "rules": rules.iter().map(rule_value).collect::<Vec<_>>(),
    })
}

/// The rows as a validated rule set (errors name `rules[i].field`): the same checks
/// as any rule set sent to the server (limits on patterns and rules).
pub fn rule_set(precedence: Precedence, rules: &[Rule]) -> Result<RuleSet, Vec<FieldError>> {
    RuleSet::from_value(&policy_doc(precedence, rules))
}

pub fn compile_rows(
    precedence: Precedence,
    rules: &[Rule],
) -> Result<CompiledPolicy, Vec<FieldError>> {
    rule_set(precedence, rules)?.compile()
}

/// Lint warnings for rows (none when the rows do not parse: the errors say why).
pub fn lint_rows(precedence: Precedence, rules: &[Rule]) -> Vec<Warning> {
    rule_set(precedence, rules)
        .map(|s| s.lint())
        .unwrap_or_default()
}

/// Rows of a stored version (the store's `precedence` text + its `rules` JSON).
pub fn rows_from_stored(precedence: &str, rules: &Value) -> Result<Vec<Rule>, String> {
    RuleSet::from_value(&json!({ "version": 1, "precedence": precedence, "rules": rules }))
        .map(|s| s.rules)
        .map_err(|e| policy::join_errors(&e))
}

/// A rule from the editor's form fields; errors name the field (`pattern`,
/// `action`, `agent_pattern`, `cost_max_usd`).
pub fn rule_from_form(
    pattern: &str,
    action: &str,
    agent_pattern: &str,
    cost: &str,
) -> Result<Rule, Vec<FieldError>> {
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
    if !errors.is_empty() {
        return Err(errors);
    }
    // The action as typed goes through the policy parser, so its errors read as the
    // parser's (`action: ...`).
    let agent = agent_pattern.trim();
    let mut value = json!({ "pattern": pattern, "action": action });
    if !agent.is_empty() {
        value["agent_pattern"] = json!(agent);
    }
    if let Some(cost) = cost_max_usd {
        value["cost_max_usd"] = json!(cost);
    }
    let parsed = RuleSet::from_value(&json!({ "rules": [value] })).and_then(|s| {
        s.compile()?;
        Ok(s)
    });
    match parsed {
        Ok(set) => set
            .rules
            .into_iter()
            .next()
            .ok_or_else(|| vec![FieldError::new("", "no rule")]),
        Err(found) => Err(found
            .into_iter()
            .map(|e| FieldError {
                field: e
                    .field
                    .trim_start_matches("rules[0]")
                    .trim_start_matches('.')
                    .to_string(),
                message: e.message,
            })
            .collect()),
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
    pub rule: Rule,
    pub enforce_action: Option<Action>,
}

/// What "Enforce" falls back to for a rule that has always been audit-only.
pub const DEFAULT_ENFORCE_ACTION: Action = Action::Block;

/// Toggles a rule between enforced and audit-only: audit-only is the action
/// `audit_only` (the model has no separate flag, so evaluation is unchanged), and
/// the enforced action is remembered so that toggling back restores it.
pub fn toggle_audit(w: &mut WorkRule) {
    if w.rule.action == Action::AuditOnly {
        w.rule.action = w.enforce_action.take().unwrap_or(DEFAULT_ENFORCE_ACTION);
    } else {
        w.enforce_action = Some(std::mem::replace(&mut w.rule.action, Action::AuditOnly));
    }
}

/// Pattern, agent pattern and cost condition: what identifies "the same rule"
/// across versions (the action may change).
pub(super) type RuleKey = (String, Option<String>, Option<u64>);

pub(super) fn key(r: &Rule) -> RuleKey {
    (
        r.pattern.clone(),
        r.agent_pattern.clone(),
        r.cost_max_usd.map(f64::to_bits),
    )
}

/// For each audit-only rule of `current`, the action the same rule (same pattern,
/// agent pattern and cost condition) last enforced in an earlier version; `history`
/// is newest first. `None` for enforced rules and for rules never enforced. When a
/// version holds the same rule twice, enforced both times, its first one counts.
///
/// Linear in the rules of `current` and `history` together: one pass over the
/// history keeps, per rule identity asked about, the first enforced action met.
pub fn original_actions(current: &[Rule], history: &[Vec<Rule>]) -> Vec<Option<Action>> {
    type Identity<'a> = (&'a str, Option<&'a str>, Option<u64>);
    fn identity(r: &Rule) -> Identity<'_> {
        (
            r.pattern.as_str(),
            r.agent_pattern.as_deref(),
            r.cost_max_usd.map(f64::to_bits),
        )
    }
    let audited = |r: &&Rule| r.action == Action::AuditOnly;
    let wanted: HashSet<Identity<'_>> = current.iter().filter(audited).map(identity).collect();
    let mut enforced: HashMap<Identity<'_>, Action> = HashMap::new();
    for rule in history.iter().flatten().filter(|r| !audited(r)) {
        let id = identity(rule);
        if wanted.contains(&id) {
            enforced.entry(id).or_insert(rule.action);
        }
    }
    current
        .iter()
        .map(|r| {
            audited(&r)
                .then(|| enforced.get(&identity(r)).copied())
                .flatten()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn row(pattern: &str, action: &str) -> Rule {
        Rule::new(pattern, action.parse().unwrap())
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
        assert_eq!(w.rule.action, Action::AuditOnly);
        assert_eq!(w.enforce_action, Some(Action::RequireApproval));
        toggle_audit(&mut w);
        assert_eq!(w.rule.action, Action::RequireApproval);
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
        // `audit` is read as `audit_only`.
        let current = [row("a", "audit_only"), row("b", "block"), row("c", "audit")];
        let history = vec![
            vec![row("a", "audit_only")],
            vec![row("a", "require_approval"), row("c", "audit_only")],
            vec![row("a", "block")],
        ];
        assert_eq!(
            original_actions(&current, &history),
            vec![Some(Action::RequireApproval), None, None]
        );
    }

    /// Duplicates on either side, identity beyond the pattern (agent pattern and cost
    /// condition), the newest enforcing version winning, and within a version its
    /// first copy.
    #[test]
    fn original_actions_with_duplicates_and_full_identity() {
        let with = |pattern: &str, action: &str, agent: Option<&str>, cost: Option<f64>| Rule {
            agent_pattern: agent.map(str::to_string),
            cost_max_usd: cost,
            ..row(pattern, action)
        };
        let current = [
            row("a", "audit_only"),
            row("a", "audit_only"),
            with("a", "audit_only", Some("bot"), None),
            with("a", "audit_only", None, Some(0.5)),
            row("b", "audit_only"),
            row("b", "allow"),
            row("c", "audit_only"),
        ];
        let history = vec![
            // Newest: `a` only audited; `b` twice, enforced differently.
            vec![
                row("a", "audit_only"),
                row("b", "require_approval"),
                row("b", "block"),
            ],
            vec![
                row("a", "block"),
                with("a", "allow", Some("bot"), None),
                row("a", "allow"),
            ],
            vec![
                with("a", "require_approval", None, Some(0.5)),
                row("b", "allow"),
            ],
        ];
        assert_eq!(
            original_actions(&current, &history),
            vec![
                Some(Action::Block),
                Some(Action::Block),
                Some(Action::Allow),
                Some(Action::RequireApproval),
                Some(Action::RequireApproval),
                None,
                None,
            ]
        );
        assert_eq!(original_actions(&current, &[]), vec![None; current.len()]);
    }

    /// 5,000 audit-only rules against 20 versions of 5,000 (all pairs would be half a
    /// billion comparisons): each finds the version that enforced it. Checked, not timed.
    #[test]
    fn original_actions_of_large_histories() {
        let n = 5_000;
        let current: Vec<Rule> = (0..n)
            .map(|i| row(&format!("t{i}"), "audit_only"))
            .collect();
        // Version k (newest first) enforces the rules i with i % 20 == k; the others
        // are audit-only there too.
        let history: Vec<Vec<Rule>> = (0..20)
            .map(|k| {
                (0..n)
                    .map(|i| {
                        row(
                            &format!("t{i}"),
                            if i % 20 == k {
                                "require_approval"
                            } else {
                                "audit_only"
                            },
                        )
                    })
                    .collect()
            })
            .collect();
        let found = original_actions(&current, &history);
        assert_eq!(found, vec![Some(Action::RequireApproval); n]);
        let none_enforced: Vec<Vec<Rule>> = vec![current.clone(); 20];
        assert_eq!(original_actions(&current, &none_enforced), vec![None; n]);
    }

    #[test]
    fn form_errors_name_the_field() {
        let ok = rule_from_form("payments.*", "block", " support-* ", "0.05").unwrap();
        assert_eq!(ok.action, Action::Block);
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
            Rule {
                agent_pattern: Some("bot".into()),
                cost_max_usd: Some(0.5),
                ..row("b", "audit_only")
            },
        ];
        let doc = policy_doc(Precedence::FirstMatch, &rows);
        assert_eq!(doc["precedence"], "first_match");
        assert_eq!(
            doc["rules"][1],
            json!({"pattern": "b", "action": "audit_only", "agent_pattern": "bot", "cost_max_usd": 0.5})
        );
        let back = rows_from_stored("first_match", &doc["rules"]).unwrap();
        assert_eq!(back, rows);
        assert!(
            rows_from_stored("last_match", &json!([{"match": "x", "action": "deny"}])).is_err()
        );
    }
}
