//! Replaying events under rule sets, in the browser (WASM) and on the server alike: the
//! time windows, what a change to the active set would flip, the transition matrix and
//! each event's outcome under a draft, as [`policy::Simulator`] decides them. Pure: no
//! IO, no clock.
use std::collections::BTreeMap;

use policy::{CompiledPolicy, Event, Subject, TimeWindow, Unmatched, Verdict};
use serde::{Deserialize, Serialize};

/// The window the policies page previews a change over.
pub const PREVIEW_WINDOW: TimeWindow = TimeWindow::Week;

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
        if !policy::is_call_kind(&e.kind) {
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
pub fn flip_headline(f: &Flips, window: TimeWindow) -> String {
    format!(
        "this change would flip {} of {} {} in {}",
        thousands(f.flipped),
        thousands(f.scanned),
        if f.scanned == 1 { "event" } else { "events" },
        window.label()
    )
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
        if !policy::is_call_kind(&e.kind) {
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
    use crate::policies::rules::compile_rows;
    use policy::Precedence::LastMatch;
    use policy::Rule;

    fn row(pattern: &str, action: &str) -> Rule {
        Rule::new(pattern, action.parse().unwrap())
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
    fn flips_and_matrix() {
        let before = compile_rows(LastMatch, &[row("payments.*", "block")]).unwrap();
        let after = compile_rows(
            LastMatch,
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
            flip_headline(&f, TimeWindow::Week),
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
        let active = compile_rows(LastMatch, &[row("payments.*", "block")]).unwrap();
        let events = [
            event("payments.read", Verdict::Blocked),
            event("payments.refund", Verdict::Held),
            event("shell.exec", Verdict::Allowed),
        ];
        // A single rule layered over what was recorded.
        let draft =
            policy::Draft::from_text(r#"{"kind": "allow", "pattern": "payments.read"}"#).unwrap();
        let (draft, unmatched) = (draft.compiled, draft.unmatched);
        let rows = outcomes(&draft, unmatched, None, &events);
        let summary = policy::preview(&draft, unmatched, &events);
        let m = matrix_of(&rows);
        assert_eq!(m.transitions(), summary.transitions);
        assert_eq!(
            rows.iter().filter(|o| o.rule.is_some()).count() as u64,
            summary.events_matched
        );
        assert_eq!(rows[1].simulated, Verdict::Held);
        // A whole set against the active policy.
        let set = policy::Draft::from_text(
            r#"{"rules": [{"match": "payments.*", "action": "require_approval"}]}"#,
        )
        .unwrap();
        let (set, unmatched) = (set.compiled, set.unmatched);
        assert_eq!(unmatched, Unmatched::Allowed);
        let rows = outcomes(&set, unmatched, Some(&active), &events);
        let summary = policy::preview(&set, unmatched, &with_baseline(&active, &events));
        assert_eq!(matrix_of(&rows).transitions(), summary.transitions);
        assert_eq!(summary.transitions.get("blocked->held"), Some(&2));
        assert_eq!(rows[2].baseline, Verdict::Allowed);
    }

    #[test]
    fn windows() {}
}
