//! Which rules decide traffic: per rule of a draft, the events it decided, the events
//! it matched but another rule decided (a later rule under `last_match`, an earlier one
//! under `first_match`), and so the rules that decided nothing in scope. In the spirit
//! of `opa test --coverage`, over recorded events instead of tests.

use serde::{Deserialize, Serialize};

use crate::eval::{CompiledPolicy, Subject};
use crate::model::Action;

/// One rule's share of a run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleCoverage {
    pub index: usize,
    pub pattern: String,
    pub action: Action,
    /// Events this rule decided.
    pub decided: u64,
    /// Events this rule matched that another rule decided.
    pub overridden: u64,
}

/// Every rule of the draft, in rule order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CoverageReport {
    pub rules: Vec<RuleCoverage>,
}

impl CoverageReport {
    /// Rules that decided no event in scope (dead weight, or fixtures that miss them).
    pub fn deciding_nothing(&self) -> impl Iterator<Item = &RuleCoverage> {
        self.rules.iter().filter(|r| r.decided == 0)
    }
}

/// Counts as events are judged; see [`crate::Simulator::covering`].
#[derive(Debug)]
pub(crate) struct CoverageCheck {
    decided: Vec<u64>,
    overridden: Vec<u64>,
}

impl CoverageCheck {
    pub(crate) fn new(draft: &CompiledPolicy) -> Self {
        let n = draft.rule_set().rules.len();
        CoverageCheck {
            decided: vec![0; n],
            overridden: vec![0; n],
        }
    }

    /// `decided` is the deciding rule's index. Only a decided event can have
    /// overridden matches (any match decides), so the second pass over the
    /// rules runs for those alone.
    pub(crate) fn push(&mut self, draft: &CompiledPolicy, subject: &Subject<'_>, decided: usize) {
        if let Some(n) = self.decided.get_mut(decided) {
            *n += 1;
        }
        for rule in draft.matching_rules(subject) {
            if rule.index != decided {
                if let Some(n) = self.overridden.get_mut(rule.index) {
                    *n += 1;
                }
            }
        }
    }

    pub(crate) fn finish(self, draft: &CompiledPolicy) -> CoverageReport {
        CoverageReport {
            rules: draft
                .rule_set()
                .rules
                .iter()
                .enumerate()
                .map(|(index, rule)| RuleCoverage {
                    index,
                    pattern: rule.pattern.clone(),
                    action: rule.action,
                    decided: self.decided.get(index).copied().unwrap_or(0),
                    overridden: self.overridden.get(index).copied().unwrap_or(0),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use crate::model::{Precedence, Rule, RuleSet};
    use crate::{Event, Simulator, Unmatched};

    fn event(tool: &str) -> Event {
        serde_json::from_value(serde_json::json!({"tool": tool, "trace_id": "t", "span_id": tool}))
            .unwrap()
    }

    fn coverage(precedence: Precedence) -> Vec<(u64, u64)> {
        let rules = RuleSet {
            rules: vec![
                Rule::new("payments.*", crate::Action::Block),
                Rule::new("payments.read", crate::Action::Allow),
                Rule::new("never.*", crate::Action::Block),
            ],
            precedence,
        };
        let compiled = rules.compile().unwrap();
        let mut sim = Simulator::new(&compiled, Unmatched::KeepRecorded).covering();
        for tool in [
            "payments.refund",
            "payments.read",
            "payments.read",
            "search",
        ] {
            sim.push(&event(tool));
        }
        let report = sim.finish().coverage.unwrap();
        assert_eq!(report.rules.len(), 3);
        assert_eq!(
            report.deciding_nothing().count(),
            1 + usize::from(precedence == Precedence::FirstMatch)
        );
        report
            .rules
            .iter()
            .map(|r| (r.decided, r.overridden))
            .collect()
    }

    #[test]
    fn coverage_counts_decisions_and_overrides_under_both_precedences() {
        // last_match: the later exact allow decides both reads over the glob.
        assert_eq!(coverage(Precedence::LastMatch), [(1, 2), (2, 0), (0, 0)]);
        // first_match: the glob decides everything, the allow never gets a say.
        assert_eq!(coverage(Precedence::FirstMatch), [(3, 0), (0, 2), (0, 0)]);
    }

    #[test]
    fn without_covering_there_is_no_report() {
        let compiled = RuleSet::default().compile().unwrap();
        let mut sim = Simulator::new(&compiled, Unmatched::KeepRecorded);
        sim.push(&event("a"));
        assert!(sim.finish().coverage.is_none());
    }
}
