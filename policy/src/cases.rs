//! The case-corpus driver (`policy/tests/cases/*.yaml`), shared by
//! `preflight policy test` and the native corpus test. The format is the
//! JamJet adapter conformance format, extended:
//!
//! ```yaml
//! version: 1                    # optional; the conformance suite's
//! cases:
//!   - id: payments-read-allowed
//!     policy: {version: 1, rules: [{match: "payments.*", action: block}]}  # any accepted shape
//!     tool: payments.read
//!     agent: support-bot          # optional
//!     cost_usd: 0.2               # optional
//!     expect: {decision: BLOCKED, rule: "payments.*", rule_kind: block}
//!     # or: expect: {error: 'rules[0].action: unknown action "deny"'}  (substring)
//!     warnings: ["never decides"] # optional; count must match too
//! simulations:
//!   - id: scenario
//!     draft: {kind: block, pattern: openai.gpt-4o-mini}
//!     unmatched: keep_recorded    # optional
//!     events: [{kind: llm_call, tool: ..., trace_id: t1, span_id: s1, recorded: allowed}]
//!     expect: {events_scanned: 2, events_matched: 1, events_would_have_changed: 1,
//!              transitions: {"allowed->blocked": 1}, sample_span_ids: [s1]}
//! ```
//! A case may say `requires_mcp_prefix_strip: true` (it tests an MCP adapter's
//! stripping of `mcp__<server>__`): it runs only with
//! [`CaseOptions::mcp_prefix_strip`] and is otherwise skipped, never passed.
//! Every key of `expect` is optional and only present keys are checked
//! (`rule: null` checks that no rule decided). Beyond the shared format this
//! driver also understands `verdict`, `audited`, `rule_index` (cases),
//! `sample_count`, `sample_trace_ids`, `sample_simulated` and `error`
//! (simulations), and an optional `description` on either; the shared
//! corpus files stick to the shared keys so the Node runner can read them.

use std::collections::BTreeMap;

use serde_json::{Map, Value};
use serde_yaml::Value as Yaml;

use crate::eval::{CompiledPolicy, Subject};
use crate::model::{Action, FieldError, Precedence, RuleSet};
use crate::simulate::{Event, Simulator, Unmatched};
use crate::yaml::json_from_yaml;

/// The result of one case or simulation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseOutcome {
    pub id: String,
    pub status: CaseStatus,
    pub expected: String,
    pub got: String,
}

impl CaseOutcome {
    pub fn passed(&self) -> bool {
        self.status == CaseStatus::Passed
    }
}

/// Whether a case held. `Skipped` is a case that tests an adapter behaviour this run
/// did not opt into (`requires_mcp_prefix_strip` without the option): never counted as
/// passed, never as failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CaseStatus {
    Passed,
    Failed,
    Skipped,
}

impl CaseStatus {
    fn from_passed(passed: bool) -> Self {
        if passed {
            Self::Passed
        } else {
            Self::Failed
        }
    }
}

/// How a case file runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CaseOptions {
    /// Applies to policies that do not state a precedence.
    pub default_precedence: Option<Precedence>,
    /// Strip a host-injected `mcp__<server>__` prefix from tool names before matching,
    /// as MCP adapters do; cases marked `requires_mcp_prefix_strip` run only with it.
    pub mcp_prefix_strip: bool,
}

/// `mcp__<server>__<tool>` → `<tool>`; any other name unchanged. The server part is
/// non-empty and holds no `__`; the tool part is non-empty.
pub fn strip_mcp_prefix(tool: &str) -> &str {
    tool.strip_prefix("mcp__")
        .and_then(|rest| rest.split_once("__"))
        .filter(|(server, tool)| !server.is_empty() && !tool.is_empty())
        .map_or(tool, |(_, tool)| tool)
}

const CASE_KEYS: [&str; 9] = [
    "id",
    "description",
    "policy",
    "tool",
    "agent",
    "cost_usd",
    "expect",
    "warnings",
    "requires_mcp_prefix_strip",
];
const SIM_KEYS: [&str; 6] = [
    "id",
    "description",
    "draft",
    "unmatched",
    "events",
    "expect",
];

/// Runs every case and simulation of one file. `Err` only when the file itself is
/// unreadable; a malformed case is a failed outcome. A top-level `version` (the
/// conformance suite's) must be 1.
pub fn run_case_file(yaml_text: &str, options: &CaseOptions) -> Result<Vec<CaseOutcome>, String> {
    let default_precedence = options.default_precedence;
    let doc: Yaml = serde_yaml::from_str(yaml_text).map_err(|e| format!("invalid YAML: {e}"))?;
    let Yaml::Mapping(top) = doc else {
        return Err("expected a mapping with `cases` and/or `simulations`".to_string());
    };
    let mut outcomes = Vec::new();
    for (key, value) in &top {
        let key = key.as_str().unwrap_or_default();
        if key == "version" {
            if value.as_u64() != Some(1) {
                return Err(format!(
                    "unsupported case file version {}; this driver reads version 1",
                    serde_yaml::to_string(value).unwrap_or_default().trim()
                ));
            }
            continue;
        }
        if key != "cases" && key != "simulations" {
            return Err(format!(
                "unknown top-level key `{key}`; expected version, cases, simulations"
            ));
        }
        let Yaml::Sequence(items) = value else {
            return Err(format!("`{key}` must be a list"));
        };
        for (i, item) in items.iter().enumerate() {
            let fallback_id = format!("{key}[{i}]");
            outcomes.push(if key == "cases" {
                run_case(
                    item,
                    &fallback_id,
                    default_precedence,
                    options.mcp_prefix_strip,
                )
            } else {
                run_simulation(item, &fallback_id, default_precedence)
            });
        }
    }
    Ok(outcomes)
}

/// The case as JSON, minus the policy-like field (converted on its own so
/// its error paths read like a policy file's).
struct Parsed {
    id: String,
    fields: Map<String, Value>,
    policy: Result<RuleSet, Vec<FieldError>>,
}

fn parse_entry(
    item: &Yaml,
    fallback_id: &str,
    policy_key: &str,
    keys: &[&str],
    default: Option<Precedence>,
) -> Result<Parsed, (String, String)> {
    let Yaml::Mapping(map) = item else {
        return Err((
            fallback_id.to_string(),
            "malformed case: expected a mapping".to_string(),
        ));
    };
    let mut rest = map.clone();
    let policy_yaml = rest.remove(policy_key);
    let fields = match json_from_yaml(&Yaml::Mapping(rest), "") {
        Ok(Value::Object(fields)) => fields,
        Ok(_) => Map::new(),
        Err(e) => {
            return Err((
                fallback_id.to_string(),
                format!("malformed case: {}", error_list(&e)),
            ))
        }
    };
    let id = match fields.get("id") {
        Some(Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
        None => fallback_id.to_string(),
    };
    if let Some(k) = fields.keys().find(|k| !keys.contains(&k.as_str())) {
        return Err((
            id,
            format!(
                "malformed case: unknown field `{k}`; expected {}",
                keys.join(", ")
            ),
        ));
    }
    let Some(policy_yaml) = policy_yaml else {
        return Err((id, format!("malformed case: missing `{policy_key}`")));
    };
    let policy = json_from_yaml(&policy_yaml, "").and_then(|v| {
        let explicit = v.get("precedence").is_some_and(|p| !p.is_null());
        let mut rule_set = RuleSet::from_value(&v)?;
        if let (false, Some(p)) = (explicit, default) {
            rule_set.precedence = p;
        }
        Ok(rule_set)
    });
    Ok(Parsed { id, fields, policy })
}

fn malformed(id: String, message: String) -> CaseOutcome {
    CaseOutcome {
        id,
        status: CaseStatus::Failed,
        expected: "a well-formed case".to_string(),
        got: message,
    }
}

fn compiled(
    policy: Result<RuleSet, Vec<FieldError>>,
) -> Result<(RuleSet, CompiledPolicy), Vec<FieldError>> {
    let rule_set = policy?;
    let compiled = rule_set.compile()?;
    Ok((rule_set, compiled))
}

fn error_list(errors: &[FieldError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" | ")
}

fn show(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `rule_kind` values compare after alias normalisation (`audit` == `audit_only`).
fn normalize_kind(v: &Value) -> Value {
    match v.as_str().map(str::parse::<Action>) {
        Some(Ok(action)) => Value::String(action.as_str().to_string()),
        _ => v.clone(),
    }
}

fn run_case(
    item: &Yaml,
    fallback_id: &str,
    default: Option<Precedence>,
    mcp_prefix_strip: bool,
) -> CaseOutcome {
    let parsed = match parse_entry(item, fallback_id, "policy", &CASE_KEYS, default) {
        Ok(p) => p,
        Err((id, message)) => return malformed(id, message),
    };
    let Parsed { id, fields, policy } = parsed;
    let Some(Value::Object(expect)) = fields.get("expect") else {
        return malformed(id, "malformed case: `expect` must be a mapping".to_string());
    };
    let requires_strip = match fields.get("requires_mcp_prefix_strip") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => {
            return malformed(
                id,
                "malformed case: `requires_mcp_prefix_strip` must be true or false".to_string(),
            )
        }
    };
    if requires_strip && !mcp_prefix_strip {
        return CaseOutcome {
            id,
            status: CaseStatus::Skipped,
            expected: "an MCP adapter's prefix stripping".to_string(),
            got: "skipped: run with the MCP prefix strip to check this case".to_string(),
        };
    }
    let tool = fields
        .get("tool")
        .and_then(Value::as_str)
        .unwrap_or_default();
    let tool = if mcp_prefix_strip {
        strip_mcp_prefix(tool)
    } else {
        tool
    };
    let agent = fields.get("agent").and_then(Value::as_str);
    let cost_usd = fields.get("cost_usd").and_then(Value::as_f64);
    let compiled = compiled(policy);

    if let Some(wanted) = expect.get("error") {
        let wanted = show(wanted);
        let expected = format!("error containing {wanted:?}");
        return match compiled {
            Err(errors) => CaseOutcome {
                id,
                status: CaseStatus::from_passed(
                    errors.iter().any(|e| e.to_string().contains(&wanted)),
                ),
                expected,
                got: format!("errors: {}", error_list(&errors)),
            },
            Ok(_) => CaseOutcome {
                id,
                status: CaseStatus::Failed,
                expected,
                got: "the policy was accepted".to_string(),
            },
        };
    }
    let (rule_set, policy) = match compiled {
        Ok(c) => c,
        Err(errors) => {
            return CaseOutcome {
                id,
                status: CaseStatus::Failed,
                expected: "a valid policy".to_string(),
                got: format!("errors: {}", error_list(&errors)),
            }
        }
    };
    let decision = policy.evaluate(&Subject {
        tool,
        agent,
        cost_usd,
    });
    let actual: BTreeMap<&str, Value> = BTreeMap::from([
        ("decision", Value::from(decision.conformance())),
        ("verdict", Value::from(decision.verdict.as_str())),
        ("audited", Value::from(decision.audited)),
        (
            "rule",
            decision
                .rule
                .as_ref()
                .map_or(Value::Null, |r| Value::from(r.pattern.clone())),
        ),
        (
            "rule_kind",
            decision
                .rule
                .as_ref()
                .map_or(Value::Null, |r| Value::from(r.action.as_str())),
        ),
        (
            "rule_index",
            decision
                .rule
                .as_ref()
                .map_or(Value::Null, |r| Value::from(r.index)),
        ),
    ]);
    let mut passed = true;
    let mut expected_parts = Vec::new();
    let mut got_parts = Vec::new();
    for (key, want) in expect {
        let Some(have) = actual.get(key.as_str()) else {
            return malformed(id, format!("malformed case: unknown expect key `{key}`"));
        };
        let want = if key == "rule_kind" {
            normalize_kind(want)
        } else {
            want.clone()
        };
        passed &= &want == have;
        expected_parts.push(format!("{key}={}", show(&want)));
        got_parts.push(format!("{key}={}", show(have)));
    }
    if let Some(wanted) = fields.get("warnings") {
        let Some(wanted) = wanted.as_array() else {
            return malformed(id, "malformed case: `warnings` must be a list".to_string());
        };
        let warnings = rule_set.lint();
        let all_found = wanted
            .iter()
            .all(|w| warnings.iter().any(|have| have.message.contains(&show(w))));
        passed &= all_found && warnings.len() == wanted.len();
        expected_parts.push(format!(
            "warnings={:?}",
            wanted.iter().map(show).collect::<Vec<_>>()
        ));
        got_parts.push(format!(
            "warnings={:?}",
            warnings.iter().map(ToString::to_string).collect::<Vec<_>>()
        ));
    }
    CaseOutcome {
        id,
        status: CaseStatus::from_passed(passed),
        expected: expected_parts.join(" "),
        got: got_parts.join(" "),
    }
}

fn run_simulation(item: &Yaml, fallback_id: &str, default: Option<Precedence>) -> CaseOutcome {
    let parsed = match parse_entry(item, fallback_id, "draft", &SIM_KEYS, default) {
        Ok(p) => p,
        Err((id, message)) => return malformed(id, message),
    };
    let Parsed { id, fields, policy } = parsed;
    let Some(Value::Object(expect)) = fields.get("expect") else {
        return malformed(id, "malformed case: `expect` must be a mapping".to_string());
    };
    let unmatched = match fields.get("unmatched") {
        None | Some(Value::Null) => Unmatched::default(),
        Some(v) => match show(v).parse::<Unmatched>() {
            Ok(u) => u,
            Err(m) => return malformed(id, format!("malformed case: unmatched: {m}")),
        },
    };
    let events: Vec<Event> = match serde_json::from_value(
        fields
            .get("events")
            .cloned()
            .unwrap_or(Value::Array(Vec::new())),
    ) {
        Ok(events) => events,
        Err(e) => return malformed(id, format!("malformed case: events: {e}")),
    };
    let compiled = compiled(policy);
    if let Some(wanted) = expect.get("error") {
        let wanted = show(wanted);
        let (passed, got) = match &compiled {
            Err(errors) => (
                errors.iter().any(|e| e.to_string().contains(&wanted)),
                format!("errors: {}", error_list(errors)),
            ),
            Ok(_) => (false, "the draft was accepted".to_string()),
        };
        return CaseOutcome {
            id,
            status: CaseStatus::from_passed(passed),
            expected: format!("error containing {wanted:?}"),
            got,
        };
    }
    let policy = match compiled {
        Ok((_, policy)) => policy,
        Err(errors) => return malformed(id, format!("invalid draft: {}", error_list(&errors))),
    };
    let mut sim = Simulator::new(&policy, unmatched);
    for e in &events {
        sim.push(e);
    }
    let summary = sim.finish();
    let actual: BTreeMap<&str, Value> = BTreeMap::from([
        ("events_scanned", Value::from(summary.events_scanned)),
        ("events_matched", Value::from(summary.events_matched)),
        (
            "events_would_have_changed",
            Value::from(summary.events_would_have_changed),
        ),
        (
            "transitions",
            serde_json::to_value(&summary.transitions).unwrap_or_default(),
        ),
        ("sample_count", Value::from(summary.sample_matches.len())),
        (
            "sample_span_ids",
            summary
                .sample_matches
                .iter()
                .map(|s| Value::from(s.span_id.clone()))
                .collect(),
        ),
        (
            "sample_trace_ids",
            summary
                .sample_matches
                .iter()
                .map(|s| Value::from(s.trace_id.clone()))
                .collect(),
        ),
        (
            "sample_simulated",
            summary
                .sample_matches
                .iter()
                .map(|s| Value::from(s.simulated.as_str()))
                .collect(),
        ),
    ]);
    let mut passed = true;
    let mut expected_parts = Vec::new();
    let mut got_parts = Vec::new();
    for (key, want) in expect {
        let Some(have) = actual.get(key.as_str()) else {
            return malformed(id, format!("malformed case: unknown expect key `{key}`"));
        };
        passed &= want == have;
        expected_parts.push(format!("{key}={want}"));
        got_parts.push(format!("{key}={have}"));
    }
    CaseOutcome {
        id,
        status: CaseStatus::from_passed(passed),
        expected: expected_parts.join(" "),
        got: got_parts.join(" "),
    }
}
