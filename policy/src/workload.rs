//! Deterministic benchmark workloads, shared by the criterion bench
//! (`policy/benches/evaluate.rs`) and `preflight bench evaluator`, so both
//! measure the same rules and subjects. Not part of the evaluator itself.

use crate::model::{Action, Rule, RuleSet, Verdict};
use crate::simulate::Event;

/// `n` mixed rules: literals, `prefix.*`, `*infix*`, `?`, classes, and a few
/// agent and cost conditions.
pub fn rule_set(n: usize) -> RuleSet {
    let actions = Action::ALL;
    let rules = (0..n)
        .map(|i| {
            let svc = i % 97;
            let pattern = match i % 6 {
                0 => format!("svc{svc}.op{i}"),
                1 => format!("svc{svc}.*"),
                2 => format!("*tok{i}*"),
                3 => format!("svc{svc}.o?{i}"),
                4 => format!("svc{svc}.[a-m]*{i}"),
                _ => format!("svc{svc}.read_{i}"),
            };
            let mut rule = Rule::new(pattern, actions[i % actions.len()]);
            if i % 10 == 7 {
                rule.agent_pattern = Some(format!("team{}-*", i % 5));
            }
            if i % 10 == 3 {
                rule.cost_max_usd = Some(0.05);
            }
            rule
        })
        .collect();
    RuleSet {
        rules,
        ..RuleSet::default()
    }
}

/// One subject of the workload, owning its strings.
#[derive(Clone, Debug, PartialEq)]
pub struct Probe {
    pub tool: String,
    pub agent: Option<String>,
    pub cost_usd: Option<f64>,
}

/// 1,024 subjects whose tool names hit literals, prefixes, infixes and
/// nothing at all.
pub fn probes() -> Vec<Probe> {
    (0..1024)
        .map(|i| {
            let svc = i % 97;
            let tool = match i % 5 {
                0 => format!("svc{svc}.op{}", i * 6 % 2000),
                1 => format!("svc{svc}.create"),
                2 => format!("x.tok{}.y", (i * 6 + 2) % 2000),
                3 => format!("svc{svc}.abc{}", i % 2000),
                _ => format!("other.service.call{i}"),
            };
            Probe {
                tool,
                agent: (i % 3 != 0).then(|| format!("team{}-bot", i % 5)),
                cost_usd: (i % 2 == 0).then_some(0.01 * (i % 10) as f64),
            }
        })
        .collect()
}

/// `n` recorded events cycling over [`probes`]: mixed kinds (one in four is
/// not scanned), 20 events per trace, mixed recorded verdicts.
pub fn events(n: usize) -> Vec<Event> {
    let probes = probes();
    let verdicts = [
        Verdict::Allowed,
        Verdict::Allowed,
        Verdict::Blocked,
        Verdict::Held,
        Verdict::Errored,
    ];
    let kinds = ["tool_call", "llm_call", "mcp_tool_call", "agent_step"];
    (0..n)
        .map(|i| {
            let p = &probes[i % probes.len()];
            Event {
                kind: kinds[i % kinds.len()].to_string(),
                tool: p.tool.clone(),
                agent: p.agent.clone(),
                cost_usd: p.cost_usd,
                timestamp: None,
                trace_id: format!("trace{}", i / 20),
                span_id: format!("span{i}"),
                recorded: verdicts[i % verdicts.len()],
            }
        })
        .collect()
}
