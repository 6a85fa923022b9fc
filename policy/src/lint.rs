//! Warnings for rules that can never decide. At most one warning per rule,
//! sorted by rule index; the first applicable reason wins:
//! 1. its pattern or agent_pattern can never match (an empty class like `[z-a]`);
//! 2. an unconditional `*` rule always wins over it (a later one under
//!    last_match, an earlier one under first_match);
//! 3. another rule has the same pattern, agent_pattern and cost condition
//!    and wins under the precedence.

use std::collections::HashMap;

use crate::glob::Glob;
use crate::model::{Precedence, Rule, RuleSet, Warning};

fn never_matches(pattern: &str) -> bool {
    Glob::new(pattern).never
}

/// Matches every subject: tool `*`, no cost band, agent absent or `*`.
fn is_catch_all(rule: &Rule) -> bool {
    Glob::new(&rule.pattern).is_match_all()
        && rule.cost_max_usd.is_none()
        && rule
            .agent_pattern
            .as_deref()
            .is_none_or(|a| Glob::new(a).is_match_all())
}

/// Pattern, agent_pattern and cost condition (as bits, so it can be hashed).
type DuplicateKey<'a> = (&'a str, Option<&'a str>, Option<u64>);

/// For each rule, the nearest rule with the same pattern, agent_pattern and
/// cost condition that wins over it (the next one under last_match, the
/// previous one under first_match). Linear, for large rule sets.
fn duplicate_winners(rules: &[Rule], last: bool) -> Vec<Option<usize>> {
    let mut groups: HashMap<DuplicateKey<'_>, Vec<usize>> = HashMap::new();
    for (i, r) in rules.iter().enumerate() {
        let key = (
            r.pattern.as_str(),
            r.agent_pattern.as_deref(),
            r.cost_max_usd.map(f64::to_bits),
        );
        groups.entry(key).or_default().push(i);
    }
    let mut winner = vec![None; rules.len()];
    for members in groups.values() {
        for pair in members.windows(2) {
            if let [a, b] = *pair {
                if last {
                    winner[a] = Some(b);
                } else {
                    winner[b] = Some(a);
                }
            }
        }
    }
    winner
}

impl RuleSet {
    /// Rules that can never be the deciding rule, and why.
    pub fn lint(&self) -> Vec<Warning> {
        let rules = &self.rules;
        let last = self.precedence == Precedence::LastMatch;
        let name = self.precedence.as_str();
        // The catch-all that shadows others: the last one under last_match,
        // the first one under first_match.
        let catch_all = if last {
            rules.iter().rposition(is_catch_all)
        } else {
            rules.iter().position(is_catch_all)
        };
        let duplicate_winner = duplicate_winners(rules, last);
        let mut warnings = Vec::new();
        for (i, rule) in rules.iter().enumerate() {
            let message = if never_matches(&rule.pattern) {
                Some(format!(
                    "never decides: pattern \"{}\" can never match (it has an empty character class)",
                    rule.pattern
                ))
            } else if rule.agent_pattern.as_deref().is_some_and(never_matches) {
                Some(format!(
                    "never decides: agent_pattern \"{}\" can never match (it has an empty character class)",
                    rule.agent_pattern.as_deref().unwrap_or_default()
                ))
            } else if let Some(c) = catch_all.filter(|&c| if last { i < c } else { i > c }) {
                let side = if last { "later" } else { "earlier" };
                Some(format!(
                    "never decides: rule {c} (\"{}\") matches every event and comes {side}, so it always wins under {name}",
                    rules[c].pattern
                ))
            } else {
                duplicate_winner[i].map(|j| {
                    format!(
                        "never decides: rule {j} has the same pattern (\"{}\"), agent_pattern and cost condition and wins under {name}",
                        rule.pattern
                    )
                })
            };
            if let Some(message) = message {
                warnings.push(Warning {
                    rule_index: i,
                    message,
                });
            }
        }
        warnings
    }
}

#[cfg(test)]
mod tests {
    use crate::model::{Action, Precedence, Rule, RuleSet};

    fn set(precedence: Precedence, rules: &[(&str, Action)]) -> RuleSet {
        RuleSet {
            precedence,
            rules: rules.iter().map(|(p, a)| Rule::new(*p, *a)).collect(),
        }
    }

    #[test]
    fn duplicates_and_catch_all() {
        let rules = [
            ("a", Action::Block),
            ("b", Action::Allow),
            ("a", Action::Allow),
            ("*", Action::AuditOnly),
            ("c", Action::Block),
        ];
        let last = set(Precedence::LastMatch, &rules).lint();
        let idx: Vec<usize> = last.iter().map(|w| w.rule_index).collect();
        assert_eq!(idx, vec![0, 1, 2]);
        assert!(last[0].message.contains("rule 3"));
        let first = set(Precedence::FirstMatch, &rules).lint();
        let idx: Vec<usize> = first.iter().map(|w| w.rule_index).collect();
        assert_eq!(idx, vec![2, 4]);
        assert!(
            first[0].message.contains("rule 0 has the same pattern"),
            "{first:?}"
        );
    }

    #[test]
    fn conditions_matter() {
        let mut rs = set(
            Precedence::LastMatch,
            &[
                ("a", Action::Block),
                ("a", Action::Allow),
                ("*", Action::Allow),
            ],
        );
        rs.rules[0].cost_max_usd = Some(1.0);
        rs.rules[2].agent_pattern = Some("bot".into());
        assert!(rs.lint().is_empty());
        rs.rules[2].agent_pattern = Some("**".into());
        assert_eq!(rs.lint().len(), 2);
        let never = set(Precedence::LastMatch, &[("[z-a]", Action::Block)]);
        assert!(never.lint()[0].message.contains("can never match"));
    }
}
