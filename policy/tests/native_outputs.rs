//! Writes the native evaluator's `json_api` outputs for every corpus case to
//! `target/policy-corpus-native.json`. The Node test of the WASM module compares its
//! own outputs with these strings: the same verdicts, bit for bit.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{json, Value};

fn subjects(case: &Value) -> String {
    let mut subject = json!({ "tool": case["tool"] });
    for key in ["agent", "cost_usd"] {
        if let Some(v) = case.get(key) {
            subject[key] = v.clone();
        }
    }
    json!([subject]).to_string()
}

#[test]
fn native_outputs_for_the_corpus() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files: Vec<_> = std::fs::read_dir(root.join("tests/cases"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            matches!(
                p.extension().and_then(|e| e.to_str()),
                Some("yaml" | "yml" | "json")
            )
        })
        .collect();
    files.sort();
    let mut outputs = BTreeMap::new();
    for path in &files {
        let file = path.file_name().unwrap().to_string_lossy().to_string();
        let doc: Value = serde_yaml::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        for case in doc["cases"].as_array().into_iter().flatten() {
            let policy_json = case["policy"].to_string();
            let key = format!("{file}::{}", case["id"].as_str().unwrap());
            let entry = json!({
                "evaluate": policy::json_api::evaluate(&policy_json, &subjects(case)),
                "check": policy::json_api::check(&policy_json),
            });
            assert!(
                outputs.insert(key.clone(), entry).is_none(),
                "duplicate case id {key}"
            );
        }
        for sim in doc["simulations"].as_array().into_iter().flatten() {
            let key = format!("{file}::{}", sim["id"].as_str().unwrap());
            let events = sim.get("events").cloned().unwrap_or(json!([]));
            let unmatched = sim
                .get("unmatched")
                .and_then(Value::as_str)
                .unwrap_or("keep_recorded");
            let entry = json!({
                "simulate": policy::json_api::simulate(&sim["draft"].to_string(), &events.to_string(), unmatched),
            });
            assert!(
                outputs.insert(key.clone(), entry).is_none(),
                "duplicate simulation id {key}"
            );
        }
    }
    assert!(outputs.len() > 50, "only {} corpus entries", outputs.len());
    let target = root.join("../target");
    std::fs::create_dir_all(&target).unwrap();
    std::fs::write(
        target.join("policy-corpus-native.json"),
        serde_json::to_string(&outputs).unwrap(),
    )
    .unwrap();
}
