//! The policy evaluator as a standalone ES module (`wasm-bindgen --target web`),
//! for browsers and Node. JSON in, JSON out; errors are data (`{"ok": false,
//! "errors": [{"field", "message"}]}`), never exceptions.
use policy::json_api;
use wasm_bindgen::prelude::wasm_bindgen;

/// Validates a policy (any accepted shape): `{ok, precedence, rules, warnings}` or `{ok: false, errors}`.
#[wasm_bindgen]
pub fn check(policy_json: &str) -> String {
    json_api::check(policy_json)
}

/// Evaluates `[{tool, agent?, cost_usd?}, ...]` under a policy: `{ok, decisions: [...]}`.
#[wasm_bindgen]
pub fn evaluate(policy_json: &str, subjects_json: &str) -> String {
    json_api::evaluate(policy_json, subjects_json)
}

/// Simulates a draft over recorded events: `{ok, summary}`. `unmatched` is
/// `"keep_recorded"` (a draft rule over what happened) or `"allowed"` (a whole rule set).
#[wasm_bindgen]
pub fn simulate(draft_json: &str, events_json: &str, unmatched: &str) -> String {
    json_api::simulate(draft_json, events_json, unmatched)
}

/// A policy compiled once and evaluated many times (the constructor never throws:
/// check `ok` and `errors()`).
#[wasm_bindgen]
pub struct Policy {
    compiled: Result<policy::CompiledPolicy, String>,
}

#[wasm_bindgen]
impl Policy {
    #[wasm_bindgen(constructor)]
    pub fn new(policy_json: &str) -> Policy {
        Policy {
            compiled: json_api::compile(policy_json),
        }
    }

    /// Whether the policy compiled.
    #[wasm_bindgen(getter)]
    pub fn ok(&self) -> bool {
        self.compiled.is_ok()
    }

    /// `{ok: true}` or `{ok: false, errors}`, as JSON.
    pub fn errors(&self) -> String {
        match &self.compiled {
            Ok(_) => r#"{"ok":true}"#.to_string(),
            Err(errors_json) => errors_json.clone(),
        }
    }

    /// Like the free `evaluate`, without recompiling.
    pub fn evaluate(&self, subjects_json: &str) -> String {
        match &self.compiled {
            Ok(compiled) => json_api::evaluate_compiled(compiled, subjects_json),
            Err(errors_json) => errors_json.clone(),
        }
    }

    /// Like the free `simulate`, without recompiling.
    pub fn simulate(&self, events_json: &str, unmatched: &str) -> String {
        match &self.compiled {
            Ok(compiled) => json_api::simulate_compiled(compiled, events_json, unmatched),
            Err(errors_json) => errors_json.clone(),
        }
    }
}
