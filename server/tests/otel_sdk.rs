//! The real OpenTelemetry Python SDK and OTLP/HTTP exporter against a running
//! `preflight serve`: GenAI spans become a trace that reads back through the API, can
//! be pinned and simulated, and downloads as a replay bundle.
//!
//! Needs the virtualenv `scripts/bootstrap` makes (`target/pyenv`, packages pinned in
//! `server/tests/otel/requirements.txt`), or `PREFLIGHT_TEST_PYTHON` naming a Python
//! that has them. Without either the test fails, saying so; it never skips.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use std::path::Path;
use std::process::Command;

use serde_json::{json, Value};
use support::{create_key, create_project, scratch, sqlite_url, Api, Server};

#[test]
fn opentelemetry_sdk_spans_become_a_governed_trace() {
    let python = support::pyenv_program(
        "python",
        "PREFLIGHT_TEST_PYTHON",
        "server/tests/otel/requirements.txt",
    );
    let check = Command::new(&python)
        .args([
            "-c",
            "import opentelemetry.sdk, opentelemetry.exporter.otlp.proto.http.trace_exporter",
        ])
        .output()
        .expect("run python");
    assert!(
        check.status.success(),
        "the OpenTelemetry SDK is not importable from {}: run scripts/bootstrap\n{}",
        python.display(),
        String::from_utf8_lossy(&check.stderr)
    );

    let dir = scratch("otel-sdk");
    let db = sqlite_url(&dir);
    // The SDK holds the agent key `project create` prints: all it needs to send.
    let key = create_project(&db, "agents");
    let admin_key = create_key(&db, "agents", "admin");
    let server = Server::start(&db);
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/otel/send_genai_spans.py");
    let mut command = Command::new(&python);
    command.arg(&script);
    for (name, _) in std::env::vars() {
        if name.starts_with("OTEL_") {
            command.env_remove(name);
        }
    }
    let out = command
        .env(
            "OTEL_EXPORTER_OTLP_ENDPOINT",
            format!("{}/otel", server.url),
        )
        .env(
            "OTEL_EXPORTER_OTLP_HEADERS",
            format!("Authorization=Bearer%20{key}"),
        )
        .env("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip")
        .output()
        .expect("run the OpenTelemetry script");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(
        out.status.success(),
        "the SDK's export failed:\n{stdout}\n{}\nserver log:\n{}",
        String::from_utf8_lossy(&out.stderr),
        server.log()
    );
    let sent: Value = serde_json::from_str(stdout.trim()).unwrap();
    let trace_id = sent["trace_id"].as_str().unwrap().to_string();
    assert_eq!(trace_id.len(), 32);
    assert!(sent["exports"].as_u64().unwrap() >= 1);

    // The trace reads back, each span mapped by the GenAI conventions.
    let api = Api::new(&server.url, &admin_key);
    let (status, trace) = api.get(&format!("/v1/traces/{trace_id}"));
    assert_eq!(status, 200, "{trace}\n{}", server.log());
    let events = trace["events"].as_array().unwrap();
    assert_eq!(events.len(), 5, "{trace}");
    let by_name = |name: &str| {
        events
            .iter()
            .find(|e| e["name"] == name)
            .unwrap_or_else(|| panic!("no event named {name}: {trace}"))
    };
    let root = by_name("support-bot");
    assert_eq!(root["kind"], "agent_call");
    assert!(root["parent_span_id"].is_null());
    assert_eq!(root["session_id"], "conv-42");
    assert_eq!(root["environment"], "ci");
    assert_eq!(root["release_version"], "2.1.0");
    let llm = by_name("openai.gpt-4o-mini");
    assert_eq!(llm["kind"], "llm_call");
    assert_eq!(llm["model"], "gpt-4o-mini-2024-07-18");
    assert_eq!(llm["input_tokens"], 412);
    assert_eq!(llm["output_tokens"], 37);
    assert_eq!(llm["cost_usd"], 0.00031);
    assert_eq!(llm["agent_name"], "support-bot");
    assert_eq!(llm["parent_span_id"], root["span_id"]);
    let refund = by_name("payments.refund");
    assert_eq!(refund["kind"], "tool_call");
    assert_eq!(refund["verdict"], "allowed");
    assert_eq!(refund["payload"]["tool_input"]["order"], "A-1001");
    assert_eq!(refund["payload"]["tool_output"]["status"], "refunded");
    assert_eq!(refund["session_id"], "conv-42");
    let crm = by_name("crm.lookup");
    assert_eq!(crm["verdict"], "errored");
    assert_eq!(crm["payload"]["error"], "crm timeout");
    let http = by_name("GET /orders/A-1001");
    assert_eq!(http["kind"], "custom");
    assert_eq!(
        http["payload"]["otel"]["attributes"]["http.request.method"],
        "GET"
    );
    assert_eq!(
        http["payload"]["otel"]["scope"]["name"],
        "preflight-otel-test"
    );
    assert_eq!(trace["summary"]["session_id"], "conv-42");
    assert_eq!(trace["summary"]["verdicts"]["errored"], 1);

    // The dashboard's RunTree renders it (server-side, so the HTML has the spans).
    let (status, page) = api.get_page(
        &format!("/dashboard/traces/{trace_id}"),
        &server.dashboard_cookie(),
    );
    let page = String::from_utf8_lossy(&page).to_string();
    assert_eq!(status, 200, "{page}");
    for text in [
        "payments.refund",
        "openai.gpt-4o-mini",
        "crm.lookup",
        "GET /orders/A-1001",
        "support-bot",
    ] {
        assert!(
            page.contains(text),
            "the RunTree does not show {text:?}:\n{page}"
        );
    }

    // It is listed, can be pinned, and a draft replays over it.
    let (_, listing) = api.get("/v1/traces?agent=support-bot");
    assert_eq!(
        listing["traces"][0]["trace_id"],
        trace_id.as_str(),
        "{listing}"
    );
    let (status, ds) = api.post("/v1/datasets", &json!({"name": "otel-regressions"}));
    assert_eq!(status, 201, "{ds}");
    let ds = ds["id"].as_str().unwrap();
    let (_, pinned) = api.post(
        &format!("/v1/datasets/{ds}/items"),
        &json!({"trace_ids": [trace_id]}),
    );
    assert_eq!(pinned["added"][0], trace_id.as_str(), "{pinned}");
    let (status, summary) = api.post(
        "/v1/policy/simulate/batch",
        &json!({"draft": {"kind": "block", "pattern": "payments.*"}, "dataset_id": ds}),
    );
    assert_eq!(status, 200, "{summary}");
    assert_eq!(summary["events_scanned"], 3, "llm, refund, crm: {summary}");
    assert_eq!(summary["events_would_have_changed"], 1, "{summary}");
    assert_eq!(summary["sample_matches"][0]["tool"], "payments.refund");
    assert_eq!(summary["sample_matches"][0]["agent"], "support-bot");

    // And downloads as a replay bundle.
    let (status, bundle) = api.get_raw(&format!("/v1/traces/{trace_id}/replay"));
    assert_eq!(status, 200);
    assert_eq!(&bundle[..2], &[0x1f, 0x8b], "gzip");

    // The OTLP ingest shows in the metrics.
    let (status, metrics) = api.get_raw("/metrics");
    assert_eq!(status, 200);
    let metrics = String::from_utf8(metrics).unwrap();
    let otlp_events: f64 = metrics
        .lines()
        .find(|l| l.starts_with("preflight_ingest_events_total{source=\"otlp\"}"))
        .and_then(|l| l.rsplit(' ').next())
        .unwrap()
        .parse()
        .unwrap();
    assert!(otlp_events >= 5.0, "{metrics}");
}
