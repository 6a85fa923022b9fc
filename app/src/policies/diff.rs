//! What changed between two versions of a rule set, for the version history and the
//! editor's unsaved changes: rules added, removed, moved, or with another action, and
//! the precedence. Pure: no IO.
use std::collections::HashMap;

use policy::{Action, Precedence, Rule};
use serde::{Deserialize, Serialize};

use super::rules::{key, RuleKey};

/// One difference between two versions of a rule set.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Change {
    Added {
        index: usize,
        rule: Rule,
    },
    Removed {
        index: usize,
        rule: Rule,
    },
    /// The same rule (pattern, agent pattern, cost) with another action.
    ActionChanged {
        index: usize,
        rule: Rule,
        from: Action,
    },
    /// The same rule at another place relative to the others.
    Moved {
        from: usize,
        to: usize,
        rule: Rule,
    },
    Precedence {
        from: Precedence,
        to: Precedence,
    },
}

fn describe_rule(r: &Rule) -> String {
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
                let what = if rule.action == Action::AuditOnly {
                    "audit-only"
                } else if *from == Action::AuditOnly {
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
    before_precedence: Precedence,
    before: &[Rule],
    after_precedence: Precedence,
    after: &[Rule],
) -> Vec<Change> {
    let mut changes = Vec::new();
    if before_precedence != after_precedence {
        changes.push(Change::Precedence {
            from: before_precedence,
            to: after_precedence,
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
                from: before[i].action,
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use policy::Precedence::{FirstMatch, LastMatch};

    fn row(pattern: &str, action: &str) -> Rule {
        Rule::new(pattern, action.parse().unwrap())
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
        let changes = diff_rules(LastMatch, &before, FirstMatch, &after);
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
        assert!(diff_rules(LastMatch, &before, LastMatch, &before).is_empty());
    }

    #[test]
    fn diff_swap_is_one_move_and_duplicates_pair_in_order() {
        let before = [row("a", "block"), row("b", "allow")];
        let after = [row("b", "allow"), row("a", "block")];
        let changes = diff_rules(LastMatch, &before, LastMatch, &after);
        assert_eq!(changes.len(), 1);
        assert_eq!(changes[0].kind(), "moved");
        let dup_before = [row("x", "block"), row("x", "allow")];
        let dup_after = [row("x", "block")];
        let changes = diff_rules(LastMatch, &dup_before, LastMatch, &dup_after);
        assert_eq!(
            changes,
            vec![Change::Removed {
                index: 1,
                rule: row("x", "allow")
            }]
        );
        // From nothing: everything is added.
        let changes = diff_rules(LastMatch, &[], LastMatch, &before);
        assert_eq!(changes.len(), 2);
        assert!(changes.iter().all(|c| c.kind() == "added"));
    }
}
