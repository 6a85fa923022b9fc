//! Property tests: precedence symmetry and agreement with a naive reference
//! evaluator built on `glob::fnmatch`.
#![allow(clippy::unwrap_used)]

use policy::{glob, Action, Precedence, Rule, RuleSet, Subject, DEFAULT_AGENT};
use proptest::prelude::*;

fn action() -> impl Strategy<Value = Action> {
    prop::sample::select(Action::ALL.to_vec())
}

fn rule() -> impl Strategy<Value = Rule> {
    (
        "[ab.*?\\[\\]!é-]{0,5}",
        action(),
        prop::option::weighted(0.3, "[ab*?d]{0,3}"),
        prop::option::weighted(0.3, 0u8..3),
    )
        .prop_map(|(pattern, action, agent_pattern, cost)| Rule {
            pattern,
            action,
            agent_pattern,
            cost_max_usd: cost.map(f64::from),
        })
}

#[derive(Debug, Clone)]
struct Case {
    tool: String,
    agent: Option<String>,
    cost: Option<f64>,
}

fn case() -> impl Strategy<Value = Case> {
    (
        "[ab.é-]{0,4}",
        prop::option::of("[ab]{0,2}|default"),
        prop::option::of((0u8..8).prop_map(|c| f64::from(c) / 2.0)),
    )
        .prop_map(|(tool, agent, cost)| Case { tool, agent, cost })
}

fn applies(rule: &Rule, s: &Subject<'_>) -> bool {
    let agent = s.agent.unwrap_or(DEFAULT_AGENT);
    glob::fnmatch(&rule.pattern, s.tool)
        && rule
            .agent_pattern
            .as_deref()
            .is_none_or(|p| glob::fnmatch(p, agent))
        && rule
            .cost_max_usd
            .is_none_or(|max| s.cost_usd.is_some_and(|c| c > max))
}

fn naive(rules: &[Rule], precedence: Precedence, s: &Subject<'_>) -> Option<usize> {
    let mut hits = (0..rules.len()).filter(|&i| applies(&rules[i], s));
    match precedence {
        Precedence::LastMatch => hits.next_back(),
        Precedence::FirstMatch => hits.next(),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn first_match_on_reversed_equals_last_match(rules in prop::collection::vec(rule(), 0..12), cases in prop::collection::vec(case(), 1..8)) {
        let last = RuleSet { precedence: Precedence::LastMatch, rules: rules.clone() }.compile().unwrap();
        let mut reversed_rules = rules.clone();
        reversed_rules.reverse();
        let first = RuleSet { precedence: Precedence::FirstMatch, rules: reversed_rules }.compile().unwrap();
        for c in &cases {
            let s = Subject { tool: &c.tool, agent: c.agent.as_deref(), cost_usd: c.cost };
            let a = last.evaluate(&s);
            let b = first.evaluate(&s);
            prop_assert_eq!(a.verdict, b.verdict);
            prop_assert_eq!(a.audited, b.audited);
            let mapped = b.rule.as_ref().map(|r| rules.len() - 1 - r.index);
            prop_assert_eq!(a.rule.as_ref().map(|r| r.index), mapped);
        }
    }

    #[test]
    fn evaluate_agrees_with_naive_reference(rules in prop::collection::vec(rule(), 0..12), cases in prop::collection::vec(case(), 1..8)) {
        for precedence in [Precedence::LastMatch, Precedence::FirstMatch] {
            let compiled = RuleSet { precedence, rules: rules.clone() }.compile().unwrap();
            for c in &cases {
                let s = Subject { tool: &c.tool, agent: c.agent.as_deref(), cost_usd: c.cost };
                let want = naive(&rules, precedence, &s);
                let got = compiled.evaluate(&s);
                prop_assert_eq!(got.rule.as_ref().map(|r| r.index), want);
                prop_assert_eq!(compiled.evaluate_index(&s), want);
                let verdict = want.map_or(policy::Verdict::Allowed, |i| rules[i].action.verdict());
                prop_assert_eq!(got.verdict, verdict);
                if let Some(r) = &got.rule {
                    prop_assert_eq!(&r.pattern, &rules[r.index].pattern);
                    prop_assert_eq!(r.action, rules[r.index].action);
                }
                let all: Vec<usize> = compiled.matching_rules(&s).iter().map(|m| m.index).collect();
                let filtered: Vec<usize> = (0..rules.len()).filter(|&i| applies(&rules[i], &s)).collect();
                prop_assert_eq!(all, filtered);
            }
        }
    }
}
