//! Compiling a rule set and deciding subjects against it.

use std::cell::RefCell;
use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::cache::{next_policy_id, MatchCache};
use crate::model::{
    check_total_size, Action, FieldError, Precedence, RuleSet, Verdict, MAX_PATTERN_CHARS,
    MAX_RULES,
};
use crate::patset::{BuildError, MatchBuf, PatternSet};

/// What is being decided: a tool call by an agent, maybe with a cost.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Subject<'a> {
    pub tool: &'a str,
    /// `None` is evaluated as the agent `default`, as the SDK tags it.
    pub agent: Option<&'a str>,
    pub cost_usd: Option<f64>,
}

impl<'a> Subject<'a> {
    pub fn tool(tool: &'a str) -> Subject<'a> {
        Subject {
            tool,
            agent: None,
            cost_usd: None,
        }
    }
}

/// The agent name used when an event carries none.
pub const DEFAULT_AGENT: &str = "default";

/// The rule that decided (or matched) a subject.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MatchedRule {
    pub index: usize,
    pub pattern: String,
    pub action: Action,
}

/// The outcome of evaluating one subject.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Decision {
    pub verdict: Verdict,
    /// The deciding rule is `audit_only` (the event is allowed and flagged).
    pub audited: bool,
    /// `None` when no rule matched (the subject is allowed).
    pub rule: Option<MatchedRule>,
}

impl Decision {
    /// The JamJet conformance vocabulary: `ALLOWED`, `BLOCKED`,
    /// `WAITING_FOR_APPROVAL`, or `AUDIT` when an `audit_only` rule decided.
    /// (`REDACTED`/`ERRORED` only for hand-built decisions; evaluation never
    /// produces those verdicts.)
    pub fn conformance(&self) -> &'static str {
        if self.audited {
            return "AUDIT";
        }
        match self.verdict {
            Verdict::Allowed => "ALLOWED",
            Verdict::Blocked => "BLOCKED",
            Verdict::Held => "WAITING_FOR_APPROVAL",
            Verdict::Redacted => "REDACTED",
            Verdict::Errored => "ERRORED",
        }
    }
}

/// Per-rule conditions, precomputed at compile time.
#[derive(Clone, Debug)]
struct CompiledRule {
    action: Action,
    agent: AgentCondition,
    cost_max_usd: Option<f64>,
}

#[derive(Clone, Copy, Debug)]
enum AgentCondition {
    Any,
    /// Id in the agent pattern set.
    Pattern(usize),
}

/// A validated rule set turned into matchers. Cheap to share across
/// threads; evaluation takes `&self`.
#[derive(Clone, Debug)]
pub struct CompiledPolicy {
    /// Identity for the match cache (clones share it).
    id: u64,
    rule_set: RuleSet,
    rules: Vec<CompiledRule>,
    /// Distinct tool patterns; `rules_by_tool[id]` lists rule indices, ascending.
    tools: PatternSet,
    rules_by_tool: Vec<Vec<usize>>,
    /// Distinct agent patterns (only rules that have one).
    agents: PatternSet,
}

/// Scratch buffers for one evaluation.
#[derive(Debug, Default)]
pub(crate) struct Scratch {
    tools: MatchBuf,
    agents: MatchBuf,
    cache: MatchCache,
}

thread_local! {
    // Evaluation takes `&self` and must not allocate per call, so the match
    // buffers live per thread (a plain static on wasm).
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

fn with_scratch<R>(mut f: impl FnMut(&mut Scratch) -> R) -> R {
    let reused = SCRATCH.try_with(|cell| {
        cell.try_borrow_mut()
            .ok()
            .map(|mut scratch| f(&mut scratch))
    });
    match reused {
        Ok(Some(result)) => result,
        // Re-entered, or the thread is shutting down: fresh buffers.
        _ => f(&mut Scratch::default()),
    }
}

/// Distinct patterns in first-seen order, and each item's id among them.
fn intern<'a>(
    items: impl IntoIterator<Item = Option<&'a str>>,
) -> (Vec<&'a str>, Vec<Option<usize>>) {
    let mut ids: HashMap<&'a str, usize> = HashMap::new();
    let mut distinct = Vec::new();
    let of_item = items
        .into_iter()
        .map(|item| {
            item.map(|p| {
                *ids.entry(p).or_insert_with(|| {
                    distinct.push(p);
                    distinct.len() - 1
                })
            })
        })
        .collect();
    (distinct, of_item)
}

/// Checks the invariants the parser enforces, for rule sets built in code.
fn validate(rule_set: &RuleSet) -> Vec<FieldError> {
    let mut errors = Vec::new();
    if rule_set.rules.len() > MAX_RULES {
        errors.push(FieldError::new(
            "rules",
            format!("{} rules; the limit is {MAX_RULES}", rule_set.rules.len()),
        ));
        return errors;
    }
    errors.extend(check_total_size(&rule_set.rules));
    for (i, rule) in rule_set.rules.iter().enumerate() {
        let mut check_len = |field: &str, p: &str| {
            let n = p.chars().count();
            if n > MAX_PATTERN_CHARS {
                errors.push(FieldError::new(
                    format!("rules[{i}].{field}"),
                    format!("pattern is {n} characters long; the limit is {MAX_PATTERN_CHARS}"),
                ));
            }
        };
        check_len("pattern", &rule.pattern);
        if let Some(agent) = &rule.agent_pattern {
            check_len("agent_pattern", agent);
        }
        if let Some(cost) = rule.cost_max_usd {
            if !cost.is_finite() || cost < 0.0 {
                errors.push(FieldError::new(
                    format!("rules[{i}].cost_max_usd"),
                    format!("must be a finite number >= 0, got {cost}"),
                ));
            }
        }
    }
    errors
}

/// Turns globset failures into errors on every rule using the pattern.
fn build_errors(
    errors: Vec<BuildError>,
    field: &str,
    id_of_rule: &[Option<usize>],
) -> Vec<FieldError> {
    let mut out = Vec::new();
    for error in errors {
        match error {
            BuildError::Pattern(id, message) => {
                for (rule, _) in id_of_rule.iter().enumerate().filter(|(_, u)| **u == Some(id)) {
                    out.push(FieldError::new(
                        format!("rules[{rule}].{field}"),
                        format!("cannot compile pattern: {message}"),
                    ));
                }
            }
            BuildError::Set(message) => out.push(FieldError::new(
                "rules",
                format!(
                    "cannot compile the {field}s of this rule set ({message}); it is too large or complex, use fewer or simpler patterns"
                ),
            )),
        }
    }
    out
}

impl RuleSet {
    /// Validates and compiles into one tool `GlobSet` (plus one agent
    /// `GlobSet` when any rule has an `agent_pattern`).
    pub fn compile(&self) -> Result<CompiledPolicy, Vec<FieldError>> {
        let errors = validate(self);
        if !errors.is_empty() {
            return Err(errors);
        }
        let (tool_patterns, tool_ids) = intern(self.rules.iter().map(|r| Some(r.pattern.as_str())));
        let (agent_patterns, agent_ids) =
            intern(self.rules.iter().map(|r| r.agent_pattern.as_deref()));
        let tools = PatternSet::build(tool_patterns.iter().copied());
        let agents = PatternSet::build(agent_patterns.iter().copied());
        let (tools, agents) = match (tools, agents) {
            (Ok(t), Ok(a)) => (t, a),
            (t, a) => {
                let mut errors = Vec::new();
                if let Err(e) = t {
                    errors.extend(build_errors(e, "pattern", &tool_ids));
                }
                if let Err(e) = a {
                    errors.extend(build_errors(e, "agent_pattern", &agent_ids));
                }
                return Err(errors);
            }
        };
        let mut rules_by_tool = vec![Vec::new(); tool_patterns.len()];
        let mut rules = Vec::with_capacity(self.rules.len());
        for (i, rule) in self.rules.iter().enumerate() {
            if let Some(Some(id)) = tool_ids.get(i) {
                rules_by_tool[*id].push(i);
            }
            let agent = match agent_ids.get(i) {
                Some(Some(id)) => AgentCondition::Pattern(*id),
                _ => AgentCondition::Any,
            };
            rules.push(CompiledRule {
                action: rule.action,
                agent,
                cost_max_usd: rule.cost_max_usd,
            });
        }
        Ok(CompiledPolicy {
            id: next_policy_id(),
            rule_set: self.clone(),
            rules,
            tools,
            rules_by_tool,
            agents,
        })
    }
}

impl CompiledPolicy {
    pub fn rule_set(&self) -> &RuleSet {
        &self.rule_set
    }

    pub fn precedence(&self) -> Precedence {
        self.rule_set.precedence
    }

    /// Decides `subject`: one tool `GlobSet` pass, then the deciding rule
    /// under the precedence. No match → allowed, no rule.
    pub fn evaluate(&self, subject: &Subject<'_>) -> Decision {
        self.decision_for(self.evaluate_index(subject))
    }

    /// Like [`evaluate`](Self::evaluate) but returns only the deciding rule's
    /// index; does not allocate.
    pub fn evaluate_index(&self, subject: &Subject<'_>) -> Option<usize> {
        with_scratch(|scratch| self.decide(subject, scratch))
    }

    /// Every rule that matches `subject` (pattern, agent and cost), in rule
    /// order: under `last_match` the deciding rule is the last element,
    /// under `first_match` the first.
    pub fn matching_rules(&self, subject: &Subject<'_>) -> Vec<MatchedRule> {
        with_scratch(|scratch| {
            self.tools.matches_into(subject.tool, &mut scratch.tools);
            let mut agents_done = false;
            let mut hits = Vec::new();
            for &id in &scratch.tools.ids {
                for &r in &self.rules_by_tool[id] {
                    if self.conditions_hold(r, subject, &mut scratch.agents, &mut agents_done) {
                        hits.push(r);
                    }
                }
            }
            hits.sort_unstable();
            hits.into_iter()
                .filter_map(|r| self.matched_rule(r))
                .collect()
        })
    }

    pub(crate) fn matched_rule(&self, index: usize) -> Option<MatchedRule> {
        self.rule_set.rules.get(index).map(|rule| MatchedRule {
            index,
            pattern: rule.pattern.clone(),
            action: rule.action,
        })
    }

    pub(crate) fn action(&self, index: usize) -> Option<Action> {
        self.rules.get(index).map(|r| r.action)
    }

    pub(crate) fn decision_for(&self, index: Option<usize>) -> Decision {
        match index.and_then(|i| self.matched_rule(i)) {
            Some(rule) => Decision {
                verdict: rule.action.verdict(),
                audited: rule.action == Action::AuditOnly,
                rule: Some(rule),
            },
            None => Decision {
                verdict: Verdict::Allowed,
                audited: false,
                rule: None,
            },
        }
    }

    /// The deciding rule index, using caller-provided buffers.
    pub(crate) fn decide(&self, subject: &Subject<'_>, scratch: &mut Scratch) -> Option<usize> {
        let Scratch {
            tools,
            agents,
            cache,
        } = scratch;
        let ids = cache.get(self.id, subject.tool, &mut tools.ids, |buf| {
            self.tools.matches_ids(subject.tool, buf)
        });
        let last = self.rule_set.precedence == Precedence::LastMatch;
        let mut agents_done = false;
        let mut best: Option<usize> = None;
        for &id in ids {
            for &r in &self.rules_by_tool[id] {
                let better = match best {
                    None => true,
                    Some(b) => (r > b) == last,
                };
                if better && self.conditions_hold(r, subject, agents, &mut agents_done) {
                    best = Some(r);
                }
            }
        }
        best
    }

    /// Agent and cost conditions of rule `r`. Agent matches are computed
    /// once per subject, only if some candidate rule needs them.
    fn conditions_hold(
        &self,
        r: usize,
        subject: &Subject<'_>,
        agents: &mut MatchBuf,
        agents_done: &mut bool,
    ) -> bool {
        let Some(rule) = self.rules.get(r) else {
            return false;
        };
        if let Some(max) = rule.cost_max_usd {
            match subject.cost_usd {
                Some(cost) if cost > max => {}
                _ => return false,
            }
        }
        match rule.agent {
            AgentCondition::Any => true,
            AgentCondition::Pattern(id) => {
                if !*agents_done {
                    let agent = subject.agent.unwrap_or(DEFAULT_AGENT);
                    self.agents.matches_into(agent, agents);
                    *agents_done = true;
                }
                agents.ids.binary_search(&id).is_ok()
            }
        }
    }
}

/// Scratch buffers owned by a long-lived caller (the simulator).
pub(crate) fn new_scratch() -> Scratch {
    Scratch::default()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::model::Rule;

    fn rule(pattern: &str, action: Action, agent: Option<&str>, cost: Option<f64>) -> Rule {
        Rule {
            pattern: pattern.to_string(),
            action,
            agent_pattern: agent.map(str::to_string),
            cost_max_usd: cost,
        }
    }

    fn compile(precedence: Precedence, rules: Vec<Rule>) -> CompiledPolicy {
        RuleSet { precedence, rules }.compile().unwrap()
    }

    #[test]
    fn shared_patterns_and_conditions() {
        let p = compile(
            Precedence::LastMatch,
            vec![
                rule("db.*", Action::Allow, None, None),
                rule("db.*", Action::Block, Some("intern-*"), None),
                rule("db.*", Action::RequireApproval, None, Some(1.0)),
                rule("[z-a]", Action::Block, None, None),
                rule("db.?", Action::AuditOnly, Some("é?"), None),
            ],
        );
        let s = |tool, agent, cost| Subject {
            tool,
            agent,
            cost_usd: cost,
        };
        assert_eq!(p.evaluate_index(&s("db.query", None, None)), Some(0));
        assert_eq!(
            p.evaluate_index(&s("db.query", Some("intern-1"), Some(0.5))),
            Some(1)
        );
        assert_eq!(
            p.evaluate_index(&s("db.query", Some("intern-1"), Some(1.5))),
            Some(2)
        );
        assert_eq!(p.evaluate_index(&s("db.é", Some("éé"), None)), Some(4));
        assert_eq!(p.evaluate_index(&s("db.é", Some("é"), None)), Some(0));
        let all: Vec<usize> = p
            .matching_rules(&s("db.x", Some("intern-2"), Some(2.0)))
            .iter()
            .map(|m| m.index)
            .collect();
        assert_eq!(all, vec![0, 1, 2]);
        let first = compile(Precedence::FirstMatch, p.rule_set().rules.clone());
        assert_eq!(
            first.evaluate_index(&s("db.query", Some("intern-1"), Some(1.5))),
            Some(0)
        );
    }

    #[test]
    fn decisions_and_conformance() {
        let p = compile(
            Precedence::LastMatch,
            vec![
                rule("a", Action::Block, None, None),
                rule("b", Action::RequireApproval, None, None),
                rule("c", Action::AuditOnly, None, None),
                rule("d", Action::Allow, None, None),
            ],
        );
        let conf = |t| p.evaluate(&Subject::tool(t)).conformance();
        assert_eq!(
            [conf("a"), conf("b"), conf("c"), conf("d"), conf("e")],
            [
                "BLOCKED",
                "WAITING_FOR_APPROVAL",
                "AUDIT",
                "ALLOWED",
                "ALLOWED"
            ]
        );
        let d = p.evaluate(&Subject::tool("c"));
        assert_eq!((d.verdict, d.audited), (Verdict::Allowed, true));
        assert_eq!(
            d.rule,
            Some(MatchedRule {
                index: 2,
                pattern: "c".into(),
                action: Action::AuditOnly
            })
        );
        assert_eq!(p.evaluate(&Subject::tool("e")).rule, None);
    }

    #[test]
    fn compile_revalidates_hand_built_rule_sets() {
        let bad = RuleSet {
            precedence: Precedence::LastMatch,
            rules: vec![
                rule("a", Action::Block, None, Some(-1.0)),
                rule("b", Action::Block, None, Some(f64::NAN)),
                rule(
                    &"x".repeat(MAX_PATTERN_CHARS + 1),
                    Action::Block,
                    None,
                    None,
                ),
            ],
        };
        let errors: Vec<String> = bad
            .compile()
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(errors.len(), 3, "{errors:?}");
        assert!(errors[0].starts_with("rules[0].cost_max_usd"));
        assert!(errors[1].starts_with("rules[1].cost_max_usd"));
        assert!(errors[2].starts_with("rules[2].pattern: pattern is 1001 characters"));
    }

    #[test]
    fn never_matching_patterns_stay_out() {
        let p = compile(
            Precedence::LastMatch,
            vec![
                rule("[!z-a]", Action::Block, None, None),
                rule("[z-a]", Action::Allow, None, None),
            ],
        );
        assert_eq!(p.evaluate_index(&Subject::tool("q")), Some(0));
        assert_eq!(p.evaluate_index(&Subject::tool("")), None);
        assert_eq!(crate::glob::to_globset_syntax("[z-a]"), None);
    }
}
