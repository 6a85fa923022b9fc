//! Fuzz targets over the policy crate: rule parsing, compile and lint (`rules`), and
//! the compiled matcher against the reference fnmatch (`glob`).
//!
//! Included by path into `policy/tests/fuzz_corpus.rs`: it may use only `policy`
//! and `serde_json`, and reports a broken property by panicking.

use policy::glob::fnmatch;
use policy::{Action, Precedence, Rule, RuleSet, Subject, MAX_PATTERN_CHARS};

/// Rule parsing on arbitrary text: JSON through `RuleSet::from_json_str`, and the same
/// text as YAML (policy files). Whatever parses must lint, survive the round trip
/// through its canonical JSON (what the API stores and parses again on every read),
/// and either compile or be refused with errors; what compiles must decide like the
/// reference matcher.
pub fn rules(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    match RuleSet::from_json_str(text) {
        Ok(set) => check_rule_set(&set),
        Err(errors) => check_errors(&errors),
    }
    match RuleSet::from_yaml_str(text) {
        Ok(set) => check_rule_set(&set),
        Err(errors) => check_errors(&errors),
    }
}

/// Several patterns and several names, one per line (the first byte says how many
/// lines are patterns, whether they double as agent patterns, and the precedence):
/// the compiled rule set (globset, plus the non-ASCII fallback) must agree with
/// `policy::glob::fnmatch` on which rules match and which one decides.
pub fn glob(data: &[u8]) {
    let Some((&head, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let pattern_count = usize::from(head % 4) + 1;
    let with_agents = head & 0x10 != 0;
    let precedence = if head & 0x20 != 0 {
        Precedence::FirstMatch
    } else {
        Precedence::LastMatch
    };
    let mut lines = text.split('\n');
    let patterns: Vec<&str> = lines.by_ref().take(pattern_count).collect();
    let names: Vec<&str> = lines.collect();
    for p in &patterns {
        // Never panics, whatever the pattern.
        let _ = policy::glob::to_globset_syntax(p);
    }
    let rules: Vec<Rule> = patterns
        .iter()
        .enumerate()
        .map(|(i, p)| Rule {
            pattern: (*p).to_string(),
            action: Action::ALL[i % Action::ALL.len()],
            agent_pattern: with_agents.then(|| patterns[(i + 1) % patterns.len()].to_string()),
            cost_max_usd: (head & 0x40 != 0 && i % 2 == 1).then_some(0.5),
        })
        .collect();
    let set = RuleSet { precedence, rules };
    let compiled = match set.compile() {
        Ok(c) => c,
        Err(errors) => {
            check_errors(&errors);
            let too_long = patterns
                .iter()
                .any(|p| p.chars().count() > MAX_PATTERN_CHARS);
            // A pattern fnmatch accepts must never be one globset cannot compile.
            assert!(
                too_long
                    || errors
                        .iter()
                        .all(|e| e.message.contains("too large or complex")),
                "valid patterns refused: {errors:?} for {patterns:?}"
            );
            return;
        }
    };
    let mut subjects: Vec<String> = names.iter().map(|n| (*n).to_string()).collect();
    for p in &patterns {
        subjects.push((*p).to_string());
        subjects.push(literal_guess(p));
    }
    for tool in &subjects {
        for agent in [None, Some(tool.as_str()), Some("default")] {
            for cost in [None, Some(1.0)] {
                let subject = Subject {
                    tool,
                    agent,
                    cost_usd: cost,
                };
                check_decision(&set, &compiled, &subject);
            }
        }
    }
}

/// A name the pattern probably matches: wildcards dropped, `?` as one character.
fn literal_guess(pattern: &str) -> String {
    pattern
        .chars()
        .filter(|c| !matches!(c, '*' | '[' | ']' | '!'))
        .map(|c| if c == '?' { 'x' } else { c })
        .collect()
}

fn check_errors(errors: &[policy::FieldError]) {
    assert!(!errors.is_empty(), "an Err without errors");
    for e in errors {
        assert!(
            !e.message.trim().is_empty(),
            "an error without a message: {e:?}"
        );
    }
}

fn check_rule_set(set: &RuleSet) {
    let warnings = set.lint();
    for pair in warnings.windows(2) {
        assert!(
            pair[0].rule_index < pair[1].rule_index,
            "lint warnings out of order or repeated: {warnings:?}"
        );
    }
    if let Some(last) = warnings.last() {
        assert!(
            last.rule_index < set.rules.len(),
            "lint names a missing rule"
        );
    }
    // The canonical shape parses back to the same set.
    let canonical = match serde_json::to_string(set) {
        Ok(text) => text,
        Err(e) => panic!("cannot serialize a parsed rule set: {e}"),
    };
    match RuleSet::from_json_str(&canonical) {
        Ok(again) => assert_eq!(&again, set, "round trip through {canonical}"),
        Err(e) => panic!("the canonical form {canonical} does not parse: {e:?}"),
    }
    match set.compile() {
        Ok(compiled) => {
            // The API re-parses stored versions as {version, precedence, rules}.
            let stored = serde_json::json!({
                "version": 1,
                "precedence": set.precedence,
                "rules": set.rules,
            });
            match RuleSet::from_value(&stored) {
                Ok(again) => assert!(again.compile().is_ok(), "stored form does not compile"),
                Err(e) => panic!("stored form {stored} does not parse: {e:?}"),
            }
            let mut names: Vec<String> = vec![
                String::new(),
                "default".into(),
                "payments.refund".into(),
                "é".into(),
            ];
            for r in set.rules.iter().take(16) {
                names.push(r.pattern.clone());
                names.push(literal_guess(&r.pattern));
            }
            for tool in &names {
                for agent in [None, Some(tool.as_str())] {
                    for cost in [None, Some(0.0), Some(1e6)] {
                        let subject = Subject {
                            tool,
                            agent,
                            cost_usd: cost,
                        };
                        check_decision(set, &compiled, &subject);
                    }
                }
            }
        }
        Err(errors) => check_errors(&errors),
    }
}

/// The compiled decision against a rule-by-rule reference built on `fnmatch`.
fn check_decision(set: &RuleSet, compiled: &policy::CompiledPolicy, subject: &Subject<'_>) {
    let agent = subject.agent.unwrap_or(policy::DEFAULT_AGENT);
    let expected: Vec<usize> = set
        .rules
        .iter()
        .enumerate()
        .filter(|(_, r)| {
            fnmatch(&r.pattern, subject.tool)
                && r.agent_pattern.as_deref().is_none_or(|a| fnmatch(a, agent))
                && r.cost_max_usd
                    .is_none_or(|max| subject.cost_usd.is_some_and(|c| c > max))
        })
        .map(|(i, _)| i)
        .collect();
    let got: Vec<usize> = compiled
        .matching_rules(subject)
        .iter()
        .map(|m| m.index)
        .collect();
    assert_eq!(
        got, expected,
        "matching rules for {subject:?} under {set:?}"
    );
    let deciding = match set.precedence {
        Precedence::LastMatch => expected.last(),
        Precedence::FirstMatch => expected.first(),
    };
    let decision = compiled.evaluate(subject);
    assert_eq!(
        decision.rule.as_ref().map(|r| r.index),
        deciding.copied(),
        "deciding rule for {subject:?} under {set:?}"
    );
    if let Some(&i) = deciding {
        assert_eq!(decision.verdict, set.rules[i].action.verdict());
        assert_eq!(decision.audited, set.rules[i].action == Action::AuditOnly);
    } else {
        assert_eq!(decision.verdict, policy::Verdict::Allowed);
    }
}
