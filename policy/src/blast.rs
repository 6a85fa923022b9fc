//! Blast radius: beyond the events in a run's scope, every distinct tool/model and agent
//! name the project has seen whose verdict a draft would change. Decided once per
//! distinct (name, agent, recorded verdict) group, never per event, so its cost is the
//! number of names, whatever the volume behind them.

use serde::{Deserialize, Serialize};

use crate::eval::{CompiledPolicy, Subject};
use crate::model::Verdict;
use crate::simulate::Unmatched;

/// How far back a blast radius looks, in days.
pub const BLAST_WINDOW_DAYS: u32 = 30;
/// Most groups one blast radius reads (the store answers the busiest first).
pub const MAX_SEEN_CALLS: usize = 10_000;
/// Most changed names a report lists (the totals count them all).
pub const BLAST_LIST_LIMIT: usize = 100;

/// The calls of one tool/model name by one agent with one recorded verdict, as the
/// store counts them over a window.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SeenCall {
    pub tool: String,
    #[serde(default)]
    pub agent: Option<String>,
    pub recorded: Verdict,
    pub events: u64,
    /// The lowest and highest cost among them (`None`: none had a cost).
    #[serde(default)]
    pub min_cost_usd: Option<f64>,
    #[serde(default)]
    pub max_cost_usd: Option<f64>,
    /// How many had no cost.
    #[serde(default)]
    pub uncosted: u64,
}

/// One name whose verdict the draft would change.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NameChange {
    pub tool: String,
    #[serde(default)]
    pub agent: Option<String>,
    pub from: Verdict,
    pub to: Verdict,
    pub events: u64,
    /// The draft's verdict depends on the call's cost (a `cost_max_usd` rule between
    /// the cheapest and the dearest): `events` is then an upper bound and `to` the
    /// verdict of the dearest call.
    #[serde(default)]
    pub depends_on_cost: bool,
}

/// What a draft would change among the names seen in a window.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct BlastRadius {
    pub window_days: u32,
    /// Distinct tool/model names seen (with any agent).
    pub names_seen: u64,
    pub events_seen: u64,
    /// Distinct tool/model names with at least one change.
    pub names_changed: u64,
    pub events_changed: u64,
    /// The changes, most events first, at most [`BLAST_LIST_LIMIT`].
    pub changes: Vec<NameChange>,
    /// The store had more groups than [`MAX_SEEN_CALLS`]: the rarest were not read.
    #[serde(default)]
    pub truncated: bool,
    /// Set only in receipts stored before the store kept hourly rollups, when the
    /// counts were those of a window's most recent calls; kept so those receipts still
    /// say so. Counts are exact since.
    #[serde(default)]
    pub sampled: bool,
}

/// Decides `seen` under the draft. The verdict before is the recorded one, or with
/// `baseline` (a whole rule set replacing the active one) the active policy's, as a
/// run compares them.
pub fn blast_radius(
    draft: &CompiledPolicy,
    unmatched: Unmatched,
    baseline: Option<&CompiledPolicy>,
    seen: &[SeenCall],
    window_days: u32,
) -> BlastRadius {
    let mut report = BlastRadius {
        window_days,
        truncated: seen.len() > MAX_SEEN_CALLS,
        ..BlastRadius::default()
    };
    let seen = &seen[..seen.len().min(MAX_SEEN_CALLS)];
    let mut names = std::collections::BTreeSet::new();
    let mut changed_names = std::collections::BTreeSet::new();
    let mut changes: Vec<NameChange> = Vec::new();
    for call in seen {
        names.insert(call.tool.as_str());
        report.events_seen += call.events;
        // The costs that can decide differently: the cheapest, the dearest, and none.
        let mut costs: Vec<Option<f64>> = Vec::with_capacity(3);
        if call.uncosted > 0 {
            costs.push(None);
        }
        costs.extend(
            [call.min_cost_usd, call.max_cost_usd]
                .into_iter()
                .flatten()
                .map(Some),
        );
        if costs.is_empty() {
            costs.push(None);
        }
        let judge = |cost: Option<f64>| {
            let subject = Subject {
                tool: &call.tool,
                agent: call.agent.as_deref(),
                cost_usd: cost,
            };
            let before = baseline.map_or(call.recorded, |b| b.evaluate(&subject).verdict);
            let after = match (draft.evaluate(&subject).rule, unmatched) {
                (Some(rule), _) => rule.action.verdict(),
                (None, Unmatched::KeepRecorded) => before,
                (None, Unmatched::Allowed) => Verdict::Allowed,
            };
            (before, after)
        };
        let outcomes: Vec<(Verdict, Verdict)> = costs.into_iter().map(judge).collect();
        let Some(&(from, to)) = outcomes.iter().rev().find(|(b, a)| b != a) else {
            continue;
        };
        let depends_on_cost = outcomes.iter().any(|o| *o != (from, to));
        changed_names.insert(call.tool.as_str());
        report.events_changed += call.events;
        match changes
            .iter_mut()
            .find(|c| c.tool == call.tool && c.agent == call.agent && c.from == from && c.to == to)
        {
            Some(c) => {
                c.events += call.events;
                c.depends_on_cost |= depends_on_cost;
            }
            None => changes.push(NameChange {
                tool: call.tool.clone(),
                agent: call.agent.clone(),
                from,
                to,
                events: call.events,
                depends_on_cost,
            }),
        }
    }
    report.names_seen = names.len() as u64;
    report.names_changed = changed_names.len() as u64;
    changes.sort_by(|a, b| {
        b.events
            .cmp(&a.events)
            .then_with(|| a.tool.cmp(&b.tool))
            .then_with(|| a.agent.cmp(&b.agent))
    });
    changes.truncate(BLAST_LIST_LIMIT);
    report.changes = changes;
    report
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::model::{Action, Rule, RuleSet};

    fn seen(tool: &str, agent: &str, recorded: Verdict, events: u64) -> SeenCall {
        SeenCall {
            tool: tool.to_string(),
            agent: Some(agent.to_string()),
            recorded,
            events,
            min_cost_usd: None,
            max_cost_usd: None,
            uncosted: events,
        }
    }

    fn rules(rules: Vec<Rule>) -> CompiledPolicy {
        RuleSet {
            rules,
            ..RuleSet::default()
        }
        .compile()
        .unwrap()
    }

    #[test]
    fn names_are_decided_once_and_counted_with_their_events() {
        let draft = rules(vec![Rule::new("*_transfer", Action::Block)]);
        let calls = [
            seen("wire_transfer", "bot", Verdict::Allowed, 40),
            seen("wire_transfer", "other", Verdict::Allowed, 2),
            seen("wire_transfer", "bot", Verdict::Blocked, 7),
            seen("ach_transfer", "bot", Verdict::Held, 3),
            seen("search", "bot", Verdict::Allowed, 500),
        ];
        let report = blast_radius(&draft, Unmatched::KeepRecorded, None, &calls, 30);
        assert_eq!((report.names_seen, report.events_seen), (3, 552));
        assert_eq!((report.names_changed, report.events_changed), (2, 45));
        let rows: Vec<(&str, &str, Verdict, u64)> = report
            .changes
            .iter()
            .map(|c| {
                (
                    c.tool.as_str(),
                    c.agent.as_deref().unwrap(),
                    c.from,
                    c.events,
                )
            })
            .collect();
        assert_eq!(
            rows,
            [
                ("wire_transfer", "bot", Verdict::Allowed, 40),
                ("ach_transfer", "bot", Verdict::Held, 3),
                ("wire_transfer", "other", Verdict::Allowed, 2),
            ]
        );
        // A whole set against the active policy: unmatched names become allowed.
        let active = rules(vec![Rule::new("search", Action::RequireApproval)]);
        let report = blast_radius(&draft, Unmatched::Allowed, Some(&active), &calls, 30);
        let search = report.changes.iter().find(|c| c.tool == "search").unwrap();
        assert_eq!(
            (search.from, search.to, search.events),
            (Verdict::Held, Verdict::Allowed, 500)
        );
    }

    #[test]
    fn a_cost_threshold_inside_a_group_is_flagged() {
        let mut rule = Rule::new("openai.*", Action::Block);
        rule.cost_max_usd = Some(0.05);
        let draft = rules(vec![rule]);
        let mut call = seen("openai.gpt-4o", "bot", Verdict::Allowed, 10);
        call.uncosted = 0;
        call.min_cost_usd = Some(0.01);
        call.max_cost_usd = Some(0.10);
        let report = blast_radius(&draft, Unmatched::KeepRecorded, None, &[call.clone()], 7);
        assert_eq!(report.changes.len(), 1);
        assert!(report.changes[0].depends_on_cost);
        assert_eq!(report.changes[0].to, Verdict::Blocked);
        // All calls below the threshold: nothing changes.
        call.max_cost_usd = Some(0.02);
        let report = blast_radius(&draft, Unmatched::KeepRecorded, None, &[call], 7);
        assert!(report.changes.is_empty());
    }
}
