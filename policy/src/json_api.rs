//! JSON in, JSON out: the functions the wasm binding and the browser app
//! share. Errors are data (`{"ok": false, "errors": [{field, message}]}`);
//! nothing here panics.

use serde_json::{json, Value};

use crate::eval::{CompiledPolicy, Subject};
use crate::model::{FieldError, RuleSet};
use crate::parse::type_name;
use crate::simulate::{Event, Simulator, Unmatched};

fn failure(errors: &[FieldError]) -> String {
    json!({ "ok": false, "errors": errors }).to_string()
}

fn compile_policy(policy_json: &str) -> Result<CompiledPolicy, Vec<FieldError>> {
    RuleSet::from_json_str(policy_json)?.compile()
}

/// Compiles once for many `evaluate_compiled` / `simulate_compiled` calls; the
/// error is the same `{"ok": false, "errors": [...]}` JSON the other functions return.
pub fn compile(policy_json: &str) -> Result<CompiledPolicy, String> {
    compile_policy(policy_json).map_err(|errors| failure(&errors))
}

/// Parses a JSON array argument, naming it in errors.
fn parse_list(text: &str, name: &str) -> Result<Vec<Value>, Vec<FieldError>> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Array(items)) => Ok(items),
        Ok(other) => Err(vec![FieldError::new(
            name,
            format!("expected a list, got {}", type_name(&other)),
        )]),
        Err(e) => Err(vec![FieldError::new(name, format!("invalid JSON: {e}"))]),
    }
}

/// `{"ok":true,"precedence":..,"rules":N,"warnings":[..]}` or the errors.
pub fn check(policy_json: &str) -> String {
    match compile_policy(policy_json) {
        Ok(policy) => {
            let rule_set = policy.rule_set();
            json!({
                "ok": true,
                "precedence": rule_set.precedence,
                "rules": rule_set.rules.len(),
                "warnings": rule_set.lint(),
            })
            .to_string()
        }
        Err(errors) => failure(&errors),
    }
}

struct OwnedSubject {
    tool: String,
    agent: Option<String>,
    cost_usd: Option<f64>,
}

fn parse_subject(v: &Value, path: &str, errors: &mut Vec<FieldError>) -> Option<OwnedSubject> {
    let Value::Object(map) = v else {
        errors.push(FieldError::new(
            path,
            format!("expected an object, got {}", type_name(v)),
        ));
        return None;
    };
    let before = errors.len();
    let field =
        |names: [&'static str; 2]| names.into_iter().find_map(|n| map.get(n).map(|v| (n, v)));
    let tool = match field(["tool", "name"]) {
        Some((_, Value::String(s))) => Some(s.clone()),
        Some((key, v)) => {
            errors.push(FieldError::new(
                format!("{path}.{key}"),
                format!("expected a string, got {}", type_name(v)),
            ));
            None
        }
        None => {
            errors.push(FieldError::new(format!("{path}.tool"), "missing"));
            None
        }
    };
    let agent = match field(["agent", "agent_name"]) {
        None | Some((_, Value::Null)) => None,
        Some((_, Value::String(s))) => Some(s.clone()),
        Some((key, v)) => {
            errors.push(FieldError::new(
                format!("{path}.{key}"),
                format!("expected a string, got {}", type_name(v)),
            ));
            None
        }
    };
    let cost_usd = match map.get("cost_usd") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => n.as_f64(),
        Some(v) => {
            errors.push(FieldError::new(
                format!("{path}.cost_usd"),
                format!("expected a number, got {}", type_name(v)),
            ));
            None
        }
    };
    match tool {
        Some(tool) if errors.len() == before => Some(OwnedSubject {
            tool,
            agent,
            cost_usd,
        }),
        _ => None,
    }
}

fn parse_subjects(subjects_json: &str) -> Result<Vec<OwnedSubject>, Vec<FieldError>> {
    parse_list(subjects_json, "subjects").and_then(|items| {
        let mut errors = Vec::new();
        let subjects: Vec<OwnedSubject> = items
            .iter()
            .enumerate()
            .filter_map(|(i, v)| parse_subject(v, &format!("subjects[{i}]"), &mut errors))
            .collect();
        if errors.is_empty() {
            Ok(subjects)
        } else {
            Err(errors)
        }
    })
}

fn decisions(policy: &CompiledPolicy, subjects: &[OwnedSubject]) -> String {
    let decisions: Vec<Value> = subjects
        .iter()
        .map(|s| {
            let decision = policy.evaluate(&Subject {
                tool: &s.tool,
                agent: s.agent.as_deref(),
                cost_usd: s.cost_usd,
            });
            json!({
                "verdict": decision.verdict,
                "audited": decision.audited,
                "rule": decision.rule,
                "decision": decision.conformance(),
            })
        })
        .collect();
    json!({ "ok": true, "decisions": decisions }).to_string()
}

/// Decides each subject (`[{tool, agent?, cost_usd?}]`):
/// `{"ok":true,"decisions":[{verdict,audited,rule,decision}]}`, where
/// `decision` is the conformance string (ALLOWED, BLOCKED, ...).
pub fn evaluate(policy_json: &str, subjects_json: &str) -> String {
    match (compile_policy(policy_json), parse_subjects(subjects_json)) {
        (Ok(policy), Ok(subjects)) => decisions(&policy, &subjects),
        (p, s) => {
            let mut errors = p.err().unwrap_or_default();
            errors.extend(s.err().unwrap_or_default());
            failure(&errors)
        }
    }
}

/// `evaluate` for a policy compiled once with `compile`.
pub fn evaluate_compiled(policy: &CompiledPolicy, subjects_json: &str) -> String {
    match parse_subjects(subjects_json) {
        Ok(subjects) => decisions(policy, &subjects),
        Err(errors) => failure(&errors),
    }
}

fn parse_mode(unmatched: &str, errors: &mut Vec<FieldError>) -> Option<Unmatched> {
    match unmatched {
        "" => Some(Unmatched::default()),
        s => s
            .parse::<Unmatched>()
            .map_err(|m| errors.push(FieldError::new("unmatched", m)))
            .ok(),
    }
}

fn parse_events(events_json: &str, errors: &mut Vec<FieldError>) -> Vec<Event> {
    match parse_list(events_json, "events") {
        Ok(items) => {
            let mut events = Vec::with_capacity(items.len());
            for (i, item) in items.into_iter().enumerate() {
                match serde_json::from_value::<Event>(item) {
                    Ok(e) => events.push(e),
                    Err(e) => errors.push(FieldError::new(format!("events[{i}]"), e.to_string())),
                }
            }
            events
        }
        Err(e) => {
            errors.extend(e);
            Vec::new()
        }
    }
}

fn summary(policy: &CompiledPolicy, events: &[Event], mode: Unmatched) -> String {
    let mut sim = Simulator::new(policy, mode);
    for e in events {
        sim.push(e);
    }
    json!({ "ok": true, "summary": sim.finish() }).to_string()
}

/// Simulates a draft (any rule shape) over recorded events:
/// `{"ok":true,"summary":{..}}`. `unmatched` is `keep_recorded` (also the
/// meaning of an empty string) or `allowed`.
pub fn simulate(draft_json: &str, events_json: &str, unmatched: &str) -> String {
    let mut errors = Vec::new();
    let mode = parse_mode(unmatched, &mut errors);
    let policy = compile_policy(draft_json)
        .map_err(|e| errors.extend(e))
        .ok();
    let events = parse_events(events_json, &mut errors);
    match (mode, policy) {
        (Some(mode), Some(policy)) if errors.is_empty() => summary(&policy, &events, mode),
        _ => failure(&errors),
    }
}

/// `simulate` for a draft compiled once with `compile`.
pub fn simulate_compiled(draft: &CompiledPolicy, events_json: &str, unmatched: &str) -> String {
    let mut errors = Vec::new();
    let mode = parse_mode(unmatched, &mut errors);
    let events = parse_events(events_json, &mut errors);
    match mode {
        Some(mode) if errors.is_empty() => summary(draft, &events, mode),
        _ => failure(&errors),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn parse(s: &str) -> Value {
        serde_json::from_str(s).unwrap()
    }

    #[test]
    fn check_reports_rules_and_warnings() {
        let out = parse(&check(
            r#"{"version":1,"rules":[{"match":"a","action":"block"},{"match":"*","action":"allow"}]}"#,
        ));
        assert_eq!(out["ok"], true);
        assert_eq!(out["rules"], 2);
        assert_eq!(out["precedence"], "last_match");
        assert_eq!(out["warnings"][0]["rule_index"], 0);
        let bad = parse(&check(
            r#"{"version":1,"rules":[{"match":"x","action":"deny"}]}"#,
        ));
        assert_eq!(bad["ok"], false);
        assert_eq!(bad["errors"][0]["field"], "rules[0].action");
    }

    #[test]
    fn evaluate_decisions() {
        let out = parse(&evaluate(
            r#"[{"pattern":"payments.*","action":"block"},{"pattern":"payments.read","action":"audit"}]"#,
            r#"[{"tool":"payments.read"},{"tool":"payments.delete","agent":"bot","cost_usd":1},{"tool":"x"}]"#,
        ));
        assert_eq!(out["decisions"][0]["decision"], "AUDIT");
        assert_eq!(out["decisions"][0]["verdict"], "allowed");
        assert_eq!(out["decisions"][1]["decision"], "BLOCKED");
        assert_eq!(out["decisions"][1]["rule"]["index"], 0);
        assert_eq!(out["decisions"][2]["rule"], Value::Null);
        let bad = parse(&evaluate("[]", r#"[{"agent": 3}]"#));
        assert_eq!(bad["errors"].as_array().unwrap().len(), 2);
    }

    #[test]
    fn simulate_summary() {
        let out = parse(&simulate(
            r#"{"kind":"block","pattern":"openai.gpt-4o-mini"}"#,
            r#"[{"kind":"llm_call","name":"openai.gpt-4o-mini","trace_id":"t1","span_id":"s1","verdict":"allowed"},
                {"kind":"llm_call","tool":"openai.gpt-4o","trace_id":"t1","span_id":"s2","recorded":"allowed"}]"#,
            "keep_recorded",
        ));
        assert_eq!(out["ok"], true, "{out}");
        assert_eq!(out["summary"]["events_scanned"], 2);
        assert_eq!(out["summary"]["events_would_have_changed"], 1);
        assert_eq!(out["summary"]["transitions"]["allowed->blocked"], 1);
        let bad = parse(&simulate("{}", "[{}]", "sometimes"));
        assert_eq!(bad["errors"].as_array().unwrap().len(), 4, "{bad}");
    }
}
