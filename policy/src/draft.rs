//! Reading a draft policy, shared by the browser preview (in WASM), the server's
//! authoritative simulation and the CLI, so all of them judge a draft by the very
//! same code: a draft is parsed and compiled once, and the value it was read from is
//! kept beside the compiled form (what a stored run records).
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::eval::CompiledPolicy;
use crate::model::{FieldError, RuleSet};
use crate::simulate::{SimulationSummary, Simulator, Unmatched};

/// A draft as given (a rule, a list of rules or a policy file) and compiled.
#[derive(Clone, Debug)]
pub struct Draft {
    /// The draft as the caller wrote it (kept in stored runs).
    pub value: Value,
    /// The draft normalised: its precedence and rules, whatever shape it was written in
    /// (what a receipt's digest names).
    pub rules: RuleSet,
    pub compiled: CompiledPolicy,
    /// What the draft does to events none of its rules decide.
    pub unmatched: Unmatched,
}

impl Draft {
    /// Parses and compiles a draft given as a JSON value. Errors name the field inside
    /// the draft (`kind`, `rules[1].action`, ...), empty for the draft as a whole.
    pub fn from_value(value: Value) -> Result<Draft, Vec<FieldError>> {
        let rules = RuleSet::from_value(&value)?;
        let compiled = rules.compile()?;
        let unmatched = unmatched_mode(&value);
        Ok(Draft {
            value,
            rules,
            compiled,
            unmatched,
        })
    }

    /// Parses a draft as typed in an editor: a JSON syntax error is reported with its
    /// line and column.
    pub fn from_text(text: &str) -> Result<Draft, Vec<FieldError>> {
        let value: Value = serde_json::from_str(text).map_err(|e| {
            vec![FieldError::new(
                "",
                format!(
                    "not valid JSON at line {}, column {}: {}",
                    e.line(),
                    e.column(),
                    syntax_message(&e)
                ),
            )]
        })?;
        Draft::from_value(value)
    }

    /// The baseline a run of this draft compares with by default: a whole rule set
    /// replaces the active policy, so it is compared with the active policy's verdicts;
    /// a single rule is layered over what was recorded.
    pub fn default_baseline(&self) -> Baseline {
        match self.unmatched {
            Unmatched::Allowed => Baseline::ActivePolicy,
            Unmatched::KeepRecorded => Baseline::Recorded,
        }
    }
}

/// What a simulation compares the draft's verdicts with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Baseline {
    /// The verdicts recorded when the events happened.
    #[default]
    Recorded,
    /// The verdicts the project's active rule set gives the same events.
    ActivePolicy,
}

impl Baseline {
    pub fn as_str(self) -> &'static str {
        match self {
            Baseline::Recorded => "recorded",
            Baseline::ActivePolicy => "active_policy",
        }
    }

    /// `recorded` or `active_policy`.
    pub fn parse(text: &str) -> Result<Baseline, String> {
        match text {
            "recorded" => Ok(Baseline::Recorded),
            "active_policy" => Ok(Baseline::ActivePolicy),
            other => Err(format!(
                "unknown baseline {other:?}; expected recorded or active_policy"
            )),
        }
    }
}

/// A draft that is a whole rule set (a list, or an object with `rules`) replaces the
/// active one, so events it does not match become `allowed`; a single rule is layered
/// over what was recorded (events it does not match keep their verdict).
pub fn unmatched_mode(draft: &Value) -> Unmatched {
    if draft.is_array() || draft.get("rules").is_some() {
        Unmatched::Allowed
    } else {
        Unmatched::KeepRecorded
    }
}

fn syntax_message(e: &serde_json::Error) -> String {
    // serde_json appends " at line L column C"; the position is reported separately.
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

/// Replays events under a compiled draft: the browser preview's whole computation,
/// with per-rule coverage (as the server's runs have it).
pub fn preview(
    compiled: &CompiledPolicy,
    unmatched: Unmatched,
    events: &[crate::simulate::Event],
) -> SimulationSummary {
    let mut simulator = Simulator::new(compiled, unmatched).covering();
    for event in events {
        simulator.push(event);
    }
    simulator.finish()
}

/// Where two summaries of the same draft over the same events disagree (the browser
/// preview against the server's run). Empty when they agree.
pub fn differences(preview: &SimulationSummary, server: &SimulationSummary) -> Vec<String> {
    let mut out = Vec::new();
    let numbers = [
        (
            "events scanned",
            preview.events_scanned,
            server.events_scanned,
        ),
        (
            "events matched",
            preview.events_matched,
            server.events_matched,
        ),
        (
            "would change",
            preview.events_would_have_changed,
            server.events_would_have_changed,
        ),
    ];
    for (what, browser, srv) in numbers {
        if browser != srv {
            out.push(format!("{what}: browser {browser}, server {srv}"));
        }
    }
    if preview.transitions != server.transitions {
        out.push(format!(
            "transitions: browser {:?}, server {:?}",
            preview.transitions, server.transitions
        ));
    }
    if preview.sample_matches != server.sample_matches {
        out.push("sample matches differ".to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use crate::model::Verdict;
    use crate::simulate::Event;

    fn event(tool: &str, cost: Option<f64>, recorded: Verdict) -> Event {
        Event {
            kind: "tool_call".into(),
            tool: tool.into(),
            agent: Some("support-bot".into()),
            cost_usd: cost,
            timestamp: None,
            trace_id: "t1".into(),
            span_id: format!("s-{tool}"),
            recorded,
        }
    }

    #[test]
    fn a_draft_compiles_once_and_previews() {
        let draft = Draft::from_text(
            r#"{"kind": "block", "pattern": "payments.refund", "cost_max_usd": 0.05}"#,
        )
        .unwrap();
        assert_eq!(draft.unmatched, Unmatched::KeepRecorded);
        assert_eq!(draft.default_baseline(), Baseline::Recorded);
        assert_eq!(draft.value["pattern"], "payments.refund");
        let events = [
            event("payments.refund", Some(0.10), Verdict::Allowed),
            event("payments.refund", Some(0.01), Verdict::Allowed),
            event("shell.exec", None, Verdict::Held),
        ];
        let summary = preview(&draft.compiled, draft.unmatched, &events);
        assert_eq!(summary.events_scanned, 3);
        assert_eq!(summary.events_matched, 1);
        assert_eq!(summary.events_would_have_changed, 1);
        assert_eq!(summary.transitions.get("allowed->blocked"), Some(&1));
    }

    #[test]
    fn errors_name_the_field_or_the_position() {
        let errors = Draft::from_text(r#"{"kind": "deny", "pattern": "x"}"#).unwrap_err();
        assert_eq!(errors[0].field, "kind");
        let errors = Draft::from_text("{\n  \"kind\": \"block\",\n}").unwrap_err();
        assert!(
            errors[0].message.starts_with("not valid JSON at line 3"),
            "{}",
            errors[0].message
        );
    }

    #[test]
    fn rule_sets_replace_and_rules_layer() {
        assert_eq!(
            unmatched_mode(&serde_json::json!({"rules": []})),
            Unmatched::Allowed
        );
        assert_eq!(unmatched_mode(&serde_json::json!([])), Unmatched::Allowed);
        assert_eq!(
            unmatched_mode(&serde_json::json!({"kind": "block", "pattern": "x"})),
            Unmatched::KeepRecorded
        );
        let set = Draft::from_value(serde_json::json!({"rules": []})).unwrap();
        assert_eq!(set.default_baseline(), Baseline::ActivePolicy);
    }

    #[test]
    fn baselines_parse() {
        for b in [Baseline::Recorded, Baseline::ActivePolicy] {
            assert_eq!(Baseline::parse(b.as_str()), Ok(b));
            assert_eq!(
                serde_json::to_value(b).unwrap(),
                serde_json::json!(b.as_str())
            );
        }
        assert!(Baseline::parse("latest")
            .unwrap_err()
            .contains("expected recorded"));
    }

    #[test]
    fn differences_are_reported() {
        let a = SimulationSummary::default();
        let mut b = SimulationSummary::default();
        assert!(differences(&a, &b).is_empty());
        b.events_matched = 2;
        assert_eq!(
            differences(&a, &b),
            vec!["events matched: browser 0, server 2"]
        );
    }
}
