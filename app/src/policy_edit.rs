//! The policy editor's and simulator's logic, shared by the server and the browser
//! (compiled to WASM): turning rows into rule sets, moving and toggling rules, what a
//! change would flip, the diff between two versions, the transition matrix and the
//! per-event outcomes of a draft. Pure: no IO, no clock.
use std::collections::{BTreeMap, HashMap};

use policy::{
    Action, CompiledPolicy, Event, FieldError, RuleSet, Subject, Unmatched, Verdict, Warning,
    SCANNED_KINDS,
};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::model::RuleRow;

/// The window the policies page previews a change over.
pub const PREVIEW_WINDOW: &str = "7d";

/// `7d` → "the last 7 days", for headlines.
pub fn window_label(range: &str) -> String {
    match range {
        "1h" => "the last hour".to_string(),
        "24h" => "the last 24 hours".to_string(),
        "7d" => "the last 7 days".to_string(),
        "30d" => "the last 30 days".to_string(),
        "all" => "all recorded time".to_string(),
        other => other.to_string(),
    }
}

/// The start of a window ending now, in microseconds; `None` for `all`.
pub fn window_since(range: &str, now_micros: i64) -> Result<Option<i64>, String> {
    const HOUR: i64 = 3_600_000_000;
    match range {
        "1h" => Ok(Some(now_micros - HOUR)),
        "24h" => Ok(Some(now_micros - 24 * HOUR)),
        "7d" => Ok(Some(now_micros - 7 * 24 * HOUR)),
        "30d" => Ok(Some(now_micros - 30 * 24 * HOUR)),
        "all" => Ok(None),
        other => Err(format!(
            "window: unknown window {other:?}; expected 1h, 24h, 7d, 30d or all"
        )),
    }
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
type RuleKey = (String, Option<String>, Option<u64>);

fn key(r: &RuleRow) -> RuleKey {
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

/// Counts of `from → to` verdicts over scanned events (the diagonal: unchanged).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Matrix {
    pub cells: [[u64; 5]; 5],
}

fn verdict_index(v: Verdict) -> usize {
    Verdict::ALL.iter().position(|x| *x == v).unwrap_or(0)
}

impl Matrix {
    pub fn add(&mut self, from: Verdict, to: Verdict) {
        self.cells[verdict_index(from)][verdict_index(to)] += 1;
    }

    pub fn get(&self, from: Verdict, to: Verdict) -> u64 {
        self.cells[verdict_index(from)][verdict_index(to)]
    }

    /// Events whose verdict changes (off the diagonal).
    pub fn changed(&self) -> u64 {
        let mut n = 0;
        for (i, row) in self.cells.iter().enumerate() {
            for (j, c) in row.iter().enumerate() {
                if i != j {
                    n += c;
                }
            }
        }
        n
    }

    /// From a summary's `"allowed->blocked": n` map (changed events only, so the
    /// diagonal stays empty). Unknown keys are skipped.
    pub fn from_transitions(transitions: &BTreeMap<String, u64>) -> Matrix {
        let mut m = Matrix::default();
        for (k, n) in transitions {
            if let Some((from, to)) = k.split_once("->") {
                if let (Ok(from), Ok(to)) = (from.parse::<Verdict>(), to.parse::<Verdict>()) {
                    m.cells[verdict_index(from)][verdict_index(to)] += n;
                }
            }
        }
        m
    }

    /// The changed cells as `"from->to"` keys, as in a summary's `transitions`.
    pub fn transitions(&self) -> BTreeMap<String, u64> {
        let mut out = BTreeMap::new();
        for from in Verdict::ALL {
            for to in Verdict::ALL {
                let n = self.get(from, to);
                if from != to && n > 0 {
                    out.insert(format!("{from}->{to}"), n);
                }
            }
        }
        out
    }
}

/// What a change to the active rule set would do over some events: each scanned
/// event evaluated under both sets.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Flips {
    pub scanned: u64,
    pub flipped: u64,
    pub matrix: Matrix,
}

pub fn flips(before: &CompiledPolicy, after: &CompiledPolicy, events: &[Event]) -> Flips {
    let mut out = Flips::default();
    for e in events {
        if !SCANNED_KINDS.contains(&e.kind.as_str()) {
            continue;
        }
        let subject = Subject {
            tool: &e.tool,
            agent: e.agent.as_deref(),
            cost_usd: e.cost_usd,
        };
        let from = before.evaluate(&subject).verdict;
        let to = after.evaluate(&subject).verdict;
        out.scanned += 1;
        if from != to {
            out.flipped += 1;
        }
        out.matrix.add(from, to);
    }
    out
}

/// `2310` → `2,310`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// "this change would flip 14 of 2,310 events in the last 7 days".
pub fn flip_headline(f: &Flips, range: &str) -> String {
    format!(
        "this change would flip {} of {} {} in {}",
        thousands(f.flipped),
        thousands(f.scanned),
        if f.scanned == 1 { "event" } else { "events" },
        window_label(range)
    )
}

/// One difference between two versions of a rule set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Change {
    Added {
        index: usize,
        rule: RuleRow,
    },
    Removed {
        index: usize,
        rule: RuleRow,
    },
    /// The same rule (pattern, agent pattern, cost) with another action.
    ActionChanged {
        index: usize,
        rule: RuleRow,
        from: String,
    },
    /// The same rule at another place relative to the others.
    Moved {
        from: usize,
        to: usize,
        rule: RuleRow,
    },
    Precedence {
        from: String,
        to: String,
    },
}

fn describe_rule(r: &RuleRow) -> String {
    let mut s = format!("{} → {}", r.pattern, r.action);
    if let Some(a) = &r.agent_pattern {
        s.push_str(&format!(" (agent {a})"));
    }
    if let Some(c) = r.cost_max_usd {
        s.push_str(&format!(" (cost > ${c})"));
    }
    s
}

impl Change {
    /// One line for the version history and the save bar.
    pub fn describe(&self) -> String {
        match self {
            Change::Added { index, rule } => format!("added #{index} {}", describe_rule(rule)),
            Change::Removed { index, rule } => format!("removed #{index} {}", describe_rule(rule)),
            Change::ActionChanged { index, rule, from } => {
                let what = if rule.action == Action::AuditOnly.as_str() {
                    "audit-only"
                } else if from == Action::AuditOnly.as_str() {
                    "enforced"
                } else {
                    "changed"
                };
                format!("{what} #{index} {}: {from} → {}", rule.pattern, rule.action)
            }
            Change::Moved { from, to, rule } => {
                format!("moved {} from #{from} to #{to}", rule.pattern)
            }
            Change::Precedence { from, to } => format!("precedence {from} → {to}"),
        }
    }

    /// `added`, `removed`, `changed`, `moved`, `precedence` (a CSS class).
    pub fn kind(&self) -> &'static str {
        match self {
            Change::Added { .. } => "added",
            Change::Removed { .. } => "removed",
            Change::ActionChanged { .. } => "changed",
            Change::Moved { .. } => "moved",
            Change::Precedence { .. } => "precedence",
        }
    }
}

/// Indices (into `seq`) of one longest strictly increasing subsequence.
fn longest_increasing(seq: &[usize]) -> Vec<usize> {
    // Patience sorting with back links: O(n log n).
    let mut tails: Vec<usize> = Vec::new();
    let mut prev: Vec<Option<usize>> = vec![None; seq.len()];
    for (i, &x) in seq.iter().enumerate() {
        let pos = tails.partition_point(|&t| seq[t] < x);
        if pos > 0 {
            prev[i] = Some(tails[pos - 1]);
        }
        if pos == tails.len() {
            tails.push(i);
        } else {
            tails[pos] = i;
        }
    }
    let mut out = Vec::with_capacity(tails.len());
    let mut cur = tails.last().copied();
    while let Some(i) = cur {
        out.push(i);
        cur = prev[i];
    }
    out.reverse();
    out
}

/// What changed from `before` to `after`. Rules are paired by pattern, agent
/// pattern and cost condition (duplicates in order); unpaired ones are added or
/// removed, paired ones with another action changed, and the fewest paired rules
/// that explain the new order are moved.
pub fn diff_rules(
    before_precedence: &str,
    before: &[RuleRow],
    after_precedence: &str,
    after: &[RuleRow],
) -> Vec<Change> {
    let mut changes = Vec::new();
    if before_precedence != after_precedence {
        changes.push(Change::Precedence {
            from: before_precedence.to_string(),
            to: after_precedence.to_string(),
        });
    }
    let mut unpaired: HashMap<RuleKey, std::collections::VecDeque<usize>> = HashMap::new();
    for (i, r) in before.iter().enumerate() {
        unpaired.entry(key(r)).or_default().push_back(i);
    }
    // (after index, before index)
    let mut pairs: Vec<(usize, usize)> = Vec::new();
    for (j, r) in after.iter().enumerate() {
        match unpaired.get_mut(&key(r)).and_then(|q| q.pop_front()) {
            Some(i) => pairs.push((j, i)),
            None => changes.push(Change::Added {
                index: j,
                rule: r.clone(),
            }),
        }
    }
    let mut removed: Vec<usize> = unpaired.into_values().flatten().collect();
    removed.sort_unstable();
    for i in removed {
        changes.push(Change::Removed {
            index: i,
            rule: before[i].clone(),
        });
    }
    for &(j, i) in &pairs {
        if before[i].action != after[j].action {
            changes.push(Change::ActionChanged {
                index: j,
                rule: after[j].clone(),
                from: before[i].action.clone(),
            });
        }
    }
    let order: Vec<usize> = pairs.iter().map(|&(_, i)| i).collect();
    let stay = longest_increasing(&order);
    let mut keep = vec![false; pairs.len()];
    for k in stay {
        keep[k] = true;
    }
    for (k, &(j, i)) in pairs.iter().enumerate() {
        if !keep[k] {
            changes.push(Change::Moved {
                from: i,
                to: j,
                rule: after[j].clone(),
            });
        }
    }
    changes
}

/// One scanned event under a draft: its baseline verdict (recorded, or the active
/// policy's), its simulated verdict and the deciding draft rule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Outcome {
    /// Index into the events given.
    pub event: usize,
    pub baseline: Verdict,
    pub simulated: Verdict,
    pub rule: Option<usize>,
}

impl Outcome {
    pub fn changed(&self) -> bool {
        self.baseline != self.simulated
    }
}

/// Per-event outcomes, exactly as [`policy::Simulator`] decides them (same scanned
/// kinds, same handling of unmatched events). With `baseline`, events are compared
/// with its verdicts instead of the recorded ones (as the server's run does).
pub fn outcomes(
    draft: &CompiledPolicy,
    unmatched: Unmatched,
    baseline: Option<&CompiledPolicy>,
    events: &[Event],
) -> Vec<Outcome> {
    let mut out = Vec::new();
    for (n, e) in events.iter().enumerate() {
        if !SCANNED_KINDS.contains(&e.kind.as_str()) {
            continue;
        }
        let subject = Subject {
            tool: &e.tool,
            agent: e.agent.as_deref(),
            cost_usd: e.cost_usd,
        };
        let base = match baseline {
            Some(b) => b.evaluate(&subject).verdict,
            None => e.recorded,
        };
        let rule = draft.evaluate_index(&subject);
        let simulated = match (rule, unmatched) {
            (Some(i), _) => draft
                .rule_set()
                .rules
                .get(i)
                .map_or(base, |r| r.action.verdict()),
            (None, Unmatched::KeepRecorded) => base,
            (None, Unmatched::Allowed) => Verdict::Allowed,
        };
        out.push(Outcome {
            event: n,
            baseline: base,
            simulated,
            rule,
        });
    }
    out
}

/// The matrix of outcomes (diagonal included).
pub fn matrix_of(outcomes: &[Outcome]) -> Matrix {
    let mut m = Matrix::default();
    for o in outcomes {
        m.add(o.baseline, o.simulated);
    }
    m
}

/// Events with the baseline policy's verdict as their recorded one: what the
/// simulator compares against when a whole rule set replaces the active one.
pub fn with_baseline(baseline: &CompiledPolicy, events: &[Event]) -> Vec<Event> {
    events
        .iter()
        .map(|e| {
            let mut e = e.clone();
            e.recorded = baseline
                .evaluate(&Subject {
                    tool: &e.tool,
                    agent: e.agent.as_deref(),
                    cost_usd: e.cost_usd,
                })
                .verdict;
            e
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

    fn event(tool: &str, recorded: Verdict) -> Event {
        Event {
            kind: "tool_call".into(),
            tool: tool.into(),
            agent: Some("bot".into()),
            cost_usd: None,
            timestamp: None,
            trace_id: "t".into(),
            span_id: format!("s-{tool}"),
            recorded,
        }
    }

    #[test]
    fn diff_added_removed_changed_moved() {
        let before = [
            row("a", "block"),
            row("b", "allow"),
            row("c", "block"),
            row("d", "allow"),
        ];
        // c moved to the front, b removed, d to audit-only, e added.
        let after = [
            row("c", "block"),
            row("a", "block"),
            row("d", "audit_only"),
            row("e", "require_approval"),
        ];
        let changes = diff_rules("last_match", &before, "first_match", &after);
        let lines: Vec<String> = changes.iter().map(Change::describe).collect();
        assert_eq!(
            lines,
            vec![
                "precedence last_match → first_match",
                "added #3 e → require_approval",
                "removed #1 b → allow",
                "audit-only #2 d: allow → audit_only",
                "moved c from #2 to #0",
            ]
        );
        assert!(diff_rules("last_match", &before, "last_match", &before).is_empty());
    }

    #[test]
    fn diff_swap_is_one_move_and_duplicates_pair_in_order() {
        let before = [row("a", "block"), row("b", "allow")];
        let after = [row("b", "allow"), row("a", "block")];
        let changes = diff_rules("last_match", &before, "last_match", &after);
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].kind(), "moved");
        let dup_before = [row("x", "block"), row("x", "allow")];
        let dup_after = [row("x", "block")];
        let changes = diff_rules("last_match", &dup_before, "last_match", &dup_after);
        assert_eq!(
            changes,
            vec![Change::Removed {
                index: 1,
                rule: row("x", "allow")
            }]
        );
        // From nothing: everything is added.
        let changes = diff_rules("last_match", &[], "last_match", &before);
        assert_eq!(changes.len(), 2);
        assert!(changes.iter().all(|c| c.kind() == "added"));
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
    fn flips_and_matrix() {
        let before = compile_rows("last_match", &[row("payments.*", "block")]).unwrap();
        let after = compile_rows(
            "last_match",
            &[
                row("payments.*", "block"),
                row("payments.read", "allow"),
                row("shell.*", "require_approval"),
            ],
        )
        .unwrap();
        let events = [
            event("payments.read", Verdict::Blocked),
            event("payments.refund", Verdict::Blocked),
            event("shell.exec", Verdict::Allowed),
            event("shell.exec", Verdict::Allowed),
            Event {
                kind: "agent_run".into(),
                ..event("shell.exec", Verdict::Allowed)
            },
        ];
        let f = flips(&before, &after, &events);
        assert_eq!(f.scanned, 4);
        assert_eq!(f.flipped, 3);
        assert_eq!(f.matrix.get(Verdict::Blocked, Verdict::Allowed), 1);
        assert_eq!(f.matrix.get(Verdict::Allowed, Verdict::Held), 2);
        assert_eq!(f.matrix.get(Verdict::Blocked, Verdict::Blocked), 1);
        assert_eq!(f.matrix.changed(), 3);
        assert_eq!(
            flip_headline(&f, "7d"),
            "this change would flip 3 of 4 events in the last 7 days"
        );
        let t = f.matrix.transitions();
        assert_eq!(t.get("allowed->held"), Some(&2));
        assert_eq!(Matrix::from_transitions(&t).changed(), 3);
        assert_eq!(thousands(2310), "2,310");
        assert_eq!(thousands(14), "14");
        assert_eq!(thousands(1_000_000), "1,000,000");
    }

    #[test]
    fn outcomes_agree_with_the_simulator() {
        let active = compile_rows("last_match", &[row("payments.*", "block")]).unwrap();
        let events = [
            event("payments.read", Verdict::Blocked),
            event("payments.refund", Verdict::Held),
            event("shell.exec", Verdict::Allowed),
        ];
        // A single rule layered over what was recorded.
        let (_, draft, unmatched) =
            crate::draft::compile_draft_text(r#"{"kind": "allow", "pattern": "payments.read"}"#)
                .unwrap();
        let rows = outcomes(&draft, unmatched, None, &events);
        let summary = crate::draft::preview(&draft, unmatched, &events);
        let m = matrix_of(&rows);
        assert_eq!(m.transitions(), summary.transitions);
        assert_eq!(
            rows.iter().filter(|o| o.rule.is_some()).count() as u64,
            summary.events_matched
        );
        assert_eq!(rows[1].simulated, Verdict::Held);
        // A whole set against the active policy.
        let (_, set, unmatched) = crate::draft::compile_draft_text(
            r#"{"rules": [{"match": "payments.*", "action": "require_approval"}]}"#,
        )
        .unwrap();
        assert_eq!(unmatched, Unmatched::Allowed);
        let rows = outcomes(&set, unmatched, Some(&active), &events);
        let summary = crate::draft::preview(&set, unmatched, &with_baseline(&active, &events));
        assert_eq!(matrix_of(&rows).transitions(), summary.transitions);
        assert_eq!(summary.transitions.get("blocked->held"), Some(&2));
        assert_eq!(rows[2].baseline, Verdict::Allowed);
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
        assert!(window_since("2w", 0).is_err());
        assert_eq!(window_since("1h", 3_600_000_000).unwrap(), Some(0));
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
