//! Reading a draft policy: shared by the browser preview (in WASM) and the server's
//! authoritative simulation, so both judge a draft by the very same code.
use policy::{CompiledPolicy, FieldError, RuleSet, SimulationSummary, Simulator, Unmatched};
use serde_json::Value;

/// The example the "Run draft policy" editor starts with.
pub const EXAMPLE_DRAFT: &str = r#"{
  "kind": "block",
  "pattern": "payments.refund",
  "cost_max_usd": 0.05
}"#;

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

/// Compiles a draft given as a JSON value. Errors name the field inside the draft
/// (`kind`, `rules[1].action`, ...), empty for the draft as a whole.
pub fn compile_draft(draft: &Value) -> Result<(CompiledPolicy, Unmatched), Vec<FieldError>> {
    let compiled = RuleSet::from_value(draft)?.compile()?;
    Ok((compiled, unmatched_mode(draft)))
}

/// Compiles a draft as typed in the editor: a JSON syntax error is reported with its
/// line and column.
pub fn compile_draft_text(
    text: &str,
) -> Result<(Value, CompiledPolicy, Unmatched), Vec<FieldError>> {
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
    let (compiled, unmatched) = compile_draft(&value)?;
    Ok((value, compiled, unmatched))
}

fn syntax_message(e: &serde_json::Error) -> String {
    // serde_json appends " at line L column C"; the position is reported separately.
    let text = e.to_string();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

/// Replays events under a compiled draft: the browser preview's whole computation.
pub fn preview(
    compiled: &CompiledPolicy,
    unmatched: Unmatched,
    events: &[policy::Event],
) -> SimulationSummary {
    let mut simulator = Simulator::new(compiled, unmatched);
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

    fn event(tool: &str, cost: Option<f64>, recorded: policy::Verdict) -> policy::Event {
        policy::Event {
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
    fn example_draft_compiles_and_previews() {
        let (_, compiled, unmatched) = compile_draft_text(EXAMPLE_DRAFT).unwrap();
        assert_eq!(unmatched, Unmatched::KeepRecorded);
        let events = [
            event("payments.refund", Some(0.10), policy::Verdict::Allowed),
            event("payments.refund", Some(0.01), policy::Verdict::Allowed),
            event("shell.exec", None, policy::Verdict::Held),
        ];
        let summary = preview(&compiled, unmatched, &events);
        assert_eq!(summary.events_scanned, 3);
        assert_eq!(summary.events_matched, 1);
        assert_eq!(summary.events_would_have_changed, 1);
        assert_eq!(summary.transitions.get("allowed->blocked"), Some(&1));
    }

    #[test]
    fn errors_name_the_field_or_the_position() {
        let errors = compile_draft_text(r#"{"kind": "deny", "pattern": "x"}"#).unwrap_err();
        assert_eq!(errors[0].field, "kind");
        let errors = compile_draft_text("{\n  \"kind\": \"block\",\n}").unwrap_err();
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
