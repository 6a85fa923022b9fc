//! The project's policy: the active rule set, saving a new version (with
//! compare-and-set, so an edit made on an old read never overwrites a newer one),
//! rule-by-rule edits, the version history with what changed, restoring, and
//! evaluating one subject. Every change is a new version recording its author.
use policy::{CompiledPolicy, FieldError, Precedence, Rule, RuleSet, Subject};
use serde::Serialize;
use serde_json::{json, Value};

use crate::names::{optional, MAX_MESSAGE_CHARS};
use crate::{changes, Caller, Permission, ServiceError, ServiceResult, Store};
use store::ProjectChangeKind;

/// Longest tool or agent name `evaluate` takes: what ingest accepts as a span name.
pub const MAX_SUBJECT_CHARS: usize = 1024;

/// How often an edit is redone on a fresh read when another version was saved
/// between its read and its write.
const EDIT_ATTEMPTS: usize = 16;

/// A stored version and its rules, parsed.
#[derive(Debug, Clone)]
pub struct ActivePolicy {
    pub version: store::PolicyVersion,
    pub set: RuleSet,
}

impl ActivePolicy {
    /// The rule set compiled for evaluation.
    pub fn compile(&self) -> ServiceResult<CompiledPolicy> {
        self.set
            .compile()
            .map_err(|e| unreadable(&self.version, &e))
    }
}

fn unreadable(version: &store::PolicyVersion, errors: &[FieldError]) -> ServiceError {
    ServiceError::Internal(format!(
        "the stored policy version {} cannot be read: {}",
        version.version,
        policy::join_errors(errors)
    ))
}

/// A stored version's rules as a rule set (its own precedence, its rules as stored).
pub fn stored_rule_set(version: &store::PolicyVersion) -> Result<RuleSet, Vec<FieldError>> {
    RuleSet::from_value(&json!({
        "version": 1,
        "precedence": version.precedence,
        "rules": version.rules,
    }))
}

/// The active version as stored, whether or not its rules still read back (the
/// editor shows unreadable rules rather than failing).
pub async fn active_version(store: &Store, caller: &Caller) -> ServiceResult<store::PolicyVersion> {
    caller.require(Permission::ReadRules)?;
    Ok(store.active_policy(caller.project_id()).await?)
}

/// The active version (version 0, empty, before any was saved).
pub async fn active(store: &Store, caller: &Caller) -> ServiceResult<ActivePolicy> {
    caller.require(Permission::ReadRules)?;
    let version = store.active_policy(caller.project_id()).await?;
    let set = stored_rule_set(&version).map_err(|e| unreadable(&version, &e))?;
    Ok(ActivePolicy { version, set })
}

/// The active rule set compiled: what decides now.
pub async fn active_compiled(store: &Store, caller: &Caller) -> ServiceResult<CompiledPolicy> {
    active(store, caller).await?.compile()
}

/// Rules as given (any accepted shape) with an optional precedence, validated and
/// compiled; errors name the field (`rules[2].action`).
pub fn parse_rule_set(precedence: Option<&str>, rules: &Value) -> ServiceResult<RuleSet> {
    let mut doc = json!({ "version": 1, "rules": rules });
    if let Some(p) = precedence {
        doc["precedence"] = json!(p);
    }
    let set = RuleSet::from_value(&doc)?;
    set.compile()?;
    Ok(set)
}

/// One rule in any accepted shape, errors reported under `rule`.
pub fn parse_rule(rule: &Value) -> ServiceResult<Rule> {
    let set = RuleSet::from_value(&json!({ "version": 1, "rules": [rule] })).map_err(|errors| {
        ServiceError::from(
            errors
                .into_iter()
                .map(|e| FieldError {
                    field: e.field.replacen("rules[0]", "rule", 1),
                    message: e.message,
                })
                .collect::<Vec<_>>(),
        )
    })?;
    set.rules
        .into_iter()
        .next()
        .ok_or_else(|| ServiceError::invalid("rule", "missing"))
}

/// A version message: trimmed, blank as none, at most [`MAX_MESSAGE_CHARS`].
pub fn message(text: Option<String>) -> ServiceResult<Option<String>> {
    optional("message", text, MAX_MESSAGE_CHARS)
}

/// Saves `set` as the next version, recording the caller as its author. With `base`,
/// only if version `base` is still the newest: a `Conflict` names the version saved
/// meanwhile and who saved it.
pub async fn save(
    store: &Store,
    caller: &Caller,
    base: Option<i64>,
    set: &RuleSet,
    message: Option<&str>,
) -> ServiceResult<store::PolicyVersion> {
    caller.require(Permission::Govern)?;
    set.compile()?;
    let rules = serde_json::to_value(&set.rules)
        .map_err(|e| ServiceError::Internal(format!("cannot encode the rules: {e}")))?;
    let project = caller.project_id();
    let author = caller.author();
    let precedence = set.precedence.as_str();
    let saved = match base {
        None => {
            store
                .save_policy(project, precedence, rules, &author, message)
                .await
        }
        Some(base) => {
            store
                .save_policy_on(project, base, precedence, rules, &author, message)
                .await
        }
    };
    match (saved, base) {
        (Err(store::StoreError::Conflict(_)), Some(base)) => {
            let newest = store
                .active_policy(project)
                .await
                .map(|v| format!("version {} by {}", v.version, v.author))
                .unwrap_or_else(|_| "a newer version".to_string());
            Err(ServiceError::Conflict(format!(
                "not saved: {newest} was saved after the version {base} you edited. Reload it, then redo your change."
            )))
        }
        (saved, _) => {
            let saved = saved?;
            let subject = format!("version {}", saved.version);
            let detail = saved.message.clone();
            changes::record(
                store,
                caller,
                ProjectChangeKind::PolicySaved,
                &subject,
                detail,
            )
            .await?;
            Ok(saved)
        }
    }
}

/// Applies `change` to the active rules and saves the result as a new version, as a
/// compare-and-set: when another version was saved meanwhile (by a concurrent
/// request, here or on another server), the change is redone on top of it rather than
/// overwriting it.
pub async fn edit(
    store: &Store,
    caller: &Caller,
    message: Option<&str>,
    change: impl Fn(&mut Vec<Rule>) -> ServiceResult<()>,
) -> ServiceResult<(store::PolicyVersion, RuleSet)> {
    caller.require(Permission::Govern)?;
    for _ in 0..EDIT_ATTEMPTS {
        let ActivePolicy { version, mut set } = active(store, caller).await?;
        change(&mut set.rules)?;
        match save(store, caller, Some(version.version), &set, message).await {
            Err(ServiceError::Conflict(_)) => continue,
            saved => return Ok((saved?, set)),
        }
    }
    Err(ServiceError::Conflict(
        "the policy kept changing while this edit was applied; try again".to_string(),
    ))
}

/// `index` must name one of `rules`.
pub fn check_index(rules: &[Rule], index: usize) -> ServiceResult<()> {
    if index >= rules.len() {
        return Err(ServiceError::NotFound(format!(
            "no rule at index {index}; the active set has {} rules",
            rules.len()
        )));
    }
    Ok(())
}

/// Reorders `rules` by `order`, which must list each current index exactly once.
pub fn reorder(rules: &mut Vec<Rule>, order: &[usize]) -> ServiceResult<()> {
    let mut seen = vec![false; rules.len()];
    let valid = order.len() == rules.len()
        && order
            .iter()
            .all(|&i| seen.get_mut(i).is_some_and(|s| !std::mem::replace(s, true)));
    if !valid {
        return Err(ServiceError::invalid(
            "order",
            format!("must list each index 0..{} exactly once", rules.len()),
        ));
    }
    let reordered = order
        .iter()
        .filter_map(|&i| rules.get(i).cloned())
        .collect();
    *rules = reordered;
    Ok(())
}

/// A page of versions, newest first.
pub async fn versions(
    store: &Store,
    caller: &Caller,
    page: &store::PageRequest,
) -> ServiceResult<store::Page<store::PolicyVersion>> {
    caller.require(Permission::Read)?;
    Ok(store.policy_versions(caller.project_id(), page).await?)
}

/// A version with what changed since the one before it.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryEntry {
    pub version: store::PolicyVersion,
    pub diff: VersionDiff,
}

/// A page of versions, newest first, each with its [`diff`] against the version
/// before it (for the page's oldest, read from the next page).
pub async fn history(
    store: &Store,
    caller: &Caller,
    page: &store::PageRequest,
) -> ServiceResult<store::Page<HistoryEntry>> {
    caller.require(Permission::Read)?;
    let store::Page { items, next_cursor } = versions(store, caller, page).await?;
    // Numbers run 1, 2, 3, ... per project: the one before the oldest here is its
    // number minus one (none before version 1).
    let before_oldest = match items.last() {
        Some(oldest) if oldest.version > 1 => {
            store
                .policy_version(caller.project_id(), oldest.version - 1)
                .await?
        }
        _ => None,
    };
    // Thousands of rules per version: off the async workers.
    let entries = crate::blocking::run(move || {
        let diffs: Vec<VersionDiff> = items
            .iter()
            .enumerate()
            .map(|(i, v)| diff(items.get(i + 1).or(before_oldest.as_ref()), v))
            .collect();
        items
            .into_iter()
            .zip(diffs)
            .map(|(version, diff)| HistoryEntry { version, diff })
            .collect()
    })
    .await?;
    Ok(store::Page {
        items: entries,
        next_cursor,
    })
}

/// One version.
pub async fn version(
    store: &Store,
    caller: &Caller,
    number: i64,
) -> ServiceResult<store::PolicyVersion> {
    caller.require(Permission::Read)?;
    store
        .policy_version(caller.project_id(), number)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("there is no policy version {number}")))
}

/// What changed between two versions: rules added and removed, order, precedence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VersionDiff {
    pub added: Vec<Value>,
    pub removed: Vec<Value>,
    pub reordered: bool,
    pub precedence_changed: bool,
}

/// The diff of `current` against the version before it (`None` for the first).
///
/// Linear in the number of rules: membership is a hash-set lookup (`serde_json::Value`
/// hashes consistently with its equality: object keys in any order, `0.0` and `-0.0`
/// alike), so the answer is exactly that of comparing every rule with every other.
pub fn diff(
    previous: Option<&store::PolicyVersion>,
    current: &store::PolicyVersion,
) -> VersionDiff {
    use std::collections::HashSet;
    let empty = Vec::new();
    let before = previous.and_then(|p| p.rules.as_array()).unwrap_or(&empty);
    let after = current.rules.as_array().unwrap_or(&empty);
    let in_before: HashSet<&Value> = before.iter().collect();
    let in_after: HashSet<&Value> = after.iter().collect();
    let added = after
        .iter()
        .filter(|r| !in_before.contains(r))
        .cloned()
        .collect();
    let removed = before
        .iter()
        .filter(|r| !in_after.contains(r))
        .cloned()
        .collect();
    let kept_before = before.iter().filter(|r| in_after.contains(r));
    let kept_after = after.iter().filter(|r| in_before.contains(r));
    VersionDiff {
        added,
        removed,
        reordered: !kept_before.eq(kept_after),
        precedence_changed: previous.is_some_and(|p| p.precedence != current.precedence),
    }
}

/// Saves version `number`'s rules as the next version (with `base`, only if `base` is
/// still the newest).
pub async fn restore(
    store: &Store,
    caller: &Caller,
    base: Option<i64>,
    number: i64,
) -> ServiceResult<(store::PolicyVersion, RuleSet)> {
    caller.require(Permission::Govern)?;
    let old = version(store, caller, number).await?;
    let set = stored_rule_set(&old).map_err(|e| {
        ServiceError::invalid(
            "version",
            format!(
                "version {number} cannot be restored: its rules are unreadable ({})",
                policy::join_errors(&e)
            ),
        )
    })?;
    let message = format!("restore version {number}");
    let saved = save(store, caller, base, &set, Some(&message)).await?;
    Ok((saved, set))
}

/// The lint warnings of `set`, computed off the async workers (a set may hold
/// thousands of rules).
pub async fn lint(set: &RuleSet) -> ServiceResult<Vec<policy::Warning>> {
    let set = set.clone();
    crate::blocking::run(move || set.lint()).await
}

/// What the active set decides for one subject.
#[derive(Debug, Clone, Serialize)]
pub struct Evaluation {
    pub verdict: policy::Verdict,
    pub audited: bool,
    /// The conformance suite's word for the decision (`BLOCKED`, `AUDIT`, ...).
    pub decision: &'static str,
    pub rule: Option<policy::MatchedRule>,
    pub matching_rules: Vec<policy::MatchedRule>,
    pub policy_version: i64,
}

/// Evaluates one subject under the active set.
pub async fn evaluate(
    store: &Store,
    caller: &Caller,
    tool: &str,
    agent: Option<&str>,
    cost_usd: Option<f64>,
) -> ServiceResult<Evaluation> {
    caller.require(Permission::ReadRules)?;
    for (field, name) in [("tool", Some(tool)), ("agent", agent)] {
        if name.is_some_and(|n| n.chars().count() > MAX_SUBJECT_CHARS) {
            return Err(ServiceError::invalid(
                field,
                format!("longer than {MAX_SUBJECT_CHARS} characters"),
            ));
        }
    }
    if cost_usd.is_some_and(|c| !c.is_finite() || c < 0.0) {
        return Err(ServiceError::invalid(
            "cost_usd",
            "must be a finite number >= 0",
        ));
    }
    let active = active(store, caller).await?;
    let compiled = active.compile()?;
    let subject = Subject {
        tool,
        agent,
        cost_usd,
    };
    let decision = compiled.evaluate(&subject);
    Ok(Evaluation {
        verdict: decision.verdict,
        audited: decision.audited,
        decision: decision.conformance(),
        rule: decision.rule.clone(),
        matching_rules: compiled.matching_rules(&subject),
        policy_version: active.version.version,
    })
}

/// Precedence as stored (`last_match` when unreadable, the default).
pub fn precedence_of(version: &store::PolicyVersion) -> Precedence {
    serde_json::from_value(json!(version.precedence)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(names: &[&str]) -> Vec<Rule> {
        names
            .iter()
            .map(|n| Rule::new(*n, policy::Action::Block))
            .collect()
    }

    #[test]
    fn reorders_only_permutations() {
        let mut r = rules(&["a", "b", "c"]);
        assert!(reorder(&mut r, &[2, 0, 1]).is_ok());
        assert_eq!(
            r.iter().map(|r| r.pattern.as_str()).collect::<Vec<_>>(),
            ["c", "a", "b"]
        );
        for bad in [&[0, 1][..], &[0, 0, 1], &[0, 1, 3]] {
            let before = r.clone();
            assert!(reorder(&mut r, bad).is_err());
            assert_eq!(r, before);
        }
        assert!(check_index(&r, 2).is_ok());
        assert!(matches!(check_index(&r, 3), Err(ServiceError::NotFound(_))));
    }

    #[test]
    fn one_rule_errors_are_named_rule() {
        let err = parse_rule(&json!({"pattern": "x", "action": "deny"})).unwrap_err();
        match err {
            ServiceError::Invalid { field, .. } => {
                assert_eq!(field.as_deref(), Some("rule.action"))
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn diffs_name_additions_and_order() {
        let v = |n: i64, rules: Value, precedence: &str| store::PolicyVersion {
            version: n,
            precedence: precedence.into(),
            rules,
            author: "a".into(),
            created_at: store::Timestamp::now(),
            message: None,
        };
        let a = json!({"pattern": "a", "action": "block"});
        let b = json!({"pattern": "b", "action": "allow"});
        let c = json!({"pattern": "c", "action": "allow"});
        let v1 = v(1, json!([a, b]), "last_match");
        let v2 = v(2, json!([b, a, c]), "first_match");
        let d = diff(Some(&v1), &v2);
        assert_eq!(d.added, vec![c.clone()]);
        assert!(d.removed.is_empty());
        assert!(d.reordered && d.precedence_changed);
        let first = diff(None, &v1);
        assert_eq!(first.added.len(), 2);
        assert!(!first.precedence_changed);
        // Equal rules whatever their key order or the sign of a zero.
        let a_reordered_keys = json!({"action": "block", "pattern": "a"});
        let v3 = v(3, json!([b, a_reordered_keys, c]), "first_match");
        assert_eq!(diff(Some(&v2), &v3), diff(Some(&v2), &v2));
        let z = |x: f64| json!([{"pattern": "z", "action": "block", "cost": x}]);
        let d = diff(
            Some(&v(4, z(0.0), "last_match")),
            &v(5, z(-0.0), "last_match"),
        );
        assert!(d.added.is_empty() && d.removed.is_empty() && !d.reordered);
    }

    /// Two versions of 5,000 rules (a quadratic diff compares 25 million pairs): one
    /// removed, one added, two swapped, a duplicate; the answer is checked, not timed.
    #[test]
    fn diffs_of_large_versions() {
        let v = |n: i64, rules: Vec<Value>| store::PolicyVersion {
            version: n,
            precedence: "last_match".into(),
            rules: Value::Array(rules),
            author: "a".into(),
            created_at: store::Timestamp::now(),
            message: None,
        };
        let rule = |i: usize| json!({"pattern": format!("tool{i}.*"), "action": "block"});
        let before: Vec<Value> = (0..5_000).map(rule).collect();
        let mut after: Vec<Value> = (1..5_000).map(rule).collect();
        after.push(rule(5_000));
        let d = diff(Some(&v(1, before.clone())), &v(2, after.clone()));
        assert_eq!(d.added, vec![rule(5_000)]);
        assert_eq!(d.removed, vec![rule(0)]);
        assert!(!d.reordered && !d.precedence_changed);

        after.swap(10, 4_000);
        after.push(rule(7));
        let d = diff(Some(&v(1, before.clone())), &v(2, after));
        assert_eq!(d.added, vec![rule(5_000)]);
        assert_eq!(d.removed, vec![rule(0)]);
        assert!(d.reordered);

        let same = diff(Some(&v(1, before.clone())), &v(2, before));
        assert!(same.added.is_empty() && same.removed.is_empty() && !same.reordered);
    }
}
