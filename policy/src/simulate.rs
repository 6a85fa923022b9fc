//! Replaying recorded events under a draft policy: streaming, with memory
//! bounded by [`SAMPLE_LIMIT`] whatever the number of events.

use std::collections::BTreeMap;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::coverage::{CoverageCheck, CoverageReport};
use crate::eval::{new_scratch, CompiledPolicy, MatchedRule, Scratch, Subject};
use crate::fixtures::{
    ExpectationCheck, ExpectationReport, ExpectationSet, ReceiptDigest, ReviewCheck, ReviewLabels,
    ReviewReport,
};
use crate::model::{Action, Verdict};

/// Most sample matches a summary carries.
pub const SAMPLE_LIMIT: usize = 20;

/// One recorded event. Read from JSON through [`EventWire`]: `tool`, or `name` as the
/// JamJet wire and replay bundles also carry it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "EventWire")]
pub struct Event {
    pub kind: String,
    pub tool: String,
    #[serde(default, alias = "agent_name")]
    pub agent: Option<String>,
    #[serde(default)]
    pub cost_usd: Option<f64>,
    #[serde(default)]
    pub timestamp: Option<String>,
    #[serde(default, deserialize_with = "string_or_empty")]
    pub trace_id: String,
    #[serde(default, deserialize_with = "string_or_empty")]
    pub span_id: String,
    /// Absent means allowed: nothing recorded a block, hold or error.
    #[serde(default, alias = "recorded_verdict", alias = "verdict")]
    pub recorded: Verdict,
}

/// An event as written by the dataset export (`tool`), a replay bundle's
/// `events.jsonl` (`name`, `tool` and the span's `payload`) or the JamJet wire (`name`,
/// with a `tool_call`'s called tool in `payload.tool`). The name rules match is chosen
/// as ingest chooses it: `tool`; else a `tool_call`'s `payload.tool`; else `name`. A
/// `name` that differs from `tool` is the span's own name only when `payload.tool`
/// says so; otherwise the two disagree and the line is refused.
#[derive(Deserialize)]
struct EventWire {
    #[serde(default = "default_kind", deserialize_with = "kind_or_default")]
    kind: String,
    #[serde(default)]
    tool: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default, alias = "agent_name")]
    agent: Option<String>,
    #[serde(default)]
    cost_usd: Option<f64>,
    #[serde(default)]
    timestamp: Option<String>,
    #[serde(default, deserialize_with = "string_or_empty")]
    trace_id: String,
    #[serde(default, deserialize_with = "string_or_empty")]
    span_id: String,
    #[serde(default, alias = "recorded_verdict", alias = "verdict")]
    recorded: Verdict,
    #[serde(default)]
    payload: Option<PayloadWire>,
}

/// Of a span's payload, only the called tool (`payload.tool` when it is a string);
/// everything else, or a payload of another shape, is skipped as it is read, never
/// buffered (a payload may be large).
struct PayloadWire {
    tool: Option<String>,
}

impl<'de> Deserialize<'de> for PayloadWire {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(PayloadVisitor)
    }
}

struct PayloadVisitor;

/// Skips any value that is not what is looked for.
macro_rules! skip_scalars {
    ($out:expr) => {
        fn visit_bool<E: serde::de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok($out)
        }
        fn visit_i64<E: serde::de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok($out)
        }
        fn visit_u64<E: serde::de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok($out)
        }
        fn visit_f64<E: serde::de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok($out)
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok($out)
        }
        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok($out)
        }
        fn visit_seq<A: serde::de::SeqAccess<'de>>(
            self,
            mut seq: A,
        ) -> Result<Self::Value, A::Error> {
            while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
            Ok($out)
        }
    };
}

impl<'de> serde::de::Visitor<'de> for PayloadVisitor {
    type Value = PayloadWire;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a payload")
    }

    skip_scalars!(PayloadWire { tool: None });

    fn visit_str<E: serde::de::Error>(self, _: &str) -> Result<Self::Value, E> {
        Ok(PayloadWire { tool: None })
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut tool = None;
        while let Some(is_tool) = map.next_key::<KeyIsTool>()? {
            if is_tool.0 {
                tool = map.next_value::<TextOrSkipped>()?.0;
            } else {
                map.next_value::<serde::de::IgnoredAny>()?;
            }
        }
        Ok(PayloadWire { tool })
    }
}

/// A map key, only as "is it `tool`".
struct KeyIsTool(bool);

impl<'de> Deserialize<'de> for KeyIsTool {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Key;
        impl serde::de::Visitor<'_> for Key {
            type Value = KeyIsTool;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a key")
            }
            fn visit_str<E: serde::de::Error>(self, key: &str) -> Result<KeyIsTool, E> {
                Ok(KeyIsTool(key == "tool"))
            }
        }
        d.deserialize_str(Key)
    }
}

/// A string, or nothing for a value of any other type (skipped).
struct TextOrSkipped(Option<String>);

impl<'de> Deserialize<'de> for TextOrSkipped {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Text;
        impl<'de> serde::de::Visitor<'de> for Text {
            type Value = TextOrSkipped;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a tool name")
            }
            skip_scalars!(TextOrSkipped(None));
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<TextOrSkipped, E> {
                Ok(TextOrSkipped(Some(text.to_string())))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<TextOrSkipped, A::Error> {
                while map
                    .next_entry::<serde::de::IgnoredAny, serde::de::IgnoredAny>()?
                    .is_some()
                {}
                Ok(TextOrSkipped(None))
            }
        }
        d.deserialize_any(Text)
    }
}

impl EventWire {
    /// `payload.tool` of a `tool_call`, when it is a non-empty string.
    fn called_tool(&self) -> Option<&str> {
        match &self.payload {
            Some(PayloadWire { tool: Some(tool) })
                if self.kind == "tool_call" && !tool.is_empty() =>
            {
                Some(tool)
            }
            _ => None,
        }
    }

    fn matched_name(&self) -> Result<String, String> {
        let called = self.called_tool();
        match (&self.tool, &self.name) {
            (Some(tool), Some(name)) if tool != name && called != Some(tool.as_str()) => {
                Err(format!(
                    "`name` ({name:?}) and `tool` ({tool:?}) disagree; rules match `tool`, so \
                     give one of them, or both alike (a tool_call span may carry its own name \
                     when `payload.tool` names the called tool, as replay bundles do)"
                ))
            }
            (Some(tool), _) => Ok(tool.clone()),
            (None, Some(name)) => Ok(called.map_or_else(|| name.clone(), str::to_string)),
            (None, None) => Err("missing field `tool` (or `name`)".to_string()),
        }
    }
}

impl TryFrom<EventWire> for Event {
    type Error = String;

    fn try_from(wire: EventWire) -> Result<Self, String> {
        let tool = wire.matched_name()?;
        Ok(Event {
            kind: wire.kind,
            tool,
            agent: wire.agent,
            cost_usd: wire.cost_usd,
            timestamp: wire.timestamp,
            trace_id: wire.trace_id,
            span_id: wire.span_id,
            recorded: wire.recorded,
        })
    }
}

fn default_kind() -> String {
    "tool_call".to_string()
}

// Rows from the store may carry explicit nulls; treat them like absent fields.
fn kind_or_default<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(d)?.unwrap_or_else(default_kind))
}

fn string_or_empty<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(d)?.unwrap_or_default())
}

/// What an event no draft rule decides gets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Unmatched {
    /// A single draft rule layered over recorded reality: the event keeps
    /// its recorded verdict (so it never counts as changed).
    #[default]
    KeepRecorded,
    /// A whole rule set replacing the active one: the event is allowed.
    Allowed,
}

impl FromStr for Unmatched {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "keep_recorded" => Ok(Unmatched::KeepRecorded),
            "allowed" => Ok(Unmatched::Allowed),
            _ => Err(format!(
                "unknown mode \"{s}\"; expected keep_recorded, allowed"
            )),
        }
    }
}

/// One matched event shown to the user.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SampleMatch {
    pub trace_id: String,
    pub span_id: String,
    pub tool: String,
    pub agent: Option<String>,
    pub cost_usd: Option<f64>,
    pub timestamp: Option<String>,
    pub recorded: Verdict,
    pub simulated: Verdict,
    pub audited: bool,
    pub rule: MatchedRule,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SimulationSummary {
    pub events_scanned: u64,
    /// Events a draft rule decided.
    pub events_matched: u64,
    /// Events whose simulated verdict differs from the recorded one.
    pub events_would_have_changed: u64,
    pub sample_matches: Vec<SampleMatch>,
    /// `"recorded->simulated"` → count, changed events only.
    pub transitions: BTreeMap<String, u64>,
    /// Expectations checked (a run over a dataset that has some).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expectations: Option<ExpectationReport>,
    /// The receipt's digest over draft, events and verdicts (server runs and
    /// `preflight simulation verify`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest: Option<String>,
    /// Reviewed calls in scope that the draft judges against their reviewer (server
    /// runs over scopes with decided approvals).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reviews: Option<ReviewReport>,
    /// Per rule of the draft: events decided and overridden (runs that ask for it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub coverage: Option<CoverageReport>,
    /// Beyond the scope: the names the project has seen whose verdict the draft would
    /// change (server runs; see [`crate::blast_radius`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blast_radius: Option<crate::BlastRadius>,
}

/// Keeps the candidates for the sample of one class (changed or unchanged
/// events): the first [`SAMPLE_LIMIT`] traces seen, and the first
/// [`SAMPLE_LIMIT`] events of each. Nothing else can make the final
/// sample: with `SAMPLE_LIMIT` traces there are already `SAMPLE_LIMIT`
/// first-of-trace events, which all rank before anything from a later trace
/// and before the `SAMPLE_LIMIT + 1`-th event of any trace.
#[derive(Debug, Default)]
struct Bucket {
    traces: Vec<(String, Vec<(u64, SampleMatch)>)>,
}

impl Bucket {
    fn is_full(&self) -> bool {
        self.traces.len() >= SAMPLE_LIMIT
    }

    /// Would an event of this trace be kept? Checked before building it.
    fn wants(&self, trace_id: &str) -> bool {
        match self.traces.iter().find(|(t, _)| t == trace_id) {
            Some((_, samples)) => samples.len() < SAMPLE_LIMIT,
            None => !self.is_full(),
        }
    }

    fn offer(&mut self, seq: u64, sample: SampleMatch) {
        match self.traces.iter_mut().find(|(t, _)| *t == sample.trace_id) {
            Some((_, samples)) => {
                if samples.len() < SAMPLE_LIMIT {
                    samples.push((seq, sample));
                }
            }
            None => {
                if !self.is_full() {
                    self.traces
                        .push((sample.trace_id.clone(), vec![(seq, sample)]));
                }
            }
        }
    }

    /// Round-robin over traces: every trace's first event (in input order),
    /// then every trace's second, and so on.
    fn into_ranked(self) -> Vec<SampleMatch> {
        let mut all: Vec<(usize, u64, SampleMatch)> = self
            .traces
            .into_iter()
            .flat_map(|(_, samples)| {
                samples
                    .into_iter()
                    .enumerate()
                    .map(|(rank, (seq, s))| (rank, seq, s))
            })
            .collect();
        all.sort_by_key(|(rank, seq, _)| (*rank, *seq));
        all.into_iter().map(|(_, _, s)| s).collect()
    }
}

/// Streaming simulation: `push` every event, then `finish`.
#[derive(Debug)]
pub struct Simulator<'p> {
    draft: &'p CompiledPolicy,
    unmatched: Unmatched,
    scanned: u64,
    matched: u64,
    changed: u64,
    transitions: [[u64; 5]; 5],
    changed_samples: Bucket,
    unchanged_samples: Bucket,
    scratch: Scratch,
    expectations: Option<ExpectationCheck<'p>>,
    reviews: Option<ReviewCheck<'p>>,
    digest: Option<ReceiptDigest>,
    coverage: Option<CoverageCheck>,
}

impl<'p> Simulator<'p> {
    pub fn new(draft: &'p CompiledPolicy, unmatched: Unmatched) -> Self {
        Simulator {
            draft,
            unmatched,
            scanned: 0,
            matched: 0,
            changed: 0,
            transitions: [[0; 5]; 5],
            changed_samples: Bucket::default(),
            unchanged_samples: Bucket::default(),
            scratch: new_scratch(),
            expectations: None,
            reviews: None,
            digest: None,
            coverage: None,
        }
    }

    /// Also counts, per rule, the events it decided and those it matched but another
    /// rule decided.
    pub fn covering(mut self) -> Self {
        self.coverage = Some(CoverageCheck::new(self.draft));
        self
    }

    /// Also compares judged events with reviewers' decisions on them.
    pub fn reviewed(mut self, labels: &'p ReviewLabels) -> Self {
        if !labels.is_empty() {
            self.reviews = Some(ReviewCheck::new(labels));
        }
        self
    }

    /// Also checks every judged event against these expectations (a fixture run: the
    /// summary then reports them, and the changes none covers, even when there are none).
    pub fn expecting(mut self, expectations: &'p ExpectationSet) -> Self {
        self.expectations = Some(ExpectationCheck::new(expectations));
        self
    }

    /// Also digests every judged event after this header
    /// ([`crate::fixtures::receipt_header`]).
    pub fn digesting(mut self, header: &str) -> Self {
        self.digest = Some(ReceiptDigest::new(header));
        self
    }

    pub fn push(&mut self, e: &Event) {
        if !crate::vocab::is_call_kind(&e.kind) {
            return;
        }
        let seq = self.scanned;
        self.scanned += 1;
        let subject = Subject {
            tool: &e.tool,
            agent: e.agent.as_deref(),
            cost_usd: e.cost_usd,
        };
        let decided = self
            .draft
            .decide(&subject, &mut self.scratch)
            .and_then(|i| self.draft.action(i).map(|a| (i, a)));
        let simulated = match (decided, self.unmatched) {
            (Some((_, action)), _) => action.verdict(),
            (None, Unmatched::KeepRecorded) => e.recorded,
            (None, Unmatched::Allowed) => Verdict::Allowed,
        };
        if let Some(digest) = &mut self.digest {
            digest.push(e, simulated);
        }
        if let (Some(coverage), Some((index, _))) = (&mut self.coverage, decided) {
            coverage.push(self.draft, &subject, index);
        }
        let draft = self.draft;
        let rule = || decided.and_then(|(index, _)| draft.matched_rule(index));
        if let Some(check) = &mut self.expectations {
            check.push(e, simulated, rule);
        }
        if let Some(check) = &mut self.reviews {
            check.push(e, simulated, rule);
        }
        let changed = simulated != e.recorded;
        if changed {
            self.changed += 1;
            self.transitions[e.recorded.index()][simulated.index()] += 1;
        }
        let Some((index, action)) = decided else {
            return;
        };
        self.matched += 1;
        // Unchanged events are only needed while changed ones cannot fill
        // the sample by themselves.
        let bucket = if changed {
            &mut self.changed_samples
        } else if self.changed_samples.is_full() {
            return;
        } else {
            &mut self.unchanged_samples
        };
        if !bucket.wants(&e.trace_id) {
            return;
        }
        let Some(rule) = self.draft.matched_rule(index) else {
            return;
        };
        bucket.offer(
            seq,
            SampleMatch {
                trace_id: e.trace_id.clone(),
                span_id: e.span_id.clone(),
                tool: e.tool.clone(),
                agent: e.agent.clone(),
                cost_usd: e.cost_usd,
                timestamp: e.timestamp.clone(),
                recorded: e.recorded,
                simulated,
                audited: action == Action::AuditOnly,
                rule,
            },
        );
    }

    pub fn finish(self) -> SimulationSummary {
        let mut transitions = BTreeMap::new();
        for from in Verdict::ALL {
            for to in Verdict::ALL {
                let n = self.transitions[from.index()][to.index()];
                if n > 0 {
                    transitions.insert(format!("{from}->{to}"), n);
                }
            }
        }
        // Changed events first, each class spread over traces.
        let mut sample_matches = self.changed_samples.into_ranked();
        sample_matches.extend(self.unchanged_samples.into_ranked());
        sample_matches.truncate(SAMPLE_LIMIT);
        SimulationSummary {
            events_scanned: self.scanned,
            events_matched: self.matched,
            events_would_have_changed: self.changed,
            sample_matches,
            transitions,
            expectations: self.expectations.map(ExpectationCheck::finish),
            reviews: self.reviews.map(ReviewCheck::finish),
            digest: self.digest.map(ReceiptDigest::finish),
            coverage: self.coverage.map(|c| c.finish(self.draft)),
            blast_radius: None,
        }
    }
}

/// Runs a whole event stream through a [`Simulator`].
pub fn simulate<'a>(
    draft: &CompiledPolicy,
    events: impl IntoIterator<Item = &'a Event>,
    unmatched: Unmatched,
) -> SimulationSummary {
    let mut sim = Simulator::new(draft, unmatched);
    for e in events {
        sim.push(e);
    }
    sim.finish()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    #[test]
    fn events_read_from_every_export_shape() {
        let read = |text: &str| serde_json::from_str::<Event>(text).map_err(|e| e.to_string());
        // Dataset export and the JamJet wire.
        assert_eq!(read(r#"{"tool": "a.b"}"#).map(|e| e.tool), Ok("a.b".into()));
        assert_eq!(read(r#"{"name": "a.b"}"#).map(|e| e.tool), Ok("a.b".into()));
        // A replay bundle's events.jsonl carries both, and the span's payload saying which
        // tool its (differently named) span called: `tool` is what rules match.
        let both = read(r#"{"kind": "tool_call", "name": "refund step", "tool": "payments.refund", "agent_name": "bot", "verdict": "held", "payload": {"tool": "payments.refund", "args": {"amount": 5}}}"#)
            .unwrap();
        assert_eq!(both.tool, "payments.refund");
        assert_eq!(both.agent.as_deref(), Some("bot"));
        assert_eq!(both.recorded, Verdict::Held);
        // Both alike are fine.
        assert_eq!(
            read(r#"{"name": "a.b", "tool": "a.b"}"#).map(|e| e.tool),
            Ok("a.b".into())
        );
        // Both, differing, with nothing saying which was called: refused, both named.
        let err = read(r#"{"kind": "tool_call", "name": "shell.exec", "tool": "payments.refund"}"#)
            .unwrap_err();
        assert!(
            err.contains("`name` (\"shell.exec\") and `tool` (\"payments.refund\") disagree"),
            "{err}"
        );
        let err = read(r#"{"kind": "llm_call", "name": "gpt-4o", "tool": "claude", "payload": {"tool": "claude"}}"#)
            .unwrap_err();
        assert!(
            err.contains("disagree"),
            "payload.tool speaks for tool calls only: {err}"
        );
        // The JamJet wire as sent: a tool_call's called tool is in its payload, as
        // ingest reads it; an LLM call matches by its name.
        assert_eq!(
            read(
                r#"{"kind": "tool_call", "name": "call_tool", "payload": {"tool": "shell.exec"}}"#
            )
            .map(|e| e.tool),
            Ok("shell.exec".into())
        );
        assert_eq!(
            read(r#"{"kind": "llm_call", "name": "openai.gpt-4o", "payload": {"tool": "x"}}"#)
                .map(|e| e.tool),
            Ok("openai.gpt-4o".into())
        );
        // Only the payload's own `tool`, after any nesting; other values are skipped.
        assert_eq!(
            read(r#"{"kind": "tool_call", "name": "call", "payload": {"args": {"tool": "inner", "n": [1, {"a": null}]}, "tool": "shell.exec", "more": true}}"#)
                .map(|e| e.tool),
            Ok("shell.exec".into())
        );
        assert_eq!(
            read(r#"{"kind": "tool_call", "name": "call", "payload": {"tool": ["x"], "n": 1.5}}"#)
                .map(|e| e.tool),
            Ok("call".into())
        );
        assert!(read(r#"{"kind": "tool_call", "name": "call", "payload": {"tool": "x"#).is_err());
        // Payloads of other shapes are skipped.
        assert_eq!(
            read(r#"{"name": "a", "payload": "text"}"#).map(|e| e.tool),
            Ok("a".into())
        );
        assert_eq!(
            read(r#"{"kind": "tool_call", "name": "a", "payload": {"tool": {"id": 1}}}"#)
                .map(|e| e.tool),
            Ok("a".into())
        );
        assert!(read(r#"{"kind": "tool_call"}"#)
            .unwrap_err()
            .contains("missing field `tool` (or `name`)"));
        // What is written reads back the same.
        let text = serde_json::to_string(&both).unwrap();
        assert_eq!(read(&text), Ok(both));
    }

    use super::*;
    use crate::model::{Rule, RuleSet};

    fn policy(rules: &[(&str, Action)]) -> CompiledPolicy {
        RuleSet {
            rules: rules.iter().map(|(p, a)| Rule::new(*p, *a)).collect(),
            ..RuleSet::default()
        }
        .compile()
        .unwrap()
    }

    fn event(kind: &str, tool: &str, trace: &str, span: &str, recorded: Verdict) -> Event {
        Event {
            kind: kind.to_string(),
            tool: tool.to_string(),
            agent: None,
            cost_usd: None,
            timestamp: None,
            trace_id: trace.to_string(),
            span_id: span.to_string(),
            recorded,
        }
    }

    fn spans(summary: &SimulationSummary) -> Vec<&str> {
        summary
            .sample_matches
            .iter()
            .map(|s| s.span_id.as_str())
            .collect()
    }

    #[test]
    fn modes_and_kinds() {
        let draft = policy(&[("x.*", Action::Block)]);
        let events = [
            event("llm_call", "x.a", "t1", "s1", Verdict::Allowed),
            event("tool_call", "y", "t1", "s2", Verdict::Blocked),
            event("agent_step", "x.a", "t1", "s3", Verdict::Allowed),
            event("mcp_tool_call", "x.b", "t2", "s4", Verdict::Blocked),
        ];
        let keep = simulate(&draft, &events, Unmatched::KeepRecorded);
        assert_eq!(
            (
                keep.events_scanned,
                keep.events_matched,
                keep.events_would_have_changed
            ),
            (3, 2, 1)
        );
        assert_eq!(
            keep.transitions,
            BTreeMap::from([("allowed->blocked".to_string(), 1)])
        );
        assert_eq!(spans(&keep), vec!["s1", "s4"]);
        let replace = simulate(&draft, &events, Unmatched::Allowed);
        assert_eq!(replace.events_would_have_changed, 2);
        assert_eq!(replace.transitions.get("blocked->allowed"), Some(&1));
        // The unmatched change is counted but not sampled (samples need a rule).
        assert_eq!(spans(&replace), vec!["s1", "s4"]);
    }

    #[test]
    fn samples_changed_first_spread_over_traces() {
        let draft = policy(&[("*", Action::Block)]);
        let events = [
            event("tool_call", "a", "t1", "u1", Verdict::Blocked),
            event("tool_call", "a", "t1", "c1", Verdict::Allowed),
            event("tool_call", "a", "t1", "c2", Verdict::Allowed),
            event("tool_call", "a", "t2", "c3", Verdict::Held),
            event("tool_call", "a", "t3", "u2", Verdict::Blocked),
            event("tool_call", "a", "t2", "c4", Verdict::Allowed),
            event("tool_call", "a", "t3", "c5", Verdict::Allowed),
        ];
        let s = simulate(&draft, &events, Unmatched::KeepRecorded);
        assert_eq!(spans(&s), vec!["c1", "c3", "c5", "c2", "c4", "u1", "u2"]);
        assert_eq!(s.transitions.get("held->blocked"), Some(&1));
        assert_eq!(s.transitions.get("allowed->blocked"), Some(&4));
    }

    #[test]
    fn sample_is_capped_and_memory_bounded() {
        let draft = policy(&[("*", Action::Block)]);
        let mut sim = Simulator::new(&draft, Unmatched::KeepRecorded);
        for i in 0..50_000u32 {
            let recorded = if i % 3 == 0 {
                Verdict::Allowed
            } else {
                Verdict::Blocked
            };
            sim.push(&event(
                "tool_call",
                "t",
                &format!("trace{}", i % 1000),
                &format!("s{i}"),
                recorded,
            ));
            assert!(sim.changed_samples.traces.len() <= SAMPLE_LIMIT);
            assert!(sim.unchanged_samples.traces.len() <= SAMPLE_LIMIT);
            let stored: usize = sim
                .changed_samples
                .traces
                .iter()
                .map(|t| t.1.len())
                .sum::<usize>()
                + sim
                    .unchanged_samples
                    .traces
                    .iter()
                    .map(|t| t.1.len())
                    .sum::<usize>();
            assert!(stored <= 2 * SAMPLE_LIMIT * SAMPLE_LIMIT);
        }
        let s = sim.finish();
        assert_eq!(s.sample_matches.len(), SAMPLE_LIMIT);
        // The first changed event of the first 20 traces: every 3rd event.
        let want: Vec<String> = (0..20).map(|k| format!("s{}", k * 3)).collect();
        assert_eq!(spans(&s), want);
        assert_eq!(s.events_would_have_changed, 16_667);
    }

    #[test]
    fn single_trace_repeats_only_when_needed() {
        let draft = policy(&[("*", Action::AuditOnly)]);
        let events: Vec<Event> = (0..30)
            .map(|i| {
                event(
                    "tool_call",
                    "t",
                    if i < 25 { "t1" } else { "t2" },
                    &format!("s{i}"),
                    Verdict::Blocked,
                )
            })
            .collect();
        let s = simulate(&draft, &events, Unmatched::KeepRecorded);
        let got = spans(&s);
        assert_eq!(got.len(), SAMPLE_LIMIT);
        assert_eq!(&got[..4], &["s0", "s25", "s1", "s26"]);
        assert!(s
            .sample_matches
            .iter()
            .all(|m| m.audited && m.simulated == Verdict::Allowed));
    }

    #[test]
    fn event_aliases() {
        let e: Event = serde_json::from_str(
            r#"{"name": "x", "agent_name": "bot", "recorded_verdict": "redacted"}"#,
        )
        .unwrap();
        assert_eq!(
            (
                e.kind.as_str(),
                e.tool.as_str(),
                e.agent.as_deref(),
                e.recorded
            ),
            ("tool_call", "x", Some("bot"), Verdict::Redacted)
        );
        let e: Event =
            serde_json::from_str(r#"{"tool": "x", "verdict": "errored", "trace_id": "t"}"#)
                .unwrap();
        assert_eq!((e.recorded, e.span_id.as_str()), (Verdict::Errored, ""));
        let e: Event = serde_json::from_str(
            r#"{"kind": null, "tool": "x", "recorded": "held", "trace_id": null, "span_id": null}"#,
        )
        .unwrap();
        assert_eq!((e.kind.as_str(), e.trace_id.as_str()), ("tool_call", ""));
        let back: Event = serde_json::from_str(&serde_json::to_string(&e).unwrap()).unwrap();
        assert_eq!(back, e);
    }
}
