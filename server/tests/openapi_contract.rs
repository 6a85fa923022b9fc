//! Schemathesis against a running `preflight serve`: every operation of
//! `/v1/openapi.json`, all checks, every phase (examples, coverage, fuzzing, and the
//! stateful phase that follows the document's links from creating operations to the
//! ones that read them), with a fixed seed. Zero failures, or the test fails with
//! Schemathesis's report.
//!
//! Needs the virtualenv `scripts/bootstrap` makes (`target/pyenv`, versions pinned in
//! `server/tests/schemathesis/requirements.txt`), or `PREFLIGHT_TEST_SCHEMATHESIS`
//! naming a `schemathesis` executable. Without either the test fails, saying so; it
//! never skips.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::path::Path;
use std::process::Command;

use serde_json::json;
use support::{create_key, create_project, scratch, sqlite_url, Api, Server};

#[test]
fn the_openapi_document_describes_the_server() {
    let schemathesis = support::pyenv_program(
        "schemathesis",
        "PREFLIGHT_TEST_SCHEMATHESIS",
        "server/tests/schemathesis/requirements.txt",
    );

    let dir = scratch("schemathesis");
    let db = sqlite_url(&dir);
    create_project(&db, "contract");
    // An admin key reaches every operation; scopes have their own test (key_scopes.rs).
    let key = create_key(&db, "contract", "admin");
    let server = Server::start(&db);

    // Real data before the run, so that listings and reads have something to show: a
    // trace (its id and session are also in the configuration's dictionaries), a
    // dataset pinning it with an expectation, a stored simulation, an approval.
    let api = Api::new(&server.url, &key);
    let span = |id: &str, name: &str| {
        json!({"type": "span", "trace_id": "t-contract", "span_id": id, "kind": "tool_call",
               "name": name, "sequence": 1, "timestamp": "2026-11-01T10:00:00Z", "status": "ok",
               "agent_name": "ops-bot", "session_id": "th-contract", "cost_usd": 0.01})
    };
    let (status, body) = api.post(
        "/v1/events/ingest",
        &json!({"events": [span("s1", "shell.exec"), span("s2", "payments.transfer")]}),
    );
    assert_eq!(
        (status, body["accepted"].as_i64()),
        (200, Some(2)),
        "{body}"
    );
    let (status, dataset) = api.post("/v1/datasets", &json!({"name": "contract fixtures"}));
    assert_eq!(status, 201, "{dataset}");
    let dataset = dataset["id"].as_str().unwrap().to_string();
    let items = format!("/v1/datasets/{dataset}/items");
    let (status, body) = api.post(&items, &json!({"trace_ids": ["t-contract"]}));
    assert_eq!(status, 200, "{body}");
    let expectation = json!({"trace_id": "t-contract", "pattern": "shell.*", "verdict": "blocked"});
    let (status, body) = api.put(
        &format!("/v1/datasets/{dataset}/expectations"),
        &expectation,
    );
    assert_eq!(status, 200, "{body}");
    let run = json!({"draft": {"pattern": "shell.*", "action": "block"}, "dataset_id": dataset});
    let (status, body) = api.post("/v1/policy/simulate/batch", &run);
    assert_eq!(status, 200, "{body}");
    let (status, body) = api.post("/v1/approvals", &json!({"action": "refund 40 EUR"}));
    assert_eq!(status, 201, "{body}");

    let config = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/schemathesis/schemathesis.toml");
    let report = dir.join("report");
    let out = Command::new(&schemathesis)
        // Its cache goes beside the report, not into the repository.
        .current_dir(&dir)
        .arg("--config-file")
        .arg(&config)
        .arg("run")
        .arg(format!("{}/v1/openapi.json", server.url))
        .arg("--report-dir")
        .arg(&report)
        .env("PREFLIGHT_CONTRACT_URL", &server.url)
        .env("PREFLIGHT_CONTRACT_KEY", &key)
        .env("NO_COLOR", "1")
        .output()
        .expect("run schemathesis");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "schemathesis found the document and the server disagreeing:\n{stdout}\n{}\n\
         (report in {})\nserver log (tail):\n{}",
        String::from_utf8_lossy(&out.stderr),
        report.display(),
        tail(&server.log(), 60)
    );
    // A run that skipped operations or phases would also exit 0.
    let (_, doc) = api.get("/v1/openapi.json");
    let operations: usize = doc["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|item| item.as_object().unwrap().len())
        .sum();
    assert!(
        stdout.contains(&format!("Tested: {operations}\n")),
        "schemathesis did not test all {operations} operations:\n{stdout}"
    );
    for phase in ["Examples", "Coverage", "Fuzzing", "Stateful"] {
        assert!(
            stdout.contains(&format!("\u{2705} {phase}")),
            "the {phase} phase did not run and pass:\n{stdout}"
        );
    }
}

fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}
