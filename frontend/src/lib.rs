//! The dashboard's WebAssembly entry point: hydrates the server-rendered page and
//! exposes the shared evaluator's JSON API, so end-to-end tests can check that the
//! very bundle the page runs agrees with the native evaluator on the case corpus.
use wasm_bindgen::prelude::wasm_bindgen;

#[wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(app::App);
}

/// `policy::json_api::evaluate`, as compiled into the dashboard bundle.
#[wasm_bindgen]
pub fn evaluate_json(policy_json: &str, subjects_json: &str) -> String {
    policy::json_api::evaluate(policy_json, subjects_json)
}

/// `policy::json_api::simulate`, as compiled into the dashboard bundle.
#[wasm_bindgen]
pub fn simulate_json(draft_json: &str, events_json: &str, unmatched: &str) -> String {
    policy::json_api::simulate(draft_json, events_json, unmatched)
}
