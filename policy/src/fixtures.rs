//! Datasets as policy fixtures: what a pinned trace is expected to keep doing, and the
//! digest that makes a stored simulation a receipt.
//!
//! An [`Expectation`] says that the events of one trace whose tool (or model) name
//! matches a glob must get a verdict ([`Expected::Is`]), or the verdict they were
//! recorded with ([`Expected::Recorded`]). A [`Simulator`](crate::Simulator) given an
//! [`ExpectationSet`] checks every event it judges against the expectations of its
//! trace and reports, apart from the counts it always gives, which expectations were
//! kept and which broken (regressions, with the rule that decided each broken event),
//! and which changed events no expectation covers (intended or unreviewed changes).
//!
//! A receipt's digest is SHA-256 over a header naming the draft (normalised), the
//! mode for events it does not decide and the baseline, then one line per judged event:
//! its identity, what it was compared with and what the draft gave it. Recomputing it
//! over the same events (a receipt's exported fixtures) gives the same digest exactly
//! when the same events got the same verdicts under the same rules.
use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest as _, Sha256};

use crate::eval::MatchedRule;
use crate::glob::Glob;
use crate::model::{FieldError, RuleSet, Verdict, MAX_PATTERN_CHARS};
use crate::simulate::{Event, Unmatched, SAMPLE_LIMIT};

/// Most expectations one dataset (one run) may carry.
pub const MAX_EXPECTATIONS: usize = 10_000;
/// Longest trace id an expectation may name.
pub const MAX_TRACE_ID_CHARS: usize = 200;

/// The version of the evaluator that judged a run: stored in receipts, so a receipt
/// says which semantics its verdicts come from.
pub const EVALUATOR_VERSION: &str = env!("CARGO_PKG_VERSION");

/// The verdict an expectation asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Expected {
    /// This verdict.
    Is(Verdict),
    /// The verdict each event was recorded with.
    Recorded,
}

impl Expected {
    pub fn as_str(self) -> &'static str {
        match self {
            Expected::Is(v) => v.as_str(),
            Expected::Recorded => "recorded",
        }
    }

    /// The verdict an event must get.
    pub fn wanted(self, recorded: Verdict) -> Verdict {
        match self {
            Expected::Is(v) => v,
            Expected::Recorded => recorded,
        }
    }
}

impl fmt::Display for Expected {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Expected {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        if s == "recorded" {
            return Ok(Expected::Recorded);
        }
        s.parse::<Verdict>().map(Expected::Is).map_err(|_| {
            format!(
                "unknown verdict {s:?}; expected allowed, blocked, held, redacted, errored or recorded"
            )
        })
    }
}

impl Serialize for Expected {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Expected {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// What the events of one trace whose name matches `pattern` must get.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expectation {
    pub trace_id: String,
    /// fnmatch glob over the tool (or model) name, as in rules.
    pub pattern: String,
    #[serde(rename = "verdict")]
    pub expected: Expected,
}

/// Expectations checked, indexed by trace.
#[derive(Clone, Debug, Default)]
pub struct ExpectationSet {
    list: Vec<Expectation>,
    globs: Vec<Glob>,
    by_trace: HashMap<String, Vec<usize>>,
}

impl ExpectationSet {
    /// Validates and indexes expectations; errors name the entry
    /// (`expectations[3].pattern: ...`). Duplicates (same trace and pattern) are
    /// errors too: two verdicts for the same events cannot both be meant.
    pub fn new(list: Vec<Expectation>) -> Result<ExpectationSet, Vec<FieldError>> {
        let mut errors = Vec::new();
        if list.len() > MAX_EXPECTATIONS {
            errors.push(FieldError::new(
                "expectations",
                format!("at most {MAX_EXPECTATIONS} expectations"),
            ));
            return Err(errors);
        }
        let mut seen = HashMap::new();
        for (i, e) in list.iter().enumerate() {
            let at = |field: &str| format!("expectations[{i}].{field}");
            if e.trace_id.trim().is_empty() {
                errors.push(FieldError::new(at("trace_id"), "must not be empty"));
            } else if e.trace_id.chars().count() > MAX_TRACE_ID_CHARS {
                errors.push(FieldError::new(
                    at("trace_id"),
                    format!("at most {MAX_TRACE_ID_CHARS} characters"),
                ));
            }
            if e.pattern.is_empty() {
                errors.push(FieldError::new(at("pattern"), "must not be empty"));
            } else if e.pattern.chars().count() > MAX_PATTERN_CHARS {
                errors.push(FieldError::new(
                    at("pattern"),
                    format!("at most {MAX_PATTERN_CHARS} characters"),
                ));
            }
            if let Some(first) = seen.insert((&e.trace_id, &e.pattern), i) {
                errors.push(FieldError::new(
                    at("pattern"),
                    format!("the same trace and pattern as expectations[{first}]"),
                ));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let globs = list.iter().map(|e| Glob::new(&e.pattern)).collect();
        let mut by_trace: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, e) in list.iter().enumerate() {
            by_trace.entry(e.trace_id.clone()).or_default().push(i);
        }
        Ok(ExpectationSet {
            list,
            globs,
            by_trace,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn list(&self) -> &[Expectation] {
        &self.list
    }

    /// The expectations covering this event (indexes into [`Self::list`]).
    fn covering<'a>(&'a self, event: &'a Event) -> impl Iterator<Item = usize> + 'a {
        self.by_trace
            .get(&event.trace_id)
            .into_iter()
            .flatten()
            .copied()
            .filter(|&i| self.globs.get(i).is_some_and(|g| g.is_match(&event.tool)))
    }
}

/// One expectation after a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExpectationOutcome {
    #[serde(flatten)]
    pub expectation: Expectation,
    /// Events in scope it covered.
    pub events: u64,
    pub kept: u64,
    pub broken: u64,
}

impl ExpectationOutcome {
    pub fn status(&self) -> ExpectationStatus {
        if self.broken > 0 {
            ExpectationStatus::Broken
        } else if self.events == 0 {
            ExpectationStatus::NothingInScope
        } else {
            ExpectationStatus::Kept
        }
    }
}

/// How an expectation fared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ExpectationStatus {
    Kept,
    Broken,
    /// No event in scope matched it (its trace is out of scope, or has no such call).
    NothingInScope,
}

/// A judged event an expectation covers (a regression when broken), or a changed
/// event none covers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CheckedEvent {
    pub trace_id: String,
    pub span_id: String,
    pub tool: String,
    #[serde(default)]
    pub agent: Option<String>,
    #[serde(default)]
    pub timestamp: Option<String>,
    pub recorded: Verdict,
    pub simulated: Verdict,
    /// The expectation's verdict (`None` for a change no expectation covers).
    #[serde(default)]
    pub expected: Option<Expected>,
    /// The pattern of the expectation it broke.
    #[serde(default)]
    pub expectation_pattern: Option<String>,
    /// The draft rule that decided it (`None`: no rule did).
    #[serde(default)]
    pub rule: Option<MatchedRule>,
}

/// What a run says about the expectations in scope.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ExpectationReport {
    /// Broken first, then kept, then those with nothing in scope.
    pub expectations: Vec<ExpectationOutcome>,
    /// Events at least one expectation covered.
    pub events_checked: u64,
    /// Covered events that broke at least one expectation.
    pub events_broken: u64,
    /// Up to [`SAMPLE_LIMIT`] broken events, each with the rule that decided it.
    pub regressions: Vec<CheckedEvent>,
    /// Events whose verdict changed that no expectation covers.
    pub unreviewed_changes: u64,
    /// Up to [`SAMPLE_LIMIT`] of them.
    pub unreviewed_samples: Vec<CheckedEvent>,
}

impl ExpectationReport {
    pub fn expectations_broken(&self) -> usize {
        self.expectations
            .iter()
            .filter(|o| o.status() == ExpectationStatus::Broken)
            .count()
    }

    pub fn expectations_kept(&self) -> usize {
        self.expectations
            .iter()
            .filter(|o| o.status() == ExpectationStatus::Kept)
            .count()
    }
}

/// Checks judged events against an [`ExpectationSet`] (inside a simulator).
#[derive(Debug)]
pub(crate) struct ExpectationCheck<'s> {
    set: &'s ExpectationSet,
    counts: Vec<(u64, u64)>,
    checked: u64,
    broken: u64,
    regressions: Vec<CheckedEvent>,
    unreviewed: u64,
    unreviewed_samples: Vec<CheckedEvent>,
}

impl<'s> ExpectationCheck<'s> {
    pub(crate) fn new(set: &'s ExpectationSet) -> Self {
        ExpectationCheck {
            set,
            counts: vec![(0, 0); set.len()],
            checked: 0,
            broken: 0,
            regressions: Vec::new(),
            unreviewed: 0,
            unreviewed_samples: Vec::new(),
        }
    }

    /// One judged event; `rule` finds the deciding rule only when a sample needs it.
    pub(crate) fn push(
        &mut self,
        event: &Event,
        simulated: Verdict,
        rule: impl Fn() -> Option<MatchedRule>,
    ) {
        let mut covered = false;
        let mut broke: Option<usize> = None;
        for i in self.set.covering(event) {
            covered = true;
            let Some((kept, broken)) = self.counts.get_mut(i) else {
                continue;
            };
            let wanted = self.set.list[i].expected.wanted(event.recorded);
            if simulated == wanted {
                *kept += 1;
            } else {
                *broken += 1;
                broke.get_or_insert(i);
            }
        }
        let sample = |expected: Option<&Expectation>| CheckedEvent {
            trace_id: event.trace_id.clone(),
            span_id: event.span_id.clone(),
            tool: event.tool.clone(),
            agent: event.agent.clone(),
            timestamp: event.timestamp.clone(),
            recorded: event.recorded,
            simulated,
            expected: expected.map(|e| e.expected),
            expectation_pattern: expected.map(|e| e.pattern.clone()),
            rule: rule(),
        };
        if covered {
            self.checked += 1;
            if let Some(i) = broke {
                self.broken += 1;
                if self.regressions.len() < SAMPLE_LIMIT {
                    self.regressions.push(sample(self.set.list.get(i)));
                }
            }
        } else if simulated != event.recorded {
            self.unreviewed += 1;
            if self.unreviewed_samples.len() < SAMPLE_LIMIT {
                self.unreviewed_samples.push(sample(None));
            }
        }
    }

    pub(crate) fn finish(self) -> ExpectationReport {
        let mut expectations: Vec<ExpectationOutcome> = self
            .set
            .list
            .iter()
            .zip(self.counts)
            .map(|(e, (kept, broken))| ExpectationOutcome {
                expectation: e.clone(),
                events: kept + broken,
                kept,
                broken,
            })
            .collect();
        let rank = |o: &ExpectationOutcome| match o.status() {
            ExpectationStatus::Broken => 0,
            ExpectationStatus::Kept => 1,
            ExpectationStatus::NothingInScope => 2,
        };
        expectations.sort_by_key(rank);
        ExpectationReport {
            expectations,
            events_checked: self.checked,
            events_broken: self.broken,
            regressions: self.regressions,
            unreviewed_changes: self.unreviewed,
            unreviewed_samples: self.unreviewed_samples,
        }
    }
}

/// A reviewer's decision on a held call: a person's judgement of a real call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Review {
    Approved,
    Rejected,
}

/// Decided approvals of events in scope, by trace and span.
#[derive(Clone, Debug, Default)]
pub struct ReviewLabels {
    by_trace: HashMap<String, HashMap<String, Review>>,
    len: usize,
}

impl ReviewLabels {
    pub fn new(labels: impl IntoIterator<Item = (String, String, Review)>) -> ReviewLabels {
        let mut set = ReviewLabels::default();
        for (trace, span, review) in labels {
            if set
                .by_trace
                .entry(trace)
                .or_default()
                .insert(span, review)
                .is_none()
            {
                set.len += 1;
            }
        }
        set
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn len(&self) -> usize {
        self.len
    }

    fn of(&self, event: &Event) -> Option<Review> {
        self.by_trace
            .get(&event.trace_id)?
            .get(&event.span_id)
            .copied()
    }
}

/// A reviewed call whose verdict under the draft goes against the reviewer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReviewedEvent {
    pub trace_id: String,
    pub span_id: String,
    pub tool: String,
    #[serde(default)]
    pub agent: Option<String>,
    #[serde(default)]
    pub timestamp: Option<String>,
    pub review: Review,
    pub simulated: Verdict,
    #[serde(default)]
    pub rule: Option<MatchedRule>,
}

/// What the draft does to calls people reviewed.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ReviewReport {
    /// Reviewed calls in scope.
    pub approved: u64,
    pub rejected: u64,
    /// Approved calls the draft would block.
    pub approved_would_block: u64,
    /// Rejected calls the draft would allow.
    pub rejected_would_allow: u64,
    /// Up to [`SAMPLE_LIMIT`] of those two.
    pub samples: Vec<ReviewedEvent>,
}

/// Compares judged events with their reviews (inside a simulator).
#[derive(Debug)]
pub(crate) struct ReviewCheck<'s> {
    labels: &'s ReviewLabels,
    report: ReviewReport,
}

impl<'s> ReviewCheck<'s> {
    pub(crate) fn new(labels: &'s ReviewLabels) -> Self {
        ReviewCheck {
            labels,
            report: ReviewReport::default(),
        }
    }

    pub(crate) fn push(
        &mut self,
        event: &Event,
        simulated: Verdict,
        rule: impl Fn() -> Option<MatchedRule>,
    ) {
        let Some(review) = self.labels.of(event) else {
            return;
        };
        let against = match review {
            Review::Approved => {
                self.report.approved += 1;
                simulated == Verdict::Blocked
            }
            Review::Rejected => {
                self.report.rejected += 1;
                simulated == Verdict::Allowed
            }
        };
        if !against {
            return;
        }
        match review {
            Review::Approved => self.report.approved_would_block += 1,
            Review::Rejected => self.report.rejected_would_allow += 1,
        }
        if self.report.samples.len() < SAMPLE_LIMIT {
            self.report.samples.push(ReviewedEvent {
                trace_id: event.trace_id.clone(),
                span_id: event.span_id.clone(),
                tool: event.tool.clone(),
                agent: event.agent.clone(),
                timestamp: event.timestamp.clone(),
                review,
                simulated,
                rule: rule(),
            });
        }
    }

    pub(crate) fn finish(self) -> ReviewReport {
        self.report
    }
}

/// The first line a receipt's digest covers: the draft as normalised (its precedence
/// and rules, whatever shape it was written in), what happens to events it does not
/// decide, and the baseline (`recorded`, or the baseline rule set).
pub fn receipt_header(draft: &RuleSet, unmatched: Unmatched, baseline: Option<&RuleSet>) -> String {
    let text = |set: &RuleSet| serde_json::to_string(set).unwrap_or_default();
    let unmatched = match unmatched {
        Unmatched::KeepRecorded => "keep_recorded",
        Unmatched::Allowed => "allowed",
    };
    let baseline = baseline.map_or_else(|| "recorded".to_string(), text);
    format!(
        "preflight-receipt/1\ndraft {}\nunmatched {unmatched}\nbaseline {baseline}\n",
        text(draft)
    )
}

/// SHA-256 over a receipt's header and every judged event.
#[derive(Clone, Debug)]
pub(crate) struct ReceiptDigest {
    hasher: Sha256,
    line: Vec<u8>,
}

impl ReceiptDigest {
    pub(crate) fn new(header: &str) -> Self {
        let mut hasher = Sha256::new();
        hasher.update(header.as_bytes());
        ReceiptDigest {
            hasher,
            line: Vec::with_capacity(256),
        }
    }

    /// `event.recorded` is what the draft was compared with (the recorded verdict, or
    /// the baseline policy's).
    pub(crate) fn push(&mut self, event: &Event, simulated: Verdict) {
        self.line.clear();
        let fields = (
            &event.trace_id,
            &event.span_id,
            &event.kind,
            &event.tool,
            &event.agent,
            event.cost_usd,
            &event.timestamp,
            event.recorded,
            simulated,
        );
        if serde_json::to_writer(&mut self.line, &fields).is_ok() {
            self.line.push(b'\n');
            self.hasher.update(&self.line);
        }
    }

    /// `sha256:` and 64 hex digits.
    pub(crate) fn finish(self) -> String {
        let bytes = self.hasher.finalize();
        let mut text = String::with_capacity(7 + 64);
        text.push_str("sha256:");
        for b in bytes {
            text.push_str(&format!("{b:02x}"));
        }
        text
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn expect(trace: &str, pattern: &str, verdict: &str) -> Expectation {
        Expectation {
            trace_id: trace.into(),
            pattern: pattern.into(),
            expected: verdict.parse().unwrap(),
        }
    }

    #[test]
    fn expected_verdicts_read_and_write_as_words() {
        for word in [
            "allowed", "blocked", "held", "redacted", "errored", "recorded",
        ] {
            let e: Expected = serde_json::from_value(serde_json::json!(word)).unwrap();
            assert_eq!(serde_json::to_value(e).unwrap(), serde_json::json!(word));
        }
        let err = "denied".parse::<Expected>().unwrap_err();
        assert!(err.contains("unknown verdict \"denied\""), "{err}");
        assert_eq!(
            Expected::Recorded.wanted(Verdict::Held),
            Verdict::Held,
            "recorded means each event's own verdict"
        );
    }

    #[test]
    fn sets_are_validated_with_the_entry_named() {
        let errors = ExpectationSet::new(vec![
            expect("t1", "a.*", "blocked"),
            expect("", "", "held"),
            expect("t1", "a.*", "allowed"),
        ])
        .unwrap_err();
        let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
        assert_eq!(
            text,
            vec![
                "expectations[1].trace_id: must not be empty",
                "expectations[1].pattern: must not be empty",
                "expectations[2].pattern: the same trace and pattern as expectations[0]",
            ]
        );
        let many = (0..=MAX_EXPECTATIONS)
            .map(|i| expect(&format!("t{i}"), "*", "allowed"))
            .collect();
        assert!(ExpectationSet::new(many).is_err());
    }

    #[test]
    fn headers_name_the_normalised_draft() {
        let a = RuleSet::from_value(&serde_json::json!({"kind": "block", "pattern": "x"})).unwrap();
        let b =
            RuleSet::from_value(&serde_json::json!([{"action": "block", "match": "x"}])).unwrap();
        // Two spellings of one rule set are one draft.
        assert_eq!(
            receipt_header(&a, Unmatched::Allowed, None),
            receipt_header(&b, Unmatched::Allowed, None)
        );
        assert_ne!(
            receipt_header(&a, Unmatched::Allowed, None),
            receipt_header(&a, Unmatched::KeepRecorded, None)
        );
        assert_ne!(
            receipt_header(&a, Unmatched::Allowed, None),
            receipt_header(&a, Unmatched::Allowed, Some(&b))
        );
    }

    fn event(tool: &str, trace: &str, span: &str, recorded: Verdict) -> Event {
        Event {
            kind: "tool_call".into(),
            tool: tool.into(),
            agent: None,
            cost_usd: None,
            timestamp: None,
            trace_id: trace.into(),
            span_id: span.into(),
            recorded,
        }
    }

    fn draft(value: serde_json::Value) -> crate::Draft {
        crate::Draft::from_value(value).unwrap()
    }

    fn run(
        draft: &crate::Draft,
        set: &ExpectationSet,
        events: &[Event],
    ) -> crate::SimulationSummary {
        let mut sim = crate::Simulator::new(&draft.compiled, draft.unmatched).expecting(set);
        for e in events {
            sim.push(e);
        }
        sim.finish()
    }

    #[test]
    fn broken_expectations_come_first_with_the_rule_that_broke_them() {
        let events = [
            event("wire_transfer", "t1", "s1", Verdict::Blocked),
            event("search", "t1", "s2", Verdict::Allowed),
            event("payments.refund", "t2", "s3", Verdict::Held),
            event("wire_fee", "t3", "s4", Verdict::Blocked),
        ];
        let set = ExpectationSet::new(vec![
            expect("t2", "payments.*", "recorded"),
            expect("t1", "wire_*", "blocked"),
            expect("t9", "*", "allowed"),
        ])
        .unwrap();
        // A draft that allows every wire_*: t1's expectation breaks; t3's change is
        // covered by no expectation; t2 keeps its recorded verdict (no rule decides it).
        let allow = draft(serde_json::json!({"kind": "allow", "pattern": "wire_*"}));
        let report = run(&allow, &set, &events).expectations.unwrap();
        let order: Vec<(&str, ExpectationStatus)> = report
            .expectations
            .iter()
            .map(|o| (o.expectation.trace_id.as_str(), o.status()))
            .collect();
        assert_eq!(
            order,
            vec![
                ("t1", ExpectationStatus::Broken),
                ("t2", ExpectationStatus::Kept),
                ("t9", ExpectationStatus::NothingInScope),
            ]
        );
        assert_eq!((report.events_checked, report.events_broken), (2, 1));
        assert_eq!(report.expectations_broken(), 1);
        assert_eq!(report.expectations_kept(), 1);
        let regression = &report.regressions[0];
        assert_eq!(regression.span_id, "s1");
        assert_eq!(regression.expected, Some(Expected::Is(Verdict::Blocked)));
        assert_eq!(regression.simulated, Verdict::Allowed);
        assert_eq!(
            regression.rule.as_ref().map(|r| r.pattern.as_str()),
            Some("wire_*")
        );
        assert_eq!(report.unreviewed_changes, 1);
        assert_eq!(report.unreviewed_samples[0].span_id, "s4");

        // A draft that blocks them keeps every expectation.
        let block = draft(serde_json::json!({"kind": "block", "pattern": "wire_*"}));
        let report = run(&block, &set, &events).expectations.unwrap();
        assert_eq!(report.expectations_broken(), 0);
        assert!(report.regressions.is_empty());
        // No expectations: every change is unreviewed.
        let none = ExpectationSet::default();
        let report = run(&block, &none, &events).expectations.unwrap();
        assert!(report.expectations.is_empty());
        assert_eq!(
            report.unreviewed_changes, 0,
            "block keeps every recorded block"
        );
        let report = run(&allow, &none, &events).expectations.unwrap();
        assert_eq!(report.unreviewed_changes, 2);
    }

    #[test]
    fn digests_follow_events_and_verdicts() {
        let events = vec![
            event("wire_transfer", "t1", "s1", Verdict::Blocked),
            event("search", "t1", "s2", Verdict::Allowed),
        ];
        let digest = |draft: &crate::Draft, events: &[Event]| {
            let rules = RuleSet::from_value(&draft.value).unwrap();
            let header = receipt_header(&rules, draft.unmatched, None);
            let mut sim =
                crate::Simulator::new(&draft.compiled, draft.unmatched).digesting(&header);
            for e in events {
                sim.push(e);
            }
            sim.finish().digest.unwrap()
        };
        let block = draft(serde_json::json!({"kind": "block", "pattern": "wire_*"}));
        let first = digest(&block, &events);
        assert!(first.starts_with("sha256:") && first.len() == 71, "{first}");
        assert_eq!(
            digest(&block, &events),
            first,
            "the same run, the same digest"
        );
        let mut edited = events.clone();
        edited[1].recorded = Verdict::Held;
        assert_ne!(digest(&block, &edited), first, "a changed event");
        assert_ne!(digest(&block, &events[..1]), first, "a missing event");
        let allow = draft(serde_json::json!({"kind": "allow", "pattern": "wire_*"}));
        assert_ne!(digest(&allow, &events), first, "another draft");
        // Events the simulator does not judge are not part of it.
        let mut with_step = events.clone();
        with_step.push(Event {
            kind: "agent_step".into(),
            ..event("plan", "t1", "s3", Verdict::Allowed)
        });
        assert_eq!(digest(&block, &with_step), first);
    }

    #[test]
    fn reviewed_calls_against_the_draft_are_reported() {
        let events = [
            event("payments.refund", "t1", "s1", Verdict::Held),
            event("payments.refund", "t2", "s2", Verdict::Held),
            event("payments.void", "t3", "s3", Verdict::Held),
            event("payments.void", "t4", "s4", Verdict::Held),
        ];
        let labels = ReviewLabels::new([
            ("t1".to_string(), "s1".to_string(), Review::Approved),
            ("t2".to_string(), "s2".to_string(), Review::Rejected),
            ("t3".to_string(), "s3".to_string(), Review::Rejected),
        ]);
        // Block refunds, allow voids: t1 was approved (now blocked), t3 was rejected
        // (now allowed); t2 was rejected and is blocked, as its reviewer wanted.
        let draft = draft(serde_json::json!([
            {"action": "block", "pattern": "payments.refund"},
            {"action": "allow", "pattern": "payments.void"}
        ]));
        let mut sim = crate::Simulator::new(&draft.compiled, draft.unmatched).reviewed(&labels);
        for e in &events {
            sim.push(e);
        }
        let report = sim.finish().reviews.unwrap();
        assert_eq!((report.approved, report.rejected), (1, 2));
        assert_eq!(
            (report.approved_would_block, report.rejected_would_allow),
            (1, 1)
        );
        let samples: Vec<(&str, Review)> = report
            .samples
            .iter()
            .map(|s| (s.span_id.as_str(), s.review))
            .collect();
        assert_eq!(
            samples,
            vec![("s1", Review::Approved), ("s3", Review::Rejected)]
        );
        assert_eq!(
            report.samples[1].rule.as_ref().map(|r| r.pattern.as_str()),
            Some("payments.void")
        );
    }
}
